"""Inputs and machines that used to end in a traceback or fail late (issue 17): each now gives a clear error
naming the file, row or column (exit 1, no traceback, nothing half-written), or builds.

Like ``test_adversarial.py``: a table of generated cases run through the real command line (in-process,
`transparency validate`), then the cases that need a key file, a build, a full disk or a read-only folder.
"""

from __future__ import annotations

import base64
import errno
import io
import json
import pathlib
import re

import openpyxl
import pytest
import yaml
from conftest import agency_config, keyed_agency
from test_adversarial import GOOD_ROWS, UOF, uof_config

from transparency import cli
from transparency.building.build import build_period
from transparency.core import registry
from transparency.core.periods import parse_period


def xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


XLSX_UOF = agency_config({"use_of_force": {"files": ["u.xlsx"], "columns": {**UOF, "district": "DIST"}}})

# (case id, config, files, expected exit code, text that must appear in the output)
CASES = [
    ("header_equal_after_trimming_csv", uof_config(columns={**UOF, "district": "DIST"}),
     {"u.csv": "ID,DATE,TYPE,DIST,DIST \n1,2021-01-05,Taser,North,South\n"}, 1,
     "u.csv, row 1, column 'DIST': the header names two columns 'DIST' (columns 4 and 5"),
    ("header_equal_after_trimming_unmapped", uof_config(),
     {"u.csv": "ID,DATE,TYPE, NOTE,NOTE\n1,2021-01-05,Taser,a,b\n"}, 1, "row 1, column 'NOTE'"),
    ("header_equal_after_trimming_xlsx", XLSX_UOF,
     {"u.xlsx": xlsx([["ID", "DATE", "TYPE", "DIST", "DIST "], [1, "2021-01-05", "Taser", "North", "South"]])}, 1,
     "u.xlsx, row 1, column 'DIST': the header names two columns 'DIST'"),
    ("recode_matching_no_value", uof_config(values={"force_type": {"Pepper spray": "Chemical agent"}}),
     {"u.csv": "ID,DATE,TYPE\n" + GOOD_ROWS}, 0, "3 rows read, 3 used"),
    ("bom_then_windows_1252", uof_config(), {"u.csv": b"\xef\xbb\xbfID,DATE,TYPE\n1,2021-01-05,Caf\xe9\n"}, 0,
     "read as Windows-1252"),
    ("bom_then_windows_1252_named_in_errors", uof_config(),
     {"u.csv": b"\xef\xbb\xbfID,DAT\xc9,TYPE\n1,2021-01-05,Caf\xe9\n"}, 1, "its columns are: ID, DAT\u00c9, TYPE"),
]


@pytest.mark.parametrize(("case", "config", "files", "code", "expected"), CASES, ids=[c[0] for c in CASES])
def test_failure_case(make_agency, capsys, case, config, files, code, expected):
    folder = make_agency(config, files, name=case)
    result = cli.main(["validate", "--agency", str(folder), "--no-cache"])
    out = capsys.readouterr()
    text = out.out + out.err
    assert result == code, text
    assert expected in text, text
    assert "Traceback" not in text and "\u00ef\u00bb\u00bf" not in text


def test_a_recode_matching_no_value_keeps_the_values(make_agency):
    from transparency.reading.load import load_dataset

    folder = make_agency(uof_config(values={"force_type": {"Pepper spray": "Chemical agent"}}),
                         {"u.csv": "ID,DATE,TYPE\n" + GOOD_ROWS})
    table = load_dataset(keyed_agency(folder), "use_of_force").table
    assert sorted(table["force_type"].astype(str)) == ["Hands", "Hands", "Taser"]


# --- Key files ------------------------------------------------------------------------------------------


@pytest.fixture
def own_keys(tmp_path, monkeypatch):
    folder = tmp_path / "keys"
    folder.mkdir()
    monkeypatch.setenv("TRANSPARENCY_KEYS_DIR", str(folder))
    return folder


PSEUDONYMISED = agency_config({"use_of_force": {"files": ["u.csv"], "columns": {**UOF, "officer_id": "OFF"}}})
PSEUDONYMISED_ROWS = "ID,DATE,TYPE,OFF\n1,2021-01-05,Taser,4521\n2,2021-02-05,Hands,4522\n"


def _run(argv: list[str], capsys) -> tuple[int, str]:
    code = cli.main(argv)
    out = capsys.readouterr()
    return code, out.out + out.err


