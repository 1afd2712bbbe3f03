"""Real agencies' files built through the accountability sections: Indianapolis shootings (and complaints) for
2020Q1, Louisville assaults on officers for 2019Q4, and USA TODAY's fatal pursuits for 2014Q2.

What this guards: each notebook runs on a real file and every figure it publishes equals a plain-pandas
computation on the raw CSV, done here by another route (text read as it is, exact copies dropped with
``DataFrame.duplicated``, dates sliced from the text, quarters from ``pandas.Period``). A published cell is
either that number or hidden (blank in the CSV, and then the true number is a small count or a complement).
The shootings list holds only month, district, outcome and armed; no raw identifier, street or narrative.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import SHARED_REAL, keyed_agency, needs_real

from transparency.building.build import build_period
from transparency.core.periods import parse_period
from transparency.writing.labels import category_label

AGENCIES = Path(__file__).resolve().parent / "agencies"
IMPD_OIS, IMPD_C, LMPD, USAT = "ois_indianapolis", "complaints_indianapolis", "assaults_on_officers_louisville", "pursuits_fatal_usatoday"
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]


def build(tmp_path_factory, agency_name: str, period: str, datasets: list[str]) -> dict:
    root = tmp_path_factory.mktemp(agency_name)
    agency = keyed_agency(AGENCIES / agency_name)
    outcomes = build_period(agency, parse_period(period)[0], root=root, datasets=datasets, workers=1, formats=("html",),
                            say=lambda _: None)
    out = root / "reports" / agency.slug / period
    return {"out": out, "outcomes": {o.dataset: o for o in outcomes}, "html": (out / "report.html").read_text(encoding="utf-8")}


def published(built: dict, name: str) -> pd.DataFrame:
    return pd.read_csv(built["out"] / "tables" / f"{name}.csv", dtype=str, keep_default_na=False)


def raw(folder: str, name: str) -> pd.DataFrame:
    return pd.read_csv(SHARED_REAL / folder / name, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def assert_published_as(shown: pd.Series, expected: pd.Series, min_count: int = 5) -> None:
    """Each published cell equals the expected count, or is hidden: blank, and then only for a small count or a
    complement (so a hidden cell never stands for a count that was simply wrong)."""
    assert list(shown.index) == list(expected.index)
    hidden_small = 0
    for label, cell in shown.items():
        value = int(expected[label])
        if cell == "":
            hidden_small += 1 <= value < min_count
        else:
            assert int(cell) == value, (label, cell, value)
    small = int(((expected >= 1) & (expected < min_count)).sum())
    assert hidden_small == small, "every small count is hidden"


# --- Indianapolis: shootings and complaints, 2020Q1 ------------------------------------------------------


@pytest.fixture(scope="module")
def indy(tmp_path_factory):
    return build(tmp_path_factory, "indianapolis", "2020Q1", ["officer_involved_shootings", "complaints"])


@pytest.fixture(scope="module")
def shootings():
    frame = raw(IMPD_OIS, "IMPD_Officer_Involved_Shootings_20201227.csv")
    frame["day"] = pd.to_datetime(frame["OCCURRED_DT"], format="%Y/%m/%d")
    frame["quarter"] = frame["day"].dt.to_period("Q")
    return frame


@needs_real(IMPD_OIS, IMPD_C)
def test_indianapolis_sections_build(indy):
    assert {name: o.status for name, o in indy["outcomes"].items()} == {"officer_involved_shootings": "ok", "complaints": "ok"}


@needs_real(IMPD_OIS, IMPD_C)
def test_indianapolis_three_year_totals(indy, shootings):
    table = published(indy, "officer_involved_shootings__three_year_totals").set_index("Three years ending")
    # The file starts in 2014Q1, so the first complete three years end in 2016Q4; eight points end with 2020Q1.
    ends = pd.period_range("2018Q2", "2020Q1", freq="Q")
    assert list(table.index) == [str(q) for q in ends]
    expected = pd.Series({str(q): shootings.loc[(shootings["quarter"] > q - 12) & (shootings["quarter"] <= q), "INCNUM"].nunique()
                          for q in ends})
    # Shootings are public events (datasets.yml public_events): their counts are published exactly, small or not.
    assert_published_as(table["Shootings"], expected, min_count=1)
    assert expected["2020Q1"] == 10 and table.loc["2020Q1", "Shootings"] == "10"
    deaths = published(indy, "officer_involved_shootings__three_year_deaths").set_index("Three years ending")
    fatal = shootings[shootings["CIT_COND_TYPE"] == "Death"]
    expected_deaths = pd.Series({str(q): fatal.loc[(fatal["quarter"] > q - 12) & (fatal["quarter"] <= q), "INCNUM"].nunique()
                                 for q in ends})
    assert_published_as(deaths["Shootings in which a person died"], expected_deaths, min_count=1)
    # The summary compares the three years with the three before (61 shootings, April 2014 to March 2017).
    before = shootings.loc[(shootings["quarter"] > pd.Period("2017Q1") - 12) & (shootings["quarter"] <= pd.Period("2017Q1")), "INCNUM"].nunique()
    assert before == 61
    assert ("There were 10 shootings by officers in the three years from April 2017 to March 2020, down 83.6% from 61 in the "
            "three years before, a change larger than normal variation.") in indy["html"]


@needs_real(IMPD_OIS, IMPD_C)
def test_indianapolis_shootings_per_year(indy, shootings):
    table = published(indy, "officer_involved_shootings__by_year").set_index("Year")
    expected = shootings.groupby(shootings["OCCURRED_DT"].str[:4])["INCNUM"].nunique()
    expected.index = [y if y != "2020" else "2020 (January to March)" for y in expected.index]
    expected = expected.reindex(table.index, fill_value=0)  # 2020 keeps only January to March (the data ends in May)
    expected["2020 (January to March)"] = shootings.loc[shootings["quarter"] == pd.Period("2020Q1"), "INCNUM"].nunique()
    assert_published_as(table["Shootings"], expected, min_count=1)  # public events: exact


@needs_real(IMPD_OIS, IMPD_C)
def test_indianapolis_people_shot_at_over_three_years(indy, shootings):
    window = shootings[(shootings["day"] >= "2017-04-01") & (shootings["day"] < "2020-04-01")].copy()
    order = {"Death": 0, "Gunshot Wound": 1, "No injuries noted or visible": 2, "": 3}
    window["rank"] = window["CIT_COND_TYPE"].map(order)
    people = window.groupby(["INCNUM", "CITNUM"])["rank"].min()
    words = {0: "Died", 1: "Injured", 2: "Not injured", 3: "Not recorded"}
    expected = people.map(words).value_counts().reindex(["Died", "Injured", "Not injured", "Not recorded"], fill_value=0)
    table = published(indy, "officer_involved_shootings__outcomes").set_index("What happened to the person")
    assert_published_as(table["People"], expected)
    assert expected.sum() == 12


@needs_real(IMPD_OIS, IMPD_C)
def test_indianapolis_incident_list_has_only_publishable_fields(indy, shootings):
    listed = published(indy, "officer_involved_shootings__incident_list")
    assert list(listed.columns) == ["Month", "District", "Most serious outcome", "Person armed"]
    in_q = shootings[shootings["quarter"] == pd.Period("2020Q1")].sort_values("day")
    first = in_q.drop_duplicates("INCNUM")
    assert listed["Month"].tolist() == [f"{MONTHS[d.month - 1]} {d.year}" for d in first["day"]]
    assert listed["District"].tolist() == [d.title() for d in first["UDTEXT24B"]]
    # Nothing that could name or place a person: no raw identifier, street, city or condition wording.
    raw_values = set(shootings[["INCNUM", "CITNUM", "OFFNUM", "STREET", "STREET_N", "CITY", "CIT_COND_TYPE", "CIT_WEAPON"]].stack())
    assert not (set(listed.stack()) & raw_values)


@needs_real(IMPD_OIS, IMPD_C)
def test_indianapolis_officers_named_in_complaints(indy):
    frame = raw(IMPD_C, "IMPD_complaints_Dec_2020.csv")
    frame = frame[~frame.drop(columns="OBJECTID").duplicated()]
    day = pd.to_datetime(frame["OCCURRED_DT"], format="%Y/%m/%d")
    window = frame[(day >= "2019-04-01") & (day < "2020-04-01") & (frame["OFFNUM"] != "")]
    bands = window.groupby("OFFNUM")["INCNUM"].nunique().clip(upper=4)
    expected = bands.value_counts().reindex([1, 2, 3, 4], fill_value=0)
    expected.index = ["1 complaint", "2 complaints", "3 complaints", "4 or more complaints"]
    table = published(indy, "complaints__officer_complaints").set_index("Complaints in 12 months")
    assert_published_as(table["Officers"], expected)
    # The file has no closing dates: no target sentence, and the missing data is said once.
    assert "has not set a target" not in indy["html"]


# --- Louisville: assaults on officers, 2019Q4 ------------------------------------------------------------


@pytest.fixture(scope="module")
def louisville(tmp_path_factory):
    return build(tmp_path_factory, "louisville", "2019Q4", ["assaults_on_officers"])


@pytest.fixture(scope="module")
def assaults():
    frame = raw(LMPD, "AssaultedOfficerData.csv")
    frame = frame[~frame.drop(columns="ID").duplicated()].copy()  # copies apart from the row number, counted once
    frame["quarter"] = pd.to_datetime(frame["DATE_OCCURED"], format="%m/%d/%Y %H:%M").dt.to_period("Q")
    return frame


@needs_real(LMPD)
def test_louisville_trend_counts_each_record_once(louisville, assaults):
    assert louisville["outcomes"]["assaults_on_officers"].status == "ok"
    table = published(louisville, "assaults_on_officers__trend").set_index("Quarter")
    quarters = pd.period_range("2018Q1", "2019Q4", freq="Q")
    assert list(table.index) == [str(q) for q in quarters]
    in_range = assaults[assaults["quarter"].isin(quarters)]
    assert table["Officers assaulted"].astype(int).tolist() == in_range.groupby("quarter").size().reindex(quarters).tolist()
    assert table["Incidents"].astype(int).tolist() == in_range.groupby("quarter")["INCIDENT_NUMBER"].nunique().reindex(quarters).tolist()
    assert "Officers injured" not in table  # Louisville does not publish injuries


@needs_real(LMPD)
def test_louisville_districts_and_calls(louisville, assaults):
    in_q = assaults[assaults["quarter"] == pd.Period("2019Q4")]
    districts = published(louisville, "assaults_on_officers__districts").set_index("District")
    expected = in_q["LMPD_DIVISION"].value_counts()
    expected.index = [category_label(d, name=True) for d in expected.index]  # "4TH DIVISION" is shown as "4th Division"
    expected = expected.groupby(level=0).sum()
    assert_published_as(districts["Officers assaulted"], expected.reindex(districts.index))
    assert set(districts.index) == set(expected.index)
    calls = published(louisville, "assaults_on_officers__call_types").set_index("Type of call or activity")
    counts = in_q["TYPE_OF_ACTIVITY"].value_counts()
    top = counts.iloc[:8]
    assert int(calls.loc["Responding to disturbance calls", "Officers assaulted"]) == counts["RESPONDING TO DISTURBANCE CALLS"]
    assert len(calls) == len(top) + (len(counts) > 8)


@needs_real(LMPD)
def test_louisville_duplicates_are_said_and_counted(louisville, assaults):
    copies = int(raw(LMPD, "AssaultedOfficerData.csv").drop(columns="ID").duplicated().sum())
    assert copies == 3953
    html = louisville["html"]
    # Said in the data-quality appendix only, never in the section's summary (issue 16).
    assert "records exactly" not in html
    assert f"exact duplicate of another record: {copies:,}" in html
    metrics = json.loads((louisville["out"] / "metrics.json").read_text())["datasets"]["assaults_on_officers"]
    assert metrics["rows_excluded"] == {"duplicate_row": copies}
    in_q = assaults[assaults["quarter"] == pd.Period("2019Q4")]
    assert metrics["metrics"]["officers_assaulted"] == len(in_q) and metrics["metrics"]["incidents"] == in_q["INCIDENT_NUMBER"].nunique()


# --- USA TODAY: fatal pursuits, 2014Q2 ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def usatoday(tmp_path_factory):
    return build(tmp_path_factory, "usatoday_pursuits", "2014Q2", ["pursuits"])


@pytest.fixture(scope="module")
def chases():
    frame = raw(USAT, "fatal_pursuits_2013-2014.csv")
    frame["quarter"] = pd.PeriodIndex.from_fields(year=frame["Year"].astype(int), quarter=(frame["Mo"].astype(int) + 2) // 3, freq="Q")
    return frame


@needs_real(USAT)
def test_usatoday_trend_and_harm(usatoday, chases):
    assert usatoday["outcomes"]["pursuits"].status == "ok"
    trend = published(usatoday, "pursuits__trend").set_index("Quarter")
    quarters = pd.period_range("2013Q1", "2014Q2", freq="Q")
    assert trend["Pursuits"].astype(int).tolist() == chases.groupby("quarter").size().reindex(quarters).tolist()
    assert trend.loc["2014Q2", "Pursuits"] == "109"
    harm = published(usatoday, "pursuits__harm").set_index("Measure")
    year = chases[(chases["quarter"] >= pd.Period("2013Q3")) & (chases["quarter"] <= pd.Period("2014Q2"))]
    deaths = pd.to_numeric(year["Deaths"])
    (column,) = harm.columns  # the twelve months before July 2013 are not in the file
    assert column == "Last 12 months (July 2013 to June 2014)"
    assert int(harm.loc["People killed", column]) == deaths.sum()
    assert int(harm.loc["Pursuits in which someone was killed", column]) == (deaths > 0).sum()


@needs_real(USAT)
def test_usatoday_reasons_and_fatal_only_wording(usatoday, chases):
    reasons = published(usatoday, "pursuits__reasons").set_index("Reason for the pursuit")
    year = chases[(chases["quarter"] >= pd.Period("2013Q3")) & (chases["quarter"] <= pd.Period("2014Q2"))]
    offence = year["Suspected offense"].str.strip()
    counts = offence[offence != ""].value_counts()
    assert int(reasons.loc["Speeding", "Pursuits"]) == counts["speeding"]
    assert int(reasons.loc["Not recorded", "Pursuits"]) == (offence == "").sum()
    assert int(reasons["Pursuits"].astype(int).sum()) == len(year)
    html = usatoday["html"]
    assert "Every pursuit in this data ended in a crash, so the share that crashed is not shown." in html
    # The chart's title (its finding) leads its alt text: "All other" is never called the most common.
    assert f"Speeding was the most common reason for a pursuit. Bar chart of pursuits in the last 12 months by reason: Speeding {counts['speeding']};" in html
    assert not (usatoday["out"] / "tables" / "pursuits__crash_share.csv").exists()
