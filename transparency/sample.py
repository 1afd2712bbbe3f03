"""Generate the fictional Riverton Police Department's raw files, the sample agency that exercises every feature.

Riverton is a made-up midwestern city of about 250,000 residents policed by 420 sworn officers in six
districts. ``generate`` writes agency-style raw files for all twelve datasets under ``<out_dir>/raw/``:
agency column names and codes (never canonical ones), so the sample goes through the same
``agency.yml`` mapping as a real agency (``data/sample/agency.yml``, written by hand and committed).

The files are deterministic (same arguments, same bytes), vectorised with numpy, and carry a small,
known set of realistic defects (duplicate rows, a stray header row, blank rows, unparseable dates,
unknown codes, impossible ages, a negative response time, ...) so that the data-quality path always has
something to show. What was planted is listed in ``<out_dir>/raw/GENERATED.json``.

Everything here is fiction: names, badge numbers, places and events are drawn from random numbers.
"""

from __future__ import annotations

import calendar as _calendar_module
import datetime as dt
import io
import json
import os
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["generate", "last_complete_quarter", "DATASETS", "MARKER"]

AGENCY_NAME = "Riverton Police Department"
DATASETS = (
    "use_of_force",
    "complaints",
    "officer_involved_shootings",
    "assaults_on_officers",
    "citations",
    "stops",
    "pursuits",
    "calls_for_service",
    "arrests",
    "community_meetings",
    "community_surveys",
    "training",
)
MARKER = "GENERATED.json"  # written last into raw/; its presence marks a folder this module may replace
STOPS_CHUNK = 250_000  # stops are generated and written this many at a time (memory stays flat at 10M rows)

# --- The city -----------------------------------------------------------------------------------------

DISTRICTS = ("North", "Northeast", "Central", "Southeast", "South", "West")
DISTRICT_CODES = ("D1", "D2", "D3", "D4", "D5", "D6")  # the RMS/CAD codes
DISTRICT_WEIGHTS = np.array([0.15, 0.13, 0.22, 0.15, 0.20, 0.15])
# (lat_min, lat_max, lon_min, lon_max) per district, inside 41.60..41.70 N, -87.70..-87.60 E
DISTRICT_BOXES = np.array(
    [
        (41.670, 41.700, -87.670, -87.635),
        (41.670, 41.700, -87.635, -87.600),
        (41.635, 41.670, -87.670, -87.600),
        (41.600, 41.635, -87.635, -87.600),
        (41.600, 41.635, -87.670, -87.635),
        (41.600, 41.700, -87.700, -87.670),
    ]
)
CITY_LAT, CITY_LON = 41.65, -87.65

RACES = ("White", "Black", "Hispanic", "Asian", "Native American", "Pacific Islander", "Other", "Unknown")
RACE_LETTER = np.array(["W", "B", "H", "A", "I", "P", "O", "U"], dtype=object)
RACE_UPPER = np.array(
    ["WHITE", "BLACK", "HISPANIC", "ASIAN", "AMERICAN INDIAN", "PACIFIC ISLANDER", "OTHER", "UNKNOWN"], dtype=object
)
KNOWN_RACE_LETTERS = frozenset(RACE_LETTER)

SURNAMES = (
    "SMITH JOHNSON WILLIAMS BROWN JONES GARCIA MILLER DAVIS RODRIGUEZ MARTINEZ HERNANDEZ LOPEZ GONZALEZ "
    "WILSON ANDERSON THOMAS TAYLOR MOORE JACKSON MARTIN LEE PEREZ THOMPSON WHITE HARRIS SANCHEZ CLARK "
    "RAMIREZ LEWIS ROBINSON WALKER YOUNG ALLEN KING WRIGHT SCOTT TORRES NGUYEN HILL FLORES GREEN ADAMS "
    "NELSON BAKER HALL RIVERA CAMPBELL MITCHELL CARTER ROBERTS KOWALSKI NOWAK O'BRIEN MURPHY SULLIVAN "
    "PETERSEN OLSON SCHMIDT KRUEGER NOVAK WASHINGTON BUTLER FOSTER REYES"
).split()

# Hour-of-day profiles (relative weights, 00h..23h).
HOURS_CALLS = [2.6, 2.1, 1.7, 1.3, 1.0, 1.0, 1.4, 2.2, 3.0, 3.5, 3.8, 4.0, 4.2, 4.3, 4.5, 4.8, 5.0, 5.2, 5.3, 5.2, 5.0, 4.6, 4.0, 3.3]
HOURS_TRAFFIC = [3.0, 2.6, 2.0, 1.2, 0.6, 0.6, 1.2, 3.0, 3.8, 3.2, 3.0, 3.1, 3.2, 3.3, 3.8, 4.4, 4.8, 4.8, 4.3, 4.0, 4.2, 4.3, 4.0, 3.5]
HOURS_PED = [4.0, 3.6, 3.0, 2.0, 1.0, 0.6, 0.6, 0.8, 1.2, 1.6, 2.0, 2.4, 2.8, 3.0, 3.4, 3.8, 4.2, 4.6, 5.0, 5.2, 5.4, 5.4, 5.0, 4.6]
HOURS_FORCE = [4.0, 4.0, 3.5, 3.0, 2.0, 1.5, 1.0, 1.0, 1.5, 2.0, 2.5, 3.0, 3.0, 3.2, 3.5, 3.8, 4.0, 4.3, 4.5, 4.8, 5.0, 5.0, 5.0, 4.5]
HOURS_ARRESTS = [3.0, 2.8, 2.4, 1.8, 1.2, 1.0, 1.2, 1.8, 2.8, 3.4, 3.6, 3.8, 3.8, 3.9, 4.0, 4.2, 4.4, 4.5, 4.5, 4.4, 4.3, 4.0, 3.6, 3.3]
HOURS_OFFICE = [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.3, 1.0, 3.0, 4.0, 4.0, 3.5, 3.0, 3.5, 3.8, 3.5, 3.0, 1.5, 0.6, 0.4, 0.3, 0.2, 0.2, 0.1]
HOURS_NIGHT = [5.0, 5.0, 4.5, 3.5, 2.5, 1.5, 1.0, 1.0, 1.0, 1.2, 1.5, 1.8, 2.0, 2.2, 2.5, 2.8, 3.0, 3.3, 3.6, 4.0, 4.4, 4.8, 5.0, 5.0]
WEEK_FLAT = (1, 1, 1, 1, 1, 1, 1)
WEEK_BUSINESS = (1.25, 1.2, 1.2, 1.2, 1.15, 0.5, 0.5)
WEEK_NIGHTLIFE = (0.92, 0.9, 0.92, 0.98, 1.08, 1.15, 1.05)


# --- Small helpers ------------------------------------------------------------------------------------


def last_complete_quarter(today: dt.date | None = None) -> str:
    """The last calendar quarter that ended before ``today``, as a code such as ``"2026Q3"``."""
    today = today or dt.date.today()
    index = today.year * 4 + (today.month - 1) // 3 - 1
    return f"{index // 4}Q{index % 4 + 1}"


def _parse_quarter(code: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{4})Q([1-4])", str(code).strip())
    if not match:
        raise ValueError(f"through must be a quarter code such as 2026Q3, got {code!r}")
    return int(match.group(1)), int(match.group(2))


def _norm(p) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return p / p.sum()


def _choice(rng: np.random.Generator, values, n: int, p=None) -> np.ndarray:
    values = np.asarray(values, dtype=object)
    return values[rng.choice(len(values), n, p=None if p is None else _norm(p))]


