"""One source of truth: each figure computed once, suppressed once, and the same in every output.

What this guards: the consistency audit (transparency.figures.audit) catches every kind of planted problem (a
figure with two values, a count from 1 to min_count - 1, a hidden count shown elsewhere, a hidden count
worked out by combining outputs, a table written behind the section's back) and passes a clean
publication; suppression takes cells another output hides (``suppress_table(hide=)``,
``metrics.compute(hide=)``); a section whose table hides a headline figure asks for another pass and
then hides it everywhere; the build publishes the section's own figures (metrics.json agrees with the
tables, including allegations received long before the quarter and closed in it), hides a small
``rows_in_period``, and refuses to publish when the audit fails.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO, keyed_agency, sample_project
from test_section_enforcement import STOPS_CONFIG, open_section, stops_csv

from transparency.building.build import AuditError, build, build_period
from transparency.core import fmt
from transparency.core.periods import parse_period
from transparency.figures.audit import audit_publication
from transparency.figures.metrics import compute
from transparency.figures.suppress import suppress_table
from transparency.tables.cache import load_cached

MIN = 5


# --- Suppression that takes what another output hides ----------------------------------------------------


def test_a_cell_hidden_elsewhere_is_hidden_and_protected():
    table = pd.DataFrame({"Searches": [40, 60, 12, 9]}, index=["White", "Black", "Hispanic", "Other"])
    hide = pd.DataFrame({"Searches": [False, False, False, True]}, index=table.index)
    published = suppress_table(table, min_count=MIN, hide=hide)
    # Other is hidden though 9 is not small, and the smallest other cell is hidden with it (the column's
    # total is known), so 9 cannot be worked out by subtraction.
    assert published.table["Searches"].isna().tolist() == [False, False, True, True]
    assert {(e["row"], e["reason"]) for e in published.log} == {("Other", "complementary"), ("Hispanic", "complementary")}


def test_a_cell_another_output_publishes_is_hidden_as_a_complement_only_when_nothing_else_will_do():
    """A trend: the previous quarter (2) is small; its complement is not this quarter (6, the smallest, which
    the summary and metrics.json publish) but the next smallest quarter nobody else shows."""
    table = pd.DataFrame({"Incidents": [9, 12, 2, 6]}, index=["2025Q4", "2026Q1", "2026Q2", "2026Q3"])
    keep = pd.DataFrame({"Incidents": [False, False, True, True]}, index=table.index)
    assert suppress_table(table, min_count=MIN).table["Incidents"].isna().tolist() == [False, False, True, True]
    published = suppress_table(table, min_count=MIN, keep=keep)
    assert published.table["Incidents"].isna().tolist() == [True, False, True, False]
    only = pd.DataFrame({"Incidents": [2, 6]}, index=["2026Q2", "2026Q3"])
    kept = pd.DataFrame({"Incidents": [True, True]}, index=only.index)
    assert suppress_table(only, min_count=MIN, keep=kept).table["Incidents"].isna().all()  # no other choice


def test_a_trend_of_different_measures_is_protected_column_by_column():
    """Officers assaulted, incidents and officers injured per quarter: a row's cells add up to nothing a reader
    knows, so a small count of injured officers is protected within its column, not by hiding the quarter's
    incidents (which the summary states) as it was when every row was assumed to have a known total."""
    table = pd.DataFrame({"Officers assaulted": [12, 10, 7], "Incidents": [9, 8, 6], "Officers injured": [6, 5, 4]},
                         index=["2026Q1", "2026Q2", "2026Q3"])
    as_cross_table = suppress_table(table, min_count=MIN)
    assert as_cross_table.mask.loc["2026Q3"].sum() >= 2  # the row rule hid a second cell of the quarter
    published = suppress_table(table, min_count=MIN, rows_add_up=False)
    assert published.mask.loc["2026Q3"].tolist() == [False, False, True]
    assert published.mask["Officers injured"].tolist() == [False, True, True]  # the column's complement
    with pytest.raises(ValueError, match="row total"):
        suppress_table(table, min_count=MIN, rows_add_up=False, row_total="Total")


def test_metrics_hide_what_a_table_hides_and_protect_it():
    rows = [{"occurred_at": pd.Timestamp("2025-08-01"), "stop_id": f"s{i}", "stop_type": "traffic",
             "subject_race": race, "search_conducted": i < searched}
            for race, n, searched in (("White", 100, 40), ("Black", 80, 60), ("Hispanic", 50, 12), ("Other", 30, 9))
            for i in range(n)]
    table = pd.DataFrame(rows)
    period = parse_period("2025Q3")[0]
    plain = compute("stops", table, period, MIN)
    assert plain.values["searches__other"] == 9 and "searches__other" not in plain.suppressed
    hidden = compute("stops", table, period, MIN, hide={"searches__other"})
    assert hidden.values["searches__other"] is None and hidden.suppressed["searches__other"] == "complementary"
    # its complement: the smallest other published search count of the breakdown
    assert hidden.values["searches__hispanic"] is None and hidden.suppressed["searches__hispanic"] == "complementary"
    assert hidden.values["searches"] == 121 and hidden.values["searches__white"] == 40


# --- The audit, on hand-made publications --------------------------------------------------------------------


def _publication(tmp_path: Path, *, metrics: dict, tables: dict[str, str], facts: dict, rows_in_period: int = 100,
                 html: str | None = None) -> Path:
    folder = tmp_path / "pub"
    (folder / "tables").mkdir(parents=True)
    entry = {"status": "ok", "rows_read": 1000, "rows_in_period": rows_in_period, "rows_excluded": {},
             "metrics": metrics, "suppressed": {k: r for k, r in facts.get("_suppressed", {}).items()}}
    (folder / "metrics.json").write_text(json.dumps({"datasets": {"stops": entry}}))
    for name, text in tables.items():
        (folder / "tables" / name).write_text(text)
    if html is not None:
        (folder / "report.html").write_text(html)
    return folder


def _facts(tables: list[dict], counts: list[str], suppressed: dict[str, str] | None = None) -> dict:
    return {"tables": tables, "metrics": {"counts": counts}, "_suppressed": suppressed or {}}


def _table(name: str, rows: list[str], columns: list[str], counts: list[list[int]], reasons: list[list[str]],
           figures: dict | None = None) -> dict:
    return {"name": name, "file": f"tables/stops__{name}.csv", "figures": figures or {},
            "grid": {"rows": rows, "columns": columns, "counts": counts, "reasons": reasons}}


def _audit(folder: Path, facts: dict):
    return audit_publication(folder, {"stops": {k: v for k, v in facts.items() if not k.startswith("_")}}, MIN)


CLEAN_METRICS = {"searches": 121, "searches__white": 40, "searches__black": 60, "searches__hispanic": 12,
                 "searches__other": 9}
COUNTS = list(CLEAN_METRICS)
RATES = "Race,Searches\nWhite,40\nBlack,60\nHispanic,12\nOther,9\n"
RATE_GRID = dict(rows=["White", "Black", "Hispanic", "Other"], columns=["Searches"], counts=[[40], [60], [12], [9]],
                 reasons=[[""], [""], [""], [""]], figures={f"searches__{r.lower()}": [r, "Searches"]
                                                             for r in ["White", "Black", "Hispanic", "Other"]})


def test_a_clean_publication_passes(tmp_path):
    facts = _facts([_table("rates", **RATE_GRID)], COUNTS)
    folder = _publication(tmp_path, metrics=CLEAN_METRICS, tables={"stops__rates.csv": RATES}, facts=facts,
                          html='<td data-figure="stops:searches" data-value="121">121</td>')
    result = _audit(folder, facts)
    assert result.passed, result.findings
    assert result.figures == 5 and result.cells == 4
    assert "passed" in result.summary()


def test_a_cell_that_differs_from_metrics_json_is_caught(tmp_path):
    facts = _facts([_table("rates", **RATE_GRID)], COUNTS)
    folder = _publication(tmp_path, metrics={**CLEAN_METRICS, "searches__black": 61},
                          tables={"stops__rates.csv": RATES}, facts=facts)
    (finding,) = _audit(folder, facts).findings
    assert finding.kind == "inconsistent" and "'Black'" in finding.where and "searches__black is 61" in finding.message


def test_a_figure_hidden_in_metrics_but_shown_in_a_table_is_caught(tmp_path):
    """The sample's stops, before: metrics.json hid searches__other as complementary, the table showed it."""
    facts = _facts([_table("rates", **RATE_GRID)], COUNTS, {"searches__other": "complementary", "searches__hispanic": "complementary"})
    metrics = {**CLEAN_METRICS, "searches__other": None, "searches__hispanic": None}
    folder = _publication(tmp_path, metrics=metrics, tables={"stops__rates.csv": RATES}, facts=facts)
    kinds = {(f.kind, f.where.split("row ")[1].split(",")[0]) for f in _audit(folder, facts).findings}
    assert kinds == {("recoverable", "'Other'"), ("recoverable", "'Hispanic'")}


