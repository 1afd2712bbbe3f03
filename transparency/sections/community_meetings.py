"""The community-meetings section: meetings officers attended, by type and district, attendance, and the trend.

One row is one meeting (``meeting_id`` is unique). Attendance is the number of residents the organisers
counted; officers present is the number of officers at the meeting. Neither is a count of different
people: someone who came to two meetings is counted twice. Tables suppress small numbers of meetings and
blank the attendance figures that go with them.
"""

from __future__ import annotations

import pandas as pd

from transparency.core import fmt
from transparency.writing import analysis, charts

from . import _common
from .community_surveys import fit_title
from .section import Section

SOURCE_NOTE = "Source: the department's community meeting records. Each meeting is counted once."
# District labels that mean the whole city rather than one district: such meetings are shown, but a
# missing one is not a district without a meeting.
NOT_A_DISTRICT = frozenset({"citywide", "city-wide", "city wide", "all", "all districts", "multiple", "department-wide"})


def _is_district(label: object) -> bool:
    return not pd.isna(label) and str(label).strip().lower() not in NOT_A_DISTRICT


def all_districts(sec: Section) -> list[str]:
    """Every district named in the meeting records in any period (the agency configuration lists none), as
    readers see it (:meth:`Section.label`)."""
    if not sec.recorded("district"):
        return []
    label = sec.label("district")
    return sorted({label(d) for d in sec.data["district"].dropna() if _is_district(d)})


def districts_without_meeting(sec: Section) -> list[str]:
    """Districts with no meeting this period, out of every district that appears in the records."""
    label = sec.label("district")
    held = {label(d) for d in sec.rows["district"].dropna()} if sec.recorded("district") else set()
    return [d for d in all_districts(sec) if d not in held]


def _sum(rows: pd.DataFrame, field_name: str) -> int:
    return int(pd.to_numeric(rows[field_name], errors="coerce").fillna(0).sum())


def summary(sec: Section) -> list[str]:
    """The number of meetings and its change, attendance, officers present, districts without a meeting."""
    current = sec.count(sec.period)
    sentences = _common.change_sentences(sec, "community meetings", "community meeting")
    shown = current is not None and current >= sec.min_count
    counted = int(sec.rows["attendees"].notna().sum()) if sec.recorded("attendees") else 0
    if shown and sec.recorded("attendees") and not counted:
        sentences.append("Attendance was not recorded for these meetings.")
    elif shown and sec.recorded("attendees"):
        total = _sum(sec.rows, "attendees")
        text = f"Organizers counted {fmt.count(total, None)} people at these meetings in all"
        if counted < current:
            text += f" (attendance was recorded for {fmt.count(counted, None)} of the {fmt.count(current, None)} meetings)"
        sentences.append(text + ". A person who came to two meetings is counted twice.")
    if shown and sec.recorded("officers_present"):
        present = _sum(sec.rows, "officers_present")
        known = int(sec.rows["officers_present"].notna().sum())
        if known:
            sentences.append(f"Officers were present {fmt.count(present, None)} times, an average of "
                             f"{fmt.number(present / known, 1)} officers per meeting.")
    if sec.recorded("district") and current:
        missing = districts_without_meeting(sec)
        if not missing:
            sentences.append("Every district had at least one meeting.")
        else:
            sentences.append(f"{'This district' if len(missing) == 1 else 'These districts'} had no meeting: "
                             f"{fmt.join_words(missing)}.")
    return [s for s in sentences if s]


def _table(rows: pd.DataFrame, field_name: str, label: str, order: list[str] | None = None) -> pd.DataFrame:
    """Meetings, attendees and officers present for each value of a field."""
    values = rows[field_name].astype("string").fillna("Not recorded")
    frame = rows.assign(_v=values)
    table = analysis.breakdown(rows, field_name, label=label, count_label="Meetings", order=order)
    for column, field in (("Attendees", "attendees"), ("Officers present", "officers_present")):
        if field in rows:
            sums = pd.to_numeric(frame[field], errors="coerce").groupby(frame["_v"]).sum()
            table[column] = [int(sums.get(i, 0)) for i in table.index]
    return table


