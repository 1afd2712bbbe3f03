"""The back matter says which test judges each kind of change, in words a resident can read."""

from __future__ import annotations

import textstat
from conftest import agency_config
from test_narrative import offline_textstat  # noqa: F401 - a fixture

from transparency import backmatter
from transparency.config import load_agency
from transparency.periods import parse_period


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
