"""The disparity statistics against answers known in advance.

What this guards: rates and their intervals equal formulas written out here (Wilson, Garwood); the
two-proportion test agrees with scipy's chi-square test and Newcombe's interval written out by hand; the
outcome test finds no gap where none was built in and finds a planted one; the veil-of-darkness test
keeps exactly the stops the recipe says (computed here straight from astral), recovers a planted
darkness effect and finds none where there is none; sunset and dusk match published almanac times.
"""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from astral import Observer
from astral.sun import dusk, sunset
from scipy.stats import chi2, chi2_contingency

from transparency.figures import disparity
from transparency.figures.suntimes import sun_minutes, with_sun

Z = 1.959964


def wilson(k: int, n: int) -> tuple[float, float]:
    """The Wilson score interval, written out from its formula."""
    p = k / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z / (1 + Z**2 / n) * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2))
    return centre - half, centre + half


def stops_table(groups: dict[str, tuple[int, int, int]]) -> pd.DataFrame:
    """One row per stop: race -> (stops, searches, searches that found contraband)."""
    rows = []
    for race, (stops, searches, hits) in groups.items():
        for i in range(stops):
            searched = i < searches
            rows.append({"subject_race": race, "search_conducted": searched, "contraband_found": searched and i < hits})
    table = pd.DataFrame(rows)
    table["search_conducted"] = table["search_conducted"].astype("boolean")
    table["contraband_found"] = table["contraband_found"].astype("boolean")
    return table


# --- Sun times -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "lat", "lon", "zone", "sunset_hm", "dusk_hm"),
    [
        # Almanac times (US Naval Observatory / NOAA), to the minute.
        (dt.date(2026, 6, 21), 41.88, -87.63, "America/Chicago", (20, 29), (21, 3)),
        (dt.date(2016, 12, 21), 47.61, -122.33, "America/Los_Angeles", (16, 20), (16, 57)),
    ],
)
def test_sunset_and_dusk_match_the_almanac(day, lat, lon, zone, sunset_hm, dusk_hm):
    times = sun_minutes([day], lat, lon, zone).iloc[0]
    assert abs(times["sunset"] - (60 * sunset_hm[0] + sunset_hm[1])) <= 2
    assert abs(times["dusk"] - (60 * dusk_hm[0] + dusk_hm[1])) <= 2


def test_sun_times_follow_daylight_saving_and_polar_days():
    times = sun_minutes([dt.date(2026, 3, 7), dt.date(2026, 3, 9)], 41.88, -87.63, "America/Chicago")
    # Clocks go forward on 8 March: sunset moves about an hour later on the clock.
    assert 55 <= times["sunset"].iloc[1] - times["sunset"].iloc[0] <= 65
    polar = sun_minutes([dt.date(2026, 6, 21)], 78.2, 15.6, "Arctic/Longyearbyen")
    assert polar.isna().all().all()


def test_with_sun_maps_each_time_to_its_day():
    times = pd.Series(pd.to_datetime(["2026-06-21 18:30:45", "2026-12-21 17:05:00", None]))
    frame = with_sun(times, 41.88, -87.63, "America/Chicago")
    assert frame["minute"].tolist()[:2] == [18 * 60 + 30, 17 * 60 + 5]
    assert frame["sunset"].iloc[0] > frame["sunset"].iloc[1]
    assert pd.isna(frame["dusk"].iloc[2])


# --- Rates with intervals ---------------------------------------------------------------------------------


def test_group_rates_equal_the_formulas():
    table = stops_table({"White": (400, 40, 12), "Black": (300, 60, 9), "Asian": (20, 2, 1)})
    rates = disparity.group_rates(table, "search_conducted", count_label="Searches", rate_label="Search rate (%)")
    assert list(rates.index) == ["White", "Black", "Asian"]  # the schema's order
    assert rates.loc["White", "Stops"] == 400 and rates.loc["Black", "Searches"] == 60
    assert rates.loc["White", "Search rate (%)"] == 10.0 and rates.loc["Black", "Search rate (%)"] == 20.0
    low, high = wilson(60, 300)
    assert rates.loc["Black", disparity.LOW] == pytest.approx(100 * low)
    assert rates.loc["Black", disparity.HIGH] == pytest.approx(100 * high)
    assert rates.loc["Black", "Times the White rate"] == 2.0
    # 20 stops is below the smallest group a rate is shown for.
    assert pd.isna(rates.loc["Asian", "Search rate (%)"]) and pd.isna(rates.loc["Asian", "Times the White rate"])


def test_group_rates_leave_unknown_flags_out_of_the_base():
    table = stops_table({"White": (50, 10, 0)})
    table.loc[:4, "search_conducted"] = pd.NA  # five stops whose search was not recorded (all searched ones)
    rates = disparity.group_rates(table, "search_conducted", count_label="Searches")
    assert rates.loc["White", "Stops"] == 45 and rates.loc["White", "Searches"] == 5


