"""The back matter says which test judges each kind of change, in words a resident can read."""

from __future__ import annotations

import textstat
from conftest import agency_config
from test_narrative import offline_textstat  # noqa: F401 - a fixture

from transparency.core.config import load_agency
from transparency.core.periods import parse_period
from transparency.writing import backmatter


def test_methodology_names_the_test_for_counts_and_for_shares(make_agency):
    config = {"files": ["data.csv"], "columns": {"pursuit_id": "ID", "started_at": "DATE"}}
    agency = load_agency(make_agency(agency_config({"pursuits": config}), {"data.csv": "ID,DATE\n"}))
    text = backmatter.methodology(agency, parse_period("2025Q3")[0], ["pursuits"])
    assert "<h3>Changes and normal variation</h3>" in text
    assert "Counts, such as the number of incidents, are compared with the Poisson test" in text
    assert "Shares, such as the share of pursuits that ended in a crash, are compared with Fisher&#x27;s exact test." in text
    glossary = backmatter.glossary()
    assert "<dt>Fisher&#x27;s exact test</dt><dd>A test of whether two shares differ" in glossary
    assert "<dt>Poisson test</dt><dd>A test of whether two counts differ" in glossary


def test_comparison_sentences_read_at_grade_9_or_below(offline_textstat):  # noqa: F811
    terms = ("Within normal variation", "Fisher's exact test", "Poisson test")
    text = " ".join([*backmatter.comparison_sentences(), *(backmatter.GLOSSARY[t] for t in terms)])
    assert textstat.flesch_kincaid_grade(text) <= 9


def test_the_glossary_lists_only_the_terms_the_report_uses():
    text = ("Of the 40 allegations closed, 6 were sustained. The veil of darkness test compares stops after dark. "
            "The change is within normal variation (Fisher\u2019s exact test).")
    listed = backmatter.glossary(text)
    for term in ("Allegation", "Sustained", "Veil-of-darkness test", "Within normal variation", "Fisher's exact test"):
        assert f"<dt>{term.replace(chr(39), '&#x27;')}</dt>" in listed, term
    for term in ("Dusk", "Felony", "Attendees", "Hit rate", "Exonerated"):
        assert f"<dt>{term}</dt>" not in listed, term
    assert backmatter.glossary().count("<dt>") == len(backmatter.GLOSSARY)  # no text: every term
    assert not backmatter.term_used("Pending", "spending")


def test_the_glossary_counts_meeting_attendees_as_the_section_does():
    # The community meetings section: "Organizers counted 812 people at these meetings in all ... A person who
    # came to two meetings is counted twice." The glossary once said the officers counted them.
    definition = backmatter.GLOSSARY["Attendees"]
    assert "organizers" in definition and "officers" not in definition
    assert "counted each time" in definition
