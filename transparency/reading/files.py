"""One raw file -> a frame of text cells: encodings, the Arrow and pandas CSV readers, Excel workbooks.

Nothing is typed or turned into NaN here; a file that cannot be read as configured is a
:class:`~transparency.core.errors.DataError` naming the file and row.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from transparency.core.errors import DataError
from transparency.core.hashing import file_sha256

from .columns import _compact_text, _trimmed


def _row_of_offset(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _decode(path: Path, data: bytes, encoding: str | None) -> tuple[str, str, list[str]]:
    """Bytes -> text. Without a configured encoding: UTF-8 (BOM allowed), else Windows-1252, reported."""
    warnings: list[str] = []
    if encoding:
        try:
            if data.startswith(_BOM) and codecs.lookup(encoding).name not in ("utf-8", "utf-8-sig"):
                data = data[len(_BOM):]  # a UTF-8 mark before another encoding's bytes (see below)
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
    # A UTF-8 byte-order mark before bytes of another encoding (an editor's "UTF-8" export of a Windows-1252
    # file) is a mark, not text: read as Windows-1252 it would be "ï»¿" in the first column's name.
    body = data[len(_BOM):] if data.startswith(_BOM) else data
    for fallback in ("cp1252", "latin-1"):
        try:
            text = body.decode(fallback)
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


def _distinct_names(path: Path, names: list[str], raw: list) -> list[str]:
    """The header's names, refused when two are the same once trimmed (``DIST`` and ``DIST ``).

    Two columns of one name could not be told apart by a mapping, and would each be read as both.
    """
    first: dict[str, int] = {}
    for position, name in enumerate(names):
        if name in first:
            raise DataError(
                str(path), f"the header names two columns '{name}' (columns {first[name] + 1} and {position + 1}: "
                f"{str(raw[first[name]])!r} and {str(raw[position])!r}, the same once spaces are trimmed); rename one "
                "so that every column has its own name", row=1, column=name)
        first[name] = position
    return names


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
    frame.columns = _distinct_names(path, [_column_name(c) for c in frame.columns], list(frame.columns))
    for column in frame.columns:
        frame[column] = _compact_text(frame[column]) if compact else _trimmed(frame[column])
    _normalise_cells(frame, warnings)
    return frame, encoding_used, warnings, sha256


def _normalise_cells(frame: pd.DataFrame, warnings: list[str]) -> None:
    """Cells with invisible characters or odd spaces made plain (:mod:`transparency.core.textnorm`), in place;
    how many is said in ``warnings`` and kept in ``frame.attrs["normalised_cells"]``."""
    from transparency.core.textnorm import normalise_series

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
