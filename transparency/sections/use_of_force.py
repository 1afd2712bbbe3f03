"""The use-of-force section: the quarter's incidents and their trend, force types, people, places, injuries, rates.

An incident is one event (distinct ``incident_id``); an application is one row (one type of force by one
officer on one person). Functions return raw counts; the notebook publishes them through
``Section.table``, which suppresses small counts, and draws charts from what was published.
"""

from __future__ import annotations

import pandas as pd

from .. import analysis, charts, fmt
from ..section import Section

NOUN = "use-of-force incidents"
SOURCE_NOTE = "Source: the department's use-of-force records. Incidents are counted once however many officers, people or types of force they involved."


def summary(sec: Section) -> list[str]:
    """The section's opening sentences: the count, its change, applications, injuries."""
    prior_words, year_words = analysis.quarter_words(sec.period)
    current = sec.count(sec.period, "incident_id")
    sentences = [
        analysis.change_sentence(NOUN, current, sec.count(sec.prior, "incident_id"), prior_words, sec.min_count,
                                 sec.period.days, sec.prior.days, singular="use-of-force incident"),
        analysis.compare_sentence(current, sec.count(sec.last_year, "incident_id"), year_words, sec.min_count,
                                  sec.period.days, sec.last_year.days),
    ]
    applications = sec.value("applications")
    if applications is not None and current:
        sentences.append(
            f"These incidents involved {fmt.count(applications, sec.min_count)} applications of force "
            "(one application is one type of force used by one officer on one person)."
        )
    if sec.recorded("subject_injured") and current:
        injured = sec.value("incidents_subject_injured")
        if injured is None:
            sentences.append(f"In fewer than {sec.min_count} incidents was the person injured.")
        else:
            sentences.append(f"In {fmt.count(injured, sec.min_count)} of them ({fmt.pct(injured / current)}), the person was injured.")
    return [s for s in sentences if s]


def trend(sec: Section, quarters: int = 8) -> pd.DataFrame:
    """Incidents per quarter for the last ``quarters`` quarters covered by the data."""
    table = analysis.trend(sec.data, sec.event, sec.period, quarters, "incident_id")
    return table.rename(columns={"quarter": "Quarter", "label": "Months", "count": "Incidents"}).set_index("Quarter")


def trend_chart(sec: Section, published: pd.DataFrame | None):
    """A line chart of published incidents per quarter, with a title that states the finding and alt text."""
    if published is None:
        return None
    values = [None if pd.isna(v) else int(v) for v in published["Incidents"]]
    title = analysis.trend_title("use-of-force incidents", published.reset_index().rename(columns={"Quarter": "quarter"}), "Incidents")
    fig = charts.line_chart(list(published.index), {"Incidents": values}, title=title,
                            value_label="Incidents (count)", x_label="Quarter", note=SOURCE_NOTE)
    alt = analysis.series_alt("Line chart", "use-of-force incidents per quarter", list(published.index), values)
    return fig, alt


def force_types(sec: Section) -> pd.DataFrame:
    """Applications of each type of force this period, and the incidents that included it."""
    applications = analysis.breakdown(sec.rows, "force_type", label="Type of force", count_label="Applications")
    incidents = analysis.breakdown(sec.rows, "force_type", "incident_id", label="Type of force", count_label="Incidents")
    return applications.join(incidents)


def bar(published: pd.DataFrame | None, column: str, *, title: str, value_label: str, noun: str, note: str = SOURCE_NOTE):
    """A bar chart of one published column, with alt text listing every bar (None when nothing was published)."""
    if published is None:
        return None
    values = [None if pd.isna(v) else v for v in published[column]]
    labels = [str(i) for i in published.index]
    fig = charts.bar_chart(labels, values, title=title, value_label=value_label, note=note)
    return fig, analysis.series_alt("Bar chart", noun, labels, values)


def force_type_chart(published: pd.DataFrame | None):
    if published is None:
        return None
    top = largest(published, "Applications")
    return bar(published, "Applications", title=f"{top} was the most common type of force" if top else "Applications of force by type",
               value_label="Applications of force (count)", noun="applications of force by type")


def district_chart(published: pd.DataFrame | None):
    if published is None:
        return None
    top = largest(published, "Incidents")
    return bar(published, "Incidents", title=f"{top} had the most incidents" if top else "Incidents by district",
               value_label="Incidents (count)", noun="use-of-force incidents by district")


def largest(published: pd.DataFrame, column: str) -> str | None:
    """The label of the largest published value (None when nothing is published)."""
    values = pd.to_numeric(published[column], errors="coerce").dropna()
    return None if values.empty else str(values.idxmax())


def subject_race(sec: Section) -> pd.DataFrame | None:
    """Incidents by the race of the person force was used on, beside the population benchmark."""
    if not sec.recorded("subject_race"):
        return None
    population = sec.agency.model.population
    return analysis.race_benchmark(sec.rows, "subject_race", population.by_race if population else None,
                                   "incident_id", count_label="Incidents")


def districts(sec: Section) -> pd.DataFrame | None:
    """Incidents by district."""
    if not sec.recorded("district"):
        return None
    return analysis.breakdown(sec.rows, "district", "incident_id", label="District", count_label="Incidents")


def injuries(sec: Section) -> pd.DataFrame | None:
    """Incidents in which the person, or an officer, was injured or taken to hospital."""
    rows = []
    for field_name, label in (("subject_injured", "Person injured"), ("subject_hospitalized", "Person taken to hospital"),
                              ("officer_injured", "Officer injured")):
        if sec.recorded(field_name):
            flagged = sec.rows[sec.rows[field_name].fillna(False).astype(bool)]
            rows.append({"Outcome": label, "Incidents": int(flagged["incident_id"].nunique())})
    if not rows:
        return None
    table = pd.DataFrame(rows).set_index("Outcome")
    total = sec.rows["incident_id"].nunique()
    table["Share of incidents (%)"] = pd.array([round(100 * n / total, 1) if total else None for n in table["Incidents"]], dtype="Float64")
    return table


def rates(sec: Section) -> pd.DataFrame | None:
    """Incidents per 1,000 arrests and per 10,000 calls for service, when the agency publishes those."""
    incidents = sec.count(sec.period, "incident_id")
    rows = []
    arrests = sec.other("arrests")
    if arrests is not None:
        n = int(sec.period.contains(arrests["arrested_at"]).sum())
        rows.append({"Measure": "Incidents per 1,000 arrests", "Denominator": n, "Rate": analysis.rate_per(incidents, n, 1000),
                     "Source of the denominator": "the department's arrest records"})
    calls = sec.other("calls_for_service")
    if calls is not None:
        n = int(sec.period.contains(calls["received_at"]).sum())
        rows.append({"Measure": "Incidents per 10,000 calls for service", "Denominator": n,
                     "Rate": analysis.rate_per(incidents, n, 10000), "Source of the denominator": "the department's dispatch records"})
    if not rows:
        return None
    table = pd.DataFrame(rows).set_index("Measure")
    table["Incidents"] = incidents
    table["Rate"] = table["Rate"].astype("Float64").round(1)
    return table[["Incidents", "Denominator", "Rate", "Source of the denominator"]]
