"""training: an Excel workbook exported from the learning-management system."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .draws import _n_defects, _pick, _vary_case
from .writing import _Ctx, _write_xlsx

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
