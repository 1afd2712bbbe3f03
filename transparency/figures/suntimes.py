"""Sunset and dusk on the local clock, computed offline from latitude and longitude (astral).

The veil-of-darkness test needs, for each day, when the sun set and when it became dark (dusk: the
end of civil twilight, the sun 6 degrees below the horizon) in the agency's local wall-clock time,
the same clock the stop times are written in. Nothing is downloaded: astral computes the sun's
position from the date and the coordinates.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
from astral import Observer
from astral.sun import dusk, sunset


def _clock_minutes(moment: dt.datetime) -> float:
    """Minutes after local midnight of a local (time-zone aware) time, with seconds as a fraction."""
    return moment.hour * 60 + moment.minute + moment.second / 60


def sun_minutes(dates, lat: float, lon: float, timezone: str) -> pd.DataFrame:
    """Sunset and dusk for each date, as minutes after local midnight on the local clock.

    Parameters
    ----------
    dates : iterable of dates
        Calendar dates (``datetime.date``, ``Timestamp`` or anything pandas reads as a date);
        repeats are computed once.
    lat, lon : float
        Where the agency is (decimal degrees; west longitudes negative).
    timezone : str
        The agency's IANA time zone. Daylight saving time is applied as the local clock does.

    Returns
    -------
    pandas.DataFrame
        Indexed by date (``datetime64``, midnight), columns ``sunset`` and ``dusk`` in local clock
        minutes (``1230.5`` is 20:30:30). A day on which the sun does not set or it never gets dark
        (far north in summer) has missing values.
    """
    observer = Observer(latitude=float(lat), longitude=float(lon))
    zone = ZoneInfo(timezone)
    days = pd.DatetimeIndex(pd.to_datetime(pd.Index(list(dates)))).normalize().unique().sort_values()
    rows = []
    for day in days:
        date = day.date()
        try:
            set_minutes = _clock_minutes(sunset(observer, date, tzinfo=zone))
        except ValueError:  # the sun does not set that day
            set_minutes = float("nan")
        try:
            dusk_minutes = _clock_minutes(dusk(observer, date, tzinfo=zone))
        except ValueError:  # it never gets dark that day
            dusk_minutes = float("nan")
        rows.append((set_minutes, dusk_minutes))
    frame = pd.DataFrame(rows, index=days, columns=["sunset", "dusk"], dtype=float)
    frame.index.name = "date"
    return frame


def clock_minutes(times: pd.Series) -> pd.Series:
    """Minutes after local midnight of local wall-clock datetimes (seconds dropped, as clocks are read)."""
    return (times.dt.hour * 60 + times.dt.minute).astype(float)


def with_sun(times: pd.Series, lat: float, lon: float, timezone: str) -> pd.DataFrame:
    """For each time: its clock minute and that day's sunset and dusk (all local clock minutes).

    Returns a frame with the index of ``times`` and columns ``minute``, ``sunset``, ``dusk``.
    """
    valid = times.dropna()
    table = sun_minutes(valid.dt.normalize().unique(), lat, lon, timezone)
    days = times.dt.normalize()
    return pd.DataFrame(
        {
            "minute": clock_minutes(times),
            "sunset": days.map(table["sunset"]).astype(float),
            "dusk": days.map(table["dusk"]).astype(float),
        },
        index=times.index,
    )


__all__ = ["clock_minutes", "sun_minutes", "with_sun"]