def _rates(table: pd.DataFrame) -> dict[str, str]:
    return {c: "Meetings" for c in table.columns if c != "Meetings"}


def types(sec: Section) -> pd.DataFrame | None:
    """Meetings this period by type, with attendance and officers present."""
    if not sec.recorded("meeting_type"):
        return None
    return _table(sec.labelled(sec.rows, "meeting_type"), "meeting_type", "Type of meeting")


def districts(sec: Section) -> pd.DataFrame | None:
    """Meetings this period by district, including districts with none (the whole city last)."""
    if not sec.recorded("district"):
        return None
    every = all_districts(sec)
    rows = sec.labelled(sec.rows, "district")
    others = sorted({str(d) for d in rows["district"].dropna()} - set(every))
    table = _table(rows, "district", "District", order=every + others)
    return table[(table["Meetings"] > 0) | table.index.isin(every)]


def rates(table: pd.DataFrame | None) -> dict[str, str] | None:
    """The columns to blank with a hidden number of meetings."""
    return None if table is None else _rates(table)


#: The trend table's cells that show headline figures, by column (``Section.period_figures``): the table
#: and metrics.json show one computation, hidden alike.
TREND_FIGURES = {"Meetings": "meetings"}


def trend(sec: Section, quarters: int = 8) -> pd.DataFrame:
    """Meetings, and people counted at them, per quarter."""
    table = analysis.trend(sec.data, sec.event, sec.period, quarters)
    table = table.rename(columns={"quarter": "Quarter", "label": "Months", "count": "Meetings"}).set_index("Quarter")
    if sec.recorded("attendees"):
        from transparency.core.periods import parse_period

        table["Attendees"] = [_sum(sec.in_period(parse_period(q)[0]), "attendees") for q in table.index]
    return table


def trend_chart(sec: Section, published: pd.DataFrame | None):
    if published is None or published.empty:
        return None
    values = [None if pd.isna(v) else int(v) for v in published["Meetings"]]
    title = _common.change_title(sec, "community meetings")
    fig = charts.line_chart(list(published.index), {"Meetings": values}, title=title, value_label="Meetings (count)",
                            x_label="Quarter", note=SOURCE_NOTE)
    return fit_title(fig), analysis.series_alt("Line chart", "community meetings per quarter", list(published.index), values)


def bar(published: pd.DataFrame | None, noun: str, what: str):
    """Bars of published meetings by a category, largest first in the title."""
    if published is None or published.empty:
        return None
    from .use_of_force import largest

    values = [None if pd.isna(v) else int(v) for v in published["Meetings"]]
    labels = [str(i) for i in published.index]
    top = largest(published, "Meetings")
    title = f"{top} had the most meetings" if top else f"Meetings by {what}"
    if top and what == "type":
        title = f"{top} was the most common type of meeting"
    fig = charts.bar_chart(labels, values, title=title, value_label="Meetings (count)", note=SOURCE_NOTE)
    return fit_title(fig), analysis.series_alt("Bar chart", noun, labels, values)


def type_chart(published: pd.DataFrame | None):
    return bar(published, "community meetings by type", "type")


def district_chart(published: pd.DataFrame | None):
    return bar(published, "community meetings by district", "district")


def method(sec: Section) -> list[str]:
    notes = [
        "A meeting is counted in the quarter it was held, by its local date.",
        "Attendees are the people the organizers counted. A person who came to several meetings is counted each time.",
        "Officers present counts each officer at each meeting, so one officer at two meetings counts twice.",
    ]
    if sec.recorded("district"):
        every = all_districts(sec)
        notes.append(f"The list of districts ({fmt.join_words(every)}) is every district named in the meeting records, "
                     "in any period. Meetings for the whole city are shown, but they are not a district.")
    return notes


__all__ = ["all_districts", "district_chart", "districts", "districts_without_meeting", "method", "rates", "summary",
           "trend", "trend_chart", "type_chart", "types"]


def key_answer(sec: Section, published_trend: pd.DataFrame | None):
    """Page 2: do officers meet residents? Meetings against the previous period, with the summary's test."""
    from ._common import count_answer

    return count_answer(sec, "How often do officers meet residents?", "community meetings", "meetings", published_trend,
                        "Meetings", singular="community meeting")
