"""A datetime field from one column, from a date column and a time column, or from year, month and day
parts (a part may be a constant or come from the file's name); which rows have a recorded time of day.
"""

from __future__ import annotations

import re

import pandas as pd

from transparency.core import registry
from transparency.core.config import FieldSource
from transparency.core.errors import DataError

from .columns import _plain
from .dates import (
    TIME_CANDIDATES,
    AmbiguousFormat,
    _part_numbers,
    _read_with_time,
    _split_format,
    fmt_lengths,
    parse_datetimes,
)
from .values import _Context, _first_present


def _fixed_part(ctx: _Context, field_name: str, part: str, kind: str, value: str) -> float:
    """A date part that is not a column: a constant, or what a pattern finds in the file's name."""
    if kind == "file_name":
        found = re.search(value, ctx.path.name)
        if found is None:
            raise DataError(str(ctx.path), f"the file's name does not match '{value}', configured to give the {part} of {field_name}")
        pattern = found.re
        value = found.group(part) if part in pattern.groupindex else found.group(1) if pattern.groups else found.group(0)
    number = _part_numbers(pd.Series([value], dtype="string"), part).iloc[0]
    if pd.isna(number):
        where = f"the {part} '{value}' found in the file's name" if kind == "file_name" else f"the constant {part} '{value}'"
        raise DataError(str(ctx.path), f"{where} of {field_name} is not a {part}")
    return float(number)


def _date_from_parts(ctx: _Context, field_name: str, source: FieldSource) -> tuple[pd.Series, pd.Series, str]:
    """(dates from year, month and day parts, mask of rows whose parts are there but make no date, the column named)."""
    parts = dict(source.parts)
    fixed = {part: (kind, value) for part, kind, value in source.part_values}
    col = next((parts[p] for p in ("year", "month", "day") if p in parts), "(file name)")
    numbers, present = {}, pd.Series(True, index=ctx.frame.index)
    for part in ("year", "month", "day"):
        if part in parts:
            raw = ctx.column(parts[part], field_name)
            text = raw.where(~ctx.missing_mask(raw, source))
            numbers[part] = _part_numbers(text, part)
            present &= _plain(text).notna()
        elif part in fixed:
            numbers[part] = pd.Series(_fixed_part(ctx, field_name, part, *fixed[part]), index=ctx.frame.index)
        else:  # no day: the first of the month (said in the notes)
            numbers[part] = pd.Series(1.0, index=ctx.frame.index)
    frame = pd.DataFrame(numbers)
    dates = pd.to_datetime(frame, errors="coerce").astype("datetime64[ns]")
    name = ctx.path.name
    if "day" not in parts and "day" not in fixed:
        ctx.notes.append(f"{name} gives the month of each record but not the day: {registry.field_words(field_name)} is "
                         "taken as the first day of the month, so a record counts in the right month and quarter, but "
                         "not on its day or at its time of day.")
    for part, (kind, value) in fixed.items():
        if kind == "file_name":
            ctx.notes.append(f"The {part} of each record in {name} is taken from the file's name "
                             f"({int(numbers[part].iloc[0]) if len(frame) else value}).")
    return dates, dates.isna() & present, col


