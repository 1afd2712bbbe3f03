"""The key questions on page 2: each section's answer and verdict from its own figures and tests, what stands out
anywhere in the report, and the consistency audit over page 2's numbers.

What this guards: verdicts computed by the report's tests agree with plain scipy/pandas computations on small
fixtures; a section can only answer with its own published figures and tables; the audit catches a page-2 number
(a table cell or a point of a small line) that differs from the published CSV; a sample build puts one question per
published dataset on page 2, in the registry's order, with verdicts that agree with metrics.json and the sections.
"""

from __future__ import annotations

import json
import math
import re

import pytest
from conftest import keyed_agency, sample_project
from scipy import stats as scipy_stats
from test_audit import CLEAN_METRICS, COUNTS, RATE_GRID, RATES, _audit, _facts, _publication, _table
from test_section_enforcement import stops_section  # noqa: F401 - a fixture

from transparency.core import registry
from transparency.figures import answers
from transparency.figures.audit import audit_publication
from transparency.figures.stats import proportion_change
from transparency.rendering.render import sentence_html, sparkline
from transparency.writing.analysis import count_change

# --- Verdicts, against plain scipy ---------------------------------------------------------------------------


@pytest.mark.parametrize("current, previous", [(51, 58), (14, 8), (2594, 2743), (1234, 1305), (30, 60), (60, 60)])
def test_a_count_verdict_is_the_exact_poisson_test(current, previous):
    days = (92, 91)
    expected_p = scipy_stats.binomtest(current, current + previous, days[0] / sum(days)).pvalue
    verdict, tone = answers.count_verdict(count_change(current, previous, *days, 5))
    if current == previous:
        assert (verdict, tone) == ("No change", answers.STEADY)
    elif expected_p < 0.05:
        assert (verdict, tone) == ("Up" if current > previous else "Down", answers.CHANGE)
    else:
        assert (verdict, tone) == ("No clear change", answers.STEADY)


def test_a_count_verdict_never_compares_a_hidden_count():
    assert answers.count_verdict(count_change(3, 40, 92, 91, 5)) == ("Too few to compare", answers.UNKNOWN)
    assert answers.count_verdict(count_change(30, None, 92, 91, 5)) == ("No earlier figure", answers.UNKNOWN)


@pytest.mark.parametrize("now, now_total, before, before_total", [(44, 46, 57, 70), (16, 47, 14, 42), (10, 50, 30, 50)])
def test_a_share_verdict_is_fishers_exact_test(now, now_total, before, before_total):
    p = scipy_stats.fisher_exact([[now, now_total - now], [before, before_total - before]]).pvalue
    verdict, _ = answers.share_verdict(proportion_change(now, now_total, before, before_total), "More", "Fewer")
    assert verdict == ("No clear change" if p >= 0.05 else "More" if now / now_total > before / before_total else "Fewer")


def test_gap_verdicts():
    assert answers.gap_verdict(True, 8.2, "Black", "White people") == ("Higher for Black than White people", answers.CHANGE)
    assert answers.gap_verdict(True, -30.4, "Black", "White residents")[0] == "Lower for Black than White residents"
    assert answers.gap_verdict(False, 1.0, "Black", "White people") == ("No clear gap", answers.STEADY)
    assert answers.gap_verdict(None, None, "Black", "White people")[1] == answers.UNKNOWN


def test_missing_months_tells_an_extract_that_stops_from_a_periodic_survey():
    assert answers.missing_months([900, 850, 0], [880, 870, 860]) == 1  # daily records stop in August
    assert answers.missing_months([900, 0, 0], [880, 870, 860]) == 2
    assert answers.missing_months([0, 1632, 0], [0, 1708, 0]) == 0  # a survey in the middle month, every year
    assert answers.missing_months([2, 1, 0], [3, 2, 1]) == 0  # rare events: an empty month means nothing
    assert answers.missing_months([5, 6, 7], [5, 6, 7]) == 0


