"""arrests: one file; age only as a year of birth; people arrested more than once."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .city import DISTRICT_CODES, DISTRICT_WEIGHTS, HOURS_ARRESTS, RACE_UPPER, WEEK_NIGHTLIFE
from .days import _daily_counts, _event_secs
from .draws import _choice, _format, _n_defects, _norm, _pick, _seq_in_group, _str, _vary_case, _yy, _zfill
from .writing import _Ctx, _write_csv

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
