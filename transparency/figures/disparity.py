"""Tests for racial disparity in stops and searches: rates with intervals, the outcome test, the veil of darkness.

Functions take a canonical ``stops`` table (or any table with a group column and yes/no columns) and
return raw figures; sections publish them through ``Section.table``, which suppresses small counts.
The statistics are in :mod:`transparency.figures.stats`: Wilson intervals for shares, exact Poisson intervals for
rates per resident, the two-proportion test with Newcombe's interval, and a logistic regression (with a
patsy natural-spline basis for clock time) for the veil-of-darkness test, as the Stanford Open Policing
Project runs it. Each is tested against statsmodels, which the package does not import (it takes about
1 s to import, in the notebook that needs it).

What each test can and cannot show is written, in plain words, by the sentence functions at the end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from transparency.core import fmt, registry
from transparency.reading.timeofday import time_known, unknown_times

from .stats import ALPHA, logistic_regression, newcombe_interval, two_proportion_p, wilson_interval
from .suntimes import with_sun

#: The smallest group a rate is shown for: 30 stops for a search or frisk rate, 30 searches for a
#: hit rate. Below this a rate swings too much from chance to mean anything. The agency's
#: suppression threshold is the floor (never lower than ``min_count``).
MIN_BASE = 30
#: The group every other group is compared with.
REFERENCE = "White"
#: Columns of an interval, in every table.
LOW, HIGH = "Interval low (%)", "Interval high (%)"


def min_base(min_count: int) -> int:
    """The smallest group a rate is shown for with this agency's suppression threshold."""
    return max(MIN_BASE, int(min_count))


def race_order() -> list[str]:
    """Canonical race categories, in the schema's order (Unknown last)."""
    return list(registry.enums()["race"].values)


def as_flag(series: pd.Series) -> pd.Series:
    """A yes/no column as nullable booleans (unknown stays missing)."""
    return series.astype("boolean")


# --- Rates with intervals --------------------------------------------------------------------------------


def proportion(successes: int, trials: int, smallest: int) -> tuple[float | None, float | None, float | None]:
    """A share as a percentage with its 95% Wilson interval; all None below ``smallest`` trials."""
    if trials < smallest or trials <= 0:
        return None, None, None
    low, high = wilson_interval(int(successes), int(trials))
    return 100 * successes / trials, 100 * low, 100 * high


def group_rates(
    rows: pd.DataFrame,
    flag: str,
    *,
    among: pd.Series | None = None,
    group: str = "subject_race",
    base_label: str = "Stops",
    count_label: str = "Count",
    rate_label: str = "Rate (%)",
    smallest: int = MIN_BASE,
    reference: str = REFERENCE,
) -> pd.DataFrame:
    """How often a yes/no field is true in each group, with a 95% interval and the ratio to the reference group.

    Parameters
    ----------
    rows : DataFrame
        One row per person stopped.
    flag : str
        The yes/no column (``search_conducted``). Rows where it is unknown are left out of the base.
    among : boolean Series, optional
        Only these rows form the base (for hit rates: the rows that were searched).
    group : str
        The grouping column (race).
    smallest : int
        Groups with a smaller base get no rate (see :data:`MIN_BASE`).

    Returns
    -------
    DataFrame
        Indexed by group (canonical order, groups with a base only): ``base_label``, ``count_label``
        (whole numbers), ``rate_label``, :data:`LOW`, :data:`HIGH` (percentages) and ``Times the
        <reference> rate``.
    """
    chosen = rows if among is None else rows[among.reindex(rows.index, fill_value=False).fillna(False).astype(bool)]
    known = as_flag(chosen[flag]).notna()
    chosen = chosen[known]
    hits = as_flag(chosen[flag]).fillna(False).astype(bool)
    labels = chosen[group].astype("string").fillna("Unknown")
    base = labels.value_counts()
    count = labels[hits].value_counts()
    order = [g for g in race_order() if g in base.index] + sorted(g for g in base.index if g not in race_order())
    table = pd.DataFrame(
        {base_label: base.reindex(order).fillna(0).astype("int64"), count_label: count.reindex(order).fillna(0).astype("int64")},
        index=pd.Index(order, name="Race"),
    )
    figures = [proportion(k, n, smallest) for k, n in zip(table[count_label], table[base_label])]
    table[rate_label] = pd.array([f[0] for f in figures], dtype="Float64")
    table[LOW] = pd.array([f[1] for f in figures], dtype="Float64")
    table[HIGH] = pd.array([f[2] for f in figures], dtype="Float64")
    reference_rate = figures[order.index(reference)][0] if reference in order else None
    ratio = [
        f[0] / reference_rate if f[0] is not None and reference_rate else None for f in figures
    ]
    table[f"Times the {reference} rate"] = pd.array(ratio, dtype="Float64")
    return table


