"""`transparency build`: run every dataset notebook for a period and publish the report, atomically.

The build writes into a hidden staging folder beside the report and swaps it into
``reports/<agency>/<period>/`` only when everything is written, so an interrupted build leaves the
previous complete report as it was. One failing notebook does not stop the others.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from transparency import __version__
from transparency.core import registry
from transparency.core.config import Agency, load_agency
from transparency.core.errors import TransparencyError, UsageError
from transparency.core.incremental import (
    NOTEBOOKS,
    Keys,
    SectionStore,
    longest_first,
    record_report,
    remember_durations,
    report_is_current,
    section_files,
)
from transparency.core.periods import Period
from transparency.core.processes import cores
from transparency.figures.metrics import Metrics, coverage, covers
from transparency.rendering import publishing
from transparency.tables.cache import cached, is_current, read_cached

from .assemble import Outcome, _json, _page_words, _publish

NOTEBOOK_TIMEOUT = 600  # seconds for one notebook, kernel start included
RELEASED = publishing.RELEASED  # reports/<agency>/released/<period>/v<N>/: frozen versions, never touched by a build

def recipe(agency: Agency, datasets: list[str], notebooks: Path = NOTEBOOKS, keys: Keys | None = None) -> dict:
    """What a build is made from besides the input files: agency.yml, the notebooks, the package.

    Recorded in manifest.json; `transparency release` compares it with the current one to refuse a stale build.
    ``keys`` (the build's own) saves hashing the package and the notebooks a second time.
    """
    keys = keys or Keys(agency, notebooks)
    return {
        "config_sha256": keys.common["config"],
        "notebooks": {n: keys.hashes.sha256(notebooks / f"{n}.ipynb") for n in datasets if (notebooks / f"{n}.ipynb").is_file()},
        "package": {"version": __version__, "sha256": keys.common["package"]},
    }


def _restore_interrupted(reports: Path, code: str) -> None:
    """A build stopped between its two renames leaves the old report aside: put it back."""
    final = reports / code
    for aside in sorted(reports.glob(f".{code}-previous-*")):
        if not final.exists():
            aside.rename(final)
        else:
            shutil.rmtree(aside, ignore_errors=True)
    for staging in reports.glob(f".{code}-building-*"):
        pid = staging.name.rsplit("-", 1)[-1]
        if not pid.isdigit() or not _alive(int(pid)):
            shutil.rmtree(staging, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class _PeriodRun:
    """One period's build in progress: what the steps of :func:`_period_steps` share."""

    agency: Agency
    period: Period
    root: Path
    names: list[str]
    reports: Path
    keys: Keys
    say: Callable[[str], None]
    staging: Path = Path()
    kept: SectionStore | None = None
    section_keys: dict[str, str] = field(default_factory=dict)
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    window: tuple = ()
    kept_early: set[str] = field(default_factory=set)


def _period_steps(
    agency: Agency,
    period: Period,
    root: Path,
    datasets: list[str] | None = None,
    workers: int | None = None,
    formats: tuple[str, ...] = ("html", "pdf"),
    say: Callable[[str], None] = print,
    notebooks: Path = NOTEBOOKS,
    timeout: int = NOTEBOOK_TIMEOUT,
    engine: str = "inprocess",
    force: bool = False,
    pdf_workers: int | None = None,
    place=None,
) -> list[Outcome]:
    """Build one period's report into ``root/reports/<agency>/<period>/``; return each dataset's outcome.

    ``engine`` is how notebooks run (see :mod:`transparency.building.execute`): "inprocess" (default) or
    "kernel". The build is incremental (see :mod:`transparency.core.incremental`): a section whose
    notebook, inputs, configuration and package are unchanged is copied from the last build, and
    a report with nothing changed is left as it is; ``force`` runs everything.

    A generator: it yields once, after the report's PDF has started drawing in a worker process,
    and returns the outcomes when resumed, so that a build of many periods runs the next period's
    notebooks while this period's PDF is drawn (:func:`build`). :func:`build_period` runs it to the end.

    ``place`` (a :class:`transparency.building.cluster.Cluster`) runs the notebooks and the PDF's parts on a Dask
    cluster instead of this machine's processes; every other step runs here.
    """
    from .execute import warm_up

    names = _section_names(agency, datasets, notebooks, say)
    run = _PeriodRun(agency, period, root, names, _open_reports(root, agency, period), Keys(agency, notebooks), say)
    report_key = run.keys.report(names, period.code, formats)
    if not force and report_is_current(agency, period.code, report_key, run.reports / period.code):
        run.keys.save()
        say("  up to date: nothing changed since the last build (--force builds it again)")
        return _outcomes_of(run.reports / period.code)
    if engine == "inprocess" and place is None:
        warm_up()  # the notebook workers' server imports what they need while the data loads
    made_from = recipe(agency, names, notebooks, run.keys)  # before the notebooks run: an edit during the build makes it stale
    read_from = input_snapshot(agency, names, run.keys)  # checked again before the report is published
    run.section_keys = {name: run.keys.section(name, period.code) for name in names}
    run.keys.save()
    run.kept = SectionStore(agency, period.code)
    run.staging = run.reports / f".{period.code}-building-{os.getpid()}"
    shutil.rmtree(run.staging, ignore_errors=True)
    run.staging.mkdir()
    try:
        loaders = _start_load(run, workers)
        started = time.perf_counter()
        jobs = _notebook_jobs(run, notebooks, formats, timeout, force)
        results = _run_jobs(run, jobs, workers, engine, place)
        _finish_load(run, loaders)
        _collect(run, results)
        run.timings["execute"] = time.perf_counter() - started
        pdf = _publish(agency, period, run.outcomes, run.staging, formats, run.timings, say, made_from,
                       parts=None if force else run.kept.folder / "pdf-parts", pdf_workers=pdf_workers, place=place)
        yield
        audited = _check(run, pdf)
        _record_timings(run, audited)
        check_inputs_unchanged(agency, read_from, json.loads((run.staging / "manifest.json").read_text(encoding="utf-8")))
        _swap_in(run, report_key)
    except BaseException:
        shutil.rmtree(run.staging, ignore_errors=True)
        raise
    return list(run.outcomes.values())


def _section_names(agency: Agency, datasets: list[str] | None, notebooks: Path, say: Callable[[str], None]) -> list[str]:
    """The datasets to build: those asked for (each must have a notebook), else every configured one with a notebook."""
    if datasets:
        missing = [n for n in datasets if not (notebooks / f"{n}.ipynb").exists()]
        if missing:
            raise UsageError(f"no notebook for {', '.join(missing)} in {notebooks} (add one with `transparency new-dataset`)")
        return list(datasets)
    names = [n for n in agency.dataset_names if (notebooks / f"{n}.ipynb").exists()]
    unwritten = [n for n in agency.dataset_names if n not in names]
    if unwritten:
        say(f"  no section notebook yet for: {', '.join(unwritten)} (left out of the report)")
    return names


def _open_reports(root: Path, agency: Agency, period: Period) -> Path:
    """The agency's reports folder, claimed for it, refusing a released period, an interrupted swap restored."""
    reports = root / "reports" / agency.slug
    reports.mkdir(parents=True, exist_ok=True)
    claim_reports(reports, agency)
    _refuse_released(reports, period)
    _restore_interrupted(reports, period.code)
    return reports


def _start_load(run: _PeriodRun, workers: int | None) -> list:
    """Load (through the Parquet cache): a dataset that cannot be loaded fails here, the rest go on.

    Only the rows the figures compare are read (the period, the one before, the same one a year earlier),
    with the first and last rows of the data, which give its span of dates. When raw files must be read
    first, the notebooks do not wait for that: they start at once, reading the cache (made by a worker
    reading the raw files meanwhile, or by the notebook itself, one process per dataset), and the datasets
    that turn out to fail or to have no data for the period drop their notebooks' outputs
    (:func:`_finish_load`). Returns those workers.
    """
    started = time.perf_counter()
    run.outcomes = {name: Outcome(name) for name in run.names}
    compared = (run.period, run.period.previous(), run.period.year_earlier())
    run.window = (min(p.start for p in compared), max(p.end for p in compared))
    stale = [n for n in run.names if not is_current(run.agency, n)]
    loaders = _start_loading(run.agency, stale) if stale and (workers or cores()) > 1 else []
    if not loaders:
        for outcome in run.outcomes.values():
            _prepare(run.agency, run.period, run.window, outcome)
    run.timings["load"] = time.perf_counter() - started
    return loaders


def _notebook_jobs(run: _PeriodRun, notebooks: Path, formats: tuple[str, ...], timeout: int, force: bool) -> list:
    """The notebooks to run, longest first; a section whose key is unchanged is restored from the last build instead."""
    from .execute import NotebookJob

    public_paths = _public_paths(run.agency, run.root, notebooks, run.staging, run.period)
    jobs = []
    for name, outcome in run.outcomes.items():
        if outcome.status != "ok":
            continue
        source = notebooks / f"{name}.ipynb"
        if not source.exists():
            outcome.status, outcome.message = "failed", f"there is no notebook {source.name} in {notebooks}"
            continue
        facts = None if force else run.kept.restore(name, run.section_keys[name], run.staging)
        if facts is not None:
            outcome.section, outcome.reused = facts, True
            run.say(f"  {name:<28} unchanged (reused)")
            continue
        jobs.append(NotebookJob(
            dataset=name, source=source, output=run.staging / "notebooks" / f"{name}.ipynb",
            parameters={"agency": str(run.agency.folder.resolve()), "period": run.period.code,
                        "output_dir": str(run.staging)},
            timeout=timeout, fragment=run.staging / "sections" / f"{name}.html", public_paths=public_paths,
            page=({"path": str(run.staging / f"{name}.html"), **_page_words(run.agency, run.period, name)}
                  if "html" in formats else None),
        ))
    order = {name: i for i, name in enumerate(longest_first(run.agency, [job.dataset for job in jobs]))}
    return sorted(jobs, key=lambda job: order[job.dataset])


def _run_jobs(run: _PeriodRun, jobs: list, workers: int | None, engine: str, place) -> list:
    """Run the notebooks here or on the cluster; each section is kept as soon as its notebook ends, so that a
    build interrupted now resumes with it."""
    from .execute import run_notebooks

    def progress(dataset: str, state: str, seconds: float) -> None:
        if state == "done" and (run.staging / "sections" / f"{dataset}.json").is_file():
            run.kept.keep(dataset, run.section_keys[dataset], run.staging)
            run.kept_early.add(dataset)
        if state in ("done", "failed"):
            run.say(f"  {dataset:<28} {state:<8} {seconds:5.1f} s")
        elif state == "running":
            run.say(f"  {dataset:<28} running")

    if place is None:
        return run_notebooks(jobs, workers=workers, progress=progress, engine=engine)
    from .cluster import run_notebooks_on

    return run_notebooks_on(place, jobs, progress, engine=engine, name=f"{run.agency.slug}-{run.period.code}")


def _finish_load(run: _PeriodRun, loaders: list) -> None:
    """Wait for the workers reading raw files (usually done already: the notebooks needed most of what they
    read); a dataset that failed to load or has no data for the period drops its notebook's outputs."""
    if not loaders:
        return
    waited = time.perf_counter()
    _wait_for(loaders)
    for outcome in run.outcomes.values():
        _prepare(run.agency, run.period, run.window, outcome)
        if outcome.status != "ok" and outcome.reused:  # its data changed since: not reusable
            outcome.section, outcome.reused = None, False
        if outcome.status != "ok":
            for path in section_files(run.staging, outcome.dataset):
                path.unlink()
    run.timings["load"] += time.perf_counter() - waited


def _collect(run: _PeriodRun, results: list) -> None:
    """Each notebook's result into its dataset's outcome (its section's facts, kept for the next build); the
    section's figures; a failed section's own tables removed."""
    remember_durations(run.agency, {r.dataset: r.seconds for r in results if r.ok})
    for result in results:
        outcome = run.outcomes[result.dataset]
        outcome.seconds = result.seconds
        if outcome.status != "ok":  # the data could not be loaded, or does not cover the period
            continue
        if not result.ok:
            outcome.status, outcome.message = "failed", result.error
            continue
        facts = run.staging / "sections" / f"{result.dataset}.json"
        if not facts.exists():
            outcome.status, outcome.message = "failed", "the notebook did not call section.save()"
            continue
        outcome.section = json.loads(facts.read_text(encoding="utf-8"))
        if result.dataset not in run.kept_early:
            run.kept.keep(result.dataset, run.section_keys[result.dataset], run.staging)
    for outcome in run.outcomes.values():
        _section_metrics(outcome)
        if outcome.status == "failed":  # a section that did not finish publishes no table of its own
            for path in (run.staging / "tables").glob(f"{outcome.dataset}__*.csv"):
                path.unlink()


def _check(run: _PeriodRun, pdf):
    """The export (when agency.yml asks), the audit and the personal-data scan, while and after the PDF is
    drawn; returns the audit's result. Nothing is called complete before all of them pass."""
    outcomes, staging, timings = run.outcomes, run.staging, run.timings
    try:
        if run.agency.model.export is not None:  # the de-identified records beside the report (transparency.building.export)
            from transparency.reading.load import canonical_table

            from .export import FOLDER, write_export

            started = time.perf_counter()
            # The sections published: none for a dataset without data for the period, or one that failed.
            loaded = {o.dataset: canonical_table(o.load.table) for o in outcomes.values()
                      if o.load is not None and o.status == "ok"}
            write_export(run.agency, run.period, staging / FOLDER, tables=loaded, datasets=list(loaded), scan=False)
            timings["export"] = time.perf_counter() - started
        # One figure, one value, and no hidden count worked out from the outputs together
        # (transparency.figures.audit): checked before anything is called complete.
        started = time.perf_counter()
        audited = _audit(run.agency, outcomes, staging)
        timings["audit"] = time.perf_counter() - started
        # Nothing is called complete before every file it would publish is searched for personal
        # data; the other files are searched while the PDF is being drawn in a worker process.
        started = time.perf_counter()
        _privacy_check(run.agency, [o.dataset for o in outcomes.values() if o.load is not None], staging, run.keys,
                       pdf.result if pdf is not None else None, timings)
    finally:
        if pdf is not None:
            pdf.cancel()
            timings["pdf"] = pdf.seconds
    shutil.rmtree(staging / "sections", ignore_errors=True)
    timings["privacy_scan"] = time.perf_counter() - started - timings.get("pdf_wait", 0.0)
    return audited


def _record_timings(run: _PeriodRun, audited) -> None:
    """The stages timed after the manifest was written, and the audit's result, into manifest.json."""
    manifest_path = run.staging / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    for stage in ("pdf", "pdf_wait", "privacy_scan", "audit", "export"):
        if stage in run.timings:
            manifest["timings_seconds"][stage] = round(run.timings[stage], 3)
    manifest["audit"] = audited.to_dict()
    _json(manifest_path, manifest)


def _swap_in(run: _PeriodRun, report_key: str) -> None:
    """Swap into place: the old report moves aside, the new one in, then the old one goes."""
    final = run.reports / run.period.code
    aside = run.reports / f".{run.period.code}-previous-{os.getpid()}"
    if final.exists():
        final.rename(aside)
    run.staging.rename(final)
    shutil.rmtree(aside, ignore_errors=True)
    record_report(run.agency, run.period.code, report_key, final,
                  complete=all(o.status != "failed" for o in run.outcomes.values()))


def build_period(agency: Agency, period: Period, root: Path, *args, **kwargs) -> list[Outcome]:
    """Build one period's report into ``root/reports/<agency>/<period>/``; return each dataset's outcome.

    Takes the arguments of :func:`_period_steps` (datasets, workers, formats, say, notebooks,
    timeout, engine, force), which it runs to the end.
    """
    steps = _period_steps(agency, period, root, *args, **kwargs)
    try:
        while True:
            next(steps)
    except StopIteration as done:
        return done.value


def _outcomes_of(folder: Path) -> list[Outcome]:
    """The outcomes of the build already in ``folder`` (for a build that found nothing to do)."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    outcomes = []
    for name in manifest["parameters"]["datasets"]:  # the build's order (the manifest's keys are sorted)
        entry = manifest["datasets"][name]
        rows = metrics["datasets"].get(name, {}).get("rows_in_period") or 0
        outcomes.append(Outcome(name, status=entry["status"], message=entry.get("message"), rows_in_period=rows,
                                seconds=0.0, reused=True))
    return outcomes


OWNER = ".agency-folder"  # in reports/<agency>/: the name of the agency folder whose reports these are


def claim_reports(reports: Path, agency: Agency) -> None:
    """``reports/<slug>/`` belongs to one agency folder: another folder with the same slug (``h07.x`` after
    ``h07-x``) is refused rather than overwriting its reports."""
    owner = reports / OWNER
    name = agency.folder.resolve().name
    try:
        claimed = owner.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        owner.write_text(name + "\n", encoding="utf-8")
        return
    if claimed != name:
        raise TransparencyError(
            f"{reports} holds the reports of the agency folder '{claimed}', and '{name}' gives the same name "
            f"'{agency.slug}': it would overwrite them and share their pseudonymisation key. Rename the folder "
            f"(or, if '{claimed}' was renamed to '{name}', delete {owner}).")


def _refuse_released(reports: Path, period: Period) -> None:
    """A build writes only the draft folder: never through a link, never into a released version."""
    final = reports / period.code
    released = (reports / RELEASED).resolve()
    if final.is_symlink() or released == final.resolve() or released in final.resolve().parents:
        raise TransparencyError(
            f"{final} is a link or lies inside {reports / RELEASED}: a build never writes into a released report. "
            f"Remove the link (the released versions stay in {reports / RELEASED / period.code}) and build again."
        )


def _prepare(agency: Agency, period: Period, window: tuple, outcome: Outcome) -> None:
    """Read a dataset's rows of ``window`` from the cache; set the outcome's load and status.

    A dataset that cannot be loaded is failed, and one whose data does not reach the period has no
    data; either overrides what its notebook did.
    """
    name = outcome.dataset
    try:
        outcome.load = read_cached(agency, name, start=window[0], end=window[1])
    except TransparencyError as exc:
        outcome.status, outcome.message = "failed", str(exc)
        return
    table = outcome.load.table
    event = registry.dataset(name).event
    outcome.rows_in_period = int(period.contains(table[event]).sum())
    if outcome.rows_in_period == 0 and not covers(coverage(table, name), period):
        outcome.status = "no_data"
        outcome.message = f"The agency's {registry.dataset(name).title.lower()} data does not cover this period."


def _section_metrics(outcome: Outcome) -> None:
    """The section's headline figures, as its notebook computed and suppressed them (the one
    computation: metrics.json and the at-a-glance page show what the section shows)."""
    if outcome.status == "ok" and outcome.section and "metrics" in outcome.section:
        public = outcome.section["metrics"]
        outcome.metrics = Metrics(values=dict(public["values"]), suppressed=dict(public["suppressed"]))
    else:
        outcome.metrics = None


def _public_paths(agency: Agency, root: Path, notebooks: Path, staging: Path, period: Period) -> dict[str, str]:
    """The folders a published notebook names, as it names them: the report's folder
    (``reports/<agency>/<period>``), the agency as ``--agency`` names it, the notebooks' folder."""
    folder = agency.folder.resolve()
    if folder.parent == (root / "data").resolve():
        named = folder.name
    elif folder.is_relative_to(root.resolve()):
        named = folder.relative_to(root.resolve()).as_posix()
    else:
        named = folder.name
    report = f"reports/{agency.slug}/{period.code}"
    return {**{str(path): report for path in (staging, staging.resolve())}, str(folder): named,
            str(notebooks.resolve()): "notebooks"}


