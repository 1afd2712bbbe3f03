"""End-to-end builds of the sample agency (generated small, in a temporary project).

What this guards: the whole chain from raw files to report.pdf (load, papermill, nbconvert, WeasyPrint)
produces every output SPEC.md lists; metrics.json equals an independent plain-pandas computation on the
loaded data; the PDF is tagged PDF/UA with a title and real alt text and shows no code, tracebacks,
NaN/None or raw column names; one failing notebook does not stop the others; an interrupted build leaves
the previous complete report untouched.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO, keyed_agency, pdf_objects, poppler, sample_project

from transparency.building import build as build_module
from transparency.building.build import build, build_period
from transparency.core.periods import parse_period
from transparency.reading.load import load_dataset
from transparency.writing.wording import reader_problems

PERIOD = "2026Q2"
DATASETS = ["use_of_force", "complaints"]
RAW_COLUMN_NAMES = [
    "incident_id", "occurred_at", "force_type", "subject_race", "subject_injured", "complaint_id", "received_at",
    "closed_at", "disposition_detail", "allegation_type", "officer_id", "OFF_BADGE", "OCC_DATE", "NaN", "None", "nan",
]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A project folder with the sample agency generated through PERIOD, built once."""
    root = tmp_path_factory.mktemp("project")
    agency_dir = sample_project(root, through=PERIOD, years=4, scale=0.5)
    agency = keyed_agency(agency_dir)
    lines: list[str] = []
    code = build(agency, parse_period(PERIOD), root, DATASETS, workers=2, say=lines.append)
    return {"root": root, "agency": agency, "out": root / "reports" / "sample" / PERIOD, "code": code, "lines": lines}


def test_every_output_exists(project):
    out = project["out"]
    assert project["code"] == 0, "\n".join(project["lines"])
    for name in ["report.pdf", "report.html", "metrics.json", "manifest.json", "use_of_force.html", "complaints.html",
                 "notebooks/use_of_force.ipynb", "notebooks/complaints.ipynb"]:
        assert (out / name).is_file(), name
    tables = sorted(p.name for p in (out / "tables").glob("*.csv"))
    assert "use_of_force__force_types.csv" in tables and "complaints__findings.csv" in tables
    assert not list(out.parent.glob(f".{PERIOD}-*")), "no staging folder is left behind"


def _independent(agency, period):
    """The SPEC's core figures, computed here with plain pandas on freshly loaded tables."""
    start, end = pd.Timestamp(period.start), pd.Timestamp(period.end)
    uof = load_dataset(agency, "use_of_force").table
    in_q = uof[(uof["occurred_at"] >= start) & (uof["occurred_at"] < end)]
    injured = in_q[in_q["subject_injured"] == True]  # noqa: E712 - nullable boolean
    comp = load_dataset(agency, "complaints").table
    received = comp[(comp["received_at"] >= start) & (comp["received_at"] < end)]
    closed = comp[(comp["closed_at"] >= start) & (comp["closed_at"] < end)]
    days = ((closed["closed_at"] - closed["received_at"]).dt.total_seconds() / 86400)
    return {
        "use_of_force": {
            "incidents": in_q["incident_id"].nunique(), "applications": len(in_q),
            "incidents_subject_injured": injured["incident_id"].nunique(),
        },
        "complaints": {
            "complaints_received": received["complaint_id"].nunique(), "allegations_received": len(received),
            "allegations_closed": len(closed), "allegations_sustained": int((closed["disposition"] == "sustained").sum()),
            "median_days_to_close": float(days[days >= 0].median()),
        },
    }


def test_metrics_equal_an_independent_computation(project):
    metrics = json.loads((project["out"] / "metrics.json").read_text())
    period = parse_period(PERIOD)[0]
    expected = _independent(project["agency"], period)
    min_count = project["agency"].min_count
    for dataset, figures in expected.items():
        entry = metrics["datasets"][dataset]
        assert entry["status"] == "ok"
        for name, value in figures.items():
            published = entry["metrics"][name]
            if name != "median_days_to_close" and 1 <= value < min_count:
                assert published is None and entry["suppressed"][name] == "small count"
            else:
                assert published == pytest.approx(value, abs=0.01), (dataset, name)
        assert {"incidents_prior", "incidents_last_year"} <= set(entry["metrics"]) or dataset != "use_of_force"
    uof = metrics["datasets"]["use_of_force"]
    assert uof["rows_read"] == sum(f.rows_read for f in load_dataset(project["agency"], "use_of_force").main_files)


