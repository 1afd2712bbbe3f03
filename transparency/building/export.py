"""Open data: a period's records, de-identified, published beside the report as a Frictionless Data Package.

One CSV and one Parquet file per dataset (its rows whose event date is in the period, in the canonical schema)
and ``datapackage.json`` with a Table Schema per file. What is done to the rows, in this order:

- fields are left out when they identify a person or hold free text: person identifiers other than the
  officer's pseudonym, the agency's own wording (``*_detail``), any text field with a value of more than
  ``FREE_TEXT_WORDS`` words, exact ages (published as age groups), coordinates (unless the policy rounds
  them), and the fields the agency's policy drops (``export.drop``);
- event identifiers are replaced by keyed hashes (``export.ids: pseudonym``, the default), so the rows of one
  incident still group together but cannot be matched with the agency's case system;
- dates and times are coarsened as the policy says (``export.dates``: exact, hour, day or month);
- the disclosure check: a row is about one person (the subject, complainant or respondent); the rows whose
  combination of quasi-identifiers (race x sex x age group x district x month of the event, by default) is
  shared by fewer than ``min_count`` events have one field after another generalised to "Not shown" (age
  group, district, sex, then race), and the rows still too rare are withheld. Every row is counted: rows in
  the period = rows published + rows withheld, by reason, written into ``datapackage.json``.

The personal-data scan (:mod:`transparency.figures.privacy`) searches the files written, and nothing is published
when it finds a raw identifying value.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from transparency.core import registry
from transparency.core.config import Agency, ExportPolicy
from transparency.core.errors import TransparencyError
from transparency.core.periods import Period

FOLDER = "data"  # beside the report: reports/<agency>/<period>/data/
PACKAGE_FILE = "datapackage.json"
NOT_SHOWN = "Not shown"  # a quasi-identifier generalised to protect a person
FREE_TEXT_WORDS = 12  # a text value longer than this is a narrative, not a category
PERSON_PREFIXES = ("subject", "complainant", "respondent")
AGE_BANDS = ((0, 18, "Under 18"), (18, 25, "18 to 24"), (25, 35, "25 to 34"), (35, 45, "35 to 44"),
             (45, 55, "45 to 54"), (55, 65, "55 to 64"), (65, 200, "65 and over"))
# The order in which a rare row's quasi-identifiers are generalised: the least useful to a reader first, race
# (what a disparity analysis needs) last.
GENERALISE_ORDER = ("age_group", "district", "sex", "race")
WITHHELD = "withheld_rare_combination"
_DATE_FORMATS = {"exact": "%Y-%m-%dT%H:%M:%S", "hour": "%Y-%m-%dT%H:00:00", "day": "%Y-%m-%d", "month": "%Y-%m"}
_DATE_TYPES = {"exact": "datetime", "hour": "datetime", "day": "date", "month": "yearmonth"}


class ExportError(TransparencyError):
    """The records cannot be exported (personal data found in them, a dataset without data)."""


@dataclass
class ExportAccount:
    """What happened to one dataset's rows and fields on their way out."""

    dataset: str
    rows_in_period: int = 0
    rows_published: int = 0
    withheld: Counter = field(default_factory=Counter)
    generalised: Counter = field(default_factory=Counter)  # field -> rows shown as "Not shown"
    left_out: dict[str, str] = field(default_factory=dict)  # field -> why
    quasi_identifiers: list[str] = field(default_factory=list)

    def to_dict(self, policy: ExportPolicy, min_count: int) -> dict:
        return {
            "rows_in_period": self.rows_in_period, "rows_published": self.rows_published,
            "rows_withheld": dict(sorted(self.withheld.items())),
            "cells_generalised": dict(sorted(self.generalised.items())),
            "fields_left_out": dict(sorted(self.left_out.items())),
            "quasi_identifiers": list(self.quasi_identifiers), "min_count": min_count,
            "dates": policy.dates, "coordinates": policy.coordinates if policy.coordinates == "drop"
            else f"rounded to {policy.coordinate_decimals} decimals",
        }


