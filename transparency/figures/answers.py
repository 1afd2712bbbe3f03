"""Key questions a resident comes with, answered by each section from its own figures and tests (the report's page 2).

A section's notebook calls :meth:`transparency.sections.section.Section.answer` with an :class:`Answer` made by a
tested function of its section module (``use_of_force.key_answer``). The answer's sentence is a list of
parts: plain text, and numbers marked with where they come from, a headline figure of metrics.json
(:func:`figure`) or a cell of a published table (:func:`cell`), so that the consistency audit checks each
number the page shows. Its verdict is the section's own test (the exact Poisson test for counts, Fisher's
test for shares, the stops section's disparity tests), worded by :func:`count_verdict`,
:func:`share_verdict` and :func:`gap_verdict`. The build puts the answers on page 2 in the registry's order,
with the findings that stand out anywhere in the report (:func:`unusual_changes`, :class:`Finding`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from transparency.core import fmt

from .stats import poisson_change

#: Verdict tones, for the page's styling: a change (or gap) beyond chance, none, or nothing to compare.
CHANGE, STEADY, UNKNOWN = "change", "steady", "unknown"


def figure(dataset: str, name: str, value: float | int | None, text: str) -> dict:
    """A number of a sentence that is a headline figure: ``dataset:name`` of metrics.json, its published
    value (None when hidden: the words then say so), and the text shown."""
    return {"figure": f"{dataset}:{name}", "value": value, "text": text}


def cell(dataset: str, table: str, row: object, column: str, value: float | int | None, text: str) -> dict:
    """A number of a sentence that is a cell of a published table (``tables/<dataset>__<table>.csv``, the row
    whose first cell is ``row``, the column ``column``): the audit checks the number against the CSV."""
    return {"table": f"tables/{dataset}__{table}.csv", "row": str(row), "column": column, "value": value, "text": text}


def plain_text(parts: Iterable[str | dict]) -> str:
    """The sentence as a person reads it."""
    return "".join(p if isinstance(p, str) else p["text"] for p in parts)


@dataclass
class Finding:
    """Something that stands out: a change beyond normal variation (``kind="change"``) or a gap between groups
    beyond chance (``kind="disparity"``), with the test's p-value (smaller stands out more)."""

    dataset: str
    kind: str
    parts: list
    p_value: float

    def to_dict(self) -> dict:
        return {"dataset": self.dataset, "kind": self.kind, "parts": self.parts, "p_value": self.p_value}


@dataclass
class Answer:
    """One key question answered by a section.

    Parameters
    ----------
    dataset : str
        The section's dataset (its link on page 2).
    question : str
        The question as a resident asks it.
    verdict : str
        A word or two from the section's own test: "Up", "Down", "No clear change", "Higher for Black people".
    tone : str
        :data:`CHANGE` (beyond chance), :data:`STEADY` (within it) or :data:`UNKNOWN` (nothing to compare).
    parts : list
        The sentence: text, and marked numbers (:func:`figure`, :func:`cell`).
    trend : dict, optional
        The last quarters of a published trend table, for a small line: :func:`trend_points`.
    findings : list of Finding
        What stands out in the section, for the page's list of findings.
    """

    dataset: str
    question: str
    verdict: str
    tone: str
    parts: list
    trend: dict | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def text(self) -> str:
        return plain_text(self.parts)

    def to_dict(self) -> dict:
        return {"dataset": self.dataset, "question": self.question, "verdict": self.verdict, "tone": self.tone,
                "parts": self.parts, "trend": self.trend, "findings": [f.to_dict() for f in self.findings]}


# --- Verdicts ------------------------------------------------------------------------------------------------


def count_verdict(change) -> tuple[str, str]:
    """The verdict on a :class:`transparency.writing.analysis.CountChange` (the summary's comparison): "Up" or "Down"
    when the exact Poisson test finds the change beyond normal variation, "No clear change" when it does not,
    "No change" for equal counts, "Too few to compare" when a count is hidden, "No earlier figure" without one."""
    if change.current is None or change.previous is None:
        return "No earlier figure", UNKNOWN
    if change.current == change.previous:
        return "No change", STEADY
    judgement = change.judgement()
    if judgement is None:
        return "Too few to compare", UNKNOWN
    if poisson_change(change.current, change.previous, change.current_days, change.previous_days).beyond_normal_variation:
        return ("Up" if change.current > change.previous else "Down"), CHANGE
    return "No clear change", STEADY


