"""The citations section: citations issued, by kind of violation, race (against the population) and district, and the trend.

One row is one citation, or one charge on a citation: citations are counted once each (distinct
``citation_id``), so a citation with charges in two categories counts once in each category and once
in the total. Functions return raw counts; the notebook publishes them through ``Section.table``.
"""

from __future__ import annotations

import pandas as pd

from .. import analysis, charts, disparity, fmt
from ..section import Section

# Shared with the stops section; the notebook calls some of them through this module.
from .stops import (  # noqa: F401
    DISTRICTS_SHOWN,
    RATIO,
    bar,
    bullets,
    enough_quarters,
    largest,
    publish,
    published,
    race_note,
    race_rates,
    who_chart,
    who_sentence,
)

NOUN = "citations"
ID = "citation_id"
SOURCE_NOTE = "Source: the department's citation records. Each citation is counted once, however many charges it holds."


def summary(sec: Section) -> list[str]:
    """The count and its change, the rate per 1,000 residents, the most common kind of violation."""
    prior_words, year_words = analysis.quarter_words(sec.period)
    current = sec.count(sec.period, ID)
    sentences = [
        analysis.change_sentence(NOUN, current, sec.count(sec.prior, ID), prior_words, sec.min_count,
                                 sec.period.days, sec.prior.days, singular="citation"),
        analysis.compare_sentence(current, sec.count(sec.last_year, ID), year_words, sec.min_count,
                                  sec.period.days, sec.last_year.days),
    ]
    if not current:
        return [s for s in sentences if s]
    sentences.append(per_resident_sentence(sec, current, "citations"))
    kinds = categories(sec)
    if kinds is not None:
        shown = published(kinds, sec.min_count)
        top = largest(shown, "Citations")
        if top and top not in ("Not recorded", "All other"):
            share = shown.loc[top, "Citations"] / current
            sentences.append(f"The most common kind of violation was “{top}”, in {fmt.pct(share)} of citations.")
    return [s for s in sentences if s]


def per_resident_sentence(sec: Section, count: int | None, noun: str) -> str:
    """"That is 21.3 citations for every 1,000 residents." (nothing without a population figure or for a small count)."""
    population = sec.agency.model.population
    if population is None or not population.total or count is None or count < sec.min_count:
        return ""
    return f"That is {fmt.number(1000 * count / population.total, 1)} {noun} for every 1,000 residents."


def trend(sec: Section, quarters: int = 8) -> pd.DataFrame:
    """Citations per quarter for the last ``quarters`` quarters the data covers."""
    table = analysis.trend(sec.data, sec.event, sec.period, quarters, ID)
    return table.rename(columns={"quarter": "Quarter", "label": "Months", "count": "Citations"}).set_index("Quarter")


def trend_chart(sec: Section, published_table: pd.DataFrame | None):
    if not enough_quarters(published_table, "Citations"):
        return None
    values = [None if pd.isna(v) else int(v) for v in published_table["Citations"]]
    title = analysis.trend_title(NOUN, published_table.reset_index().rename(columns={"Quarter": "quarter"}), "Citations")
    fig = charts.line_chart(list(published_table.index), {"Citations": values}, title=title,
                            value_label="Citations (count)", x_label="Quarter", note=SOURCE_NOTE)
    return fig, analysis.series_alt("Line chart", "citations per quarter", list(published_table.index), values)


def categories(sec: Section) -> pd.DataFrame | None:
    """Citations this period by kind of violation (the agency's own categories)."""
    if not sec.recorded("violation_category"):
        return None
    return analysis.breakdown(sec.rows, "violation_category", ID, label="Kind of violation", count_label="Citations", top=8)


def category_chart(published_table: pd.DataFrame | None):
    if published_table is None:
        return None
    top = largest(published_table, "Citations")
    return bar(published_table, "Citations", title=f"{top} violations led to the most citations" if top else "Citations by kind of violation",
               value_label="Citations (count)", noun="citations by kind of violation", note=SOURCE_NOTE)


def violations(sec: Section, top: int = 10) -> pd.DataFrame | None:
    """The most common violations this period (the rest added up)."""
    if not sec.recorded("violation"):
        return None
    return analysis.breakdown(sec.rows, "violation", ID, label="Violation", count_label="Citations", top=top)


def race(sec: Section) -> pd.DataFrame | None:
    """Citations by the race of the person cited, beside the population, with rates per 1,000 residents."""
    if not sec.recorded("subject_race"):
        return None
    population = sec.agency.model.population
    return disparity.population_rates(sec.rows, population.by_race if population else None, count_label="Citations", id_field=ID)


def race_chart(published_table: pd.DataFrame | None, sec: Section):
    return who_chart(published_table, disparity.min_base(sec.min_count), count_label="Citations", noun="citations",
                     verb="cited", note=SOURCE_NOTE)


def districts(sec: Section) -> pd.DataFrame | None:
    if not sec.recorded("district"):
        return None
    return analysis.breakdown(sec.rows, "district", ID, label="District", count_label="Citations", top=DISTRICTS_SHOWN)


def district_chart(published_table: pd.DataFrame | None):
    if published_table is None:
        return None
    top = largest(published_table, "Citations")
    return bar(published_table, "Citations", title=f"{top} had the most citations" if top else "Citations by district",
               value_label="Citations (count)", noun="citations by district", note=SOURCE_NOTE)


def method_notes(sec: Section) -> list[str]:
    notes = [
        "A citation is counted in the quarter it was issued, by the local date.",
        "Each citation is counted once, however many charges it holds. A citation with charges of two kinds is counted "
        "under each kind, so the kinds can add up to more than the total.",
    ]
    if sec.agency.model.population:
        notes.append("Rates per 1,000 residents divide the citations of each group by the number of residents in that group.")
    rows = sec.rows
    if sec.recorded("subject_race") and len(rows):
        unknown = int((rows["subject_race"].astype("string").fillna("Unknown") == "Unknown").sum())
        if unknown:
            notes.append(f"The race of the person cited was not recorded on {fmt.pct(unknown / len(rows))} of the records this period.")
    return notes
