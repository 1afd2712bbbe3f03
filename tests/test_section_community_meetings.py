"""The community-meetings section on a small hand-made agency: meetings by type and district, attendance,
officers present, districts without a meeting (from every period's records), and suppression of small counts."""

from __future__ import annotations

import pandas as pd
import pytest
import textstat
from conftest import agency_config
from test_narrative import offline_textstat  # noqa: F401 - a fixture

from transparency.core.config import load_agency
from transparency.core.keys import create_key
from transparency.sections import community_meetings as cm
from transparency.sections.section import Section

MEETINGS = {
    "files": ["meetings.csv"],
    "columns": {"meeting_id": {"synthetic": True}, "held_at": "DATE", "meeting_type": "TYPE", "district": "DIST",
                "attendees": "ATT", "officers_present": {"column": "OFFICERS", "count": ";"}},
    "datetime_format": "%Y-%m-%d",
}


def meetings_csv() -> str:
    lines = ["DATE,TYPE,DIST,ATT,OFFICERS"]
    # 2025Q3: 6 beat meetings in North (10 people, 2 officers each), 5 coffees in South (20 people, 1 officer),
    # 2 forums for the whole city (50 people, 3 officers), one of them with no attendance recorded.
    lines += [f"2025-07-{d:02d},Beat meeting,North,10,a;b" for d in range(1, 7)]
    lines += [f"2025-08-{d:02d},Coffee with a Cop,South,20,c" for d in range(1, 6)]
    lines += ["2025-09-01,Forum,Citywide,50,d;e;f", "2025-09-02,Forum,Citywide,,d;e;f"]
    # 2025Q2: 4 beat meetings in East, a district with no meeting in 2025Q3.
    lines += [f"2025-04-{d:02d},Beat meeting,East,5,a" for d in range(1, 5)]
    # 2024Q3: 3 meetings.
    lines += [f"2024-07-{d:02d},Beat meeting,North,8,a" for d in range(1, 4)]
    return "\n".join(lines) + "\n"


@pytest.fixture
def sec(make_agency, tmp_path):
    folder = make_agency(agency_config({"community_meetings": MEETINGS}), {"meetings.csv": meetings_csv()}, name="meetville")
    create_key(load_agency(folder).slug)
    return Section("community_meetings", agency=str(folder), period="2025Q3", output_dir=str(tmp_path / "out"))


def test_districts_come_from_every_period_and_exclude_the_whole_city(sec):
    assert cm.all_districts(sec) == ["East", "North", "South"]
    assert cm.districts_without_meeting(sec) == ["East"]


def test_type_and_district_tables_by_hand(sec):
    types = cm.types(sec)
    assert types.to_dict("index") == {
        "Beat meeting": {"Meetings": 6, "Attendees": 60, "Officers present": 12},
        "Coffee with a Cop": {"Meetings": 5, "Attendees": 100, "Officers present": 5},
        "Forum": {"Meetings": 2, "Attendees": 50, "Officers present": 6},
    }
    where = cm.districts(sec)
    assert list(where.index) == ["East", "North", "South", "Citywide"]
    assert where["Meetings"].tolist() == [0, 6, 5, 2]
    # Published: the 2 forums are hidden, and so is the smallest other count (5 coffees) that would reveal them;
    # attendance and officers go with their meetings.
    published = sec.table(types, "types", "Meetings by type", count_columns=["Meetings"], rates=cm.rates(types))
    assert published["Meetings"].isna().tolist() == [False, True, True]
    assert published.loc["Forum"].isna().all() and published.loc["Coffee with a Cop"].isna().all()
    published = sec.table(where, "districts", "Meetings by district", count_columns=["Meetings"], rates=cm.rates(where))
    assert published.loc["East", "Meetings"] == 0 and pd.isna(published.loc["Citywide", "Meetings"])


def test_summary_by_hand(sec):
    text = " ".join(cm.summary(sec))
    # 13 meetings against 4 in 2025Q2 (hidden: fewer than 5) and 3 in 2024Q3 (hidden).
    assert text.startswith("There were 13 community meetings, compared with fewer than 5 in the previous quarter.")
    assert "In the same quarter last year there were fewer than 5." in text
    # 60 + 100 + 50 = 210 people, attendance recorded for 12 of 13; 12 + 5 + 6 = 23 officers, 23 / 13 = 1.8.
    assert "Organizers counted 210 people at these meetings in all (attendance was recorded for 12 of the 13 meetings)." in text
    assert "Officers were present 23 times, an average of 1.8 officers per meeting." in text
    assert "This district had no meeting: East." in text


def test_trend_and_charts(sec):
    trend = cm.trend(sec)
    assert trend.loc["2025Q2", "Meetings"] == 4 and trend.loc["2025Q3", "Attendees"] == 210
    assert trend.loc["2024Q4", "Meetings"] == 0
    published = sec.table(trend, "trend", "Meetings per quarter", count_columns=["Meetings"], rates={"Attendees": "Meetings"})
    fig, alt = cm.trend_chart(sec, published)
    assert "2025Q3 13" in alt and "2025Q2 not shown" in alt
    fig, alt = cm.type_chart(sec.table(cm.types(sec), "types2", "Meetings by type", count_columns=["Meetings"]))
    assert fig.transparency_title == "Beat meeting was the most common type of meeting"
    assert "Forum not shown" in alt


def test_reading_level(sec, offline_textstat):  # noqa: F811 - the fixture
    assert textstat.flesch_kincaid_grade(" ".join(cm.summary(sec) + cm.method(sec))) <= 9


def test_notebook_text_reads_at_grade_9_or_below(offline_textstat):  # noqa: F811 - the fixture
    import json
    import re

    from conftest import REPO

    cells = json.loads((REPO / "notebooks" / "community_meetings.ipynb").read_text(encoding="utf-8"))["cells"]
    text = " ".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    assert textstat.flesch_kincaid_grade(re.sub(r"[#*-]", " ", text)) <= 9
