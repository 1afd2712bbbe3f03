"""The citations section: citations issued, by kind of violation, race (against the population) and district, and the trend.

One row is one citation, or one charge on a citation: citations are counted once each (distinct
``citation_id``), so a citation with charges in two categories counts once in each category and once
in the total. Functions return raw counts; the notebook publishes them through ``Section.table``.
The counting is shared with the arrests section (:mod:`._records`).
"""

from __future__ import annotations

import pandas as pd

from transparency.core import fmt

from . import _records
from .section import Section

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
KIND = _records.Counted(
    noun=NOUN, singular="citation", column="Citations", id_field=ID, source_note=SOURCE_NOTE,
    category_field="violation_category", category_word="violation", item_field="violation", item_label="Violation",
    verb="cited",
)


def summary(sec: Section) -> list[str]:
    """The count and its change, the rate per 1,000 residents, the most common kind of violation."""
    return _records.summary(sec, KIND)


#: The trend table's cells that show headline figures, by column (``Section.period_figures``): the table
#: and metrics.json show one computation, hidden alike.
TREND_FIGURES = {"Citations": "citations"}


def trend(sec: Section, quarters: int = 8) -> pd.DataFrame:
    """Citations per quarter for the last ``quarters`` quarters the data covers."""
    return _records.trend(sec, KIND, quarters)


def trend_chart(sec: Section, published_table: pd.DataFrame | None):
    return _records.trend_chart(sec, KIND, published_table)


def categories(sec: Section) -> pd.DataFrame | None:
    """Citations this period by kind of violation (the agency's own categories)."""
    return _records.categories(sec, KIND)


def category_chart(published_table: pd.DataFrame | None):
    return _records.category_chart(KIND, published_table)


def violations(sec: Section, top: int = 10) -> pd.DataFrame | None:
    """The most common violations this period (the rest added up)."""
    return _records.items(sec, KIND, top)


def race(sec: Section) -> pd.DataFrame | None:
    """Citations by the race of the person cited, beside the population, with rates per 1,000 residents."""
    return _records.race(sec, KIND)


def race_chart(published_table: pd.DataFrame | None, sec: Section):
    return _records.race_chart(KIND, published_table, sec)


def districts(sec: Section) -> pd.DataFrame | None:
    return _records.districts(sec, KIND)


def district_chart(published_table: pd.DataFrame | None):
    return _records.district_chart(KIND, published_table)


def method_notes(sec: Section) -> list[str]:
    notes = [
        "A citation is counted in the quarter it was issued, by the local date.",
        "Each citation is counted once, however many charges it holds. A citation with charges of two kinds is counted "
        "under each kind, so the kinds can add up to more than the total.",
    ]
    if sec.agency.model.population:
        notes.append("Rates per 1,000 residents divide the citations of each group by the number of residents in that group.")
    unknown = _records.unknown_race_share(sec)
    if unknown:
        notes.append(f"The race of the person cited was not recorded on {fmt.pct(unknown)} of the records this period.")
    return notes


def key_answer(sec: Section, published_trend: pd.DataFrame | None):
    """Page 2: are citations going up or down? The count against the previous period, with the summary's test."""
    return _records.key_answer(sec, KIND, "Are officers writing more citations or fewer?", "citations", published_trend)
