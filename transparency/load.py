"""Raw agency files -> canonical tables, with every row accounted for and person identifiers hashed.

The one public entry point is :func:`load_dataset`. For each input file, rows read = rows used + rows
excluded (by reason). Columns the configuration does not map never leave this module.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import datetime as dt
import hashlib
import io
import re
import zoneinfo
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from pandas.api.types import union_categoricals

from . import registry
from .config import Agency, FieldSource, FileGroup, missing_tokens
from .errors import DataError, TransparencyError
from .hashing import file_sha256
from .timeofday import time_known_column

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
    exclude the row; ``notes`` are sentences for the data-quality appendix. ``distinct`` lists the
    distinct values of the text fields that have few (at most 200), over all the rows, for readers of
    a part of the table (see :func:`transparency.cache.read_cached`).
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


# --- Reading one file as text ---------------------------------------------------------------------------


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


def read_raw(path: Path, encoding: str | None = None, sheet=None, delimiter: str | None = None,
             columns: Iterable[str] | Callable[[list[str]], Iterable[str]] | None = None) -> tuple[pd.DataFrame, str, list[str]]:
    """Read a CSV/TSV/Excel file as text cells (no type guessing, nothing turned into NaN), trimmed.

    Returns the frame (columns are the trimmed header names), the encoding used and warnings. Plain
    UTF-8 CSV files with rows of equal length are read with Arrow's multi-threaded reader; anything else
    (other encodings, ragged or broken rows...) with pandas, whose messages name the bad row.

    ``columns`` keeps only some columns: names (as the frame would have them, trimmed), or a function
    given the file's column names that returns those wanted. The columns kept hold exactly what they
    would in the whole frame, with the same rows, encoding, warnings and errors; the others are never
    made into pandas columns or trimmed (the file is still parsed whole).
    """
    select = columns
    if columns is not None and not callable(columns):
        named = set(columns)

        def select(found: list[str]) -> list[str]:
            return [c for c in found if c in named]

    frame, encoding_used, warnings, _ = _read(path, encoding, sheet, delimiter, compact=False, columns=select, digest=False)
    return frame, encoding_used, warnings


def _column_name(name) -> str:
    """A header cell as a frame's column name."""
    return str(name).strip().lstrip("\ufeff")


def _kept(names: list, columns: Callable[[list[str]], Iterable[str]] | None) -> np.ndarray:
    """Which of a file's columns ``columns`` keeps (all when it is None), by position."""
    named = [_column_name(n) for n in names]
    if columns is None:
        return np.ones(len(named), dtype=bool)
    wanted = set(columns(named))
    return np.array([n in wanted for n in named], dtype=bool)


def _read(path: Path, encoding: str | None, sheet, delimiter: str | None, compact: bool = True,
          columns: Callable[[list[str]], Iterable[str]] | None = None, digest: bool = True) -> tuple[pd.DataFrame, str, list[str], str]:
    """:func:`read_raw`, and the file's sha256 (from the bytes read; "" without ``digest``).

    With ``compact``, a column whose values repeat (codes, categories, dates) is a pandas Categorical,
    each distinct text held once, so the loader works on it once per distinct value; a column of mostly
    distinct values (ids, timestamps) stays plain text.
    """
    suffix = path.suffix.lower()
    if path.stat().st_size == 0:
        raise DataError(str(path), "the file is empty (0 bytes)")
    if suffix in (".xlsx", ".xlsm", ".xls"):
        # openpyxl named, not left to pandas' default: pandas 4 turns to calamine, which reads some cells
        # otherwise (a negative date serial as a time of day, "_x000D_" as a carriage return, integers
        # past 2**53 rounded).
        engine = None if suffix == ".xls" else "openpyxl"
        sheet_warnings = _check_workbook(path, sheet) if suffix != ".xls" else []
        try:
            frame = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, dtype=str, header=0, keep_default_na=False,
                                  na_filter=False, engine=engine)
        except Exception as exc:  # openpyxl raises many types for a damaged workbook
            raise DataError(str(path), f"cannot be read as an Excel workbook ({type(exc).__name__}: {exc})") from None
        frame = frame.iloc[:, _kept(list(frame.columns), columns)]
        frame = frame.fillna("").astype(str)
        encoding_used, warnings = "xlsx", sheet_warnings
        sha256 = file_sha256(path) if digest else ""
    else:
        data = path.read_bytes()
        sha256 = hashlib.sha256(data).hexdigest() if digest else ""
        if b"\x00" in data[:1 << 20] or b"\x00" in data:
            offset = data.find(b"\x00")
            raise DataError(str(path), "contains NUL bytes: it is binary, damaged, or UTF-16 (save it as UTF-8 CSV)", row=_row_of_offset(data, offset))
        sep = delimiter or ("\t" if suffix in (".tsv", ".tab") else ",")
        fast = _read_csv_arrow(data, sep, encoding, columns)
        if fast is not None:
            frame, encoding_used = fast
            warnings = []
        else:
            frame, encoding_used, warnings = _read_csv_pandas(path, data, sep, encoding)
            frame = frame.iloc[:, _kept(list(frame.columns), columns)]
    frame.columns = [_column_name(c) for c in frame.columns]
    for column in frame.columns:
        frame[column] = _compact_text(frame[column]) if compact else _trimmed(frame[column])
    _normalise_cells(frame, warnings)
    return frame, encoding_used, warnings, sha256


def _normalise_cells(frame: pd.DataFrame, warnings: list[str]) -> None:
    """Cells with invisible characters or odd spaces made plain (:mod:`transparency.textnorm`), in place;
    how many is said in ``warnings`` and kept in ``frame.attrs["normalised_cells"]``."""
    from .textnorm import normalise_series

    total = 0
    for column in frame.columns:
        frame[column], changed = normalise_series(frame[column])
        total += changed
    frame.attrs["normalised_cells"] = total
    if total:
        warnings.append(f"{total:,} cells held invisible characters (zero-width spaces, word joiners, soft hyphens) "
                        "or non-breaking spaces; made plain text")


#: What one workbook may expand to when unzipped (a 1.5 MB file can hold a 1.5 GB cell, which takes many times
#: that in memory once read), in bytes; a worksheet larger than this is no police record.
WORKBOOK_MAX_UNZIPPED = 512 * 1024 * 1024
#: What one part of a workbook (a worksheet, the shared strings, where a cell's text is) may expand to.
WORKBOOK_PART_MAX_UNZIPPED = 256 * 1024 * 1024


def _check_workbook(path: Path, sheet) -> list[str]:
    """Refuse a workbook that would expand beyond the bounds above; warn about hidden worksheets, naming the one
    read when it is hidden (Excel does not show it, so the person checking the file may never have seen it)."""
    import zipfile
    from xml.etree import ElementTree

    try:
        with zipfile.ZipFile(path) as book:
            parts = book.infolist()
            total = sum(p.file_size for p in parts)
            largest = max(parts, key=lambda p: p.file_size, default=None)
            if total > WORKBOOK_MAX_UNZIPPED or (largest is not None and largest.file_size > WORKBOOK_PART_MAX_UNZIPPED):
                raise DataError(str(path), f"expands to {total / 2**20:,.0f} MB when unzipped ({largest.filename}: "
                                f"{largest.file_size / 2**20:,.0f} MB), more than a workbook may "
                                f"({WORKBOOK_MAX_UNZIPPED // 2**20} MB, {WORKBOOK_PART_MAX_UNZIPPED // 2**20} MB for one part): "
                                "export the sheet as CSV")
            try:
                root = ElementTree.fromstring(book.read("xl/workbook.xml"))
            except (KeyError, ElementTree.ParseError):
                return []  # pandas names what is wrong with the workbook
    except zipfile.BadZipFile:
        return []
    sheets = [(e.get("name"), e.get("state") or "visible") for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "sheet"]
    hidden = [name for name, state in sheets if state != "visible"]
    if not hidden:
        return []
    read = sheet if isinstance(sheet, str) else (sheets[sheet or 0][0] if len(sheets) > (sheet or 0) else None)
    if read in hidden:
        return [f"the worksheet read, '{read}', is hidden in Excel (set `sheet` to choose another)"]
    return [f"hidden worksheets not read: {', '.join(repr(n) for n in hidden)}"]