def _row_choice(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category index per row from a (rows x categories) matrix of weights."""
    cum = np.cumsum(probs, axis=1)
    cum /= cum[:, -1:]
    u = rng.random(len(probs))
    return np.minimum((u[:, None] > cum).sum(axis=1), probs.shape[1] - 1)


def _n_defects(rate: float, rows: int) -> int:
    """How many rows get a planted defect: ``rate`` of them, and at least one."""
    return max(1, int(round(rate * rows))) if rows else 0


def _pick(rng: np.random.Generator, free: np.ndarray, k: int) -> np.ndarray:
    """Choose ``k`` rows still free of planted defects, and mark them used."""
    candidates = np.flatnonzero(free)
    k = min(k, len(candidates))
    if not k:
        return np.empty(0, dtype=np.int64)
    chosen = np.sort(rng.choice(candidates, k, replace=False))
    free[chosen] = False
    return chosen


def _seq_in_group(group: np.ndarray) -> np.ndarray:
    """1, 2, 3, ... within runs of equal (sorted) group values."""
    return pd.Series(group).groupby(group).cumcount().to_numpy() + 1


def _zfill(prefix, numbers: np.ndarray, width: int) -> np.ndarray:
    text = pd.Series(np.asarray(numbers)).astype(str).str.zfill(width).to_numpy(dtype=object)
    return prefix + text if isinstance(prefix, str) else np.asarray(prefix, dtype=object) + text


def _yy(year: np.ndarray) -> np.ndarray:
    """Two-digit years as text: 2021 -> "21"."""
    return _zfill("", np.asarray(year) % 100, 2)


def _str(values: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    out = np.asarray(values).astype(str).astype(object)
    if missing is not None:
        out[missing] = ""
    return out


def _yes_no(flags: np.ndarray, yes: str = "Y", no: str = "N") -> np.ndarray:
    return np.where(flags, yes, no).astype(object)


def _vary_case(rng: np.random.Generator, values: np.ndarray, rate: float) -> np.ndarray:
    """Give a few cells the letter-case and stray-space variants that hand-typed entries have."""
    values = values.copy()
    idx = np.flatnonzero(rng.random(len(values)) < rate)
    styles = rng.integers(0, 4, len(idx))
    for i, style in zip(idx, styles):
        text = str(values[i])
        if not text:
            continue
        values[i] = (text.upper(), text.lower() + " ", " " + text.title(), text + "  ")[style]
    return values


def _format_days(epoch_days: np.ndarray, fmt: str) -> np.ndarray:
    unique, inverse = np.unique(epoch_days, return_inverse=True)
    text = pd.to_datetime(unique, unit="D").strftime(fmt).to_numpy(dtype=object)
    return text[inverse]


def _format_seconds(seconds_of_day: np.ndarray, fmt: str) -> np.ndarray:
    unique, inverse = np.unique(seconds_of_day, return_inverse=True)
    text = pd.to_datetime(unique, unit="s").strftime(fmt).to_numpy(dtype=object)
    return text[inverse]


def _format(secs: np.ndarray, date_fmt: str, time_fmt: str | None = None, sep: str = " ") -> np.ndarray:
    """Local wall-clock seconds since 1970-01-01 (naive) as text, fast for millions of rows."""
    secs = np.asarray(secs, dtype=np.int64)
    days = secs // 86400
    out = _format_days(days, date_fmt)
    if time_fmt:
        out = out + sep + _format_seconds(secs - days * 86400, time_fmt)
    return out


# --- Calendar: the days covered, seasons, daylight saving, sunrise and sunset ---------------------------


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


def _locations(rng, district: np.ndarray, missing_rate: float = 0.0):
    box = DISTRICT_BOXES[district]
    lat = np.round(box[:, 0] + rng.random(len(district)) * (box[:, 1] - box[:, 0]), 6)
    lon = np.round(box[:, 2] + rng.random(len(district)) * (box[:, 3] - box[:, 2]), 6)
    if missing_rate:
        gone = rng.random(len(district)) < missing_rate
        lat[gone] = np.nan
        lon[gone] = np.nan
    return lat, lon


# --- Officers ------------------------------------------------------------------------------------------


@dataclass
class _Officers:
    badge: np.ndarray  # text, e.g. "4521"
    race: np.ndarray  # index into RACES
    sex: np.ndarray  # "M" / "F"
    surname: np.ndarray
    initial: np.ndarray
    weight: np.ndarray  # how often an officer appears in enforcement records (skewed)

    def __len__(self) -> int:
        return len(self.badge)

    def draw(self, rng, n: int) -> np.ndarray:
        return rng.choice(len(self.badge), n, p=self.weight)

    def distinct_per_group(self, rng, group: np.ndarray, picks: np.ndarray) -> np.ndarray:
        """Redraw officers that repeat within a group (an incident, a complaint, a meeting)."""
        picks = picks.copy()
        for _ in range(50):
            dup = pd.Series(group * len(self) + picks).duplicated().to_numpy()
            if not dup.any():
                break
            picks[dup] = rng.choice(len(self), int(dup.sum()))
        return picks


def _make_officers(rng, count: int) -> _Officers:
    badge = np.sort(rng.choice(np.arange(1100, 9900), count, replace=False))
    race = rng.choice(8, count, p=_norm([0.60, 0.22, 0.12, 0.04, 0.004, 0.002, 0.014, 0]))
    sex = _choice(rng, ["M", "F"], count, [0.85, 0.15])
    patrol = rng.random(count) < 0.75
    weight = rng.lognormal(0.0, 0.9, count) * np.where(patrol, 1.0, 0.12)
    return _Officers(
        badge=_str(badge),
        race=race,
        sex=sex,
        surname=_choice(rng, SURNAMES, count),
        initial=_choice(rng, list("ABCDEFGHJKLMNPRSTW"), count),
        weight=weight / weight.sum(),
    )


# --- Writing files, and planting row-level defects -------------------------------------------------------


@dataclass
class _Ctx:
    raw: Path
    cal: _Calendar
    seed: int
    scale: float
    officers: _Officers
    rows: dict = field(default_factory=dict)
    planted: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)
    linked_stops: list = field(default_factory=list)
    agency: str = AGENCY_NAME  # written into the files that name their maker (the training workbook)

    def rng(self, stream: str) -> np.random.Generator:
        # One independent stream per dataset: changing one dataset never changes another's rows.
        return np.random.default_rng([self.seed, (["officers", *DATASETS].index(stream))])

    def plant(self, dataset: str, defect: str, count: int) -> None:
        if count:
            counts = self.planted.setdefault(dataset, {})
            counts[defect] = counts.get(defect, 0) + int(count)

    def wrote(self, dataset: str, path: Path, rows: int) -> None:
        self.rows[dataset] = self.rows.get(dataset, 0) + rows
        rel = path.relative_to(self.raw).as_posix()
        self.files.setdefault(dataset, {})
        self.files[dataset][rel] = self.files[dataset].get(rel, 0) + rows


def _csv_lines(df: pd.DataFrame) -> tuple[str, list[str]]:
    text = df.to_csv(index=False, lineterminator="\n")
    lines = text.split("\n")
    return lines[0], lines[1:-1]


def _plant_lines(rng, lines, header, ncols, *, duplicates=0, headers=0, blanks=0, blanks_at_end=0, avoid=None):
    """Insert exact duplicate rows, stray header rows and blank rows into a file's data lines."""
    n = len(lines)
    blank = "," * (ncols - 1)
    inserts: list[tuple[int, str]] = []
    if n and duplicates:
        free = np.ones(n, dtype=bool) if avoid is None else ~avoid
        for src in _pick(rng, free, duplicates):
            inserts.append((min(n - 1, int(src) + int(rng.integers(0, 4))), lines[src]))
    for _ in range(headers if n else 0):
        inserts.append((int(rng.integers(n // 4, max(n // 4 + 1, (3 * n) // 4))), header))
    for _ in range(blanks if n else 0):
        inserts.append((int(rng.integers(0, n)), blank))
    if not inserts and not blanks_at_end:
        return lines
    inserts.sort(key=lambda item: item[0])
    out: list[str] = []
    j = 0
    for i, line in enumerate(lines):
        out.append(line)
        while j < len(inserts) and inserts[j][0] == i:
            out.append(inserts[j][1])
            j += 1
    out.extend([blank] * blanks_at_end)
    return out


def _write_csv(
    ctx: _Ctx,
    dataset: str | None,
    path: Path,
    df: pd.DataFrame,
    *,
    rng=None,
    duplicates=0,
    headers=0,
    blanks=0,
    blanks_at_end=0,
    avoid=None,
    encoding="utf-8",
    newline="\n",
    append=False,
) -> int:
    """Write (or append) a CSV; plant row defects; record rows written. Returns data lines written."""
    header, lines = _csv_lines(df)
    lines = _plant_lines(
        rng, lines, header, df.shape[1], duplicates=duplicates, headers=headers, blanks=blanks,
        blanks_at_end=blanks_at_end, avoid=avoid,
    )
    if dataset:
        ctx.plant(dataset, "duplicate_row", duplicates if len(df) else 0)
        ctx.plant(dataset, "header_row", headers if len(df) else 0)
        ctx.plant(dataset, "blank_row", (blanks if len(df) else 0) + blanks_at_end)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = newline.join(lines) + newline if lines else ""
    if append and path.exists():
        with open(path, "ab") as handle:
            handle.write(body.encode(encoding))
    else:
        path.write_bytes((header + newline + body).encode(encoding))
    if dataset:
        ctx.wrote(dataset, path, len(lines))
    return len(lines)


def _spread(rng, total: int, sizes: list[int]) -> np.ndarray:
    """Share ``total`` planted rows between files in proportion to their sizes."""
    sizes = np.asarray(sizes, dtype=float)
    if total == 0 or sizes.sum() == 0:
        return np.zeros(len(sizes), dtype=int)
    return rng.multinomial(total, sizes / sizes.sum())


def _write_by_file(ctx, dataset, rng, df, file_of_row, paths: dict, *, duplicates=0, header_in=None, avoid=None, **kw):
    """Write one frame split into several files; duplicates spread across them, a header row in one."""
    keys = list(paths)
    sizes = [int((file_of_row == key).sum()) for key in keys]
    dup_counts = _spread(rng, duplicates, sizes)
    for key, dups in zip(keys, dup_counts):
        rows = file_of_row == key
        part, columns = paths[key]
        frame = df.loc[rows, columns] if columns is not None else df.loc[rows]
        if isinstance(part, tuple):  # (path, rename)
            part, rename = part
            frame = frame.rename(columns=rename)
        _write_csv(
            ctx, dataset, part, frame.reset_index(drop=True), rng=rng, duplicates=int(dups),
            headers=1 if key == header_in else 0, avoid=None if avoid is None else avoid[rows], **kw,
        )


# --- use_of_force: one file per year; the new RMS (from the third year) renamed the badge column --------

UOF_FLAGS = (
    ("TASER_USED", "Taser", 0.18),
    ("OC_USED", "OC spray", 0.06),
    ("BATON_USED", "Baton", 0.03),
    ("K9_USED", "K9", 0.02),
    ("TAKEDOWN_USED", "Takedown", 0.40),
    ("HANDS_USED", "Hands-on control", 0.55),
    ("FIREARM_POINTED", "Firearm pointed", 0.12),
)
UOF_CALLS = (
    ("Disturbance", 0.20), ("Domestic", 0.15), ("Traffic stop", 0.10), ("Suspicious person", 0.12),
    ("Warrant service", 0.08), ("Mental health crisis", 0.10), ("Theft/shoplifting", 0.10),
    ("Assault", 0.10), ("Other", 0.05),
)
UOF_REASONS = {
    "Resisting arrest": "The subject pulled away and refused to be handcuffed.",
    "Assault on officer": "The subject struck at the officer.",
    "Fleeing": "The subject ran from the officer and was caught.",
    "Danger to self or others": "The subject was a danger to self and to others nearby.",
    "Weapon display": "The subject displayed a weapon and did not drop it when told to.",
    "Non-compliance": "The subject did not follow lawful commands.",
}
UOF_REASON_P = (0.32, 0.16, 0.14, 0.12, 0.06, 0.20)


def _use_of_force(ctx: _Ctx) -> None:
    rng, cal, off = ctx.rng("use_of_force"), ctx.cal, ctx.officers
    counts = _daily_counts(rng, cal, 200 * ctx.scale, season=0.15, trend=-0.06, weekday=WEEK_NIGHTLIFE, minimum=8)
    inc_day = np.repeat(np.arange(cal.n), counts)
    inc_secs = np.sort(_event_secs(rng, cal, inc_day, HOURS_FORCE, seconds=False))
    inc_day = inc_secs // 86400 - cal.epoch[0]
    n_inc = len(inc_secs)
    inc_year = cal.year[inc_day]
    inc_id = _zfill(_yy(inc_year) + "-", _seq_in_group(inc_year), 4)
    inc_id = "UOF" + inc_id
    inc_district = rng.choice(6, n_inc, p=DISTRICT_WEIGHTS)
    inc_call = _choice(rng, [c for c, _ in UOF_CALLS], n_inc, [p for _, p in UOF_CALLS])
    inc_reason = _choice(rng, list(UOF_REASONS), n_inc, UOF_REASON_P)

    n_subj = 1 + (rng.random(n_inc) < 0.1)
    s_inc = np.repeat(np.arange(n_inc), n_subj)
    ns = len(s_inc)
    s_no = _seq_in_group(s_inc)
    s_race = rng.choice(8, ns, p=_norm([0.30, 0.48, 0.15, 0.02, 0.005, 0.002, 0.013, 0.03]))
    s_sex = _choice(rng, ["M", "F", "U"], ns, [0.84, 0.15, 0.01])
    s_age = np.clip(16 + rng.gamma(2.2, 6.5, ns), 14, 80).astype(int)
    s_age_missing = rng.random(ns) < 0.03

    n_off = 1 + np.minimum(rng.poisson(0.45, ns), 3)
    r_subj = np.repeat(np.arange(ns), n_off)
    nr = len(r_subj)
    r_off = off.distinct_per_group(rng, r_subj, off.draw(rng, nr))
    flags = rng.random((nr, len(UOF_FLAGS))) < np.array([p for _, _, p in UOF_FLAGS])
    flags[~flags.any(axis=1), 5] = True  # every row records at least hands-on control
    starts = np.flatnonzero(np.r_[True, r_subj[1:] != r_subj[:-1]])
    used = np.maximum.reduceat(flags.astype(np.int8), starts, axis=0)
    p_injured = 0.18 + 0.15 * used[:, 0] + 0.30 * used[:, 3] + 0.12 * used[:, 2] + 0.06 * used[:, 4]
    s_injured = rng.random(ns) < p_injured
    s_hospital = s_injured & (rng.random(ns) < 0.3)
    s_arrested = rng.random(ns) < 0.87
    r_off_injured = rng.random(nr) < 0.07

    r_inc = s_inc[r_subj]
    year = inc_year[r_inc]
    secs = inc_secs[r_inc]
    legacy_years = set(cal.years[: max(1, min(2, len(cal.years) - 1))])  # both schemas whenever 2+ years
    legacy = np.isin(year, list(legacy_years))
    district = np.where(
        legacy, np.asarray(DISTRICT_CODES, object)[inc_district[r_inc]],
        np.asarray([d.upper() for d in DISTRICTS], object)[inc_district[r_inc]],
    )
    call = inc_call[r_inc]
    reason = inc_reason[r_inc]
    surname = off.surname[r_off]
    force_words = [
        ", ".join(UOF_FLAGS[j][1].lower() for j in np.flatnonzero(row)) for row in flags
    ]
    narrative = (
        "Ofc. " + np.array([s.title() for s in surname], dtype=object) + " responded to a "
        + np.char.lower(call.astype(str)).astype(object) + " call. "
        + np.vectorize(UOF_REASONS.get, otypes=[object])(reason) + " Force used: "
        + np.asarray(force_words, dtype=object) + "."
    )
    df = pd.DataFrame(
        {
            "FILE_NO": inc_id[r_inc],
            "OCC_DATE": _format(secs, "%m/%d/%Y"),
            "OCC_TIME": _format_seconds(secs % 86400, "%H:%M"),
            "DIST": district,
            "SERVICE_TYPE": call,
            "UOF_REASON": reason,
            "SUBJ_NO": _str(s_no[r_subj]),
            "SUBJ_RACE": RACE_LETTER[s_race[r_subj]],
            "SUBJ_SEX": s_sex[r_subj],
            "SUBJ_AGE": _str(s_age[r_subj], s_age_missing[r_subj]),
            "SUBJ_INJURED": _yes_no(s_injured[r_subj]),
            "SUBJ_HOSPITALIZED": _yes_no(s_hospital[r_subj]),
            "SUBJ_ARRESTED": _yes_no(s_arrested[r_subj]),
            "OFF_BADGE": off.badge[r_off],
            "OFFICER_NAME": surname + ", " + off.initial[r_off] + ".",
            "OFF_RACE": RACE_LETTER[off.race[r_off]],
            "OFF_SEX": off.sex[r_off],
            "OFF_INJURED": _yes_no(r_off_injured),
            **{name: _yes_no(flags[:, j]) for j, (name, _, _) in enumerate(UOF_FLAGS)},
            "NARRATIVE": narrative,
        }
    )
    # Planted cell defects, each on its own row.
    free = np.ones(nr, dtype=bool)
    bad = _pick(rng, free, _n_defects(0.002, nr))
    df.loc[bad, "OCC_DATE"] = "00/00/0000"
    ctx.plant("use_of_force", "unparseable_date", len(bad))
    bad = _pick(rng, free, _n_defects(0.002, nr))
    df.loc[bad, "SUBJ_RACE"] = "X"
    ctx.plant("use_of_force", "unknown_race_code", len(bad))
    bad = _pick(rng, free, _n_defects(0.002, nr))
    df.loc[bad, "SUBJ_AGE"] = "999"
    ctx.plant("use_of_force", "impossible_age", len(bad))
    bad = _pick(rng, free, _n_defects(0.003, nr))
    for name, _, _ in UOF_FLAGS:
        df.loc[bad, name] = "N"
    ctx.plant("use_of_force", "no_force_flag", len(bad))

    legacy_columns = list(df.columns)
    new_columns = [c for c in legacy_columns if c not in ("OFF_BADGE", "OFFICER_NAME")]
    new_columns[new_columns.index("OFF_RACE"):new_columns.index("OFF_RACE")] = ["OFFICER_NAME", "OFF_BADGE"]
    folder = ctx.raw / "use_of_force"
    paths = {}
    for y in cal.years:
        if y in legacy_years:
            paths[y] = (folder / f"uof_{y}.csv", legacy_columns)
        else:
            paths[y] = ((folder / f"UseOfForce_{y}.csv", {"OFF_BADGE": "OFFICER_BADGE_NO"}), new_columns)
    _write_by_file(
        ctx, "use_of_force", rng, df, year, paths, duplicates=_n_defects(0.003, nr),
        header_in=cal.years[len(cal.years) // 2], avoid=~free,
    )


# --- complaints: one allegation per row, UTF-8 with a byte-order mark --------------------------------------

ALLEGATIONS = (
    # allegation, class, weight, P(sustained | external), P(exonerated)
    ("Discourtesy", "Conduct", 0.22, 0.14, 0.08),
    ("Unprofessional conduct", "Conduct", 0.14, 0.16, 0.10),
    ("Excessive force", "Force", 0.12, 0.05, 0.42),
    ("Improper search or seizure", "Procedure", 0.09, 0.08, 0.35),
    ("Improper arrest", "Procedure", 0.07, 0.06, 0.40),
    ("Neglect of duty", "Procedure", 0.14, 0.20, 0.10),
    ("Bias-based policing", "Bias", 0.08, 0.04, 0.15),
    ("Harassment", "Conduct", 0.06, 0.08, 0.12),
    ("Untruthfulness", "Integrity", 0.04, 0.18, 0.05),
    ("Failure to activate body camera", "Procedure", 0.04, 0.45, 0.05),
)
FINDINGS = {
    "sustained": "Sustained",
    "not_sustained": "Not Sustained",
    "unfounded": "Unfounded",
    "exonerated": "Exonerated",
    "withdrawn": "Withdrawn",
    "other": "Administrative Closure",
    "pending": "Under Investigation",
}
DISCIPLINE = (("Counseling", 0.30), ("Written reprimand", 0.30), ("Retraining", 0.15),
              ("Suspension 1-3 days", 0.15), ("Suspension 5+ days", 0.07), ("Termination", 0.03))


def _complaints(ctx: _Ctx) -> None:
    rng, cal, off = ctx.rng("complaints"), ctx.cal, ctx.officers
    counts = _daily_counts(rng, cal, 110 * ctx.scale, season=0.05, weekday=WEEK_BUSINESS, minimum=8)
    c_day = np.repeat(np.arange(cal.n), counts)
    c_secs = np.sort(_event_secs(rng, cal, c_day, HOURS_OFFICE))
    c_day = c_secs // 86400 - cal.epoch[0]
    nc = len(c_secs)
    c_year = cal.year[c_day]
    c_id = "IA" + _zfill(_str(c_year).astype(object) + "-", _seq_in_group(c_year), 4)
    source = _choice(rng, ["CITIZEN", "INTERNAL", "ANONYMOUS"], nc, [0.74, 0.20, 0.06])
    internal = source == "INTERNAL"
    c_district = rng.choice(6, nc, p=DISTRICT_WEIGHTS)
    c_race = rng.choice(8, nc, p=_norm([0.33, 0.40, 0.09, 0.02, 0.004, 0.002, 0.01, 0.14]))
    c_race[internal] = 7
    c_sex = _choice(rng, ["M", "F", "U"], nc, [0.46, 0.44, 0.10])
    c_sex[internal] = "U"
    c_age = np.clip(18 + rng.gamma(3.0, 7.0, nc), 18, 90).astype(int)
    c_age_missing = internal | (rng.random(nc) < 0.2)
    withdrawn = (~internal) & (rng.random(nc) < 0.06)
    days_to_close = rng.lognormal(np.log(80), 0.75, nc) * np.where(internal, 0.7, 1.0) * np.where(withdrawn, 0.3, 1.0)
    closed_secs = (c_secs // 86400 + np.ceil(days_to_close).astype(np.int64)) * 86400 + 12 * 3600
    end_secs = (cal.epoch[-1] + 1) * 86400
    pending = closed_secs >= end_secs

    n_off = 1 + np.minimum(rng.poisson(0.45, nc), 3)
    o_c = np.repeat(np.arange(nc), n_off)
    o_off = off.distinct_per_group(rng, o_c, off.draw(rng, len(o_c)))
    n_alg = 1 + np.minimum(rng.poisson(0.7, len(o_c)), 3)
    # distinct allegations per complaint and officer: the top-k of Gumbel-perturbed log weights
    weights = np.log(np.array([a[2] for a in ALLEGATIONS]))
    keys = weights + rng.gumbel(size=(len(o_c), len(ALLEGATIONS)))
    ranked = np.argsort(-keys, axis=1)
    a_o = np.repeat(np.arange(len(o_c)), n_alg)
    a_alg = ranked[a_o, _seq_in_group(a_o) - 1]
    a_c = o_c[a_o]
    na = len(a_o)

    # About one allegation in eight is sustained; internal complaints (a supervisor's) far more often.
    p_sus = 0.6 * np.array([a[3] for a in ALLEGATIONS])[a_alg]
    p_sus = np.where(internal[a_c], np.minimum(0.5, p_sus * 3 + 0.12), p_sus)
    p_exo = np.array([a[4] for a in ALLEGATIONS])[a_alg]
    rest = 1 - p_sus - p_exo
    probs = np.column_stack([p_sus, rest * 0.48, rest * 0.44, p_exo, rest * 0.08])
    outcome = np.array(["sustained", "not_sustained", "unfounded", "exonerated", "other"], dtype=object)[
        _row_choice(rng, probs)
    ]
    outcome[withdrawn[a_c]] = "withdrawn"
    outcome[pending[a_c]] = "pending"
    finding = _vary_case(rng, np.vectorize(FINDINGS.get, otypes=[object])(outcome), 0.04)
    discipline = np.where(
        outcome == "sustained",
        _choice(rng, [d for d, _ in DISCIPLINE], na, [p for _, p in DISCIPLINE]),
        "",
    ).astype(object)
    closed = _format((closed_secs // 86400) * 86400, "%Y/%m/%d")
    closed_text = np.where(pending, "", closed).astype(object)[a_c]
    source_text = _vary_case(rng, np.vectorize({"CITIZEN": "Citizen", "INTERNAL": "Internal", "ANONYMOUS": "Anonymous"}.get, otypes=[object])(source), 0.05)

    df = pd.DataFrame(
        {
            "IA_NUMBER": c_id[a_c],
            "RECEIVED_DATE": _format(c_secs, "%Y/%m/%d")[a_c],
            "CLOSED_DATE": closed_text,
            "COMPLAINT_SOURCE": source_text[a_c],
            "INCIDENT_DISTRICT": np.asarray(DISTRICT_CODES, object)[c_district][a_c],
            "ALLEGATION_DESC": np.array([a[0] for a in ALLEGATIONS], dtype=object)[a_alg],
            "ALLEGATION_CLASS": np.array([a[1] for a in ALLEGATIONS], dtype=object)[a_alg],
            "FINDING": finding,
            "DISCIPLINE_IMPOSED": discipline,
            "CMPL_RACE": RACE_LETTER[c_race][a_c],
            "CMPL_SEX": c_sex[a_c],
            "CMPL_AGE": _str(c_age, c_age_missing)[a_c],
            "OFFICER_BADGE": off.badge[o_off][a_o],
            "OFF_RACE": RACE_LETTER[off.race[o_off]][a_o],
            "OFF_SEX": off.sex[o_off][a_o],
        }
    )
    free = np.ones(na, dtype=bool)
    bad = _pick(rng, free & (closed_text != ""), _n_defects(0.004, na))
    free[bad] = False
    df.loc[bad, "CLOSED_DATE"] = "TBD"
    ctx.plant("complaints", "unparseable_closed_date", len(bad))
    _write_csv(
        ctx, "complaints", ctx.raw / "complaints" / "IA_Complaints_Export.csv", df, rng=rng,
        duplicates=_n_defects(0.004, na), avoid=~free, encoding="utf-8-sig",
    )


# --- officer_involved_shootings: one row per subject; "None" in the weapon column means unarmed --------


def _shootings(ctx: _Ctx) -> None:
    rng, cal, off = ctx.rng("officer_involved_shootings"), ctx.cal, ctx.officers
    counts = _daily_counts(rng, cal, 5.5 * ctx.scale, season=0.1, minimum=3)
    secs = np.sort(_event_secs(rng, cal, np.repeat(np.arange(cal.n), counts), HOURS_NIGHT, seconds=False))
    day = secs // 86400 - cal.epoch[0]
    year = cal.year[day]
    n_inc = len(secs)
    case = "OIS-" + _zfill(_str(year).astype(object) + "-", _seq_in_group(year), 3)
    n_subj = 1 + (rng.random(n_inc) < 0.08)
    s_inc = np.repeat(np.arange(n_inc), n_subj)
    ns = len(s_inc)
    weapon = _choice(
        rng, ["Handgun", "Knife", "Vehicle", "Rifle", "Other weapon", "None", "Unknown"], ns,
        [0.52, 0.12, 0.08, 0.04, 0.06, 0.14, 0.04],
    )
    if not (weapon == "None").any():
        weapon[rng.integers(0, ns)] = "None"
    armed = np.where(weapon == "None", "N", np.where(weapon == "Unknown", "U", "Y")).astype(object)
    condition = _choice(rng, ["Deceased", "Died at hospital", "Wounded", "Not struck"], ns, [0.27, 0.05, 0.38, 0.30])
    race = rng.choice(8, ns, p=_norm([0.30, 0.52, 0.14, 0.02, 0, 0, 0.01, 0.01]))
    lead = off.draw(rng, ns)
    df = pd.DataFrame(
        {
            "CASE_NUMBER": case[s_inc],
            "OCCURRED": _format(secs, "%m/%d/%Y", "%H:%M")[s_inc],
            "DIST": np.asarray(DISTRICT_CODES, object)[rng.choice(6, n_inc, p=DISTRICT_WEIGHTS)][s_inc],
            "SUSP_RACE": _vary_case(rng, np.asarray(RACES, object)[race], 0.15),
            "SUSP_SEX": _choice(rng, ["Male", "Female"], ns, [0.94, 0.06]),
            "SUSP_AGE": _str(np.clip(17 + rng.gamma(2.5, 6.0, ns), 15, 75).astype(int)),
            "SUSP_ARMED": armed,
            "SUSP_WEAPON": weapon,
            "SUSP_CONDITION": condition,
            "OFFICER_BADGE": off.badge[lead],
            "OFF_RACE": RACE_LETTER[off.race[lead]],
            "OFF_INJURED": _yes_no(rng.random(ns) < 0.12),
            "OFFICERS_DISCHARGED": _str(1 + np.minimum(rng.poisson(0.8, ns), 5)),
        }
    )
    _write_csv(ctx, "officer_involved_shootings", ctx.raw / "ois" / "officer_involved_shootings.csv", df)


# --- assaults_on_officers: one row per incident, officers listed in cells (exploded at load) ------------

LEOKA_ACTIVITY = (
    ("DISTURBANCE CALL", 0.30), ("ATTEMPTING OTHER ARRESTS", 0.22), ("HANDLING PRISONERS", 0.12),
    ("TRAFFIC PURSUITS AND STOPS", 0.10), ("HANDLING PERSONS WITH MENTAL ILLNESS", 0.10),
    ("INVESTIGATING SUSPICIOUS PERSONS", 0.08), ("CIVIL DISORDER", 0.02), ("ALL OTHER", 0.06),
)
ASSIGNMENTS = (("TWO-OFFICER VEHICLE", 0.35), ("ONE-OFFICER VEHICLE (ALONE)", 0.20),
               ("ONE-OFFICER VEHICLE (ASSISTED)", 0.30), ("DETECTIVE/SPECIAL ASSIGNMENT", 0.08), ("OTHER", 0.07))
ASSAULT_WEAPONS = (("HANDS, FISTS, FEET", 0.78), ("KNIFE/CUTTING INSTRUMENT", 0.04), ("FIREARM", 0.04),
                   ("OTHER DANGEROUS WEAPON", 0.09), ("VEHICLE", 0.05))
DIVISIONS = ("1ST DIVISION", "2ND DIVISION", "3RD DIVISION", "4TH DIVISION", "5TH DIVISION", "6TH DIVISION")
STREETS = ("MAPLE AVE", "RIVER RD", "STATE ST", "CALUMET BLVD", "HALSTED ST", "PARK DR", "LINCOLN AVE",
           "115TH ST", "KEDZIE AVE", "CANAL ST", "PRAIRIE AVE", "MARKET ST")


def _assaults(ctx: _Ctx) -> None:
    rng, cal, off = ctx.rng("assaults_on_officers"), ctx.cal, ctx.officers
    counts = _daily_counts(rng, cal, 95 * ctx.scale, season=0.12, trend=0.02, weekday=WEEK_NIGHTLIFE, minimum=6)
    secs = np.sort(_event_secs(rng, cal, np.repeat(np.arange(cal.n), counts), HOURS_FORCE, seconds=False))
    n = len(secs)
    year = cal.year[secs // 86400 - cal.epoch[0]]
    n_off = 1 + np.minimum(rng.poisson(0.4, n), 3)
    group = np.repeat(np.arange(n), n_off)
    picks = off.distinct_per_group(rng, group, off.draw(rng, len(group)))
    injured = rng.random(len(group)) < 0.28
    starts = np.r_[0, np.cumsum(n_off)[:-1]]
    badges = [";".join(off.badge[picks[s:s + k]]) for s, k in zip(starts, n_off)]
    injured_cells = []
    for s, k in zip(starts, n_off):
        flags = injured[s:s + k]
        # when no officer was hurt the records unit types a single "N" for everyone
        injured_cells.append("N" if not flags.any() else ";".join("Y" if f else "N" for f in flags))
    district = rng.choice(6, n, p=DISTRICT_WEIGHTS)
    division = _vary_case(rng, np.asarray(DIVISIONS, object)[district], 0.03)
    block = (
        _str(rng.integers(1, 130, n) * 100).astype(object) + " BLOCK " + _choice(rng, STREETS, n)
    )
    block = np.array([b.ljust(40) for b in block], dtype=object)  # fixed-width field, right-padded
    df = pd.DataFrame(
        {
            "OBJECTID": _str(np.arange(1, n + 1)),
            "INCIDENT_NUMBER": _zfill(_yy(year) + "-", rng.integers(0, 10**6, n), 6),
            "DATE_OCCURED": _format(secs, "%m/%d/%Y", "%H:%M"),
            "DIVISION": division,
            "BLOCK_ADDRESS": block,
            "TYPE_OF_ACTIVITY": _choice(rng, [a for a, _ in LEOKA_ACTIVITY], n, [p for _, p in LEOKA_ACTIVITY]),
            "TYPE_OF_ASSIGNMENT": _choice(rng, [a for a, _ in ASSIGNMENTS], n, [p for _, p in ASSIGNMENTS]),
            "WEAPON_TYPE": _choice(rng, [a for a, _ in ASSAULT_WEAPONS], n, [p for _, p in ASSAULT_WEAPONS]),
            "OFFICER_BADGES": np.asarray(badges, dtype=object),
            "OFFICERS_INJURED": np.asarray(injured_cells, dtype=object),
            "OFFICER_KILLED_FLAG": np.full(n, "N", dtype=object),
        }
    )
    # Incident numbers are unique; a collision of the random serial would look like a second incident.
    df["INCIDENT_NUMBER"] = df["INCIDENT_NUMBER"].where(~df["INCIDENT_NUMBER"].duplicated(), df["INCIDENT_NUMBER"] + "A")
    # Louisville-style duplicates: the whole record exported twice, only the serial OBJECTID differs.
    dups = _pick(rng, np.ones(n, dtype=bool), _n_defects(0.005, n))
    copies = df.iloc[dups].copy()
    copies["OBJECTID"] = _str(np.arange(n + 1, n + 1 + len(dups)))
    order = np.argsort(np.r_[np.arange(n), dups + 0.5], kind="stable")
    df = pd.concat([df, copies], ignore_index=True).iloc[order].reset_index(drop=True)
    ctx.plant("assaults_on_officers", "duplicate_row", len(dups))
    _write_csv(ctx, None, ctx.raw / "assaults" / "assaulted_officers.csv", df)
    ctx.wrote("assaults_on_officers", ctx.raw / "assaults" / "assaulted_officers.csv", len(df))


# --- stops: traffic and pedestrian files per year, with long tables of searches and results -------------

TRAFFIC_REASONS = (("Speeding", 0.40), ("Moving violation", 0.25), ("Equipment violation", 0.15),
                   ("Registration/license", 0.12), ("Investigative", 0.05), ("Other", 0.03))
PED_REASONS = (("Suspicious behavior", 0.35), ("Matches suspect description", 0.20), ("Observed offense", 0.25),
               ("Call for service", 0.15), ("Warrant", 0.05))
# Search rates and hit rates by race (White, Black, Hispanic, Asian, Native American, Pacific Islander,
# Other, Unknown). Black drivers are searched more often and found with contraband less often: a planted
# disparity that the report's outcome test should find.
SEARCH_TRAFFIC = np.array([0.030, 0.075, 0.055, 0.020, 0.040, 0.040, 0.035, 0.030])
SEARCH_PED = np.array([0.12, 0.20, 0.16, 0.08, 0.12, 0.12, 0.12, 0.12])
HIT_RATE = np.array([0.32, 0.19, 0.23, 0.28, 0.26, 0.26, 0.26, 0.26])
RACE_TRAFFIC = np.array([0.46, 0.30, 0.16, 0.045, 0.004, 0.003, 0.013, 0.015])
RACE_PED = np.array([0.30, 0.47, 0.17, 0.03, 0.004, 0.002, 0.01, 0.014])
RESULT_LABELS = np.array(["Arrest", "Citation", "Written Warning", "Verbal Warning", "No Action"], dtype=object)
CONTRABAND = (("Drugs", 0.55), ("Weapon", 0.20), ("Alcohol", 0.08), ("Stolen property", 0.07), ("Cash", 0.04), ("Other", 0.06))


@dataclass
class _StopsWriter:
    ctx: _Ctx
    rng: np.random.Generator
    started: set = field(default_factory=set)

    def write(self, path: Path, df: pd.DataFrame, dataset: str | None, **kw) -> None:
        append = path in self.started
        self.started.add(path)
        n = _write_csv(self.ctx, dataset, path, df, rng=self.rng, append=append, **kw)
        if dataset is None:
            self.ctx.files.setdefault("stops (related)", {})
            rel = path.relative_to(self.ctx.raw).as_posix()
            self.ctx.files["stops (related)"][rel] = self.ctx.files["stops (related)"].get(rel, 0) + n


def _stops(ctx: _Ctx, stops_rows: int | None) -> None:
    rng, cal = ctx.rng("stops"), ctx.cal
    week = _norm((0.95, 1.0, 1.0, 1.02, 1.08, 1.0, 0.9)) * 7
    lam = 15000 * ctx.scale / 365.2425 * cal.season(0.08) * np.exp(-0.02 * cal.t) * week[cal.weekday]
    counts = rng.poisson(lam) if stops_rows is None else rng.multinomial(int(stops_rows), lam / lam.sum())
    writer = _StopsWriter(ctx, rng)
    folder = ctx.raw / "stops"
    header_year = cal.years[min(1, len(cal.years) - 1)]
    first_chunk = True
    for year in cal.years:
        days = np.flatnonzero(cal.year == year)
        year_total = int(counts[days].sum())
        in_window = len(days) / 365.2425
        link_target = 0.45 * 12000 * ctx.scale * in_window
        link_p = min(1.0, link_target / max(1.0, 0.8 * 0.42 * year_total))
        serial = {"T": 0, "P": 0}
        chunk_of_day = np.cumsum(counts[days]) // STOPS_CHUNK
        for chunk in np.unique(chunk_of_day):
            chunk_days = days[chunk_of_day == chunk]
            day = np.repeat(chunk_days, counts[chunk_days])
            if not len(day):
                continue
            _stops_chunk(
                ctx, rng, writer, folder, year, day, serial, link_p,
                header=(year == header_year and serial["P"] == 0), first=first_chunk,
            )
            first_chunk = False


def _stops_chunk(ctx, rng, writer, folder, year, day, serial, link_p, *, header: bool, first: bool) -> None:
    cal, off = ctx.cal, ctx.officers
    n = len(day)
    ped = rng.random(n) < 0.2
    sod = np.where(ped, _times_of_day(rng, n, HOURS_PED), _times_of_day(rng, n, HOURS_TRAFFIC))
    secs = _skip_dst_gap(cal, cal.epoch[day] * 86400 + sod)
    order = np.argsort(secs, kind="stable")
    secs, ped, day = secs[order], ped[order], day[order]
    sod_min = (secs % 86400) / 60
    daylight = (sod_min >= cal.sunrise[day]) & (sod_min <= cal.sunset[day])
    district = rng.choice(6, n, p=DISTRICT_WEIGHTS)
    lat, lon = _locations(rng, district, missing_rate=0.01)

    probs = np.where(ped[:, None], RACE_PED, RACE_TRAFFIC)
    # Veil of darkness: Black drivers make up a larger share of daylight stops than of stops after dark.
    probs[:, 1] *= np.where(~ped & daylight, 1.15, 1.0)
    race = _row_choice(rng, probs)
    # Raw race code plus a separate ethnicity code; Hispanic people are recorded with race W, O, B or U.
    race_code = RACE_LETTER[race].copy()
    hisp = race == 2
    race_code[hisp] = _choice(rng, ["W", "O", "B", "U"], int(hisp.sum()), [0.55, 0.25, 0.05, 0.15])
    ethnicity = np.where(hisp, "H", np.where(rng.random(n) < 0.03, "U", "N")).astype(object)
    ethnicity[race == 7] = "U"
    sex = np.where(
        ped, _choice(rng, ["M", "F", "U"], n, [0.80, 0.19, 0.01]), _choice(rng, ["M", "F", "U"], n, [0.63, 0.36, 0.01])
    ).astype(object)
    age = np.where(ped, 13 + rng.gamma(2.0, 9.0, n), 16 + rng.gamma(2.5, 9.0, n))
    age = np.clip(age, 13, 95).astype(int)
    age_missing = rng.random(n) < 0.01

    frisk_p = np.where(ped, 0.22 * np.array([0.8, 1.3, 1.15, 0.8, 1, 1, 1, 1])[race], 0.015 * np.where(race == 1, 1.6, 1.0))
    frisk = rng.random(n) < frisk_p
    search_p = np.where(ped, SEARCH_PED[race], SEARCH_TRAFFIC[race]) + 0.35 * frisk
    searched = rng.random(n) < search_p
    hit = searched & (rng.random(n) < HIT_RATE[race] * np.where(ped, 0.9, 1.0))

    u = rng.random(n)
    p_arrest = 0.012 + 0.42 * hit + 0.04 * (searched & ~hit) + 0.03 * ped
    p_cite = np.where(ped, 0.10, 0.44 * np.exp(-0.03 * cal.t[day]))
    p_warn = np.where(ped, 0.28, 0.36)
    outcome = np.where(u < p_arrest, 0, np.where(u < p_arrest + p_cite, 1, np.where(u < p_arrest + p_cite + p_warn, 2, 4)))
    outcome[(outcome == 2) & (rng.random(n) < 0.4)] = 3  # verbal rather than written warnings

    # Ids, in time order, separately for traffic ("TS") and pedestrian ("PS") stops.
    yy = f"{year % 100:02d}"
    stop_id = np.empty(n, dtype=object)
    for kind, mask in (("T", ~ped), ("P", ped)):
        k = int(mask.sum())
        stop_id[mask] = _zfill(f"{kind}S{yy}-", np.arange(serial[kind] + 1, serial[kind] + k + 1), 7)
        serial[kind] += k
    officer = off.draw(rng, n)
    when = _format(secs, "%Y-%m-%d", "%H:%M:%S")
    age_cell = pd.array(np.where(age_missing, 0, age), dtype="Int64")
    age_cell[age_missing] = pd.NA
    reason = np.where(
        ped,
        _choice(rng, [r for r, _ in PED_REASONS], n, [p for _, p in PED_REASONS]),
        _choice(rng, [r for r, _ in TRAFFIC_REASONS], n, [p for _, p in TRAFFIC_REASONS]),
    ).astype(object)

    # Planted: race codes the agency's code table does not have, on traffic stops.
    free = np.ones(n, dtype=bool)
    free[ped] = False
    bad = _pick(rng, free, _n_defects(0.001, n) if first else int(rng.binomial(n, 0.001)))
    race_code = race_code.copy()
    race_code[bad] = "X"
    ctx.plant("stops", "unknown_race_code", len(bad))

    common = {
        "STOP_NUM": stop_id,
        "STOP_DATETIME": when,
        "PATROL_DISTRICT": np.asarray(DISTRICT_CODES, object)[district],
    }
    t = ~ped
    traffic = pd.DataFrame(
        {
            **{k: v[t] for k, v in common.items()},
            "REASON_FOR_STOP": reason[t],
            "DRIVER_RACE": race_code[t],
            "DRIVER_ETHNICITY": ethnicity[t],
            "DRIVER_SEX": sex[t],
            "DRIVER_AGE": age_cell[t],
            "FRISK": _yes_no(frisk[t]),
            "OFFICER_BADGE": off.badge[officer[t]],
            "LATITUDE": lat[t],
            "LONGITUDE": lon[t],
        }
    )
    pedestrian = pd.DataFrame(
        {
            **{k: v[ped] for k, v in common.items()},
            "STOP_REASON": reason[ped],
            "SUBJ_RACE": race_code[ped],
            "SUBJ_ETHNICITY": ethnicity[ped],
            "SUBJ_SEX": sex[ped],
            "SUBJ_AGE": age_cell[ped],
            "FRISKED": _yes_no(frisk[ped]),
            "OFFICER_BADGE": off.badge[officer[ped]],
            "LATITUDE": lat[ped],
            "LONGITUDE": lon[ped],
        }
    )
    avoid = np.zeros(len(traffic), dtype=bool)
    avoid[np.isin(traffic["DRIVER_RACE"].to_numpy(), ["X"])] = True
    nt = len(traffic)
    writer.write(
        folder / f"traffic_stops_{year}.csv", traffic, "stops",
        duplicates=_n_defects(0.001, nt) if first else int(rng.binomial(nt, 0.001)),
        blanks=_n_defects(0.0005, nt) if first else int(rng.binomial(nt, 0.0005)), avoid=avoid,
    )
    writer.write(folder / f"pedestrian_stops_{year}.csv", pedestrian, "stops", headers=1 if header else 0)

    # Searches: one row per thing searched (1-3 per searched stop).
    s_idx = np.flatnonzero(searched)
    k = 1 + (rng.random(len(s_idx)) > 0.55) + (rng.random(len(s_idx)) > 0.90)
    r_stop = np.repeat(s_idx, k)
    r_seq = _seq_in_group(r_stop)
    r_ped = ped[r_stop]
    first_row = r_seq == 1
    found = np.where(first_row, hit[r_stop], hit[r_stop] & (rng.random(len(r_stop)) < 0.3))
    search_of = np.where(
        r_ped,
        np.where(first_row, "Person", "Property"),
        np.asarray(["Driver", "Vehicle", "Passenger"], object)[np.minimum(r_seq - 1, 2)],
    ).astype(object)
    basis = np.where(
        frisk[r_stop] & first_row, "Terry Frisk",
        _choice(rng, ["Consent", "Probable Cause", "Incident to Arrest", "Inventory", "Plain View"], len(r_stop),
                [0.35, 0.30, 0.20, 0.10, 0.05]),
    ).astype(object)
    contraband = np.where(found, _choice(rng, [c for c, _ in CONTRABAND], len(r_stop), [p for _, p in CONTRABAND]), "")
    searches = pd.DataFrame(
        {
            "STOP_NUM": stop_id[r_stop],
            "SEARCH_SEQ": _str(r_seq),
            "SEARCH_OF": search_of,
            "SEARCH_BASIS": basis,
            "CONTRABAND_FOUND_IND": _yes_no(found),
            "CONTRABAND_TYPE": contraband.astype(object),
        }
    )
    if first:
        # Planted: search rows whose stop is not in the stop files (the stop record was deleted).
        ghosts = pd.DataFrame(
            {"STOP_NUM": [f"TS{yy}-9{i:06d}" for i in range(2)], "SEARCH_SEQ": ["1", "1"],
             "SEARCH_OF": ["Vehicle", "Driver"], "SEARCH_BASIS": ["Consent", "Probable Cause"],
             "CONTRABAND_FOUND_IND": ["N", "Y"], "CONTRABAND_TYPE": ["", "Drugs"]}
        )
        searches = pd.concat([searches, ghosts], ignore_index=True)
        ctx.plant("stops", "orphan_related_row", len(ghosts))
    writer.write(folder / f"stop_searches_{year}.csv", searches, None)

    # Results: one row per result of the stop; an arrest often comes with a citation too.
    extra_cite = ((outcome == 0) & (rng.random(n) < 0.35)) | ((outcome == 1) & (rng.random(n) < 0.15))
    extra_warn = (outcome == 1) & (rng.random(n) < 0.10)
    res_stop = np.r_[np.arange(n), np.flatnonzero(extra_cite), np.flatnonzero(extra_warn)]
    res_code = np.r_[outcome, np.ones(int(extra_cite.sum()), int), np.full(int(extra_warn.sum()), 2)]
    order = np.argsort(res_stop, kind="stable")
    res_stop, res_code = res_stop[order], res_code[order]
    results = pd.DataFrame(
        {
            "STOP_NUM": stop_id[res_stop],
            "RESULT_SEQ": _str(_seq_in_group(res_stop)),
            "RESULT": _vary_case(rng, RESULT_LABELS[res_code], 0.03),
        }
    )
    writer.write(folder / f"stop_results_{year}.csv", results, None)

    # Keep some citation stops for the citations file (same person, time and place).
    cited = np.flatnonzero(~ped & ((outcome == 1) | extra_cite) & (rng.random(n) < link_p))
    if len(cited):
        ctx.linked_stops.append(
            {
                "stop_id": stop_id[cited], "secs": secs[cited], "race": race[cited], "sex": sex[cited],
                "age": np.where(age_missing[cited], -1, age[cited]), "district": district[cited],
                "officer": officer[cited], "reason": reason[cited],
            }
        )


# --- citations: one file per year; a band instead of an age; 12-hour times ------------------------------

VIOLATIONS = {
    # stop reason -> [(code, description, type, weight)]
    "Speeding": [("RMC 9-12-010", "SPEEDING 11-20 MPH OVER LIMIT", "MOVING", 0.7),
                 ("RMC 9-12-020", "SPEEDING 21+ MPH OVER LIMIT", "MOVING", 0.2),
                 ("RMC 9-12-030", "SPEEDING IN SCHOOL ZONE", "MOVING", 0.1)],
    "Moving violation": [("RMC 9-16-010", "DISREGARD STOP SIGN", "MOVING", 0.3),
                         ("RMC 9-16-020", "DISREGARD TRAFFIC SIGNAL", "MOVING", 0.3),
                         ("RMC 9-16-050", "IMPROPER LANE USAGE", "MOVING", 0.2),
                         ("RMC 9-16-070", "FAILURE TO YIELD", "MOVING", 0.1),
                         ("RMC 9-76-110", "USE OF HANDHELD PHONE WHILE DRIVING", "MOVING", 0.1)],
    "Equipment violation": [("RMC 9-40-010", "HEADLIGHT/TAILLIGHT OUT", "EQUIPMENT", 0.6),
                            ("RMC 9-40-030", "WINDOW TINT", "EQUIPMENT", 0.2),
                            ("RMC 9-40-050", "NO FRONT PLATE", "EQUIPMENT", 0.2)],
    "Registration/license": [("RMC 9-64-010", "EXPIRED REGISTRATION", "NON-MOVING", 0.5),
                             ("RMC 9-64-020", "NO VALID DRIVER LICENSE", "NON-MOVING", 0.25),
                             ("RMC 9-64-030", "NO PROOF OF INSURANCE", "NON-MOVING", 0.25)],
    "Investigative": [("RMC 9-64-030", "NO PROOF OF INSURANCE", "NON-MOVING", 0.5),
                      ("RMC 9-76-010", "SEATBELT NOT WORN", "NON-MOVING", 0.5)],
    "Other": [("RMC 9-76-010", "SEATBELT NOT WORN", "NON-MOVING", 0.6),
              ("RMC 9-76-110", "USE OF HANDHELD PHONE WHILE DRIVING", "MOVING", 0.4)],
}
CITATION_RACE = {  # canonical race index -> [(agency word, weight)]
    0: [("WHITE", 1.0)], 1: [("BLACK", 1.0)],
    2: [("WHITE HISPANIC", 0.7), ("BLACK HISPANIC", 0.1), ("HISPANIC", 0.2)],
    3: [("ASIAN/PAC.ISL", 1.0)], 4: [("AMER IND", 1.0)], 5: [("ASIAN/PAC.ISL", 1.0)],
    6: [("OTHER", 1.0)], 7: [("UNKNOWN", 0.6), ("", 0.4)],
}


def _age_band(age: np.ndarray) -> np.ndarray:
    bands = np.array(["<18", "18-24", "25-44", "45-64", "65+"], dtype=object)
    out = bands[np.searchsorted([18, 25, 45, 65], age, side="right")]
    out[age < 0] = "UNKNOWN"
    return out


def _citations(ctx: _Ctx) -> None:
    rng, cal, off = ctx.rng("citations"), ctx.cal, ctx.officers
    linked = {k: np.concatenate([part[k] for part in ctx.linked_stops]) for k in (ctx.linked_stops[0] if ctx.linked_stops else {})}
    n_linked = len(linked.get("secs", []))
    counts = _daily_counts(rng, cal, 12000 * ctx.scale * 0.55, season=0.08, trend=-0.03,
                           weekday=(1.05, 1.1, 1.1, 1.1, 1.05, 0.85, 0.75), minimum=20)
    day = np.repeat(np.arange(cal.n), counts)
    n_free = len(day)
    free_secs = _event_secs(rng, cal, day, HOURS_TRAFFIC, seconds=False)
    free_reason = _choice(rng, list(VIOLATIONS), n_free, [0.35, 0.25, 0.12, 0.18, 0.03, 0.07])
    if n_linked:
        delay = rng.integers(6, 26, n_linked) * 60
        link_secs = _skip_dst_gap(cal, linked["secs"] + delay)
        link_secs -= link_secs % 60
    else:
        link_secs = np.empty(0, dtype=np.int64)
    secs = np.r_[link_secs, free_secs]
    end_secs = (cal.epoch[-1] + 1) * 86400
    keep = secs < end_secs  # a stop just before midnight on the last day would cite after the window
    n = len(secs)
    race = np.r_[linked.get("race", np.empty(0, int)),
                 rng.choice(8, n_free, p=_norm([0.47, 0.29, 0.16, 0.045, 0.004, 0.003, 0.013, 0.015]))]
    sex = np.r_[linked.get("sex", np.empty(0, object)), _choice(rng, ["M", "F", ""], n_free, [0.62, 0.36, 0.02])]
    sex = np.where(sex == "U", "", sex).astype(object)
    age = np.r_[linked.get("age", np.empty(0, int)), np.clip(16 + rng.gamma(2.5, 9.0, n_free), 16, 95).astype(int)]
    age[n_linked:][rng.random(n_free) < 0.03] = -1
    district = np.r_[linked.get("district", np.empty(0, int)), rng.choice(6, n_free, p=DISTRICT_WEIGHTS)]
    officer = np.r_[linked.get("officer", np.empty(0, int)), off.draw(rng, n_free)]
    reason = np.r_[linked.get("reason", np.empty(0, object)), free_reason]
    stop_ref = np.r_[linked.get("stop_id", np.empty(0, object)), np.full(n_free, "", dtype=object)]

    code = np.empty(n, dtype=object)
    desc = np.empty(n, dtype=object)
    vtype = np.empty(n, dtype=object)
    for r, options in VIOLATIONS.items():
        mask = reason == r
        pick = rng.choice(len(options), int(mask.sum()), p=_norm([o[3] for o in options]))
        code[mask] = np.asarray([o[0] for o in options], object)[pick]
        desc[mask] = np.asarray([o[1] for o in options], object)[pick]
        vtype[mask] = np.asarray([o[2] for o in options], object)[pick]
    race_word = np.empty(n, dtype=object)
    for r, options in CITATION_RACE.items():
        mask = race == r
        race_word[mask] = _choice(rng, [o[0] for o in options], int(mask.sum()), [o[1] for o in options])

    order = np.flatnonzero(keep)[np.argsort(secs[keep], kind="stable")]
    secs = secs[order]
    year = cal.year[secs // 86400 - cal.epoch[0]]
    df = pd.DataFrame(
        {
            "CITATION_NUMBER": _zfill("RV", 40_000_000 + np.arange(len(order)), 8),
            "ISSUE_DATE": _format(secs, "%m/%d/%Y"),
            "ISSUE_TIME": _format_seconds(secs % 86400, "%I:%M %p"),
            "VIOLATION_CODE": code[order],
            "VIOLATION_DESCRIPTION": desc[order],
            "VIOLATION_TYPE": vtype[order],
            "DEFENDANT_RACE": race_word[order],
            "DEFENDANT_SEX": sex[order],
            "AGE_GROUP": _age_band(age[order]),
            "PRECINCT": np.asarray(DISTRICT_CODES, object)[district[order]],
            "STOP_NUMBER": stop_ref[order],
            "ISSUING_BADGE": off.badge[officer[order]],
        }
    )
    folder = ctx.raw / "citations"
    paths = {y: (folder / f"citations_{y}.csv", None) for y in cal.years}
    _write_by_file(ctx, "citations", rng, df, year, paths, duplicates=_n_defects(0.001, len(df)),
                   header_in=cal.years[-1])


# --- pursuits: the date spread over YEAR / MO / DAY columns ----------------------------------------------


def _pursuits(ctx: _Ctx) -> None:
    rng, cal, off = ctx.rng("pursuits"), ctx.cal, ctx.officers
    counts = _daily_counts(rng, cal, 60 * ctx.scale, season=0.1, trend=-0.08, weekday=WEEK_NIGHTLIFE, minimum=6)
    secs = np.sort(_event_secs(rng, cal, np.repeat(np.arange(cal.n), counts), HOURS_NIGHT, seconds=False))
    day = secs // 86400 - cal.epoch[0]
    n = len(secs)
    year = cal.year[day]
    ended = _choice(
        rng, ["Suspect stopped", "Terminated by supervisor", "Terminated by officer", "Suspect crashed",
              "Tire deflation device", "PIT maneuver", "Lost sight of vehicle"], n,
        [0.22, 0.25, 0.12, 0.18, 0.06, 0.04, 0.13],
    )
    crash = (ended == "Suspect crashed") | (rng.random(n) < 0.12)
    injuries = np.where(crash, rng.poisson(0.8, n), 0)
    fatalities = np.where(crash & (rng.random(n) < 0.03), 1, 0)
    recent = (cal.epoch[-1] - (secs // 86400)) < 60
    review = np.where(
        recent & (rng.random(n) < 0.7), "Under Review",
        _choice(rng, ["Within Policy", "Not Within Policy"], n, [0.82, 0.18]),
    ).astype(object)
    df = pd.DataFrame(
        {
            "PURSUIT_NO": "VP" + _zfill(_yy(year) + "-", _seq_in_group(year), 3),
            "YEAR": _str(year),
            "MO": _str(cal.month[day]),
            "DAY": _str(cal.dom[day]),
            "START_TIME": _format_seconds(secs % 86400, "%H:%M"),
            "DIST_CODE": np.asarray(DISTRICT_CODES, object)[rng.choice(6, n, p=DISTRICT_WEIGHTS)],
            "INITIATING_OFFENSE": _choice(
                rng, ["Traffic violation", "Stolen vehicle", "Felony - violent", "Felony - property", "DUI",
                      "Reckless driving", "Warrant"], n, [0.35, 0.22, 0.12, 0.08, 0.10, 0.08, 0.05]),
            "TERMINATION_REASON": ended,
            "CRASH_YN": _yes_no(crash, "Yes", "No"),
            "NUM_INJURED": _str(injuries),
            "NUM_KILLED": _str(fatalities),
            "REVIEW_FINDING": _vary_case(rng, review, 0.05),
            "PRIMARY_OFFICER": off.badge[off.draw(rng, n)],
            "DURATION_MIN": _str(np.round(rng.lognormal(np.log(3.5), 0.6, n), 1)),
            "MAX_SPEED_MPH": _str((np.clip(rng.normal(72, 15, n), 30, 125) // 5 * 5).astype(int)),
        }
    )
    _write_csv(ctx, "pursuits", ctx.raw / "pursuits" / "pursuits.csv", df)


# --- calls_for_service: one CAD file per year, four timestamps, priorities 1-4 ---------------------------

CALL_TYPES = (
    # nature, weight, P(priority 1..4), P(officer-initiated)
    ("DISTURBANCE", 0.12, (0.15, 0.45, 0.35, 0.05), 0.03),
    ("DOMESTIC DISTURBANCE", 0.06, (0.55, 0.40, 0.05, 0.0), 0.0),
    ("SUSPICIOUS PERSON", 0.08, (0.05, 0.35, 0.50, 0.10), 0.15),
    ("SUSPICIOUS VEHICLE", 0.05, (0.0, 0.20, 0.60, 0.20), 0.25),
    ("THEFT REPORT", 0.08, (0.0, 0.05, 0.55, 0.40), 0.0),
    ("BURGLARY", 0.04, (0.25, 0.45, 0.25, 0.05), 0.0),
    ("ALARM - BURGLAR", 0.07, (0.0, 0.30, 0.60, 0.10), 0.0),
    ("TRAFFIC ACCIDENT", 0.07, (0.10, 0.55, 0.30, 0.05), 0.05),
    ("TRAFFIC STOP", 0.10, (0.0, 0.0, 0.30, 0.70), 0.97),
    ("WELFARE CHECK", 0.07, (0.05, 0.40, 0.45, 0.10), 0.02),
    ("NOISE COMPLAINT", 0.05, (0.0, 0.0, 0.30, 0.70), 0.0),
    ("ASSAULT", 0.03, (0.70, 0.25, 0.05, 0.0), 0.02),
    ("SHOTS FIRED", 0.02, (0.95, 0.05, 0.0, 0.0), 0.10),
    ("MENTAL HEALTH CRISIS", 0.03, (0.45, 0.45, 0.10, 0.0), 0.0),
    ("PARKING COMPLAINT", 0.04, (0.0, 0.0, 0.20, 0.80), 0.10),
    ("FOLLOW UP", 0.05, (0.0, 0.0, 0.30, 0.70), 0.90),
    ("ROBBERY", 0.01, (0.85, 0.15, 0.0, 0.0), 0.0),
    ("911 HANG UP", 0.03, (0.10, 0.60, 0.30, 0.0), 0.0),
)
QUEUE_MEDIAN = np.array([1.2, 3.5, 9.0, 18.0])  # minutes from receipt to dispatch, by priority
TRAVEL_MEDIAN = np.array([5.3, 7.5, 10.0, 12.0])  # minutes from dispatch to arrival
CALL_DISPOSITIONS = (("REPORT TAKEN", 0.25), ("ADVISED", 0.25), ("GONE ON ARRIVAL", 0.10), ("ARREST", 0.05),
                     ("CITATION ISSUED", 0.05), ("UNFOUNDED", 0.10), ("NO REPORT", 0.20))


def _calls(ctx: _Ctx) -> None:
    rng, cal = ctx.rng("calls_for_service"), ctx.cal
    counts = _daily_counts(rng, cal, 60000 * ctx.scale, season=0.12, trend=0.02,
                           weekday=(0.97, 0.95, 0.96, 0.98, 1.06, 1.1, 0.98), minimum=200)
    secs = np.sort(_event_secs(rng, cal, np.repeat(np.arange(cal.n), counts), HOURS_CALLS))
    day = secs // 86400 - cal.epoch[0]
    n = len(secs)
    year = cal.year[day]
    ctype = rng.choice(len(CALL_TYPES), n, p=_norm([c[1] for c in CALL_TYPES]))
    priority = _row_choice(rng, np.array([c[2] for c in CALL_TYPES])[ctype] + 1e-12)
    officer_init = rng.random(n) < np.array([c[3] for c in CALL_TYPES])[ctype]
    source = _choice(rng, ["E911", "ADMIN", "TEXT-911", "WALK-IN"], n, [0.70, 0.25, 0.02, 0.03])
    source[(ctype == 6) & (rng.random(n) < 0.6)] = "ALARM CO"
    source[officer_init] = "SELF-INIT"
    source = _vary_case(rng, source, 0.01)
    hour = (secs % 86400) // 3600
    busy = np.where((hour >= 16) & (hour <= 23), 1.3, 1.0) * cal.season(0.08)[day]
    queue = rng.lognormal(np.log(QUEUE_MEDIAN[priority]), 0.8) * busy
    travel = rng.lognormal(np.log(TRAVEL_MEDIAN[priority]), 0.5)
    on_scene = rng.lognormal(np.log(25), 0.7, n)
    dispatched = secs + np.round(queue * 60).astype(np.int64)
    arrived = dispatched + np.round(travel * 60).astype(np.int64)
    cleared = arrived + np.round(on_scene * 60).astype(np.int64)
    cancelled = (~officer_init) & (rng.random(n) < 0.05)
    dispatched[officer_init] = secs[officer_init]
    cleared[officer_init] = secs[officer_init] + np.round(on_scene[officer_init] * 50).astype(np.int64)
    no_arrival = officer_init | cancelled
    cleared[cancelled] = dispatched[cancelled] + rng.integers(60, 900, int(cancelled.sum()))
    dispatched, arrived, cleared = (_skip_dst_gap(cal, x) for x in (dispatched, arrived, cleared))

    free = ~no_arrival
    bad = _pick(rng, free, _n_defects(0.0005, n))  # the unit's clock was wrong: arrival before receipt
    arrived[bad] = secs[bad] - rng.integers(60, 50 * 60, len(bad))
    ctx.plant("calls_for_service", "negative_response_time", len(bad))

    fmt = ("%m/%d/%Y", "%H:%M:%S")
    disposition = _choice(rng, [d for d, _ in CALL_DISPOSITIONS], n, [p for _, p in CALL_DISPOSITIONS])
    disposition[cancelled] = "CANCELLED"
    district = np.asarray(DISTRICT_CODES, object)[rng.choice(6, n, p=DISTRICT_WEIGHTS)]
    df = pd.DataFrame(
        {
            "INCIDENT_NO": _zfill(_str(year).astype(object) + "-", _seq_in_group(year), 7),
            "CALL_RECEIVED": _format(secs, *fmt),
            "CALL_DISPATCHED": _format(dispatched, *fmt),
            "FIRST_ON_SCENE": np.where(no_arrival, "", _format(arrived, *fmt)).astype(object),
            "CALL_CLEARED": _format(cleared, *fmt),
            "PRIORITY_CODE": _str(priority + 1),
            "NATURE": np.array([c[0] for c in CALL_TYPES], dtype=object)[ctype],
            "CALL_SOURCE": source,
            "DISTRICT_CODE": _vary_case(rng, district, 0.01),
            "CALL_DISPOSITION": disposition,
        }
    )
    df.loc[cancelled & (rng.random(n) < 0.5), "CALL_DISPATCHED"] = ""
    folder = ctx.raw / "cad"
    paths = {y: (folder / f"CFS_{y}.csv", None) for y in cal.years}
    sizes = [int((year == y).sum()) for y in cal.years]
    blanks = _spread(rng, _n_defects(0.0001, n), sizes)
    dup_total = _n_defects(0.001, n)
    dup_counts = _spread(rng, dup_total, sizes)
    header_year = cal.years[len(cal.years) // 2]
    for y, dups, blank in zip(cal.years, dup_counts, blanks):
        rows = year == y
        _write_csv(
            ctx, "calls_for_service", paths[y][0], df.loc[rows].reset_index(drop=True), rng=rng,
            duplicates=int(dups), blanks=int(blank), headers=1 if y == header_year else 0, avoid=~free[rows],
        )


# --- arrests: one file; age only as a year of birth; people arrested more than once -------------------

CHARGES = (
    ("RETAIL THEFT", "M", 0.10), ("DOMESTIC BATTERY", "M", 0.10), ("BATTERY", "M", 0.06),
    ("DRIVING UNDER THE INFLUENCE", "M", 0.07), ("DRIVING ON SUSPENDED LICENSE", "M", 0.08),
    ("POSSESSION OF CONTROLLED SUBSTANCE", "F", 0.07), ("BURGLARY", "F", 0.04),
    ("AGGRAVATED BATTERY", "F", 0.04), ("UNLAWFUL USE OF WEAPON", "F", 0.05), ("ROBBERY", "F", 0.03),
    ("MOTOR VEHICLE THEFT", "F", 0.03), ("CRIMINAL DAMAGE TO PROPERTY", "M", 0.05),
    ("CRIMINAL TRESPASS", "M", 0.05), ("DISORDERLY CONDUCT", "O", 0.04), ("RESISTING/OBSTRUCTING", "M", 0.03),
    ("WARRANT - FAILURE TO APPEAR", "W", 0.10), ("WARRANT - FELONY", "W", 0.02),
)


def _arrests(ctx: _Ctx) -> None:
    rng, cal, off = ctx.rng("arrests"), ctx.cal, ctx.officers
    counts = _daily_counts(rng, cal, 6000 * ctx.scale, season=0.1, trend=-0.02, weekday=WEEK_NIGHTLIFE, minimum=20)
    secs = np.sort(_event_secs(rng, cal, np.repeat(np.arange(cal.n), counts), HOURS_ARRESTS, seconds=False))
    day = secs // 86400 - cal.epoch[0]
    n = len(secs)
    year = cal.year[day]
    # A pool of people, some arrested many times; race, sex and year of birth stay with the person.
    n_people = max(50, int(14000 * ctx.scale))
    p_race = rng.choice(8, n_people, p=_norm([0.30, 0.52, 0.13, 0.02, 0.005, 0.002, 0.01, 0.013]))
    p_sex = _choice(rng, ["MALE", "FEMALE", "UNKNOWN"], n_people, [0.77, 0.225, 0.005])
    p_born = cal.start.year - np.minimum(14 + rng.gamma(2.0, 9.0, n_people), 85).astype(int)
    p_weight = rng.lognormal(0, 1.1, n_people)
    p_id = rng.choice(np.arange(1_000_000, 9_999_999), n_people, replace=False)
    person = rng.choice(n_people, n, p=p_weight / p_weight.sum())
    born = p_born[person]
    too_young = (year - born) < 12
    born[too_young] = year[too_young] - 12 - rng.integers(0, 10, int(too_young.sum()))
    charge = rng.choice(len(CHARGES), n, p=_norm([c[2] for c in CHARGES]))
    race_word = RACE_UPPER[p_race[person]].copy()
    race_word = _vary_case(rng, race_word, 0.02)
    df = pd.DataFrame(
        {
            "ARREST_NUMBER": "AR" + _zfill(_yy(year) + "-", _seq_in_group(year), 6),
            "ARREST_DATE": _format(secs, "%Y-%m-%d", "%H:%M"),
            "ARRESTEE_ID": _str(p_id[person]),
            "CHARGE_DESCRIPTION": np.array([c[0] for c in CHARGES], dtype=object)[charge],
            "CHARGE_CLASS": np.array([c[1] for c in CHARGES], dtype=object)[charge],
            "ARRESTEE_RACE": race_word,
            "ARRESTEE_SEX": p_sex[person],
            "DOB_YEAR": _str(born),
            "ARREST_DISTRICT": np.asarray(DISTRICT_CODES, object)[rng.choice(6, n, p=DISTRICT_WEIGHTS)],
            "ARRESTING_OFFICER": ctx.officers.badge[off.draw(rng, n)],
        }
    )
    free = np.ones(n, dtype=bool)
    bad = _pick(rng, free, _n_defects(0.0003, n))
    df.loc[bad, "ARREST_DATE"] = "TBD"
    ctx.plant("arrests", "unparseable_date", len(bad))
    bad = _pick(rng, free, _n_defects(0.0002, n))  # a typo in the year: 1921 for 2021
    df.loc[bad, "ARREST_DATE"] = ["19" + d[2:] for d in df.loc[bad, "ARREST_DATE"]]
    ctx.plant("arrests", "out_of_range_date", len(bad))
    bad = _pick(rng, free, _n_defects(0.0004, n))
    df.loc[bad, "DOB_YEAR"] = np.where(np.arange(len(bad)) % 2 == 0, "1899", str(cal.end.year + 5))
    ctx.plant("arrests", "impossible_age", len(bad))
    _write_csv(ctx, "arrests", ctx.raw / "arrests" / "arrests.csv", df, rng=rng,
               duplicates=_n_defects(0.002, n), avoid=~free)


# --- community_meetings: a hand-kept spreadsheet saved as Windows-1252 CSV, no meeting id ---------------

MEETING_TYPES = (
    ("Beat meeting", 0.33, 22), ("Coffee with a Cop", 0.15, 18), ("Café con la Policía", 0.06, 15),
    ("Neighborhood watch", 0.12, 14), ("School visit", 0.12, 60), ("Faith leaders forum", 0.05, 20),
    ("Police Athletic League", 0.08, 35), ("Senior center visit", 0.09, 25),
)
LOCATIONS = (
    ("Northside Public Library", "St. Anne's Parish Hall"),
    ("Eastgate Senior Center", "Lakeshore Baptist Church"),
    ("Riverton Community Center", "District 3 Station Community Room"),
    ("Café Rivière", "Pullman Park Fieldhouse"),
    ("Southside YMCA", "Lincoln Elementary School"),
    ("Westfield Park Fieldhouse", "Westfield Library Branch"),
)


def _meetings(ctx: _Ctx) -> None:
    rng, cal, off = ctx.rng("community_meetings"), ctx.cal, ctx.officers
    counts = _daily_counts(rng, cal, 214 * ctx.scale, season=0.2, weekday=(1.3, 1.4, 1.4, 1.3, 0.9, 0.5, 0.2), minimum=12)
    day = np.repeat(np.arange(cal.n), counts)
    n = len(day)
    weights = np.array([m[1] for m in MEETING_TYPES])
    probs = np.tile(weights, (n, 1))
    probs[np.isin(cal.month[day], [6, 7, 8]), 4] = 0.0  # no school visits in summer
    mtype = _row_choice(rng, probs)
    district = rng.choice(6, n, p=DISTRICT_WEIGHTS)
    citywide = rng.random(n) < 0.05
    attendance = rng.negative_binomial(3, 3 / (3 + np.array([m[2] for m in MEETING_TYPES])[mtype]))
    # National Night Out: the first Tuesday of August, one event per district.
    nno_days = [i for i in range(cal.n) if cal.month[i] == 8 and cal.weekday[i] == 1 and cal.dom[i] <= 7]
    nno_day = np.repeat(np.array(nno_days, dtype=int), 6)
    nno_district = np.tile(np.arange(6), len(nno_days))
    day = np.r_[day, nno_day]
    type_name = np.r_[np.array([m[0] for m in MEETING_TYPES], dtype=object)[mtype],
                      np.full(len(nno_day), "National Night Out", dtype=object)]
    district = np.r_[district, nno_district]
    citywide = np.r_[citywide, np.zeros(len(nno_day), dtype=bool)]
    attendance = np.r_[attendance, rng.integers(120, 400, len(nno_day))]
    m = len(day)
    order = np.argsort(day, kind="stable")
    day, type_name, district, citywide, attendance = (x[order] for x in (day, type_name, district, citywide, attendance))
    district_text = np.where(citywide, "Citywide", np.asarray(DISTRICTS, object)[district]).astype(object)
    district_text = _vary_case(rng, district_text, 0.05)
    location = np.asarray(LOCATIONS, dtype=object)[district, rng.integers(0, 2, m)]
    n_officers = 1 + np.minimum(rng.poisson(1.2, m), 5)
    group = np.repeat(np.arange(m), n_officers)
    picks = off.distinct_per_group(rng, group, rng.choice(len(off), len(group)))
    starts = np.r_[0, np.cumsum(n_officers)[:-1]]
    seps = np.where(rng.random(m) < 0.1, "; ", ";")
    officers = [sep.join(off.badge[picks[s:s + k]]) for s, k, sep in zip(starts, n_officers, seps)]
    start_minutes = _choice(rng, [17 * 60 + 30, 18 * 60, 18 * 60 + 30, 19 * 60, 10 * 60], m, [0.15, 0.3, 0.3, 0.15, 0.1])
    start_time = _format_seconds(start_minutes.astype(np.int64) * 60, "%I:%M %p")
    attendance_text = _str(attendance, rng.random(m) < 0.03)
    df = pd.DataFrame(
        {
            "Date": _format(cal.epoch[day] * 86400, "%m/%d/%Y"),
            "Start Time": start_time,
            "Type of Event": type_name,
            "Police District": district_text,
            "Location": location,
            "Attendance": attendance_text,
            "Officers Attending": np.asarray(officers, dtype=object),
        }
    )
    _write_csv(ctx, "community_meetings", ctx.raw / "community" / "community_meetings.csv", df, rng=rng,
               duplicates=1, blanks_at_end=2, encoding="cp1252", newline="\r\n")


# --- community_surveys: respondent-level answers to four questions, with weights -------------------------

SURVEY_QUESTIONS = (
    ("Q1", "I have confidence in the police", 0.10),
    ("Q2", "I feel safe in my neighborhood", 0.30),
    ("Q3", "Police treat people with respect", 0.00),
    ("Q4", "Police listen to community concerns", -0.25),
)
ANSWERS = np.array(["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"], dtype=object)
SURVEY_RACES = ("White", "Black", "Hispanic", "Asian", "Other", "Refused")
SURVEY_SAMPLE_P = np.array([0.50, 0.25, 0.14, 0.05, 0.03, 0.03])
SURVEY_POP_P = np.array([0.448, 0.282, 0.19, 0.044, 0.036])
SURVEY_RACE_EFFECT = np.array([0.35, -0.45, -0.10, 0.20, 0.0, 0.0])
DISTRICT_SAFETY = np.array([0.2, 0.15, 0.0, -0.1, -0.35, 0.05])


def _surveys(ctx: _Ctx) -> None:
    rng, cal = ctx.rng("community_surveys"), ctx.cal
    waves = []
    for i in range(cal.n):
        if cal.month[i] % 3 == 2 and cal.dom[i] == 10:  # fielded from the 10th of each quarter's middle month
            waves.append(i)
    per_wave = max(40, int(round(400 * ctx.scale)))
    frames = []
    for first_day in waves:
        y, q = int(cal.year[first_day]), (int(cal.month[first_day]) - 1) // 3 + 1
        n = int(rng.poisson(per_wave))
        day = first_day + rng.integers(0, 21, n)
        secs = np.sort(_event_secs(rng, cal, day, HOURS_OFFICE))
        race = rng.choice(6, n, p=SURVEY_SAMPLE_P)
        district = rng.choice(6, n, p=DISTRICT_WEIGHTS)
        weight = np.ones(n)
        known = race < 5
        weight[known] = (SURVEY_POP_P / SURVEY_SAMPLE_P[:5])[race[known]] * rng.lognormal(0, 0.25, int(known.sum()))
        weight /= weight.mean()
        theta = SURVEY_RACE_EFFECT[race] + 0.05 * cal.t[first_day] + rng.normal(0, 0.9, n)
        rows = []
        for qid, text, offset in SURVEY_QUESTIONS:
            z = theta + offset + rng.normal(0, 0.6, n)
            if qid == "Q2":
                z = z + DISTRICT_SAFETY[district]
            level = np.searchsorted([-1.3, -0.5, 0.2, 1.0], z)
            dont_know = rng.random(n) < 0.03
            rows.append(
                pd.DataFrame(
                    {
                        "WAVE": f"{y}-Q{q}",
                        "RESP_ID": _zfill(f"R{y % 100:02d}{q}-", np.arange(1, n + 1), 4),
                        "INTERVIEW_DATE": _format(secs, "%m/%d/%Y"),
                        "RESP_DISTRICT": _str(district + 1),
                        "AGE_GROUP": _choice(rng, ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"], n,
                                             [0.08, 0.14, 0.16, 0.18, 0.20, 0.24]) if qid == "Q1" else None,
                        "GENDER": _choice(rng, ["Male", "Female", "Other", "Refused"], n, [0.45, 0.52, 0.01, 0.02])
                        if qid == "Q1" else None,
                        "RACE_ETHNICITY": np.asarray(SURVEY_RACES, object)[race],
                        "QUESTION_ID": qid,
                        "QUESTION_TEXT": text,
                        "RESPONSE": np.where(dont_know, "Don't know", ANSWERS[level]).astype(object),
                        "RESPONSE_CODE": _str(level + 1, dont_know),
                        "WT_FINAL": np.char.mod("%.4f", weight).astype(object),
                    }
                )
            )
        for part in rows[1:]:  # demographics belong to the respondent: the same on every answer
            part["AGE_GROUP"] = rows[0]["AGE_GROUP"].to_numpy()
            part["GENDER"] = rows[0]["GENDER"].to_numpy()
        wave = pd.concat(rows, ignore_index=True)
        wave = wave.sort_values(["RESP_ID", "QUESTION_ID"], kind="stable")
        frames.append(wave)
    df = pd.concat(frames, ignore_index=True)
    _write_csv(ctx, "community_surveys", ctx.raw / "community" / "resident_survey_responses.csv", df)


# --- training: an Excel workbook exported from the learning-management system -----------------------------

COURSES = (
    # code, title, category code, hours, share of officers per year, months offered, sessions per year
    ("FQ-HG", "Firearms Qualification - Handgun", "FIREARMS", 4.0, 0.98, (3, 4, 5, 9, 10, 11), 2),
    ("FQ-RF", "Patrol Rifle Qualification", "FIREARMS", 4.0, 0.35, (4, 5, 6, 7, 8, 9, 10), 1),
    ("UOF-ANN", "Annual Use of Force Policy Review", "UOF", 2.0, 0.97, (1, 2, 3), 1),
    ("ICAT", "ICAT: Integrating Communications, Assessment and Tactics", "DEESC", 8.0, 0.80, tuple(range(1, 13)), 1),
    ("DE-REF", "De-escalation Scenario Refresher", "DEESC", 4.0, 0.40, tuple(range(1, 13)), 1),
    ("CIT-40", "Crisis Intervention Team (40-hour)", "CIT", 40.0, 0.08, (2, 4, 6, 9, 11), 1),
    ("CIT-REF", "CIT Refresher", "CIT", 4.0, 0.35, tuple(range(1, 13)), 1),
    ("FIP", "Fair and Impartial Policing", "BIAS", 4.0, 0.88, tuple(range(1, 13)), 1),
    ("PJ", "Procedural Justice and Community Trust", "BIAS", 4.0, 0.30, tuple(range(1, 13)), 1),
    ("CPR", "CPR/AED and First Aid", "MEDICAL", 4.0, 0.50, tuple(range(1, 13)), 1),
    ("TECC", "Tactical Emergency Casualty Care", "MEDICAL", 8.0, 0.15, (3, 6, 9, 12), 1),
)
TRAINING_COLUMNS = ("Badge #", "Course Code", "Course Title", "Course Category", "Completion Date", "Credit Hours", "Status")


def _training(ctx: _Ctx) -> None:
    rng, cal, off = ctx.rng("training"), ctx.cal, ctx.officers
    n_off = len(off)
    first, last = int(cal.epoch[0]), int(cal.epoch[-1])
    records = []
    for year in cal.years:
        # Whole calendar years, then kept to the window: a partial first or last year gets its share.
        year_days = pd.date_range(f"{year}-01-01", f"{year}-12-31", freq="D")
        year_epoch = year_days.values.astype("datetime64[D]").astype(np.int64)
        workday = year_days.day_of_week.to_numpy() < 5
        for code, _title, _category, _hours, share, months, sessions in COURSES:
            if code == "ICAT":  # de-escalation training grows year on year
                share = min(0.97, share + 0.04 * (year - cal.years[0]))
            for session in range(sessions):
                session_months = months if sessions == 1 else months[session * len(months) // sessions:(session + 1) * len(months) // sessions]
                days = year_epoch[workday & np.isin(year_days.month.to_numpy(), session_months)]
                took = np.flatnonzero(rng.random(n_off) < share)
                # a course held on a few dates; each officer attends one of them
                dates = np.sort(rng.choice(days, max(1, len(days) // 6), replace=False))
                when = dates[rng.integers(0, len(dates), len(took))]
                inside = (when >= first) & (when <= last)
                records.append(pd.DataFrame({"officer": took[inside], "day": when[inside] - first, "course": code}))
    df = pd.concat(records, ignore_index=True).drop_duplicates(["officer", "day", "course"])
    df = df.sort_values(["day", "course", "officer"], kind="stable").reset_index(drop=True)
    course = {c[0]: c for c in COURSES}
    category = np.array([course[c][2] for c in df["course"]], dtype=object)
    category = _vary_case(rng, category, 0.02)
    rows = list(
        zip(
            off.badge[df["officer"].to_numpy()].astype(int).tolist(),
            df["course"].tolist(),
            [course[c][1] for c in df["course"]],
            category.tolist(),
            [dt.date(1970, 1, 1) + dt.timedelta(days=int(d)) for d in cal.epoch[df["day"].to_numpy()]],
            [course[c][3] for c in df["course"]],
            ["Completed"] * len(df),
        )
    )
    # Planted: a completion keyed in twice.
    dups = _pick(rng, np.ones(len(rows), dtype=bool), _n_defects(0.0002, len(rows)))
    for offset, src in enumerate(dups):
        rows.insert(int(src) + offset + 1, rows[int(src) + offset])
    ctx.plant("training", "duplicate_row", len(dups))
    path = ctx.raw / "training" / "training_records.xlsx"
    _write_xlsx(path, "Completions", TRAINING_COLUMNS, rows, cal.end, creator=ctx.agency)
    ctx.wrote("training", path, len(rows))


def _write_xlsx(path: Path, sheet: str, columns, rows, stamp: dt.date, creator: str = AGENCY_NAME) -> None:
    """An .xlsx whose bytes depend only on its content (fixed zip times and document dates)."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    worksheet.append(list(columns))
    count = 1
    for row in rows:
        worksheet.append(list(row))
        count += 1
    extent = f"A1:{get_column_letter(len(list(columns)))}{count}"
    fixed = dt.datetime(stamp.year, stamp.month, stamp.day, 12, 0, 0)
    workbook.properties.creator = creator
    workbook.properties.created = fixed
    buffer = io.BytesIO()
    workbook.save(buffer)
    iso = fixed.strftime("%Y-%m-%dT%H:%M:%SZ")
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)", rb"\g<1>" + iso.encode() + rb"\2", data)
            elif info.filename.startswith("xl/worksheets/sheet"):
                # The sheet's size, as Excel writes it (openpyxl's write-only mode leaves it out, and a
                # reader then scans the whole sheet once to find it).
                data = data.replace(b"</sheetPr>", b"</sheetPr>" + f'<dimension ref="{extent}" />'.encode(), 1)
            entry = zipfile.ZipInfo(info.filename, date_time=(fixed.year, fixed.month, fixed.day, 12, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, data)


# --- The entry point ------------------------------------------------------------------------------------


def generate(
    out_dir: Path,
    through: str | None = None,
    years: int = 5,
    seed: int = 2015,
    scale: float = 1.0,
    stops_rows: int | None = None,
    agency_name: str = AGENCY_NAME,
    datasets: tuple[str, ...] | None = None,
) -> dict:
    """Write the sample agency's raw files under ``out_dir/raw/``.

    Parameters
    ----------
    out_dir : Path
        The agency folder (``data/sample``); ``raw/`` inside it is replaced as a whole. A ``raw/`` folder
        that this module did not write (no ``GENERATED.json``) is never touched: an error is raised.
    through : str, optional
        Last quarter covered, such as ``"2026Q3"``; default: the last complete calendar quarter.
    years : int
        Years covered, ending with ``through`` (``4 * years`` quarters).
    seed : int
        Random seed; the same arguments always give byte-identical files.
    scale : float
        Multiplies every volume (1.0 is a city of about 250,000).
    stops_rows : int, optional
        Exact number of stops to generate (traffic plus pedestrian), for load tests; generated and
        written in chunks, so ten million rows need little memory.
    agency_name : str
        The department named in ``GENERATED.json`` and the training workbook (another fictional agency's
        files: :mod:`transparency.sample_agencies`).
    datasets : tuple of str, optional
        Generate only these datasets (default: all twelve). Each dataset draws from its own random
        stream, so a dataset's files are the same whichever others are generated; citations link to
        stops only when stops are generated too.

    Returns
    -------
    dict
        Data rows written per dataset (rows of the main files, defects included; related tables and
        header lines excluded), in ``DATASETS`` order.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    unknown = sorted(set(datasets or ()) - set(DATASETS))
    if unknown:
        raise ValueError(f"no generator for dataset(s) {', '.join(unknown)}; known: {', '.join(DATASETS)}")
    chosen = set(DATASETS if datasets is None else datasets)
    through = through or last_complete_quarter()
    cal = _make_calendar(through, years)
    out_dir = Path(out_dir)
    raw = out_dir / "raw"
    if raw.exists() and not (raw / MARKER).exists():
        raise FileExistsError(f"{raw} exists and was not written by the sample generator; not replacing it")
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / f".raw.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        officer_rng = np.random.default_rng([seed, 0])
        ctx = _Ctx(raw=tmp, cal=cal, seed=seed, scale=scale,
                   officers=_make_officers(officer_rng, max(30, int(round(420 * scale)))), agency=agency_name)
        steps = (("use_of_force", _use_of_force), ("complaints", _complaints), ("officer_involved_shootings", _shootings),
                 ("assaults_on_officers", _assaults), ("stops", lambda c: _stops(c, stops_rows)),
                 ("citations", _citations), ("pursuits", _pursuits), ("calls_for_service", _calls),
                 ("arrests", _arrests), ("community_meetings", _meetings), ("community_surveys", _surveys),
                 ("training", _training))
        for name, step in steps:
            if name in chosen:
                step(ctx)
        summary = {name: int(ctx.rows.get(name, 0)) for name in DATASETS if name in chosen}
        arguments = {"through": through, "years": years, "seed": seed, "scale": scale, "stops_rows": stops_rows}
        if datasets is not None:
            arguments["datasets"] = [name for name in DATASETS if name in chosen]
        manifest = {
            "generator": "transparency.sample",
            "agency": agency_name,
            "arguments": arguments,
            "coverage": {"from": cal.start.isoformat(), "to": cal.end.isoformat()},
            "rows": summary,
            "files": {name: dict(sorted(files.items())) for name, files in sorted(ctx.files.items())},
            "planted": {name: dict(sorted(ctx.planted[name].items())) for name in DATASETS if name in ctx.planted},
        }
        (tmp / MARKER).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if raw.exists():
            shutil.rmtree(raw)
        tmp.rename(raw)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return summary
