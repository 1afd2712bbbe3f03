"""The deeper use-of-force section: the most serious level of force per incident, hospital visits, officers
counted in bands, and rates per arrest and per call with their likely range.

A hand-made agency: eight incidents in 2025Q3, two in 2024Q3, one in 2024Q4, three in 2025Q2; 400 arrests and
8,000 calls in 2025Q3. Expected figures are counted by hand in the comments.
"""

from __future__ import annotations

import pandas as pd
import pytest
import textstat
from conftest import agency_config
from test_narrative import offline_textstat  # noqa: F401 - a fixture

from transparency.core.config import load_agency
from transparency.core.keys import create_key
from transparency.sections import use_of_force as uof
from transparency.sections.section import Section
from transparency.writing import charts

UOF = {"files": ["uof.csv"], "datetime_format": "%Y-%m-%d",
       "columns": {"incident_id": "INC", "occurred_at": "DATE", "force_type": "TYPE", "officer_id": "OFF", "subject_hospitalized": "HOSP"}}
ARRESTS = {"files": ["arrests.csv"], "datetime_format": "%Y-%m-%d", "columns": {"arrest_id": "ID", "arrested_at": "DATE"}}
CALLS = {"files": ["calls.csv"], "datetime_format": "%Y-%m-%d", "columns": {"call_id": "ID", "received_at": "DATE"}}
ROWS = [
    ("J1", "2024-08-01", "Taser", "O1", "Y"), ("J2", "2024-08-02", "Takedown", "O2", "N"),  # 2024Q3
    ("K1", "2024-11-01", "Hands-on control", "O1", "N"),  # 2024Q4
    ("M1", "2025-05-01", "Hands-on control", "O1", "N"), ("M2", "2025-05-02", "Takedown", "O6", "N"),  # 2025Q2
    ("M3", "2025-06-01", "Taser", "O1", "N"),
    ("I1", "2025-07-01", "Verbal Command", "O1", "N"), ("I1", "2025-07-01", "Taser", "O1", "Y"),  # level 5, hospital
    ("I2", "2025-07-02", "Hands-on control", "O1", "N"),  # 3
    ("I3", "2025-07-03", "Firearm pointed", "O2", "N"), ("I3", "2025-07-03", "Takedown", "O3", "N"),  # 4
    ("I4", "2025-07-04", "Foot Pursuit", "O1", "N"),  # 0: not classified
    ("I5", "2025-07-05", "Taser Display at Person", "O2", "N"),  # 2
    ("I6", "2025-08-01", "Firearm discharged", "O4", "Y"),  # 6, hospital
    ("I7", "2025-08-02", "OC spray", "O1", "N"), ("I7", "2025-08-02", "Hands-on control", "O5", "N"),  # 5
    ("I8", "2025-09-01", "Held Suspect Down", "O2", "N"),  # 3
]


def dated(prefix: str, counts: dict[str, int]) -> str:
    lines = ["ID,DATE"]
    for day, n in counts.items():
        lines += [f"{prefix}{day}-{i},{day}" for i in range(n)]
    return "\n".join(lines) + "\n"


@pytest.fixture
def sec(make_agency, tmp_path):
    files = {
        "uof.csv": "\n".join(["INC,DATE,TYPE,OFF,HOSP"] + [",".join(r) for r in ROWS]) + "\n",
        "arrests.csv": dated("A", {"2024-08-01": 100, "2025-05-01": 300, "2025-08-01": 400}),
        "calls.csv": dated("C", {"2024-08-01": 2000, "2025-05-01": 6000, "2025-08-01": 8000}),
    }
    folder = make_agency(agency_config({"use_of_force": UOF, "arrests": ARRESTS, "calls_for_service": CALLS}, sworn_officers=40), files)
    create_key(load_agency(folder).slug)
    return Section("use_of_force", agency=str(folder), period="2025Q3", output_dir=str(tmp_path / "out"))


@pytest.mark.parametrize("force_type, level", [
    # Words from real agencies' files (Dallas, South Bend) and the sample agency.
    ("Verbal Command", 1), ("Weapon display at Person", 2), ("Taser Display at Person", 2), ("Baton Display", 2),
    ("Combat Stance", 2), ("Firearm pointed", 2), ("Held Suspect Down", 3), ("BD - Grabbed", 3), ("Joint Locks", 3),
    ("Hand Controlled Escort", 3), ("BD - Pushed", 3), ("Pressure Points", 3), ("Leg Restraint System", 3), ("Physical", 3),
    ("Hands-on control", 3), ("Take Down - Arm", 4), ("Handcuffing Take Down", 4), ("Hand/Arm/Elbow Strike", 4),
    ("Feet/Leg/Knee Strike", 4), ("BD - Tripped", 4), ("Head Butt", 4), ("Takedown", 4), ("Taser", 5), ("OC Spray", 5),
    ("K-9 Deployment", 5), ("K9", 5), ("40mm Less Lethal", 5), ("Baton Strike/Open Mode", 5), ("Other Impact Weapon", 5),
    ("Pepperball Impact", 5), ("LVNR", 6), ("Firearm discharged", 6), ("Shots fired", 6), ("Chokehold", 6),
    ("Foot Pursuit", 0), ("Vehicle Pursuit", 0), ("Firearm", 0), ("Shotgun", 0), ("", 0), (None, 0),
])
def test_force_level_of(force_type, level):
    assert uof.force_level_of(force_type) == level


