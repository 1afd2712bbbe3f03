"""Exact tests against values worked out independently (exact fractions) and published references."""

from __future__ import annotations

from fractions import Fraction
from math import comb

import pytest

from transparency.figures.stats import binomial_two_sided_p, poisson_change, proportion_change, wilson_interval


def exact_two_sided(k: int, n: int) -> float:
    """The same test with exact rational arithmetic: sum of outcomes no more likely than k (p = 1/2)."""
    pmf = [Fraction(comb(n, i), 2**n) for i in range(n + 1)]
    return float(sum(q for q in pmf if q <= pmf[k]))


@pytest.mark.parametrize(("k", "n"), [(51, 109), (3, 20), (10, 10), (0, 7), (30, 50), (120, 200)])
def test_binomial_p_matches_exact_fractions(k, n):
    assert binomial_two_sided_p(k, n) == pytest.approx(exact_two_sided(k, n), rel=1e-9)


def test_known_reference_values():
    # R: binom.test(7, 20)$p.value == 0.2631760
    assert binomial_two_sided_p(7, 20) == pytest.approx(0.263176, abs=1e-6)
    # R: binom.test(3, 12, p = 0.3)$p.value == 1 (3 is the most likely outcome's neighbourhood)
    assert binomial_two_sided_p(3, 12, 0.3) == pytest.approx(1.0, abs=1e-9)


def test_poisson_change_judgement():
    assert poisson_change(51, 58).judgement() == "within normal variation"
    big = poisson_change(120, 60)
    assert big.beyond_normal_variation and big.p_value < 1e-4
    # Unequal periods: 46 in 92 days against 45 in 90 days is the same daily rate.
    assert poisson_change(46, 45, 92, 90).p_value == pytest.approx(1.0, abs=0.01)


def fisher_by_hand(x1: int, n1: int, x2: int, n2: int) -> float:
    """Fisher's exact test in exact fractions: with both totals and the two counts' sum fixed, the first count
    is hypergeometric; the p-value sums the splits no more likely than the one observed."""
    together, total = x1 + x2, n1 + n2
    pmf = {k: Fraction(comb(n1, k) * comb(n2, together - k), comb(total, together))
           for k in range(max(0, together - n2), min(n1, together) + 1)}
    return float(sum(q for q in pmf.values() if q <= pmf[x1]))


SHARE_PAIRS = [(44, 46, 57, 70), (3, 4, 1, 4), (0, 12, 5, 30), (12, 12, 20, 25), (1, 200, 9, 180), (8, 20, 5, 10),
               (5, 5, 0, 7), (0, 9, 0, 11)]


@pytest.mark.parametrize("x1, n1, x2, n2", SHARE_PAIRS)
def test_proportion_change_is_fishers_exact_test(x1, n1, x2, n2):
    expected = fisher_by_hand(x1, n1, x2, n2)
    change = proportion_change(x1, n1, x2, n2)
    assert change.p_value == pytest.approx(expected, rel=1e-9)
    assert change.beyond_normal_variation == (expected < 0.05)
    assert (change.current, change.current_total, change.previous, change.previous_total) == (x1, n1, x2, n2)


def test_proportion_change_reference_values():
    # The tea-tasting table: R's fisher.test(matrix(c(3, 1, 1, 3), 2))$p.value == 0.4857143 (= 34/70).
    assert proportion_change(3, 4, 1, 4).p_value == pytest.approx(34 / 70, rel=1e-9)
    # Equal shares leave nothing to explain.
    assert proportion_change(10, 20, 5, 10).p_value == pytest.approx(1.0)


