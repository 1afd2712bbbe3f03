"""The statewide comparison report (issue 20, item 4), and the small agencies it is made of."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from transparency import cli
from transparency.sample_agencies import write_agency

THROUGH = "2026Q3"


# A small agency's complaints: a trend quarter is not given away by the comparison table's sum ------------


def test_a_small_generated_agencys_complaints_pass_the_audit(tmp_path, monkeypatch, capsys):
    # `sample-data --agency oakdale --seed 3 --scale 0.05` once failed its own audit: the trend's allegations
    # closed in 2026Q1 (4) could be worked out from the trend's column total less the time-to-close table's
    # three quarters. The trend now protects that column with both sums known.
    from transparency.keys import create_key

    monkeypatch.setenv("TRANSPARENCY_ROOT", str(tmp_path))
    write_agency(tmp_path, "oakdale", 3, 0.05, through=THROUGH)
    create_key("oakdale")
    assert cli.main(["build", "--agency", "oakdale", "--period", THROUGH, "--datasets", "complaints",
                     "--formats", "html", "--jobs", "1"]) == 0, capsys.readouterr().out
    folder = tmp_path / "reports" / "oakdale" / THROUGH
    assert json.loads((folder / "manifest.json").read_text())["audit"]["passed"]
    trend = (folder / "tables" / "complaints__trend.csv").read_text().splitlines()
    closed = [line.split(",")[-1] for line in trend[1:]]
    assert closed.count("") >= 2
