"""Tests for transparency.core.fmt: every output checked against text written out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from transparency.core.fmt import change_pct, count, join_words, minutes, number, pct, plural, relative_change

MISSING = [None, pd.NA, float("nan"), np.nan, pd.NaT, float("inf")]


# count ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "text"),
    [(12345, "12,345"), (0, "0"), (5, "5"), (999, "999"), (1000, "1,000"), (1234567, "1,234,567"), (12.0, "12")],
)
def test_count(n, text):
    assert count(n) == text


def test_count_accepts_numpy_integers():
    assert count(np.int64(2500)) == "2,500"


@pytest.mark.parametrize("missing", MISSING)
def test_count_missing_says_fewer_than_threshold(missing):
    assert count(missing) == "fewer than 5"
    assert count(missing, min_count=11) == "fewer than 11"


@pytest.mark.parametrize("small", [1, 2, 4])
def test_count_never_prints_a_small_count(small):
    assert count(small) == "fewer than 5"
    assert count(small, min_count=11) == "fewer than 11"


def test_count_threshold_can_be_turned_off_or_worded_otherwise():
    assert count(3, min_count=None) == "3"
    assert count(None, suppressed_text="not shown") == "not shown"
    assert count(None, min_count=None) == "not shown"


@pytest.mark.parametrize("bad", [-1, 2.5])
def test_count_rejects_non_counts(bad):
    with pytest.raises(ValueError):
        count(bad)


@pytest.mark.parametrize("bad", ["12", True])
def test_count_rejects_non_numbers(bad):
    with pytest.raises(TypeError):
        count(bad)


# number -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "digits", "text"),
    [
        (1234.5, 1, "1,234.5"),
        (1234.56, 1, "1,234.6"),
        (2.5, 2, "2.5"),
        (2.0, 1, "2"),
        (3, 1, "3"),
        (0.25, 1, "0.3"),  # halves round away from zero, as people expect
        (2.45, 1, "2.5"),
        (-0.04, 1, "0"),  # never "-0"
        (-1.26, 1, "-1.3"),
        (1_000_000, 0, "1,000,000"),
        (12.345, 2, "12.35"),
    ],
)
def test_number(x, digits, text):
    assert number(x, digits) == text


@pytest.mark.parametrize("missing", MISSING)
def test_number_missing(missing):
    assert number(missing) == "not shown"
    assert number(missing, missing="no data") == "no data"


def test_number_rejects_bad_digits():
    with pytest.raises(ValueError):
        number(1.0, -1)


# pct --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (0.123, "12.3%"),
        (0.12, "12%"),
        (0.1235, "12.4%"),
        (0.12349, "12.3%"),
        (0, "0%"),
        (0.0, "0%"),
        (1, "100%"),
        (1.0, "100%"),
        (0.5, "50%"),
        (2 / 3, "66.7%"),
        (1.5, "150%"),
        (-0.05, "-5%"),
        (0.0004, "less than 0.1%"),
        (0.9999, "more than 99.9%"),
        (0.999, "99.9%"),
        (np.float64(0.2), "20%"),
    ],
)
def test_pct(x, text):
    assert pct(x) == text


def test_pct_whole_numbers():
    assert pct(0.123, digits=0) == "12%"
    assert pct(0.004, digits=0) == "less than 1%"
    assert pct(0.996, digits=0) == "more than 99%"


@pytest.mark.parametrize("missing", MISSING)
def test_pct_missing(missing):
    assert pct(missing) == "not shown"


def test_pct_never_more_than_one_decimal():
    with pytest.raises(ValueError):
        pct(0.12345, digits=2)


# minutes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (8.5, "8.5 minutes"),
        (1, "1 minute"),
        (1.0, "1 minute"),
        (1.04, "1 minute"),
        (0, "0 minutes"),
        (0.5, "0.5 minutes"),
        (1440, "1,440 minutes"),
        (12.25, "12.3 minutes"),
    ],
)
def test_minutes(x, text):
    assert minutes(x) == text


@pytest.mark.parametrize("missing", MISSING)
def test_minutes_missing(missing):
    assert minutes(missing) == "not shown"


# changes ----------------------------------------------------------------------------------------


def test_relative_change():
    assert relative_change(51, 58) == pytest.approx(-7 / 58)
    assert relative_change(116, 58) == pytest.approx(1.0)
    assert relative_change(5, 0) is None
    assert relative_change(None, 5) is None
    assert relative_change(5, None) is None
    assert relative_change(0, 4) == -1


@pytest.mark.parametrize(
    ("cur", "prev", "text"),
    [
        (51, 58, "-12.1%"),  # 7 / 58 = 12.07%
        (65, 58, "+12.1%"),
        (58, 58, "0%"),
        (0, 10, "-100%"),
        (30, 10, "+200%"),
        (10001, 10000, "+<0.1%"),
        (9999, 10000, "-<0.1%"),
    ],
)
def test_change_pct(cur, prev, text):
    assert change_pct(cur, prev) == text


@pytest.mark.parametrize(("cur", "prev"), [(5, 0), (0, 0), (None, 5), (5, None), (pd.NA, 3)])
def test_change_pct_has_no_value_without_a_base(cur, prev):
    assert change_pct(cur, prev) is None


# words ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "text"),
    [(1, "incident"), (1.0, "incident"), (0, "incidents"), (2, "incidents"), (1.5, "incidents"), (None, "incidents")],
)
def test_plural(n, text):
    assert plural(n, "incident", "incidents") == text


def test_plural_default_and_irregular():
    assert plural(3, "stop") == "stops"
    assert plural(1, "person", "people") == "person"
    assert plural(2, "person", "people") == "people"


@pytest.mark.parametrize(
    ("words", "text"),
    [
        (["a", "b", "c"], "a, b and c"),
        (["a", "b"], "a and b"),
        (["a"], "a"),
        ([], ""),
        (["taser", "baton", "pepper spray", "takedown"], "taser, baton, pepper spray and takedown"),
    ],
)
def test_join_words(words, text):
    assert join_words(words) == text


def test_join_words_other_conjunction_and_generators():
    assert join_words(["walk-in", "phone", "email"], "or") == "walk-in, phone or email"
    assert join_words(str(n) for n in range(3)) == "0, 1 and 2"


@pytest.mark.parametrize("missing", [None, pd.NA, float("nan")])
def test_join_words_refuses_missing_items(missing):
    with pytest.raises(ValueError):
        join_words(["a", missing])


# Nothing a person should not see ---------------------------------------------------------------


values = st.one_of(
    st.none(),
    st.just(pd.NA),
    st.floats(allow_nan=True, allow_infinity=True, min_value=None, max_value=None),
    st.integers(-(10**12), 10**12),
)


@given(values)
def test_no_nan_or_none_ever_printed(x):
    texts = [number(x), pct(x), minutes(x), plural(x, "stop")]
    if x is not None and x is not pd.NA and isinstance(x, int) and x >= 0:
        texts.append(count(x))
    for text in texts:
        for bad in ("nan", "none", "inf", "<na>", "nat", "e+", "e-"):
            assert bad not in text.lower()


@given(st.floats(min_value=0, max_value=1))
def test_pct_has_at_most_one_decimal(x):
    text = pct(x).removeprefix("less than ").removeprefix("more than ").removesuffix("%")
    whole, _, decimals = text.partition(".")
    assert whole.replace(",", "").isdigit() and len(decimals) <= 1
