"""Loading raw files into canonical tables: one small hand-made fixture per configuration feature.

Expected values are worked out by hand from the fixture text in each test.
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import agency_config, keyed_agency

from transparency.core.config import load_agency
from transparency.core.errors import ConfigError, DataError
from transparency.reading.load import load_dataset


def load(folder, dataset):
    agency = keyed_agency(folder)
    return load_dataset(agency, dataset)


def reconciles(result) -> bool:
    return all(f.rows_read == f.rows_used + sum(f.excluded.values()) for f in result.files)


UOF_MIN = {"incident_id": "ID", "occurred_at": "DATE", "force_type": "TYPE"}


def test_renamed_columns_across_files_with_overrides_and_alternatives(make_agency):
    folder = make_agency(
        agency_config({
            "use_of_force": {
                "files": [
                    "raw/uof_2019.csv",
                    {"glob": "raw/uof_2020.csv", "columns": {"force_type": "FORCE_USED"}},
                ],
                "columns": {**UOF_MIN, "officer_id": ["BADGE", "BADGE_NO"]},
                "datetime_format": "%Y-%m-%d",
            }
        }),
        {
            "raw/uof_2019.csv": "ID,DATE,TYPE,BADGE\nA1,2019-02-01,Taser,101\nA2,2019-03-01,Hands,102\n",
            "raw/uof_2020.csv": "ID,DATE,FORCE_USED,BADGE_NO\nB1,2020-01-05,OC spray,101\n",
        },
    )
    result = load(folder, "use_of_force")
    assert sorted(result.table["force_type"]) == ["Hands", "OC spray", "Taser"]
    # The same badge in both files gets the same pseudonym, and never the raw number.
    ids = result.table.set_index("incident_id")["officer_id"]
    assert ids["A1"] == ids["B1"] and ids["A1"] != ids["A2"]
    assert not result.table.isin(["101", "102"]).any().any()
    assert reconciles(result) and result.rows_read == 3 and result.rows_used == 3


def test_date_and_time_columns_joined_and_day_month_year_parts(make_agency):
    folder = make_agency(
        agency_config({
            "use_of_force": {
                "files": ["uof.csv"],
                "columns": {**UOF_MIN, "occurred_at": {"date": "D", "time": "T"}},
            },
            "pursuits": {
                "files": ["p.csv"],
                "columns": {"pursuit_id": "SEQ", "started_at": {"year": "Year", "month": "Mo", "day": "Date", "time": "Time", "missing": ["9999"]}},
                "datetime_format": "%H%M",
            },
        }),
        {
            "uof.csv": "ID,D,T,TYPE\n1,10/24/2017,10:30 PM,Taser\n2,12/25/2017,,Hands\n",
            "p.csv": "SEQ,Year,Mo,Date,Time\n1,2013,7,4,2130\n2,2014,12,30,9999\n",
        },
    )
    uof = load(folder, "use_of_force").table.set_index("incident_id")["occurred_at"]
    assert uof["1"] == pd.Timestamp("2017-10-24 22:30")
    assert uof["2"] == pd.Timestamp("2017-12-25 00:00")
    pursuits = load(folder, "pursuits")
    started = pursuits.table.set_index("pursuit_id")["started_at"]
    assert started["1"] == pd.Timestamp("2013-07-04 21:30")
    assert started["2"] == pd.Timestamp("2014-12-30")
    assert pursuits.issues == {"started_at: time not recorded (date kept)": 1}


def test_race_plus_hispanic_ethnicity_hispanic_of_any_race_wins(make_agency):
    folder = make_agency(
        agency_config({
            "stops": {
                "files": ["s.csv"],
                "columns": {
                    "stop_id": "N", "occurred_at": "DT", "stop_type": {"const": "traffic"},
                    "subject_race": {"race": "RACE", "ethnicity": "ETH", "hispanic": ["H", "Hispanic"]},
                },
                "values": {"subject_race": {"W": "White", "B": "Black"}},
            }
        }),
        {"s.csv": "N,DT,RACE,ETH\n1,2021-01-01,W,H\n2,2021-01-02,B,N\n3,2021-01-03,B, hispanic \n4,2021-01-04,Q,N\n"},
    )
    result = load(folder, "stops")
    races = result.table.set_index("stop_id")["subject_race"].to_dict()
    assert races == {"1": "Hispanic", "2": "Black", "3": "Hispanic", "4": "Unknown"}
    assert result.unmapped == {"subject_race": {"Q": 1}}
    assert set(result.table["stop_type"]) == {"traffic"}


def test_synthetic_ids_whole_row_and_from_columns_are_noted(make_agency):
    folder = make_agency(
        agency_config({
            "community_meetings": {"files": ["m.csv"], "columns": {"meeting_id": {"synthetic": True}, "held_at": "WHEN"}},
            "use_of_force": {"files": ["u.csv"], "columns": {**UOF_MIN, "incident_id": {"synthetic": ["DATE", "ADDR"]}}},
        }),
        {
            "m.csv": "WHEN,WHERE\n2022-01-05,Library\n2022-01-06,Library\n",
            "u.csv": "DATE,ADDR,TYPE\n2022-01-05,1 Main,Taser\n2022-01-05,1 Main,Hands\n2022-01-06,2 Oak,Hands\n",
        },
    )
    meetings = load(folder, "community_meetings")
    assert meetings.table["meeting_id"].nunique() == 2
    assert any("publishes no meeting identifier" in note for note in meetings.notes)  # words, never the field name (issue 16)
    uof = load(folder, "use_of_force").table
    assert uof["incident_id"].nunique() == 2  # the first two rows share date and address


def test_related_long_table_aggregated_onto_the_stop(make_agency):
    folder = make_agency(
        agency_config({
            "stops": {
                "files": ["stops.csv"],
                "columns": {"stop_id": "STOP", "occurred_at": "DT", "stop_type": {"const": "traffic"}},
                "related": [{
                    "files": ["actions.csv"],
                    "key": {"STOP_NUM": "STOP"},
                    "fields": {
                        "search_conducted": {"agg": "any_row"},
                        "contraband_found": {"column": "FOUND", "agg": "any"},
                        "outcome": {"column": "RESULT", "agg": "most_serious", "order": ["arrest", "citation", "warning", "none"]},
                    },
                }],
                "values": {"contraband_found": {"Y": True, "N": False}, "outcome": {"CIT": "citation", "ARR": "arrest", "WARN": "warning"}},
            }
        }),
        {
            "stops.csv": "STOP,DT\n1,2021-05-01\n2,2021-05-02\n3,2021-05-03\n",
            "actions.csv": "STOP_NUM,FOUND,RESULT\n1,N,WARN\n1,Y,ARR\n2,N,CIT\n",
        },
    )
    t = load(folder, "stops").table.set_index("stop_id")
    assert t["search_conducted"].to_dict() == {"1": True, "2": True, "3": False}
    assert t["contraband_found"].to_dict() == {"1": True, "2": False, "3": False}
    assert t.loc["1", "outcome"] == "arrest" and t.loc["2", "outcome"] == "citation"
    assert t.loc["3", "outcome"] == "none"  # no related row: the enum's fallback


def test_flag_columns_unpivoted_into_rows(make_agency):
    folder = make_agency(
        agency_config({
            "use_of_force": {
                "files": ["u.csv"],
                "columns": {"incident_id": "ID", "occurred_at": "DATE"},
                "unpivot": {"field": "force_type", "columns": {"TASER": "Taser", "OC": "OC spray", "HANDS": "Hands-on"}},
            }
        }),
        {"u.csv": "ID,DATE,TASER,OC,HANDS\n1,2020-01-01,Y,N,Y\n2,2020-01-02,N,N,N\n3,2020-01-03,n,yes,\n"},
    )
    result = load(folder, "use_of_force")
    pairs = sorted(zip(result.table["incident_id"], result.table["force_type"]))
    assert pairs == [("1", "Hands-on"), ("1", "Taser"), ("3", "OC spray")]
    account = result.files[0]
    assert (account.rows_read, account.rows_used, dict(account.excluded)) == (3, 2, {"no_force_type": 1})


def test_list_cells_exploded_into_rows_or_counted(make_agency):
    folder = make_agency(
        agency_config({
            "assaults_on_officers": {
                "files": ["a.csv"],
                "columns": {"incident_id": "INC", "occurred_at": "DT", "officer_id": "BADGES", "weapon": "WEAPON"},
                "explode": {"columns": ["BADGES"], "sep": ";"},
            },
            "community_meetings": {
                "files": ["m.csv"],
                "columns": {"meeting_id": "MID", "held_at": "DT", "officers_present": {"column": "OFFICERS", "count": ";"}},
            },
        }),
        {
            "a.csv": "INC,DT,BADGES,WEAPON\n1,2020-01-01,11;22;33,Hands\n2,2020-01-02,44,Knife\n",
            "m.csv": "MID,DT,OFFICERS\nM1,2020-01-01,11;22;33\nM2,2020-01-02,\n",
        },
    )
    assaults = load(folder, "assaults_on_officers")
    assert len(assaults.table) == 4
    assert assaults.table.groupby("incident_id").size().to_dict() == {"1": 3, "2": 1}
    assert assaults.rows_read == 2 and assaults.rows_used == 2
    meetings = load(folder, "community_meetings").table.set_index("meeting_id")
    assert meetings.loc["M1", "officers_present"] == 3
    assert pd.isna(meetings.loc["M2", "officers_present"])


def test_age_as_number_year_of_birth_and_band(make_agency):
    folder = make_agency(
        agency_config({
            "arrests": {"files": ["a.csv"], "columns": {"arrest_id": "ID", "arrested_at": "DT", "subject_age": {"year_of_birth": "YOB"}}},
            "citations": {"files": ["c.csv"], "columns": {"citation_id": "ID", "issued_at": "DT", "subject_age_group": "AGE_GROUP", "subject_age": "AGE"}},
        }),
        {
            "a.csv": "ID,DT,YOB\n1,2020-06-01,1990\n2,2020-06-01,1850\n3,2020-06-01,\n",
            "c.csv": "ID,DT,AGE_GROUP,AGE\n1,2020-01-01,25-44,31\n2,2020-01-01,<18,-4\n",
        },
    )
    arrests = load(folder, "arrests")
    ages = arrests.table.set_index("arrest_id")["subject_age"]
    assert ages["1"] == 30 and pd.isna(ages["2"]) and pd.isna(ages["3"])
    assert arrests.issues == {"subject_age: impossible age (below 0 or above 110)": 1}
    citations = load(folder, "citations")
    t = citations.table.set_index("citation_id")
    assert t.loc["1", "subject_age_group"] == "25-44" and t.loc["1", "subject_age"] == 31
    assert pd.isna(t.loc["2", "subject_age"])


def test_declared_literal_none_is_a_value_not_missing(make_agency):
    folder = make_agency(
        agency_config({
            "officer_involved_shootings": {
                "files": ["o.csv"],
                "columns": {
                    "incident_id": "INC", "occurred_at": "DT",
                    "subject_weapon": {"column": "WEAPON", "literal": ["None"]},
                    "subject_armed": {"column": "WEAPON", "literal": ["None"]},
                },
                "values": {"subject_armed": {"None": False, "Handgun": True, "Knife": True}},
            }
        }),
        {"o.csv": "INC,DT,WEAPON\n1,2019-01-01,None\n2,2019-01-02,Handgun\n3,2019-01-03,NA\n"},
    )
    t = load(folder, "officer_involved_shootings").table.set_index("incident_id")
    assert t.loc["1", "subject_weapon"] == "None" and not t.loc["1", "subject_armed"]
    assert bool(t.loc["2", "subject_armed"]) is True
    assert pd.isna(t.loc["3", "subject_weapon"]) and pd.isna(t.loc["3", "subject_armed"])


def test_recodes_ignore_spaces_and_case_and_unmapped_values_are_kept_and_counted(make_agency):
    folder = make_agency(
        agency_config({
            "complaints": {
                "files": ["c.csv"],
                "columns": {"complaint_id": "NUM", "received_at": "RCVD", "disposition": "FINDING", "complainant_sex": "SEX"},
                "values": {"disposition": {"NOT SUSTAINED": "not_sustained", "Sustained": "sustained", "": "pending"}},
                "normalize_ids": True,
            }
        }),
        {"c.csv": "NUM,RCVD,FINDING,SEX\nIA-2020-01,2020-02-01,  not sustained ,M\nia 2020 01,2020-02-01,SUSTAINED,F\nIA-2020-02,2020-02-03,Vacated,X\nIA-2020-03,2020-02-04,,Female\n"},
    )
    result = load(folder, "complaints")
    t = result.table
    assert list(t["disposition"]) == ["not_sustained", "sustained", "other", "pending"]
    assert t["complaint_id"].nunique() == 3  # variant spellings of IA-2020-01 are one complaint
    assert result.unmapped == {"disposition": {"Vacated": 1}, "complainant_sex": {"M": 1, "F": 1, "X": 1}}
    assert list(t["complainant_sex"]) == ["Unknown", "Unknown", "Unknown", "Female"]


def test_duplicate_blank_and_header_rows_are_excluded_by_reason(make_agency):
    text = (
        "OBJECTID,ID,DATE,TYPE\n"
        "1,A,2020-01-01,Taser\n"
        "2,A,2020-01-01,Taser\n"      # same as row 2 apart from the row id: a duplicate
        ",,,\n"                       # blank
        "OBJECTID,ID,DATE,TYPE\n"     # a stray header
        "5,B,2020-01-02,Hands\n"
        "6,C,,Hands\n"                # no date
        "7,D,TBD,Hands\n"             # unreadable date
        "8,E,1900-01-01,Hands\n"      # placeholder date, out of range
    )
    folder = make_agency(agency_config({"use_of_force": {"files": ["u.csv"], "columns": UOF_MIN, "row_id": "OBJECTID"}}), {"u.csv": text})
    result = load(folder, "use_of_force")
    account = result.files[0]
    assert account.rows_read == 8 and account.rows_used == 2
    assert dict(account.excluded) == {
        "duplicate_row": 1, "blank_row": 1, "header_row": 1, "missing_occurred_at": 1,
        "unparseable_occurred_at": 1, "out_of_range_occurred_at": 1,
    }
    allowed = make_agency(
        agency_config({"use_of_force": {"files": ["u.csv"], "columns": UOF_MIN, "duplicate_rows": "allowed"}}),
        {"u.csv": "ID,DATE,TYPE\nA,2020-01-01,Taser\nA,2020-01-01,Taser\n"}, name="allowed",
    )
    assert load(allowed, "use_of_force").rows_used == 2


def test_duplicate_rows_are_judged_across_files(make_agency):
    folder = make_agency(
        agency_config({"use_of_force": {"files": ["u_*.csv"], "columns": UOF_MIN}}),
        {"u_1.csv": "ID,DATE,TYPE\nA,2020-01-01,Taser\n", "u_2.csv": "ID,DATE,TYPE\nA,2020-01-01,Taser\nB,2020-01-01,Hands\n"},
    )
    result = load(folder, "use_of_force")
    assert [dict(f.excluded) for f in result.files] == [{}, {"duplicate_row": 1}]


def test_local_wall_clock_times_and_utc_offsets(make_agency):
    folder = make_agency(
        agency_config({
            "use_of_force": {"files": ["u.csv"], "columns": UOF_MIN},
            "stops": {"files": ["s.csv"], "columns": {"stop_id": "N", "occurred_at": "DT", "stop_type": {"const": "pedestrian"}}},
        }),
        {
            # South Bend style: UTC with "+00"; 05:00 UTC is local midnight in January (CST, UTC-6 -> 23:00 the day before).
            "u.csv": "ID,DATE,TYPE\n1,2017/01/01 06:00:00+00,Hands\n2,2017/07/01 04:30:00+00,Hands\n",
            # A time that does not exist locally (spring forward) and one that happens twice (fall back).
            "s.csv": "N,DT\n1,2021-03-14 02:30:00\n2,2021-11-07 01:30:00\n3,2021-12-31 23:59:00\n",
        },
    )
    uof = load(folder, "use_of_force").table.set_index("incident_id")["occurred_at"]
    assert uof["1"] == pd.Timestamp("2017-01-01 00:00")
    assert uof["2"] == pd.Timestamp("2017-06-30 23:30")  # CDT is UTC-5: the local date is 30 June, in 2017Q2
    stops = load(folder, "stops").table.set_index("stop_id")["occurred_at"]
    assert stops["1"] == pd.Timestamp("2021-03-14 02:30") and stops["2"] == pd.Timestamp("2021-11-07 01:30")
    assert stops["3"] == pd.Timestamp("2021-12-31 23:59")  # never moved to the next year by UTC conversion


def test_inferred_formats_mixed_in_one_column(make_agency):
    folder = make_agency(
        agency_config({"use_of_force": {"files": ["u.csv"], "columns": UOF_MIN}}),
        {"u.csv": "ID,DATE,TYPE\n1,2020-01-15,H\n2,01/16/2020,H\n3,2020-01-17 14:05:00,H\n4,1/18/2020 2:05 PM,H\n"},
    )
    dates = load(folder, "use_of_force").table.set_index("incident_id")["occurred_at"]
    assert list(dates) == [pd.Timestamp("2020-01-15"), pd.Timestamp("2020-01-16"), pd.Timestamp("2020-01-17 14:05"), pd.Timestamp("2020-01-18 14:05")]


def test_encodings_bom_and_windows_1252_fallback_reported(make_agency):
    folder = make_agency(
        agency_config({"community_meetings": {"files": ["m_*.csv"], "columns": {"meeting_id": "ID", "held_at": "DT", "district": "PLACE"}}}),
        {
            "m_bom.csv": "\ufeffID,DT,PLACE\n1,2020-01-01,Café Nord\n".encode("utf-8"),
            "m_1252.csv": "ID,DT,PLACE\n2,2020-01-02,Café Sud\n".encode("cp1252"),
        },
    )
    result = load(folder, "community_meetings")
    assert sorted(result.table["district"]) == ["Café Nord", "Café Sud"]
    by_path = {f.path: f for f in result.files}
    assert by_path["m_bom.csv"].encoding == "utf-8-sig"
    assert by_path["m_1252.csv"].encoding == "cp1252"
    assert "Windows-1252" in by_path["m_1252.csv"].warnings[0]


def test_excel_input(make_agency, tmp_path):
    frame = pd.DataFrame({"Officer": ["11", "22"], "Done": ["2021-02-03", "2021-04-05"], "Course": ["De-escalation", "Firearms"], "Hrs": ["8", "4.5"]})
    folder = make_agency(
        agency_config({"training": {"files": ["t.xlsx"], "columns": {"officer_id": "Officer", "completed_at": "Done", "course": "Course", "hours": "Hrs"}}}),
    )
    frame.to_excel(folder / "t.xlsx", index=False)
    result = load(folder, "training")
    assert result.table["hours"].sum() == 12.5 and len(result.table) == 2


def test_unmapped_columns_never_leave_the_load_step(make_agency):
    folder = make_agency(
        agency_config({"use_of_force": {"files": ["u.csv"], "columns": {**UOF_MIN, "officer_id": "BADGE"}}}),
        {"u.csv": "ID,DATE,TYPE,BADGE,OFFICER_NAME,NARRATIVE\n1,2020-01-01,Taser,4521,Smith,Subject ran at 12 Elm St\n"},
    )
    table = load(folder, "use_of_force").table
    # The date has no time of day, so the loader says so beside it (a derived column, no source text).
    assert list(table.columns) == ["incident_id", "occurred_at", "force_type", "officer_id", "occurred_at_time_known"]
    assert not table["occurred_at_time_known"].any()
    flat = " ".join(table.astype(str).to_numpy().ravel())
    assert "Smith" not in flat and "Elm" not in flat and "4521" not in flat


def test_unique_ids_error_by_default_or_excluded(make_agency):
    files = {"p.csv": "ID,DT\nP1,2020-01-01\nP2,2020-01-02\nP1,2020-01-03\n"}
    folder = make_agency(agency_config({"pursuits": {"files": ["p.csv"], "columns": {"pursuit_id": "ID", "started_at": "DT"}}}), files)
    with pytest.raises(DataError) as err:
        load(folder, "pursuits")
    assert "p.csv" in str(err.value) and "row 4" in str(err.value) and "column 'ID'" in str(err.value)
    excl = make_agency(
        agency_config({"pursuits": {"files": ["p.csv"], "columns": {"pursuit_id": "ID", "started_at": "DT"}, "duplicate_ids": "exclude"}}),
        files, name="excl",
    )
    result = load(excl, "pursuits")
    assert result.rows_used == 2 and dict(result.files[0].excluded) == {"duplicate_id": 1}


# --- Bad input: one readable error naming file, row and column ------------------------------------------


def test_missing_required_column(make_agency):
    folder = make_agency(agency_config({"use_of_force": {"files": ["u.csv"], "columns": UOF_MIN}}), {"u.csv": "ID,DATE\n1,2020-01-01\n"})
    with pytest.raises(DataError, match=r"u\.csv.*has no column 'TYPE'"):
        load(folder, "use_of_force")


def test_required_column_empty(make_agency):
    folder = make_agency(agency_config({"use_of_force": {"files": ["u.csv"], "columns": UOF_MIN}}), {"u.csv": "ID,DATE,TYPE\n1,2020-01-01,\n2,2020-01-02,\n"})
    with pytest.raises(DataError, match=r"u\.csv, row 2, column 'TYPE': is empty in every row"):
        load(folder, "use_of_force")


def test_unparseable_dates(make_agency):
    folder = make_agency(agency_config({"use_of_force": {"files": ["u.csv"], "columns": UOF_MIN, "datetime_format": "%Y-%m-%d"}}),
                         {"u.csv": "ID,DATE,TYPE\n1,yesterday,H\n2,2020-13-45,H\n"})
    with pytest.raises(DataError, match=r"u\.csv, row 2, column 'DATE': most dates cannot be read"):
        load(folder, "use_of_force")


def test_ambiguous_date_format(make_agency):
    folder = make_agency(agency_config({"use_of_force": {"files": ["u.csv"], "columns": UOF_MIN}}),
                         {"u.csv": "ID,DATE,TYPE\n1,03/04/2020,H\n2,05/06/2020,H\n"})
    with pytest.raises(DataError, match=r"column 'DATE'.*can be read as .* set datetime_format"):
        load(folder, "use_of_force")


def test_glob_that_matches_nothing(make_agency):
    folder = make_agency(agency_config({"use_of_force": {"files": ["raw/uof_*.csv"], "columns": UOF_MIN}}))
    with pytest.raises(DataError, match=r"uof_\*\.csv: matches no file"):
        load(folder, "use_of_force")


def test_empty_file(make_agency):
    folder = make_agency(agency_config({"use_of_force": {"files": ["u.csv"], "columns": UOF_MIN}}), {"u.csv": b""})
    with pytest.raises(DataError, match=r"u\.csv: the file is empty"):
        load(folder, "use_of_force")


def test_file_in_unexpected_encoding(make_agency):
    folder = make_agency(
        agency_config({"use_of_force": {"files": ["u.csv"], "columns": UOF_MIN, "encoding": "utf-8"}}),
        {"u.csv": "ID,DATE,TYPE\n1,2020-01-01,H\n2,2020-01-02,Caf\u00e9\n".encode("cp1252")},
    )
    with pytest.raises(DataError, match=r"u\.csv, row 3: is not valid utf-8"):
        load(folder, "use_of_force")
    utf16 = make_agency(agency_config({"use_of_force": {"files": ["u.csv"], "columns": UOF_MIN}}),
                        {"u.csv": "ID,DATE,TYPE\n1,2020-01-01,H\n".encode("utf-16")}, name="utf16")
    with pytest.raises(DataError, match=r"NUL bytes"):
        load(utf16, "use_of_force")


def test_unbalanced_quotes_and_ragged_rows(make_agency):
    folder = make_agency(agency_config({"use_of_force": {"files": ["u.csv"], "columns": UOF_MIN}}),
                         {"u.csv": "ID,DATE,TYPE\n1,2020-01-01,H\n2,2020-01-02,H,extra,cells\n"})
    with pytest.raises(DataError, match=r"u\.csv, row 3: is not a well-formed CSV file"):
        load(folder, "use_of_force")


def test_bad_yaml(make_agency):
    folder = make_agency("name: X\ntimezone: [unclosed\n")
    with pytest.raises(ConfigError, match=r"not valid YAML: line \d+"):
        load_agency(folder)


@pytest.mark.parametrize(
    ("datasets", "key", "message"),
    [
        ({"use_of_farce": {"files": ["u.csv"], "columns": UOF_MIN}}, "datasets.use_of_farce", "unknown dataset"),
        ({"use_of_force": {"files": ["u.csv"], "columns": {**UOF_MIN, "subject_colour": "C"}}}, "datasets.use_of_force.columns.subject_colour", "not a field of use_of_force"),
        ({"use_of_force": {"files": ["u.csv"], "columns": UOF_MIN, "values": {"subject_race": {"W": "Caucasian"}}}}, "datasets.use_of_force.values.subject_race.W", "not a canonical race value"),
        ({"use_of_force": {"files": ["u.csv"], "columns": {"incident_id": "ID", "occurred_at": "D"}}}, "datasets.use_of_force.columns", "force_type"),
        ({"use_of_force": {"files": ["../../etc/*.csv"], "columns": UOF_MIN}}, "datasets.use_of_force.files.0", "must not leave the agency folder"),
        ({"use_of_force": {"files": ["u.csv"], "columns": UOF_MIN, "duplicate_rowz": "allowed"}}, "datasets.use_of_force.duplicate_rowz", "not a known key"),
        ({"use_of_force": {"files": ["u.csv"], "columns": {**UOF_MIN, "occurred_at": {"dat": "D"}}}}, "datasets.use_of_force.columns.occurred_at", "expected"),
    ],
)
def test_config_errors_name_the_key_path(make_agency, datasets, key, message):
    folder = make_agency(agency_config(datasets))
    with pytest.raises(ConfigError) as err:
        load_agency(folder)
    assert err.value.key == key and message in str(err.value)
    assert str(folder / "agency.yml") in str(err.value)


def test_timezone_and_population_are_validated(make_agency):
    folder = make_agency(agency_config({"use_of_force": {"files": ["u.csv"], "columns": UOF_MIN}}, timezone="Mars/Olympus"))
    with pytest.raises(ConfigError, match="timezone: 'Mars/Olympus' is not an IANA time zone"):
        load_agency(folder)
    folder = make_agency(agency_config({"use_of_force": {"files": ["u.csv"], "columns": UOF_MIN}},
                                       population={"source": "x", "total": 10, "by_race": {"Caucasian": 5}}), name="pop")
    with pytest.raises(ConfigError, match="population.by_race"):
        load_agency(folder)


def test_yaml_that_constructs_objects_is_refused(make_agency):
    folder = make_agency("name: !!python/object/apply:os.system ['echo hacked']\ntimezone: UTC\ndatasets: {}\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_agency(folder)


def test_a_rare_second_date_format_beyond_the_inference_sample_is_still_read(make_agency):
    rows = [f"{i},2020-01-{1 + i % 28:02d} 10:00:00,H" for i in range(9000)]
    rows[7777] = "7777,03/15/2020 10:00 AM,H"  # one row in another format, far from the sample's points
    folder = make_agency(agency_config({"use_of_force": {"files": ["u.csv"], "columns": UOF_MIN}}),
                         {"u.csv": "ID,DATE,TYPE\n" + "\n".join(rows) + "\n"})
    result = load(folder, "use_of_force")
    assert result.rows_used == 9000
    assert result.table.set_index("incident_id").loc["7777", "occurred_at"] == pd.Timestamp("2020-03-15 10:00")


# --- Timestamps read by Arrow, checked against pandas ----------------------------------------------------
# A long column of zero-padded timestamps is read by Arrow, each value kept only where its text is
# exactly that datetime written back; everything else is pandas'. The expected values here come from
# pandas' own ``to_datetime(format=..., errors="coerce")``, the path the fast one must match value for value.

TRICKY = {
    "%Y-%m-%d %H:%M:%S": [
        "2021-02-28 13:05:09", "2021-02-29 00:00:00", "2020-02-29 00:00:00", "2100-02-29 00:00:00",
        "2000-02-29 12:00:00", "2021-04-31 00:00:00", "2021-02-30 01:02:03", " 2021-02-28 01:02:03",
        "2021-02-28 01:02:03 ", "2021-2-8 1:2:3", "2021-02-28 24:00:00", "2021-02-28 23:60:00",
        "2021-02-28 23:59:60", "", "2021-02-28", "2021-02-28T01:02:03", "1677-06-01 00:00:00",
        "1678-01-01 00:00:00", "2261-12-31 23:59:59", "2262-06-01 00:00:00", "1500-01-01 00:00:00",
        "+2021-02-28 01:02:03", "2021-02-28  01:02:03", "2021-13-01 00:00:00", "2021-00-10 00:00:00",
        "2021-01-00 00:00:00", "2021-01-01 -1:00:00", "２０２１-01-01 00:00:00", "2021-01-01 00:00:0a",
    ],
    "%m/%d/%Y %I:%M:%S %p": [
        "01/05/2021 12:00:00 AM", "01/05/2021 12:00:00 PM", "01/05/2021 12:30:00 am", "01/05/2021 00:30:00 AM",
        "01/05/2021 13:00:00 PM", "1/5/2021 1:02:03 PM", "01/05/2021 11:59:59 PM", "01/05/2021 01:00:00 XM",
        "02/29/2020 06:00:00 PM", "02/29/2021 06:00:00 PM", "01/05/2021 01:00:00PM", "01/05/2021 01:00:00 P.M.",
        "01/05/2021 12:00:00 Am", "01/05/2021 00:00:00 PM", "",
    ],
    "%m/%d/%Y %H:%M": ["01/05/2021 00:00", "1/5/2021 7:05", "01/05/2021 7:05", "12/31/2021 23:59", "04/31/2021 10:00",
                       "02/29/2024 10:00", "02/29/2023 10:00", "01/05/2021 24:00", "13/05/2021 10:00", "01/05/21 10:00"],
    "%d-%b-%y": ["05-Jan-21", "05-JAN-21", "05-jan-21", "31-Apr-21", "29-Feb-24", "29-Feb-23", "05-Jan-68",
                 "05-Jan-69", "05-Jan-99", "05-Jan-00", "5-Jan-21", "05-Sept-21", "05-Sep-21", "05-Jan-2021"],
    "%m/%d/%y": [f"07/04/{year:02d}" for year in range(100)] + ["7/4/21", "02/29/00", "02/29/01", "02/29/68", "02/29/72"],
    "%Y%m%d": ["20210228", "20210229", "2021228", "20200229", " 20210228", "202102280", "21000229", "20000229"],
    "%Y-%m-%d %H%M": ["1900-01-01 2130", "1900-01-01 2400", "1900-01-01 0960", "1900-01-01 0000", "1900-01-01 930"],
    "%d.%m.%Y %H:%M:%S": ["31.12.2021 23:59:59", "31.11.2021 23:59:59", "1.12.2021 23:59:59", "31.12.2021 23:59"],
    "%b %d, %Y": ["Jan 05, 2021", "Jan 5, 2021", "Feb 29, 2021", "Feb 29, 2020", "jan 05, 2021", "Jan 05,2021"],
    "%Y-%m-%dT%H:%M": ["2021-06-30T12:00", "2021-06-31T12:00", "2021-06-30t12:00", "2021-06-30 12:00"],
}


def as_values(series) -> list:
    """Timestamps compared whatever their unit, with NaT as None (NaT never equals NaT)."""
    return [None if pd.isna(v) else pd.Timestamp(v) for v in series]


def pandas_reads(values, fmt) -> list:
    return as_values(pd.to_datetime(pd.Series(values, dtype="string"), format=fmt, errors="coerce"))


def written(fmt: str, moments) -> list[str]:
    """Each moment written with ``fmt`` by Python's strftime (zero-padded, English names)."""
    return [m.strftime(fmt) for m in moments]