def test_a_share_compared_as_a_share_not_as_a_count():
    """The sample's complaints, 2026Q3: 44 of 46 closed within target against 57 of 70. Fisher's exact test gives
    p = 0.027, a real change; the Poisson test of the two counts (44 against 57 over 46 and 70 closings) gives 0.42."""
    share = proportion_change(44, 46, 57, 70)
    assert share.p_value == pytest.approx(0.02665, abs=5e-5)
    assert share.judgement() == "a change in the share larger than normal variation"
    assert not poisson_change(44, 57, 46, 70).beyond_normal_variation
    # The within clause names the share too, and neither clause is a count's.
    within = proportion_change(8, 20, 5, 10)
    assert within.judgement() == "within normal variation for a share"
    assert {share.judgement(), within.judgement()}.isdisjoint({poisson_change(51, 58).judgement(),
                                                                 poisson_change(120, 60).judgement()})


@pytest.mark.parametrize("x1, n1, x2, n2", [(1, 0, 2, 5), (6, 5, 2, 5), (-1, 5, 2, 5), (2, 5, 0, 0)])
def test_proportion_change_refuses_what_is_not_a_share(x1, n1, x2, n2):
    with pytest.raises(ValueError, match="a share needs"):
        proportion_change(x1, n1, x2, n2)


def test_wilson_interval_reference():
    # 81 of 263 (Wilson 95%): 0.2553 to 0.3662, as published for this textbook example (Newcombe 1998).
    low, high = wilson_interval(81, 263)
    assert low == pytest.approx(0.2553, abs=1e-4) and high == pytest.approx(0.3662, abs=1e-4)
    assert wilson_interval(0, 0) is None


# --- Tests the stops section uses, against statsmodels (an independent implementation) -------------------

PAIRS = [(30, 47, 16, 40), (0, 12, 5, 30), (12, 12, 20, 25), (1, 200, 9, 180), (81, 263, 40, 250), (5, 5, 0, 7)]


@pytest.mark.parametrize("x1, n1, x2, n2", PAIRS)
def test_two_proportion_test_and_newcombe_interval_equal_statsmodels(x1, n1, x2, n2):
    import warnings

    from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

    from transparency.figures.stats import newcombe_interval, two_proportion_p

    pooled = (x1 + x2) / (n1 + n2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected_p = 1.0 if pooled in (0.0, 1.0) else proportions_ztest([x1, x2], [n1, n2])[1]
    assert two_proportion_p(x1, n1, x2, n2) == pytest.approx(expected_p, rel=1e-9, abs=1e-15)
    low, high = confint_proportions_2indep(x1, n1, x2, n2, method="newcombe", compare="diff")
    assert newcombe_interval(x1, n1, x2, n2) == pytest.approx((low, high), abs=1e-12)


def test_logistic_regression_equals_statsmodels_logit():
    import numpy as np
    import pandas as pd
    from statsmodels.discrete.discrete_model import Logit

    from transparency.figures.stats import logistic_regression

    rng = np.random.default_rng(7)
    n = 2000
    design = pd.DataFrame({"Intercept": 1.0, "is_dark": (rng.random(n) < 0.4).astype(float),
                           "minute": rng.uniform(-1, 1, n), "district_b": (rng.random(n) < 0.5).astype(float)})
    logit = -0.3 + 0.5 * design["is_dark"] + 0.8 * design["minute"] - 0.2 * design["district_b"]
    outcome = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(float).to_numpy()
    fitted = logistic_regression(outcome, design)
    expected = Logit(outcome, design).fit(disp=0, maxiter=200)
    for name in design.columns:
        assert fitted.params[name] == pytest.approx(expected.params[name], abs=1e-9)
        assert fitted.std_errors[name] == pytest.approx(expected.bse[name], rel=1e-7)
        assert fitted.interval(name) == pytest.approx(tuple(expected.conf_int(alpha=0.05).loc[name]), abs=1e-8)
        assert fitted.p_value(name) == pytest.approx(expected.pvalues[name], rel=1e-6, abs=1e-300)


def test_logistic_regression_refuses_an_outcome_a_term_predicts_perfectly():
    import numpy as np
    import pandas as pd

    from transparency.figures.stats import logistic_regression

    x = np.linspace(-1, 1, 50)
    design = pd.DataFrame({"Intercept": 1.0, "x": x})
    with pytest.raises(ValueError, match="cannot be fitted|did not converge"):
        logistic_regression((x > 0).astype(float), design)