# --- De-identification --------------------------------------------------------------------------------------


def age_group(ages: pd.Series) -> pd.Series:
    """Ages in whole years as the export's bands ("25 to 34"); missing stays missing."""
    values = pd.to_numeric(ages, errors="coerce").astype("float64")
    out = pd.Series(pd.NA, index=ages.index, dtype="string")
    for low, high, label in AGE_BANDS:
        out[(values >= low) & (values < high)] = label
    return out


def _person_prefix(columns) -> str | None:
    for prefix in PERSON_PREFIXES:
        if any(f"{prefix}_{part}" in columns for part in ("race", "sex", "age_group")):
            return prefix
    return None


def quasi_identifiers(dataset: str, columns, policy: ExportPolicy) -> list[str]:
    """The quasi-identifiers checked for a dataset's rows: the policy's, else the person's race, sex, age group,
    the district and the month of the event (those the dataset records); none when no row is about a person."""
    if policy.quasi_identifiers is not None:
        return [f for f in policy.quasi_identifiers if f == "month" or f in columns]
    prefix = _person_prefix(columns)
    if prefix is None:
        return []
    wanted = [f"{prefix}_race", f"{prefix}_sex", f"{prefix}_age_group", "district"]
    return [f for f in wanted if f in columns] + ["month"]


def _pseudonym(key: bytes, values: pd.Series) -> pd.Series:
    """Event identifiers as keyed hashes made for the export (never the load step's person pseudonyms)."""
    def one(value):
        return hmac.new(key, b"export-id:" + str(value).encode(), hashlib.sha256).hexdigest()[:16]

    distinct = values.dropna().unique()
    mapping = {value: one(value) for value in distinct}
    return values.map(mapping).astype("string")


def _free_text(series: pd.Series) -> bool:
    text = series.dropna().astype("string")
    if text.empty:
        return False
    return bool((text.str.count(r"\S+") > FREE_TEXT_WORDS).any())


def _fields(table: pd.DataFrame, dataset: str, policy: ExportPolicy, key: bytes,
            account: ExportAccount) -> pd.DataFrame:
    """Leave out, replace and coarsen fields (everything but the disclosure check)."""
    spec = registry.dataset(dataset)
    out = pd.DataFrame(index=table.index)
    dropped = set(policy.drop.get(dataset, []))
    for name in table.columns:
        kind = spec.fields[name].type if name in spec.fields else "unknown"
        series = table[name]
        if name in dropped:
            account.left_out[name] = "left out by the agency's export policy"
        elif kind == "unknown":
            account.left_out[name] = "not a canonical field"
        elif kind == "pseudonym" and name != "officer_id":
            account.left_out[name] = "identifies a person"
        elif kind == "pseudonym":
            out[name] = series.astype("string")  # already a keyed hash (HMAC) from the load step
        elif kind == "id":
            out[name] = _pseudonym(key, series) if policy.ids == "pseudonym" else series.astype("string")
        elif kind == "age":
            group = f"{name}_group"
            account.left_out[name] = f"exact age: published as {group}"
            grouped = age_group(series)
            if group in table.columns:
                grouped = table[group].astype("string").fillna(grouped)
            out[group] = grouped
        elif name.endswith("_age_group") and f"{name[:-len('_group')]}" in table.columns:
            continue  # filled with the exact age's band above
        elif kind == "datetime":
            values = pd.to_datetime(series)
            out[name] = values.dt.strftime(_DATE_FORMATS[policy.dates]).astype("string")
        elif name in ("lat", "lon"):
            if policy.coordinates == "drop":
                account.left_out[name] = "exact place: left out by the agency's export policy"
            else:
                out[name] = pd.to_numeric(series).round(policy.coordinate_decimals)
        elif name.endswith("_detail"):
            account.left_out[name] = "free text (the agency's own wording)"
        elif kind in ("category",) and _free_text(series):
            account.left_out[name] = f"free text (values of more than {FREE_TEXT_WORDS} words)"
        else:
            out[name] = series
    return out