def _cache_all(folder: str, datasets: list[str]) -> None:
    """Make the cache entries of ``datasets`` in turn (a worker's task), and remember the identifying
    values of their input files for the personal-data scan (which then finds them at the end of the
    build, when the PDF is being drawn on every core), taken from the frames the loader read; errors
    are left to the readers."""
    from transparency.core.keys import key_path, read_key
    from transparency.figures.privacy import collect_needles, values_as_loaded

    agency = load_agency(folder)
    if not key_path(agency.slug).exists():
        for dataset in datasets:
            with contextlib.suppress(TransparencyError):
                cached(agency, dataset)
        return
    keys, key = Keys(agency), read_key(agency.slug)
    with values_as_loaded(agency) as as_loaded:
        for dataset in datasets:
            try:
                cached(agency, dataset)
                collect_needles(agency, [dataset], key, keys, as_loaded)
            except TransparencyError:
                pass
            as_loaded.clear()  # one dataset's values at a time


def _start_loading(agency: Agency, datasets: list[str], workers: int = 1) -> list:
    """Start ``workers`` workers making the cache entries of ``datasets``; return them (``Background``).

    The largest inputs go first, each to the worker with the fewest bytes so far. Workers are forked
    from this process, so they start at once, while the notebooks' warm server is still importing.
    """
    from transparency.core.processes import Background, deal

    shares = deal(datasets, lambda dataset: _input_bytes(agency, dataset), workers)
    return [Background.forked(_cache_all, str(agency.folder), names) for names in shares]


