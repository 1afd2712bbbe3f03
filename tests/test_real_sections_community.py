"""Chicago's published Police Sentiment Scores built through the community-surveys section for 2020Q3.

What this guards: the section's "published scores" shape on real data. Every published figure is checked
against a plain-pandas computation on the raw CSV (read as text, exact duplicates dropped, levels worked
out from which geography columns are filled, dates parsed here): the city score of each measure per
quarter is the mean of its monthly scores (weekly scores only where a quarter has no monthly one), the
district table holds district-level rows only, and the
rendered section shows no raw measure codes.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest
from conftest import SHARED_REAL, keyed_agency, needs_real

from transparency.building.build import build_period
from transparency.core.periods import parse_period

CHI = "community_survey_chicago_sentiment"
AGENCY = Path(__file__).resolve().parent / "agencies" / "chicago"
PERIOD = "2020Q3"
COLUMNS = {"SAFETY": "Feeling safe", "TRUST": "Trust in the police", "T_LISTEN": "Police listen",
           "T_RESPECT": "Police show respect"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("chicago")
    agency = keyed_agency(AGENCY)
    outcomes = build_period(agency, parse_period(PERIOD)[0], root=root, datasets=["community_surveys"], workers=1,
                            formats=("html",), say=lambda _: None)
    return {"out": root / "reports" / agency.slug / PERIOD, "outcomes": outcomes}


@pytest.fixture(scope="module")
def raw():
    frame = pd.read_csv(SHARED_REAL / CHI / "Police_Sentiment_Scores.csv", dtype=str, keep_default_na=False)
    frame = frame[~frame.duplicated()].copy()
    frame["start"] = pd.to_datetime(frame["START_DATE"], format="%m/%d/%Y")
    frame["days"] = (pd.to_datetime(frame["END_DATE"], format="%m/%d/%Y") - frame["start"]).dt.days + 1
    frame["quarter"] = frame["start"].dt.year.astype(str) + "Q" + frame["start"].dt.quarter.astype(str)
    frame["level"] = "city"
    frame.loc[frame["AREA"] != "", "level"] = "area"
    frame.loc[frame["DISTRICT"] != "", "level"] = "district"
    frame.loc[frame["SECTOR"] != "", "level"] = "sector"
    return frame


def quarter_mean(rows: pd.DataFrame, column: str) -> float | None:
    """A quarter's score by the rule: monthly scores if the quarter has any, else the weekly ones."""
    rows = rows[rows[column] != ""]
    if rows.empty:
        return None
    monthly = rows[rows["days"] >= 27]
    use = monthly if len(monthly) else rows
    # The reports' one rounding: halves away from zero, on the number as written (57.15 -> 57.2, where round gives 57.1).
    mean = str(float(pd.to_numeric(use[column]).mean()))
    return float(Decimal(mean).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def table(built, name: str) -> pd.DataFrame:
    return pd.read_csv(built["out"] / "tables" / f"community_surveys__{name}.csv")


@needs_real(CHI)
def test_section_builds_and_counts_every_published_score(built, raw):
    (outcome,) = built["outcomes"]
    assert outcome.status == "ok", outcome.message
    metrics = json.loads((built["out"] / "metrics.json").read_text())["datasets"]["community_surveys"]
    in_q = raw[raw["quarter"] == PERIOD]
    expected = int(sum((in_q[c] != "").sum() for c in COLUMNS))
    assert metrics["metrics"]["measures"] == expected == 1164
    assert metrics["rows_in_period"] == expected


@needs_real(CHI)
def test_city_scores_this_quarter_and_comparisons(built, raw):
    results = table(built, "results").set_index("Measure")
    city = raw[raw["level"] == "city"]
    for column, words in COLUMNS.items():
        now = quarter_mean(city[city["quarter"] == PERIOD], column)
        before = quarter_mean(city[city["quarter"] == "2020Q2"], column)
        year = quarter_mean(city[city["quarter"] == "2019Q3"], column)
        assert results.loc[words, f"Score, {PERIOD}"] == pytest.approx(now)
        assert results.loc[words, "Previous quarter (2020Q2)"] == pytest.approx(before)
        if year is None:  # listen and respect are published from June 2020 only
            assert pd.isna(results.loc[words, "Same quarter last year (2019Q3)"])
        else:
            assert results.loc[words, "Same quarter last year (2019Q3)"] == pytest.approx(year)
    # By hand from the portal's July, August and September 2020 city rows: (53.53 + 51.91 + 53.79) / 3.
    assert results.loc["Feeling safe", f"Score, {PERIOD}"] == 53.1


@needs_real(CHI)
def test_trend_uses_monthly_scores_where_weekly_ones_overlap(built, raw):
    trend = table(built, "trend").set_index("Quarter")
    city = raw[raw["level"] == "city"]
    assert list(trend.index) == ["2018Q4", "2019Q1", "2019Q2", "2019Q3", "2019Q4", "2020Q1", "2020Q2", "2020Q3"]
    for quarter in trend.index:
        rows = city[city["quarter"] == quarter]
        for column, words in COLUMNS.items():
            expected = quarter_mean(rows, column)
            got = trend.loc[quarter, words]
            assert (pd.isna(got) and expected is None) or got == pytest.approx(expected), (quarter, words)
    # 2018Q4 has weekly and monthly city scores; the monthly mean differs from the mean of everything.
    q4 = city[city["quarter"] == "2018Q4"]
    assert trend.loc["2018Q4", "Feeling safe"] != round(pd.to_numeric(q4["SAFETY"]).mean(), 1)


@needs_real(CHI)
def test_districts_compared_use_district_rows_only(built, raw):
    districts = table(built, "districts").set_index("District")
    rows = raw[(raw["level"] == "district") & (raw["quarter"] == PERIOD)]
    assert sorted(districts.index) == sorted(f"District {d}" for d in rows["DISTRICT"].unique())
    assert len(districts) == 22
    for district, part in rows.groupby("DISTRICT"):
        for column, words in COLUMNS.items():
            assert districts.loc[f"District {district}", words] == pytest.approx(quarter_mean(part, column))
    # Sector rows carry their district's number too: they must not add rows (the hand-made fixture in
    # test_section_community_surveys.py shows they do not change the scores either; in Chicago's data the
    # sectors average to their district, so a mix would not show here).
    assert districts.index.is_unique


@needs_real(CHI)
def test_rendered_section_reads_as_words(built):
    page = (built["out"] / "community_surveys.html").read_text(encoding="utf-8")
    for code in ("trust_listen", "trust_respect", "geography_level", "respondent_group", "NaN", ">None<", "nan%"):
        assert code not in page
    assert "cannot say whether changes are larger than normal variation" in page
    assert page.count("<img") >= 3  # the trend and two district charts
