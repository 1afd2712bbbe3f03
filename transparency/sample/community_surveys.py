"""community_surveys: respondent-level answers to four questions, with weights."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .city import DISTRICT_WEIGHTS, HOURS_OFFICE
from .days import _event_secs
from .draws import _choice, _format, _str, _zfill
from .writing import _Ctx, _write_csv

SURVEY_QUESTIONS = (
    ("Q1", "I have confidence in the police", 0.10),
    ("Q2", "I feel safe in my neighborhood", 0.30),
    ("Q3", "Police treat people with respect", 0.00),
    ("Q4", "Police listen to community concerns", -0.25),
)
ANSWERS = np.array(["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"], dtype=object)
SURVEY_RACES = ("White", "Black", "Hispanic", "Asian", "Other", "Refused")
SURVEY_SAMPLE_P = np.array([0.50, 0.25, 0.14, 0.05, 0.03, 0.03])
SURVEY_POP_P = np.array([0.448, 0.282, 0.19, 0.044, 0.036])
SURVEY_RACE_EFFECT = np.array([0.35, -0.45, -0.10, 0.20, 0.0, 0.0])
DISTRICT_SAFETY = np.array([0.2, 0.15, 0.0, -0.1, -0.35, 0.05])


def _surveys(ctx: _Ctx) -> None:
    rng, cal = ctx.rng("community_surveys"), ctx.cal
    waves = []
    for i in range(cal.n):
        if cal.month[i] % 3 == 2 and cal.dom[i] == 10:  # fielded from the 10th of each quarter's middle month
            waves.append(i)
    per_wave = max(40, int(round(400 * ctx.scale)))
    frames = []
    for first_day in waves:
        y, q = int(cal.year[first_day]), (int(cal.month[first_day]) - 1) // 3 + 1
        n = int(rng.poisson(per_wave))
        day = first_day + rng.integers(0, 21, n)
        secs = np.sort(_event_secs(rng, cal, day, HOURS_OFFICE))
        race = rng.choice(6, n, p=SURVEY_SAMPLE_P)
        district = rng.choice(6, n, p=DISTRICT_WEIGHTS)
        weight = np.ones(n)
        known = race < 5
        weight[known] = (SURVEY_POP_P / SURVEY_SAMPLE_P[:5])[race[known]] * rng.lognormal(0, 0.25, int(known.sum()))
        weight /= weight.mean()
        theta = SURVEY_RACE_EFFECT[race] + 0.05 * cal.t[first_day] + rng.normal(0, 0.9, n)
        rows = []
        for qid, text, offset in SURVEY_QUESTIONS:
            z = theta + offset + rng.normal(0, 0.6, n)
            if qid == "Q2":
                z = z + DISTRICT_SAFETY[district]
            level = np.searchsorted([-1.3, -0.5, 0.2, 1.0], z)
            dont_know = rng.random(n) < 0.03
            rows.append(
                pd.DataFrame(
                    {
                        "WAVE": f"{y}-Q{q}",
                        "RESP_ID": _zfill(f"R{y % 100:02d}{q}-", np.arange(1, n + 1), 4),
                        "INTERVIEW_DATE": _format(secs, "%m/%d/%Y"),
                        "RESP_DISTRICT": _str(district + 1),
                        "AGE_GROUP": _choice(rng, ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"], n,
                                             [0.08, 0.14, 0.16, 0.18, 0.20, 0.24]) if qid == "Q1" else None,
                        "GENDER": _choice(rng, ["Male", "Female", "Other", "Refused"], n, [0.45, 0.52, 0.01, 0.02])
                        if qid == "Q1" else None,
                        "RACE_ETHNICITY": np.asarray(SURVEY_RACES, object)[race],
                        "QUESTION_ID": qid,
                        "QUESTION_TEXT": text,
                        "RESPONSE": np.where(dont_know, "Don't know", ANSWERS[level]).astype(object),
                        "RESPONSE_CODE": _str(level + 1, dont_know),
                        "WT_FINAL": np.char.mod("%.4f", weight).astype(object),
                    }
                )
            )
        for part in rows[1:]:  # demographics belong to the respondent: the same on every answer
            part["AGE_GROUP"] = rows[0]["AGE_GROUP"].to_numpy()
            part["GENDER"] = rows[0]["GENDER"].to_numpy()
        wave = pd.concat(rows, ignore_index=True)
        wave = wave.sort_values(["RESP_ID", "QUESTION_ID"], kind="stable")
        frames.append(wave)
    df = pd.concat(frames, ignore_index=True)
    _write_csv(ctx, "community_surveys", ctx.raw / "community" / "resident_survey_responses.csv", df)
