"""Raw agency files -> canonical tables, with every row accounted for and person identifiers hashed.

The one public entry point is :func:`load_dataset`. For each input file, rows read = rows used + rows
excluded (by reason). Columns the configuration does not map never leave this module.

The steps live in :mod:`transparency.reading`, one concern a module, in the order a row meets them:
``files`` (a file -> text cells), ``columns`` (text held as categories), ``dates`` (text -> datetimes),
``values`` (text -> typed canonical values), ``datefields`` (a datetime field from its columns or parts),
``extract`` (where a raw row becomes a canonical row), ``rows`` (row accounting: blank, header and duplicate
rows, list cells, flag columns), ``related`` (related long tables joined by key). This module runs them for
a whole dataset. It still answers to every name it held before the steps moved (imported below, unused
names included: ``load.read_raw``, ``from .load import parse_datetimes``), and setting one of them on it
sets it in the step that uses it (see :class:`_Steps`).
"""

from __future__ import annotations

import hashlib
import sys
import types
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path

import numpy as np
import pandas as pd

from transparency import reading
from transparency.core import registry
from transparency.core.config import Agency, FieldSource, FileGroup, missing_tokens
from transparency.core.errors import DataError, TransparencyError
from transparency.core.hashing import file_sha256

from .columns import (
    _PROBE_ROWS,
    _REPETITIVE,
    _arrow_chunks,
    _as_string,
    _canonical,
    _compact_text,
    _concat,
    _distinct,
    _is_categorical,
    _may_need_trimming,
    _on_distinct,
    _per_value,
    _per_value_mask,
    _plain,
    _positions,
    _take,
    _trimmed,
    _used_categories,
)
from .datefields import _date_from_parts, _datetime_field, _fixed_part
from .dates import (
    _DATE_FORMATS,
    _DIRECTIVE,
    _FAST_MIN,
    _FAST_SECONDS,
    _FIXED_WIDTH,
    _MONTH_ABBR,
    _MONTH_BYTES,
    _MONTH_NAMES,
    _MONTHS,
    _OFFSET,
    _OFFSET_ONLY,
    _TIME_DIRECTIVE,
    _TIME_SUFFIXES,
    DATETIME_CANDIDATES,
    TIME_CANDIDATES,
    AmbiguousFormat,
    _english_names,
    _fixed_layout,
    _format_marks,
    _marks,
    _part_numbers,
    _read_with_time,
    _split_format,
    _strptime_exact,
    _to_datetime_checked,
    _try,
    fmt_lengths,
    infer_formats,
    parse_datetimes,
)
from .extract import _any_flag, _extract, _require_some, _row_id_columns
from .files import (
    _BOM,
    _FIELDS,
    _OPEN_QUOTE,
    WORKBOOK_MAX_UNZIPPED,
    WORKBOOK_PART_MAX_UNZIPPED,
    _check_workbook,
    _column_name,
    _decode,
    _distinct_names,
    _kept,
    _normalise_cells,
    _parser_problem,
    _read,
    _read_ahead,
    _read_csv_arrow,
    _read_csv_pandas,
    _row_of_offset,
    read_raw,
)
from .related import _join_related, _load_related, _Related, _related_selected
from .rows import (
    FileAccount,
    LoadResult,
    _arrow_lengths,
    _blank_and_header,
    _casefold_equals,
    _display,
    _explode,
    _header_equals,
    _header_key,
    _unpivot,
    _warn_row_id_duplicates,
)
from .timeofday import time_known_column
from .values import (
    MAX_LABEL,
    _canonical_lookup,
    _Context,
    _convert,
    _convert_text,
    _first_present,
    _norm_key,
    _recode,
    _text_field,
)

#: Called with (agency, dataset, path, sha256, frame) for each main input file :func:`load_dataset`
#: reads (see :func:`transparency.figures.privacy.values_as_loaded`, which collects identifying values from
#: the frames already read instead of reading each file again).
RAW_READERS: list[Callable] = []


