"""Figures of metrics.json in words, for people: "Use of force: incidents in which the person was injured (previous quarter)".

Shared by the build (page 2's findings), review and the correction notes of a release; it imports nothing
above the registry, so no layer has to reach up for it.
"""

from __future__ import annotations

from transparency.core import registry
from transparency.core.periods import Period

_METRIC_WORDS = {
    "incidents": "incidents",
    "applications": "applications of force",
    "incidents_subject_injured": "incidents in which the person was injured",
    "incidents_subject_hospitalized": "incidents in which the person was treated in hospital",
    "incidents_officer_injured": "incidents in which an officer was injured",
    "incidents_fatal": "incidents in which someone died",
    "complaints_received": "complaints received",
    "allegations_received": "allegations received",
    "allegations_closed": "allegations closed",
    "allegations_sustained": "allegations sustained",
    "complaints_closed": "complaints closed",
    "complaints_sustained": "complaints sustained",
    "median_days_to_close": "median days to close an allegation",
    "officers_assaulted": "officers assaulted",
    "officers_injured": "officers injured",
    "citations": "citations issued",
    "arrests": "arrests",
    "stops": "people stopped",
    "searches": "searches",
    "searches_with_contraband": "searches that found contraband",
    "pursuits": "pursuits",
    "pursuits_with_crash": "pursuits that ended in a crash",
    "calls": "calls",
    "median_response_minutes": "median response time in minutes",
    "p90_response_minutes": "90th percentile response time in minutes",
    "meetings": "meetings",
    "attendees": "people attending",
    "responses": "survey responses",
    "measures": "survey measures",
    "officers_trained": "officers trained",
    "training_hours": "hours of training",
    "rows_read": "records read",
    "rows_in_period": "records in the period",
}
#: Figures that are not counts of events (a Poisson comparison means nothing for them).
NOT_COUNTS = frozenset({"median_days_to_close", "median_response_minutes", "p90_response_minutes", "training_hours",
                        "attendees", "measures"})


def split_metric(key: str) -> tuple[str, str]:
    """``incidents_prior`` -> (``incidents``, ``_prior``); suffix ``""`` for the period itself."""
    for suffix in ("_prior", "_last_year"):
        if key.endswith(suffix):
            return key[: -len(suffix)], suffix
    return key, ""


def _when(suffix: str, period: Period | None) -> str:
    quarter = period is None or period.kind in ("quarter", "fiscal_quarter")
    return {"": "this quarter" if quarter else "this period",
            "_prior": "previous quarter" if quarter else "previous period",
            "_last_year": "same quarter last year" if quarter else "a year earlier"}[suffix]


def _value_words(part: str) -> str:
    return f"priority {part}" if part.isdigit() else part.replace("_", " ").title()


def dataset_title(dataset: str) -> str:
    """The dataset's title from the registry ("Use of force"), or its name in words."""
    try:
        return registry.dataset(dataset).title
    except KeyError:
        return dataset.replace("_", " ").capitalize()


def figure_label(dataset: str, key: str, period: Period | None = None) -> str:
    """A metric of metrics.json in words: "Use of force: incidents in which the person was injured (previous quarter)"."""
    from .backmatter import _reason_words

    title = dataset_title(dataset)
    if key.startswith("rows_excluded:"):
        return f"{title}: records left out ({_reason_words(key.split(':', 1)[1])})"
    base, suffix = split_metric(key)
    head, _, part = base.partition("__")
    words = _METRIC_WORDS.get(head, head.replace("_", " "))
    if part:
        words = f"{words}: {_value_words(part)}"
    return f"{title}: {words}" + (f" ({_when(suffix, period)})" if key not in ("rows_read", "rows_in_period") else "")