def every_day_and_hour() -> list:
    """Every day of a leap year, a common year and the century years 1900, 2000 and 2100 (not all leap),
    at every hour of the day with minutes and seconds that vary."""
    import datetime as dt

    moments = []
    for year in (1900, 2000, 2021, 2024, 2100):
        day = dt.datetime(year, 1, 1)
        while day.year == year:
            moments.append(day + dt.timedelta(hours=day.timetuple().tm_yday % 24, minutes=day.day + 7, seconds=day.month * 4))
            day += dt.timedelta(days=1)
    return moments


@pytest.mark.parametrize("fmt", sorted(TRICKY))
def test_arrow_reads_zero_padded_timestamps_as_pandas_does(fmt):
    from transparency.reading.load import _strptime_exact, _to_datetime_checked

    canonical = written(fmt, every_day_and_hour())
    values = pd.Series(canonical, dtype="string")
    stamps, taken = _strptime_exact(values, fmt)
    assert taken.all()  # the fast path is the one being checked
    assert as_values(stamps) == pandas_reads(canonical, fmt)
    assert as_values(_to_datetime_checked(values, fmt)) == pandas_reads(canonical, fmt)


@pytest.mark.parametrize("fmt", sorted(TRICKY))
def test_tricky_values_get_pandas_answer(fmt):
    from transparency.reading.load import _strptime_exact, _to_datetime_checked

    tricky = TRICKY[fmt]
    assert as_values(_to_datetime_checked(pd.Series(tricky, dtype="string"), fmt)) == pandas_reads(tricky, fmt)
    # Arrow alone reads some of them otherwise (a rolled-over date, a stray space...): those were not taken.
    stamps, taken = _strptime_exact(pd.Series(tricky, dtype="string"), fmt)
    assert [s for s, t in zip(as_values(stamps), taken) if t] == [e for e, t in zip(pandas_reads(tricky, fmt), taken) if t]