@dataclass
class _Run:
    """What loading one dataset carries from step to step: its configuration and what the steps find."""

    agency: Agency
    dataset: str
    spec: registry.Dataset
    config: object  # the dataset's entry of agency.yml
    key: bytes | None
    row_ids: list[str]
    unmapped: dict[str, Counter] = dataclass_field(default_factory=dict)
    issues: Counter = dataclass_field(default_factory=Counter)
    notes: list[str] = dataclass_field(default_factory=list)
    files: list[FileAccount] = dataclass_field(default_factory=list)
    related: list = dataclass_field(default_factory=list)  # the related tables, loaded
    matched: list[np.ndarray] = dataclass_field(default_factory=list)  # per related table: keys a main row matched
    looked_up: list = dataclass_field(default_factory=list)  # per related table, per main file: rows' positions


def load_dataset(agency: Agency, dataset: str, key: bytes | None = None, *, compact: bool = False) -> LoadResult:
    """Load one dataset of an agency into its canonical table.

    Parameters
    ----------
    agency : Agency
        From :func:`transparency.core.config.load_agency`.
    dataset : str
        A canonical dataset name the agency configures.
    key : bytes, optional
        The pseudonymisation key; read from the agency's key file when the dataset maps a
        person identifier and no key is given.
    compact : bool
        Keep text fields whose values repeat as pandas Categoricals (each distinct value held once)
        instead of ``string`` columns: the same values in a fraction of the memory, for the Parquet
        cache (see :func:`canonical_table`).

    Raises
    ------
    DataError
        When a file cannot be used as configured: the message names the file, row and column.
    """
    spec = registry.dataset(dataset)
    run = _Run(agency, dataset, spec, agency.dataset(dataset), _key_if_needed(agency, dataset, spec, key),
               _row_id_columns(agency, dataset))
    # The related tables first, so that their files and the main files are never in memory together;
    # an error in them is raised after any in reading the main files (the order a reader would find them).
    related_files, related_error = _read_related_tables(run)
    # Read every file first: duplicate rows are judged across the dataset's files.
    raw, whole_rows, normalised_cells = _read_main_files(run)
    duplicated = _duplicate_rows(run, raw, whole_rows)
    del whole_rows
    if related_error is not None:
        raise related_error
    run.files.extend(related_files)
    _look_up_related_keys(run, raw)
    parts, accounts = _extract_files(run, raw, duplicated)
    _exclude_repeated_ids(run, parts, accounts)
    _count_orphan_related_rows(run)
    _account_for_every_row(parts, accounts)
    table = _concat(parts, consume=True) if parts else pd.DataFrame()
    parts.clear()
    recorded = [f for f in spec.fields if f in table.columns]
    table = table[recorded + _times_not_all_known(table, recorded)]
    distinct = distinct_values(table)
    if not compact:
        table = canonical_table(table)
    run.notes.extend(_closing_notes(run, normalised_cells))
    return LoadResult(
        dataset=dataset,
        table=table,
        files=run.files,
        unmapped={k: dict(v.most_common()) for k, v in run.unmapped.items() if v},
        issues=dict(sorted(run.issues.items())),
        notes=run.notes,
        recorded=recorded,
        distinct=distinct,
    )


def _key_if_needed(agency: Agency, dataset: str, spec: registry.Dataset, key: bytes | None) -> bytes | None:
    """The key given, else the agency's key file's when the dataset maps a person identifier."""
    needs_key = any(
        spec.fields[f].type == "pseudonym" for g in agency.file_groups[dataset] for f in g.columns
    )
    if needs_key and key is None:
        from transparency.core.keys import read_key

        key = read_key(agency.slug)
    return key


def _read_related_tables(run: _Run) -> tuple[list[FileAccount], TransparencyError | None]:
    """The related tables (into ``run.related``), their files' accounts, and the error that stopped them."""
    related_files: list[FileAccount] = []
    try:
        if run.config.related:
            run.related = _load_related(run.agency, run.dataset, run.key, related_files, run.unmapped, run.issues)
    except TransparencyError as exc:
        run.related = []
        return related_files, exc
    return related_files, None


