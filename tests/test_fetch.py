"""Fetching a dataset from an open-data portal (`transparency fetch`, transparency/reading/fetch.py).

What this guards: paging through Socrata, CKAN and ArcGIS as they document it, against a local server
(tests/portal.py; no test reaches the internet); each extract a new raw file with a record (URL, time, rows,
rows the portal states, sha256) that never holds the token; back-off on 429 (Retry-After) and 5xx; a failed
fetch resumed where it stopped; a changed schema stops the fetch, naming the column; the sample agency's
stops fetched and loaded, the overlap excluded by the duplicate-row rule.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil

import pytest
import yaml
from conftest import agency_config, keyed_agency, sample_project
from portal import Fault, Portal, Table

from transparency import cli
from transparency.building.build import build_period
from transparency.core.config import load_agency
from transparency.core.errors import ConfigError
from transparency.core.periods import parse_period
from transparency.reading.fetch import FetchError, SchemaChanged, fetch_dataset
from transparency.reading.load import load_dataset

COLUMNS = ["stop_id", "stop_date", "race"]
ROWS = [{"stop_id": f"S{i:03d}", "stop_date": f"2026-0{1 + i % 6}-{1 + i % 28:02d}", "race": "W" if i % 3 else ""}
        for i in range(25)]
NOW = dt.datetime(2026, 7, 2, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def portal():
    server = Portal({"abcd-1234": Table(list(COLUMNS), [dict(r) for r in ROWS]),
                     "res-1": Table(list(COLUMNS), [dict(r) for r in ROWS]),
                     "services/Stops/FeatureServer/0": Table(list(COLUMNS), [dict(r) for r in ROWS])}).start()
    yield server
    server.stop()


def _agency(make_agency, portal, kind="socrata", dataset="abcd-1234", **source):
    config = agency_config({"stops": {
        "files": ["raw/stops/portal_*.csv"],
        "columns": {"stop_id": "stop_id", "occurred_at": "stop_date", "stop_type": {"const": "traffic"},
                    "subject_race": "race"},
        "values": {"subject_race": {"W": "White"}},
        "source": {"portal": kind, "domain": portal.url, "dataset": dataset, "date_field": "stop_date",
                   "file": "raw/stops/portal_{fetched}.csv", "page_size": 10, **source}}})
    return keyed_agency(make_agency(config))


def _csv_rows(path):
    return path.read_text(encoding="utf-8").splitlines()


def _no_sleep(log):
    return lambda seconds: log.append(seconds)


def test_socrata_pages_into_a_new_raw_file_with_its_record(make_agency, portal, monkeypatch):
    monkeypatch.setenv("TEST_PORTAL_TOKEN", "s3cret-token")
    agency = _agency(make_agency, portal, token_env="TEST_PORTAL_TOKEN")
    done = fetch_dataset(agency, "stops", now=NOW, say=lambda _: None)
    path = agency.raw_root / "raw/stops/portal_20260702T120000Z.csv"
    assert done.rows == 25 and done.rows_stated == 25
    lines = _csv_rows(path)
    assert lines[0] == "stop_id,stop_date,race" and len(lines) == 26 and lines[1] == "S000,2026-01-01,"
    pages = [p for p, _ in portal.requests if "%24offset" in p]
    assert len(pages) == 3 and "%24order=%3Aid" in pages[0] and "%24limit=10" in pages[0]
    assert all(h.get("X-App-Token") == "s3cret-token" for _, h in portal.requests)
    record_text = (agency.raw_root / "raw/stops/portal_20260702T120000Z.csv.fetch.json").read_text()
    record = json.loads(record_text)
    assert record["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert record["rows"] == 25 and record["rows_stated"] == 25 and record["url"].startswith(portal.url + "/resource/")
    assert "s3cret" not in record_text
    loaded = load_dataset(agency, "stops")
    assert loaded.rows_read == 25 and loaded.rows_used == 25


def test_since_asks_the_portal_for_records_from_that_date(make_agency, portal):
    agency = _agency(make_agency, portal)
    done = fetch_dataset(agency, "stops", since=dt.date(2026, 4, 1), now=NOW, say=lambda _: None)
    expected = [r for r in ROWS if r["stop_date"] >= "2026-04-01"]
    assert done.rows == len(expected) == done.rows_stated
    assert any("stop_date+%3E%3D+%272026-04-01T00%3A00%3A00%27" in p for p, _ in portal.requests)


def test_429_waits_as_told_and_5xx_backs_off(make_agency, portal):
    agency = _agency(make_agency, portal)
    portal.faults += [Fault("$offset=10", 429, 1, {"Retry-After": "7"}), Fault("$offset=20", 503, 2)]
    waits: list[float] = []
    done = fetch_dataset(agency, "stops", now=NOW, sleep=_no_sleep(waits), backoff=0.5, say=lambda _: None)
    assert done.rows == 25
    assert waits == [7.0, 0.5, 1.0]


def test_a_failed_fetch_resumes_where_it_stopped(make_agency, portal):
    agency = _agency(make_agency, portal)
    portal.faults.append(Fault("$offset=20", 500, 6))
    with pytest.raises(FetchError, match="500 .* 6 times; run the command again later: it resumes"):
        fetch_dataset(agency, "stops", now=NOW, sleep=lambda _: None, say=lambda _: None)
    assert not list((agency.raw_root / "raw").rglob("portal_*.csv"))  # nothing half-written where the build reads
    portal.requests.clear()
    said: list[str] = []
    done = fetch_dataset(agency, "stops", now=NOW, sleep=lambda _: None, say=said.append)
    assert "resuming after 20 rows" in said[0]
    assert [p for p, _ in portal.requests if "%24offset" in p] == [p for p, _ in portal.requests
                                                                  if "%24offset=20" in p]
    lines = _csv_rows(agency.raw_root / done.file)
    assert len(lines) == 26 and len(set(lines)) == 26


def test_a_renamed_column_stops_the_fetch(make_agency, portal):
    agency = _agency(make_agency, portal)
    fetch_dataset(agency, "stops", now=NOW, say=lambda _: None)
    table = portal.tables["abcd-1234"]
    table.columns = ["stop_id", "stop_date", "subject_race_code"]
    table.rows = [{"stop_id": r["stop_id"], "stop_date": r["stop_date"], "subject_race_code": r["race"]} for r in ROWS]
    with pytest.raises(SchemaChanged, match="gone: race; new: subject_race_code"):
        fetch_dataset(agency, "stops", now=NOW + dt.timedelta(days=1), say=lambda _: None)
    assert len(list((agency.raw_root / "raw/stops").glob("portal_*.csv"))) == 1


def test_a_mapped_column_the_portal_lacks_stops_the_first_fetch(make_agency, portal):
    agency = _agency(make_agency, portal)
    portal.tables["abcd-1234"].columns = ["stop_id", "stop_date"]
    with pytest.raises(SchemaChanged, match="maps column\\(s\\) race"):
        fetch_dataset(agency, "stops", now=NOW, say=lambda _: None)


def test_a_later_extract_is_a_new_file_and_the_overlap_is_excluded(make_agency, portal):
    agency = _agency(make_agency, portal)
    fetch_dataset(agency, "stops", now=NOW, say=lambda _: None)
    fetch_dataset(agency, "stops", now=NOW + dt.timedelta(days=1), say=lambda _: None)
    assert len(list((agency.raw_root / "raw/stops").glob("portal_*.csv"))) == 2
    loaded = load_dataset(agency, "stops")
    assert loaded.rows_read == 50 and loaded.rows_used == 25 and loaded.excluded["duplicate_row"] == 25


@pytest.mark.parametrize("kind, dataset", [("ckan", "res-1"), ("arcgis", "services/Stops/FeatureServer/0")])
def test_ckan_and_arcgis_page_as_documented(make_agency, portal, kind, dataset):
    agency = _agency(make_agency, portal, kind=kind, dataset=dataset)
    done = fetch_dataset(agency, "stops", now=NOW, say=lambda _: None)
    assert done.rows == 25 == done.rows_stated
    lines = _csv_rows(agency.raw_root / done.file)
    assert lines[0] == "stop_id,stop_date,race" and lines[1] == "S000,2026-01-01,"
    word = "offset=" if kind == "ckan" else "resultOffset="
    assert sorted(int(p.split(word)[1].split("&")[0]) for p, _ in portal.requests if word in p) == [0, 10, 20]
    since = fetch_dataset(agency, "stops", since=dt.date(2026, 4, 1), now=NOW + dt.timedelta(days=1), say=lambda _: None)
    assert since.rows == sum(r["stop_date"] >= "2026-04-01" for r in ROWS) == since.rows_stated


def test_fetch_command_and_its_errors(make_agency, portal, monkeypatch, capsys):
    agency = _agency(make_agency, portal)
    monkeypatch.setattr("transparency.reading.fetch.BACKOFF_SECONDS", 0.0)
    assert cli.main(["fetch", "--agency", str(agency.folder)]) == 0
    assert "stops: 25 rows fetched (as the portal states)" in capsys.readouterr().out
    portal.tables.pop("abcd-1234")
    assert cli.main(["fetch", "--agency", str(agency.folder)]) == 1
    err = capsys.readouterr().err
    assert "404" in err and "Traceback" not in err


@pytest.mark.parametrize("source, message", [
    ({"token_env": "abc123secret"}, "source.token_env: expected the name of an environment variable"),
    ({"file": "raw/other/x_{fetched}.csv"}, "source.file: 'raw/other/x_{fetched}.csv' matches none"),
    ({"file": "raw/stops/portal.csv"}, "source.file: expected a file name holding {fetched}"),
])
def test_a_bad_source_names_its_key(make_agency, source, message):
    config = agency_config({"stops": {
        "files": ["raw/stops/portal_*.csv"], "columns": {"stop_id": "a", "occurred_at": "b", "stop_type": "c"},
        "source": {"portal": "socrata", "domain": "data.example.gov", "dataset": "abcd-1234", "date_field": "b",
                   "file": "raw/stops/portal_{fetched}.csv", **source}}})
    with pytest.raises(ConfigError, match=message.replace("{", "\\{").replace("}", "\\}").replace("(", "\\(")):
        load_agency(make_agency(config))


def test_the_sample_agencys_stops_are_fetched_and_loaded(tmp_path):
    folder = sample_project(tmp_path, through="2026Q2", years=1, scale=0.2)
    served = folder / "raw" / "stops" / "pedestrian_stops_2026.csv"
    server = Portal({"peds-2026": Table.from_csv(served)}).start()
    try:
        config = yaml.safe_load((folder / "agency.yml").read_text())
        config["datasets"]["stops"]["source"] = {
            "portal": "socrata", "domain": server.url, "dataset": "peds-2026", "date_field": "STOP_DATETIME",
            "file": "raw/stops/pedestrian_stops_portal_{fetched}.csv", "page_size": 500}
        (folder / "agency.yml").write_text(yaml.safe_dump(config, sort_keys=False))
        agency = keyed_agency(folder)
        before = load_dataset(agency, "stops")
        done = fetch_dataset(agency, "stops", now=NOW, say=lambda _: None)
    finally:
        server.stop()
    assert done.rows == done.rows_stated == len(_csv_rows(served)) - 1
    after = load_dataset(load_agency(folder), "stops")
    fetched = next(f for f in after.files if "portal" in f.path)
    # The same rows again: each is a duplicate (the sample's planted repeated header row is excluded as before).
    assert fetched.rows_read == done.rows and fetched.rows_used == 0
    assert set(fetched.excluded) <= {"duplicate_row", "header_row"}
    assert after.rows_used == before.rows_used
    shutil.rmtree(folder / ".fetch", ignore_errors=True)

    # Built: the manifest cites the fetch record, and the methodology says where the records came from.
    lines: list[str] = []
    outcomes = build_period(load_agency(folder), parse_period("2026Q2")[0], tmp_path, ["stops"], 1, ("html",),
                            lines.append)
    assert [o.status for o in outcomes] == ["ok"], lines
    report = tmp_path / "reports" / "sample" / "2026Q2"
    cited = json.loads((report / "manifest.json").read_text())["datasets"]["stops"]["fetched"]
    assert cited == {done.file: {k: done.record[k] for k in ("portal", "url", "since", "fetched_at", "rows",
                                                             "rows_stated", "sha256")}}
    page = (report / "report.html").read_text()
    assert f"{done.rows:,} records fetched on 2026-07-02 from" in page and "peds-2026.json" in page


def test_an_arcgis_key_goes_in_the_query_but_never_into_the_record(make_agency, portal, monkeypatch):
    monkeypatch.setenv("TEST_ARCGIS_KEY", "k3y-value")
    agency = _agency(make_agency, portal, kind="arcgis", dataset="services/Stops/FeatureServer/0",
                     token_env="TEST_ARCGIS_KEY")
    done = fetch_dataset(agency, "stops", since=dt.date(2026, 3, 1), now=NOW, say=lambda _: None)
    assert all("token=k3y-value" in p for p, _ in portal.requests)
    record = (agency.raw_root / (done.file + ".fetch.json")).read_text()
    assert "k3y" not in record and "token=<key>" in record
    assert done.rows == sum(r["stop_date"] >= "2026-03-01" for r in ROWS)
    monkeypatch.setenv("TRANSPARENCY_ROOT", str(agency.folder.parent))
    assert cli.main(["fetch", "--agency", str(agency.folder), "--since", "2026Q2", "--datasets", "stops"]) == 0
