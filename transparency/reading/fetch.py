"""Fetch a dataset's records from the agency's open-data portal into a new raw file (`transparency fetch`).

A dataset declares ``source:`` in agency.yml (portal kind, domain, dataset id, the field that dates a record,
and where extracts go). Each fetch pages through the portal's API as it documents paging, writes the rows
into a new CSV file (raw data is never overwritten; overlapping extracts are handled by the duplicate-row
rule at load) and beside it ``<file>.fetch.json``: the URL, when, rows fetched, rows the portal stated, the
columns and the file's sha256, which the build's manifest cites.

- Socrata (SODA 2): ``/resource/<id>.json`` with ``$where`` on the date field, ``$order=:id``, ``$limit`` and
  ``$offset``; the columns from ``/api/views/<id>.json``; the count from ``$select=count(*)``.
- CKAN: ``/api/3/action/datastore_search`` (``limit``, ``offset``, ``sort=_id``), or ``datastore_search_sql``
  with ``--since``.
- ArcGIS feature service: ``<layer>/query`` with ``resultOffset`` and ``resultRecordCount``, the count with
  ``returnCountOnly``, the fields from ``<layer>?f=json``.

429 and 5xx answers are retried with back-off (``Retry-After`` honoured); a fetch that fails part-way keeps
what it has under ``<agency>/.fetch/`` and the next run resumes from there. A column that the previous
extract had, or that agency.yml maps, and the portal no longer has, stops the fetch with a message naming it.
An app token or key is read from the environment variable ``source.token_env`` names, never from agency.yml,
and never written into a record.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from transparency.core.config import Agency, PortalSource
from transparency.core.errors import TransparencyError, UsageError
from transparency.core.hashing import file_sha256

RECORD_SUFFIX = ".fetch.json"
STATE_FOLDER = ".fetch"
MAX_ATTEMPTS = 6
BACKOFF_SECONDS = 1.0
MAX_WAIT_SECONDS = 60.0
TIMEOUT_SECONDS = 60


class FetchError(TransparencyError):
    """A fetch could not finish: the message says why and what to do."""


class SchemaChanged(FetchError):
    """The portal's columns are not those the last extract or agency.yml expect."""


# --- HTTP with back-off -------------------------------------------------------------------------------------


@dataclass
class Http:
    """GET JSON with retries: 429 waits Retry-After (or backs off), 5xx and lost connections back off."""

    headers: dict[str, str]
    sleep: Callable[[float], None] = time.sleep
    backoff: float = BACKOFF_SECONDS
    hidden: tuple[str, ...] = ()  # query values never shown (a key passed in the URL)

    def shown(self, url: str) -> str:
        for secret in self.hidden:
            url = url.replace(urllib.parse.quote(secret, safe=""), "<key>").replace(secret, "<key>")
        return url

    def get(self, url: str):
        for attempt in range(1, MAX_ATTEMPTS + 1):
            wait = min(self.backoff * 2 ** (attempt - 1), MAX_WAIT_SECONDS)
            try:
                request = urllib.request.Request(url, headers={"Accept": "application/json", **self.headers})
                with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
                    body = answer.read()
                try:
                    return json.loads(body)
                except ValueError:
                    raise FetchError(f"{self.shown(url)}: the portal's answer is not JSON") from None
            except urllib.error.HTTPError as exc:
                if exc.code == 429:
                    after = exc.headers.get("Retry-After", "")
                    wait = min(float(after), MAX_WAIT_SECONDS) if after.strip().isdigit() else wait
                elif exc.code < 500:
                    raise FetchError(f"{self.shown(url)}: the portal answered {exc.code} {exc.reason} "
                                     "(check the source's domain and dataset id in agency.yml, and the token)") from None
                problem = f"{exc.code} {exc.reason}"
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                problem = str(getattr(exc, "reason", exc))
            if attempt == MAX_ATTEMPTS:
                raise FetchError(f"{self.shown(url)}: the portal answered {problem} {MAX_ATTEMPTS} times; "
                                 "run the command again later: it resumes where it stopped")
            self.sleep(wait)
        raise AssertionError("unreachable")


