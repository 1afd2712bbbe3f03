"""Real published data built through the stops, citations and calls-for-service notebooks.

What this guards: Seattle's Terry stops, NYPD's criminal-court summonses and a 911 centre's CAD extracts
(``../shared/real/``) build through the real notebooks, and the published tables equal a plain-pandas
computation on the raw files made here by a different route (raw text, explicit date formats, our own
recodes). The 911 extracts name call takers and dispatchers: no name appears in any file the build
writes. Each test is skipped when its folder is not beside the checkout.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import REPO, SHARED_REAL, keyed_agency, needs_real

from transparency.building.build import build_period
from transparency.core.periods import parse_period
from transparency.writing.labels import category_label

SEATTLE, NYPD, DECC = "ped_stops_seattle_terry", "citations_nypd_summons", "calls_911_decc"
_BUILDS: dict[tuple[str, str], Path] = {}


def built(agency_name: str, dataset: str, period: str, tmp_path_factory) -> Path:
    """Build one dataset's section once per session; return the report folder."""
    key = (agency_name, period)
    if key not in _BUILDS:
        agency = keyed_agency(REPO / "tests" / "agencies" / agency_name)
        root = tmp_path_factory.mktemp(agency_name)
        outcomes = build_period(agency, parse_period(period)[0], root=root, datasets=[dataset], workers=1,
                                formats=("html",), say=lambda _: None)
        assert [(o.dataset, o.status) for o in outcomes] == [(dataset, "ok")], outcomes[0].message
        _BUILDS[key] = root / "reports" / agency.slug / period
    return _BUILDS[key]


def table(out: Path, name: str) -> pd.DataFrame:
    frame = pd.read_csv(out / "tables" / f"{name}.csv")
    return frame.set_index(frame.columns[0])


def raw(folder: str, pattern: str) -> pd.DataFrame:
    paths = sorted((SHARED_REAL / folder).glob(pattern))
    return pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig") for p in paths], ignore_index=True)


def published(values: pd.Series) -> pd.Series:
    """The cells a table published (suppressed cells are empty)."""
    return values.dropna()


# --- Seattle: Terry stops ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seattle(tmp_path_factory):
    out = built("seattle", "stops", "2016Q3", tmp_path_factory)
    rows = raw(SEATTLE, "Terry_Stops.csv")
    dates = pd.to_datetime(rows["Reported_Date"], format="%Y-%m-%d")
    rows = rows[(dates >= "2016-07-01") & (dates < "2016-10-01")].copy()
    recode = {"American Indian / Alaskan Native": "Native American", "Multi-Racial": "Other", "-": "Unknown"}
    rows["race"] = rows["SubjectPerceivedRace"].replace(recode)
    return out, rows


@needs_real(SEATTLE)
def test_seattle_stops_by_race_equal_the_raw_file(seattle):
    out, rows = seattle
    expected = rows["race"].value_counts()
    got = published(table(out, "stops__race")["Stops"])
    assert len(got) >= 6
    for race, n in got.items():
        assert n == expected.get(race, 0), race
    assert table(out, "stops__trend").loc["2016Q3", "Stops"] == len(rows)


@needs_real(SEATTLE)
def test_seattle_frisk_rates_leave_unknown_flags_out(seattle):
    out, rows = seattle
    known = rows[rows["FriskFlag"].isin(["Y", "N"])]
    base = known["race"].value_counts()
    frisks = known[known["FriskFlag"] == "Y"]["race"].value_counts()
    got = table(out, "stops__frisk_rates")
    for race in published(got["Frisks"]).index:
        assert got.loc[race, "Stops"] == base[race] and got.loc[race, "Frisks"] == frisks.get(race, 0)
        if not pd.isna(got.loc[race, "Frisk rate (%)"]):
            assert got.loc[race, "Frisk rate (%)"] == round(100 * frisks.get(race, 0) / base[race], 1)
    assert got.loc["Black", "Frisk rate (%)"] > 0


