"""Is a change beyond normal variation? Exact tests for counts, intervals for rates."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# A change is called "beyond normal variation" when chance alone would give one this large less
# than 5 times in 100 (a two-sided test at the 5% level).
ALPHA = 0.05


def _binomial_log_pmf(k: np.ndarray, n: int, p: float) -> np.ndarray:
    from scipy.special import gammaln

    return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1) + k * math.log(p) + (n - k) * math.log1p(-p)


def binomial_two_sided_p(k: int, n: int, p: float = 0.5) -> float:
    """Exact two-sided p-value of ``k`` successes in ``n`` trials (minimum-likelihood method, as R's binom.test)."""
    if n == 0:
        return 1.0
    ks = np.arange(n + 1)
    log_pmf = _binomial_log_pmf(ks, n, p)
    observed = log_pmf[k]
    # Outcomes no more likely than the observed one; the small tolerance is R's (1 + 1e-7).
    extreme = log_pmf <= observed + math.log1p(1e-7)
    return float(min(1.0, np.exp(log_pmf[extreme]).sum()))


@dataclass(frozen=True)
class Change:
    """The comparison of two counts over periods of given lengths."""

    current: int
    previous: int
    p_value: float

    @property
    def beyond_normal_variation(self) -> bool:
        return self.p_value < ALPHA

    def judgement(self) -> str:
        """A clause for a sentence: "within normal variation" or "a change beyond normal variation"."""
        if self.beyond_normal_variation:
            return "a change larger than normal variation"
        return "within normal variation"


def poisson_change(current: int, previous: int, current_days: float = 1.0, previous_days: float = 1.0) -> Change:
    """Compare two Poisson counts exactly (conditional test: given the total, the split is binomial).

    Parameters
    ----------
    current, previous : int
        The counts in the two periods.
    current_days, previous_days : float
        The periods' lengths, so that a 92-day quarter is compared fairly with a 90-day one.
    """
    total = int(current) + int(previous)
    share = current_days / (current_days + previous_days)
    return Change(int(current), int(previous), binomial_two_sided_p(int(current), total, share))


def wilson_interval(successes: int, trials: int, z: float = 1.959964) -> tuple[float, float] | None:
    """95% Wilson score interval for a proportion; None when there are no trials."""
    if trials <= 0:
        return None
    phat = successes / trials
    denominator = 1 + z**2 / trials
    centre = (phat + z**2 / (2 * trials)) / denominator
    half = z * math.sqrt(phat * (1 - phat) / trials + z**2 / (4 * trials**2)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def poisson_interval(count: int, confidence: float = 1 - ALPHA) -> tuple[float, float]:
    """Exact (Garwood) interval for the mean of a Poisson count: the range of true means that would
    give a count like this one at least ``1 - confidence`` of the time, split equally between the ends.

    For 0 it is ``(0, 3.69)``; for 10, ``(4.80, 18.39)``.
    """
    if count < 0 or int(count) != count:
        raise ValueError(f"a count must be a whole number of at least 0, got {count!r}")
    from scipy.special import gammaincinv

    count = int(count)
    tail = (1 - confidence) / 2
    # P(X <= k | mean) = 1 - P(k + 1, mean) and P(X >= k | mean) = P(k, mean), with P the regularized
    # lower incomplete gamma function, so each end is one inverse of it (the chi-square form of the
    # Garwood interval).
    upper = float(gammaincinv(count + 1, 1 - tail))
    if count == 0:
        return 0.0, upper
    return float(gammaincinv(count, tail)), upper