def rounded(value: float | None, digits: int = 1) -> float | None:
    """A figure rounded as the reports round (:func:`transparency.core.fmt.rounded`), or None.

    Tables hold figures at full precision; :meth:`transparency.sections.section.Section.table` rounds them once.
    """
    return fmt.rounded(value, digits)


def poisson_rate_interval(count: int, exposure: float, per: float = 1000) -> tuple[float, float]:
    """Exact (Garwood) 95% interval for ``count`` events among ``exposure`` people, per ``per`` people."""
    from .stats import poisson_interval

    low, high = poisson_interval(int(count))
    return low * per / exposure, high * per / exposure


def population_rates(
    rows: pd.DataFrame,
    population: dict[str, int] | None,
    *,
    group: str = "subject_race",
    count_label: str = "Stops",
    id_field: str | None = None,
    reference: str = REFERENCE,
) -> pd.DataFrame:
    """Counts by race beside each group's share of residents, its rate per 1,000 residents with a 95%
    interval, and that rate as a multiple of the reference group's rate.

    Groups without a population figure (and ``Unknown``) get no rate. Without any population the
    table holds counts and shares of the total only.
    """
    labels = rows[group].astype("string").fillna("Unknown")
    if id_field:
        counts = rows.assign(_g=labels).groupby("_g")[id_field].nunique()
    else:
        counts = labels.value_counts()
    population = dict(population or {})
    order = [g for g in race_order() if g in counts.index or g in population]
    order += sorted(g for g in counts.index if g not in order)
    table = pd.DataFrame({count_label: counts.reindex(order).fillna(0).astype("int64")}, index=pd.Index(order, name="Race"))
    total = int(table[count_label].sum())
    noun = count_label.lower()
    table[f"Share of {noun} (%)"] = pd.array([100 * n / total if total else None for n in table[count_label]], dtype="Float64")
    if not population:
        return table
    residents_total = sum(population.values())
    table["Share of residents (%)"] = pd.array(
        [100 * population[g] / residents_total if g in population else None for g in order], dtype="Float64"
    )
    rates, lows, highs = [], [], []
    for race, n in table[count_label].items():
        residents = population.get(race)
        if not residents:
            rates.append(None), lows.append(None), highs.append(None)
            continue
        low, high = poisson_rate_interval(n, residents)
        rates.append(1000 * n / residents), lows.append(low), highs.append(high)
    table["Per 1,000 residents"] = pd.array(rates, dtype="Float64")
    table["Interval low"] = pd.array(lows, dtype="Float64")
    table["Interval high"] = pd.array(highs, dtype="Float64")
    reference_rate = rates[order.index(reference)] if reference in order else None
    table[f"Times the {reference} rate"] = pd.array(
        [r / reference_rate if r is not None and reference_rate else None for r in rates], dtype="Float64"
    )
    return table


