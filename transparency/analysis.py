"""Tables and sentences that several dataset sections share: trends, breakdowns, benchmarks, changes.

Functions take canonical tables and return plain DataFrames of raw counts (suppression happens when a
section publishes them) or sentences built by :mod:`transparency.narrative`.
"""

from __future__ import annotations

import pandas as pd

from . import charts, fmt, narrative, registry
from .periods import Period, trailing_quarters
from .stats import poisson_change
from .suppress import suppress_value


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
              other_label: str = "All other") -> pd.DataFrame:
    """Counts (rows, or distinct ids) by the values of a field, largest first, missing as "Not recorded".

    ``order`` fixes the row order (and includes categories with zero); ``top`` keeps the largest
    categories and adds the rest up under ``other_label``.
    """
    values = rows[field].astype("string").fillna("Not recorded")
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


def change_sentence(label: str, current: int | None, previous: int | None, previous_label: str,
                    min_count: int, current_days: float, previous_days: float, singular: str | None = None) -> str:
    """"There were 51 incidents, down 12.1% from 58 in the previous quarter, within normal variation."

    Small counts are never printed; the variation judgement needs both counts.
    """
    published_current = suppress_value(current, min_count) if current is not None else None
    published_previous = suppress_value(previous, min_count) if previous is not None else None
    judgement = None
    if current is not None and previous is not None and published_current is not None and published_previous is not None:
        judgement = poisson_change(current, previous, current_days, previous_days).judgement()
    return narrative.describe_change(
        label=label, current=published_current, previous=published_previous, previous_label=previous_label,
        singular=singular, min_count=min_count,
        current_suppressed=current is not None and published_current is None,
        previous_suppressed=previous is not None and published_previous is None,
        judgement=judgement,
    )


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


def trend_title(noun: str, trend_table: pd.DataFrame, value_column: str) -> str:
    """A chart title that states the finding of a trend table (first against last quarter shown)."""
    values = trend_table[value_column]
    known = values.dropna()
    if len(known) < 2:
        return f"{noun.capitalize()} per quarter"
    first_label, last_label = trend_table.loc[known.index[0], "quarter"], trend_table.loc[known.index[-1], "quarter"]
    first, last = int(known.iloc[0]), int(known.iloc[-1])
    if first == last:
        return f"{noun.capitalize()} were the same in {last_label} as in {first_label}"
    verb = "rose" if last > first else "fell"
    return f"{noun.capitalize()} {verb} from {first:,} in {first_label} to {last:,} in {last_label}"


def series_alt(kind: str, noun: str, labels, values, unit: str = "", decimals: int = 1, texts=None) -> str:
    """Alt text that states what a chart shows with its numbers: "Line chart of incidents per quarter: 2025Q4 99, ...".

    Each number is written as the published table shows it (:func:`transparency.charts.column_texts`):
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
    "breakdown", "change_sentence", "compare_sentence", "count_in", "quarter_words", "race_benchmark", "rate_per",
    "series_alt", "trend", "trend_title",
]