@needs_real(SEATTLE)
def test_seattle_outcomes_and_the_tests_it_cannot_run(seattle):
    out, rows = seattle
    got = table(out, "stops__outcomes")
    arrests = rows[rows["ArrestFlag"] == "Y"]["race"].value_counts()
    for race, n in published(got["Arrest"]).items():
        assert n == arrests.get(race, 0), race
    assert "No arrest" in got.columns  # the file records only whether there was an arrest
    tables = {p.name for p in (out / "tables").glob("*.csv")}
    assert "stops__hit_rates.csv" not in tables and "stops__search_rates.csv" not in tables
    page = (out / "stops.html").read_text(encoding="utf-8")
    assert "hold no traffic stops, so the veil-of-darkness test" in page
    assert "The department has not given population figures" in page


# --- NYPD: criminal-court summonses -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nypd(tmp_path_factory):
    out = built("nypd", "citations", "2020Q1", tmp_path_factory)
    rows = raw(NYPD, "*.csv").drop_duplicates("SUMMONS_KEY")  # the config keeps the first of a repeated key
    return out, rows


@needs_real(NYPD)
def test_nypd_citations_by_kind_of_violation(nypd):
    out, rows = nypd
    kinds = rows["LAW_DESCRIPTION"].map(category_label).replace("", "Not recorded")  # shown as people write them
    expected = rows.groupby(kinds)["SUMMONS_KEY"].nunique()
    got = table(out, "citations__categories")["Citations"]
    named = got.drop("All other")
    assert len(named) == 8
    for kind, n in named.items():
        assert n == expected[kind], kind
    assert got["All other"] == expected.drop(named.index).sum()
    assert table(out, "citations__trend").loc["2020Q1", "Citations"] == rows["SUMMONS_KEY"].nunique()


@needs_real(NYPD)
def test_nypd_citations_by_race_and_precinct(nypd):
    out, rows = nypd
    recode = {"BLACK": "Black", "WHITE": "White", "WHITE HISPANIC": "Hispanic", "BLACK HISPANIC": "Hispanic",
              "ASIAN / PACIFIC ISLANDER": "Asian", "AMERICAN INDIAN/ALASKAN NATIVE": "Native American", "OTHER": "Other",
              "UNKNOWN": "Unknown", "": "Unknown"}
    expected = rows["RACE"].map(recode).value_counts()
    got = published(table(out, "citations__race")["Citations"])
    assert got.to_dict() == {race: expected[race] for race in got.index}
    precincts = rows["PRECINCT_OF_OCCUR"].value_counts()
    districts = table(out, "citations__districts")["Citations"]
    assert districts.drop("All other").to_dict() == {str(k): v for k, v in precincts.head(12).items()}


