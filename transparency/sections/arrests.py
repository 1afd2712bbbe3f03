"""The arrests section: arrests by kind of charge and race (against the population), places, and the trend.

One row is one arrested person (``arrest_id`` is unique). Arrests are also the denominator of the
use-of-force section's rate (incidents per 1,000 arrests). Functions return raw counts; the notebook
publishes them through ``Section.table``. The counting is shared with the citations section
(:mod:`._records`).
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

NOUN = "arrests"
SOURCE_NOTE = "Source: the department's arrest records. One arrest is one person arrested."
KIND = _records.Counted(
    noun=NOUN, singular="arrest", column="Arrests", id_field=None, source_note=SOURCE_NOTE,
    category_field="charge_category", category_word="charge", item_field="charge", item_label="Charge", verb="arrested",
)


def summary(sec: Section) -> list[str]:
    """The count and its change, the people arrested, the rate per 1,000 residents, the kinds of charge."""
    extra = []
    current = sec.count(sec.period)
    if current and sec.recorded("subject_id"):
        people = int(sec.rows["subject_id"].nunique())
        if people >= sec.min_count and people < current:
            extra.append(f"They were arrests of {fmt.count(people, sec.min_count)} different people: some people were "
                         "arrested more than once.")
    return _records.summary(sec, KIND, extra)


#: The trend table's cells that show headline figures, by column (``Section.period_figures``): the table
#: and metrics.json show one computation, hidden alike.
TREND_FIGURES = {"Arrests": "arrests"}


def trend(sec: Section, quarters: int = 8) -> pd.DataFrame:
    """Arrests per quarter for the last ``quarters`` quarters the data covers."""
    return _records.trend(sec, KIND, quarters)


def trend_chart(sec: Section, published_table: pd.DataFrame | None):
    return _records.trend_chart(sec, KIND, published_table)


def charge_categories(sec: Section) -> pd.DataFrame | None:
    """Arrests this period by kind of charge (felony, misdemeanor, ... as the agency groups them)."""
    return _records.categories(sec, KIND)


def category_chart(published_table: pd.DataFrame | None):
    return _records.category_chart(KIND, published_table)


def charges(sec: Section, top: int = 10) -> pd.DataFrame | None:
    """The most common charges this period (the rest added up)."""
    return _records.items(sec, KIND, top)


def race(sec: Section) -> pd.DataFrame | None:
    """Arrests by the race of the person arrested, beside the population, with rates per 1,000 residents."""
    return _records.race(sec, KIND)


def race_chart(published_table: pd.DataFrame | None, sec: Section):
    return _records.race_chart(KIND, published_table, sec)


def districts(sec: Section) -> pd.DataFrame | None:
    return _records.districts(sec, KIND)


def district_chart(published_table: pd.DataFrame | None):
    return _records.district_chart(KIND, published_table)


def method_notes(sec: Section) -> list[str]:
    notes = [
        "An arrest is counted in the quarter it happened, by the local date. One arrest is one person arrested; a person "
        "arrested twice is counted twice.",
        "An arrest is counted under the charge the department lists for it (usually the most serious).",
    ]
    if sec.agency.model.population:
        notes.append("Rates per 1,000 residents divide the arrests of each group by the number of residents in that group.")
    if "use_of_force" in sec.agency.dataset_names:
        notes.append("The use-of-force section divides use-of-force incidents by these arrests (incidents per 1,000 arrests).")
    unknown = _records.unknown_race_share(sec)
    if unknown:
        notes.append(f"The race of the person arrested was not recorded for {fmt.pct(unknown)} of arrests this period.")
    return notes


def key_answer(sec: Section, published_trend: pd.DataFrame | None):
    """Page 2: are arrests going up or down? The count against the previous period, with the summary's test."""
    return _records.key_answer(sec, KIND, "Are arrests going up or down?", "arrests", published_trend)
