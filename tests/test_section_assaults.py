"""The assaults-on-officers section on a small hand-made agency of 50 sworn officers.

2025Q3: 12 officers assaulted in 8 incidents (4 injured), plus two rows that copy earlier rows apart from the
export serial; 2025Q2: 5 officers; 2024Q3: 6. Expected figures are counted by hand from the rows below.
"""

from __future__ import annotations

import pytest
import textstat
from test_narrative import offline_textstat  # noqa: F401 - a fixture
from test_section_accountability import open_section

from transparency.figures.stats import poisson_change
from transparency.sections import assaults_on_officers as aoo
from transparency.writing import charts

ASSAULTS = {
    "files": ["data.csv"], "row_id": "OBJ", "datetime_format": "%Y-%m-%d",
    "columns": {"incident_id": "INC", "occurred_at": "DATE", "officer_id": "OFF", "officer_injured": "INJ", "weapon": "WEAPON",
                "call_type": "CALL", "district": "DIST", "officer_killed": "KILLED"},
}
HANDS, DISTURBANCE, ARREST, TRAFFIC = '"HANDS, FISTS, FEET"', "DISTURBANCE CALL", "ATTEMPTING OTHER ARRESTS", "TRAFFIC PURSUITS AND STOPS"
Q3 = [
    ("A1", "2025-07-01", "O1", "Y", HANDS, DISTURBANCE, "1ST DIVISION"),
    ("A1", "2025-07-01", "O2", "N", HANDS, DISTURBANCE, "1ST DIVISION"),
    ("A2", "2025-07-05", "O3", "N", HANDS, DISTURBANCE, "1ST DIVISION"),
    ("A3", "2025-07-09", "O4", "Y", "FIREARM", ARREST, "2ND DIVISION"),
    ("A3", "2025-07-09", "O5", "Y", "FIREARM", ARREST, "2ND DIVISION"),
    ("A4", "2025-08-01", "O6", "N", HANDS, TRAFFIC, "2ND DIVISION"),
    ("A5", "2025-08-15", "O7", "N", "KNIFE", DISTURBANCE, "1ST DIVISION"),
    ("A6", "2025-08-20", "O8", "N", HANDS, DISTURBANCE, "3RD DIVISION"),
    ("A6", "2025-08-20", "O9", "Y", HANDS, DISTURBANCE, "3RD DIVISION"),
    ("A7", "2025-09-02", "O10", "N", HANDS, ARREST, "1ST DIVISION"),
    ("A8", "2025-09-29", "O11", "N", "VEHICLE", TRAFFIC, "2ND DIVISION"),
    ("A8", "2025-09-29", "O12", "N", "VEHICLE", TRAFFIC, "2ND DIVISION"),
]
EARLIER = (
    [(f"L{i}", f"2024-08-{i + 1:02d}", f"O{i}", "Y" if i < 2 else "N", HANDS, DISTURBANCE, "1ST DIVISION") for i in range(6)]  # 2024Q3
    + [(f"M{i}", f"2024-11-{i + 1:02d}", f"O{i}", "N", HANDS, DISTURBANCE, "1ST DIVISION") for i in range(3)]  # 2024Q4
    + [(f"N{i}", f"2025-02-{i + 1:02d}", f"O{i}", "N", HANDS, DISTURBANCE, "1ST DIVISION") for i in range(4)]  # 2025Q1
    + [(f"P{i}", f"2025-05-{i + 1:02d}", f"O{i}", "Y" if i == 0 else "N", HANDS, DISTURBANCE, "1ST DIVISION") for i in range(5)]
)


def csv() -> str:
    rows = EARLIER + Q3
    lines = ["OBJ,INC,DATE,OFF,INJ,WEAPON,CALL,DIST,KILLED"]
    lines += [f"{i},{','.join(row)},N" for i, row in enumerate(rows)]
    lines += [f"900,{','.join(Q3[0])},N", f"901,{','.join(Q3[6])},N"]  # copies of two rows, apart from OBJ
    return "\n".join(lines) + "\n"


@pytest.fixture
def sec(make_agency, tmp_path):
    return open_section(make_agency, tmp_path, "assaults_on_officers", ASSAULTS, csv(), "2025Q3", sworn_officers=50)


def test_copies_are_counted_once(sec):
    assert sec.loaded.excluded == {"duplicate_row": 2}
    assert sec.count(sec.period) == 12 and sec.count(sec.period, "incident_id") == 8


def test_summary(sec):
    sentences = aoo.summary(sec)
    assert sentences[0] == "There were 12 officers assaulted, up 140% from 5 in the previous quarter, within normal variation."
    assert sentences[1] == "That is up 100% from 6 in the same quarter last year, within normal variation."
    assert sentences[2] == "They were assaulted in 8 incidents. One incident can involve several officers."
    # 12 per 50 sworn officers is 24 per 100; the exact interval for 12 is 6.20 to 20.96, per 50 times 100.
    assert sentences[3] == ("For every 100 sworn officers, 24 officers were assaulted. Allowing for chance, the rate is likely "
                            "between 12.4 and 41.9.")
    assert sentences[4] == "Of the 12 officers assaulted, fewer than 5 were injured."  # O1, O4, O5, O9
    assert sentences[5] == "No officer was killed."
    assert len(sentences) == 6  # the 2 exact copies are for the data-quality appendix, not the summary (issue 16)