# --- The portals -------------------------------------------------------------------------------------------


def _iso(day: dt.date) -> str:
    return day.isoformat() + "T00:00:00"


class Socrata:
    def __init__(self, source: PortalSource, http: Http):
        self.source, self.http = source, http
        self.base = f"{source.domain}/resource/{source.dataset}.json"

    def _where(self, since: dt.date | None) -> dict[str, str]:
        return {"$where": f"{self.source.date_field} >= '{_iso(since)}'"} if since else {}

    def columns(self) -> list[str]:
        view = self.http.get(f"{self.source.domain}/api/views/{self.source.dataset}.json")
        return [c["fieldName"] for c in view.get("columns", []) if not str(c.get("fieldName", ":")).startswith(":")]

    def count(self, since: dt.date | None) -> int | None:
        answer = self.http.get(self.url({"$select": "count(*) AS count", **self._where(since)}))
        return int(answer[0]["count"]) if answer else None

    def url(self, params: dict[str, str]) -> str:
        return self.base + "?" + urllib.parse.urlencode(params)

    def page_url(self, since: dt.date | None, offset: int, limit: int) -> str:
        return self.url({**self._where(since), "$order": ":id", "$limit": str(limit), "$offset": str(offset)})

    def page(self, since: dt.date | None, offset: int, limit: int) -> list[dict]:
        return self.http.get(self.page_url(since, offset, limit))


class Ckan:
    def __init__(self, source: PortalSource, http: Http):
        self.source, self.http = source, http
        self.action = f"{source.domain}/api/3/action/"
        self._fields: list[str] | None = None

    def _result(self, url: str) -> dict:
        answer = self.http.get(url)
        if not answer.get("success"):
            raise FetchError(f"{url}: the portal says {answer.get('error', 'the request failed')}")
        return answer["result"]

    def _sql(self, since: dt.date, select: str, tail: str = "") -> str:
        sql = (f'SELECT {select} FROM "{self.source.dataset}" WHERE "{self.source.date_field}" >= '
               f"'{_iso(since)}'{tail}")
        return self.action + "datastore_search_sql?" + urllib.parse.urlencode({"sql": sql})

    def columns(self) -> list[str]:
        result = self._result(self.action + "datastore_search?" + urllib.parse.urlencode(
            {"resource_id": self.source.dataset, "limit": "0"}))
        return [f["id"] for f in result.get("fields", []) if f["id"] != "_id"]

    def count(self, since: dt.date | None) -> int | None:
        if since is None:
            result = self._result(self.action + "datastore_search?" + urllib.parse.urlencode(
                {"resource_id": self.source.dataset, "limit": "0"}))
            return int(result["total"])
        records = self._result(self._sql(since, "COUNT(*) AS count"))["records"]
        return int(records[0]["count"])

    def page_url(self, since: dt.date | None, offset: int, limit: int) -> str:
        if since is not None:
            return self._sql(since, "*", f" ORDER BY _id LIMIT {limit} OFFSET {offset}")
        return self.action + "datastore_search?" + urllib.parse.urlencode(
            {"resource_id": self.source.dataset, "limit": str(limit), "offset": str(offset), "sort": "_id asc"})

    def page(self, since: dt.date | None, offset: int, limit: int) -> list[dict]:
        rows = self._result(self.page_url(since, offset, limit))["records"]
        return [{k: v for k, v in row.items() if k != "_id"} for row in rows]