def _read_csv_pandas(path: Path, data: bytes, sep: str, encoding: str | None) -> tuple[pd.DataFrame, str, list[str]]:
    """Any CSV pandas can read: decoded as configured (or UTF-8, else Windows-1252), errors with the row."""
    text, encoding_used, warnings = _decode(path, data, encoding)
    if not text.strip():
        raise DataError(str(path), "the file is empty (no header row)")
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
    # A short row leaves its last cells missing: they are empty cells, never the text "nan".
    return frame.fillna("").astype(str), encoding_used, warnings


_BOM = b"\xef\xbb\xbf"


def _read_csv_arrow(data: bytes, sep: str, encoding: str | None,
                    columns: Callable[[list[str]], Iterable[str]] | None = None) -> tuple[pd.DataFrame, str] | None:
    """The CSV read by Arrow, every cell as text (the columns ``columns`` keeps, see :func:`read_raw`), or
    None when the file needs pandas' reading.

    Arrow and pandas agree on well-formed UTF-8 files (a blank line is a row of empty cells to both);
    the files where they could differ go to pandas: another encoding, a header with empty or repeated
    names (pandas renames them), blank lines in a one-column file, an odd number of quotes, and any
    row Arrow cannot parse (ragged rows), where pandas gives the message that names the row.
    """
    try:
        if encoding and codecs.lookup(encoding).name not in ("utf-8", "utf-8-sig"):
            return None
    except LookupError:
        return None
    bom = data.startswith(_BOM)
    body = data[len(_BOM):] if bom else data
    if not body[: 1 << 16].strip() or body[:1] in (b"\n", b"\r"):
        return None
    if not body.isascii():
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return None
    head = body[: 1 << 16].decode("utf-8", errors="ignore")
    try:
        names = next(csv.reader(io.StringIO(head), delimiter=sep))
    except (csv.Error, StopIteration):
        return None
    if len(body) > len(head) and "\n" not in head and "\r" not in head:
        return None  # a header longer than the part looked at
    if not names or any(not n for n in names) or len(set(names)) != len(names):
        return None
    # An odd number of quotes may be a quoted cell never closed, which Arrow would read to the end of
    # the file where pandas names the row.
    if body.count(b'"') % 2:
        return None
    # In a one-column file a blank line could be a row of one empty cell or nothing: left to pandas.
    if len(names) == 1 and any(blank in body for blank in (b"\n\n", b"\r\r", b"\n\r\n")):
        return None
    try:
        table = pacsv.read_csv(
            pa.BufferReader(body),
            read_options=pacsv.ReadOptions(use_threads=True),
            parse_options=pacsv.ParseOptions(delimiter=sep, quote_char='"', double_quote=True, escape_char=False,
                                             newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=False,
                                                 quoted_strings_can_be_null=False, null_values=[]),
        )
    except (pa.ArrowException, ValueError):
        return None
    if table.column_names != names or any(not pa.types.is_string(t) for t in table.schema.types):
        return None
    kept = np.flatnonzero(_kept(names, columns)).tolist()
    frame = pd.DataFrame({names[i]: table.column(i).to_pandas() for i in kept}, index=pd.RangeIndex(table.num_rows))
    used = encoding or ("utf-8-sig" if bom else "utf-8")
    return frame, used


# A column is kept as categories when at most this share of its first rows is distinct.
_REPETITIVE = 0.9
_PROBE_ROWS = 1 << 16


def _compact_text(series: pd.Series) -> pd.Series:
    """A column of text cells, trimmed: categorical when its values repeat, else plain text."""
    probe = series.iloc[:_PROBE_ROWS]
    if len(probe) and probe.nunique() <= _REPETITIVE * len(probe):
        codes, uniques = pd.factorize(series)
        trimmed = pd.Index(uniques).str.strip()
        if not trimmed.equals(pd.Index(uniques)):
            recodes, trimmed = pd.factorize(trimmed)
            codes = recodes[codes]
        return pd.Series(pd.Categorical.from_codes(codes, categories=trimmed, validate=False), index=series.index)
    return _trimmed(series)


def _trimmed(series: pd.Series) -> pd.Series:
    """A column of text cells with white space trimmed from both ends of each."""
    series = series.astype(str)
    return series.str.strip() if _may_need_trimming(series) else series


def _may_need_trimming(series: pd.Series) -> bool:
    """False when no cell starts or ends with a byte that could be white space (below "!" or not ASCII)."""
    try:
        chunks = _arrow_chunks(series)
    except (pa.ArrowException, TypeError, ValueError):
        return True
    for chunk in chunks:
        if chunk.null_count:
            return True
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64)[chunk.offset: chunk.offset + len(chunk) + 1]
        data = chunk.buffers()[2]
        if data is None or not len(chunk):
            continue
        data = np.frombuffer(data, dtype=np.uint8)
        lengths = np.diff(offsets)
        full = lengths > 0
        ends = np.concatenate([data[offsets[:-1][full]], data[offsets[1:][full] - 1]])
        if ((ends < 0x21) | (ends >= 0x80)).any():
            return True
    return False


# --- Columns held as categories -------------------------------------------------------------------------
# Repetitive columns are pandas Categoricals (see read_raw): the work on them is done once per distinct
# value and spread to the rows through the codes. A code of -1 (a missing cell) picks the last element
# of an array, so each per-value array below ends with the value for a missing cell.


def _is_categorical(series: pd.Series) -> bool:
    return isinstance(series.dtype, pd.CategoricalDtype)


def _plain(series: pd.Series) -> pd.Series:
    """A categorical column as ordinary text (missing cells NaN); any other column as it is."""
    return series.astype(series.cat.categories.dtype) if _is_categorical(series) else series


def _as_string(series: pd.Series) -> pd.Series:
    """Text for the converters: a categorical column stays categorical, any other becomes ``string``."""
    return series if _is_categorical(series) else series.astype("string")


def _canonical(series: pd.Series) -> pd.Series:
    """The canonical dtype of a column: categorical text becomes ``string``."""
    return series.astype("string") if _is_categorical(series) else series


def _used_categories(series: pd.Series) -> pd.Series:
    """A categorical column without the categories no row holds (``remove_unused_categories``, by counting)."""
    codes = series.cat.codes.to_numpy()
    used = np.bincount(codes[codes >= 0], minlength=len(series.cat.categories)) > 0
    if used.all():
        return series
    renumber = np.append(np.cumsum(used) - 1, -1)
    categories = series.cat.categories[used]
    return pd.Series(pd.Categorical.from_codes(renumber[codes], categories=categories, validate=False), index=series.index)


