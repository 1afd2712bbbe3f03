"""citations: one file per year; a band instead of an age; 12-hour times; some linked to stops."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .city import DISTRICT_CODES, DISTRICT_WEIGHTS, HOURS_TRAFFIC
from .days import _daily_counts, _event_secs, _skip_dst_gap
from .draws import _choice, _format, _format_seconds, _n_defects, _norm, _zfill
from .writing import _Ctx, _write_by_file

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
