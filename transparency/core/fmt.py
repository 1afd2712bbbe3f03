"""Numbers and words formatted for residents: separators, short percentages, never "nan" or "None"."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Context, Decimal

__all__ = [
    "NOT_SHOWN",
    "change_pct",
    "count",
    "is_missing",
    "join_words",
    "minutes",
    "number",
    "pct",
    "plural",
    "relative_change",
    "rounded",
]

NOT_SHOWN = "not shown"

# Enough precision for any float written out in full (the default 28 digits fails on 1e25).
_CONTEXT = Context(prec=1000, rounding=ROUND_HALF_UP)


def is_missing(x: object) -> bool:
    """Say whether a value has nothing to show.

    Parameters
    ----------
    x : object
        Any scalar.

    Returns
    -------
    bool
        True for None, pandas NA and NaT, NaN and infinities: values a person should never see
        printed.
    """
    if x is None:
        return True
    if type(x).__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(x, numbers.Real) and not isinstance(x, numbers.Integral) and not math.isfinite(x)


def _real(x: object) -> numbers.Real:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"expected a number, got {x!r}")
    return x


def _decimal(x: numbers.Real) -> Decimal:
    # Going through str() rounds the way a person expects: 0.1235 is "12.35", not 12.349999...
    if isinstance(x, numbers.Integral):
        return Decimal(int(x))
    return Decimal(str(float(x)))


def _rounded(x: Decimal, digits: int) -> Decimal:
    return x.quantize(Decimal(1).scaleb(-digits), context=_CONTEXT)


def _percent(x: Decimal) -> Decimal:
    return _CONTEXT.multiply(x, 100)


def _text(x: Decimal, digits: int) -> str:
    text = format(_rounded(x, digits), f",.{digits}f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _check_digits(digits: int, most: int | None = None) -> None:
    if isinstance(digits, bool) or not isinstance(digits, int) or digits < 0 or (most is not None and digits > most):
        limit = f" and at most {most}" if most is not None else ""
        raise ValueError(f"digits must be a whole number of at least 0{limit}, got {digits!r}")


def count(n: object, min_count: int | None = 5, *, suppressed_text: str | None = None) -> str:
    """Format a count with thousands separators, hiding small and missing counts.

    Parameters
    ----------
    n : int or None
        A count (a whole number, possibly held as a float such as ``12.0``). None, pandas NA or
        NaN means the count was suppressed.
    min_count : int or None, default 5
        The agency's threshold. A count from 1 to ``min_count - 1`` is never printed, even if
        it reaches this function by mistake. None turns the check off.
    suppressed_text : str, optional
        Text for a hidden count. Default ``"fewer than <min_count>"``; pass ``"not shown"`` for a
        cell hidden as a complement, which is not necessarily small.

    Returns
    -------
    str
        ``"12,345"``, ``"0"``, or the suppressed text (``"fewer than 5"``).

    Raises
    ------
    ValueError
        If ``n`` is negative or not a whole number.
    """
    hidden = (
        suppressed_text
        if suppressed_text is not None
        else (f"fewer than {min_count}" if min_count is not None and min_count > 1 else NOT_SHOWN)
    )
    if is_missing(n):
        return hidden
    value = _real(n)
    if value < 0 or not float(value).is_integer():
        raise ValueError(f"a count must be a whole number of at least 0, got {n!r}")
    value = int(value)
    if min_count is not None and 1 <= value < min_count:
        return f"fewer than {min_count}"
    return f"{value:,}"


def number(x: object, digits: int = 1, *, missing: str = NOT_SHOWN) -> str:
    """Format a number with thousands separators and at most ``digits`` decimals.

    Parameters
    ----------
    x : float or int or None
        The number.
    digits : int, default 1
        Most decimals to show; trailing zeros are dropped (``2.50`` shows as ``"2.5"``).
    missing : str, default "not shown"
        Text for None, NA, NaN or an infinity.

    Returns
    -------
    str
        ``"1,234.5"``, ``"3"``, ``"-0.4"``. Halves round away from zero.
    """
    _check_digits(digits)
    if is_missing(x):
        return missing
    return _text(_decimal(_real(x)), digits)


def rounded(x: object, digits: int = 1) -> float | None:
    """Round a number the one way the reports round: to ``digits`` decimals, halves away from zero.

    The rule of :func:`number` (so ``number(rounded(x, d), d) == number(x, d)``), for a figure held in a
    published table: the table, its CSV, its chart and the alt text then all show the same digits.

    Parameters
    ----------
    x : float or int or None
        The number, at full precision.
    digits : int, default 1
        Decimals to keep.

    Returns
    -------
    float or None
        ``11.45`` -> ``11.5`` (Python's ``round`` gives 11.4: the float is 11.4499...), ``6.25`` -> ``6.3``
        (``round`` gives 6.2, rounding halves to even); None for None, NA, NaN or an infinity.
    """
    _check_digits(digits)
    if is_missing(x):
        return None
    return float(_rounded(_decimal(_real(x)), digits)) + 0.0  # + 0.0: never -0.0 in a CSV


def pct(x: object, digits: int = 1, *, missing: str = NOT_SHOWN) -> str:
    """Format a proportion as a percentage with at most one decimal.

    Parameters
    ----------
    x : float or None
        A proportion: ``0.123`` is 12.3%.
    digits : int, default 1
        Decimals, 0 or 1 (the report never shows more).
    missing : str, default "not shown"
        Text for None, NA, NaN or an infinity.

    Returns
    -------
    str
        ``"12.3%"``, ``"12%"`` (no trailing zero), ``"0%"``, ``"100%"``. A share that is not zero
        but would round to 0% is ``"less than 0.1%"``; one short of all that would round to 100%
        is ``"more than 99.9%"``, so a reader is never told "none" or "all" wrongly.
    """
    _check_digits(digits, most=1)
    if is_missing(x):
        return missing
    value = _real(x)
    percent = _percent(_decimal(value))
    rounded = _rounded(percent, digits)
    step = _text(Decimal(1).scaleb(-digits), digits)
    if value > 0 and rounded == 0:
        return f"less than {step}%"
    if 0 < value < 1 and rounded == 100:
        return f"more than {_text(_CONTEXT.subtract(100, Decimal(1).scaleb(-digits)), digits)}%"
    return _text(percent, digits) + "%"


def minutes(x: object, digits: int = 1, *, missing: str = NOT_SHOWN) -> str:
    """Format a duration in minutes.

    Parameters
    ----------
    x : float or None
        Minutes.
    digits : int, default 1
        Most decimals.
    missing : str, default "not shown"
        Text for None, NA or NaN.

    Returns
    -------
    str
        ``"8.5 minutes"``, ``"1 minute"``, ``"0 minutes"``, ``"1,440 minutes"``.
    """
    if is_missing(x):
        return missing
    text = number(x, digits)
    return f"{text} {'minute' if text in ('1', '-1') else 'minutes'}"


def relative_change(cur: object, prev: object) -> float | None:
    """Return the change from ``prev`` to ``cur`` as a proportion of ``prev``.

    Parameters
    ----------
    cur, prev : float or None
        Current and earlier values.

    Returns
    -------
    float or None
        ``(cur - prev) / prev`` (``-0.1207`` for 58 to 51), or None when either is missing or
        ``prev`` is 0 (a change from nothing has no percentage).
    """
    if is_missing(cur) or is_missing(prev):
        return None
    current, previous = _real(cur), _real(prev)
    if previous == 0:
        return None
    return (current - previous) / previous


def change_pct(cur: object, prev: object, digits: int = 1) -> str | None:
    """Format the relative change from ``prev`` to ``cur`` with its sign.

    Parameters
    ----------
    cur, prev : float or None
        Current and earlier values.
    digits : int, default 1
        Decimals, 0 or 1.

    Returns
    -------
    str or None
        ``"-12.1%"`` for 58 to 51, ``"+12.1%"`` for 58 to 65, ``"0%"`` when equal, ``"+<0.1%"``
        for a rise too small to show; None when either value is missing or ``prev`` is 0.
    """
    _check_digits(digits, most=1)
    change = relative_change(cur, prev)
    if change is None:
        return None
    if change == 0:
        return "0%"
    sign = "+" if change > 0 else "-"
    magnitude = abs(change)
    if _rounded(_percent(_decimal(magnitude)), digits) == 0:
        return f"{sign}<{_text(Decimal(1).scaleb(-digits), digits)}%"
    return sign + _text(_percent(_decimal(magnitude)), digits) + "%"


def plural(n: object, singular: str, plural: str | None = None) -> str:
    """Choose the singular or plural form of a word for a number.

    Parameters
    ----------
    n : int or float or None
        The number the word counts; None (a hidden count) takes the plural.
    singular : str
        ``"incident"``.
    plural : str, optional
        ``"incidents"``; default: ``singular + "s"``.

    Returns
    -------
    str
        The word alone, so ``f"{count(n)} {plural(n, 'incident')}"`` reads "1 incident" or
        "12 incidents".
    """
    many = plural if plural is not None else singular + "s"
    if is_missing(n):
        return many
    return singular if abs(_real(n)) == 1 else many


def join_words(words: Iterable[object], conjunction: str = "and") -> str:
    """Join words as a person lists them.

    Parameters
    ----------
    words : iterable of str
        The items, in order.
    conjunction : str, default "and"
        Word before the last item (``"or"`` for alternatives).

    Returns
    -------
    str
        ``"a, b and c"``, ``"a and b"``, ``"a"``, or ``""`` for no items.

    Raises
    ------
    ValueError
        If an item is missing (None, NA or NaN), so that "None" never reaches a page.
    """
    items = list(words)
    for item in items:
        if is_missing(item):
            raise ValueError(f"join_words got a missing item in {items!r}")
    texts = [str(item) for item in items]
    if len(texts) <= 1:
        return "".join(texts)
    return f"{', '.join(texts[:-1])} {conjunction} {texts[-1]}"
