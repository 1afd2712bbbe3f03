"""`transparency validate`: data checks only, as a readable report per dataset."""

from __future__ import annotations

from dataclasses import dataclass, field

from transparency.core import registry
from transparency.core.config import Agency
from transparency.core.errors import TransparencyError
from transparency.core.periods import Period, quarter_of

# A file with more than this share of its rows excluded is worth a look before release.
EXCLUDED_SHARE_WARNING = 0.05


@dataclass
class DatasetCheck:
    """The outcome of loading one dataset: the result, or the error that stopped it."""

    dataset: str
    result: object | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


def check_agency(agency: Agency, datasets: list[str] | None = None, period: Period | None = None, cached: bool = True) -> list[DatasetCheck]:
    """Load every configured dataset and collect problems and warnings; never raises for data problems."""
    from transparency.reading.load import load_dataset

    from .cache import load_cached

    checks = []
    for name in datasets or agency.dataset_names:
        check = DatasetCheck(name)
        try:
            check.result = load_cached(agency, name) if cached else load_dataset(agency, name)
        except TransparencyError as exc:
            check.error = str(exc)
            checks.append(check)
            continue
        result = check.result
        for account in result.files:
            check.warnings.extend(f"{account.path}: {w}" for w in account.warnings)
            if account.rows_read and account.rows_excluded / account.rows_read > EXCLUDED_SHARE_WARNING:
                check.warnings.append(
                    f"{account.path}: {account.rows_excluded / account.rows_read:.1%} of rows excluded"
                )
        if period is not None:
            event = registry.dataset(name).event
            in_period = int(period.contains(result.table[event]).sum()) if event in result.table else 0
            if in_period == 0:
                check.warnings.append(f"no rows in {period.code}")
        checks.append(check)
    return checks


#: Unmapped source columns named in the validate report before "and N more".
COLUMNS_SHOWN = 30


def mapping_gaps(agency: Agency, dataset: str) -> tuple[list[str], list[str]]:
    """What the configuration leaves out of a dataset: the canonical fields no source column fills (in
    the registry's order), and the columns of its main files that no field reads (in the files' order).

    A field "not mapped" is one agency.yml does not map, which is not the same as one the agency does
    not record: the column may be in the file, among the columns not mapped.
    """
    from transparency.reading.headers import column_names

    config = agency.dataset(dataset)
    mapped: set[str] = set()
    used: set[str] = set()
    for group in agency.file_groups[dataset]:
        mapped.update(group.columns)
        for source in group.columns.values():
            used.update(source.source_columns())
    if config.unpivot:
        mapped.add(config.unpivot.field)
        if config.unpivot.value:
            mapped.add(config.unpivot.value)
        used.update(config.unpivot.columns)
    if config.explode:
        used.update(config.explode.columns)
    for related in config.related:
        mapped.update(related.fields)
        used.update(related.key.values())
    row_id = config.row_id
    used.update([row_id] if isinstance(row_id, str) else row_id or [])
    fields = [name for name in registry.dataset(dataset).fields if name not in mapped]
    columns: list[str] = []
    for group in agency.file_groups[dataset]:
        try:
            paths = agency.glob(group.glob)
        except TransparencyError:
            continue  # the load reports it
        for path in paths:
            for name in column_names(path, group.encoding, group.sheet, group.delimiter):
                if name not in used and name not in columns:
                    columns.append(name)
    return fields, columns


def _n(value: int) -> str:
    return f"{value:,}"


def format_report(agency: Agency, checks: list[DatasetCheck], period: Period | None = None) -> str:
    """The validate report as plain text (what the terminal shows)."""
    lines = [f"{agency.name} ({agency.slug}): {len(checks)} dataset(s)", ""]
    for check in checks:
        title = registry.dataset(check.dataset).title
        if check.error:
            lines += [f"✗ {check.dataset} ({title}): cannot be loaded", f"    {check.error}", ""]
            continue
        result = check.result
        excluded = result.excluded
        mark = "!" if check.warnings else "✓"
        lines.append(
            f"{mark} {check.dataset} ({title}): {len(result.main_files)} file(s), {_n(result.rows_read)} rows read, "
            f"{_n(result.rows_used)} used, {_n(sum(excluded.values()))} excluded; {_n(len(result.table))} canonical rows"
        )
        span = result.date_range()
        if span:
            lines.append(f"    dates {span[0]:%Y-%m-%d} to {span[1]:%Y-%m-%d}")
        event = registry.dataset(check.dataset).event
        if event in result.table and len(result.table):
            quarters = result.table[event].dropna().map(lambda d: quarter_of(d.date()).code).value_counts().sort_index()
            shown = quarters.iloc[-8:]
            more = f" (and {len(quarters) - 8} earlier quarters)" if len(quarters) > 8 else ""
            lines.append("    rows per quarter: " + ", ".join(f"{q} {_n(int(n))}" for q, n in shown.items()) + more)
            if period is not None:
                lines.append(f"    rows in {period.code}: {_n(int(period.contains(result.table[event]).sum()))}")
        for account in result.files:
            reasons = ", ".join(f"{r} {_n(n)}" for r, n in sorted(account.excluded.items()))
            role = " (related table)" if account.role == "related" else ""
            lines.append(
                f"    {account.path}{role}: {_n(account.rows_read)} read, {_n(account.rows_used)} used"
                + (f", excluded: {reasons}" if reasons else "")
                + (f" [{account.encoding}]" if account.encoding not in ("utf-8", "utf-8-sig", "xlsx") else "")
            )
        fields, columns = mapping_gaps(agency, check.dataset)
        if fields:
            lines.append("    fields not mapped (the report leaves them out): " + ", ".join(fields))
        if columns:
            shown = columns[:COLUMNS_SHOWN]
            rest = f" and {len(columns) - COLUMNS_SHOWN} more" if len(columns) > COLUMNS_SHOWN else ""
            lines.append("    source columns not mapped: " + ", ".join(shown) + rest)
        for field_name, values in result.unmapped.items():
            top = list(values.items())[:6]
            rest = f" and {len(values) - 6} more" if len(values) > 6 else ""
            lines.append(f"    unmapped {field_name}: " + ", ".join(f"'{v}' {_n(n)}" for v, n in top) + rest)
        for issue, count in result.issues.items():
            lines.append(f"    {issue}: {_n(count)}")
        for note in result.notes:
            lines.append(f"    note: {note}")
        for warning in check.warnings:
            lines.append(f"    warning: {warning}")
        lines.append("")
    failed = [c.dataset for c in checks if c.error]
    warned = [c.dataset for c in checks if c.warnings and not c.error]
    summary = f"{len(checks) - len(failed)} of {len(checks)} dataset(s) loaded"
    if failed:
        summary += f"; cannot load: {', '.join(failed)}"
    if warned:
        summary += f"; warnings in: {', '.join(warned)}"
    lines.append(summary)
    return "\n".join(lines)


__all__ = ["check_agency", "format_report", "mapping_gaps", "DatasetCheck"]