def _distinct(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """A categorical column as (its distinct values as ``string``, then one missing value; each row's code)."""
    series = _used_categories(series)
    values = pd.concat([pd.Series(series.cat.categories, dtype="string"), pd.Series([pd.NA], dtype="string")], ignore_index=True)
    return values, series.cat.codes.to_numpy()


def _per_value_mask(series: pd.Series, test):
    """``test(values)`` (a boolean per value, or a tuple of such masks) for every row; on a categorical
    column once per distinct value."""
    if _is_categorical(series):
        codes = series.cat.codes.to_numpy()
        result = test(pd.Series(series.cat.categories))

        def spread(mask) -> np.ndarray:
            return np.append(np.asarray(mask, dtype=bool), False)[codes]
    else:
        result = test(series)

        def spread(mask) -> np.ndarray:
            return np.asarray(mask, dtype=bool)
    return tuple(spread(mask) for mask in result) if isinstance(result, tuple) else spread(result)


def _on_distinct(ctx: _Context | None, series: pd.Series, convert) -> pd.Series:
    """``convert(ctx, text)`` for a column; on a categorical column once per distinct value.

    ``convert`` takes text (``string``, missing as NA) and returns a Series as long. Text results stay
    categorical (the distinct results are the categories); other results are spread to every row.
    Problems that ``convert`` notes on the context are noted row by row.
    """
    if not _is_categorical(series):
        return convert(ctx, series)
    values, codes = _distinct(series)
    sub = dataclasses.replace(ctx, pending=[]) if ctx is not None else None
    result = convert(sub, values)
    if sub is not None:
        for item in sub.pending:
            rows = np.asarray(item[1], dtype=bool)[codes]
            ctx.pending.append((item[0], rows, series) if len(item) == 3 else (item[0], rows))
    if isinstance(result.dtype, pd.StringDtype):
        result_codes, result_values = pd.factorize(result.array)
        categories = pd.Index(result_values, dtype=result.dtype)
        return pd.Series(pd.Categorical.from_codes(result_codes[codes], categories=categories, validate=False), index=series.index)
    return pd.Series(result.array.take(codes), index=series.index)


def _concat(frames: list[pd.DataFrame], consume: bool = False) -> pd.DataFrame:
    """``pd.concat(frames, ignore_index=True)`` that keeps categorical columns categorical (categories joined).

    ``consume`` empties the frames column by column as they are joined, so that the data is held about
    once, not twice.
    """
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    columns = list(frames[0].columns)
    if any(set(f.columns) != set(columns) or len(f.columns) != len(columns) for f in frames):
        return pd.concat([f.apply(_canonical) if len(f.columns) else f for f in frames], ignore_index=True)
    out = {}
    for column in columns:
        parts = [f.pop(column) if consume else f[column] for f in frames]
        if all(_is_categorical(p) for p in parts):
            try:
                out[column] = pd.Series(union_categoricals([p.array for p in parts]))
                continue
            except TypeError:  # categories of different types
                pass
        out[column] = pd.concat([_canonical(p) for p in parts], ignore_index=True)
        del parts
    return pd.DataFrame(out, copy=False)


def _positions(parts: list[pd.Series], keys: pd.Index) -> list[np.ndarray]:
    """For each part, each value's position in ``keys`` (distinct text), or -1 where it is not there.

    One look-up for all the parts (the table of keys is built once); a categorical part is looked up
    once per distinct value.
    """
    lookups = [pd.Series(p.cat.categories) if _is_categorical(p) else p for p in parts]
    if len(keys) == 0 or not sum(len(x) for x in lookups):
        return [np.full(len(p), -1, dtype=np.int64) for p in parts]
    chunks = [chunk for x in lookups for chunk in _arrow_chunks(x)]
    found = pc.index_in(pa.chunked_array(chunks, type=pa.large_string()), value_set=pa.concat_arrays(_arrow_chunks(keys)))
    found = pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    out, start = [], 0
    for part, lookup in zip(parts, lookups):
        block = found[start: start + len(lookup)]
        start += len(lookup)
        out.append(np.append(block, -1)[part.cat.codes.to_numpy()] if _is_categorical(part) else block)
    return out


def _arrow_chunks(values) -> list[pa.Array]:
    """Text as Arrow ``large_string`` arrays (without copying Arrow-backed text)."""
    array = pa.array(pd.Series(values, copy=False).astype("string").array)
    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    return [c.cast(pa.large_string()) for c in chunks] or [pa.array([], type=pa.large_string())]


def _take(series: pd.Series, positions: np.ndarray) -> pd.Series:
    """The rows at ``positions``, missing where the position is -1."""
    if _is_categorical(series):
        codes = np.append(series.cat.codes.to_numpy(), -1)[positions]
        return pd.Series(pd.Categorical.from_codes(codes, dtype=series.dtype, validate=False))
    return pd.Series(series.array.take(positions, allow_fill=True))


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
    """``pd.to_datetime(values, format=fmt, errors="coerce")``: the same values, many times quicker on a
    long column of zero-padded timestamps (see :func:`_to_datetime_checked`)."""
    if len(values) >= _FAST_MIN:
        # A look at the first values: when few are Arrow's to read (not zero-padded, say), pandas alone
        # is quicker.
        probe = _strptime_exact(values.iloc[:_FAST_MIN], fmt)
        if probe is not None and probe[1].mean() >= 0.5:
            return _to_datetime_checked(values, fmt)
    return pd.to_datetime(values, format=fmt, errors="coerce")


def _to_datetime_checked(values: pd.Series, fmt: str) -> pd.Series:
    """``pd.to_datetime(values, format=fmt, errors="coerce")``, each value read by Arrow where that is
    sure to give pandas' answer, by pandas otherwise.

    Arrow reads the values that are exactly the zero-padded text of the datetime it reads (see
    :func:`_strptime_exact`); pandas reads all the others, so every value gets pandas' answer (NaT for
    an impossible date, a stray space, an hour of 24...). The result is ``datetime64[ns]``, or pandas'
    own unit when pandas read a date.
    """
    fast = _strptime_exact(values, fmt)
    if fast is None:
        return pd.to_datetime(values, format=fmt, errors="coerce")
    stamps, exact = fast
    if exact.all():
        return pd.Series(stamps, index=values.index)
    rest = pd.to_datetime(values[~exact], format=fmt, errors="coerce")
    if not exact.any():
        return rest
    out = stamps
    if rest.notna().any() and rest.dtype != stamps.dtype:
        # pandas' unit, which may hold what nanoseconds cannot; Arrow's values (whole seconds well
        # inside the nanosecond range) are exact in any unit.
        out = stamps.astype(rest.dtype)
    out[~exact] = rest.to_numpy(dtype=out.dtype)
    return pd.Series(out, index=values.index)


# Below this many values pandas alone is as quick.
_FAST_MIN = 256
# What Arrow's reading is checked against, per directive: the width of its zero-padded text.
_FIXED_WIDTH = {"Y": 4, "y": 2, "m": 2, "d": 2, "H": 2, "I": 2, "M": 2, "S": 2, "p": 2, "b": 3}
_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_BYTES = np.frombuffer("".join(_MONTH_ABBR).encode(), dtype=np.uint8).reshape(12, 3)
# Values Arrow reads must fall in these years (seconds since 1970): pandas reads any year from 1678 to
# 2261 as the same nanosecond timestamp; outside, pandas decides (another unit, or an error later).
_FAST_SECONDS = (int(pd.Timestamp("1678-01-01").timestamp()), int(pd.Timestamp("2262-01-01").timestamp()))


def _fixed_layout(fmt: str) -> tuple[list[tuple[str, int, int]], list[tuple[int, int]]] | None:
    """Where each part of the format stands in its zero-padded text: the directives as (letter, start,
    width), the literal characters as (start, byte).

    None when the format is outside what :func:`_strptime_exact` checks: another directive (``%B``,
    ``%f``, ``%z``, ``%j``...), a non-ASCII literal, a directive twice, no year, month or day, ``%I``
    without ``%p`` or the other way round, ``%I`` with ``%H``.
    """
    directives: list[tuple[str, int, int]] = []
    literals: list[tuple[int, int]] = []
    position, i = 0, 0
    while i < len(fmt):
        if fmt[i] != "%" or fmt[i + 1: i + 2] == "%":
            if not fmt[i].isascii():
                return None
            literals.append((position, ord(fmt[i])))
            position += 1
            i += 2 if fmt[i] == "%" else 1
            continue
        letter = fmt[i + 1: i + 2]
        if letter not in _FIXED_WIDTH:
            return None
        directives.append((letter, position, _FIXED_WIDTH[letter]))
        position += _FIXED_WIDTH[letter]
        i += 2
    found = {letter for letter, _, _ in directives}
    if len(found) != len(directives) or not (found & {"Y", "y"} and found & {"m", "b"} and "d" in found):
        return None
    if ("I" in found) != ("p" in found) or {"I", "H"} <= found or {"Y", "y"} <= found or {"m", "b"} <= found:
        return None
    return directives, literals


def _english_names() -> bool:
    """Whether pandas reads month names and AM/PM in English (the names of the C locale, which Arrow
    uses): pandas takes them from the process's locale, as Python's ``time.strptime`` does."""
    import calendar
    import time

    clock = [time.strftime("%p", time.struct_time((1999, 3, 17, hour, 44, 55, 2, 76, 0))) for hour in (1, 22)]
    return tuple(calendar.month_abbr[1:]) == _MONTH_ABBR and [c.upper() for c in clock] == ["AM", "PM"]


def _strptime_exact(values: pd.Series, fmt: str) -> tuple[np.ndarray, np.ndarray] | None:
    """The values Arrow reads with ``fmt`` and that are exactly that datetime written with ``fmt``.

    Returns ``datetime64[ns]`` values and a mask of the values taken (NaT where not taken), or None
    when ``fmt`` is not one this checks (see :func:`_fixed_layout`).

    Arrow's ``strptime`` is about twenty times quicker than pandas' but reads some text differently:
    it rolls an impossible date over ("2021-02-30" is 2 March), skips spaces, and reads what pandas
    refuses. So a value is taken only when its text is, byte for byte, the zero-padded text of the
    datetime Arrow read (what ``strftime`` with the same format would write, in the C locale): the
    format's literal characters in their places, and each directive's digits (or name) equal to that
    datetime's year, month, day, hour, minute and second; a time the format does not name must be
    0. Such a text is the ordinary writing of a real datetime, which pandas reads as the same datetime
    (a two-digit year too: it is taken only when the century is the one pandas gives, 2000 to 2068 for
    00 to 68, 1969 to 1999 for 69 to 99). Any other value (unpadded, another case, an impossible date)
    is not taken and is left to pandas.
    """
    layout = _fixed_layout(fmt)
    if layout is None:
        return None
    directives, literals = layout
    letters = {letter for letter, _, _ in directives}
    if letters & {"b", "p"} and not _english_names():
        return None
    width = sum(w for _, _, w in directives) + len(literals)
    chunks = _arrow_chunks(values)
    text = pa.concat_arrays(chunks) if len(chunks) > 1 else chunks[0]
    try:
        read = pc.strptime(text, format=fmt, unit="s", error_is_null=True)
    except (pa.ArrowException, ValueError):
        return None
    seconds = pc.fill_null(read.cast(pa.int64()), 0).to_numpy(zero_copy_only=False)
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)[text.offset: text.offset + len(text) + 1]
    taken = read.is_valid().to_numpy(zero_copy_only=False) & (np.diff(offsets) == width)
    taken &= (seconds >= _FAST_SECONDS[0]) & (seconds < _FAST_SECONDS[1])
    rows = np.flatnonzero(taken)
    if len(rows):
        data = np.frombuffer(text.buffers()[2], dtype=np.uint8)
        if len(rows) == len(text) and offsets[-1] - offsets[0] == width * len(text):
            cells = data[offsets[0]: offsets[-1]].reshape(len(text), width)  # every value: no copy
        else:
            cells = data[offsets[:-1][rows, None] + np.arange(width)]
        good = np.ones(len(rows), dtype=bool)
        for position, byte in literals:
            good &= cells[:, position] == byte
        moment = seconds[rows]
        days, of_day = np.divmod(moment, 86400)
        day = days.astype("datetime64[D]")
        month_start = day.astype("datetime64[M]")
        parts = {
            "Y": month_start.astype("datetime64[Y]").astype(np.int64) + 1970,
            "m": month_start.astype(np.int64) % 12 + 1,
            "d": (day - month_start.astype("datetime64[D]")).astype(np.int64) + 1,
            "H": of_day // 3600, "M": of_day // 60 % 60, "S": of_day % 60,
        }
        parts["b"], parts["y"], parts["I"] = parts["m"], parts["Y"] % 100, (parts["H"] + 11) % 12 + 1
        for letter, start, size in directives:
            block = cells[:, start: start + size]
            if letter == "b":
                good &= (block == _MONTH_BYTES[parts["b"] - 1]).all(axis=1)
            elif letter == "p":
                good &= (block[:, 0] == np.where(parts["H"] < 12, ord("A"), ord("P"))) & (block[:, 1] == ord("M"))
            else:
                number = np.zeros(len(rows), dtype=np.int64)
                for column in range(size):
                    digit = block[:, column] - np.uint8(ord("0"))  # a byte below "0" wraps past 9
                    good &= digit < 10
                    number = number * 10 + digit
                good &= number == parts[letter]
        if "y" in letters:  # the century pandas gives a two-digit year
            good &= (parts["Y"] >= 1969) & (parts["Y"] <= 2068)
        for letter in ("H", "M", "S"):
            if letter not in letters and not (letter == "H" and "I" in letters):
                good &= parts[letter] == 0
        taken[rows[~good]] = False
    nanoseconds = np.where(taken, seconds, 0) * 1_000_000_000
    nanoseconds[~taken] = np.iinfo(np.int64).min  # NaT
    return nanoseconds.view("datetime64[ns]"), taken


