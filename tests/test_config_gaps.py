"""The configuration gaps real data exposed (issue 18): a row filter in `related`, unpivot keeping rows
with no flag set, stray header rows written with other case, spacing or punctuation.

Expected values are worked out by hand from each fixture's text."""

from __future__ import annotations

import pytest
from conftest import agency_config, keyed_agency

from transparency.core.config import load_agency
from transparency.core.errors import ConfigError
from transparency.reading.load import load_dataset


def load(folder, dataset):
    return load_dataset(keyed_agency(folder), dataset)


def reconciles(result) -> bool:
    return all(f.rows_read == f.rows_used + sum(f.excluded.values()) for f in result.files)


def test_stray_header_rows_with_other_case_spacing_or_punctuation_are_header_rows(make_agency):
    text = (
        "IncidentNumber,Occurred Date,FORCE_TYPE\n"
        "A1,2020-01-01,Taser\n"
        "Incident Number,occurred date,Force Type\n"   # other spacing and case
        "A2,2020-01-02,Hands\n"
        "INCIDENT_NUMBER,OCCURRED_DATE,force-type\n"   # other punctuation
        "A3,2020-01-03,Hands\n"
    )
    folder = make_agency(agency_config({"use_of_force": {
        "files": ["u.csv"], "columns": {"incident_id": "IncidentNumber", "occurred_at": "Occurred Date", "force_type": "FORCE_TYPE"},
    }}), {"u.csv": text})
    result = load(folder, "use_of_force")
    account = result.files[0]
    assert (account.rows_read, account.rows_used, dict(account.excluded)) == (5, 3, {"header_row": 2})
    assert sorted(result.table["incident_id"]) == ["A1", "A2", "A3"]


def test_a_row_that_only_resembles_the_header_is_kept(make_agency):
    # One cell equal to its column name is not a header row (two are needed, and nothing else).
    text = "ID,TYPE,DATE\nA1,Type,2020-01-01\nA2,Taser,2020-01-02\n"
    folder = make_agency(agency_config({"use_of_force": {
        "files": ["u.csv"], "columns": {"incident_id": "ID", "occurred_at": "DATE", "force_type": "TYPE"}}}), {"u.csv": text})
    assert load(folder, "use_of_force").rows_used == 2


UNPIVOT = {"field": "force_type", "columns": {"TASER": "Taser", "OC": "OC spray", "HANDS": "Hands-on"}}
FLAGS = "ID,DATE,TASER,OC,HANDS\n1,2020-01-01,Y,N,Y\n2,2020-01-02,N,N,N\n3,2020-01-03,n,yes,\n4,2020-01-04,,,\n"


def test_unpivot_keeps_rows_with_no_flag_under_the_label_given(make_agency):
    folder = make_agency(agency_config({"use_of_force": {
        "files": ["u.csv"], "columns": {"incident_id": "ID", "occurred_at": "DATE"},
        "unpivot": {**UNPIVOT, "otherwise": "Not specified"}}}), {"u.csv": FLAGS})
    result = load(folder, "use_of_force")
    pairs = sorted(zip(result.table["incident_id"], result.table["force_type"]))
    assert pairs == [("1", "Hands-on"), ("1", "Taser"), ("2", "Not specified"), ("3", "OC spray"), ("4", "Not specified")]
    assert result.table["incident_id"].nunique() == 4  # no incident vanishes
    account = result.files[0]
    assert (account.rows_read, account.rows_used, dict(account.excluded)) == (4, 4, {})
    assert result.issues["force_type: no flag set (kept as 'Not specified')"] == 2
    assert reconciles(result)


def test_unpivot_otherwise_is_checked(make_agency):
    folder = make_agency(agency_config({"community_surveys": {
        "files": ["s.csv"], "columns": {"survey_id": "ID", "surveyed_at": "DATE"},
        "unpivot": {"field": "measure", "value": "value", "columns": {"SAFETY": "safety"}, "otherwise": "none"}}}))
    with pytest.raises(ConfigError) as caught:
        load_agency(folder)
    assert "datasets.community_surveys.unpivot.otherwise" in str(caught.value)


def _long_stops(make_agency, where: dict | None):
    # One long table holds two kinds of row: T rows give the stop type, S rows the search.
    related = [
        {"files": ["actions.csv"], "key": {"STOP": "STOP"}, "fields": {"stop_type": {"column": "CODE", "agg": "first"}}},
        {"files": ["actions.csv"], "key": {"STOP": "STOP"}, "fields": {"search_conducted": {"agg": "any_row"}}},
    ]
    if where:
        related[0]["where"] = {"KIND": ["t"]}
        related[1]["where"] = {"KIND": ["S", "search "]}
    return make_agency(agency_config({"stops": {
        "files": ["stops.csv"], "columns": {"stop_id": "STOP", "occurred_at": "DT"}, "related": related,
        "values": {"stop_type": {"TRF": "traffic", "PED": "pedestrian"}}}}), {
        "stops.csv": "STOP,DT\n1,2021-05-01\n2,2021-05-02\n3,2021-05-03\n",
        # Row order puts a search row first for stop 1: without a filter its code is read as the stop type.
        "actions.csv": "STOP,KIND,CODE\n1,S,CONSENT\n1,T,TRF\n2,T,PED\n3,Search,PLAIN VIEW\n3,T,TRF\n",
    }, name="where" if where else "nowhere")


def test_related_where_keeps_one_kind_of_row_of_a_long_table(make_agency):
    result = load(_long_stops(make_agency, where=True), "stops")
    t = result.table.set_index("stop_id")
    assert t["stop_type"].to_dict() == {"1": "traffic", "2": "pedestrian", "3": "traffic"}
    assert t["search_conducted"].to_dict() == {"1": True, "2": False, "3": True}
    related = [f for f in result.files if f.role == "related"]
    # Each read of the long table: 5 rows, the other kind excluded as not_selected.
    assert [(f.rows_read, f.rows_used, dict(f.excluded)) for f in related] == [(5, 3, {"not_selected": 2}), (5, 2, {"not_selected": 3})]
    assert reconciles(result)


def test_without_where_a_search_row_is_read_as_the_stop_type(make_agency):
    # The problem `where` solves: stop 1's first related row is a search, whose code is no stop type.
    t = load(_long_stops(make_agency, where=False), "stops").table.set_index("stop_id")
    assert t.loc["1", "stop_type"] == "other"
