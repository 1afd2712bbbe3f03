"""Reporting periods: calendar quarters and years, fiscal years and quarters, and ranges of quarters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from .errors import UsageError

if TYPE_CHECKING:  # pandas is imported where it is used: the quick paths of the command line do without it
    import pandas as pd

__all__ = [
    "KINDS",
    "MAX_YEAR",
    "MIN_YEAR",
    "COVERAGE_GRACE_DAYS",
    "Period",
    "last_complete_quarter",
    "latest_quarter",
    "parse_period",
    "quarter_of",
    "trailing_quarters",
]

MIN_YEAR = 1900
MAX_YEAR = 2200
KINDS = ("quarter", "year", "fiscal_year", "fiscal_quarter")

# Hard-coded rather than taken from `calendar`, whose names follow the process locale.
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

_ACCEPTED = (
    "Accepted forms: 2025Q3 (a quarter), 2025 (a year), 2024Q1:2025Q3 (every quarter from the first "
    "to the last), FY2025 (a fiscal year, named by the year it ends in), FY2025Q1 (a quarter of a "
    f"fiscal year); years {MIN_YEAR} to {MAX_YEAR}."
)

_QUARTER = re.compile(r"([0-9]{4})Q([0-9])")
_YEAR = re.compile(r"[0-9]{4}")
_FISCAL_YEAR = re.compile(r"FY([0-9]{4})")
_FISCAL_QUARTER = re.compile(r"FY([0-9]{4})Q([0-9])")


def _add_months(day: date, months: int) -> date:
    """Return the first of the month ``months`` after (or before) the month of ``day``."""
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + (end.month - start.month)


@dataclass(frozen=True)
class Period:
    """A reporting period: a half-open span of whole days, ``start <= day < end``.

    Parameters
    ----------
    code : str
        The period as a user writes it: ``"2025Q3"``, ``"2025"``, ``"FY2025"`` or ``"FY2025Q1"``.
    kind : str
        One of ``"quarter"``, ``"year"``, ``"fiscal_year"``, ``"fiscal_quarter"``.
    start : datetime.date
        First day of the period (inclusive).
    end : datetime.date
        Day after the last day of the period (exclusive).

    Notes
    -----
    Build periods with :func:`parse_period` or :func:`quarter_of` rather than by hand. A fiscal
    period knows its fiscal-year start month from its own dates, so ``previous()`` and
    ``year_earlier()`` need no configuration. ``str(period)`` is its code.
    """

    code: str
    kind: str
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Period kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if not self.start < self.end:
            raise ValueError(f"Period {self.code!r} must start before it ends")

    def __str__(self) -> str:
        return self.code

    # Arithmetic -------------------------------------------------------------------------------

    @property
    def days(self) -> int:
        """Length of the period in days (92 for July to September)."""
        return (self.end - self.start).days

    @property
    def _months(self) -> int:
        return _months_between(self.start, self.end)

    @property
    def _fiscal_start_month(self) -> int:
        """The month (1-12) the fiscal year of a fiscal period starts in."""
        if self.kind == "fiscal_year":
            return self.start.month
        quarter = int(self.code[-1])
        return _add_months(self.start, -3 * (quarter - 1)).month

    def _shifted(self, months: int) -> Period:
        """The period of the same kind that starts ``months`` months later (or earlier)."""
        start = _add_months(self.start, months)
        end = _add_months(self.end, months)
        if self.kind == "quarter":
            code = f"{start.year}Q{(start.month - 1) // 3 + 1}"
        elif self.kind == "year":
            code = str(start.year)
        elif self.kind == "fiscal_year":
            code = f"FY{(end - timedelta(days=1)).year}"
        else:
            fiscal_start_month = self._fiscal_start_month
            quarter = (start.month - fiscal_start_month) % 12 // 3 + 1
            fiscal_year_end = _add_months(start, 12 - 3 * (quarter - 1)) - timedelta(days=1)
            code = f"FY{fiscal_year_end.year}Q{quarter}"
        return Period(code, self.kind, start, end)

    def previous(self) -> Period:
        """Return the period of the same kind immediately before this one.

        Returns
        -------
        Period
            ``2025Q1`` gives ``2024Q4``; ``2025`` gives ``2024``; ``FY2025Q1`` gives ``FY2024Q4``.
        """
        return self._shifted(-self._months)

    def year_earlier(self) -> Period:
        """Return the same period one year earlier.

        Returns
        -------
        Period
            ``2025Q3`` gives ``2024Q3``; ``FY2025`` gives ``FY2024``.
        """
        return self._shifted(-12)

    def quarters(self) -> list[Period]:
        """Return the quarters that make up this period, oldest first.

        Returns
        -------
        list of Period
            Calendar quarters for a calendar period and fiscal quarters (``FY2025Q1`` ...) for a
            fiscal period, because a fiscal year need not start on a calendar quarter. A quarter
            gives itself.
        """
        if self.kind in ("quarter", "fiscal_quarter"):
            return [self]
        if self.kind == "year":
            first = _quarter(self.start.year, 1)
        else:
            first = _fiscal_quarter(int(self.code[2:6]), 1, self.start.month)
        quarters = [first]
        while quarters[-1].end < self.end:
            quarters.append(quarters[-1]._shifted(3))
        return quarters

    # Words ----------------------------------------------------------------------------------

    def _span_words(self) -> str:
        first = self.start
        last = _add_months(self.end, -1)
        if first.year == last.year:
            return f"{_MONTHS[first.month - 1]} to {_MONTHS[last.month - 1]} {last.year}"
        return f"{_MONTHS[first.month - 1]} {first.year} to {_MONTHS[last.month - 1]} {last.year}"

    def _fiscal_words(self) -> str | None:
        if self.kind == "fiscal_year":
            return f"fiscal year {self.code[2:6]}"
        if self.kind == "fiscal_quarter":
            return f"quarter {self.code[-1]} of fiscal year {self.code[2:6]}"
        return None

    def label(self) -> str:
        """Return the period in words, for a resident.

        Returns
        -------
        str
            ``"July to September 2025"`` for 2025Q3, ``"January to December 2025"`` for 2025,
            ``"July 2024 to June 2025 (fiscal year 2025)"`` for FY2025 starting in July, and
            ``"July to September 2024 (quarter 1 of fiscal year 2025)"`` for FY2025Q1.
        """
        fiscal = self._fiscal_words()
        return self._span_words() + (f" ({fiscal})" if fiscal else "")

    def title(self) -> str:
        """Return the period in words followed by its code, for headings.

        Returns
        -------
        str
            ``"July to September 2025 (2025Q3)"``; for a fiscal year
            ``"July 2024 to June 2025 (fiscal year 2025, FY2025)"``.
        """
        fiscal = self._fiscal_words()
        inside = f"{fiscal}, {self.code}" if fiscal else self.code
        return f"{self._span_words()} ({inside})"

    # Data ------------------------------------------------------------------------------------

    def contains(self, series: pd.Series) -> pd.Series:
        """Return a boolean mask of the rows whose local date falls in this period.

        Parameters
        ----------
        series : pandas.Series
            Local wall-clock datetimes (``datetime64``). Naive values are taken as local time;
            time-zone-aware values are read as their own wall-clock time and never converted.

        Returns
        -------
        pandas.Series
            Boolean, same index as ``series``; missing times (``NaT``) are ``False``.

        Raises
        ------
        TypeError
            If ``series`` does not hold datetimes (convert it with ``pandas.to_datetime`` first).
        """
        import pandas as pd

        if len(series) == 0:
            return pd.Series(False, index=series.index, dtype=bool)
        if not pd.api.types.is_datetime64_any_dtype(series.dtype):
            raise TypeError(
                f"Period.contains needs datetimes, got a {series.dtype} series; "
                "convert it with pandas.to_datetime first"
            )
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            series = series.dt.tz_localize(None)  # keep the wall-clock time, drop the zone
        start = pd.Timestamp(self.start)
        end = pd.Timestamp(self.end)
        return ((series >= start) & (series < end)).fillna(False).astype(bool)


# Construction ---------------------------------------------------------------------------------


def _quarter(year: int, quarter: int) -> Period:
    start = date(year, 3 * (quarter - 1) + 1, 1)
    return Period(f"{year}Q{quarter}", "quarter", start, _add_months(start, 3))


def _year(year: int) -> Period:
    return Period(str(year), "year", date(year, 1, 1), date(year + 1, 1, 1))


def _fiscal_year_start(fiscal_year: int, start_month: int) -> date:
    # A fiscal year is named by the calendar year it ends in: with a July start, FY2025 begins
    # 2024-07-01; with a January start it is the calendar year.
    return date(fiscal_year if start_month == 1 else fiscal_year - 1, start_month, 1)


def _fiscal_year(fiscal_year: int, start_month: int) -> Period:
    start = _fiscal_year_start(fiscal_year, start_month)
    return Period(f"FY{fiscal_year}", "fiscal_year", start, _add_months(start, 12))


def _fiscal_quarter(fiscal_year: int, quarter: int, start_month: int) -> Period:
    start = _add_months(_fiscal_year_start(fiscal_year, start_month), 3 * (quarter - 1))
    return Period(f"FY{fiscal_year}Q{quarter}", "fiscal_quarter", start, _add_months(start, 3))


def _bad(text: object, reason: str) -> UsageError:
    return UsageError(f"Period {str(text)!r} is not valid: {reason}. {_ACCEPTED}")


def _check_year(text: object, year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _bad(text, f"the year {year} is outside {MIN_YEAR} to {MAX_YEAR}")


def _check_quarter(text: object, quarter: int) -> None:
    if not 1 <= quarter <= 4:
        raise _bad(text, f"quarter {quarter} does not exist (quarters are 1 to 4)")


def _parse_one(part: str, original: object, fiscal_year_start: int) -> Period:
    if match := _QUARTER.fullmatch(part):
        year, quarter = int(match[1]), int(match[2])
        _check_year(original, year)
        _check_quarter(original, quarter)
        return _quarter(year, quarter)
    if _YEAR.fullmatch(part):
        _check_year(original, int(part))
        return _year(int(part))
    if match := _FISCAL_QUARTER.fullmatch(part):
        year, quarter = int(match[1]), int(match[2])
        _check_year(original, year)
        _check_quarter(original, quarter)
        return _fiscal_quarter(year, quarter, fiscal_year_start)
    if match := _FISCAL_YEAR.fullmatch(part):
        _check_year(original, int(match[1]))
        return _fiscal_year(int(match[1]), fiscal_year_start)
    if part == "":
        raise _bad(original, "it is empty" if str(original).strip() == "" else "one end is missing")
    raise _bad(original, "it is not in a form this tool reads")


def parse_period(text: str | int, fiscal_year_start: int = 1) -> list[Period]:
    """Read a period as written on the command line.

    Parameters
    ----------
    text : str or int
        ``"2025Q3"`` (a quarter), ``"2025"`` (a calendar year), ``"2024Q1:2025Q3"`` (every quarter
        in the inclusive range, for a backfill), ``"FY2025"`` (a fiscal year) or ``"FY2025Q1"``
        (a fiscal quarter). Letters may be lower case and surrounding spaces are ignored. An int
        such as ``2025`` is accepted because papermill turns ``-p period 2025`` into one.
    fiscal_year_start : int, default 1
        Month (1-12) the agency's fiscal year starts in. A fiscal year is named by the calendar
        year it ends in: with ``7``, FY2025 runs from 2024-07-01 to 2025-06-30.

    Returns
    -------
    list of Period
        One period, or one per quarter of a range, oldest first.

    Raises
    ------
    UsageError
        If the text is not one of the forms above, a quarter is not 1-4, a year is outside
        1900-2200, a range is reversed or its ends are not both quarters (or both fiscal
        quarters), or ``fiscal_year_start`` is not a month. The message quotes the input and
        lists the accepted forms.
    """
    if (
        isinstance(fiscal_year_start, bool)
        or not isinstance(fiscal_year_start, int)
        or not (1 <= fiscal_year_start <= 12)
    ):
        raise UsageError(f"fiscal_year_start must be a month number from 1 to 12, got {fiscal_year_start!r}")
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        raise _bad(text, f"expected text, got {type(text).__name__}")
    cleaned = str(text).strip().upper()
    if ":" not in cleaned:
        return [_parse_one(cleaned, text, fiscal_year_start)]

    first_text, _, last_text = cleaned.partition(":")
    if ":" in last_text:
        raise _bad(text, "a range has exactly one ':'")
    first = _parse_one(first_text.strip(), text, fiscal_year_start)
    last = _parse_one(last_text.strip(), text, fiscal_year_start)
    if first.kind != last.kind or first.kind not in ("quarter", "fiscal_quarter"):
        raise _bad(text, "both ends of a range must be quarters, such as 2024Q1:2025Q3")
    if last.start < first.start:
        raise _bad(text, "the range ends before it starts")
    periods = [first]
    while periods[-1] != last:
        periods.append(periods[-1]._shifted(3))
    return periods


def quarter_of(day: date) -> Period:
    """Return the calendar quarter that contains a day.

    Parameters
    ----------
    day : datetime.date
        A date, or a datetime / pandas Timestamp (its local date is used).

    Returns
    -------
    Period
        The quarter, e.g. ``2025Q3`` for 2025-08-14.
    """
    return _quarter(day.year, (day.month - 1) // 3 + 1)


def last_complete_quarter(today: date) -> Period:
    """Return the most recent calendar quarter that has fully ended by ``today``.

    Parameters
    ----------
    today : datetime.date
        The day of the build.

    Returns
    -------
    Period
        On 2026-11-25 and on 2026-10-01: ``2026Q3``; on 2026-09-30: ``2026Q2``.
    """
    return quarter_of(today).previous()


#: A dataset whose last record falls in a quarter's last this many days covers that quarter to its
#: end: the last hours of a quarter often hold no record of a rarer kind, and an extract made on the
#: 29th holds a quarter's data but for a day.
COVERAGE_GRACE_DAYS = 3


def latest_quarter(covered: tuple[date, date] | None, today: date) -> Period:
    """The quarter ``latest`` means: the last quarter that has ended by ``today`` and that the data,
    covering the days ``covered`` = (first, last) (:func:`transparency.tables.cache.agency_coverage`),
    covers from its start to its end, give or take :data:`COVERAGE_GRACE_DAYS` at each end.

    A quarter the data covers only in part is not the latest while a whole one is there: its figures
    would be compared, as complete, with whole quarters ("down 66.7%" for one month of three). When
    the data covers no quarter whole (an extract of a few months), the quarter it covers most days
    of (the later one on a tie). Ask for a quarter by name to report it anyway (the cover says how far
    the data goes). Without data (``covered`` None), the last quarter that has ended.

    Examples, built on 2026-11-25, for data from 2021-10-01: to 2026-09-29 gives ``2026Q3``; to
    2026-08-15, ``2026Q2``; to 2026-11-20, ``2026Q3`` (2026Q4 is still under way). Data from
    2025-08-24 to 2025-11-29 covers no quarter whole, and most of ``2025Q4``.
    """
    latest = last_complete_quarter(today)
    if covered is None:
        return latest
    first, last = covered
    grace = timedelta(days=COVERAGE_GRACE_DAYS)
    quarter = quarter_of(min(last, latest.end - timedelta(days=1)))
    best, best_days = None, 0
    while quarter.end > first:
        final = quarter.end - timedelta(days=1)
        if first <= quarter.start + grace and last >= final - grace:
            return quarter
        days = (min(last, final) - max(first, quarter.start)).days + 1
        if days > best_days:
            best, best_days = quarter, days
        quarter = quarter.previous()
    return best or latest


def trailing_quarters(period: Period, n: int) -> list[Period]:
    """Return the ``n`` quarters that end with the last quarter of ``period``, oldest first.

    Parameters
    ----------
    period : Period
        Any period; its last quarter (calendar or fiscal, as :meth:`Period.quarters` gives) ends
        the list.
    n : int
        How many quarters, at least 1.

    Returns
    -------
    list of Period
        For ``2025Q3`` and 4: ``2024Q4, 2025Q1, 2025Q2, 2025Q3``.

    Raises
    ------
    ValueError
        If ``n`` is less than 1.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a whole number of quarters, at least 1, got {n!r}")
    quarters = [period.quarters()[-1]]
    while len(quarters) < n:
        quarters.append(quarters[-1].previous())
    return quarters[::-1]