_DIRECTIVE = re.compile(r"%.")


def _marks(text: str) -> str:
    """The marks of a date's text that a format must spell out: every character but letters, digits
    and white space, in order ("05/01/2021 10:00 PM" -> "//:")."""
    return "".join(ch for ch in text if not (ch.isalnum() or ch.isspace()))


def _format_marks(fmt: str) -> str:
    """The marks (:func:`_marks`) of every text a format reads: its literal characters' marks (each
    directive reads letters, digits or white space only)."""
    return _marks(_DIRECTIVE.sub("", fmt))


def infer_formats(uniques: pd.Series, candidates: tuple[str, ...]) -> list[str]:
    """The formats that read these values: a greedy cover, most values first.

    Raises AmbiguousFormat when two formats read the same text as different dates and neither is
    preferred by the data (every value fits both, such as 03/04/2021 day-first or month-first).
    """
    values = uniques.dropna()
    if values.empty:
        return []
    probe = values.iloc[:: max(1, len(values) // 60)].iloc[:60]
    # A format reads a text only if they have the same marks (tested on every candidate), so the
    # formats no probed value could match are not tried: most of the 140 candidates, a third of the
    # time a raw file takes to load.
    marks = {_marks(str(value)) for value in probe}
    viable = [fmt for fmt in candidates if _format_marks(fmt) in marks and _try(probe, fmt).notna().any()]
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
    if _is_categorical(values):  # once per distinct value
        values = _used_categories(values)
        parsed, used = parse_datetimes(pd.Series(values.cat.categories), formats, timezone, candidates)
        out = np.append(parsed.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT", "ns"))[values.cat.codes.to_numpy()]
        return pd.Series(out, index=values.index), used
    present = values.dropna()
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if present.empty:
        return out, []
    # Mostly-unique columns (timestamps) are parsed whole; repetitive ones (dates) once per distinct value.
    probe = present.iloc[:_PROBE_ROWS]
    repetitive = probe.nunique() <= 0.9 * len(probe) and present.nunique() < 0.5 * len(present)
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
    elif len(present) == len(values):
        out = pd.Series(parsed.to_numpy(dtype="datetime64[ns]"), index=values.index)
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


_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
                "october", "november", "december")
_MONTHS = {**{name: i + 1 for i, name in enumerate(_MONTH_NAMES)}, **{name[:3]: i + 1 for i, name in enumerate(_MONTH_NAMES)},
           "sept": 9}


def _part_numbers(values: pd.Series, part: str) -> pd.Series:
    """A date part's numbers from text: digits, or for a month its English name or abbreviation."""
    numbers = pd.to_numeric(_plain(values), errors="coerce")
    if part == "month":
        names = _plain(values).map(lambda v: _MONTHS.get(str(v).strip().rstrip(".").casefold()) if isinstance(v, str) else None)
        numbers = numbers.fillna(pd.to_numeric(names, errors="coerce"))
    return numbers


def _fixed_part(ctx: _Context, field_name: str, part: str, kind: str, value: str) -> float:
    """A date part that is not a column: a constant, or what a pattern finds in the file's name."""
    if kind == "file_name":
        found = re.search(value, ctx.path.name)
        if found is None:
            raise DataError(str(ctx.path), f"the file's name does not match '{value}', configured to give the {part} of {field_name}")
        pattern = found.re
        value = found.group(part) if part in pattern.groupindex else found.group(1) if pattern.groups else found.group(0)
    number = _part_numbers(pd.Series([value], dtype="string"), part).iloc[0]
    if pd.isna(number):
        where = f"the {part} '{value}' found in the file's name" if kind == "file_name" else f"the constant {part} '{value}'"
        raise DataError(str(ctx.path), f"{where} of {field_name} is not a {part}")
    return float(number)


def _date_from_parts(ctx: _Context, field_name: str, source: FieldSource) -> tuple[pd.Series, pd.Series, str]:
    """(dates from year, month and day parts, mask of rows whose parts are there but make no date, the column named)."""
    parts = dict(source.parts)
    fixed = {part: (kind, value) for part, kind, value in source.part_values}
    col = next((parts[p] for p in ("year", "month", "day") if p in parts), "(file name)")
    numbers, present = {}, pd.Series(True, index=ctx.frame.index)
    for part in ("year", "month", "day"):
        if part in parts:
            raw = ctx.column(parts[part], field_name)
            text = raw.where(~ctx.missing_mask(raw, source))
            numbers[part] = _part_numbers(text, part)
            present &= _plain(text).notna()
        elif part in fixed:
            numbers[part] = pd.Series(_fixed_part(ctx, field_name, part, *fixed[part]), index=ctx.frame.index)
        else:  # no day: the first of the month (said in the notes)
            numbers[part] = pd.Series(1.0, index=ctx.frame.index)
    frame = pd.DataFrame(numbers)
    dates = pd.to_datetime(frame, errors="coerce").astype("datetime64[ns]")
    name = ctx.path.name
    if "day" not in parts and "day" not in fixed:
        ctx.notes.append(f"{name} gives the month of each record but not the day: {registry.field_words(field_name)} is "
                         "taken as the first day of the month, so a record counts in the right month and quarter, but "
                         "not on its day or at its time of day.")
    for part, (kind, value) in fixed.items():
        if kind == "file_name":
            ctx.notes.append(f"The {part} of each record in {name} is taken from the file's name "
                             f"({int(numbers[part].iloc[0]) if len(frame) else value}).")
    return dates, dates.isna() & present, col


def _datetime_field(ctx: _Context, field_name: str, source: FieldSource) -> tuple[pd.Series, pd.Series, str]:
    """(parsed datetimes, mask of values present but unreadable, the column named in errors).

    Notes in ``ctx.time_known[field_name]`` which rows have a recorded time of day (see
    :mod:`transparency.timeofday`).
    """
    formats = source.format or ctx.group.datetime_format
    tz = ctx.agency.timezone
    col = source.columns[0] if source.columns else dict(source.parts).get("date", dict(source.parts).get("year"))
    setting = "datetime_format" if source.kind == "column" else "date_format"
    try:
        if source.kind == "column":
            text, col = _first_present(ctx, source, field_name)
            parsed, used = parse_datetimes(text, formats, tz)
            ctx.time_known[field_name] = _read_with_time(text, parsed, tuple(used), tz)
            return parsed, parsed.isna() & text.notna(), col
        parts = dict(source.parts)
        if "date" in parts:
            col = parts["date"]
            date_text = ctx.column(col, field_name).where(~ctx.missing_mask(ctx.column(col, field_name), source))
            # The date column's own time, if it holds one ("01/05/2015 12:00:00 AM"), is read and dropped:
            # the time comes from the time column.
            date_formats = source.date_format or tuple(f for f in (_split_format(f)[0] for f in formats) if f)
            dates, _ = parse_datetimes(date_text, date_formats, tz)
            dates = dates.dt.normalize()
            bad = dates.isna() & date_text.notna()
        else:
            dates, bad, col = _date_from_parts(ctx, field_name, source)
        known = pd.Series(False, index=ctx.frame.index)
        if "time" in parts:
            time_col = parts["time"]
            raw_time = ctx.column(time_col, field_name)
            time_text = _plain(raw_time.where(~ctx.missing_mask(raw_time, source)))
            present_times = time_text.dropna()
            whole_numbers = len(present_times) and present_times.str.fullmatch(r"\d{1,4}").all()
            if whole_numbers:
                time_text = time_text.str.zfill(4)  # HHMM stored as an integer: 234 is 02:34
            time_formats = source.time_format or tuple(t for t in (_split_format(f)[1] for f in formats) if t)
            if not time_formats and whole_numbers:
                time_formats = ("%H%M",)  # four digits are never seconds (1619 is 16:19, not 16:01:09)
            elif not time_formats and len(present_times) and present_times.str.fullmatch(r"\d+").all():
                lengths = sorted(set(present_times.str.len()))
                raise DataError(
                    str(ctx.path), f"times are written as digits of {fmt_lengths(lengths)} characters, which could be "
                    f"HHMM or HHMMSS (such as '{present_times.iloc[0]}'); set time_format for {field_name} in agency.yml "
                    "(for example time_format: \"%H%M%S\")", column=time_col)
            try:
                times, _ = parse_datetimes("1900-01-01 " + time_text, tuple("%Y-%m-%d " + f for f in time_formats), tz,
                                           candidates=tuple("%Y-%m-%d " + f for f in TIME_CANDIDATES))
            except AmbiguousFormat as exc:
                example = exc.example.removeprefix("1900-01-01 ")
                readings = [f.removeprefix("%Y-%m-%d ") for f in exc.formats]
                raise DataError(
                    str(ctx.path),
                    f"times such as '{example}' can be read as {readings[0]} or {readings[1]}; "
                    f"set time_format for {field_name} in agency.yml (for example time_format: \"{readings[0]}\")",
                    column=time_col,
                ) from None
            offsets = times - pd.Timestamp("1900-01-01")
            unreadable_time = times.isna() & time_text.notna()
            if unreadable_time.any():
                ctx.count_issue(f"{field_name}: time unreadable (date kept)", (unreadable_time & dates.notna()))
            no_time = time_text.isna() & dates.notna()
            if no_time.any():
                ctx.count_issue(f"{field_name}: time not recorded (date kept)", no_time)
            dates = dates + offsets.fillna(pd.Timedelta(0))
            known = times.notna() & dates.notna()
        ctx.time_known[field_name] = known.to_numpy(dtype=bool)
        return dates, bad, col
    except AmbiguousFormat as exc:
        raise DataError(
            str(ctx.path),
            f"dates such as '{exc.example}' can be read as {exc.formats[0]} or {exc.formats[1]}; "
            f"set {setting} for {field_name} in agency.yml",
            column=col,
        ) from None
    except re.error as exc:  # a format Python's reader refuses (the configuration checks most)
        raise DataError(str(ctx.path), f"the date format for {field_name} cannot be used: {exc}", column=col) from None


def fmt_lengths(lengths: list[int]) -> str:
    """``[4, 6]`` -> "4 and 6"."""
    words = [str(n) for n in lengths]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _read_with_time(text: pd.Series, parsed: pd.Series, used: tuple[str, ...], tz: str) -> np.ndarray:
    """Which values of a datetime column carry a time of day: those read by a format with a time directive
    (a value a date-only format reads has no time)."""
    date_only = tuple(f for f in used if not _TIME_DIRECTIVE.search(f))
    known = np.array(parsed.notna(), dtype=bool)
    if date_only:
        known &= parse_datetimes(text, date_only, tz)[0].isna().to_numpy(dtype=bool)
    return known


def _extract(ctx: _Context) -> tuple[pd.DataFrame, pd.Series]:
    """Canonical columns for one file's kept rows, and each row's exclusion reason (or NA)."""
    spec, agency = ctx.spec, ctx.agency
    n = len(ctx.frame)
    out: dict[str, pd.Series] = {}
    reasons: list[str] = []  # each row's first reason: 0 none, i the reason reasons[i - 1]
    reason_codes = np.zeros(n, dtype=np.int16)
    sources = ctx.group.columns
    event = spec.event

    def exclude(mask: pd.Series, why: str) -> None:
        rows = np.asarray(mask, dtype=bool) & (reason_codes == 0)
        if rows.any():
            if why not in reasons:
                reasons.append(why)
            reason_codes[rows] = reasons.index(why) + 1

    # The event date first: other fields (age from year of birth) depend on it.
    ordered = [event] + [f for f in sources if f != event]
    for field_name in ordered:
        if field_name not in sources:
            continue
        source = sources[field_name]
        fspec = spec.fields[field_name]
        if source.kind == "const":
            if fspec.type == "datetime":
                out[field_name] = pd.to_datetime(pd.Series([str(source.const)] * n, index=ctx.frame.index, dtype="string"))
                ctx.time_known[field_name] = np.zeros(n, dtype=bool)
            else:
                text = pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=pd.Index([str(source.const)], dtype="string"))
                out[field_name] = _convert(ctx, field_name, pd.Series(text, index=ctx.frame.index), "(constant)")
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
                        f"set {'date_format for ' + field_name if source.kind == 'datetime_parts' else 'datetime_format'} in agency.yml",
                        row=int(ctx.row_numbers[first]), column=col,
                    )
                ctx.event_dates = parsed
            elif bad.any():
                ctx.count_issue(f"{field_name}: unreadable date", bad)
            out[field_name] = parsed
            continue
        if source.kind == "race_ethnicity":
            race_text, col = _first_present(ctx, FieldSource("column", columns=source.columns, literal=source.literal, missing=source.missing), field_name)
            race = _convert(ctx, field_name, _as_string(race_text), col)
            eth_col = dict(source.parts)["ethnicity"]
            hispanic_codes = {_norm_key(v) for v in source.hispanic}
            hispanic = _per_value_mask(ctx.column(eth_col, field_name), lambda values, codes=hispanic_codes: values.map(_norm_key).isin(codes))
            if _is_categorical(race):
                if "Hispanic" not in race.cat.categories:
                    race = race.cat.add_categories(["Hispanic"])
                out[field_name] = race.where(~hispanic, "Hispanic")
            else:
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
        if source.kind == "any_of":
            out[field_name] = _any_flag(ctx, field_name, source)
            continue
        if source.kind == "year_of_birth":
            text, col = _first_present(ctx, FieldSource("column", columns=source.columns, missing=source.missing), field_name)
            text = _plain(text)
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

    for field_name, known in ctx.time_known.items():  # whether each datetime's clock time was recorded
        out[time_known_column(field_name)] = pd.Series(known, index=ctx.frame.index)
    table = pd.DataFrame(out, index=ctx.frame.index)
    # Out-of-range event dates (placeholders such as 1900-01-01, or a year typed as 2202).
    if event in table:
        dates = table[event]
        low = pd.Timestamp(agency.model.valid_dates.from_)
        exclude(dates.notna() & (dates < low), f"out_of_range_{event}")
        # Nothing can have happened after today (in the agency's time zone): a typed 2202 for 2022.
        today = pd.Timestamp(dt.datetime.now(zoneinfo.ZoneInfo(agency.timezone)).date())
        exclude(dates.notna() & (dates >= today + pd.Timedelta(days=1)), f"out_of_range_{event}")
    reason = pd.Categorical.from_codes(reason_codes.astype(np.int64) - 1, categories=pd.Index(reasons, dtype="string"), validate=False)
    return table, pd.Series(reason, index=ctx.frame.index).astype("string")


