"""The deeper complaints section on a small hand-made agency: the complainant x officer race table, officers
counted in bands, discipline after sustained allegations, and time to close against a target.

Two blocks of allegations. Block A (received October 2024 to September 2025, no closing dates) feeds the
race table for 2025Q3. Block B (October 2022 to September 2023) feeds the 2023Q3 figures: officers, discipline
and closings. Expected figures are counted by hand in the comments.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import textstat
from conftest import agency_config
from test_narrative import offline_textstat  # noqa: F401 - a fixture
from test_section_accountability import open_section
from test_stats import fisher_by_hand

from transparency.core.config import load_agency
from transparency.core.keys import create_key
from transparency.figures.stats import poisson_change
from transparency.sections import complaints
from transparency.sections.section import Section
from transparency.writing import charts

COMPLAINTS = {
    "files": ["data.csv"], "datetime_format": "%Y-%m-%d",
    "columns": {"complaint_id": "ID", "received_at": "RECEIVED", "closed_at": "CLOSED", "disposition": "FINDING",
                "discipline": "DISCIPLINE", "complainant_race": "CRACE", "officer_race": "ORACE", "officer_id": "OFF"},
}
# Block A: allegations by (complainant race, officer race), each its own complaint and officer.
MATRIX = {("White", "White"): 12, ("White", "Black"): 6, ("Black", "White"): 10, ("Black", "Black"): 7,
          ("Hispanic", "White"): 6, ("Hispanic", "Black"): 4, ("Unknown", "White"): 8, ("Asian", "White"): 2,
          ("Native American", "Black"): 1}
# Block B: (id, received, closed, finding, discipline, officer). Races alternate so that no group is large.
BLOCK_B = [
    ("C1", "2022-10-10", "2023-01-10", "sustained", "Written reprimand", "O1"),  # 92 days
    ("C2", "2022-11-01", "2023-07-15", "sustained", "Suspension", "O1"),  # 256 days
    ("C3", "2023-01-05", "2023-07-20", "not_sustained", "", "O1"),  # 196 days
    ("C4", "2023-02-01", "2023-08-01", "unfounded", "", "O1"),  # 181 days
    ("C5", "2023-03-01", "2023-08-28", "exonerated", "", "O1"),  # 180 days, two allegations
    ("C5", "2023-03-01", "2023-08-28", "exonerated", "", "O1"),
    ("C6", "2023-04-01", "2023-09-01", "sustained", "", "O2"),  # 153 days, no discipline recorded
    ("C7", "2023-05-01", "2023-07-01", "sustained", "Written reprimand", "O2"),  # 61 days
    ("C8", "2023-06-01", "", "pending", "", "O3"),
    ("C9", "2023-07-01", "2023-09-29", "unfounded", "", "O4"),  # 90 days
    ("C10", "2023-08-01", "2023-09-30", "not_sustained", "", "O4"),  # 60 days
    ("C11", "2023-09-01", "", "pending", "", "O4"),
    ("C12", "2023-09-15", "", "pending", "", ""),  # no officer recorded
]


def csv() -> str:
    lines = ["ID,RECEIVED,CLOSED,FINDING,DISCIPLINE,CRACE,ORACE,OFF"]
    n = 0
    for (crace, orace), count in MATRIX.items():
        for _ in range(count):
            n += 1
            lines.append(f"A{n},2025-{1 + n % 9:02d}-{1 + n % 27:02d},,pending,,{crace},{orace},M{n}")
    for i, (cid, received, closed, finding, discipline, officer) in enumerate(BLOCK_B):
        crace, orace = ("White", "Black") if i % 2 else ("Black", "White")
        lines.append(f"{cid},{received},{closed},{finding},{discipline},{crace},{orace},{officer}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def folder(make_agency):
    path = make_agency(agency_config({"complaints": COMPLAINTS}), {"data.csv": csv()})
    create_key(load_agency(path).slug)
    return path


def section(folder, period: str, tmp_path) -> Section:
    return Section("complaints", agency=str(folder), period=period, output_dir=str(tmp_path / period))


def test_small_race_groups_join_other(folder, tmp_path):
    matrix, why = complaints.race_matrix(section(folder, "2025Q3", tmp_path))
    assert why == ""
    # Groups below 2 x 5 = 10 allegations join "Other or more than one": Asian (2) and Native American (1);
    # Hispanic has exactly 10 and stays. "Not recorded" stays apart whatever its size. Suppression then hides
    # 4 of the 9 non-zero cells (2, 1, 4 and a complement), not more than half, so the table is published.
    assert matrix.to_dict("index") == {
        "White": {"Officer: White": 12, "Officer: Black": 6},
        "Black": {"Officer: White": 10, "Officer: Black": 7},
        "Hispanic": {"Officer: White": 6, "Officer: Black": 4},
        "Other or more than one": {"Officer: White": 2, "Officer: Black": 1},
        "Not recorded": {"Officer: White": 8, "Officer: Black": 0},
    }
    assert matrix.index.name == "Race of the person who complained"


def test_join_small_groups_by_hand():
    import pandas as pd

    table = pd.DataFrame({"White": [20, 3, 2], "Asian": [1, 1, 0]}, index=["White", "Asian", "Not recorded"])
    joined = complaints.join_small_groups(table, 5)
    # Rows: Asian (4) joins Other; Not recorded (2) stays. Columns: Asian (2) joins Other.
    assert joined.to_dict("index") == {"White": {"White": 20, "Other or more than one": 1},
                                       "Other or more than one": {"White": 3, "Other or more than one": 1},
                                       "Not recorded": {"White": 2, "Other or more than one": 0}}


def test_race_table_left_out_when_too_sparse(folder, tmp_path):
    # 2023Q3's twelve months hold block B only: 13 allegations split over a handful of cells below 5.
    matrix, why = complaints.race_matrix(section(folder, "2023Q3", tmp_path))
    assert matrix is None and why.startswith("There are too few allegations in the last 12 months")


def test_officers_in_bands(folder, tmp_path):
    # October 2022 to September 2023: O1 in C1-C5 (5), O2 in C6-C7 (2), O3 in C8 (1), O4 in C9-C11 (3); C12 has no officer.
    table = complaints.officer_complaints(section(folder, "2023Q3", tmp_path))
    assert table["Officers"].to_dict() == {"1 complaint": 1, "2 complaints": 1, "3 complaints": 1, "4 or more complaints": 1}
    assert table["Share of officers (%)"].tolist() == [25.0, 25.0, 25.0, 25.0]


def test_discipline_after_sustained_allegations(folder, tmp_path):
    # Sustained and closed October 2022 to September 2023: C1, C2, C6 (nothing recorded), C7.
    table = complaints.discipline(section(folder, "2023Q3", tmp_path))
    assert table["Sustained allegations"].to_dict() == {"Written reprimand": 2, "No discipline recorded": 1, "Suspension": 1}


def test_closed_within_the_default_target(folder, tmp_path):
    sec = section(folder, "2023Q3", tmp_path)
    assert complaints.close_target(sec) == (180, False)
    assert "has not set a target" in complaints.target_words(sec) and "180 days" in complaints.target_words(sec)
    table = complaints.closed_within_target(sec)
    # 2023Q3 closings: C2 256, C3 196, C4 181, C5 180 (x2), C6 153, C7 61, C9 90, C10 60 days: 6 of 9 within 180.
    row = charts.round_table(table).loc["This period (2023Q3)"]  # as published
    assert (row["Allegations closed"], row["Closed within target"], row["Share within target (%)"]) == (9, 6, 66.7)
    assert (row["Likely range, low (%)"], row["Likely range, high (%)"]) == (35.4, 87.9)  # Wilson, 6 of 9
    # 2023Q2 is covered and nothing closed in it; 2022Q3 lies before the data.
    assert table.index.tolist() == ["This period (2023Q3)", "The previous quarter (2023Q2)"]
    assert table.loc["The previous quarter (2023Q2)", "Allegations closed"] == 0
    # Nothing closed in 2023Q2 to compare with; open at the end of September 2023: C8 (122 days), C11, C12.
    assert complaints.target_sentences(sec) == ["No allegation open at the end of the period had been open longer than 180 days."]


def test_a_configured_target_is_used(folder, tmp_path):
    sec = section(folder, "2023Q3", tmp_path)
    sec.agency.model.complaint_close_target_days = 90  # as `complaint_close_target_days: 90` in agency.yml
    assert complaints.close_target(sec) == (90, True)
    assert complaints.target_words(sec) == "The department's target is to close an allegation within 90 days."
    row = complaints.closed_within_target(sec).loc["This period (2023Q3)"]
    assert row["Closed within target"] == 3  # C7 61, C9 90, C10 60
    # C8 has been open 122 days at the end of September 2023.
    assert complaints.target_sentences(sec)[-1] == "At the end of the period, fewer than 5 open allegations had been open longer than 90 days."


def test_target_comparison_between_quarters(folder, tmp_path):
    sec = section(folder, "2023Q4", tmp_path)
    # 2023Q4 closes nothing: no comparison; every open allegation is counted at the end of December.
    sentences = complaints.target_sentences(sec)
    assert len(sentences) == 1 and "open longer than 180 days" in sentences[0]


def test_sentences_read_at_grade_9_or_below(folder, tmp_path, offline_textstat):  # noqa: F811
    sec = section(folder, "2023Q3", tmp_path)
    text = " ".join([complaints.target_words(sec), *complaints.target_sentences(sec), *complaints.summary(sec)])
    assert textstat.flesch_kincaid_grade(text) <= 9


def closings_csv(quarters: dict[str, tuple[int, int]]) -> str:
    """Allegations closed on the 15th of a quarter's middle month: ``quarters`` maps the month ("2025-08") to
    (closed within 180 days, closed later); the quick ones took 30 days, the slow ones 200."""
    lines = ["ID,RECEIVED,CLOSED"]
    for month, (quick, slow) in quarters.items():
        closed = date.fromisoformat(f"{month}-15")
        for n, days in enumerate([30] * quick + [200] * slow):
            lines.append(f"{month}-{n},{closed - timedelta(days=days)},{closed}")
    return "\n".join(lines) + "\n"


def test_target_shares_compared_as_shares(make_agency, tmp_path, offline_textstat):  # noqa: F811
    """The sample's 2026Q3 figures: 44 of 46 closed within target against 57 of 70. As shares (Fisher's exact
    test) that is a real change, p = 0.027; as two counts over the closings (the Poisson test) it was not (0.42)."""
    config = {"files": ["data.csv"], "datetime_format": "%Y-%m-%d",
              "columns": {"complaint_id": "ID", "received_at": "RECEIVED", "closed_at": "CLOSED"}}
    text = closings_csv({"2025-05": (57, 13), "2025-08": (44, 2)})
    sec = open_section(make_agency, tmp_path, "complaints", config, text, "2025Q3", name="closings")
    assert fisher_by_hand(44, 46, 57, 70) < 0.05 < poisson_change(44, 57, 46, 70).p_value
    assert complaints.target_sentences(sec)[0] == (
        "This period, 95.7% of closed allegations were closed within 180 days, against 81.4% in the previous quarter: "
        "a change in the share larger than normal variation.")
    assert textstat.flesch_kincaid_grade(" ".join([complaints.target_words(sec), *complaints.target_sentences(sec)])) <= 9
    # The same shares from fewer closings (22 of 23 against 17 of 21) are within normal variation as shares.
    assert fisher_by_hand(22, 23, 17, 21) >= 0.05
    sec = open_section(make_agency, tmp_path, "complaints", config, closings_csv({"2025-05": (17, 4), "2025-08": (22, 1)}),
                       "2025Q3", name="fewer")
    assert complaints.target_sentences(sec)[0] == (
        "This period, 95.7% of closed allegations were closed within 180 days, against 81% in the previous quarter: "
        "within normal variation for a share.")
