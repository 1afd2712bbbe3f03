"""Sentences that give a share name its whole denominator.

Hand-made agencies: the use-of-force share of incidents with an injury (not of the applications named in the
sentence before), and the veil-of-darkness share of Black drivers among the stops of Black or White drivers only
(Hispanic and other drivers are in neither group of the test). Expected shares are worked out by hand.
"""

from __future__ import annotations

import pandas as pd
import pytest
import textstat
from test_narrative import offline_textstat  # noqa: F401 - a fixture
from test_section_accountability import open_section

from transparency.figures import disparity
from transparency.sections import stops
from transparency.sections import use_of_force as uof

UOF = {"files": ["data.csv"], "datetime_format": "%Y-%m-%d",
       "columns": {"incident_id": "INC", "occurred_at": "DATE", "force_type": "TYPE", "subject_injured": "INJ"}}


def uof_csv() -> str:
    # 2026Q3: 12 incidents, each with two applications except I0 (three): 25 applications; I0 to I4 injured (5).
    lines = ["INC,DATE,TYPE,INJ"]
    for i in range(12):
        injured = "Y" if i < 5 else "N"
        types = ["Taser", "Takedown", "OC spray"] if i == 0 else ["Taser", "Takedown"]
        lines += [f"I{i},2026-08-{i + 1:02d},{t},{injured}" for t in types]
    lines += [f"E{i},2026-05-{i + 1:02d},Taser,N" for i in range(10)]  # 2026Q2
    return "\n".join(lines) + "\n"


@pytest.fixture
def uof_sec(make_agency, tmp_path):
    return open_section(make_agency, tmp_path, "use_of_force", UOF, uof_csv(), "2026Q3")


def test_injury_share_names_the_incidents_not_the_applications(uof_sec):
    text = " ".join(uof.summary(uof_sec))
    assert "These incidents involved 25 applications of force" in text
    # 5 of 12 incidents = 41.7% (5 of the 25 applications would be 20%).
    assert "In 5 of the 12 incidents (41.7%), the person was injured." in text
    assert "of them" not in text


def test_injury_share_reads_at_grade_9_or_below(uof_sec, offline_textstat):  # noqa: F811
    assert textstat.flesch_kincaid_grade(" ".join(uof.summary(uof_sec))) <= 9


STOPS = {"files": ["data.csv"], "datetime_format": "%Y-%m-%d",
         "columns": {"stop_id": "ID", "occurred_at": "DATE", "stop_type": "TYPE", "subject_race": "RACE"}}


@pytest.fixture
def stops_sec(make_agency, tmp_path):
    text = "ID,DATE,TYPE,RACE\n" + "".join(f"S{i},2026-08-01,traffic,{r}\n" for i, r in enumerate(["Black", "White", "Hispanic"] * 4))
    return open_section(make_agency, tmp_path, "stops", STOPS, text, "2026Q3")


def veil_result() -> disparity.VeilResult:
    # Daylight: 30 Black and 40 White drivers (30 of 70 = 42.9%); after dark: 20 and 30 (20 of 50 = 40%).
    counts = pd.DataFrame({"Black": [30, 20], "White": [40, 30]}, index=["Daylight", "Dark"])
    return disparity.VeilResult("ok", window=(1020.0, 1230.0), counts=counts, odds_ratio=0.89, odds_low=0.4,
                                odds_high=1.9, p_value=0.7)


def test_veil_share_names_the_two_groups_of_the_test(stops_sec):
    text = " ".join(stops.veil_sentences(stops_sec, veil_result()))
    assert ("Of the stops of Black or White drivers in the test, Black drivers made up 42.9% in daylight and 40% "
            "after dark.") in text
    assert "Drivers of other races are not part of this test." in text
    assert "of these stops" not in text


def test_veil_sentences_read_at_grade_9_or_below(stops_sec, offline_textstat):  # noqa: F811
    assert textstat.flesch_kincaid_grade(" ".join(stops.veil_sentences(stops_sec, veil_result()))) <= 9


SEARCHES = {"files": ["data.csv"], "datetime_format": "%Y-%m-%d",
            "columns": {"stop_id": "ID", "occurred_at": "DATE", "stop_type": "TYPE", "search_conducted": "SEARCH",
                        "contraband_found": "FOUND"}}


def test_hit_rate_names_the_searches(make_agency, tmp_path):
    # 100 stops in 2026Q3; 40 searched, contraband in 10 of them: 25% of the 40 searches.
    rows = [f"S{i},2026-08-01,traffic,{'Y' if i < 40 else 'N'},{'Y' if i < 10 else 'N'}" for i in range(100)]
    sec = open_section(make_agency, tmp_path, "stops", SEARCHES, "ID,DATE,TYPE,SEARCH,FOUND\n" + "\n".join(rows) + "\n",
                       "2026Q3", name="searches")
    text = " ".join(stops.summary(sec))
    assert "Of the 100 stops, 40 (40%) led to a search." in text
    assert "Officers found contraband, such as drugs or a weapon, in 25% of the 40 searches." in text


COMPLAINTS = {"files": ["data.csv"], "datetime_format": "%Y-%m-%d",
              "columns": {"complaint_id": "ID", "received_at": "RECEIVED", "closed_at": "CLOSED", "disposition": "FINDING"}}


def test_sustained_share_names_the_allegations_closed(make_agency, tmp_path):
    from transparency.sections import complaints

    # 20 allegations closed in 2026Q3, 6 sustained: 30%.
    rows = [f"C{i},2026-05-01,2026-08-01,{'sustained' if i < 6 else 'not_sustained'}" for i in range(20)]
    rows += [f"N{i},2026-08-15,," for i in range(6)]  # received in 2026Q3, still open
    sec = open_section(make_agency, tmp_path, "complaints", COMPLAINTS, "ID,RECEIVED,CLOSED,FINDING\n" + "\n".join(rows) + "\n",
                       "2026Q3", name="closings")
    assert "Investigators closed 20 allegations and sustained 6 of the 20 (30%)." in " ".join(complaints.summary(sec))
