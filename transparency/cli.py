"""The `transparency` command line: exit 0 all good, 1 a data or notebook problem, 2 a usage error."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from transparency.core.errors import TransparencyError, UsageError, os_error_message


def project_root() -> Path:
    """Where `data/` and `reports/` live: ``$TRANSPARENCY_ROOT``, else the current folder."""
    return Path(os.environ.get("TRANSPARENCY_ROOT") or Path.cwd())


def _agency(name: str):
    from transparency.core.config import find_agency, load_agency

    return load_agency(find_agency(name, project_root()))


def _periods(text: str, agency) -> list:
    from transparency.core.periods import parse_period

    if text.strip().lower() == "latest":
        from transparency.building.build import latest_period
        from transparency.core.incremental import remember_latest

        period = latest_period(agency)
        remember_latest(agency, period.code)  # lets the next `build --period latest` find it without loading
        return [period]
    return parse_period(text, fiscal_year_start=agency.model.fiscal_year_start)


def cmd_validate(args: argparse.Namespace) -> int:
    from transparency.tables.validate import check_agency, format_report

    agency = _agency(args.agency)
    period = None
    if args.period:
        periods = _periods(args.period, agency)
        if len(periods) != 1:
            raise UsageError("validate takes one period (a quarter or a year), not a range")
        period = periods[0]
    datasets = _dataset_list(args.datasets, agency)
    started = time.perf_counter()
    checks = check_agency(agency, datasets, period, cached=not args.no_cache)
    print(format_report(agency, checks, period))
    print(f"checked in {time.perf_counter() - started:.1f} s")
    failed = any(c.error for c in checks) or (args.strict and any(c.warnings for c in checks))
    return 1 if failed else 0


def _dataset_list(text: str | None, agency) -> list[str] | None:
    if not text:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in agency.dataset_names]
    if unknown:
        raise UsageError(
            f"dataset(s) {', '.join(unknown)} not configured for {agency.name}; configured: {', '.join(agency.dataset_names)}"
        )
    return names


def _build_formats(args: argparse.Namespace) -> tuple[str, ...]:
    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    unknown = [f for f in formats if f not in ("html", "pdf")]
    if unknown or not formats:
        raise UsageError(f"--formats takes html, pdf or both (got {args.formats!r})")
    if "pdf" in formats and "html" not in formats:
        formats = ("html", "pdf")  # the PDF is made from the HTML report
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    return formats


def cmd_build_many(args: argparse.Namespace) -> int:
    """`build --agencies GLOB`: each agency built on its own (transparency.building.many); exit 1 when any failed."""
    from transparency.building.many import build_many

    formats = _build_formats(args)
    if args.engine == "inprocess":
        from transparency.core.processes import warm_up

        warm_up()
    say = lambda line: print(line, flush=True)  # noqa: E731
    place = _connect(args, say)
    try:
        return build_many(args.agencies, args.period, project_root(), _periods, args.datasets, args.jobs, formats,
                          engine=args.engine, force=args.force, say=say, place=place)
    finally:
        if place is not None:
            place.close()


def _connect(args: argparse.Namespace, say):
    """The Dask cluster ``--scheduler`` names (transparency.building.cluster), or None: this machine's processes."""
    if not getattr(args, "scheduler", None):
        return None
    from transparency.building.cluster import connect

    return connect(args.scheduler, args.jobs, say)


def cmd_statewide(args: argparse.Namespace) -> int:
    """`statewide --agencies GLOB --period P`: the statewide comparison from the agencies' published reports."""
    from transparency.building.many import find_agencies
    from transparency.building.statewide import StatewideError, build_statewide
    from transparency.core.periods import parse_period

    formats = _build_formats(args)
    folders = find_agencies(args.agencies, project_root())
    if len(folders) < 2:
        raise UsageError(f"--agencies {args.agencies!r} matches one agency; the statewide report compares two or more")
    try:
        codes = [p.code for p in parse_period(args.period)]
    except ValueError as exc:
        raise UsageError(f"--period: {exc}") from None
    failed = 0
    for code in codes:
        try:
            build_statewide(folders, code, project_root(), formats, say=lambda line: print(line, flush=True), force=args.force)
        except StatewideError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed = 1
    return failed


