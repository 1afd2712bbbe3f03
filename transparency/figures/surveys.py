"""Survey estimates: share agreeing, weights, Kish effective sample size, margin of error, change between waves.

A survey asks a sample of residents, so each share it reports is an estimate. These helpers turn
respondent-level answers into a share with its 95% margin of error, using the survey's weights when it
has them, and judge whether the change between two survey waves is larger than sampling alone would
explain.

Definitions used throughout (and said in the report):

- **Share agreeing**: respondents who answered "agree" or "strongly agree", divided by respondents who
  gave an answer on the five-point agree scale. "Don't know", refusals and blanks are left out of both.
- **Weighted share**: ``sum(w * agree) / sum(w)`` over the respondents who answered.
- **Kish effective sample size**: ``n_eff = (sum w)^2 / sum(w^2)``. It is the number of unweighted
  answers that would give the same precision; it equals ``n`` when every weight is the same.
- **Design effect** (from weighting): ``deff = n / n_eff = 1 + CV^2`` (CV: the coefficient of variation
  of the weights, population form).
- **Margin of error** (95%): ``1.96 * sqrt(p * (1 - p) / n_eff)``, in the same units as ``p``.
- **Change between waves**: the two waves are treated as independent samples; the difference is
  divided by ``sqrt(p1(1-p1)/n_eff1 + p2(1-p2)/n_eff2)`` and judged two-sided at the 5% level, the
  same level :mod:`transparency.figures.stats` uses for counts and shares, and worded as a change in a share.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .stats import ALPHA, share_judgement

#: The normal quantile for a 95% interval.
Z95 = 1.959964
#: Smallest group (respondents who answered) whose share is published; never below the agency's
#: suppression threshold. 30 keeps the margin of error of a share under about 18 points.
MIN_GROUP_SIZE = 30

# Answers on the five-point agree scale, after trimming, lower-casing and straightening apostrophes.
AGREE = frozenset({"agree", "strongly agree", "somewhat agree", "agree strongly", "tend to agree"})
NOT_AGREE = frozenset({
    "disagree", "strongly disagree", "somewhat disagree", "disagree strongly", "tend to disagree",
    "neither agree nor disagree", "neither agree or disagree", "neither", "neutral",
})


def normalise_answer(answer: object) -> str | None:
    """An answer as compared with the scale: trimmed, lower-case, straight apostrophes; None if blank."""
    if answer is None or answer is pd.NA or (isinstance(answer, float) and math.isnan(answer)):
        return None
    text = " ".join(str(answer).replace("\u2019", "'").strip().lower().split())
    return text or None


def agrees(answers: pd.Series | None, values: pd.Series | None = None) -> pd.Series:
    """1.0 for agree or strongly agree, 0.0 for the other three scale points, NA for anything else.

    Parameters
    ----------
    answers : Series of str, optional
        The answer as worded ("Strongly agree"). Matched after trimming and ignoring letter case.
    values : Series of numbers, optional
        The answer's code on a 1-5 scale (5 = strongly agree); used only where ``answers`` is blank
        or not recorded. 4 and 5 agree; 1 to 3 do not; any other code is left out.

    Returns
    -------
    Series of Float64
        Same index; NA for "don't know", refusals, blanks and answers off the scale.
    """
    index = answers.index if answers is not None else values.index
    out = pd.Series(pd.NA, index=index, dtype="Float64")
    if answers is not None:
        norm = answers.map(normalise_answer)
        out = out.mask(norm.isin(AGREE), 1.0).mask(norm.isin(NOT_AGREE), 0.0)
    if values is not None:
        codes = pd.to_numeric(values, errors="coerce")
        fill = pd.Series(pd.NA, index=index, dtype="Float64")
        fill = fill.mask(codes.isin([4, 5]), 1.0).mask(codes.isin([1, 2, 3]), 0.0)
        out = out.fillna(fill)
    return out


def kish_effective_n(weights) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum(w^2)``; 0 for no weights.

    >>> kish_effective_n([1, 1, 2, 4])  # 64 / 22
    2.909090909090909
    """
    w = np.asarray(weights, dtype=float)
    if (w < 0).any() or not np.isfinite(w).all():
        raise ValueError("weights must be finite and not negative")
    squares = float((w ** 2).sum())
    return float(w.sum()) ** 2 / squares if squares else 0.0


def design_effect(weights) -> float:
    """The design effect of weighting, ``n / n_eff`` (1 when every weight is the same).

    >>> design_effect([1, 1, 2, 4])  # 4 * 22 / 64
    1.375
    """
    w = np.asarray(weights, dtype=float)
    effective = kish_effective_n(w)
    return w.size / effective if effective else math.nan


