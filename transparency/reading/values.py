"""Source text -> typed canonical values: recodes, enumerations, yes/no, numbers, ages and pseudonyms.

Unmapped and unreadable values are counted on the file's context (:class:`_Context`), never dropped.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from transparency.core import registry
from transparency.core.config import Agency, FieldSource, FileGroup
from transparency.core.errors import DataError

from .columns import _as_string, _on_distinct, _plain

# A category label longer than this is shortened: a label is a name, not a narrative.
MAX_LABEL = 200


def _norm_key(value) -> str:
    return re.sub(r"\s+", " ", str(value).strip()).casefold()


def _canonical_lookup(values: tuple[str, ...]) -> dict[str, str]:
    lookup = {}
    for value in values:
        lookup[_norm_key(value)] = value
        lookup[_norm_key(value.replace("_", " "))] = value
    return lookup


@dataclass
class _Context:
    """What extracting one file needs to know and where it reports problems."""

    agency: Agency
    spec: registry.Dataset
    group: FileGroup
    path: Path
    frame: pd.DataFrame
    row_numbers: np.ndarray
    unmapped: dict[str, Counter]
    issues: Counter
    key: bytes | None
    event_dates: pd.Series | None = None
    first: np.ndarray | None = None  # True on the first canonical row of each raw row (lists, flags)
    time_known: dict[str, np.ndarray] = field(default_factory=dict)  # datetime field -> time of day recorded
    notes: list[str] = field(default_factory=list)  # sentences for the data-quality appendix

    pending: list = field(default_factory=list)

    def count_issue(self, issue: str, mask: pd.Series) -> None:
        """Note a problem in an optional field; counted by :meth:`settle_issues` on the rows kept."""
        self.pending.append((issue, np.asarray(mask, dtype=bool)))

    def note_unmapped(self, field_name: str, text: pd.Series, mask: pd.Series) -> None:
        """Note source values that matched no canonical value; counted by :meth:`settle_issues`."""
        self.pending.append((field_name, np.asarray(mask, dtype=bool), text))

    def settle_issues(self, kept: np.ndarray | None = None) -> None:
        """Count each noted problem once per raw row that is used (not on rows excluded anyway),
        however many canonical rows a list cell or flag columns made of it."""
        for item in self.pending:
            name, mask = item[0], item[1]
            values = mask if kept is None else mask & kept
            if self.first is not None:
                values = values & self.first
            if len(item) == 3:  # unmapped values, counted by value
                counts = item[2][values].value_counts()
                counts = counts[counts > 0]
                if len(counts):
                    self.unmapped.setdefault(name, Counter()).update({str(k): int(v) for k, v in counts.items()})
                continue
            n = int(values.sum())
            if n:
                self.issues[name] += n
        self.pending = []

    def column(self, name: str, field_name: str) -> pd.Series:
        if name not in self.frame.columns:
            shown = ", ".join(self.frame.columns[:30])
            hint = ""
            if len(self.frame.columns) == 1 and any(sep in self.frame.columns[0] for sep in "\t;|"):
                hint = " (the file seems to use another separator: set `delimiter` in agency.yml)"
            spaced = [c for c in self.frame.columns if " ".join(str(c).split()).casefold() == " ".join(name.split()).casefold()]
            if spaced:
                hint = (f" (the file has '{spaced[0]}': column names must match exactly, inner spaces and letter case "
                        "included; only spaces at either end are trimmed)")
            raise DataError(
                str(self.path), f"has no column '{name}' (configured for {field_name}); its columns are: {shown}{hint}",
            )
        return self.frame[name]

    def missing_mask(self, series: pd.Series, source: FieldSource) -> pd.Series:
        tokens = (set(self.group.missing_values) | set(source.missing)) - set(source.literal)
        return series.isin(tokens) | series.isna()


def _first_present(ctx: _Context, source: FieldSource, field_name: str) -> tuple[pd.Series, str]:
    """Alternatives: per row, the first listed column that exists in the file and is not empty."""
    present = [c for c in source.columns if c in ctx.frame.columns]
    if not present:
        if len(source.columns) == 1:
            ctx.column(source.columns[0], field_name)  # raises the one-column message (with a separator hint)
        raise DataError(
            str(ctx.path),
            f"has none of the columns {', '.join(repr(c) for c in source.columns)} (configured for {field_name}); "
            f"its columns are: {', '.join(ctx.frame.columns[:30])}",
        )
    result = ctx.frame[present[0]].where(~ctx.missing_mask(ctx.frame[present[0]], source))
    for other in present[1:]:
        candidate = ctx.frame[other].where(~ctx.missing_mask(ctx.frame[other], source))
        result = _plain(result).fillna(_plain(candidate))
    return result, present[0]


def _recode(ctx: _Context, field_name: str) -> dict[str, object]:
    recodes = ctx.agency.dataset(ctx.spec.name).values.get(field_name, {})
    return {_norm_key(k): v for k, v in recodes.items()}


def _text_field(ctx: _Context, field_name: str, source: FieldSource) -> tuple[pd.Series, str]:
    """The field's raw text (alternatives resolved, missing as NA) and the column named in errors."""
    if source.kind == "column":
        series, col = _first_present(ctx, source, field_name)
        if source.count_sep:
            def count(_, text: pd.Series) -> pd.Series:
                counts = text.str.split(source.count_sep, regex=False).map(
                    lambda items: sum(1 for item in items if item.strip()) if isinstance(items, list) else pd.NA
                )
                return counts.astype("Float64").astype("string")

            return _on_distinct(None, _as_string(series), count), col
        return _as_string(series), col
    raise AssertionError(source.kind)


