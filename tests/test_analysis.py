"""Shared section helpers against numbers worked out by hand."""

from __future__ import annotations

import pandas as pd

from transparency.core.periods import parse_period
from transparency.writing import analysis


def frame(rows):
    return pd.DataFrame(rows, columns=["incident_id", "occurred_at", "subject_race", "district"]).astype(
        {"incident_id": "string", "subject_race": "string", "district": "string"})


ROWS = frame([
    ("A", pd.Timestamp("2025-07-01"), "Black", "North"), ("A", pd.Timestamp("2025-07-01"), "Black", "North"),
    ("B", pd.Timestamp("2025-08-01"), "White", "South"), ("C", pd.Timestamp("2025-04-01"), "White", None),
    ("D", pd.Timestamp("2024-10-02"), "Asian", "North"),
])


def test_trend_counts_distinct_ids_and_skips_quarters_before_the_data():
    q3 = parse_period("2025Q3")[0]
    t = analysis.trend(ROWS, "occurred_at", q3, quarters=8, id_field="incident_id")
    # The data starts 2024-10-02: 2023Q4..2024Q3 are unknown, not zero.
    assert list(t["quarter"]) == ["2024Q4", "2025Q1", "2025Q2", "2025Q3"]
    assert list(t["count"]) == [1, 0, 1, 2]


def test_breakdown_orders_largest_first_and_names_missing():
    b = analysis.breakdown(ROWS, "district", "incident_id", label="District", count_label="Incidents")
    assert b["Incidents"].to_dict() == {"North": 2, "Not recorded": 1, "South": 1}
    top = analysis.breakdown(ROWS, "district", label="District", count_label="Rows", top=1)
    assert top["Rows"].to_dict() == {"North": 3, "All other": 2}


def test_race_benchmark_rates_and_no_empty_columns_without_population():
    b = analysis.race_benchmark(ROWS, "subject_race", {"White": 6000, "Black": 2000, "Asian": 2000}, "incident_id", "Incidents")
    assert b.loc["White", "Incidents"] == 2 and b.loc["White", "Share of residents (%)"] == 60.0
    assert b.loc["Black", "Per 1,000 residents"] == 0.5  # 1 incident per 2,000 residents
    plain = analysis.race_benchmark(ROWS, "subject_race", None, "incident_id", "Incidents")
    assert list(plain.columns) == ["Incidents"]


def test_change_sentences_suppress_small_counts_and_judge_variation():
    text = analysis.change_sentence("incidents", 51, 58, "the previous quarter", 5, 92, 91)
    assert text == "There were 51 incidents, down 12.1% from 58 in the previous quarter, within normal variation."
    hidden = analysis.change_sentence("incidents", 3, 58, "the previous quarter", 5, 92, 91)
    assert "3" not in hidden.replace("58", "") and "fewer than 5" in hidden
    assert analysis.compare_sentence(120, 60, "the same quarter last year", 5, 92, 92).endswith(
        "up 100% from 60 in the same quarter last year, a change larger than normal variation.")
    assert analysis.compare_sentence(10, None, "the same quarter last year", 5, 92, 92) == \
        "There is no figure for the same quarter last year to compare with."


def test_change_title_and_alt_text_state_the_numbers():
    # 31 against 40 is down 22.5%; the title says what the change sentence says (see tests/test_titles.py).
    change = analysis.count_change(31, 40, 92, 91, 5)
    assert analysis.change_title("incidents", change, "2025Q3", "2025Q2") == \
        f"Incidents fell 22.5% from 40 in 2025Q2 to 31 in 2025Q3, {change.judgement()}"
    assert analysis.describe_count_change(change, "incidents", "the previous quarter") == \
        f"There were 31 incidents, down 22.5% from 40 in the previous quarter, {change.judgement()}."
    alt = analysis.series_alt("Line chart", "incidents per quarter", ["2025Q2", "2025Q3"], [40, None])
    assert alt == "Line chart of incidents per quarter: 2025Q2 40; 2025Q3 not shown."


def test_largest_never_names_a_catch_all_row():
    table = pd.DataFrame({"Stops": [40, 90, 12, None]}, index=["North", "Not recorded", "South", "East"])
    assert analysis.largest(table, "Stops") == "North"
    assert analysis.largest(table.loc[["Not recorded"]], "Stops") is None
