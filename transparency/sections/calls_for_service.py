"""The calls-for-service section: calls by source and priority, response times in segments, targets, and the trend.

One row is one call. A response time is split into segments: call received to dispatch, dispatch to
the first officer's arrival, and call received to arrival (the response time most people mean). Each
is summarized by the median and the 90th percentile, never by a mean alone, because a few very long
calls pull a mean up. A call is left out of a segment when it was started by an officer (the officer was
already there), when one of the two times is missing, or when the later time is recorded before the
earlier one; every call left out is counted by reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from transparency.core import fmt
from transparency.core.periods import trailing_quarters
from transparency.writing import analysis, charts, narrative

from . import _common
from .section import Section
from .stops import DISTRICTS_SHOWN, bar, bullets, enough_quarters, largest  # noqa: F401  (bullets: used by the notebook)

NOUN = "calls for service"
SOURCE_NOTE = "Source: the department's dispatch (CAD) records. One call is one request for police, counted once."

#: The segments of a response, in order: (start field, end field, label).
SEGMENTS = [
    ("received_at", "dispatched_at", "Call received to dispatch"),
    ("dispatched_at", "arrived_at", "Dispatch to arrival"),
    ("received_at", "arrived_at", "Call received to arrival"),
]
RESPONSE = "Call received to arrival"
TIME_WORDS = {"received_at": "receipt", "dispatched_at": "dispatch", "arrived_at": "arrival"}
LATE_WORDS = {
    ("received_at", "dispatched_at"): "Dispatch recorded before the call was received",
    ("dispatched_at", "arrived_at"): "Arrival recorded before dispatch",
    ("received_at", "arrived_at"): "Arrival recorded before the call was received",
}
MEASURED = "Measured"
OFFICER_STARTED = "Started by an officer (already there)"
SOURCE_WORDS = {
    "911": "911 emergency line",
    "non_emergency": "Non-emergency line",
    "officer_initiated": "Started by an officer",
    "other": "Other or not recorded",
}


# --- Response-time segments ---------------------------------------------------------------------------------


def officer_started(rows: pd.DataFrame) -> pd.Series:
    """Calls an officer started (on view): they have no response to time. False when the source is not recorded."""
    if "source" not in rows:
        return pd.Series(False, index=rows.index)
    return (rows["source"].astype("string") == "officer_initiated").fillna(False).astype(bool)


def segment(rows: pd.DataFrame, start: str, end: str) -> tuple[pd.Series, pd.Series]:
    """Minutes from ``start`` to ``end`` for each call (NaN when left out) and why each was left out (``Measured`` when used)."""
    minutes = (rows[end] - rows[start]).dt.total_seconds() / 60
    started = officer_started(rows).to_numpy()
    reason = np.select(
        [started, rows[start].isna().to_numpy(), rows[end].isna().to_numpy(), (minutes < 0).fillna(False).to_numpy()],
        [OFFICER_STARTED, f"Time of {TIME_WORDS[start]} not recorded", f"Time of {TIME_WORDS[end]} not recorded",
         LATE_WORDS[(start, end)]],
        default=MEASURED,
    )
    reason = pd.Series(reason, index=rows.index, dtype=object)
    return minutes.where(reason == MEASURED), reason


def segments(sec: Section) -> list[tuple[str, str, str]]:
    """The segments this agency's records allow (both times recorded)."""
    return [s for s in SEGMENTS if sec.recorded(s[0]) and sec.recorded(s[1])]


def response_minutes(rows: pd.DataFrame) -> pd.Series:
    """Minutes from the call to the first officer's arrival, for the calls measured (NaN otherwise)."""
    return segment(rows, "received_at", "arrived_at")[0]