def test_unusual_changes_are_the_counts_beyond_normal_variation_most_certain_first():
    datasets = {"citations": {"metrics": {"citations": 2594, "citations_prior": 2900, "median_x": 3.5}},
                "pursuits": {"metrics": {"pursuits": 14, "pursuits_prior": 8, "attendees": 900, "attendees_prior": 500}},
                "calls_for_service": {"metrics": {"calls": 18300, "calls_prior": 17074, "median_response_minutes": 17.1,
                                                  "median_response_minutes_prior": 9.0}}}
    found = answers.unusual_changes(datasets, 92, 91, skip={"attendees"})
    expected = []
    for dataset, name, now, before in (("citations", "citations", 2594, 2900), ("pursuits", "pursuits", 14, 8),
                                       ("calls_for_service", "calls", 18300, 17074)):
        p = scipy_stats.binomtest(now, now + before, 92 / 183).pvalue
        if p < 0.05:
            expected.append((p, dataset, name))
    assert [(f["dataset"], f["name"]) for f in found] == [(d, n) for _, d, n in sorted(expected)]
    assert all(math.isclose(f["p_value"], p, rel_tol=1e-6) for f, (p, _, _) in zip(found, sorted(expected)))


def test_the_coverage_answer_names_what_is_missing_and_partial():
    made = answers.coverage_answer([("Training", "the section could not be produced")],
                                   [("Stops", "records end on August 3, 2026")], ["Pursuits"], "this quarter")
    assert made.verdict == "2 missing or partial"
    assert made.text == ("Missing this quarter: Training (the section could not be produced). Partial this quarter: Stops "
                         "(records end on August 3, 2026). The department does not publish data on pursuits, so this report "
                         "has no section on them.")
    assert answers.coverage_answer([], [], [], "this quarter").verdict == "None missing"


# --- What page 2 draws ------------------------------------------------------------------------------------------


def test_a_sentence_marks_every_number_and_escapes_text():
    parts = ["<b>", answers.figure("stops", "stops", 863, "863"), " and ",
             answers.cell("stops", "search_rates", "Black", "Search rate (%)", 20.0, "20%"), "."]
    markup = str(sentence_html(parts))
    assert markup.startswith("&lt;b&gt;")
    assert '<span class="figure" data-figure="stops:stops" data-value="863">863</span>' in markup
    assert 'data-table="tables/stops__search_rates.csv" data-row="Black" data-column="Search rate (%)" data-value="20.0"' in markup


def test_a_small_line_lists_every_point_and_breaks_where_one_is_hidden():
    src, alt = sparkline([["2026Q1", 1204], ["2026Q2", None], ["2026Q3", 17.15]], "Calls per quarter")
    assert alt == "Calls per quarter: 2026Q1 1,204; 2026Q2 not shown; 2026Q3 17.2."
    import base64

    svg = base64.b64decode(src.split(",", 1)[1]).decode()
    assert "<polyline" not in svg and svg.count("<circle") == 3  # two single points and the last point's dot


# --- A section's answer, on a small fixture, against an independent computation -------------------------------------


def test_the_stops_answer_is_the_search_gap_with_its_interval(stops_section):  # noqa: F811 - the fixture
    from statsmodels.stats.proportion import confint_proportions_2indep

    from transparency.sections import stops

    sec, frame = stops_section
    trend = sec.table(stops.trend(sec), "trend", "Stops", figures=sec.period_figures(stops.TREND_FIGURES))
    searches = stops.publish(sec, stops.search_rates(sec), "search_rates", "Search rate by race", count_columns=["Stops", "Searches"],
                             rates=stops.rate_depends("Search rate (%)"), ratio=stops.RATIO, figures=stops.SEARCH_FIGURES)
    made = stops.key_answer(sec, trend, searches, None)
    # By hand: Black 60 of 300 searched (20%), White 40 of 400 (10%); pooled z-test and Newcombe's interval.
    pooled = 100 / 700
    z = (60 / 300 - 40 / 400) / math.sqrt(pooled * (1 - pooled) * (1 / 300 + 1 / 400))
    assert 2 * scipy_stats.norm.sf(abs(z)) < 0.05
    low, high = confint_proportions_2indep(60, 300, 40, 400, method="newcombe", compare="diff")
    assert made.verdict == "Higher for Black than White people" and made.tone == answers.CHANGE
    assert made.text.startswith("This quarter, Black people stopped were searched in 20% of their stops, against 10% for "
                                f"White people (the gap of 10 points is likely between {100 * low:.1f} and {100 * high:.1f} points")
    cells = [p for p in made.parts if isinstance(p, dict)]
    assert [(c["table"], c["row"], c["value"]) for c in cells] == [
        ("tables/stops__search_rates.csv", "Black", 20.0), ("tables/stops__search_rates.csv", "White", 10.0)]
    assert [f.kind for f in made.findings][:1] == ["disparity"]
    # the small line is the published trend
    assert made.trend["points"][-1] == ["2025Q3", len(frame[frame["WHEN"].str.startswith(("2025-07", "2025-08", "2025-09"))])]
    sec.answer(made)
    assert sec.key_answer["verdict"] == made.verdict


