"""Plain-English sentences from numbers, for residents: neutral wording, small counts never shown.

Every function takes numbers and labels and returns one or two finished sentences. Counts from 1 to
``min_count - 1`` are written "fewer than 5" whether the caller passes them as None with a
``*_suppressed`` flag (the normal route, after :func:`transparency.figures.suppress.suppress_value`) or, by
mistake, as the small number itself; no percentage is computed from a hidden count. Labels are
plural nouns written for a resident ("use-of-force incidents", not ``use_of_force``).
"""

from __future__ import annotations

import numbers

from transparency.core import fmt

__all__ = ["describe_change", "describe_median", "describe_share"]

_HIDDEN, _MISSING, _SHOWN = "hidden", "missing", "shown"


def _state(value: object, suppressed: bool, min_count: int) -> str:
    if suppressed:
        return _HIDDEN
    if fmt.is_missing(value):
        return _MISSING
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"expected a number, got {value!r}")
    if value < 0:
        raise ValueError(f"a count cannot be negative, got {value!r}")
    if 1 <= value < min_count:
        return _HIDDEN
    return _SHOWN


def _with_judgement(sentence: str, judgement: str | None) -> str:
    clause = (judgement or "").strip().rstrip(".").strip()
    if not clause:
        return sentence
    return f"{sentence[:-1]}, {clause}."


def _fewer(min_count: int) -> str:
    return f"fewer than {min_count}"


def _amount(value: object, min_count: int) -> str:
    """A shown count in words: "none" for zero, else the number with separators."""
    return "none" if value == 0 else fmt.count(value, min_count)


def describe_change(
    label: str,
    current: int | None,
    previous: int | None,
    previous_label: str = "the previous quarter",
    *,
    singular: str | None = None,
    min_count: int = 5,
    current_suppressed: bool = False,
    previous_suppressed: bool = False,
    judgement: str | None = None,
) -> str:
    """Describe a count and how it compares with an earlier period.

    Parameters
    ----------
    label : str
        What is counted, as a plural noun: ``"use-of-force incidents"``.
    current : int or None
        The count for the period; None when it is hidden (set ``current_suppressed``) or not
        available.
    previous : int or None
        The count for the earlier period, likewise.
    previous_label : str, default "the previous quarter"
        The earlier period in words, read after "in": ``"the same quarter last year"``,
        ``"July to September 2024"``.
    singular : str, optional
        ``label`` for a count of exactly 1, which is shown only when ``min_count`` is 1 (any
        higher threshold hides a 1).
    min_count : int, default 5
        Smallest count that may be shown.
    current_suppressed, previous_suppressed : bool, default False
        True when the count was hidden as a small count; the sentence then says
        "fewer than <min_count>" and gives no percentage.
    judgement : str, optional
        A clause about whether the change is beyond normal variation, appended after a comma,
        e.g. ``"a change within normal variation"``. Left out when no comparison is possible.

    Returns
    -------
    str
        ``"There were 51 use-of-force incidents, down 12.1% from 58 in the previous quarter."``;
        ``"..., up from none in the previous quarter."``; ``"..., the same as in the previous
        quarter."``; ``"There were fewer than 5 ..., compared with 58 in the previous quarter."``;
        ``"There were 51 .... The figure for the previous quarter is not available."``
    """
    now = _state(current, current_suppressed, min_count)
    before = _state(previous, previous_suppressed, min_count)

    if now == _MISSING:
        return f"The number of {label} is not available."
    if now == _HIDDEN:
        opening = f"There were {_fewer(min_count)} {label}"
    elif current == 0:
        opening = f"There were no {label}"
    elif current == 1:
        opening = f"There was 1 {singular or label}"
    else:
        opening = f"There were {fmt.count(current, min_count)} {label}"

    if before == _MISSING:
        return f"{opening}. The figure for {previous_label} is not available."

    if now == _HIDDEN or before == _HIDDEN:
        earlier = _fewer(min_count) if before == _HIDDEN else _amount(previous, min_count)
        comparison = f"compared with {earlier} in {previous_label}"
    elif current == previous:
        comparison = f"the same as in {previous_label}"
    elif previous == 0:
        comparison = f"up from none in {previous_label}"
    elif current == 0:
        comparison = f"down from {fmt.count(previous, min_count)} in {previous_label}"
    else:
        direction = "up" if current > previous else "down"
        change = fmt.pct(abs(fmt.relative_change(current, previous)))
        comparison = f"{direction} {change} from {fmt.count(previous, min_count)} in {previous_label}"
    return _with_judgement(f"{opening}, {comparison}.", judgement)


