"""The public index of released reports (``reports/<agency>/index.html``) and its catalogue (``data.json``).

``index.html`` lists every released period, newest first: the current version's PDF, web page, headline
figures and CSV tables, any corrections with their reasons, earlier versions, and when the next report is
due (``report: {cadence: quarterly, due_days: 45}`` in agency.yml: 45 days after the quarter ends).

``data.json`` describes the same files in the Project Open Data metadata schema v1.1 (DCAT-US), which
government open-data portals harvest: one dataset for the report series and one per published table
(``tables/<dataset>__<table>.csv``), with one distribution per released period. Download URLs are relative
to ``data.json`` unless a public address is known (``publishing.url`` in agency.yml, or
``TRANSPARENCY_PUBLIC_URL``: the web address of ``reports/<agency>/``); the contact e-mail is
``publishing.contact`` or ``TRANSPARENCY_CONTACT_EMAIL`` (:mod:`transparency.rendering.publishing`).

Both files are made only from what was released (RELEASE.json and the frozen files), so writing them
again gives the same bytes.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from transparency.building.build import RELEASED
from transparency.core.config import Agency
from transparency.core.periods import Period, last_complete_quarter, quarter_of
from transparency.rendering.publishing import contact as contact_email
from transparency.rendering.publishing import public_url
from transparency.writing.figure_words import dataset_title

from .released import LOG_FILE, Version, agency_reports, period_of, released_periods, versions

TEMPLATES = Path(__file__).resolve().parents[1] / "rendering" / "templates"
POD_CONTEXT = "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld"
POD_SCHEMA = "https://project-open-data.cio.gov/v1.1/schema"
POD_CATALOG_SCHEMA = "https://project-open-data.cio.gov/v1.1/schema/catalog.json"
CADENCE = {"quarterly": "R/P3M"}

__all__ = ["catalog", "index_html", "next_due", "write_index"]


@functools.lru_cache(maxsize=1)
def templates() -> Any:
    """The Jinja environment of the public pages (autoescaped, strict)."""
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def public_css() -> str:
    return (TEMPLATES / "public.css").read_text(encoding="utf-8")


def date_words(value: date | str) -> str:
    """``2026-11-25`` -> "November 25, 2026"."""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day:%B} {day.day}, {day.year}"


def _size(path: Path) -> str:
    size = path.stat().st_size
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


@dataclass
class Released:
    """A released period with its versions, newest version first."""

    period: Period
    versions: list[Version]  # newest first

    @property
    def current(self) -> Version:
        return self.versions[0]


def released(agency: Agency, root: Path) -> list[Released]:
    """Every released period, newest first (by the period's last day, then its first)."""
    out = []
    for code in released_periods(root, agency):
        found = [v for v in versions(root, agency, code) if v.record]
        if found:
            out.append(Released(period_of(code, agency), list(reversed(found))))
    return sorted(out, key=lambda r: (r.period.end, r.period.start), reverse=True)


def next_due(agency: Agency, periods: list[Period], today: date | None = None) -> tuple[Period, date]:
    """The next quarter to report and the day its report is due (``due_days`` after the quarter ends).

    After the latest released period; with nothing released, the last complete quarter before ``today``.
    """
    if periods:
        upcoming = quarter_of(max(p.end for p in periods))
    else:
        upcoming = last_complete_quarter(today or date.today())
    return upcoming, upcoming.end - timedelta(days=1) + timedelta(days=agency.model.report.due_days)


def _tables(version: Version) -> list[dict]:
    """The version's published tables (from its manifest), grouped by section in report order."""
    try:
        manifest = json.loads((version.folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    files = version.record.get("files", {})
    groups = []
    for dataset, entry in manifest.get("datasets", {}).items():
        tables = [{"caption": t.get("caption") or t["name"], "file": t["file"], "name": Path(t["file"]).stem}
                  for t in entry.get("tables", []) if t.get("file") in files]
        if tables:
            groups.append({"dataset": dataset, "title": dataset_title(dataset), "tables": tables})
    order = list(manifest.get("parameters", {}).get("datasets", []))
    return sorted(groups, key=lambda g: order.index(g["dataset"]) if g["dataset"] in order else len(order))


def _records(version: Version) -> list[dict]:
    """The de-identified records a version publishes beside its report (transparency.building.export)."""
    from transparency.building.export import published_records

    return published_records(version.folder)


def _href(version: Version, name: str) -> str:
    return quote(f"{RELEASED}/{version.record['period']}/v{version.number}/{name}")


def _view(agency: Agency, entries: list[Released]) -> dict:
    periods = []
    for entry in entries:
        current = entry.current
        corrections = []
        for version in entry.versions:
            correction = version.record.get("correction")
            if correction:
                corrections.append({
                    "version": version.number, "date": date_words(version.released_on),
                    "reason": correction.get("reason", ""), "changed": len(correction.get("changed_figures", [])),
                    "corrects": correction.get("corrects_version"),
                })
        earlier = [{
            "version": v.number, "date": date_words(v.released_on),
            "pdf": _href(v, "report.pdf"), "pdf_size": _size(v.folder / "report.pdf"),
            "html": _href(v, "report.html"),
        } for v in entry.versions[1:] if (v.folder / "report.pdf").is_file()]
        groups = [dict(g, tables=[dict(t, href=_href(current, t["file"])) for t in g["tables"]])
                  for g in _tables(current)]
        periods.append({
            "code": entry.period.code,
            "title": entry.period.title(),
            "label": entry.period.label(),
            "version": current.number,
            "released_on": date_words(current.released_on),
            "corrected": bool(current.record.get("correction")),
            "pdf": _href(current, "report.pdf"), "pdf_size": _size(current.folder / "report.pdf"),
            "html": _href(current, "report.html"),
            "metrics": _href(current, "metrics.json"),
            "records": _href(current, "data/datapackage.json") if _records(current) else None,
            "groups": groups,
            "table_count": sum(len(g["tables"]) for g in groups),
            "corrections": corrections,
            "earlier": earlier,
        })
    upcoming, due = next_due(agency, [e.period for e in entries])
    return {
        "agency": agency.name,
        "periods": periods,
        "next": {"title": upcoming.title(), "due": date_words(due), "due_days": agency.model.report.due_days},
        "updated": date_words(max(e.current.released_on for e in entries)) if entries else None,
    }


def release_log(agency: Agency, root: Path) -> dict:
    """What a reader keeps to check the releases later: the log's head, its length and the public key.

    Made from the log itself (the key of its last signed line), so writing the index again gives the same bytes.
    ``{}`` when nothing is released.
    """
    from .release_log import read_lines
    from .signing import ALGORITHM, key_fingerprint

    lines = read_lines(agency_reports(root, agency) / RELEASED / LOG_FILE)
    if not lines:
        return {}
    out: dict[str, Any] = {"log": f"{RELEASED}/{LOG_FILE}", "head": lines[-1].sha256, "entries": len(lines)}
    keys = [line.record["key"] for line in lines if line.signed and isinstance(line.record.get("key"), str)]
    if keys:
        out.update(algorithm=ALGORITHM, publicKey=keys[-1], publicKeyFingerprint=key_fingerprint(keys[-1]))
    return out


def index_html(agency: Agency, entries: list[Released], log: dict | None = None) -> str:
    """The public index page (complete, accessible HTML); ``log`` as :func:`release_log` gives it."""
    return templates().get_template("index.html.j2").render(css=public_css(), log=log or {}, **_view(agency, entries))


def _url(base: str | None, href: str) -> str:
    return (base or "") + href


def catalog(agency: Agency, entries: list[Released], log: dict | None = None) -> dict:
    """The Project Open Data (DCAT-US v1.1) catalogue of the released reports and tables; with ``log``
    (:func:`release_log`), a ``releaseLog`` entry: the chain head and the public key that check them."""
    base = public_url(agency)
    common = functools.partial(_dcat_dataset, _dcat_head(agency), base)
    datasets = (_report_datasets(agency, entries, common, base) + _table_datasets(agency, entries, common, base)
                + _record_datasets(agency, entries, common, base))
    out: dict[str, Any] = {"@context": POD_CONTEXT, "@type": "dcat:Catalog", "conformsTo": POD_SCHEMA,
                           "describedBy": POD_CATALOG_SCHEMA, "dataset": datasets}
    if base:
        out["@id"] = base + "data.json"
    if log:
        out["releaseLog"] = log
    return out


def _dcat_head(agency: Agency) -> dict:
    """What every dataset of the catalogue says alike: its publisher, contact point and periodicity."""
    email = contact_email(agency)
    contact = {"@type": "vcard:Contact", "fn": agency.name}
    if email:
        contact["hasEmail"] = f"mailto:{email}"
    return {"publisher": {"@type": "org:Organization", "name": agency.name}, "contactPoint": contact,
            "accrualPeriodicity": CADENCE.get(agency.model.report.cadence, "irregular")}


def _dcat_dataset(head: dict, base: str | None, identifier: str, title: str, description: str, keywords: list[str],
                  covered: list[Released]) -> dict:
    """One dataset of the catalogue, covering the periods of ``covered`` (its distributions added by the caller)."""
    first = min(covered, key=lambda e: e.period.start).period
    last = max(covered, key=lambda e: e.period.end).period
    issued = min(v.released_on for e in covered for v in e.versions)
    modified = max(v.released_on for e in covered for v in e.versions)
    out = {
        "@type": "dcat:Dataset",
        "identifier": identifier,
        "title": title,
        "description": description,
        "keyword": keywords,
        "issued": issued,
        "modified": modified,
        "publisher": head["publisher"],
        "contactPoint": head["contactPoint"],
        "accessLevel": "public",
        "accrualPeriodicity": head["accrualPeriodicity"],
        "temporal": f"{first.start.isoformat()}/{(last.end - timedelta(days=1)).isoformat()}",
        "language": ["en-US"],
        "theme": ["Public Safety"],
    }
    if base:
        out["landingPage"] = base + "index.html"
    return out


def _report_datasets(agency: Agency, entries: list[Released], common: Callable, base: str | None) -> list[dict]:
    """The report itself: its PDF, web page and headline figures of each period (none before a release)."""
    if not entries:
        return []
    report = common(
        f"{agency.slug}/report", f"{agency.name}: quarterly transparency report",
        f"The {agency.name}'s quarterly public report on its work: use of force, complaints and other records, "
        "with charts, definitions, methods and data quality. One PDF and one web page per period, and a "
        "machine-readable file of the headline figures.",
        ["police", "transparency", "quarterly report", "public safety"], entries)
    report["distribution"] = []
    for entry in entries:
        current = entry.current
        name = f"{entry.period.title()}, version {current.number}"
        report["distribution"] += [
            {"@type": "dcat:Distribution", "title": f"{name}: report (PDF)", "format": "PDF",
             "mediaType": "application/pdf", "downloadURL": _url(base, _href(current, "report.pdf"))},
            {"@type": "dcat:Distribution", "title": f"{name}: report (web page)", "format": "HTML",
             "mediaType": "text/html", "downloadURL": _url(base, _href(current, "report.html"))},
            {"@type": "dcat:Distribution", "title": f"{name}: headline figures", "format": "JSON",
             "mediaType": "application/json", "downloadURL": _url(base, _href(current, "metrics.json"))},
        ]
    return [report]


def _table_datasets(agency: Agency, entries: list[Released], common: Callable, base: str | None) -> list[dict]:
    """One series per published table, one CSV file per period."""
    series: dict[str, dict] = {}
    for entry in entries:  # newest first: the newest caption names the series
        for group in _tables(entry.current):
            for table in group["tables"]:
                item = series.setdefault(table["name"], {"caption": table["caption"], "dataset": group["dataset"],
                                                         "title": group["title"], "entries": []})
                item["entries"].append((entry, table))
    datasets = []
    for name, item in series.items():
        covered = [e for e, _ in item["entries"]]
        dataset = common(
            f"{agency.slug}/{name}", f"{agency.name}: {item['caption']}",
            f"{item['caption']}, one CSV file per period, as published in the {agency.name}'s quarterly transparency "
            f"report ({item['title'].lower()} section). Counts from 1 to {agency.min_count - 1} are left blank to protect "
            "privacy, and so are the cells that would reveal them.",
            ["police", "transparency", item["title"].lower(), "quarterly report"], covered)
        dataset["distribution"] = [
            {"@type": "dcat:Distribution", "title": f"{e.period.title()}, version {e.current.number}",
             "format": "CSV", "mediaType": "text/csv", "downloadURL": _url(base, _href(e.current, t["file"]))}
            for e, t in item["entries"]]
        datasets.append(dataset)
    return datasets


def _record_datasets(agency: Agency, entries: list[Released], common: Callable, base: str | None) -> list[dict]:
    """The de-identified records of each dataset, one series per dataset, one CSV (and Parquet) per period."""
    records: dict[str, list] = {}
    for entry in entries:
        for item in _records(entry.current):
            records.setdefault(item["dataset"], []).append((entry, item))
    datasets = []
    for name, items in records.items():
        title = items[0][1]["title"]
        dataset = common(
            f"{agency.slug}/records/{name}", f"{agency.name}: {title} records (de-identified)",
            f"{title}: one row per record behind the {agency.name}'s quarterly transparency report, one file per "
            "period, de-identified (no names or free text, identifiers as codes, coarsened dates, rare combinations "
            f"of race, sex, age group, district and month generalised or withheld; fewer than {agency.min_count} people "
            "never share a published combination). Described by a Frictionless Data Package (datapackage.json).",
            ["police", "transparency", title.lower(), "open data", "records"], [e for e, _ in items])
        dataset["distribution"] = []
        for e, item in items:
            name_ = f"{e.period.title()}, version {e.current.number}"
            dataset["distribution"] += [
                {"@type": "dcat:Distribution", "title": f"{name_} (CSV)", "format": "CSV", "mediaType": "text/csv",
                 "downloadURL": _url(base, _href(e.current, item["csv"])),
                 "describedBy": _url(base, _href(e.current, "data/datapackage.json")),
                 "describedByType": "application/json"}]
            if item["parquet"]:
                dataset["distribution"].append(
                    {"@type": "dcat:Distribution", "title": f"{name_} (Parquet)", "format": "Parquet",
                     "mediaType": "application/vnd.apache.parquet",
                     "downloadURL": _url(base, _href(e.current, item["parquet"]))})
        datasets.append(dataset)
    return datasets


def _write(path: Path, text: str) -> None:
    """Replace a file atomically (a reader never sees half a page)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def write_index(agency: Agency, root: Path) -> tuple[Path, Path]:
    """Write ``reports/<agency>/index.html`` and ``data.json`` from the released versions; return their paths."""
    folder = agency_reports(root, agency)
    folder.mkdir(parents=True, exist_ok=True)
    entries = released(agency, root)
    log = release_log(agency, root)
    index, data = folder / "index.html", folder / "data.json"
    _write(index, index_html(agency, entries, log))
    _write(data, json.dumps(catalog(agency, entries, log), indent=1) + "\n")
    return index, data
