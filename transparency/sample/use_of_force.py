"""use_of_force: one file per year; the new RMS (from the third year) renamed the badge column."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .city import DISTRICT_CODES, DISTRICT_WEIGHTS, DISTRICTS, HOURS_FORCE, RACE_LETTER, WEEK_NIGHTLIFE
from .days import _daily_counts, _event_secs
from .draws import (
    _choice,
    _format,
    _format_seconds,
    _n_defects,
    _norm,
    _pick,
    _seq_in_group,
    _str,
    _yes_no,
    _yy,
    _zfill,
)
from .writing import _Ctx, _write_by_file

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