def test_the_stops_count_answer_is_the_summarys_comparison(stops_section):  # noqa: F811 - the fixture
    from transparency.sections import _common

    sec, frame = stops_section
    now = int(frame["WHEN"].str.startswith(("2025-07", "2025-08", "2025-09")).sum())
    before = int(frame["WHEN"].str.startswith(("2025-04", "2025-05", "2025-06")).sum())
    made = _common.count_answer(sec, "Are stops going up or down?", "stops", "stops", singular="stop")
    p = scipy_stats.binomtest(now, now + before, 92 / (92 + 91)).pvalue
    assert made.verdict == ("Up" if p < 0.05 else "No clear change")
    assert made.text.startswith(f"{now:,} stops this quarter, up {100 * (now - before) / before:.1f}% from {before:,} in the "
                                "previous quarter")
    assert [p["figure"] for p in made.parts if isinstance(p, dict)] == ["stops:stops", "stops:stops_prior"]


def test_an_answer_may_show_only_the_sections_own_figures_and_tables(stops_section):  # noqa: F811 - the fixture
    sec, _ = stops_section
    with pytest.raises(ValueError, match="is not a figure of this section"):
        sec.answer(answers.Answer("stops", "Q?", "Up", answers.CHANGE, [answers.figure("stops", "arrests", 3, "3")]))
    with pytest.raises(ValueError, match="but it is"):
        sec.answer(answers.Answer("stops", "Q?", "Up", answers.CHANGE, [answers.figure("stops", "stops", 1, "1")]))
    with pytest.raises(ValueError, match="has not published"):
        sec.answer(answers.Answer("stops", "Q?", "Up", answers.CHANGE,
                                  [answers.cell("stops", "search_rates", "Black", "Search rate (%)", 20.0, "20%")]))


# --- The audit covers page 2 --------------------------------------------------------------------------------------


def _page_two(cell_value: str, points: str) -> str:
    return (f'<span data-figure="stops:searches" data-value="121">121</span>'
            f'<span data-table="tables/stops__rates.csv" data-row="Black" data-column="Searches" data-value="{cell_value}">x</span>'
            f'<img alt="" data-table="tables/stops__rates.csv" data-column="Searches" data-points="{points}">')


def test_page_two_cells_and_small_lines_that_agree_with_their_tables_pass(tmp_path):
    facts = _facts([_table("rates", **RATE_GRID)], COUNTS)
    folder = _publication(tmp_path, metrics=CLEAN_METRICS, tables={"stops__rates.csv": RATES}, facts=facts,
                          html=_page_two("60", "White=40;Black=60;Hispanic=12"))
    result = _audit(folder, facts)
    assert result.passed, result.findings
    assert result.cells == 4 + 4


def test_a_planted_mismatch_on_page_two_is_caught(tmp_path):
    facts = _facts([_table("rates", **RATE_GRID)], COUNTS)
    folder = _publication(tmp_path, metrics=CLEAN_METRICS, tables={"stops__rates.csv": RATES}, facts=facts,
                          html=_page_two("61", "White=40;Black=;Hispanic=12;Asian=3")
                          + '<span data-table="tables/stops__gone.csv" data-row="Black" data-column="Searches" data-value="1">1</span>')
    found = {(f.kind, f.where, f.message) for f in _audit(folder, facts).findings}
    assert found == {
        ("inconsistent", "report.html tables/stops__rates.csv ['Black', 'Searches']", "shows 61, the table 60.0"),
        ("inconsistent", "report.html tables/stops__rates.csv ['Black', 'Searches']", "shows nothing, the table 60.0"),
        ("inconsistent", "report.html tables/stops__rates.csv ['Asian', 'Searches']", "names no cell of the table"),
        ("inconsistent", "report.html tables/stops__gone.csv ['Black', 'Searches']", "names no published table"),
    }


# --- Page 2 of a small build of the sample ---------------------------------------------------------------------------

PERIOD = "2026Q2"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from transparency.building.build import build
    from transparency.core.periods import parse_period

    root = tmp_path_factory.mktemp("page-two")
    agency = keyed_agency(sample_project(root, through=PERIOD, years=3, scale=0.3))
    datasets = ["use_of_force", "complaints", "stops", "pursuits", "calls_for_service", "community_surveys"]
    code = build(agency, parse_period(PERIOD), root, datasets, workers=2, say=lambda line: None)
    folder = root / "reports" / "sample" / PERIOD
    return {"code": code, "folder": folder, "datasets": datasets, "agency": agency}


