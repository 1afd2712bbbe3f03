"""Dates, times and flags as real files write them (issue 22): small fixtures in ``tests/fixtures/dates`` with
the shapes real extracts have.

- ``stops_2018.csv``, ``stops_2019.csv``: a year of pedestrian stops with a month name and a weekday but no
  year and no day (the year is in the file's name), and contraband split over two flag columns;
- ``uof_midnight.csv``: a date column that carries a midnight time of its own (``01/05/2015 12:00:00 AM``)
  beside a real HHMM time column, some times blank, a blank and a ``-`` force type, a header with two
  inner spaces (``Date  Occurred``), and a report number that looks like a serial;
- ``traffic_stops_2025.csv``: traffic stops with a date and a time column, half the times blank.

Expected values are worked out here from the fixture text (plain csv reading), never from the loader.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import agency_config, keyed_agency

from transparency.core.config import DEFAULT_MISSING, load_agency
from transparency.core.errors import ConfigError, DataError
from transparency.core.keys import create_key
from transparency.figures import disparity
from transparency.reading.load import load_dataset
from transparency.reading.timeofday import time_known, time_known_column, unknown_times

FIXTURES = Path(__file__).parent / "fixtures" / "dates"
MONTHS = {"january": 1, "february": 2, "march": 3, "april": 4, "apr": 4, "may": 5, "june": 6, "july": 7,
          "august": 8, "sept": 9, "december": 12}


def rows(name: str) -> list[dict[str, str]]:
    with open(FIXTURES / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def agency_with(make_agency, datasets: dict, files: list[str], **extra) -> Path:
    folder = make_agency(agency_config(datasets, **extra))
    for name in files:
        (folder / "raw").mkdir(exist_ok=True)
        shutil.copy(FIXTURES / name, folder / "raw" / name)
    return folder


def load(folder: Path, dataset: str):
    return load_dataset(keyed_agency(folder), dataset)


def reconciles(result) -> bool:
    return all(f.rows_read == f.rows_used + sum(f.excluded.values()) for f in result.files)


# --- A year that is only in the file's name -------------------------------------------------------------

PED_STOPS = {
    "stop_id": "Stop ID",
    "stop_type": {"const": "pedestrian"},
    "subject_race": "Subject Race",
    "frisk_performed": "Frisk Flag",
}


def test_the_year_is_taken_from_the_file_name_and_the_month_from_its_name(make_agency):
    folder = agency_with(make_agency, {"stops": {
        "files": ["raw/stops_*.csv"],
        "columns": {**PED_STOPS, "occurred_at": {"year": {"file_name": r"stops_(?P<year>\d{4})"}, "month": "Month"}},
    }}, ["stops_2018.csv", "stops_2019.csv"])
    result = load(folder, "stops")
    expected = {r["Stop ID"]: pd.Timestamp(year, MONTHS[r["Month"].lower()], 1)
                for year in (2018, 2019) for r in rows(f"stops_{year}.csv")}
    got = dict(zip(result.table["stop_id"], result.table["occurred_at"]))
    assert got == expected
    assert reconciles(result) and result.rows_used == len(expected) == 13
    # Said in the data-quality appendix: the day is not known, and where the year came from.
    notes = " ".join(result.notes)
    assert "stops_2018.csv gives the month of each record but not the day" in notes
    assert "taken from the file's name (2018)" in notes and "(2019)" in notes
    # No row has a time of day: every one is marked unknown, never taken for midnight.
    assert unknown_times(result.table, "occurred_at") == 13


def test_a_constant_year_with_a_month_column(make_agency):
    folder = agency_with(make_agency, {"stops": {
        "files": ["raw/stops_2018.csv"],
        "columns": {**PED_STOPS, "occurred_at": {"year": {"const": 2018}, "month": "Month"}},
    }}, ["stops_2018.csv"])
    result = load(folder, "stops")
    quarters = result.table["occurred_at"].dt.quarter.value_counts().sort_index().to_dict()
    by_hand: dict[int, int] = {}
    for r in rows("stops_2018.csv"):
        quarter = (MONTHS[r["Month"].lower()] - 1) // 3 + 1
        by_hand[quarter] = by_hand.get(quarter, 0) + 1
    assert quarters == by_hand == {1: 4, 2: 4, 3: 1, 4: 1}
    assert (result.table["occurred_at"].dt.year == 2018).all()


def test_a_file_name_that_does_not_give_the_year_is_an_error_naming_the_file(make_agency):
    folder = agency_with(make_agency, {"stops": {
        "files": ["raw/stops_2018.csv"],
        "columns": {**PED_STOPS, "occurred_at": {"year": {"file_name": r"year(\d{4})"}, "month": "Month"}},
    }}, ["stops_2018.csv"])
    with pytest.raises(DataError, match=r"stops_2018.csv: the file's name does not match 'year\(\\d\{4\}\)'"):
        load(folder, "stops")


@pytest.mark.parametrize("part, message", [
    ({"const": ""}, "expected a column name, {const: V} or {file_name: PATTERN}"),
    ({"file_name": "(unclosed"}, "is not a regular expression"),
    ({"file_name": r"(\d{4})_(\d{2})"}, "has several groups"),
])
def test_bad_date_parts_are_config_errors_naming_the_key(make_agency, part, message):
    folder = make_agency(agency_config({"stops": {
        "files": ["raw/stops_2018.csv"],
        "columns": {**PED_STOPS, "occurred_at": {"year": part, "month": "Month"}},
    }}))
    with pytest.raises(ConfigError, match="datasets.stops.columns.occurred_at") as error:
        load_agency(folder)
    assert message in str(error.value)


# --- A date column with a midnight of its own beside a time column ------------------------------------------

UOF = {"incident_id": "Incident No", "force_type": "Force Type"}
PAIR = {"date": "Date  Occurred", "time": "Time Occurred"}


def expected_uof_times() -> dict[int, pd.Timestamp | None]:
    """Spreadsheet row -> the moment the row records (date from the date column, time from the time column)."""
    out = {}
    for number, r in enumerate(rows("uof_midnight.csv"), start=2):
        month, day, year = (int(p) for p in r["Date  Occurred"].split()[0].split("/"))
        hhmm = r["Time Occurred"]
        out[number] = (pd.Timestamp(year, month, day, int(hhmm[:2]), int(hhmm[2:])) if hhmm else pd.Timestamp(year, month, day))
    return out


def test_date_format_and_time_format_read_a_date_that_carries_its_own_midnight(make_agency):
    folder = agency_with(make_agency, {"use_of_force": {
        "files": ["raw/uof_midnight.csv"], "duplicate_rows": "allowed",
        "columns": {**UOF, "occurred_at": {**PAIR, "date_format": "%m/%d/%Y %I:%M:%S %p", "time_format": "%H%M"}},
    }}, ["uof_midnight.csv"])
    result = load(folder, "use_of_force")
    expected = expected_uof_times()
    kept = [n for n, r in zip(expected, rows("uof_midnight.csv")) if r["Force Type"] not in DEFAULT_MISSING]
    assert list(result.table["occurred_at"]) == [expected[n] for n in kept]
    # A real midnight (0000) is a known time; a blank time is not, and the date is kept.
    known = dict(zip(result.table["incident_id"], time_known(result.table, "occurred_at")))
    blank_times = {r["Incident No"] for r in rows("uof_midnight.csv") if not r["Time Occurred"] and r["Force Type"] not in DEFAULT_MISSING}
    assert {i for i, k in known.items() if not k} == blank_times == {"U-104", "U-109"}
    assert known["U-103"]
    assert result.issues["occurred_at: time not recorded (date kept)"] == 2


def test_format_on_a_date_and_time_pair_is_split_between_the_two_columns(make_agency):
    folder = agency_with(make_agency, {"use_of_force": {
        "files": ["raw/uof_midnight.csv"], "duplicate_rows": "allowed",
        # The date part (before the first time directive) reads the date column; the rest the time column.
        "columns": {**UOF, "occurred_at": {**PAIR, "format": "%m/%d/%Y %H%M"}},
    }}, ["uof_midnight.csv"])
    # "%m/%d/%Y" does not read "01/05/2015 12:00:00 AM": every date is unreadable, and the message says
    # which setting to give.
    with pytest.raises(DataError, match="set date_format for occurred_at in agency.yml") as error:
        load(folder, "use_of_force")
    assert "column 'Date  Occurred'" in str(error.value)


def test_a_repeated_directive_is_a_config_error_naming_the_key_and_the_directive(make_agency):
    """It was a traceback (re.error: redefinition of group name 'M')."""
    for columns, key in [
        ({**UOF, "occurred_at": {**PAIR, "format": "%m/%d/%Y %I:%M:%S %p %H%M"}}, "datasets.use_of_force.columns.occurred_at.format"),
        ({**UOF, "occurred_at": PAIR}, "datasets.use_of_force.datetime_format"),
    ]:
        folder = make_agency(agency_config({"use_of_force": {
            "files": ["raw/uof_midnight.csv"], "columns": columns, "datetime_format": "%m/%d/%Y %I:%M:%S %p %H%M",
        }}))
        with pytest.raises(ConfigError) as error:
            load_agency(folder)
        # Every configuration problem is reported at once (ConfigErrors): the repeated directive is one.
        found = {e.key: e for e in getattr(error.value, "problems", [error.value])}
        assert key in found, list(found)
        assert "uses %M twice" in found[key].message and "date_format and time_format" in found[key].message


def test_validate_on_a_repeated_directive_exits_1_without_a_traceback(make_agency):
    import subprocess
    import sys

    folder = agency_with(make_agency, {"use_of_force": {
        "files": ["raw/uof_midnight.csv"],
        "columns": {**UOF, "occurred_at": {**PAIR, "format": "%m/%d/%Y %I:%M:%S %p %H%M"}},
    }}, ["uof_midnight.csv"])
    run = subprocess.run([sys.executable, "-m", "transparency.cli", "validate", "--agency", str(folder)],
                         capture_output=True, text=True)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr + run.stdout
    assert "uses %M twice" in run.stderr + run.stdout


@pytest.mark.parametrize("columns, message", [
    ({"column": "D", "date_format": "%m/%d/%Y"}, "date_format and time_format are for a date column and a time column joined"),
    ({**PAIR, "format": "%m/%d/%Y", "date_format": "%m/%d/%Y"}, "not both"),
    ({"year": "Y", "month": "M", "time": "T", "date_format": "%Y"}, "there is no date column"),
    ({"date": "D", "time_format": "%H%M"}, "there is no time column"),
])
def test_date_and_time_formats_only_where_they_apply(make_agency, columns, message):
    folder = make_agency(agency_config({"use_of_force": {"files": ["raw/x.csv"], "columns": {**UOF, "occurred_at": columns}}}))
    with pytest.raises(ConfigError, match="datasets.use_of_force.columns.occurred_at") as error:
        load_agency(folder)
    assert message in str(error.value)


def test_a_date_format_alone_with_hhmm_times_reads_them_as_hours_and_minutes(make_agency, tmp_path):
    """Issue 18: `{date: D, time: T}` with only a date format named the date column, quoted a value the
    program made ('1900-01-01 1619') and asked for datetime_format, which was set."""
    text = (FIXTURES / "uof_midnight.csv").read_text().replace(" 12:00:00 AM", "")
    folder = make_agency(agency_config({"use_of_force": {
        "files": ["u.csv"], "duplicate_rows": "allowed", "columns": {**UOF, "occurred_at": PAIR}, "datetime_format": "%m/%d/%Y",
    }}), {"u.csv": text})
    result = load(folder, "use_of_force")
    expected = expected_uof_times()
    kept = [n for n, r in zip(expected, rows("uof_midnight.csv")) if r["Force Type"] not in DEFAULT_MISSING]
    assert list(result.table["occurred_at"]) == [expected[n] for n in kept]


def test_digit_times_of_several_lengths_name_the_time_column_and_time_format(make_agency):
    """"1619" beside "161930" was read as 16:01:09 without a word (the formats were inferred together)."""
    text = "ID,D,T,TYPE\n1,01/05/2015,1619,Taser\n2,01/06/2015,161930,Taser\n"
    folder = make_agency(agency_config({"use_of_force": {
        "files": ["u.csv"], "columns": {"incident_id": "ID", "force_type": "TYPE", "occurred_at": {"date": "D", "time": "T"}},
        "datetime_format": "%m/%d/%Y"}}), {"u.csv": text})
    with pytest.raises(DataError) as error:
        load(folder, "use_of_force")
    message = str(error.value)
    assert "column 'T'" in message and "set time_format for occurred_at" in message and "4 and 6" in message
    assert "1900" not in message and "datetime_format" not in message


# --- missing_values adds to the defaults; an empty cell never fills a required field -----------------------


def test_missing_values_add_to_the_defaults_and_blanks_stay_missing(make_agency):
    folder = agency_with(make_agency, {"use_of_force": {
        "files": ["raw/uof_midnight.csv"], "duplicate_rows": "allowed", "missing_values": ["-"],
        "columns": {**UOF, "occurred_at": {**PAIR, "date_format": "%m/%d/%Y %I:%M:%S %p", "time_format": "%H%M"}},
    }}, ["uof_midnight.csv"])
    result = load(folder, "use_of_force")
    source = rows("uof_midnight.csv")
    blank_or_dash = sum(1 for r in source if r["Force Type"] in ("", "-"))
    assert result.excluded["missing_force_type"] == blank_or_dash == 3
    assert result.rows_used == len(source) - 3 and reconciles(result)
    assert "" not in set(result.table["force_type"]) and "-" not in set(result.table["force_type"])


def test_missing_values_replace_stands_instead_of_the_defaults_but_blank_is_always_missing(make_agency):
    text = "ID,DATE,TYPE,WEAPON\n1,2020-01-01,Taser,None\n2,2020-01-02,,NULL\n3,2020-01-03,-,\n4,2020-01-04,Hands,N/A\n"
    folder = make_agency(agency_config({"use_of_force": {
        "files": ["u.csv"], "missing_values": {"replace": ["-", "N/A"]},
        "columns": {"incident_id": "ID", "occurred_at": "DATE", "force_type": "TYPE", "reason": "WEAPON"},
    }}), {"u.csv": text})
    result = load(folder, "use_of_force")
    assert result.excluded["missing_force_type"] == 2  # the blank and the "-"
    reasons = dict(zip(result.table["incident_id"], result.table["reason"]))
    assert reasons["1"] == "None"  # no longer a default
    assert pd.isna(reasons["4"])  # N/A listed


def test_an_empty_cell_cannot_be_declared_a_value(make_agency):
    folder = make_agency(agency_config({"use_of_force": {
        "files": ["u.csv"], "columns": {"incident_id": "ID", "occurred_at": "DATE", "force_type": {"column": "TYPE", "literal": [""]}}}}))
    with pytest.raises(ConfigError, match="force_type.literal: an empty cell is always missing"):
        load_agency(folder)


# --- A time that was never recorded is not midnight ---------------------------------------------------------


def test_date_only_values_in_a_datetime_column_have_no_known_time(make_agency):
    text = "ID,WHEN,TYPE\n1,2020-01-01 00:00,Taser\n2,2020-01-02,Hands\n3,2020-01-03 14:30,Taser\n"
    folder = make_agency(agency_config({"use_of_force": {
        "files": ["u.csv"], "columns": {"incident_id": "ID", "occurred_at": "WHEN", "force_type": "TYPE"}}}), {"u.csv": text})
    table = load(folder, "use_of_force").table
    assert list(time_known(table, "occurred_at")) == [True, False, True]


def test_a_table_whose_times_are_all_known_gets_no_extra_column(make_agency):
    text = "ID,WHEN,TYPE\n1,2020-01-01 00:00,Taser\n2,2020-01-02 13:00,Hands\n"
    folder = make_agency(agency_config({"use_of_force": {
        "files": ["u.csv"], "columns": {"incident_id": "ID", "occurred_at": "WHEN", "force_type": "TYPE"}}}), {"u.csv": text})
    table = load(folder, "use_of_force").table
    assert time_known_column("occurred_at") not in table.columns
    assert time_known(table, "occurred_at").all()


CHICAGO = (41.88, -87.63, "America/Chicago")


def test_the_darkness_test_leaves_out_stops_without_a_time_and_counts_them():
    from test_disparity import evening_stops

    stops = evening_stops(3000, 0.0, seed=5)
    unknown = stops.index % 7 == 0
    stops.loc[unknown, "occurred_at"] = stops.loc[unknown, "occurred_at"].dt.normalize()  # a date kept at midnight
    stops[time_known_column("occurred_at")] = ~unknown
    result = disparity.veil_of_darkness(stops, *CHICAGO)
    alone = disparity.veil_of_darkness(stops[~unknown].drop(columns=[time_known_column("occurred_at")]), *CHICAGO)
    assert result.time_unknown == int(unknown.sum())
    assert result.counts.equals(alone.counts) and result.window == alone.window
    assert result.odds_ratio == pytest.approx(alone.odds_ratio)


def test_the_stops_section_says_how_many_stops_the_darkness_test_left_out(make_agency, tmp_path):
    from transparency.sections import stops
    from transparency.sections.section import Section

    folder = agency_with(make_agency, {"stops": {
        "files": ["raw/traffic_stops_2025.csv"],
        "columns": {"stop_id": "STOP", "occurred_at": {"date": "DATE", "time": "TIME"}, "stop_type": {"const": "traffic"},
                    "subject_race": "RACE"},
    }}, ["traffic_stops_2025.csv"], location={"lat": 41.88, "lon": -87.63})
    create_key(load_agency(folder).slug)
    blank = sum(1 for r in rows("traffic_stops_2025.csv") if not r["TIME"])
    sec = Section("stops", agency=str(folder), period="2025Q3", output_dir=str(tmp_path / "out"),
                  columns=stops.FIELDS, window=stops.window)
    result = stops.veil(sec)
    assert result.time_unknown == blank == 6
    text = " ".join(stops.veil_sentences(sec, result))
    assert ("6 traffic stops from October 2024 to September 2025 have a date but no recorded time of day, "
            "so the test leaves them out.") in text


# --- A yes/no field spread over flag columns ---------------------------------------------------------------


def test_a_yes_no_field_is_true_when_any_of_its_flags_is_set(make_agency):
    folder = agency_with(make_agency, {"stops": {
        "files": ["raw/stops_2018.csv"],
        "columns": {**PED_STOPS, "occurred_at": {"year": {"const": 2018}, "month": "Month"},
                    "contraband_found": {"any_of": ["Other Contraband", "Weapon Found"]}},
    }}, ["stops_2018.csv"])
    result = load(folder, "stops")
    got = dict(zip(result.table["stop_id"], result.table["contraband_found"]))
    for r in rows("stops_2018.csv"):
        flags = [r["Other Contraband"], r["Weapon Found"]]
        if "Y" in flags:
            assert got[r["Stop ID"]] == True  # noqa: E712  (pandas' boolean, not Python's)
        elif any(flags):
            assert got[r["Stop ID"]] == False  # noqa: E712
        else:
            assert pd.isna(got[r["Stop ID"]])
    every_blank = sum(1 for r in rows("stops_2018.csv") if not r["Other Contraband"] and not r["Weapon Found"])
    assert result.issues["contraband_found: no flag recorded (Other Contraband, Weapon Found), so unknown"] == every_blank == 2


def test_a_blank_flag_can_be_declared_a_no(make_agency):
    folder = agency_with(make_agency, {"stops": {
        "files": ["raw/stops_2018.csv"],
        "columns": {**PED_STOPS, "occurred_at": {"year": {"const": 2018}, "month": "Month"},
                    "contraband_found": {"any_of": ["Other Contraband", "Weapon Found"]}},
        "values": {"contraband_found": {"": False}},
    }}, ["stops_2018.csv"])
    result = load(folder, "stops")
    assert result.table["contraband_found"].notna().all()
    assert int(result.table["contraband_found"].sum()) == 3  # P18-02, 03, 04
    assert not any("no flag recorded" in issue for issue in result.issues)


# --- row_id that hides real rows ----------------------------------------------------------------------------


def test_rows_that_are_duplicates_only_without_row_id_are_warned_of_with_the_count(make_agency):
    config = {"files": ["raw/uof_midnight.csv"],
              "columns": {**UOF, "occurred_at": {**PAIR, "date_format": "%m/%d/%Y %I:%M:%S %p", "time_format": "%H%M"}}}
    source = rows("uof_midnight.csv")
    without_report = [tuple(v for k, v in r.items() if k != "Report No") for r in source]
    hidden = len(without_report) - len(set(without_report))
    assert hidden == 1

    folder = agency_with(make_agency, {"use_of_force": {**config, "row_id": "Report No"}}, ["uof_midnight.csv"])
    result = load(folder, "use_of_force")
    assert result.excluded["duplicate_row"] == hidden
    warnings = result.files[0].warnings
    assert len(warnings) == 1 and warnings[0].startswith("1 row(s) excluded as duplicates differ from the earlier row only in row_id (Report No)")

    from transparency.tables.validate import check_agency

    check = check_agency(keyed_agency(folder), cached=False)[0]
    assert any("only in row_id (Report No)" in w for w in check.warnings)

    # Without row_id the two rows are different records, and nothing is said.
    plain = agency_with(make_agency, {"use_of_force": config}, ["uof_midnight.csv"])
    result = load(plain, "use_of_force")
    assert "duplicate_row" not in result.excluded and not result.files[0].warnings


def test_true_copies_with_a_row_id_are_not_warned_of(make_agency):
    text = "ROW,ID,DATE,TYPE\n1,A,2020-01-01,Taser\n2,A,2020-01-01,Taser\n2,A,2020-01-01,Taser\n"
    folder = make_agency(agency_config({"use_of_force": {
        "files": ["u.csv"], "row_id": "ROW", "columns": {"incident_id": "ID", "occurred_at": "DATE", "force_type": "TYPE"}}}),
        {"u.csv": text})
    result = load(folder, "use_of_force")
    assert result.excluded["duplicate_row"] == 2
    # Row 3 repeats row 2 whole; row 2 differs from row 1 only in ROW: one warning, for one row.
    assert result.files[0].warnings == [
        "1 row(s) excluded as duplicates differ from the earlier row only in row_id (ROW); if ROW is a report or case "
        "number rather than a per-row serial, these are distinct records: remove row_id from agency.yml (if it is a serial, "
        "say so with row_id_checked: true)"]


def test_a_row_id_checked_as_a_serial_is_not_warned_of(make_agency):
    text = "ROW,ID,DATE,TYPE\n1,A,2020-01-01,Taser\n2,A,2020-01-01,Taser\n"
    folder = make_agency(agency_config({"use_of_force": {
        "files": ["u.csv"], "row_id": "ROW", "row_id_checked": True,
        "columns": {"incident_id": "ID", "occurred_at": "DATE", "force_type": "TYPE"}}}), {"u.csv": text})
    result = load(folder, "use_of_force")
    assert result.excluded["duplicate_row"] == 1 and not result.files[0].warnings


def test_times_two_formats_read_differently_name_the_time_column_not_a_made_up_value(make_agency, monkeypatch):
    import transparency.reading.load as load_module

    monkeypatch.setattr(load_module, "TIME_CANDIDATES", ("%H.%M", "%M.%H"))  # both read 10.11, differently
    text = "ID,D,T,TYPE\n1,01/05/2015,10.11,Taser\n2,01/06/2015,10.12,Taser\n"
    folder = make_agency(agency_config({"use_of_force": {
        "files": ["u.csv"], "columns": {"incident_id": "ID", "force_type": "TYPE", "occurred_at": {"date": "D", "time": "T"}},
        "datetime_format": "%m/%d/%Y"}}), {"u.csv": text})
    with pytest.raises(DataError) as error:
        load(folder, "use_of_force")
    message = str(error.value)
    assert "column 'T'" in message and "times such as '10.1" in message and "set time_format for occurred_at" in message
    assert "1900" not in message


# --- Column names with inner double spaces -----------------------------------------------------------------


def test_a_column_name_with_inner_double_spaces_is_matched_exactly_and_a_near_miss_is_named(make_agency):
    header = next(csv.reader(open(FIXTURES / "uof_midnight.csv", encoding="utf-8")))
    assert "Date  Occurred" in header  # two inner spaces, kept as they are
    config = {"files": ["raw/uof_midnight.csv"], "duplicate_rows": "allowed",
              "columns": {**UOF, "occurred_at": {"date": "Date Occurred", "time": "Time Occurred",
                                                 "date_format": "%m/%d/%Y %I:%M:%S %p", "time_format": "%H%M"}}}
    folder = agency_with(make_agency, {"use_of_force": config}, ["uof_midnight.csv"])
    with pytest.raises(DataError) as error:
        load(folder, "use_of_force")
    assert "has no column 'Date Occurred'" in str(error.value)
    assert "the file has 'Date  Occurred': column names must match exactly" in str(error.value)


def test_the_methodology_says_when_dates_are_known_to_the_month_only(make_agency):
    from transparency.core.periods import parse_period
    from transparency.writing import backmatter

    month_only = {"files": ["raw/stops_2018.csv"],
                  "columns": {**PED_STOPS, "occurred_at": {"year": {"file_name": r"(\d{4})"}, "month": "Month"}}}
    agency = load_agency(make_agency(agency_config({"stops": month_only})))
    text = backmatter.methodology(agency, parse_period("2018Q2")[0], ["stops"])
    assert "The records of stops give the month of each event but not the day" in text
    with_day = {**month_only, "columns": {**month_only["columns"], "occurred_at": {"year": {"const": 2018}, "month": "Month", "day": "Day"}}}
    agency = load_agency(make_agency(agency_config({"stops": with_day}), name="daily"))
    assert "but not the day" not in backmatter.methodology(agency, parse_period("2018Q2")[0], ["stops"])


@pytest.mark.parametrize("columns, message", [
    ({"subject_race": {"any_of": ["A", "B"]}}, "any_of makes a yes/no field; 'subject_race' is a enum field"),
    ({"contraband_found": {"any_of": []}}, "expected a list of flag column names"),
    ({"contraband_found": {"any_of": ["A"], "format": "%Y"}}, "any_of takes only literal/missing besides"),
])
def test_any_of_is_checked_where_it_is_configured(make_agency, columns, message):
    folder = make_agency(agency_config({"stops": {
        "files": ["raw/stops_2018.csv"],
        "columns": {**PED_STOPS, "occurred_at": {"year": {"const": 2018}, "month": "Month"}, **columns}}}))
    with pytest.raises(ConfigError) as error:
        load_agency(folder)
    assert message in str(error.value) and "datasets.stops.columns." in str(error.value)