def _wait_for(loaders: list) -> None:
    for loader in loaders:
        try:
            loader.result()
        except Exception:  # noqa: BLE001 - the readers load what it could not, and report why
            pass


def _input_bytes(agency: Agency, dataset: str) -> int:
    try:
        return sum(path.stat().st_size for path in agency.input_files(dataset))
    except (TransparencyError, OSError):
        return 0  # reading it reports what is wrong


def latest_period(agency: Agency) -> Period:
    """The last quarter that the agency's data covers whole (never one still under way): see
    :func:`transparency.core.periods.latest_quarter`; the dataset that goes furthest decides."""
    from transparency.tables.cache import agency_latest

    _wait_for(_start_loading(agency, [n for n in agency.dataset_names if not is_current(agency, n)], cores()))
    return agency_latest(agency)


def summary_table(period: Period, outcomes: list[Outcome]) -> str:
    """The terminal summary: one line per dataset."""
    lines = [f"{period.code}: {'dataset':<28} {'status':<8} {'rows':>8} {'seconds':>8}  note"]
    for o in outcomes:
        note = (o.message or "").splitlines()[0][:100] if o.status != "ok" else ("reused" if o.reused else "")
        lines.append(f"{'':{len(period.code)}}  {o.dataset:<28} {o.status:<8} {o.rows_in_period:>8,} {o.seconds:>8.1f}  {note}")
    return "\n".join(lines)