def test_every_level_has_words():
    assert set(uof.FORCE_LEVELS) == {0, 1, 2, 3, 4, 5, 6}
    assert {level for level, _ in uof.LEVEL_RULES} == {1, 2, 3, 4, 5, 6}


def test_highest_level_per_incident():
    rows = pd.DataFrame({"incident_id": ["A", "A", "B", "C"], "force_type": ["Verbal Command", "Taser", "Foot Pursuit", "Hands"]})
    assert uof.highest_levels(rows).to_dict() == {"A": 5, "B": 0, "C": 3}
    # The agency's own levels win when it records them.
    rows["force_level"] = pd.array([1, 2, None, 4], dtype="Float64")
    assert uof.highest_levels(rows).to_dict() == {"A": 2, "B": 0, "C": 4}


def test_force_levels_table(sec):
    table = uof.force_levels(sec)
    assert table["Incidents"].to_dict() == {
        uof.FORCE_LEVELS[6]: 1, uof.FORCE_LEVELS[5]: 2, uof.FORCE_LEVELS[4]: 1, uof.FORCE_LEVELS[3]: 2,
        uof.FORCE_LEVELS[2]: 1, uof.FORCE_LEVELS[1]: 0, uof.FORCE_LEVELS[0]: 1,
    }
    assert table["Share of incidents (%)"].tolist() == [12.5, 25.0, 12.5, 25.0, 12.5, 0.0, 12.5]


def test_force_level_chart_names_the_leaders(sec):
    fig, alt = uof.force_level_chart(uof.force_levels(sec))
    assert fig.transparency_title == (f"{uof.FORCE_LEVELS[5]} and {uof.FORCE_LEVELS[3]} were the most serious force in the most incidents")
    assert "Deadly force (gun fired, neck hold) 1" in alt


def test_hospital_sentence(sec):
    # 2025Q3: I1 and I6; 2024Q3: J1.
    assert uof.hospital_sentence(sec) == ("There were fewer than 5 incidents in which the person was taken to hospital, "
                                          "compared with fewer than 5 in the same quarter last year.")


def test_officers_in_bands_over_twelve_months(sec):
    # October 2024 to September 2025: O1 in K1, M1, M3, I1, I2, I4, I7 (7); O2 in I3, I5, I8 (3);
    # O3, O4, O5, O6 in one each. J1 and J2 (2024Q3) are outside.
    table = uof.officer_incidents(sec)
    assert table["Officers"].to_dict() == {"1 incident": 4, "2 incidents": 0, "3 incidents": 1, "4 or more incidents": 1}
    assert charts.round_table(table)["Share of officers (%)"].tolist() == [66.7, 0.0, 16.7, 16.7]  # as published
    assert uof.officer_sentence(sec, table) == ("In the last 12 months, 6 officers used force at least once; fewer than 5 of "
                                                "them did so in 4 or more incidents. The department has 40 sworn officers.")
    published = sec.table(table, "officer_incidents", "Officers", rates={"Share of officers (%)": "Officers"})
    assert uof.officer_sentence(sec, published) == ""  # hidden bands: no sentence that could reveal them


def test_rates_with_their_likely_range(sec):
    table = uof.rates(sec)
    assert table.index.tolist() == ["Per 1,000 arrests", "Per 10,000 calls"]
    assert table["Incidents"].tolist() == [8, 8] and table["Denominator"].tolist() == [400, 8000]
    assert table["Rate"].tolist() == [20.0, 10.0]
    # Exact interval for 8: 3.454 to 15.763; per 400 arrests times 1,000, per 8,000 calls times 10,000.
    shown = charts.round_table(table)  # as published
    assert shown["Likely range, low"].tolist() == [8.6, 4.3]
    assert shown["Likely range, high"].tolist() == [39.4, 19.7]
    assert table["Source"].tolist() == ["Arrest records", "Dispatch records"]


def test_rate_sentences(sec):
    sentences = uof.rate_sentences(sec)
    # 2025Q2 had 3 incidents: too few to compare.
    assert sentences == [
        "For every 1,000 arrests, there were 20 use-of-force incidents. Allowing for chance, the rate is likely between 8.6 and 39.4.",
        "For every 10,000 calls for service, there were 10 use-of-force incidents. Allowing for chance, the rate is likely between 4.3 and 19.7.",
    ]


def test_sentences_read_at_grade_9_or_below(sec, offline_textstat):  # noqa: F811
    text = " ".join([*uof.summary(sec), uof.hospital_sentence(sec), *uof.rate_sentences(sec),
                     uof.officer_sentence(sec, uof.officer_incidents(sec))])
    assert textstat.flesch_kincaid_grade(text) <= 9
