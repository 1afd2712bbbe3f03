"""The consistency audit: every build checks its publication as a whole before it is called complete.

A section computes each headline figure once (:func:`transparency.figures.metrics.compute`, in its notebook) and
decides its disclosure once (:meth:`transparency.sections.section.Section.save`); the build publishes those
figures in metrics.json and on the at-a-glance page. The audit then reads what the build is about to
publish, and what the sections said of it, and fails the build on any of:

- **inconsistent**: a figure shown with two values: a table cell that shows a headline figure
  (``Section.table(figures=)``) against metrics.json, a figure marked in the HTML (``data-figure``, on
  the at-a-glance page) against metrics.json, or a chart's alt text or drawn labels against the table
  it draws (:func:`audit_charts`); or a CSV that no section wrote through ``Section.table``;
- **small count**: a count from 1 to ``min_count - 1`` in metrics.json (a count figure,
  ``rows_in_period``, or a count about people in ``rows_excluded``), in a count column of a published
  table, or among manifest.json's counts about people (rows left out for a field about people,
  unmatched values, problems in fields about people: see :mod:`transparency.figures.accounts`);
- **recoverable**: a hidden count that can be worked out from all the period's outputs together: shown
  in one output and hidden in another, or determined exactly by the equations they give together (a
  table's rows and columns add up to totals a reader is assumed to know, as in
  :mod:`transparency.figures.suppress`; a breakdown in metrics.json adds up to its total; a cell and the
  metrics.json figure it shows are one unknown) though no single output determines it.
"""

from __future__ import annotations

import base64
import csv
import html
import html.parser
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import numpy as np

from .accounts import issue_about_people, reason_about_people
from .suppress import SMALL_COUNT

#: Figure-name suffixes of the comparison periods.
_SUFFIXES = ("_prior", "_last_year")
_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Finding:
    """One problem: its kind (``inconsistent``, ``small count``, ``recoverable``), where, and what."""

    kind: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.where}: {self.message}"


@dataclass
class Audit:
    """What the audit checked and found."""

    figures: int = 0
    cells: int = 0
    charts: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.findings

    def summary(self) -> str:
        """One line for people: what was checked, and the result."""
        checked = (f"{self.figures:,} headline figures, {self.cells:,} table cells and {self.charts:,} chart listings "
                   "checked")
        if self.passed:
            return f"passed: {checked}; every figure has one value, no small count is shown, no hidden count can be worked out"
        return f"{len(self.findings)} problem{'s' if len(self.findings) != 1 else ''} found ({checked})"

    def to_dict(self) -> dict:
        return {"passed": self.passed, "figures": self.figures, "cells": self.cells, "charts": self.charts,
                "findings": [{"kind": f.kind, "where": f.where, "message": f.message} for f in self.findings]}


