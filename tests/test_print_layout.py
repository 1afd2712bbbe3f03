"""The printed report's layout, read back from the PDF (transparency.rendering.pdflayout), and its table headers.

What this guards: a resident reading the printed report never meets a nearly empty page (except
where a section must start a new page, and at the end), a heading, caption or glossary term alone at
the foot of a page, a table of up to 15 rows split across pages, or a longer table continued without
its header row or with one row alone; every table header cell in the PDF's structure tree has a
/Scope that agrees with the HTML, and the PDF/UA-1 checker pdfua finds no error and no warning.
Checked on the whole sample agency's report (all twelve sections, drawn in parts as a build draws
it) and on a real agency's report (Indianapolis, 2020Q1). The checker itself is tested on layouts
made by hand and on small PDFs where the print rules are switched off, so it cannot pass by seeing
nothing. About 90 s (two builds).
"""

from __future__ import annotations

import re
from pathlib import Path

import pikepdf
import pytest
from conftest import keyed_agency, needs_real

from transparency.building.build import build_period, latest_period
from transparency.core.periods import parse_period
from transparency.rendering import render
from transparency.rendering.pdflayout import (
    Block,
    PageLayout,
    ReportLayout,
    TableLayout,
    layout_problems,
    new_page_anchors,
    read_layout,
)

PERIOD = "2026Q3"
AGENCIES = Path(__file__).resolve().parent / "agencies"
HEADING = re.compile(r"<h([1-6])\b")


@pytest.fixture(scope="module")
def sample(whole_sample):
    """The sample agency's whole report for PERIOD (every dataset), HTML and PDF, as a build writes it."""
    return {"pdf": whole_sample / "report.pdf", "html": (whole_sample / "report.html").read_text(encoding="utf-8")}


@pytest.fixture(scope="module")
def indianapolis(tmp_path_factory):
    """A real agency's report (Indianapolis shootings and complaints, 2020Q1), HTML and PDF."""
    root = tmp_path_factory.mktemp("indianapolis")
    agency = keyed_agency(AGENCIES / "indianapolis")
    outcomes = build_period(agency, parse_period("2020Q1")[0], root=root,
                            datasets=["officer_involved_shootings", "complaints"], workers=2,
                            formats=("html", "pdf"), say=lambda _: None)
    assert all(o.status == "ok" for o in outcomes), [(o.dataset, o.status) for o in outcomes]
    out = root / "reports" / agency.slug / "2020Q1"
    return {"pdf": out / "report.pdf", "html": (out / "report.html").read_text(encoding="utf-8")}


def table_headers(path: Path) -> list[tuple[str | None, int]]:
    """(/Scope, number of text items) of every TH structure element of a PDF."""
    found = []
    with pikepdf.open(path) as pdf:
        stack = [pdf.Root.StructTreeRoot]
        while stack:
            element = stack.pop()
            kids = element.get("/K")
            kids = list(kids) if isinstance(kids, pikepdf.Array) else [] if kids is None else [kids]
            if element.get("/S") == "/TH":
                attributes = element.get("/A")
                scope = attributes.get("/Scope") if attributes is not None else None
                found.append((None if scope is None else str(scope), len(kids)))
            stack += [kid for kid in kids if isinstance(kid, pikepdf.Dictionary)
                      and kid.get("/Type") not in ("/MCR", "/OBJR")]
    return found


def assert_prints_cleanly(report: dict) -> None:
    layout = read_layout(report["pdf"])
    html = report["html"]
    # The layout was read, not missed: every table and every heading of the page is in it.
    assert len(layout.tables) == html.count("<table"), "every table is found in the PDF"
    headings = [b for page in layout.pages for b in page.blocks if b.kind.startswith("H")]
    assert len(headings) == len(HEADING.findall(html)), "every heading is one block on one page"
    assert all(b.bold for b in headings if b.texts), "headings are read as bold"
    assert layout_problems(layout, new_page_anchors=new_page_anchors(html)) == []