def _read_main_files(run: _Run) -> tuple[list[list], list[np.ndarray], int]:
    """Every main file read, as [group, path, frame, account, blank, header, row hashes]; with a row_id,
    each row's hash over every column (row_id included); and the cells whose invisible characters went."""
    agency, dataset, config = run.agency, run.dataset, run.config
    raw = []
    whole_rows: list[np.ndarray] = []
    seen: dict[Path, str] = {}

    def main_files():
        for group in agency.file_groups[dataset]:
            for path in agency.glob(group.glob):
                if path in seen:
                    raise DataError(str(path), f"is matched by two `files` entries ('{seen[path]}' and '{group.glob}'); "
                                    "each file may be read once")
                seen[path] = group.glob
                yield group, path

    def read(item):
        group, path = item
        return _read(path, group.encoding, group.sheet, group.delimiter)

    normalised_cells = 0
    for (group, path), (frame, encoding_used, warnings, digest) in _read_ahead(main_files(), read):
        for observe in RAW_READERS:
            observe(agency, dataset, path, digest, frame)
        account = FileAccount(_display(agency, path), digest, encoding_used, len(frame), warnings=warnings)
        normalised_cells += frame.attrs.get("normalised_cells", 0)
        if frame.empty:
            account.warnings.append("the file has a header but no rows")
        blank, header = _blank_and_header(frame)
        compare = [c for c in frame.columns if c not in run.row_ids]
        hashes = pd.util.hash_pandas_object(frame[compare], index=False, categorize=False).to_numpy()
        salt = np.uint64(int(hashlib.sha256("\x1f".join(compare).encode()).hexdigest()[:15], 16))
        raw.append([group, path, frame, account, blank.to_numpy(), header.to_numpy(), hashes ^ salt])
        run.files.append(account)
        if run.row_ids and config.duplicate_rows == "exclude" and not config.row_id_checked:
            whole_rows.append(pd.util.hash_pandas_object(frame, index=False, categorize=False).to_numpy())
    return raw, whole_rows, normalised_cells


def _duplicate_rows(run: _Run, raw: list[list], whole_rows: list[np.ndarray]) -> np.ndarray:
    """True on each row of the dataset's main files (in order) that repeats an earlier one."""
    all_hashes = np.concatenate([r[6] for r in raw]) if raw else np.array([], dtype=np.uint64)
    eligible = np.concatenate([~(r[4] | r[5]) for r in raw]) if raw else np.array([], dtype=bool)
    duplicated = np.zeros(len(all_hashes), dtype=bool)
    if run.config.duplicate_rows == "exclude" and len(all_hashes):
        series = pd.Series(np.where(eligible, all_hashes, 0))
        duplicated = series.duplicated().to_numpy() & eligible
        if whole_rows:
            _warn_row_id_duplicates(raw, duplicated, eligible, whole_rows, run.row_ids)
    return duplicated


def _look_up_related_keys(run: _Run, raw: list[list]) -> None:
    """Each raw row's position in the related tables' keys, looked up for every file at once, except
    where list cells split the key column into several values (looked up per canonical row instead)."""
    run.matched = [np.zeros(len(r.keys), dtype=bool) for r in run.related]
    for rel in run.related:
        usable = [r for r in raw if rel.main_key in r[2].columns]
        if run.config.explode is not None and rel.main_key in run.config.explode.columns:
            usable = []
        found = iter(_positions([r[2][rel.main_key] for r in usable], rel.keys))
        run.looked_up.append([next(found) if any(r is u for u in usable) else None for r in raw])


def _extract_files(run: _Run, raw: list[list], duplicated: np.ndarray):
    """Each main file's canonical rows (``__row``, ``__file`` and ``__reason`` beside the fields) and its
    account with each raw row's reason for exclusion before extraction (None: extracted). Each raw frame
    is let go once its rows are extracted."""
    accounts: list[tuple[FileAccount, np.ndarray]] = []
    parts: list[pd.DataFrame] = []
    offset = 0
    for file_number, entry in enumerate(raw):
        group, path, frame, account, blank, header, _ = entry
        entry.clear()  # the raw frame is not needed once its rows are extracted
        n = len(frame)
        excluded_reason = _excluded_before_extraction(blank, header, duplicated[offset: offset + n])
        offset += n
        keep = excluded_reason == None  # noqa: E711
        work = frame.loc[keep].reset_index(drop=True) if not keep.all() else frame
        del frame
        work, work_rows, no_flag = _reshape(run, group, path, work, (np.arange(n) + 2)[keep])
        parts.append(_extract_file(run, file_number, group, path, work, work_rows, no_flag, len(parts)))
        accounts.append((account, excluded_reason))
        del work
    return parts, accounts


