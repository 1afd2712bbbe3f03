"""An interrupted build resumes with what was finished: the sections whose notebooks ended, the agencies built."""

from __future__ import annotations

import json

import pytest

from transparency import cli
from transparency.sample import write_agency

THROUGH = "2026Q3"
DATASETS = "arrests,calls_for_service,citations"


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, as the build sees it."""


@pytest.fixture
def towns(tmp_path, monkeypatch):
    monkeypatch.setenv("TRANSPARENCY_ROOT", str(tmp_path))
    monkeypatch.setenv("TRANSPARENCY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("TRANSPARENCY_KEYS_DIR", str(tmp_path / "keys"))
    from transparency.core.keys import create_key

    for slug, seed in (("town-a", 1), ("town-b", 4)):
        write_agency(tmp_path, slug, seed, 0.1, through=THROUGH, years=2)
        create_key(slug)
    return tmp_path


def test_a_build_interrupted_after_a_notebook_reuses_that_section(towns):
    """Ctrl-C once the first notebook has finished: nothing is published, and the next build runs only the
    notebooks that had not finished (the finished one is reused, as if it had been built before)."""
    from transparency.building.build import build
    from transparency.core.config import load_agency
    from transparency.core.periods import parse_period

    agency = load_agency(towns / "data" / "town-a")
    [period] = parse_period(THROUGH)
    finished: list[str] = []

    def interrupt(line: str) -> None:
        words = line.split()
        if len(words) == 4 and words[1] == "done":
            finished.append(words[0])
            raise Interrupted

    with pytest.raises(Interrupted):
        build(agency, [period], towns, DATASETS.split(","), 1, ("html",), say=interrupt)
    assert len(finished) == 1
    assert not (towns / "reports" / "town-a" / THROUGH).exists()
    assert not list((towns / "reports").rglob(".*-building-*"))

    said: list[str] = []
    assert build(agency, [period], towns, DATASETS.split(","), 1, ("html",), say=said.append) == 0
    reused = [line.split()[0] for line in said if line.strip().endswith("unchanged (reused)")]
    ran = [line.split()[0] for line in said if len(line.split()) == 4 and line.split()[1] == "done"]
    assert reused == finished
    assert sorted(ran + reused) == sorted(DATASETS.split(","))
    manifest = json.loads((towns / "reports" / "town-a" / THROUGH / "manifest.json").read_text())
    assert {n: e["status"] for n, e in manifest["datasets"].items()} == dict.fromkeys(DATASETS.split(","), "ok")


def test_a_build_of_many_interrupted_resumes_with_the_agencies_built(towns, capsys):
    """Ctrl-C as the second agency starts: the first is published; built again, it is up to date (skipped
    before any notebook runs) and the second is built."""
    from transparency.building.many import build_many

    def interrupt(line: str) -> None:
        if line.startswith("[2/2]"):
            raise Interrupted

    with pytest.raises(Interrupted):
        build_many("town-*", THROUGH, towns, cli._periods, DATASETS, 2, ("html",), say=interrupt)
    assert (towns / "reports" / "town-a" / THROUGH / "report.html").is_file()
    assert not (towns / "reports" / "town-b" / THROUGH).exists()
    said: list[str] = []
    assert build_many("town-*", THROUGH, towns, cli._periods, DATASETS, 2, ("html",), say=said.append) == 0
    summary = next(text for text in reversed(said) if "town-a" in text and "town-b" in text)  # the statewide report follows it
    rows = {line.split()[0]: line.split()[1] for line in summary.splitlines() if line.startswith("town-")}
    assert rows == {"town-a": "up_to_date", "town-b": "ok"}
