"""The column names of a raw file, read from its header alone (for `validate`'s list of unmapped columns)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

#: Bytes read from the start of a text file: enough for any header row.
_HEAD_BYTES = 1 << 16


def column_names(path: Path, encoding: str | None = None, sheet=None, delimiter: str | None = None) -> list[str]:
    """The trimmed header names of a CSV, TSV or Excel file, as the loader names its columns.

    Reads only the header (the first 64 KiB of a text file, the first row of a worksheet); an
    unreadable file gives an empty list (the loader reports why).
    """
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        try:
            from openpyxl import load_workbook

            book = load_workbook(path, read_only=True, data_only=True)
            try:
                sheet_obj = book.worksheets[sheet] if isinstance(sheet, int) else book[sheet] if sheet else book.worksheets[0]
                first = next(sheet_obj.iter_rows(max_row=1, values_only=True), ())
            finally:
                book.close()
        except Exception:  # a damaged workbook: the loader says what is wrong with it
            return []
        return [_name(cell) for cell in first if cell is not None and _name(cell)]
    try:
        with path.open("rb") as handle:
            head = handle.read(_HEAD_BYTES)
    except OSError:
        return []
    text = None
    for candidate in ([encoding] if encoding else []) + ["utf-8-sig", "cp1252"]:
        try:
            text = head.decode(candidate)
            break
        except (UnicodeDecodeError, LookupError):
            # The cut at 64 KiB may split a character: decode what comes before the first line break.
            line_end = head.find(b"\n")
            if line_end >= 0:
                try:
                    text = head[:line_end].decode(candidate)
                    break
                except (UnicodeDecodeError, LookupError):
                    continue
    if text is None:
        return []
    sep = delimiter or ("\t" if suffix in (".tsv", ".tab") else ",")
    try:
        row = next(csv.reader(io.StringIO(text, newline=""), delimiter=sep), [])
    except csv.Error:  # a malformed file: the loader says what is wrong with it
        return []
    return [_name(cell) for cell in row if _name(cell)]


def _name(cell) -> str:
    return str(cell).strip().lstrip("\ufeff")


__all__ = ["column_names"]
