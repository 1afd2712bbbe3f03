"""officer_involved_shootings: one row per subject; "None" in the weapon column means unarmed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .city import DISTRICT_CODES, DISTRICT_WEIGHTS, HOURS_NIGHT, RACE_LETTER, RACES
from .days import _daily_counts, _event_secs
from .draws import _choice, _format, _norm, _seq_in_group, _str, _vary_case, _yes_no, _zfill
from .writing import _Ctx, _write_csv


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