def margin_of_error(share: float, effective_n: float, z: float = Z95) -> float:
    """Half-width of the 95% interval of a share: ``z * sqrt(p (1 - p) / n_eff)`` (NaN when n_eff is 0).

    >>> round(margin_of_error(0.5, 400), 4)  # the familiar "plus or minus 4.9 points" of 400 interviews
    0.049
    """
    if not 0 <= share <= 1:
        raise ValueError(f"a share must be between 0 and 1, got {share!r}")
    if effective_n <= 0:
        return math.nan
    return z * math.sqrt(share * (1 - share) / effective_n)


@dataclass(frozen=True)
class ShareEstimate:
    """A share agreeing with what it rests on.

    ``respondents`` is the number of answers on the scale (unweighted); ``effective_n`` the Kish
    effective sample size; ``margin`` the 95% margin of error, as a proportion like ``share``.
    """

    share: float
    respondents: int
    effective_n: float
    margin: float
    design_effect: float
    weighted: bool

    @property
    def low(self) -> float:
        return max(0.0, self.share - self.margin)

    @property
    def high(self) -> float:
        return min(1.0, self.share + self.margin)


def estimate_share(agree: pd.Series, weights: pd.Series | None = None) -> ShareEstimate | None:
    """The (weighted) share agreeing among answers that are 0 or 1; None when nobody answered.

    Answers that are NA are left out. With ``weights``, answers whose weight is missing or not
    positive are left out too (they cannot be placed in the weighted population).
    """
    frame = pd.DataFrame({"agree": pd.to_numeric(agree, errors="coerce")})
    weighted = weights is not None
    frame["w"] = pd.to_numeric(weights, errors="coerce") if weighted else 1.0
    frame = frame.dropna()
    frame = frame[frame["w"] > 0]
    if frame.empty:
        return None
    y = frame["agree"].to_numpy(dtype=float)
    w = frame["w"].to_numpy(dtype=float)
    share = float((w * y).sum() / w.sum())
    share = min(1.0, max(0.0, share))
    effective = kish_effective_n(w)
    return ShareEstimate(share=share, respondents=len(frame), effective_n=effective,
                         margin=margin_of_error(share, effective), design_effect=len(frame) / effective,
                         weighted=weighted)


def normal_two_sided_p(z: float) -> float:
    """Two-sided p-value of a standard normal statistic.

    >>> round(normal_two_sided_p(1.959964), 4)
    0.05
    """
    return math.erfc(abs(z) / math.sqrt(2))


@dataclass(frozen=True)
class WaveChange:
    """The change in a share between two independent survey waves, in proportion points."""

    difference: float
    standard_error: float
    p_value: float

    @property
    def beyond_normal_variation(self) -> bool:
        return self.p_value < ALPHA

    def judgement(self) -> str:
        """The clauses of a change in a share, as :meth:`transparency.figures.stats.ShareChange.judgement` words them."""
        return share_judgement(self.beyond_normal_variation)


def change_between_waves(current: ShareEstimate, previous: ShareEstimate) -> WaveChange:
    """Compare two waves' shares with a two-sample z-test on their effective sample sizes.

    A weighted share is not a whole number of answers out of a whole number, so Fisher's exact test
    (:func:`transparency.figures.stats.proportion_change`, for shares of records) does not fit it; this test is used
    for weighted and unweighted surveys alike, so that every survey is judged the same way.

    >>> round(change_between_waves(ShareEstimate(0.55, 400, 400, 0, 1, False),
    ...                            ShareEstimate(0.50, 400, 400, 0, 1, False)).p_value, 3)
    0.156
    """
    difference = current.share - previous.share
    variance = (current.share * (1 - current.share) / current.effective_n
                + previous.share * (1 - previous.share) / previous.effective_n)
    se = math.sqrt(variance)
    if se == 0:
        return WaveChange(difference, 0.0, 1.0 if difference == 0 else 0.0)
    return WaveChange(difference, se, normal_two_sided_p(difference / se))


def min_group_size(min_count: int) -> int:
    """The smallest group whose share is published: 30 respondents, never below the suppression threshold."""
    return max(MIN_GROUP_SIZE, int(min_count))


__all__ = [
    "AGREE", "MIN_GROUP_SIZE", "NOT_AGREE", "ShareEstimate", "WaveChange", "Z95", "agrees", "change_between_waves",
    "design_effect", "estimate_share", "kish_effective_n", "margin_of_error", "min_group_size", "normal_two_sided_p",
    "normalise_answer",
]
