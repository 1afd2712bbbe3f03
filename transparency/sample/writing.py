"""Writing the raw files and planting row-level defects (duplicates, stray headers, blank rows); the run's
bookkeeping of rows, files and planted defects; a workbook whose bytes depend only on its content."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .city import AGENCY_NAME, DATASETS, _Officers
from .days import _Calendar
from .draws import _pick


@dataclass
class _Ctx:
    raw: Path
    cal: _Calendar
    seed: int
    scale: float
    officers: _Officers
    rows: dict = field(default_factory=dict)
    planted: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)
    linked_stops: list = field(default_factory=list)
    agency: str = AGENCY_NAME  # written into the files that name their maker (the training workbook)

    def rng(self, stream: str) -> np.random.Generator:
        # One independent stream per dataset: changing one dataset never changes another's rows.
        return np.random.default_rng([self.seed, (["officers", *DATASETS].index(stream))])

    def plant(self, dataset: str, defect: str, count: int) -> None:
        if count:
            counts = self.planted.setdefault(dataset, {})
            counts[defect] = counts.get(defect, 0) + int(count)

    def wrote(self, dataset: str, path: Path, rows: int) -> None:
        self.rows[dataset] = self.rows.get(dataset, 0) + rows
        rel = path.relative_to(self.raw).as_posix()
        self.files.setdefault(dataset, {})
        self.files[dataset][rel] = self.files[dataset].get(rel, 0) + rows


def _csv_lines(df: pd.DataFrame) -> tuple[str, list[str]]:
    text = df.to_csv(index=False, lineterminator="\n")
    lines = text.split("\n")
    return lines[0], lines[1:-1]


def _plant_lines(rng, lines, header, ncols, *, duplicates=0, headers=0, blanks=0, blanks_at_end=0, avoid=None):
    """Insert exact duplicate rows, stray header rows and blank rows into a file's data lines."""
    n = len(lines)
    blank = "," * (ncols - 1)
    inserts: list[tuple[int, str]] = []
    if n and duplicates:
        free = np.ones(n, dtype=bool) if avoid is None else ~avoid
        for src in _pick(rng, free, duplicates):
            inserts.append((min(n - 1, int(src) + int(rng.integers(0, 4))), lines[src]))
    for _ in range(headers if n else 0):
        inserts.append((int(rng.integers(n // 4, max(n // 4 + 1, (3 * n) // 4))), header))
    for _ in range(blanks if n else 0):
        inserts.append((int(rng.integers(0, n)), blank))
    if not inserts and not blanks_at_end:
        return lines
    inserts.sort(key=lambda item: item[0])
    out: list[str] = []
    j = 0
    for i, line in enumerate(lines):
        out.append(line)
        while j < len(inserts) and inserts[j][0] == i:
            out.append(inserts[j][1])
            j += 1
    out.extend([blank] * blanks_at_end)
    return out


def _write_csv(
    ctx: _Ctx,
    dataset: str | None,
    path: Path,
    df: pd.DataFrame,
    *,
    rng=None,
    duplicates=0,
    headers=0,
    blanks=0,
    blanks_at_end=0,
    avoid=None,
    encoding="utf-8",
    newline="\n",
    append=False,
) -> int:
    """Write (or append) a CSV; plant row defects; record rows written. Returns data lines written."""
    header, lines = _csv_lines(df)
    lines = _plant_lines(
        rng, lines, header, df.shape[1], duplicates=duplicates, headers=headers, blanks=blanks,
        blanks_at_end=blanks_at_end, avoid=avoid,
    )
    if dataset:
        ctx.plant(dataset, "duplicate_row", duplicates if len(df) else 0)
        ctx.plant(dataset, "header_row", headers if len(df) else 0)
        ctx.plant(dataset, "blank_row", (blanks if len(df) else 0) + blanks_at_end)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = newline.join(lines) + newline if lines else ""
    if append and path.exists():
        with open(path, "ab") as handle:
            handle.write(body.encode(encoding))
    else:
        path.write_bytes((header + newline + body).encode(encoding))
    if dataset:
        ctx.wrote(dataset, path, len(lines))
    return len(lines)


def _spread(rng, total: int, sizes: list[int]) -> np.ndarray:
    """Share ``total`` planted rows between files in proportion to their sizes."""
    sizes = np.asarray(sizes, dtype=float)
    if total == 0 or sizes.sum() == 0:
        return np.zeros(len(sizes), dtype=int)
    return rng.multinomial(total, sizes / sizes.sum())


def _write_by_file(ctx, dataset, rng, df, file_of_row, paths: dict, *, duplicates=0, header_in=None, avoid=None, **kw):
    """Write one frame split into several files; duplicates spread across them, a header row in one."""
    keys = list(paths)
    sizes = [int((file_of_row == key).sum()) for key in keys]
    dup_counts = _spread(rng, duplicates, sizes)
    for key, dups in zip(keys, dup_counts):
        rows = file_of_row == key
        part, columns = paths[key]
        frame = df.loc[rows, columns] if columns is not None else df.loc[rows]
        if isinstance(part, tuple):  # (path, rename)
            part, rename = part
            frame = frame.rename(columns=rename)
        _write_csv(
            ctx, dataset, part, frame.reset_index(drop=True), rng=rng, duplicates=int(dups),
            headers=1 if key == header_in else 0, avoid=None if avoid is None else avoid[rows], **kw,
        )


def _write_xlsx(path: Path, sheet: str, columns, rows, stamp: dt.date, creator: str = AGENCY_NAME) -> None:
    """An .xlsx whose bytes depend only on its content (fixed zip times and document dates)."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    worksheet.append(list(columns))
    count = 1
    for row in rows:
        worksheet.append(list(row))
        count += 1
    extent = f"A1:{get_column_letter(len(list(columns)))}{count}"
    fixed = dt.datetime(stamp.year, stamp.month, stamp.day, 12, 0, 0)
    workbook.properties.creator = creator
    workbook.properties.created = fixed
    buffer = io.BytesIO()
    workbook.save(buffer)
    iso = fixed.strftime("%Y-%m-%dT%H:%M:%SZ")
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)", rb"\g<1>" + iso.encode() + rb"\2", data)
            elif info.filename.startswith("xl/worksheets/sheet"):
                # The sheet's size, as Excel writes it (openpyxl's write-only mode leaves it out, and a
                # reader then scans the whole sheet once to find it).
                data = data.replace(b"</sheetPr>", b"</sheetPr>" + f'<dimension ref="{extent}" />'.encode(), 1)
            entry = zipfile.ZipInfo(info.filename, date_time=(fixed.year, fixed.month, fixed.day, 12, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, data)