def _articles(html: str) -> list[str]:
    return re.findall(r'<article class="key-question[^"]*"(.*?)</article>', html, re.S)


def test_page_two_answers_a_question_per_dataset_in_order_before_any_table(built):
    assert built["code"] == 0
    html = (built["folder"] / "report.html").read_text(encoding="utf-8")
    glance = html.split('id="at-a-glance"', 1)[1].split('id="contents"', 1)[0]
    assert glance.index('class="key-questions"') < glance.index("<table")
    assert glance.index('class="findings"') < glance.index("<table")
    found = [re.search(r'data-dataset="(\w+)"', a).group(1) if "data-dataset" in a else None for a in _articles(glance)]
    expected = [d for d in registry.datasets() if d in built["datasets"]]
    assert found == [*expected, None]  # and last, which datasets are missing or partial
    manifest = json.loads((built["folder"] / "manifest.json").read_text())
    assert manifest["audit"]["passed"] and manifest["audit"]["cells"] > 0


def test_page_two_verdicts_agree_with_metrics_json_and_the_sections(built):
    from transparency.core.periods import parse_period

    period = parse_period(PERIOD)[0]
    html = (built["folder"] / "report.html").read_text(encoding="utf-8")
    metrics = json.loads((built["folder"] / "metrics.json").read_text())["datasets"]
    verdicts = {re.search(r'data-dataset="(\w+)"', a).group(1): re.search(r"<strong>(.*?)</strong>", a).group(1)
                for a in _articles(html) if "data-dataset" in a}
    for dataset, name in (("use_of_force", "incidents"), ("pursuits", "pursuits")):
        now, before = metrics[dataset]["metrics"][name], metrics[dataset]["metrics"][f"{name}_prior"]
        p = scipy_stats.binomtest(now, now + before, period.days / (period.days + period.previous().days)).pvalue
        expected = "No change" if now == before else ("Up" if now > before else "Down") if p < 0.05 else "No clear change"
        assert verdicts[dataset] == expected
        section = (built["folder"] / f"{dataset}.html").read_text(encoding="utf-8")
        said = "a change larger than normal variation" if expected in ("Up", "Down") else "within normal variation"
        assert f"from {before:,} in the previous quarter, {said}" in section  # the section's summary: the same test
    stops_csv = (built["folder"] / "tables" / "stops__search_rates.csv").read_text().splitlines()
    rows = {line.split(",")[0]: line.split(",") for line in stops_csv[1:]}
    header = stops_csv[0].split(",")
    black, white = (rows[r] for r in ("Black", "White"))
    k1, n1 = int(black[header.index("Searches")]), int(black[header.index("Stops")])
    k2, n2 = int(white[header.index("Searches")]), int(white[header.index("Stops")])
    pooled = (k1 + k2) / (n1 + n2)
    z = (k1 / n1 - k2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    beyond = 2 * scipy_stats.norm.sf(abs(z)) < 0.05
    assert verdicts["stops"] == (("Higher" if k1 / n1 > k2 / n2 else "Lower") + " for Black than White people"
                                 if beyond else "No clear gap")


def test_a_planted_mismatch_in_a_page_two_figure_is_caught(built):
    folder = built["folder"]
    page = folder / "report.html"
    html = page.read_text(encoding="utf-8")
    mark = re.search(r'data-figure="use_of_force:incidents" data-value="(\d+)"', html)
    planted = html.replace(mark.group(0), f'data-figure="use_of_force:incidents" data-value="{int(mark.group(1)) + 1}"', 1)
    cell = re.search(r'data-table="([^"]+)" data-row="([^"]+)" data-column="([^"]+)" data-value="([\d.]+)"', planted)
    planted = planted.replace(cell.group(0), cell.group(0)[: -len(cell.group(4)) - 1] + f'{float(cell.group(4)) + 1}"', 1)
    wheres = {"report.html use_of_force:incidents", f"report.html {cell.group(1)} [{cell.group(2)!r}, {cell.group(3)!r}]"}
    # The sections' private facts are not published; the marks are checked against metrics.json and tables/ alone.
    assert not wheres & {f.where for f in audit_publication(folder, {}, built["agency"].min_count).findings}
    try:
        page.write_text(planted, encoding="utf-8")
        findings = audit_publication(folder, {}, built["agency"].min_count).findings
    finally:
        page.write_text(html, encoding="utf-8")
    assert wheres <= {f.where for f in findings}
