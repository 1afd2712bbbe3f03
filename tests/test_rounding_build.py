"""One rounding over a real build: every figure a chart's alt text lists, and every value label the chart
draws, is the published table's cell as the table shows it.

What this guards: the sample agency (generated small, every dataset) is built to HTML; for each chart
whose alt text lists values ("Bar chart of ...: North 12; South 7.5", "Dot chart of ...: Black 11.5
(interval 10.6 to 12.4)"), the table the chart draws (the nearest table above it that has a row for every
label) shows exactly that text in that row, and a hidden figure ("not shown") is a dash there. Bar and dot
charts draw each listed value as an SVG <text> label (svg.fonttype "none"), and any figure a chart draws
as a label (a line chart's last point) is one its alt text lists.
"""

from __future__ import annotations

import re

import pytest
from conftest import keyed_agency, sample_project

from transparency.audit import ITEM, LISTING, NUMBER, tables_and_charts
from transparency.build import build
from transparency.periods import parse_period

PERIOD = "2026Q3"


@pytest.fixture(scope="module")
def sections(tmp_path_factory):
    """Each dataset's published section page (HTML), from one small build of every dataset."""
    root = tmp_path_factory.mktemp("rounding")
    agency = keyed_agency(sample_project(root, through=PERIOD, years=3, scale=0.3))
    lines: list[str] = []
    code = build(agency, parse_period(PERIOD), root, None, workers=2, formats=("html",), say=lines.append)
    assert code == 0, "\n".join(lines)
    out = root / "reports" / "sample" / PERIOD
    pages = {p.stem: p.read_text(encoding="utf-8") for p in out.glob("*.html") if p.stem != "report"}
    assert len(pages) >= 10, sorted(pages)
    return pages


def listings(alt: str) -> list[tuple[str, list[re.Match]]]:
    """The figures an alt text lists, one list per series; an item that does not parse fails the test."""
    result = []
    for listing in LISTING.finditer(alt):
        items = [ITEM.match(part.strip()) for part in listing.group("items").split("; ")]
        assert all(items), f"an alt text item that does not read as 'label value': {listing.group(0)!r}"
        result.append((listing.group("kind"), items))
    return result


def test_alt_text_and_chart_labels_show_the_published_table_cells(sections):
    checked = 0
    for dataset, page in sorted(sections.items()):
        seen_tables: list[dict] = []
        for kind, item in tables_and_charts(page):
            if kind == "table":
                seen_tables.append(item)
                continue
            alt, drawn = item
            for chart_kind, figures in listings(alt):
                labels = [m.group("label") for m in figures]
                table = next((t for t in reversed(seen_tables) if all(label in t for label in labels)), None)
                assert table is not None, f"{dataset}: no table above the chart has rows {labels}: {alt!r}"
                for m in figures:
                    row = table[m.group("label")]
                    if m.group("value") == "not shown":
                        assert "—" in row, f"{dataset}: {m.group(0)!r} is shown in its table: {row}"
                        continue
                    for part in ("value", "low", "high", "margin", "previous"):
                        if m.group(part) is not None:
                            assert m.group(part) in row, f"{dataset}: {m.group(0)!r} but the table row shows {row}"
                if chart_kind != "Line chart":  # a bar or dot chart labels every figure it lists
                    for m in figures:
                        if m.group("value") != "not shown":
                            assert m.group("value") in drawn, f"{dataset}: the chart does not draw {m.group('value')!r}: {alt!r}"
                checked += 1
            listed = set(re.findall(rf"(?<![\w.,]){NUMBER}(?![\w,]|\.\d)", alt))
            for label in drawn:  # and whatever figure a chart draws is one its alt text (so its table) shows
                assert label in listed, f"{dataset}: the chart draws {label!r}, which its alt text does not list: {alt!r}"
    assert checked >= 15, f"only {checked} chart listings were checked"
