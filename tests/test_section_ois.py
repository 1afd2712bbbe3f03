"""The officer-involved shootings section on a small hand-made agency.

Twenty shootings: eight in the three years before the window (October 2019 to September 2022) and twelve in
the window that ends with 2025Q3 (October 2022 to September 2025), two of them in 2025Q3. One shooting has
two people shot at, and one person has two rows (two officers) whose outcome and armed status differ. Every
expected figure below is counted by hand from the rows, and the rolling totals again with plain pandas.
"""

from __future__ import annotations

import pandas as pd
import pytest
import textstat
from test_narrative import offline_textstat  # noqa: F401 - a fixture
from test_section_accountability import open_section

from transparency.figures.stats import poisson_change
from transparency.sections import officer_involved_shootings as ois
from transparency.writing import charts

OIS = {
    "files": ["data.csv"], "datetime_format": "%Y-%m-%d",
    "columns": {"incident_id": "INC", "occurred_at": "DATE", "subject_id": "SUBJ", "subject_outcome": "COND",
                "subject_armed": "ARMED", "subject_weapon": "WEAPON", "subject_race": "RACE", "district": "DIST",
                "officer_id": "OFF"},
}
ROWS = [
    # Before the window.
    ("P1", "2019-11-05", "S1", "injured", "Y", "Handgun", "Black", "North", "O1"),
    ("P2", "2020-03-10", "S2", "fatal", "Y", "Handgun", "White", "South", "O2"),
    ("P3", "2020-08-20", "S3", "uninjured", "N", "Unarmed", "Black", "North", "O3"),
    ("P4", "2021-01-15", "S4", "injured", "Y", "Knife", "Hispanic", "East", "O4"),
    ("P5", "2021-06-30", "S5", "fatal", "Y", "Handgun", "Black", "North", "O5"),
    ("P6", "2021-12-01", "S6", "uninjured", "Y", "Vehicle", "White", "South", "O6"),
    ("P7", "2022-04-04", "S7", "injured", "Y", "Handgun", "Black", "East", "O7"),
    ("P8", "2022-09-30", "S8", "fatal", "Y", "Rifle", "White", "North", "O8"),  # the day before the window
    # The window (October 2022 to September 2025).
    ("W1", "2022-10-01", "S9", "injured", "Y", "Handgun", "Black", "North", "O1"),  # its first day
    ("W2", "2023-01-20", "S10", "fatal", "Y", "Handgun", "Black", "North", "O2"),
    ("W3", "2023-05-05", "S11", "uninjured", "N", "Unarmed", "White", "South", "O3"),
    ("W4", "2023-08-08", "S12", "injured", "Y", "Knife", "Hispanic", "East", "O4"),
    ("W5", "2023-11-11", "S13", "fatal", "Y", "Handgun", "Black", "North", "O5"),
    ("W5", "2023-11-11", "S14", "uninjured", "Y", "Handgun", "Black", "North", "O5"),  # a second person
    ("W6", "2024-02-02", "S15", "injured", "Y", "Handgun", "White", "South", "O6"),
    ("W7", "2024-06-06", "S16", "fatal", "", "Handgun", "Black", "North", "O7"),
    ("W7", "2024-06-06", "S16", "injured", "Y", "Handgun", "Black", "North", "O8"),  # same person, another officer
    ("W8", "2024-09-09", "S17", "uninjured", "Y", "Vehicle", "White", "East", "O1"),
    ("W9", "2025-01-01", "S18", "injured", "N", "Unarmed", "Black", "North", "O2"),
    ("W10", "2025-04-04", "S19", "fatal", "Y", "Handgun", "Black", "South", "O3"),
    ("W11", "2025-07-15", "S20", "injured", "Y", "Handgun", "Black", "North", "O4"),  # 2025Q3
    ("W12", "2025-08-20", "S21", "uninjured", "", "", "White", "South", "O5"),  # 2025Q3
]
POPULATION = {"source": "Test census", "total": 1000, "by_race": {"White": 500, "Black": 300, "Hispanic": 200}}


def csv() -> str:
    return "\n".join(["INC,DATE,SUBJ,COND,ARMED,WEAPON,RACE,DIST,OFF"] + [",".join(r) for r in ROWS]) + "\n"


@pytest.fixture
def sec(make_agency, tmp_path):
    return open_section(make_agency, tmp_path, "officer_involved_shootings", OIS, csv(), "2025Q3", population=POPULATION)