class PrivacyError(TransparencyError):
    """A published file would hold a raw value of an identifying input column: the build is refused."""


class InputChangedError(TransparencyError):
    """An input file changed while the report was being built: its parts may come from different versions."""


def input_snapshot(agency: Agency, datasets: list[str], keys: Keys) -> dict[str, str]:
    """The sha256 of every input file a build of ``datasets`` reads (with the datasets they use), by path
    relative to ``raw_root``, as the build starts."""
    read = {n for name in datasets for n in [name, *registry.dataset(name).uses] if n in agency.dataset_names}
    return {path: sha256 for name in sorted(read) for path, sha256 in keys.inputs(name) if path != "missing"}


def check_inputs_unchanged(agency: Agency, snapshot: dict[str, str], manifest: dict) -> None:
    """Refuse to publish a report made from inputs that changed during the build.

    Each input file is hashed again (its bytes, not its size and time), and compared with the hash taken as
    the build started and with the hash of the bytes the loader read (``manifest.json``'s inputs): a file
    replaced while the notebooks ran would give a report mixing its old and new rows.
    """
    from transparency.core.hashing import file_sha256

    read = {i["path"]: i["sha256"] for entry in manifest.get("datasets", {}).values() for i in entry.get("inputs", [])}
    for path, at_start in sorted(snapshot.items()):
        file = agency.raw_root / path
        now = file_sha256(file) if file.is_file() else "missing"
        loaded = read.get(path, at_start)
        if not (at_start == now == loaded):
            raise InputChangedError(
                f"{file}: changed while the report was being built (sha256 {at_start[:12]} at the start, "
                f"{loaded[:12]} as loaded, {now[:12]} now), so the report could mix two versions of it. Nothing was "
                "published; the previous report is unchanged. Build again once the files are final.")