def _combination(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """One label per row for its combination of quasi-identifiers (missing values are a value of their own)."""
    parts = [frame[c].astype("string").fillna("\x00missing") for c in columns]
    combined = parts[0]
    for part in parts[1:]:
        combined = combined + "\x1f" + part
    return combined


def disclosure_check(frame: pd.DataFrame, events: pd.Series, qi: list[str], min_count: int,
                     account: ExportAccount) -> pd.DataFrame:
    """Generalise, then withhold, the rows whose quasi-identifiers fewer than ``min_count`` events share.

    ``frame`` holds the quasi-identifiers as columns (``month`` among them when checked); ``events`` says which
    event each row belongs to (rows of one incident count once). Returns the frame without the withheld rows;
    ``account`` counts the cells generalised per field and the rows withheld.
    """
    if not qi or frame.empty:
        return frame
    frame = frame.copy()

    def rare() -> pd.Series:
        combination = _combination(frame, qi)
        sizes = events.groupby(combination.values).transform("nunique")
        return pd.Series(sizes.values < min_count, index=frame.index)

    for suffix in GENERALISE_ORDER:
        for column in [c for c in qi if c == suffix or c.endswith("_" + suffix)]:
            small = rare()
            if not small.any():
                return frame
            changed = small & (frame[column].astype("string").fillna("") != NOT_SHOWN)
            frame[column] = frame[column].astype("string")
            frame.loc[small, column] = NOT_SHOWN
            account.generalised[column] += int(changed.sum())
    small = rare()
    if small.any():
        _pad(frame, events, qi, small, min_count, account)
        small = rare()
    if small.any():
        account.withheld[WITHHELD] += int(small.sum())
        frame = frame[~small.values]
    return frame


def _pad(frame: pd.DataFrame, events: pd.Series, qi: list[str], small: pd.Series, min_count: int,
         account: ExportAccount) -> None:
    """Rows still rare have every field "Not shown" but the month: rather than withhold them, show as many
    more people of that month as "Not shown" as make them ``min_count``, taken from the largest combinations
    (each keeps at least ``min_count`` people). Changes ``frame`` in place."""
    shown = [c for c in qi if c != "month"]
    months = frame["month"] if "month" in qi else pd.Series("", index=frame.index)
    combination = _combination(frame, qi)
    for month in months[small].unique():
        here = months == month
        short = min_count - events[small & here].nunique()
        donors = here & ~small
        sizes = events[donors].groupby(combination[donors].values).nunique().sort_values(ascending=False, kind="stable")
        picked: list[str] = []
        for label, size in sizes.items():
            spare = int(size) - min_count
            if spare <= 0 or len(picked) >= short:
                break
            people = sorted(events[donors & (combination == label)].unique())
            picked += people[:min(spare, short - len(picked))]
        if len(picked) < short:
            continue  # not enough people to spare: the rare rows are withheld
        rows = donors & events.isin(picked)
        for column in shown:
            account.generalised[column] += int((rows & (frame[column].astype("string").fillna("") != NOT_SHOWN)).sum())
            frame.loc[rows, column] = NOT_SHOWN


def people(rows: pd.DataFrame, dataset: str) -> pd.Series:
    """Which person each row is about, as far as the table tells: the person's pseudonym (a survey's
    respondent) where the dataset has one, else the event's id (the rows of one incident count once), else
    the row itself. A missing value counts as a person of its own."""
    spec = registry.dataset(dataset)
    prefix = _person_prefix(rows.columns)
    unit = f"{prefix}_id" if prefix and f"{prefix}_id" in rows else spec.id_field if spec.id_field in rows else None
    own = pd.Series("\x00row" + rows.index.astype(str), index=rows.index, dtype="string")
    if unit is None:
        return own
    values = rows[unit].astype("string")
    return values.where(values.notna() & (values != ""), own)


def deidentify(table: pd.DataFrame, dataset: str, period: Period, policy: ExportPolicy, min_count: int,
               key: bytes) -> tuple[pd.DataFrame, ExportAccount]:
    """A dataset's canonical table cut to the period and de-identified (see the module's docstring)."""
    spec = registry.dataset(dataset)
    account = ExportAccount(dataset)
    rows = table[period.contains(table[spec.event])] if spec.event in table else table.iloc[0:0]
    rows = rows.reset_index(drop=True)
    account.rows_in_period = len(rows)
    out = _fields(rows, dataset, policy, key, account)
    qi = quasi_identifiers(dataset, out.columns, policy)
    account.quasi_identifiers = qi
    if qi:
        checked = out[[c for c in qi if c != "month"]].copy()
        if "month" in qi:
            checked["month"] = pd.to_datetime(rows[spec.event]).dt.strftime("%Y-%m").astype("string")
        checked = checked[qi]
        events = people(rows, dataset)
        kept = disclosure_check(checked, events, qi, min_count, account)
        out = out.loc[kept.index]
        for column in qi:
            if column != "month":
                out[column] = kept[column]
    account.rows_published = len(out)
    assert account.rows_in_period == account.rows_published + sum(account.withheld.values())
    return out.reset_index(drop=True), account


# --- The Table Schema and the files -------------------------------------------------------------------------


def _schema_field(dataset: str, name: str, series: pd.Series, policy: ExportPolicy, qi: list[str]) -> dict:
    spec = registry.dataset(dataset)
    base = name[:-len("_group")] if name.endswith("_age_group") and name not in spec.fields else name
    kind = spec.fields[base].type if base in spec.fields else "category"
    words = registry.field_words(name)
    out: dict = {"name": name, "description": words[:1].upper() + words[1:]}
    generalised = name in qi
    if name.endswith("_age_group"):
        out["type"] = "string"
        if base != name or series.dropna().isin([b[2] for b in AGE_BANDS] + [NOT_SHOWN]).all():
            out["constraints"] = {"enum": [b[2] for b in AGE_BANDS] + ([NOT_SHOWN] if generalised else [])}
        out["description"] += " (age in years, in bands)"
    elif kind == "datetime":
        out["type"] = _DATE_TYPES[policy.dates]
        if policy.dates == "hour":
            out["description"] += " (to the hour: minutes and seconds are left out)"
    elif kind == "enum":
        out["type"] = "string"
        out["constraints"] = {"enum": list(spec.fields[base].enum.values) + ([NOT_SHOWN] if generalised else [])}
    elif kind == "bool":
        out.update(type="boolean", trueValues=["true"], falseValues=["false"])
    elif kind in ("number", "count") or pd.api.types.is_numeric_dtype(series.dtype):
        out["type"] = "number"
        if kind == "count":
            out["constraints"] = {"minimum": 0}
    else:
        out["type"] = "string"
    if kind == "id" and policy.ids == "pseudonym":
        out["description"] += " (a keyed hash of the agency's number: rows of one event share it)"
    if kind == "pseudonym":
        out["description"] += " (a keyed hash, never the agency's own identifier)"
    if generalised:
        out["description"] += f" ({NOT_SHOWN!r} where fewer than the disclosure threshold share the row's combination)"
    return out


def table_schema(dataset: str, frame: pd.DataFrame, policy: ExportPolicy, qi: list[str]) -> dict:
    """The Frictionless Table Schema of one exported file."""
    return {"fields": [_schema_field(dataset, c, frame[c], policy, qi) for c in frame.columns],
            "missingValues": [""]}


def _csv_text(frame: pd.DataFrame) -> str:
    from transparency.sections.section import neutralise

    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if isinstance(series.dtype, pd.BooleanDtype):
            out[column] = series.map({True: "true", False: "false"}).astype("string")
        elif pd.api.types.is_string_dtype(series.dtype) or series.dtype == object:
            out[column] = series.map(neutralise)
    buffer = io.StringIO()
    out.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def _parquet(frame: pd.DataFrame, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table.replace_schema_metadata(None), path)


def export_datasets(agency: Agency) -> list[str]:
    """The datasets an export publishes: the policy's list, else every configured one."""
    policy = agency.model.export or ExportPolicy()
    return [n for n in agency.dataset_names if policy.datasets is None or n in policy.datasets]


@dataclass
class ExportResult:
    folder: Path
    accounts: list[ExportAccount]


def write_export(agency: Agency, period: Period, folder: Path, key: bytes | None = None,
                 tables: dict[str, pd.DataFrame] | None = None, datasets: list[str] | None = None,
                 scan: bool = True) -> ExportResult:
    """Write the period's de-identified records into ``folder`` (created whole, or not at all).

    ``tables`` gives canonical tables by dataset (else they are read through the cache); ``datasets`` limits the
    export to those (of :func:`export_datasets`). Raises ExportError when the personal-data scan finds a raw
    identifying value in what would be published; ``scan=False`` leaves the scan to the caller (a build scans
    everything it publishes, the export with it).
    """
    from transparency.core.keys import read_key

    policy = agency.model.export or ExportPolicy()
    key = key if key is not None else read_key(agency.slug)
    names = [n for n in export_datasets(agency) if datasets is None or n in datasets]
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-export-{os.getpid()}-", dir=_parent(folder)))
    try:
        resources, accounts = [], []
        for name in names:
            table = tables[name] if tables is not None and name in tables else _read(agency, name, period)
            frame, account = deidentify(table, name, period, policy, agency.min_count, key)
            accounts.append(account)
            (staging / f"{name}.csv").write_text(_csv_text(frame), encoding="utf-8")
            _parquet(frame, staging / f"{name}.parquet")
            spec = registry.dataset(name)
            resources.append({
                "name": name.replace("_", "-"), "path": f"{name}.csv", "title": spec.title,
                "description": f"One row is {spec.one_row_is}; the rows whose {registry.field_words(spec.event)} "
                               f"is in {period.label()}, de-identified.",
                "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
                "schema": table_schema(name, frame, policy, account.quasi_identifiers),
                "alternates": [{"path": f"{name}.parquet", "format": "parquet",
                                "mediatype": "application/vnd.apache.parquet"}],
                "deidentification": account.to_dict(policy, agency.min_count),
            })
        package = {
            "name": f"{agency.slug}-{period.code.lower()}-records",
            "title": f"{agency.name}: records, {period.title()}",
            "description": ("Incident-level records behind the report, de-identified: no names, no free text, "
                            "no exact ages or places, officer and event identifiers as keyed hashes, and rows "
                            f"whose race, sex, age group, district and month fewer than {agency.min_count} events "
                            "share generalised or withheld (counted under each resource's deidentification)."),
            "resources": resources,
        }
        (staging / PACKAGE_FILE).write_text(json.dumps(package, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        if scan:
            scan_export(agency, names, staging)
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return ExportResult(folder, accounts)


def _parent(folder: Path) -> Path:
    folder.parent.mkdir(parents=True, exist_ok=True)
    return folder.parent


def _read(agency: Agency, dataset: str, period: Period) -> pd.DataFrame:
    from transparency.reading.load import canonical_table
    from transparency.tables.cache import read_cached

    start, end = pd.Timestamp(period.start), pd.Timestamp(period.end)
    return canonical_table(read_cached(agency, dataset, start, end).table)


def scan_export(agency: Agency, datasets: list[str], folder: Path) -> None:
    """The personal-data scan over the exported files (the Parquet files hold what the CSV files hold)."""
    import secrets

    from transparency.figures.privacy import collect_values, needles, scan

    key = secrets.token_bytes(32)
    found = needles(collect_values(agency, datasets), key)
    leaks = scan(folder, found, key=key)
    if leaks:
        shown = "\n  ".join(str(leak) for leak in leaks[:10])
        more = f"\n  and {len(leaks) - 10} more" if len(leaks) > 10 else ""
        raise ExportError(f"the records were not exported: {len(leaks)} file(s) would hold personal data from the "
                          f"agency's files:\n  {shown}{more}\nLeave the field out (export.drop in agency.yml) or stop "
                          "mapping the column.")


def methodology_html(agency: Agency, datasets: list[str]) -> str:
    """The methodology's words on where the records come from (fetch records) and the records published
    beside the report (when the agency's policy exports them), as HTML."""
    import html

    from transparency.reading.fetch import fetch_records

    parts = []
    fetched = []
    for name in datasets:
        try:
            paths = [str(p.relative_to(agency.raw_root)) for p in agency.input_files(name)]
        except TransparencyError:
            continue
        for record in fetch_records(agency, paths).values():
            stated = record.get("rows_stated")
            agrees = "" if stated is None else (" (as many as the portal stated)" if stated == record.get("rows")
                                                else f" (the portal stated {stated:,})")
            fetched.append(f"<li>{html.escape(registry.dataset(name).title)}: {record.get('rows', 0):,} records fetched "
                           f"on {html.escape(str(record.get('fetched_at', ''))[:10])} from "
                           f"<code>{html.escape(str(record.get('url', '')))}</code>{agrees}, file sha256 "
                           f"<code>{html.escape(str(record.get('sha256', ''))[:16])}</code>…</li>")
    if fetched:
        parts.append("<h3>Where the records come from</h3>")
        parts.append("<p>These records were fetched from the department's open-data portal:</p><ul>"
                     + "".join(fetched) + "</ul>")
    policy = agency.model.export
    names = [n for n in export_datasets(agency) if n in datasets]
    if policy is not None and names:
        dates = {"exact": "with their exact date and time", "hour": "to the hour", "day": "to the day",
                 "month": "to the month"}[policy.dates]
        parts.append("<h3>The records behind this report</h3>")
        parts.append(
            f"<p>The records behind the figures are published beside this report as open data, in "
            f'<a href="{FOLDER}/{PACKAGE_FILE}">a data package</a>. There is one CSV file and one Parquet file per '
            "topic, and every column is described. Names, written accounts, addresses and exact ages are left out. "
            f"Identifiers are replaced by codes. Dates are given {dates}. When fewer than {agency.min_count} people "
            f'share the same race, sex, age group, district and month, some of those details are shown as "{NOT_SHOWN}". '
            "Records that would still stand out are left out. The data package counts them.</p>")
    return "\n".join(parts)


def published_records(folder: Path) -> list[dict]:
    """The records a released version publishes (from its ``data/datapackage.json``): per dataset its title and
    the CSV and Parquet files, relative to the version's folder; empty when it publishes none."""
    try:
        package = json.loads((folder / FOLDER / PACKAGE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    out = []
    for resource in package.get("resources", []):
        name = Path(resource["path"]).stem
        out.append({"dataset": name, "title": resource.get("title", name), "csv": f"{FOLDER}/{resource['path']}",
                    "parquet": next((f"{FOLDER}/{a['path']}" for a in resource.get("alternates", [])), None),
                    "rows": resource.get("deidentification", {}).get("rows_published")})
    return out


def summary(result: ExportResult) -> list[str]:
    """Lines for the terminal: per dataset, rows in the period, published, withheld, cells generalised."""
    lines = []
    for a in result.accounts:
        withheld = sum(a.withheld.values())
        general = ", ".join(f"{n} {f}" for f, n in sorted(a.generalised.items())) or "none"
        lines.append(f"  {a.dataset}: {a.rows_in_period:,} rows in the period, {a.rows_published:,} published, "
                     f"{withheld:,} withheld (rare combinations); cells shown as {NOT_SHOWN!r}: {general}")
    return lines


__all__ = ["FOLDER", "NOT_SHOWN", "ExportAccount", "ExportError", "ExportResult", "age_group", "deidentify",
           "disclosure_check", "export_datasets", "quasi_identifiers", "scan_export", "summary", "table_schema",
           "write_export"]