def test_pdf_is_tagged_titled_and_every_chart_has_alt_text(project):
    pdf = project["out"] / "report.pdf"
    info = poppler("pdfinfo", str(pdf))
    assert re.search(r"^Tagged:\s+yes", info, re.M)
    assert re.search(r"^Title:\s+Riverton Police Department: transparency report, April to June 2026 \(2026Q2\)$", info, re.M)
    xmp = poppler("pdfinfo", "-meta", str(pdf))
    assert 'pdfuaid:part="1"' in xmp or "<pdfuaid:part>1</pdfuaid:part>" in xmp
    html = (project["out"] / "report.html").read_text()
    alts = re.findall(r'<img[^>]*\balt="([^"]*)"', html)
    assert len(alts) >= 6 and len(alts) == html.count("<img")
    objects = pdf_objects(pdf)
    for alt in alts:
        assert len(alt) > 40 and "No description" not in alt
        assert re.search(r"\d", alt), "alt text states the chart's numbers"
        assert alt[:60].encode() in objects.replace(b"\\", b"") or alt[:60] in objects.decode("latin-1")


def test_pdf_text_has_no_code_errors_or_raw_names(project):
    text = poppler("pdftotext", str(project["out"] / "report.pdf"), "-")
    for bad in ["Traceback", "import ", "Section(", "def ", "Error", "<NA>", "NaT"]:
        assert bad not in text, bad
    assert not re.search(r"\bsection\.\w+\(|\w+\(\w+=", text), "no code"
    words = set(re.findall(r"[A-Za-z_]+", text))
    leaked = [name for name in RAW_COLUMN_NAMES if name in words]
    assert not leaked, leaked
    assert "At a glance" in text and "Appendix: data quality" in text and "Methodology" in text


def test_manifest_records_inputs_versions_and_timings(project):
    manifest = json.loads((project["out"] / "manifest.json").read_text())
    inputs = manifest["datasets"]["use_of_force"]["inputs"]
    assert inputs and all(len(i["sha256"]) == 64 for i in inputs)
    assert all(i["rows_read"] == i["rows_used"] + sum(i["rows_excluded"].values()) for i in inputs)
    assert {"load", "execute", "html", "pdf"} <= set(manifest["timings_seconds"])
    assert manifest["versions"]["papermill"] and manifest["period"] == PERIOD