def _split(name: str) -> tuple[str, str]:
    """``searches__black_prior`` -> (``searches__black``, ``_prior``)."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)], suffix
    return name, ""


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return (rows[0], rows[1:]) if rows else ([], [])


def _number(text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


class _Marks(html.parser.HTMLParser):
    """Elements of an HTML page that carry ``data-figure`` (and ``data-value``), or ``data-table``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.marks: list[tuple[str, str | None]] = []
        self.cells: list[tuple[str, str, str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if "data-figure" in found:
            self.marks.append((found["data-figure"] or "", found.get("data-value")))
        if "data-table" in found:
            table, column = found["data-table"] or "", found.get("data-column") or ""
            if "data-row" in found:
                self.cells.append((table, found["data-row"] or "", column, found.get("data-value")))
            for point in (found.get("data-points") or "").split(";") if found.get("data-points") else []:
                row, _, value = point.rpartition("=")
                self.cells.append((table, row, column, value))


def marked_figures(page: Path) -> list[tuple[str, str | None]]:
    """``(dataset:name, value)`` of every element of an HTML page marked with ``data-figure``."""
    parser = _Marks()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.marks


def marked_cells(page: Path) -> list[tuple[str, str, str, str | None]]:
    """``(tables/<file>.csv, row, column, value)`` of every number of an HTML page marked as a published table's
    cell: an element with ``data-table``, ``data-row``, ``data-column`` and ``data-value``, or a small line's
    ``data-table``, ``data-column`` and ``data-points`` (``row=value;...``, the value empty where hidden)."""
    parser = _Marks()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.cells


def _audit_cells(folder: Path, page: Path, result: Audit) -> None:
    """Each number page 2 shows from a published table (:func:`marked_cells`) is that table's cell, as its CSV holds
    it (a cell hidden in the CSV must be hidden on the page too). The row is found by the CSV's first column."""
    read: dict[str, tuple[list[str], list[list[str]]]] = {}
    for table, row, column, value in marked_cells(page):
        where = f"report.html {table} [{row!r}, {column!r}]"
        path = folder / table
        if not table.startswith("tables/") or "/" in table.removeprefix("tables/") or not path.is_file():
            result.findings.append(Finding("inconsistent", where, "names no published table"))
            continue
        header, rows = read.setdefault(table, _read_csv(path))
        found = [r for r in rows if r and r[0] == row]
        if column not in header or len(found) != 1:
            result.findings.append(Finding("inconsistent", where, "names no cell of the table"))
            continue
        result.cells += 1
        published, shown = _number(found[0][header.index(column)]), _number(value or "")
        if (shown is None) != (published is None) or (shown is not None and abs(shown - published) > 1e-9):
            result.findings.append(Finding("inconsistent", where, f"shows {value or 'nothing'}, the table {published}"))


class _System:
    """Unknowns and the equations that tie them (each: variables that add up to zero with signs)."""

    def __init__(self) -> None:
        self.unknown: dict[str, int] = {}
        self.equations: list[dict[str, int]] = []

    def add(self, equation: dict[str, int]) -> None:
        if equation:
            self.equations.append(equation)

    def determined(self, unknown: set[str], equations: list[dict[str, int]] | None = None) -> set[str]:
        """The unknowns whose value follows exactly from the equations (the others' values known)."""
        equations = self.equations if equations is None else equations
        names = sorted(unknown)
        column = {name: k for k, name in enumerate(names)}
        rows = []
        for equation in equations:
            row = np.zeros(len(names))
            for name, sign in equation.items():
                if name in column:
                    row[column[name]] += sign
            if row.any():
                rows.append(row)
        if not rows or not names:
            return set()
        _, singular, vt = np.linalg.svd(np.array(rows))
        rank = int((singular > _TOLERANCE * max(1.0, singular.max())).sum())
        null = vt[rank:]
        return {name for k, name in enumerate(names) if null.shape[0] == 0 or np.abs(null[:, k]).max() < 1e-8}


def _table_equations(table_id: str, grid: dict, min_count: int) -> tuple[list[dict[str, int]], set[str], set[str]]:
    """A published table's equations (as :mod:`transparency.figures.suppress` assumes them: every row and column
    of counts adds up to a total a reader knows, unless that total is itself small or covers one cell),
    its unknown cells and totals, and its hidden small counts."""
    counts = np.array(grid["counts"], dtype=np.int64).reshape(len(grid["rows"]), len(grid["columns"]))
    reasons = grid["reasons"]
    m, n = counts.shape
    cell = [[f"{table_id}[{i},{j}]" for j in range(n)] for i in range(m)]
    equations, unknown, small = [], set(), set()
    for i in range(m):
        for j in range(n):
            if reasons[i][j]:
                unknown.add(cell[i][j])
                if reasons[i][j] == SMALL_COUNT:
                    small.add(cell[i][j])
    lines = [([cell[i][j] for j in range(n)], int(counts[i].sum()), f"{table_id}[row {i}]") for i in range(m)
             if grid.get("rows_add_up", True)]  # a trend's columns are different measures: its rows add up to nothing
    lines += [([cell[i][j] for i in range(m)], int(counts[:, j].sum()), f"{table_id}[column {j}]") for j in range(n)]
    for cells, total, total_name in lines:
        equation = {c: 1 for c in cells}
        if len(cells) < 2 or 1 <= total < min_count:
            unknown.add(total_name)  # a total of one cell is that cell; a small total is hidden everywhere
        equation[total_name] = -1
        equations.append(equation)
    return equations, unknown, small


def audit_publication(folder: Path, sections: dict[str, dict], min_count: int) -> Audit:
    """Audit the staged publication in ``folder`` against the sections' facts.

    Parameters
    ----------
    folder : Path
        The build's staging folder: metrics.json, tables/, report.html.
    sections : dict
        Dataset name -> the facts its notebook saved (``Section.save``), for the sections built.
    min_count : int
        The agency's suppression threshold.
    """
    result = Audit()
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))["datasets"]
    for dataset, entry in sorted(metrics.items()):
        facts = sections.get(dataset) or {}
        values = entry.get("metrics", {})
        counts = set(facts.get("metrics", {}).get("counts", []))
        result.figures += len(values)
        for name, value in sorted(values.items()):
            if name in counts and value is not None and 1 <= value < min_count:
                result.findings.append(Finding("small count", f"metrics.json {dataset}.{name}", f"publishes {value}"))
        rows = entry.get("rows_in_period")
        if rows is not None and 1 <= rows < min_count:
            result.findings.append(Finding("small count", f"metrics.json {dataset}.rows_in_period", f"publishes {rows}"))
        for reason, n in sorted((entry.get("rows_excluded") or {}).items()):
            if reason_about_people(reason) and n is not None and 1 <= n < min_count:
                result.findings.append(Finding("small count", f"metrics.json {dataset}.rows_excluded.{reason}",
                                               f"publishes {n} (a count about people)"))
        _audit_tables(folder, dataset, facts, values, entry.get("suppressed", {}), min_count, result)
    _audit_manifest(folder, min_count, result)
    for dataset in sorted(sections):
        fragment = folder / "sections" / f"{dataset}.html"
        if fragment.is_file():
            checked, findings = audit_charts(dataset, fragment.read_text(encoding="utf-8"))
            result.charts += checked
            result.findings.extend(findings)
    accounted = {table["file"] for facts in sections.values() for table in (facts or {}).get("tables", [])}
    for path in sorted((folder / "tables").glob("*.csv")) if (folder / "tables").is_dir() else []:
        if f"tables/{path.name}" not in accounted:
            result.findings.append(Finding("inconsistent", f"tables/{path.name}",
                                           "was written outside Section.table, so nothing checked its counts"))
    page = folder / "report.html"
    if page.is_file():
        _audit_cells(folder, page, result)
        for mark, value in marked_figures(page):
            dataset, _, name = mark.partition(":")
            published = metrics.get(dataset, {}).get("metrics", {})
            if name not in published:
                result.findings.append(Finding("inconsistent", f"report.html {mark}", "names no figure of metrics.json"))
                continue
            shown = _number(value or "")
            if (shown is None) != (published[name] is None) or (shown is not None and abs(shown - published[name]) > 1e-9):
                result.findings.append(Finding("inconsistent", f"report.html {mark}",
                                               f"shows {value or 'nothing'}, metrics.json {published[name]}"))
    return result