class AuditError(TransparencyError):
    """The consistency audit found a figure with two values, a small count or a recoverable hidden count."""


def _audit(agency: Agency, outcomes: dict[str, Outcome], staging: Path):
    """Run the consistency audit on the staged publication; raise, naming every problem, when it fails."""
    from transparency.figures.audit import audit_publication

    sections = {name: o.section for name, o in outcomes.items() if o.status == "ok" and o.section}
    result = audit_publication(staging, sections, agency.min_count)
    if not result.passed:
        shown = "\n  ".join(str(finding) for finding in result.findings[:20])
        more = f"\n  ... and {len(result.findings) - 20} more" if len(result.findings) > 20 else ""
        raise AuditError(
            f"the consistency audit found {len(result.findings)} problem(s) in the report for {agency.name}, "
            f"so nothing was published:\n  {shown}{more}\nEvery figure must be computed once and shown with one "
            "value, and no hidden count may be recoverable (see the README, 'One source of truth')."
        )
    return result


def _privacy_check(agency: Agency, datasets: list[str], staging: Path, keys: Keys,
                   wait_for_pdf: Callable[[], None] | None = None, timings: dict[str, float] | None = None) -> None:
    """Search the staged report for raw identifying values (see transparency.figures.privacy); raise on any.

    Every file but the PDF is searched first; then ``wait_for_pdf`` (if given) is called and the PDF
    is searched (its time waiting goes into ``timings["pdf_wait"]``). The PDF is read through
    pdftotext when poppler-utils is installed; it is made from report.html, which is always searched.
    """
    from transparency.core.keys import key_path, read_key
    from transparency.figures.privacy import collect_needles, collect_values, needles, scan

    if key_path(agency.slug).exists():
        # The identifying values are remembered per input file, as hashes made with the agency's key.
        key = read_key(agency.slug)
        found = collect_needles(agency, datasets, key, keys)
    else:
        import secrets

        key = secrets.token_bytes(32)
        found = needles(collect_values(agency, datasets), key)
    pdfs = sorted(staging.rglob("*.pdf"))
    leaks = scan(staging, found, key=key, skip=pdfs)
    if wait_for_pdf is not None:
        started = time.perf_counter()
        wait_for_pdf()
        if timings is not None:
            timings["pdf_wait"] = time.perf_counter() - started
    if shutil.which("pdftotext") is not None:
        leaks += scan(staging, found, key=key, only=sorted(staging.rglob("*.pdf")))
    if leaks:
        shown = "\n  ".join(str(leak) for leak in leaks[:10])
        more = f"\n  and {len(leaks) - 10} more" if len(leaks) > 10 else ""
        raise PrivacyError(
            f"the report was not published: {len(leaks)} published file(s) would hold personal data from the "
            f"agency's files:\n  {shown}{more}\nRemove the column from the table or chart that shows it, or stop "
            "mapping it in agency.yml."
        )


