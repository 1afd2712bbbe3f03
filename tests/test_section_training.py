"""The training section on a small hand-made agency: hours per sworn officer, required categories completed in
the period and in the twelve months that end with it (the first day in, the day before out), courses, trend."""

from __future__ import annotations

import pandas as pd
import pytest
import textstat
from conftest import agency_config
from test_narrative import offline_textstat  # noqa: F401 - a fixture

from transparency.core.config import load_agency
from transparency.core.keys import create_key
from transparency.core.periods import parse_period
from transparency.sections import training
from transparency.sections.section import Section

TRAINING = {
    "files": ["training.csv"],
    "columns": {"officer_id": "OFFICER", "completed_at": "DATE", "course": "COURSE", "category": "CAT", "hours": "HRS"},
    "datetime_format": "%Y-%m-%d",
}


def training_csv() -> str:
    lines = ["OFFICER,DATE,COURSE,CAT,HRS"]
    # 2025Q3: O1-O6 ICAT (de-escalation, 8 h); O1 also a 2-hour refresher; O1-O5 firearms (4 h).
    lines += [f"O{i},2025-08-01,ICAT,De-escalation,8" for i in range(1, 7)]
    lines += ["O1,2025-08-02,De-escalation refresher,de-escalation,2"]
    lines += [f"O{i},2025-09-01,Firearms,FIREARMS,4" for i in range(1, 6)]
    # Earlier in the twelve months (October 2024 to September 2025).
    lines += [f"O{i},2025-02-01,ICAT,De-escalation,8" for i in range(7, 10)]
    lines += [f"O{i},2024-10-01,CIT,Crisis Intervention,4" for i in range(1, 8)]
    lines += [f"O{i},2025-05-01,Firearms,FIREARMS,4" for i in range(2, 7)]
    # The day before the twelve months: not counted in them.
    lines += ["O10,2024-09-30,CIT,Crisis Intervention,4"]
    return "\n".join(lines) + "\n"


@pytest.fixture
def sec(make_agency, tmp_path):
    config = agency_config({"training": TRAINING}, sworn_officers=10,
                           required_training=["de-escalation", "crisis intervention"])
    folder = make_agency(config, {"training.csv": training_csv()}, name="trainville")
    create_key(load_agency(folder).slug)
    return Section("training", agency=str(folder), period="2025Q3", output_dir=str(tmp_path / "out"))


def test_twelve_months_end_with_the_period():
    start, end = training.twelve_months(parse_period("2025Q3")[0])
    assert (start, end) == (pd.Timestamp("2024-10-01"), pd.Timestamp("2025-10-01"))


def test_required_training_by_hand(sec):
    table = training.required_table(sec)
    # De-escalation: O1-O6 this period (6 of 10 sworn = 60%); O1-O9 over twelve months (90%).
    # Crisis intervention: none this period; O1-O7 over twelve months (70%); O10's course is a day too early.
    assert table.to_dict("index") == {
        "De-escalation": {"Officers, this period": 6, training.PERIOD_SHARE: 60.0, "Officers, last 12 months": 9,
                          training.YEAR_SHARE: 90.0},
        "Crisis intervention": {"Officers, this period": 0, training.PERIOD_SHARE: 0.0, "Officers, last 12 months": 7,
                                training.YEAR_SHARE: 70.0},
    }
    assert "October 1, 2024 to September 30, 2025" in training.required_note(sec, table)
    fig, alt = training.required_chart(sec, table)
    assert "De-escalation 90%" in alt and "Crisis intervention 70%" in alt


def test_summary_by_hand(sec):
    text = " ".join(training.summary(sec))
    # 6 + 1 + 5 = 12 completions against 5 in 2025Q2; 6 officers; 48 + 2 + 20 = 70 hours, 7 per sworn officer.
    assert text.startswith("There were 12 course completions, up 140% from 5 in the previous quarter")
    assert "In all, 6 different officers completed at least one course." in text
    assert "They completed 70 hours of training in all: 7 hours per sworn officer (the department has 10 sworn officers)." in text
    assert "ranged from 70% (crisis intervention) to 90% (de-escalation)" in text


def test_courses_and_trend(sec):
    courses = training.courses(sec)
    assert courses.to_dict("index") == {
        "ICAT": {"Type of training": "De-escalation", "Completions": 6, "Hours": 48.0},
        "Firearms": {"Type of training": "Firearms", "Completions": 5, "Hours": 20.0},
        "De-escalation refresher": {"Type of training": "De-escalation", "Completions": 1, "Hours": 2.0},
    }
    published = sec.table(courses, "courses", "Courses", count_columns=["Completions"], rates={"Hours": "Completions"})
    assert pd.isna(published.loc["De-escalation refresher", "Hours"])
    trend = training.trend(sec)
    assert trend.loc["2025Q3"].tolist() == [12, 6, 70.0, 7.0]
    assert trend.loc["2025Q2"].tolist() == [5, 5, 20.0, 2.0]
    assert trend.loc["2024Q4"].tolist() == [7, 7, 28.0, 2.8]


def test_without_configuration_the_section_says_so(make_agency, tmp_path):
    folder = make_agency(agency_config({"training": TRAINING}), {"training.csv": training_csv()}, name="plaintown")
    create_key(load_agency(folder).slug)
    sec = Section("training", agency=str(folder), period="2025Q3", output_dir=str(tmp_path / "out2"))
    assert training.required_table(sec) is None
    assert "has not listed which training is required" in training.required_missing(sec)
    assert "Hours per sworn officer" not in training.trend(sec)
    assert not any("per sworn officer" in s for s in training.summary(sec))


def test_reading_level(sec, offline_textstat):  # noqa: F811 - the fixture
    assert textstat.flesch_kincaid_grade(" ".join(training.summary(sec) + training.method(sec))) <= 9


def test_notebook_text_reads_at_grade_9_or_below(offline_textstat):  # noqa: F811 - the fixture
    import json
    import re

    from conftest import REPO

    cells = json.loads((REPO / "notebooks" / "training.ipynb").read_text(encoding="utf-8"))["cells"]
    text = " ".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    assert textstat.flesch_kincaid_grade(re.sub(r"[#*-]", " ", text)) <= 9