def cmd_build(args: argparse.Namespace) -> int:
    if getattr(args, "agencies", None):
        return cmd_build_many(args)
    agency = _agency(args.agency)
    datasets = _dataset_list(args.datasets, agency)
    formats = _build_formats(args)
    if not args.force:
        # Quick check before anything heavy is imported: is every period asked for built and current?
        from transparency.core.incremental import fresh_periods

        codes = fresh_periods(agency, args.period, project_root(), datasets, formats)
        if codes:
            for code in codes:
                out = project_root() / "reports" / agency.slug / code
                print(f"{agency.name}, {code}: up to date, nothing changed since the last build (--force builds it again)")
                print(f"Report: {out / 'report.pdf' if 'pdf' in formats else out / 'report.html'}")
            return 0
    if args.engine == "inprocess":
        from transparency.core.processes import warm_up

        warm_up()  # the notebooks' server starts importing now, while this process imports pandas
    from transparency.building.build import build

    periods = _periods(args.period, agency)
    say = lambda line: print(line, flush=True)  # noqa: E731
    place = _connect(args, say)
    try:
        return build(agency, periods, project_root().absolute() if place else project_root(), datasets, args.jobs, formats, say=say,
                     engine=args.engine, force=args.force, place=place)
    finally:
        if place is not None:
            place.close()


def _one_period(text: str, agency, command: str):
    periods = _periods(text, agency)
    if len(periods) != 1:
        raise UsageError(f"{command} takes one period (a quarter or a year), not a range")
    return periods[0]


def cmd_review(args: argparse.Namespace) -> int:
    from transparency.releasing.review import review

    agency = _agency(args.agency)
    return review(agency, _one_period(args.period, agency, "review"), project_root(), say=print)


def cmd_release(args: argparse.Namespace) -> int:
    from transparency.releasing.release import release

    agency = _agency(args.agency)
    period = _one_period(args.period, agency, "release")
    release(agency, period, project_root(), correction=args.correction, by=args.by, say=print)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from transparency.releasing.release import verify

    agency = _agency(args.agency)
    period = _one_period(args.period, agency, "verify") if args.period else None
    return verify(agency, project_root(), period, rebuild=args.rebuild, say=lambda line: print(line, flush=True),
                  public_key=args.public_key, chain_head=args.chain_head)


def cmd_index(args: argparse.Namespace) -> int:
    from transparency.releasing.publish_index import write_index

    index, catalog = write_index(_agency(args.agency), project_root())
    print(f"wrote {index} and {catalog}")
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    from transparency.reading.fetch import fetch_dataset

    agency = _agency(args.agency)
    names = _dataset_list(args.datasets, agency) or [n for n in agency.dataset_names if agency.dataset(n).source]
    if not names:
        raise UsageError(f"no dataset of {agency.name} has a `source:` in agency.yml")
    since = _one_period(args.since, agency, "fetch --since").start if args.since else None
    for name in names:
        fetch_dataset(agency, name, since=since)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from transparency.building.export import FOLDER, summary, write_export

    agency = _agency(args.agency)
    period = _one_period(args.period, agency, "export")
    folder = Path(args.out) if args.out else project_root() / "reports" / agency.slug / period.code / FOLDER
    result = write_export(agency, period, folder)
    print(f"{agency.name}, {period.title()}: de-identified records written to {result.folder}")
    for line in summary(result):
        print(line)
    return 0


def cmd_sample_data(args: argparse.Namespace) -> int:
    from transparency.core.keys import create_key

    from .sample import generate

    if args.agency:
        return _sample_agency(args)
    if args.seed is not None:
        raise UsageError("--seed is for another generated agency (with --agency NAME); the sample's seed is fixed")
    out = project_root() / "data" / "sample"
    raw = out / "raw"
    if raw.exists() and any(raw.iterdir()) and not args.force:
        print(f"sample data already present in {raw} (use --force to regenerate)")
    else:
        started = time.perf_counter()
        summary = generate(out, through=args.through, scale=args.scale, stops_rows=args.stops_rows)
        total = sum(summary.values())
        print(f"generated {total:,} rows in {len(summary)} datasets into {raw} in {time.perf_counter() - started:.1f} s")
        for name, rows in summary.items():
            print(f"  {name}: {rows:,}")
    key = create_key("sample")
    print(f"pseudonymisation key: {key}")
    from transparency.releasing.signing import create_signing_key

    print(f"signing key: {create_signing_key('sample')[0]}")
    return 0


def _sample_agency(args: argparse.Namespace) -> int:
    """`sample-data --agency NAME --seed N --scale S`: another fictional agency under data/NAME/."""
    from transparency.core.keys import create_key
    from transparency.releasing.signing import create_signing_key

    from .sample import write_agency

    started = time.perf_counter()
    seed = 1 if args.seed is None else args.seed
    prof, summary = write_agency(project_root(), args.agency, seed, args.scale, through=args.through, force=args.force)
    folder = project_root() / "data" / args.agency
    if summary is None:
        print(f"{prof.name} already present in {folder} (use --force to regenerate)")
    else:
        print(f"generated {prof.name} ({prof.total_population:,} residents, {prof.sworn_officers} officers): "
              f"{sum(summary.values()):,} rows in {len(summary)} datasets into {folder} in {time.perf_counter() - started:.1f} s")
        for name, rows in summary.items():
            print(f"  {name}: {rows:,}")
    print(f"pseudonymisation key: {create_key(args.agency)}")
    print(f"signing key: {create_signing_key(args.agency)[0]}")
    return 0