def test_hit_rates_use_searches_as_the_base():
    table = stops_table({"White": (400, 40, 12)})
    searched = table["search_conducted"].astype(bool)
    rates = disparity.group_rates(table, "contraband_found", among=searched, base_label="Searches", count_label="Hits")
    assert rates.loc["White", "Searches"] == 40 and rates.loc["White", "Hits"] == 12
    assert rates.loc["White", "Rate (%)"] == 30.0


def test_min_base_never_falls_below_the_agency_threshold():
    assert disparity.min_base(5) == disparity.MIN_BASE
    assert disparity.min_base(50) == 50


def test_population_rates_with_exact_poisson_intervals():
    rows = pd.DataFrame({"subject_race": ["White"] * 120 + ["Black"] * 90 + ["Unknown"] * 10})
    population = {"White": 60000, "Black": 20000, "Asian": 5000}
    table = disparity.population_rates(rows, population, count_label="Stops")
    assert list(table.index) == ["White", "Black", "Asian", "Unknown"]
    assert table.loc["White", "Per 1,000 residents"] == 2.0 and table.loc["Black", "Per 1,000 residents"] == 4.5
    assert table.loc["Black", "Times the White rate"] == 2.25
    assert table.loc["Asian", "Stops"] == 0 and table.loc["Asian", "Per 1,000 residents"] == 0.0
    assert table.loc["Black", "Share of stops (%)"] == pytest.approx(100 * 90 / 220)
    assert table.loc["White", "Share of residents (%)"] == pytest.approx(100 * 60000 / 85000)
    # Garwood's exact interval from the chi-square distribution, per 1,000 residents.
    low = chi2.ppf(0.025, 2 * 90) / 2 / 20
    high = chi2.ppf(0.975, 2 * 90 + 2) / 2 / 20
    assert table.loc["Black", "Interval low"] == pytest.approx(low) and table.loc["Black", "Interval high"] == pytest.approx(high)
    assert pd.isna(table.loc["Unknown", "Per 1,000 residents"])


def test_population_rates_without_population_keep_counts_and_shares():
    rows = pd.DataFrame({"subject_race": ["White", "Black", "Black"], "citation_id": ["a", "b", "b"]})
    table = disparity.population_rates(rows, None, count_label="Citations", id_field="citation_id")
    assert table["Citations"].to_dict() == {"White": 1, "Black": 1}
    assert list(table.columns) == ["Citations", "Share of citations (%)"]


# --- The outcome test -----------------------------------------------------------------------------------------


def test_compare_proportions_agrees_with_chi_square_and_newcombe():
    result = disparity.compare_proportions(30, 200, 60, 200)
    expected_p = chi2_contingency([[30, 170], [60, 140]], correction=False)[1]
    assert result.p_value == pytest.approx(expected_p, rel=1e-9)
    assert result.difference == pytest.approx(-15.0)
    # Newcombe's hybrid score interval (method 10), from the two Wilson intervals.
    p1, p2 = 30 / 200, 60 / 200
    (l1, u1), (l2, u2) = wilson(30, 200), wilson(60, 200)
    d = p1 - p2
    assert result.low == pytest.approx(100 * (d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)), abs=1e-3)
    assert result.high == pytest.approx(100 * (d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)), abs=1e-3)
    assert result.beyond_chance and result.direction == "lower"


def test_compare_proportions_with_no_gap_or_no_variation():
    same = disparity.compare_proportions(50, 500, 50, 500)
    assert same.difference == 0 and same.p_value == pytest.approx(1.0) and same.direction == "same"
    nothing = disparity.compare_proportions(0, 40, 0, 60)
    assert nothing.p_value == 1.0 and not nothing.beyond_chance


def test_outcome_test_finds_no_gap_where_none_was_built_in():
    table = stops_table({"White": (2000, 400, 120), "Black": (1500, 300, 90)})  # both 30%
    result = disparity.outcome_test(table)
    assert result.loc["White", "Finding"] == disparity.FINDING_WORDS["reference"]
    assert result.loc["Black", "Finding"] == disparity.FINDING_WORDS["same"]
    assert result.loc["Black", "Difference from White (points)"] == 0.0
    assert result.loc["Black", "Hit rate (%)"] == result.loc["White", "Hit rate (%)"] == 30.0


def test_outcome_test_finds_a_planted_gap():
    # Black searches find contraband 15% of the time, White 30%: a lower bar for searching Black people.
    table = stops_table({"White": (2000, 400, 120), "Black": (1500, 400, 60), "Hispanic": (900, 200, 62), "Asian": (100, 12, 4)})
    result = disparity.outcome_test(table)
    assert result.loc["Black", "Finding"] == disparity.FINDING_WORDS["lower"]
    assert result.loc["Black", "Difference from White (points)"] == -15.0
    assert result.loc["Black", "p_value"] < 0.001
    assert result.loc["Hispanic", "Finding"] == disparity.FINDING_WORDS["same"]  # 31% against 30%
    assert result.loc["Asian", "Finding"] == disparity.FINDING_WORDS["too_few"]  # 12 searches
    assert pd.isna(result.loc["Asian", "Hit rate (%)"])