def test_small_counts_in_a_table_in_metrics_json_and_rows_in_period_are_caught(tmp_path):
    grid = {**RATE_GRID, "counts": [[40], [60], [12], [3]]}
    facts = _facts([_table("rates", **grid)], COUNTS)
    metrics = {**CLEAN_METRICS, "searches__other": 3, "searches": 115}
    folder = _publication(tmp_path, metrics=metrics, tables={"stops__rates.csv": RATES.replace("Other,9", "Other,3")},
                          facts=facts, rows_in_period=2)
    found = {(f.kind, f.where) for f in _audit(folder, facts).findings}
    assert found == {("small count", "metrics.json stops.searches__other"), ("small count", "metrics.json stops.rows_in_period"),
                     ("small count", "tables/stops__rates.csv row 'Other', column 'Searches'")}


def test_a_hidden_count_worked_out_from_two_outputs_together_is_caught(tmp_path):
    """Each output is safe alone; together they give the small count away.

    A table by race and district hides all six cells (Asian North is 3, a small count; the others are its
    complements), so alone no cell can be worked out from its row and column totals. metrics.json then
    publishes the Asian South cell as a headline figure: the Asian row's total (10) minus 7 gives 3.
    """
    table = _table("by_district", rows=["White", "Asian", "Black"], columns=["North", "South"],
                   counts=[[20, 30], [3, 7], [25, 6]],
                   reasons=[["", ""], ["small count", "complementary"], ["complementary", "complementary"]])
    # Alone: row Asian (3 + 7 = 10 known) has two unknowns, column North (20 + 3 + 25) has two, etc.
    table["grid"]["reasons"][0] = ["complementary", "complementary"]
    text = "Race,North,South\nWhite,,\nAsian,,\nBlack,,\n"
    alone = _facts([table], [])
    folder = _publication(tmp_path, metrics={}, tables={"stops__by_district.csv": text}, facts=alone)
    assert _audit(folder, alone).passed
    # Together with metrics.json publishing the South cell of the Asian row (linked as one figure):
    table["figures"] = {"searches__south": ["Asian", "South"]}
    linked = _facts([table], ["searches__south"])
    folder2 = _publication(tmp_path / "two", metrics={"searches__south": 7}, tables={"stops__by_district.csv": text},
                           facts=linked)
    findings = _audit(folder2, linked).findings
    assert any(f.kind == "recoverable" and "hides searches__south" in f.message for f in findings)
    assert any(f.kind == "recoverable" and "stops:by_district[1,0]" in f.where for f in findings)


