"""Text -> datetimes: which formats read a column (inferred, or refused when two read it differently),
and the parsing itself, with a quick path that gives pandas' answer for every value.
"""

from __future__ import annotations

import re
import zoneinfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .columns import _PROBE_ROWS, _arrow_chunks, _is_categorical, _plain, _used_categories

_DATE_FORMATS = (
    "%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y", "%d/%m/%Y", "%m-%d-%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y%m%d",
    "%m/%d/%y", "%d/%m/%y", "%d-%b-%Y", "%d-%b-%y", "%b %d, %Y", "%B %d, %Y",
)
_TIME_SUFFIXES = (
    "", " %H:%M", " %H:%M:%S", " %H:%M:%S.%f", " %I:%M %p", " %I:%M:%S %p", " %I:%M%p",
    "T%H:%M:%S", "T%H:%M:%S.%f", "T%H:%M",
)
DATETIME_CANDIDATES = tuple(d + t for d in _DATE_FORMATS for t in _TIME_SUFFIXES)
TIME_CANDIDATES = ("%H:%M:%S", "%H:%M", "%H:%M:%S.%f", "%I:%M %p", "%I:%M:%S %p", "%I:%M%p", "%H%M", "%H%M%S")
# A UTC offset after a clock time ("05:00:00+00", "T05:00Z"); a bare date such as 2017-01-05 has none.
_OFFSET = re.compile(r"(?<=\d:\d\d)(?::\d\d(?:\.\d+)?)?\s*(?:Z|[+-]\d\d(?::?\d\d)?)$")
_OFFSET_ONLY = re.compile(r"\s*(?:Z|[+-]\d\d(?::?\d\d)?)$")


class AmbiguousFormat(Exception):
    def __init__(self, example: str, formats: tuple[str, str]):
        self.example, self.formats = example, formats


def _try(values: pd.Series, fmt: str) -> pd.Series:
    """``pd.to_datetime(values, format=fmt, errors="coerce")``: the same values, many times quicker on a
    long column of zero-padded timestamps (see :func:`_to_datetime_checked`)."""
    if len(values) >= _FAST_MIN:
        # A look at the first values: when few are Arrow's to read (not zero-padded, say), pandas alone
        # is quicker.
        probe = _strptime_exact(values.iloc[:_FAST_MIN], fmt)
        if probe is not None and probe[1].mean() >= 0.5:
            return _to_datetime_checked(values, fmt)
    return pd.to_datetime(values, format=fmt, errors="coerce")


def _to_datetime_checked(values: pd.Series, fmt: str) -> pd.Series:
    """``pd.to_datetime(values, format=fmt, errors="coerce")``, each value read by Arrow where that is
    sure to give pandas' answer, by pandas otherwise.

    Arrow reads the values that are exactly the zero-padded text of the datetime it reads (see
    :func:`_strptime_exact`); pandas reads all the others, so every value gets pandas' answer (NaT for
    an impossible date, a stray space, an hour of 24...). The result is ``datetime64[ns]``, or pandas'
    own unit when pandas read a date.
    """
    fast = _strptime_exact(values, fmt)
    if fast is None:
        return pd.to_datetime(values, format=fmt, errors="coerce")
    stamps, exact = fast
    if exact.all():
        return pd.Series(stamps, index=values.index)
    rest = pd.to_datetime(values[~exact], format=fmt, errors="coerce")
    if not exact.any():
        return rest
    out = stamps
    if rest.notna().any() and rest.dtype != stamps.dtype:
        # pandas' unit, which may hold what nanoseconds cannot; Arrow's values (whole seconds well
        # inside the nanosecond range) are exact in any unit.
        out = stamps.astype(rest.dtype)
    out[~exact] = rest.to_numpy(dtype=out.dtype)
    return pd.Series(out, index=values.index)


# Below this many values pandas alone is as quick.
_FAST_MIN = 256
# What Arrow's reading is checked against, per directive: the width of its zero-padded text.
_FIXED_WIDTH = {"Y": 4, "y": 2, "m": 2, "d": 2, "H": 2, "I": 2, "M": 2, "S": 2, "p": 2, "b": 3}
_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_BYTES = np.frombuffer("".join(_MONTH_ABBR).encode(), dtype=np.uint8).reshape(12, 3)
# Values Arrow reads must fall in these years (seconds since 1970): pandas reads any year from 1678 to
# 2261 as the same nanosecond timestamp; outside, pandas decides (another unit, or an error later).
_FAST_SECONDS = (int(pd.Timestamp("1678-01-01").timestamp()), int(pd.Timestamp("2262-01-01").timestamp()))


