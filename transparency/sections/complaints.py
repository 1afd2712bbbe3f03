"""The complaints section: complaints and allegations received and closed, findings, time to close, open cases.

A complaint (distinct ``complaint_id``) can hold several allegations (rows). Allegations are received in
the period of their ``received_at`` and closed in the period of their ``closed_at``.
"""

from __future__ import annotations

import pandas as pd

from .. import analysis, charts, fmt
from ..section import Section

SOURCE_NOTE = "Source: the department's internal affairs records. One complaint can hold several allegations."

# Findings, in the order a reader expects them, with plain words.
DISPOSITION_WORDS = {
    "sustained": "Sustained (rule broken)",
    "not_sustained": "Not sustained (could not be proved or disproved)",
    "exonerated": "Exonerated (happened, but within policy)",
    "unfounded": "Unfounded (did not happen)",
    "withdrawn": "Withdrawn",
    "pending": "Pending",
    "other": "Other",
}
SOURCE_WORDS = {"external": "From the public", "internal": "From within the department", "other": "Other or not recorded"}


def closed_in(sec: Section, period) -> pd.DataFrame:
    """Allegations closed in a period (by their closing date)."""
    if not sec.recorded("closed_at"):
        return sec.data.iloc[0:0]
    return sec.data[period.contains(sec.data["closed_at"])]


def days_to_close(rows: pd.DataFrame) -> pd.Series:
    """Days from receipt to closing; closings recorded before receipt are left out."""
    days = (rows["closed_at"] - rows["received_at"]).dt.total_seconds() / 86400
    return days[days >= 0]


def summary(sec: Section) -> list[str]:
    prior_words, year_words = analysis.quarter_words(sec.period)
    current = sec.count(sec.period, "complaint_id")
    sentences = [
        analysis.change_sentence("complaints received", current, sec.count(sec.prior, "complaint_id"), prior_words,
                                 sec.min_count, sec.period.days, sec.prior.days, singular="complaint received"),
        analysis.compare_sentence(current, sec.count(sec.last_year, "complaint_id"), year_words, sec.min_count,
                                  sec.period.days, sec.last_year.days),
    ]
    allegations = sec.value("allegations_received")
    if allegations is not None and current:
        sentences.append(f"They held {fmt.count(allegations, sec.min_count)} allegations (one allegation is one claim about one officer).")
    closed = sec.value("allegations_closed")
    sustained = sec.value("allegations_sustained")
    if closed:
        if sustained is None:
            sentences.append(f"Investigators closed {fmt.count(closed, sec.min_count)} allegations; fewer than {sec.min_count} were sustained, "
                             "which means the officer was found to have broken a rule.")
        else:
            sentences.append(
                f"Investigators closed {fmt.count(closed, sec.min_count)} allegations and sustained {fmt.count(sustained, sec.min_count)} "
                f"of them ({fmt.pct(sustained / closed)}). Sustained means the officer was found to have broken a rule."
            )
    median = sec.value("median_days_to_close")
    if median is not None:
        sentences.append(f"Half of the closed allegations took {fmt.number(median, 0)} days or less to close (the median).")
    return [s for s in sentences if s]


def trend(sec: Section, quarters: int = 8) -> pd.DataFrame:
    """Complaints received and allegations closed per quarter."""
    received = analysis.trend(sec.data, sec.event, sec.period, quarters, "complaint_id")
    table = received.rename(columns={"quarter": "Quarter", "label": "Months", "count": "Complaints received"}).set_index("Quarter")
    if sec.recorded("closed_at"):
        from ..periods import parse_period

        table["Allegations closed"] = [len(closed_in(sec, parse_period(q)[0])) for q in table.index]
    return table


def trend_chart(sec: Section, published: pd.DataFrame):
    series = {c: [None if pd.isna(v) else int(v) for v in published[c]] for c in published.columns if c != "Months"}
    title = analysis.trend_title("complaints received", published.reset_index().rename(columns={"Quarter": "quarter"}), "Complaints received")
    fig = charts.line_chart(list(published.index), series, title=title, value_label="Count", x_label="Quarter", note=SOURCE_NOTE)
    alt = " ".join(analysis.series_alt("Line chart", f"{name.lower()} per quarter", list(published.index), values)
                   for name, values in series.items())
    return fig, alt