def exclusions(sec: Section) -> pd.DataFrame | None:
    """Calls this period left out of each part of the response time, by reason.

    Calls started by an officer are left out of every part and are counted in the sources table, and the calls
    used are in the response-time tables, so neither is repeated here: a figure hidden in one table must not be
    shown in another.
    """
    parts = segments(sec)
    if not parts:
        return None
    columns = {}
    for start, end, label in parts:
        columns[label] = segment(sec.rows, start, end)[1].value_counts()
    table = pd.DataFrame(columns).fillna(0).astype("int64")
    for start, end, _ in parts:  # every reason that can apply, with 0 where none did (the receipt time is always there)
        for reason in (f"Time of {TIME_WORDS[start]} not recorded", f"Time of {TIME_WORDS[end]} not recorded", LATE_WORDS[(start, end)]):
            if reason not in table.index and "receipt" not in reason:
                table.loc[reason] = 0
    table = table.drop(index=[MEASURED, OFFICER_STARTED], errors="ignore")
    table = table.loc[sorted(table.index, key=lambda r: (not r.startswith("Time of"), r))]
    table.index.name = "Reason"
    return table.astype("int64")


def officer_started_sentence(sec: Section) -> str:
    """How many calls were left out of every response time because an officer started them."""
    started = int(officer_started(sec.rows).sum())
    if not started:
        return ""
    return (f"Calls started by an officer ({fmt.count(started, sec.min_count)} this period) are left out of every part of the "
            "response time, because the officer was already there. The table below counts the other calls left out.")


# --- Priorities ------------------------------------------------------------------------------------------


def priority_key(value: str) -> tuple:
    """Sort priorities as people read them: 1, 2, 10 (numbers as numbers), then words, then not recorded."""
    text = str(value)
    if text == "Not recorded":
        return (2, 0, text)
    try:
        return (0, float(text), text)
    except ValueError:
        return (1, 0, text)


def priorities(rows: pd.DataFrame) -> pd.Series:
    """Each call's priority as text (missing as "Not recorded")."""
    return rows["priority"].astype("string").fillna("Not recorded")


def by_priority(sec: Section) -> pd.DataFrame | None:
    """Calls this period by priority, with each priority's share."""
    if not sec.recorded("priority"):
        return None
    counts = priorities(sec.rows).value_counts()
    order = sorted(counts.index, key=priority_key)
    table = pd.DataFrame({"Calls": counts.reindex(order).astype("int64").to_numpy()},
                         index=pd.Index([label_for(p) for p in order], name="Priority"))
    total = int(table["Calls"].sum())
    table["Share of calls (%)"] = pd.array([100 * n / total if total else None for n in table["Calls"]], dtype="Float64")
    return table


def label_for(priority: str) -> str:
    return priority if priority == "Not recorded" else f"Priority {priority}"


# --- Response times -----------------------------------------------------------------------------------------


def _summary(minutes: pd.Series) -> tuple[int, float | None, float | None]:
    values = minutes.dropna()
    if values.empty:
        return 0, None, None
    return len(values), float(values.median()), float(values.quantile(0.9))


def response_times(sec: Section, part: str = RESPONSE) -> pd.DataFrame | None:
    """Calls measured, median and 90th percentile minutes of one part of the response, by priority.

    There is no row for all calls: a total beside its parts would let a hidden part be worked out (the all-calls
    figures are in the summary and the trend).
    """
    chosen = [s for s in segments(sec) if s[2] == part]
    if not chosen:
        return None
    start, end, _ = chosen[0]
    rows = sec.rows
    minutes = segment(rows, start, end)[0]
    if sec.recorded("priority"):
        groups = priorities(rows)
        order = sorted(groups.unique(), key=priority_key)
    else:
        groups, order = pd.Series("All calls", index=rows.index), ["All calls"]
    records = [(p, *_summary(minutes[groups == p])) for p in order]
    table = pd.DataFrame(records, columns=["Priority", "Calls measured", "Median (minutes)", "90th percentile (minutes)"])
    table["Priority"] = [p if p == "All calls" else label_for(p) for p in table["Priority"]]
    table = table.set_index("Priority")
    table["Calls measured"] = table["Calls measured"].astype("int64")
    for column in ("Median (minutes)", "90th percentile (minutes)"):
        table[column] = table[column].astype("Float64")
    return table


TIME_DEPENDS = {"Median (minutes)": "Calls measured", "90th percentile (minutes)": "Calls measured"}
#: The parts of the response shown in their own tables: (part, table name, caption).
PART_TABLES = [
    ("Call received to dispatch", "to_dispatch", "Minutes from the call to dispatch, by priority, this period"),
    ("Dispatch to arrival", "dispatch_to_arrival", "Minutes from dispatch to the first officer's arrival, by priority, this period"),
]
TIME_NOTE = "Median: half of the calls were reached faster. 90th percentile: nine in ten were reached faster."


