"""The community-surveys section on small hand-made agencies: respondent-level answers (weighted shares, margins
of error, the previous survey, groups below the minimum size) and published scores (monthly before weekly,
levels kept apart). Every expected figure is worked out by hand in the comments."""

from __future__ import annotations

import pandas as pd
import pytest
import textstat
from conftest import agency_config
from test_narrative import offline_textstat  # noqa: F401 - a fixture

from transparency.core.config import load_agency
from transparency.core.keys import create_key
from transparency.sections import community_surveys as cs
from transparency.sections.section import Section

QUESTION = "I have confidence in the police"


def answers_csv(previous_date: str = "2025-05-15") -> str:
    lines = ["WAVE,RESP,DATE,DIST,RACE,Q,ANSWER,WT"]

    def add(first, last, dist, race, answer, weight, day="2025-08-15", wave="W3"):
        for i in range(first, last + 1):
            lines.append(f"{wave},R{i},{day},{dist},{race},{QUESTION},{answer},{weight}")

    add(1, 20, "A", "White", "Agree", 1)
    add(21, 30, "A", "Black", "Strongly agree", 2)
    add(31, 40, "A", "Black", "Disagree", 2)
    add(41, 47, "B", "Asian", "Neither agree nor disagree", 1)
    add(48, 50, "B", "Asian", "Don't know", 1)
    add(51, 66, "A", "White", "Agree", 1, previous_date, "W2")
    add(67, 90, "A", "White", "Disagree", 1, previous_date, "W2")
    return "\n".join(lines) + "\n"


ANSWERS = {
    "files": ["surveys.csv"],
    "columns": {"survey_id": "WAVE", "surveyed_at": "DATE", "respondent_id": "RESP", "district": "DIST",
                "respondent_race": "RACE", "question": "Q", "answer": "ANSWER", "weight": "WT"},
    "datetime_format": "%Y-%m-%d",
}


def open_section(make_agency, tmp_path, dataset, config, files, name, period="2025Q3"):
    folder = make_agency(agency_config({dataset: config}), files, name=name)
    create_key(load_agency(folder).slug)
    return Section(dataset, agency=str(folder), period=period, output_dir=str(tmp_path / f"out-{name}"))


@pytest.fixture
def answers(make_agency, tmp_path):
    return open_section(make_agency, tmp_path, "community_surveys", ANSWERS, {"surveys.csv": answers_csv()}, "answersville")


# By hand, this period (R1-R47 answered on the scale; R48-R50 said "don't know"):
#   weights: 20 x 1 agree, 10 x 2 agree, 10 x 2 disagree, 7 x 1 neither -> sum 67, agreeing 40
#   share 40 / 67 = 0.597015; sum of squares 20 + 40 + 40 + 7 = 107; n_eff = 67^2 / 107 = 41.9533
#   margin 1.959964 * sqrt(0.597015 * 0.402985 / 41.9533) = 0.148422 -> 14.8 points
# Previous survey (2025Q2): 16 of 40 agree, unweighted (all weights 1) -> 40.0%, n_eff 40.
#   se = sqrt(0.240588 / 41.9533 + 0.24 / 40) = 0.108326; z = 0.197015 / 0.108326 = 1.8187; p = 0.069 -> within.
SHARE, MARGIN, CHANGE = 59.7, 14.8, 19.7


def test_shape_is_told_by_the_fields(answers):
    assert cs.shape(answers) == "answers"
    assert cs.weighted(answers)


def test_results_table_by_hand(answers):
    spec = cs.results(answers)
    row = spec.frame.loc[QUESTION]
    assert row["Answers"] == 47
    assert row[cs.SHARE] == SHARE and row[cs.MARGIN] == MARGIN
    assert row[cs.PREVIOUS] == 40.0 and row[cs.CHANGE] == CHANGE
    assert "No change is larger than normal variation" in spec.note
    assert "April to June 2025 (2025Q2)" in spec.note
    published = cs.publish(answers, spec)
    assert published.loc[QUESTION, cs.SHARE] == SHARE
    csv = pd.read_csv(answers.output_dir / "tables" / "community_surveys__results.csv")
    assert csv.loc[0, "Share agreeing (%)"] == SHARE


def test_summary_and_details_sentences(answers):
    summary = " ".join(cs.summary(answers))
    assert "In July to September 2025, 50 residents answered the survey." in summary  # don't-know answers count here
    assert "weighted" in summary and "“agree” or “strongly agree.”" in summary
    assert "no answer changed by more than normal variation" in summary
    (detail,) = cs.details(answers)
    assert detail == (f"“{QUESTION}”: 59.7% agreed (give or take 14.8 points). "
                      "That is up 19.7 points from 40%, within normal variation for a share.")