def assert_headers_scoped(report: dict) -> None:
    headers = table_headers(report["pdf"])
    html = report["html"]
    assert headers and all(scope in ("/Row", "/Column") for scope, _ in headers), \
        [h for h in headers if h[0] not in ("/Row", "/Column")][:5]
    # A row header is drawn once; a column header once per page its table spans.
    rows = len(re.findall(r'<th\b[^>]*\bscope="row"', html))
    columns = len(re.findall(r'<th\b[^>]*\bscope="col"', html))
    assert sum(scope == "/Row" for scope, _ in headers) == rows
    assert sum(scope == "/Column" for scope, _ in headers) >= columns
    assert columns + rows == len(re.findall(r"<th\b", html)), "every <th> in the HTML has a scope"


# ------------------------------------------------------------------------------------------
# The sample agency's report and a real agency's
# ------------------------------------------------------------------------------------------


def test_sample_report_prints_cleanly(sample):
    assert_prints_cleanly(sample)


def test_sample_table_headers_have_their_scope(sample):
    assert_headers_scoped(sample)


def test_sample_report_passes_pdfua(sample):
    try:
        import pdfua
    except ImportError:
        pytest.fail("pdfua is missing: pip install -r requirements-dev.txt (it is pinned there)")
    report = pdfua.validate(str(sample["pdf"]))
    found = [(f.rule_id, f.severity.name, f.location.page, f.message) for f in report.findings
             if f.severity >= pdfua.Severity.WARNING]
    assert found == []
    assert len(report.outcomes) - len(report.skipped) >= 10, "pdfua ran its rules"


def test_sample_key_questions_end_on_page_3(sample):
    """Page 2 answers the key questions: they may run onto one more page, never two."""
    layout = read_layout(sample["pdf"])
    cards = [page for name, page in layout.destinations.items() if name.startswith("key-question-")]
    assert len(cards) == sample["html"].count('class="key-question ')
    assert layout.destinations["at-a-glance"] == 2 and max(cards) <= 3


@needs_real("ois_indianapolis", "complaints_indianapolis")
def test_real_agency_report_prints_cleanly_with_scoped_headers(indianapolis):
    assert_prints_cleanly(indianapolis)
    assert_headers_scoped(indianapolis)


#: Every other real agency in tests/agencies (Indianapolis is above), built for its latest quarter.
OTHER_REAL_AGENCIES = sorted(p.name for p in AGENCIES.iterdir() if (p / "agency.yml").is_file()
                             and p.name != "indianapolis")


@pytest.mark.parametrize("name", OTHER_REAL_AGENCIES)
def test_every_real_agency_report_prints_cleanly(name, tmp_path):
    agency = keyed_agency(AGENCIES / name)
    if not agency.raw_root.is_dir():
        pytest.skip(f"{agency.raw_root} is not present")
    period = latest_period(agency)
    outcomes = build_period(agency, period, root=tmp_path, datasets=None, workers=2,
                            formats=("html", "pdf"), say=lambda _: None)
    assert all(o.status == "ok" for o in outcomes), [(o.dataset, o.status, o.message) for o in outcomes]
    out = tmp_path / "reports" / agency.slug / period.code
    report = {"pdf": out / "report.pdf", "html": (out / "report.html").read_text(encoding="utf-8")}
    assert_prints_cleanly(report)
    assert_headers_scoped(report)


# ------------------------------------------------------------------------------------------
# The checker
# ------------------------------------------------------------------------------------------


def page(number: int, fill: float, *blocks: Block, height: float = 792.0) -> PageLayout:
    return PageLayout(number, height, height * (1 - fill), list(blocks))


def block(kind: str, page_number: int, at: float, bold: bool = False) -> Block:
    """A block whose foot is ``at`` (a share of the page's height from its top)."""
    return Block(kind, page_number, top=792 * (1 - at) + 10, bottom=792 * (1 - at), bold=bold,
                 texts=1)


def test_a_short_page_is_allowed_only_before_a_new_section_and_at_the_end():
    layout = ReportLayout(
        pages=[page(1, 0.9, block("P", 1, 0.9)), page(2, 0.4, block("P", 2, 0.4)),
               page(3, 0.9, block("H2", 3, 0.1), block("P", 3, 0.9)),
               page(4, 0.4, block("P", 4, 0.4)), page(5, 0.2, block("P", 5, 0.2))],
        tables=[], destinations={"stops": 3, "glossary": 4})
    assert layout_problems(layout, new_page_anchors=["stops"]) == [
        "page 4: content ends at 40% of the page's height (less than 50%), and no section starts on "
        "the next page"]
    assert layout_problems(layout, new_page_anchors=["stops"], min_fill=0.35) == []
    problems = layout_problems(layout)
    assert [p.split(":")[0] for p in problems] == ["page 2", "page 4"]


