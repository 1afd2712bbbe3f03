"""docs/reference.md is generated from the registry and kept in step: a test fails when datasets.yml (its
datasets, fields, grains, meanings, figure descriptions) changes without the file, and when
transparency/figures/metrics.py computes a figure the reference does not describe (or describes with another
suppression basis)."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

from transparency.core import registry
from transparency.core.periods import parse_period
from transparency.figures.metrics import FUNCTIONS, at_grain
from transparency.reference import REFERENCE, TYPE_WORDS, render

Q1 = parse_period("2021Q1")[0]
START = pd.Timestamp("2021-01-10 08:00")


def test_the_reference_in_the_repository_is_the_one_the_registry_makes():
    assert REFERENCE.is_file(), "docs/reference.md is missing: run `transparency reference`"
    assert REFERENCE.read_text(encoding="utf-8") == render(), "docs/reference.md is out of step: run `transparency reference`"


def test_every_field_has_a_described_type_and_a_meaning_in_the_reference():
    text = render()
    for spec in registry.datasets().values():
        assert f"### `{spec.name}`: {spec.title}" in text
        for field in spec.fields.values():
            assert field.type in TYPE_WORDS
            assert field.means and f"| `{field.name}` |" in text and field.means in text


def _table(spec: registry.Dataset, n: int = 3, drop: tuple[str, ...] = ()) -> pd.DataFrame:
    """``n`` canonical rows of a dataset with every field filled, all in 2021Q1: spans of 10 days and
    7 minutes, so a median (10, 7) is never its number of records (3)."""
    columns = {}
    for name, field in spec.fields.items():
        if name in drop:
            continue
        if field.type == "datetime":
            offset = {"closed_at": pd.Timedelta(days=10), "arrived_at": pd.Timedelta(minutes=7),
                      "dispatched_at": pd.Timedelta(minutes=2), "cleared_at": pd.Timedelta(minutes=30),
                      "period_end": pd.Timedelta(days=20)}.get(name, pd.Timedelta(0))
            columns[name] = [START + offset + pd.Timedelta(days=i) for i in range(n)]
        elif field.type == "enum":
            values = list(field.enum.values)
            columns[name] = pd.array([values[i % len(values)] for i in range(n)], dtype="string")
        elif field.type == "bool":
            columns[name] = pd.array([True] * n, dtype="boolean")
        elif field.type in ("number", "count", "age"):
            columns[name] = pd.array([2.0] * n, dtype="Float64")
        else:
            columns[name] = pd.array([f"{name}-{i}" for i in range(n)], dtype="string")
    if "disposition" in columns and spec.fields["disposition"].type == "enum":
        columns["disposition"] = pd.array(["sustained"] * n, dtype="string")
    if "source" in columns and spec.name == "calls_for_service":
        columns["source"] = pd.array(["911"] * n, dtype="string")
    return pd.DataFrame(columns)


def _pattern(name: str) -> str:
    head, sep, part = name.partition("__")
    if not sep:
        return name
    if part in {registry.slug(v) for v in registry.enums()["race"].values}:
        return f"{head}__{{race}}"
    return f"{head}__{{priority}}"


def _basis(figure) -> str:
    if figure.basis is None:
        return "none"
    return "count" if figure.value == figure.basis else "records"


def _computed(spec: registry.Dataset) -> dict[tuple[str, str], str]:
    """(grain, figure pattern) -> suppression basis, for every figure the dataset's function makes."""
    tables = [_table(spec)]
    if spec.name == "community_surveys":
        tables.append(_table(spec, drop=("question",)))  # published scores, not answers
    found = {}
    for grain in spec.grains or (registry.Grain("", spec.one_row_is),):
        for table in tables:
            for name, figure in at_grain(FUNCTIONS[spec.name](table, Q1), grain).items():
                found[(grain.name if grain.name != spec.grain().name else "", _pattern(name))] = _basis(figure)
    return found


@pytest.mark.parametrize("dataset", list(registry.datasets()))
def test_every_figure_metrics_computes_is_described_with_its_basis(dataset):
    spec = registry.dataset(dataset)
    computed = _computed(spec)
    described = {(doc.grain, doc.name): doc.basis for doc in spec.metrics}
    # A figure computed at every grain is described once, for the default grain.
    at_default = {name for grain, name in computed if grain == ""}
    computed = {(g, n): b for (g, n), b in computed.items() if g == "" or n not in at_default}
    assert computed == described


def test_reference_check_fails_on_a_stale_file_and_writes_it(tmp_path):
    stale = tmp_path / "reference.md"
    stale.write_text("# old\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REFERENCE.parents[1]), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-m", "transparency.cli", "reference", "--output", str(stale)]
    checked = subprocess.run([*command, "--check"], capture_output=True, text=True, env=env, timeout=120)
    assert checked.returncode == 1 and "out of step" in checked.stderr
    assert stale.read_text(encoding="utf-8") == "# old\n"
    assert subprocess.run(command, capture_output=True, text=True, env=env, timeout=120).returncode == 0
    assert stale.read_text(encoding="utf-8") == render()
