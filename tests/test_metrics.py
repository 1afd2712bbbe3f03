"""Headline figures against numbers worked out by hand on small tables."""

from __future__ import annotations

import pandas as pd

from transparency.core.periods import parse_period
from transparency.figures.metrics import compute

Q3 = parse_period("2025Q3")[0]


def ts(text):
    return pd.Timestamp(text)


def test_use_of_force_counts_incidents_applications_and_injuries_with_coverage_rule():
    table = pd.DataFrame({
        "incident_id": pd.array(["A", "A", "B", "C", "D", "E", "F", "G", "H"], dtype="string"),
        "occurred_at": [ts("2025-07-01"), ts("2025-07-01"), ts("2025-08-15"), ts("2025-09-30 23:59"), ts("2025-08-01"),
                        ts("2025-07-04"), ts("2025-07-05"), ts("2025-06-30 23:59"), ts("2025-04-02")],
        "force_type": pd.array(["Taser"] * 9, dtype="string"),
        "subject_injured": pd.array([True, False, None, True, False, False, False, True, True], dtype="boolean"),
    })
    m = compute("use_of_force", table, Q3, min_count=1)
    # In 2025Q3: A (2 rows), B, C, D, E, F -> 6 incidents, 7 applications; injured: A and C.
    assert m.values["incidents"] == 6 and m.values["applications"] == 7
    assert m.values["incidents_subject_injured"] == 2
    # 2025Q2: G and H, both injured.
    assert m.values["incidents_prior"] == 2 and m.values["incidents_subject_injured_prior"] == 2
    # 2024Q3 lies before the first date (2025-04-02): not covered -> None, not 0.
    assert m.values["incidents_last_year"] is None
    assert "incidents_officer_injured" not in m.values  # not recorded -> omitted


def test_small_counts_are_suppressed_with_a_reason_and_zero_is_published():
    table = pd.DataFrame({
        "incident_id": pd.array(["A", "B", "C"], dtype="string"),
        "occurred_at": [ts("2025-07-01"), ts("2025-07-02"), ts("2025-04-01")],
        "force_type": pd.array(["Taser"] * 3, dtype="string"),
        "subject_injured": pd.array([False, False, True], dtype="boolean"),
    })
    m = compute("use_of_force", table, Q3, min_count=5)
    assert m.values["incidents"] is None and m.suppressed["incidents"] == "small count"
    assert m.values["incidents_subject_injured"] == 0 and "incidents_subject_injured" not in m.suppressed


def test_complaints_received_closed_sustained_and_median_days():
    table = pd.DataFrame({
        "complaint_id": pd.array(["C1", "C1", "C2", "C3", "C4"], dtype="string"),
        "received_at": [ts("2025-07-02"), ts("2025-07-02"), ts("2025-08-01"), ts("2025-05-01"), ts("2025-09-01")],
        "closed_at": [ts("2025-07-12"), pd.NaT, ts("2025-09-01"), ts("2025-07-01"), ts("2025-08-30")],
        "disposition": pd.array(["sustained", "pending", "not_sustained", "sustained", "unfounded"], dtype="string"),
    })
    m = compute("complaints", table, Q3, min_count=1)
    assert m.values["complaints_received"] == 3  # C1, C2, C4
    assert m.values["allegations_received"] == 4
    # Closed in Q3: C1 (10 days), C2 (31 days), C3 (61 days), C4 (closed before received: -2, left out of the median)
    assert m.values["allegations_closed"] == 4
    assert m.values["allegations_sustained"] == 2
    assert m.values["median_days_to_close"] == 31


def test_stops_searches_and_per_race_names():
    table = pd.DataFrame({
        "stop_id": pd.array(["1", "2", "3", "4"], dtype="string"),
        "occurred_at": [ts("2025-07-01")] * 4,
        "stop_type": pd.array(["traffic"] * 4, dtype="string"),
        "subject_race": pd.array(["Black", "Black", "White", "Native American"], dtype="string"),
        "search_conducted": pd.array([True, False, True, None], dtype="boolean"),
        "contraband_found": pd.array([False, False, True, None], dtype="boolean"),
    })
    m = compute("stops", table, Q3, min_count=1)
    assert (m.values["stops"], m.values["searches"], m.values["searches_with_contraband"]) == (4, 2, 1)
    assert m.values["stops__black"] == 2 and m.values["searches__black"] == 1
    assert m.values["stops__native_american"] == 1 and m.values["stops__asian"] == 0