def test_a_marked_figure_that_differs_and_a_table_written_behind_the_section_are_caught(tmp_path):
    facts = _facts([_table("rates", **RATE_GRID)], COUNTS)
    folder = _publication(tmp_path, metrics=CLEAN_METRICS,
                          tables={"stops__rates.csv": RATES, "stops__extra.csv": "Race,Searches\nAsian,2\n"}, facts=facts,
                          html='<td data-figure="stops:searches" data-value="120">120</td>'
                               '<td data-figure="stops:nothing" data-value="1">1</td>')
    found = {(f.kind, f.where) for f in _audit(folder, facts).findings}
    assert found == {("inconsistent", "report.html stops:searches"), ("inconsistent", "report.html stops:nothing"),
                     ("inconsistent", "tables/stops__extra.csv")}


def test_counts_about_people_in_the_manifest_and_rows_excluded_are_caught(tmp_path):
    facts = _facts([_table("rates", **RATE_GRID)], COUNTS)
    folder = _publication(tmp_path, metrics=CLEAN_METRICS, tables={"stops__rates.csv": RATES}, facts=facts)
    metrics = json.loads((folder / "metrics.json").read_text())
    metrics["datasets"]["stops"]["rows_excluded"] = {"duplicate_row": 2, "out_of_scope_subject_race": 3}
    (folder / "metrics.json").write_text(json.dumps(metrics))
    manifest = {"datasets": {"stops": {
        "inputs": [{"path": "s.csv", "rows_excluded": {"blank_row": 1, "missing_subject_sex": 4}}],
        "unmapped": {"subject_race": {"X": 3, "Z": None, "Q": 12}},
        "issues": {"subject_age: out of range": 2, "district: not recorded": 1},
    }}}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    found = {f.where for f in _audit(folder, facts).findings}
    # Records kept badly (a duplicate, a blank row, a district) are about records, not people: shown exactly.
    assert found == {"metrics.json stops.rows_excluded.out_of_scope_subject_race",
                     "manifest.json stops inputs s.csv rows_excluded.missing_subject_sex",
                     "manifest.json stops unmapped subject_race", "manifest.json stops issues subject_age: out of range"}


