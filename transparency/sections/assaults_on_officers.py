"""The assaults-on-officers section: officers assaulted, the incidents, injuries, weapons, the kind of call,
districts, and the rate per 100 sworn officers.

One row is one officer assaulted in one incident (distinct ``incident_id`` is an incident). Records that
repeat another exactly are excluded at load (``duplicate_row``) and listed in the data-quality appendix,
never in the summary.
"""

from __future__ import annotations

import pandas as pd

from transparency.core import fmt
from transparency.figures.suppress import suppress_value
from transparency.writing import analysis, charts, narrative

from . import _common
from .section import Section
from .use_of_force import bar, titled

NOUN = "officers assaulted"
SINGULAR = "officer assaulted"
SOURCE_NOTE = ("Source: the department's records of assaults on officers. Each officer assaulted is counted once "
               "per incident.")
RATE_UNIT = "per 100 sworn officers"

__all__ = [
    "call_types", "district_chart", "districts", "rates", "summary", "trend", "trend_chart", "weapon_chart", "weapons",
]


def _injured(rows: pd.DataFrame) -> pd.Series:
    return rows["officer_injured"].fillna(False).astype(bool)


def summary(sec: Section) -> list[str]:
    """Officers assaulted against the earlier periods, the incidents, injuries, deaths and the rate."""
    sentences = _common.change_sentences(sec, NOUN, SINGULAR)
    assaulted = sec.count(sec.period)
    if assaulted:
        incidents = sec.count(sec.period, "incident_id")
        word = fmt.plural(suppress_value(incidents, sec.min_count), "incident")
        sentences.append(f"They were assaulted in {fmt.count(incidents, sec.min_count)} {word}. One incident can involve several officers.")
        sworn = _common.sworn_officers(sec)
        if sworn:
            # The change itself is judged on the counts above; the sworn strength is one figure for every period.
            sentences.append(_common.rate_sentence(_common.rate(assaulted, sworn, 100),
                                                   "For every 100 sworn officers, {rate} officers were assaulted.", sec.min_count))
        if sec.recorded("officer_injured"):
            injured = int(_injured(sec.rows).sum())
            sentences.append(narrative.describe_share(injured, assaulted, "were injured", NOUN, min_count=sec.min_count))
    if sec.recorded("officer_killed") and assaulted is not None:
        killed = int(sec.rows["officer_killed"].fillna(False).astype(bool).sum())
        if killed == 0:
            sentences.append("No officer was killed.")
        else:
            shown = suppress_value(killed, sec.min_count)
            sentences.append(f"{fmt.count(killed, sec.min_count).capitalize()} {fmt.plural(shown, 'officer was', 'officers were')} killed.")
    return [s for s in sentences if s]


#: The trend table's cells that show headline figures, by column (``Section.period_figures``): the table
#: and metrics.json show one computation, hidden alike.
TREND_FIGURES = {"Officers assaulted": "officers_assaulted", "Incidents": "incidents", "Officers injured": "officers_injured"}


def trend(sec: Section, quarters: int = 8) -> pd.DataFrame:
    """Officers assaulted, incidents and officers injured per quarter over the last ``quarters`` quarters."""
    table = analysis.trend(sec.data, sec.event, sec.period, quarters)
    table = table.rename(columns={"quarter": "Quarter", "label": "Months", "count": "Officers assaulted"}).set_index("Quarter")
    incidents = analysis.trend(sec.data, sec.event, sec.period, quarters, "incident_id")
    table["Incidents"] = incidents["count"].to_numpy(dtype="int64")
    if sec.recorded("officer_injured"):
        injured = analysis.trend(sec.data[_injured(sec.data)], sec.event, sec.period, quarters,
                                 first_date=sec.data[sec.event].min())
        table["Officers injured"] = injured.set_index("quarter")["count"].reindex(table.index, fill_value=0).to_numpy(dtype="int64")
    return table


def trend_chart(sec: Section, published: pd.DataFrame | None):
    """A line per published count (officers assaulted, incidents, officers injured)."""
    if published is None:
        return None
    series = {c: _common.published_values(published, c) for c in published.columns if c != "Months"}
    title = _common.change_title(sec, NOUN)
    fig = charts.line_chart(list(published.index), series, title=title, value_label="Count", x_label="Quarter", note=SOURCE_NOTE)
    alt = " ".join(analysis.series_alt("Line chart", f"{name.lower()} per quarter", list(published.index), values)
                   for name, values in series.items())
    return titled(fig, alt)


def weapons(sec: Section, top: int = 6) -> pd.DataFrame | None:
    """Officers assaulted this period by the weapon used against them (the largest groups, the rest added up)."""
    if not sec.recorded("weapon"):
        return None
    return analysis.breakdown(sec.rows, "weapon", label="Weapon", count_label="Officers assaulted", top=top,
                              labels=sec.label("weapon"))


def weapon_chart(published: pd.DataFrame | None):
    if published is None:
        return None
    title = _common.most_title(published, "Officers assaulted", "was the most common weapon", "Officers assaulted by weapon",
                               "were the most common weapons")
    return bar(published, "Officers assaulted", title=title, value_label="Officers assaulted (count)",
               noun="officers assaulted by weapon", note=SOURCE_NOTE)


def call_types(sec: Section, top: int = 8) -> pd.DataFrame | None:
    """Officers assaulted this period by what the officers were doing (the type of call or activity)."""
    if not sec.recorded("call_type"):
        return None
    return analysis.breakdown(sec.rows, "call_type", label="Type of call or activity", count_label="Officers assaulted", top=top,
                              labels=sec.label("call_type"))


def districts(sec: Section) -> pd.DataFrame | None:
    """Officers assaulted this period by district.

    Incidents are not a second column: beside the officers they would add small counts that force more
    of the table to be hidden, and the two columns are not parts of one total.
    """
    if not sec.recorded("district"):
        return None
    return analysis.breakdown(sec.rows, "district", label="District", count_label="Officers assaulted", labels=sec.label("district"))


def district_chart(published: pd.DataFrame | None):
    if published is None:
        return None
    title = _common.most_title(published, "Officers assaulted", "had the most officers assaulted", "Officers assaulted by district")
    return bar(published, "Officers assaulted", title=title, value_label="Officers assaulted (count)",
               noun="officers assaulted by district", note=SOURCE_NOTE)


def rates(sec: Section) -> pd.DataFrame | None:
    """Officers assaulted per 100 sworn officers, this period and in the comparison periods, with the likely
    range; None when the agency does not give its sworn strength."""
    sworn = _common.sworn_officers(sec)
    if not sworn:
        return None
    return _common.rates_by_period(sec, "Officers assaulted", "Sworn officers", "Per 100 sworn officers", 100,
                                   lambda period: sec.count(period), lambda period: sworn)


def key_answer(sec: Section, published_trend: pd.DataFrame | None):
    """Page 2: how often are officers assaulted? The count against the previous period, with the summary's test."""
    from ._common import count_answer

    return count_answer(sec, "How often are officers assaulted?", NOUN, "officers_assaulted", published_trend,
                        "Officers assaulted", singular=SINGULAR)