def describe_share(
    part: int | None,
    whole: int | None,
    label: str,
    whole_label: str | None = None,
    *,
    min_count: int = 5,
    part_suppressed: bool = False,
    whole_suppressed: bool = False,
    judgement: str | None = None,
) -> str:
    """Describe how many of a group did something, with the percentage.

    Parameters
    ----------
    part : int or None
        How many did it; None when hidden (set ``part_suppressed``) or not available.
    whole : int or None
        How many there were in all.
    label : str
        What the part did, read after the count: ``"led to a search"``.
    whole_label : str, optional
        The group as a plural noun: ``"stops"``. Strongly recommended.
    min_count : int, default 5
        Smallest count that may be shown.
    part_suppressed, whole_suppressed : bool, default False
        True when that count was hidden as a small count.
    judgement : str, optional
        A clause appended after a comma.

    Returns
    -------
    str
        ``"Of the 51 stops, 12 (23.5%) led to a search."``, ``"Of the 51 stops, none led to a
        search."``, ``"All 51 stops led to a search."``, ``"Of the 51 stops, fewer than 5 led to a
        search."``, ``"There were no stops."``

    Raises
    ------
    ValueError
        If ``part`` is larger than ``whole``.
    """
    group = f" {whole_label}" if whole_label else ""
    some = _state(part, part_suppressed, min_count)
    total = _state(whole, whole_suppressed, min_count)
    if total == _HIDDEN:
        sentence = f"There were {_fewer(min_count)}{group}, too few to show how many {label}."
        return _with_judgement(sentence, judgement)
    if total == _MISSING or some == _MISSING:
        subject = f"{whole_label} that {label}" if whole_label else f"cases that {label}"
        return f"The number of {subject} is not available."
    if whole == 0:
        return f"There were no{group or ' cases'}."
    if some == _SHOWN and part > whole:
        raise ValueError(f"part ({part}) cannot be larger than whole ({whole})")

    shown_whole = fmt.count(whole, min_count)
    if some == _HIDDEN:
        sentence = f"Of the {shown_whole}{group}, {_fewer(min_count)} {label}."
    elif part == 0:
        # Not "None of the ...": a capitalised "None" on a page looks like a leaked Python value.
        sentence = f"Of the {shown_whole}{group}, none {label}."
    elif part == whole:
        sentence = f"All {shown_whole}{group} {label}."
    else:
        share = fmt.pct(part / whole)
        sentence = f"Of the {shown_whole}{group}, {fmt.count(part, min_count)} ({share}) {label}."
    return _with_judgement(sentence, judgement)


def describe_median(
    value: float | None,
    unit: str,
    label: str,
    *,
    n: int | None = None,
    n_label: str = "records",
    min_count: int = 5,
    define: bool = False,
    digits: int = 1,
    judgement: str | None = None,
) -> str:
    """Describe a median in words.

    Parameters
    ----------
    value : float or None
        The median; None when not available.
    unit : str
        Plural unit: ``"minutes"``, ``"days"``. A value shown as 1 takes the singular (the
        unit without its final "s").
    label : str
        What the median is of: ``"response time for priority 1 calls"``.
    n : int, optional
        How many records the median is based on. When it is a small count the median is not
        shown, because a median of very few records can describe one person.
    n_label : str, default "records"
        What ``n`` counts, as a plural noun: ``"calls"``.
    min_count : int, default 5
        Smallest count that may be shown.
    define : bool, default False
        Add "(the middle value)" after "median", for the first time the term appears.
    digits : int, default 1
        Most decimals.
    judgement : str, optional
        A clause appended after a comma.

    Returns
    -------
    str
        ``"The median response time was 8.5 minutes."``;
        ``"The median (the middle value) time to close a complaint was 41 days."``;
        ``"The median response time is not shown because it is based on fewer than 5 calls."``
    """
    median = "median (the middle value)" if define else "median"
    if n is not None and not fmt.is_missing(n):
        if n == 0:
            return f"The {median} {label} is not available because there were no {n_label}."
        if _state(n, False, min_count) == _HIDDEN:
            return f"The {median} {label} is not shown because it is based on {_fewer(min_count)} {n_label}."
    if fmt.is_missing(value):
        return f"The {median} {label} is not available."
    amount = fmt.number(value, digits)
    shown_unit = unit[:-1] if amount in ("1", "-1") and unit.endswith("s") else unit
    return _with_judgement(f"The {median} {label} was {amount} {shown_unit}.", judgement)