def _excluded_before_extraction(blank: np.ndarray, header: np.ndarray, duplicate: np.ndarray) -> np.ndarray:
    """Each raw row's first reason among blank, header and duplicate row, else None."""
    excluded_reason = np.full(len(blank), None, dtype=object)
    excluded_reason[blank] = "blank_row"
    excluded_reason[header & (excluded_reason == None)] = "header_row"  # noqa: E711
    excluded_reason[duplicate & (excluded_reason == None)] = "duplicate_row"  # noqa: E711
    return excluded_reason


def _reshape(run: _Run, group: FileGroup, path: Path, work: pd.DataFrame, work_rows: np.ndarray):
    """List cells exploded and flag columns unpivoted, as configured: the frame, each of its rows' raw row
    number, and (unpivoted) True on rows with no flag set (None when not unpivoted)."""
    config = run.config
    if config.explode:
        work, work_rows = _explode(work, work_rows, config.explode, run.issues)
    no_flag = None
    if config.unpivot:
        work, work_rows, _ = _unpivot(work, work_rows, config.unpivot, path, group.missing_values)
        no_flag = (work["__unpivot"] == "").to_numpy()
        if config.unpivot.otherwise is not None and no_flag.any():
            # A row with no flag set is kept under the configured label (force type not recorded).
            work.loc[no_flag, "__unpivot"] = config.unpivot.otherwise
            run.issues[f"{config.unpivot.field}: no flag set (kept as '{config.unpivot.otherwise}')"] += int(no_flag.sum())
            no_flag = np.zeros(len(work), dtype=bool)
    return work, work_rows, no_flag


def _extract_file(run: _Run, file_number: int, group: FileGroup, path: Path, work: pd.DataFrame,
                  work_rows: np.ndarray, no_flag: np.ndarray | None, part_number: int) -> pd.DataFrame:
    """One file's canonical rows, related tables joined, with the raw row, file and reason of each."""
    config = run.config
    ctx = _Context(run.agency, run.spec, group, path, work, work_rows, run.unmapped, run.issues, run.key)
    if config.explode or config.unpivot:
        ctx.first = ~pd.Series(work_rows).duplicated().to_numpy()
    table, reason = _extract(ctx)
    if config.unpivot:
        reason = _unpivoted_fields(ctx, config.unpivot, work, no_flag, table, reason)
    positions = [None if per_file[file_number] is None else per_file[file_number][work_rows - 2]
                 for per_file in run.looked_up]
    _join_related(ctx, work, path, run.related, run.matched, table, positions)
    for field_name, allowed in config.scope.items():  # rows outside the report's scope
        inside = table[field_name].isin(allowed).fillna(False).to_numpy(dtype=bool)
        reason = reason.where(inside | reason.notna().to_numpy(), f"out_of_scope_{field_name}")
    ctx.settle_issues(reason.isna().to_numpy())
    run.notes.extend(note for note in ctx.notes if note not in run.notes)
    table["__row"] = work_rows
    table["__file"] = np.full(len(table), part_number, dtype=np.int32)
    table["__reason"] = reason.to_numpy()
    return table


def _unpivoted_fields(ctx: _Context, unpivot, work: pd.DataFrame, no_flag: np.ndarray, table: pd.DataFrame,
                      reason: pd.Series) -> pd.Series:
    """The unpivoted flag's field (and its value's) set on the table; rows with no flag get a reason."""
    field_name = unpivot.field
    table[field_name] = _convert(ctx, field_name, work["__unpivot"].where(~no_flag).astype("string"), "(flags)")
    if unpivot.value:
        value_field = unpivot.value
        table[value_field] = _convert(ctx, value_field, work["__value"].where(~no_flag).astype("string"), "(values)")
    return reason.where(~(pd.Series(no_flag, index=reason.index) & reason.isna()), f"no_{field_name}")