def test_every_two_digit_year_and_every_hour_on_a_twelve_hour_clock():
    from transparency.reading.load import _strptime_exact

    years = [f"07/04/{year:02d}" for year in range(100)]
    stamps, taken = _strptime_exact(pd.Series(years, dtype="string"), "%m/%d/%y")
    assert taken.all() and as_values(stamps) == pandas_reads(years, "%m/%d/%y")
    clock = [f"01/05/2021 {hour:02d}:30 {half}" for hour in range(0, 24) for half in ("AM", "PM", "am", "pm")]
    stamps, taken = _strptime_exact(pd.Series(clock, dtype="string"), "%m/%d/%Y %I:%M %p")
    expected = pandas_reads(clock, "%m/%d/%Y %I:%M %p")
    assert [s for s, t in zip(as_values(stamps), taken) if t] == [e for e, t in zip(expected, taken) if t]
    assert sum(taken) == 24  # 01..12 AM and PM, in capitals as strftime writes them


def test_formats_the_check_does_not_cover_are_left_to_pandas():
    from transparency.reading.load import _strptime_exact

    values = pd.Series(["2021-01-05 10:00:00.5", "January 05, 2021", "2021-01-05 10:00:00+0000"], dtype="string")
    for fmt in ("%Y-%m-%d %H:%M:%S.%f", "%B %d, %Y", "%Y-%m-%d %H:%M:%S%z", "%H:%M", "%I:%M %d/%m/%Y", "%m/%Y"):
        assert _strptime_exact(values, fmt) is None