def response_chart(published_table: pd.DataFrame | None):
    """Median and 90th percentile minutes from call to arrival, by priority."""
    if published_table is None or published_table.empty:
        return None
    rows = published_table
    labels = [str(i) for i in rows.index]
    medians = [None if pd.isna(v) else float(v) for v in rows["Median (minutes)"]]
    p90s = [None if pd.isna(v) else float(v) for v in rows["90th percentile (minutes)"]]
    if all(m is None for m in medians):
        return None
    first = next(((label, m) for label, m in zip(labels, medians) if m is not None), None)
    title = f"Half of {first[0].lower()} calls were reached within {fmt.minutes(first[1])}"
    fig = charts.bar_chart(labels, {"Median": medians, "90th percentile": p90s}, title=title,
                           value_label="Minutes from call to arrival", value_format="number", note=SOURCE_NOTE +
                           " Median: half of the calls were reached faster. 90th percentile: nine in ten were reached faster.")
    alt = " ".join([analysis.series_alt("Bar chart", "median minutes from call to arrival by priority", labels, medians),
                    analysis.series_alt("Bar chart", "90th percentile minutes from call to arrival by priority", labels, p90s)])
    return fig, alt


# --- Targets -------------------------------------------------------------------------------------------------


def targets(sec: Section) -> dict[str, float]:
    """The department's response-time targets in minutes, by priority (as text), if any."""
    return {str(k): float(v) for k, v in (sec.agency.model.response_targets or {}).items()}


def within_target(sec: Section, published_response: pd.DataFrame | None) -> pd.DataFrame | None:
    """For each priority with a target: the target, the calls reached within it and their share of the calls measured.

    The calls measured are in the response-time table (``published_response``, as published); a share is left
    blank where that table hides the calls measured, so the two tables together give nothing hidden away.
    """
    goal = targets(sec)
    if not goal or not sec.recorded("priority") or not sec.recorded("arrived_at") or published_response is None:
        return None
    records = []
    for priority in sorted(goal, key=priority_key):
        within, measured = reached(sec.rows, priority, goal[priority])
        label = label_for(priority)
        shown = published_response["Calls measured"].get(label)
        share = 100 * within / measured if measured and shown is not None and not pd.isna(shown) else None
        records.append((label, goal[priority], within, share))
    table = pd.DataFrame(records, columns=["Priority", "Target (minutes)", "Within target", "Share within target (%)"])
    table = table.set_index("Priority")
    table["Within target"] = table["Within target"].astype("int64")
    table["Target (minutes)"] = table["Target (minutes)"].astype("Float64")
    table["Share within target (%)"] = table["Share within target (%)"].astype("Float64")
    return table


TARGET_DEPENDS = {"Share within target (%)": "Within target"}


def target_chart(published_table: pd.DataFrame | None):
    """The share of calls reached within the target, for the priorities that have one."""
    if published_table is None or published_table.empty:
        return None
    rows = published_table
    known = rows["Share within target (%)"].dropna()
    if known.empty:
        return None
    low = known.astype(float).idxmin()
    title = f"{low} calls met their target least often ({fmt.pct(float(known[low]) / 100)})"
    return bar(rows, "Share within target (%)", title=title, value_label="Calls reached within the target (%)",
               noun="share of calls reached within the target, by priority", value_format="percent",
               note=SOURCE_NOTE + " Targets are the department's own, in minutes from the call to the first arrival.")


def target_sentence(sec: Section, published_table: pd.DataFrame | None) -> str:
    """"Officers reached 60% of priority 1 calls within 8 minutes and ..." from the published table."""
    if not targets(sec):
        return "The department has not set response-time targets, so none are shown."
    if published_table is None or published_table.empty:
        return ""
    parts = []
    for priority, row in published_table.iterrows():
        if pd.isna(row["Share within target (%)"]) or pd.isna(row["Target (minutes)"]):
            continue
        parts.append(f"{fmt.pct(float(row['Share within target (%)']) / 100)} of {priority.lower()} calls within "
                     f"{fmt.minutes(row['Target (minutes)'], 0)}")
    if not parts:
        return ""
    return "Officers reached " + fmt.join_words(parts) + "."


