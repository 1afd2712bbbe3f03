"""Survey estimates against values worked out by hand: Kish effective sample size, design effect, margin
of error, weighted shares, the agree scale, and the test of a change between two survey waves."""

from __future__ import annotations

import math
from statistics import NormalDist

import pandas as pd
import pytest

from transparency.figures import surveys
from transparency.figures.surveys import ShareEstimate


def test_kish_effective_sample_size_by_hand():
    # Weights 1, 1, 2, 4: sum 8, sum of squares 1 + 1 + 4 + 16 = 22, so n_eff = 64 / 22.
    assert surveys.kish_effective_n([1, 1, 2, 4]) == pytest.approx(64 / 22)
    # Equal weights lose nothing: n_eff is n, whatever the weight.
    assert surveys.kish_effective_n([0.7] * 25) == pytest.approx(25)
    # One heavy weight: 3 + 9 = 12 squared over 3 + 81 = 84 -> 144 / 84.
    assert surveys.kish_effective_n([1, 1, 1, 9]) == pytest.approx(144 / 84)
    assert surveys.kish_effective_n([]) == 0
    with pytest.raises(ValueError):
        surveys.kish_effective_n([1, -1])


def test_design_effect_is_n_over_effective_n_and_one_plus_cv_squared():
    # 4 * 22 / 64 = 1.375.
    assert surveys.design_effect([1, 1, 2, 4]) == pytest.approx(1.375)
    # 1 + CV^2 with the population CV: mean 2, variance (1 + 1 + 0 + 4) / 4 = 1.5, CV^2 = 1.5 / 4.
    assert surveys.design_effect([1, 1, 2, 4]) == pytest.approx(1 + 1.5 / 4)
    assert surveys.design_effect([3, 3, 3]) == pytest.approx(1.0)


def test_margin_of_error_known_values():
    # The textbook figures: 400 interviews at 50% give plus or minus 4.9 points, 1,000 give 3.1.
    assert surveys.margin_of_error(0.5, 400) == pytest.approx(1.959964 * 0.025)
    assert round(100 * surveys.margin_of_error(0.5, 400), 1) == 4.9
    assert round(100 * surveys.margin_of_error(0.5, 1000), 1) == 3.1
    # p = 0.2, n = 100: sqrt(0.16 / 100) = 0.04, times 1.96 = 0.0784.
    assert surveys.margin_of_error(0.2, 100) == pytest.approx(0.0784, abs=1e-4)
    assert surveys.margin_of_error(0.0, 50) == 0
    assert math.isnan(surveys.margin_of_error(0.5, 0))
    with pytest.raises(ValueError):
        surveys.margin_of_error(1.2, 10)


def test_weighted_share_uses_the_kish_effective_sample_size():
    # Agree 1, 0, 1, 0 with weights 1, 1, 2, 4: share (1 + 2) / 8 = 0.375; n_eff 64 / 22;
    # margin 1.96 * sqrt(0.375 * 0.625 / (64 / 22)) = 1.96 * sqrt(0.0805664) = 0.556322.
    estimate = surveys.estimate_share(pd.Series([1.0, 0.0, 1.0, 0.0]), pd.Series([1, 1, 2, 4]))
    assert estimate.share == pytest.approx(0.375)
    assert estimate.respondents == 4
    assert estimate.effective_n == pytest.approx(64 / 22)
    assert estimate.margin == pytest.approx(0.556322, abs=1e-5)
    assert estimate.design_effect == pytest.approx(1.375)
    assert estimate.weighted
    assert (estimate.low, estimate.high) == (pytest.approx(0.0), pytest.approx(0.931322, abs=1e-5))


def test_unweighted_share_and_what_is_left_out():
    # NA answers and (with weights) missing or zero weights are left out of the share.
    agree = pd.Series([1.0, 1.0, 0.0, None, 1.0], dtype="Float64")
    plain = surveys.estimate_share(agree)
    assert (plain.share, plain.respondents, plain.effective_n) == (pytest.approx(0.75), 4, pytest.approx(4))
    assert not plain.weighted and plain.design_effect == pytest.approx(1)
    weighted = surveys.estimate_share(agree, pd.Series([2.0, None, 2.0, 1.0, 0.0]))
    assert (weighted.share, weighted.respondents) == (pytest.approx(0.5), 2)
    assert surveys.estimate_share(pd.Series([None, None], dtype="Float64")) is None


def test_agree_scale_reads_words_and_falls_back_to_codes():
    answers = pd.Series(["Strongly agree", " agree ", "AGREE", "Neither agree nor disagree", "Disagree",
                         "Strongly disagree", "Don\u2019t know", "Refused", None, None])
    codes = pd.Series([None, None, None, None, None, None, None, None, 4, 3])
    got = surveys.agrees(answers, codes)
    assert got.tolist()[:6] == [1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    assert got.isna().tolist()[6:8] == [True, True]
    assert got.tolist()[8:] == [1.0, 0.0]
    only_codes = surveys.agrees(None, pd.Series([5, 4, 3, 2, 1, 9]))
    assert only_codes.tolist()[:5] == [1.0, 1.0, 0.0, 0.0, 0.0] and pd.isna(only_codes.iloc[5])


def _estimate(share: float, n: float) -> ShareEstimate:
    return ShareEstimate(share=share, respondents=int(n), effective_n=n, margin=0.0, design_effect=1.0, weighted=False)


def test_change_between_waves_known_values():
    # 55% against 50%, 400 each: se = sqrt(.55 * .45 / 400 + .25 / 400) = sqrt(0.00124375) = 0.0352669,
    # z = 0.05 / 0.0352669 = 1.41776, two-sided p = 0.1563: within normal variation.
    change = surveys.change_between_waves(_estimate(0.55, 400), _estimate(0.50, 400))
    assert change.standard_error == pytest.approx(0.0352669, abs=1e-6)
    assert change.p_value == pytest.approx(2 * (1 - NormalDist().cdf(0.05 / 0.0352669)), abs=1e-5)
    assert change.p_value == pytest.approx(0.1563, abs=1e-4)
    assert not change.beyond_normal_variation and change.judgement() == "within normal variation for a share"
    # 60% against 50%: se = sqrt(.24 / 400 + .25 / 400) = 0.035, z = 2.857, p = 0.0043: beyond.
    change = surveys.change_between_waves(_estimate(0.60, 400), _estimate(0.50, 400))
    assert change.standard_error == pytest.approx(0.035)
    assert change.p_value == pytest.approx(0.00428, abs=1e-5)
    assert change.judgement() == "a change in the share larger than normal variation"
    # A weighted wave counts by its effective size: 60% against 50% with n_eff 100 each is not beyond.
    assert not surveys.change_between_waves(_estimate(0.60, 100), _estimate(0.50, 100)).beyond_normal_variation
    # No spread at all: equal shares are not a change, different ones are.
    assert surveys.change_between_waves(_estimate(1.0, 50), _estimate(1.0, 50)).p_value == 1.0
    assert surveys.change_between_waves(_estimate(1.0, 50), _estimate(0.0, 50)).beyond_normal_variation


def test_normal_p_value_and_minimum_group_size():
    assert surveys.normal_two_sided_p(1.959964) == pytest.approx(0.05, abs=1e-6)
    assert surveys.normal_two_sided_p(0) == 1.0
    assert surveys.min_group_size(5) == 30
    assert surveys.min_group_size(50) == 50  # never below the agency's suppression threshold