def test_a_nearly_empty_page_is_allowed_only_at_the_end_and_for_the_cover_and_contents():
    """Under a third of the page: a problem even where a section starts next (pagefit prevents it)."""
    layout = ReportLayout(
        pages=[page(1, 0.2, block("P", 1, 0.2)), page(2, 0.3, block("P", 2, 0.3)),
               page(3, 0.9, block("H2", 3, 0.1), block("P", 3, 0.9)), page(4, 0.2, block("P", 4, 0.2))],
        tables=[], destinations={"contents": 2, "stops": 3})
    assert layout_problems(layout, new_page_anchors=["stops"], standalone=()) == [
        "page 2: content ends at 30% of the page's height (less than 33%): nearly empty"]
    assert layout_problems(layout, new_page_anchors=["stops"], nearly_empty=0.25, standalone=()) == []
    # The cover (page 1) and the contents stand alone by design.
    assert layout_problems(layout, new_page_anchors=["stops"]) == []
    with pytest.raises(ValueError, match="'pursuits' is not a destination"):
        layout_problems(layout, new_page_anchors=["pursuits"])


def test_a_heading_caption_or_bold_term_last_on_a_page_is_found():
    def last_on_page_one(last: Block) -> list[str]:
        layout = ReportLayout([page(1, 0.92, block("P", 1, 0.5), last), page(2, 0.9, block("P", 2, 0.9))],
                              [], {})
        return layout_problems(layout)

    assert last_on_page_one(block("H3", 1, 0.92, bold=True)) == [
        "page 1: a heading (H3) is the last thing on the page, at 92% of its height"]
    assert last_on_page_one(block("Caption", 1, 0.92, bold=True)) == [
        "page 1: a table's caption is the last thing on the page, at 92% of its height"]
    assert last_on_page_one(block("LI", 1, 0.92, bold=True)) == [
        "page 1: a line in bold (LI) is the last thing on the page, at 92% of its height"]
    assert last_on_page_one(block("LI", 1, 0.92)) == []
    # On the last page a heading may end the page (nothing follows it anywhere).
    layout = ReportLayout([page(1, 0.9, block("P", 1, 0.9)), page(2, 0.3, block("H2", 2, 0.3, bold=True))],
                          [], {})
    assert layout_problems(layout) == []


def test_short_tables_split_and_long_ones_without_their_header_are_found():
    pages = [page(n, 0.9, block("P", n, 0.9)) for n in (1, 2, 3)]

    def problems(*tables: TableLayout) -> list[str]:
        return layout_problems(ReportLayout(pages, list(tables), {}))

    assert problems(TableLayout([1, 2], [14, 1], [1, 1])) == [
        "pages 1 to 2: a table of 15 rows is split across pages (14 + 1 rows)"]
    assert problems(TableLayout([1, 2], [0, 2], [0, 1])) == [
        "pages 1 to 2: a table of 2 rows is split across pages (0 + 2 rows)"]
    assert problems(TableLayout([1], [15], [1]), TableLayout([1, 2, 3], [3, 30, 3], [1, 1, 1])) == []
    assert problems(TableLayout([1, 2], [10, 6], [1, 0])) == [
        "pages 1 to 2: a table of 16 rows split across pages does not repeat its header row on every page"]
    assert problems(TableLayout([1, 2], [20, 1], [1, 1])) == [
        "page 2: a single row of a 21-row table is alone on the page"]