# --- Counts: trend, sources, types, services ----------------------------------------------------------------


#: The trend table's cells that show headline figures, by column (``Section.period_figures``): the table
#: and metrics.json show one computation, hidden alike.
TREND_FIGURES = {"Calls": "calls"}


def trend(sec: Section, quarters: int = 8) -> pd.DataFrame:
    """Calls per quarter, with the calls measured and the median and 90th percentile response time."""
    table = analysis.trend(sec.data, sec.event, sec.period, quarters)
    table = table.rename(columns={"quarter": "Quarter", "label": "Months", "count": "Calls"}).set_index("Quarter")
    if not sec.recorded("arrived_at"):
        return table
    wanted = trailing_quarters(sec.period, quarters)
    window = sec.data[(sec.data[sec.event] >= pd.Timestamp(wanted[0].start)) & (sec.data[sec.event] < pd.Timestamp(wanted[-1].end))]
    minutes = response_minutes(window)
    stats = {}
    for quarter in wanted:
        inside = quarter.contains(window[sec.event])
        stats[quarter.code] = _summary(minutes[inside])
    table["Calls measured"] = [stats[q][0] for q in table.index]
    table["Calls measured"] = table["Calls measured"].astype("int64")
    table["Median response (minutes)"] = pd.array([stats[q][1] for q in table.index], dtype="Float64")
    table["90th percentile (minutes)"] = pd.array([stats[q][2] for q in table.index], dtype="Float64")
    return table


def trend_counts(table: pd.DataFrame) -> list[str]:
    """The count columns of :func:`trend`'s table: calls, and the calls measured when arrival times are recorded."""
    return [column for column in ("Calls", "Calls measured") if column in table]


TREND_DEPENDS = {"Median response (minutes)": "Calls measured", "90th percentile (minutes)": "Calls measured"}


def trend_chart(sec: Section, published_table: pd.DataFrame | None):
    if not enough_quarters(published_table, "Calls"):
        return None
    values = [None if pd.isna(v) else int(v) for v in published_table["Calls"]]
    title = _common.change_title(sec, NOUN)
    fig = charts.line_chart(list(published_table.index), {"Calls": values}, title=title,
                            value_label="Calls (count)", x_label="Quarter", note=SOURCE_NOTE)
    return fig, analysis.series_alt("Line chart", "calls for service per quarter", list(published_table.index), values)


def response_trend_chart(sec: Section, published_table: pd.DataFrame | None):
    """Median and 90th percentile response time per quarter, titled with the period's median as the summary gives it
    (the summary compares no medians, so neither does the title)."""
    if published_table is None or "Median response (minutes)" not in published_table:
        return None
    if not enough_quarters(published_table, "Median response (minutes)"):
        return None
    medians = [None if pd.isna(v) else float(v) for v in published_table["Median response (minutes)"]]
    p90s = [None if pd.isna(v) else float(v) for v in published_table["90th percentile (minutes)"]]
    if not any(m is not None for m in medians):
        return None
    n, median, _ = _summary(response_minutes(sec.rows))
    if n >= sec.min_count:
        title = f"Half of the calls timed in {sec.period.code} were reached within {fmt.minutes(median)}"
    else:
        title = "Median and 90th percentile response time per quarter"
    fig = charts.line_chart(list(published_table.index), {"Median": medians, "90th percentile": p90s}, title=title,
                            value_label="Minutes from call to arrival", x_label="Quarter", value_format="number",
                            note=SOURCE_NOTE + " Calls started by an officer, and calls without both times, are left out.")
    alt = " ".join([analysis.series_alt("Line chart", "median minutes from call to arrival per quarter", list(published_table.index), medians),
                    analysis.series_alt("Line chart", "90th percentile minutes per quarter", list(published_table.index), p90s)])
    return fig, alt


def sources(sec: Section) -> pd.DataFrame | None:
    """Calls this period by how they came in."""
    if not sec.recorded("source"):
        return None
    table = analysis.breakdown(sec.rows, "source", label="How the call came in", count_label="Calls", order=list(SOURCE_WORDS))
    table = table[(table["Calls"] > 0) | table.index.isin(["911", "non_emergency"])]
    table.index = [SOURCE_WORDS.get(i, i) for i in table.index]
    table.index.name = "How the call came in"
    return table