def _datetime_field(ctx: _Context, field_name: str, source: FieldSource) -> tuple[pd.Series, pd.Series, str]:
    """(parsed datetimes, mask of values present but unreadable, the column named in errors).

    Notes in ``ctx.time_known[field_name]`` which rows have a recorded time of day (see
    :mod:`transparency.reading.timeofday`).
    """
    formats = source.format or ctx.group.datetime_format
    tz = ctx.agency.timezone
    col = source.columns[0] if source.columns else dict(source.parts).get("date", dict(source.parts).get("year"))
    setting = "datetime_format" if source.kind == "column" else "date_format"
    try:
        if source.kind == "column":
            text, col = _first_present(ctx, source, field_name)
            parsed, used = parse_datetimes(text, formats, tz)
            ctx.time_known[field_name] = _read_with_time(text, parsed, tuple(used), tz)
            return parsed, parsed.isna() & text.notna(), col
        parts = dict(source.parts)
        if "date" in parts:
            col = parts["date"]
            date_text = ctx.column(col, field_name).where(~ctx.missing_mask(ctx.column(col, field_name), source))
            # The date column's own time, if it holds one ("01/05/2015 12:00:00 AM"), is read and dropped:
            # the time comes from the time column.
            date_formats = source.date_format or tuple(f for f in (_split_format(f)[0] for f in formats) if f)
            dates, _ = parse_datetimes(date_text, date_formats, tz)
            dates = dates.dt.normalize()
            bad = dates.isna() & date_text.notna()
        else:
            dates, bad, col = _date_from_parts(ctx, field_name, source)
        known = pd.Series(False, index=ctx.frame.index)
        if "time" in parts:
            time_col = parts["time"]
            raw_time = ctx.column(time_col, field_name)
            time_text = _plain(raw_time.where(~ctx.missing_mask(raw_time, source)))
            present_times = time_text.dropna()
            whole_numbers = len(present_times) and present_times.str.fullmatch(r"\d{1,4}").all()
            if whole_numbers:
                time_text = time_text.str.zfill(4)  # HHMM stored as an integer: 234 is 02:34
            time_formats = source.time_format or tuple(t for t in (_split_format(f)[1] for f in formats) if t)
            if not time_formats and whole_numbers:
                time_formats = ("%H%M",)  # four digits are never seconds (1619 is 16:19, not 16:01:09)
            elif not time_formats and len(present_times) and present_times.str.fullmatch(r"\d+").all():
                lengths = sorted(set(present_times.str.len()))
                raise DataError(
                    str(ctx.path), f"times are written as digits of {fmt_lengths(lengths)} characters, which could be "
                    f"HHMM or HHMMSS (such as '{present_times.iloc[0]}'); set time_format for {field_name} in agency.yml "
                    "(for example time_format: \"%H%M%S\")", column=time_col)
            try:
                times, _ = parse_datetimes("1900-01-01 " + time_text, tuple("%Y-%m-%d " + f for f in time_formats), tz,
                                           candidates=tuple("%Y-%m-%d " + f for f in TIME_CANDIDATES))
            except AmbiguousFormat as exc:
                example = exc.example.removeprefix("1900-01-01 ")
                readings = [f.removeprefix("%Y-%m-%d ") for f in exc.formats]
                raise DataError(
                    str(ctx.path),
                    f"times such as '{example}' can be read as {readings[0]} or {readings[1]}; "
                    f"set time_format for {field_name} in agency.yml (for example time_format: \"{readings[0]}\")",
                    column=time_col,
                ) from None
            offsets = times - pd.Timestamp("1900-01-01")
            unreadable_time = times.isna() & time_text.notna()
            if unreadable_time.any():
                ctx.count_issue(f"{field_name}: time unreadable (date kept)", (unreadable_time & dates.notna()))
            no_time = time_text.isna() & dates.notna()
            if no_time.any():
                ctx.count_issue(f"{field_name}: time not recorded (date kept)", no_time)
            dates = dates + offsets.fillna(pd.Timedelta(0))
            known = times.notna() & dates.notna()
        ctx.time_known[field_name] = known.to_numpy(dtype=bool)
        return dates, bad, col
    except AmbiguousFormat as exc:
        raise DataError(
            str(ctx.path),
            f"dates such as '{exc.example}' can be read as {exc.formats[0]} or {exc.formats[1]}; "
            f"set {setting} for {field_name} in agency.yml",
            column=col,
        ) from None
    except re.error as exc:  # a format Python's reader refuses (the configuration checks most)
        raise DataError(str(ctx.path), f"the date format for {field_name} cannot be used: {exc}", column=col) from None