def tiny_report(filler: int, rows: int, glossary_terms: int = 0) -> str:
    """A report whose one section has ``filler`` paragraphs, a heading and a table of ``rows`` rows."""
    paragraphs = "".join(f"<p>Paragraph {i}, with enough words to fill most of one line.</p>"
                         for i in range(filler))
    body = "".join(f"<tr><th scope='row'>Row {i}</th><td class='num'>{i}</td></tr>" for i in range(rows))
    table = (f"<div class='table-wrap'><table class='data-table'><caption>Rows by kind</caption>"
             f"<thead><tr><th scope='col'>Kind</th><th scope='col' class='num'>Rows</th></tr></thead>"
             f"<tbody>{body}</tbody></table><p class='table-note'>A note.</p></div>")
    glossary = "".join(f"<dt>Term {i}</dt><dd>What term {i} means, in a sentence.</dd>"
                       for i in range(glossary_terms))
    return render.assemble_report(
        {"agency": "Sample City Police Department", "period": "2025Q2",
         "period_label": "April to June 2025", "data_through": "2025-07-01", "built_at": "2025-08-01"},
        [{"id": "stops", "title": "Stops",
          "html": f"<h2>Stops</h2>{paragraphs}<h3>Rows</h3>{table}<p>After the table.</p>"}],
        front={"rows": [{"title": "Stops", "id": "stops", "measure": "People stopped", "value": 3}]},
        back={"glossary": f"<dl class='glossary'>{glossary}</dl>"} if glossary_terms else None)


#: The print rules this project adds for breaking, switched off (what the PDF looked like before).
NO_BREAK_RULES = """
.table-wrap, .table-wrap:not(:has(tbody > tr:nth-child(16))) { break-inside: auto !important; }
caption, h3, .glossary dt { break-after: auto !important; }
tbody > tr:first-child, tbody > tr:nth-child(2), tbody > tr:last-child { break-before: auto !important; }
"""


def draw(html: str, path: Path, extra_css: str = "") -> Path:
    if extra_css:
        html = render.add_style(html, extra_css)  # !important: it wins over html_to_pdf's rules
    return render.html_to_pdf(html, path, "Layout test")


def test_the_checker_reads_a_split_table_and_a_stranded_caption_from_a_pdf(tmp_path):
    """With the break rules off, some amount of text before a 4-row table leaves its caption, or
    part of its rows, at a page's foot: the checker finds it in the PDF; with the rules on, the same
    page prints cleanly."""
    anchors = ["at-a-glance", "contents", "stops"]
    for filler in range(18, 34):
        html = tiny_report(filler, 4)
        bare = read_layout(draw(html, tmp_path / f"bare-{filler}.pdf", NO_BREAK_RULES))
        found = layout_problems(bare, new_page_anchors=anchors)
        if any("split across pages" in p for p in found):
            break
    else:
        pytest.fail("no amount of text put the table across a page break")
    assert [(t.pages, t.rows) for t in bare.tables if len(t.pages) > 1] == [([4, 5], 4)]
    ruled = read_layout(draw(html, tmp_path / f"ruled-{filler}.pdf"))
    assert layout_problems(ruled, new_page_anchors=anchors) == []
    assert [(t.pages, t.rows) for t in ruled.tables] == [([2], 1), ([5], 4)]


def test_the_checker_finds_a_glossary_term_parted_from_its_definition(tmp_path):
    for filler in range(0, 50, 2):
        html = tiny_report(0, 1, glossary_terms=30 + filler)
        bare = read_layout(draw(html, tmp_path / f"bare-{filler}.pdf", NO_BREAK_RULES))
        if any("a line in bold (LI)" in p for p in layout_problems(bare)):
            break
    else:
        pytest.fail("no glossary length put a term at the foot of a page")
    ruled = read_layout(draw(html, tmp_path / f"ruled-{filler}.pdf"))
    assert not any("a line in bold" in p for p in layout_problems(ruled))
    glossary = ruled.destinations["glossary"]
    terms = [b for p in ruled.pages[glossary - 1:] for b in p.blocks if b.kind == "LI" and b.bold]
    assert len(terms) == 30 + filler, "every term is read, in bold"


def test_table_headers_get_the_scope_of_the_html(tmp_path):
    html = tiny_report(0, 3).replace("<th scope='col' class='num'>Rows</th>", "<th class='num'>Rows</th>")
    path = render.html_to_pdf(html, tmp_path / "scopes.pdf", "Scopes")
    scopes = sorted(scope for scope, _ in table_headers(path))
    # The at-a-glance table: 5 column headers and 1 row header; the section's: 2 columns (one
    # without a scope attribute: a column header, as WeasyPrint lists it) and 3 rows.
    assert scopes == ["/Column"] * 7 + ["/Row"] * 4
