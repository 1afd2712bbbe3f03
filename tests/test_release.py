"""A chief's whole path on the sample agency: build, release, correct, verify, and every refusal.

What this guards: a release freezes the reviewed build as a read-only version with RELEASE.json and a report
that says "Released on <date>" instead of "Draft"; a release is refused when the build is missing,
incomplete, partial, failed or out of date (inputs, notebooks, configuration), and when the period is already
released (without --correction) or not yet released (with it); a correction makes version N+1 whose report
lists every published figure that changed, and leaves version N as it was; no command can overwrite a
released file; verify re-hashes released files and --rebuild reproduces them byte for byte; two builds
(another time zone, the C locale, a cold cache) give the same metrics.json, tables, HTML and PDF.

The project is generated small in a temporary folder, with its own copy of the two section notebooks,
so that notebooks edited elsewhere in the checkout during the run cannot make its builds stale.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import REPO, keyed_agency, poppler, sample_project

from transparency import cli
from transparency.building.build import RELEASED, build_period
from transparency.core.errors import TransparencyError
from transparency.core.periods import parse_period
from transparency.releasing.publish_index import write_index
from transparency.releasing.release import ReleaseRefused, check_build, release, verify
from transparency.releasing.review import review

PERIOD = "2026Q2"
DATASETS = ["use_of_force", "complaints"]
FIRST_RELEASE = datetime(2026, 7, 21, 15, 30, tzinfo=UTC)
CORRECTION_RELEASE = datetime(2026, 8, 4, 16, 0, tzinfo=UTC)
REASON = "Two use-of-force incidents were entered twice under different case numbers."

_PROJECTS: dict[str, SimpleNamespace] = {}


def digest(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file under a folder: sha256 and permission bits (what "unchanged" means here)."""
    return {p.relative_to(folder).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mode & 0o777)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def new_project(base: Path) -> SimpleNamespace:
    """A project folder with the sample agency (generated small) and a private copy of the two notebooks."""
    root = base / "project"
    agency_dir = sample_project(root, through=PERIOD, years=3, scale=0.5, export=True)
    notebooks = base / "notebooks"
    notebooks.mkdir()
    for name in DATASETS:
        shutil.copy(REPO / "notebooks" / f"{name}.ipynb", notebooks)
    agency = keyed_agency(agency_dir)
    return SimpleNamespace(root=root, agency=agency, notebooks=notebooks, period=parse_period(PERIOD)[0],
                           reports=root / "reports" / "sample", lines=[])


def build(project: SimpleNamespace, datasets=None, formats=("html", "pdf"), notebooks=None, root=None):
    return build_period(project.agency, project.period, root or project.root, datasets, 2, formats,
                        project.lines.append, notebooks or project.notebooks)


def drop_one_incident(agency_dir: Path) -> str:
    """Remove every row of one use-of-force incident in the period (a case entered twice, say)."""
    path = agency_dir / "raw" / "use_of_force" / "UseOfForce_2026.csv"
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    date_column, id_column = header.index("OCC_DATE"), header.index("FILE_NO")
    victim = next(r[id_column] for r in body if r[date_column].startswith("05/"))
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header] + [r for r in body if r[id_column] != victim])
    return victim


def released_project(tmp_path_factory) -> SimpleNamespace:
    """The chief's path, once per test session: build, release v1, data fixed, build, release v2 (a correction).

    Shared with test_review, test_index and test_browser. Tests that change it put it back as it was.
    """
    if "chief" in _PROJECTS:
        return _PROJECTS["chief"]
    project = new_project(tmp_path_factory.mktemp("chief"))
    outcomes = build(project)
    assert [o.status for o in outcomes] == ["ok", "ok"], project.lines
    project.v1 = release(project.agency, project.period, project.root, by="Chief Ramos", notebooks=project.notebooks,
                         now=FIRST_RELEASE, say=project.lines.append)
    project.v1_digest = digest(project.v1.folder)
    project.dropped = drop_one_incident(project.agency.folder)
    with pytest.raises(ReleaseRefused) as stale:
        release(project.agency, project.period, project.root, correction=REASON, by="Chief Ramos",
                notebooks=project.notebooks, now=CORRECTION_RELEASE, say=project.lines.append)
    project.stale_refusal = str(stale.value)
    build(project)
    project.v2 = release(project.agency, project.period, project.root, correction=REASON, by="Chief Ramos",
                         notebooks=project.notebooks, now=CORRECTION_RELEASE, say=project.lines.append)
    _PROJECTS["chief"] = project
    return project