def _any_flag(ctx: _Context, field_name: str, source: FieldSource) -> pd.Series:
    """A yes/no field spread over flag columns: true when any flag is true, false when none is and at least
    one is recorded, unknown (counted) when every flag is blank or unmatched. Each flag is read as the
    field's values (``values:`` recodes, then yes/no words); a recode of ``""`` makes a blank flag a no."""
    result = pd.Series(False, index=ctx.frame.index, dtype="boolean")
    recorded = np.zeros(len(ctx.frame), dtype=bool)
    for column in source.columns:
        text, _ = _first_present(ctx, FieldSource("column", columns=(column,), literal=source.literal, missing=source.missing), field_name)
        flags = _convert(ctx, field_name, _as_string(text), column).astype("boolean")
        result = result | flags.fillna(False)
        recorded |= flags.notna().to_numpy(dtype=bool)  # a recode of "" (blank means no) makes a blank recorded
    blank = ~recorded
    if blank.any():
        ctx.count_issue(f"{field_name}: no flag recorded ({', '.join(source.columns)}), so unknown", blank)
    return result.mask(pd.Series(blank, index=result.index))


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


# --- Related long tables ----------------------------------------------------------------------------------


@dataclass
class _Related:
    """A related table aggregated per key: one value per distinct key, in the order keys first appear."""

    main_key: str  # the main files' column that holds the key
    keys: pd.Index
    values: dict[str, pd.Series | np.ndarray]  # field -> one value per key
    config: object
    sizes: np.ndarray  # rows per key