def _chart_page(alt: str, labels: list[str], rows: dict[str, list[str]]) -> str:
    import base64

    texts = "".join(f"<text>{label}</text>" for label in labels)
    svg = f'<svg xmlns="http://www.w3.org/2000/svg"><g id="xtick_1"><text>2025</text></g>{texts}</svg>'
    body = "".join(f'<tr><th scope="row">{label}</th>' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"
                   for label, cells in rows.items())
    src = base64.b64encode(svg.encode()).decode()
    return f'<table><tr><th scope="col">Race</th><th scope="col">Rate</th></tr>{body}</table>' \
           f'<img src="data:image/svg+xml;base64,{src}" alt="{alt}">'


def test_a_chart_that_differs_from_its_table_is_caught():
    from transparency.figures.audit import audit_charts

    rows = {"White": ["5.3"], "Hispanic": ["11.5"], "Asian": ["—"]}
    good = _chart_page("Dot chart of stops per 1,000 residents: White 5.3; Hispanic 11.5; Asian not shown.", ["5.3", "11.5"], rows)
    assert audit_charts("stops", good) == (1, [])
    # The case: the chart rounded 11.45 again and drew 11.4 beside the table's 11.5.
    rounded_twice = _chart_page("Dot chart of stops per 1,000 residents: White 5.3; Hispanic 11.4; Asian not shown.",
                                ["5.3", "11.4"], rows)
    checked, findings = audit_charts("stops", rounded_twice)
    assert checked == 1 and [f.kind for f in findings] == ["inconsistent"] and "Hispanic 11.4" in findings[0].message
    drawn_not_listed = _chart_page("Dot chart of stops per 1,000 residents: White 5.3; Hispanic 11.5; Asian not shown.",
                                   ["5.3", "11.5", "7"], rows)
    assert [f.message for f in audit_charts("stops", drawn_not_listed)[1]] == ["draws 7, which its alt text does not list"]
    shown_hidden = _chart_page("Dot chart of stops per 1,000 residents: White 5.3; Hispanic 11.5; Asian not shown.",
                               ["5.3", "11.5"], {**rows, "Asian": ["2.0"]})
    assert "Asian is not shown" in audit_charts("stops", shown_hidden)[1][0].message


# --- One decision inside a section ---------------------------------------------------------------------------------


def test_a_table_that_hides_a_headline_figure_hides_it_everywhere_on_the_next_pass(make_agency, tmp_path):
    text, _ = stops_csv()
    sec = open_section(make_agency, "stops", STOPS_CONFIG, {"stops.csv": text}, tmp_path)
    assert sec.value("searches__other") == 6
    frame = pd.DataFrame({"Searches": [sec.figure(f"searches__{r}") for r in ("white", "black", "hispanic", "other")] + [2]},
                         index=["White", "Black", "Hispanic", "Other", "Not linked"])
    shown = sec.table(frame, "planted", "Searches", figures={"Searches": "searches__{row}"})
    assert pd.isna(shown.loc["Other", "Searches"])  # the complement of the small unlinked row
    facts = json.loads(sec.save().read_text())
    assert facts["rerun"] == ["searches__other"]
    assert facts["tables"][0]["figures"]["searches__other"] == ["Other", "Searches"]
    again = open_section(make_agency, "stops", STOPS_CONFIG, {"stops.csv": text}, tmp_path)
    assert again.value("searches__other") is None and again.metrics.suppressed["searches__other"] == "complementary"
    shown = again.table(frame, "planted", "Searches", figures={"Searches": "searches__{row}"})
    assert pd.isna(shown.loc["Other", "Searches"])
    assert json.loads(again.save().read_text())["rerun"] == []