def source_chart(published_table: pd.DataFrame | None):
    if published_table is None:
        return None
    top = largest(published_table, "Calls")
    return bar(published_table, "Calls", title=f"Most calls came in on the {top.lower()}" if top and "line" in top.lower()
               else (f"“{top}” was the most common way calls came in" if top else "Calls by how they came in"),
               value_label="Calls (count)", noun="calls by how they came in", note=SOURCE_NOTE)


def call_types(sec: Section, top: int = 10) -> pd.DataFrame | None:
    """The most common kinds of call this period (the rest added up)."""
    if not sec.recorded("call_type"):
        return None
    return analysis.breakdown(sec.rows, "call_type", label="Kind of call", count_label="Calls", top=top, labels=sec.label("call_type"))


def services(sec: Section) -> pd.DataFrame | None:
    """Calls this period by the service that handled them, when the records hold more than one (police, fire, medical)."""
    if not sec.recorded("agency_type") or sec.rows["agency_type"].nunique() < 2:
        return None
    return analysis.breakdown(sec.rows, "agency_type", label="Service", count_label="Calls", labels=sec.label("agency_type"))


def districts(sec: Section) -> pd.DataFrame | None:
    if not sec.recorded("district"):
        return None
    return analysis.breakdown(sec.rows, "district", label="District", count_label="Calls", top=DISTRICTS_SHOWN,
                              labels=sec.label("district"))


def district_chart(published_table: pd.DataFrame | None):
    if published_table is None:
        return None
    top = largest(published_table, "Calls")
    return bar(published_table, "Calls", title=f"{top} had the most calls" if top else "Calls by district",
               value_label="Calls (count)", noun="calls by district", note=SOURCE_NOTE)


# --- Sentences ----------------------------------------------------------------------------------------------


def summary(sec: Section) -> list[str]:
    """The count and its change, how calls came in, and the response time as median and 90th percentile."""
    current = sec.count(sec.period)
    sentences = _common.change_sentences(sec, NOUN, "call for service")
    if not current:
        return [s for s in sentences if s]
    if sec.recorded("source"):
        emergency = int((sec.rows["source"].astype("string") == "911").sum())
        sentences.append(narrative.describe_share(emergency, current, "came in on the 911 emergency line", "calls",
                                                  min_count=sec.min_count))
    sentences.extend(response_sentences(sec))
    return [s for s in sentences if s]


def response_sentences(sec: Section) -> list[str]:
    """The median and 90th percentile response time in words (never from fewer than ``min_count`` calls)."""
    if not (sec.recorded("arrived_at") and sec.recorded("received_at")):
        return ["The department does not record when officers arrived, so response times cannot be shown."]
    n, median, p90 = _summary(response_minutes(sec.rows))
    if n < sec.min_count:
        return [narrative.describe_median(median, "minutes", "time from a call to the first officer's arrival", n=n,
                                          n_label="calls", min_count=sec.min_count)]
    return [
        f"For the {fmt.count(n, sec.min_count)} calls an officer went to and timed, the median time from the call to the first "
        f"officer's arrival was {fmt.minutes(median)}: half were reached sooner, half later.",
        f"Nine in ten were reached within {fmt.minutes(p90)} (the 90th percentile).",
    ]


def services_sentence(sec: Section) -> str:
    table = services(sec)
    if table is None:
        return ""
    names = fmt.join_words([str(i) for i in table.index if i != "Not recorded"])
    return (f"These dispatch records hold calls for more than one service ({names}). The figures in this section cover "
            "all of them.")


def method_notes(sec: Section) -> list[str]:
    notes = [
        "A call is counted in the quarter it was received, by the local date.",
        "Response times are shown as the median (the middle value) and the 90th percentile (nine in ten calls were "
        "faster), never as an average alone: a few very long calls pull an average up.",
        "A call is left out of a response time when an officer started it (the officer was already there), when one "
        "of the two times is missing, or when the later time is recorded before the earlier one. The table above "
        "counts every call left out, by reason.",
    ]
    if targets(sec):
        notes.append("Targets are the department's own, in minutes from the call to the first officer's arrival.")
    return notes


