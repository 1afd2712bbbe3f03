"""Tests for transparency.core.periods: parsing, arithmetic, words and row membership, checked by hand."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from transparency.core.errors import UsageError
from transparency.core.periods import Period, last_complete_quarter, parse_period, quarter_of, trailing_quarters


def one(text, fiscal_year_start=1):
    periods = parse_period(text, fiscal_year_start)
    assert len(periods) == 1
    return periods[0]


# Parsing ----------------------------------------------------------------------------------------


def test_quarter():
    assert one("2025Q3") == Period("2025Q3", "quarter", date(2025, 7, 1), date(2025, 10, 1))


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2025Q1", date(2025, 1, 1), date(2025, 4, 1)),
        ("2025Q2", date(2025, 4, 1), date(2025, 7, 1)),
        ("2025Q4", date(2025, 10, 1), date(2026, 1, 1)),
        ("1900Q1", date(1900, 1, 1), date(1900, 4, 1)),
        ("2200Q4", date(2200, 10, 1), date(2201, 1, 1)),
    ],
)
def test_quarter_bounds(text, start, end):
    period = one(text)
    assert (period.start, period.end, period.kind) == (start, end, "quarter")


def test_year():
    assert one("2025") == Period("2025", "year", date(2025, 1, 1), date(2026, 1, 1))


def test_int_year_from_papermill_is_accepted():
    assert one(2025) == one("2025")


def test_lower_case_and_spaces_are_accepted():
    assert one(" 2025q3 ") == one("2025Q3")
    assert one("fy2025", 7).code == "FY2025"


def test_fiscal_year_starting_july_is_named_by_the_year_it_ends_in():
    period = one("FY2025", fiscal_year_start=7)
    assert period == Period("FY2025", "fiscal_year", date(2024, 7, 1), date(2025, 7, 1))


def test_fiscal_year_starting_january_is_the_calendar_year():
    fiscal, calendar = one("FY2025", fiscal_year_start=1), one("2025")
    assert (fiscal.start, fiscal.end) == (calendar.start, calendar.end)
    assert fiscal.kind == "fiscal_year"


def test_fiscal_year_starting_october():
    period = one("FY2026", fiscal_year_start=10)
    assert (period.start, period.end) == (date(2025, 10, 1), date(2026, 10, 1))


def test_fiscal_quarters_starting_july():
    assert one("FY2025Q1", 7) == Period("FY2025Q1", "fiscal_quarter", date(2024, 7, 1), date(2024, 10, 1))
    assert (one("FY2025Q3", 7).start, one("FY2025Q3", 7).end) == (date(2025, 1, 1), date(2025, 4, 1))
    assert (one("FY2025Q4", 7).start, one("FY2025Q4", 7).end) == (date(2025, 4, 1), date(2025, 7, 1))


def test_fiscal_quarter_crossing_new_year():
    # November start: quarter 1 of FY2025 is November 2024 to January 2025.
    period = one("FY2025Q1", 11)
    assert (period.start, period.end) == (date(2024, 11, 1), date(2025, 2, 1))


def test_range_gives_one_period_per_quarter_oldest_first():
    periods = parse_period("2024Q1:2025Q3")
    assert [p.code for p in periods] == [
        "2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1", "2025Q2", "2025Q3",
    ]  # fmt: skip
    assert all(p.kind == "quarter" for p in periods)


def test_range_of_one_quarter():
    assert [p.code for p in parse_period("2025Q2:2025Q2")] == ["2025Q2"]


def test_range_of_fiscal_quarters():
    periods = parse_period("FY2025Q3:FY2026Q1", fiscal_year_start=7)
    assert [p.code for p in periods] == ["FY2025Q3", "FY2025Q4", "FY2026Q1"]
    assert periods[-1].start == date(2025, 7, 1)


@pytest.mark.parametrize(
    "text",
    [
        "2025Q5", "25Q1", "2025Q0", "", "   ", "2025Q1:", ":2025Q1", "1899Q1", "2201", "1899",
        "FY2201", "FY1899Q2", "2025Q10", "Q3 2025", "2025-Q3", "2025Q3:2024Q1", "2024:2025",
        "2024Q1:2025", "2024Q1:FY2025Q1", "2024Q1:2024Q2:2024Q3", "FY2025Q5", "2025.5", "２０２５",
    ],
)  # fmt: skip
def test_malformed_input_is_a_usage_error_that_quotes_it_and_lists_the_forms(text):
    with pytest.raises(UsageError) as caught:
        parse_period(text)
    message = str(caught.value)
    assert repr(text) in message
    for form in ("2025Q3", "2025", "2024Q1:2025Q3", "FY2025", "FY2025Q1"):
        assert form in message
    assert caught.value.exit_code == 2


def test_reversed_range_says_so():
    with pytest.raises(UsageError, match="ends before it starts"):
        parse_period("2025Q3:2024Q1")


def test_range_of_years_says_ends_must_be_quarters():
    with pytest.raises(UsageError, match="must be quarters"):
        parse_period("2024:2025")


def test_year_out_of_range_names_the_year():
    with pytest.raises(UsageError, match="1899"):
        parse_period("1899Q1")


@pytest.mark.parametrize("bad", [0, 13, -1, "7", 7.0, True])
def test_fiscal_year_start_must_be_a_month(bad):
    with pytest.raises(UsageError, match="fiscal_year_start"):
        parse_period("FY2025", fiscal_year_start=bad)


@pytest.mark.parametrize("bad", [None, 2025.0, True, ["2025"]])
def test_non_text_input_is_a_usage_error(bad):
    with pytest.raises(UsageError):
        parse_period(bad)


def test_period_rejects_unknown_kind_and_empty_span():
    with pytest.raises(ValueError):
        Period("2025Q3", "month", date(2025, 7, 1), date(2025, 8, 1))
    with pytest.raises(ValueError):
        Period("2025Q3", "quarter", date(2025, 7, 1), date(2025, 7, 1))


def test_period_is_frozen_and_hashable():
    period = one("2025Q3")
    with pytest.raises(AttributeError):
        period.code = "2025Q4"
    assert {period, one("2025Q3")} == {period}
    assert str(period) == "2025Q3"


# Arithmetic -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fiscal_year_start", "previous"),
    [
        ("2025Q3", 1, "2025Q2"),
        ("2025Q1", 1, "2024Q4"),
        ("2025", 1, "2024"),
        ("FY2025", 7, "FY2024"),
        ("FY2025Q1", 7, "FY2024Q4"),
        ("FY2025Q3", 7, "FY2025Q2"),
        ("FY2025Q1", 11, "FY2024Q4"),
        ("FY2025Q2", 11, "FY2025Q1"),
    ],
)
def test_previous(text, fiscal_year_start, previous):
    assert one(text, fiscal_year_start).previous() == one(previous, fiscal_year_start)


@pytest.mark.parametrize(
    ("text", "fiscal_year_start", "earlier"),
    [
        ("2025Q3", 1, "2024Q3"),
        ("2025Q1", 1, "2024Q1"),
        ("2025", 1, "2024"),
        ("FY2025", 7, "FY2024"),
        ("FY2025Q2", 7, "FY2024Q2"),
        ("FY2025Q1", 11, "FY2024Q1"),
    ],
)
def test_year_earlier(text, fiscal_year_start, earlier):
    assert one(text, fiscal_year_start).year_earlier() == one(earlier, fiscal_year_start)


def test_previous_of_fiscal_year_has_the_right_dates():
    previous = one("FY2025", 7).previous()
    assert (previous.start, previous.end) == (date(2023, 7, 1), date(2024, 7, 1))


@pytest.mark.parametrize(
    ("text", "days"),
    [("2025Q1", 90), ("2024Q1", 91), ("2025Q2", 91), ("2025Q3", 92), ("2025Q4", 92), ("2025", 365), ("2024", 366)],
)
def test_days(text, days):
    assert one(text).days == days


def test_days_of_fiscal_year_with_leap_day():
    # July 2023 to June 2024 contains 29 February 2024.
    assert one("FY2024", 7).days == 366


def test_quarters_of_a_year():
    assert [q.code for q in one("2025").quarters()] == ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]


def test_quarters_of_a_quarter_is_itself():
    assert one("2025Q3").quarters() == [one("2025Q3")]


def test_quarters_of_a_fiscal_year_are_fiscal_quarters():
    quarters = one("FY2025", 7).quarters()
    assert [q.code for q in quarters] == ["FY2025Q1", "FY2025Q2", "FY2025Q3", "FY2025Q4"]
    assert [q.start for q in quarters] == [date(2024, 7, 1), date(2024, 10, 1), date(2025, 1, 1), date(2025, 4, 1)]
    assert quarters[-1].end == date(2025, 7, 1)


def test_quarter_of():
    assert quarter_of(date(2025, 8, 14)) == one("2025Q3")
    assert quarter_of(date(2025, 1, 1)) == one("2025Q1")
    assert quarter_of(date(2025, 12, 31)) == one("2025Q4")
    assert quarter_of(datetime(2025, 3, 31, 23, 59)) == one("2025Q1")
    assert quarter_of(pd.Timestamp("2025-04-01")) == one("2025Q2")


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 11, 25), "2026Q3"),
        (date(2026, 10, 1), "2026Q3"),
        (date(2026, 9, 30), "2026Q2"),
        (date(2026, 1, 1), "2025Q4"),
        (date(2026, 3, 31), "2025Q4"),
    ],
)
def test_last_complete_quarter(today, expected):
    assert last_complete_quarter(today) == one(expected)


def test_trailing_quarters_of_a_quarter():
    assert [q.code for q in trailing_quarters(one("2025Q3"), 4)] == ["2024Q4", "2025Q1", "2025Q2", "2025Q3"]


def test_trailing_quarters_of_a_year_end_with_its_fourth_quarter():
    assert [q.code for q in trailing_quarters(one("2025"), 2)] == ["2025Q3", "2025Q4"]


def test_trailing_quarters_of_a_fiscal_year():
    assert [q.code for q in trailing_quarters(one("FY2025", 7), 5)] == [
        "FY2024Q4", "FY2025Q1", "FY2025Q2", "FY2025Q3", "FY2025Q4",
    ]  # fmt: skip


def test_trailing_one_quarter():
    assert trailing_quarters(one("2025Q1"), 1) == [one("2025Q1")]


@pytest.mark.parametrize("bad", [0, -2, 1.5, True])
def test_trailing_quarters_needs_a_positive_count(bad):
    with pytest.raises(ValueError):
        trailing_quarters(one("2025Q1"), bad)


# Words ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fiscal_year_start", "label"),
    [
        ("2025Q1", 1, "January to March 2025"),
        ("2025Q3", 1, "July to September 2025"),
        ("2025Q4", 1, "October to December 2025"),
        ("2025", 1, "January to December 2025"),
        ("FY2025", 7, "July 2024 to June 2025 (fiscal year 2025)"),
        ("FY2025", 1, "January to December 2025 (fiscal year 2025)"),
        ("FY2025Q1", 7, "July to September 2024 (quarter 1 of fiscal year 2025)"),
        ("FY2025Q1", 11, "November 2024 to January 2025 (quarter 1 of fiscal year 2025)"),
    ],
)
def test_label(text, fiscal_year_start, label):
    assert one(text, fiscal_year_start).label() == label


def test_title():
    assert one("2025Q3").title() == "July to September 2025 (2025Q3)"
    assert one("2025").title() == "January to December 2025 (2025)"
    assert one("FY2025", 7).title() == "July 2024 to June 2025 (fiscal year 2025, FY2025)"


# Row membership ---------------------------------------------------------------------------------


def test_contains_uses_local_dates_and_half_open_bounds():
    times = pd.Series(
        pd.to_datetime(
            [
                "2025-06-30 23:59:59",  # before
                "2025-07-01 00:00:00",  # first instant
                "2025-08-15 12:00:00",
                "2025-09-30 23:59:59.999",  # last instant
                "2025-10-01 00:00:00",  # after
                None,  # missing
            ],
            format="ISO8601",
        ),
        index=list("abcdef"),
    )
    mask = one("2025Q3").contains(times)
    assert mask.dtype == bool
    assert mask.index.tolist() == list("abcdef")
    assert mask.tolist() == [False, True, True, True, False, False]


def test_contains_keeps_wall_clock_time_of_aware_values():
    # 23:30 on 30 September in Chicago is already October in UTC; the local date decides.
    times = pd.Series(pd.to_datetime(["2025-09-30 23:30"])).dt.tz_localize("America/Chicago")
    assert one("2025Q3").contains(times).tolist() == [True]
    assert one("2025Q4").contains(times).tolist() == [False]


def test_contains_with_second_resolution_and_far_dates():
    times = pd.Series(pd.to_datetime(["1905-02-01", "2199-12-31"]).as_unit("s"))
    assert one("1905").contains(times).tolist() == [True, False]
    assert one("2199Q4").contains(times).tolist() == [False, True]


def test_contains_all_missing_and_empty():
    assert one("2025").contains(pd.Series([pd.NaT, pd.NaT], dtype="datetime64[ns]")).tolist() == [False, False]
    assert one("2025").contains(pd.Series([], dtype="datetime64[ns]")).tolist() == []


def test_contains_refuses_text():
    with pytest.raises(TypeError, match="to_datetime"):
        one("2025").contains(pd.Series(["2025-01-01"]))


def test_fiscal_year_contains():
    times = pd.Series(pd.to_datetime(["2024-06-30", "2024-07-01", "2025-06-30", "2025-07-01"]))
    assert one("FY2025", 7).contains(times).tolist() == [False, True, True, False]


# Properties -------------------------------------------------------------------------------------

years = st.integers(1901, 2199)
quarter_numbers = st.integers(1, 4)
months = st.integers(1, 12)


@given(years, quarter_numbers)
def test_previous_quarter_ends_where_this_one_starts(year, quarter):
    period = one(f"{year}Q{quarter}")
    assert period.previous().end == period.start
    assert 90 <= period.days <= 92


@given(years, quarter_numbers, months)
def test_fiscal_quarters_tile_their_fiscal_year(year, quarter, fiscal_year_start):
    fiscal_year = one(f"FY{year}", fiscal_year_start)
    quarters = fiscal_year.quarters()
    assert quarters[0].start == fiscal_year.start
    assert quarters[-1].end == fiscal_year.end
    assert all(a.end == b.start for a, b in zip(quarters, quarters[1:]))
    assert quarters[quarter - 1] == one(f"FY{year}Q{quarter}", fiscal_year_start)
    # The fiscal year ends in the calendar year it is named after.
    assert date.fromordinal(fiscal_year.end.toordinal() - 1).year == year


@given(years, quarter_numbers, months)
def test_fiscal_previous_and_year_earlier_round_trip_through_parsing(year, quarter, fiscal_year_start):
    period = one(f"FY{year}Q{quarter}", fiscal_year_start)
    for other in (period.previous(), period.year_earlier()):
        assert one(other.code, fiscal_year_start) == other
    assert period.year_earlier().start.month == period.start.month


@given(st.dates(date(1901, 1, 1), date(2199, 12, 31)))
def test_quarter_of_contains_the_day(day):
    period = quarter_of(day)
    assert period.start <= day < period.end
    assert period.contains(pd.Series([pd.Timestamp(day)])).tolist() == [True]


@pytest.mark.parametrize(("first", "last", "expected"), [
    (date(2021, 10, 1), date(2026, 9, 30), "2026Q3"), (date(2021, 10, 1), date(2026, 9, 27), "2026Q3"),
    (date(2021, 10, 1), date(2026, 9, 26), "2026Q2"), (date(2021, 10, 1), date(2026, 8, 15), "2026Q2"),
    (date(2021, 10, 1), date(2026, 7, 1), "2026Q2"), (date(2021, 10, 1), date(2026, 11, 20), "2026Q3"),
    (date(2021, 10, 1), date(2025, 12, 28), "2025Q4"), (date(2021, 10, 1), date(2025, 12, 27), "2025Q3"),
    (date(2021, 10, 1), date(2024, 3, 31), "2024Q1"),
    # Data that starts inside a quarter covers it whole only from within three days of its start.
    (date(2026, 7, 4), date(2026, 9, 30), "2026Q3"), (date(2026, 7, 5), date(2026, 12, 31), "2026Q3"),
    (date(2026, 4, 20), date(2026, 8, 15), "2026Q2"),
    # No quarter whole: the one most days are in (a 911 centre's 14 weeks: 38 days of Q3, 60 of Q4).
    (date(2025, 8, 24), date(2025, 11, 29), "2025Q4"), (date(2025, 8, 1), date(2025, 11, 15), "2025Q3"),
])
def test_latest_quarter_is_the_last_one_the_data_covers_whole(first, last, expected):
    """Built on 2026-11-25: a quarter counts when the data reaches within three days of each end; 2026Q4 is under way."""
    from transparency.core.periods import latest_quarter

    assert latest_quarter((first, last), date(2026, 11, 25)).code == expected


def test_latest_quarter_without_data_is_the_last_that_has_ended():
    from transparency.core.periods import latest_quarter

    assert latest_quarter(None, date(2026, 11, 25)).code == "2026Q3"
