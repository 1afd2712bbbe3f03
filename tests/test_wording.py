"""Words for people (transparency/writing/wording.py): no field name, stored code or snake_case, and US spelling, in the
report's text. Unit cases, then the whole sample report (HTML with its alt text, and the PDF's text)."""

from __future__ import annotations

import pytest
from conftest import poppler

from transparency.writing.wording import html_text, reader_problems

PERIOD = "2026Q3"


@pytest.mark.parametrize("text, problem", [
    ("The agency publishes no meeting_id; one was made.", "field name: meeting_id"),
    ("Finding: not_sustained", "snake_case: not_sustained"),
    ("ALARM - BURGLAR 12", "stored code: ALARM - BURGLAR"),
    ("SPEEDING 11-20 MPH OVER LIMIT 674", "stored code: SPEEDING"),
    ("Kind of call: DISTURBANCE", "stored code: DISTURBANCE"),
    ("I feel safe in my neighbourhood", "British spelling: neighbourhood (write neighbor...)"),
    ("Times are summarised by the median.", "British spelling: summarised (write summarize...)"),
])
def test_problems_are_found(text, problem):
    assert problem in reader_problems(text)


def test_what_a_reader_may_see():
    text = ("DRAFT: not for release. Arrests for DUI rose; K9 and OC spray; 11 to 20 MPH. Download this table: "
            "use_of_force__trend.csv, read from raw/use_of_force/uof_2026.csv. Questions: records@police.example.gov, "
            "https://police.example.gov/transparency/index.html. Neighborhood watch; the color of the chart.")
    assert reader_problems(text) == []


def test_alt_text_is_read_too():
    page = '<p>Calls by kind</p><img alt="Bar chart of calls: WELFARE CHECK 12." src="data:image/png;base64,AA">'
    assert "stored code: WELFARE CHECK" in reader_problems(html_text(page))


@pytest.fixture(scope="module")
def report(whole_sample):
    """The whole sample report for PERIOD, built small (HTML and PDF)."""
    return whole_sample


def test_the_sample_report_has_words_for_people_only(report):
    html = html_text((report / "report.html").read_text(encoding="utf-8"))
    assert reader_problems(html) == []
    pdf = poppler("pdftotext", str(report / "report.pdf"), "-")
    assert reader_problems(pdf) == []


def test_the_sample_glossary_defines_only_words_the_report_uses(report):
    from bs4 import BeautifulSoup

    from transparency.writing.backmatter import term_used

    soup = BeautifulSoup((report / "report.html").read_text(encoding="utf-8"), "html.parser")
    glossary = soup.find(id="glossary")
    terms = [dt.get_text() for dt in glossary.find_all("dt")]
    glossary.decompose()
    rest = soup.get_text(" ")
    assert terms and all(term_used(term, rest) for term in terms)


def test_the_sample_pdf_links_to_tables_beside_it_without_a_public_address(report):
    import pikepdf

    with pikepdf.open(report / "report.pdf") as pdf:
        uris = [str(a.A.URI) for page in pdf.pages for a in page.get("/Annots", []) if "/A" in a and "/URI" in a.A]
    tables = [u for u in uris if u.endswith(".csv")]
    assert tables and all(u.startswith("tables/") for u in tables)


def test_a_cited_code_is_not_a_label():
    text = "Values of race of the person that did not match a standard category: \u201cWHITE HISPANIC\u201d (fewer than 5)."
    assert reader_problems(text) == []