def dispositions(sec: Section) -> pd.DataFrame | None:
    """Findings of the allegations closed in the period."""
    if not (sec.recorded("closed_at") and sec.recorded("disposition")):
        return None
    closed = closed_in(sec, sec.period)
    order = [k for k in DISPOSITION_WORDS if k != "pending"]
    table = analysis.breakdown(closed, "disposition", label="Finding", count_label="Allegations closed", order=order)
    table = table[(table["Allegations closed"] > 0) | table.index.isin(["sustained", "not_sustained", "exonerated", "unfounded"])]
    total = int(table["Allegations closed"].sum())
    table["Share (%)"] = pd.array([round(100 * n / total, 1) if total else None for n in table["Allegations closed"]], dtype="Float64")
    table.index = [DISPOSITION_WORDS.get(i, i) for i in table.index]
    table.index.name = "Finding"
    return table


def allegation_types(sec: Section, top: int = 8) -> pd.DataFrame | None:
    """Allegations received in the period by type (the largest types, the rest added up)."""
    field_name = "allegation_type" if sec.recorded("allegation_type") else "allegation" if sec.recorded("allegation") else None
    if field_name is None:
        return None
    return analysis.breakdown(sec.rows, field_name, label="Type of allegation", count_label="Allegations received", top=top)


def sources(sec: Section) -> pd.DataFrame | None:
    """Complaints received from the public and from within the department."""
    if not sec.recorded("source"):
        return None
    table = analysis.breakdown(sec.rows, "source", "complaint_id", label="Source", count_label="Complaints received",
                               order=["external", "internal", "other"])
    table.index = [SOURCE_WORDS.get(i, i) for i in table.index]
    table.index.name = "Source"
    return table


def open_cases(sec: Section) -> pd.DataFrame | None:
    """Allegations still open at the end of the period, by how long they had been open."""
    if not sec.recorded("closed_at"):
        return None
    end = pd.Timestamp(sec.period.end)
    received = sec.data[sec.data["received_at"] < end]
    still_open = received[received["closed_at"].isna() | (received["closed_at"] >= end)]
    age = (end - still_open["received_at"]).dt.days
    bands = pd.cut(age, bins=[-1, 90, 180, 365, 100000], labels=["Up to 3 months", "3 to 6 months", "6 to 12 months", "Over a year"])
    counts = bands.value_counts().reindex(bands.cat.categories, fill_value=0)
    table = pd.DataFrame({"Time open": counts.index.astype(str), "Open allegations": counts.to_numpy(dtype="int64")})
    return table.set_index("Time open")


def time_to_close(sec: Section) -> pd.DataFrame | None:
    """Median and 90th percentile days to close, this period and in the comparison periods."""
    if not sec.recorded("closed_at"):
        return None
    prior_words, year_words = analysis.quarter_words(sec.period)
    rows = []
    for label, period in (("This period", sec.period), (prior_words.capitalize(), sec.prior), (year_words.capitalize(), sec.last_year)):
        days = days_to_close(closed_in(sec, period))
        enough = len(days) >= sec.min_count
        rows.append({
            "Period": f"{label} ({period.code})",
            "Allegations closed": len(days),
            "Median days": round(float(days.median()), 1) if enough else None,
            "90th percentile days": round(float(days.quantile(0.9)), 1) if enough else None,
        })
    table = pd.DataFrame(rows).set_index("Period")
    for column in ("Median days", "90th percentile days"):
        table[column] = table[column].astype("Float64")
    return table


def disposition_chart(published: pd.DataFrame | None):
    if published is None:
        return None
    from .use_of_force import bar, largest

    top = largest(published, "Allegations closed")
    title = f"Most closed allegations were {top.split(' (')[0].lower()}" if top else "Findings of closed allegations"
    return bar(published, "Allegations closed", title=title, value_label="Allegations closed (count)",
               noun="allegations closed by finding", note=SOURCE_NOTE)


def allegation_type_chart(published: pd.DataFrame | None):
    if published is None:
        return None
    from .use_of_force import bar, largest

    top = largest(published, "Allegations received")
    return bar(published, "Allegations received", title=f"{top} was the most common allegation" if top else "Allegations by type",
               value_label="Allegations received (count)", noun="allegations received by type", note=SOURCE_NOTE)