def _audit_manifest(folder: Path, min_count: int, result: Audit) -> None:
    """manifest.json's accounts of the rows: no count about people from 1 to ``min_count - 1``."""
    path = folder / "manifest.json"
    if not path.is_file():
        return
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for dataset, entry in sorted(manifest.get("datasets", {}).items()):
        found: list[tuple[str, object]] = []
        for account in entry.get("inputs", []):
            found += [(f"inputs {account.get('path')} rows_excluded.{reason}", n)
                      for reason, n in (account.get("rows_excluded") or {}).items() if reason_about_people(reason)]
        for name, values in (entry.get("unmapped") or {}).items():
            found += [(f"unmapped {name}", n) for n in values.values()]
        found += [(f"issues {issue}", n) for issue, n in (entry.get("issues") or {}).items() if issue_about_people(issue)]
        for where, n in found:
            if isinstance(n, int) and 1 <= n < min_count:
                result.findings.append(Finding("small count", f"manifest.json {dataset} {where}",
                                               f"publishes {n} (a count about people)"))


def _audit_tables(folder: Path, dataset: str, facts: dict, values: dict, suppressed: dict, min_count: int,
                  result: Audit) -> None:
    """One section's tables: small counts, cells against metrics.json, and what the outputs give away together."""
    system = _System()
    unknown: set[str] = {name for name in values if values[name] is None and name in suppressed}
    small = {name for name, reason in suppressed.items() if reason == SMALL_COUNT and name in values}
    alone: list[set[str]] = []
    # metrics.json alone: every breakdown adds up to its total (stops = stops__white + stops__black ...).
    groups: dict[tuple[str, str], list[str]] = {}
    for name in values:
        base, suffix = _split(name)
        if "__" in base and name in set(facts.get("metrics", {}).get("counts", [])):
            groups.setdefault((base.split("__", 1)[0], suffix), []).append(name)
    metric_equations = []
    for (total, suffix), parts in groups.items():
        equation = {part: 1 for part in parts}
        equation[f"{dataset}:total:{total}{suffix}" if total + suffix not in values else total + suffix] = -1
        if total + suffix not in values:
            unknown.add(f"{dataset}:total:{total}{suffix}")
        metric_equations.append(equation)
    for equation in metric_equations:
        system.add(equation)
    alone.append(system.determined(unknown, metric_equations) & small)

    for table in facts.get("tables", []):
        path = folder / table["file"]
        if not path.is_file():
            result.findings.append(Finding("inconsistent", table["file"], "is named by the section but was not written"))
            continue
        header, rows = _read_csv(path)
        by_label = {row[0]: row for row in rows if row}
        grid = table.get("grid")
        if grid:
            for column in grid["columns"]:
                if column not in header:
                    continue
                k = header.index(column)
                for row in rows:
                    shown = _number(row[k]) if k < len(row) else None
                    result.cells += 1
                    if shown is not None and 1 <= shown < min_count and shown.is_integer():
                        result.findings.append(Finding("small count", f"{table['file']} row {row[0]!r}, column {column!r}",
                                                       f"publishes {int(shown)}"))
        # Cells that show a headline figure: the same value, or hidden in both.
        rename: dict[str, str] = {}
        for name, (label, column) in table.get("figures", {}).items():
            row = by_label.get(label)
            if row is None or column not in header:
                result.findings.append(Finding("inconsistent", table["file"], f"has no cell ({label!r}, {column!r}) for {name}"))
                continue
            shown = _number(row[header.index(column)])
            published = values.get(name)
            where = f"{table['file']} row {label!r}, column {column!r}"
            if shown is None and published is not None:
                result.findings.append(Finding("recoverable", where, f"hides {name}, which metrics.json publishes ({published})"))
            elif shown is not None and published is None:
                kind = "recoverable" if name in suppressed else "inconsistent"
                result.findings.append(Finding(kind, where, f"shows {shown:g}; metrics.json hides {name}"))
            elif shown is not None and abs(shown - published) > 1e-9:
                result.findings.append(Finding("inconsistent", where, f"shows {shown:g}; metrics.json {name} is {published}"))
            if grid and label in grid["rows"] and column in grid["columns"]:
                rename[f"{dataset}:{table['name']}[{grid['rows'].index(label)},{grid['columns'].index(column)}]"] = name
        if grid and grid["rows"] and grid["columns"]:
            equations, table_unknown, table_small = _table_equations(f"{dataset}:{table['name']}", grid, min_count)
            alone.append({rename.get(k, k) for k in system.determined(table_unknown, equations) & table_small})
            equations = [{rename.get(k, k): v for k, v in equation.items()} for equation in equations]
            for equation in equations:
                system.add(equation)
            unknown |= {rename.get(k, k) for k in table_unknown}
            small |= {rename.get(k, k) for k in table_small}
    unknown -= {name for name, value in values.items() if value is not None}  # published in metrics.json
    already = set().union(*alone) if alone else set()
    for name in sorted((system.determined(unknown) & small) - already):
        result.findings.append(Finding("recoverable", f"{dataset}: {name}",
                                       "this hidden small count can be worked out by combining the section's published outputs"))


