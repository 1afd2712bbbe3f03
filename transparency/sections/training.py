"""The training section: hours per sworn officer, required training completed, courses, and the trend.

One row is one officer completing one course. The required categories (``required_training``) and the
number of sworn officers (``sworn_officers``) come from the agency configuration. An officer has completed
a required category when they finished at least one course in it; shares are of the sworn count, in the
period and in the twelve months that end with it.
"""

from __future__ import annotations

import pandas as pd

from transparency.core import fmt
from transparency.core.periods import Period, parse_period
from transparency.writing import analysis, charts

from . import _common
from .community_surveys import fit_title, share_bars
from .section import Section

SOURCE_NOTE = "Source: the department's training records. One completion is one officer finishing one course."
PERIOD_SHARE = "Share of sworn officers, this period (%)"
YEAR_SHARE = "Share of sworn officers, last 12 months (%)"


def sworn(sec: Section) -> int | None:
    """The number of sworn officers from the agency configuration (None when not given)."""
    return sec.agency.model.sworn_officers


def required(sec: Section) -> list[str]:
    """The required training categories from the agency configuration, in its order."""
    return list(sec.agency.model.required_training or [])


def twelve_months(period: Period) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The twelve months that end with the period: ``start <= day < end``."""
    end = pd.Timestamp(period.end)
    return end - pd.DateOffset(months=12), end


def last_twelve_months(sec: Section) -> pd.DataFrame:
    start, end = twelve_months(sec.period)
    when = sec.data[sec.event]
    return sec.data[(when >= start) & (when < end)]


def _in_category(rows: pd.DataFrame, category: str) -> pd.DataFrame:
    return rows[rows["category"].astype("string").str.strip().str.lower() == category.strip().lower()]


def _hours(rows: pd.DataFrame) -> float:
    return float(pd.to_numeric(rows["hours"], errors="coerce").fillna(0).sum())


def summary(sec: Section) -> list[str]:
    """Completions and their change, hours per sworn officer, officers trained, and required training at a glance."""
    current = sec.count(sec.period)
    sentences = _common.change_sentences(sec, "course completions", "course completion")
    officers = sec.value("officers_trained")
    if current:
        if officers is None:
            sentences.append(f"Fewer than {sec.min_count} different officers completed a course.")
        else:
            sentences.append(f"In all, {fmt.count(officers, sec.min_count)} different officers completed at least one course.")
    if sec.recorded("hours") and current:
        hours = _hours(sec.rows)
        text = f"They completed {fmt.number(hours, 0)} hours of training in all"
        if sworn(sec):
            text += (f": {fmt.number(hours / sworn(sec), 1)} hours per sworn officer "
                     f"(the department has {fmt.count(sworn(sec), None)} sworn officers)")
        sentences.append(text + ".")
    table = required_table(sec)
    if table is not None and sworn(sec):
        shares = {c: v for c, v in table[YEAR_SHARE].items() if not pd.isna(v)}
        counts = table["Officers, last 12 months"]
        if shares and all(counts[c] >= sec.min_count or counts[c] == 0 for c in shares):
            low = min(shares, key=shares.get)
            high = max(shares, key=shares.get)
            sentences.append(
                f"In the 12 months to the end of {twelve_months(sec.period)[1] - pd.Timedelta(days=1):%B %Y}, "
                "the share of sworn officers who "
                f"completed each type of required training ranged from {fmt.pct(shares[low] / 100)} "
                f"({low.lower()}) to {fmt.pct(shares[high] / 100)} ({high.lower()})."
            )
    return [s for s in sentences if s]


def required_table(sec: Section) -> pd.DataFrame | None:
    """Officers who completed each required category this period and in the last 12 months, and their share of sworn officers."""
    categories = required(sec)
    if not categories or not sec.recorded("category"):
        return None
    year = last_twelve_months(sec)
    rows = []
    for category in categories:
        now = int(_in_category(sec.rows, category)["officer_id"].nunique())
        over_year = int(_in_category(year, category)["officer_id"].nunique())
        row = {"Required training": sec.label("category")(category), "Officers, this period": now, "Officers, last 12 months": over_year}
        if sworn(sec):
            row[PERIOD_SHARE] = 100 * now / sworn(sec)
            row[YEAR_SHARE] = 100 * over_year / sworn(sec)
        rows.append(row)
    order = ["Required training", "Officers, this period"] + ([PERIOD_SHARE] if sworn(sec) else []) + \
        ["Officers, last 12 months"] + ([YEAR_SHARE] if sworn(sec) else [])
    table = pd.DataFrame(rows)[order].set_index("Required training")
    for column in (PERIOD_SHARE, YEAR_SHARE):
        if column in table:
            table[column] = table[column].astype("Float64")
    return table


def required_rates(table: pd.DataFrame | None) -> dict[str, str] | None:
    if table is None or PERIOD_SHARE not in table:
        return None
    return {PERIOD_SHARE: "Officers, this period", YEAR_SHARE: "Officers, last 12 months"}


def required_missing(sec: Section) -> str:
    if not required(sec):
        return "The agency has not listed which training is required, so completion of required training is not shown."
    return "The department does not record a category for each course, so required training cannot be counted."


def required_note(sec: Section, table: pd.DataFrame | None) -> str | None:
    if table is None:
        return None
    start, end = twelve_months(sec.period)
    last_day = end - pd.Timedelta(days=1)
    note = (f"The last 12 months run from {start:%B} {start.day}, {start.year} to {last_day:%B} {last_day.day}, {last_day.year}. "
            "An officer counts once per type of training, however many courses of that type they finished.")
    if sworn(sec):
        note += f" Shares are of the department's {fmt.count(sworn(sec), None)} sworn officers."
        if YEAR_SHARE in table and (table[YEAR_SHARE].dropna() > 100).any():
            note += (" A share above 100% means more officers were trained than the sworn count, which is one figure "
                     "for the whole period: officers who joined or left are counted too.")
    return note


def required_chart(sec: Section, published: pd.DataFrame | None):
    """Bars of the share of sworn officers who completed each required category in the last 12 months."""
    if published is None or YEAR_SHARE not in published:
        return None
    labels = [str(i) for i in published.index]
    shares = [None if pd.isna(v) else float(v) for v in published[YEAR_SHARE]]
    known = [(v, label) for v, label in zip(shares, labels) if v is not None]
    if not known:
        return None
    high, low = max(known), min(known)
    title = (f"Over 12 months, {high[1].lower()} training reached {fmt.number(high[0], 1)}% of sworn officers "
             f"and {low[1].lower()} {fmt.number(low[0], 1)}%")
    top = 100.0 if max(v for v, _ in known) <= 100 else None
    fig = share_bars(labels, shares, title=title, value_label="Share of sworn officers (%)", note=SOURCE_NOTE, top=top)
    alt = analysis.series_alt("Bar chart", "the share of sworn officers who completed each required type of training "
                              "in the last 12 months", labels, shares, unit="%")
    return fig, alt


def courses(sec: Section, top: int = 12) -> pd.DataFrame:
    """Completions and hours for each course this period (the most completed courses, the rest added up)."""
    rows = sec.labelled(sec.rows, "course")
    table = analysis.breakdown(rows, "course", label="Course", count_label="Completions", top=top, other_label="All other courses")
    if sec.recorded("category"):
        first = rows.dropna(subset=["category"]).groupby("course")["category"].first()
        kinds = []
        for course in table.index:
            if course in first.index:
                kinds.append(sec.label("category")(first[course]))
            else:
                kinds.append("Several" if course == "All other courses" and course not in set(rows["course"]) else "Not recorded")
        table.insert(0, "Type of training", kinds)
    if sec.recorded("hours"):
        by_course = pd.to_numeric(rows["hours"], errors="coerce").groupby(rows["course"]).sum()
        named = [c for c in table.index if c in by_course.index]
        rest = float(by_course.drop(named).sum())
        hours = [float(by_course[c]) if c in by_course.index else rest for c in table.index]
        table["Hours"] = pd.array(hours, dtype="Float64")
    return table


#: The trend table's cells that show headline figures, by column (``Section.period_figures``): the table
#: and metrics.json show one computation, hidden alike.
TREND_FIGURES = {"Completions": "course_completions", "Officers trained": "officers_trained"}


def trend(sec: Section, quarters: int = 8) -> pd.DataFrame:
    """Completions, officers trained, hours and hours per sworn officer, per quarter."""
    table = analysis.trend(sec.data, sec.event, sec.period, quarters)
    table = table.rename(columns={"quarter": "Quarter", "label": "Months", "count": "Completions"}).set_index("Quarter")
    table = table.drop(columns="Months")
    periods = [parse_period(q)[0] for q in table.index]
    table["Officers trained"] = [int(sec.in_period(p)["officer_id"].nunique()) for p in periods]
    if sec.recorded("hours"):
        hours = [_hours(sec.in_period(p)) for p in periods]
        table["Hours"] = pd.array(hours, dtype="Float64")
        if sworn(sec):
            table["Hours per sworn officer"] = pd.array([h / sworn(sec) for h in hours], dtype="Float64")
    return table


def trend_rates(table: pd.DataFrame) -> dict[str, str]:
    return {c: "Completions" for c in ("Hours", "Hours per sworn officer") if c in table}


def trend_chart(sec: Section, published: pd.DataFrame | None):
    if published is None or published.empty:
        return None
    column, unit = ("Hours per sworn officer", "Hours per sworn officer") if "Hours per sworn officer" in published else \
        ("Completions", "Course completions (count)")
    values = [None if pd.isna(v) else float(v) for v in published[column]]
    noun = "training hours per sworn officer" if column != "Completions" else "course completions"
    if column == "Completions":
        title = _common.change_title(sec, noun)
    elif sec.count(sec.period):
        # The summary gives the period's hours per sworn officer and compares no hours: the title states that figure.
        title = f"{fmt.number(_hours(sec.rows) / sworn(sec), 1)} training hours per sworn officer in {sec.period.code}"
    else:
        title = f"{noun.capitalize()} per quarter"
    fig = charts.line_chart(list(published.index), {column: values}, title=title, value_label=unit, x_label="Quarter",
                            note=SOURCE_NOTE, value_format="number" if column != "Completions" else "count")
    alt = analysis.series_alt("Line chart", f"{noun} per quarter", list(published.index), values)
    return fit_title(fig), alt


def method(sec: Section) -> list[str]:
    start, end = twelve_months(sec.period)
    notes = ["A course is counted in the quarter it was completed, by its local date."]
    if sec.recorded("hours"):
        notes.append("Hours are the credit hours the department records for each completed course.")
    if sworn(sec):
        notes.append(f"Hours per sworn officer: all hours of training in the period, divided by the number of sworn "
                     f"officers ({fmt.count(sworn(sec), None)}). The department gives this number for the report.")
    else:
        notes.append("The department has not given its number of sworn officers, so figures per officer are not shown.")
    if required(sec):
        notes.append(f"The department lists these types of training as required: "
                     f"{fmt.join_words([c.lower() for c in required(sec)])}. An officer has done a type of training "
                     "when they finished at least one course of that type.")
    return notes


__all__ = ["courses", "method", "required", "required_chart", "required_missing", "required_note", "required_rates",
           "required_table", "summary", "sworn", "trend", "trend_chart", "trend_rates", "twelve_months"]


def key_answer(sec: Section, published_trend: pd.DataFrame | None):
    """Page 2: are officers being trained? Course completions against the previous period, with the summary's test."""
    from ._common import count_answer

    return count_answer(sec, "Are officers being trained?", "course completions", "course_completions", published_trend,
                        "Completions", singular="course completion")