def test_long_timestamp_column_mixing_padded_and_tricky_values_reads_as_pandas(make_agency):
    """Through the loader: a column long enough for the fast path, with values only pandas reads."""
    good = [f"{1 + i % 12:02d}/{1 + i % 28:02d}/2021 {i % 24:02d}:{i % 60:02d}:{i % 59:02d}" for i in range(600)]
    odd = ["02/30/2021 10:00:00", "1/5/2021 7:05:09", " 03/01/2021 10:00:00", "02/29/2021 00:00:00", "04/31/2021 12:00:00",
           "03/01/2021 24:00:00", "03/01/2021 23:59:60"]
    stamps = good[:300] + odd + good[300:]
    rows = [f"C{i},{stamp},1" for i, stamp in enumerate(stamps)]
    folder = make_agency(
        agency_config({"calls_for_service": {"files": ["c.csv"], "columns": {"call_id": "ID", "received_at": "WHEN", "priority": "P"},
                                             "datetime_format": "%m/%d/%Y %H:%M:%S"}}),
        {"c.csv": "ID,WHEN,P\n" + "\n".join(rows) + "\n"},
    )
    result = load(folder, "calls_for_service")
    expected = pd.to_datetime(pd.Series(stamps, dtype="string").str.strip(), format="%m/%d/%Y %H:%M:%S", errors="coerce")
    kept = expected.notna().to_numpy()
    assert as_values(result.table["received_at"]) == as_values(expected[kept])
    assert result.excluded == {"unparseable_received_at": int((~kept).sum())}