def _load_related(agency: Agency, dataset: str, key: bytes | None, files_out: list[FileAccount],
                  unmapped: dict, issues: Counter) -> list[_Related]:
    """Each related table aggregated per key."""
    spec = registry.dataset(dataset)
    results = []
    for rel in agency.dataset(dataset).related:
        (rel_key, main_key), = rel.key.items()
        frames = []
        paths = ((pattern, path) for pattern in rel.files for path in agency.glob(pattern))
        reads = _read_ahead(paths, lambda item, rel=rel: _read(item[1], rel.encoding, rel.sheet, rel.delimiter))
        for (pattern, path), (frame, encoding_used, warnings, digest) in reads:
            account = FileAccount(_display(agency, path), digest, encoding_used, len(frame), role="related", warnings=warnings)
            blank, header = _blank_and_header(frame)
            account.excluded.update({"blank_row": int(blank.sum()), "header_row": int(header.sum())})
            account.excluded = +account.excluded
            frame = frame.loc[~(blank | header)]
            if rel_key not in frame.columns:
                raise DataError(str(path), f"has no key column '{rel_key}' (configured in related)")
            if rel.where:
                selected = _related_selected(frame, rel.where, path)
                if not selected.all():
                    account.excluded["not_selected"] += int((~selected).sum())
                    frame = frame.loc[selected]
            missing = missing_tokens(rel.missing_values) if rel.missing_values is not None else agency.file_groups[dataset][0].missing_values
            group = FileGroup(pattern, {}, (), None, None, missing, None)
            ctx = _Context(agency, spec, group, path, frame, np.arange(len(frame)) + 2, unmapped, issues, key)
            columns = {"__key": frame[rel_key]}
            for field_name, rf in rel.fields.items():
                if rf.column:
                    text = ctx.column(rf.column, field_name)
                    text = _as_string(text.where(~text.isin(set(group.missing_values))))
                    if rf.agg in ("any",):
                        if spec.fields[field_name].type == "bool":
                            columns[field_name] = _convert(ctx, field_name, text, rf.column).fillna(False).astype(bool)
                        else:
                            columns[field_name] = text.notna().astype(bool)
                    elif rf.agg in ("sum", "max", "min"):
                        columns[field_name] = pd.to_numeric(_plain(text), errors="coerce")
                    elif rf.agg == "most_serious":
                        recodes = _recode(ctx, field_name)
                        columns[field_name] = _on_distinct(None, text, lambda _, values, r=recodes: values.map(
                            lambda v: str(r.get(_norm_key(v), v)) if isinstance(v, str) else v).astype("string"))
                    else:
                        columns[field_name] = text
            ctx.settle_issues()
            frames.append(pd.DataFrame(columns))
            files_out.append(account)
        related = _concat(frames) if frames else pd.DataFrame({"__key": pd.Series([], dtype="string")})
        del frames
        # Groups by the key's codes: keys in the order they first appear, as groupby(sort=False) has them.
        codes, keys = pd.factorize(_plain(related.pop("__key")))
        keys = pd.Index(keys)
        sizes = np.bincount(codes, minlength=len(keys))
        aggregated: dict[str, pd.Series | np.ndarray] = {}
        for field_name, rf in rel.fields.items():
            if rf.agg == "any_row":
                aggregated[field_name] = sizes > 0
            elif rf.agg == "count":
                aggregated[field_name] = sizes.astype(float)
            elif rf.agg == "any":
                aggregated[field_name] = np.bincount(codes, weights=related[field_name].to_numpy(dtype=bool), minlength=len(keys)) > 0
            elif rf.agg in ("sum", "max", "min"):
                per_key = getattr(related[field_name].groupby(codes), rf.agg)()
                aggregated[field_name] = per_key.reindex(range(len(keys))).astype("Float64").reset_index(drop=True)
            elif rf.agg == "first":
                aggregated[field_name] = _canonical(related[field_name]).groupby(codes).first().reindex(range(len(keys))).reset_index(drop=True)
            elif rf.agg == "list":
                joined = _canonical(related[field_name]).groupby(codes).agg(lambda s, sep=rf.sep: sep.join(sorted(set(s.dropna()))))
                aggregated[field_name] = joined.reindex(range(len(keys))).reset_index(drop=True)
            elif rf.agg == "most_serious":
                # Rank by `order` (compared ignoring case and spaces); values not in it rank last. The value
                # kept is that of the first row with the best rank.
                rank = {_norm_key(value): i for i, value in enumerate(rf.order)}
                values = related[field_name]
                ranks = _per_value(values, lambda v, r=rank: np.array(
                    [r.get(_norm_key(x), len(r)) if isinstance(x, str) else np.nan for x in v], dtype=float), np.nan)
                # Per key the smallest (rank, row): one number, rank * rows + row.
                valid = np.flatnonzero(~np.isnan(ranks))
                score = ranks[valid].astype(np.int64) * len(values) + valid
                best = np.full(len(keys), np.iinfo(np.int64).max, dtype=np.int64)
                np.minimum.at(best, codes[valid], score)
                chosen = np.where(best == np.iinfo(np.int64).max, -1, best % max(len(values), 1))
                aggregated[field_name] = _take(values, chosen)
        results.append(_Related(main_key, keys, aggregated, rel, sizes))
        del related, codes
    return results