def test_published_csvs_are_suppressed(project):
    min_count = project["agency"].min_count
    for path in (project["out"] / "tables").glob("*.csv"):
        frame = pd.read_csv(path)
        for column in frame.columns:
            if column.startswith(("Incidents", "Applications", "Allegations", "Complaints", "Open")):
                values = pd.to_numeric(frame[column], errors="coerce").dropna()
                assert not ((values >= 1) & (values < min_count)).any(), (path.name, column)


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_failing_notebook_does_not_stop_the_others(project, tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copy(REPO / "notebooks" / "use_of_force.ipynb", notebooks)
    broken = json.loads((REPO / "notebooks" / "complaints.ipynb").read_text())
    broken["cells"].insert(3, {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "id": "boom",
                               "source": "raise RuntimeError('the complaints file changed shape')"})
    (notebooks / "complaints.ipynb").write_text(json.dumps(broken))
    root = tmp_path / "root"
    outcomes = build_period(project["agency"], parse_period(PERIOD)[0], root, DATASETS, 2, ("html",), lambda _: None, notebooks)
    status = {o.dataset: o.status for o in outcomes}
    assert status == {"use_of_force": "ok", "complaints": "failed"}
    failed = next(o for o in outcomes if o.dataset == "complaints")
    assert "RuntimeError: the complaints file changed shape" in failed.message
    out = root / "reports" / "sample" / PERIOD
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["datasets"]["complaints"]["status"] == "failed" and "metrics" not in metrics["datasets"]["complaints"]
    html = (out / "report.html").read_text()
    assert "could not be produced" in html and "RuntimeError" not in html
    assert (out / "use_of_force.html").is_file() and not (out / "complaints.html").exists()


def test_a_notebook_that_does_not_save_its_section_publishes_no_page(project, tmp_path):
    """Its worker made the section's page from the fragment, but the section failed: the page goes."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    unsaved = json.loads((REPO / "notebooks" / "complaints.ipynb").read_text())
    for cell in unsaved["cells"]:
        source = "".join(cell["source"])
        if "section.save()" in source:
            cell["source"] = source.replace("section.save()", "None")
    assert "section.save()" not in json.dumps(unsaved)
    (notebooks / "complaints.ipynb").write_text(json.dumps(unsaved))
    root = tmp_path / "root"
    (outcome,) = build_period(project["agency"], parse_period(PERIOD)[0], root, ["complaints"], 1, ("html",),
                              lambda _: None, notebooks)
    assert (outcome.status, outcome.message) == ("failed", "the notebook did not call section.save()")
    out = root / "reports" / "sample" / PERIOD
    assert (out / "report.html").is_file() and not (out / "complaints.html").exists()


def test_interrupted_build_leaves_the_previous_report(project, monkeypatch):
    out = project["out"]
    before = _digest(out)

    def interrupted(*args, **kwargs):
        (args[3] / "report.html").write_text("half")  # the staging folder gets partial output
        raise KeyboardInterrupt

    monkeypatch.setattr(build_module, "_publish", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_period(project["agency"], parse_period(PERIOD)[0], project["root"], ["use_of_force"], 1, ("html",), lambda _: None)
    assert _digest(out) == before
    assert not list(out.parent.glob(f".{PERIOD}-*"))


def test_a_scaffolded_section_builds(project, tmp_path):
    from transparency.building.scaffold import new_dataset_notebook

    notebooks = tmp_path / "notebooks"
    new_dataset_notebook("pursuits", notebooks)
    root = tmp_path / "root"
    outcomes = build_period(project["agency"], parse_period(PERIOD)[0], root, ["pursuits"], 1, ("html",), lambda _: None, notebooks)
    assert [(o.dataset, o.status) for o in outcomes] == [("pursuits", "ok")], outcomes[0].message
    page = (root / "reports" / "sample" / PERIOD / "pursuits.html").read_text()
    assert "Vehicle pursuits" in page and "per quarter" in page


def _raw(folder: str, name: str) -> pd.DataFrame:
    from conftest import SHARED_REAL

    return pd.read_csv(SHARED_REAL / folder / name, dtype=str, keep_default_na=False, encoding="utf-8-sig")


@pytest.mark.parametrize(
    ("agency_name", "dataset", "period", "metric"),
    [("dallas", "use_of_force", "2018Q3", "incidents"), ("indianapolis", "complaints", "2016Q2", "complaints_received")],
)
def test_real_agencies_build(tmp_path, agency_name, dataset, period, metric):
    from conftest import SHARED_REAL

    folder = {"dallas": "uof_dallas", "indianapolis": "complaints_indianapolis"}[agency_name]
    if not (SHARED_REAL / folder).is_dir():
        pytest.skip(f"../shared/real/{folder} not present")
    agency = keyed_agency(REPO / "tests" / "agencies" / agency_name)
    outcomes = build_period(agency, parse_period(period)[0], tmp_path, [dataset], 1, ("html", "pdf"), lambda _: None)
    assert [(o.dataset, o.status) for o in outcomes] == [(dataset, "ok")], outcomes[0].message
    metrics = json.loads((tmp_path / "reports" / agency.slug / period / "metrics.json").read_text())
    year, quarter = int(period[:4]), int(period[-1])
    if agency_name == "dallas":
        frames = [_raw(folder, f) for f in ("Police_Response_to_Resistance___2017.csv", "Police_Response_to_Resistance_-_2018.csv",
                                             "Police_Response_to_Resistance___2019.csv")]
        raw = pd.concat(frames, ignore_index=True)
        dates = pd.to_datetime(raw["OCCURRED_D"], format="%m/%d/%Y")
        expected = raw.loc[(dates.dt.year == year) & (dates.dt.quarter == quarter), "FILENUM"].nunique()
    else:
        raw = _raw(folder, "IMPD_complaints_Dec_2020.csv")
        dates = pd.to_datetime(raw["OCCURRED_DT"], format="%Y/%m/%d")
        expected = raw.loc[(dates.dt.year == year) & (dates.dt.quarter == quarter), "INCNUM"].nunique()
    assert metrics["datasets"][dataset]["metrics"][metric] == expected
    text = poppler("pdftotext", str(tmp_path / "reports" / agency.slug / period / "report.pdf"), "-")
    assert "Traceback" not in text and "NaN" not in text
    assert reader_problems(text) == []  # no field name, stored code or snake_case; US spelling


def test_at_a_glance_says_hidden_not_unavailable():
    from transparency.building.assemble import _hidden_words
    from transparency.figures.metrics import Metrics

    metrics = Metrics(values={"incidents": None, "incidents_prior": 12, "incidents_last_year": None},
                      suppressed={"incidents": "small count"})
    assert _hidden_words(metrics, "incidents", 5) == {
        "value": "Fewer than 5", "vs_prior": "Not shown (small numbers)", "vs_last_year": "Not shown (small numbers)"}
    shown = Metrics(values={"incidents": 40, "incidents_prior": None, "incidents_last_year": 30},
                    suppressed={"incidents_prior": "small count"})
    assert _hidden_words(shown, "incidents", 5) == {"vs_prior": "Not shown (small numbers)"}


def test_a_cold_build_fails_and_finds_no_data_as_a_warm_one_would(tmp_path, monkeypatch):
    from transparency.core.errors import TransparencyError

    monkeypatch.setenv("TRANSPARENCY_CACHE_DIR", str(tmp_path / "cold-cache"))  # every cache entry is stale
    agency = keyed_agency(sample_project(tmp_path, through=PERIOD, years=2, scale=0.2))
    (broken,) = agency.input_files("complaints")
    header, rest = broken.read_text(encoding="utf-8").split("\n", 1)
    column = agency.dataset("complaints").columns["received_at"]
    broken.write_text(header.replace(str(column), "RECEIVED_SOMEWHEN") + "\n" + rest, encoding="utf-8")
    with pytest.raises(TransparencyError) as one_by_one:
        load_dataset(agency, "complaints")

    (pursuits,) = agency.input_files("pursuits")  # pursuits end before the period: no data, not a section
    frame = pd.read_csv(pursuits, dtype=str, keep_default_na=False)
    frame[frame["YEAR"].astype(int) < int(PERIOD[:4]) - 1].to_csv(pursuits, index=False)

    outcomes = build_period(agency, parse_period(PERIOD)[0], tmp_path, ["use_of_force", "complaints", "pursuits"], 2,
                            ("html",), lambda _: None)
    status = {o.dataset: (o.status, o.message) for o in outcomes}
    assert status["complaints"] == ("failed", str(one_by_one.value))
    assert status["use_of_force"][0] == "ok" and status["pursuits"][0] == "no_data", status
    out = tmp_path / "reports" / agency.slug / PERIOD
    published = [p.name for p in out.rglob("*") if p.name.startswith(("complaints", "pursuits"))]
    assert published == [], "the notebooks that ran meanwhile left nothing of theirs in the report"
    assert (out / "tables").is_dir() and list((out / "tables").glob("use_of_force__*"))


def test_the_raw_file_reader_also_remembers_identifying_values_for_the_scan(tmp_path, monkeypatch):
    from transparency.core.incremental import Keys
    from transparency.core.keys import read_key
    from transparency.figures import privacy

    monkeypatch.setenv("TRANSPARENCY_CACHE_DIR", str(tmp_path / "cold-cache"))
    agency = keyed_agency(sample_project(tmp_path, through=PERIOD, years=2, scale=0.2))
    datasets = ["use_of_force", "complaints", "arrests", "training"]  # arrests: names; training: a workbook

    def read_again(*args, **kwargs):
        raise AssertionError("the scan read a raw file the reader had already read")

    monkeypatch.setattr(privacy, "read_raw", read_again)  # the values come from the loader's frames
    build_module._cache_all(str(agency.folder), datasets)
    monkeypatch.setattr(privacy, "_file_values", read_again)
    found = privacy.collect_needles(agency, datasets, read_key(agency.slug), Keys(agency))
    monkeypatch.undo()
    monkeypatch.setenv("TRANSPARENCY_CACHE_DIR", str(tmp_path / "another-cache"))
    expected = privacy.collect_needles(agency, datasets, read_key(agency.slug), Keys(agency))
    assert [n.to_list() + [n.source] for n in found] == [n.to_list() + [n.source] for n in expected]
    assert len({Path(n.source).parent for n in found}) >= 2 and len(found) > 100


def test_published_notebooks_name_no_folder_of_the_machine(project):
    for path in sorted((project["out"] / "notebooks").glob("*.ipynb")):
        text = path.read_text(encoding="utf-8")
        assert str(project["root"]) not in text and "-building-" not in text, path.name
        notebook = json.loads(text)
        record = notebook["metadata"]["papermill"]
        assert record["parameters"] == {"agency": "sample", "period": PERIOD, "output_dir": f"reports/sample/{PERIOD}"}
        assert record["input_path"] == f"notebooks/{path.name}"
        assert record["output_path"] == f"reports/sample/{PERIOD}/notebooks/{path.name}"
        injected = next(c for c in notebook["cells"] if "injected-parameters" in c["metadata"].get("tags", []))
        assert 'agency = "sample"' in "".join(injected["source"])
