"""Trend chart titles state the summary's own comparison (this period against the previous one), never the first
quarter of the chart against the last.

A hand-made agency where every dataset has 30 records in 2025Q4, 28 in 2026Q1, 20 in 2026Q2 and 25 in 2026Q3:
against the first quarter shown the count fell (30 to 25), against the previous quarter it rose 25% (20 to 25).
The summary says "up 25%"; the title must say "rose" with the same numbers and the same judgement.
"""

from __future__ import annotations

import importlib
import re

import pytest
from conftest import agency_config

from transparency.core.config import load_agency
from transparency.core.keys import create_key
from transparency.figures.stats import poisson_change
from transparency.sections.section import Section
from transparency.writing import analysis

# dataset -> (id column, event column, extra canonical field -> constant value)
DATASETS = {
    "use_of_force": ("incident_id", "occurred_at", {"force_type": "Taser"}),
    "complaints": ("complaint_id", "received_at", {}),
    "assaults_on_officers": ("incident_id", "occurred_at", {}),
    "pursuits": ("pursuit_id", "started_at", {}),
    "citations": ("citation_id", "issued_at", {}),
    "arrests": ("arrest_id", "arrested_at", {}),
    "stops": ("stop_id", "occurred_at", {"stop_type": "traffic"}),
    "calls_for_service": ("call_id", "received_at", {}),
    "community_meetings": ("meeting_id", "held_at", {}),
    "training": ("officer_id", "completed_at", {"course": "Firearms"}),
}
MODULES = {"assaults_on_officers": "assaults_on_officers", "calls_for_service": "calls_for_service"}
#: Records per quarter: first against last fell, the previous quarter against this one rose.
COUNTS = {"2025-11-01": 30, "2026-02-01": 28, "2026-05-01": 20, "2026-08-01": 25}


def csv_for(dataset: str, counts: dict[str, int]) -> str:
    _, _, extra = DATASETS[dataset]
    lines = [",".join(["ID", "DATE", *[f.upper() for f in extra]])]
    for day, n in counts.items():
        lines += [",".join([f"{dataset[:2]}{day}-{i}", day, *extra.values()]) for i in range(n)]
    return "\n".join(lines) + "\n"


def spec(dataset: str) -> dict:
    id_field, event, extra = DATASETS[dataset]
    columns = {id_field: "ID", event: "DATE", **{f: f.upper() for f in extra}}
    return {"files": [f"{dataset}.csv"], "datetime_format": "%Y-%m-%d", "columns": columns}


def section(make_agency, tmp_path, counts: dict[str, int], name: str = "testville") -> dict[str, Section]:
    folder = make_agency(agency_config({d: spec(d) for d in DATASETS}), {f"{d}.csv": csv_for(d, counts) for d in DATASETS},
                         name=name)
    create_key(load_agency(folder).slug)
    return {d: Section(d, agency=str(folder), period="2026Q3", output_dir=str(tmp_path / name / d)) for d in DATASETS}


def title_and_summary(sec: Section) -> tuple[str, str]:
    module = importlib.import_module(f"transparency.sections.{MODULES.get(sec.dataset, sec.dataset)}")
    table = module.trend(sec)
    made = module.trend_chart(sec, table)
    assert made is not None, sec.dataset
    return made[0].transparency_title, " ".join(module.summary(sec))


@pytest.fixture
def sections(make_agency, tmp_path):
    return section(make_agency, tmp_path, COUNTS)


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_title_states_the_summary_comparison_not_first_against_last(sections, dataset):
    title, summary = title_and_summary(sections[dataset])
    # Worked out by hand: 20 in 2026Q2 to 25 in 2026Q3 is up 25%; the exact test on 25 against 20 (92 and 91 days).
    judgement = poisson_change(25, 20, 92, 91).judgement()
    assert "up 25% from 20 in the previous quarter" in summary, summary
    assert f", {judgement}" in summary
    assert "rose 25%" in title and "from 20 in 2026Q2 to 25 in 2026Q3" in title, title
    assert title.endswith(judgement), title
    assert "fell" not in title and "30" not in title and "2025Q4" not in title, title


@pytest.mark.parametrize("counts, shown, hidden", [
    # This quarter hidden (3): the title says "fewer than 5" and never the 3.
    ({"2025-11-01": 30, "2026-05-01": 20, "2026-08-01": 3}, "fell from 20 in 2026Q2 to fewer than 5 in 2026Q3", "3"),
    # The previous quarter hidden (2).
    ({"2025-11-01": 30, "2026-05-01": 2, "2026-08-01": 25}, "rose from fewer than 5 in 2026Q2 to 25 in 2026Q3", "2"),
])
def test_title_never_shows_a_small_count(make_agency, tmp_path, counts, shown, hidden):
    sections = section(make_agency, tmp_path, counts)
    for dataset in ("use_of_force", "complaints", "pursuits", "stops"):
        sec = sections[dataset]
        module = importlib.import_module(f"transparency.sections.{dataset}")
        published = sec.table(module.trend(sec), "trend", "Trend", count_columns=[module.trend(sec).columns[-1]])
        made = module.trend_chart(sec, published)
        title = made[0].transparency_title
        assert shown in title, title
        assert not re.search(rf"\b{hidden}\b", title), title
        assert "variation" not in title  # no judgement on a hidden count, as in the summary


