"""The statewide comparison: many agencies' published figures side by side, compared fairly.

What it reads is published only: each agency's ``reports/<slug>/<period>/metrics.json`` (never its rows)
and, from its ``agency.yml``, its residents (``population.total``), its sworn officers (``sworn_officers``)
and its suppression threshold. So a count an agency's report hides stays hidden here: it is not in
metrics.json to begin with.

What it computes, per compared dataset (:data:`COMPARED`: each dataset's headline count):

- each agency's count per 1,000 residents and per 100 sworn officers for the period, with an exact
  (Garwood) 95% Poisson interval (:func:`rate`);
- the funnel: the state rate (the agencies whose count is shown, together) and, for an agency of each size,
  the counts that chance alone would give around it 95% and 99.8% of the time (Poisson control limits,
  Spiegelhalter's interpolation: :func:`funnel_limits`); an agency beyond the 99.8% limits is different from
  the state beyond normal variation (:func:`funnel_position`);
- peer groups by residents (:data:`PEER_GROUPS`);
- each agency's change from the previous period, by the exact conditional test of two Poisson counts
  (:func:`transparency.figures.stats.poisson_change`, the agency report's own test);
- which agencies did not report which datasets (:func:`reporting`).

Disclosure, the same rule across agencies: a count is shown as the agency published it, or not at all;
a count from 1 to ``min_count - 1`` (the largest threshold of the agencies compared) is never shown, except
counts of public events (police shootings) that the agency itself publishes exactly. Every total and rate
of the state or of a peer group is a sum over the agencies whose count is shown (and says how many were
left out), so no published figure has a hidden count in it and none can be worked out by subtraction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from transparency.core import registry
from transparency.core.periods import Period, parse_period
from transparency.figures.metrics import HEADLINE
from transparency.figures.stats import ALPHA, poisson_change, poisson_interval

#: The datasets compared, and the count compared: each one's headline figure (metrics.HEADLINE), except
#: surveys (answers are not events) and training (officers trained is a share of the force, not a rate of events).
COMPARED = {name: figure for name, figure in HEADLINE.items() if name not in ("community_surveys", "training")}

#: What each compared count counts, for people.
WORDS = {
    "use_of_force": "use-of-force incidents",
    "complaints": "complaints received",
    "officer_involved_shootings": "police shootings",
    "assaults_on_officers": "officers assaulted",
    "citations": "citations",
    "stops": "people stopped",
    "pursuits": "vehicle pursuits",
    "calls_for_service": "calls for service",
    "arrests": "arrests",
    "community_meetings": "community meetings",
}

#: Peer groups by residents: (lowest, highest + 1 or None, name). The bands of the FBI's population groups,
#: merged where the state's agencies are few.
PEER_GROUPS = [
    (0, 10_000, "Under 10,000"),
    (10_000, 50_000, "10,000 to 49,999"),
    (50_000, 100_000, "50,000 to 99,999"),
    (100_000, 250_000, "100,000 to 249,999"),
    (250_000, None, "250,000 or more"),
]

#: Control limits of the funnel: the 95% limits ("warning") and 99.8% limits ("beyond normal variation").
FUNNEL_LEVELS = (0.95, 0.998)

#: How an agency stands in the funnel.
ABOVE_998, ABOVE_95, WITHIN, BELOW_95, BELOW_998 = (
    "Higher, beyond normal variation", "Higher, 95% limit only", "Within normal variation",
    "Lower, 95% limit only", "Lower, beyond normal variation")

#: The words for an agency's dataset that has no count to compare.
NOT_PUBLISHED = "Does not publish"
NO_REPORT = "No report for the period"
NOT_IN_REPORT = "Not in the agency's report"  # configured, but the build left it out (--datasets)
NO_DATA = "No data for the period"
FAILED = "Failed to build"
HIDDEN = "Not shown (small count)"
REPORTED = "Reported"


@dataclass
class AgencyFigures:
    """One agency as the statewide report sees it: what its configuration says and what it published."""

    slug: str
    name: str
    population: int | None
    sworn_officers: int | None
    min_count: int
    configured: list[str]
    published: dict | None  # metrics.json's "datasets" for the period; None when there is no report
    problem: str = ""  # why there is no report (an agency.yml that does not load ...)

    def to_dict(self) -> dict:
        return {"slug": self.slug, "name": self.name, "population": self.population,
                "sworn_officers": self.sworn_officers, "min_count": self.min_count, "configured": self.configured,
                "published": self.published, "problem": self.problem}


@dataclass
class State:
    """The agencies compared, for one period."""

    period: Period
    agencies: list[AgencyFigures] = field(default_factory=list)

    @property
    def min_count(self) -> int:
        """The threshold applied to every agency's counts: the largest of theirs (the same rule for all)."""
        return max([a.min_count for a in self.agencies] or [5])

    def to_dict(self) -> dict:
        return {"period": self.period.code, "agencies": [a.to_dict() for a in self.agencies]}

    @classmethod
    def from_dict(cls, data: dict) -> State:
        agencies = [AgencyFigures(**a) for a in data["agencies"]]
        return cls(parse_period(data["period"])[0], sorted(agencies, key=lambda a: a.name))