def test_a_sentence_may_not_show_a_headline_count_hidden_as_a_complement(make_agency, tmp_path):
    """A trend table that had to hide this quarter's count (its only complement) hides it in metrics.json too;
    a summary sentence that printed it would undo that, so the section refuses to save."""
    from transparency.core import fmt

    text, frame = stops_csv()
    (tmp_path / "out" / "sections").mkdir(parents=True)
    (tmp_path / "out" / "sections" / "stops.hidden.json").write_text(json.dumps(["stops"]))
    sec = open_section(make_agency, "stops", STOPS_CONFIG, {"stops.csv": text}, tmp_path)
    assert sec.value("stops") is None and sec.metrics.suppressed["stops"] == "complementary"
    in_quarter = int(frame["WHEN"].str.startswith(("2025-07", "2025-08", "2025-09")).sum())
    sec.say("Officers searched some of the people they stopped.")
    sec.save()  # nothing shows the hidden count
    sec.say(f"There were {fmt.count(in_quarter)} stops.")
    with pytest.raises(ValueError, match=f"shows {fmt.count(in_quarter)}, the value of stops"):
        sec.save()


def test_a_linked_cell_must_be_the_figure_itself(make_agency, tmp_path):
    text, _ = stops_csv()
    sec = open_section(make_agency, "stops", STOPS_CONFIG, {"stops.csv": text}, tmp_path)
    frame = pd.DataFrame({"Searches": [sec.figure("searches__white") + 1]}, index=["White"])
    with pytest.raises(ValueError, match="searches__white"):
        sec.table(frame, "wrong", "Searches", figures={"Searches": "searches__{row}"})


# --- The build --------------------------------------------------------------------------------------------------------

PERIOD = "2026Q2"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    agency = keyed_agency(sample_project(root, through=PERIOD, years=4, scale=0.5))
    lines: list[str] = []
    code = build(agency, parse_period(PERIOD), root, ["use_of_force", "complaints", "stops", "pursuits"], workers=2,
                 say=lines.append)
    return {"root": root, "agency": agency, "out": root / "reports" / "sample" / PERIOD, "code": code, "lines": lines}


def test_metrics_json_and_the_time_to_close_table_are_one_computation(built):
    """Before, the build counted closings in a window of receipt dates: an allegation received long before the
    quarter and closed in it fell out, so metrics.json said fewer closings than the table."""
    assert built["code"] == 0, "\n".join(built["lines"])
    metrics = json.loads((built["out"] / "metrics.json").read_text())["datasets"]["complaints"]["metrics"]
    table = pd.read_csv(built["out"] / "tables" / "complaints__time_to_close.csv").set_index("Period")
    comp = load_cached(built["agency"], "complaints").table
    period = parse_period(PERIOD)[0]
    for suffix, when in (("", period), ("_prior", period.previous()), ("_last_year", period.year_earlier())):
        closed = comp[(comp["closed_at"] >= pd.Timestamp(when.start)) & (comp["closed_at"] < pd.Timestamp(when.end))]
        received_before = closed[closed["received_at"] < pd.Timestamp(when.previous().start)]
        row = table.loc[[label for label in table.index if when.code in label][0]]
        assert metrics[f"allegations_closed{suffix}"] == len(closed) == row["Allegations closed"]
        days = (closed["closed_at"] - closed["received_at"]).dt.total_seconds() / 86400
        assert metrics[f"median_days_to_close{suffix}"] == fmt.rounded(float(days[days >= 0].median()), 1) == row["Median days"]
        assert len(received_before) > 0  # the case the old window lost


