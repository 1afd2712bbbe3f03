"""complaints: one allegation per row, UTF-8 with a byte-order mark."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .city import DISTRICT_CODES, DISTRICT_WEIGHTS, HOURS_OFFICE, RACE_LETTER, WEEK_BUSINESS
from .days import _daily_counts, _event_secs
from .draws import _choice, _format, _n_defects, _norm, _pick, _row_choice, _seq_in_group, _str, _vary_case, _zfill
from .writing import _Ctx, _write_csv

ALLEGATIONS = (
    # allegation, class, weight, P(sustained | external), P(exonerated)
    ("Discourtesy", "Conduct", 0.22, 0.14, 0.08),
    ("Unprofessional conduct", "Conduct", 0.14, 0.16, 0.10),
    ("Excessive force", "Force", 0.12, 0.05, 0.42),
    ("Improper search or seizure", "Procedure", 0.09, 0.08, 0.35),
    ("Improper arrest", "Procedure", 0.07, 0.06, 0.40),
    ("Neglect of duty", "Procedure", 0.14, 0.20, 0.10),
    ("Bias-based policing", "Bias", 0.08, 0.04, 0.15),
    ("Harassment", "Conduct", 0.06, 0.08, 0.12),
    ("Untruthfulness", "Integrity", 0.04, 0.18, 0.05),
    ("Failure to activate body camera", "Procedure", 0.04, 0.45, 0.05),
)
FINDINGS = {
    "sustained": "Sustained",
    "not_sustained": "Not Sustained",
    "unfounded": "Unfounded",
    "exonerated": "Exonerated",
    "withdrawn": "Withdrawn",
    "other": "Administrative Closure",
    "pending": "Under Investigation",
}
DISCIPLINE = (("Counseling", 0.30), ("Written reprimand", 0.30), ("Retraining", 0.15),
              ("Suspension 1-3 days", 0.15), ("Suspension 5+ days", 0.07), ("Termination", 0.03))


def _complaints(ctx: _Ctx) -> None:
    rng, cal, off = ctx.rng("complaints"), ctx.cal, ctx.officers
    counts = _daily_counts(rng, cal, 110 * ctx.scale, season=0.05, weekday=WEEK_BUSINESS, minimum=8)
    c_day = np.repeat(np.arange(cal.n), counts)
    c_secs = np.sort(_event_secs(rng, cal, c_day, HOURS_OFFICE))
    c_day = c_secs // 86400 - cal.epoch[0]
    nc = len(c_secs)
    c_year = cal.year[c_day]
    c_id = "IA" + _zfill(_str(c_year).astype(object) + "-", _seq_in_group(c_year), 4)
    source = _choice(rng, ["CITIZEN", "INTERNAL", "ANONYMOUS"], nc, [0.74, 0.20, 0.06])
    internal = source == "INTERNAL"
    c_district = rng.choice(6, nc, p=DISTRICT_WEIGHTS)
    c_race = rng.choice(8, nc, p=_norm([0.33, 0.40, 0.09, 0.02, 0.004, 0.002, 0.01, 0.14]))
    c_race[internal] = 7
    c_sex = _choice(rng, ["M", "F", "U"], nc, [0.46, 0.44, 0.10])
    c_sex[internal] = "U"
    c_age = np.clip(18 + rng.gamma(3.0, 7.0, nc), 18, 90).astype(int)
    c_age_missing = internal | (rng.random(nc) < 0.2)
    withdrawn = (~internal) & (rng.random(nc) < 0.06)
    days_to_close = rng.lognormal(np.log(80), 0.75, nc) * np.where(internal, 0.7, 1.0) * np.where(withdrawn, 0.3, 1.0)
    closed_secs = (c_secs // 86400 + np.ceil(days_to_close).astype(np.int64)) * 86400 + 12 * 3600
    end_secs = (cal.epoch[-1] + 1) * 86400
    pending = closed_secs >= end_secs

    n_off = 1 + np.minimum(rng.poisson(0.45, nc), 3)
    o_c = np.repeat(np.arange(nc), n_off)
    o_off = off.distinct_per_group(rng, o_c, off.draw(rng, len(o_c)))
    n_alg = 1 + np.minimum(rng.poisson(0.7, len(o_c)), 3)
    # distinct allegations per complaint and officer: the top-k of Gumbel-perturbed log weights
    weights = np.log(np.array([a[2] for a in ALLEGATIONS]))
    keys = weights + rng.gumbel(size=(len(o_c), len(ALLEGATIONS)))
    ranked = np.argsort(-keys, axis=1)
    a_o = np.repeat(np.arange(len(o_c)), n_alg)
    a_alg = ranked[a_o, _seq_in_group(a_o) - 1]
    a_c = o_c[a_o]
    na = len(a_o)

    # About one allegation in eight is sustained; internal complaints (a supervisor's) far more often.
    p_sus = 0.6 * np.array([a[3] for a in ALLEGATIONS])[a_alg]
    p_sus = np.where(internal[a_c], np.minimum(0.5, p_sus * 3 + 0.12), p_sus)
    p_exo = np.array([a[4] for a in ALLEGATIONS])[a_alg]
    rest = 1 - p_sus - p_exo
    probs = np.column_stack([p_sus, rest * 0.48, rest * 0.44, p_exo, rest * 0.08])
    outcome = np.array(["sustained", "not_sustained", "unfounded", "exonerated", "other"], dtype=object)[
        _row_choice(rng, probs)
    ]
    outcome[withdrawn[a_c]] = "withdrawn"
    outcome[pending[a_c]] = "pending"
    finding = _vary_case(rng, np.vectorize(FINDINGS.get, otypes=[object])(outcome), 0.04)
    discipline = np.where(
        outcome == "sustained",
        _choice(rng, [d for d, _ in DISCIPLINE], na, [p for _, p in DISCIPLINE]),
        "",
    ).astype(object)
    closed = _format((closed_secs // 86400) * 86400, "%Y/%m/%d")
    closed_text = np.where(pending, "", closed).astype(object)[a_c]
    source_text = _vary_case(rng, np.vectorize({"CITIZEN": "Citizen", "INTERNAL": "Internal", "ANONYMOUS": "Anonymous"}.get, otypes=[object])(source), 0.05)

    df = pd.DataFrame(
        {
            "IA_NUMBER": c_id[a_c],
            "RECEIVED_DATE": _format(c_secs, "%Y/%m/%d")[a_c],
            "CLOSED_DATE": closed_text,
            "COMPLAINT_SOURCE": source_text[a_c],
            "INCIDENT_DISTRICT": np.asarray(DISTRICT_CODES, object)[c_district][a_c],
            "ALLEGATION_DESC": np.array([a[0] for a in ALLEGATIONS], dtype=object)[a_alg],
            "ALLEGATION_CLASS": np.array([a[1] for a in ALLEGATIONS], dtype=object)[a_alg],
            "FINDING": finding,
            "DISCIPLINE_IMPOSED": discipline,
            "CMPL_RACE": RACE_LETTER[c_race][a_c],
            "CMPL_SEX": c_sex[a_c],
            "CMPL_AGE": _str(c_age, c_age_missing)[a_c],
            "OFFICER_BADGE": off.badge[o_off][a_o],
            "OFF_RACE": RACE_LETTER[off.race[o_off]][a_o],
            "OFF_SEX": off.sex[o_off][a_o],
        }
    )
    free = np.ones(na, dtype=bool)
    bad = _pick(rng, free & (closed_text != ""), _n_defects(0.004, na))
    free[bad] = False
    df.loc[bad, "CLOSED_DATE"] = "TBD"
    ctx.plant("complaints", "unparseable_closed_date", len(bad))
    _write_csv(
        ctx, "complaints", ctx.raw / "complaints" / "IA_Complaints_Export.csv", df, rng=rng,
        duplicates=_n_defects(0.004, na), avoid=~free, encoding="utf-8-sig",
    )
