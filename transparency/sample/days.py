"""The days covered: seasons, weekdays, daylight saving, sunrise and sunset; events per day and their times."""

from __future__ import annotations

import calendar as _calendar_module
import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .city import CITY_LAT, CITY_LON, WEEK_FLAT
from .draws import _norm, _parse_quarter


@dataclass
class _Calendar:
    start: dt.date
    end: dt.date
    epoch: np.ndarray  # days since 1970-01-01, one per covered day
    year: np.ndarray
    month: np.ndarray
    dom: np.ndarray
    doy: np.ndarray
    weekday: np.ndarray  # Monday 0
    t: np.ndarray  # years since the start
    dst: np.ndarray  # daylight saving time in force (America/Chicago rules since 2007)
    gap_days: np.ndarray  # epoch days of spring-forward Sundays: 02:00-02:59 does not exist
    sunrise: np.ndarray  # local clock minutes
    sunset: np.ndarray

    @property
    def n(self) -> int:
        return len(self.epoch)

    @property
    def years(self) -> list[int]:
        return sorted(set(self.year.tolist()))

    def season(self, amplitude: float, peak_doy: int = 196) -> np.ndarray:
        return 1 + amplitude * np.cos(2 * np.pi * (self.doy - peak_doy) / 365.25)


def _nth_sunday(year: int, month: int, nth: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(6 - first.weekday()) % 7 + 7 * (nth - 1))


def _make_calendar(through: str, years: int) -> _Calendar:
    year, quarter = _parse_quarter(through)
    if years < 1:
        raise ValueError(f"years must be at least 1, got {years}")
    end = dt.date(year, 3 * quarter, _calendar_module.monthrange(year, 3 * quarter)[1])
    first_index = year * 4 + quarter - 1 - 4 * years + 1
    start = dt.date(first_index // 4, 3 * (first_index % 4) + 1, 1)
    index = pd.date_range(start, end, freq="D")
    epoch = (index.values.astype("datetime64[D]")).astype(np.int64)
    dst = np.zeros(len(index), dtype=bool)
    gaps = []
    for y in range(start.year, end.year + 1):
        begin, finish = _nth_sunday(y, 3, 2), _nth_sunday(y, 11, 1)
        dst |= (index.date >= begin) & (index.date < finish)
        gaps.append((begin - dt.date(1970, 1, 1)).days)
    doy = index.day_of_year.to_numpy()
    # Sunrise and sunset (NOAA's simple approximation; minutes of the local clock).
    decl = np.radians(23.44) * np.sin(2 * np.pi * (284 + doy) / 365)
    lat = np.radians(CITY_LAT)
    cos_h = (np.sin(np.radians(-0.833)) - np.sin(lat) * np.sin(decl)) / (np.cos(lat) * np.cos(decl))
    half_day = np.degrees(np.arccos(np.clip(cos_h, -1, 1))) * 4
    b = 2 * np.pi * (doy - 81) / 364
    equation_of_time = 9.87 * np.sin(2 * b) - 7.53 * np.cos(b) - 1.5 * np.sin(b)
    noon = 720 - 4 * (CITY_LON + 90) - equation_of_time + 60 * dst
    return _Calendar(
        start=start,
        end=end,
        epoch=epoch,
        year=index.year.to_numpy(),
        month=index.month.to_numpy(),
        dom=index.day.to_numpy(),
        doy=doy,
        weekday=index.day_of_week.to_numpy(),
        t=(epoch - epoch[0]) / 365.2425,
        dst=dst,
        gap_days=np.array(gaps, dtype=np.int64),
        sunrise=noon - half_day,
        sunset=noon + half_day,
    )


def _daily_counts(rng, cal: _Calendar, per_year: float, *, season=0.1, trend=0.0, weekday=WEEK_FLAT, minimum=0):
    """Events per covered day: Poisson around a seasonal, trending, weekday-shaped rate."""
    week = _norm(weekday) * 7
    lam = per_year / 365.2425 * cal.season(season) * np.exp(trend * cal.t) * week[cal.weekday]
    counts = rng.poisson(lam)
    short = minimum - int(counts.sum())
    if short > 0:
        np.add.at(counts, rng.choice(cal.n, short, p=lam / lam.sum()), 1)
    return counts


def _times_of_day(rng, n: int, profile, *, seconds: bool = True) -> np.ndarray:
    hours = rng.choice(24, n, p=_norm(profile))
    sod = hours * 3600 + rng.integers(0, 3600, n)
    return sod if seconds else sod - sod % 60


def _skip_dst_gap(cal: _Calendar, secs: np.ndarray) -> np.ndarray:
    """Move times that fall in the spring-forward hour one hour on, as a wall clock does (order kept)."""
    secs = np.asarray(secs, dtype=np.int64)
    days = secs // 86400
    sod = secs - days * 86400
    in_gap = np.isin(days, cal.gap_days) & (sod >= 7200) & (sod < 10800)
    return secs + in_gap * 3600


def _event_secs(rng, cal: _Calendar, day_index: np.ndarray, profile, *, seconds=True) -> np.ndarray:
    sod = _times_of_day(rng, len(day_index), profile, seconds=seconds)
    return _skip_dst_gap(cal, cal.epoch[day_index] * 86400 + sod)
