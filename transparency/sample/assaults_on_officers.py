"""assaults_on_officers: one row per incident, officers listed in cells (exploded at load)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .city import DISTRICT_WEIGHTS, HOURS_FORCE, WEEK_NIGHTLIFE
from .days import _daily_counts, _event_secs
from .draws import _choice, _format, _n_defects, _pick, _str, _vary_case, _yy, _zfill
from .writing import _Ctx, _write_csv

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