def test_outcome_test_needs_enough_searches_of_the_reference_group():
    table = stops_table({"White": (100, 10, 3), "Black": (1500, 400, 60)})
    result = disparity.outcome_test(table)
    assert set(result["Finding"]) == {disparity.FINDING_WORDS["too_few"]}


# --- The veil-of-darkness test -----------------------------------------------------------------------------------

CHICAGO = (41.88, -87.63, "America/Chicago")


def almanac(day: dt.date) -> tuple[float, float]:
    """Sunset and dusk on the local clock, straight from astral (an independent route from suntimes)."""
    observer, zone = Observer(CHICAGO[0], CHICAGO[1]), ZoneInfo(CHICAGO[2])
    s, d = sunset(observer, day, tzinfo=zone), dusk(observer, day, tzinfo=zone)
    return s.hour * 60 + s.minute + s.second / 60, d.hour * 60 + d.minute + d.second / 60


def evening_stops(n: int, darkness_effect: float, seed: int) -> pd.DataFrame:
    """Traffic stops through 2025 between 3 p.m. and 11 p.m.; the log-odds that a stopped driver is Black
    change smoothly with the clock and by ``darkness_effect`` after dusk."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2025-01-01", "2025-12-31", freq="D")
    sun = {day.date(): almanac(day.date()) for day in days}
    day = rng.choice(days, n)
    minute = rng.integers(15 * 60, 23 * 60, n)
    when = pd.to_datetime(day) + pd.to_timedelta(minute, unit="min")
    dusk_minute = np.array([sun[d.date()][1] for d in pd.to_datetime(day)])
    dark = minute > dusk_minute
    logit = -0.4 + 0.3 * np.sin(minute / 200) + darkness_effect * dark
    black = rng.random(n) < 1 / (1 + np.exp(-logit))
    return pd.DataFrame({"occurred_at": when, "subject_race": np.where(black, "Black", "White"),
                         "district": rng.choice(["North", "South", "East"], n)})


def test_veil_keeps_exactly_the_stops_of_the_recipe():
    stops = evening_stops(3000, 0.0, seed=1)
    stops.loc[:49, "subject_race"] = "Hispanic"  # other groups are left out
    result = disparity.veil_of_darkness(stops, *CHICAGO)
    # The recipe, computed here from astral: window = earliest to latest dusk of the days in the data;
    # drop stops between that day's sunset and dusk; Black and White drivers only.
    times = {d: almanac(d) for d in stops["occurred_at"].dt.date.unique()}
    minute = stops["occurred_at"].dt.hour * 60 + stops["occurred_at"].dt.minute
    set_, dusk_ = (stops["occurred_at"].dt.date.map(lambda d, i=i: times[d][i]) for i in (0, 1))
    start, end = min(v[1] for v in times.values()), max(v[1] for v in times.values())
    keep = (minute >= start) & (minute <= end) & ~((minute > set_) & (minute < dusk_))
    keep &= stops["subject_race"].isin(["Black", "White"])
    dark = minute > dusk_
    assert result.window == pytest.approx((start, end))
    assert int(result.counts.to_numpy().sum()) == int(keep.sum())
    assert result.counts.loc["Dark", "Black"] == int((keep & dark & (stops["subject_race"] == "Black")).sum())
    assert result.counts.loc["Daylight", "White"] == int((keep & ~dark & (stops["subject_race"] == "White")).sum())
    assert result.twilight_dropped == int(((minute >= start) & (minute <= end) & (minute > set_) & (minute < dusk_)).sum())


def test_veil_recovers_a_planted_darkness_effect():
    stops = evening_stops(40000, -0.5, seed=7)  # Black drivers' odds of being stopped fall by 39% after dark
    result = disparity.veil_of_darkness(stops, *CHICAGO, district="district")
    assert result.status == "ok"
    assert result.odds_low < math.exp(-0.5) < result.odds_high
    assert result.odds_high < 1 and result.beyond_chance
    assert result.share("Dark") < result.share("Daylight")
    assert result.odds_ratio_district == pytest.approx(result.odds_ratio, rel=0.05)  # districts were drawn at random


def test_veil_finds_nothing_where_nothing_was_planted():
    stops = evening_stops(40000, 0.0, seed=11)
    result = disparity.veil_of_darkness(stops, *CHICAGO)
    assert result.status == "ok"
    assert result.odds_low < 1 < result.odds_high and not result.beyond_chance


def test_veil_says_why_it_cannot_run():
    stops = evening_stops(200, 0.0, seed=3)
    assert disparity.veil_of_darkness(stops, None, None, "America/Chicago").status == "no_location"
    assert disparity.veil_of_darkness(stops.iloc[0:0], *CHICAGO).status == "no_stops"
    assert disparity.veil_of_darkness(stops.iloc[:40], *CHICAGO).status == "too_few"


def test_clock_and_ratio_words():
    assert disparity.clock(1005) == "4:45 p.m." and disparity.clock(30) == "12:30 a.m." and disparity.clock(720) == "12:00 p.m."
    assert disparity.ratio_words(2.54) == "2.5 times" and disparity.ratio_words(0.5) == "half"
