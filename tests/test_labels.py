"""Category values as readers see them (transparency/writing/labels.py): sentence case with abbreviations kept, the
agency's own labels from agency.yml (validated, errors naming the key path), and the one function applied
alike in a section's tables, the CSVs and the incident list."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import agency_config

from transparency.core.config import load_agency
from transparency.core.errors import ConfigError
from transparency.core.keys import create_key
from transparency.sections import calls_for_service, officer_involved_shootings
from transparency.sections.section import Section
from transparency.writing import analysis
from transparency.writing.labels import category_label, labeller, sentence_case


@pytest.mark.parametrize("stored, shown", [
    ("SPEEDING 11-20 MPH OVER LIMIT", "Speeding 11-20 MPH over limit"),  # a unit without a vowel stays
    ("ALARM - BURGLAR", "Alarm - burglar"),
    ("WARRANT - FAILURE TO APPEAR", "Warrant - failure to appear"),       # "TO" is a word, not an abbreviation
    ("DRIVING UNDER THE INFLUENCE", "Driving under the influence"),
    ("DUI", "DUI"), ("K9 BITE", "K9 bite"), ("OC SPRAY", "OC spray"),       # known abbreviations, a code with a digit
    ("HANDS, FISTS, FEET", "Hands, fists, feet"), ("1ST DIVISION", "1st division"),
    ("DRIVER'S LICENSE", "Driver's license"), ("  FIREARM ", "Firearm"), ("MY  CAR", "My car"),
    ("driving recklessly", "Driving recklessly"),                          # lower case: a capital first
    ("Felony - violent", "Felony - violent"), ("Taser", "Taser"),          # mixed case is the agency's writing
])
def test_sentence_case(stored, shown):
    assert sentence_case(stored) == shown


def test_place_names_keep_a_capital_on_each_word():
    assert sentence_case("SOUTH CENTRAL", name=True) == "South Central"
    assert sentence_case("north side", name=True) == "North Side"
    assert sentence_case("1ST DISTRICT", name=True) == "1st District"
    assert sentence_case("North Side", name=True) == "North Side"


def test_agency_label_wins_and_matches_ignoring_case_and_spaces():
    labels = {"ALARM - BURGLAR": "Burglar alarm"}
    assert category_label("ALARM - BURGLAR", labels) == "Burglar alarm"
    assert category_label("  alarm -  burglar ", labels) == "Burglar alarm"
    assert category_label("ALARM - FIRE", labels) == "Alarm - fire"  # no label: sentence case
    assert labeller(labels)("Alarm - Burglar") == "Burglar alarm"


def test_breakdown_counts_values_that_share_a_label_together():
    rows = pd.DataFrame({"call_type": ["ALARM - BURGLAR", "BURGLAR ALARM", "THEFT", None, "theft"],
                         "call_id": ["a", "b", "c", "d", "e"]})
    label = labeller({"ALARM - BURGLAR": "Burglar alarm", "BURGLAR ALARM": "Burglar alarm"})
    table = analysis.breakdown(rows, "call_type", label="Kind of call", count_label="Calls", labels=label)
    assert table["Calls"].to_dict() == {"Burglar alarm": 2, "Theft": 2, "Not recorded": 1}
    ids = analysis.breakdown(rows, "call_type", "call_id", label="Kind of call", count_label="Calls", labels=label,
                             order=["THEFT", "ALARM - BURGLAR", "BURGLAR ALARM"])
    assert list(ids.index) == ["Theft", "Burglar alarm", "Not recorded"]


# --- agency.yml -----------------------------------------------------------------------------------------

CALLS = {"files": ["data.csv"], "datetime_format": "%Y-%m-%d",
         "columns": {"call_id": "ID", "received_at": "DATE", "call_type": "TYPE", "district": "DIST"}}


def _config(labels) -> dict:
    return agency_config({"calls_for_service": {**CALLS, "labels": labels}})


@pytest.mark.parametrize("labels, key, words", [
    ({"calls": {"A": "B"}}, "datasets.calls_for_service.labels.calls", "not a field of calls_for_service"),
    ({"source": {"911": "Emergency line"}}, "datasets.calls_for_service.labels.source", "category fields"),
    ({"call_type": {"ALARM": 3}}, "datasets.calls_for_service.labels.call_type.ALARM", "label as text"),
    ({"call_type": {"ALARM": "  "}}, "datasets.calls_for_service.labels.call_type.ALARM", "label as text"),
    ({"call_type": {"ALARM": "Alarm", "alarm ": "An alarm"}}, "datasets.calls_for_service.labels.call_type.alarm ",
     "same value"),
    ({"call_type": []}, "datasets.calls_for_service.labels.call_type", "dictionary"),
])
def test_labels_are_validated_with_the_key_path(make_agency, labels, key, words):
    folder = make_agency(_config(labels), {"data.csv": "ID,DATE,TYPE,DIST\n1,2025-07-01,ALARM,N\n"})
    with pytest.raises(ConfigError) as caught:
        load_agency(folder)
    assert caught.value.key == key
    assert words in str(caught.value)


def test_a_section_shows_the_agencys_labels_in_its_table_and_csv(make_agency, tmp_path):
    rows = ["ID,DATE,TYPE,DIST"] + [f"{i},2025-07-{i % 28 + 1:02d},ALARM - BURGLAR,NORTH SIDE" for i in range(7)]
    rows += [f"{10 + i},2025-08-{i + 1:02d},SPEEDING 11-20 MPH OVER LIMIT,north side" for i in range(6)]
    folder = make_agency(_config({"call_type": {"alarm - burglar": "Burglar alarm"}}), {"data.csv": "\n".join(rows) + "\n"})
    create_key(load_agency(folder).slug)
    sec = Section("calls_for_service", agency=str(folder), period="2025Q3", output_dir=str(tmp_path / "out"))
    kinds = calls_for_service.call_types(sec)
    assert kinds["Calls"].to_dict() == {"Burglar alarm": 7, "Speeding 11-20 MPH over limit": 6}
    districts = calls_for_service.districts(sec)
    assert districts["Calls"].to_dict() == {"North Side": 13}  # one place, however it was typed
    sec.table(kinds, "call_types", "Calls by kind")
    csv = (tmp_path / "out" / "tables" / "calls_for_service__call_types.csv").read_text(encoding="utf-8")
    assert "Burglar alarm,7" in csv and "ALARM" not in csv


OIS = {"files": ["data.csv"], "datetime_format": "%Y-%m-%d",
       "columns": {"incident_id": "ID", "occurred_at": "DATE", "district": "DIST"}}


def test_the_shootings_list_shows_districts_as_the_tables_do(make_agency, tmp_path):
    folder = make_agency(agency_config({"officer_involved_shootings": {**OIS, "labels": {"district": {"NE": "Northeast"}}}}),
                         {"data.csv": "ID,DATE,DIST\n1,2025-07-03,NE\n2,2025-08-09,SOUTH CENTRAL\n"})
    create_key(load_agency(folder).slug)
    sec = Section("officer_involved_shootings", agency=str(folder), period="2025Q3", output_dir=str(tmp_path / "out"))
    listed = officer_involved_shootings.incident_list(sec)
    assert list(listed["District"]) == ["Northeast", "South Central"]
    assert set(officer_involved_shootings.districts(sec).index) == {"Northeast", "South Central"}