def _related_selected(frame: pd.DataFrame, where: dict[str, list[str]], path: Path) -> np.ndarray:
    """Rows of a related table that ``where`` keeps: every listed column holds one of its values
    (compared trimmed and ignoring case). A long table holding several kinds of row is read once per kind."""
    keep = np.ones(len(frame), dtype=bool)
    for column, values in where.items():
        if column not in frame.columns:
            raise DataError(str(path), f"has no column '{column}' (configured in related.where)")
        wanted = {_norm_key(v) for v in values}
        keep &= _per_value_mask(frame[column], lambda v, w=wanted: v.map(
            lambda x: isinstance(x, str) and _norm_key(x) in w).to_numpy(dtype=bool))
    return keep


def _per_value(series: pd.Series, compute, missing) -> np.ndarray:
    """``compute(values)`` (a NumPy array, one element per value) for every row; on a categorical
    column once per distinct value, with ``missing`` for missing cells."""
    if _is_categorical(series):
        per_value = np.asarray(compute(pd.Series(series.cat.categories)))
        return np.append(per_value, np.array([missing], dtype=per_value.dtype))[series.cat.codes.to_numpy()]
    return np.asarray(compute(series))


def _join_related(ctx: _Context, work: pd.DataFrame, path: Path, related: list[_Related], matched: list[np.ndarray],
                  table: pd.DataFrame, looked_up: list[np.ndarray | None]) -> None:
    """Put each related table's aggregated fields on the main rows, by key; note which keys matched.

    ``looked_up`` holds, per related table, each row's position in its keys when already looked up.
    """
    spec = ctx.spec
    for number, rel in enumerate(related):
        if rel.main_key not in work.columns:
            raise DataError(str(path), f"has no column '{rel.main_key}' (the key of a related table)")
        positions = looked_up[number]
        if positions is None:
            positions = _positions([work[rel.main_key]], rel.keys)[0]
        found = positions >= 0
        matched[number][positions[found]] = True
        for field_name, rf in rel.config.fields.items():
            per_key = rel.values[field_name]
            if rf.agg in ("any", "any_row", "count"):
                values = np.zeros(len(work), dtype=per_key.dtype)
                values[found] = per_key[positions[found]]
                values = pd.Series(values, index=work.index).astype("boolean" if rf.agg != "count" else "Float64")
            else:
                values = _take(per_key, positions)
                values.index = work.index
                if spec.fields[field_name].type == "enum":
                    values = _convert(ctx, field_name, _as_string(values), rf.column or "")
                elif spec.fields[field_name].type == "bool":
                    values = values.astype("boolean")
            table[field_name] = values


# --- The dataset ------------------------------------------------------------------------------------------


#: Called with (agency, dataset, path, sha256, frame) for each main input file :func:`load_dataset`
#: reads (see :func:`transparency.privacy.values_as_loaded`, which collects identifying values from
#: the frames already read instead of reading each file again).
RAW_READERS: list[Callable] = []


def _read_ahead(items, read):
    """``(item, read(item))`` for each item in order, reading the next item in a thread meanwhile (Arrow
    and the file system work without Python's lock, so the two cores share the work).

    Errors come in the order a plain loop would raise them, the iteration's own (a glob that matches
    nothing) after the earlier item's read.
    """
    items = iter(items)
    pending = None
    with ThreadPoolExecutor(max_workers=1) as pool:
        while True:
            try:
                item = next(items)
            except StopIteration:
                break
            except BaseException:
                if pending is not None:
                    yield pending[0], pending[1].result()
                raise
            future = pool.submit(read, item)
            if pending is not None:
                yield pending[0], pending[1].result()
            pending = (item, future)
        if pending is not None:
            yield pending[0], pending[1].result()


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