def read_state(path: str | Path) -> State:
    """The inputs a build wrote for the statewide notebook (:func:`transparency.building.statewide.gather`)."""
    return State.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


# --- One agency's count ------------------------------------------------------------------------------------


def status(agency: AgencyFigures, dataset: str) -> str:
    """Whether an agency reported a dataset for the period, in words (:data:`REPORTED` and the others)."""
    if dataset not in agency.configured:
        return NOT_PUBLISHED
    if agency.published is None:
        return NO_REPORT
    entry = agency.published.get(dataset)
    if entry is None:
        return NOT_IN_REPORT
    if entry.get("status") == "failed":
        return FAILED
    if entry.get("status") != "ok" or "metrics" not in entry:
        return NO_DATA
    return REPORTED


def count(state: State, agency: AgencyFigures, dataset: str, suffix: str = "") -> int | None:
    """The agency's published count (``suffix`` ``"_prior"`` for the previous period), or None.

    None when the agency did not report it, hid it (a small count or a complement) or its data does not
    reach that period, and when it is a small count under the statewide threshold that is not a count of
    public events.
    """
    if status(agency, dataset) != REPORTED:
        return None
    name = COMPARED[dataset] + suffix
    value = agency.published[dataset]["metrics"].get(name)
    if value is None:
        return None
    value = int(value)
    if 1 <= value < state.min_count and COMPARED[dataset] not in registry.dataset(dataset).public_counts:
        return None
    return value


def hidden(state: State, agency: AgencyFigures, dataset: str) -> bool:
    """True when the agency reported the dataset but its count is not shown (hidden here or in its report)."""
    return status(agency, dataset) == REPORTED and count(state, agency, dataset) is None


# --- Rates and intervals -----------------------------------------------------------------------------------


def rate(n: int, denominator: float, per: float) -> tuple[float, float, float]:
    """``n`` per ``per`` of ``denominator`` (per 1,000 residents: ``per=1000``), with its exact 95% interval.

    The interval is the Garwood interval of the count (:func:`transparency.figures.stats.poisson_interval`), scaled.
    """
    if denominator <= 0:
        raise ValueError(f"a rate needs a denominator above 0, got {denominator!r}")
    low, high = poisson_interval(int(n))
    scale = per / denominator
    return n * scale, low * scale, high * scale


def peer_group(population: int | None) -> str | None:
    """The peer group (:data:`PEER_GROUPS`) of an agency of ``population`` residents; None without one."""
    if population is None:
        return None
    for low, high, name in PEER_GROUPS:
        if population >= low and (high is None or population < high):
            return name
    return None


def poisson_quantile(probability: float, mean: float) -> int:
    """The smallest count ``r`` with P(X <= r) >= ``probability`` for X Poisson with ``mean``."""
    from scipy.stats import poisson

    return int(poisson.ppf(probability, mean))


