"""The vehicle pursuits section on a small hand-made agency of 100 sworn officers.

Ten pursuits in the twelve months before the window (October 2023 to September 2024) and twenty in the last
twelve months (October 2024 to September 2025), seven of them in 2025Q3. Expected figures are counted by hand
from the rows below; the likely ranges are worked out with the Wilson formula written out here.
"""

from __future__ import annotations

import math

import pytest
import textstat
from test_narrative import offline_textstat  # noqa: F401 - a fixture
from test_section_accountability import open_section
from test_stats import fisher_by_hand

from transparency.figures.stats import poisson_change
from transparency.sections import pursuits
from transparency.writing import charts

PURSUITS = {
    "files": ["data.csv"], "datetime_format": "%Y-%m-%d",
    "columns": {"pursuit_id": "ID", "started_at": "DATE", "reason": "REASON", "ended_by": "ENDED", "crash": "CRASH",
                "injuries": "INJ", "fatalities": "KILLED", "policy_compliant": "POLICY", "district": "DIST"},
    "values": {"policy_compliant": {"Within Policy": True, "Not Within Policy": False, "Under Review": "unknown"}},
}
TV, SV, DUI, FEL = "Traffic violation", "Stolen vehicle", "DUI", "Felony"
IN, OUT, REVIEW = "Within Policy", "Not Within Policy", "Under Review"
ROWS = [
    # The twelve months before (2023Q4 to 2024Q3): 10 pursuits, 2 crashes, 1 person injured.
    ("B1", "2023-10-05", TV, "Terminated by officer", "N", "0", "0", IN, "North"),
    ("B2", "2023-11-10", SV, "Suspect crashed", "Y", "1", "0", IN, "North"),
    ("B3", "2023-12-15", DUI, "Suspect stopped", "N", "0", "0", IN, "South"),
    ("B4", "2024-01-20", TV, "Lost sight of vehicle", "N", "0", "0", OUT, "South"),
    ("B5", "2024-03-01", FEL, "Suspect crashed", "Y", "0", "0", IN, "North"),
    ("B6", "2024-04-10", TV, "Terminated by supervisor", "N", "0", "0", IN, "North"),
    ("B7", "2024-05-15", SV, "Suspect stopped", "N", "0", "0", IN, "South"),
    ("B8", "2024-07-04", DUI, "Terminated by officer", "N", "0", "0", IN, "North"),  # 2024Q3
    ("B9", "2024-08-08", TV, "Suspect stopped", "N", "0", "0", IN, "South"),  # 2024Q3
    ("B10", "2024-09-30", FEL, "Lost sight of vehicle", "N", "0", "0", IN, "North"),  # 2024Q3, the window's day before
    # The last twelve months (2024Q4 to 2025Q3): 20 pursuits, 8 crashes, 6 people injured in 3, 1 killed.
    ("C1", "2024-10-01", TV, "Suspect stopped", "N", "0", "0", IN, "North"),
    ("C2", "2024-11-11", SV, "Suspect crashed", "Y", "2", "0", IN, "North"),
    ("C3", "2024-12-12", TV, "Terminated by officer", "N", "0", "0", OUT, "South"),
    ("C4", "2024-12-24", DUI, "Suspect stopped", "N", "0", "0", IN, "North"),
    ("C5", "2025-01-05", TV, "Lost sight of vehicle", "N", "0", "0", IN, "South"),
    ("C6", "2025-02-02", SV, "Suspect crashed", "Y", "0", "0", IN, "North"),
    ("C7", "2025-03-03", FEL, "Suspect stopped", "N", "0", "0", OUT, "South"),
    ("C8", "2025-03-30", TV, "Terminated by supervisor", "N", "0", "0", IN, "North"),
    ("C9", "2025-04-04", DUI, "Suspect stopped", "N", "0", "0", IN, "South"),  # 2025Q2: C9-C13, 1 crash
    ("C10", "2025-04-20", SV, "Suspect crashed", "Y", "0", "0", IN, "North"),
    ("C11", "2025-05-05", TV, "Terminated by officer", "N", "0", "0", IN, "South"),
    ("C12", "2025-06-06", FEL, "Lost sight of vehicle", "N", "0", "0", IN, "North"),
    ("C13", "2025-06-30", TV, "Suspect stopped", "N", "0", "0", REVIEW, "South"),
    ("C14", "2025-07-01", SV, "Suspect crashed", "Y", "1", "0", OUT, "North"),  # 2025Q3: C14-C20, 5 crashes
    ("C15", "2025-07-10", TV, "Suspect crashed", "Y", "0", "0", IN, "South"),
    ("C16", "2025-07-20", DUI, "Suspect crashed", "Y", "3", "0", IN, "North"),
    ("C17", "2025-08-01", TV, "Suspect crashed", "Y", "0", "1", REVIEW, "North"),
    ("C18", "2025-08-15", FEL, "Terminated by supervisor", "N", "0", "0", IN, "South"),
    ("C19", "2025-09-01", TV, "Suspect crashed", "Y", "0", "0", REVIEW, "North"),
    ("C20", "2025-09-30", SV, "Suspect stopped", "N", "0", "0", IN, "South"),
]


