"""Category values as a reader sees them: the agency's own label, else the stored value in sentence case."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

import pandas as pd

#: Words kept in capitals in a value written in capitals: abbreviations a reader knows as such. Any word
#: with a digit (K9, but not an ordinal: 1ST -> 1st) or without a vowel (MPH, DWLS, PD) is kept too; every other
#: word is lowered.
ACRONYMS = frozenset({
    "AED", "ATV", "CAD", "CIT", "CPR", "DOA", "DUI", "DWI", "EMS", "EMT", "ICAT", "ID", "OC", "OUI", "OWI", "PIT",
    "SWAT", "TV", "UCR", "USA", "VIN",
})

#: Fields whose values are the names of places (districts): a value written in capitals is shown with
#: each word capitalised ("SOUTH CENTRAL" -> "South Central"), as a place's name is written.
NAME_FIELDS = frozenset({"district"})

_WORD = re.compile(r"[A-Za-z0-9']+")
_ORDINAL = re.compile(r"\d+(ST|ND|RD|TH)")
_VOWELS = set("AEIOUY")


def _kept(word: str) -> bool:
    """Whether a word of a value written in capitals stays in capitals (an abbreviation or a code)."""
    letters = word.replace("'", "")
    if _ORDINAL.fullmatch(letters):
        return False  # 1ST -> 1st
    return (letters in ACRONYMS or any(c.isdigit() for c in letters)
            or (len(letters) > 1 and not _VOWELS & set(letters)))


def sentence_case(text: str, name: bool = False) -> str:
    """A stored category value as people write it.

    A value written in capitals (the way record systems store codes) is lowered word by word, keeping
    abbreviations in capitals (:data:`ACRONYMS`, words with a digit, words without a vowel), and its first
    letter is capitalised: "SPEEDING 11-20 MPH OVER LIMIT" -> "Speeding 11-20 MPH over limit",
    "DUI" -> "DUI". A value written in lower case gets a capital first letter ("speeding" -> "Speeding").
    A value in mixed case is the agency's own writing (names such as "Taser" or "North") and is kept.

    Parameters
    ----------
    text : str
        The stored value.
    name : bool, default False
        The value names a place (a district): each lowered word is capitalised instead of the first only
        ("SOUTH CENTRAL" -> "South Central").

    Returns
    -------
    str
        The value for a reader; surrounding spaces and runs of spaces are removed.
    """
    text = " ".join(str(text).split())
    if not text:
        return text
    letters = [c for c in text if c.isalpha()]
    if letters and all(c.isupper() for c in letters):
        def lower(match: re.Match) -> str:
            word = match.group(0)
            if _kept(word):
                return word
            return word.capitalize() if name else word.lower()

        text = _WORD.sub(lower, text)
    elif name and not any(c.isupper() for c in letters):
        text = _WORD.sub(lambda match: match.group(0).capitalize(), text)
    return text[:1].upper() + text[1:]


def _key(value: object) -> str:
    return " ".join(str(value).split()).casefold()


def category_label(value: object, labels: Mapping[str, str] | None = None, name: bool = False) -> str:
    """The text a person reads for one category value: the agency's label for it (``labels:`` in agency.yml,
    matched after trimming and ignoring letter case), else :func:`sentence_case`.

    Parameters
    ----------
    value : object
        A stored category value (not missing).
    labels : mapping, optional
        The agency's labels for the field: stored value -> label.
    name : bool, default False
        The field names places (see :func:`sentence_case`).

    Returns
    -------
    str
        ``"Burglar alarm"`` for ``"ALARM - BURGLAR"`` with ``{"ALARM - BURGLAR": "Burglar alarm"}``.
    """
    if labels:
        found = {_key(k): v for k, v in labels.items()}.get(_key(value))
        if found is not None:
            return found
    return sentence_case(str(value), name=name)


def labeller(labels: Mapping[str, str] | None = None, name: bool = False) -> Callable[[object], str]:
    """:func:`category_label` for one field, as a function of the value (the labels matched once)."""
    keyed = {_key(k): v for k, v in (labels or {}).items()}

    def label(value: object) -> str:
        found = keyed.get(_key(value))
        return found if found is not None else sentence_case(str(value), name=name)

    return label


def label_series(values: pd.Series, label: Callable[[object], str]) -> pd.Series:
    """A column of category values as shown (missing values stay missing); each distinct value is labelled once."""
    present = values.dropna()
    mapping = {v: label(v) for v in pd.unique(present)}
    return values.map(mapping).astype("string")


def label_frame(frame: pd.DataFrame, fields: Iterable[str], label_for: Callable[[str], Callable[[object], str]]) -> pd.DataFrame:
    """A copy of ``frame`` whose category ``fields`` (those present) hold the text a person reads."""
    out = frame.copy()
    for field in fields:
        if field in out.columns:
            out[field] = label_series(out[field], label_for(field))
    return out


__all__ = ["ACRONYMS", "NAME_FIELDS", "category_label", "label_frame", "label_series", "labeller", "sentence_case"]
