"""Headline figures of every dataset under SPEC.md's names, for a period, the one before, and a year earlier.

Each dataset has one function that takes the canonical table and a period and returns figures for
that period only. :func:`compute` runs it for the period, the previous period (``_prior``) and the same
period a year earlier (``_last_year``), applies the coverage rule (``null`` when a comparison period lies
outside the data's dates; 0 when covered and nothing happened) and the suppression rule (a small count,
or a figure built on one, is ``null`` with the reason in ``suppressed``).

A figure whose field the agency does not record is omitted, never 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from transparency.core import fmt, registry
from transparency.core.periods import Period

from .suppress import SMALL_COUNT, is_small, suppress_table


@dataclass(frozen=True)
class Figure:
    """One figure: its value and what it rests on, for suppression.

    ``basis`` is the number of records the figure is built on: for a count it is the count itself; for
    a median or a share it is the number of records; None when the figure cannot identify anyone
    (hours of training, say).
    """

    value: float | int | None
    basis: int | None


def _count(n) -> Figure:
    n = int(n)
    return Figure(n, n)


def _median_minutes(values: pd.Series) -> Figure:
    values = values.dropna()
    return Figure(float(values.median()) if len(values) else None, len(values))


def _quantile(values: pd.Series, q: float) -> Figure:
    values = values.dropna()
    return Figure(float(values.quantile(q)) if len(values) else None, len(values))


def _in(table: pd.DataFrame, column: str, period: Period) -> pd.DataFrame:
    return table[period.contains(table[column])]


def _true(series: pd.Series) -> pd.Series:
    return series.fillna(False).astype(bool)


# --- One function per dataset -----------------------------------------------------------------------------


def use_of_force(table: pd.DataFrame, period: Period) -> dict[str, Figure]:
    rows = _in(table, "occurred_at", period)
    out = {"incidents": _count(rows["incident_id"].nunique()), "applications": _count(len(rows))}
    if "subject_injured" in rows:
        out["incidents_subject_injured"] = _count(rows.loc[_true(rows["subject_injured"]), "incident_id"].nunique())
    if "officer_injured" in rows:
        out["incidents_officer_injured"] = _count(rows.loc[_true(rows["officer_injured"]), "incident_id"].nunique())
    if "subject_hospitalized" in rows:
        out["incidents_subject_hospitalized"] = _count(rows.loc[_true(rows["subject_hospitalized"]), "incident_id"].nunique())
    return out


def complaints(table: pd.DataFrame, period: Period) -> dict[str, Figure]:
    received = _in(table, "received_at", period)
    out = {
        "complaints_received": _count(received["complaint_id"].nunique()),
        "allegations_received": _count(len(received)),
    }
    if "closed_at" in table:
        closed = _in(table, "closed_at", period)
        out["allegations_closed"] = _count(len(closed))
        if "disposition" in table:
            out["allegations_sustained"] = _count((closed["disposition"] == "sustained").sum())
        days = (closed["closed_at"] - closed["received_at"]).dt.total_seconds() / 86400
        out["median_days_to_close"] = _median_minutes(days[days >= 0])
    return out


def officer_involved_shootings(table: pd.DataFrame, period: Period) -> dict[str, Figure]:
    rows = _in(table, "occurred_at", period)
    out = {"incidents": _count(rows["incident_id"].nunique())}
    people = rows.drop_duplicates(["incident_id", "subject_id"] if "subject_id" in rows else ["incident_id"])
    out["subjects"] = _count(len(people))
    if "subject_outcome" in rows:
        out["incidents_fatal"] = _count(rows.loc[rows["subject_outcome"] == "fatal", "incident_id"].nunique())
        out["subjects_fatal"] = _count((people["subject_outcome"] == "fatal").sum())
    return out


def assaults_on_officers(table: pd.DataFrame, period: Period) -> dict[str, Figure]:
    rows = _in(table, "occurred_at", period)
    out = {"incidents": _count(rows["incident_id"].nunique()), "officers_assaulted": _count(len(rows))}
    if "officer_injured" in rows:
        out["officers_injured"] = _count(_true(rows["officer_injured"]).sum())
    if "officer_killed" in rows:
        out["officers_killed"] = _count(_true(rows["officer_killed"]).sum())
    return out


def citations(table: pd.DataFrame, period: Period) -> dict[str, Figure]:
    rows = _in(table, "issued_at", period)
    return {"citations": _count(rows["citation_id"].nunique())}


def arrests(table: pd.DataFrame, period: Period) -> dict[str, Figure]:
    rows = _in(table, "arrested_at", period)
    return {"arrests": _count(rows["arrest_id"].nunique())}


def stops(table: pd.DataFrame, period: Period) -> dict[str, Figure]:
    rows = _in(table, "occurred_at", period)
    out = {"stops": _count(len(rows))}
    searched = _true(rows["search_conducted"]) if "search_conducted" in rows else None
    if searched is not None:
        out["searches"] = _count(searched.sum())
        if "contraband_found" in rows:
            out["searches_with_contraband"] = _count((searched & _true(rows["contraband_found"])).sum())
    if "subject_race" in rows:
        for race in registry.enums()["race"].values:
            is_race = rows["subject_race"] == race
            out[f"stops__{registry.slug(race)}"] = _count(is_race.sum())
            if searched is not None:
                out[f"searches__{registry.slug(race)}"] = _count((is_race & searched).sum())
    return out


def pursuits(table: pd.DataFrame, period: Period) -> dict[str, Figure]:
    rows = _in(table, "started_at", period)
    out = {"pursuits": _count(len(rows))}
    if "crash" in rows:
        out["pursuits_with_crash"] = _count(_true(rows["crash"]).sum())
    if "injuries" in rows:
        out["people_injured"] = _count(rows["injuries"].fillna(0).sum())
    if "fatalities" in rows:
        out["people_killed"] = _count(rows["fatalities"].fillna(0).sum())
    if "policy_compliant" in rows:
        out["pursuits_not_within_policy"] = _count((rows["policy_compliant"] == False).sum())  # noqa: E712 - nullable
    return out


def response_minutes(rows: pd.DataFrame, start: str = "received_at", end: str = "arrived_at") -> pd.Series:
    """Minutes from ``start`` to ``end`` for calls that have both and a non-negative span (else NaN)."""
    span = (rows[end] - rows[start]).dt.total_seconds() / 60
    return span.where(span >= 0)


def calls_for_service(table: pd.DataFrame, period: Period) -> dict[str, Figure]:
    rows = _in(table, "received_at", period)
    out = {"calls": _count(len(rows))}
    if "arrived_at" in rows:
        minutes = response_minutes(rows)
        if "source" in rows:  # an officer who started the call was already there: no response to time
            minutes = minutes.where(rows["source"].astype("string").ne("officer_initiated").fillna(True))
        out["median_response_minutes"] = _median_minutes(minutes)
        out["p90_response_minutes"] = _quantile(minutes, 0.9)
        if "priority" in rows:
            for priority, group in minutes.groupby(rows["priority"].fillna("unknown")):
                out[f"median_response_minutes__{registry.slug(priority)}"] = _median_minutes(group)
    return out


def community_meetings(table: pd.DataFrame, period: Period) -> dict[str, Figure]:
    rows = _in(table, "held_at", period)
    out = {"meetings": _count(rows["meeting_id"].nunique())}
    if "attendees" in rows:
        out["attendees"] = Figure(int(rows["attendees"].fillna(0).sum()), None)
    if "officers_present" in rows:
        out["officers_present"] = Figure(int(rows["officers_present"].fillna(0).sum()), None)
    return out


def community_surveys(table: pd.DataFrame, period: Period) -> dict[str, Figure]:
    rows = _in(table, "surveyed_at", period)
    if "question" in rows and rows["question"].notna().any():
        out = {"responses": _count(len(rows))}
        if "respondent_id" in rows:
            out["respondents"] = _count(rows.loc[rows["question"].notna(), "respondent_id"].nunique())
        return out
    return {"measures": Figure(len(rows), None)}


def training(table: pd.DataFrame, period: Period) -> dict[str, Figure]:
    rows = _in(table, "completed_at", period)
    out = {"officers_trained": _count(rows["officer_id"].nunique()), "course_completions": _count(len(rows))}
    if "hours" in rows:
        out["training_hours"] = Figure(float(rows["hours"].fillna(0).sum()), None)
    return out


FUNCTIONS: dict[str, Callable[[pd.DataFrame, Period], dict[str, Figure]]] = {
    "use_of_force": use_of_force,
    "complaints": complaints,
    "officer_involved_shootings": officer_involved_shootings,
    "assaults_on_officers": assaults_on_officers,
    "citations": citations,
    "stops": stops,
    "pursuits": pursuits,
    "calls_for_service": calls_for_service,
    "arrests": arrests,
    "community_meetings": community_meetings,
    "community_surveys": community_surveys,
    "training": training,
}

# The figure shown on the "At a glance" page for each dataset.
HEADLINE = {
    "use_of_force": "incidents",
    "complaints": "complaints_received",
    "officer_involved_shootings": "incidents",
    "assaults_on_officers": "officers_assaulted",
    "citations": "citations",
    "stops": "stops",
    "pursuits": "pursuits",
    "calls_for_service": "calls",
    "arrests": "arrests",
    "community_meetings": "meetings",
    "community_surveys": "respondents",
    "training": "officers_trained",
}


#: Decimals a published figure that is not a whole number is shown with, everywhere (metrics.json, the
#: sentences and tables that show it): medians and percentiles of minutes and days, hours of training.
DECIMALS = 1


@dataclass
class Metrics:
    """Published figures (``values``: name -> number or None) and why any is None (``suppressed``).

    ``figures`` holds the same figures before disclosure control (private: a section builds its tables
    from them, so that a table and metrics.json show one computation); it is never published.
    """

    values: dict[str, float | int | None] = field(default_factory=dict)
    suppressed: dict[str, str] = field(default_factory=dict)
    figures: dict[str, Figure] = field(default_factory=dict, repr=False)
    #: Counts of public events, published exactly however small (see ``public_events`` in :func:`compute`).
    public_counts: set[str] = field(default_factory=set)

    def public(self) -> dict:
        """What metrics.json holds of these figures: ``{"values": ..., "suppressed": ...}``, and which
        of them are counts (``counts``: for the consistency audit's small-count check)."""
        return {"values": dict(sorted(self.values.items())), "suppressed": dict(sorted(self.suppressed.items())),
                "counts": sorted(name for name, figure in self.figures.items() if figure.basis is not None
                                 and figure.value == figure.basis and name not in self.public_counts)}


def _complementary(figures: dict[str, Figure], min_count: int, hide: frozenset[str] = frozenset()) -> set[str]:
    """Counts of a breakdown (``stops__black``, ``stops__white``...) add up to a published total, so a
    hidden one could be worked out by subtraction: the suppression rule hides a second one too.

    ``hide`` names figures another published output hides (a table showing the same breakdown):
    they are hidden here too, and protected like small counts. Returns the names hidden as
    complements (the small counts themselves are hidden by the caller).
    """
    groups: dict[str, list[str]] = {}
    for name, figure in figures.items():
        if "__" in name and figure.basis is not None and figure.value == figure.basis:
            groups.setdefault(name.split("__", 1)[0], []).append(name)
    hidden: set[str] = set()
    for names in groups.values():
        counts = pd.DataFrame({"count": [int(figures[n].value) for n in names]}, index=names)
        forced = pd.DataFrame({"count": [n in hide for n in names]}, index=names)
        published = suppress_table(counts, count_columns=["count"], min_count=min_count, hide=forced)
        hidden.update(entry["row"] for entry in published.log if entry["reason"] == "complementary")
    return hidden | {name for name in hide if name in figures and "__" not in name}


def coverage(table: pd.DataFrame, dataset: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """First and last event date of the used rows, or None for an empty table."""
    dates = table[registry.dataset(dataset).event].dropna()
    if dates.empty:
        return None
    return dates.min(), dates.max()


def covers(span: tuple[pd.Timestamp, pd.Timestamp] | None, period: Period) -> bool:
    """True when the period overlaps the data's dates (so 0 means none happened, not no data)."""
    if span is None:
        return False
    return pd.Timestamp(period.start) <= span[1] and pd.Timestamp(period.end) > span[0]


def published_value(figure: Figure) -> float | int | None:
    """A figure's value as it is published: whole counts as ``int``, other numbers rounded once to
    :data:`DECIMALS` (what every sentence and table shows of it)."""
    value = figure.value
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer() and figure.value == figure.basis:
        return int(value)
    return fmt.rounded(float(value), DECIMALS) if isinstance(value, float) else value


def at_grain(figures: dict, grain: registry.Grain | None) -> dict:
    """A dataset's figures as named at a grain (``grains`` in datasets.yml): a figure that counts
    something else when one row is, say, a complaint rather than an allegation is renamed
    (``allegations_closed`` -> ``complaints_closed``) or left out (``allegations_received``: the rows
    are complaints, which ``complaints_received`` already counts)."""
    if grain is None or not grain.metrics:
        return figures
    out = {}
    for name, figure in figures.items():
        renamed = grain.metric(name)
        if renamed is not None:
            out[renamed] = figure
    return out


def compute(dataset: str, table: pd.DataFrame, period: Period, min_count: int,
            hide: frozenset[str] | set[str] = frozenset(), *, public_events: bool | None = None,
            grain: registry.Grain | None = None) -> Metrics:
    """Every headline figure of a dataset for the period, with ``_prior`` and ``_last_year`` variants.

    This is the one computation of a section's headline figures: the section's notebook calls it
    (:class:`transparency.sections.section.Section`), its sentences and tables show its results, and the build
    publishes them in metrics.json and on the at-a-glance page.

    Parameters
    ----------
    dataset : str
        Canonical dataset name.
    table : pandas.DataFrame
        The dataset's canonical table (every used row; at least every date the three periods hold).
    period : Period
        The reporting period.
    min_count : int
        The agency's suppression threshold.
    hide : set of str, optional
        Figures (with their suffix) that another published output hides: hidden here too, with
        reason ``complementary``, and protected like small counts.
    public_events : bool, optional
        Whether the dataset's events are published one by one (:meth:`Agency.events_public`); None takes
        the registry's ``public_events``. When true, the counts of the events themselves (the registry's
        ``public_counts``: a shooting and a shooting in which a person died) are published exactly, small
        or not, because the section lists each event; every other figure is suppressed as usual.
    grain : Grain, optional
        What one row is (:meth:`Agency.grain`); the figures are named as at that grain (:func:`at_grain`).
    """
    spec = registry.dataset(dataset)
    public = set(spec.public_counts) if (spec.public_events if public_events is None else public_events) else set()
    def function(rows: pd.DataFrame, when: Period) -> dict[str, Figure]:
        return at_grain(FUNCTIONS[dataset](rows, when), grain)

    span = coverage(table, dataset)
    hide = frozenset(hide)
    result = Metrics()
    for suffix, when in (("", period), ("_prior", period.previous()), ("_last_year", period.year_earlier())):
        if not covers(span, when):
            for name in function(table.iloc[0:0], when):
                result.values[name + suffix] = None
            continue
        figures = function(table, when)
        for name, figure in figures.items():
            result.figures[name + suffix] = figure
            if name in public:
                result.public_counts.add(name + suffix)
        forced = frozenset(name[: len(name) - len(suffix)] for name in hide
                           if name.endswith(suffix) and name[: len(name) - len(suffix)] in figures
                           and (suffix or not name.endswith(("_prior", "_last_year"))))
        complementary = _complementary(figures, min_count, forced)
        for name, figure in figures.items():
            key = name + suffix
            if figure.basis is not None and is_small(figure.basis, min_count) and name not in public:
                result.values[key] = None
                result.suppressed[key] = SMALL_COUNT if figure.value == figure.basis else f"based on fewer than {min_count} records"
            elif name in complementary:
                result.values[key] = None
                result.suppressed[key] = "complementary"
            else:
                result.values[key] = published_value(figure)
    return result
