"""Many agencies: `sample-data --agency NAME --seed N --scale S` and `build --agencies GLOB` (issue 20, first slice)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
import yaml

from transparency import cli
from transparency.sample import CORE, generate, write_agency
from transparency.tables.validate import check_agency

THROUGH = "2026Q3"


def _tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def test_sample_without_agency_is_byte_identical(tmp_path):
    # Pinned from main before `--agency` existed: the sample's generator gives the same bytes as before.
    generate(tmp_path / "sample", through=THROUGH, years=2, scale=0.05)
    assert _tree_digest(tmp_path / "sample" / "raw") == "8ef196b6e95537f1dd5649d6a34706d89a95a756eceee35386001e0fa4ce74a3"


def test_generated_agencies_differ_by_seed_and_scale_and_repeat_exactly(tmp_path):
    from transparency.core.config import load_agency
    from transparency.core.keys import create_key

    profiles = {}
    for slug, seed, scale in (("oak-a", 1, 0.05), ("oak-b", 5, 0.2), ("oak-c", 11, 0.1)):
        prof, summary = write_agency(tmp_path, slug, seed, scale, through=THROUGH, years=2)
        profiles[slug] = prof
        create_key(slug)
        folder = tmp_path / "data" / slug
        agency = load_agency(folder)
        # Its own name and size, computed here from the scale: 250,000 residents and 420 officers at scale 1.
        assert agency.name == f"Oak {slug[-1].capitalize()} Police Department"
        assert agency.model.population.total == round(250_000 * scale)
        assert sum(agency.model.population.by_race.values()) == agency.model.population.total
        assert agency.model.sworn_officers == max(30, round(420 * scale))
        # The mix: the core always, the files of exactly the configured datasets, each of which loads.
        assert set(CORE) <= set(agency.dataset_names)
        assert set(summary) == set(agency.dataset_names)
        manifest = json.loads((folder / "raw" / "GENERATED.json").read_text())
        assert manifest["agency"] == agency.name and manifest["arguments"]["seed"] == seed
        checks = check_agency(agency, None, None, cached=False)
        assert [c.dataset for c in checks if c.error] == []
        # Count every row: read = used + excluded, and the planted defects are among the excluded rows.
        for c in checks:
            assert c.result.rows_read == c.result.rows_used + sum(c.result.excluded.values()), c.dataset
            assert c.result.rows_read == summary[c.dataset], c.dataset  # every line the generator wrote is read
            for defect, count in manifest["planted"].get(c.dataset, {}).items():
                if defect in ("duplicate_row", "header_row", "blank_row"):
                    assert c.result.excluded[defect] == count, (c.dataset, defect)
    # Different seeds give different agencies (mixes of datasets or residents by race).
    assert len({(p.datasets, tuple(p.population.values())) for p in profiles.values()}) == 3
    # The same arguments give the same bytes.
    again = tmp_path / "again"
    write_agency(again, "oak-b", 5, 0.2, through=THROUGH, years=2)
    assert _tree_digest(again / "data" / "oak-b") == _tree_digest(tmp_path / "data" / "oak-b")


def test_sample_data_agency_cli(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TRANSPARENCY_ROOT", str(tmp_path))
    assert cli.main(["sample-data", "--agency", "pine", "--seed", "3", "--scale", "0.05", "--through", THROUGH]) == 0
    out = capsys.readouterr().out
    assert "Pine Police Department" in out and (tmp_path / "data" / "pine" / "agency.yml").is_file()
    assert (tmp_path / "data" / "pine" / "raw" / "GENERATED.json").is_file()
    # Kept out of git like the sample's raw files: a generated agency is made again by the command.
    assert (tmp_path / "data" / "pine" / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    assert cli.main(["sample-data", "--agency", "pine", "--seed", "3", "--scale", "0.05"]) == 0
    assert "already present" in capsys.readouterr().out
    # Usage errors: the sample itself, a bad name, --seed without --agency, a folder it did not write.
    assert cli.main(["sample-data", "--agency", "sample"]) == 2
    assert cli.main(["sample-data", "--agency", "../x"]) == 2
    assert cli.main(["sample-data", "--seed", "4"]) == 2
    mine = tmp_path / "data" / "mine"
    mine.mkdir(parents=True)
    (mine / "agency.yml").write_text("name: Mine\n", encoding="utf-8")
    assert cli.main(["sample-data", "--agency", "mine", "--seed", "1", "--scale", "0.05"]) == 2
    assert "not written by" in capsys.readouterr().err
    assert (mine / "agency.yml").read_text(encoding="utf-8") == "name: Mine\n" and not (mine / "raw").exists()


DATASETS = "arrests,calls_for_service"


@pytest.fixture
def state(tmp_path, monkeypatch):
    """Three generated agencies under tmp_path/data (towns a, b, c), the project root there."""
    monkeypatch.setenv("TRANSPARENCY_ROOT", str(tmp_path))
    from transparency.core.keys import create_key

    for slug, seed in (("town-a", 1), ("town-b", 2), ("town-c", 3)):
        write_agency(tmp_path, slug, seed, 0.3, through=THROUGH, years=2)
        create_key(slug)
    return tmp_path


def _build(*extra) -> int:
    return cli.main(["build", "--period", THROUGH, "--datasets", DATASETS, "--formats", "html", "--jobs", "2", *extra])


def test_build_agencies_isolates_a_bad_file_and_an_unreadable_config(state, capsys):
    # town-b: the arrests file lost its ARREST_DATE column; town-d: an agency.yml that is not YAML.
    arrests = state / "data" / "town-b" / "raw" / "arrests" / "arrests.csv"
    lines = arrests.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    at = header.index("ARREST_DATE")
    arrests.write_text("\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != at) for line in lines) + "\n",
                       encoding="utf-8")
    broken = state / "data" / "town-d"
    broken.mkdir()
    (broken / "agency.yml").write_text("name: [unclosed\n", encoding="utf-8")

    assert _build("--agencies", "town-*") == 1
    out = capsys.readouterr().out
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith("town-")}
    assert rows["town-a"].split()[1] == "ok" and rows["town-c"].split()[1] == "ok"
    assert rows["town-b"].split()[1] == "failed" and "arrests" in rows["town-b"] and "ARREST_DATE" in rows["town-b"]
    assert rows["town-d"].split()[1] == "failed" and "agency.yml" in rows["town-d"]
    assert "4 agencies: 2 built, up to date or skipped, 2 failed (town-b, town-d)" in out
    for slug in ("town-a", "town-c"):
        manifest = json.loads((state / "reports" / slug / THROUGH / "manifest.json").read_text())
        assert {n: e["status"] for n, e in manifest["datasets"].items()} == {"arrests": "ok", "calls_for_service": "ok"}
        assert (state / "reports" / slug / THROUGH / "report.html").is_file()
    # town-b's report is still built, without its arrests section; its calls are there.
    manifest = json.loads((state / "reports" / "town-b" / THROUGH / "manifest.json").read_text())
    assert manifest["datasets"]["arrests"]["status"] == "failed"
    assert manifest["datasets"]["calls_for_service"]["status"] == "ok"
    assert not (state / "reports" / "town-d").exists()
    # Nothing half-written: no staging folder is left behind anywhere.
    assert not [p for p in (state / "reports").rglob(".*-building-*")]

    # Again, nothing changed: the two good agencies are skipped before any notebook runs.
    shutil.rmtree(broken)
    assert _build("--agencies", "town-*") == 1
    out = capsys.readouterr().out
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith("town-")}
    assert rows["town-a"].split()[1] == "up_to_date" and rows["town-c"].split()[1] == "up_to_date"
    assert rows["town-b"].split()[1] == "failed"
    assert " running" not in "\n".join(line for line in out.splitlines() if "town-a" in line)


def test_build_agencies_gives_the_one_agency_build(state, tmp_path_factory, capsys):
    assert _build("--agencies", "town-a,town-c") == 0
    many = state / "reports" / "town-a" / THROUGH
    # The same agency built alone with --agency, in another project folder.
    alone_root = tmp_path_factory.mktemp("alone")
    shutil.copytree(state / "data" / "town-a", alone_root / "data" / "town-a")
    import os

    os.environ["TRANSPARENCY_ROOT"] = str(alone_root)  # restored by the fixture's monkeypatch
    assert cli.main(["build", "--agency", "town-a", "--period", THROUGH, "--datasets", DATASETS, "--formats", "html",
                     "--jobs", "2"]) == 0
    alone = alone_root / "reports" / "town-a" / THROUGH
    assert (many / "metrics.json").read_bytes() == (alone / "metrics.json").read_bytes()
    assert sorted(p.name for p in (many / "tables").iterdir()) == sorted(p.name for p in (alone / "tables").iterdir())
    for table in (many / "tables").iterdir():
        assert table.read_bytes() == (alone / "tables" / table.name).read_bytes()


def test_build_agencies_usage_errors(state, capsys):
    assert _build("--agencies", "nowhere-*") == 2
    assert "matches no folder holding agency.yml" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:  # argparse: --agency and --agencies are one or the other
        cli.main(["build", "--agency", "town-a", "--agencies", "town-*", "--period", THROUGH])
    assert exc.value.code == 2


def test_build_agencies_datasets_an_agency_lacks(state, capsys):
    # A dataset name that is none: a usage error before anything is built.
    assert cli.main(["build", "--agencies", "town-*", "--period", THROUGH, "--datasets", "arrestz"]) == 2
    assert "no dataset arrestz" in capsys.readouterr().err and not (state / "reports").exists()
    # town-a without pursuits is skipped for --datasets pursuits, not built whole.
    config = state / "data" / "town-a" / "agency.yml"
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["datasets"].pop("pursuits", None)
    config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    assert cli.main(["build", "--agencies", "town-a", "--period", THROUGH, "--datasets", "pursuits", "--formats", "html"]) == 0
    out = capsys.readouterr().out
    assert [line.split()[1] for line in out.splitlines() if line.startswith("town-a ")] == ["skipped"]
    assert not (state / "reports" / "town-a").exists()