def test_people_are_counted_once_with_their_most_serious_outcome():
    rows = pd.DataFrame({
        "incident_id": ["W7", "W7", "W5", "W5"], "subject_id": ["S16", "S16", "S13", "S14"],
        "subject_outcome": ["fatal", "injured", "fatal", "uninjured"],
        "subject_armed": pd.array([None, True, True, False], dtype="boolean"),
    })
    people = ois.subjects(rows)
    assert len(people) == 3
    assert sorted(zip(people["outcome"], people["armed"].astype(object).tolist())) == [("fatal", True), ("fatal", True), ("uninjured", False)]


def test_without_a_person_identifier_each_row_is_a_person():
    rows = pd.DataFrame({"incident_id": ["A", "A"], "subject_outcome": ["fatal", "injured"]})
    assert len(ois.subjects(rows)) == 2


def test_summary_gives_the_quarter_and_the_three_year_totals(sec):
    sentences = ois.summary(sec)
    # 2025Q3: 2 shootings; 2025Q2: 1 (W10); 2024Q3: 1 (W8). All small, and stated: shootings are public events,
    # listed one by one (tests/test_public_events.py covers an agency that does not publish them).
    assert sentences[0] == "There were 2 shootings by officers, up 100% from 1 in the previous quarter, within normal variation."
    assert sentences[1] == "That is up 100% from 1 in the same quarter last year, within normal variation."
    assert sentences[2] == "No one died in this period's shootings."  # W11 injured, W12 uninjured
    assert "three years are a steadier guide" in sentences[3]
    # 12 in the window against 8 before it.
    assert sentences[4] == ("There were 12 shootings by officers in the three years from October 2022 to September 2025, "
                            "up 50% from 8 in the three years before, within normal variation.")
    assert sentences[5] == "In 4 of them, a person died."  # W2, W5, W7, W10


def test_summary_says_when_three_years_are_not_covered(make_agency, tmp_path):
    late = [r for r in ROWS if r[1] >= "2023"]
    text = "\n".join(["INC,DATE,SUBJ,COND,ARMED,WEAPON,RACE,DIST,OFF"] + [",".join(r) for r in late]) + "\n"
    sec = open_section(make_agency, tmp_path, "officer_involved_shootings", OIS, text, "2025Q3", name="late")
    assert ois.summary(sec)[-1] == ("The data does not reach back three years, to October 2022, so there is no "
                                    "three-year total yet.")
    assert ois.rolling(sec) is None
    assert ois.window_words(sec) == "January 2023 to September 2025"  # the data starts in 2023Q1
    assert ois.benchmark_note(sec).startswith("The department gives no population figures by race")  # none configured
    assert "Share of residents (%)" not in ois.subject_race(sec) and ois.race_chart(ois.subject_race(sec)) is None


def test_rolling_totals_match_plain_pandas(sec):
    assert len(ois.rolling(sec)) == 8  # two years of points by default
    table = ois.rolling(sec, points=12)
    raw = pd.DataFrame(ROWS, columns=["INC", "DATE", "SUBJ", "COND", "ARMED", "WEAPON", "RACE", "DIST", "OFF"])
    raw["quarter"] = pd.PeriodIndex(pd.to_datetime(raw["DATE"]), freq="Q")
    expected, deaths = {}, {}
    for end in pd.period_range("2022Q4", "2025Q3", freq="Q"):
        inside = raw[(raw["quarter"] > end - 12) & (raw["quarter"] <= end)]
        expected[str(end)] = inside["INC"].nunique()
        deaths[str(end)] = inside.loc[inside["COND"] == "fatal", "INC"].nunique()
    assert table["Shootings"].to_dict() == expected
    assert ois.rolling_deaths(sec, points=12)["Shootings in which a person died"].to_dict() == deaths
    assert table.loc["2025Q3", "Months"] == "October 2022 to September 2025"
    assert expected["2025Q3"] == 12 and expected["2022Q4"] == 8  # P2..P8 and W1


def test_by_year(sec):
    table = ois.by_year(sec)
    assert table["Shootings"].to_dict() == {
        "2019 (October to December)": 1, "2020": 2, "2021": 3, "2022": 3, "2023": 4, "2024": 3, "2025 (January to September)": 4,
    }


def test_breakdowns_over_the_three_years(sec):
    # 13 people in the window: W5 has two, W7's two rows are one person.
    outcomes = ois.outcomes(sec)
    assert outcomes["People"].to_dict() == {"Died": 4, "Injured": 5, "Not injured": 4}
    assert charts.round_table(outcomes)["Share (%)"].tolist() == [30.8, 38.5, 30.8]  # as published
    armed = ois.armed(sec)
    # Ten armed: S17's weapon was a vehicle, so it has a line of its own (one "Armed" line would read as 10 with guns
    # or knives).
    assert armed["People"].to_dict() == {"Armed, not with a vehicle": 9, "Armed with a vehicle": 1, "Unarmed": 2,
                                         "Not recorded": 1}
    weapons = ois.weapons(sec)
    assert weapons["People"].to_dict() == {"Handgun": 8, "Unarmed": 2, "Knife": 1, "Not recorded": 1, "Vehicle": 1}
    districts = ois.districts(sec)
    assert districts["Shootings"].to_dict() == {"North": 6, "South": 4, "East": 2}


