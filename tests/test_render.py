"""Tests of transparency.rendering.render and transparency.writing.charts: what a reader of the HTML and PDF sees.

A module-scoped fixture executes the sample and noisy fixture notebooks once (about 3 s); the
PDF tests render a draft and a released report (about 2 s each). PDFs are checked with poppler's
pdfinfo and pdftotext (apt package poppler-utils) and by reading the PDF's own objects: its
object streams are zlib-compressed, so the test inflates them and looks for the structure tree,
the Marked flag, the alt texts and the language.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import pandas as pd
import pytest
from conftest import pdf_objects, poppler

from transparency.building.execute import NotebookJob, run_notebooks
from transparency.rendering import render
from transparency.writing import charts

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
SAMPLE_ALT = "Bar chart of stops by district in 2025Q2: North 1,310, South 1,204, East 480."
META = {
    "agency": "Sample City Police Department",
    "period": "2025Q2",
    "period_label": "April to June 2025",
    "data_through": "2025-07-05",
    "built_at": "2025-08-01T09:30:00",
}


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    out = tmp_path_factory.mktemp("executed")
    jobs = [NotebookJob(name, FIXTURES / f"{name}.ipynb", out / f"{name}.ipynb",
                        {"period": "2025Q2"}, timeout=60) for name in ("sample", "noisy")]
    results = {r.dataset: r for r in run_notebooks(jobs, workers=2)}
    assert all(r.status == "ok" for r in results.values()), results
    return {name: r.output for name, r in results.items()}


@pytest.fixture(scope="module")
def fragments(executed):
    return {
        "stops": render.notebook_section_html(executed["sample"], "stops"),
        "use_of_force": render.notebook_section_html(executed["noisy"], "use_of_force"),
    }


@pytest.fixture(scope="module")
def report_html(fragments):
    sections = [
        {"id": "stops", "title": "Stops", "html": fragments["stops"]},
        {"id": "use_of_force", "title": "Use of force", "html": fragments["use_of_force"]},
        {"id": "complaints", "title": "Complaints", "status": "failed"},
    ]
    front = {
        "intro": "<p>Three kinds of records.</p><script>alert('intro')</script>",
        "rows": [
            {"id": "stops", "title": "Stops", "measure": "People stopped", "value": 1310,
             "prior": 1204, "last_year": 1190},
            {"id": "use_of_force", "title": "Use of force", "measure": "Incidents",
             "value": 51, "prior": 58, "last_year": None},
            {"id": "complaints", "title": "Complaints", "measure": "Complaints received",
             "value": None, "prior": 3, "last_year": 0},
        ],
    }
    back = {
        "methodology": "<h2>How we count</h2><p>By local date.</p>",
        "data_quality": "<p>Rows read: 1,000.</p>",
        "about": "<p>Made with open tools.</p>",
    }
    return render.assemble_report(META, sections, front, back)


class Outline(HTMLParser):
    """Collects headings, ids, in-page links and images of an HTML page."""

    def __init__(self, html: str):
        super().__init__()
        self.headings: list[str] = []
        self.ids: list[str] = []
        self.links: list[str] = []
        self.images: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(tag)
        if "id" in attributes:
            self.ids.append(attributes["id"])
        if tag == "a" and attributes.get("href", "").startswith("#"):
            self.links.append(attributes["href"][1:])
        if tag == "img":
            self.images.append(attributes)


# ------------------------------------------------------------------------------------------
# Sections
# ------------------------------------------------------------------------------------------


def test_section_has_no_code_errors_or_stderr(fragments):
    for html in fragments.values():
        html = re.sub(r'src="[^"]*"', "", html)  # the charts' base64 data
        for leaked in ("import pandas", "charts.show(", "Traceback", "stderr line",
                       "visible stdout line", "Warning", "[Chart]", "[Table]", "In&nbsp;[",
                       "No description has been provided", "1.5"):
            assert leaked not in html, leaked


def test_section_charts_have_their_real_alt_text(fragments):
    images = Outline(fragments["stops"]).images
    assert len(images) == 3
    assert images[0]["alt"] == SAMPLE_ALT
    assert all(img["src"].startswith("data:image/svg+xml;base64,") for img in images)
    assert Outline(fragments["use_of_force"]).images[0]["alt"] == "Bar chart: A 3, B 4."


def test_section_escapes_data_and_formats_tables(fragments):
    html = fragments["stops"]
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert re.search(r'<th[^>]*scope="col"[^>]*>Stops</th>', html)
    assert re.search(r'<td class="num">1,310</td>', html)
    assert "12,045" in html and "52.1" in html
    assert "<caption>Stops by district, 2025Q2</caption>" in html


def test_section_headings_start_at_h2_with_unique_ids(fragments):
    outline = Outline(fragments["stops"])
    assert outline.headings[0] == "h2" and "h1" not in outline.headings
    assert all(i.startswith("stops--") for i in outline.ids)


def test_a_chart_without_alt_text_is_refused(tmp_path):
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("plt.plot([1, 2])")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo="})]
    notebook.cells.append(cell)
    path = tmp_path / "noalt.ipynb"
    nbformat.write(notebook, str(path))
    with pytest.raises(render.RenderError, match="no alt text"):
        render.notebook_section_html(path)


def test_html_outputs_are_sanitized(tmp_path):
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("display(HTML(...))")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": (
        '<p onclick="x()">District <script>alert(1)</script></p>'
        '<img src="x" onerror="alert(2)" alt="a"><a href="javascript:alert(3)">link</a>'
        "<style>p {color: red}</style>"
    )})]
    notebook.cells.append(cell)
    path = tmp_path / "html.ipynb"
    nbformat.write(notebook, str(path))
    html = render.notebook_section_html(path)
    assert "<script" not in html and "onclick" not in html and "onerror" not in html
    assert "javascript:" not in html and "color: red" not in html
    assert "&lt;script&gt;" in html


def test_section_page_is_a_complete_accessible_page(fragments):
    page = render.section_page(fragments["stops"], "Stops <2025Q2> & more",
                               context="Sample City Police Department")
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in page and '<meta charset="utf-8">' in page
    assert "<title>Stops &lt;2025Q2&gt; &amp; more</title>" in page
    outline = Outline(page)
    assert outline.headings.count("h1") == 1 and outline.headings[0] == "h1"


def test_template_full_page_mode(executed):
    html, _ = render.section_exporter().from_notebook_node(
        nbformat.read(str(executed["noisy"]), as_version=4),
        resources={"metadata": {"name": "Use of force"}})
    assert '<html lang="en">' in html and '<meta charset="utf-8"/>' in html
    assert "<title>Use of force</title>" in html and "Bar chart: A 3, B 4." in html


# ------------------------------------------------------------------------------------------
# The whole report
# ------------------------------------------------------------------------------------------


def test_report_structure(report_html):
    outline = Outline(report_html)
    assert outline.headings.count("h1") == 1 and outline.headings[0] == "h1"
    h2 = report_html.count("<h2")
    # at a glance, contents, 3 sections, 3 back-matter parts (+ none inside the sections)
    assert h2 == 8
    assert len(outline.ids) == len(set(outline.ids)), "ids must be unique"
    assert set(outline.links) <= set(outline.ids), "every in-page link has a target"
    for anchor in ("at-a-glance", "stops", "use_of_force", "complaints", "methodology",
                   "data_quality", "about"):
        assert anchor in outline.links
    assert '<html lang="en">' in report_html and '<meta charset="utf-8">' in report_html


def test_report_cover_and_glance(report_html):
    assert "April to June 2025 (2025Q2)" in report_html
    assert "Draft: not yet released" in report_html
    assert "August 1, 2025" in report_html and "July 5, 2025" in report_html
    assert "Up 8.8% (from 1,204)" in report_html and "Down 12.1% (from 58)" in report_html
    assert "Not shown" in report_html and "Not available" in report_html
    assert "<script>" not in report_html and "&lt;script&gt;" in report_html
    assert "How we count</h3>" in report_html  # back-matter headings nest under their h2


def test_report_escapes_meta_and_rows():
    html = render.assemble_report(
        {**META, "agency": "<script>x</script> PD", "status": "released",
         "released_on": "2025-08-15"},
        [{"id": "stops", "title": "<b>Stops</b>", "status": "no_data"}],
        {"rows": [{"title": "<i>t</i>", "measure": "<img src=x>", "value": "<u>5</u>"}]},
    )
    assert "<script>x" not in html and "<b>Stops" not in html and "<img src=x>" not in html
    assert "&lt;script&gt;x&lt;/script&gt; PD" in html
    assert "Released on August 15, 2025" in html and "Draft" not in html


def test_report_rejects_incomplete_data():
    with pytest.raises(ValueError, match="meta.data_through"):
        render.assemble_report({k: v for k, v in META.items() if k != "data_through"}, [])
    with pytest.raises(ValueError, match="released_on"):
        render.assemble_report({**META, "status": "released"}, [])
    with pytest.raises(ValueError, match="used twice"):
        render.assemble_report(META, [{"id": "a", "title": "A", "status": "no_data"}] * 2)
    with pytest.raises(ValueError, match="unknown back matter"):
        render.assemble_report(META, [], back={"appendix": "<p>x</p>"})


def test_describe_change():
    assert render.describe_change(1310, 1204) == "Up 8.8% (from 1,204)"
    assert render.describe_change(3, 6) == "Down 50% (from 6)"
    assert render.describe_change(58, 58) == "No change (58)"
    assert render.describe_change(4, 0) == "Up from 0"
    assert render.describe_change(None, 5) == "Not available"
    assert render.describe_change(5, float("nan")) == "Not available"


# ------------------------------------------------------------------------------------------
# PDF
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pdfs(report_html, tmp_path_factory):
    folder = tmp_path_factory.mktemp("pdf")
    title = "Sample City Police Department: transparency report, April to June 2025 (2025Q2)"
    draft = render.html_to_pdf(report_html, folder / "draft.pdf", title)
    again = render.html_to_pdf(report_html, folder / "again.pdf", title)
    released_html = render.assemble_report(
        {**META, "status": "released", "released_on": "2025-08-15"},
        [{"id": "stops", "title": "Stops", "status": "no_data"}])
    released = render.html_to_pdf(released_html, folder / "released.pdf", title, draft=False,
                                  page_size="A4")
    return {"draft": draft, "again": again, "released": released, "title": title}


def test_pdf_is_tagged_pdf_ua_with_title(pdfs):
    info = poppler("pdfinfo", str(pdfs["draft"]))
    assert re.search(r"^Tagged:\s+yes", info, re.MULTILINE)
    assert re.search(r"^Title:\s+" + re.escape(pdfs["title"]) + "$", info, re.MULTILINE)
    assert re.search(r"^Page size:\s+612 x 792 pts \(letter\)", info, re.MULTILINE)
    xmp = poppler("pdfinfo", "-meta", str(pdfs["draft"]))
    assert 'pdfuaid:part="1"' in xmp or "<pdfuaid:part>1</pdfuaid:part>" in xmp
    objects = pdf_objects(pdfs["draft"])
    assert b"/StructTreeRoot" in objects
    assert re.search(rb"/MarkInfo\s*<<\s*/Marked\s+true", objects)
    assert re.search(rb"/Lang\s*\(en\)", objects)
    assert SAMPLE_ALT.encode() in objects, "the chart's alt text is in the PDF's structure"


def test_pdf_embeds_dejavu_and_keeps_wide_tables_on_the_page(pdfs):
    fonts = poppler("pdffonts", str(pdfs["draft"]))
    embedded = [line for line in fonts.splitlines() if "DejaVu" in line]
    assert embedded and all(" yes " in line for line in embedded)
    sizes = poppler("pdfinfo", "-f", "1", "-l", "99", str(pdfs["draft"]))
    assert "792 x 612 pts" in sizes, "the 15-column table gets a landscape page"


def test_pdf_says_draft_only_when_draft(pdfs):
    draft_text = poppler("pdftotext", str(pdfs["draft"]), "-")
    pages = int(re.search(r"Pages:\s+(\d+)", poppler("pdfinfo", str(pdfs["draft"]))).group(1))
    assert draft_text.count("DRAFT: not for release") == pages
    released_text = poppler("pdftotext", str(pdfs["released"]), "-")
    assert "DRAFT" not in released_text and "Released on August 15, 2025" in released_text
    assert "(A4)" in poppler("pdfinfo", str(pdfs["released"]))


def test_pdf_is_deterministic(pdfs):
    assert pdfs["draft"].read_bytes() == pdfs["again"].read_bytes()


def test_pdf_rejects_a_bad_page_size(tmp_path):
    with pytest.raises(ValueError, match="page size"):
        render.html_to_pdf("<p>x</p>", tmp_path / "x.pdf", "T", page_size="letter; color: red")


# ------------------------------------------------------------------------------------------
# Charts and tables
# ------------------------------------------------------------------------------------------


def test_show_requires_alt_text():
    fig = charts.bar_chart(["A"], [1], title="A is one", value_label="Count (n)",
                           note="Source: test.")
    with pytest.raises(ValueError, match="alt text"):
        charts.show(fig, alt="  ")
    assert not plt.fignum_exists(fig.number), "the figure is closed either way"


def test_chart_helpers_require_title_units_and_note():
    with pytest.raises(ValueError, match="note"):
        charts.bar_chart(["A"], [1], title="T", value_label="Count (n)", note="")
    with pytest.raises(ValueError, match="value_label"):
        charts.line_chart(["2025Q1"], [1], title="T", value_label="", note="N")
    with pytest.raises(ValueError, match="title"):
        charts.new_chart(title="", note="N")
    plt.close("all")


def test_chart_svg_uses_one_font_palette_and_is_reproducible():
    def make():
        return charts.line_chart(["2025Q1", "2025Q2"], {"a": [1, 2], "b": [None, 3]},
                                 title="B started in 2025Q2", value_label="Count (n)",
                                 note="Source: test.")
    first, second = charts.to_svg(make()), charts.to_svg(make())
    plt.close("all")
    assert first == second
    assert charts.COLORS[0].lower() in first.lower() and charts.COLORS[1].lower() in first.lower()
    assert "DejaVu Sans" in first  # text set in DejaVu Sans, as real text
    assert "<text" in first
    assert "<dc:date>" not in first


def test_table_html_is_accessible_and_escaped():
    df = pd.DataFrame({"District": ["North", "<b>South</b>", None],
                       "Stops": [12045, 3, None], "Share (%)": [52.123, 0.5, None]})
    html = charts.table_html(df, "Stops <by> district", note="— means not published.")
    assert "<caption>Stops &lt;by&gt; district</caption>" in html
    assert '<th scope="col">District</th>' in html
    assert '<th scope="col" class="num">Stops</th>' in html
    assert '<th scope="row">&lt;b&gt;South&lt;/b&gt;</th>' in html
    assert '<td class="num">12,045</td>' in html and '<td class="num">52.1</td>' in html
    assert "<b>" not in html and "nan" not in html.lower() and "None" not in html
    assert html.count("—") >= 3


def test_a_table_scrolls_in_a_box_a_keyboard_can_reach():
    """On a phone a wide table scrolls inside its box: the box is a group named by the caption, in tab order."""
    html = charts.table_html(pd.DataFrame({"District": ["North"], "Stops": [3]}), "Stops <by> district")
    assert html.startswith('<div class="table-wrap" role="group" aria-label="Stops &lt;by&gt; district" '
                           'tabindex="0"><table class="data-table">')


def test_scrolling_boxes_keep_their_focus_through_the_sanitizer():
    """tabindex="0" survives on a box (div, figure); any other tabindex, or on another element, does not."""
    kept = render.clean_html('<div class="table-wrap" tabindex="0"><table><tr><td>1</td></tr></table></div>'
                             '<figure class="chart" tabindex="0"></figure>')
    assert kept.count('tabindex="0"') == 2
    dropped = render.clean_html('<div tabindex="3">a</div><a href="#x" tabindex="0">b</a><p tabindex="0">c</p>'
                                '<figure tabindex="-1"></figure>')
    assert "tabindex" not in dropped


def test_charts_are_boxes_a_keyboard_can_reach(fragments):
    """A chart scrolls sideways on a phone (report.css): its figure is in the tab order."""
    figures = re.findall(r"<figure[^>]*>", fragments["stops"])
    assert figures and all(f == '<figure class="chart" tabindex="0">' for f in figures)


def test_wide_tables_are_marked_for_print():
    wide = pd.DataFrame({f"c{i}": [1] for i in range(13)})
    assert "table-very-wide" in charts.table_html(wide, "Wide")
    assert "table-wide" in charts.table_html(wide.iloc[:, :8], "Wide")
    assert "table-wide" not in charts.table_html(wide.iloc[:, :3], "Narrow")


def test_format_number():
    assert charts.format_number(1234567) == "1,234,567"
    assert charts.format_number(12.0) == "12"
    assert charts.format_number(12.345) == "12.3"
    assert charts.format_number(float("nan")) == "—"
    assert charts.format_number(pd.NA) == "—"


_QUICK_IMPORT = r"""
import ctypes.util, json, subprocess, sys
calls = []
search = ctypes.util.find_library
real_run = subprocess.Popen.__init__
spawned = []
def counting(self, args, *a, **k):
    spawned.append(args if isinstance(args, str) else args[0])
    real_run(self, args, *a, **k)
subprocess.Popen.__init__ = counting
if sys.argv[1] == "fail-once":
    import importlib.abc
    class FailOnce(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name == "weasyprint.text.ffi":
                sys.meta_path.remove(self)
                raise OSError("cannot load library 'gobject-2.0-0'")
    sys.meta_path.insert(0, FailOnce())
from transparency.rendering.render import import_weasyprint
import_weasyprint()
import weasyprint
pdf = weasyprint.HTML(string="<p>Hello</p>").write_pdf()
print(json.dumps({"restored": ctypes.util.find_library is search, "spawned": spawned,
                  "pdf": pdf.startswith(b"%PDF")}))
"""


@pytest.mark.parametrize("how", ["quick", "fail-once"])
def test_import_weasyprint_skips_the_library_search_and_falls_back(how):
    """The quick import runs no ldconfig/gcc/ld; when it fails, the ordinary import is made; either
    way find_library is put back and WeasyPrint draws."""
    import json
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _QUICK_IMPORT, how], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["restored"] and result["pdf"]
    if how == "quick":
        assert result["spawned"] == []
    else:  # the ordinary import was made: it searches (ldconfig, gcc...)
        assert result["spawned"]
