"""Messages a new user meets while writing agency.yml (issue 18): every configuration error at once, each
with its key path; keygen needing only the agency's name; a missing key as one error before any notebook
runs; fields and columns that are not mapped said as "not mapped"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import agency_config

from transparency.core.config import load_agency
from transparency.core.errors import ConfigError, ConfigErrors

UOF = {"incident_id": "ID", "occurred_at": "DATE", "force_type": "TYPE", "officer_id": "BADGE"}
GOOD = "ID,DATE,TYPE,BADGE,NARRATIVE,OBJECTID\n1,2021-01-05,Taser,11,x,1\n2,2021-02-05,Hands,12,y,2\n"

# Five problems in three places: a misspelt top-level key, a field that is not one of use_of_force's, a
# recode to a value that is not canonical, a complaints dataset missing a required field, and a stops
# constant that is no stop type.
MANY = {
    "name": "Testville Police Department",
    "timezone": "America/Chicago",
    "sworn_oficers": 12,
    "datasets": {
        "use_of_force": {
            "files": ["u.csv"],
            "columns": {**UOF, "subject_colour": "RACE"},
            "values": {"subject_race": {"W": "Caucasian"}},
        },
        "complaints": {"files": ["c.csv"], "columns": {"complaint_id": "ID"}},
        "stops": {"files": ["s.csv"], "columns": {"stop_id": "ID", "occurred_at": "DATE", "stop_type": {"const": "foot"}}},
    },
}
MANY_KEYS = [
    "sworn_oficers",
    "datasets.use_of_force.columns.subject_colour",
    "datasets.use_of_force.values.subject_race.W",
    "datasets.complaints.columns",
    "datasets.stops.columns.stop_type.const",
]


def run(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "TRANSPARENCY_ROOT": str(cwd)}
    return subprocess.run([sys.executable, "-m", "transparency.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_every_configuration_error_is_reported_at_once_with_its_key_path(make_agency):
    folder = make_agency(MANY)
    with pytest.raises(ConfigErrors) as caught:
        load_agency(folder)
    assert sorted(p.key for p in caught.value.problems) == sorted(MANY_KEYS)
    text = str(caught.value)
    assert text.startswith(f"{folder / 'agency.yml'}: 5 problems")
    assert "'Caucasian' is not a canonical race value" in text
    assert "required field(s) received_at of complaints are not mapped" in text
    assert "'foot' is not a canonical stop_type value" in text


def test_problems_within_one_dataset_are_all_reported(make_agency):
    config = agency_config({"use_of_force": {
        "files": ["u.csv"], "columns": {**UOF, "district": {"column": "D", "bogus": 1}, "colour": "C"},
        "values": {"subject_sex": {"M": "man"}, "officer_race": {"W": "white person"}},
    }})
    with pytest.raises(ConfigErrors) as caught:
        load_agency(make_agency(config))
    assert sorted(p.key for p in caught.value.problems) == [
        "datasets.use_of_force.columns.colour", "datasets.use_of_force.columns.district",
        "datasets.use_of_force.values.officer_race.W", "datasets.use_of_force.values.subject_sex.M",
    ]


def test_one_problem_is_still_one_plain_error(make_agency):
    with pytest.raises(ConfigError) as caught:
        load_agency(make_agency(agency_config({"use_of_force": {"files": ["u.csv"], "columns": {**UOF, "colour": "C"}}})))
    assert not isinstance(caught.value, ConfigErrors)
    assert caught.value.key == "datasets.use_of_force.columns.colour"


def test_a_constant_on_an_enum_field_is_a_canonical_value_or_a_recoded_one(make_agency):
    ok = {"stop_id": "ID", "occurred_at": "DATE", "stop_type": {"const": "Pedestrian"}}  # any case, as cells match
    load_agency(make_agency(agency_config({"stops": {"files": ["s.csv"], "columns": ok}}), name="ok"))
    recoded = {**ok, "stop_type": {"const": "PED"}}
    load_agency(make_agency(agency_config({"stops": {"files": ["s.csv"], "columns": recoded,
                                                     "values": {"stop_type": {"PED": "pedestrian"}}}}), name="recoded"))


def test_validate_lists_every_problem_and_exits_1_without_traceback(tmp_path, make_agency):
    make_agency(MANY, name="data/many")
    result = run("validate", "--agency", "many", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    for key in MANY_KEYS:
        assert f"  - {key}: " in result.stderr


def test_keygen_needs_only_the_agencys_name(tmp_path, make_agency):
    make_agency(MANY, name="data/many")  # agency.yml is not valid yet
    keys = Path(os.environ["TRANSPARENCY_KEYS_DIR"]) / "many.key"
    keys.unlink(missing_ok=True)
    result = run("keygen", "--agency", "many", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert keys.is_file() and f"created key: {keys}" in result.stdout
    assert run("keygen", "--agency", "nowhere", cwd=tmp_path).returncode == 2


def test_a_missing_key_is_one_error_before_any_notebook_runs(tmp_path, make_agency):
    make_agency(agency_config({"use_of_force": {"files": ["raw/u.csv"], "columns": UOF}}), {"raw/u.csv": GOOD},
                name="data/keyless")
    (Path(os.environ["TRANSPARENCY_KEYS_DIR"]) / "keyless.key").unlink(missing_ok=True)
    result = run("build", "--agency", "keyless", "--period", "2021Q1", "--formats", "html", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.count("no pseudonymisation key for agency 'keyless'") == 1
    assert "transparency keygen --agency keyless" in result.stderr
    assert "Building" not in result.stdout and "failed" not in result.stdout  # no section ran
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "reports" / "keyless" / "2021Q1").exists()


def test_validate_says_not_mapped_with_the_fields_and_the_columns(tmp_path, make_agency):
    make_agency(agency_config({"use_of_force": {"files": ["raw/u.csv"], "columns": UOF, "row_id": "OBJECTID"}}),
                {"raw/u.csv": GOOD}, name="data/good")
    assert run("keygen", "--agency", "good", cwd=tmp_path).returncode == 0
    result = run("validate", "--agency", "good", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "not recorded by the agency" not in result.stdout
    # The registry's fields of use_of_force that UOF leaves out, in the registry's order.
    fields = yaml.safe_load((Path(__file__).parents[1] / "transparency" / "core" / "datasets.yml").read_text())["datasets"]["use_of_force"]["fields"]
    expected = [name for name in fields if name not in UOF]
    assert f"fields not mapped (the report leaves them out): {', '.join(expected)}" in result.stdout
    # NARRATIVE is in the file but read by nothing; OBJECTID is the row id, read for duplicates.
    assert "source columns not mapped: NARRATIVE\n" in result.stdout
