"""Canonical tables cached as Parquet, keyed by the hashes of the inputs, the config and the package.

A table is stored compact (text fields whose values repeat dictionary-encoded), beside a JSON file with
what readers need without reading the table: the load account, the number of rows, the first and last
event dates, each column's dtype and the distinct values of the repetitive text fields. Readers take
the whole table (:func:`load_cached`), or only the rows of a span of event dates and some of the
columns (:func:`read_cached`), so a build of one quarter never holds ten million rows.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from transparency import __version__
from transparency.core import registry
from transparency.core.config import Agency
from transparency.core.errors import TransparencyError
from transparency.core.hashing import FileHashes, atomic_write
from transparency.core.incremental import cache_root as cache_dir
from transparency.core.periods import Period
from transparency.reading.load import FileAccount, LoadResult, load_dataset
from transparency.reading.timeofday import time_known_column

_REGISTRY_TEXT = Path(registry.__file__).with_name("datasets.yml")
FORMAT = 3  # of the cached files (part of the key, so older caches are never misread); 3: covered_until
ROW_GROUP = 1 << 18  # rows per Parquet row group: a span of dates skips the groups outside it


@functools.cache
def _registry_sha256() -> str:
    """The dataset registry's hash (read once: the package's files do not change while it runs)."""
    return hashlib.sha256(_REGISTRY_TEXT.read_bytes()).hexdigest()


def cache_key(agency: Agency, dataset: str, hashes: FileHashes, key: bytes | None) -> str:
    from transparency.core.keys import fingerprint

    parts = {
        "format": FORMAT,
        "version": __version__,
        "registry": _registry_sha256(),
        "dataset": agency.dataset(dataset).model_dump(mode="json", by_alias=True),
        "timezone": agency.timezone,
        "valid_dates": agency.model.valid_dates.model_dump(mode="json", by_alias=True),
        "inputs": [[str(p.relative_to(agency.raw_root)), hashes.sha256(p)] for p in agency.input_files(dataset)],
        "key": fingerprint(key) if key else None,
        # Event dates after the day of loading are excluded, so a table is valid for the day it is made.
        "today": datetime.date.today().isoformat(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:24]


@dataclass
class Cached:
    """A cached table's files and metadata (the table itself is not read)."""

    dataset: str
    table_path: Path
    meta: dict

    @property
    def rows(self) -> int:
        return self.meta["rows"]

    @property
    def span(self) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        """First and last event date of the table (None when it has no rows)."""
        span = self.meta["span"]
        return None if span is None else (pd.Timestamp(span[0]), pd.Timestamp(span[1]))

    @property
    def covered_until(self) -> datetime.date | None:
        """The last day the table speaks for (:func:`covered_until`)."""
        day = self.meta["covered_until"]
        return None if day is None else datetime.date.fromisoformat(day)

    def result(self, table: pd.DataFrame) -> LoadResult:
        meta = self.meta
        return LoadResult(
            dataset=self.dataset, table=table, files=[FileAccount.from_dict(f) for f in meta["files"]],
            unmapped=meta["unmapped"], issues=meta["issues"], notes=meta["notes"], recorded=meta["recorded"],
            distinct=meta["distinct"],
        )


def _entry_paths(agency: Agency, dataset: str) -> tuple[Path, Path, Path, bytes | None]:
    """The cache folder, the table's and the metadata's paths for the inputs as they are now, and the key."""
    from transparency.core.keys import key_path, read_key

    folder = cache_dir() / f"{agency.slug}-{hashlib.sha256(str(agency.folder.resolve()).encode()).hexdigest()[:8]}"
    hashes = FileHashes(folder / "file-hashes.json")
    key = read_key(agency.slug) if key_path(agency.slug).exists() else None
    digest = cache_key(agency, dataset, hashes, key)
    hashes.save()
    return folder, folder / f"{dataset}-{digest}.parquet", folder / f"{dataset}-{digest}.json", key


def is_current(agency: Agency, dataset: str) -> bool:
    """Whether the dataset's cache entry is there for its inputs as they are now (no loading needed)."""
    _folder, table_path, meta_path, _key = _entry_paths(agency, dataset)
    return table_path.exists() and meta_path.exists()


def cached(agency: Agency, dataset: str) -> Cached:
    """The dataset's cache entry, made first (by loading the raw files) when it is missing or stale.

    Safe to call from several processes at once: one makes the entry while the others wait for it
    (a lock file per dataset), each file is written whole and then renamed into place, and only
    other keys' files are removed as stale.
    """
    folder, table_path, meta_path, key = _entry_paths(agency, dataset)
    if table_path.exists() and meta_path.exists():
        return Cached(dataset, table_path, json.loads(meta_path.read_text()))
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f".{dataset}.lock", "w") as lock:
        try:
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed, also if this process dies
        except ImportError:  # pragma: no cover - not POSIX: two processes may both load (still safe)
            pass
        if table_path.exists() and meta_path.exists():  # made by another process meanwhile
            return Cached(dataset, table_path, json.loads(meta_path.read_text()))
        return _make_entry(agency, dataset, folder, table_path, meta_path, key)


def _make_entry(agency: Agency, dataset: str, folder: Path, table_path: Path, meta_path: Path,
                key: bytes | None) -> Cached:
    result = load_dataset(agency, dataset, key=key, compact=True)
    for stale in folder.glob(f"{dataset}-*"):
        if stale not in (table_path, meta_path):
            stale.unlink(missing_ok=True)
    buffer = tempfile.NamedTemporaryFile(dir=folder, prefix=".tmp-", suffix=".parquet", delete=False)
    buffer.close()
    _write_parquet(result.table, Path(buffer.name))
    os.replace(buffer.name, table_path)
    meta = {
        "files": [f.to_dict() for f in result.files], "unmapped": result.unmapped, "issues": result.issues,
        "notes": result.notes, "recorded": result.recorded, "distinct": result.distinct, **describe(result.table, dataset),
    }
    atomic_write(meta_path, json.dumps(meta, indent=1).encode())
    return Cached(dataset, table_path, meta)


