"""Tables and sentences that several dataset sections share: trends, breakdowns, benchmarks, changes.

Functions take canonical tables and return plain DataFrames of raw counts (suppression happens when a
section publishes them) or sentences built by :mod:`transparency.writing.narrative`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from transparency.core import fmt, registry
from transparency.core.periods import Period, trailing_quarters
from transparency.figures.stats import poisson_change
from transparency.figures.suppress import suppress_value

from . import charts, narrative
from .labels import label_series


def count_in(table: pd.DataFrame, event: str, period: Period, id_field: str | None = None) -> int:
    """Rows (or distinct ids) of the table whose event date is in the period."""
    rows = table[period.contains(table[event])]
    return int(rows[id_field].nunique()) if id_field else len(rows)


def trend(table: pd.DataFrame, event: str, period: Period, quarters: int = 8, id_field: str | None = None,
          first_date: pd.Timestamp | None = None) -> pd.DataFrame:
    """Counts for each of the last ``quarters`` quarters ending with the period's last quarter.

    Quarters that lie before the data's first date are left out (their count is unknown, not 0).
    Returns columns ``quarter`` (code), ``label`` (words) and ``count``.
    """
    first = table[event].min() if first_date is None else first_date
    rows = []
    for quarter in trailing_quarters(period, quarters):
        if pd.notna(first) and pd.Timestamp(quarter.end) <= first:
            continue
        rows.append({"quarter": quarter.code, "label": quarter.label(), "count": count_in(table, event, quarter, id_field)})
    return pd.DataFrame(rows, columns=["quarter", "label", "count"])


def breakdown(rows: pd.DataFrame, field: str, id_field: str | None = None, label: str = "Category",
              count_label: str = "Count", order: list[str] | None = None, top: int | None = None,
              other_label: str = "All other", labels: Callable[[object], str] | None = None) -> pd.DataFrame:
    """Counts (rows, or distinct ids) by the values of a field, largest first, missing as "Not recorded".

    ``order`` fixes the row order (and includes categories with zero); ``top`` keeps the largest
    categories and adds the rest up under ``other_label``. ``labels`` (a category field's
    :meth:`Section.label <transparency.sections.section.Section.label>`) gives the text shown for each value:
    values that share a label are counted together, and ``order`` is given in stored values.
    """
    values = rows[field].astype("string")
    if labels is not None:
        values = label_series(values, labels)
        if order is not None:
            order = list(dict.fromkeys(labels(v) for v in order))
    values = values.fillna("Not recorded")
    if id_field:
        counts = rows.assign(_v=values).groupby("_v")[id_field].nunique()
    else:
        counts = values.value_counts()
    counts = counts.astype(int)
    if order is not None:
        extra = [v for v in counts.index if v not in order]
        counts = counts.reindex(list(order) + sorted(extra), fill_value=0)
    else:
        counts = counts.sort_values(ascending=False, kind="stable")
        counts = counts.loc[sorted(counts.index, key=lambda v: (-counts[v], str(v)))]
    if top is not None and len(counts) > top:
        head, rest = counts.iloc[:top], counts.iloc[top:]
        if id_field:
            rest_total = int(rows[values.isin(rest.index)][id_field].nunique())
        else:
            rest_total = int(rest.sum())
        counts = pd.concat([head, pd.Series({other_label: rest_total})])
    frame = pd.DataFrame({label: counts.index.astype(str), count_label: counts.to_numpy(dtype="int64")})
    return frame.set_index(label)


#: Rows that are not a category of their own, so a title never calls them "the most common".
CATCH_ALL = ("Not recorded", "All other", "Unknown", "Other or not recorded")


def largest(published: pd.DataFrame, column: str) -> str | None:
    """The label of the largest published value among real categories (None when nothing is published)."""
    values = pd.to_numeric(published[column], errors="coerce").dropna()
    values = values[[str(i) not in CATCH_ALL for i in values.index]]
    return None if values.empty else str(values.idxmax())


def race_benchmark(rows: pd.DataFrame, field: str, population: dict[str, int] | None, id_field: str | None = None,
                   count_label: str = "Count") -> pd.DataFrame:
    """Counts by race beside each group's share of residents and its rate per 1,000 residents.

    Groups with no population figure get no rate. ``Unknown`` has no benchmark.
    """
    races = list(registry.enums()["race"].values)
    table = breakdown(rows, field, id_field, label="Race", count_label=count_label, order=races)
    table = table[(table[count_label] > 0) | table.index.isin(list((population or {}).keys()))]
    if not population:
        return table  # no benchmark: counts only, never empty benchmark columns
    total_population = sum((population or {}).values())
    share = []
    rate = []
    for race, count in table[count_label].items():
        residents = (population or {}).get(race)
        share.append(100 * residents / total_population if residents and total_population else None)
        rate.append(1000 * count / residents if residents else None)
    table["Share of residents (%)"] = pd.array(share, dtype="Float64")
    table["Per 1,000 residents"] = pd.array(rate, dtype="Float64")
    return table


@dataclass(frozen=True)
class CountChange:
    """A period's count against an earlier period's, with what may be published of each.

    The one comparison behind a section's change sentence and its trend chart's title, so the two can never
    disagree. Counts are raw; ``shown_*`` are the published values (None when hidden as a small count or
    not available).
    """

    current: int | None
    previous: int | None
    current_days: float
    previous_days: float
    min_count: int

    @property
    def shown_current(self) -> int | None:
        return suppress_value(self.current, self.min_count) if self.current is not None else None

    @property
    def shown_previous(self) -> int | None:
        return suppress_value(self.previous, self.min_count) if self.previous is not None else None

    @property
    def current_hidden(self) -> bool:
        return self.current is not None and self.shown_current is None

    @property
    def previous_hidden(self) -> bool:
        return self.previous is not None and self.shown_previous is None

    def judgement(self) -> str | None:
        """Whether the change is beyond normal variation (the exact Poisson test); None unless both counts are shown."""
        if self.shown_current is None or self.shown_previous is None:
            return None
        return poisson_change(self.current, self.previous, self.current_days, self.previous_days).judgement()

    def direction(self) -> str | None:
        """"up", "down" or "same"; None when a count is missing, or both are hidden (their order is not published)."""
        if self.current is None or self.previous is None or (self.current_hidden and self.previous_hidden):
            return None
        if self.current == self.previous:
            return "same"
        return "up" if self.current > self.previous else "down"


def count_change(current: int | None, previous: int | None, current_days: float, previous_days: float,
                 min_count: int) -> CountChange:
    """The comparison of a period's count with an earlier period's (see :class:`CountChange`).

    Parameters
    ----------
    current, previous : int or None
        Raw counts; None when the period lies outside the data's coverage.
    current_days, previous_days : float
        The periods' lengths in days, for the exact test.
    min_count : int
        Smallest count that may be published.
    """
    return CountChange(current, previous, current_days, previous_days, min_count)


def describe_count_change(change: CountChange, label: str, previous_label: str, singular: str | None = None) -> str:
    """The summary sentence of a :class:`CountChange`: "There were 51 incidents, down 12.1% from 58 in the previous
    quarter, within normal variation." Small counts are never printed; the judgement needs both counts."""
    return narrative.describe_change(
        label=label, current=change.shown_current, previous=change.shown_previous, previous_label=previous_label,
        singular=singular, min_count=change.min_count, current_suppressed=change.current_hidden,
        previous_suppressed=change.previous_hidden, judgement=change.judgement(),
    )


