"""Is a change beyond normal variation? Exact tests for counts and for shares, intervals for rates."""

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
        """A clause for a sentence: "within normal variation" or "a change larger than normal variation"."""
        if self.beyond_normal_variation:
            return "a change larger than normal variation"
        return "within normal variation"


#: The clauses for a change in a share, worded apart from those for a count so that a reader can tell
#: which was compared ("95.7% against 81.4%: a change in the share larger than normal variation").
SHARE_BEYOND = "a change in the share larger than normal variation"
SHARE_WITHIN = "within normal variation for a share"


def share_judgement(beyond_normal_variation: bool) -> str:
    """The clause for a change in a share: :data:`SHARE_BEYOND` or :data:`SHARE_WITHIN`."""
    return SHARE_BEYOND if beyond_normal_variation else SHARE_WITHIN


@dataclass(frozen=True)
class ShareChange:
    """The comparison of two shares: ``current`` of ``current_total`` against ``previous`` of ``previous_total``."""

    current: int
    current_total: int
    previous: int
    previous_total: int
    p_value: float

    @property
    def beyond_normal_variation(self) -> bool:
        return self.p_value < ALPHA

    def judgement(self) -> str:
        """A clause for a sentence: "within normal variation for a share" or "a change in the share larger
        than normal variation"."""
        return share_judgement(self.beyond_normal_variation)


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


def proportion_change(current: int, current_total: int, previous: int, previous_total: int) -> ShareChange:
    """Compare two shares with Fisher's exact test (two-sided), as ``scipy.stats.fisher_exact`` computes it.

    A share is a count of records out of a number of records (allegations closed within the target out
    of those closed; pursuits that crashed out of all pursuits). Given both totals and the two counts'
    sum, the test asks how often chance alone would split the sum between the periods as unevenly as
    this. Counts of events over time or per resident are compared with :func:`poisson_change` instead.

    Parameters
    ----------
    current, current_total : int
        The records with the trait in this period, and all the records of this period.
    previous, previous_total : int
        The same for the period compared with.

    Returns
    -------
    ShareChange

    Raises
    ------
    ValueError
        When a count is negative, larger than its total, or a total is 0 (there is no share to compare).

    Examples
    --------
    >>> round(proportion_change(44, 46, 57, 70).p_value, 4)
    0.0267
    >>> proportion_change(44, 46, 57, 70).judgement()
    'a change in the share larger than normal variation'
    """
    numbers = [int(current), int(current_total), int(previous), int(previous_total)]
    current, current_total, previous, previous_total = numbers
    for count, total in ((current, current_total), (previous, previous_total)):
        if total <= 0 or not 0 <= count <= total:
            raise ValueError(f"a share needs 0 <= count <= total and a total above 0, got {count} of {total}")
    from scipy.stats import fisher_exact

    table = [[current, current_total - current], [previous, previous_total - previous]]
    p_value = float(fisher_exact(table, alternative="two-sided").pvalue)
    return ShareChange(current, current_total, previous, previous_total, p_value)


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