def test_groups_below_the_minimum_size_show_no_share(answers):
    districts = cs.districts(answers).frame
    # District A: 40 answers, share 40 / 60 = 66.7%; n_eff 60^2 / 100 = 36. District B: 7 answers (< 30): hidden.
    assert districts.loc["A", "Respondents"] == 40 and districts.loc["A", f"{QUESTION} (%)"] == 66.7
    assert districts.loc["B", "Respondents"] == 10 and pd.isna(districts.loc["B", f"{QUESTION} (%)"])
    assert "15.4 points" in cs.districts(answers).note  # 1.96 * sqrt((2/3)(1/3) / 36) = 0.15399
    (race,) = cs.groups(answers)
    assert race.frame["Respondents"].to_dict() == {"White": 20, "Black": 20, "Asian": 10}
    assert race.frame[f"{QUESTION} (%)"].isna().all()


def test_trend_leaves_out_quarters_without_a_survey(answers):
    trend = cs.trend(answers).frame
    assert list(trend.index) == ["2025Q2", "2025Q3"]
    assert trend["Respondents"].tolist() == [40, 50]
    assert trend[f"{QUESTION} (%)"].tolist() == [40.0, SHARE]
    fig, alt = cs.trend_chart(answers, trend)
    assert "2025Q2 40.0%" in alt and "2025Q3 59.7%" in alt  # as the table shows them
    # The title says what the summary says (up 19.7 points is within normal variation for 40 and 50 answers), not
    # "Agreement rose" from the first quarter shown to the last.
    assert fig.transparency_title == "Since the survey of 2025Q2, no answer changed by more than normal variation"
    assert "Since the previous survey (April to June 2025), no answer changed by more than normal variation." in cs.summary(answers)


def test_previous_survey_reaches_back_past_quarters_without_one(make_agency, tmp_path):
    sec = open_section(make_agency, tmp_path, "community_surveys", ANSWERS, {"surveys.csv": answers_csv("2025-02-15")},
                       "rareville")
    assert cs.previous_survey(sec).code == "2025Q1"
    assert "the previous survey (January to March 2025)" in " ".join(cs.summary(sec))


def test_unweighted_survey_uses_plain_shares(make_agency, tmp_path):
    config = {**ANSWERS, "columns": {k: v for k, v in ANSWERS["columns"].items() if k != "weight"}}
    sec = open_section(make_agency, tmp_path, "community_surveys", config, {"surveys.csv": answers_csv()}, "plainville")
    row = cs.results(sec).frame.loc[QUESTION]
    # 30 of 47 agree: 63.8%; margin 1.96 * sqrt(0.638298 * 0.361702 / 47) = 0.137 -> 13.7 points.
    assert row[cs.SHARE] == 63.8 and row[cs.MARGIN] == 13.7
    assert any("no weights" in note for note in cs.method(sec))


# --- Published scores -----------------------------------------------------------------------------------

SCORES_HEADER = "AREA,DISTRICT,SECTOR,SAFETY,TRUST,START_DATE,END_DATE"
SCORES_ROWS = [
    # The city, monthly in 2025Q2 and 2025Q3, plus a weekly score that the monthly ones replace.
    ",,,40,70,04/01/2025,04/30/2025", ",,,42,70,05/01/2025,05/31/2025", ",,,44,70,06/01/2025,06/30/2025",
    ",,,50,60,07/01/2025,07/31/2025", ",,,52,62,08/01/2025,08/31/2025", ",,,54,64,09/01/2025,09/30/2025",
    ",,,99,99,07/06/2025,07/12/2025",
    # 2025Q1 has weekly scores only: they are used.
    ",,,20,,01/05/2025,01/11/2025", ",,,30,,01/12/2025,01/18/2025",
    # Districts, a sector inside district 1 and an area: none of them is mixed with another level.
    "north,1,,30,50,07/01/2025,07/31/2025", "north,1,,32,50,08/01/2025,08/31/2025", "north,1,,34,50,09/01/2025,09/30/2025",
    "north,2,,70,,07/01/2025,07/31/2025",
    "north,1,11,10,10,07/01/2025,07/31/2025",
    "north,,,45,45,07/01/2025,07/31/2025",
]
SCORES = {
    "files": ["scores.csv"],
    "columns": {
        "survey_id": {"synthetic": ["AREA", "DISTRICT", "SECTOR", "START_DATE", "END_DATE"]},
        "surveyed_at": "START_DATE", "period_end": "END_DATE", "district": "DISTRICT",
        "geography_level": {"first_of": {"SECTOR": "sector", "DISTRICT": "district", "AREA": "area"}, "otherwise": "city"},
    },
    "unpivot": {"field": "measure", "value": "value", "columns": {"SAFETY": "safety", "TRUST": "trust"}},
    "datetime_format": "%m/%d/%Y",
}


@pytest.fixture
def scores(make_agency, tmp_path):
    files = {"scores.csv": "\n".join([SCORES_HEADER, *SCORES_ROWS]) + "\n"}
    return open_section(make_agency, tmp_path, "community_surveys", SCORES, files, "scoreville")


