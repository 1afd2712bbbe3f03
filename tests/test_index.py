"""The public index (reports/<agency>/index.html) and its Project Open Data catalogue (data.json).

What this guards: every released period is listed newest first with its current version's PDF, web page,
headline figures and CSV tables, its corrections with their reasons, and its earlier versions; the next
report's due date is ``due_days`` after the quarter ends; text from a release is escaped; the page is made
from released files only, so writing it again gives the same bytes; data.json carries the fields the
Project Open Data v1.1 schema requires, and every download URL in it resolves to a released file.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from pathlib import Path

import pytest
import yaml
from conftest import sample_project

from transparency.core.config import load_agency
from transparency.core.periods import parse_period
from transparency.releasing.publish_index import catalog, next_due, released, write_index

# The Project Open Data v1.1 patterns the catalogue's values must match (project-open-data.cio.gov/v1.1/schema).
MEDIA_TYPE = re.compile(r"^[-\w]+/[-\w]+(\.[-\w]+)*([+][-\w]+)?$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
INTERVAL = re.compile(r"^\d{4}-\d{2}-\d{2}/\d{4}-\d{2}-\d{2}$")
EMAIL = re.compile(r"^mailto:[\w.-]+@[\w.-]+\.[\w.-]+$")


@pytest.fixture
def agency(tmp_path):
    return load_agency(sample_project(tmp_path))


def fake_release(root: Path, code: str, version: int, released_on: str, reason: str | None = None) -> Path:
    """A released version on disk, as `transparency release` leaves it (without running a build)."""
    folder = root / "reports" / "sample" / "released" / code / f"v{version}"
    (folder / "tables").mkdir(parents=True)
    files = {
        "report.pdf": b"%PDF-1.7 " + b"x" * 3000,
        "report.html": b"<html></html>",
        "metrics.json": b"{}",
        "tables/use_of_force__trend.csv": b"Quarter,Incidents\n",
        "manifest.json": json.dumps({
            "parameters": {"datasets": ["use_of_force"]},
            "datasets": {"use_of_force": {"tables": [
                {"name": "trend", "caption": "Use-of-force incidents per quarter", "file": "tables/use_of_force__trend.csv"},
                {"name": "gone", "caption": "A table never published", "file": "tables/use_of_force__gone.csv"},
            ]}},
        }).encode(),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    record = {
        "period": code, "version": version, "released_on": released_on, "released_by": "test",
        "correction": {"reason": reason, "corrects_version": version - 1, "changed_figures": [{}, {}]} if reason else None,
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
    }
    (folder / "RELEASE.json").write_text(json.dumps(record))
    return folder


@pytest.fixture
def releases(agency, tmp_path):
    root = tmp_path
    fake_release(root, "2025Q4", 1, "2026-02-10")
    fake_release(root, "2025", 1, "2026-02-20")
    fake_release(root, "2026Q1", 1, "2026-05-01")
    fake_release(root, "2026Q1", 2, "2026-05-20", reason="A <script>alert('x')</script> typo & more.")
    return root


def test_released_periods_are_listed_newest_first(agency, releases):
    entries = released(agency, releases)
    assert [e.period.code for e in entries] == ["2026Q1", "2025Q4", "2025"]
    assert [v.number for v in entries[0].versions] == [2, 1], "the current version first"
    html = write_index(agency, releases)[0].read_text()
    headings = re.findall(r'<h3 id="period-([^"]+)">', html)
    assert headings == ["2026Q1", "2025Q4", "2025"]


def test_index_links_the_current_version_its_tables_corrections_and_earlier_versions(agency, releases):
    html = write_index(agency, releases)[0].read_text()
    q1 = html[html.index('id="period-2026Q1"'): html.index('id="period-2025Q4"')]
    for href in ["released/2026Q1/v2/report.pdf", "released/2026Q1/v2/report.html", "released/2026Q1/v2/metrics.json",
                 "released/2026Q1/v2/tables/use_of_force__trend.csv", "released/2026Q1/v1/report.pdf",
                 "released/2026Q1/v1/report.html"]:
        assert f'href="{href}"' in q1, href
    assert "Version 2, released on May 20, 2026" in q1 and "(corrected)" in q1
    assert "2 published figures changed from version 1" in q1
    assert "use_of_force__gone.csv" not in html, "only files that were released are linked"
    assert "<script>" not in html and "&lt;script&gt;alert(" in html and "&amp; more." in html
    assert not re.search(r'href="[^"]*(report-source|review)', html) and 'href="data.json"' in html


def test_next_report_is_due_days_after_the_quarter_ends(agency, releases, tmp_path):
    upcoming, due = next_due(agency, [e.period for e in released(agency, releases)])
    assert upcoming.code == "2026Q2" and due == date(2026, 8, 14)  # June 30 + 45 days
    html = write_index(agency, releases)[0].read_text()
    assert "The report for April to June 2026 (2026Q2) is due by August 14, 2026, 45 days after the quarter ends." in html

    config = yaml.safe_load(agency.config_path.read_text())
    config["report"] = {"cadence": "quarterly", "due_days": 30}
    agency.config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    other = load_agency(agency.folder)
    assert next_due(other, parse_period("2026Q3")) == (parse_period("2026Q4")[0], date(2027, 1, 30))
    assert next_due(other, [], today=date(2026, 11, 25)) == (parse_period("2026Q3")[0], date(2026, 10, 30))


def test_index_and_catalogue_are_the_same_bytes_when_written_again(agency, releases):
    first = [p.read_bytes() for p in write_index(agency, releases)]
    second = [p.read_bytes() for p in write_index(agency, releases)]
    assert first == second


def test_an_agency_with_nothing_released_gets_an_honest_index(agency, tmp_path):
    index, data = write_index(agency, tmp_path)
    assert "No report has been released yet." in index.read_text()
    assert json.loads(data.read_text())["dataset"] == []


@pytest.fixture(scope="module")
def chief(tmp_path_factory):
    from test_release import released_project

    return released_project(tmp_path_factory)


def _check_catalogue(data: dict, base: Path | None, url_prefix: str = "") -> None:
    assert data["conformsTo"] == "https://project-open-data.cio.gov/v1.1/schema"
    assert data["@type"] == "dcat:Catalog" and data["@context"].endswith("/v1.1/schema/catalog.jsonld")
    assert data["describedBy"] == "https://project-open-data.cio.gov/v1.1/schema/catalog.json"
    identifiers = [d["identifier"] for d in data["dataset"]]
    assert len(identifiers) == len(set(identifiers))
    for dataset in data["dataset"]:
        for key in ("title", "description", "keyword", "modified", "publisher", "contactPoint", "identifier",
                    "accessLevel"):
            assert dataset.get(key), (dataset["identifier"], key)
        assert dataset["@type"] == "dcat:Dataset" and dataset["accessLevel"] == "public"
        assert all(isinstance(k, str) and k for k in dataset["keyword"])
        assert ISO_DATE.match(dataset["modified"]) and ISO_DATE.match(dataset["issued"])
        assert INTERVAL.match(dataset["temporal"]) and dataset["accrualPeriodicity"] == "R/P3M"
        assert dataset["publisher"] == {"@type": "org:Organization", "name": "Riverton Police Department"}
        assert dataset["contactPoint"]["@type"] == "vcard:Contact" and dataset["contactPoint"]["fn"]
        assert dataset["distribution"]
        for item in dataset["distribution"]:
            assert item["@type"] == "dcat:Distribution" and MEDIA_TYPE.match(item["mediaType"]) and item["title"]
            assert item["downloadURL"].startswith(url_prefix)
            if base is not None:
                assert (base / item["downloadURL"][len(url_prefix):]).is_file(), item["downloadURL"]


def test_catalogue_describes_every_published_table(chief, monkeypatch):
    index, data_path = write_index(chief.agency, chief.root)
    data = json.loads(data_path.read_text())
    _check_catalogue(data, data_path.parent)
    tables = sorted(p.stem for p in (chief.v2.folder / "tables").glob("*.csv"))
    described = sorted(d["identifier"].split("/", 1)[1] for d in data["dataset"]
                       if not d["identifier"].endswith("/report") and "/records/" not in d["identifier"])
    assert described == tables
    # The de-identified records released beside the report (the test gives the sample `export:`), one series
    # per dataset, each CSV described by the version's datapackage.json (every URL resolves: _check_catalogue).
    records = {d["identifier"]: d for d in data["dataset"] if "/records/" in d["identifier"]}
    assert sorted(records) == ["sample/records/complaints", "sample/records/use_of_force"]
    csv = [i for i in records["sample/records/use_of_force"]["distribution"] if i["format"] == "CSV"]
    assert [i["downloadURL"] for i in csv] == ["released/2026Q2/v2/data/use_of_force.csv"]
    assert csv[0]["describedBy"] == "released/2026Q2/v2/data/datapackage.json"
    assert 'href="released/2026Q2/v2/data/datapackage.json"' in index.read_text()
    report = next(d for d in data["dataset"] if d["identifier"] == "sample/report")
    assert {i["mediaType"] for i in report["distribution"]} == {"application/pdf", "text/html", "application/json"}
    assert all("/v2/" in i["downloadURL"] for i in report["distribution"]), "the current version"

    monkeypatch.setenv("TRANSPARENCY_PUBLIC_URL", "https://police.riverton.example/transparency/sample")
    monkeypatch.setenv("TRANSPARENCY_CONTACT_EMAIL", "records@riverton.example")
    data = catalog(chief.agency, released(chief.agency, chief.root))
    _check_catalogue(data, data_path.parent, "https://police.riverton.example/transparency/sample/")
    assert data["@id"] == "https://police.riverton.example/transparency/sample/data.json"
    assert all(EMAIL.match(d["contactPoint"]["hasEmail"]) for d in data["dataset"])
    assert all(d["landingPage"].endswith("/sample/index.html") for d in data["dataset"])