def funnel_limits(expected: float, level: float) -> tuple[float, float]:
    """Control limits, as counts, around ``expected`` events: chance alone falls inside them ``level`` of the time.

    Poisson limits with Spiegelhalter's interpolation (Statistics in Medicine 2005; 24:1185-1202), which makes
    the funnel's edges smooth: for the quantile ``r`` of probability ``p``, the limit is ``r - a`` with
    ``a = (F(r) - p) / (F(r) - F(r - 1))`` and F the Poisson distribution function.
    """
    from scipy.stats import poisson

    def limit(p: float) -> float:
        r = poisson_quantile(p, expected)
        cdf_r, cdf_before = poisson.cdf(r, expected), poisson.cdf(r - 1, expected)
        alpha = (cdf_r - p) / (cdf_r - cdf_before) if cdf_r > cdf_before else 0.0
        return max(0.0, r - alpha)

    tail = (1 - level) / 2
    return limit(tail), limit(1 - tail)


def funnel_position(n: int, expected: float) -> str:
    """Where a count of ``n`` stands against ``expected`` events (the state rate times the agency's size)."""
    low95, high95 = funnel_limits(expected, FUNNEL_LEVELS[0])
    low998, high998 = funnel_limits(expected, FUNNEL_LEVELS[1])
    if n > high998:
        return ABOVE_998
    if n < low998:
        return BELOW_998
    if n > high95:
        return ABOVE_95
    if n < low95:
        return BELOW_95
    return WITHIN


@dataclass(frozen=True)
class StateRate:
    """The state's count and rate over the agencies whose count is shown (and how many were left out)."""

    count: int
    population: int
    agencies: int
    left_out: int

    @property
    def per_1000(self) -> float | None:
        return 1000 * self.count / self.population if self.population else None


def state_rate(state: State, dataset: str, agencies: list[AgencyFigures] | None = None) -> StateRate:
    """The count and residents of the agencies (default: all) that report ``dataset`` with a count shown and
    a population; ``left_out`` counts those that report it but have no count shown or no population."""
    total = residents = shown = left_out = 0
    for agency in agencies if agencies is not None else state.agencies:
        if status(agency, dataset) != REPORTED:
            continue
        n = count(state, agency, dataset)
        if n is None or not agency.population:
            left_out += 1
            continue
        total, residents, shown = total + n, residents + agency.population, shown + 1
    return StateRate(total, residents, shown, left_out)


# --- Tables ------------------------------------------------------------------------------------------------

AGENCY, RESIDENTS, OFFICERS, GROUP = "Agency", "Residents", "Sworn officers", "Peer group (residents)"


def comparison(state: State, dataset: str) -> pd.DataFrame | None:
    """Each agency that reports ``dataset``: its residents, count and rate per 1,000 residents with its 95%
    interval, and where it stands in the funnel (against the state rate). None when no agency reports it."""
    words = WORDS[dataset].capitalize()
    overall = state_rate(state, dataset)
    rows = []
    for agency in state.agencies:
        if status(agency, dataset) != REPORTED:
            continue
        n = count(state, agency, dataset)
        row = {AGENCY: agency.name, RESIDENTS: agency.population, words: n, "Per 1,000 residents": None,
               "Likely range, low": None, "Likely range, high": None, "Against the state": None}
        if n is not None and agency.population:
            row["Per 1,000 residents"], row["Likely range, low"], row["Likely range, high"] = rate(n, agency.population, 1000)
            if overall.per_1000 is not None and overall.count > 0:
                row["Against the state"] = funnel_position(n, overall.per_1000 * agency.population / 1000)
        rows.append(row)
    if not rows:
        return None
    table = pd.DataFrame(rows).set_index(AGENCY)
    for column in (RESIDENTS, words):
        table[column] = table[column].astype("Int64")
    for column in ("Per 1,000 residents", "Likely range, low", "Likely range, high"):
        table[column] = table[column].astype("Float64")
    return table


