"""The command line: exit codes 0/1/2, readable messages with no traceback, nothing written on failure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import agency_config

UOF = {"incident_id": "ID", "occurred_at": "DATE", "force_type": "TYPE", "officer_id": "BADGE"}
GOOD = "ID,DATE,TYPE,BADGE\n1,2021-01-05,Taser,11\n2,2021-02-05,Hands,12\n2,2021-02-05,Hands,12\n3,2021-04-01,Hands,11\n"


def run(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "TRANSPARENCY_ROOT": str(cwd)}
    return subprocess.run(
        [sys.executable, "-m", "transparency.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def project(tmp_path, make_agency):
    """A project folder with data/good (valid) and data/bad (a missing column)."""
    make_agency(agency_config({"use_of_force": {"files": ["raw/u.csv"], "columns": UOF}}), {"raw/u.csv": GOOD}, name="data/good")
    make_agency(agency_config({"use_of_force": {"files": ["raw/u.csv"], "columns": UOF}}),
                {"raw/u.csv": "ID,DATE,BADGE\n1,2021-01-05,11\n"}, name="data/bad")
    assert run("keygen", "--agency", "good", cwd=tmp_path).returncode == 0
    assert run("keygen", "--agency", "bad", cwd=tmp_path).returncode == 0
    return tmp_path


def test_validate_good_agency_reports_counts_and_exits_0(project):
    result = run("validate", "--agency", "good", "--period", "2021Q1", cwd=project)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "4 rows read, 3 used, 1 excluded" in out
    assert "duplicate_row 1" in out
    assert "rows in 2021Q1: 2" in out
    assert "2021Q1 2, 2021Q2 1" in out


def test_validate_bad_data_exits_1_naming_file_and_column_without_traceback(project):
    cache = Path(os.environ["TRANSPARENCY_CACHE_DIR"])
    before = sorted(cache.rglob("*")) if cache.exists() else []
    result = run("validate", "--agency", "bad", cwd=project)
    assert result.returncode == 1
    assert "u.csv" in result.stdout and "has no column 'TYPE'" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    after = sorted(cache.rglob("*.parquet")) if cache.exists() else []
    assert [p for p in after if p not in before] == []


def test_usage_errors_exit_2(project):
    assert run("validate", "--agency", "nowhere", cwd=project).returncode == 2
    bad_period = run("validate", "--agency", "good", "--period", "2025Q5", cwd=project)
    assert bad_period.returncode == 2 and "2025Q5" in bad_period.stderr
    assert "Traceback" not in bad_period.stderr
    assert run("validate", cwd=project).returncode == 2  # --agency is required
    unknown = run("validate", "--agency", "good", "--datasets", "stops", cwd=project)
    assert unknown.returncode == 2 and "not configured" in unknown.stderr


def test_bad_config_exits_1_with_key_path(project, make_agency):
    make_agency("name: X\ntimezone: America/Chicago\ndatasets:\n  use_of_force:\n    files: [u.csv]\n    colums: {}\n", name="data/typo")
    result = run("validate", "--agency", "typo", cwd=project)
    assert result.returncode == 1
    assert "datasets.use_of_force.colums: is not a known key" in result.stderr
    assert "Traceback" not in result.stderr

