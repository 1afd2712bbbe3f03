"""`transparency build --agencies GLOB`: every matching agency's report, one after another, each on its own.

Each agency is built by :func:`transparency.building.build.build`, exactly as ``--agency`` builds it: its own staging
folder and atomic swap, its own incremental reuse (a report or section whose keys are unchanged is not run
again, checked before any notebook starts), its own personal-data scan and audit. One agency's failure (an
agency.yml that does not load, a file that cannot be read, a report the audit or the scan refuses) fails
that agency only: the others are still built, and the summary names each failed agency and why.

With a Dask cluster (``--scheduler``, :mod:`transparency.building.cluster`) the notebooks and the PDF parts of every
agency run on the cluster's workers, and several agencies are built at once (each in a thread of this
process, which reads, checks, assembles, scans and swaps), so that the cluster has work from more than one
agency; each agency's lines are prefixed with its folder's name, and a line says when each agency is done.
An interrupted build resumes with what was finished: the agencies built are up to date, and skipped.
"""

from __future__ import annotations

import glob as globbing
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from transparency.core.errors import TransparencyError, UsageError


@dataclass
class AgencyRun:
    """What happened to one agency in a build of many."""

    folder: Path
    name: str = ""
    status: str = "ok"  # ok, up_to_date, skipped (none of the datasets asked for), failed
    reason: str = ""
    seconds: float = 0.0
    periods: list[str] = field(default_factory=list)
    failed_datasets: dict[str, str] = field(default_factory=dict)


def find_agencies(patterns: str, root: Path) -> list[Path]:
    """The agency folders (holding agency.yml) that ``patterns`` matches, sorted, each once.

    ``patterns`` is one glob or several separated by commas. A pattern with a ``/`` is a path (relative to
    the current folder, or absolute); one without is a name under ``root/data/`` (``county-*``).
    """
    found: dict[Path, None] = {}
    for pattern in (p.strip() for p in patterns.split(",")):
        if not pattern:
            continue
        if "/" in pattern or os.sep in pattern:
            matches = [Path(m) for m in sorted(globbing.glob(pattern))]
        else:
            matches = sorted((root / "data").glob(pattern)) if (root / "data").is_dir() else []
        for match in matches:
            if (match / "agency.yml").is_file():
                found.setdefault(match.resolve(), None)
    if not found:
        raise UsageError(f"--agencies {patterns!r} matches no folder holding agency.yml "
                         f"(a name pattern looks under {root / 'data'}; a pattern with '/' is a path)")
    return list(found)


def _first_words(text: str) -> str:
    """An error's first line, with the next one when the first only introduces it (ends with ':')."""
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()] or ["failed"]
    return f"{lines[0]} {lines[1]}" if lines[0].endswith(":") and len(lines) > 1 else lines[0]


def _failed_datasets(root: Path, slug: str, periods: list[str]) -> dict[str, str]:
    """The datasets each period's manifest records as failed, with the first line of why."""
    failed: dict[str, str] = {}
    for code in periods:
        manifest = root / "reports" / slug / code / "manifest.json"
        if not manifest.is_file():
            continue
        for name, entry in json.loads(manifest.read_text(encoding="utf-8")).get("datasets", {}).items():
            if entry.get("status") == "failed":
                failed.setdefault(name, _first_words(entry.get("message") or "failed"))
    return failed


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def build_agency(folder: Path, period_text: str, root: Path, resolve_periods: Callable, datasets_text: str | None,
                 workers: int | None, formats: tuple[str, ...], engine: str, force: bool,
                 say: Callable[[str], None], place=None) -> AgencyRun:
    """Build one agency of many; never raises a TransparencyError or other Exception (they make it failed)."""
    from transparency.core.config import load_agency

    run = AgencyRun(folder=folder, name=folder.name)
    started = time.perf_counter()
    said: list[str] = []

    def tell(line: str) -> None:
        said.append(line)
        say(line)

    try:
        agency = load_agency(folder)
        run.name = agency.name
        datasets = None
        if datasets_text:  # a dataset the agency does not have is left out for it, not an error
            datasets = [n for n in _names(datasets_text) if n in agency.dataset_names]
            if not datasets:
                run.status, run.reason = "skipped", f"has none of the datasets asked for ({datasets_text})"
                tell(f"{agency.name}: skipped, {run.reason}")
                return run
        if not force:
            from transparency.core.incremental import fresh_periods

            codes = fresh_periods(agency, period_text, root, datasets, formats)
            if codes:
                run.status, run.periods = "up_to_date", list(codes)
                tell(f"{agency.name}, {', '.join(codes)}: up to date, nothing changed since the last build")
                return run
        periods = resolve_periods(period_text, agency)
        run.periods = [p.code for p in periods]
        from .build import build

        code = build(agency, periods, root, datasets, workers, formats, say=tell, engine=engine, force=force,
                     place=place)
        if code != 0:
            run.status = "failed"
            run.failed_datasets = _failed_datasets(root, agency.slug, run.periods)
            errors = [_first_words(line[len("error: "):]) for line in said if line.startswith("error: ")]
            parts = [f"{name}: {why}" for name, why in run.failed_datasets.items()] + errors
            run.reason = "; ".join(parts) or "the build failed (see its lines above)"
    except TransparencyError as exc:
        run.status, run.reason = "failed", _first_words(str(exc))
        say(f"error: {exc}")
    except Exception as exc:  # isolation: an unforeseen failure of one agency does not stop the others
        run.status, run.reason = "failed", f"{type(exc).__name__}: {exc}".splitlines()[0]
        say(f"error: {run.name}: {run.reason}")
    finally:
        run.seconds = time.perf_counter() - started
    return run


