"""A local open-data portal for the fetch tests: answers as Socrata (SODA 2), CKAN's datastore and an ArcGIS
feature service document it (paging, counts, column lists, 429 with Retry-After, 5xx), from CSV files.

Never reaches the internet. Run it by hand to fetch the sample agency from it (see the README):

    python tests/portal.py --port 8765 stops=data/sample/raw/stops/pedestrian_stops_2026.csv
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Table:
    columns: list[str]
    rows: list[dict]

    @classmethod
    def from_csv(cls, path: Path) -> Table:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            return cls(list(reader.fieldnames or []), [dict(r) for r in reader])


@dataclass
class Fault:
    """Answer ``status`` (with headers) to the next ``times`` requests whose URL holds ``when``."""

    when: str
    status: int
    times: int = 1
    headers: dict[str, str] = field(default_factory=dict)


class Portal:
    """The portal's state: tables by id, faults to inject, the requests seen (path and headers)."""

    def __init__(self, tables: dict[str, Table]):
        self.tables = tables
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> Portal:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        portal = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                portal.requests.append((self.path, dict(self.headers)))
                for fault in portal.faults:
                    if fault.times > 0 and fault.when in urllib.parse.unquote(self.path):
                        fault.times -= 1
                        self.send_response(fault.status)
                        for name, value in fault.headers.items():
                            self.send_header(name, value)
                        self.end_headers()
                        self.wfile.write(b'{"error": true}')
                        return
                try:
                    status, body = portal.answer(self.path)
                except KeyError:
                    status, body = 404, {"error": True, "message": "not found"}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    # --- the APIs ---------------------------------------------------------------------------------------------

    def answer(self, path: str) -> tuple[int, object]:
        parts = urllib.parse.urlsplit(path)
        query = dict(urllib.parse.parse_qsl(parts.query))
        if m := re.fullmatch(r"/api/views/([\w-]+)\.json", parts.path):
            table = self.tables[m.group(1)]
            return 200, {"id": m.group(1), "columns": [{"fieldName": c} for c in table.columns]}
        if m := re.fullmatch(r"/resource/([\w-]+)\.json", parts.path):
            return 200, self._socrata(self.tables[m.group(1)], query)
        if parts.path == "/api/3/action/datastore_search":
            return 200, self._ckan(self.tables[query["resource_id"]], query)
        if parts.path == "/api/3/action/datastore_search_sql":
            return 200, self._ckan_sql(query["sql"])
        if m := re.fullmatch(r"/(.+/FeatureServer/\d+)(/query)?", parts.path):
            return 200, self._arcgis(self.tables[m.group(1)], query, bool(m.group(2)))
        raise KeyError(path)

    @staticmethod
    def _since(rows: list[dict], where: str | None) -> list[dict]:
        """Rows whose date field is on or after the date in ``field >= '...'`` (dates compared as text, ISO)."""
        if not where or where == "1=1":
            return rows
        m = re.fullmatch(r"\"?(\w+)\"?\s*>=\s*(?:DATE\s*)?'([^']+)'", where.strip())
        if not m:
            raise KeyError(where)
        name, since = m.group(1), m.group(2)[:10]
        return [r for r in rows if _iso(r.get(name, "")) >= since]

    def _socrata(self, table: Table, query: dict) -> object:
        rows = self._since(table.rows, query.get("$where"))
        if query.get("$select", "").startswith("count(*)"):
            return [{"count": str(len(rows))}]
        offset, limit = int(query.get("$offset", 0)), int(query.get("$limit", 1000))
        # SODA leaves out a row's null values; so do we.
        return [{k: v for k, v in r.items() if v != ""} for r in rows[offset:offset + limit]]

    def _ckan(self, table: Table, query: dict) -> object:
        offset, limit = int(query.get("offset", 0)), int(query.get("limit", 100))
        records = [{"_id": i + 1, **r} for i, r in enumerate(table.rows)][offset:offset + limit]
        return {"success": True, "result": {"fields": [{"id": "_id"}] + [{"id": c} for c in table.columns],
                                            "records": records, "total": len(table.rows)}}

    def _ckan_sql(self, sql: str) -> object:
        m = re.fullmatch(r'SELECT (.+) FROM "([\w-]+)" WHERE (.+?)(?: ORDER BY _id LIMIT (\d+) OFFSET (\d+))?', sql)
        if not m:
            raise KeyError(sql)
        rows = self._since(self.tables[m.group(2)].rows, m.group(3))
        if m.group(1).startswith("COUNT"):
            return {"success": True, "result": {"records": [{"count": len(rows)}]}}
        offset, limit = int(m.group(5)), int(m.group(4))
        return {"success": True, "result": {"records": rows[offset:offset + limit]}}

    def _arcgis(self, table: Table, query: dict, is_query: bool) -> object:
        if not is_query:
            return {"fields": [{"name": c, "type": "esriFieldTypeString"} for c in table.columns]}
        rows = self._since(table.rows, query.get("where"))
        if query.get("returnCountOnly") == "true":
            return {"count": len(rows)}
        offset, limit = int(query.get("resultOffset", 0)), int(query.get("resultRecordCount", 1000))
        page = rows[offset:offset + limit]
        return {"features": [{"attributes": r} for r in page], "exceededTransferLimit": offset + limit < len(rows)}


def _iso(text: str) -> str:
    """A date cell as YYYY-MM-DD when it is written MM/DD/YYYY (the sample's), else as it is."""
    m = re.match(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    return f"{m.group(3)}-{int(m.group(1)):02d}-{int(m.group(2)):02d}" if m else text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("tables", nargs="+", metavar="ID=FILE.csv", help="serve FILE.csv as dataset ID")
    args = parser.parse_args()
    tables = {}
    for item in args.tables:
        name, _, path = item.partition("=")
        tables[name] = Table.from_csv(Path(path))
    portal = Portal(tables)
    portal.server.server_close()
    portal.server = ThreadingHTTPServer(("127.0.0.1", args.port), portal._handler())
    print(f"serving {', '.join(tables)} at http://127.0.0.1:{args.port} (Socrata, CKAN and ArcGIS paths); Ctrl-C stops")
    portal.server.serve_forever()


if __name__ == "__main__":
    main()