@pytest.fixture(scope="module")
def chief(tmp_path_factory):
    return released_project(tmp_path_factory)


@pytest.fixture(scope="module")
def unreleased(tmp_path_factory):
    """A second project that is never released: for the refusals of broken, partial and missing builds."""
    return new_project(tmp_path_factory.mktemp("unreleased"))


def refusal(project, correction=None, root=None) -> str:
    with pytest.raises(ReleaseRefused) as refused:
        release(project.agency, project.period, root or project.root, correction=correction, by="Chief Ramos",
                notebooks=project.notebooks, say=lambda _: None)
    return str(refused.value)


# ----------------------------------------------------------------------------------------------
# Version 1
# ----------------------------------------------------------------------------------------------


def test_release_freezes_the_build_as_version_1(chief):
    folder = chief.reports / RELEASED / PERIOD / "v1"
    assert chief.v1.folder == folder
    record = json.loads((folder / "RELEASE.json").read_text())
    manifest = json.loads((folder / "manifest.json").read_text())
    assert record["version"] == 1 and record["period"] == PERIOD and record["correction"] is None
    assert record["released_at"] == "2026-07-21T15:30:00+00:00"
    assert record["released_on"] == "2026-07-21" and record["released_by"] == "Chief Ramos"
    assert record["build"]["git_commit"] == manifest["git_commit"]
    assert record["build"]["recipe"]["notebooks"].keys() == set(DATASETS)
    recorded = {i["path"]: i["sha256"] for i in record["inputs"]["use_of_force"]}
    assert recorded == {i["path"]: i["sha256"] for i in manifest["datasets"]["use_of_force"]["inputs"]}
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {"RELEASE.json"}
    assert set(record["files"]) == files
    assert {"report.pdf", "report.html", "metrics.json", "manifest.json", "use_of_force.html",
            "tables/use_of_force__force_types.csv", "notebooks/complaints.ipynb"} <= files
    assert "report-source.json" not in files and "review.html" not in files
    for name, sha in record["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == sha, name


def test_released_files_are_read_only(chief):
    folder = chief.v1.folder
    assert folder.stat().st_mode & 0o777 == 0o555
    for path in folder.rglob("*"):
        assert path.stat().st_mode & 0o777 == (0o555 if path.is_dir() else 0o444), path


def test_released_report_says_released_instead_of_draft(chief):
    html = (chief.v1.folder / "report.html").read_text()
    assert "Released on July 21, 2026" in html and "Draft: not yet released" not in html
    text = poppler("pdftotext", str(chief.v1.folder / "report.pdf"), "-")
    assert "Released on July 21, 2026" in text and "DRAFT" not in text
    draft = chief.reports / PERIOD / "report.pdf"
    pages = int(re.search(r"Pages:\s+(\d+)", poppler("pdfinfo", str(draft))).group(1))
    assert poppler("pdftotext", str(draft), "-").count("DRAFT: not for release") == pages, "every draft page"


def test_released_report_is_the_reviewed_draft(chief):
    """Apart from the cover, the released report is the draft: same sections, same figures."""
    v1 = (chief.v1.folder / "report.html").read_text()
    assert "Version</dt><dd>1</dd>" in v1
    metrics = json.loads((chief.v1.folder / "metrics.json").read_text())
    incidents = metrics["datasets"]["use_of_force"]["metrics"]["incidents"]
    assert re.search(rf">\s*{incidents}\s*<", v1), "the at-a-glance figure is the draft's"


def test_pdf_links_to_tables_are_relative(chief):
    """A link in the PDF opens the CSV beside it wherever the folder is published (not a build folder)."""
    from conftest import pdf_objects

    objects = pdf_objects(chief.v2.folder / "report.pdf")
    links = re.findall(rb"/URI \(([^)]*)\)", objects)
    assert links and all(not link.startswith(b"file:") for link in links), links[:3]
    assert b"tables/use_of_force__trend.csv" in links


# ----------------------------------------------------------------------------------------------
# Refusals
# ----------------------------------------------------------------------------------------------


def test_releasing_again_without_correction_is_refused(chief):
    message = refusal(chief)
    assert "was released as version 2" in message and "--correction" in message


def test_a_build_out_of_date_with_its_inputs_is_refused(chief):
    assert "UseOfForce_2026.csv changed" in chief.stale_refusal
    assert "transparency build --agency sample --period 2026Q2" in chief.stale_refusal


@pytest.mark.parametrize("what", ["notebook", "config"])
def test_a_build_out_of_date_with_its_notebooks_or_config_is_refused(chief, what):
    path = chief.notebooks / "complaints.ipynb" if what == "notebook" else chief.agency.config_path
    original = path.read_bytes()
    try:
        path.write_bytes(original + b"\n")
        problems = check_build(chief.agency, chief.period, chief.root, chief.notebooks).problems
        expected = "the notebook complaints.ipynb changed" if what == "notebook" else "agency.yml changed"
        assert any(expected in p and "build again" in p for p in problems), problems
    finally:
        path.write_bytes(original)
    assert check_build(chief.agency, chief.period, chief.root, chief.notebooks).problems == []


def test_a_correction_identical_to_the_release_is_refused(chief):
    message = refusal(chief, correction="nothing changed, really")
    assert "publishes exactly what version 2 published" in message


def test_no_build_is_refused_with_the_command_to_run(unreleased):
    message = refusal(unreleased)
    assert "there is no build of 2026Q2" in message
    assert "transparency build --agency sample --period 2026Q2" in message


def test_a_failed_or_partial_build_is_refused(unreleased, tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copy(unreleased.notebooks / "use_of_force.ipynb", notebooks)
    broken = json.loads((unreleased.notebooks / "complaints.ipynb").read_text())
    broken["cells"].insert(3, {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                               "id": "boom", "source": "raise RuntimeError('the complaints export changed shape')"})
    (notebooks / "complaints.ipynb").write_text(json.dumps(broken))
    build(unreleased, formats=("html",), notebooks=notebooks)
    problems = check_build(unreleased.agency, unreleased.period, unreleased.root, notebooks).problems
    assert any("the complaints section failed" in p and "RuntimeError" in p for p in problems), problems
    assert any("has no report.pdf" in p for p in problems), problems

    build(unreleased, datasets=["use_of_force"])
    message = refusal(unreleased)
    assert "leaves out complaints" in message and "without --datasets" in message


def test_a_correction_of_an_unreleased_period_is_refused(unreleased):
    assert "has not been released yet" in refusal(unreleased, correction="a typo")


def test_cli_refusals_exit_1_and_usage_errors_exit_2(unreleased, monkeypatch, capsys):
    monkeypatch.setenv("TRANSPARENCY_ROOT", str(unreleased.root))
    assert cli.main(["release", "--agency", "sample", "--period", PERIOD, "--by", "x"]) == 1
    assert "release of 2026Q2 refused" in capsys.readouterr().err
    assert cli.main(["release", "--agency", "sample", "--period", PERIOD, "--correction", "  "]) == 2
    assert "--correction needs the reason" in capsys.readouterr().err
    assert cli.main(["release", "--agency", "sample", "--period", "2026Q1:2026Q2"]) == 2
    assert cli.main(["verify", "--agency", "sample"]) == 1
    assert "nothing released yet" in capsys.readouterr().out
    with pytest.raises(SystemExit) as usage:
        cli.main(["release", "--agency", "sample"])
    assert usage.value.code == 2


def test_who_releases_comes_from_by_or_the_login_name(monkeypatch):
    from transparency.releasing.release import who_releases

    assert who_releases("  A. Chief ") == "A. Chief"
    monkeypatch.setenv("LOGNAME", "records-officer")
    assert who_releases(None) == "records-officer"


# ----------------------------------------------------------------------------------------------
# A correction
# ----------------------------------------------------------------------------------------------


def test_correction_releases_version_2_and_keeps_version_1(chief):
    assert chief.v2.folder == chief.reports / RELEASED / PERIOD / "v2"
    assert digest(chief.v1.folder) == chief.v1_digest, "version 1 is untouched"
    record = json.loads((chief.v2.folder / "RELEASE.json").read_text())
    assert record["version"] == 2 and record["released_on"] == "2026-08-04"
    assert record["correction"]["reason"] == REASON and record["correction"]["corrects_version"] == 1
    assert record["corrections"] == [{"version": 2, "date": "2026-08-04", "reason": REASON}]
    v1_metrics = json.loads((chief.v1.folder / "metrics.json").read_text())["datasets"]["use_of_force"]["metrics"]
    changed = {c["figure"]: c for c in record["correction"]["changed_figures"] if c["dataset"] == "use_of_force"}
    assert changed["incidents"]["before"] == v1_metrics["incidents"]
    assert changed["incidents"]["after"] == v1_metrics["incidents"] - 1
    assert "rows_read" in changed and not any(c["dataset"] == "complaints"
                                              for c in record["correction"]["changed_figures"])


def test_corrected_report_opens_with_the_reason_and_every_changed_figure(chief):
    html = (chief.v2.folder / "report.html").read_text()
    record = json.loads((chief.v2.folder / "RELEASE.json").read_text())
    cover = html[: html.index("</header>")]
    assert "Corrections" in cover and "August 4, 2026" in cover and REASON in cover
    note = html[html.index('class="corrections-note"'): html.index("</table>", html.index('class="corrections-note"'))]
    assert "This is a corrected report (version 2)" in note and REASON in note
    for change in record["correction"]["changed_figures"]:
        assert change["label"] in note
    assert "Use of force: incidents (this quarter)" in note
    assert html.index('class="corrections-note"') < html.index('id="use_of_force"'), "before the first section"
    text = " ".join(poppler("pdftotext", str(chief.v2.folder / "report.pdf"), "-").split())
    assert "This is a corrected report (version 2)" in text and "entered twice under different case" in text


# ----------------------------------------------------------------------------------------------
# Nothing overwrites a released file
# ----------------------------------------------------------------------------------------------


def test_no_command_overwrites_a_released_file(chief, capsys):
    released = chief.reports / RELEASED
    before = digest(released)
    log = (released / "releases.jsonl").read_text()

    refusal(chief)  # release again
    refusal(chief, correction="same build")  # a correction that corrects nothing
    build(chief)  # a new draft of a released period
    write_index(chief.agency, chief.root)
    review(chief.agency, chief.period, chief.root, chief.notebooks, say=lambda _: None)
    assert verify(chief.agency, chief.root, say=lambda _: None) == 0

    draft = chief.reports / PERIOD
    aside = draft.with_name("draft-aside")
    draft.rename(aside)
    try:
        draft.symlink_to(chief.v2.folder)  # a build through a link into a released version
        with pytest.raises(TransparencyError, match="never writes into a released report"):
            build(chief)
    finally:
        draft.unlink()
        aside.rename(draft)
    assert digest(released) == before
    assert (released / "releases.jsonl").read_text() == log
    if os.geteuid() != 0:  # root ignores file modes; the code above is what protects a release then
        with pytest.raises(PermissionError):
            (chief.v1.folder / "report.pdf").write_bytes(b"overwritten")


def test_release_never_writes_into_an_existing_version(chief, monkeypatch):
    """Even if version numbering went wrong, an existing version folder is refused, not written into."""
    import transparency.releasing.release as release_module

    before = digest(chief.v2.folder)
    monkeypatch.setattr(release_module, "release_problems",
                        lambda *a: (check_build(chief.agency, chief.period, chief.root, chief.notebooks),
                                    [chief.v1], []))
    with pytest.raises(ReleaseRefused, match="already exists"):
        release(chief.agency, chief.period, chief.root, correction="x", by="y", notebooks=chief.notebooks,
                say=lambda _: None)
    assert digest(chief.v2.folder) == before
    assert not list((chief.reports / RELEASED / PERIOD).glob(".v*"))


# ----------------------------------------------------------------------------------------------
# Verify
# ----------------------------------------------------------------------------------------------


def test_verify_reports_any_change_to_a_released_file(chief):
    lines: list[str] = []
    assert verify(chief.agency, chief.root, say=lines.append) == 0
    assert any("2026Q2 version 1:" in line and "files as released" in line for line in lines)
    table = chief.v1.folder / "tables" / "use_of_force__force_types.csv"
    original = table.read_bytes()
    chief.v1.folder.chmod(0o755)
    (chief.v1.folder / "tables").chmod(0o755)
    try:
        table.chmod(0o644)
        table.write_bytes(original.replace(b",", b";", 1))
        (chief.v1.folder / "extra.txt").write_text("slipped in")
        lines.clear()
        assert verify(chief.agency, chief.root, chief.period, say=lines.append) == 1
        output = "\n".join(lines)
        assert "version 1: CHANGED" in output and "tables/use_of_force__force_types.csv changed" in output
        assert "extra.txt was added after the release" in output and "writable" in output
    finally:
        (chief.v1.folder / "extra.txt").unlink(missing_ok=True)
        table.write_bytes(original)
        table.chmod(0o444)
        (chief.v1.folder / "tables").chmod(0o555)
        chief.v1.folder.chmod(0o555)
    assert verify(chief.agency, chief.root, say=lambda _: None) == 0


def test_verify_rebuild_reproduces_the_release_byte_for_byte(chief):
    lines: list[str] = []
    assert verify(chief.agency, chief.root, chief.period, rebuild=True, notebooks=chief.notebooks,
                  say=lines.append) == 0, "\n".join(lines)
    assert any("reproduced: metrics.json" in line and "report.pdf" in line for line in lines), lines


def test_verify_rebuild_names_a_changed_input_and_says_a_correction_is_due(chief):
    path = chief.agency.folder / "raw" / "complaints" / "IA_Complaints_Export.csv"
    original = path.read_bytes()
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
        with open(path, "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(rows[:-3])  # the last three allegations were withdrawn from the export
        output: list[str] = []
        assert verify(chief.agency, chief.root, chief.period, rebuild=True, notebooks=chief.notebooks,
                      say=output.append) == 1
        text = "\n".join(output)
        assert "complaints/IA_Complaints_Export.csv changed" in text and "a correction is due" in text
        assert "Complaints: records read" in text
    finally:
        path.write_bytes(original)


# ----------------------------------------------------------------------------------------------
# Determinism
# ----------------------------------------------------------------------------------------------


def _start_build(project, root: Path, cache: Path, env_extra: dict) -> subprocess.Popen:
    code = (
        "import sys; from pathlib import Path\n"
        "from transparency.building.build import build_period\n"
        "from transparency.core.config import load_agency\n"
        "from transparency.core.periods import parse_period\n"
        "agency = load_agency(Path(sys.argv[1]))\n"
        "outs = build_period(agency, parse_period(sys.argv[2])[0], Path(sys.argv[3]), None, 2, ('html', 'pdf'),"
        " lambda _: None, Path(sys.argv[4]))\n"
        "assert all(o.status == 'ok' for o in outs), [(o.dataset, o.message) for o in outs]\n"
    )
    env = {**os.environ, "TRANSPARENCY_CACHE_DIR": str(cache), **env_extra}
    return subprocess.Popen([sys.executable, "-c", code, str(project.agency.folder), PERIOD, str(root),
                             str(project.notebooks)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _finish(process: subprocess.Popen, root: Path) -> Path:
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr[-3000:]
    return root / "reports" / "sample" / PERIOD


def _without_build_date(html: str) -> str:
    html = re.sub(r'(dcterms\.(created|modified)" content=")[^"]*', r"\1", html)
    return re.sub(r"<dt>Built on</dt><dd>[^<]*</dd>", "<dt>Built on</dt><dd></dd>", html)


def test_builds_are_deterministic_across_time_zones_locales_and_cold_caches(unreleased, tmp_path):
    runs = [_start_build(unreleased, tmp_path / "a", tmp_path / "cache-a", {"TZ": "UTC", "LC_ALL": "C.UTF-8"}),
            _start_build(unreleased, tmp_path / "b", tmp_path / "cache-b",
                         {"TZ": "Pacific/Auckland", "LC_ALL": "C", "LANG": "C"})]  # at once: half the wait
    first, second = _finish(runs[0], tmp_path / "a"), _finish(runs[1], tmp_path / "b")
    assert (first / "metrics.json").read_bytes() == (second / "metrics.json").read_bytes()
    tables = sorted(p.name for p in (first / "tables").glob("*.csv"))
    assert tables and tables == sorted(p.name for p in (second / "tables").glob("*.csv"))
    for name in tables:
        assert (first / "tables" / name).read_bytes() == (second / "tables" / name).read_bytes(), name
    for name in ["report.html", "use_of_force.html", "complaints.html"]:
        assert _without_build_date((first / name).read_text()) == _without_build_date((second / name).read_text())
    built = [json.loads((f / "manifest.json").read_text())["built_at"] for f in (first, second)]
    if built[0] == built[1]:  # the same day in both zones: nothing else may differ
        assert (first / "report.html").read_bytes() == (second / "report.html").read_bytes()
        assert (first / "report.pdf").read_bytes() == (second / "report.pdf").read_bytes()


def test_a_release_killed_half_way_leaves_nothing_that_counts(chief):
    """A staging folder left by a killed release is never taken for a version, and the next release removes it."""
    from transparency.releasing.release import _remove_abandoned, versions

    base = chief.reports / RELEASED / PERIOD
    abandoned = base / ".v3-staging-999999999-abcd1234"
    (abandoned / "tables").mkdir(parents=True)
    (abandoned / "tables" / "x.csv").write_text("half")
    (abandoned / "tables").chmod(0o555)
    assert [v.number for v in versions(chief.root, chief.agency, PERIOD)] == [1, 2]
    _remove_abandoned(base)
    assert not abandoned.exists()
