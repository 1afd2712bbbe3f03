"""pursuits: the date spread over YEAR / MO / DAY columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .city import DISTRICT_CODES, DISTRICT_WEIGHTS, HOURS_NIGHT, WEEK_NIGHTLIFE
from .days import _daily_counts, _event_secs
from .draws import _choice, _format_seconds, _seq_in_group, _str, _vary_case, _yes_no, _yy, _zfill
from .writing import _Ctx, _write_csv


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