def _convert(ctx: _Context, field_name: str, text: pd.Series, column: str) -> pd.Series:
    """Typed canonical values from text; unmapped and unreadable values are counted, never dropped.

    Text fields of a categorical column stay categorical (see :func:`_canonical`).
    """
    return _on_distinct(ctx, text, lambda sub, values: _convert_text(sub, field_name, values, column))


def _convert_text(ctx: _Context, field_name: str, text: pd.Series, column: str) -> pd.Series:
    fspec = ctx.spec.fields[field_name]
    recodes = _recode(ctx, field_name)
    blank_recode = recodes.get("")
    if fspec.type in ("id",):
        out = text.astype("string")
        if ctx.agency.dataset(ctx.spec.name).normalize_ids:
            out = out.str.upper().str.replace(r"[\s\-\.]", "", regex=True)
        return out
    if fspec.type == "pseudonym":
        from transparency.core.keys import pseudonymise

        return pseudonymise(text, ctx.key)
    if fspec.type == "category":
        out = text.astype("string")
        long = (out.str.len() > MAX_LABEL).fillna(False)
        if long.any():
            ctx.count_issue(f"{field_name}: longer than {MAX_LABEL} characters (shortened)", long)
            out = out.mask(long, out.str.slice(0, MAX_LABEL - 1) + "…")
        if recodes:
            mapping = {v: recodes.get(_norm_key(v)) for v in out.dropna().unique()}
            # As text even when no value of the file is recoded (an empty map gives a column of numbers).
            mapped = out.map({k: str(v) for k, v in mapping.items() if v is not None}).astype("string")
            out = mapped.where(mapped.notna(), out).astype("string")
        if blank_recode is not None:
            out = out.fillna(str(blank_recode))
        return out
    if fspec.type == "enum":
        lookup = _canonical_lookup(fspec.enum.values)
        uniques = text.dropna().unique()
        mapping, unmapped = {}, Counter()
        for value in uniques:
            key = _norm_key(value)
            if key in recodes:
                mapping[value] = str(recodes[key])
            elif key in lookup:
                mapping[value] = lookup[key]
            else:
                mapping[value] = fspec.enum.fallback
                unmapped[value] = 0
        out = text.map(mapping).astype("string")  # all-missing text maps to floats otherwise
        if unmapped:
            ctx.note_unmapped(field_name, text, text.isin(list(unmapped)).fillna(False))
        blanks = text.isna()
        if blanks.any():
            fill = str(blank_recode) if blank_recode is not None else fspec.enum.fallback
            out = out.where(~blanks, fill)
        return out.astype("string")
    if fspec.type == "bool":
        uniques = text.dropna().unique()
        mapping, unmapped = {}, []
        for value in uniques:
            key = _norm_key(value)
            target = recodes[key] if key in recodes else (True if key in registry.BOOL_TRUE else False if key in registry.BOOL_FALSE else "unmapped")
            if isinstance(target, str):
                low = target.lower()
                target = True if low == "true" else False if low == "false" else pd.NA if low == "unknown" else "unmapped"
            if isinstance(target, str) and target == "unmapped":
                unmapped.append(value)
                target = pd.NA
            mapping[value] = target
        out = text.map(mapping).astype("boolean")
        if unmapped:
            ctx.note_unmapped(field_name, text, text.isin(unmapped).fillna(False))
        if blank_recode is not None and text.isna().any():
            out = out.where(~text.isna(), bool(blank_recode) if isinstance(blank_recode, bool) else pd.NA)
        return out.astype("boolean")
    if fspec.type in ("number", "age", "count"):
        if recodes:
            text = text.map(lambda v: str(recodes.get(_norm_key(v), v)) if isinstance(v, str) else v)
        cleaned = text.str.replace(",", "", regex=False)
        numbers = pd.to_numeric(cleaned, errors="coerce").astype("Float64")
        bad = numbers.isna() & text.notna()
        if bad.any():
            ctx.count_issue(f"{field_name}: not a number", bad)
        if fspec.type == "count":
            negative = (numbers < 0).fillna(False)
            if negative.any():
                ctx.count_issue(f"{field_name}: negative (left out)", negative)
                numbers = numbers.mask(negative)
        if fspec.type == "age":
            impossible = (numbers < 0) | (numbers > 110)
            impossible = impossible.fillna(False)
            if impossible.any():
                ctx.count_issue(f"{field_name}: impossible age (below 0 or above 110)", impossible)
                numbers = numbers.mask(impossible)
            numbers = numbers.round()
        return numbers
    raise AssertionError(fspec.type)
