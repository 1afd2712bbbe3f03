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

from transparency.figures.audit import ITEM, LISTING, audit_charts, tables_and_charts


@pytest.fixture(scope="module")
def sections(whole_sample):
    """Each dataset's published section page (HTML), from one small build of every dataset."""
    pages = {p.stem: p.read_text(encoding="utf-8") for p in whole_sample.glob("*.html") if p.stem != "report"}
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
    """The audit's chart check (the table a listing draws: the nearest above that shows every figure it lists, a
    chart of two series drawing two tables with the same rows), held stricter here: every listing parses and
    every one is checked against a table."""
    checked = listed = 0
    for dataset, page in sorted(sections.items()):
        for kind, item in tables_and_charts(page):
            if kind == "chart":
                listed += len(listings(item[0]))
        found, findings = audit_charts(dataset, page)
        assert findings == [], "\n".join(str(f) for f in findings)
        checked += found
    assert checked == listed, f"{listed - checked} chart listings name rows no table above them has"
    assert checked >= 15, f"only {checked} chart listings were checked"