def test_calls_response_times_skip_negative_and_missing_spans():
    received = [ts("2025-07-01 10:00")] * 5
    arrived = [ts("2025-07-01 10:04"), ts("2025-07-01 10:10"), ts("2025-07-01 10:30"), ts("2025-07-01 09:00"), pd.NaT]
    table = pd.DataFrame({
        "call_id": pd.array(list("abcde"), dtype="string"), "received_at": received, "arrived_at": arrived,
        "priority": pd.array(["1", "1", "2", "2", "2"], dtype="string"),
    })
    m = compute("calls_for_service", table, Q3, min_count=1)
    assert m.values["calls"] == 5
    assert m.values["median_response_minutes"] == 10  # spans 4, 10, 30
    # numpy's linear 90th percentile of [4, 10, 30]: 10 + 0.8 * 20 = 26
    assert m.values["p90_response_minutes"] == 26
    assert m.values["median_response_minutes__1"] == 7 and m.values["median_response_minutes__2"] == 30


def test_a_hidden_breakdown_count_cannot_be_worked_out_from_the_total():
    # 40 stops: 30 White, 8 Black, 2 Asian. Hiding only Asian (2) would leave it as 40 - 30 - 8.
    races = ["White"] * 30 + ["Black"] * 8 + ["Asian"] * 2
    table = pd.DataFrame({
        "stop_id": pd.array([str(i) for i in range(40)], dtype="string"),
        "occurred_at": [ts("2025-07-01")] * 40,
        "stop_type": pd.array(["traffic"] * 40, dtype="string"),
        "subject_race": pd.array(races, dtype="string"),
    })
    m = compute("stops", table, Q3, min_count=5)
    assert m.values["stops"] == 40
    assert m.values["stops__asian"] is None and m.suppressed["stops__asian"] == "small count"
    assert m.values["stops__black"] is None and m.suppressed["stops__black"] == "complementary"
    assert m.values["stops__white"] == 30 and m.values["stops__hispanic"] == 0
    published = [v for k, v in m.values.items() if k.startswith("stops__") and v is not None]
    assert 40 - sum(published) == 10  # the two hidden groups together, never one alone


def test_officer_started_calls_have_no_response_time():
    table = pd.DataFrame({
        "call_id": pd.array(list("abc"), dtype="string"),
        "received_at": [ts("2025-07-01 10:00")] * 3,
        "arrived_at": [ts("2025-07-01 10:00"), ts("2025-07-01 10:10"), ts("2025-07-01 10:20")],
        "source": pd.array(["officer_initiated", "911", "911"], dtype="string"),
    })
    m = compute("calls_for_service", table, Q3, min_count=1)
    assert m.values["calls"] == 3 and m.values["median_response_minutes"] == 15


def test_shootings_people_and_pursuit_harm_counts():
    ois = pd.DataFrame({
        "incident_id": pd.array(["A", "A", "A", "B"], dtype="string"),
        "occurred_at": [ts("2025-07-01")] * 4,
        "subject_id": pd.array(["p1", "p1", "p2", "p3"], dtype="string"),  # p1 appears once per officer who fired
        "subject_outcome": pd.array(["fatal", "fatal", "injured", "fatal"], dtype="string"),
    })
    m = compute("officer_involved_shootings", ois, Q3, min_count=1)
    assert (m.values["incidents"], m.values["subjects"], m.values["incidents_fatal"], m.values["subjects_fatal"]) == (2, 3, 2, 2)
    pursuits = pd.DataFrame({
        "pursuit_id": pd.array(["1", "2", "3"], dtype="string"), "started_at": [ts("2025-08-01")] * 3,
        "injuries": pd.array([2, None, 1], dtype="Float64"), "fatalities": pd.array([0, 1, 0], dtype="Float64"),
        "policy_compliant": pd.array([True, False, None], dtype="boolean"),
    })
    p = compute("pursuits", pursuits, Q3, min_count=1)
    assert (p.values["people_injured"], p.values["people_killed"], p.values["pursuits_not_within_policy"]) == (3, 1, 1)


def test_covered_until_is_the_last_event_or_the_end_of_the_last_span():
    from datetime import date

    from transparency.tables.cache import covered_until

    events = pd.DataFrame({"surveyed_at": pd.to_datetime(["2021-06-01", "2021-07-01", None])})
    assert covered_until(events, "community_surveys") == date(2021, 7, 1)
    spans = events.assign(period_end=pd.to_datetime(["2021-06-30", "2021-07-31", None]))
    assert covered_until(spans, "community_surveys") == date(2021, 7, 31)
    assert covered_until(events.iloc[:0], "community_surveys") is None
    assert covered_until(pd.DataFrame({"surveyed_at": pd.to_datetime([None, None])}), "community_surveys") is None