def test_change_title_wording():
    change = analysis.count_change(51, 58, 92, 91, 5)
    assert analysis.change_title("use-of-force incidents", change, "2025Q3", "2025Q2") == (
        "Use-of-force incidents fell 12.1% from 58 in 2025Q2 to 51 in 2025Q3, " + change.judgement())
    assert analysis.change_title("stops", analysis.count_change(40, 40, 92, 92, 5), "2025Q3", "2025Q2") == \
        "Stops stayed at 40 in 2025Q3, the same as in 2025Q2"
    assert analysis.change_title("stops", analysis.count_change(0, 0, 92, 92, 5), "2025Q3", "2025Q2") == \
        "There were no stops in 2025Q2 or 2025Q3"
    assert analysis.change_title("stops", analysis.count_change(12, 0, 92, 92, 5), "2025Q3", "2025Q2").startswith(
        "Stops rose from none in 2025Q2 to 12 in 2025Q3, ")
    # Both hidden: the order of two hidden counts is not said.
    assert analysis.change_title("stops", analysis.count_change(3, 2, 92, 92, 5), "2025Q3", "2025Q2") == \
        "Fewer than 5 stops in 2025Q2 and in 2025Q3"
    # No earlier figure: no change is stated.
    assert analysis.change_title("stops", analysis.count_change(12, None, 92, 92, 5), "2025Q3", "2025Q2") == "Stops per quarter"


def test_response_time_title_gives_the_summary_median(make_agency, tmp_path):
    # 2025Q4: six calls reached in 20 minutes; 2026Q3: in 4, 6, 8, 10, 12 and 30 minutes (median 9). The summary
    # gives the period's median and compares none, so the title gives that median and no "fell from 20".
    calls = {"files": ["calls.csv"], "datetime_format": "%Y-%m-%d %H:%M",
             "columns": {"call_id": "ID", "received_at": "RECEIVED", "arrived_at": "ARRIVED"}}
    lines = ["ID,RECEIVED,ARRIVED"]
    lines += [f"A{i},2025-11-0{i + 1} 10:00,2025-11-0{i + 1} 10:20" for i in range(6)]
    lines += [f"B{i},2026-08-0{i + 1} 10:00,2026-08-0{i + 1} 10:{m:02d}" for i, m in enumerate([4, 6, 8, 10, 12, 30])]
    folder = make_agency(agency_config({"calls_for_service": calls}), {"calls.csv": "\n".join(lines) + "\n"})
    create_key(load_agency(folder).slug)
    sec = Section("calls_for_service", agency=str(folder), period="2026Q3", output_dir=str(tmp_path / "out"))
    from transparency.sections import calls_for_service as calls_section

    fig, _ = calls_section.response_trend_chart(sec, calls_section.trend(sec))
    assert fig.transparency_title == "Half of the calls timed in 2026Q3 were reached within 9 minutes"
    assert "the median time from the call to the first officer's arrival was 9 minutes" in " ".join(calls_section.summary(sec))


def test_training_hours_title_gives_the_summary_figure(make_agency, tmp_path):
    # 40 sworn officers. 2025Q4: 400 hours (10 per officer); 2026Q3: 100 hours (2.5 per officer).
    training = {"files": ["training.csv"], "datetime_format": "%Y-%m-%d",
                "columns": {"officer_id": "OFFICER", "completed_at": "DATE", "course": "COURSE", "hours": "HRS"}}
    lines = ["OFFICER,DATE,COURSE,HRS"] + [f"O{i},2025-11-01,Firearms,40" for i in range(10)]
    lines += [f"O{i},2026-08-01,Firearms,10" for i in range(10)]
    folder = make_agency(agency_config({"training": training}, sworn_officers=40), {"training.csv": "\n".join(lines) + "\n"})
    create_key(load_agency(folder).slug)
    sec = Section("training", agency=str(folder), period="2026Q3", output_dir=str(tmp_path / "out"))
    from transparency.sections import training as training_section

    fig, _ = training_section.trend_chart(sec, training_section.trend(sec))
    assert fig.transparency_title == "2.5 training hours per sworn officer in 2026Q3"
    assert "2.5 hours per sworn officer" in " ".join(training_section.summary(sec))