def per_officer(state: State, dataset: str) -> pd.DataFrame | None:
    """Each agency that reports ``dataset`` and gives its sworn officers: its count and rate per 100 officers
    with its 95% interval. None when no such agency."""
    words = WORDS[dataset].capitalize()
    rows = []
    for agency in state.agencies:
        if status(agency, dataset) != REPORTED or not agency.sworn_officers:
            continue
        n = count(state, agency, dataset)
        row = {AGENCY: agency.name, OFFICERS: agency.sworn_officers, words: n, "Per 100 officers": None,
               "Likely range, low": None, "Likely range, high": None}
        if n is not None:
            row["Per 100 officers"], row["Likely range, low"], row["Likely range, high"] = rate(n, agency.sworn_officers, 100)
        rows.append(row)
    if not rows:
        return None
    table = pd.DataFrame(rows).set_index(AGENCY)
    for column in (OFFICERS, words):
        table[column] = table[column].astype("Int64")
    for column in table.columns[3:]:
        table[column] = table[column].astype("Float64")
    return table


def peer_groups(state: State, dataset: str) -> pd.DataFrame | None:
    """Per peer group: agencies reporting, agencies whose count is shown, their count, residents and rate per
    1,000 with its interval. The counts are sums of shown counts only (see the module's docstring)."""
    rows = []
    for _, _, name in PEER_GROUPS:
        members = [a for a in state.agencies if peer_group(a.population) == name and status(a, dataset) == REPORTED]
        if not members:
            continue
        total = state_rate(state, dataset, members)
        row = {GROUP: name, "Agencies reporting": len(members), "Agencies shown": total.agencies,
               WORDS[dataset].capitalize() + " (agencies shown)": total.count, "Residents (agencies shown)": total.population,
               "Per 1,000 residents": None, "Likely range, low": None, "Likely range, high": None}
        if not total.agencies:  # no count shown: nothing to add up (a 0 would read as none happened)
            row[WORDS[dataset].capitalize() + " (agencies shown)"] = row["Residents (agencies shown)"] = None
        elif total.population:
            row["Per 1,000 residents"], row["Likely range, low"], row["Likely range, high"] = rate(total.count, total.population, 1000)
        rows.append(row)
    if not rows:
        return None
    table = pd.DataFrame(rows).set_index(GROUP)
    for column in table.columns[:4]:
        table[column] = table[column].astype("Int64")
    for column in table.columns[4:]:
        table[column] = table[column].astype("Float64")
    return table


def reporting(state: State) -> pd.DataFrame:
    """Per agency, the compared topics by what it reported: :data:`REPORTED` (count shown), :data:`HIDDEN`,
    :data:`NO_DATA`, :data:`FAILED` or :data:`NOT_IN_REPORT`, :data:`NO_REPORT`, :data:`NOT_PUBLISHED` (one column
    each, topics listed)."""
    columns = {REPORTED: "Count shown", HIDDEN: "Count not shown (small)", NO_DATA: "No data, failed or left out",
               FAILED: "No data, failed or left out", NOT_IN_REPORT: "No data, failed or left out",
               NO_REPORT: "No report for the period", NOT_PUBLISHED: "Does not publish"}
    rows = []
    for agency in state.agencies:
        row = {AGENCY: agency.name, **{column: [] for column in dict.fromkeys(columns.values())}}
        for dataset in COMPARED:
            words = status(agency, dataset)
            words = HIDDEN if words == REPORTED and hidden(state, agency, dataset) else words
            row[columns[words]].append(registry.dataset(dataset).title)
        rows.append({k: ", ".join(v) if isinstance(v, list) else v for k, v in row.items()})
    table = pd.DataFrame(rows).set_index(AGENCY)
    return table[[c for c in table.columns if (table[c] != "").any()]]


def changes(state: State, dataset: str) -> pd.DataFrame | None:
    """Each agency whose count is shown for the period and the one before: both counts, the change in percent,
    and whether it is beyond normal variation (the exact test of two Poisson counts over the periods' days)."""
    prior = state.period.previous()
    words = WORDS[dataset].capitalize()
    rows = []
    for agency in state.agencies:
        now, before = count(state, agency, dataset), count(state, agency, dataset, "_prior")
        if now is None or before is None:
            continue
        test = poisson_change(now, before, state.period.days, prior.days)
        rows.append({AGENCY: agency.name, f"{words}, {prior.code}": before, f"{words}, {state.period.code}": now,
                     "Change (%)": 100 * (now - before) / before if before else None,
                     "By chance, times in 100": 100 * test.p_value,
                     "Beyond normal variation": ("Up" if now > before else "Down") if test.beyond_normal_variation else "No"})
    if not rows:
        return None
    table = pd.DataFrame(rows).set_index(AGENCY)
    for column in table.columns[:2]:
        table[column] = table[column].astype("Int64")
    for column in ("Change (%)", "By chance, times in 100"):
        table[column] = table[column].astype("Float64")
    return table