def test_a_key_file_with_non_ascii_bytes_is_a_clear_error(make_agency, own_keys, capsys):
    folder = make_agency(PSEUDONYMISED, {"u.csv": PSEUDONYMISED_ROWS}, name="keytown")
    (own_keys / "keytown.key").write_bytes(("ab" * 20 + "\u00e9\u00e9").encode("utf-8"))
    (own_keys / "keytown.key").chmod(0o600)  # readable by its owner only, as a key must be
    code, text = _run(["validate", "--agency", str(folder), "--no-cache"], capsys)
    assert code == 1 and "Traceback" not in text, text
    assert "keytown.key" in text and "not ASCII (byte 40)" in text, text


@pytest.mark.parametrize("command", ["validate", "keygen"])
def test_a_key_path_that_is_a_folder_is_a_clear_error(make_agency, own_keys, capsys, command):
    folder = make_agency(PSEUDONYMISED, {"u.csv": PSEUDONYMISED_ROWS}, name="keytown")
    (own_keys / "keytown.key").mkdir()
    code, text = _run([command, "--agency", str(folder)] + (["--no-cache"] if command == "validate" else []), capsys)
    assert code == 1 and "Traceback" not in text, text
    assert "keytown.key" in text and "is a folder, not a key file" in text, text


# --- A full disk, a read-only reports folder ---------------------------------------------------------


@pytest.fixture
def built_once(tmp_path, monkeypatch, capsys):
    """A small agency built once (HTML): the report that must survive the failed build after it."""
    root = tmp_path / "root"
    folder = root / "data" / "diskville"
    folder.mkdir(parents=True)
    rows = "".join(f"{i},2021-0{1 + i % 3}-1{i % 9},{['Taser', 'Hands'][i % 2]}\n" for i in range(40))
    (folder / "u.csv").write_text("ID,DATE,TYPE\n" + rows)
    (folder / "agency.yml").write_text(yaml.safe_dump(uof_config() | {"datasets": {"use_of_force": {
        "files": ["u.csv"], "columns": UOF}}}))
    keyed_agency(folder)
    monkeypatch.setenv("TRANSPARENCY_ROOT", str(root))
    command = ["build", "--agency", "diskville", "--period", "2021Q1", "--formats", "html", "--datasets", "use_of_force"]
    code, text = _run(command, capsys)
    assert code == 0, text
    report = root / "reports" / "diskville" / "2021Q1"
    before = {p.relative_to(report): p.read_bytes() for p in report.rglob("*") if p.is_file()}
    return command + ["--force"], report, before


def _unchanged(report: pathlib.Path, before: dict) -> None:
    after = {p.relative_to(report): p.read_bytes() for p in report.rglob("*") if p.is_file()}
    assert after == before, "the previous report is intact"
    assert not [p.name for p in report.parent.iterdir() if p.name.startswith(".2021Q1-")], "nothing half-written is left"


def test_a_full_disk_during_a_build_is_a_clear_error(built_once, monkeypatch, capsys):
    from transparency.building import assemble, build

    command, report, before = built_once

    def full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(build, "_json", full)
    monkeypatch.setattr(assemble, "_json", full)  # every JSON file a build writes
    code, text = _run(command, capsys)
    assert code == 1, text
    assert "Traceback" not in text
    assert ".2021Q1-building" in text and ".json: the disk is full" in text and "the last report" in text, text
    _unchanged(report, before)


def test_a_read_only_reports_folder_is_a_clear_error(built_once, monkeypatch, capsys):
    import os

    command, report, before = built_once
    if os.geteuid() != 0:  # as root a folder's mode does not stop writing: refuse the staging folder instead
        report.parent.chmod(0o555)
    else:
        real_mkdir = pathlib.Path.mkdir

        def refused(self, *args, **kwargs):
            if self.name.startswith(".2021Q1-building"):
                raise PermissionError(errno.EACCES, "Permission denied", str(self))
            return real_mkdir(self, *args, **kwargs)

        monkeypatch.setattr(pathlib.Path, "mkdir", refused)
    try:
        code, text = _run(command, capsys)
    finally:
        report.parent.chmod(0o755)
    assert code == 1, text
    assert "Traceback" not in text
    assert "permission denied" in text and ".2021Q1-building" in text, text
    _unchanged(report, before)


# --- Input that passes validate but used to fail the build ---------------------------------------------