def require_key(agency: Agency, datasets: list[str] | None = None) -> None:
    """Raise the key's ConfigError (how to create it) when a dataset to build maps a person identifier
    (a ``pseudonym`` field) and the agency has no pseudonymisation key."""
    from transparency.core.keys import read_key

    names = datasets or agency.dataset_names
    if any(registry.dataset(name).fields[field].type == "pseudonym"
           for name in names for group in agency.file_groups[name] for field in group.columns):
        read_key(agency.slug)


def build(agency: Agency, periods: list[Period], root: Path, datasets: list[str] | None = None,
          workers: int | None = None, formats: tuple[str, ...] = ("html", "pdf"),
          say: Callable[[str], None] = print, engine: str = "inprocess", force: bool = False, place=None) -> int:
    """Build every period; return the exit code (1 when any dataset failed).

    ``place``: a Dask cluster (:mod:`transparency.building.cluster`) that runs the notebooks and the PDF's parts.

    Periods overlap: while one period's PDF is drawn in a worker process, the next period's data is
    loaded and its notebooks run; each period's summary is printed when it is complete.

    Raises ConfigError before anything runs when a dataset maps a person identifier and the agency has
    no pseudonymisation key (one error, instead of one failed section per dataset).
    """
    require_key(agency, datasets)
    failed = False
    waiting: tuple | None = None  # (period, its steps, when it started), its PDF being drawn

    def report(period: Period, outcomes: list[Outcome], started: float) -> None:
        nonlocal failed
        say(summary_table(period, outcomes))
        out = root / "reports" / agency.slug / period.code
        bad = [o.dataset for o in outcomes if o.status == "failed"]
        say(f"Report: {out / 'report.pdf' if 'pdf' in formats else out / 'report.html'} ({time.perf_counter() - started:.1f} s)")
        if bad:
            failed = True
            say(f"Failed: {', '.join(bad)}")
        released = root / "reports" / agency.slug / RELEASED / period.code
        if released.is_dir():
            say(f"Note: {period.code} is already released ({released}); this draft does not change it. To publish it "
                f"as a correction: transparency review, then transparency release --correction \"why\".")

    def finish(period: Period, steps, started: float) -> None:
        """Wait for the period's PDF, search, publish, and report it."""
        nonlocal failed
        try:
            next(steps)
        except StopIteration as done:
            report(period, done.value, started)
        except (PrivacyError, AuditError, InputChangedError) as exc:
            say(f"error: {exc}")
            failed = True
        else:  # pragma: no cover - the steps yield once
            raise RuntimeError("a period's build yielded twice")

    try:
        for period in periods:
            say(f"Building {agency.name}, {period.title()}")
            started = time.perf_counter()
            # In a range, a PDF is drawn while the next quarter's notebooks run on the other cores, so
            # its parts are drawn one after another (the same file: it does not depend on the workers);
            # the last quarter's has every core.
            steps = _period_steps(agency, period, root, datasets, workers, formats, say, engine=engine, force=force,
                                  pdf_workers=1 if period != periods[-1] else None, place=place)
            try:
                next(steps)  # load, run the notebooks, write the HTML, start the PDF
            except StopIteration as done:  # nothing to do: the report was up to date
                ready = done.value
            else:
                ready = None
            if waiting is not None:
                finish(*waiting)
                waiting = None
            if ready is None:
                waiting = (period, steps, started)
            else:
                report(period, ready, started)
        if waiting is not None:
            finish(*waiting)
            waiting = None
    finally:
        if waiting is not None:
            waiting[1].close()  # interrupted: remove that period's staging folder
    return 1 if failed else 0


__all__ = ["build", "build_period", "Outcome", "summary_table"]