def without_officers(state: State, dataset: str) -> list[str]:
    """Agencies reporting ``dataset`` that give no sworn-officer count (left out of rates per 100 officers)."""
    return [a.name for a in state.agencies if status(a, dataset) == REPORTED and not a.sworn_officers]


def without_population(state: State, dataset: str) -> list[str]:
    """Agencies reporting ``dataset`` that give no residents (left out of rates per 1,000 and the funnel)."""
    return [a.name for a in state.agencies if status(a, dataset) == REPORTED and not a.population]


def any_shown(state: State, dataset: str) -> bool:
    """True when at least one agency's count of ``dataset`` is shown."""
    return any(count(state, a, dataset) is not None for a in state.agencies)


def compared_datasets(state: State) -> list[str]:
    """The compared datasets at least one agency reports for the period, in the registry's order."""
    return [d for d in COMPARED if any(status(a, d) == REPORTED for a in state.agencies)]


# --- The published figures (metrics.json) ------------------------------------------------------------------


def figures(state: State) -> dict:
    """Every figure the statewide report shows, for its metrics.json: per dataset the state's and each agency's."""
    out: dict = {"period": state.period.code, "min_count": state.min_count, "agencies": {}, "datasets": {}}
    for agency in state.agencies:
        out["agencies"][agency.slug] = {"name": agency.name, "population": agency.population,
                                        "sworn_officers": agency.sworn_officers,
                                        "peer_group": peer_group(agency.population),
                                        "report": "ok" if agency.published is not None else "missing"}
    for dataset in COMPARED:
        overall = state_rate(state, dataset)
        entry = {"figure": COMPARED[dataset],
                 "state": {"count": overall.count, "population": overall.population, "agencies_shown": overall.agencies,
                           "agencies_left_out": overall.left_out,
                           "per_1000": None if overall.per_1000 is None else round(overall.per_1000, 4)},
                 "peer_groups": {}, "agencies": {}}
        for _, _, name in PEER_GROUPS:
            members = [a for a in state.agencies if peer_group(a.population) == name and status(a, dataset) == REPORTED]
            if members:
                group = state_rate(state, dataset, members)
                entry["peer_groups"][name] = {"count": group.count, "population": group.population,
                                              "agencies_shown": group.agencies, "agencies_left_out": group.left_out}
        for agency in state.agencies:
            words = status(agency, dataset)
            item: dict = {"status": words}
            if words == REPORTED:
                n = count(state, agency, dataset)
                item["count"] = n
                item["count_prior"] = count(state, agency, dataset, "_prior")
                if n is None:
                    item["suppressed"] = "small count, or hidden in the agency's report"
                if n is not None and agency.population:
                    value, low, high = rate(n, agency.population, 1000)
                    item["per_1000"] = [round(value, 4), round(low, 4), round(high, 4)]
                    if overall.per_1000 is not None and overall.count > 0:
                        item["funnel"] = funnel_position(n, overall.per_1000 * agency.population / 1000)
                if n is not None and agency.sworn_officers:
                    value, low, high = rate(n, agency.sworn_officers, 100)
                    item["per_100_officers"] = [round(value, 4), round(low, 4), round(high, 4)]
            entry["agencies"][agency.slug] = item
        out["datasets"][dataset] = entry
    return out


def significance_words() -> str:
    """How "beyond normal variation" is decided here, in one sentence."""
    return (f"A change is called beyond normal variation when chance alone would give one this large less than "
            f"{round(ALPHA * 100)} times in 100; an agency is called different from the state when its count lies "
            "outside the 99.8% control limits of the funnel (about 2 times in 1,000 by chance).")