def csv() -> str:
    return "\n".join(["ID,DATE,REASON,ENDED,CRASH,INJ,KILLED,POLICY,DIST"] + [",".join(r) for r in ROWS]) + "\n"


def wilson(k: int, n: int) -> tuple[float, float]:
    z = 1.959964
    centre = (k / n + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(k / n * (1 - k / n) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return round(100 * (centre - half), 1), round(100 * (centre + half), 1)


@pytest.fixture
def sec(make_agency, tmp_path):
    return open_section(make_agency, tmp_path, "pursuits", PURSUITS, csv(), "2025Q3", sworn_officers=100)


def test_summary(sec):
    sentences = pursuits.summary(sec)
    assert sentences[0] == "There were 7 vehicle pursuits, up 40% from 5 in the previous quarter, within normal variation."
    assert sentences[1] == "In the same quarter last year there were fewer than 5."  # B8-B10
    low, high = wilson(5, 7)
    assert sentences[2] == f"Of these pursuits, 5 (71.4%) ended in a crash. Allowing for chance, the share is likely between {low}% and {high}%."
    # The previous quarter had 1 crash: too few to compare. Injured 1 + 3 people, killed 1: both small.
    assert sentences[3] == "In these pursuits, fewer than 5 people were injured and fewer than 5 people were killed."
    # Reviewed: C14 (not within), C15, C16, C18, C20; C17 and C19 under review.
    assert sentences[4] == "Of the 5 pursuits reviewed so far, fewer than 5 were found not to follow policy."
    # 7 per 100 officers; the exact interval for 7 is 2.81 to 14.42.
    assert sentences[5] == "For every 100 sworn officers, there were 7 pursuits. Allowing for chance, the rate is likely between 2.8 and 14.4."


def test_harm_words_for_none_and_one(make_agency, tmp_path):
    calm = [r[:5] + ("0", "0") + r[7:] for r in ROWS]
    text = "\n".join(["ID,DATE,REASON,ENDED,CRASH,INJ,KILLED,POLICY,DIST"] + [",".join(r) for r in calm]) + "\n"
    sec = open_section(make_agency, tmp_path, "pursuits", PURSUITS, text, "2025Q3", name="calm")
    assert "In these pursuits, no one was injured and no one was killed." in pursuits.summary(sec)


def test_trend_counts_pursuits_per_quarter(sec):
    table = pursuits.trend(sec)
    assert table["Pursuits"].to_dict() == {"2023Q4": 3, "2024Q1": 2, "2024Q2": 2, "2024Q3": 3, "2024Q4": 4, "2025Q1": 4,
                                           "2025Q2": 5, "2025Q3": 7}
    # The title states the summary's comparison, 7 in 2025Q3 against 5 in 2025Q2 (up 40%), with the same exact test.
    published = sec.table(table, "trend", "Trend")
    fig, alt = pursuits.trend_chart(sec, published)
    judgement = poisson_change(7, 5, 92, 91).judgement()
    assert fig.transparency_title == f"Vehicle pursuits rose 40% from 5 in 2025Q2 to 7 in 2025Q3, {judgement}"
    assert f"up 40% from 5 in the previous quarter, {judgement}." in pursuits.summary(sec)[0]
    assert alt.startswith(fig.transparency_title) and "2025Q3 7" in alt and "2023Q4 not shown" in alt


def test_twelve_month_windows(sec):
    assert pursuits.year_words(sec) == "October 2024 to September 2025"
    table = pursuits.crash_share(sec)
    assert table["Pursuits"].tolist() == [20, 10] and table["Pursuits with a crash"].tolist() == [8, 2]
    assert table["Share with a crash (%)"].tolist() == [40.0, 20.0]
    shown = charts.round_table(table)  # as published
    assert list(zip(shown["Likely range, low (%)"], shown["Likely range, high (%)"])) == [wilson(8, 20), wilson(2, 10)]
    assert table.index[1] == "The 12 months before (October 2023 to September 2024)"
    # 2 crashes the year before is a small count: no comparison is printed.
    assert pursuits.crash_change_sentence(sec) == ""


def test_harm_table(sec):
    table = pursuits.harm(sec)
    now, before = table.columns
    assert table[now].to_dict() == {"Pursuits in which someone was injured": 3, "People injured": 6,
                                    "Pursuits in which someone was killed": 1, "People killed": 1}
    assert table[before].to_dict() == {"Pursuits in which someone was injured": 1, "People injured": 1,
                                       "Pursuits in which someone was killed": 0, "People killed": 0}


def test_breakdowns_cover_the_last_twelve_months(sec):
    assert pursuits.reasons(sec)["Pursuits"].to_dict() == {TV: 9, SV: 5, DUI: 3, FEL: 3}
    assert pursuits.how_ended(sec)["Pursuits"].to_dict() == {
        "Suspect crashed": 8, "Suspect stopped": 6, "Lost sight of vehicle": 2, "Terminated by officer": 2, "Terminated by supervisor": 2}
    assert pursuits.policy(sec)["Pursuits"].to_dict() == {"Within policy": 14, "Not within policy": 3, "Under review or not recorded": 3}
    assert pursuits.districts(sec)["Pursuits"].to_dict() == {"North": 11, "South": 9}
    fig, _ = pursuits.reason_chart(pursuits.reasons(sec))
    assert fig.transparency_title == "Traffic violation was the most common reason for a pursuit"


def test_rates(sec):
    table = pursuits.rates(sec)
    assert table["Pursuits"].tolist() == [7, 5, 3]
    assert table["Per 100 sworn officers"].tolist() == [7.0, 5.0, 3.0]
    shown = charts.round_table(table)  # as published
    assert shown["Likely range, low"].tolist() == [2.8, 1.6, 0.6]  # exact intervals: 2.81, 1.62, 0.62
    assert shown["Likely range, high"].tolist() == [14.4, 11.7, 8.8]  # 14.42, 11.67, 8.77


def test_crash_comparison_when_both_years_have_enough(make_agency, tmp_path):
    # Make five crashes the year before (B1, B3, B4 also crash): 5 of 10 against 8 of 20.
    more = [r[:4] + ("Y",) + r[5:] if r[0] in ("B1", "B3", "B4") else r for r in ROWS]
    text = "\n".join(["ID,DATE,REASON,ENDED,CRASH,INJ,KILLED,POLICY,DIST"] + [",".join(r) for r in more]) + "\n"
    sec = open_section(make_agency, tmp_path, "pursuits", PURSUITS, text, "2025Q3", name="more")
    assert pursuits.crash_change_sentence(sec) == ("Over the last 12 months, 40% of pursuits ended in a crash, against 50% "
                                                   "in the 12 months before: within normal variation for a share.")


def test_a_file_of_fatal_crashes_only(make_agency, tmp_path):
    """Like the USA TODAY compilation: every row a crash, no district, review or injuries, no sworn strength."""
    config = {"files": ["data.csv"], "datetime_format": "%Y-%m-%d",
              "columns": {"pursuit_id": "ID", "started_at": "DATE", "reason": "REASON", "crash": {"const": True}, "fatalities": "KILLED"}}
    text = "ID,DATE,REASON,KILLED\n" + "".join(f"{i},2025-0{7 + i % 3}-0{1 + i % 9},speeding,1\n" for i in range(6))
    sec = open_section(make_agency, tmp_path, "pursuits", config, text, "2025Q3", name="fatal")
    assert pursuits.how_ended(sec) is None and pursuits.policy(sec) is None and pursuits.rates(sec) is None
    assert pursuits.harm(sec) is None  # the twelve months are not covered by data that starts in July 2025
    sentences = pursuits.summary(sec)
    assert sentences[2] == "Every pursuit in this data ended in a crash, so the share that crashed is not shown."
    assert sentences[3] == "In these pursuits, 6 people were killed."
    assert pursuits.every_pursuit_crashed(sec) and pursuits.crash_share(sec) is None and pursuits.crash_change_sentence(sec) == ""
    assert pursuits.reasons(sec)["Pursuits"].to_dict() == {"Speeding": 6}  # lower-case labels get a capital
    assert pursuits.year_words(sec) == "July 2025 to September 2025"  # the part of the twelve months the data covers


def test_sentences_read_at_grade_9_or_below(sec, offline_textstat):  # noqa: F811
    assert textstat.flesch_kincaid_grade(" ".join(pursuits.summary(sec))) <= 9


def crash_csv(months: dict[str, tuple[int, int]]) -> str:
    """Pursuits on the first days of each month: ``months`` maps "2025-08" to (crashed, did not crash)."""
    lines = ["ID,DATE,REASON,ENDED,CRASH,INJ,KILLED,POLICY,DIST"]
    for month, (crashed, calm) in months.items():
        for day, crash in enumerate(["Y"] * crashed + ["N"] * calm, start=1):
            lines.append(f"{month}-{day},{month}-{day:02d},{TV},Suspect stopped,{crash},0,0,{IN},North")
    return "\n".join(lines) + "\n"


def test_crash_shares_of_two_quarters_compared_as_shares(make_agency, tmp_path, offline_textstat):  # noqa: F811
    """10 of 10 pursuits crashed against 5 of 10 the quarter before. As shares (Fisher's exact test) that is a change,
    p = 0.033; as two counts over the pursuits (the Poisson test, as before) it was not, p = 0.30."""
    sec = open_section(make_agency, tmp_path, "pursuits", PURSUITS, crash_csv({"2025-05": (5, 5), "2025-08": (10, 0)}),
                       "2025Q3", name="quarters")
    assert fisher_by_hand(10, 10, 5, 10) < 0.05 < poisson_change(10, 5, 10, 10).p_value
    sentences = pursuits.summary(sec)
    assert "Of these pursuits, 10 (100%) ended in a crash." in sentences[2]
    assert sentences[3] == "In the previous quarter the share was 50%: a change in the share larger than normal variation."
    assert textstat.flesch_kincaid_grade(" ".join(sentences)) <= 9
    # 7 of 10 against 5 of 10 is within normal variation for a share.
    assert fisher_by_hand(7, 10, 5, 10) >= 0.05
    sec = open_section(make_agency, tmp_path, "pursuits", PURSUITS, crash_csv({"2025-05": (5, 5), "2025-08": (7, 3)}),
                       "2025Q3", name="closer")
    assert pursuits.summary(sec)[3] == "In the previous quarter the share was 50%: within normal variation for a share."


def test_crash_shares_of_two_years_compared_as_shares(make_agency, tmp_path):
    """The last twelve months' 10 of 10 against 5 of 10 in the twelve months before: a change as shares (p = 0.033),
    where the Poisson test of the counts said it was within normal variation."""
    text = crash_csv({"2023-10": (5, 5), "2024-10": (10, 0)})
    sec = open_section(make_agency, tmp_path, "pursuits", PURSUITS, text, "2025Q3", name="years")
    assert pursuits.crash_share(sec)["Pursuits with a crash"].tolist() == [10, 5]
    assert pursuits.crash_change_sentence(sec) == ("Over the last 12 months, 100% of pursuits ended in a crash, against 50% "
                                                   "in the 12 months before: a change in the share larger than normal variation.")