def summary_table(runs: list[AgencyRun]) -> str:
    """The terminal summary of a build of many agencies: one line per agency, and why each failure."""
    width = max([len("agency")] + [len(r.folder.name) for r in runs])
    lines = [f"{'agency':<{width}}  {'status':<10} {'periods':<16} {'seconds':>8}  why"]
    for r in runs:
        periods = ",".join(r.periods) if len(r.periods) <= 2 else f"{r.periods[0]}:{r.periods[-1]}"
        lines.append(f"{r.folder.name:<{width}}  {r.status:<10} {periods:<16} {r.seconds:>8.1f}  {r.reason[:200]}")
    failed = [r for r in runs if r.status == "failed"]
    lines.append(f"{len(runs)} agencies: {len(runs) - len(failed)} built, up to date or skipped, {len(failed)} failed"
                 + (f" ({', '.join(r.folder.name for r in failed)})" if failed else ""))
    return "\n".join(lines)


def build_many(patterns: str, period_text: str, root: Path, resolve_periods: Callable, datasets_text: str | None = None,
               workers: int | None = None, formats: tuple[str, ...] = ("html", "pdf"), engine: str = "inprocess",
               force: bool = False, say: Callable[[str], None] = print, place=None) -> int:
    """Build every agency ``patterns`` matches for ``period_text``; print the summary; return 1 if any failed.

    ``place``: a Dask cluster (:class:`transparency.building.cluster.Cluster`) that runs the notebooks and PDF parts;
    several agencies are then built at once (:func:`build_on_cluster`).
    """
    if datasets_text:
        from transparency.core import registry

        unknown = [n for n in _names(datasets_text) if n not in registry.datasets()]
        if unknown:
            raise UsageError(f"--datasets: no dataset {', '.join(unknown)}; the datasets are {', '.join(registry.datasets())}")
    folders = find_agencies(patterns, root)
    say(f"Building {len(folders)} agencies: {', '.join(f.name for f in folders)}")
    if place is not None:
        runs = build_on_cluster(folders, period_text, root.absolute(), resolve_periods, datasets_text, workers,
                                formats, engine, force, say, place)
    else:
        runs = []
        for i, folder in enumerate(folders, 1):
            say(f"[{i}/{len(folders)}] {folder.name}")
            runs.append(build_agency(folder, period_text, root, resolve_periods, datasets_text, workers, formats,
                                     engine, force, say))
    say(summary_table(runs))
    # The statewide comparison, when more than one agency was built.
    from transparency.building.statewide import build_after_many

    statewide = build_after_many(folders, sorted({code for r in runs for code in r.periods}), root, formats, say, force)
    return 1 if any(r.status == "failed" for r in runs) or statewide else 0


def agencies_at_once(threads: int, agencies: int) -> int:
    """How many agencies a cluster build has under way: enough that the cluster's ``threads`` have work
    (an agency sends a few notebooks at a time, then works here a while: assembling, scanning, merging its
    PDF), at least two, never more than there are agencies."""
    return max(1, min(agencies, max(2, threads)))


def build_on_cluster(folders: list[Path], period_text: str, root: Path, resolve_periods: Callable,
                     datasets_text: str | None, workers: int | None, formats: tuple[str, ...], engine: str,
                     force: bool, say: Callable[[str], None], place) -> list[AgencyRun]:
    """Build the agencies, several at once, each in a thread of this process sending its work to ``place``;
    the runs in the order of ``folders``. Each line an agency's build says is prefixed with its folder's name."""
    from concurrent.futures import ThreadPoolExecutor

    from .execute import warm_up

    warm_up()  # here, before the threads: starting the server swaps os.environ, which they read
    lock = threading.Lock()
    finished = [0]

    def one(folder: Path) -> AgencyRun:
        def tell(line: str) -> None:
            with lock:
                say("\n".join(f"{folder.name}: {part}" for part in line.splitlines()))

        run = build_agency(folder, period_text, root, resolve_periods, datasets_text, workers, formats, engine,
                           force, tell, place)
        with lock:
            finished[0] += 1
            say(f"[{finished[0]}/{len(folders)}] {folder.name}: {run.status} ({run.seconds:.1f} s)")
        return run

    pool = ThreadPoolExecutor(max_workers=agencies_at_once(place.threads, len(folders)), thread_name_prefix="agency")
    try:
        runs = [pool.submit(one, folder) for folder in folders]
        runs = [run.result() for run in runs]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    say(f"Sent to the Dask cluster: {place.sent_words()}")
    return runs


__all__ = ["AgencyRun", "agencies_at_once", "build_agency", "build_many", "build_on_cluster", "find_agencies",
           "summary_table"]
