"""calls_for_service: one CAD file per year, four timestamps, priorities 1-4."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .city import DISTRICT_CODES, DISTRICT_WEIGHTS, HOURS_CALLS
from .days import _daily_counts, _event_secs, _skip_dst_gap
from .draws import _choice, _format, _n_defects, _norm, _pick, _row_choice, _seq_in_group, _str, _vary_case, _zfill
from .writing import _Ctx, _spread, _write_csv

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
