"""Incremental builds: nothing changed -> nothing done; one input or notebook changed -> that section only.

One small sample agency (use of force, complaints, arrests), HTML only, is built several times in a row;
each test looks at what the last build ran (notebook runs are counted from the build's own progress lines).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from conftest import REPO, agency_config, keyed_agency, sample_project

from transparency.building.build import build_period
from transparency.core.incremental import (
    Keys,
    fresh_periods,
    longest_first,
    notebook_durations,
    remember_durations,
    remember_latest,
)
from transparency.core.periods import parse_period

DATASETS = ["use_of_force", "complaints", "arrests"]
PERIOD = "2026Q2"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("incremental")
    folder = sample_project(root, through=PERIOD, years=3, scale=0.2)
    notebooks = root / "notebooks"
    shutil.copytree(REPO / "notebooks", notebooks)
    agency = keyed_agency(folder)
    return root, agency, notebooks


def run(project, force: bool = False) -> tuple[dict, list[str]]:
    """Build; return (outcomes by dataset, the notebooks that ran)."""
    root, agency, notebooks = project
    lines: list[str] = []
    outcomes = build_period(agency, parse_period(PERIOD)[0], root, DATASETS, 2, ("html",), lines.append, notebooks,
                            force=force)
    ran = sorted({line.split()[0] for line in lines if line.strip().endswith("running")})
    return {o.dataset: o for o in outcomes}, ran


def report(project):
    root, agency, _ = project
    return root / "reports" / agency.slug / PERIOD


def snapshot(folder) -> dict:
    return {p.relative_to(folder).as_posix(): (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.rglob("*") if p.is_file()}


def test_first_build_runs_every_notebook(project):
    outcomes, ran = run(project)
    assert ran == sorted(DATASETS)
    assert all(o.status == "ok" and not o.reused for o in outcomes.values()), outcomes


def test_notebooks_start_longest_first_by_their_last_run(project, make_agency):
    run(project)
    _root, agency, _ = project
    assert set(notebook_durations(agency)) == set(DATASETS), "a build records each notebook's time"
    columns = {"incident_id": "ID", "occurred_at": "DATE", "force_type": "TYPE", "officer_id": "BADGE"}
    other = keyed_agency(make_agency(agency_config({"use_of_force": {"files": ["u.csv"], "columns": columns}}),
                                     {"u.csv": "ID,DATE,TYPE,BADGE\n1,2021-01-05,Taser,11\n"}, name="elsewhere"))
    assert notebook_durations(other) == {}
    remember_durations(other, {"a": 1.0, "b": 3.0, "c": 2.0})
    remember_durations(other, {"a": 4.0})
    assert notebook_durations(other) == {"a": 4.0, "b": 3.0, "c": 2.0}
    assert longest_first(other, ["c", "a", "new", "b", "newer"]) == ["new", "newer", "a", "b", "c"]


def test_a_second_build_with_nothing_changed_does_nothing(project):
    before = snapshot(report(project))
    outcomes, ran = run(project)
    assert ran == []
    assert snapshot(report(project)) == before  # not even rewritten
    assert [o.dataset for o in outcomes.values()] == DATASETS and all(o.status == "ok" for o in outcomes.values())
    root, agency, notebooks = project
    assert fresh_periods(agency, PERIOD, root, DATASETS, ("html",), notebooks) == [PERIOD]
    assert fresh_periods(agency, PERIOD, root, DATASETS, ("html", "pdf"), notebooks) is None  # never built with a PDF
    assert fresh_periods(agency, PERIOD, root, ["complaints"], ("html",), notebooks) is None


def test_the_quick_check_imports_no_pandas(project):
    root, agency, notebooks = project
    code = ("import sys; from pathlib import Path; from transparency.core.config import load_agency; "
            "from transparency.core.incremental import fresh_periods; "
            f"fresh = fresh_periods(load_agency({str(agency.folder)!r}), {PERIOD!r}, Path({str(root)!r}), "
            f"{DATASETS!r}, ('html',), Path({str(notebooks)!r})); "
            "print(fresh, 'pandas' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert done.stdout.split() == [f"['{PERIOD}']", "False"]


def test_a_changed_input_rebuilds_only_its_section_and_those_that_use_it(project):
    root, agency, _ = project
    # Arrests are a denominator of use of force (`uses` in datasets.yml): both are built again.
    path = sorted((agency.folder / "raw" / "arrests").glob("*"))[-1]
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), encoding="utf-8")  # one arrest fewer
    outcomes, ran = run(project)
    assert ran == ["arrests", "use_of_force"]
    assert outcomes["complaints"].reused and not outcomes["arrests"].reused
    manifest = json.loads((report(project) / "manifest.json").read_text())
    assert manifest["datasets"]["complaints"]["reused"] is True
    assert (report(project) / "tables").is_dir() and list((report(project) / "tables").glob("complaints__*.csv"))


def test_a_changed_notebook_rebuilds_only_its_section(project):
    _, _, notebooks = project
    notebook = notebooks / "complaints.ipynb"
    data = json.loads(notebook.read_text())
    data["cells"][0]["source"] = data["cells"][0]["source"] + ["\n", "\n", "An added sentence."]
    notebook.write_text(json.dumps(data))
    _, ran = run(project)
    assert ran == ["complaints"]
    assert "An added sentence." in (report(project) / "report.html").read_text()


def test_an_edited_output_is_built_again(project):
    page = report(project) / "report.html"
    page.write_text(page.read_text() + "<!-- edited by hand -->")
    outcomes, ran = run(project)
    assert ran == [] and all(o.reused for o in outcomes.values())  # sections kept, the report assembled again
    assert "edited by hand" not in page.read_text()


def test_force_runs_every_notebook(project):
    _, ran = run(project, force=True)
    assert ran == sorted(DATASETS)


def test_section_key_covers_its_inputs_notebook_config_and_day(project):
    root, agency, notebooks = project
    keys = Keys(agency, notebooks)
    key = keys.section("complaints", PERIOD)
    assert key == Keys(agency, notebooks).section("complaints", PERIOD)
    assert key != keys.section("complaints", "2026Q1")
    assert key != keys.section("arrests", PERIOD)
    import datetime

    assert key != Keys(agency, notebooks, today=datetime.date(2030, 1, 1)).section("complaints", PERIOD)
    other = notebooks.parent / "other-notebooks"
    shutil.copytree(notebooks, other)
    (other / "complaints.ipynb").write_text((other / "complaints.ipynb").read_text() + "\n")
    assert Keys(agency, other).section("complaints", PERIOD) != key
    assert Keys(agency, other).section("arrests", PERIOD) == keys.section("arrests", PERIOD)


def test_latest_is_remembered_for_the_current_inputs_only(project):
    root, agency, notebooks = project
    remember_latest(agency, PERIOD)
    assert fresh_periods(agency, "latest", root, DATASETS, ("html",), notebooks) == [PERIOD]
    path = sorted((agency.folder / "raw" / "complaints").glob("*"))[-1]
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert fresh_periods(agency, "latest", root, DATASETS, ("html",), notebooks) is None


def test_a_range_builds_each_quarter_with_its_pdf_while_the_next_runs(project):
    from transparency.building.build import build

    root, agency, notebooks = project
    lines: list[str] = []
    code = build(agency, parse_period("2025Q4:2026Q2"), root, ["complaints"], 2, ("html", "pdf"), lines.append)
    assert code == 0, "\n".join(lines)
    reports = root / "reports" / agency.slug
    for quarter in ("2025Q4", "2026Q1", "2026Q2"):
        assert (reports / quarter / "report.pdf").read_bytes().startswith(b"%PDF")
        assert not list(reports.glob(f".{quarter}-*"))  # no staging folder left behind
    # Each period's summary is printed once it is complete, in order.
    summaries = [line.split(":")[0] for line in lines if line.startswith(("2025Q4:", "2026Q1:", "2026Q2:"))]
    assert summaries == ["2025Q4", "2026Q1", "2026Q2"]
    # The second quarter's notebook ran before the first quarter's summary was printed (its PDF was being drawn).
    first_summary = next(i for i, line in enumerate(lines) if line.startswith("2025Q4:"))
    second_start = next(i for i, line in enumerate(lines) if line.startswith("Building") and "2026" in line and "1" in line)
    assert second_start < first_summary