def test_race_beside_residents(sec):
    table = ois.subject_race(sec)
    assert table["People"].to_dict() == {"White": 4, "Black": 8, "Hispanic": 1}
    assert charts.round_table(table)["Share of people shot at (%)"].tolist() == [30.8, 61.5, 7.7]
    assert table["Share of residents (%)"].tolist() == [50.0, 30.0, 20.0]
    assert ois.benchmark_note(sec) == ""


def test_race_chart_states_the_largest_gap(sec):
    published = sec.table(ois.subject_race(sec), "subject_race", "By race", rates={"Share of people shot at (%)": "People"})
    fig, alt = ois.race_chart(published)
    # Hispanic (1) is hidden, and White (4) with it; Black is 61.5% of people against 30% of residents.
    assert fig.transparency_title == "Black people were 61.5% of people shot at and 30% of residents"
    assert "Black 61.5%" in alt and "White not shown" in alt


def test_incident_list_holds_only_publishable_fields(sec):
    listed = ois.incident_list(sec)
    assert list(listed.columns) == ["Month", "District", "Most serious outcome", "Person armed"]
    assert listed.to_dict("records") == [
        {"Month": "July 2025", "District": "North", "Most serious outcome": "A person was injured", "Person armed": "Yes"},
        {"Month": "August 2025", "District": "South", "Most serious outcome": "No one was injured", "Person armed": "Not recorded"},
    ]


def test_a_vehicle_as_the_weapon_is_said_as_such(make_agency, tmp_path):
    # 2024Q3 holds one shooting, W8, whose person was armed with a vehicle.
    sec = open_section(make_agency, tmp_path, "officer_involved_shootings", OIS, csv(), "2024Q3", name="vehicle")
    assert ois.incident_list(sec).to_dict("records") == [
        {"Month": "September 2024", "District": "East", "Most serious outcome": "No one was injured",
         "Person armed": "Yes, with a vehicle"}]
    # Without any vehicle in the three years, armed people are one "Armed" line.
    no_vehicle = csv().replace(",Vehicle,", ",Knife,")
    sec = open_section(make_agency, tmp_path, "officer_involved_shootings", OIS, no_vehicle, "2025Q3", name="novehicle")
    assert ois.armed(sec)["People"].to_dict() == {"Armed": 10, "Unarmed": 2, "Not recorded": 1}


@pytest.mark.parametrize("weapon, vehicle", [("Vehicle", True), ("Motor vehicle", True), ("Suspect - Car", True),
                                             ("Handgun", False), ("Carbine", False), ("Suspect - Misc Weapon", False),
                                             (None, False)])
def test_is_vehicle(weapon, vehicle):
    assert ois.is_vehicle(weapon) is vehicle


def test_charts_have_titles_that_state_the_finding_and_alt_text_with_numbers(sec):
    fig, alt = ois.rolling_chart(sec, ois.rolling(sec, points=12), ois.rolling_deaths(sec, points=12))
    # The summary's comparison, not the chart's first point against its last: 12 shootings from October 2022 to
    # September 2025 against 8 in the three years before (1,096 days each), up 50%, judged by the exact test.
    judgement = poisson_change(12, 8, 1096, 1096).judgement()
    assert fig.transparency_title == ("Shootings rose 50% from 8 in the three years before to 12 in the three years to "
                                      f"2025Q3, {judgement}")
    assert f"up 50% from 8 in the three years before, {judgement}." in " ".join(ois.summary(sec))
    assert "2025Q3 12" in alt and "shootings in which a person died in the three years to each quarter: 2022Q4 3" in alt
    # A chart with every figure hidden is not drawn.
    assert ois.by_year_chart(sec.table(ois.by_year(sec).iloc[0:2], "two_years", "Two years")) is None
    fig, alt = ois.by_year_chart(ois.by_year(sec))
    assert fig.transparency_title == "2023 and 2025 (January to September) had the most shootings of the years shown"
    fig, alt = ois.district_chart(ois.districts(sec))
    assert fig.transparency_title == "North had the most shootings in the three years" and "North 6" in alt


def test_sentences_read_at_grade_9_or_below(sec, offline_textstat):  # noqa: F811
    assert textstat.flesch_kincaid_grade(" ".join(ois.summary(sec))) <= 9