def change_title(noun: str, change: CountChange, current_label: str, previous_label: str,
                 fallback: str | None = None) -> str:
    """A chart title that states the same comparison as the summary sentence, with the same numbers and test.

    Parameters
    ----------
    noun : str
        What is counted, as a plural noun: ``"use-of-force incidents"``.
    change : CountChange
        The comparison the summary sentence states (:func:`count_change`).
    current_label, previous_label : str
        The two periods as the chart's axis names them: ``"2025Q3"``, ``"2025Q2"``.
    fallback : str, optional
        The title when no change can be stated (default ``"<Noun> per quarter"``).

    Returns
    -------
    str
        ``"Use-of-force incidents fell 12.1% from 58 in 2025Q2 to 51 in 2025Q3, within normal variation"``;
        a hidden count is written "fewer than 5" and gets no percentage or judgement; with no earlier figure,
        ``"Use-of-force incidents per quarter"`` (no change is stated).
    """
    name = noun[:1].upper() + noun[1:]
    fewer = f"fewer than {change.min_count}"
    direction = change.direction()
    if direction is None:
        if change.current_hidden and change.previous_hidden:
            return f"{fewer.capitalize()} {noun} in {previous_label} and in {current_label}"
        return fallback or f"{name} per quarter"

    def amount(shown: int | None) -> str:
        return fewer if shown is None else "none" if shown == 0 else fmt.count(shown, change.min_count)

    judgement = change.judgement()
    tail = f", {judgement}" if judgement else ""
    if direction == "same":
        if change.current == 0:
            return f"There were no {noun} in {previous_label} or {current_label}"
        # Equal counts are within normal variation by definition: the title does not need to say so.
        return f"{name} stayed at {amount(change.shown_current)} in {current_label}, the same as in {previous_label}"
    verb = "rose" if direction == "up" else "fell"
    by = ""
    if judgement and change.current and change.previous:
        by = f" {fmt.pct(abs(fmt.relative_change(change.current, change.previous)))}"
    return (f"{name} {verb}{by} from {amount(change.shown_previous)} in {previous_label} to "
            f"{amount(change.shown_current)} in {current_label}{tail}")


