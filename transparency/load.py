"""Raw agency files -> canonical tables, with every row accounted for and person identifiers hashed.

The one public entry point is :func:`load_dataset`. For each input file, rows read = rows used + rows
excluded (by reason). Columns the configuration does not map never leave this module.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import registry
from .config import Agency, FieldSource, FileGroup
from .errors import DataError

# --- Results --------------------------------------------------------------------------------------------


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
    exclude the row; ``notes`` are sentences for the data-quality appendix.
    """

    dataset: str
    table: pd.DataFrame
    files: list[FileAccount]
    unmapped: dict[str, dict[str, int]] = field(default_factory=dict)
    issues: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    recorded: list[str] = field(default_factory=list)

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


# --- Reading one file as text ---------------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _row_of_offset(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _decode(path: Path, data: bytes, encoding: str | None) -> tuple[str, str, list[str]]:
    """Bytes -> text. Without a configured encoding: UTF-8 (BOM allowed), else Windows-1252, reported."""
    warnings: list[str] = []
    if encoding:
        try:
            return data.decode(encoding), encoding, warnings
        except UnicodeDecodeError as exc:
            raise DataError(str(path), f"is not valid {encoding} (byte {exc.start})", row=_row_of_offset(data, exc.start)) from None
        except LookupError:
            raise DataError(str(path), f"unknown encoding '{encoding}'") from None
    try:
        text = data.decode("utf-8-sig")
        return text, ("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"), warnings
    except UnicodeDecodeError as exc:
        row = _row_of_offset(data, exc.start)
    for fallback in ("cp1252", "latin-1"):
        try:
            text = data.decode(fallback)
        except UnicodeDecodeError:
            continue
        name = "Windows-1252" if fallback == "cp1252" else "Latin-1"
        warnings.append(f"not valid UTF-8 (first at row {row}); read as {name}")
        return text, fallback, warnings
    raise AssertionError("latin-1 decodes any bytes")


_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_OPEN_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")


def _parser_problem(message: str) -> tuple[str, int | None]:
    """pandas' CSV parser message in plain words, with the spreadsheet row it is about."""
    fields = _FIELDS.search(message)
    if fields:
        expected, line, saw = (int(g) for g in fields.groups())
        return f"is not a well-formed CSV file (the row has {saw} cells but the header names {expected})", line
    quote = _OPEN_QUOTE.search(message)
    if quote:  # pandas counts these rows from 0
        return "is not a well-formed CSV file (a quoted cell starts here and its closing quote is missing)", int(quote.group(1)) + 1
    return f"is not a well-formed CSV file ({message.replace('Error tokenizing data. C error: ', '').strip()})", None


def read_raw(path: Path, encoding: str | None = None, sheet=None, delimiter: str | None = None) -> tuple[pd.DataFrame, str, list[str]]:
    """Read a CSV/TSV/Excel file as text cells (no type guessing, nothing turned into NaN), trimmed.

    Returns the frame (columns are the trimmed header names), the encoding used and warnings.
    """
    suffix = path.suffix.lower()
    if path.stat().st_size == 0:
        raise DataError(str(path), "the file is empty (0 bytes)")
    if suffix in (".xlsx", ".xlsm", ".xls"):
        try:
            frame = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, dtype=str, header=0, keep_default_na=False, na_filter=False)
        except Exception as exc:  # openpyxl raises many types for a damaged workbook
            raise DataError(str(path), f"cannot be read as an Excel workbook ({type(exc).__name__}: {exc})") from None
        frame = frame.fillna("").astype(str)
        encoding_used, warnings = "xlsx", []
    else:
        data = path.read_bytes()
        if b"\x00" in data[:1 << 20] or b"\x00" in data:
            offset = data.find(b"\x00")
            raise DataError(str(path), "contains NUL bytes: it is binary, damaged, or UTF-16 (save it as UTF-8 CSV)", row=_row_of_offset(data, offset))
        text, encoding_used, warnings = _decode(path, data, encoding)
        if not text.strip():
            raise DataError(str(path), "the file is empty (no header row)")
        sep = delimiter or ("\t" if suffix in (".tsv", ".tab") else ",")
        try:
            frame = pd.read_csv(
                io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_filter=False,
                skip_blank_lines=False, engine="c", quoting=csv.QUOTE_MINIMAL,
            )
        except pd.errors.ParserError as exc:
            raise DataError(str(path), *_parser_problem(str(exc))) from None
        except pd.errors.EmptyDataError:
            raise DataError(str(path), "the file is empty (no header row)") from None
        if not isinstance(frame.index, pd.RangeIndex):
            # pandas takes a first column that the header does not name as the index: every row has a cell
            # more than the header names, so the columns would be shifted by one.
            raise DataError(str(path), f"is not a well-formed CSV file (the rows have {len(frame.columns) + 1} cells "
                            f"but the header names {len(frame.columns)})", row=2)
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    for column in frame.columns:
        # A short row leaves its last cells missing: they are empty cells, never the text "nan".
        frame[column] = frame[column].fillna("").astype(str).str.strip()
    return frame, encoding_used, warnings


