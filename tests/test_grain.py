"""A declared grain (what one source row is): the metrics, the section's words and the methodology follow it.

Issue 18: a complaints file of one row per complaint was worded as allegations; a use-of-force file of one
row per incident, with no force type, as "applications of force" of one type, "Not specified". Expected
figures are counted by hand from each fixture's text."""

from __future__ import annotations

import pytest
from conftest import agency_config, keyed_agency

from transparency.core import registry
from transparency.core.config import load_agency
from transparency.core.errors import ConfigError
from transparency.core.periods import parse_period
from transparency.figures.metrics import compute
from transparency.reading.load import load_dataset
from transparency.writing.backmatter import methodology

Q1 = parse_period("2021Q1")[0]

# Eight complaints received in 2021Q1, one row each; six closed in the quarter, two of them sustained.
COMPLAINTS = (
    "CASE,RECEIVED,CLOSED,FINDING\n"
    "C1,2021-01-04,2021-02-01,Sustained\n"
    "C2,2021-01-05,2021-02-11,Unfounded\n"
    "C3,2021-01-09,2021-03-01,Sustained\n"
    "C4,2021-01-19,2021-03-05,Exonerated\n"
    "C5,2021-02-02,2021-03-09,Not sustained\n"
    "C6,2021-02-07,2021-03-20,Unfounded\n"
    "C7,2021-03-01,,\n"
    "C8,2021-03-04,,\n"
)
COMPLAINT_COLUMNS = {"complaint_id": "CASE", "received_at": "RECEIVED", "closed_at": "CLOSED", "disposition": "FINDING"}


def complaints_agency(make_agency, grain: str | None):
    config = {"files": ["c.csv"], "columns": COMPLAINT_COLUMNS,
              "values": {"disposition": {"Not sustained": "not_sustained"}}}
    if grain:
        config["grain"] = grain
    return make_agency(agency_config({"complaints": config}, suppression={"min_count": 1}),
                       {"c.csv": COMPLAINTS}, name=f"complaints-{grain or 'default'}")


def test_the_grain_must_be_one_of_the_datasets(make_agency):
    folder = make_agency(agency_config({"complaints": {"files": ["c.csv"], "columns": COMPLAINT_COLUMNS, "grain": "officer"}}))
    with pytest.raises(ConfigError) as caught:
        load_agency(folder)
    assert caught.value.key == "datasets.complaints.grain"
    assert "expected one of allegation, complaint" in caught.value.message


def test_at_incident_grain_the_force_type_is_not_required(make_agency):
    columns = {"incident_id": "ID", "occurred_at": "DATE"}
    without = make_agency(agency_config({"use_of_force": {"files": ["u.csv"], "columns": columns}}), name="default")
    with pytest.raises(ConfigError, match="required field\\(s\\) force_type"):
        load_agency(without)
    declared = make_agency(agency_config({"use_of_force": {"files": ["u.csv"], "columns": columns, "grain": "incident"}}), name="incident")
    assert load_agency(declared).grain("use_of_force").name == "incident"


def test_complaint_grain_names_the_figures_for_complaints(make_agency):
    agency = keyed_agency(complaints_agency(make_agency, "complaint"))
    table = load_dataset(agency, "complaints").table
    values = compute("complaints", table, Q1, 1, grain=agency.grain("complaints")).values
    # Counted by hand from COMPLAINTS: 8 received, 6 closed, 2 sustained; no allegation is counted.
    assert (values["complaints_received"], values["complaints_closed"], values["complaints_sustained"]) == (8, 6, 2)
    assert not any(name.startswith("allegations_") for name in values)
    # Days to close: 28, 37, 51, 45, 35, 41 -> median (37 + 41) / 2 = 39.
    assert values["median_days_to_close"] == 39.0
    default = keyed_agency(complaints_agency(make_agency, None))
    at_default = compute("complaints", load_dataset(default, "complaints").table, Q1, 1, grain=default.grain("complaints")).values
    assert (at_default["allegations_received"], at_default["allegations_closed"], at_default["allegations_sustained"]) == (8, 6, 2)


def test_complaint_grain_words_the_section_as_complaints(make_agency, monkeypatch):
    from transparency.sections import complaints
    from transparency.sections.section import Section

    folder = complaints_agency(make_agency, "complaint")
    keyed_agency(folder)
    sec = Section("complaints", agency=str(folder), period="2021Q1")
    words = " ".join(complaints.summary(sec))
    assert "allegation" not in words
    assert "Investigators closed 6 complaints and sustained 2 of the 6 (33.3%)" in words
    assert "Half of the closed complaints took 39 days or less" in words
    default = complaints_agency(make_agency, None)
    keyed_agency(default)
    words = " ".join(complaints.summary(Section("complaints", agency=str(default), period="2021Q1")))
    assert "They held 8 allegations" in words and "Investigators closed 6 allegations" in words


# Five incidents in 2021Q1, one row each, no force type: flags none set, kept as "Not specified".
UOF_ROWS = "ID,DATE,TASER,HANDS\n1,2021-01-05,,\n2,2021-01-09,,\n3,2021-02-01,,\n4,2021-02-17,,\n5,2021-03-02,,\n"


def uof_agency(make_agency, grain: str | None):
    config = {"files": ["u.csv"], "columns": {"incident_id": "ID", "occurred_at": "DATE"},
              "unpivot": {"field": "force_type", "columns": {"TASER": "Taser", "HANDS": "Hands-on"}, "otherwise": "Not specified"}}
    if grain:
        config["grain"] = grain
    return make_agency(agency_config({"use_of_force": config}, suppression={"min_count": 1}), {"u.csv": UOF_ROWS},
                       name=f"uof-{grain or 'default'}")


def test_incident_grain_counts_incidents_not_applications(make_agency):
    from transparency.sections import use_of_force
    from transparency.sections.section import Section

    folder = uof_agency(make_agency, "incident")
    agency = keyed_agency(folder)
    values = compute("use_of_force", load_dataset(agency, "use_of_force").table, Q1, 1, grain=agency.grain("use_of_force")).values
    assert values["incidents"] == 5 and "applications" not in values
    sec = Section("use_of_force", agency=str(folder), period="2021Q1")
    words = " ".join(use_of_force.summary(sec))
    assert "application" not in words
    assert use_of_force.force_types(sec) is None  # one "Not specified" type says nothing of the types used
    assert use_of_force.force_types_caption(sec) == "Use-of-force incidents by the types of force they included"
    default = uof_agency(make_agency, None)
    keyed_agency(default)
    sec = Section("use_of_force", agency=str(default), period="2021Q1")
    assert "These incidents involved 5 applications of force" in " ".join(use_of_force.summary(sec))


def test_the_methodology_says_what_one_record_is_at_the_declared_grain(make_agency):
    agency = load_agency(uof_agency(make_agency, "incident"))
    text = methodology(agency, Q1, ["use_of_force"])
    assert "one record is one incident in which force was used" in text
    assert registry.dataset("use_of_force").one_row_is not in text
    complaint = load_agency(complaints_agency(make_agency, "complaint"))
    assert "one record is one complaint (the separate claims and officers it names are not told apart)" in methodology(complaint, Q1, ["complaints"])