def cmd_new_dataset(args: argparse.Namespace) -> int:
    from transparency.building.build import NOTEBOOKS
    from transparency.building.scaffold import new_dataset_notebook

    path = new_dataset_notebook(args.name, Path(args.notebooks) if args.notebooks else NOTEBOOKS)
    print(f"created {path}; preview it with: transparency build --agency sample --period latest --datasets {args.name} --formats html")
    return 0


def cmd_new_agency(args: argparse.Namespace) -> int:
    from .assistant.write import run_new_agency

    return run_new_agency(args.name, args.files, project_root(), timezone=args.timezone, title=args.title,
                          force=args.force, say=lambda line: print(line, flush=True))


def cmd_keygen(args: argparse.Namespace) -> int:
    from transparency.core.config import agency_slug, find_agency
    from transparency.core.keys import create_key, key_path
    from transparency.releasing.signing import create_signing_key, read_signing_key

    # Only the agency's name is needed (its folder): agency.yml may still be being written.
    slug = agency_slug(find_agency(args.agency, project_root()))
    existed = key_path(slug).exists()
    path = create_key(slug)
    print(f"{'key already exists' if existed else 'created key'}: {path}")
    signing, new = create_signing_key(slug)
    public = read_signing_key(slug).public
    print(f"{'created signing key' if new else 'signing key already exists'}: {signing}")
    print(f"  its public key (published in the index and data.json with each release): {public}")
    return 0