def test_trend(sec):
    table = aoo.trend(sec)
    # The data starts in 2024Q3: quarters before it are left out, not shown as 0.
    assert table.index.tolist() == ["2024Q3", "2024Q4", "2025Q1", "2025Q2", "2025Q3"]
    assert table["Officers assaulted"].tolist() == [6, 3, 4, 5, 12]
    assert table["Incidents"].tolist() == [6, 3, 4, 5, 8]
    assert table["Officers injured"].tolist() == [2, 0, 0, 1, 4]


def test_breakdowns_in_plain_words(sec):
    assert aoo.weapons(sec)["Officers assaulted"].to_dict() == {"Hands, fists, feet": 7, "Firearm": 2, "Vehicle": 2, "Knife": 1}
    assert aoo.call_types(sec)["Officers assaulted"].to_dict() == {
        "Disturbance call": 6, "Attempting other arrests": 3, "Traffic pursuits and stops": 3}
    assert aoo.districts(sec)["Officers assaulted"].to_dict() == {"1st Division": 5, "2nd Division": 5, "3rd Division": 2}


def test_rates_per_100_sworn_officers(sec):
    table = aoo.rates(sec)
    assert table["Officers assaulted"].tolist() == [12, 5, 6]
    assert table["Sworn officers"].tolist() == [50, 50, 50]
    assert table["Per 100 sworn officers"].tolist() == [24.0, 10.0, 12.0]
    # Exact intervals: 5 -> 1.62 to 11.67, 6 -> 2.20 to 13.06 (per 50, times 100).
    shown = charts.round_table(table)  # as published
    assert shown["Likely range, low"].tolist() == [12.4, 3.2, 4.4]
    assert shown["Likely range, high"].tolist() == [41.9, 23.3, 26.1]
    published = sec.table(table, "rates", "Rates", count_columns=["Officers assaulted"],
                          rates={c: "Officers assaulted" for c in ["Per 100 sworn officers", "Likely range, low", "Likely range, high"]})
    assert published["Per 100 sworn officers"].notna().all()


def test_no_rate_without_a_sworn_strength(make_agency, tmp_path):
    sec = open_section(make_agency, tmp_path, "assaults_on_officers", ASSAULTS, csv(), "2025Q3", name="nosworn")
    assert aoo.rates(sec) is None
    assert not any("sworn" in s for s in aoo.summary(sec))


def test_fields_not_recorded_give_no_table(make_agency, tmp_path):
    bare = {"files": ["data.csv"], "datetime_format": "%Y-%m-%d", "columns": {"incident_id": "INC", "occurred_at": "DATE"}}
    sec = open_section(make_agency, tmp_path, "assaults_on_officers", bare, "INC,DATE\nA,2025-07-01\nB,2025-07-02\n", "2025Q3", name="bare")
    assert aoo.weapons(sec) is None and aoo.call_types(sec) is None and aoo.districts(sec) is None
    assert "Officers injured" not in aoo.trend(sec)
    assert aoo.summary(sec)[0].startswith("There were fewer than 5 officers assaulted.")


def test_charts(sec):
    published = sec.table(aoo.districts(sec), "districts", "By district")
    fig, alt = aoo.district_chart(published)
    # 3rd division (2) is hidden, and one of the two fives with it: the title names the five that is shown, and
    # leads the alt text (a screen reader hears the finding, then every bar).
    assert fig.transparency_title in ("1st Division had the most officers assaulted", "2nd Division had the most officers assaulted")
    assert alt.startswith(f"{fig.transparency_title}. Bar chart of officers assaulted by district:") and alt.count("not shown") == 2
    fig, alt = aoo.weapon_chart(aoo.weapons(sec))
    assert fig.transparency_title == "Hands, fists, feet was the most common weapon"
    fig, alt = aoo.trend_chart(sec, aoo.trend(sec))
    # The summary's comparison (12 in 2025Q3 against 5 in 2025Q2: up 140%), judged with the same exact test, never
    # the first quarter shown (6 in 2024Q3) against the last.
    judgement = poisson_change(12, 5, 92, 91).judgement()
    assert fig.transparency_title == f"Officers assaulted rose 140% from 5 in 2025Q2 to 12 in 2025Q3, {judgement}"
    assert f"up 140% from 5 in the previous quarter, {judgement}." in aoo.summary(sec)[0]
    assert "incidents per quarter" in alt


def test_sentences_read_at_grade_9_or_below(sec, offline_textstat):  # noqa: F811
    assert textstat.flesch_kincaid_grade(" ".join(aoo.summary(sec))) <= 9

