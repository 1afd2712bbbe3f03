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


def _z(confidence: float = 1 - ALPHA) -> float:
    """The standard normal quantile of a two-sided interval (1.959964 for 95%)."""
    from scipy.special import ndtri

    return float(ndtri(1 - (1 - confidence) / 2))


def two_proportion_p(successes: int, trials: int, ref_successes: int, ref_trials: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test (the chi-square test of the 2 x 2 table
    without continuity correction); 1 when the pooled share is 0 or 1 (nothing varies to test)."""
    from scipy.special import ndtr

    pooled = (successes + ref_successes) / (trials + ref_trials)
    if pooled <= 0.0 or pooled >= 1.0:
        return 1.0
    difference = successes / trials - ref_successes / ref_trials
    z = difference / math.sqrt(pooled * (1 - pooled) * (1 / trials + 1 / ref_trials))
    return float(2 * ndtr(-abs(z)))


def newcombe_interval(successes: int, trials: int, ref_successes: int, ref_trials: int,
                      confidence: float = 1 - ALPHA) -> tuple[float, float]:
    """Newcombe's hybrid score interval for the difference of two proportions (method 10 of
    Newcombe 1998): each share's Wilson interval, combined. Behaves well for small shares."""
    z = _z(confidence)
    p1, p2 = successes / trials, ref_successes / ref_trials
    low1, high1 = wilson_interval(successes, trials, z)
    low2, high2 = wilson_interval(ref_successes, ref_trials, z)
    difference = p1 - p2
    return (difference - math.sqrt((p1 - low1) ** 2 + (high2 - p2) ** 2),
            difference + math.sqrt((high1 - p1) ** 2 + (p2 - low2) ** 2))


@dataclass(frozen=True)
class LogitFit:
    """A fitted logistic regression: coefficients, standard errors (from the information matrix),
    Wald intervals and p-values, indexed like the design's columns."""

    params: dict[str, float]
    std_errors: dict[str, float]
    confidence: float

    def interval(self, name: str) -> tuple[float, float]:
        z = _z(self.confidence)
        return self.params[name] - z * self.std_errors[name], self.params[name] + z * self.std_errors[name]

    def p_value(self, name: str) -> float:
        from scipy.special import ndtr

        return float(2 * ndtr(-abs(self.params[name] / self.std_errors[name])))


def logistic_regression(outcome: np.ndarray, design, confidence: float = 1 - ALPHA, max_iterations: int = 200,
                        tolerance: float = 1e-8) -> LogitFit:
    """Fit ``P(outcome = 1) = 1 / (1 + exp(-design @ beta))`` by maximum likelihood (Newton's method,
    as statsmodels' ``Logit.fit`` does by default).

    Parameters
    ----------
    outcome : array of 0 and 1
    design : DataFrame
        One column per coefficient (include the intercept column).

    Raises
    ------
    ValueError
        When the fit does not converge (e.g. an outcome perfectly predicted by a column, where the
        estimate runs off to infinity) or the design's columns are not independent.
    """
    names = [str(c) for c in design.columns]
    x = np.asarray(design, dtype=float)
    y = np.asarray(outcome, dtype=float).ravel()
    beta = np.zeros(x.shape[1])
    for _ in range(max_iterations):
        p = 0.5 * (1 + np.tanh(0.5 * (x @ beta)))  # the logistic function, without overflow
        weight = p * (1 - p)
        information = x.T @ (x * weight[:, None])
        try:
            step = np.linalg.solve(information, x.T @ (y - p))
        except np.linalg.LinAlgError:
            raise ValueError("the model cannot be fitted: a term predicts the outcome perfectly, or the terms "
                             "are not independent") from None
        beta = beta + step
        if not np.all(np.isfinite(beta)):
            break
        if np.max(np.abs(step)) < tolerance:
            p = 0.5 * (1 + np.tanh(0.5 * (x @ beta)))
            information = x.T @ (x * (p * (1 - p))[:, None])
            try:
                covariance = np.linalg.inv(information)
            except np.linalg.LinAlgError:
                break
            errors = np.sqrt(np.diag(covariance))
            if np.all(np.isfinite(errors)):
                return LogitFit(dict(zip(names, map(float, beta))), dict(zip(names, map(float, errors))), confidence)
            break
    raise ValueError("the model did not converge")