class ArcGis:
    def __init__(self, source: PortalSource, http: Http, token: str | None):
        self.source, self.http, self.token = source, http, token
        self.layer = f"{source.domain}/{source.dataset.strip('/')}"
        self._dates: set[str] = set()

    def _params(self, params: dict[str, str]) -> str:
        if self.token:
            params = {**params, "token": self.token}
        return urllib.parse.urlencode(params)

    def _where(self, since: dt.date | None) -> str:
        return f"{self.source.date_field} >= DATE '{since.isoformat()}'" if since else "1=1"

    def _check(self, answer: dict, url: str) -> dict:
        if "error" in answer:
            error = answer["error"]
            raise FetchError(f"{self.http.shown(url)}: the service says {error.get('code', '')} {error.get('message', '')}")
        return answer

    def columns(self) -> list[str]:
        url = f"{self.layer}?{self._params({'f': 'json'})}"
        fields = self._check(self.http.get(url), url).get("fields", [])
        self._dates = {f["name"] for f in fields if f.get("type") == "esriFieldTypeDate"}
        return [f["name"] for f in fields]

    def count(self, since: dt.date | None) -> int | None:
        url = f"{self.layer}/query?{self._params({'where': self._where(since), 'returnCountOnly': 'true', 'f': 'json'})}"
        return int(self._check(self.http.get(url), url)["count"])

    def page_url(self, since: dt.date | None, offset: int, limit: int) -> str:
        return f"{self.layer}/query?" + self._params({
            "where": self._where(since), "outFields": "*", "orderByFields": "OBJECTID", "resultOffset": str(offset),
            "resultRecordCount": str(limit), "f": "json"})

    def page(self, since: dt.date | None, offset: int, limit: int) -> list[dict]:
        url = self.page_url(since, offset, limit)
        rows = [f.get("attributes", {}) for f in self._check(self.http.get(url), url).get("features", [])]
        for row in rows:  # dates are milliseconds since 1970 (UTC): written as UTC date and time
            for name in self._dates & set(row):
                if isinstance(row[name], (int, float)):
                    row[name] = dt.datetime.fromtimestamp(row[name] / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        return rows


def client(source: PortalSource, token: str | None, sleep: Callable[[float], None] = time.sleep,
           backoff: float = BACKOFF_SECONDS):
    """The portal's client, with the token sent as the portal documents (a header, or ArcGIS's token parameter)."""
    if source.portal == "socrata":
        return Socrata(source, Http({"X-App-Token": token} if token else {}, sleep, backoff))
    if source.portal == "ckan":
        return Ckan(source, Http({"Authorization": token} if token else {}, sleep, backoff))
    return ArcGis(source, Http({}, sleep, backoff, hidden=(token,) if token else ()), token)


# --- One fetch ----------------------------------------------------------------------------------------------


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def previous_records(agency: Agency, dataset: str) -> list[dict]:
    """The fetch records of a dataset's earlier extracts, oldest first."""
    source = agency.dataset(dataset).source
    pattern = source.file.replace("{fetched}", "*") + RECORD_SUFFIX
    out = []
    for path in sorted(agency.raw_root.glob(pattern)):
        try:
            out.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return sorted(out, key=lambda r: r.get("fetched_at", ""))


def _mapped_columns(agency: Agency, dataset: str) -> list[str]:
    """The source columns agency.yml reads from the file group the extracts fall into."""
    import fnmatch

    example = agency.dataset(dataset).source.file.replace("{fetched}", "20250101T000000Z")
    columns: list[str] = []
    for group in agency.file_groups[dataset]:
        if fnmatch.fnmatchcase(example, group.glob):
            for source in group.columns.values():
                if source.kind in ("column", "datetime_parts", "year_of_birth") and len(source.columns) <= 1:
                    columns += source.source_columns()  # alternatives (several columns) may be missing
            break
    return columns


def check_schema(agency: Agency, dataset: str, columns: list[str]) -> None:
    """Stop when a column the last extract had, or one agency.yml maps, is not among the portal's."""
    have = set(columns)
    records = previous_records(agency, dataset)
    if records:
        gone = [c for c in records[-1].get("columns", []) if c not in have]
        if gone:
            new = [c for c in columns if c not in records[-1]["columns"]]
            renamed = f"; new: {', '.join(new)} (renamed?)" if new else ""
            raise SchemaChanged(f"{dataset}: the portal's dataset changed since the last extract "
                                f"({records[-1].get('file')}): gone: {', '.join(gone)}{renamed}. Nothing was fetched; "
                                "map the new columns in agency.yml (a `files:` entry for the new extracts) first.")
    missing = [c for c in dict.fromkeys(_mapped_columns(agency, dataset)) if c not in have]
    if missing:
        raise SchemaChanged(f"{dataset}: agency.yml maps column(s) {', '.join(missing)} that the portal's dataset "
                            f"does not have (it has: {', '.join(columns)}). Nothing was fetched.")


@dataclass
class FetchRecord:
    dataset: str
    file: str
    rows: int
    rows_stated: int | None
    record: dict


def fetch_dataset(agency: Agency, dataset: str, since: dt.date | None = None, now: dt.datetime | None = None,
                  sleep: Callable[[float], None] = time.sleep, backoff: float = BACKOFF_SECONDS,
                  say: Callable[[str], None] = print) -> FetchRecord:
    """Fetch one dataset's records (from ``since``, a date, when given) into a new raw file; return its record."""
    source = agency.dataset(dataset).source
    if source is None:
        raise UsageError(f"{dataset} has no `source:` in agency.yml, so it cannot be fetched")
    token = os.environ.get(source.token_env) if source.token_env else None
    if source.token_env and not token:
        say(f"note: {source.token_env} is not set: fetching without a token (the portal may throttle more)")
    portal = client(source, token, sleep, backoff)
    columns = portal.columns()
    check_schema(agency, dataset, columns)
    stated = portal.count(since)

    state_dir = agency.folder / STATE_FOLDER
    state_dir.mkdir(exist_ok=True)
    partial, state_path = state_dir / f"{dataset}.partial.csv", state_dir / f"{dataset}.state.json"
    first_url = portal.page_url(since, 0, source.page_size)
    offset = 0
    try:
        state = json.loads(state_path.read_text(encoding="utf-8"))
        if state.get("url") == portal.http.shown(first_url) and state.get("columns") == columns and partial.exists():
            offset = int(state["offset"])
            say(f"{dataset}: resuming after {offset:,} rows fetched before")
    except (OSError, ValueError, KeyError):
        pass
    if offset == 0:
        with open(partial, "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle, lineterminator="\n").writerow(columns)
    while True:
        rows = portal.page(since, offset, source.page_size)
        extra = sorted({k for row in rows for k in row} - set(columns))
        if extra:
            raise SchemaChanged(f"{dataset}: the portal's rows hold column(s) {', '.join(extra)} that its list of "
                                f"columns does not (at row {offset + 1}); nothing more was fetched")
        with open(partial, "a", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            for row in rows:
                writer.writerow([_cell(row.get(c)) for c in columns])
        offset += len(rows)
        state_path.write_text(json.dumps({"url": portal.http.shown(first_url), "columns": columns, "offset": offset}),
                              encoding="utf-8")
        if len(rows) < source.page_size:
            break

    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    relative = source.file.replace("{fetched}", moment.strftime("%Y%m%dT%H%M%SZ"))
    target = agency.raw_root / relative
    if target.exists():
        raise FetchError(f"{target} already exists: raw data is never overwritten (fetch again in a second)")
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(partial, target)
    record = {
        "dataset": dataset, "portal": source.portal, "url": portal.http.shown(first_url), "since":
        since.isoformat() if since else None, "fetched_at": moment.isoformat().replace("+00:00", "Z"),
        "file": relative, "rows": offset, "rows_stated": stated, "columns": columns, "sha256": file_sha256(target),
    }
    Path(str(target) + RECORD_SUFFIX).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    state_path.unlink(missing_ok=True)
    agrees = "as the portal states" if stated == offset else f"the portal states {stated:,}" if stated is not None else \
        "the portal states no count"
    say(f"{dataset}: {offset:,} rows fetched ({agrees}) into {relative}")
    return FetchRecord(dataset, relative, offset, stated, record)


def fetch_records(agency: Agency, paths: list[str]) -> dict[str, dict]:
    """The fetch records of the input files that came from a portal: relative path -> record (for the manifest)."""
    out = {}
    for relative in paths:
        record = agency.raw_root / (relative + RECORD_SUFFIX)
        if record.is_file():
            try:
                data = json.loads(record.read_text(encoding="utf-8"))
            except ValueError:
                continue
            out[relative] = {k: data.get(k) for k in ("portal", "url", "since", "fetched_at", "rows", "rows_stated",
                                                      "sha256")}
    return out