def test_labels_with_dollar_signs_are_text_not_mathematics(tmp_path):
    """Matplotlib reads ``$...$`` as mathematics: a label like "$\\frac{1}{$" stopped the chart (and the section),
    and "Fines $50-$100" was drawn as italic "50-100"."""
    root = tmp_path
    folder = root / "data" / "dollars"
    folder.mkdir(parents=True)
    labels = ["Fines $50-$100", "$\\frac{1}{$ broken", "Hands"]
    rows = "".join(f'{i},2021-0{1 + i % 3}-1{i % 9},"{labels[i % 3]}"\n' for i in range(60))
    (folder / "u.csv").write_text("ID,DATE,TYPE\n" + rows)
    (folder / "agency.yml").write_text(yaml.safe_dump(uof_config() | {"datasets": {"use_of_force": {
        "files": ["u.csv"], "columns": UOF}}}))
    agency = keyed_agency(folder)
    outcomes = build_period(agency, parse_period("2021Q1")[0], root, ["use_of_force"], 1, ("html",), lambda _: None)
    assert outcomes[0].status == "ok", outcomes[0].message
    page = (root / "reports" / agency.slug / "2021Q1" / "use_of_force.html").read_text()
    charts = [base64.b64decode(m).decode() for m in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page)]
    assert any("$50-$100" in svg for svg in charts), "the label is drawn as written"
    assert any("$\\frac{1}{$ broken" in svg for svg in charts)


def minimal_agency(folder: pathlib.Path, rows: int = 240, choice: int = 0) -> None:
    """An agency recording every dataset with only its required fields (and, of each group of which one is
    required, member ``choice``): ``rows`` rows a dataset, spread over January 2025 to September 2026."""
    words = {"category": ["Alpha", "Beta", "Gamma"], "enum": ["traffic", "pedestrian"]}
    datasets = {}
    folder.mkdir(parents=True)
    for name, spec in registry.datasets().items():
        fields = list(spec.required) + [group[choice] for group in spec.one_of_required]
        lines = [",".join(f.upper() for f in fields)]
        for i in range(rows):
            month = i % 21
            year, month = 2025 + month // 12, 1 + month % 12
            cells = []
            for f in fields:
                kind = spec.fields[f].type
                if kind == "id":
                    cells.append(f"{name[:3].upper()}{i}")
                elif kind == "pseudonym":
                    cells.append(f"P{i % 40}")
                elif kind == "datetime":
                    cells.append(f"{year}-{month:02d}-{1 + i % 27:02d} 1{i % 10}:00")
                else:
                    cells.append(words[kind][i % len(words[kind])])
            lines.append(",".join(cells))
        (folder / f"{name}.csv").write_text("\n".join(lines) + "\n")
        datasets[name] = {"files": [f"{name}.csv"], "columns": {f: f.upper() for f in fields}}
    (folder / "agency.yml").write_text(yaml.safe_dump(agency_config(datasets, name="Minimal Police Department")))


def test_every_section_builds_on_only_its_required_fields(tmp_path):
    """Every dataset of the registry, with only its required fields: each section builds (calls for service
    once failed on a table column that needs arrival times, community surveys on questions without answers)."""
    minimal_agency(tmp_path / "data" / "minimal")
    agency = keyed_agency(tmp_path / "data" / "minimal")
    outcomes = build_period(agency, parse_period("2026Q3")[0], tmp_path, None, 2, ("html",), lambda _: None)
    assert sorted(o.dataset for o in outcomes) == sorted(registry.datasets())
    failed = {o.dataset: (o.message or "")[-300:] for o in outcomes if o.status != "ok"}
    assert not failed, failed
    metrics = json.loads((tmp_path / "reports" / agency.slug / "2026Q3" / "metrics.json").read_text())
    in_quarter = sum(1 for i in range(240) if i % 21 in (18, 19, 20))  # July to September 2026
    assert metrics["datasets"]["calls_for_service"]["rows_in_period"] == in_quarter


def test_sections_build_on_the_other_member_of_a_required_group(tmp_path):
    """Community surveys need a question or a measure: with measures only (no values), the section builds too."""
    minimal_agency(tmp_path / "data" / "minimal", choice=-1)
    agency = keyed_agency(tmp_path / "data" / "minimal")
    grouped = [name for name, spec in registry.datasets().items() if spec.one_of_required]
    outcomes = build_period(agency, parse_period("2026Q3")[0], tmp_path, grouped, 2, ("html",), lambda _: None)
    failed = {o.dataset: (o.message or "")[-300:] for o in outcomes if o.status != "ok"}
    assert grouped and not failed, failed
    page = (tmp_path / "reports" / agency.slug / "2026Q3" / "community_surveys.html").read_text()
    assert "name the measures but not their values" in page