def _fixed_layout(fmt: str) -> tuple[list[tuple[str, int, int]], list[tuple[int, int]]] | None:
    """Where each part of the format stands in its zero-padded text: the directives as (letter, start,
    width), the literal characters as (start, byte).

    None when the format is outside what :func:`_strptime_exact` checks: another directive (``%B``,
    ``%f``, ``%z``, ``%j``...), a non-ASCII literal, a directive twice, no year, month or day, ``%I``
    without ``%p`` or the other way round, ``%I`` with ``%H``.
    """
    directives: list[tuple[str, int, int]] = []
    literals: list[tuple[int, int]] = []
    position, i = 0, 0
    while i < len(fmt):
        if fmt[i] != "%" or fmt[i + 1: i + 2] == "%":
            if not fmt[i].isascii():
                return None
            literals.append((position, ord(fmt[i])))
            position += 1
            i += 2 if fmt[i] == "%" else 1
            continue
        letter = fmt[i + 1: i + 2]
        if letter not in _FIXED_WIDTH:
            return None
        directives.append((letter, position, _FIXED_WIDTH[letter]))
        position += _FIXED_WIDTH[letter]
        i += 2
    found = {letter for letter, _, _ in directives}
    if len(found) != len(directives) or not (found & {"Y", "y"} and found & {"m", "b"} and "d" in found):
        return None
    if ("I" in found) != ("p" in found) or {"I", "H"} <= found or {"Y", "y"} <= found or {"m", "b"} <= found:
        return None
    return directives, literals


def _english_names() -> bool:
    """Whether pandas reads month names and AM/PM in English (the names of the C locale, which Arrow
    uses): pandas takes them from the process's locale, as Python's ``time.strptime`` does."""
    import calendar
    import time

    clock = [time.strftime("%p", time.struct_time((1999, 3, 17, hour, 44, 55, 2, 76, 0))) for hour in (1, 22)]
    return tuple(calendar.month_abbr[1:]) == _MONTH_ABBR and [c.upper() for c in clock] == ["AM", "PM"]


def _strptime_exact(values: pd.Series, fmt: str) -> tuple[np.ndarray, np.ndarray] | None:
    """The values Arrow reads with ``fmt`` and that are exactly that datetime written with ``fmt``.

    Returns ``datetime64[ns]`` values and a mask of the values taken (NaT where not taken), or None
    when ``fmt`` is not one this checks (see :func:`_fixed_layout`).

    Arrow's ``strptime`` is about twenty times quicker than pandas' but reads some text differently:
    it rolls an impossible date over ("2021-02-30" is 2 March), skips spaces, and reads what pandas
    refuses. So a value is taken only when its text is, byte for byte, the zero-padded text of the
    datetime Arrow read (what ``strftime`` with the same format would write, in the C locale): the
    format's literal characters in their places, and each directive's digits (or name) equal to that
    datetime's year, month, day, hour, minute and second; a time the format does not name must be
    0. Such a text is the ordinary writing of a real datetime, which pandas reads as the same datetime
    (a two-digit year too: it is taken only when the century is the one pandas gives, 2000 to 2068 for
    00 to 68, 1969 to 1999 for 69 to 99). Any other value (unpadded, another case, an impossible date)
    is not taken and is left to pandas.
    """
    layout = _fixed_layout(fmt)
    if layout is None:
        return None
    directives, literals = layout
    letters = {letter for letter, _, _ in directives}
    if letters & {"b", "p"} and not _english_names():
        return None
    width = sum(w for _, _, w in directives) + len(literals)
    chunks = _arrow_chunks(values)
    text = pa.concat_arrays(chunks) if len(chunks) > 1 else chunks[0]
    try:
        read = pc.strptime(text, format=fmt, unit="s", error_is_null=True)
    except (pa.ArrowException, ValueError):
        return None
    seconds = pc.fill_null(read.cast(pa.int64()), 0).to_numpy(zero_copy_only=False)
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)[text.offset: text.offset + len(text) + 1]
    taken = read.is_valid().to_numpy(zero_copy_only=False) & (np.diff(offsets) == width)
    taken &= (seconds >= _FAST_SECONDS[0]) & (seconds < _FAST_SECONDS[1])
    rows = np.flatnonzero(taken)
    if len(rows):
        data = np.frombuffer(text.buffers()[2], dtype=np.uint8)
        if len(rows) == len(text) and offsets[-1] - offsets[0] == width * len(text):
            cells = data[offsets[0]: offsets[-1]].reshape(len(text), width)  # every value: no copy
        else:
            cells = data[offsets[:-1][rows, None] + np.arange(width)]
        good = np.ones(len(rows), dtype=bool)
        for position, byte in literals:
            good &= cells[:, position] == byte
        moment = seconds[rows]
        days, of_day = np.divmod(moment, 86400)
        day = days.astype("datetime64[D]")
        month_start = day.astype("datetime64[M]")
        parts = {
            "Y": month_start.astype("datetime64[Y]").astype(np.int64) + 1970,
            "m": month_start.astype(np.int64) % 12 + 1,
            "d": (day - month_start.astype("datetime64[D]")).astype(np.int64) + 1,
            "H": of_day // 3600, "M": of_day // 60 % 60, "S": of_day % 60,
        }
        parts["b"], parts["y"], parts["I"] = parts["m"], parts["Y"] % 100, (parts["H"] + 11) % 12 + 1
        for letter, start, size in directives:
            block = cells[:, start: start + size]
            if letter == "b":
                good &= (block == _MONTH_BYTES[parts["b"] - 1]).all(axis=1)
            elif letter == "p":
                good &= (block[:, 0] == np.where(parts["H"] < 12, ord("A"), ord("P"))) & (block[:, 1] == ord("M"))
            else:
                number = np.zeros(len(rows), dtype=np.int64)
                for column in range(size):
                    digit = block[:, column] - np.uint8(ord("0"))  # a byte below "0" wraps past 9
                    good &= digit < 10
                    number = number * 10 + digit
                good &= number == parts[letter]
        if "y" in letters:  # the century pandas gives a two-digit year
            good &= (parts["Y"] >= 1969) & (parts["Y"] <= 2068)
        for letter in ("H", "M", "S"):
            if letter not in letters and not (letter == "H" and "I" in letters):
                good &= parts[letter] == 0
        taken[rows[~good]] = False
    nanoseconds = np.where(taken, seconds, 0) * 1_000_000_000
    nanoseconds[~taken] = np.iinfo(np.int64).min  # NaT
    return nanoseconds.view("datetime64[ns]"), taken


