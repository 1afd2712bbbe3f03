"""Exact tests against values worked out independently (exact fractions) and published references."""

from __future__ import annotations

from fractions import Fraction
from math import comb

import pytest

from transparency.stats import binomial_two_sided_p, poisson_change, wilson_interval


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


def test_wilson_interval_reference():
    # 81 of 263 (Wilson 95%): 0.2553 to 0.3662, as published for this textbook example (Newcombe 1998).
    low, high = wilson_interval(81, 263)
    assert low == pytest.approx(0.2553, abs=1e-4) and high == pytest.approx(0.3662, abs=1e-4)
    assert wilson_interval(0, 0) is None