# --- Reading only some columns ---------------------------------------------------------------------------


@pytest.mark.parametrize("name, content", [
    ("arrow.csv", "ID, NAME ,CODE\n1,  Ann ,A\n2,Bob,B\n,,\n3,Zoë,A\n".encode()),  # read by Arrow
    ("cp1252.csv", "ID, NAME ,CODE\n1,Zoë,A\n2,Bob,B\n".encode("cp1252")),  # by pandas (not UTF-8)
    ("repeated.csv", b"ID,NAME,NAME,CODE\n1,Ann,Annie,A\n"),  # by pandas (a repeated name is renamed)
    ("tabs.tsv", b"ID\t NAME \tCODE\n1\tAnn\tA\n"),
])
def test_columns_read_alone_are_those_of_the_whole_file(tmp_path, name, content):
    from transparency.reading.load import read_raw

    path = tmp_path / name
    path.write_bytes(content)
    whole, encoding, warnings = read_raw(path)
    wanted = [c for c in whole.columns if c != "CODE"]
    for columns in (wanted, lambda names: [n for n in names if n != "CODE"]):
        part, part_encoding, part_warnings = read_raw(path, columns=columns)
        pd.testing.assert_frame_equal(part, whole[wanted])
        assert (part_encoding, part_warnings) == (encoding, warnings)
    none, _, _ = read_raw(path, columns=[])
    assert list(none.columns) == [] and len(none) == len(whole)