_DIRECTIVE = re.compile(r"%.")


def _marks(text: str) -> str:
    """The marks of a date's text that a format must spell out: every character but letters, digits
    and white space, in order ("05/01/2021 10:00 PM" -> "//:")."""
    return "".join(ch for ch in text if not (ch.isalnum() or ch.isspace()))


def _format_marks(fmt: str) -> str:
    """The marks (:func:`_marks`) of every text a format reads: its literal characters' marks (each
    directive reads letters, digits or white space only)."""
    return _marks(_DIRECTIVE.sub("", fmt))


def infer_formats(uniques: pd.Series, candidates: tuple[str, ...]) -> list[str]:
    """The formats that read these values: a greedy cover, most values first.

    Raises AmbiguousFormat when two formats read the same text as different dates and neither is
    preferred by the data (every value fits both, such as 03/04/2021 day-first or month-first).
    """
    values = uniques.dropna()
    if values.empty:
        return []
    probe = values.iloc[:: max(1, len(values) // 60)].iloc[:60]
    # A format reads a text only if they have the same marks (tested on every candidate), so the
    # formats no probed value could match are not tried: most of the 140 candidates, a third of the
    # time a raw file takes to load.
    marks = {_marks(str(value)) for value in probe}
    viable = [fmt for fmt in candidates if _format_marks(fmt) in marks and _try(probe, fmt).notna().any()]
    if not viable:
        return []
    sample = values if len(values) <= 4000 else values.iloc[:: len(values) // 4000]
    parsed = {fmt: _try(sample, fmt) for fmt in viable}
    chosen: list[str] = []
    remaining = pd.Series(True, index=sample.index)
    while remaining.any():
        scores = {fmt: int((parsed[fmt].notna() & remaining).sum()) for fmt in viable if fmt not in chosen}
        if not scores:
            break
        best_score = max(scores.values())
        if best_score == 0:
            break
        tied = [fmt for fmt, score in scores.items() if score == best_score]
        best = tied[0]
        for other in tied[1:]:
            both = parsed[best].notna() & parsed[other].notna() & remaining
            differ = both & (parsed[best] != parsed[other])
            if differ.any():
                raise AmbiguousFormat(str(sample[differ].iloc[0]), (best, other))
        chosen.append(best)
        remaining &= parsed[best].isna()
    return chosen


def parse_datetimes(values: pd.Series, formats: tuple[str, ...], timezone: str, candidates=DATETIME_CANDIDATES) -> tuple[pd.Series, list[str]]:
    """Parse text to naive local datetimes; values that no format reads become NaT.

    A value with an explicit UTC offset is converted to the agency's time zone; nothing else is
    converted, so a row's local date (and so its period) is never moved.
    Returns the parsed series and the formats used.
    """
    if _is_categorical(values):  # once per distinct value
        values = _used_categories(values)
        parsed, used = parse_datetimes(pd.Series(values.cat.categories), formats, timezone, candidates)
        out = np.append(parsed.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT", "ns"))[values.cat.codes.to_numpy()]
        return pd.Series(out, index=values.index), used
    present = values.dropna()
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if present.empty:
        return out, []
    # Mostly-unique columns (timestamps) are parsed whole; repetitive ones (dates) once per distinct value.
    probe = present.iloc[:_PROBE_ROWS]
    repetitive = probe.nunique() <= 0.9 * len(probe) and present.nunique() < 0.5 * len(present)
    uniques = pd.Series(present.unique()) if repetitive else present.reset_index(drop=True)
    probe = uniques.iloc[:: max(1, len(uniques) // 500)]
    has_offset = probe.str.contains(_OFFSET, regex=True).mean() > 0.5
    if has_offset:
        normalised = uniques.str.replace(r"([+-]\d\d)$", r"\g<1>00", regex=True).str.replace(r"Z$", "+0000", regex=True)
        stripped = normalised.str.replace(_OFFSET_ONLY, "", regex=True).str.strip()
        fmts = list(formats) or infer_formats(stripped, candidates)
        parsed = pd.Series(pd.NaT, index=uniques.index, dtype="datetime64[ns]")
        for fmt in fmts:
            todo = parsed.isna()
            if not todo.any():
                break
            aware = pd.to_datetime(normalised[todo], format=fmt + "%z", errors="coerce", utc=True)
            local = aware.dt.tz_convert(zoneinfo.ZoneInfo(timezone)).dt.tz_localize(None)
            parsed[todo] = local.astype("datetime64[ns]")
        used = [f + "%z" for f in fmts]
    else:
        fmts = list(formats) or infer_formats(uniques, candidates)
        parsed = pd.Series(pd.NaT, index=uniques.index, dtype="datetime64[ns]")
        for fmt in fmts:
            todo = parsed.isna()
            if not todo.any():
                break
            parsed[todo] = _try(uniques[todo], fmt).astype("datetime64[ns]")
        # Formats are inferred from a sample: a rarer format among the values left over gets its own look.
        while not formats and parsed.isna().any():
            extra = [f for f in infer_formats(uniques[parsed.isna()], candidates) if f not in fmts]
            if not extra:
                break
            for fmt in extra:
                todo = parsed.isna()
                parsed[todo] = _try(uniques[todo], fmt).astype("datetime64[ns]")
            fmts += extra
        used = fmts
    if repetitive:
        lookup = pd.Series(parsed.values, index=uniques.values)
        out.loc[present.index] = present.map(lookup).astype("datetime64[ns]").values
    elif len(present) == len(values):
        out = pd.Series(parsed.to_numpy(dtype="datetime64[ns]"), index=values.index)
    else:
        out.loc[present.index] = parsed.values
    return out, used


_TIME_DIRECTIVE = re.compile(r"[ T]?%[HIMSfpz]")


def _split_format(fmt: str) -> tuple[str, str]:
    """A datetime format for separate date and time columns: ("%m/%d/%Y %H:%M") -> ("%m/%d/%Y", "%H:%M").

    A format with only date directives is the date's; one with only time directives is the time's.
    """
    match = _TIME_DIRECTIVE.search(fmt)
    if match is None:
        return fmt, ""
    date_part = fmt[: match.start()].strip()
    time_part = fmt[match.start():].lstrip(" T")
    if not date_part:
        return "", time_part
    return date_part, time_part


_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
                "october", "november", "december")
_MONTHS = {**{name: i + 1 for i, name in enumerate(_MONTH_NAMES)}, **{name[:3]: i + 1 for i, name in enumerate(_MONTH_NAMES)},
           "sept": 9}


def _part_numbers(values: pd.Series, part: str) -> pd.Series:
    """A date part's numbers from text: digits, or for a month its English name or abbreviation."""
    numbers = pd.to_numeric(_plain(values), errors="coerce")
    if part == "month":
        names = _plain(values).map(lambda v: _MONTHS.get(str(v).strip().rstrip(".").casefold()) if isinstance(v, str) else None)
        numbers = numbers.fillna(pd.to_numeric(names, errors="coerce"))
    return numbers


def fmt_lengths(lengths: list[int]) -> str:
    """``[4, 6]`` -> "4 and 6"."""
    words = [str(n) for n in lengths]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _read_with_time(text: pd.Series, parsed: pd.Series, used: tuple[str, ...], tz: str) -> np.ndarray:
    """Which values of a datetime column carry a time of day: those read by a format with a time directive
    (a value a date-only format reads has no time)."""
    date_only = tuple(f for f in used if not _TIME_DIRECTIVE.search(f))
    known = np.array(parsed.notna(), dtype=bool)
    if date_only:
        known &= parse_datetimes(text, date_only, tz)[0].isna().to_numpy(dtype=bool)
    return known