# --- Charts: every figure a chart's alt text lists, and every label it draws, is a published table's cell -------

NUMBER = r"-?[\d,]+(?:\.\d+)?"
# One listed figure: "label value[%]" with an optional "(interval low to high)" and the like.
ITEM = re.compile(rf"^“?(?P<label>.+?)”? (?P<value>not shown|{NUMBER})%?"
                   rf"(?: \(interval (?P<low>{NUMBER})%? to (?P<high>{NUMBER})%?\))?"
                   rf"(?: \(give or take (?P<margin>{NUMBER}) points?\))?(?:, previous survey (?P<previous>{NUMBER})%)?$")
# One chart's list in its alt text; an alt text may hold several (one per series).
LISTING = re.compile(r"(?P<kind>Line chart|Bar chart|Dot chart) of (?:[^:“]|“[^”]*”)+: (?P<items>.+?)\.(?= |$)")
_NOT_SHOWN = "—"


def tables_and_charts(page: str) -> list[tuple[str, object]]:
    """A section page's tables (row header -> cells as shown) and charts ((alt text, drawn labels)), in order."""
    found: list[tuple[str, object]] = []
    for match in re.finditer(r"<table.*?</table>|<img [^>]*>", page, re.S):
        chunk = match.group(0)
        if chunk.startswith("<table"):
            rows = {}
            for row in re.findall(r"<tr>(.*?)</tr>", chunk, re.S):
                cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
                         for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
                if row.lstrip().startswith('<th scope="row"') and cells:
                    rows[cells[0]] = cells[1:]
            found.append(("table", rows))
        else:
            alt = re.search(r'alt="([^"]*)"', chunk)
            src = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', chunk)
            if alt and src:
                try:
                    drawn = drawn_labels(base64.b64decode(src.group(1)).decode("utf-8"))
                except (ValueError, ElementTree.ParseError):
                    drawn = []
                found.append(("chart", (html.unescape(alt.group(1)), drawn)))
    return found


