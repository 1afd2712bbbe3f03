"""community_meetings: a hand-kept spreadsheet saved as Windows-1252 CSV, no meeting id."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .city import DISTRICT_WEIGHTS, DISTRICTS
from .days import _daily_counts
from .draws import _choice, _format, _format_seconds, _row_choice, _str, _vary_case
from .writing import _Ctx, _write_csv

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
