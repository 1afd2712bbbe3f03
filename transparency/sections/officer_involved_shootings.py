"""The officer-involved shootings section: shootings and deaths, the people shot at, and a list of the
period's shootings with the fields that may be published.

Shootings are rare, so one quarter's count rises and falls by chance. Besides the quarter's figures the
section shows three-year totals (the three years that end with the period, against the three years
before) and a count per year, and it breaks the people shot at down over the three years, not the quarter.

Each shooting is a public event (``public_events`` in datasets.yml): the section lists the period's shootings
and states the number of shootings, and of shootings in which a person died, exactly, small or not, in its
sentences and in the counts of shootings it publishes (by quarter, by year, over three years, by district).
Tables about the people shot at (outcome, armed, weapon, race) stay under the suppression rule. An agency
that sets ``publish_events: false`` gets no list, and every count is suppressed as usual; then a total over
several quarters (three years, a year) is shown only when each of its quarters could be shown on its own.

An incident is one event (distinct ``incident_id``). A person shot at is one subject in one incident:
distinct ``(incident_id, subject_id)`` when the agency records a person identifier, otherwise one row
(the agency's file then has one row per person; a file with one row per person and officer needs
``subject_id`` to be counted right).
"""

from __future__ import annotations

import re

import pandas as pd

from transparency.core import fmt, registry
from transparency.figures.suppress import is_small, suppress_value
from transparency.writing import analysis, charts
from transparency.writing.labels import label_series

from . import _common
from ._common import listing
from .section import Section
from .use_of_force import bar, titled

NOUN = "shootings by officers"
SINGULAR = "shooting by an officer"
SOURCE_NOTE = ("Source: the department's records of shootings by officers. A shooting is counted once however "
               "many officers fired or people were shot at.")
WINDOW_QUARTERS = 12  # three years

# Most serious first: a person who died in any of an incident's rows died.
OUTCOME_ORDER = ["fatal", "injured", "uninjured", "unknown"]
OUTCOME_WORDS = {"fatal": "Died", "injured": "Injured", "uninjured": "Not injured", "unknown": "Not recorded"}
ARMED_WORDS = {True: "Armed", False: "Unarmed"}
# A person whose weapon was a vehicle is armed in the agency's records; a reader of "Armed" pictures a gun or a
# knife, so they are counted on a line of their own.
ARMED_VEHICLE = "Armed with a vehicle"
ARMED_OTHER = "Armed, not with a vehicle"
VEHICLE = re.compile(r"\b(vehicles?|cars?|auto|automobiles?|trucks?|motorcycles?)\b", re.IGNORECASE)

__all__ = [
    "armed", "armed_words", "benchmark_note", "by_year", "by_year_chart", "counts_note", "disclosure_note",
    "district_chart", "districts", "events_public", "incident_list", "incidents", "is_vehicle", "listing", "outcomes",
    "publish_incident_list", "race_chart", "rolling", "rolling_chart", "rolling_deaths", "subject_race", "subjects",
    "summary", "table", "three_year_change", "threshold", "weapons", "window", "window_words",
]


# --- One row per person, one row per incident -----------------------------------------------------------


def _most_serious(outcomes: pd.Series) -> str:
    present = set(outcomes.dropna())
    return next((o for o in OUTCOME_ORDER if o in present), "unknown")


def _armed(values: pd.Series) -> object:
    """True when any row says armed, False when rows say unarmed and none armed, else missing."""
    known = values.dropna()
    if known.empty:
        return pd.NA
    return bool(known.astype(bool).any())