def drawn_labels(svg: str) -> list[str]:
    """The figures a chart draws as text beside its bars, dots or last points (not its axes' ticks or legend),
    without a series name ("Median: ") or a per cent sign."""
    labels: list[str] = []

    def walk(element, inside_axis: bool) -> None:
        inside_axis = inside_axis or str(element.get("id", "")).startswith(("xtick", "ytick", "legend"))
        if element.tag.endswith("text") and not inside_axis:
            text = re.sub(r"^[^:]+: ", "", "".join(element.itertext()).strip()).rstrip("%")
            if re.fullmatch(NUMBER, text):
                labels.append(text)
        for child in element:
            walk(child, inside_axis)

    walk(ElementTree.fromstring(svg), False)
    return labels


def _listing_problems(figures: list, table: dict) -> bool:
    """Whether some figure of an alt text's listing is not what the table's row shows."""
    for m in figures:
        row = table[m.group("label")]
        if m.group("value") == "not shown":
            if _NOT_SHOWN not in row:
                return True
        elif any(m.group(part) is not None and m.group(part) not in row
                 for part in ("value", "low", "high", "margin", "previous")):
            return True
    return False


def audit_charts(dataset: str, page: str) -> tuple[int, list[Finding]]:
    """Check a section page's charts against the tables above them: each figure an alt text lists is the
    table row's cell as the table shows it ("not shown" where the table shows a dash), a bar or dot chart
    draws each one, and any figure a chart draws is one its alt text lists. Returns the listings checked
    and the findings; a listing that names rows no table above it has is not checked."""
    findings: list[Finding] = []
    checked = 0
    seen: list[dict] = []
    for kind, item in tables_and_charts(page):
        if kind == "table":
            seen.append(item)
            continue
        alt, drawn = item
        where = f"{dataset}: chart “{alt[:60]}…”"
        for listing in LISTING.finditer(alt):
            figures = [ITEM.match(part.strip()) for part in listing.group("items").split("; ")]
            if not all(figures):
                continue
            labels = [m.group("label") for m in figures]
            candidates = [t for t in reversed(seen) if all(label in t for label in labels)]
            if not candidates:
                continue
            checked += 1
            # The table the listing draws: the nearest above that shows every figure it lists (a chart of two
            # series draws two tables with the same rows), else the nearest with its rows.
            table = next((t for t in candidates if not _listing_problems(figures, t)), candidates[0])
            for m in figures:
                row = table[m.group("label")]
                if m.group("value") == "not shown":
                    if _NOT_SHOWN not in row:
                        findings.append(Finding("inconsistent", where, f"says {m.group('label')} is not shown; its table shows {row}"))
                    continue
                for part in ("value", "low", "high", "margin", "previous"):
                    if m.group(part) is not None and m.group(part) not in row:
                        findings.append(Finding("inconsistent", where, f"lists {m.group(0)!r}; its table row shows {row}"))
                        break
                if listing.group("kind") != "Line chart" and m.group("value") not in drawn:
                    findings.append(Finding("inconsistent", where, f"lists {m.group(0)!r} but does not draw it"))
        listed = set(re.findall(rf"(?<![\w.,]){NUMBER}(?![\w,]|\.\d)", alt))
        for label in drawn:
            if label not in listed:
                findings.append(Finding("inconsistent", where, f"draws {label}, which its alt text does not list"))
    return checked, findings