def test_columns_read_alone_from_a_workbook_and_errors_unchanged(tmp_path):
    from transparency.reading.load import read_raw

    book = tmp_path / "t.xlsx"
    pd.DataFrame({"Badge #": [11, 22], "Done": ["2021-02-03", ""], "Hrs": [8, 4.5]}).to_excel(book, index=False)
    whole, _, _ = read_raw(book)
    pd.testing.assert_frame_equal(read_raw(book, columns=["Badge #"])[0], whole[["Badge #"]])
    ragged = tmp_path / "r.csv"
    ragged.write_text("ID,NAME\n1,Ann\n2,Bob,extra\n")
    with pytest.raises(DataError) as whole_error:
        read_raw(ragged)
    with pytest.raises(DataError) as part_error:
        read_raw(ragged, columns=["NAME"])
    assert str(part_error.value) == str(whole_error.value)


# Texts near the edges of what pandas' format reading accepts: a day padded with a space, white space
# of several kinds and lengths, offsets, a.m., lower case, 9-digit fractions, words for months.
_ODD_DATETIMES = [
    "2021-01-05", "2021-01- 5", "2021-1-5", " 5/1/2021", "1/ 5/2021", "01/05/2021 10:00PM", "01/05/2021 10:00 pm",
    "2021-01-05T10:00:00Z", "2021-01-05 10:00:00+00:00", "2021-01-05T10:00:00.123456789", "2021-01-05  10:00",
    "2021-01-05\t10:00", "2021-01-05 10:00 a.m.", "20210105", "05.01.2021", "5-JAN-21", "05-jan-2021",
    "Jan 5, 2021", "January 5,2021", "January  5, 2021 10:00", "2021/01/05 10:00:00", "01-05-2021 7:05:09 AM",
    "10:00", "1000", "7:05 PM", "10:00:00.5", "2021-01-05 24:00", "2021-13-05", "05/01/21", "2021-01-05T10:00",
    "7:05:09 pm", "23:59:59.999999", "070509", " 7:05", "7:05  PM",
]


