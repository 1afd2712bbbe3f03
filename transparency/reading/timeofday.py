"""Whether a record's clock time is known: a date kept without its time is at midnight, which a time-of-day
analysis must not take for a real midnight.

The loader adds, beside a datetime field some of whose rows have no time of day, a boolean column named
:func:`time_known_column` (true where the time was recorded); a table without that column has every time
known. Time-of-day analyses (the veil-of-darkness test) keep the rows :func:`time_known` marks and say how
many they left out.
"""

from __future__ import annotations

import pandas as pd

SUFFIX = "_time_known"


def time_known_column(field_name: str) -> str:
    """The column that says, per row, whether ``field_name``'s clock time was recorded."""
    return field_name + SUFFIX


def time_known(frame: pd.DataFrame, field_name: str) -> pd.Series:
    """True on the rows whose ``field_name`` has a date and a recorded time of day."""
    dates = frame[field_name].notna()
    column = time_known_column(field_name)
    if column not in frame.columns:
        return dates
    return dates & frame[column].fillna(False).astype(bool)


def unknown_times(frame: pd.DataFrame, field_name: str) -> int:
    """How many rows have a date for ``field_name`` but no recorded time of day."""
    return int((frame[field_name].notna() & ~time_known(frame, field_name)).sum())


__all__ = ["SUFFIX", "time_known", "time_known_column", "unknown_times"]