# --- The key question, answered on the report's page 2 -----------------------------------------------------------


def reached(rows: pd.DataFrame, priority: str, minutes_target: float) -> tuple[int, int]:
    """Calls of a priority reached within ``minutes_target`` minutes of the call, and the calls measured."""
    measured = response_minutes(rows)[priorities(rows) == priority].dropna()
    return int((measured <= minutes_target).sum()), len(measured)


def emergency_priority(sec: Section) -> str | None:
    """The most urgent priority: the first, as people read them (1 before 2), of those with a target, else of those
    recorded this period (None when priorities are not recorded)."""
    if not sec.recorded("priority"):
        return None
    goal = targets(sec)
    found = list(goal) if goal else [p for p in priorities(sec.rows).unique() if p != "Not recorded"]
    return min(found, key=priority_key) if found else None


def key_answer(sec: Section, published_goals: pd.DataFrame | None, published_trend: pd.DataFrame | None):
    """How fast do police come to emergencies? The median minutes from the call to the first arrival for the most
    urgent priority (its headline figure), and the share of those calls reached within the department's target
    (the published targets table) against the previous period's share, compared as shares (Fisher's exact test),
    which gives the verdict. Without priorities, the median of all calls; without targets, no verdict."""
    from transparency.core import registry
    from transparency.figures import answers
    from transparency.figures.stats import proportion_change
    from transparency.figures.suppress import suppress_value

    question = "How fast do police come to emergencies?"
    points = answers.trend_points(sec.dataset, "trend", published_trend, "Median response (minutes)",
                                  "Median minutes from call to arrival, all calls, per quarter")
    urgent = emergency_priority(sec)
    name = f"median_response_minutes__{registry.slug(urgent)}" if urgent is not None else "median_response_minutes"
    median = sec.value(name)
    if median is None:
        name, urgent, median = "median_response_minutes", None, sec.value("median_response_minutes")
    if median is None:
        return answers.Answer(sec.dataset, question, "Not measured", answers.UNKNOWN,
                              ["The department's records do not give response times for this period."], points)
    calls_words = f"{label_for(urgent).lower()} calls" if urgent is not None else "calls"
    parts = [f"Half of {calls_words} were reached within ",
             answers.figure(sec.dataset, name, median, fmt.number(median, 1)), " minutes of the call (the median)."]
    goal = targets(sec).get(urgent) if urgent is not None else None
    label = label_for(urgent) if urgent is not None else None
    column = "Share within target (%)"
    if goal is None or published_goals is None or label not in published_goals.index or pd.isna(published_goals.loc[label, column]):
        words = "The department has not set a target for these calls." if goal is None else ""
        return answers.Answer(sec.dataset, question, "No target set" if goal is None else "No comparison", answers.UNKNOWN,
                              parts + ([" " + words] if words else []), points)
    share = float(published_goals.loc[label, column])
    parts += [" ", answers.cell(sec.dataset, "targets", label, column, share, fmt.number(share, 1) + "%"),
              f" were reached within the target of {fmt.minutes(goal, 0)}"]
    now, before = reached(sec.rows, urgent, goal), reached(sec.in_period(sec.prior), urgent, goal)
    prior_words, _ = analysis.quarter_words(sec.period)
    if not before[1] or any(suppress_value(n, sec.min_count) is None for n in (*now, *before)):
        return answers.Answer(sec.dataset, question, "Too few to compare", answers.UNKNOWN, parts + ["."], points)
    change = proportion_change(now[0], now[1], before[0], before[1])
    parts.append(f", against {fmt.pct(before[0] / before[1])} in {prior_words}: {change.judgement()}.")
    verdict, tone = answers.share_verdict(change, "More reached on time", "Fewer reached on time")
    made = answers.Answer(sec.dataset, question, verdict, tone, parts, points)
    if change.beyond_normal_variation:
        made.findings.append(answers.Finding(sec.dataset, "change", [
            f"Calls for service: {fmt.pct(now[0] / now[1])} of {calls_words} were reached within {fmt.minutes(goal, 0)}, "
            f"against {fmt.pct(before[0] / before[1])} in {prior_words}: {change.judgement()}."], change.p_value))
    return made
