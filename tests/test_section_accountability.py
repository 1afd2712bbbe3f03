"""The helpers shared by the accountability sections (transparency/sections/_common.py): time windows longer
than a quarter, officers counted in bands, exact intervals for rates, chart titles, and the
published list of records. Expected values are worked out by hand in the comments, or are the published
table values of the exact Poisson (Garwood) interval."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from conftest import agency_config

from transparency.core.config import load_agency
from transparency.core.keys import create_key
from transparency.core.periods import parse_period
from transparency.sections import _common
from transparency.sections.section import Section


def quarter(code: str):
    return parse_period(code)[0]


def open_section(make_agency, tmp_path, dataset: str, config: dict, csv: str, period: str, name: str = "testville", **extra) -> Section:
    """A real Section over a small hand-made agency (the CSV goes through the loader like any agency's file)."""
    folder = make_agency(agency_config({dataset: config}, **extra), {"data.csv": csv}, name=name)
    create_key(load_agency(folder).slug)
    return Section(dataset, agency=str(folder), period=period, output_dir=str(tmp_path / "out"))


# --- Spans -----------------------------------------------------------------------------------------------


def test_span_words_length_and_the_span_before():
    span = _common.Span(date(2023, 10, 1), date(2026, 10, 1))
    assert span.label() == "October 2023 to September 2026"
    assert span.months == 36 and span.days == 1096  # 2024 is a leap year
    assert span.previous() == _common.Span(date(2020, 10, 1), date(2023, 10, 1))


def test_span_contains_first_day_not_the_end():
    span = _common.Span(date(2025, 1, 1), date(2025, 4, 1))
    times = pd.Series(pd.to_datetime(["2024-12-31 23:59", "2025-01-01 00:00", "2025-03-31 23:59", "2025-04-01 00:00", None]))
    assert span.contains(times).tolist() == [False, True, True, False, False]


def test_trailing_span_is_the_quarters_that_end_with_the_period():
    assert _common.trailing_span(quarter("2025Q3"), 12) == _common.Span(date(2022, 10, 1), date(2025, 10, 1))
    assert _common.trailing_span(quarter("2025Q3"), 4) == _common.Span(date(2024, 10, 1), date(2025, 10, 1))
    # A year ends with its last quarter.
    assert _common.trailing_span(quarter("2025"), 4) == _common.Span(date(2025, 1, 1), date(2026, 1, 1))


def events(*days: str) -> pd.DataFrame:
    return pd.DataFrame({"incident_id": [f"I{i}" for i in range(len(days))], "occurred_at": pd.to_datetime(list(days))})


def test_coverage_starts_with_the_first_events_quarter():
    table = events("2020-02-15", "2021-06-01")
    assert _common.data_start(table, "occurred_at") == date(2020, 1, 1)
    assert _common.fully_covered(table, "occurred_at", _common.Span(date(2020, 1, 1), date(2021, 1, 1)))
    assert not _common.fully_covered(table, "occurred_at", _common.Span(date(2019, 10, 1), date(2021, 1, 1)))
    assert _common.data_start(events(), "occurred_at") is None


def test_count_in_span_is_none_before_the_data_starts():
    table = events("2020-02-15", "2020-02-15", "2021-06-01")
    table.loc[1, "incident_id"] = "I0"  # two rows of one incident
    span = _common.Span(date(2020, 1, 1), date(2021, 1, 1))
    assert _common.count_in_span(table, "occurred_at", span) == 2
    assert _common.count_in_span(table, "occurred_at", span, "incident_id") == 1
    assert _common.count_in_span(table, "occurred_at", span.previous()) is None


def test_rolling_totals_keep_only_windows_the_data_covers():
    # One event in each quarter of 2020 and 2021, two in 2022Q1: 8 quarters of data before 2022.
    days = [f"{y}-{m:02d}-10" for y in (2020, 2021) for m in (1, 4, 7, 10)] + ["2022-02-01", "2022-03-01"]
    table = events(*days)
    totals = _common.rolling_totals(table, "occurred_at", quarter("2022Q1"), window=4, points=6)
    # Windows of four quarters ending 2020Q4 (the first fully covered) to 2022Q1.
    assert totals["quarter"].tolist() == ["2020Q4", "2021Q1", "2021Q2", "2021Q3", "2021Q4", "2022Q1"]
    assert totals["count"].tolist() == [4, 4, 4, 4, 4, 5]  # 2021Q2..2022Q1 holds 3 + 2
    assert totals["label"].iloc[0] == "January 2020 to December 2020"
    fatal = pd.Series([True] + [False] * 9, index=table.index)  # the 2020Q1 event only
    assert _common.rolling_totals(table, "occurred_at", quarter("2021Q1"), 4, 2, where=fatal)["count"].tolist() == [1, 0]


def test_calendar_years_say_when_a_year_is_partial():
    table = events("2019-11-05", "2021-03-01")
    years = _common.calendar_years(table, "occurred_at", quarter("2021Q3"))
    assert [label for label, _ in years] == ["2019 (October to December)", "2020", "2021 (January to September)"]
    assert years[1][1] == _common.Span(date(2020, 1, 1), date(2021, 1, 1))


# --- Officers in bands ---------------------------------------------------------------------------------


def test_officer_distribution_counts_officers_per_band():
    rows = pd.DataFrame({
        "incident_id": ["A", "B", "C", "D", "E", "A", "B", "A", "F", "F", "G"],
        "officer_id": ["o1", "o1", "o1", "o1", "o1", "o2", "o2", "o3", "o4", "o4", None],
    })
    # o1: 5 incidents (4 or more); o2: 2; o3: 1; o4: one incident on two rows (1); the row without an officer is left out.
    counts = _common.officer_distribution(rows, "incident_id", "incident")
    assert counts.to_dict() == {"1 incident": 2, "2 incidents": 1, "3 incidents": 0, "4 or more incidents": 1}


# --- Rates and their likely range ---------------------------------------------------------------------------


@pytest.mark.parametrize("count, low, high", [
    # Published values of the exact (Garwood) 95% interval for a Poisson count.
    (0, 0.0, 3.689), (1, 0.0253, 5.572), (5, 1.624, 11.668), (10, 4.795, 18.390), (12, 6.201, 20.962), (50, 37.111, 65.919),
])
def test_poisson_interval_matches_published_values(count, low, high):
    got = _common.poisson_interval(count)
    assert got == pytest.approx((low, high), abs=1e-3)


def test_poisson_interval_rejects_a_negative_or_fractional_count():
    for bad in (-1, 2.5):
        with pytest.raises(ValueError):
            _common.poisson_interval(bad)


def test_rate_scales_the_count_and_its_interval():
    made = _common.rate(12, 50, 100)
    assert made.value == 24.0
    assert made.interval == pytest.approx((12.402, 41.924), abs=1e-3)  # 6.201 and 20.962 per 50, times 100
    assert _common.rate(None, 50, 100) is None and _common.rate(3, 0, 100) is None


def test_rate_judgement_allows_for_the_denominators():
    same = _common.rate(10, 1000, 1000)
    # 30 against 10 with equal denominators is beyond normal variation; with three times the arrests it is the same rate.
    assert _common.rate_judgement(_common.rate(30, 1000, 1000), same) == "a change larger than normal variation"
    assert _common.rate_judgement(_common.rate(30, 3000, 1000), same) == "within normal variation"
    assert _common.rate_judgement(_common.rate(11, 1000, 1000), same) == "within normal variation"


def test_rate_sentence_states_rate_range_and_change():
    sentence = _common.rate_sentence(_common.rate(12, 50, 100), "For every 100 officers, {rate} were hurt.", 5,
                                     _common.rate(10, 50, 100), "the previous quarter")
    assert sentence == ("For every 100 officers, 24 were hurt. Allowing for chance, the rate is likely between 12.4 and 41.9. "
                        "In the previous quarter it was 20, so the change is within normal variation.")


def test_rate_sentence_says_nothing_about_a_small_count():
    assert _common.rate_sentence(_common.rate(3, 50, 100), "{rate}", 5) == ""
    # A small previous count is not compared (its rate would reveal it).
    assert "previous" not in _common.rate_sentence(_common.rate(12, 50, 100), "{rate}", 5, _common.rate(2, 50, 100))


# --- Words -------------------------------------------------------------------------------------------------


def test_most_title_names_every_leader():
    table = pd.DataFrame({"N": pd.array([9, None, 9, 8], dtype="Int64")}, index=["2022", "2023", "2024", "2025"])
    assert _common.most_title(table, "N", "had the most", "Per year") == "2022 and 2024 had the most"
    assert _common.most_title(table.iloc[[0, 3]], "N", "was top", "Per year", "were top") == "2022 was top"
    assert _common.most_title(table.iloc[[1]], "N", "had the most", "Per year") == "Per year"
    assert _common.leaders(None, "N") == []
    other = pd.DataFrame({"N": [9, 30, 12]}, index=["Speeding", "All other", "Not recorded"])
    assert _common.most_title(other, "N", "was top", "By reason") == "Speeding was top"  # never "All other"


def test_nothing_published():
    hidden = pd.DataFrame({"N": pd.array([None, None], dtype="Int64")})
    assert _common.nothing_published(hidden, ["N"]) and _common.nothing_published(None, ["N"])
    assert not _common.nothing_published(pd.DataFrame({"N": [0, 5]}), ["N"])


def test_share_text_hides_small_counts():
    assert _common.share_text(7, 14, 5) == "7 (50%)"
    assert _common.share_text(3, 14, 5) is None and _common.share_text(7, 0, 5) is None


def test_published_values_turn_hidden_cells_into_none():
    table = pd.DataFrame({"N": pd.array([5, None], dtype="Int64"), "R": pd.array([2.5, None], dtype="Float64")})
    assert _common.published_values(table, "N") == [5, None]
    assert _common.published_values(table, "R") == [2.5, None]


# --- A real section: change sentences, duplicates, the published list ---------------------------------------------

ASSAULTS = {"files": ["data.csv"], "row_id": "OBJ", "datetime_format": "%Y-%m-%d",
            "columns": {"incident_id": "INC", "occurred_at": "DATE"}}


def test_change_sentences_duplicates_and_listing(make_agency, tmp_path):
    lines = ["OBJ,INC,DATE"] + [f"{i},A{i},2025-04-{i + 1:02d}" for i in range(6)] + [f"{10 + i},B{i},2025-07-{i + 1:02d}" for i in range(9)]
    lines += ["99,B0,2025-07-01"]  # a copy of the first July row apart from the serial
    sec = open_section(make_agency, tmp_path, "assaults_on_officers", ASSAULTS, "\n".join(lines) + "\n", "2025Q3")
    sentences = _common.change_sentences(sec, "officers assaulted", "officer assaulted")
    assert sentences[0] == "There were 9 officers assaulted, up 50% from 6 in the previous quarter, within normal variation."
    assert sentences[1] == "There is no figure for the same quarter last year to compare with."
    # Exact copies in the files are the data-quality appendix's business, never a summary's (issue 16).
    from transparency.sections import assaults_on_officers

    summary = " ".join(assaults_on_officers.summary(sec))
    assert sec.loaded.excluded.get("duplicate_row") == 1
    assert "repeated" not in summary and "copies" not in summary and "exactly" not in summary

    frame = pd.DataFrame({"Month": ["July 2025"], "Note": ["=cmd()"]})
    published = _common.listing(sec, frame, "incident_list", "A list")
    assert published.to_dict("records") == [{"Month": "July 2025", "Note": "=cmd()"}]
    csv = (tmp_path / "out" / "tables" / "assaults_on_officers__incident_list.csv").read_text()
    assert csv == "Month,Note\nJuly 2025,'=cmd()\n"  # spreadsheet formulas neutralised
    assert sec.tables[-1] == {"name": "incident_list", "caption": "A list", "file": "tables/assaults_on_officers__incident_list.csv",
                              "suppressed": 0}
    assert _common.listing(sec, frame.iloc[0:0], "empty", "Nothing") is None
    with pytest.raises(ValueError):
        _common.listing(sec, frame, "bad name", "x")
