"""What the citations and arrests sections share: a count of records by kind, race and district.

Both sections count records (distinct citations, or arrested people) and break them down by the
agency's categories, the individual charge or violation, race against the population, and district.
A :class:`Counted` says what is counted and what it is called; the functions here do the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from transparency.core import fmt
from transparency.figures import disparity
from transparency.writing import analysis, charts

from . import _common
from .section import Section
from .stops import DISTRICTS_SHOWN, bar, enough_quarters, largest, published, who_chart


@dataclass(frozen=True)
class Counted:
    """What a section counts and its words: ``Counted("citations", "citation", "Citations", ...)``."""

    noun: str  # "citations"
    singular: str  # "citation"
    column: str  # the count column of every table: "Citations"
    id_field: str | None  # count distinct ids (a citation with several charges), or None for rows
    source_note: str
    category_field: str  # "violation_category"
    category_word: str  # "violation": "kind of violation", "Moving violations led to the most citations"
    item_field: str  # "violation"
    item_label: str  # "Violation"
    verb: str  # "cited"


def per_resident_sentence(sec: Section, count: int | None, noun: str) -> str:
    """"That is 21.3 citations for every 1,000 residents." (nothing without a population figure or for a small count)."""
    population = sec.agency.model.population
    if population is None or not population.total or count is None or count < sec.min_count:
        return ""
    return f"That is {fmt.number(1000 * count / population.total, 1)} {noun} for every 1,000 residents."


def summary(sec: Section, kind: Counted, extra: list[str] | None = None) -> list[str]:
    """The count and its change, any ``extra`` sentences, the rate per 1,000 residents, the most common kind."""
    current = sec.count(sec.period, kind.id_field)
    sentences = _common.change_sentences(sec, kind.noun, kind.singular, kind.id_field)
    if not current:
        return [s for s in sentences if s]
    sentences += extra or []
    sentences.append(per_resident_sentence(sec, current, kind.noun))
    kinds = categories(sec, kind)
    if kinds is not None:
        shown = published(kinds, sec.min_count)
        top = largest(shown, kind.column)
        if top and top not in ("Not recorded", "All other"):
            share = shown.loc[top, kind.column] / current
            sentences.append(f"The most common kind of {kind.category_word} was “{top}”, in {fmt.pct(share)} of the "
                             f"{fmt.count(current, sec.min_count)} {kind.noun}.")
    return [s for s in sentences if s]


def trend(sec: Section, kind: Counted, quarters: int = 8) -> pd.DataFrame:
    """Records per quarter for the last ``quarters`` quarters the data covers."""
    table = analysis.trend(sec.data, sec.event, sec.period, quarters, kind.id_field)
    return table.rename(columns={"quarter": "Quarter", "label": "Months", "count": kind.column}).set_index("Quarter")


def trend_chart(sec: Section, kind: Counted, published_table: pd.DataFrame | None):
    """A line chart of published records per quarter, titled with the summary's own comparison."""
    if not enough_quarters(published_table, kind.column):
        return None
    values = [None if pd.isna(v) else int(v) for v in published_table[kind.column]]
    title = _common.change_title(sec, kind.noun, kind.id_field)
    fig = charts.line_chart(list(published_table.index), {kind.column: values}, title=title,
                            value_label=f"{kind.column} (count)", x_label="Quarter", note=kind.source_note)
    return fig, analysis.series_alt("Line chart", f"{kind.noun} per quarter", list(published_table.index), values)


def categories(sec: Section, kind: Counted) -> pd.DataFrame | None:
    """Records this period by the agency's own categories (felony, misdemeanor; moving, equipment...)."""
    if not sec.recorded(kind.category_field):
        return None
    return analysis.breakdown(sec.rows, kind.category_field, kind.id_field, label=f"Kind of {kind.category_word}",
                              count_label=kind.column, top=8, labels=sec.label(kind.category_field))


def category_chart(kind: Counted, published_table: pd.DataFrame | None):
    if published_table is None:
        return None
    top = largest(published_table, kind.column)
    title = f"{top} {kind.category_word}s led to the most {kind.noun}" if top else f"{kind.column} by kind of {kind.category_word}"
    return bar(published_table, kind.column, title=title, value_label=f"{kind.column} (count)",
               noun=f"{kind.noun} by kind of {kind.category_word}", note=kind.source_note)


def items(sec: Section, kind: Counted, top: int = 10) -> pd.DataFrame | None:
    """The most common charges or violations this period (the rest added up)."""
    if not sec.recorded(kind.item_field):
        return None
    return analysis.breakdown(sec.rows, kind.item_field, kind.id_field, label=kind.item_label, count_label=kind.column, top=top,
                              labels=sec.label(kind.item_field))


def race(sec: Section, kind: Counted) -> pd.DataFrame | None:
    """Records by the race of the person, beside the population, with rates per 1,000 residents."""
    if not sec.recorded("subject_race"):
        return None
    population = sec.agency.model.population
    return disparity.population_rates(sec.rows, population.by_race if population else None, count_label=kind.column,
                                      id_field=kind.id_field)


def race_chart(kind: Counted, published_table: pd.DataFrame | None, sec: Section):
    return who_chart(published_table, disparity.min_base(sec.min_count), count_label=kind.column, noun=kind.noun,
                     verb=kind.verb, note=kind.source_note)


def districts(sec: Section, kind: Counted) -> pd.DataFrame | None:
    if not sec.recorded("district"):
        return None
    return analysis.breakdown(sec.rows, "district", kind.id_field, label="District", count_label=kind.column, top=DISTRICTS_SHOWN,
                              labels=sec.label("district"))


def district_chart(kind: Counted, published_table: pd.DataFrame | None):
    if published_table is None:
        return None
    top = largest(published_table, kind.column)
    return bar(published_table, kind.column, title=f"{top} had the most {kind.noun}" if top else f"{kind.column} by district",
               value_label=f"{kind.column} (count)", noun=f"{kind.noun} by district", note=kind.source_note)


def unknown_race_share(sec: Section) -> float | None:
    """The share of this period's records with no race recorded (None when race is not recorded at all)."""
    rows = sec.rows
    if not sec.recorded("subject_race") or not len(rows):
        return None
    unknown = int((rows["subject_race"].astype("string").fillna("Unknown") == "Unknown").sum())
    return unknown / len(rows) if unknown else None


def key_answer(sec: Section, kind: Counted, question: str, figure: str, published_trend: pd.DataFrame | None):
    """The section's key question for the report's page 2: the count (the headline figure ``figure``) against
    the previous period, with the summary's own test, and the published trend as a small line."""
    return _common.count_answer(sec, question, kind.noun, figure, published_trend, kind.column, kind.id_field,
                                singular=kind.singular)