def subjects(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per person shot at, with the most serious outcome and whether they were armed.

    A person is ``(incident_id, subject_id)`` when ``subject_id`` is recorded (rows without it count one
    person each), otherwise one row.
    """
    frame = rows.copy()
    if "subject_id" in frame:
        fallback = "row-" + pd.Series(range(len(frame)), index=frame.index).astype(str)
        frame["_person"] = frame["incident_id"].astype(str) + "|" + frame["subject_id"].astype("string").fillna(fallback)
    else:
        frame["_person"] = pd.Series(range(len(frame)), index=frame.index).astype(str)
    aggregations = {"incident_id": ("incident_id", "first")}
    if "subject_outcome" in frame:
        aggregations["outcome"] = ("subject_outcome", _most_serious)
    if "subject_armed" in frame:
        aggregations["armed"] = ("subject_armed", _armed)
    for field_name, column in (("subject_weapon", "weapon"), ("subject_race", "race"), ("district", "district")):
        if field_name in frame:
            aggregations[column] = (field_name, lambda s: s.dropna().iloc[0] if s.notna().any() else pd.NA)
    people = frame.groupby("_person", sort=False).agg(**aggregations)
    if "armed" in people:
        people["armed"] = people["armed"].astype("boolean")
    return people.reset_index(drop=True)


def incidents(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per incident: when (its first time), where, the most serious outcome, whether anyone was armed."""
    frame = rows.sort_values("occurred_at", kind="stable")
    aggregations = {"occurred_at": ("occurred_at", "min")}
    if "district" in frame:
        aggregations["district"] = ("district", lambda s: s.dropna().iloc[0] if s.notna().any() else pd.NA)
    if "subject_outcome" in frame:
        aggregations["outcome"] = ("subject_outcome", _most_serious)
    if "subject_armed" in frame:
        aggregations["armed"] = ("subject_armed", _armed)
        if "subject_weapon" in frame:
            # Whether anyone was armed with something other than a vehicle (a vehicle alone is said as such).
            frame = frame.assign(_armed_other=frame["subject_armed"].fillna(False).astype(bool)
                                 & ~frame["subject_weapon"].map(is_vehicle).astype(bool))
            aggregations["armed_other"] = ("_armed_other", "any")
    table = frame.groupby("incident_id", sort=False).agg(**aggregations).sort_values("occurred_at", kind="stable")
    if "armed" in table:
        table["armed"] = table["armed"].astype("boolean")
    return table


def is_vehicle(weapon: object) -> bool:
    """True when a recorded weapon is a vehicle ("Vehicle", "Motor vehicle", "Car")."""
    return not pd.isna(weapon) and bool(VEHICLE.search(str(weapon)))


def armed_words(people: pd.DataFrame) -> pd.Series:
    """Each person's line of the armed table: armed with a vehicle, armed (not with a vehicle), unarmed, not recorded.

    Without a weapon field a vehicle cannot be told apart, and armed people are simply "Armed".
    """
    def words(armed: object, weapon: object) -> str:
        if pd.isna(armed):
            return "Not recorded"
        if not armed:
            return ARMED_WORDS[False]
        if "weapon" not in people:
            return ARMED_WORDS[True]
        return ARMED_VEHICLE if is_vehicle(weapon) else ARMED_OTHER

    weapons = people["weapon"] if "weapon" in people else pd.Series(pd.NA, index=people.index)
    return pd.Series([words(a, w) for a, w in zip(people["armed"], weapons)], index=people.index, dtype=object)


# --- What may be published ------------------------------------------------------------------------------


def events_public(sec: Section) -> bool:
    """Whether this agency publishes each shooting (the registry's ``public_events``, unless agency.yml sets
    ``publish_events: false``)."""
    return sec.agency.events_public(sec.dataset)


def threshold(sec: Section) -> int:
    """The smallest count of shootings that may be stated: 1 (every count) when shootings are public,
    otherwise the agency's ``min_count``."""
    return 1 if events_public(sec) else sec.min_count


def table(sec: Section, frame: pd.DataFrame | None, name: str, caption: str, **options) -> pd.DataFrame | None:
    """Publish a table of counts of shootings (not of people): exactly when shootings are public, each one
    being listed in the reports; otherwise through the suppression rule, as :meth:`Section.table`."""
    if events_public(sec):
        options.setdefault("count_columns", [])
    elif frame is not None and frame.empty:  # every row was a total that would reveal a hidden quarter
        sec.say(f"{caption}: none can be shown, because each includes a quarter with fewer than {sec.min_count} "
                "shootings, which comparing totals from one report to the next would reveal.")
        return None
    return sec.table(frame, name, caption, **options)


def _publishable(sec: Section, span: _common.Span, where: pd.Series | None = None) -> bool:
    """Whether a count of shootings over the span may be stated (always, when shootings are public)."""
    return events_public(sec) or _common.span_reveals_nothing(sec.data, sec.event, span, sec.min_count, "incident_id", where)


def _fatal(sec: Section) -> pd.Series | None:
    return sec.data["subject_outcome"].eq("fatal").fillna(False) if sec.recorded("subject_outcome") else None


# --- The window of three years ---------------------------------------------------------------------------


def window(sec: Section) -> _common.Span:
    """The three years (twelve quarters) that end with the period."""
    return _common.trailing_span(sec.period, WINDOW_QUARTERS)


def window_rows(sec: Section) -> pd.DataFrame:
    return sec.data[window(sec).contains(sec.data[sec.event])]


def window_words(sec: Section) -> str:
    """The three years in words, or the part of them the data covers."""
    return _common.covered_words(sec.data, sec.event, window(sec))


# --- Summary --------------------------------------------------------------------------------------------


def summary(sec: Section) -> list[str]:
    """The quarter against the earlier periods, deaths, and the three-year totals, in plain words."""
    least = threshold(sec)
    sentences = _common.change_sentences(sec, NOUN, SINGULAR, "incident_id", min_count=least)
    current = sec.count(sec.period, "incident_id")
    fatal = _fatal(sec)
    if fatal is not None and current:
        died = sec.count(sec.period, "incident_id", fatal)
        if died == 0:
            sentences.append("No one died in this period's shootings.")
        elif current == 1 and died == 1:
            sentences.append("A person died in this shooting.")
        else:
            sentences.append(f"In {fmt.count(died, least)} of this period's shootings, a person died.")
    sentences.append("Shootings are rare, so the number in one quarter goes up and down by chance. "
                     "Totals over three years are a steadier guide.")
    span = window(sec)
    before = span.previous()
    change = three_year_change(sec, least)
    if change is None:
        sentences.append(f"The data does not reach back three years, to {_common.MONTHS[span.start.month - 1]} {span.start.year}, "
                         "so there is no three-year total yet.")
        return sentences
    now3 = change.current
    if not _publishable(sec, span):
        sentences.append(f"The number of {NOUN} in the three years from {span.label()} is not shown. {_HIDDEN_QUARTER.format(n=sec.min_count)}")
        return sentences
    if change.previous is not None and not _publishable(sec, before):
        sentences.append(f"There were {fmt.count(now3, least)} {NOUN} in the three years from {span.label()}. The number in the "
                         f"three years before is not shown. {_HIDDEN_QUARTER.format(n=sec.min_count)}")
    else:
        sentences.append(analysis.describe_count_change(
            change, f"{NOUN} in the three years from {span.label()}", "the three years before",
            singular=f"{SINGULAR} in the three years from {span.label()}"))
    if fatal is not None and now3:
        died3 = int(sec.data.loc[fatal & span.contains(sec.data[sec.event]), "incident_id"].nunique())
        shown = suppress_value(died3, least) if _publishable(sec, span, fatal) else None
        if died3 == 0:
            sentences.append("No one died in them.")
        elif shown is None and is_small(died3, sec.min_count):
            sentences.append(f"In fewer than {sec.min_count} of them, a person died.")
        elif shown is None:
            sentences.append(f"The number of them in which a person died is not shown. {_HIDDEN_QUARTER.format(n=sec.min_count)}")
        else:
            sentences.append(f"In {fmt.count(died3, least)} of them, a person died.")
    return sentences


def three_year_change(sec: Section, min_count: int | None = None) -> analysis.CountChange | None:
    """Shootings in the three years that end with the period against the three years before: the comparison the
    summary states and the three-year chart's title states (None when the data does not reach back three years)."""
    span = window(sec)
    before = span.previous()
    now3 = _common.count_in_span(sec.data, sec.event, span, "incident_id")
    if now3 is None:
        return None
    before3 = _common.count_in_span(sec.data, sec.event, before, "incident_id")
    return analysis.count_change(now3, before3, span.days, before.days, threshold(sec) if min_count is None else min_count)


_HIDDEN_QUARTER = ("It includes a quarter with fewer than {n}, which comparing totals from one report to the next "
                   "would reveal.")


def counts_note(sec: Section) -> str:
    """Say why some totals over several quarters are missing (only when shootings are not public)."""
    if events_public(sec):
        return ""
    return (f"Totals over three years, or a year, are shown only when every quarter in them had none or at least "
            f"{sec.min_count} shootings. Otherwise, comparing the totals in one report with those in the next "
            f"would reveal a quarter's number below {sec.min_count}, which is not shown.")


# --- Tables and charts -----------------------------------------------------------------------------------


def rolling(sec: Section, points: int = 8) -> pd.DataFrame | None:
    """Shootings in the three years that end with each recent quarter; None when the data does not cover three
    years. When shootings are not public, only the totals whose every quarter may be shown (:func:`counts_note`)."""
    if _common.rolling_totals(sec.data, sec.event, sec.period, WINDOW_QUARTERS, points, "incident_id").empty:
        return None  # the data does not cover three years yet
    totals = _common.rolling_totals(sec.data, sec.event, sec.period, WINDOW_QUARTERS, points, "incident_id",
                                    hidden_quarters=None if events_public(sec) else sec.min_count)
    return totals.rename(columns={"quarter": "Three years ending", "label": "Months", "count": "Shootings"}).set_index("Three years ending")


def rolling_deaths(sec: Section, points: int = 8) -> pd.DataFrame | None:
    """Shootings in which a person died, in the three years that end with each recent quarter.

    A table of its own: beside the shootings, its smaller counts would force most of both columns to be
    hidden, although the two columns are not parts of one total.
    """
    fatal = _fatal(sec)
    if fatal is None:
        return None
    if _common.rolling_totals(sec.data, sec.event, sec.period, WINDOW_QUARTERS, points, "incident_id", where=fatal).empty:
        return None
    totals = _common.rolling_totals(sec.data, sec.event, sec.period, WINDOW_QUARTERS, points, "incident_id", where=fatal,
                                    hidden_quarters=None if events_public(sec) else sec.min_count)
    return (totals.rename(columns={"quarter": "Three years ending", "label": "Months", "count": "Shootings in which a person died"})
            .set_index("Three years ending"))


def rolling_chart(sec: Section, published: pd.DataFrame | None, deaths: pd.DataFrame | None = None):
    """A line chart of the three-year totals, one point per quarter, with deaths as a second line, titled with the
    summary's comparison (the three years to the period against the three years before)."""
    if _common.nothing_published(published, ["Shootings"]):
        return None
    series = {"Shootings": _common.published_values(published, "Shootings")}
    nouns = {"Shootings": "shootings"}
    if deaths is not None and not _common.nothing_published(deaths, ["Shootings in which a person died"]):
        by_quarter = dict(zip(deaths.index, _common.published_values(deaths, "Shootings in which a person died")))
        series["With a death"] = [by_quarter.get(q) for q in published.index]
        nouns["With a death"] = "shootings in which a person died"
    fallback = "Shootings in the three years to each quarter"
    change = three_year_change(sec)
    span = window(sec)
    hidden = change is not None and (not _publishable(sec, span) or (change.previous is not None
                                                                     and not _publishable(sec, span.previous())))
    title = fallback if change is None or hidden else analysis.change_title(
        "shootings", change, f"the three years to {sec.period.code}", "the three years before", fallback=fallback)
    fig = charts.line_chart(list(published.index), series, title=title, value_label="Shootings in three years (count)",
                            x_label="Last quarter of the three years", note=SOURCE_NOTE)
    alt = " ".join(analysis.series_alt("Line chart", f"{nouns[name]} in the three years to each quarter", list(published.index), values)
                   for name, values in series.items())
    return titled(fig, alt)


def by_year(sec: Section) -> pd.DataFrame | None:
    """Shootings in each calendar year the data covers (when shootings are not public, only the years whose
    every quarter may be shown: see :func:`counts_note`).

    Deaths are not split by year: a year holds few shootings, and a second column of smaller counts
    would force most of the table to be hidden. The three-year totals show deaths instead.
    """
    years = _common.calendar_years(sec.data, sec.event, sec.period)
    if not years:
        return None
    rows = [{"Year": label, "Shootings": int(sec.data.loc[span.contains(sec.data[sec.event]), "incident_id"].nunique())}
            for label, span in years if _publishable(sec, span)]
    return pd.DataFrame(rows, columns=["Year", "Shootings"]).astype({"Shootings": "int64"}).set_index("Year")


def by_year_chart(published: pd.DataFrame | None):
    if _common.nothing_published(published, ["Shootings"]):
        return None
    labels = [str(i) for i in published.index]
    series = {c: _common.published_values(published, c) for c in published.columns}
    title = _common.most_title(published, "Shootings", "had the most shootings of the years shown", "Shootings per year")
    fig = charts.bar_chart(labels, series, title=title, value_label="Shootings (count)", note=SOURCE_NOTE)
    alt = " ".join(analysis.series_alt("Bar chart", f"{name.lower()} per year", labels, values) for name, values in series.items())
    return titled(fig, alt)


def outcomes(sec: Section) -> pd.DataFrame | None:
    """People shot at in the three years, by what happened to them."""
    if not sec.recorded("subject_outcome"):
        return None
    people = subjects(window_rows(sec))
    counts = people["outcome"].value_counts().reindex(OUTCOME_ORDER, fill_value=0).astype("int64")
    table = pd.DataFrame({"What happened to the person": [OUTCOME_WORDS[o] for o in OUTCOME_ORDER], "People": counts.to_numpy()})
    table = table[(table["People"] > 0) | (table["What happened to the person"] != OUTCOME_WORDS["unknown"])]
    return _with_share(table.set_index("What happened to the person"), "People")


def armed(sec: Section) -> pd.DataFrame | None:
    """People shot at in the three years: armed, unarmed, or not recorded."""
    if not sec.recorded("subject_armed"):
        return None
    people = subjects(window_rows(sec))
    words = armed_words(people)
    if not (words == ARMED_VEHICLE).any():
        words = words.replace(ARMED_OTHER, ARMED_WORDS[True])  # no vehicle to tell apart
    armed_lines = [ARMED_OTHER, ARMED_VEHICLE] if (words == ARMED_VEHICLE).any() else [ARMED_WORDS[True]]
    counts = words.value_counts().reindex(armed_lines + ["Unarmed", "Not recorded"], fill_value=0).astype("int64")
    table = pd.DataFrame({"Armed": counts.index, "People": counts.to_numpy()}).set_index("Armed")
    table = table[(table["People"] > 0) | ~table.index.isin(["Not recorded", ARMED_VEHICLE])]
    return _with_share(table, "People")


def weapons(sec: Section, top: int = 6) -> pd.DataFrame | None:
    """People shot at in the three years, by the weapon the department recorded (largest first)."""
    if not sec.recorded("subject_weapon"):
        return None
    people = subjects(window_rows(sec))
    return analysis.breakdown(people, "weapon", label="Weapon", count_label="People", top=top,
                              labels=sec.label("subject_weapon"))


def subject_race(sec: Section) -> pd.DataFrame | None:
    """People shot at in the three years by race, beside each group's share of residents."""
    if not sec.recorded("subject_race"):
        return None
    people = subjects(window_rows(sec))
    races = list(registry.enums()["race"].values)
    population = sec.agency.model.population
    by_race = population.by_race if population else {}
    table = analysis.breakdown(people, "race", label="Race", count_label="People", order=races)
    table = table[(table["People"] > 0) | table.index.isin(list(by_race))]
    total = int(table["People"].sum())
    table["Share of people shot at (%)"] = pd.array([100 * n / total if total else None for n in table["People"]], dtype="Float64")
    if by_race:
        residents = sum(by_race.values())
        table["Share of residents (%)"] = pd.array(
            [100 * by_race[r] / residents if r in by_race else None for r in table.index], dtype="Float64")
    return table


def benchmark_note(sec: Section) -> str:
    """Say so when the agency gives no population by race to compare with ("" when it does)."""
    population = sec.agency.model.population
    if sec.recorded("subject_race") and not (population and population.by_race):
        return "The department gives no population figures by race, so there is no comparison with residents."
    return ""


def race_chart(published: pd.DataFrame | None):
    """Grouped bars: each group's share of people shot at beside its share of residents."""
    if published is None or "Share of residents (%)" not in published or _common.nothing_published(published, ["People"]):
        return None
    shown = published[published["Share of residents (%)"].notna()]
    labels = [str(i) for i in shown.index]
    people = _common.published_values(shown, "Share of people shot at (%)")
    residents = _common.published_values(shown, "Share of residents (%)")
    gaps = [(p / r, label, p, r) for label, p, r in zip(labels, people, residents) if p is not None and r]
    if gaps:
        _, label, p, r = max(gaps)
        title = f"{label} people were {fmt.number(p)}% of people shot at and {fmt.number(r)}% of residents"
    else:
        title = "People shot at, by race, beside residents"
    # The rows drawn are some of the table's: their texts are the table's, not made again from these rows.
    texts = {name: charts.published_texts(published, column, shown.index) for name, column in
             (("People shot at", "Share of people shot at (%)"), ("Residents", "Share of residents (%)"))}
    fig = charts.bar_chart(labels, {"People shot at": people, "Residents": residents}, title=title,
                           value_label="Share (%)", value_format="percent", texts=texts,
                           note=SOURCE_NOTE + " Residents: the population estimate named in the methodology.")
    alt = " ".join([analysis.series_alt("Bar chart", "share of people shot at by race", labels, people, "%",
                                        texts=texts["People shot at"]),
                    analysis.series_alt("Bar chart", "share of residents by race", labels, residents, "%",
                                        texts=texts["Residents"])])
    return titled(fig, alt)


def districts(sec: Section) -> pd.DataFrame | None:
    """Shootings in the three years by district."""
    if not sec.recorded("district"):
        return None
    return analysis.breakdown(window_rows(sec), "district", "incident_id", label="District", count_label="Shootings",
                              labels=sec.label("district"))


def district_chart(published: pd.DataFrame | None):
    if published is None:
        return None
    title = _common.most_title(published, "Shootings", "had the most shootings in the three years", "Shootings by district")
    return bar(published, "Shootings", title=title,
               value_label="Shootings (count)", noun="shootings in the three years by district", note=SOURCE_NOTE)


def incident_list(sec: Section) -> pd.DataFrame | None:
    """The period's shootings, one row each, with the fields that may be published: month, district, the most
    serious outcome, and whether anyone shot at was armed. Never names, addresses, exact dates or narratives.
    None when the agency does not publish each shooting (``publish_events: false``)."""
    if not events_public(sec):
        return None
    events = incidents(sec.rows)
    table = pd.DataFrame({"Month": events["occurred_at"].map(lambda t: f"{_common.MONTHS[t.month - 1]} {t.year}")})
    if "district" in events:
        table["District"] = label_series(events["district"], sec.label("district")).fillna("Not recorded")
    if "outcome" in events:
        table["Most serious outcome"] = events["outcome"].map(
            {"fatal": "A person died", "injured": "A person was injured", "uninjured": "No one was injured", "unknown": "Not recorded"})
    if "armed" in events:
        other = events["armed_other"] if "armed_other" in events else pd.Series(True, index=events.index)
        table["Person armed"] = [
            "Not recorded" if pd.isna(armed) else "No" if not armed else "Yes" if not_vehicle else "Yes, with a vehicle"
            for armed, not_vehicle in zip(events["armed"], other)]
    return table.reset_index(drop=True)


def publish_incident_list(sec: Section) -> pd.DataFrame | None:
    """Say what the list is and publish it, or say that the department does not publish one."""
    listed = incident_list(sec)
    if listed is None:
        sec.say("The department does not publish a list of each shooting, so shootings are counted here only in "
                f"numbers, and numbers from 1 to {sec.min_count - 1} are not shown.")
        return None
    sec.say("Each shooting of this period, with the month, the district, the most serious outcome for the people "
            "shot at, and whether any of them was armed. The list leaves out names, addresses, exact dates and "
            "written accounts.")
    return listing(sec, listed, "incident_list", "Shootings this period", empty="There were no shootings by officers this period.")


def disclosure_note(sec: Section) -> str:
    """How the section treats small numbers of shootings, with the registry's reason when they are public."""
    if events_public(sec):
        return (f"{registry.dataset(sec.dataset).public_events_reason} So this report lists each shooting, and gives "
                f"the number of shootings, and of shootings in which a person died, exactly, even below {sec.min_count}. "
                "The tables about the people shot at (what happened to them, whether they were armed, their race) "
                f"still hide numbers from 1 to {sec.min_count - 1}, and the list leaves out their race, sex and age.")
    return f"The department does not publish each shooting. {sec.privacy_note()} {counts_note(sec)}"


def _with_share(table: pd.DataFrame, column: str) -> pd.DataFrame:
    total = int(table[column].sum())
    table["Share (%)"] = pd.array([100 * n / total if total else None for n in table[column]], dtype="Float64")
    return table


def key_answer(sec: Section, published_rolling: pd.DataFrame | None):
    """Page 2: how often did officers shoot at people? The period's shootings against the previous period's, with the
    summary's own test (every shooting counted exactly when shootings are public events), and the published
    three-year totals as the small line."""
    return _common.count_answer(sec, "How often did officers shoot at people?", NOUN, "incidents", published_rolling,
                                "Shootings", "incident_id", min_count=threshold(sec),
                                trend_label="Shootings in the three years to each quarter", table="three_year_totals",
                                singular=SINGULAR)