@pytest.mark.parametrize("candidates", ["DATETIME_CANDIDATES", "TIME_CANDIDATES"])
def test_a_format_reads_only_texts_with_its_marks(candidates):
    """What lets infer_formats skip most candidates: a text any format reads has that format's marks."""
    from transparency.reading import load

    values = pd.Series(_ODD_DATETIMES)
    read_somewhere = pd.Series(False, index=values.index)
    for fmt in getattr(load, candidates):
        read = load._try(values, fmt).notna()
        read_somewhere |= read
        for text in values[read]:
            assert load._marks(text) == load._format_marks(fmt), (text, fmt)
    assert read_somewhere.sum() >= (20 if candidates == "DATETIME_CANDIDATES" else 6)  # not only rejects


def test_infer_formats_tries_only_formats_with_the_values_marks(monkeypatch):
    from transparency.reading import load

    tried = []
    real = load._try
    monkeypatch.setattr(load, "_try", lambda values, fmt: tried.append(fmt) or real(values, fmt))
    assert load.infer_formats(pd.Series(["01/05/2021 10:00 PM", "12/31/2021 9:15 AM"]), load.DATETIME_CANDIDATES) == ["%m/%d/%Y %I:%M %p"]
    assert tried and all(load._format_marks(fmt) == "//:" for fmt in tried)
    assert len(set(tried)) < len(load.DATETIME_CANDIDATES) // 4