def share_verdict(change, higher: str = "Higher", lower: str = "Lower") -> tuple[str, str]:
    """The verdict on a :class:`transparency.figures.stats.ShareChange` (Fisher's exact test): ``higher`` or ``lower``
    when the share changed beyond normal variation, else "No clear change"; None gives "Too few to compare"."""
    if change is None:
        return "Too few to compare", UNKNOWN
    if not change.beyond_normal_variation:
        return "No clear change", STEADY
    now = change.current / change.current_total
    before = change.previous / change.previous_total
    return (higher if now > before else lower), CHANGE


def gap_verdict(beyond_chance: bool | None, difference: float | None, group: str, reference: str) -> tuple[str, str]:
    """The verdict on a gap between a group and the reference group: "Higher for Black than White people" (``group``
    "Black", ``reference`` "White people") or "Lower ..." when the gap is beyond chance, "No clear gap" when it is
    not, "Too few to test" when there is no test (None)."""
    if beyond_chance is None or difference is None:
        return "Too few to test", UNKNOWN
    if not beyond_chance:
        return "No clear gap", STEADY
    return f"{'Higher' if difference > 0 else 'Lower'} for {group} than {reference}", CHANGE


# --- Counts and trends ---------------------------------------------------------------------------------------


def count_parts(dataset: str, name: str, change, value, prior, noun: str, period_words: str, prior_words: str,
                min_count: int, singular: str | None = None) -> list:
    """"51 use-of-force incidents this quarter, down 12.1% from 58 in the previous quarter" with both counts marked
    as the figures ``name`` and ``name_prior`` (a hidden count reads "fewer than 5" and is marked as hidden);
    ``singular`` names one ("1 shooting by officers")."""
    def shown(figure_value, raw, suffix):
        if figure_value is None:
            text = f"fewer than {min_count}" if raw is not None else fmt.NOT_SHOWN
            return figure(dataset, name + suffix, None, text)
        return figure(dataset, name + suffix, figure_value, fmt.count(figure_value, None))

    parts: list = [shown(value, change.current, ""), f" {singular if value == 1 and singular else noun} {period_words}"]
    if change.previous is None:
        return parts + ["; there is no earlier figure to compare with"]
    if value is not None and prior is not None and value != prior and prior:
        direction = "up" if value > prior else "down"
        parts.append(f", {direction} {fmt.pct(abs(fmt.relative_change(value, prior)))} from ")
    elif value is not None and value == prior:
        parts.append(", the same as ")
    else:
        parts.append(", against ")
    return parts + [shown(prior, change.previous, "_prior"), f" in {prior_words}"]


def trend_points(dataset: str, table_name: str, published: pd.DataFrame | None, column: str, label: str) -> dict | None:
    """The published trend table's ``column`` as points for a small line: ``{"table", "column", "label", "points":
    [[quarter, value or None], ...]}`` (None when the table was not published or shows fewer than two values)."""
    if published is None or column not in published.columns:
        return None
    points = [[str(q), None if pd.isna(v) else (int(v) if float(v).is_integer() else float(v))]
              for q, v in published[column].items()]
    if sum(v is not None for _, v in points) < 2:
        return None
    return {"table": f"tables/{dataset}__{table_name}.csv", "column": column, "label": label, "points": points}


# --- Findings anywhere in the report --------------------------------------------------------------------------


def unusual_changes(datasets: dict, period_days: float, previous_days: float,
                    counts: dict[str, Iterable[str]] | None = None, skip: Iterable[str] = ()) -> list[dict]:
    """Counts of metrics.json that changed from the previous period by more than normal variation (the exact
    Poisson test), most certain first.

    Parameters
    ----------
    datasets : dict
        metrics.json's ``datasets``: name -> ``{"metrics": {name: value}}``.
    period_days, previous_days : float
        The periods' lengths.
    counts : dict, optional
        Dataset -> the names of its figures that are counts (the sections' ``counts``); without it, every
        whole number that is not a median, percentile or mean is taken as a count.
    skip : iterable of str
        Figures that are not counts of events, by name before ``__`` (``attendees``).

    Returns
    -------
    list of dict
        ``dataset``, ``name``, ``current``, ``prior``, ``p_value``, sorted by p-value.
    """
    out = []
    skip = set(skip)
    for dataset, entry in datasets.items():
        values = entry.get("metrics") or {}
        known = None if counts is None else set(counts.get(dataset, ()))
        for name, current in values.items():
            if name.endswith(("_prior", "_last_year")) or name.startswith(("median_", "p90_", "mean_")):
                continue
            if name.partition("__")[0] in skip or (known is not None and name not in known):
                continue
            prior = values.get(f"{name}_prior")
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in (current, prior)):
                continue
            change = poisson_change(current, prior, period_days, previous_days)
            if change.beyond_normal_variation:
                out.append({"dataset": dataset, "name": name, "current": current, "prior": prior,
                            "p_value": change.p_value})
    return sorted(out, key=lambda c: (c["p_value"], c["dataset"], c["name"]))


