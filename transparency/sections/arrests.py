"""The arrests section: arrests by kind of charge and race (against the population), places, and the trend.

One row is one arrested person (``arrest_id`` is unique). Arrests are also the denominator of the
use-of-force section's rate (incidents per 1,000 arrests). Functions return raw counts; the notebook
publishes them through ``Section.table``.
"""

from __future__ import annotations

import pandas as pd

from .. import analysis, charts, disparity, fmt
from ..section import Section
from .citations import per_resident_sentence

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


def summary(sec: Section) -> list[str]:
    """The count and its change, the people arrested, the rate per 1,000 residents, the kinds of charge."""
    prior_words, year_words = analysis.quarter_words(sec.period)
    current = sec.count(sec.period)
    sentences = [
        analysis.change_sentence(NOUN, current, sec.count(sec.prior), prior_words, sec.min_count,
                                 sec.period.days, sec.prior.days, singular="arrest"),
        analysis.compare_sentence(current, sec.count(sec.last_year), year_words, sec.min_count,
                                  sec.period.days, sec.last_year.days),
    ]
    if not current:
        return [s for s in sentences if s]
    if sec.recorded("subject_id"):
        people = int(sec.rows["subject_id"].nunique())
        if people >= sec.min_count and people < current:
            sentences.append(f"They were arrests of {fmt.count(people, sec.min_count)} different people: some people were "
                             "arrested more than once.")
    sentences.append(per_resident_sentence(sec, current, "arrests"))
    kinds = charge_categories(sec)
    if kinds is not None:
        shown = published(kinds, sec.min_count)
        top = largest(shown, "Arrests")
        if top and top not in ("Not recorded", "All other"):
            sentences.append(f"The most common kind of charge was “{top}”, in {fmt.pct(shown.loc[top, 'Arrests'] / current)} "
                             "of arrests.")
    return [s for s in sentences if s]


def trend(sec: Section, quarters: int = 8) -> pd.DataFrame:
    """Arrests per quarter for the last ``quarters`` quarters the data covers."""
    table = analysis.trend(sec.data, sec.event, sec.period, quarters)
    return table.rename(columns={"quarter": "Quarter", "label": "Months", "count": "Arrests"}).set_index("Quarter")


def trend_chart(sec: Section, published_table: pd.DataFrame | None):
    if not enough_quarters(published_table, "Arrests"):
        return None
    values = [None if pd.isna(v) else int(v) for v in published_table["Arrests"]]
    title = analysis.trend_title(NOUN, published_table.reset_index().rename(columns={"Quarter": "quarter"}), "Arrests")
    fig = charts.line_chart(list(published_table.index), {"Arrests": values}, title=title,
                            value_label="Arrests (count)", x_label="Quarter", note=SOURCE_NOTE)
    return fig, analysis.series_alt("Line chart", "arrests per quarter", list(published_table.index), values)


def charge_categories(sec: Section) -> pd.DataFrame | None:
    """Arrests this period by kind of charge (felony, misdemeanor, ... as the agency groups them)."""
    if not sec.recorded("charge_category"):
        return None
    return analysis.breakdown(sec.rows, "charge_category", label="Kind of charge", count_label="Arrests", top=8)


def category_chart(published_table: pd.DataFrame | None):
    if published_table is None:
        return None
    top = largest(published_table, "Arrests")
    return bar(published_table, "Arrests", title=f"{top} charges led to the most arrests" if top else "Arrests by kind of charge",
               value_label="Arrests (count)", noun="arrests by kind of charge", note=SOURCE_NOTE)


def charges(sec: Section, top: int = 10) -> pd.DataFrame | None:
    """The most common charges this period (the rest added up)."""
    if not sec.recorded("charge"):
        return None
    return analysis.breakdown(sec.rows, "charge", label="Charge", count_label="Arrests", top=top)


def race(sec: Section) -> pd.DataFrame | None:
    """Arrests by the race of the person arrested, beside the population, with rates per 1,000 residents."""
    if not sec.recorded("subject_race"):
        return None
    population = sec.agency.model.population
    return disparity.population_rates(sec.rows, population.by_race if population else None, count_label="Arrests")


def race_chart(published_table: pd.DataFrame | None, sec: Section):
    return who_chart(published_table, disparity.min_base(sec.min_count), count_label="Arrests", noun="arrests",
                     verb="arrested", note=SOURCE_NOTE)


def districts(sec: Section) -> pd.DataFrame | None:
    if not sec.recorded("district"):
        return None
    return analysis.breakdown(sec.rows, "district", label="District", count_label="Arrests", top=DISTRICTS_SHOWN)


def district_chart(published_table: pd.DataFrame | None):
    if published_table is None:
        return None
    top = largest(published_table, "Arrests")
    return bar(published_table, "Arrests", title=f"{top} had the most arrests" if top else "Arrests by district",
               value_label="Arrests (count)", noun="arrests by district", note=SOURCE_NOTE)


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
    rows = sec.rows
    if sec.recorded("subject_race") and len(rows):
        unknown = int((rows["subject_race"].astype("string").fillna("Unknown") == "Unknown").sum())
        if unknown:
            notes.append(f"The race of the person arrested was not recorded for {fmt.pct(unknown / len(rows))} of arrests this period.")
    return notes