def _exclude_repeated_ids(run: _Run, parts: list[pd.DataFrame], accounts: list) -> None:
    """Unique ids across the whole dataset: a repeat is an error or excluded as ``duplicate_id``, as the
    agency says. The files' tables are kept apart (one copy of the data at a time): row i of the dataset
    is row i - starts[f] of parts[f]."""
    spec, config = run.spec, run.config
    unique_fields = list(spec.unique)
    if not unique_fields and "duplicate_ids" in config.model_fields_set:
        unique_fields = [spec.id_field]  # the agency declares its id unique
    starts = np.cumsum([0] + [len(p) for p in parts])
    for unique_field in unique_fields:
        if not any(unique_field in p.columns for p in parts):
            continue
        repeated, first_live, ids = _repeated_ids(parts, unique_field)
        if not repeated.any():
            continue
        if config.duplicate_ids == "error":
            _raise_repeated_id(run, parts, accounts, starts, unique_field, repeated, first_live, ids)
        if config.duplicate_ids == "exclude":
            for f, part in enumerate(parts):
                mine = repeated[starts[f]: starts[f + 1]]
                if mine.any():
                    part.loc[mine, "__reason"] = "duplicate_id"


def _repeated_ids(parts: list[pd.DataFrame], unique_field: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True on each live row (not excluded) whose id an earlier live row holds; each id's first live row;
    each row's id number (-1 for a missing id)."""
    column = pd.concat([_canonical(p[unique_field]) if unique_field in p.columns else pd.Series(pd.NA, index=p.index, dtype="string")
                        for p in parts], ignore_index=True)
    ids, distinct = pd.factorize(column)  # -1 for a missing id
    del column
    live = np.concatenate([p["__reason"].isna().to_numpy() for p in parts]) & (ids >= 0)
    first_live = np.full(len(distinct), len(ids), dtype=np.int64)  # each id's first live row
    np.minimum.at(first_live, ids[live], np.flatnonzero(live))
    repeated = live & (first_live[np.where(live, ids, 0)] != np.arange(len(ids)))
    return repeated, first_live, ids


def _raise_repeated_id(run: _Run, parts, accounts, starts, unique_field, repeated, first_live, ids) -> None:
    """The error for the first repeated id: its file, row and column, and the row it repeats."""

    def file_of(i: int) -> tuple[pd.DataFrame, int]:
        f = int(np.searchsorted(starts, i, side="right") - 1)
        return parts[f], i - int(starts[f])

    i = int(np.flatnonzero(repeated)[0])
    first = int(first_live[ids[i]])
    (part, row), (first_part, first_row) = file_of(i), file_of(first)
    raise DataError(
        accounts[int(part["__file"].iloc[row])][0].path,
        f"{unique_field} '{part[unique_field].iloc[row]}' repeats row {int(first_part['__row'].iloc[first_row])}"
        f" of {accounts[int(first_part['__file'].iloc[first_row])][0].path}; ids must be unique "
        "(set duplicate_ids: exclude to keep the first and count the rest)",
        row=int(part["__row"].iloc[row]), column=_source_column(run.agency, run.dataset, unique_field),
    )


def _count_orphan_related_rows(run: _Run) -> None:
    """Related rows whose key matches no main record are not lost: they are counted."""
    for rel, found in zip(run.related, run.matched):
        orphans = int(rel.sizes[~found].sum())
        if orphans:
            run.issues[f"linked records: rows of {', '.join(rel.config.files)} that match no record"] += orphans


def _account_for_every_row(parts: list[pd.DataFrame], accounts: list) -> None:
    """Account for every raw row: used if any of its canonical rows is kept, else its first reason. Then
    keep each file's used rows only (in place in ``parts``)."""
    for file_index, (account, excluded_reason) in enumerate(accounts):
        account.excluded.update(Counter(r for r in excluded_reason if r is not None))
        part = parts[file_index]
        if not part.empty:
            kept_rows = part.loc[part["__reason"].isna(), "__row"].unique()
            dropped = part.loc[~part["__row"].isin(kept_rows), ["__row", "__reason"]].drop_duplicates("__row")
            account.excluded.update({str(k): int(v) for k, v in dropped["__reason"].value_counts().items()})
            account.excluded = +account.excluded
            keep = part["__reason"].isna().to_numpy()
            if not keep.all():
                part = part[keep]
        parts[file_index] = part.drop(columns=["__row", "__file", "__reason"])


def _closing_notes(run: _Run, normalised_cells: int) -> list[str]:
    """The data-quality appendix's sentences about the dataset as a whole."""
    notes = []
    for field_name, source in run.agency.file_groups[run.dataset][0].columns.items():
        if source.kind == "synthetic":
            basis = "the columns " + ", ".join(source.columns) if source.columns else "the content of each row"
            notes.append(f"The agency publishes no {registry.field_words(field_name)}; one was made from {basis}.")
    if normalised_cells:
        notes.append(f"{normalised_cells:,} cells held invisible characters (such as zero-width spaces or soft hyphens) "
                     "or non-breaking spaces, which were removed or made ordinary spaces so that values that look "
                     "the same are counted as one.")
    if run.config.notes:
        notes.append(run.config.notes)
    return notes


def _times_not_all_known(table: pd.DataFrame, recorded: list[str]) -> list[str]:
    """The time-known columns (:mod:`transparency.reading.timeofday`) worth keeping: those of a datetime field
    some of whose dated rows have no recorded time. A table without one has every time known."""
    kept = []
    for field_name in recorded:
        column = time_known_column(field_name)
        if column in table.columns:
            known = table[column].fillna(False).astype(bool)
            table[column] = known
            if (table[field_name].notna() & ~known).any():
                kept.append(column)
    return kept


# Text fields with at most this many distinct values have them listed (LoadResult.distinct).
DISTINCT_LISTED = 200


def distinct_values(table: pd.DataFrame) -> dict[str, list[str]]:
    """The distinct values (sorted) of each categorical text column that has few, over its rows."""
    out = {}
    for column in table.columns:
        if _is_categorical(table[column]):
            categories = _used_categories(table[column]).cat.categories
            if len(categories) <= DISTINCT_LISTED:
                out[column] = sorted(str(v) for v in categories)
    return out


def canonical_table(table: pd.DataFrame) -> pd.DataFrame:
    """A table with its categorical text columns (see ``load_dataset(compact=True)``) as ``string``."""
    categorical = [c for c in table.columns if _is_categorical(table[c])]
    if not categorical:
        return table
    table = table.copy(deep=False)
    for column in categorical:
        table[column] = table[column].astype("string")
    return table


def _source_column(agency: Agency, dataset: str, field_name: str) -> str | None:
    source = agency.file_groups[dataset][0].columns.get(field_name)
    return source.columns[0] if source and source.columns else None


class _Steps(types.ModuleType):
    """This module, whose attributes set from outside (``monkeypatch.setattr(load, "_try", ...)``) reach the
    step modules of :mod:`transparency.reading` that hold the same object under the same name, so that a
    function that moved keeps seeing what a caller sets on ``load``."""

    def __setattr__(self, name: str, value) -> None:
        old = self.__dict__.get(name, _UNSET)
        if old is not _UNSET:
            for step in _STEP_MODULES:
                if step.__dict__.get(name, _UNSET) is old:
                    setattr(step, name, value)
        super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        old = self.__dict__.get(name, _UNSET)
        if old is not _UNSET:
            for step in _STEP_MODULES:
                if step.__dict__.get(name, _UNSET) is old:
                    delattr(step, name)
        super().__delattr__(name)


_UNSET = object()
_STEP_MODULES = (reading.files, reading.columns, reading.dates, reading.values, reading.datefields, reading.rows,
                 reading.extract, reading.related)
sys.modules[__name__].__class__ = _Steps