def load_dataset(agency: Agency, dataset: str, key: bytes | None = None, *, compact: bool = False) -> LoadResult:
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

    # The related tables first, so that their files and the main files are never in memory together;
    # an error in them is raised after any in reading the main files (the order a reader would find them).
    related_files: list[FileAccount] = []
    related_error: TransparencyError | None = None
    try:
        related = _load_related(agency, dataset, key, related_files, unmapped, issues) if config.related else []
    except TransparencyError as exc:
        related, related_error = [], exc

    # Read every file first: duplicate rows are judged across the dataset's files.
    raw = []
    whole_rows: list[np.ndarray] = []  # with a row_id: each row's hash over every column, row_id included
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
        compare = [c for c in frame.columns if c not in row_ids]
        hashes = pd.util.hash_pandas_object(frame[compare], index=False, categorize=False).to_numpy()
        salt = np.uint64(int(hashlib.sha256("\x1f".join(compare).encode()).hexdigest()[:15], 16))
        raw.append([group, path, frame, account, blank.to_numpy(), header.to_numpy(), hashes ^ salt])
        files.append(account)
        if row_ids and config.duplicate_rows == "exclude" and not config.row_id_checked:
            whole_rows.append(pd.util.hash_pandas_object(frame, index=False, categorize=False).to_numpy())
    all_hashes = np.concatenate([r[6] for r in raw]) if raw else np.array([], dtype=np.uint64)
    eligible = np.concatenate([~(r[4] | r[5]) for r in raw]) if raw else np.array([], dtype=bool)
    duplicated = np.zeros(len(all_hashes), dtype=bool)
    if config.duplicate_rows == "exclude" and len(all_hashes):
        series = pd.Series(np.where(eligible, all_hashes, 0))
        duplicated = series.duplicated().to_numpy() & eligible
        if whole_rows:
            _warn_row_id_duplicates(raw, duplicated, eligible, whole_rows, row_ids)
    del all_hashes, eligible, whole_rows

    if related_error is not None:
        raise related_error
    files.extend(related_files)
    matched = [np.zeros(len(r.keys), dtype=bool) for r in related]
    # Each raw row's position in the related tables' keys, looked up for every file at once, except
    # where list cells split the key column into several values (looked up per canonical row instead).
    looked_up: list[list[np.ndarray | None]] = []
    for rel in related:
        usable = [r for r in raw if rel.main_key in r[2].columns]
        if config.explode is not None and rel.main_key in config.explode.columns:
            usable = []
        found = iter(_positions([r[2][rel.main_key] for r in usable], rel.keys))
        looked_up.append([next(found) if any(r is u for u in usable) else None for r in raw])

    accounts: list[tuple[FileAccount, np.ndarray]] = []
    parts: list[pd.DataFrame] = []
    offset = 0
    for file_number, entry in enumerate(raw):
        group, path, frame, account, blank, header, _ = entry
        entry.clear()  # the raw frame is not needed once its rows are extracted
        n = len(frame)
        dup = duplicated[offset: offset + n]
        offset += n
        excluded_reason = np.full(n, None, dtype=object)
        excluded_reason[blank] = "blank_row"
        excluded_reason[header & (excluded_reason == None)] = "header_row"  # noqa: E711
        excluded_reason[dup & (excluded_reason == None)] = "duplicate_row"  # noqa: E711
        keep = excluded_reason == None  # noqa: E711
        rows = np.arange(n) + 2
        work = frame.loc[keep].reset_index(drop=True) if not keep.all() else frame
        del frame
        work_rows = rows[keep]
        if config.explode:
            work, work_rows = _explode(work, work_rows, config.explode, issues)
        no_flag = None
        if config.unpivot:
            work, work_rows, _ = _unpivot(work, work_rows, config.unpivot, path, group.missing_values)
            no_flag = (work["__unpivot"] == "").to_numpy()
            if config.unpivot.otherwise is not None and no_flag.any():
                # A row with no flag set is kept under the configured label (force type not recorded).
                work.loc[no_flag, "__unpivot"] = config.unpivot.otherwise
                issues[f"{config.unpivot.field}: no flag set (kept as '{config.unpivot.otherwise}')"] += int(no_flag.sum())
                no_flag = np.zeros(len(work), dtype=bool)
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
        positions = [None if per_file[file_number] is None else per_file[file_number][work_rows - 2] for per_file in looked_up]
        _join_related(ctx, work, path, related, matched, table, positions)
        for field_name, allowed in config.scope.items():  # rows outside the report's scope
            inside = table[field_name].isin(allowed).fillna(False).to_numpy(dtype=bool)
            reason = reason.where(inside | reason.notna().to_numpy(), f"out_of_scope_{field_name}")
        ctx.settle_issues(reason.isna().to_numpy())
        notes.extend(note for note in ctx.notes if note not in notes)
        table["__row"] = work_rows
        table["__file"] = np.full(len(table), len(parts), dtype=np.int32)
        table["__reason"] = reason.to_numpy()
        parts.append(table)
        accounts.append((account, excluded_reason))
        del work, ctx, table

    # The files' tables are kept apart until the end (one copy of the data at a time): row i of the
    # dataset is row i - starts[f] of parts[f].
    starts = np.cumsum([0] + [len(p) for p in parts])

    def file_of(i: int) -> tuple[pd.DataFrame, int]:
        f = int(np.searchsorted(starts, i, side="right") - 1)
        return parts[f], i - int(starts[f])

    # Unique ids across the whole dataset.
    unique_fields = list(spec.unique)
    if not unique_fields and "duplicate_ids" in config.model_fields_set:
        unique_fields = [spec.id_field]  # the agency declares its id unique
    for unique_field in unique_fields:
        if not any(unique_field in p.columns for p in parts):
            continue
        column = pd.concat([_canonical(p[unique_field]) if unique_field in p.columns else pd.Series(pd.NA, index=p.index, dtype="string")
                            for p in parts], ignore_index=True)
        ids, distinct = pd.factorize(column)  # -1 for a missing id
        del column
        live = np.concatenate([p["__reason"].isna().to_numpy() for p in parts]) & (ids >= 0)
        first_live = np.full(len(distinct), len(ids), dtype=np.int64)  # each id's first live row
        np.minimum.at(first_live, ids[live], np.flatnonzero(live))
        repeated = live & (first_live[np.where(live, ids, 0)] != np.arange(len(ids)))
        if repeated.any():
            if config.duplicate_ids == "error":
                i = int(np.flatnonzero(repeated)[0])
                first = int(first_live[ids[i]])
                (part, row), (first_part, first_row) = file_of(i), file_of(first)
                raise DataError(
                    accounts[int(part["__file"].iloc[row])][0].path,
                    f"{unique_field} '{part[unique_field].iloc[row]}' repeats row {int(first_part['__row'].iloc[first_row])}"
                    f" of {accounts[int(first_part['__file'].iloc[first_row])][0].path}; ids must be unique "
                    "(set duplicate_ids: exclude to keep the first and count the rest)",
                    row=int(part["__row"].iloc[row]), column=_source_column(agency, dataset, unique_field),
                )
            if config.duplicate_ids == "exclude":
                for f, part in enumerate(parts):
                    mine = repeated[starts[f]: starts[f + 1]]
                    if mine.any():
                        part.loc[mine, "__reason"] = "duplicate_id"

    # Related rows whose key matches no main record are not lost: they are counted.
    for rel, found in zip(related, matched):
        orphans = int(rel.sizes[~found].sum())
        if orphans:
            issues[f"linked records: rows of {', '.join(rel.config.files)} that match no record"] += orphans

    # Account for every raw row: used if any of its canonical rows is kept, else its first reason. Then
    # keep each file's used rows only.
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
    del part

    table = _concat(parts, consume=True) if parts else pd.DataFrame()
    parts.clear()
    recorded = [f for f in spec.fields if f in table.columns]
    table = table[recorded + _times_not_all_known(table, recorded)]
    distinct = distinct_values(table)
    if not compact:
        table = canonical_table(table)

    for field_name, source in agency.file_groups[dataset][0].columns.items():
        if source.kind == "synthetic":
            basis = "the columns " + ", ".join(source.columns) if source.columns else "the content of each row"
            notes.append(f"The agency publishes no {registry.field_words(field_name)}; one was made from {basis}.")
    if normalised_cells:
        notes.append(f"{normalised_cells:,} cells held invisible characters (such as zero-width spaces or soft hyphens) "
                     "or non-breaking spaces, which were removed or made ordinary spaces so that values that look "
                     "the same are counted as one.")
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
        distinct=distinct,
    )


def _times_not_all_known(table: pd.DataFrame, recorded: list[str]) -> list[str]:
    """The time-known columns (:mod:`transparency.timeofday`) worth keeping: those of a datetime field
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