# --- Datetimes ------------------------------------------------------------------------------------------

_DATE_FORMATS = (
    "%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y", "%d/%m/%Y", "%m-%d-%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y%m%d",
    "%m/%d/%y", "%d/%m/%y", "%d-%b-%Y", "%d-%b-%y", "%b %d, %Y", "%B %d, %Y",
)
_TIME_SUFFIXES = (
    "", " %H:%M", " %H:%M:%S", " %H:%M:%S.%f", " %I:%M %p", " %I:%M:%S %p", " %I:%M%p",
    "T%H:%M:%S", "T%H:%M:%S.%f", "T%H:%M",
)
DATETIME_CANDIDATES = tuple(d + t for d in _DATE_FORMATS for t in _TIME_SUFFIXES)
TIME_CANDIDATES = ("%H:%M:%S", "%H:%M", "%H:%M:%S.%f", "%I:%M %p", "%I:%M:%S %p", "%I:%M%p", "%H%M", "%H%M%S")
# A UTC offset after a clock time ("05:00:00+00", "T05:00Z"); a bare date such as 2017-01-05 has none.
_OFFSET = re.compile(r"(?<=\d:\d\d)(?::\d\d(?:\.\d+)?)?\s*(?:Z|[+-]\d\d(?::?\d\d)?)$")
_OFFSET_ONLY = re.compile(r"\s*(?:Z|[+-]\d\d(?::?\d\d)?)$")


class AmbiguousFormat(Exception):
    def __init__(self, example: str, formats: tuple[str, str]):
        self.example, self.formats = example, formats


def _try(values: pd.Series, fmt: str) -> pd.Series:
    return pd.to_datetime(values, format=fmt, errors="coerce")