# --- The outcome (hit-rate) test -----------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """One group's share against the reference group's: the difference in percentage points,
    its 95% interval, and the two-sided p-value of the two-proportion test."""

    difference: float
    low: float
    high: float
    p_value: float

    @property
    def beyond_chance(self) -> bool:
        return self.p_value < ALPHA

    @property
    def direction(self) -> str:
        """``lower``, ``higher`` or ``same`` (no difference beyond chance)."""
        if not self.beyond_chance:
            return "same"
        return "lower" if self.difference < 0 else "higher"


def compare_proportions(successes: int, trials: int, ref_successes: int, ref_trials: int) -> Comparison:
    """Compare a group's share with the reference group's.

    The p-value is the pooled two-proportion z-test (:func:`~transparency.figures.stats.two_proportion_p`;
    the same as a chi-square test of the 2 x 2 table without continuity correction). The interval of
    the difference is Newcombe's hybrid score interval (:func:`~transparency.figures.stats.newcombe_interval`),
    which behaves well for small shares. Both equal statsmodels' ``proportions_ztest`` and
    ``confint_proportions_2indep(method="newcombe")`` (tested), without its import (about 0.6 s).
    """
    difference = successes / trials - ref_successes / ref_trials
    p_value = two_proportion_p(successes, trials, ref_successes, ref_trials)
    low, high = newcombe_interval(successes, trials, ref_successes, ref_trials)
    return Comparison(100 * difference, 100 * float(low), 100 * float(high), float(p_value))


#: The outcome test's finding for each group, as a table shows it (explained in the table's note).
FINDING_WORDS = {
    "reference": "Compared with",
    "lower": "Lower",
    "higher": "Higher",
    "same": "No clear gap",
    "too_few": "Too few to test",
}


def outcome_test(
    rows: pd.DataFrame,
    *,
    group: str = "subject_race",
    searched: str = "search_conducted",
    found: str = "contraband_found",
    reference: str = REFERENCE,
    smallest: int = MIN_BASE,
) -> pd.DataFrame:
    """Hit rates (contraband found per search) by race, each compared with the reference group's.

    Returns
    -------
    DataFrame
        Indexed by race (groups with at least one search; ``Unknown`` is not tested): ``Searches``,
        ``Found contraband``, ``Hit rate (%)`` with :data:`LOW` and :data:`HIGH`, ``Difference from
        <reference> (points)`` with ``Difference low`` / ``Difference high``, ``p_value`` and
        ``Finding`` (words from :data:`FINDING_WORDS`). Groups (or a reference) with fewer than
        ``smallest`` searches get no rate and no test.
    """
    searched_rows = as_flag(rows[searched]).fillna(False).astype(bool)
    table = group_rates(rows, found, among=searched_rows, group=group, base_label="Searches",
                        count_label="Found contraband", rate_label="Hit rate (%)", smallest=smallest, reference=reference)
    table = table.drop(columns=[f"Times the {reference} rate"])
    diff_label = f"Difference from {reference} (points)"
    differences, lows, highs, p_values, findings = [], [], [], [], []
    ref = table.loc[reference] if reference in table.index else None
    ref_ok = ref is not None and ref["Searches"] >= smallest
    for race, row in table.iterrows():
        if race == reference:
            differences.append(None), lows.append(None), highs.append(None), p_values.append(None)
            findings.append("reference" if ref_ok else "too_few")
            continue
        if not ref_ok or row["Searches"] < smallest or race == "Unknown":
            differences.append(None), lows.append(None), highs.append(None), p_values.append(None)
            findings.append("too_few" if race != "Unknown" else None)
            continue
        result = compare_proportions(int(row["Found contraband"]), int(row["Searches"]),
                                     int(ref["Found contraband"]), int(ref["Searches"]))
        differences.append(result.difference), lows.append(result.low), highs.append(result.high)
        p_values.append(result.p_value)
        findings.append(result.direction)
    table[diff_label] = pd.array(differences, dtype="Float64")
    table["Difference low"] = pd.array(lows, dtype="Float64")
    table["Difference high"] = pd.array(highs, dtype="Float64")
    table["p_value"] = pd.array(p_values, dtype="Float64")
    table["Finding"] = pd.array([FINDING_WORDS.get(f) if f else None for f in findings], dtype="string")
    return table


# --- The veil-of-darkness test --------------------------------------------------------------------------


@dataclass
class VeilResult:
    """The veil-of-darkness test on a set of traffic stops.

    ``status`` is ``ok`` when the models ran; otherwise ``no_location``, ``no_stops`` (no traffic
    stops with a time in the window), ``too_few`` (fewer than the smallest group in light or dark)
    or ``model_failed``. ``counts`` holds, for ``Daylight`` and ``Dark``, the stops of the minority
    and the reference group. ``odds_ratio`` (with its 95% interval and p-value) is exp of the darkness
    coefficient of ``is_minority ~ is_dark + ns(clock minute, 6)``; the ``_district`` figures add the
    district as a control.
    """

    status: str
    minority: str = "Black"
    reference: str = REFERENCE
    window: tuple[float, float] | None = None
    time_unknown: int = 0  # stops with a date but no recorded time of day, left out
    stops_in_window: int = 0
    twilight_dropped: int = 0
    counts: pd.DataFrame | None = None
    odds_ratio: float | None = None
    odds_low: float | None = None
    odds_high: float | None = None
    p_value: float | None = None
    odds_ratio_district: float | None = None
    odds_low_district: float | None = None
    odds_high_district: float | None = None
    p_value_district: float | None = None

    @property
    def beyond_chance(self) -> bool:
        return self.p_value is not None and self.p_value < ALPHA

    def share(self, light: str) -> float | None:
        """The minority's share (0-1) of the two groups' stops in ``Daylight`` or ``Dark``."""
        if self.counts is None:
            return None
        row = self.counts.loc[light]
        total = row[self.minority] + row[self.reference]
        return row[self.minority] / total if total else None


def veil_window(sun: pd.DataFrame) -> tuple[float, float]:
    """The inter-twilight window: from the earliest to the latest dusk of the days given."""
    return float(sun["dusk"].min()), float(sun["dusk"].max())


def _logit_darkness(frame: pd.DataFrame, formula: str) -> tuple[float, float, float, float]:
    """Fit a logistic model and return the darkness odds ratio, its 95% interval and p-value."""
    import patsy

    outcome, design = patsy.dmatrices(formula, frame, return_type="dataframe")
    fitted = logistic_regression(outcome.to_numpy(), design, confidence=1 - ALPHA)
    column = "is_dark"
    coefficient = fitted.params[column]
    low, high = fitted.interval(column)
    if not all(math.isfinite(v) for v in (coefficient, low, high)):
        raise ValueError("the model did not converge")
    return math.exp(coefficient), math.exp(low), math.exp(high), fitted.p_value(column)


def veil_of_darkness(
    rows: pd.DataFrame,
    lat: float | None,
    lon: float | None,
    timezone: str,
    *,
    time: str = "occurred_at",
    group: str = "subject_race",
    minority: str = "Black",
    reference: str = REFERENCE,
    district: str | None = None,
    spline_df: int = 6,
    smallest: int = MIN_BASE,
) -> VeilResult:
    """Run the veil-of-darkness test (Grogger and Ridgeway; Stanford Open Policing Project's recipe).

    Steps: keep stops whose clock time lies between the earliest and the latest dusk of the days in
    the data (the inter-twilight window), drop those between that day's sunset and dusk (neither
    light nor dark), keep the minority and the reference group, call a stop dark when it came after
    dusk, and fit ``is_minority ~ is_dark + ns(minute, df=6)`` by logistic regression (a second model
    adds the district). An odds ratio below 1 means the minority made up a smaller share of stops
    after dark than in daylight at the same clock time.

    ``rows`` should be traffic stops only (the test is about seeing a driver's race).
    """
    if lat is None or lon is None:
        return VeilResult("no_location", minority, reference)
    # A date kept without its time reads as midnight: such stops are left out, and counted.
    unknown = unknown_times(rows, time)
    rows = rows[time_known(rows, time)]
    if rows.empty:
        return VeilResult("no_stops", minority, reference, time_unknown=unknown)
    sun = with_sun(rows[time], lat, lon, timezone)
    known = sun.dropna()
    if known.empty:
        return VeilResult("no_stops", minority, reference, time_unknown=unknown)
    start, end = veil_window(known)
    in_window = (sun["minute"] >= start) & (sun["minute"] <= end)
    twilight = in_window & (sun["minute"] > sun["sunset"]) & (sun["minute"] < sun["dusk"])
    chosen = in_window & ~twilight & rows[group].isin([minority, reference]).fillna(False).astype(bool)
    frame = pd.DataFrame(
        {
            "is_minority": (rows.loc[chosen, group] == minority).astype(int).to_numpy(),
            "is_dark": (sun.loc[chosen, "minute"] > sun.loc[chosen, "dusk"]).astype(int).to_numpy(),
            "minute": sun.loc[chosen, "minute"].to_numpy(dtype=float),
        }
    )
    if district and district in rows:
        frame["district"] = rows.loc[chosen, district].astype("string").fillna("Not recorded").to_numpy(dtype=object)
    light_dark = np.where(frame["is_dark"] == 1, "Dark", "Daylight")
    who = np.where(frame["is_minority"] == 1, minority, reference)
    counts = pd.crosstab(pd.Series(light_dark, name="Light"), pd.Series(who, name="Race")).reindex(
        index=["Daylight", "Dark"], columns=[minority, reference], fill_value=0
    ).astype("int64")
    result = VeilResult("ok", minority, reference, window=(start, end), time_unknown=unknown, stops_in_window=int(in_window.sum()),
                        twilight_dropped=int(twilight.sum()), counts=counts)
    if (counts.sum(axis=1) < smallest).any() or (counts.to_numpy() == 0).any():
        result.status = "too_few"
        return result
    spline = f"cr(minute, df={spline_df}, constraints='center')"
    try:
        result.odds_ratio, result.odds_low, result.odds_high, result.p_value = _logit_darkness(
            frame, f"is_minority ~ is_dark + {spline}")
    except Exception:  # a singular or separated fit: say the model could not be run, never crash the report
        result.status = "model_failed"
        return result
    if "district" in frame and frame["district"].nunique() > 1:
        try:
            (result.odds_ratio_district, result.odds_low_district, result.odds_high_district,
             result.p_value_district) = _logit_darkness(frame, f"is_minority ~ is_dark + {spline} + C(district)")
        except Exception:  # the simpler model stands on its own
            pass
    return result


# --- Plain words --------------------------------------------------------------------------------------


def clock(minutes: float) -> str:
    """A local clock minute as a reader writes it: 1,005 -> "4:45 p.m."."""
    whole = int(round(minutes)) % (24 * 60)
    hour, minute = divmod(whole, 60)
    suffix = "a.m." if hour < 12 else "p.m."
    shown = hour % 12 or 12
    return f"{shown}:{minute:02d} {suffix}"


def ratio_words(ratio: float) -> str:
    """A ratio of two rates in words: 2.1 -> "2.1 times", 0.5 -> "half"."""
    if abs(ratio - 0.5) < 0.005:
        return "half"
    return f"{fmt.number(ratio, 1)} times"


__all__ = [
    "FINDING_WORDS", "HIGH", "LOW", "MIN_BASE", "REFERENCE", "Comparison", "VeilResult", "as_flag", "clock",
    "compare_proportions", "group_rates", "min_base", "outcome_test", "poisson_rate_interval", "population_rates",
    "proportion", "race_order", "ratio_words", "rounded", "veil_of_darkness", "veil_window",
]