def test_scores_city_quarter_is_the_mean_of_monthly_scores(scores):
    assert cs.shape(scores) == "scores"
    assert cs.measures(scores) == ["safety", "trust"]
    frame = cs.results(scores).frame
    # Safety: (50 + 52 + 54) / 3 = 52 (the weekly 99 is left out); 2025Q2 (40 + 42 + 44) / 3 = 42.
    assert frame.loc["Feeling safe"].tolist()[:3] == [52.0, 42.0, 10.0]
    # Trust: (60 + 62 + 64) / 3 = 62 against 70.
    assert frame.loc["Trust in the police"].tolist()[:3] == [62.0, 70.0, -8.0]
    assert frame.loc["Feeling safe"].isna().tolist()[3:] == [True, True]  # no data a year earlier
    trend = cs.trend(scores).frame
    assert trend.loc["2025Q1", "Feeling safe"] == 25.0  # (20 + 30) / 2: weekly only
    assert pd.isna(trend.loc["2025Q1", "Trust in the police"])


def test_scores_districts_use_district_rows_only(scores):
    frame = cs.districts(scores).frame
    assert list(frame.index) == ["District 1", "District 2"]
    assert frame.loc["District 1", "Feeling safe"] == 32.0  # (30 + 32 + 34) / 3; the sector's 10 is not in it
    assert frame.loc["District 1", "Trust in the police"] == 50.0
    assert frame.loc["District 2", "Feeling safe"] == 70.0 and pd.isna(frame.loc["District 2", "Trust in the police"])
    published = cs.publish(scores, cs.districts(scores))
    assert (scores.output_dir / "tables" / "community_surveys__districts.csv").is_file()
    made = cs.district_charts(scores, published)
    assert len(made) == 2 and "District 2 70.0" not in made[0][1] and "District 2 70" in made[0][1]


def test_scores_sentences(scores):
    text = " ".join(cs.summary(scores) + cs.details(scores))
    assert "cannot say whether changes are larger than normal variation" in text
    assert "Feeling safe: the city's score was 52 out of 100, up 10 points from 42 in the previous quarter." in text
    assert "Trust in the police: the city's score was 62 out of 100, down 8 points from 70 in the previous quarter." in text
    # The trend chart's title gives the first measure as that sentence does (52 against 42 in 2025Q2), not the
    # first quarter shown (25 in 2025Q1) against the last.
    fig, _ = cs.trend_chart(scores, cs.trend(scores).frame)
    assert fig.transparency_title == "The city's feeling safe score was 52 in 2025Q3, up 10 points from 42 in 2025Q2"
    assert cs.groups(scores) == []
    assert "not counts of people" in cs.privacy_note(scores)


def test_reading_level(answers, scores, offline_textstat):  # noqa: F811 - the fixture
    for sec in (answers, scores):
        text = " ".join(cs.summary(sec) + cs.details(sec) + cs.method(sec) + [cs.groups_note(sec)])
        assert textstat.flesch_kincaid_grade(text) <= 9, text


def test_scores_with_sample_sizes_hide_small_ones(make_agency, tmp_path):
    rows = ["AREA,DISTRICT,SECTOR,SAFETY,TRUST,START_DATE,END_DATE,N",
            ",,,50,60,07/01/2025,07/31/2025,100", ",,,52,62,08/01/2025,08/31/2025,120",
            "north,1,,30,50,07/01/2025,07/31/2025,40", "north,2,,70,80,07/01/2025,07/31/2025,20"]
    config = {**SCORES, "columns": {**SCORES["columns"], "sample_size": "N"}}
    sec = open_section(make_agency, tmp_path, "community_surveys", config, {"scores.csv": "\n".join(rows) + "\n"}, "sizeville")
    results = cs.results(sec)
    # City safety (50 + 52) / 2 = 51 from 100 + 120 = 220 answers.
    assert results.frame.loc["Feeling safe", "Score, 2025Q3"] == 51.0 and results.frame.loc["Feeling safe", cs.SAMPLE] == 220
    assert "fewer than 30 answers is not shown" in results.note
    districts = cs.districts(sec).frame
    assert districts.loc["District 1", "Feeling safe"] == 30.0
    assert pd.isna(districts.loc["District 2", "Feeling safe"])  # 20 answers: below the minimum group size
    assert cs.trend(sec).frame.loc["2025Q3", cs.SAMPLE] == 220
    assert "does not test them against normal variation" in " ".join(cs.summary(sec))


def test_a_quarter_without_a_survey_says_so_once(make_agency, tmp_path):
    sec = open_section(make_agency, tmp_path, "community_surveys", ANSWERS, {"surveys.csv": answers_csv("2025-02-15")},
                       "gapville", period="2025Q2")
    assert cs.summary(sec) == ["The survey did not run in April to June 2025, so there are no new answers to report."]
    assert cs.details(sec) == [] and cs.groups(sec) == []
    assert cs.districts(sec).frame is None and cs.groups_note(sec) == "The survey did not run in this period."
    assert cs.results(sec).frame.empty
    assert list(cs.trend(sec).frame.index) == ["2025Q1"]


def test_notebook_text_reads_at_grade_9_or_below(offline_textstat):  # noqa: F811 - the fixture
    import json
    import re

    from conftest import REPO

    cells = json.loads((REPO / "notebooks" / "community_surveys.ipynb").read_text(encoding="utf-8"))["cells"]
    text = " ".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    assert textstat.flesch_kincaid_grade(re.sub(r"[#*-]", " ", text)) <= 9