def infer_formats(uniques: pd.Series, candidates: tuple[str, ...]) -> list[str]:
    """The formats that read these values: a greedy cover, most values first.

    Raises AmbiguousFormat when two formats read the same text as different dates and neither is
    preferred by the data (every value fits both, such as 03/04/2021 day-first or month-first).
    """
    values = uniques.dropna()
    if values.empty:
        return []
    probe = values.iloc[:: max(1, len(values) // 60)].iloc[:60]
    viable = [fmt for fmt in candidates if _try(probe, fmt).notna().any()]
    if not viable:
        return []
    sample = values if len(values) <= 4000 else values.iloc[:: len(values) // 4000]
    parsed = {fmt: _try(sample, fmt) for fmt in viable}
    chosen: list[str] = []
    remaining = pd.Series(True, index=sample.index)
    while remaining.any():
        scores = {fmt: int((parsed[fmt].notna() & remaining).sum()) for fmt in viable if fmt not in chosen}
        if not scores:
            break
        best_score = max(scores.values())
        if best_score == 0:
            break
        tied = [fmt for fmt, score in scores.items() if score == best_score]
        best = tied[0]
        for other in tied[1:]:
            both = parsed[best].notna() & parsed[other].notna() & remaining
            differ = both & (parsed[best] != parsed[other])
            if differ.any():
                raise AmbiguousFormat(str(sample[differ].iloc[0]), (best, other))
        chosen.append(best)
        remaining &= parsed[best].isna()
    return chosen


def parse_datetimes(values: pd.Series, formats: tuple[str, ...], timezone: str, candidates=DATETIME_CANDIDATES) -> tuple[pd.Series, list[str]]:
    """Parse text to naive local datetimes; values that no format reads become NaT.

    A value with an explicit UTC offset is converted to the agency's time zone; nothing else is
    converted, so a row's local date (and so its period) is never moved.
    Returns the parsed series and the formats used.
    """
    present = values.dropna()
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if present.empty:
        return out, []
    # Mostly-unique columns (timestamps) are parsed whole; repetitive ones (dates) once per distinct value.
    repetitive = present.nunique() < 0.5 * len(present)
    uniques = pd.Series(present.unique()) if repetitive else present.reset_index(drop=True)
    probe = uniques.iloc[:: max(1, len(uniques) // 500)]
    has_offset = probe.str.contains(_OFFSET, regex=True).mean() > 0.5
    if has_offset:
        normalised = uniques.str.replace(r"([+-]\d\d)$", r"\g<1>00", regex=True).str.replace(r"Z$", "+0000", regex=True)
        stripped = normalised.str.replace(_OFFSET_ONLY, "", regex=True).str.strip()
        fmts = list(formats) or infer_formats(stripped, candidates)
        parsed = pd.Series(pd.NaT, index=uniques.index, dtype="datetime64[ns]")
        for fmt in fmts:
            todo = parsed.isna()
            if not todo.any():
                break
            aware = pd.to_datetime(normalised[todo], format=fmt + "%z", errors="coerce", utc=True)
            local = aware.dt.tz_convert(zoneinfo.ZoneInfo(timezone)).dt.tz_localize(None)
            parsed[todo] = local.astype("datetime64[ns]")
        used = [f + "%z" for f in fmts]
    else:
        fmts = list(formats) or infer_formats(uniques, candidates)
        parsed = pd.Series(pd.NaT, index=uniques.index, dtype="datetime64[ns]")
        for fmt in fmts:
            todo = parsed.isna()
            if not todo.any():
                break
            parsed[todo] = _try(uniques[todo], fmt).astype("datetime64[ns]")
        # Formats are inferred from a sample: a rarer format among the values left over gets its own look.
        while not formats and parsed.isna().any():
            extra = [f for f in infer_formats(uniques[parsed.isna()], candidates) if f not in fmts]
            if not extra:
                break
            for fmt in extra:
                todo = parsed.isna()
                parsed[todo] = _try(uniques[todo], fmt).astype("datetime64[ns]")
            fmts += extra
        used = fmts
    if repetitive:
        lookup = pd.Series(parsed.values, index=uniques.values)
        out.loc[present.index] = present.map(lookup).astype("datetime64[ns]").values
    else:
        out.loc[present.index] = parsed.values
    return out, used


# --- Turning source columns into canonical fields -------------------------------------------------------


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
        result = result.fillna(candidate)
    return result, present[0]


def _recode(ctx: _Context, field_name: str) -> dict[str, object]:
    recodes = ctx.agency.dataset(ctx.spec.name).values.get(field_name, {})
    return {_norm_key(k): v for k, v in recodes.items()}


def _text_field(ctx: _Context, field_name: str, source: FieldSource) -> tuple[pd.Series, str]:
    """The field's raw text (alternatives resolved, missing as NA) and the column named in errors."""
    if source.kind == "column":
        series, col = _first_present(ctx, source, field_name)
        if source.count_sep:
            counts = series.str.split(source.count_sep, regex=False).map(
                lambda items: sum(1 for item in items if item.strip()) if isinstance(items, list) else pd.NA
            )
            return counts.astype("Float64").astype("string"), col
        return series.astype("string"), col
    raise AssertionError(source.kind)


def _convert(ctx: _Context, field_name: str, text: pd.Series, column: str) -> pd.Series:
    """Typed canonical values from text; unmapped and unreadable values are counted, never dropped."""
    fspec = ctx.spec.fields[field_name]
    recodes = _recode(ctx, field_name)
    blank_recode = recodes.get("")
    if fspec.type in ("id",):
        out = text.astype("string")
        if ctx.agency.dataset(ctx.spec.name).normalize_ids:
            out = out.str.upper().str.replace(r"[\s\-\.]", "", regex=True)
        return out
    if fspec.type == "pseudonym":
        from .keys import pseudonymise

        return pseudonymise(text, ctx.key)
    if fspec.type == "category":
        out = text.astype("string")
        long = (out.str.len() > MAX_LABEL).fillna(False)
        if long.any():
            ctx.count_issue(f"{field_name}: longer than {MAX_LABEL} characters (shortened)", long)
            out = out.mask(long, out.str.slice(0, MAX_LABEL - 1) + "…")
        if recodes:
            mapping = {v: recodes.get(_norm_key(v)) for v in out.dropna().unique()}
            mapped = out.map({k: str(v) for k, v in mapping.items() if v is not None})
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
        out = text.map(mapping)
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


_TIME_DIRECTIVE = re.compile(r"[ T]?%[HIMSfpz]")


def _split_format(fmt: str) -> tuple[str, str]:
    """A datetime format for separate date and time columns: ("%m/%d/%Y %H:%M") -> ("%m/%d/%Y", "%H:%M").

    A format with only date directives is the date's; one with only time directives is the time's.
    """
    match = _TIME_DIRECTIVE.search(fmt)
    if match is None:
        return fmt, ""
    date_part = fmt[: match.start()].strip()
    time_part = fmt[match.start():].lstrip(" T")
    if not date_part:
        return "", time_part
    return date_part, time_part


def _datetime_field(ctx: _Context, field_name: str, source: FieldSource) -> tuple[pd.Series, pd.Series, str]:
    """(parsed datetimes, mask of values present but unreadable, the column named in errors)."""
    formats = source.format or ctx.group.datetime_format
    tz = ctx.agency.timezone
    col = source.columns[0] if source.columns else dict(source.parts).get("date", dict(source.parts).get("year"))
    try:
        if source.kind == "column":
            text, col = _first_present(ctx, source, field_name)
            parsed, _ = parse_datetimes(text, formats, tz)
            return parsed, parsed.isna() & text.notna(), col
        parts = dict(source.parts)
        if "date" in parts:
            col = parts["date"]
            date_text = ctx.column(col, field_name).where(~ctx.missing_mask(ctx.column(col, field_name), source))
            date_formats = tuple(_split_format(f)[0] for f in formats)
            dates, _ = parse_datetimes(date_text, tuple(f for f in date_formats if f), tz)
            dates = dates.dt.normalize()
            bad = dates.isna() & date_text.notna()
        else:
            col = parts["year"]
            numbers = {}
            for part in ("year", "month", "day"):
                raw = ctx.column(parts[part], field_name)
                numbers[part] = pd.to_numeric(raw.where(~ctx.missing_mask(raw, source)), errors="coerce")
            frame = pd.DataFrame(numbers)
            dates = pd.to_datetime(frame, errors="coerce").astype("datetime64[ns]")
            bad = dates.isna() & frame.notna().all(axis=1)
        if "time" in parts:
            raw_time = ctx.column(parts["time"], field_name)
            time_text = raw_time.where(~ctx.missing_mask(raw_time, source))
            present_times = time_text.dropna()
            if len(present_times) and present_times.str.fullmatch(r"\d{1,4}").all():
                time_text = time_text.str.zfill(4)  # HHMM stored as an integer: 234 is 02:34
            time_formats = tuple(t for t in (_split_format(f)[1] for f in formats) if t)
            times, _ = parse_datetimes("1900-01-01 " + time_text, tuple("%Y-%m-%d " + f for f in time_formats), tz,
                                       candidates=tuple("%Y-%m-%d " + f for f in TIME_CANDIDATES))
            offsets = times - pd.Timestamp("1900-01-01")
            unreadable_time = times.isna() & time_text.notna()
            if unreadable_time.any():
                ctx.count_issue(f"{field_name}: time unreadable (date kept)", (unreadable_time & dates.notna()))
            no_time = time_text.isna() & dates.notna()
            if no_time.any():
                ctx.count_issue(f"{field_name}: time not recorded (date kept)", no_time)
            dates = dates + offsets.fillna(pd.Timedelta(0))
        return dates, bad, col
    except AmbiguousFormat as exc:
        raise DataError(
            str(ctx.path),
            f"dates such as '{exc.example}' can be read as {exc.formats[0]} or {exc.formats[1]}; "
            f"set datetime_format for {field_name} in agency.yml",
            column=col,
        ) from None


def _extract(ctx: _Context) -> tuple[pd.DataFrame, pd.Series]:
    """Canonical columns for one file's kept rows, and each row's exclusion reason (or NA)."""
    spec, agency = ctx.spec, ctx.agency
    n = len(ctx.frame)
    out: dict[str, pd.Series] = {}
    reason = pd.Series(pd.NA, index=ctx.frame.index, dtype="string")
    sources = ctx.group.columns
    event = spec.event

    def exclude(mask: pd.Series, why: str) -> None:
        nonlocal reason
        reason = reason.where(~(mask & reason.isna()), why)

    # The event date first: other fields (age from year of birth) depend on it.
    ordered = [event] + [f for f in sources if f != event]
    for field_name in ordered:
        if field_name not in sources:
            continue
        source = sources[field_name]
        fspec = spec.fields[field_name]
        if source.kind == "const":
            text = pd.Series([str(source.const)] * n, index=ctx.frame.index, dtype="string")
            out[field_name] = _convert(ctx, field_name, text, "(constant)") if fspec.type != "datetime" else pd.to_datetime(text)
            continue
        if source.kind == "synthetic":
            cols = list(source.columns) or [c for c in ctx.frame.columns if c not in _row_id_columns(agency, spec.name)]
            for c in cols:
                ctx.column(c, field_name)
            hashed = pd.util.hash_pandas_object(ctx.frame[cols], index=False).astype("uint64")
            out[field_name] = pd.Series([f"S{h:016x}" for h in hashed.to_numpy()], index=ctx.frame.index, dtype="string")
            continue
        if fspec.type == "datetime":
            parsed, bad, col = _datetime_field(ctx, field_name, source)
            if field_name == event:
                _require_some(ctx, parsed.mask(bad, pd.Timestamp(0)), col, field_name)
                exclude(parsed.isna() & ~bad, f"missing_{field_name}")
                exclude(bad, f"unparseable_{field_name}")
                readable = parsed.notna().sum()
                if len(parsed) and bad.sum() > readable:
                    first = int(np.flatnonzero(bad.to_numpy())[0])
                    raise DataError(
                        str(ctx.path),
                        f"most dates cannot be read (for example '{ctx.frame[col].iloc[first]}'); "
                        "set datetime_format in agency.yml",
                        row=int(ctx.row_numbers[first]), column=col,
                    )
                ctx.event_dates = parsed
            elif bad.any():
                ctx.count_issue(f"{field_name}: unreadable date", bad)
            out[field_name] = parsed
            continue
        if source.kind == "race_ethnicity":
            race_text, col = _first_present(ctx, FieldSource("column", columns=source.columns, literal=source.literal, missing=source.missing), field_name)
            race = _convert(ctx, field_name, race_text.astype("string"), col)
            eth_col = dict(source.parts)["ethnicity"]
            ethnicity = ctx.column(eth_col, field_name)
            hispanic = ethnicity.map(_norm_key).isin({_norm_key(v) for v in source.hispanic})
            out[field_name] = race.where(~hispanic, "Hispanic").astype("string")
            continue
        if source.kind == "first_of":
            label = pd.Series(pd.NA, index=ctx.frame.index, dtype="string")
            for column, name in reversed(source.parts):
                cells = ctx.column(column, field_name)
                present = ~ctx.missing_mask(cells, source)
                label = label.mask(present, name)
            if source.const is not None:
                label = label.fillna(str(source.const))
            out[field_name] = _convert(ctx, field_name, label, source.parts[0][0])
            continue
        if source.kind == "year_of_birth":
            text, col = _first_present(ctx, FieldSource("column", columns=source.columns, missing=source.missing), field_name)
            years = pd.to_numeric(text, errors="coerce")
            if ctx.event_dates is None:
                raise DataError(str(ctx.path), f"{field_name} from a year of birth needs the event date {event}")
            ages = (ctx.event_dates.dt.year - years).astype("Float64")
            impossible = ((ages < 0) | (ages > 110)).fillna(False)
            if impossible.any():
                ctx.count_issue(f"{field_name}: impossible age (below 0 or above 110)", impossible)
            bad = years.isna() & text.notna()
            if bad.any():
                ctx.count_issue(f"{field_name}: year of birth not a number", bad)
            out[field_name] = ages.mask(impossible)
            continue
        text, col = _text_field(ctx, field_name, source)
        values = _convert(ctx, field_name, text, col)
        out[field_name] = values
        if fspec.required:
            _require_some(ctx, values, col, field_name)
            exclude(values.isna(), f"missing_{field_name}")

    table = pd.DataFrame(out, index=ctx.frame.index)
    # Out-of-range event dates (placeholders such as 1900-01-01, or a year typed as 2202).
    if event in table:
        dates = table[event]
        low = pd.Timestamp(agency.model.valid_dates.from_)
        exclude(dates.notna() & (dates < low), f"out_of_range_{event}")
        # Nothing can have happened after today (in the agency's time zone): a typed 2202 for 2022.
        today = pd.Timestamp(dt.datetime.now(zoneinfo.ZoneInfo(agency.timezone)).date())
        exclude(dates.notna() & (dates >= today + pd.Timedelta(days=1)), f"out_of_range_{event}")
    return table, reason


def _require_some(ctx: _Context, values: pd.Series, column: str, field_name: str) -> None:
    """A required field that is empty in every row is a mapping mistake, not a data-quality finding."""
    if len(values) and values.isna().all():
        raise DataError(
            str(ctx.path), f"is empty in every row, but {field_name} is required",
            row=int(ctx.row_numbers[0]), column=column,
        )


def _row_id_columns(agency: Agency, dataset: str) -> list[str]:
    row_id = agency.dataset(dataset).row_id
    if row_id is None:
        return []
    return [row_id] if isinstance(row_id, str) else list(row_id)


def _blank_and_header(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    blank = (frame == "").all(axis=1)
    names = pd.Series([c.casefold() for c in frame.columns], index=frame.columns)
    equal = pd.DataFrame({c: frame[c].str.casefold() == names[c] for c in frame.columns})
    nonempty = (frame != "").sum(axis=1)
    header = (equal.sum(axis=1) >= min(2, len(frame.columns))) & (equal.sum(axis=1) == nonempty) & ~blank
    return blank, header


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


# --- Related long tables ----------------------------------------------------------------------------------


def _load_related(agency: Agency, dataset: str, key: bytes | None, files_out: list[FileAccount],
                  unmapped: dict, issues: Counter) -> list[tuple[str, pd.DataFrame]]:
    """Each related table aggregated per key: [(main key column, frame indexed by key, config, rows per key)]."""
    spec = registry.dataset(dataset)
    results = []
    for rel in agency.dataset(dataset).related:
        (rel_key, main_key), = rel.key.items()
        frames = []
        for pattern in rel.files:
            for path in _glob(agency, pattern):
                frame, encoding_used, warnings = read_raw(path, rel.encoding, rel.sheet, rel.delimiter)
                account = FileAccount(_display(agency, path), file_sha256(path), encoding_used, len(frame), role="related", warnings=warnings)
                blank, header = _blank_and_header(frame)
                account.excluded.update({"blank_row": int(blank.sum()), "header_row": int(header.sum())})
                account.excluded = +account.excluded
                frame = frame.loc[~(blank | header)]
                if rel_key not in frame.columns:
                    raise DataError(str(path), f"has no key column '{rel_key}' (configured in related)")
                group = FileGroup(pattern, {}, (), None, None, tuple(rel.missing_values or agency.file_groups[dataset][0].missing_values), None)
                ctx = _Context(agency, spec, group, path, frame, np.arange(len(frame)) + 2, unmapped, issues, key)
                columns = {"__key": frame[rel_key]}
                for field_name, rf in rel.fields.items():
                    if rf.column:
                        text = ctx.column(rf.column, field_name)
                        text = text.where(~text.isin(set(group.missing_values))).astype("string")
                        if rf.agg in ("any",):
                            if spec.fields[field_name].type == "bool":
                                columns[field_name] = _convert(ctx, field_name, text, rf.column).fillna(False).astype(bool)
                            else:
                                columns[field_name] = text.notna().astype(bool)
                        elif rf.agg in ("sum", "max", "min"):
                            columns[field_name] = pd.to_numeric(text, errors="coerce")
                        elif rf.agg == "most_serious":
                            recodes = _recode(ctx, field_name)
                            columns[field_name] = text.map(lambda v, r=recodes: str(r.get(_norm_key(v), v)) if isinstance(v, str) else v)
                        else:
                            columns[field_name] = text
                ctx.settle_issues()
                frames.append(pd.DataFrame(columns))
                files_out.append(account)
        related = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({"__key": []})
        grouped = related.groupby("__key", sort=False)
        aggregated = {}
        for field_name, rf in rel.fields.items():
            if rf.agg == "any_row":
                aggregated[field_name] = grouped.size() > 0
            elif rf.agg == "count":
                aggregated[field_name] = grouped.size().astype("Float64")
            elif rf.agg == "any":
                aggregated[field_name] = grouped[field_name].any()
            elif rf.agg in ("sum", "max", "min"):
                aggregated[field_name] = getattr(grouped[field_name], rf.agg)().astype("Float64")
            elif rf.agg == "first":
                aggregated[field_name] = grouped[field_name].first()
            elif rf.agg == "list":
                aggregated[field_name] = grouped[field_name].agg(lambda s, sep=rf.sep: sep.join(sorted(set(s.dropna()))))
            elif rf.agg == "most_serious":
                # Rank by `order` (compared ignoring case and spaces); values not in it rank last.
                rank = {_norm_key(value): i for i, value in enumerate(rf.order)}
                ranks = related[field_name].map(lambda v, r=rank: r.get(_norm_key(v), len(r)) if isinstance(v, str) else np.nan)
                best = related.assign(__rank=ranks).dropna(subset=["__rank"]).sort_values("__rank", kind="stable")
                aggregated[field_name] = best.drop_duplicates("__key").set_index("__key")[field_name]
        results.append((main_key, pd.DataFrame(aggregated), rel, grouped.size()))
    return results


# --- The dataset ------------------------------------------------------------------------------------------


def _glob(agency: Agency, pattern: str) -> list[Path]:
    matches = sorted(p for p in agency.raw_root.glob(pattern) if p.is_file())
    if not matches:
        raise DataError(str(agency.raw_root / pattern), "matches no file (check `files` in agency.yml)")
    root = agency.raw_root.resolve()
    for path in matches:
        if root not in path.resolve().parents:
            raise DataError(str(path), "lies outside the agency's folder (a link?)")
    return matches


def _display(agency: Agency, path: Path) -> str:
    try:
        return str(path.relative_to(agency.raw_root))
    except ValueError:
        return str(path)


def load_dataset(agency: Agency, dataset: str, key: bytes | None = None) -> LoadResult:
    """Load one dataset of an agency into its canonical table.

    Parameters
    ----------
    agency : Agency
        From :func:`transparency.config.load_agency`.
    dataset : str
        A canonical dataset name the agency configures.
    key : bytes, optional
        The pseudonymisation key; read from the agency's key file when the dataset maps a
        person identifier and no key is given.

    Raises
    ------
    DataError
        When a file cannot be used as configured: the message names the file, row and column.
    """
    spec = registry.dataset(dataset)
    config = agency.dataset(dataset)
    needs_key = any(
        spec.fields[f].type == "pseudonym" for g in agency.file_groups[dataset] for f in g.columns
    )
    if needs_key and key is None:
        from .keys import read_key

        key = read_key(agency.slug)
    unmapped: dict[str, Counter] = {}
    issues: Counter = Counter()
    notes: list[str] = []
    files: list[FileAccount] = []
    row_ids = _row_id_columns(agency, dataset)

    # Read every file first: duplicate rows are judged across the dataset's files.
    raw = []
    seen: dict[Path, str] = {}
    for group in agency.file_groups[dataset]:
        for path in _glob(agency, group.glob):
            if path in seen:
                raise DataError(str(path), f"is matched by two `files` entries ('{seen[path]}' and '{group.glob}'); "
                                "each file may be read once")
            seen[path] = group.glob
            frame, encoding_used, warnings = read_raw(path, group.encoding, group.sheet, group.delimiter)
            account = FileAccount(_display(agency, path), file_sha256(path), encoding_used, len(frame), warnings=warnings)
            if frame.empty:
                account.warnings.append("the file has a header but no rows")
            blank, header = _blank_and_header(frame)
            compare = [c for c in frame.columns if c not in row_ids]
            hashes = pd.util.hash_pandas_object(frame[compare], index=False).to_numpy()
            salt = np.uint64(int(hashlib.sha256("\x1f".join(compare).encode()).hexdigest()[:15], 16))
            raw.append((group, path, frame, account, blank.to_numpy(), header.to_numpy(), hashes ^ salt))
            files.append(account)
    all_hashes = np.concatenate([r[6] for r in raw]) if raw else np.array([], dtype=np.uint64)
    eligible = np.concatenate([~(r[4] | r[5]) for r in raw]) if raw else np.array([], dtype=bool)
    duplicated = np.zeros(len(all_hashes), dtype=bool)
    if config.duplicate_rows == "exclude" and len(all_hashes):
        series = pd.Series(np.where(eligible, all_hashes, 0))
        duplicated = series.duplicated().to_numpy() & eligible

    related = _load_related(agency, dataset, key, files, unmapped, issues) if config.related else []

    tables = []
    offset = 0
    matched_keys: dict[int, set] = {}
    for group, path, frame, account, blank, header, _ in raw:
        n = len(frame)
        dup = duplicated[offset: offset + n]
        offset += n
        excluded_reason = np.full(n, None, dtype=object)
        excluded_reason[blank] = "blank_row"
        excluded_reason[header & (excluded_reason == None)] = "header_row"  # noqa: E711
        excluded_reason[dup & (excluded_reason == None)] = "duplicate_row"  # noqa: E711
        keep = excluded_reason == None  # noqa: E711
        rows = np.arange(n) + 2
        work = frame.loc[keep].reset_index(drop=True)
        work_rows = rows[keep]
        if config.explode:
            work, work_rows = _explode(work, work_rows, config.explode, issues)
        no_flag = None
        if config.unpivot:
            work, work_rows, _ = _unpivot(work, work_rows, config.unpivot, path, group.missing_values)
            no_flag = (work["__unpivot"] == "").to_numpy()
        ctx = _Context(agency, spec, group, path, work, work_rows, unmapped, issues, key)
        if config.explode or config.unpivot:
            ctx.first = ~pd.Series(work_rows).duplicated().to_numpy()
        table, reason = _extract(ctx)
        if config.unpivot:
            field_name = config.unpivot.field
            table[field_name] = _convert(ctx, field_name, work["__unpivot"].where(~no_flag).astype("string"), "(flags)")
            if config.unpivot.value:
                value_field = config.unpivot.value
                table[value_field] = _convert(ctx, value_field, work["__value"].where(~no_flag).astype("string"), "(values)")
            reason = reason.where(~(pd.Series(no_flag, index=reason.index) & reason.isna()), f"no_{field_name}")
        for number, (main_key, aggregated, rel, _) in enumerate(related):
            if main_key not in work.columns:
                raise DataError(str(path), f"has no column '{main_key}' (the key of a related table)")
            keys = work[main_key]
            matched_keys.setdefault(number, set()).update(keys.unique())
            for field_name, rf in rel.fields.items():
                values = keys.map(aggregated[field_name])
                if rf.agg in ("any", "any_row"):
                    values = values.fillna(False).astype("boolean")
                elif rf.agg == "count":
                    values = values.fillna(0).astype("Float64")
                elif spec.fields[field_name].type == "enum":
                    values = _convert(ctx, field_name, values.astype("string"), rf.column or "")
                elif spec.fields[field_name].type == "bool":
                    values = values.astype("boolean")
                table[field_name] = values
        ctx.settle_issues(reason.isna().to_numpy())
        table["__row"] = work_rows
        table["__file"] = len(tables)
        table["__reason"] = reason.to_numpy()
        tables.append((account, table, excluded_reason))

    combined = pd.concat([t for _, t, _ in tables], ignore_index=True) if tables else pd.DataFrame()

    # Unique ids across the whole dataset.
    unique_fields = list(spec.unique)
    if not unique_fields and "duplicate_ids" in config.model_fields_set:
        unique_fields = [spec.id_field]  # the agency declares its id unique
    for unique_field in unique_fields:
        if unique_field not in combined:
            continue
        live = combined["__reason"].isna() & combined[unique_field].notna()
        repeated = combined[unique_field].where(live).duplicated(keep="first") & live
        if repeated.any():
            if config.duplicate_ids == "error":
                i = int(np.flatnonzero(repeated.to_numpy())[0])
                account = tables[int(combined["__file"].iloc[i])][0]
                first = combined.index[(combined[unique_field] == combined[unique_field].iloc[i]) & live][0]
                raise DataError(
                    account.path,
                    f"{unique_field} '{combined[unique_field].iloc[i]}' repeats row {int(combined['__row'].iloc[first])}"
                    f" of {tables[int(combined['__file'].iloc[first])][0].path}; ids must be unique "
                    "(set duplicate_ids: exclude to keep the first and count the rest)",
                    row=int(combined["__row"].iloc[i]), column=_source_column(agency, dataset, unique_field),
                )
            if config.duplicate_ids == "exclude":
                combined.loc[repeated, "__reason"] = "duplicate_id"

    # Related rows whose key matches no main record are not lost: they are counted.
    for number, (_, _, rel, sizes) in enumerate(related):
        orphans = sizes[~sizes.index.isin(list(matched_keys.get(number, set())))]
        if len(orphans):
            issues[f"linked records: rows of {', '.join(rel.files)} that match no record"] += int(orphans.sum())

    # Account for every raw row: used if any of its canonical rows is kept, else its first reason.
    for file_index, (account, _, excluded_reason) in enumerate(tables):
        account.excluded.update(Counter(r for r in excluded_reason if r is not None))
        part = combined.loc[combined["__file"] == file_index, ["__row", "__reason"]]
        if part.empty:
            continue
        kept_rows = part.loc[part["__reason"].isna(), "__row"].unique()
        dropped = part[~part["__row"].isin(kept_rows)].drop_duplicates("__row")
        account.excluded.update({str(k): int(v) for k, v in dropped["__reason"].value_counts().items()})
        account.excluded = +account.excluded

    kept = combined[combined["__reason"].isna()] if len(combined) else combined
    table = kept.drop(columns=["__row", "__file", "__reason"], errors="ignore").reset_index(drop=True)
    recorded = [f for f in spec.fields if f in table.columns]
    table = table[recorded]

    for field_name, source in agency.file_groups[dataset][0].columns.items():
        if source.kind == "synthetic":
            basis = "the columns " + ", ".join(source.columns) if source.columns else "the content of each row"
            notes.append(f"The agency publishes no {field_name}; one was made from {basis}.")
    if config.notes:
        notes.append(config.notes)
    return LoadResult(
        dataset=dataset,
        table=table,
        files=files,
        unmapped={k: dict(v.most_common()) for k, v in unmapped.items() if v},
        issues=dict(sorted(issues.items())),
        notes=notes,
        recorded=recorded,
    )


def _source_column(agency: Agency, dataset: str, field_name: str) -> str | None:
    source = agency.file_groups[dataset][0].columns.get(field_name)
    return source.columns[0] if source and source.columns else None
