"""Text that looks alike is made alike: invisible characters removed, odd spaces made plain, NFKC.

Used at load (every text cell of a raw file, :func:`normalise_series`) so that ``123`` with a
zero-width space in it is the id ``123`` and "North" with a soft hyphen is the district "North"; and by
the personal-data scan (:func:`fold`) so that a name is found whatever its script, letter case or
Unicode form.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

__all__ = ["INVISIBLE", "fold", "normalise", "normalise_series"]

#: Characters that show as nothing: soft hyphen, zero-width space, non-joiner and joiner, word
#: joiner, invisible operators, the Mongolian vowel separator, and the byte-order mark (zero-width
#: no-break space). Removed.
INVISIBLE = "\u00ad\u180e\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff"
_INVISIBLE = re.compile(f"[{INVISIBLE}]")
# Spaces other than the plain one (no-break, figure, narrow, ideographic...): one plain space each.
# NFKC makes most of them plain already; these are listed so that the rule does not depend on it.
_SPACES = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")


def normalise(text: str) -> str:
    """A cell as the loader keeps it: NFKC, invisible characters removed, odd spaces plain, trimmed."""
    if text.isascii():
        return text.strip()
    return _SPACES.sub(" ", _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))).strip()


def fold(text: str) -> str:
    """:func:`normalise`, then case-folded (for comparing: "ΠΑΠΑΔΌΠΟΥΛΟΣ" and "Παπαδόπουλος" fold alike)."""
    return normalise(text).casefold()


def normalise_series(series: pd.Series) -> tuple[pd.Series, int]:
    """A column of (trimmed) text cells with :func:`normalise` applied; and how many cells it changed.

    Only cells with a character beyond ASCII can change, so an ASCII column is returned as it is.
    A categorical column is normalised through its categories (values that become equal merge).
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        categories = pd.Index(series.cat.categories).astype(str)
        changed = [i for i, value in enumerate(categories) if not value.isascii() and normalise(value) != value]
        if not changed:
            return series, 0
        codes = series.cat.codes.to_numpy()
        count = int(pd.Series(codes).isin(changed).sum())
        recodes, uniques = pd.factorize(pd.Index([normalise(v) for v in categories]))
        new_codes = recodes[codes]
        new_codes[codes < 0] = -1
        return pd.Series(pd.Categorical.from_codes(new_codes, categories=uniques, validate=False), index=series.index), count
    text = series.astype(str)
    wide = ~text.str.isascii()
    if not wide.any():
        return series, 0
    before = text[wide]
    after = before.map(normalise)
    differs = after != before
    count = int(differs.sum())
    if not count:
        return series, 0
    text = text.copy()
    text.loc[after.index[differs]] = after[differs]
    return text, count