CALLS_MIN = {"call_id": "ID", "received_at": "WHEN", "agency_type": "SERVICE", "source": "HOW"}


def test_a_scope_keeps_only_the_rows_it_names_and_counts_the_rest(make_agency):
    text = (
        "ID,WHEN,SERVICE,HOW\n"
        "1,2025-01-01 10:00,POLICE,E-911\n"
        "2,2025-01-01 11:00,FIRE,Pigeon\n"     # an unmapped value, in a row out of scope: not reported
        "3,2025-01-02 09:00,EMS,Phone\n"
        "4,2025-01-02 10:00,,Phone\n"          # no service: not in the scope either
        ",2025-01-03 10:00,FIRE,Phone\n"       # no id: its first reason is kept
        "6,2025-01-03 12:00,POLICE,Phone\n"
    )
    config = {"calls_for_service": {"files": ["c.csv"], "columns": CALLS_MIN, "scope": {"agency_type": ["POLICE"]}}}
    result = load(make_agency(agency_config(config), {"c.csv": text}), "calls_for_service")
    account = result.files[0]
    assert account.rows_read == 6 == account.rows_used + sum(account.excluded.values())
    assert dict(account.excluded) == {"out_of_scope_agency_type": 3, "missing_call_id": 1}
    assert result.table["call_id"].tolist() == ["1", "6"]
    assert result.table["agency_type"].astype(str).tolist() == ["POLICE", "POLICE"]
    assert "Pigeon" not in result.unmapped.get("source", {})


@pytest.mark.parametrize(("scope", "message"), [
    ({"district": ["1"]}, "'district' is not mapped to a source column"),
    ({"colour": ["red"]}, "'colour' is not a field of calls_for_service"),
    ({"received_at": ["2025"]}, "'received_at' is a datetime field"),
    ({"agency_type": []}, "expected a non-empty list"),
])
def test_a_scope_that_cannot_keep_rows_is_refused_by_name(make_agency, scope, message):
    config = {"calls_for_service": {"files": ["c.csv"], "columns": CALLS_MIN, "scope": scope}}
    folder = make_agency(agency_config(config), {"c.csv": "ID,WHEN,SERVICE,HOW\n1,2025-01-01,POLICE,Phone\n"})
    with pytest.raises(ConfigError) as caught:
        load_agency(folder)
    assert message in str(caught.value) and "scope" in str(caught.value)


def test_a_scope_on_an_enum_field_takes_canonical_values(make_agency):
    columns = {**UOF_MIN, "subject_race": "RACE"}
    bad = make_agency(agency_config({"use_of_force": {"files": ["u.csv"], "columns": columns, "scope": {"subject_race": ["B"]}}}),
                      {"u.csv": "ID,DATE,TYPE,RACE\nA,2020-01-01,Taser,B\n"})
    with pytest.raises(ConfigError, match="'B' is not a canonical race value"):
        load_agency(bad)
