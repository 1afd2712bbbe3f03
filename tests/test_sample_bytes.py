"""The sample generator's bytes do not move: small generations hash to the digests committed here.

``test_sample.py`` holds that the same arguments give the same bytes within one checkout; this holds them
across changes to the generator's code (the split of transparency/sample.py into a package of one module
per dataset was checked this way, and so is any later tidying). The digests were computed from the files
written by the generator before the split, on the pinned numpy and pandas of requirements.txt. If a change
is *meant* to change the sample's files (a new column, another defect), compute the digests again and say
so in the commit; if a library upgrade changes them, say which.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from transparency import sample
from transparency.sample import stops


def digest(raw: Path) -> str:
    """One sha256 over every file under ``raw``: its path and the sha256 of its bytes, in path order."""
    total = hashlib.sha256()
    for path in sorted(raw.rglob("*")):
        if path.is_file():
            total.update(path.relative_to(raw).as_posix().encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return total.hexdigest()


def test_the_whole_sample_at_a_small_scale_keeps_its_bytes(tmp_path):
    sample.generate(tmp_path, through="2026Q3", years=2, scale=0.02)
    assert digest(tmp_path / "raw") == "3f144f0bfada92efb09ae17165a4a30dddafea1c203e5c738f999f2d1fe38fc9"


def test_another_agency_with_some_datasets_keeps_its_bytes(tmp_path):
    """Another seed, name and mix of datasets, over one year (the first and last years are the same)."""
    sample.generate(tmp_path, through="2025Q1", years=1, seed=11, scale=0.03, agency_name="Town 11 Police Department",
                    datasets=("use_of_force", "stops", "citations", "training"))
    assert digest(tmp_path / "raw") == "31cf6c474ff86387db2085f1dbae45e05d9039a605d3fdb2c22cf4db6cb14ff9"


def test_stops_written_in_many_chunks_keep_their_bytes(tmp_path, monkeypatch):
    """Chunks of 400 stops (250,000 in use): the path that writes ten million stops in pieces, kept small."""
    monkeypatch.setattr(stops, "STOPS_CHUNK", 400)
    sample.generate(tmp_path, through="2026Q3", years=2, scale=0.01, stops_rows=3000, datasets=("stops", "citations"))
    assert digest(tmp_path / "raw") == "5f903fbb858010547ac27cc7072707f6f01648e249263914237e06320d99c150"
    files = sample_rows_per_stops_file(tmp_path)
    assert files and max(files.values()) > 400  # a year's file was written in more than one chunk


def sample_rows_per_stops_file(folder: Path) -> dict[str, int]:
    raw = folder / "raw" / "stops"
    return {p.name: p.read_text(encoding="utf-8").count("\n") - 1 for p in raw.glob("traffic_stops_*.csv")}


@pytest.mark.parametrize("name", ["generate", "last_complete_quarter", "DATASETS", "MARKER", "TRAINING_COLUMNS",
                                  "_write_xlsx", "CORE", "write_agency"])
def test_the_package_answers_to_the_names_used_outside_it(name):
    assert hasattr(sample, name)