def cmd_reference(args: argparse.Namespace) -> int:
    from .reference import REFERENCE, render, write

    path = Path(args.output) if args.output else REFERENCE
    if args.check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != render():
            print(f"{path} is out of step with transparency/core/datasets.yml: run `transparency reference`", file=sys.stderr)
            return 1
        print(f"{path} is up to date")
        return 0
    print(f"wrote {write(path)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="transparency", description="Quarterly police transparency reports from an agency's records."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check an agency's data and configuration; exit 1 on problems")
    p.add_argument("--agency", required=True, help="a name under data/ or a folder holding agency.yml")
    p.add_argument("--period", help="a quarter (2025Q3) or year (2025) to count rows for")
    p.add_argument("--datasets", help="comma-separated dataset names (default: all configured)")
    p.add_argument("--strict", action="store_true", help="treat warnings as problems (exit 1)")
    p.add_argument("--no-cache", action="store_true", help="load from the raw files, bypassing the Parquet cache")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("build", help="build the report for a period: HTML, PDF, tables, metrics.json, manifest.json")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--agency", help="a name under data/ or a folder holding agency.yml")
    which.add_argument("--agencies", metavar="GLOB",
                       help="build every agency matching: a name pattern under data/ (county-*), or a path "
                            "pattern of agency folders (with a /); several separated by commas")
    p.add_argument("--period", required=True,
                   help="2025Q3, 2025, FY2025, a range 2024Q1:2025Q3 (one report per quarter), or latest")
    p.add_argument("--datasets", help="comma-separated dataset names (default: all configured)")
    p.add_argument("--jobs", type=int, default=None, help="notebooks run at once (default: one per core)")
    p.add_argument("--formats", default="html,pdf", help="html, pdf, or html,pdf (default)")
    p.add_argument("--engine", choices=("inprocess", "kernel"), default="inprocess",
                   help="run notebooks in warm worker processes (default, fast) or each on a Jupyter kernel")
    p.add_argument("--force", action="store_true",
                   help="run every notebook again, even when nothing changed since the last build")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the notebooks and PDF parts on a Dask cluster: a scheduler's address "
                        "(tcp://host:8786) or scheduler file, or 'local' for a LocalCluster on this machine")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("statewide", help="build the statewide comparison of many agencies from their published reports "
                                         "into reports/statewide/<period>/")
    p.add_argument("--agencies", metavar="GLOB", required=True,
                   help="the agencies compared: a name pattern under data/ (county-*), or a path pattern (with a /)")
    p.add_argument("--period", required=True, help="a quarter (2026Q3), a year or a range of quarters")
    p.add_argument("--formats", default="html,pdf", help="html, pdf, or html,pdf (default)")
    p.add_argument("--force", action="store_true", help="build it again even when no agency's report changed")
    p.set_defaults(func=cmd_statewide, jobs=None)

    p = sub.add_parser("review", help="the page to read before releasing a period: failures, exclusions, "
                                      "suppression, unusual changes, what blocks the release (exit 1 when blocked)")
    p.add_argument("--agency", required=True, help="a name under data/ or a folder holding agency.yml")
    p.add_argument("--period", required=True, help="the period built, e.g. 2025Q3 or latest")
    p.set_defaults(func=cmd_review)

    p = sub.add_parser("release", help="freeze the period's build as a read-only released version with RELEASE.json")
    p.add_argument("--agency", required=True, help="a name under data/ or a folder holding agency.yml")
    p.add_argument("--period", required=True, help="the period built, e.g. 2025Q3 or latest")
    p.add_argument("--correction", metavar="WHY",
                   help="publish a released period again as the next version, with the reason shown in the report")
    p.add_argument("--by", help="who releases (default: the login name, $LOGNAME or $USER)")
    p.set_defaults(func=cmd_release)

    p = sub.add_parser("verify", help="re-hash released files against RELEASE.json; --rebuild reproduces them")
    p.add_argument("--agency", required=True, help="a name under data/ or a folder holding agency.yml")
    p.add_argument("--period", help="one released period (default: every one)")
    p.add_argument("--rebuild", action="store_true",
                   help="also build the latest version again from its recorded inputs and compare byte for byte")
    p.add_argument("--public-key", help="the agency's public signing key as published (default: this machine's key)")
    p.add_argument("--chain-head", help="a release log head kept from the index: verify fails if the log no longer has it")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("index", help="write reports/<agency>/index.html and data.json from the released versions")
    p.add_argument("--agency", required=True, help="a name under data/ or a folder holding agency.yml")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("fetch", help="fetch datasets from the agency's open-data portal (`source:` in agency.yml) "
                                     "into new raw files, each with a .fetch.json record")
    p.add_argument("--agency", required=True, help="a name under data/ or a folder holding agency.yml")
    p.add_argument("--since", help="only records dated in or after this period (2025Q3, 2025)")
    p.add_argument("--datasets", help="comma-separated dataset names (default: every one with a source)")
    p.set_defaults(func=cmd_fetch)

    p = sub.add_parser("export", help="write the period's records, de-identified, as a Data Package (CSV, Parquet, "
                                      "datapackage.json) into reports/<agency>/<period>/data/")
    p.add_argument("--agency", required=True, help="a name under data/ or a folder holding agency.yml")
    p.add_argument("--period", required=True, help="a quarter (2025Q3), a year, or latest")
    p.add_argument("--out", help="write into this folder instead (replaced whole)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("sample-data", help="generate the fictional sample agency's raw files into data/sample/raw")
    p.add_argument("--through", help="last quarter to cover (default: the last complete quarter)")
    p.add_argument("--scale", type=float, default=1.0, help="volume multiplier (default 1)")
    p.add_argument("--stops-rows", type=int, default=None, help="generate this many stops (for load tests)")
    p.add_argument("--agency", metavar="NAME",
                   help="generate another fictional agency into data/NAME/ (its own name, size, datasets and defects)")
    p.add_argument("--seed", type=int, default=None, help="with --agency: the seed that decides it (default 1)")
    p.add_argument("--force", action="store_true", help="regenerate even if the files exist")
    p.set_defaults(func=cmd_sample_data)

    p = sub.add_parser("new-dataset", help="write a starting notebook for a dataset section (notebooks/NAME.ipynb)")
    p.add_argument("name", help="a dataset of transparency/core/datasets.yml, such as pursuits")
    p.add_argument("--notebooks", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_new_dataset)

    p = sub.add_parser("new-agency", help="write data/NAME/agency.yml from raw files, every guess marked for review, "
                                          "then validate it and say what is left to decide (exit 1 while a dataset does not load)")
    p.add_argument("name", help="the agency's folder name under data/ (letters, digits, - and _)")
    p.add_argument("--files", nargs="+", required=True, metavar="PATH",
                   help="the raw files (CSV, TSV, Excel); referred to where they are, never copied")
    p.add_argument("--timezone", help="the agency's IANA time zone, such as America/Chicago (else a placeholder to decide)")
    p.add_argument("--title", help="the department's full name (default: from NAME)")
    p.add_argument("--force", action="store_true", help="write over an existing agency.yml")
    p.set_defaults(func=cmd_new_agency)

    p = sub.add_parser("reference", help="write docs/reference.md (datasets, fields, figures) from transparency/core/datasets.yml")
    p.add_argument("--check", action="store_true", help="exit 1 when the file is out of step, writing nothing")
    p.add_argument("--output", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_reference)

    p = sub.add_parser("keygen", help="create an agency's pseudonymisation and release signing keys (outside the repository)")
    p.add_argument("--agency", required=True)
    p.set_defaults(func=cmd_keygen)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except TransparencyError as exc:
        kind = "usage error" if exc.exit_code == 2 else "error"
        print(f"{kind}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 1
    except OSError as exc:  # the disk is full, a folder is read-only: the machine's problem, said plainly
        print(f"error: {os_error_message(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
