"""Real agencies' published files loaded through their tests/agencies/<name>/agency.yml.

Every expected number is computed here from the raw CSV with plain pandas (read as text:
``dtype=str, keep_default_na=False``) and a different route than the loader's: distinct ids per
quarter from the date text, counts of raw categories, ``DataFrame.duplicated`` for exact copies,
timestamps parsed with explicit formats. Each test is skipped when its ``../shared/real/<folder>``
is not beside the checkout.

Some tests pin down loader behaviour that real files exposed (short HHMM times, a repeated
summons key, a file whose every row is a duplicate).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from conftest import SHARED_REAL, agency_config, keyed_agency, needs_real

from transparency.core.config import load_agency
from transparency.core.keys import read_key
from transparency.reading.load import LoadResult, load_dataset

AGENCIES = Path(__file__).resolve().parent / "agencies"
MISSING = {"", "NULL"}


# --- Helpers ------------------------------------------------------------------------------------------


@dataclass
class Loaded:
    result: LoadResult
    key: bytes
    seconds: float

    @property
    def table(self) -> pd.DataFrame:
        return self.result.table


_LOADS: dict[tuple[str, str], Loaded] = {}
_RAW: dict[Path, pd.DataFrame] = {}


def loaded(agency_name: str, dataset: str) -> Loaded:
    """Load once per session (the key is passed on, so later tests can check pseudonyms)."""
    if (agency_name, dataset) not in _LOADS:
        agency = keyed_agency(AGENCIES / agency_name)
        key = read_key(agency.slug)
        start = time.perf_counter()
        result = load_dataset(agency, dataset, key=key)
        _LOADS[(agency_name, dataset)] = Loaded(result, key, time.perf_counter() - start)
    return _LOADS[(agency_name, dataset)]


def raw(folder: str, name: str) -> pd.DataFrame:
    """A raw file as pandas reads it: text cells, nothing turned into NaN (BOM dropped)."""
    path = SHARED_REAL / folder / name
    if path not in _RAW:
        _RAW[path] = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return _RAW[path]


def raw_all(folder: str, pattern: str) -> pd.DataFrame:
    paths = sorted((SHARED_REAL / folder).glob(pattern))
    return pd.concat([raw(folder, p.name) for p in paths], ignore_index=True)


def assert_reconciles(result: LoadResult, folder: str) -> None:
    """rows read = used + excluded for every file, and rows read = pandas' own row count."""
    assert result.files, "no file was read"
    for account in result.files:
        assert account.rows_read == account.rows_used + sum(account.excluded.values()), account.path
        name = Path(account.path).name
        assert account.rows_read == len(raw(folder, name)), account.path
    assert result.rows_read == result.rows_used + sum(result.excluded.values())


def in_quarter(dates: pd.Series, quarter: str) -> pd.Series:
    """Loaded datetimes in a calendar quarter such as 2018Q3."""
    year, q = int(quarter[:4]), int(quarter[-1])
    return (dates.dt.year == year) & (dates.dt.quarter == q)


def raw_in_quarter(text: pd.Series, fmt: str, quarter: str) -> pd.Series:
    """Raw date text in a quarter, parsed here with an explicit format."""
    dates = pd.to_datetime(text, format=fmt)
    year, q = int(quarter[:4]), int(quarter[-1])
    months = range(3 * q - 2, 3 * q + 1)
    return (dates.dt.year == year) & dates.dt.month.isin(months)


