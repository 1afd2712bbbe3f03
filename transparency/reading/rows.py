"""Row accounting: what happened to every raw row (read = used + excluded by reason), the rows that are
blank or repeat the header, duplicate rows, list cells exploded and flag columns unpivoted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from transparency.core import registry
from transparency.core.config import Agency
from transparency.core.errors import DataError

from .columns import _arrow_chunks, _per_value_mask
from .values import _norm_key


@dataclass
class FileAccount:
    """What happened to the rows of one input file."""

    path: str
    sha256: str
    encoding: str
    rows_read: int
    excluded: Counter = field(default_factory=Counter)
    role: str = "main"  # main or related
    warnings: list[str] = field(default_factory=list)

    @property
    def rows_excluded(self) -> int:
        return sum(self.excluded.values())

    @property
    def rows_used(self) -> int:
        return self.rows_read - self.rows_excluded

    def to_dict(self) -> dict:
        return {
            "path": self.path, "sha256": self.sha256, "encoding": self.encoding, "role": self.role,
            "rows_read": self.rows_read, "rows_used": self.rows_used,
            "rows_excluded": dict(sorted(self.excluded.items())), "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, data: dict) -> FileAccount:
        return cls(
            path=data["path"], sha256=data["sha256"], encoding=data["encoding"], rows_read=data["rows_read"],
            excluded=Counter(data["rows_excluded"]), role=data.get("role", "main"), warnings=list(data["warnings"]),
        )


@dataclass
class LoadResult:
    """A canonical table and the account of how it was made.

    ``table`` holds one column per canonical field the agency records (fields it does not record are
    absent, so a metric built on them is omitted, never 0). ``unmapped`` counts source values that
    matched no canonical value, per field; ``issues`` counts problems in optional fields that did not
    exclude the row; ``notes`` are sentences for the data-quality appendix. ``distinct`` lists the
    distinct values of the text fields that have few (at most 200), over all the rows, for readers of
    a part of the table (see :func:`transparency.tables.cache.read_cached`).
    """

    dataset: str
    table: pd.DataFrame
    files: list[FileAccount]
    unmapped: dict[str, dict[str, int]] = field(default_factory=dict)
    issues: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    recorded: list[str] = field(default_factory=list)
    distinct: dict[str, list[str]] = field(default_factory=dict)

    @property
    def main_files(self) -> list[FileAccount]:
        return [f for f in self.files if f.role == "main"]

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.main_files)

    @property
    def rows_used(self) -> int:
        return sum(f.rows_used for f in self.main_files)

    @property
    def excluded(self) -> Counter:
        total: Counter = Counter()
        for f in self.main_files:
            total.update(f.excluded)
        return total

    @property
    def event(self) -> str:
        return registry.dataset(self.dataset).event

    def date_range(self) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        dates = self.table[self.event] if self.event in self.table else pd.Series(dtype="datetime64[ns]")
        if dates.dropna().empty:
            return None
        return dates.min(), dates.max()


def _header_key(text: str) -> str:
    """A header cell as compared with a column name: letters and digits only, case folded
    (``Incident Number``, ``INCIDENT_NUMBER`` and ``IncidentNumber`` are one name)."""
    return "".join(ch for ch in str(text).casefold() if ch.isalnum())


def _header_equals(values: pd.Series, name: str, lengths: np.ndarray) -> np.ndarray:
    """Whether each value is the column ``name`` written with other case, spacing or punctuation.

    Only values of a plausible length are compared (at least the name's letters and digits, at most
    twice the name's length and a few more characters), so a long column is not folded cell by cell.
    """
    key = _header_key(name)
    out = np.zeros(len(values), dtype=bool)
    if not key:
        return _casefold_equals(values, name.casefold(), lengths)
    candidates = np.flatnonzero((lengths >= len(key)) & (lengths <= 2 * len(name) + 4))
    if len(candidates):
        folded = values.iloc[candidates].str.casefold().str.replace(r"[\W_]+", "", regex=True)
        out[candidates] = (folded == key).to_numpy(dtype=bool, na_value=False)
    return out


def _blank_and_header(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Rows whose every cell is empty, and rows that repeat the header (at least two cells equal to their
    column names, ignoring case, spacing and punctuation, and nothing else in the row)."""
    nonempty = np.zeros(len(frame), dtype=np.int64)
    equal = np.zeros(len(frame), dtype=np.int64)
    for column in frame.columns:
        def filled_and_named(values: pd.Series, name: str = column) -> tuple[np.ndarray, np.ndarray]:
            lengths = _arrow_lengths(values)  # worked out once for both tests
            return lengths > 0, _header_equals(values, name, lengths)

        filled, same = _per_value_mask(frame[column], filled_and_named)
        nonempty += filled
        equal += same
    blank = nonempty == 0
    header = (equal >= min(2, len(frame.columns))) & (equal == nonempty) & ~blank
    return pd.Series(blank, index=frame.index), pd.Series(header, index=frame.index)


def _arrow_lengths(values: pd.Series) -> np.ndarray:
    """The number of characters of each text (0 for a missing one)."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    lengths = [pc.fill_null(pc.utf8_length(c), 0).to_numpy(zero_copy_only=False) for c in _arrow_chunks(values)]
    return np.concatenate(lengths)


def _casefold_equals(values: pd.Series, folded: str, lengths: np.ndarray | None = None) -> np.ndarray:
    """``values.str.casefold() == folded``, casefolding only the values short enough to match (casefolding
    never makes a text shorter); ``lengths``: the values' :func:`_arrow_lengths`, when known."""
    out = np.zeros(len(values), dtype=bool)
    candidates = np.flatnonzero((_arrow_lengths(values) if lengths is None else lengths) <= len(folded))
    if len(candidates):
        out[candidates] = (values.iloc[candidates].str.casefold() == folded).to_numpy(dtype=bool, na_value=False)
    return out


def _explode(frame: pd.DataFrame, rows: np.ndarray, spec, issues: Counter) -> tuple[pd.DataFrame, np.ndarray]:
    present = [c for c in spec.columns if c in frame.columns]
    if not present:
        return frame, rows
    lists = {c: frame[c].str.split(spec.sep, regex=False) for c in present}
    lengths = pd.DataFrame({c: lists[c].map(len) for c in present})
    target = lengths.max(axis=1)
    mismatched = ((lengths != 1) & (lengths.ne(target, axis=0))).any(axis=1)
    if mismatched.any():
        issues[f"list cells of unequal length in {', '.join(present)} (shorter lists padded with missing)"] += int(mismatched.sum())

    def pad(items, n):
        items = [i.strip() for i in items]
        if len(items) == 1:
            return items * n
        return items + [""] * (n - len(items))

    exploded = frame.copy()
    for c in present:
        exploded[c] = [pad(items, n) for items, n in zip(lists[c], target)]
    exploded["__row"] = rows
    exploded = exploded.explode(present, ignore_index=True)
    for c in present:
        exploded[c] = exploded[c].astype(str)
    new_rows = exploded.pop("__row").to_numpy()
    return exploded, new_rows


def _unpivot(frame: pd.DataFrame, rows: np.ndarray, spec, path: Path, missing: tuple[str, ...]) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """One row per set flag (or, with ``spec.value``, per non-empty cell, the cell kept in ``__value``).

    Returns the frame, row numbers and a mask of raw rows with nothing set.
    """
    true_values = {_norm_key(v) for v in spec.true_values}
    missing_tokens = set(missing)
    missing = [c for c in spec.columns if c not in frame.columns]
    if missing:
        raise DataError(str(path), f"has no flag column(s) {', '.join(missing)} (configured in unpivot)")
    pieces, piece_rows = [], []
    any_set = np.zeros(len(frame), dtype=bool)
    for column, label in spec.columns.items():
        if spec.value:
            is_set = (~frame[column].isin(missing_tokens)).to_numpy()
        else:
            is_set = frame[column].map(_norm_key).isin(true_values).to_numpy()
        any_set |= is_set
        piece = frame.loc[is_set].copy()
        piece["__unpivot"] = label
        piece["__value"] = frame.loc[is_set, column]
        pieces.append(piece)
        piece_rows.append(rows[is_set])
    none = frame.loc[~any_set].copy()
    none["__unpivot"] = ""
    none["__value"] = ""
    pieces.append(none)
    piece_rows.append(rows[~any_set])
    combined = pd.concat(pieces, ignore_index=True)
    combined_rows = np.concatenate(piece_rows)
    order = np.argsort(combined_rows, kind="stable")
    return combined.iloc[order].reset_index(drop=True), combined_rows[order], ~any_set


def _warn_row_id_duplicates(raw: list, duplicated: np.ndarray, eligible: np.ndarray, whole_rows: list[np.ndarray],
                            row_ids: list[str]) -> None:
    """Warn, per file, of rows excluded as duplicates that differ from every earlier row in the row_id
    columns: a column that looks like a serial but is a report number would hide real records."""
    whole = np.concatenate(whole_rows)
    only_by_row_id = duplicated & ~(pd.Series(np.where(eligible, whole, 0)).duplicated().to_numpy() & eligible)
    offset = 0
    for entry in raw:
        account, n = entry[3], len(entry[2])
        count = int(only_by_row_id[offset: offset + n].sum())
        offset += n
        if count:
            named = ", ".join(row_ids)
            account.warnings.append(
                f"{count:,} row(s) excluded as duplicates differ from the earlier row only in row_id ({named}); "
                f"if {named} is a report or case number rather than a per-row serial, these are distinct records: "
                "remove row_id from agency.yml (if it is a serial, say so with row_id_checked: true)")


def _display(agency: Agency, path: Path) -> str:
    try:
        return str(path.relative_to(agency.raw_root))
    except ValueError:
        return str(path)
