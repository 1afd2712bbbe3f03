"""No nearly empty page at a section's end (transparency.rendering.pagefit), in the PDF drawn whole and in parts.

What this guards: a dataset section whose last lines spill alone onto a new page is drawn again a
little tighter (narrower charts first) when that saves the page, and otherwise lets the next
section start on that page; the report drawn in parts (``start_pdf``) makes the same decisions
as the report drawn whole (``html_to_pdf``), page for page. The "before" drawings switch the
fitting off (its thresholds set to 0) to show the problem is there to be solved. About 40 s.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from conftest import poppler

from transparency.rendering import pagefit, render
from transparency.rendering.pdflayout import layout_problems, read_layout
from transparency.rendering.pdfparts import start_pdf

TITLE = "Page fit test"


def test_a_nearly_empty_ending_takes_the_next_part_in():
    assert pagefit.flow_groups([0.9, 0.2, 0.1, 0.8, 1.0]) == [[0], [1, 2, 3], [4]]
    assert pagefit.flow_groups([0.5, 0.5]) == [[0], [1]]
    assert pagefit.flow_groups([0.1]) == [[0]]
    assert pagefit.flow_groups([]) == []


def test_fit_rules_are_scoped_to_their_part():
    css = pagefit.fit_css("stops", 0)
    assert css.startswith('section[data-pdf-part="stops"] figure.chart img')
    assert all(line.startswith('section[data-pdf-part="pursuits"]')
               for line in pagefit.fit_css("pursuits", len(pagefit.FIT_STEPS) - 1).splitlines())
    assert "break-before: auto" in pagefit.flow_css("stops")


def chart(label: str) -> str:
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="504pt" height="300pt" viewBox="0 0 504 300">'
           f'<rect x="40" y="20" width="420" height="240" fill="#1f77b4"/>'
           f'<text x="40" y="290" font-size="12">{label}</text></svg>')
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    return f'<figure class="chart"><img alt="{label}" src="{uri}"><figcaption>{label}</figcaption></figure>'


def two_sections(paragraphs: int, charts: int) -> str:
    """A report of two sections; the first has ``charts`` charts and ``paragraphs`` paragraphs after them."""
    text = "".join(f"<p>Paragraph {i}, with enough words in it to fill most of one printed line.</p>"
                   for i in range(paragraphs))
    first = f"<h2>Stops</h2>{''.join(chart(f'Chart {i}') for i in range(charts))}<h3>Notes</h3>{text}"
    return render.assemble_report(
        {"agency": "Sample City Police Department", "period": "2025Q2",
         "period_label": "April to June 2025", "data_through": "2025-07-01", "built_at": "2025-08-01"},
        [{"id": "stops", "title": "Stops", "html": first},
         {"id": "pursuits", "title": "Pursuits", "html": "<h2>Pursuits</h2><p>Fourteen pursuits.</p>"}],
        front={"rows": [{"title": "Stops", "id": "stops", "measure": "People stopped", "value": 3}]})


def nearly_empty(path: Path) -> list[str]:
    """The nearly empty pages of the sections (the tiny front matter's pages are short by nature)."""
    layout = read_layout(path)
    first = layout.destinations["stops"]
    return [p for p in layout_problems(layout) if "nearly empty" in p
            and int(p.split(":")[0].removeprefix("page ")) >= first]


def page_texts(path: Path) -> list[str]:
    return poppler("pdftotext", "-layout", str(path), "-").split("\f")[:-1]


@pytest.mark.parametrize("charts", [3, 0], ids=["charts, fitted", "text only"])
def test_a_section_ending_alone_on_a_page_is_fitted_or_flows(charts, tmp_path, monkeypatch):
    threshold = pagefit.NEARLY_EMPTY
    with monkeypatch.context() as off:
        for name in ("NEARLY_EMPTY", "HALF_EMPTY", "MEASURE_MARGIN"):
            off.setattr(pagefit, name, 0.0)
        for paragraphs in range(2, 60, 3):
            html = two_sections(paragraphs, charts)
            before = render.html_to_pdf(html, tmp_path / f"before-{paragraphs}.pdf", TITLE)
            layout = read_layout(before)
            stops = layout.destinations["stops"]
            last_of_stops = layout.destinations["pursuits"] - 1
            if last_of_stops > stops and layout.pages[last_of_stops - 1].fill < threshold:
                break
        else:
            pytest.fail("no amount of text left the first section's last page nearly empty")
    assert nearly_empty(before), "the problem is there without the fitting"

    whole = render.html_to_pdf(html, tmp_path / "whole.pdf", TITLE)
    parts = start_pdf(html, tmp_path / "parts.pdf", TITLE, workers=2).result()
    assert nearly_empty(whole) == [] and nearly_empty(parts) == []
    after = read_layout(whole)
    fewer_pages = len(after.pages) < len(layout.pages)
    flowed = after.destinations["pursuits"] == after.destinations["stops"] + (last_of_stops - stops)
    assert fewer_pages or flowed
    if charts:
        assert fewer_pages, "narrower charts save the page"
    assert page_texts(parts) == page_texts(whole), "drawn in parts, the same pages as drawn whole"