def hmac16(key: bytes, value: str) -> str:
    return hmac.new(key, value.strip().upper().encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def assert_no_raw_ids(table: pd.DataFrame, raw_ids, key: bytes, pseudonym_field: str,
                      provenance: dict[str, set[str]] | None = None) -> None:
    """No raw identifier survives: not in any cell, not in a column name.

    ``pseudonym_field`` must hold exactly the keyed hashes of raw identifiers. A column listed in
    ``provenance`` (an id column whose own source shares some values with the identifiers by
    coincidence, such as small complaint numbers) must hold only values of that source.
    """
    ids = {v.strip() for v in raw_ids if v.strip() not in MISSING}
    assert ids
    provenance = provenance or {}
    assert not ({c for c in table.columns} & ids)
    for column in table.columns:
        values = set(table[column].dropna().astype(str))
        if column in provenance:
            assert values <= provenance[column], column
        else:
            assert not (values & ids), f"raw identifiers in {column}: {sorted(values & ids)[:5]}"
    hashed = set(table[pseudonym_field].dropna())
    assert hashed and all(re.fullmatch(r"[0-9a-f]{16}", h) for h in hashed)
    assert hashed <= {hmac16(key, v) for v in ids}


# --- Dallas: use of force -----------------------------------------------------------------------------

DALLAS = "uof_dallas"


def dallas_raw() -> pd.DataFrame:
    frames = []
    for path in sorted((SHARED_REAL / DALLAS).glob("*.csv")):
        frame = raw(DALLAS, path.name).copy()
        frame["badge"] = frame["CURRENT_BA"] if "CURRENT_BA" in frame else frame["CURRENT_BAxx"]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


@needs_real(DALLAS)
def test_dallas_use_of_force_reconciles_and_counts():
    run = loaded("dallas", "use_of_force")
    assert_reconciles(run.result, DALLAS)
    assert len(run.result.files) == 3 and run.result.rows_read == 8367
    assert dict(run.result.excluded) == {}  # no copies, no missing dates (OBJECTID aside)
    t, r = run.table, dallas_raw()

    # Incidents in 2018Q3: distinct FILENUM by the OCCURRED_D date.
    q = raw_in_quarter(r["OCCURRED_D"], "%m/%d/%Y", "2018Q3")
    assert t.loc[in_quarter(t["occurred_at"], "2018Q3"), "incident_id"].nunique() == r.loc[q, "FILENUM"].nunique()
    # Applications in 2018Q3: one per item of the ForceType list.
    items = r.loc[q, "ForceType"].str.split(", ")
    assert in_quarter(t["occurred_at"], "2018Q3").sum() == items.map(len).sum()
    # Force types over the three years, item by item.
    expected_types = r["ForceType"].str.split(", ").explode().value_counts()
    assert t["force_type"].value_counts().to_dict() == expected_types.to_dict()
    # Incidents with the subject injured in 2019Q1 (true/false in 2019).
    q19 = raw_in_quarter(r["OCCURRED_D"], "%m/%d/%Y", "2019Q1")
    injured = r["CIT_INJURE"].str.lower().isin(["true", "yes"])
    got = t.loc[in_quarter(t["occurred_at"], "2019Q1") & t["subject_injured"].fillna(False), "incident_id"].nunique()
    assert got == r.loc[q19 & injured, "FILENUM"].nunique()


@needs_real(DALLAS)
def test_dallas_dates_times_recodes_and_booleans():
    run = loaded("dallas", "use_of_force")
    t, r = run.table, dallas_raw()
    # Date + 12-hour time, parsed here in one go; 2018 has no times (midnight).
    stamp = pd.to_datetime(
        r["OCCURRED_D"] + " " + r["OCCURRED_T"].where(~r["OCCURRED_T"].isin(MISSING), "12:00 AM"), format="%m/%d/%Y %I:%M %p"
    )
    expected = set(zip(r["FILENUM"], stamp))
    assert set(zip(t["incident_id"], t["occurred_at"])) == expected
    # 2,739 raw rows have no time; the loader counts the issue per exploded row (5,921), hence >=.
    assert run.result.issues["occurred_at: time not recorded (date kept)"] >= r["OCCURRED_T"].isin(MISSING).sum()
    # Race recodes: "American Ind" is Native American; NULL and blank are Unknown.
    per_row = r["ForceType"].str.split(", ").map(len)
    race = r["CitRace"].replace({"American Ind": "Native American", "NULL": "Unknown", "": "Unknown"})
    assert t["subject_race"].value_counts().to_dict() == race.repeat(per_row).value_counts().to_dict()
    # Arrests as true/false (2017, 2019) and Yes/No (2018).
    arrested = r["CIT_ARREST"].str.lower().isin(["true", "yes"]).repeat(per_row)
    assert int(t["arrest_made"].sum()) == int(arrested.sum())
    assert t["arrest_made"].notna().all()


@needs_real(DALLAS)
def test_dallas_no_badge_number_survives():
    run = loaded("dallas", "use_of_force")
    assert_no_raw_ids(run.table, dallas_raw()["badge"], run.key, "officer_id")


# --- Indianapolis: complaints and officer-involved shootings -----------------------------------------

IMPD_C, IMPD_OIS = "complaints_indianapolis", "ois_indianapolis"
COMPLAINTS_FILE = "IMPD_complaints_Dec_2020.csv"
OIS_FILE = "IMPD_Officer_Involved_Shootings_20201227.csv"


@needs_real(IMPD_C)
def test_indianapolis_complaints_reconcile_and_counts():
    run = loaded("indianapolis", "complaints")
    assert_reconciles(run.result, IMPD_C)
    assert run.result.files[0].encoding == "utf-8-sig"  # the BOM
    r = raw(IMPD_C, COMPLAINTS_FILE)
    copies = r.drop(columns="OBJECTID").duplicated()
    assert dict(run.result.excluded) == {"duplicate_row": int(copies.sum())}
    kept, t = r[~copies], run.table

    # Complaints received in 2016Q2: distinct INCNUM by OCCURRED_DT (yyyy/mm/dd).
    q = kept["OCCURRED_DT"].str[:4].eq("2016") & kept["OCCURRED_DT"].str[5:7].isin(["04", "05", "06"])
    in_q = in_quarter(t["received_at"], "2016Q2")
    assert t.loc[in_q, "complaint_id"].nunique() == kept.loc[q, "INCNUM"].nunique()
    assert in_q.sum() == q.sum()  # allegations received
    # Dispositions: the four findings by name, blanks pending, three rare wordings other.
    finding = kept["FINDING"]
    expected = {
        "exonerated": (finding == "Exonerated").sum(), "not_sustained": (finding == "Not Sustained").sum(),
        "unfounded": (finding == "Unfounded").sum(), "sustained": (finding == "Sustained").sum(),
        "pending": (finding == "").sum(),
        "other": finding.isin(["Vacated", "Coached/Mentored", "Not Justified"]).sum(),
    }
    assert t["disposition"].value_counts().to_dict() == {k: int(v) for k, v in expected.items()}
    assert run.result.unmapped["disposition"] == {"Vacated": 1, "Coached/Mentored": 1, "Not Justified": 1}
    # Date + separate time column.
    timed = kept[kept["OCCURRED_TM"] != ""]
    stamps = set(zip(timed["INCNUM"], pd.to_datetime(timed["OCCURRED_DT"] + " " + timed["OCCURRED_TM"], format="%Y/%m/%d %H:%M:%S")))
    assert stamps <= set(zip(t["complaint_id"], t["received_at"]))


@needs_real(IMPD_C)
def test_indianapolis_complaints_no_officer_number_survives():
    run = loaded("indianapolis", "complaints")
    r = raw(IMPD_C, COMPLAINTS_FILE)
    # Complaint numbers are small integers and 29 of them equal some officer number by
    # coincidence: complaint_id must hold INCNUM values only.
    assert_no_raw_ids(run.table, r["OFFNUM"], run.key, "officer_id", provenance={"complaint_id": set(r["INCNUM"])})


@needs_real(IMPD_OIS)
def test_indianapolis_shootings_reconcile_and_counts():
    run = loaded("indianapolis", "officer_involved_shootings")
    assert_reconciles(run.result, IMPD_OIS)
    r, t = raw(IMPD_OIS, OIS_FILE), run.table
    assert run.result.rows_used == len(r) == 125
    # Fatal incidents: distinct INCNUM with a subject whose condition is Death.
    fatal = r.loc[r["CIT_COND_TYPE"] == "Death", "INCNUM"].nunique()
    assert t.loc[t["subject_outcome"] == "fatal", "incident_id"].nunique() == fatal
    assert t["incident_id"].nunique() == r["INCNUM"].nunique()
    # Incidents in 2016Q3 (the busiest quarter, 20 rows).
    q = r["OCCURRED_DT"].str.startswith(("2016/07", "2016/08", "2016/09"))
    assert t.loc[in_quarter(t["occurred_at"], "2016Q3"), "incident_id"].nunique() == r.loc[q, "INCNUM"].nunique()
    # Unarmed subjects and the weapon wording kept.
    assert int((t["subject_armed"] == False).sum()) == int((r["CIT_WEAPON"] == "Suspect - Unarmed").sum())  # noqa: E712
    assert t["subject_weapon"].value_counts().to_dict() == r.loc[r["CIT_WEAPON"] != "", "CIT_WEAPON"].value_counts().to_dict()


@needs_real(IMPD_OIS)
def test_indianapolis_shootings_no_officer_number_survives():
    run = loaded("indianapolis", "officer_involved_shootings")
    r = raw(IMPD_OIS, OIS_FILE)
    assert_no_raw_ids(run.table, r["OFFNUM"], run.key, "officer_id", provenance={"incident_id": set(r["INCNUM"])})


# --- Louisville: assaults on officers -----------------------------------------------------------------

LMPD = "assaults_on_officers_louisville"


@needs_real(LMPD)
def test_louisville_duplicates_excluded_and_counts():
    run = loaded("louisville", "assaults_on_officers")
    assert_reconciles(run.result, LMPD)
    r, t = raw(LMPD, "AssaultedOfficerData.csv"), run.table
    # Rows identical in every column but the sequential ID: excluded, and only those.
    copies = r.drop(columns="ID").duplicated()
    assert run.result.excluded["duplicate_row"] == int(copies.sum()) == 3953
    assert dict(run.result.excluded) == {"duplicate_row": int(copies.sum())}
    kept = r[~copies]
    q = raw_in_quarter(kept["DATE_OCCURED"], "%m/%d/%Y %H:%M", "2019Q4")
    in_q = in_quarter(t["occurred_at"], "2019Q4")
    assert t.loc[in_q, "incident_id"].nunique() == kept.loc[q, "INCIDENT_NUMBER"].nunique()
    assert in_q.sum() == q.sum()  # officers assaulted
    assert int(t["officer_killed"].sum()) == int((kept["OFFICER_KILLED"] == "YES").sum())
    assert t["district"].value_counts().to_dict() == kept["LMPD_DIVISION"].value_counts().to_dict()


# --- Seattle: Terry stops -----------------------------------------------------------------------------

SPD = "ped_stops_seattle_terry"
SEATTLE_RACE = {
    "White": "White", "Black": "Black", "Hispanic": "Hispanic", "Asian": "Asian",
    "American Indian / Alaskan Native": "Native American", "Multi-Racial": "Other", "Other": "Other",
    "Unknown": "Unknown", "-": "Unknown",
}


@needs_real(SPD)
def test_seattle_stops_reconcile_and_counts():
    run = loaded("seattle", "stops")
    assert_reconciles(run.result, SPD)
    r, t = raw(SPD, "Terry_Stops.csv"), run.table
    assert run.result.rows_used == len(r) and not run.result.unmapped
    assert set(t["stop_type"]) == {"pedestrian"}
    # Stops in 2016Q1 by perceived race.
    q = r["Reported_Date"].str[:7].isin(["2016-01", "2016-02", "2016-03"])
    expected = r.loc[q, "SubjectPerceivedRace"].map(SEATTLE_RACE).value_counts().to_dict()
    in_q = in_quarter(t["occurred_at"], "2016Q1")
    assert t.loc[in_q, "subject_race"].value_counts().to_dict() == expected
    assert in_q.sum() == 1991  # SOURCE.md's count for 2016Q1
    # Outcome from ArrestFlag; frisks from FriskFlag ("-" is not recorded).
    assert t["outcome"].value_counts().to_dict() == {"none": int((r["ArrestFlag"] == "N").sum()), "arrest": int((r["ArrestFlag"] == "Y").sum())}
    assert int(t["frisk_performed"].sum()) == int((r["FriskFlag"] == "Y").sum())
    assert int(t["frisk_performed"].isna().sum()) == int((r["FriskFlag"] == "-").sum())
    assert int(t["subject_age_group"].isna().sum()) == int((r["SubjectAgeGroup"] == "-").sum())
    # Times with seven fractional digits.
    stamps = pd.to_datetime(r["Reported_Date"] + " " + r["Reported_Time"].str[:8], format="%Y-%m-%d %H:%M:%S")
    assert set(zip(t["stop_id"], t["occurred_at"])) == set(zip(r["TERRY_STOP_ID"], stamps))


@needs_real(SPD)
def test_seattle_no_officer_id_survives():
    run = loaded("seattle", "stops")
    r = raw(SPD, "Terry_Stops.csv")
    assert_no_raw_ids(run.table, r["OfficerID"], run.key, "officer_id")
    # Subject ids share values with officer ids; they are pseudonymised too.
    assert not (set(run.table["subject_id"].dropna()) & set(r["SubjectID"]))


# --- NYPD: criminal court summonses -------------------------------------------------------------------

NYPD = "citations_nypd_summons"
NYPD_FILE = "NYPD_Criminal_Court_Summons_Incident_Level_Data__Year_To_Date_.csv"
NYPD_RACE = {
    "BLACK": "Black", "WHITE": "White", "WHITE HISPANIC": "Hispanic", "BLACK HISPANIC": "Hispanic",
    "ASIAN / PACIFIC ISLANDER": "Asian", "AMERICAN INDIAN/ALASKAN NATIVE": "Native American",
    "OTHER": "Other", "UNKNOWN": "Unknown", "": "Unknown",
}


@needs_real(NYPD)
def test_nypd_citations_reconcile_and_counts():
    run = loaded("nypd", "citations")
    assert_reconciles(run.result, NYPD)
    r, t = raw(NYPD, NYPD_FILE), run.table
    assert not run.result.unmapped
    assert in_quarter(t["issued_at"], "2020Q1").all()
    # The one repeated SUMMONS_KEY is set aside on both sides (whether the loader excludes the repeat
    # is tested below), so these figures hold either way.
    repeated = set(r.loc[r["SUMMONS_KEY"].duplicated(), "SUMMONS_KEY"])
    assert len(repeated) == 1
    r, t = r[~r["SUMMONS_KEY"].isin(repeated)], t[~t["citation_id"].isin(repeated)]
    # Rows by RACE (Hispanic of either race is Hispanic; blanks are Unknown).
    expected = r["RACE"].map(NYPD_RACE).value_counts().to_dict()
    assert t["subject_race"].value_counts().to_dict() == expected
    assert expected["Hispanic"] == ((r["RACE"] == "WHITE HISPANIC") | (r["RACE"] == "BLACK HISPANIC")).sum()
    assert int((t["district"] == "75").sum()) == int((r["PRECINCT_OF_OCCUR"] == "75").sum())
    assert int((t["subject_sex"] == "Female").sum()) == int((r["SEX"] == "F").sum())
    laws = r.loc[r["LAW_DESCRIPTION"] != "", "LAW_DESCRIPTION"].value_counts().to_dict()
    assert t["violation_category"].value_counts().to_dict() == laws
    assert t["subject_age_group"].value_counts().to_dict() == r["AGE_GROUP"].value_counts().to_dict()


@needs_real(NYPD)
def test_nypd_repeated_summons_key_is_excluded_as_configured():
    run = loaded("nypd", "citations")
    r = raw(NYPD, NYPD_FILE)
    repeats = int(r["SUMMONS_KEY"].duplicated().sum())
    assert dict(run.result.excluded) == {"duplicate_id": repeats}
    assert run.table["citation_id"].is_unique


# --- DECC: 911 calls for service ----------------------------------------------------------------------

DECC = "calls_911_decc"
WEEKS = "week[0-9][0-9].csv"


@needs_real(DECC)
def test_decc_calls_reconcile_and_counts():
    run = loaded("decc911", "calls_for_service")
    assert_reconciles(run.result, DECC)
    names = sorted(Path(f.path).name for f in run.result.files)
    assert names == sorted(p.name for p in (SHARED_REAL / DECC).glob(WEEKS))  # not the phone files
    assert raw(DECC, "week40.csv").shape[1] == 58  # the 58-column week with a header name twice
    r, t = raw_all(DECC, WEEKS), run.table
    blank_ids = int((r["Master_Incident_Number"] == "").sum())
    with_id = r[r["Master_Incident_Number"] != ""]
    kept = with_id[with_id["Agency"] == "POLICE"]  # the agency's scope: police calls only
    assert dict(run.result.excluded) == {"missing_call_id": blank_ids, "out_of_scope_agency_type": len(with_id) - len(kept)}
    assert set(with_id["Agency"]) >= {"POLICE", "FIRE", "EMS"} and len(kept) < len(with_id)
    assert t["call_id"].is_unique
    assert int((t["source"] == "911").sum()) == int((kept["Call_Reception"] == "E-911").sum())
    assert int((t["source"] == "officer_initiated").sum()) == int((kept["Call_Reception"] == "OFFICER").sum())
    assert t["agency_type"].value_counts().to_dict() == {"POLICE": len(kept)}


@needs_real(DECC)
def test_decc_latest_is_the_quarter_its_fourteen_weeks_cover_most(tmp_path, monkeypatch):
    """The extracts cover no quarter whole (from a Sunday in August to a Saturday in November): latest
    is the quarter most of their days are in, worked out here from the raw files."""
    from datetime import date

    from transparency.building.build import latest_period

    monkeypatch.setenv("TRANSPARENCY_CACHE_DIR", str(tmp_path / "cache"))
    r = raw_all(DECC, WEEKS)
    police = r[(r["Agency"] == "POLICE") & (r["Master_Incident_Number"] != "")]
    days = pd.to_datetime(police["Incident_Start_Time"], format="%Y-%m-%d %H:%M:%S.%f").dt.normalize()
    first, last = days.min().date(), days.max().date()
    assert first > date(2025, 7, 4) and last < date(2025, 12, 28)  # neither quarter is covered whole
    in_q3 = (date(2025, 9, 30) - first).days + 1
    in_q4 = (last - date(2025, 10, 1)).days + 1
    assert latest_period(keyed_agency(AGENCIES / "decc911")).code == ("2025Q4" if in_q4 >= in_q3 else "2025Q3")


@needs_real(DECC)
def test_decc_median_response_priority_1_police_one_week():
    run = loaded("decc911", "calls_for_service")
    week = raw(DECC, "week42.csv")
    # From the raw text: priority 1 police calls of week 42 with an arrival time, start -> arrival.
    sel = (week["Agency"] == "POLICE") & (week["Priority_Number"] == "1") & (week["Master_Incident_Number"] != "")
    sel &= ~week["Incident_Arrival_Time"].isin(MISSING)
    start = pd.to_datetime(week.loc[sel, "Incident_Start_Time"], format="%Y-%m-%d %H:%M:%S.%f")
    arrive = pd.to_datetime(week.loc[sel, "Incident_Arrival_Time"], format="%Y-%m-%d %H:%M:%S.%f")
    span = (arrive - start).dt.total_seconds()
    expected = span[span >= 0].median()
    # From the loader's table: the same calls by id, received_at -> arrived_at.
    t = run.table
    mine = t[t["call_id"].isin(set(week.loc[sel, "Master_Incident_Number"])) & (t["agency_type"] == "POLICE") & (t["priority"] == "1")]
    got_span = (mine["arrived_at"] - mine["received_at"]).dt.total_seconds()
    assert len(mine) == int(sel.sum())
    assert got_span[got_span >= 0].median() == pytest.approx(expected, abs=1e-6)
    assert 60 < expected < 3600  # a plausible response time, so the test is not vacuous


@needs_real(DECC)
def test_decc_no_call_taker_or_dispatcher_name_survives():
    run = loaded("decc911", "calls_for_service")
    r = raw_all(DECC, WEEKS)
    names = (set(r["Call_Taker"]) | set(r["Dispatcher"])) - MISSING
    people = {n for n in names if ", " in n}  # "LAST, FIRST M"
    assert len(people) > 100
    t = run.table
    assert not (set(t.columns) & names)
    cells = {str(v) for v in t.to_numpy(dtype=object).ravel()}
    assert not (cells & names)
    blob = "\n".join(cells)
    leaked = [n for n in people if n in blob]
    assert not leaked, leaked[:5]


# --- Chicago: community survey sentiment scores -------------------------------------------------------

CHI = "community_survey_chicago_sentiment"
CHI_FILE = "Police_Sentiment_Scores.csv"


@needs_real(CHI)
def test_chicago_safety_measures_reconcile_and_counts():
    run = loaded("chicago", "community_surveys")
    assert_reconciles(run.result, CHI)
    r, t = raw(CHI, CHI_FILE), run.table
    copies = r.duplicated()
    assert dict(run.result.excluded) == {"duplicate_row": int(copies.sum())} == {"duplicate_row": 70}
    kept = r[~copies]
    t = t[t["measure"] == "safety"]
    q = raw_in_quarter(kept["START_DATE"], "%m/%d/%Y", "2019Q1")
    assert in_quarter(t["surveyed_at"], "2019Q1").sum() == q.sum()
    june = kept["START_DATE"] == "06/01/2020"
    mine = t["surveyed_at"] == pd.Timestamp("2020-06-01")
    assert float(t.loc[mine, "value"].sum()) == pytest.approx(pd.to_numeric(kept.loc[june, "SAFETY"]).sum())
    assert t.loc[mine, "period_end"].eq(pd.Timestamp("2020-06-30")).all()
    geo = ["CITY", "AREA", "DISTRICT", "SECTOR", "START_DATE", "END_DATE"]
    assert t["survey_id"].nunique() == len(kept[geo].drop_duplicates())
    assert int((t["district"] == "11").sum()) == int((kept["DISTRICT"] == "11").sum())
    assert any("publishes no survey identifier" in note for note in run.result.notes)  # words, never the field name


@needs_real(CHI)
def test_chicago_scores_unpivoted_into_measures_with_geography_levels():
    run = loaded("chicago", "community_surveys")
    kept = raw(CHI, CHI_FILE)
    kept = kept[~kept.duplicated()]
    t = run.table
    expected = {
        measure: int((kept[column] != "").sum())
        for column, measure in {"SAFETY": "safety", "TRUST": "trust", "T_LISTEN": "trust_listen", "T_RESPECT": "trust_respect"}.items()
    }
    assert t["measure"].value_counts().to_dict() == expected
    assert 0 < expected["trust_listen"] < expected["safety"]  # published from June 2020 only
    # The level: the most detailed geography filled in, worked out here row by row.
    def level(row):
        for column, name in (("SECTOR", "sector"), ("DISTRICT", "district"), ("AREA", "area")):
            if row[column] != "":
                return name
        return "city"
    levels = kept.apply(level, axis=1)
    safety = t[t["measure"] == "safety"]
    assert safety["geography_level"].value_counts().to_dict() == levels.value_counts().to_dict()
    trust_sum = pd.to_numeric(kept.loc[kept["TRUST"] != "", "TRUST"]).sum()
    assert float(t.loc[t["measure"] == "trust", "value"].sum()) == pytest.approx(trust_sum)


@needs_real(CHI)
def test_chicago_latest_is_the_last_quarter_its_scores_cover_to_the_end(tmp_path, monkeypatch):
    """A score is dated by the start of the month (or week) it measures, and its END_DATE says how far
    it speaks for: the latest quarter is the last one those ends cover, not the one the last start
    date falls in (2021-07-01: July, one month of 2021Q3)."""
    from datetime import date, timedelta

    from transparency.building.build import latest_period

    monkeypatch.setenv("TRANSPARENCY_CACHE_DIR", str(tmp_path / "cache"))
    agency = keyed_agency(AGENCIES / "chicago")
    frame = raw(CHI, CHI_FILE)
    last_start = pd.to_datetime(frame["START_DATE"], format="%m/%d/%Y").max().date()
    last_end = pd.to_datetime(frame["END_DATE"], format="%m/%d/%Y").max().date()
    quarter_last_days = [date(y, m, d) for y in range(2015, 2030) for m, d in ((3, 31), (6, 30), (9, 30), (12, 31))]
    expected = max(day for day in quarter_last_days if day <= last_end + timedelta(days=3))
    period = latest_period(agency)
    assert period.end - timedelta(days=1) == expected
    assert (last_start, last_end, period.code) == (date(2021, 7, 1), date(2021, 7, 31), "2021Q2")
    from transparency.sections.section import Section

    for partial in ({}, {"columns": ["surveyed_at", "measure"]}):  # a notebook's "latest" is the same quarter
        section = Section("community_surveys", agency=str(agency.folder), output_dir=str(tmp_path / "out"), **partial)
        assert section.period == period


def test_synthetic_id_on_a_file_whose_rows_are_all_duplicates(make_agency):
    text = "WHEN,WHERE\n2022-01-05,Library\n"
    folder = make_agency(
        agency_config({"community_meetings": {"files": ["m_*.csv"], "columns": {"meeting_id": {"synthetic": True}, "held_at": "WHEN"}}}),
        {"m_1.csv": text, "m_2.csv": text},
    )
    agency = load_agency(folder)
    result = load_dataset(agency, "community_meetings")
    assert [dict(f.excluded) for f in result.files] == [{}, {"duplicate_row": 1}]
    assert len(result.table) == 1


# --- South Bend: use of force (optional) --------------------------------------------------------------

SBPD = "uof_south_bend"
SB_FILE = "Police_Use_of_Force_Incidents.csv"
SB_QUARTERS = {  # SOURCE.md
    "2017Q1": 12, "2017Q2": 10, "2017Q3": 19, "2017Q4": 16, "2018Q1": 13, "2018Q2": 25, "2018Q3": 22,
    "2018Q4": 12, "2019Q1": 12, "2019Q2": 23, "2019Q3": 13, "2019Q4": 9, "2020Q1": 13, "2020Q2": 4,
}


@needs_real(SBPD)
def test_south_bend_utc_midnights_stay_on_their_local_date():
    run = loaded("south_bend", "use_of_force")
    assert_reconciles(run.result, SBPD)
    r, t = raw(SBPD, SB_FILE), run.table
    assert run.result.files[0].encoding == "utf-8-sig"
    assert (t["occurred_at"].dt.hour == 0).all() and (t["occurred_at"].dt.minute == 0).all()
    # Per quarter, incidents by the loader's local date = SOURCE.md's counts = the UTC text converted here.
    local = pd.to_datetime(r["Date"] + "00", format="%Y/%m/%d %H:%M:%S%z", utc=True).dt.tz_convert("America/Indiana/Indianapolis")
    assert (local.dt.hour == 0).all()
    for quarter, count in SB_QUARTERS.items():
        year, q = int(quarter[:4]), int(quarter[-1])
        assert t.loc[in_quarter(t["occurred_at"], quarter), "incident_id"].nunique() == count, quarter
        assert int(((local.dt.year == year) & (local.dt.quarter == q)).sum()) == count
    # "Physical/Taser" is two applications; OC wordings are one force type.
    assert len(t) == r["Response"].str.split("/").map(len).sum()
    assert int((t["force_type"] == "OC spray").sum()) == int(r["Response"].isin(["OC", "OC Spray", "Pepper Spray"]).sum())
    assert int(t.drop_duplicates("incident_id")["subject_injured"].sum()) == int((r["Force_Caused_Injury"].str.strip() == "Yes").sum())


# --- USA TODAY: fatal pursuits (optional) -------------------------------------------------------------

USAT = "pursuits_fatal_usatoday"
USAT_FILE = "fatal_pursuits_2013-2014.csv"


@needs_real(USAT)
def test_usatoday_pursuits_dates_from_parts():
    run = loaded("usatoday_pursuits", "pursuits")
    assert_reconciles(run.result, USAT)
    r, t = raw(USAT, USAT_FILE), run.table
    assert run.result.rows_used == 702 and t["pursuit_id"].is_unique
    quarters = pd.PeriodIndex.from_fields(year=r["Year"].astype(int), quarter=(r["Mo"].astype(int) + 2) // 3, freq="Q")
    expected = pd.Series(quarters.astype(str)).value_counts().to_dict()
    got = t["started_at"].dt.to_period("Q").astype(str).value_counts().to_dict()
    assert got == expected and expected["2014Q2"] == 109
    assert t["fatalities"].sum() == pd.to_numeric(r["Deaths"]).sum()
    assert t["crash"].all()
    # Four-digit HHMM times are read as such; 9999 is unknown (midnight kept, counted).
    four = r[r["Time"].str.fullmatch(r"\d{4}") & (r["Time"] != "9999")]
    stamp = pd.to_datetime(four["Year"] + "-" + four["Mo"] + "-" + four["Date"] + " " + four["Time"], format="%Y-%m-%d %H%M")
    assert set(zip(four["Seq"], stamp)) <= set(zip(t["pursuit_id"], t["started_at"]))


@needs_real(USAT)
def test_usatoday_pursuits_short_hhmm_times():
    run = loaded("usatoday_pursuits", "pursuits")
    r, t = raw(USAT, USAT_FILE), run.table
    short = r[r["Time"].str.fullmatch(r"\d{1,3}")]
    assert len(short) > 200
    padded = short["Time"].str.zfill(4)
    stamp = pd.to_datetime(short["Year"] + "-" + short["Mo"] + "-" + short["Date"] + " " + padded, format="%Y-%m-%d %H%M")
    assert set(zip(short["Seq"], stamp)) <= set(zip(t["pursuit_id"], t["started_at"]))