# --- What the build adds: the datasets missing or partial, and the findings of the whole report -------------------


def coverage_answer(missing: list[tuple[str, str]], partial: list[tuple[str, str]], not_published: list[str],
                    period_words: str) -> Answer:
    """Which datasets are missing or partial this period?

    Parameters
    ----------
    missing : list of (title, why)
        Sections the agency configures that have no figures this period ("the section could not be produced").
    partial : list of (title, why)
        Sections whose records end before the period does ("records end on August 3, 2026").
    not_published : list of str
        Titles of the report's datasets the department does not publish.
    period_words : str
        "this quarter" or "this period".
    """
    parts: list = []
    if missing:
        parts.append(f"Missing {period_words}: " + "; ".join(f"{title} ({why})" for title, why in missing) + ".")
    if partial:
        parts.append(" " * bool(parts) + f"Partial {period_words}: " + "; ".join(f"{title} ({why})" for title, why in partial) + ".")
    if not parts:
        parts.append(f"Every dataset the department publishes has records for all of {period_words}.")
    if not_published:
        parts.append(f" The department does not publish data on {fmt.join_words(t.lower() for t in not_published)}, so this "
                     "report has no section on them.")
    count = len(missing) + len(partial)
    verdict = "None missing" if not count else f"{count} missing or partial"
    return Answer("", "Which datasets are missing or partial?", verdict, CHANGE if count else STEADY, parts)


#: Records the same months held a year earlier for their absence now to mean the extract ends early: with 10
#: expected, none at all would come about by chance about 5 times in 100,000 (a Poisson count).
PARTIAL_LEAST = 10


def missing_months(this_period: list[int], year_earlier: list[int], least: int = PARTIAL_LEAST) -> int:
    """How many months at the end of the period have no records although the same months a year earlier held at
    least ``least`` between them (0: the period looks whole).

    ``this_period`` and ``year_earlier`` are the records per month of the period and of the same months a year
    earlier, in order. A survey run in the middle month of each quarter, or rare events, have empty months every
    year and are not called partial; daily records that stop in August are.
    """
    empty = 0
    for this in reversed(this_period[-len(year_earlier):]):
        if this:
            break
        empty += 1
    while empty and sum(year_earlier[len(year_earlier) - empty:]) < least:
        empty -= 1
    return empty


def change_finding(dataset: str, title: str, words: str, name: str, current: int, prior: int, prior_words: str,
                   p_value: float) -> Finding:
    """A count of metrics.json that changed beyond normal variation, as a finding: "Citations: 1,234 citations issued,
    down 5.4% from 1,305 in the previous quarter, a change larger than normal variation." (both counts marked)."""
    direction = "up" if current > prior else "down"
    by = f"{direction} {fmt.pct(abs(fmt.relative_change(current, prior)))}" if prior else "up from none"
    parts = [f"{title}: ", figure(dataset, name, current, fmt.count(current, None)), f" {words}, {by}"]
    if prior:
        parts += [" from ", figure(dataset, f"{name}_prior", prior, fmt.count(prior, None))]
    parts.append(f" in {prior_words}, a change larger than normal variation.")
    return Finding(dataset, "change", parts, p_value)


def top_findings(findings: Iterable[dict], changes: int = 4, disparities: int = 3) -> list[dict]:
    """The findings page 2 names: the ``disparities`` gaps and the ``changes`` changes that chance explains least
    (smallest p-value first), gaps first."""
    ranked = sorted(findings, key=lambda f: f["p_value"])
    return ([f for f in ranked if f["kind"] == "disparity"][:disparities]
            + [f for f in ranked if f["kind"] == "change"][:changes])