# --- A 911 centre's CAD extracts -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def decc(tmp_path_factory):
    out = built("decc911", "calls_for_service", "2025Q4", tmp_path_factory)
    frames = []
    for path in sorted((SHARED_REAL / DECC).glob("week[0-9][0-9].csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        frames.append(frame.drop_duplicates())  # identical rows count once (none repeat across weeks)
    rows = pd.concat(frames, ignore_index=True)
    rows = rows[rows["Master_Incident_Number"].str.strip() != ""].drop_duplicates("Master_Incident_Number")
    rows = rows[rows["Agency"] == "POLICE"]  # the agency's scope: fire and EMS incidents are not police calls

    def when(column: str) -> pd.Series:
        return pd.to_datetime(rows[column].where(rows[column] != "NULL"), format="%Y-%m-%d %H:%M:%S.%f")

    rows = rows.assign(received=when("Incident_Start_Time"), dispatched=when("Incident_Dispatch_Time"),
                       arrived=when("Incident_Arrival_Time"))
    rows = rows[(rows["received"] >= "2025-10-01") & (rows["received"] < "2026-01-01")]
    return out, rows


@needs_real(DECC)
def test_decc_response_times_by_priority(decc):
    out, rows = decc
    timed = rows[rows["Call_Reception"] != "OFFICER"]
    minutes = (timed["arrived"] - timed["received"]).dt.total_seconds() / 60
    minutes = minutes[minutes >= 0]
    groups = timed.loc[minutes.index, "Priority_Number"]
    got = table(out, "calls_for_service__response_times")
    checked = 0
    for label, row in got.iterrows():
        if pd.isna(row["Calls measured"]):
            continue
        values = minutes[groups == label.removeprefix("Priority ")]
        assert row["Calls measured"] == len(values), label
        assert row["Median (minutes)"] == round(float(values.median()), 1), label
        assert row["90th percentile (minutes)"] == round(float(np.quantile(values, 0.9)), 1), label
        checked += 1
    assert checked >= 5
    assert table(out, "calls_for_service__trend").loc["2025Q4", "Calls"] == len(rows)


@needs_real(DECC)
def test_decc_calls_left_out_by_reason(decc):
    out, rows = decc
    timed = rows[rows["Call_Reception"] != "OFFICER"]
    got = table(out, "calls_for_service__left_out")
    expected = {
        ("Time of arrival not recorded", "Call received to arrival"): int(timed["arrived"].isna().sum()),
        ("Arrival recorded before the call was received", "Call received to arrival"):
            int((timed["arrived"] < timed["received"]).sum()),
        ("Dispatch recorded before the call was received", "Call received to dispatch"):
            int((timed["dispatched"] < timed["received"]).sum()),
    }
    for (reason, column), n in expected.items():
        shown = got.loc[reason, column]
        assert pd.isna(shown) or shown == n, (reason, column)
    page = (out / "calls_for_service.html").read_text(encoding="utf-8")
    started = int((rows["Call_Reception"] == "OFFICER").sum())
    assert f"Calls started by an officer ({started:,} this period)" in page


@needs_real(DECC)
def test_no_call_taker_or_dispatcher_name_in_any_output(decc):
    out, _ = decc
    rows = raw(DECC, "week[0-9][0-9].csv")
    names = set(rows["Call_Taker"]) | set(rows["Dispatcher"])
    people = {n.strip() for n in names if "," in n}  # "SURNAME, GIVEN M"; the rest are system labels
    assert len(people) > 100
    patterns = set()
    for name in people:
        surname, given = (part.strip() for part in name.split(",", 1))
        patterns |= {name.lower(), f"{given} {surname}".lower(), f"{given.split()[0]} {surname}".lower() if given else surname.lower()}
    source = (SHARED_REAL / DECC / "week44.csv").read_text(encoding="utf-8").lower()
    assert sum(p in source for p in patterns) > 20  # the scan does find names where they are
    files = [p for p in out.rglob("*") if p.is_file()]
    assert any(p.suffix == ".ipynb" for p in files) and any(p.suffix == ".csv" for p in files)
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="ignore").lower()
        found = [p for p in patterns if p in text]
        assert not found, f"{path.name}: {found[:3]}"
        assert "call_taker" not in text and not re.search(r"\bdispatcher\b[\"']?\s*:", text), path.name


@needs_real(DECC)
def test_decc_report_says_fire_and_ems_incidents_are_left_out(decc):
    """The agency's scope (police calls only) is said in the methodology, and the incidents it leaves out
    are counted in the data-quality appendix, from the raw files."""
    import json
    import re

    out, _ = decc
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")
              for p in sorted((SHARED_REAL / DECC).glob("week[0-9][0-9].csv"))]
    every = pd.concat(frames, ignore_index=True)
    left_out = int(((every["Master_Incident_Number"] != "") & (every["Agency"] != "POLICE")).sum())
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    counted = sum(f["rows_excluded"].get("out_of_scope_agency_type", 0) for f in manifest["datasets"]["calls_for_service"]["inputs"])
    assert counted == left_out > 1000
    html = (out / "report.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "Only records whose service (police, fire or medical) is POLICE are counted" in text
    assert "service (police, fire or medical) outside this report's scope:" in text
