"""One raw file described: each column's words, fill, distinct values and shape (a date, a time, a number,
yes/no flags, text), and the ways the file gives a datetime (a column, a date and a time, year/month/day)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from transparency.core import registry
from transparency.core.config import DEFAULT_MISSING, DEFAULT_TRUE_FLAGS
from transparency.reading.load import (
    TIME_CANDIDATES,
    AmbiguousFormat,
    _blank_and_header,
    _norm_key,
    parse_datetimes,
    read_raw,
)

from .words import header_words, stem

#: Values kept per column to judge its shape and propose recodes (the most frequent first).
SAMPLE_VALUES = 3000
#: A column with more distinct values than this is not a code list: no recodes proposed, none listed.
MAX_CODES = 60


# --- One file described -------------------------------------------------------------------------------


@dataclass
class Column:
    """One source column as the assistant sees it."""

    name: str
    words: tuple[str, ...]
    rows: int
    filled: int
    distinct: int
    counts: Counter  # value -> rows, for the most frequent values
    shape: str  # empty, datetime, date, time, int, number, bool, text
    formats: tuple[str, ...] = ()
    ambiguous: tuple[str, str] | None = None
    all_unique: bool = False

    @property
    def fill(self) -> float:
        return self.filled / self.rows if self.rows else 0.0

    def share(self, test) -> float:
        """The share of filled rows (among the sampled values) for which ``test(value)`` holds."""
        total = sum(self.counts.values())
        return sum(n for v, n in self.counts.items() if test(v)) / total if total else 0.0


@dataclass
class FileProfile:
    path: Path
    rows: int
    columns: dict[str, Column]
    words: tuple[str, ...]  # of the file's name


def as_numbers(values) -> pd.Series:
    return pd.to_numeric(pd.Series(list(values), dtype="object").str.replace(",", "", regex=False), errors="coerce")


def datetime_shape(values: list[str], words: tuple[str, ...]) -> tuple[str, tuple[str, ...], tuple[str, str] | None] | None:
    """(shape, formats, ambiguous pair) when nearly every value is a date, a datetime or (for a header that
    says time) a time of day; the formats are those the loader would infer."""
    series = pd.Series(values, dtype="object")
    if series.str.contains(r"\d", regex=True).mean() < 0.9:
        return None
    if "time" in words or "hour" in words:
        text = series
        if series.str.fullmatch(r"\d{1,4}").all():
            text = series.str.zfill(4)  # HHMM stored as a number, as the loader reads it
        try:
            parsed, used = parse_datetimes("1900-01-01 " + text, (), "UTC", candidates=tuple("%Y-%m-%d " + f for f in TIME_CANDIDATES))
        except AmbiguousFormat as exc:
            # "1805" is 18:05 (HHMM) or 18:00:05 (HHMMSS): the format with fewer parts, as the loader's
            # reading of a whole number of up to four digits has it.
            chosen = min(exc.formats, key=lambda f: f.count("%"))
            parsed, used = parse_datetimes("1900-01-01 " + text, (chosen,), "UTC"), [chosen]
            parsed = parsed[0]
        if used and parsed.notna().mean() >= 0.9:
            return "time", tuple(f.removeprefix("%Y-%m-%d ") for f in used), None
    if series.str.fullmatch(r"-?\d+(\.\d+)?").mean() > 0.5 and not series.str.fullmatch(r"\d{8}").all():
        return None  # numbers, not dates (an 8-digit YYYYMMDD column is let through)
    ambiguous = None
    try:
        parsed, used = parse_datetimes(series, (), "UTC")
    except AmbiguousFormat as exc:
        # Month first is the US custom: proposed, and said to be a decision.
        first, second = exc.formats
        chosen = first if first.find("%m") < first.find("%d") else second
        ambiguous = exc.formats
        parsed, used = parse_datetimes(series, (chosen,), "UTC")
        used = [chosen]
    if not used or parsed.notna().mean() < 0.9:
        return None
    formats = tuple(dict.fromkeys(f.removesuffix("%z") for f in used))
    has_time = any(re.search(r"%[HIMSp]", f) for f in formats)
    return ("datetime" if has_time else "date"), formats, ambiguous


def profile_column(name: str, series: pd.Series, missing: tuple[str, ...] = DEFAULT_MISSING) -> Column:
    """Describe one column of text cells: words, fill, distinct values and shape."""
    words = header_words(name)
    rows = len(series)
    present = series[~series.isin(missing) & series.notna()].astype(str)
    counts = Counter(present.value_counts().head(SAMPLE_VALUES).to_dict())
    column = Column(name, words, rows, len(present), int(present.nunique()), counts, "empty")
    if present.empty:
        return column
    column.all_unique = column.distinct == len(present)
    values = list(counts)
    lowered = {_norm_key(v) for v in values}
    if lowered <= set(registry.BOOL_TRUE) | set(registry.BOOL_FALSE) | set(DEFAULT_TRUE_FLAGS) and not lowered <= {"0", "1"}:
        column.shape = "bool"
        return column
    dated = datetime_shape(values, words)
    if dated is not None:
        column.shape, column.formats, column.ambiguous = dated
        return column
    numbers = as_numbers(values)
    if numbers.notna().all():
        column.shape = "int" if (numbers == numbers.round()).all() else "number"
        if lowered <= {"0", "1"}:
            column.shape = "bool" if column.distinct == 2 else column.shape
    else:
        column.shape = "text"
    return column


def profile_file(path: Path) -> FileProfile:
    """Read a raw file as the loader does and describe every column (once per file as it is now)."""
    path = Path(path)
    stat = path.stat()
    return _profile_file(path.resolve(), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _profile_file(path: Path, _mtime_ns: int, _size: int) -> FileProfile:
    frame, _encoding, _warnings = read_raw(Path(path))
    if len(frame):
        # Rows the loader leaves out before any field is read (blank, or the header again) say nothing
        # about the columns' values.
        blank, header = _blank_and_header(frame)
        frame = frame[~(blank | header).to_numpy()]
    columns = {}
    for name in frame.columns:
        if name in columns:
            continue  # a header named twice: the loader reads the first
        series = frame[name]
        if isinstance(series, pd.DataFrame):
            series = series.iloc[:, 0]
        columns[name] = profile_column(name, series)
    stem = re.sub(r"[_\-.]+", " ", Path(path).stem)
    return FileProfile(Path(path), len(frame), columns, header_words(stem))


# --- Candidates: a column, or columns joined (a date and a time, year/month/day) ----------------------


@dataclass(frozen=True)
class Candidate:
    """A way to fill a field: the `columns:` value for agency.yml and the columns it uses."""

    spec: object  # str, or a dict for date/time parts
    columns: tuple[str, ...]
    words: tuple[str, ...]
    shape: str
    formats: tuple[str, ...] = ()
    fill: float = 0.0
    what: str = ""


def datetime_candidates(profile: FileProfile) -> list[Candidate]:
    """Every way the file gives a datetime: a column, a date column and a time column with the same
    stem (OCCURRED_D and OCCURRED_T), or a date spread over year, month and day columns."""
    cols = profile.columns
    out = []
    dates = [c for c in cols.values() if c.shape in ("datetime", "date")]
    times = [c for c in cols.values() if c.shape == "time"]
    paired = set()
    for d in dates:
        if d.shape != "date":
            continue
        for t in times:
            if stem(d.words) == stem(t.words) and t.name not in paired:
                out.append(Candidate({"date": d.name, "time": t.name}, (d.name, t.name), stem(d.words), "datetime",
                                     d.formats + t.formats, d.fill, "a date column and a time column"))
                paired |= {d.name, t.name}
                break
    for d in dates:
        if d.name not in paired:
            out.append(Candidate(d.name, (d.name,), stem(d.words), d.shape, d.formats, d.fill,
                                 "dates and times" if d.shape == "datetime" else "dates"))

    def part(word_set: set[str], low: int, high: int) -> Column | None:
        for c in cols.values():
            if c.shape == "int" and set(c.words) & word_set:
                numbers = as_numbers(c.counts)
                if numbers.min() >= low and numbers.max() <= high:
                    return c
        return None

    year, month, day = part({"year"}, 1900, 2100), part({"month"}, 1, 12), part({"day", "date"}, 1, 31)
    if year and month and day:
        spec = {"year": year.name, "month": month.name, "day": day.name}
        used = [year.name, month.name, day.name]
        formats: tuple[str, ...] = ()
        clocks = [c for c in cols.values() if "time" in c.words and c.shape in ("time", "int") and c.name not in paired]
        clock = min(clocks, key=lambda c: len(stem(c.words)), default=None)  # a bare "Time" first
        if clock is not None:
            shaped = datetime_shape(list(clock.counts), ("time",))
            if shaped and shaped[0] == "time":
                spec["time"] = clock.name
                used.append(clock.name)
                formats = shaped[1]
        out.append(Candidate(spec, tuple(used), (), "datetime", formats, year.fill, "a date spread over year, month and day columns"))
    return out