def agency_coverage(agency: Agency) -> tuple[datetime.date, datetime.date] | None:
    """The days the agency's data covers: its datasets' first event date, and the last day any of
    them speaks for (:attr:`Cached.covered_until`), from the cache's metadata (each stale entry is
    made first); a dataset that cannot be loaded is passed over, and None when no dataset has rows.
    What ``latest`` is worked out from, the same for the build and for a notebook run on its own."""
    firsts, lasts = [], []
    for name in agency.dataset_names:
        try:
            entry = cached(agency, name)
        except TransparencyError:
            continue
        if entry.span is not None and entry.covered_until is not None:
            firsts.append(entry.span[0].date())
            lasts.append(entry.covered_until)
    return (min(firsts), max(lasts)) if firsts else None


def agency_latest(agency: Agency) -> Period:
    """The quarter ``latest`` means for the agency (:func:`transparency.core.periods.latest_quarter` of
    :func:`agency_coverage`, today): the build's and a notebook's."""
    from transparency.core.periods import latest_quarter

    return latest_quarter(agency_coverage(agency), datetime.date.today())


def covered_until(table: pd.DataFrame, dataset: str) -> datetime.date | None:
    """The last day the data speaks for: its last event date, or, where rows stand for a span of
    time (a survey score's ``period_end``), the end of the last such span; None for an empty table.

    Chicago's sentiment scores are dated by the start of the month (or week) they measure: the
    last one, dated 2021-07-01, speaks for July to 2021-07-31.
    """
    ends = [table[registry.dataset(dataset).event].dropna().max()]
    if "period_end" in table.columns:
        ends.append(pd.to_datetime(table["period_end"]).dropna().max())
    ends = [end for end in ends if not pd.isna(end)]
    return max(ends).date() if ends else None


def describe(table: pd.DataFrame, dataset: str) -> dict:
    """What readers need to know of a table without reading it: its rows, the span of its event dates,
    the last day it speaks for (:func:`covered_until`) and the canonical dtype
    of each column."""
    from transparency.reading.load import _is_categorical

    event = registry.dataset(dataset).event
    dates = table[event].dropna() if event in table else pd.Series(dtype="datetime64[ns]")
    return {
        "rows": len(table),
        "span": None if dates.empty else [dates.min().isoformat(), dates.max().isoformat()],
        "covered_until": None if (until := covered_until(table, dataset)) is None else until.isoformat(),
        "dtypes": {c: "string" if _is_categorical(table[c]) else str(table[c].dtype) for c in table.columns},
    }


def _write_parquet(table: pd.DataFrame, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pandas(table, preserve_index=False), path, row_group_size=ROW_GROUP)


def load_cached(agency: Agency, dataset: str) -> LoadResult:
    """:func:`transparency.reading.load.load_dataset` through the Parquet cache (same result, much faster the second time)."""
    return read_cached(agency, dataset)


def read_cached(agency: Agency, dataset: str, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None,
                columns: list[str] | None = None) -> LoadResult:
    """The cached canonical table, or the part of it a section needs.

    Parameters
    ----------
    start, end : Timestamp, optional
        Keep the rows whose event date is in ``[start, end)``, and besides them the rows on the first
        and on the last event date of the whole table, so that the table's span of dates (what
        :func:`transparency.figures.metrics.coverage` reads, and ``latest``) is the whole table's. Figures
        for any period inside ``[start, end)`` are exactly those of the whole table.
    columns : list of str, optional
        Keep only these columns (and the event date); the others are not read.

    Returns
    -------
    LoadResult
        As :func:`transparency.reading.load.load_dataset` returns it, with ``table`` cut as asked.
    """
    entry = cached(agency, dataset)
    return entry.result(read_table(entry, start, end, columns))


def read_table(entry: Cached, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None,
               columns: list[str] | None = None) -> pd.DataFrame:
    """The rows and columns of a cached table asked for (see :func:`read_cached`), in their stored order."""
    import pyarrow as pa
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    event = registry.dataset(entry.dataset).event
    dtypes = entry.meta["dtypes"]
    if columns is not None:
        wanted = set(columns) | ({event} if event in dtypes else set())
        wanted |= {time_known_column(c) for c in wanted}  # whether each datetime's time is known goes with it
        columns = [c for c in dtypes if c in wanted]
    where = None
    if (start is not None or end is not None) and entry.span is not None and event in dtypes:
        date = ds.field(event)
        inside = None
        if start is not None:
            inside = date >= pd.Timestamp(start)
        if end is not None:
            inside = (date < pd.Timestamp(end)) if inside is None else inside & (date < pd.Timestamp(end))
        first, last = entry.span
        where = inside | (date == first) | (date == last)
    table = pq.read_table(entry.table_path, columns=columns, filters=where, use_threads=True)
    # Text columns become ``string`` in Arrow (dictionary-encoded ones decoded there, much faster than
    # pandas would); the others as the table's pandas metadata says.
    text = {name: table.column(name) for name in table.column_names if dtypes.get(name) == "string"}
    frame = table.drop_columns(list(text)).to_pandas()
    del table
    for name, column in text.items():
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        frame[name] = pd.Series(pd.arrays.ArrowStringArray(column.cast(pa.large_string())), index=frame.index, copy=False)
    return frame[[c for c in dtypes if c in frame.columns]]