def test_linked_cells_and_metrics_json_hide_alike_and_the_audit_ran(built):
    out = built["out"]
    metrics = json.loads((out / "metrics.json").read_text())["datasets"]["stops"]
    rates = pd.read_csv(out / "tables" / "stops__search_rates.csv").set_index("Race")
    for race, row in rates.iterrows():
        name = f"searches__{race.lower().replace(' ', '_')}"
        assert pd.isna(row["Searches"]) == (metrics["metrics"][name] is None), race
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["audit"]["passed"] and manifest["audit"]["cells"] > 0 and manifest["audit"]["charts"] > 0


def test_the_manifest_publishes_the_accounts_as_the_appendix_does(built):
    """Before, manifest.json published every unmatched value with its count (an unmapped race "X": 3)."""
    manifest = json.loads((built["out"] / "manifest.json").read_text())
    small = 0
    for dataset, entry in manifest["datasets"].items():
        for values in (entry.get("unmapped") or {}).values():
            assert all(n is None or n >= MIN for n in values.values()), dataset
        loaded = load_cached(built["agency"], dataset)
        raw = {name: n for values in loaded.unmapped.values() for name, n in values.items()}
        if any(1 <= n < MIN for n in raw.values()):
            small += 1
            assert any(n is None for values in entry["unmapped"].values() for n in values.values())
        for account, exact in zip(entry["inputs"], loaded.files):
            assert account["rows_read"] == exact.rows_read  # records read are always shown
            if account["rows_used"] is not None:
                assert account["rows_used"] == exact.rows_used
    assert small, "the sample plants an unmatched race code in 3 use-of-force records"


def test_rows_in_period_is_hidden_when_small(built):
    """Pursuits in the sample's quarter can be few: rows_in_period follows the rule like every count."""
    metrics = json.loads((built["out"] / "metrics.json").read_text())["datasets"]
    for dataset, entry in metrics.items():
        rows = entry["rows_in_period"]
        assert rows is None or rows == 0 or rows >= MIN, dataset
        if rows is None:
            assert entry["suppressed"]["rows_in_period"] == "small count"


def test_a_failing_audit_fails_the_build_and_publishes_nothing(built, tmp_path):
    """A notebook that rewrites a published cell after the section wrote it (a second path for a figure)."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nb = json.loads((REPO / "notebooks" / "complaints.ipynb").read_text())
    tamper = ("import pandas as pd\n"
              "path = section.output_dir / 'tables' / 'complaints__time_to_close.csv'\n"
              "t = pd.read_csv(path); t.loc[1, 'Allegations closed'] = t.loc[1, 'Allegations closed'] + 1\n"
              "t.to_csv(path, index=False)")
    nb["cells"].insert(len(nb["cells"]) - 1, {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                                              "id": "tamper", "source": tamper})
    (notebooks / "complaints.ipynb").write_text(json.dumps(nb))
    root = tmp_path / "root"
    with pytest.raises(AuditError) as err:
        build_period(built["agency"], parse_period(PERIOD)[0], root, ["complaints"], 1, ("html",), lambda _: None, notebooks)
    assert "inconsistent" in str(err.value) and "allegations_closed_prior" in str(err.value)
    reports = root / "reports" / "sample"
    assert not (reports / PERIOD).exists() and not list(reports.glob(f".{PERIOD}-*"))


# --- Every real agency --------------------------------------------------------------------------------------------

REAL = sorted(p.name for p in (REPO / "tests" / "agencies").iterdir() if (p / "agency.yml").is_file())


@pytest.mark.parametrize("name", REAL)
def test_the_audit_passes_on_every_real_agency(name, tmp_path):
    """Each real agency's latest quarter, every configured dataset: built, and the audit found nothing."""
    from conftest import SHARED_REAL

    from transparency.tables.cache import agency_latest

    if not SHARED_REAL.is_dir():
        pytest.skip("../shared/real not present")
    agency = keyed_agency(REPO / "tests" / "agencies" / name)
    period = agency_latest(agency)
    outcomes = build_period(agency, period, tmp_path, None, 2, ("html",), lambda _: None)
    assert all(o.status in ("ok", "no_data") for o in outcomes), [(o.dataset, o.message) for o in outcomes]
    manifest = json.loads((tmp_path / "reports" / agency.slug / period.code / "manifest.json").read_text())
    assert manifest["audit"]["passed"], manifest["audit"]["findings"]
    assert manifest["audit"]["figures"] > 0