def change_sentence(label: str, current: int | None, previous: int | None, previous_label: str,
                    min_count: int, current_days: float, previous_days: float, singular: str | None = None) -> str:
    """"There were 51 incidents, down 12.1% from 58 in the previous quarter, within normal variation."

    Small counts are never printed; the variation judgement needs both counts.
    """
    change = count_change(current, previous, current_days, previous_days, min_count)
    return describe_count_change(change, label, previous_label, singular)


def compare_sentence(current: int | None, previous: int | None, previous_label: str, min_count: int,
                     current_days: float, previous_days: float) -> str:
    """A follow-up comparison: "That is down 6.5% from 123 in the same quarter last year, within normal variation."

    Never prints a small count; says so when the earlier figure is not available.
    """
    if current is None:
        return ""
    published_current = suppress_value(current, min_count)
    if previous is None:
        return f"There is no figure for {previous_label} to compare with."
    published_previous = suppress_value(previous, min_count)
    if published_current is None or published_previous is None:
        earlier = (f"fewer than {min_count}" if published_previous is None
                   else "none" if published_previous == 0 else fmt.count(published_previous, min_count))
        return f"In {previous_label} there were {earlier}."
    judgement = poisson_change(current, previous, current_days, previous_days).judgement()
    if current == previous:
        return f"That is the same as in {previous_label}."
    if previous == 0:
        return f"That is up from none in {previous_label}, {judgement}."
    direction = "up" if current > previous else "down"
    change = fmt.pct(abs(fmt.relative_change(current, previous)))
    return f"That is {direction} {change} from {fmt.count(previous, min_count)} in {previous_label}, {judgement}."


def series_alt(kind: str, noun: str, labels, values, unit: str = "", decimals: int = 1, texts=None) -> str:
    """Alt text that states what a chart shows with its numbers: "Line chart of incidents per quarter: 2025Q4 99, ...".

    Each number is written as the published table shows it (:func:`transparency.writing.charts.column_texts`):
    ``texts`` when given (the table column's texts, for a chart of some of its rows), else the texts of
    ``values``, which are the table's when ``values`` is the table's column.
    """
    values = list(values)
    shown = list(texts) if texts is not None else charts.column_texts(values, decimals, na_rep=fmt.NOT_SHOWN)
    parts = []
    for label, value, text in zip(labels, values, shown):
        parts.append(f"{label} {fmt.NOT_SHOWN}" if fmt.is_missing(value) else f"{label} {text}{unit}")
    return f"{kind} of {noun}: " + "; ".join(parts) + "."


def rate_per(count: int | None, denominator: int | None, per: int) -> float | None:
    """``count`` per ``per`` of ``denominator`` (None when either is missing or the denominator is 0)."""
    if count is None or not denominator:
        return None
    return count * per / denominator


def quarter_words(period: Period) -> tuple[str, str]:
    """How to name the comparison periods in sentences: ("the previous quarter", "the same quarter last year")."""
    if period.kind in ("quarter", "fiscal_quarter"):
        return "the previous quarter", "the same quarter last year"
    return "the previous year", "the year before"


__all__ = [
    "CountChange", "breakdown", "change_sentence", "change_title", "compare_sentence", "count_change", "count_in",
    "describe_count_change", "quarter_words", "race_benchmark", "rate_per", "series_alt", "trend",
]
