"""Public events (shootings by officers): stated exactly wherever the section lists them, suppressed as usual
when the agency sets ``publish_events: false``; and then no total over several quarters gives a hidden
quarter away, however the reader combines two consecutive reports.

The agency below has five shootings in every quarter from 2019Q1 to 2025Q4, except 2022Q4 (two) and
2025Q3 (one). Every shooting is one person, injured, except one death in 2024Q1. Expected figures are
counted by hand or with plain pandas from these rows; the disclosure check solves the published totals
with numpy's rank, independently of the package's rule.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from conftest import agency_config, keyed_agency
from test_section_accountability import open_section

from transparency.building.assemble import _hidden_words
from transparency.building.build import build
from transparency.core.config import load_agency
from transparency.core.errors import ConfigError
from transparency.core.periods import parse_period
from transparency.figures.metrics import compute
from transparency.sections import officer_involved_shootings as ois

OIS = {
    "files": ["data.csv"], "datetime_format": "%Y-%m-%d",
    "columns": {"incident_id": "INC", "occurred_at": "DATE", "subject_outcome": "COND", "district": "DIST"},
}
QUARTERS = [str(q) for q in pd.period_range("2019Q1", "2025Q4", freq="Q")]
COUNTS = {q: {"2022Q4": 2, "2025Q3": 1}.get(q, 5) for q in QUARTERS}
DEATH = "2024Q1"  # the first shooting of this quarter was fatal


def rows() -> list[tuple[str, str, str, str]]:
    out = []
    for quarter in QUARTERS:
        start = pd.Period(quarter, freq="Q").start_time
        for i in range(COUNTS[quarter]):
            day = (start + pd.Timedelta(days=10 + 15 * i)).strftime("%Y-%m-%d")
            out.append((f"{quarter}-{i}", day, "fatal" if quarter == DEATH and i == 0 else "injured", "North"))
    return out


def csv(upto: str = "2025Q4") -> str:
    kept = [r for r in rows() if pd.Period(r[1], freq="Q") <= pd.Period(upto, freq="Q")]
    return "\n".join(["INC,DATE,COND,DIST"] + [",".join(r) for r in kept]) + "\n"


def section(make_agency, tmp_path, period: str, public: bool = True):
    config = dict(OIS) if public else {**OIS, "publish_events": False}
    name = f"{'public' if public else 'private'}-{period}"
    return open_section(make_agency, tmp_path / name, "officer_involved_shootings", config, csv(), period, name=name)


# --- Public: every count of shootings exact, the list published ------------------------------------------


def test_one_shooting_is_stated_exactly_where_the_list_shows_it(make_agency, tmp_path):
    sec = section(make_agency, tmp_path, "2025Q3")
    assert len(ois.incident_list(sec)) == 1 == COUNTS["2025Q3"]
    sentences = ois.summary(sec)
    # 2025Q3: 1 shooting; 2025Q2: 5; 2024Q3: 5.
    assert sentences[0] == "There was 1 shooting by an officer, down 80% from 5 in the previous quarter, within normal variation."
    assert sentences[1] == "That is down 80% from 5 in the same quarter last year, within normal variation."
    assert not any("fewer than" in s for s in sentences)
    # Three years from 2022Q4: 2 + 1 + 10 quarters of 5 = 53; the three years before: 12 quarters of 5 = 60.
    assert sentences[4].startswith("There were 53 shootings by officers in the three years from October 2022 to September 2025, "
                                   "down 11.7% from 60 in the three years before")
    assert sentences[5] == "In 1 of them, a person died."  # the 2024Q1 death: exact, not "fewer than 5"
    # metrics.json and the at-a-glance row: the same exact count.
    assert sec.metrics.values["incidents"] == 1 and "incidents" not in sec.metrics.suppressed
    assert sec.metrics.values["incidents_fatal_last_year"] == 0
    assert _hidden_words(sec.metrics, "incidents", sec.min_count) == {}
    # People are not events: the count of people shot at stays suppressed.
    assert sec.metrics.values["subjects"] is None and sec.metrics.suppressed["subjects"] == "small count"


def test_public_rolling_totals_and_years_are_exact(make_agency, tmp_path):
    sec = section(make_agency, tmp_path, "2025Q3")
    table = ois.rolling(sec, points=8)
    quarterly = pd.Series(COUNTS)
    expected = {q: int(quarterly[QUARTERS[QUARTERS.index(q) - 11]:q].sum()) for q in QUARTERS[QUARTERS.index("2023Q4"):QUARTERS.index("2025Q3") + 1]}
    assert table["Shootings"].to_dict() == expected
    published = ois.table(sec, table, "three_year_totals", "Three-year totals")
    assert published["Shootings"].tolist() == list(expected.values())  # nothing hidden, nothing recounted
    assert ois.by_year(sec)["Shootings"].to_dict() == {"2019": 20, "2020": 20, "2021": 20, "2022": 17, "2023": 20,
                                                        "2024": 20, "2025 (January to September)": 11}


def test_metrics_publish_counts_of_the_public_events_only():
    table = pd.DataFrame({"incident_id": ["A", "B", "B"], "subject_id": ["1", "2", "3"],
                          "occurred_at": pd.to_datetime(["2025-07-02", "2025-08-03", "2025-08-03"]),
                          "subject_outcome": ["fatal", "injured", "injured"]})
    period = parse_period("2025Q3")[0]
    public = compute("officer_involved_shootings", table, period, 5)  # the registry's default: public
    assert (public.values["incidents"], public.values["incidents_fatal"]) == (2, 1)
    assert public.values["subjects"] is None and public.values["subjects_fatal"] is None
    private = compute("officer_involved_shootings", table, period, 5, public_events=False)
    assert private.values["incidents"] is None and private.suppressed["incidents"] == "small count"
    assert _hidden_words(private, "incidents", 5)["value"] == "Fewer than 5"


# --- publish_events: false -------------------------------------------------------------------------------


def test_without_publish_events_there_is_no_list_and_counts_are_suppressed(make_agency, tmp_path):
    sec = section(make_agency, tmp_path, "2025Q3", public=False)
    assert not ois.events_public(sec) and ois.incident_list(sec) is None
    sentences = ois.summary(sec)
    assert sentences[0] == "There were fewer than 5 shootings by officers, compared with 5 in the previous quarter."
    assert sec.metrics.values["incidents"] is None and sec.metrics.suppressed["incidents"] == "small count"
    assert _hidden_words(sec.metrics, "incidents", sec.min_count)["value"] == "Fewer than 5"
    # The three years from 2022Q4 hold 2022Q4 (2) and 2025Q3 (1): the total is not shown.
    assert sentences[4].startswith("The number of shootings by officers in the three years from October 2022 to September 2025 is not shown.")
    assert "53" not in " ".join(sentences)
    assert "does not publish each shooting" in ois.disclosure_note(sec)


def test_publish_events_true_is_refused_for_events_that_are_not_public(make_agency):
    folder = make_agency(agency_config({"pursuits": {"files": ["p.csv"], "columns": {"pursuit_id": "ID", "started_at": "D"},
                                                     "publish_events": True}}), {"p.csv": "ID,D\n1,2025-01-01\n"})
    with pytest.raises(ConfigError, match="publish_events"):
        load_agency(folder)


def _published_windows(sec) -> list[tuple[list[str], int, str]]:
    """Every total over several quarters the section publishes: (its quarters, its value, what it counts)."""
    out = []
    for made, column, kind in ((ois.rolling(sec, points=12), "Shootings", "all"),
                               (ois.rolling_deaths(sec, points=12), "Shootings in which a person died", "fatal")):
        for end, value in (made[column].items() if made is not None else []):
            out.append((QUARTERS[QUARTERS.index(end) - 11:QUARTERS.index(end) + 1], int(value), kind))
    for label, value in ois.by_year(sec)["Shootings"].items():
        year = str(label)[:4]
        inside = [q for q in QUARTERS if q.startswith(year) and pd.Period(q, freq="Q") <= pd.Period(sec.period.code, freq="Q")]
        out.append((inside, int(value), "all"))
    return out


def test_rolling_totals_of_two_consecutive_reports_reveal_no_hidden_quarter(make_agency, tmp_path):
    """A reader holds the 2025Q3 and 2025Q4 reports: every quarterly count they publish (0 or at least 5) and
    every three-year and yearly total. No hidden quarter (2022Q4: 2, 2025Q3: 1, the 2024Q1 death) may follow."""
    published = []
    for period in ("2025Q3", "2025Q4"):
        published += _published_windows(section(make_agency, tmp_path, period, public=False))
    assert any(kind == "all" for _, _, kind in published), "some totals are still published"
    deaths = {q: int(q == DEATH) for q in QUARTERS}
    for kind, quarterly in (("all", COUNTS), ("fatal", deaths)):
        equations = [np.eye(len(QUARTERS))[i] for i, q in enumerate(QUARTERS) if quarterly[q] == 0 or quarterly[q] >= 5]
        for quarters, value, what in published:
            if what == kind:
                assert value == sum(quarterly[q] for q in quarters)
                equations.append(np.isin(QUARTERS, quarters).astype(float))
        known = np.array(equations)
        for i, q in enumerate(QUARTERS):
            if 1 <= quarterly[q] < 5:
                unit = np.eye(len(QUARTERS))[i]
                determined = np.linalg.matrix_rank(np.vstack([known, unit])) == np.linalg.matrix_rank(known)
                assert not determined, f"{q} ({kind}) can be worked out from the published totals"


# --- The built report ------------------------------------------------------------------------------------


def _glance_row(html: str) -> str:
    glance = html.split('id="at-a-glance"', 1)[1].split('class="data-table glance-table"', 1)[1].split("</table>", 1)[0]
    return next(r for r in glance.split("<tr>") if "Officer-involved shootings" in r)


@pytest.mark.parametrize("public", [True, False], ids=["public", "publish_events_false"])
def test_report_states_one_shooting_with_its_list_or_hides_it_without(make_agency, tmp_path, public):
    config = dict(OIS) if public else {**OIS, "publish_events": False}
    folder = make_agency(agency_config({"officer_involved_shootings": config}), {"data.csv": csv("2025Q3")})
    agency = keyed_agency(folder)
    lines: list[str] = []
    assert build(agency, parse_period("2025Q3"), tmp_path, ["officer_involved_shootings"], workers=1,
                 formats=("html",), say=lines.append) == 0, "\n".join(lines)
    out = tmp_path / "reports" / agency.slug / "2025Q3"
    html = (out / "report.html").read_text(encoding="utf-8")
    row = re.sub(r"<[^>]+>", " ", _glance_row(html))
    metrics = json.loads((out / "metrics.json").read_text())["datasets"]["officer_involved_shootings"]
    listed = out / "tables" / "officer_involved_shootings__incident_list.csv"
    if public:
        assert re.search(r"\b1\b", row) and "Fewer than" not in row
        assert "There was 1 shooting by an officer" in html and "fewer than 5 shootings" not in html
        assert len(pd.read_csv(listed)) == 1
        assert metrics["metrics"]["incidents"] == 1
        assert "public event" in html  # the methodology's reason
    else:
        assert "Fewer than 5" in row
        assert "There were fewer than 5 shootings by officers" in html
        assert not listed.exists() and "does not publish a list of each shooting" in html
        assert metrics["metrics"]["incidents"] is None
