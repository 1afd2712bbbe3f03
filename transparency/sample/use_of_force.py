"""use_of_force: one file per year; the new RMS (from the third year) renamed the badge column."""

from __future__ import annotations

from types import SimpleNamespace

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
    """Incidents, their subjects, and one row per officer and subject with the force used; defects
    planted; one file per year in the schema of its year. The random draws are made in one fixed order."""
    rng = ctx.rng("use_of_force")
    inc = _incidents(ctx, rng)
    subj = _subjects(rng, inc.n)
    rows = _officer_rows(ctx, rng, subj)
    _injuries(rng, subj, rows)
    legacy_years = set(ctx.cal.years[: max(1, min(2, len(ctx.cal.years) - 1))])  # both schemas whenever 2+ years
    df, year = _frame(ctx, inc, subj, rows, legacy_years)
    free = _plant_cell_defects(ctx, rng, df)
    _write_by_schema(ctx, rng, df, year, legacy_years, free)


def _incidents(ctx: _Ctx, rng) -> SimpleNamespace:
    """The incidents, in time order: time, id, district, the call and the reason force was used."""
    cal = ctx.cal
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
    return SimpleNamespace(n=n_inc, secs=inc_secs, year=inc_year, id=inc_id, district=inc_district,
                           call=inc_call, reason=inc_reason)


def _subjects(rng, n_inc: int) -> SimpleNamespace:
    """One subject per incident, sometimes two: their incident, number in it, race, sex and age."""
    n_subj = 1 + (rng.random(n_inc) < 0.1)
    s_inc = np.repeat(np.arange(n_inc), n_subj)
    ns = len(s_inc)
    return SimpleNamespace(
        n=ns,
        inc=s_inc,
        no=_seq_in_group(s_inc),
        race=rng.choice(8, ns, p=_norm([0.30, 0.48, 0.15, 0.02, 0.005, 0.002, 0.013, 0.03])),
        sex=_choice(rng, ["M", "F", "U"], ns, [0.84, 0.15, 0.01]),
        age=np.clip(16 + rng.gamma(2.2, 6.5, ns), 14, 80).astype(int),
        age_missing=rng.random(ns) < 0.03,
    )


def _officer_rows(ctx: _Ctx, rng, subj: SimpleNamespace) -> SimpleNamespace:
    """One row per subject and officer (officers distinct within a subject), with the force types used."""
    off = ctx.officers
    n_off = 1 + np.minimum(rng.poisson(0.45, subj.n), 3)
    r_subj = np.repeat(np.arange(subj.n), n_off)
    nr = len(r_subj)
    r_off = off.distinct_per_group(rng, r_subj, off.draw(rng, nr))
    flags = rng.random((nr, len(UOF_FLAGS))) < np.array([p for _, _, p in UOF_FLAGS])
    flags[~flags.any(axis=1), 5] = True  # every row records at least hands-on control
    return SimpleNamespace(n=nr, subj=r_subj, off=r_off, flags=flags)


def _injuries(rng, subj: SimpleNamespace, rows: SimpleNamespace) -> None:
    """Subjects injured (more often the harder the force used on them), hospitalised, arrested; officers injured."""
    starts = np.flatnonzero(np.r_[True, rows.subj[1:] != rows.subj[:-1]])
    used = np.maximum.reduceat(rows.flags.astype(np.int8), starts, axis=0)
    p_injured = 0.18 + 0.15 * used[:, 0] + 0.30 * used[:, 3] + 0.12 * used[:, 2] + 0.06 * used[:, 4]
    subj.injured = rng.random(subj.n) < p_injured
    subj.hospital = subj.injured & (rng.random(subj.n) < 0.3)
    subj.arrested = rng.random(subj.n) < 0.87
    rows.off_injured = rng.random(rows.n) < 0.07


def _frame(ctx: _Ctx, inc: SimpleNamespace, subj: SimpleNamespace, rows: SimpleNamespace, legacy_years: set):
    """The rows as the agency's columns (district codes in the old RMS, names in the new), and each row's year."""
    off = ctx.officers
    r_subj, r_off, flags = rows.subj, rows.off, rows.flags
    r_inc = subj.inc[r_subj]
    year = inc.year[r_inc]
    secs = inc.secs[r_inc]
    legacy = np.isin(year, list(legacy_years))
    district = np.where(
        legacy, np.asarray(DISTRICT_CODES, object)[inc.district[r_inc]],
        np.asarray([d.upper() for d in DISTRICTS], object)[inc.district[r_inc]],
    )
    call = inc.call[r_inc]
    reason = inc.reason[r_inc]
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
            "FILE_NO": inc.id[r_inc],
            "OCC_DATE": _format(secs, "%m/%d/%Y"),
            "OCC_TIME": _format_seconds(secs % 86400, "%H:%M"),
            "DIST": district,
            "SERVICE_TYPE": call,
            "UOF_REASON": reason,
            "SUBJ_NO": _str(subj.no[r_subj]),
            "SUBJ_RACE": RACE_LETTER[subj.race[r_subj]],
            "SUBJ_SEX": subj.sex[r_subj],
            "SUBJ_AGE": _str(subj.age[r_subj], subj.age_missing[r_subj]),
            "SUBJ_INJURED": _yes_no(subj.injured[r_subj]),
            "SUBJ_HOSPITALIZED": _yes_no(subj.hospital[r_subj]),
            "SUBJ_ARRESTED": _yes_no(subj.arrested[r_subj]),
            "OFF_BADGE": off.badge[r_off],
            "OFFICER_NAME": surname + ", " + off.initial[r_off] + ".",
            "OFF_RACE": RACE_LETTER[off.race[r_off]],
            "OFF_SEX": off.sex[r_off],
            "OFF_INJURED": _yes_no(rows.off_injured),
            **{name: _yes_no(flags[:, j]) for j, (name, _, _) in enumerate(UOF_FLAGS)},
            "NARRATIVE": narrative,
        }
    )
    return df, year


def _plant_cell_defects(ctx: _Ctx, rng, df: pd.DataFrame) -> np.ndarray:
    """Planted cell defects, each on its own row; returns True on the rows still free of one."""
    nr = len(df)
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
    return free


def _write_by_schema(ctx: _Ctx, rng, df: pd.DataFrame, year: np.ndarray, legacy_years: set, free: np.ndarray) -> None:
    """One file per year: the old RMS's (uof_YYYY.csv), then the new one's, whose badge column was renamed
    and moved; duplicates and a stray header planted."""
    cal = ctx.cal
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
        ctx, "use_of_force", rng, df, year, paths, duplicates=_n_defects(0.003, len(df)),
        header_in=cal.years[len(cal.years) // 2], avoid=~free,
    )
