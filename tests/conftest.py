"""Shared fixtures: throw-away agencies in a temporary folder, with keys and caches kept there too."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SHARED_REAL = (REPO / ".." / "shared" / "real").resolve()


@pytest.fixture(autouse=True, scope="session")
def _isolated_state(tmp_path_factory):
    """Keys and caches never touch the developer's home folder during tests (one folder per test run)."""
    state = tmp_path_factory.mktemp("state")
    saved = {name: os.environ.get(name) for name in ("TRANSPARENCY_KEYS_DIR", "TRANSPARENCY_CACHE_DIR", "TRANSPARENCY_RAW_ROOTS")}
    os.environ["TRANSPARENCY_KEYS_DIR"] = str(state / "keys")
    os.environ["TRANSPARENCY_CACHE_DIR"] = str(state / "cache")
    os.environ["TRANSPARENCY_RAW_ROOTS"] = str(SHARED_REAL)  # the real agencies' raw_root (tests/agencies)
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture
def make_agency(tmp_path):
    """Write an agency folder (agency.yml plus raw files) and return its path.

    ``config`` is a dict (dumped as YAML) or YAML text; ``files`` maps a relative path to text or bytes.
    """

    def make(config, files: dict[str, str | bytes] | None = None, name: str = "testville") -> Path:
        folder = tmp_path / name
        folder.mkdir(parents=True, exist_ok=True)
        text = config if isinstance(config, str) else yaml.safe_dump(config, sort_keys=False)
        (folder / "agency.yml").write_text(text, encoding="utf-8")
        for rel, content in (files or {}).items():
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return folder

    return make


#: The export policy the tests of the de-identified records give the sample (it publishes none by itself).
SAMPLE_EXPORT = "export: {dates: hour, coordinates: drop}\n"


def sample_project(root: Path, through: str | None = None, years: int = 4, scale: float = 0.3,
                   export: bool = False) -> Path:
    """The sample agency (the committed agency.yml) generated small under ``root/data/sample``; returns that folder.

    With ``through`` None only agency.yml is copied (no raw files are generated). With ``export`` its
    agency.yml also publishes the de-identified records (:data:`SAMPLE_EXPORT`).
    """
    from transparency.sample import generate

    folder = root / "data" / "sample"
    folder.mkdir(parents=True)
    text = (REPO / "data" / "sample" / "agency.yml").read_text(encoding="utf-8")
    if export:
        text = text.replace("\ndatasets:\n", f"\n{SAMPLE_EXPORT}\ndatasets:\n", 1)
    (folder / "agency.yml").write_text(text, encoding="utf-8")
    if through is not None:
        generate(folder, through=through, years=years, scale=scale)
    return folder


def keyed_agency(folder: Path):
    """The agency in ``folder`` (its agency.yml), with a pseudonymisation key and a release signing key
    created if it has none."""
    from transparency.core.config import load_agency
    from transparency.core.keys import create_key
    from transparency.releasing.signing import create_signing_key

    agency = load_agency(folder)
    create_key(agency.slug)
    create_signing_key(agency.slug)
    return agency


def agency_config(datasets: dict, **extra) -> dict:
    """A minimal valid agency.yml as a dict."""
    base = {"name": "Testville Police Department", "timezone": "America/Chicago", "datasets": datasets}
    base.update(extra)
    return base


def needs_real(*folders: str):
    """Skip (with a reason) when ../shared/real is not beside the checkout."""
    missing = [f for f in folders if not (SHARED_REAL / f).is_dir()]
    return pytest.mark.skipif(bool(missing), reason=f"../shared/real/{', '.join(missing)} not present")


def poppler(tool: str, *args: str) -> str:
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is missing: install poppler-utils (apt-get install poppler-utils)")
    return subprocess.run([tool, *args], check=True, capture_output=True, text=True).stdout


def pdf_objects(path: Path) -> bytes:
    """The PDF's bytes plus every inflated stream (object streams hold the structure tree)."""
    data = path.read_bytes()
    inflated = []
    for match in re.finditer(rb"stream\r?\n", data):
        try:
            inflated.append(zlib.decompressobj().decompress(data[match.end():]))
        except zlib.error:
            pass
    return data + b"".join(inflated)


os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def whole_sample(tmp_path_factory):
    """The sample agency's whole report for 2026Q3 (every dataset, HTML and PDF), built small once for every test
    that reads a complete report as a reader would (words, print layout, charts against tables).

    Returns the report's folder; read it, never change it.
    """
    from transparency.building.build import build
    from transparency.core.periods import parse_period

    root = tmp_path_factory.mktemp("whole-sample")
    agency = keyed_agency(sample_project(root, through="2026Q3", years=4, scale=0.3))
    lines: list[str] = []
    code = build(agency, parse_period("2026Q3"), root, None, workers=2, say=lines.append)
    assert code == 0, "\n".join(lines)
    return root / "reports" / "sample" / "2026Q3"
