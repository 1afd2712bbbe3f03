"""Build the statewide comparison report into ``reports/statewide/<period>/``, as an agency's report is built.

The same pipeline: the notebook ``notebooks/statewide.ipynb`` run by papermill (:mod:`transparency.building.execute`),
its page rendered by :mod:`transparency.rendering.render` (HTML, then a tagged PDF), an audit of what it publishes
(:func:`audit_statewide`), the personal-data scan of every agency compared, then a staging folder swapped
into place. A build of more than one agency (``build --agencies``) ends with it; ``transparency statewide``
builds it alone from the agencies' published reports.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from transparency import __version__
from transparency.core.errors import TransparencyError
from transparency.figures import statewide as sw
from transparency.figures.audit import Audit, Finding

FOLDER = "statewide"  # reports/statewide/<period>/
MARK = ".statewide"  # reports/statewide/.statewide: the folder belongs to the statewide report, not an agency
NOTEBOOK = "statewide.ipynb"
TIMEOUT = 600


class StatewideError(TransparencyError):
    """The statewide report could not be built (its notebook failed, its audit or the personal-data scan refused it)."""


def gather(folders: list[Path], period_code: str, root: Path) -> sw.State:
    """Each agency's configuration (residents, sworn officers, threshold, datasets) and its published
    metrics.json for the period; an agency whose agency.yml does not load is kept with no report."""
    from transparency.core.config import load_agency
    from transparency.core.periods import parse_period

    state = sw.State(parse_period(period_code)[0])
    for folder in folders:
        try:
            agency = load_agency(folder)
        except TransparencyError as exc:
            state.agencies.append(sw.AgencyFigures(folder.name, folder.name, None, None, 5, [], None,
                                                   problem=str(exc).strip().splitlines()[0]))
            continue
        path = root / "reports" / agency.slug / period_code / "metrics.json"
        published = json.loads(path.read_text(encoding="utf-8"))["datasets"] if path.is_file() else None
        population = agency.model.population.total if agency.model.population is not None else None
        state.agencies.append(sw.AgencyFigures(agency.slug, agency.name, population, agency.model.sworn_officers,
                                               agency.min_count, list(agency.dataset_names), published))
    state.agencies.sort(key=lambda a: a.name)
    return state


def _key(state: sw.State, notebook: Path, formats: tuple[str, ...]) -> str:
    from transparency.core.incremental import package_sha256

    return hashlib.sha256(json.dumps({"inputs": state.to_dict(), "notebook": hashlib.sha256(notebook.read_bytes()).hexdigest(),
                                      "package": package_sha256(), "formats": sorted(formats)},
                                     sort_keys=True, default=str).encode()).hexdigest()


def _claim(reports: Path) -> None:
    """reports/statewide/ is the statewide report's, never an agency's whose folder is named statewide."""
    from transparency.building.build import OWNER

    if (reports / OWNER).is_file():
        raise StatewideError(f"{reports} holds the reports of an agency named '{FOLDER}', so the statewide report "
                             "cannot be written there; rename that agency's folder")
    reports.mkdir(parents=True, exist_ok=True)
    (reports / MARK).write_text("the statewide comparison report (transparency.building.statewide)\n", encoding="utf-8")


def build_statewide(folders: list[Path], period_code: str, root: Path, formats: tuple[str, ...] = ("html", "pdf"),
                    say: Callable[[str], None] = print, notebooks: Path | None = None, force: bool = False) -> Path:
    """Build ``reports/statewide/<period_code>/`` from the agencies in ``folders``; return that folder.

    Raises StatewideError (nothing published, the previous report left as it was) when the notebook
    fails, the audit finds a problem or the personal-data scan finds a value from an agency's files.
    """
    from transparency.building.execute import NotebookJob, run_notebooks
    from transparency.core.incremental import NOTEBOOKS

    notebook = (notebooks or NOTEBOOKS) / NOTEBOOK
    started = time.perf_counter()
    state = gather(folders, period_code, root)
    reports = root / "reports" / FOLDER
    _claim(reports)
    final = reports / period_code
    key = _key(state, notebook, formats)
    manifest_path = final / "manifest.json"
    if not force and manifest_path.is_file():
        try:
            if json.loads(manifest_path.read_text(encoding="utf-8")).get("key") == key:
                say(f"Statewide report, {period_code}: up to date, nothing changed since the last build")
                return final
        except ValueError:
            pass
    say(f"Statewide report, {period_code}: {len(state.agencies)} agencies")
    staging = reports / f".{period_code}-building-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "sections").mkdir(parents=True)
    try:
        inputs = staging / "sections" / "inputs.json"
        inputs.write_text(json.dumps(state.to_dict(), indent=1, sort_keys=True), encoding="utf-8")
        title = f"Police agencies compared: {state.period.title()}"
        job = NotebookJob(dataset="statewide", source=notebook, output=staging / "notebooks" / NOTEBOOK,
                          parameters={"inputs": str(inputs), "output_dir": str(staging)}, timeout=TIMEOUT,
                          fragment=staging / "sections" / "statewide.html",
                          public_paths={str(staging): f"reports/{FOLDER}/{period_code}"})
        (result,) = run_notebooks([job], workers=1)
        if not result.ok:
            raise StatewideError(f"the statewide report's notebook failed: {result.error}")
        from transparency.rendering.render import html_to_pdf, section_page

        fragment = (staging / "sections" / "statewide.html").read_text(encoding="utf-8")
        page = section_page(fragment, title, context=f"Statewide comparison: {state.period.label()}")
        if "html" in formats:
            (staging / "report.html").write_text(page, encoding="utf-8")
        if "pdf" in formats:
            html_to_pdf(page, staging / "report.pdf", title, draft=True)
        audited = audit_statewide(staging, state)
        if not audited.passed:
            shown = "\n  ".join(str(f) for f in audited.findings[:20])
            raise StatewideError(f"the statewide report's audit found {len(audited.findings)} problem(s), so nothing "
                                 f"was published:\n  {shown}")
        _scan(folders, state, staging)
        shutil.rmtree(staging / "sections", ignore_errors=True)
        from transparency.building.assemble import _git_commit, _versions

        manifest = {"report": "statewide", "period": period_code, "key": key,
                    "agencies": {a.slug: {"name": a.name, "report": a.published is not None,
                                          **({"problem": a.problem} if a.problem else {})} for a in state.agencies},
                    "parameters": {"formats": list(formats)}, "versions": _versions(), "git_commit": _git_commit(),
                    "transparency": __version__, "seconds": round(time.perf_counter() - started, 3),
                    "audit": audited.to_dict()}
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        aside = reports / f".{period_code}-previous-{os.getpid()}"
        if final.exists():
            final.rename(aside)
        staging.rename(final)
        shutil.rmtree(aside, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    say(f"Statewide report: {final / ('report.pdf' if 'pdf' in formats else 'report.html')} "
        f"({time.perf_counter() - started:.1f} s)")
    return final


def _scan(folders: list[Path], state: sw.State, staging: Path) -> None:
    """The personal-data scan of every agency compared, over the statewide report's files."""
    from transparency.building.build import PrivacyError, _privacy_check
    from transparency.core.config import load_agency
    from transparency.core.incremental import Keys

    for folder in folders:
        try:
            agency = load_agency(folder)
        except TransparencyError:
            continue  # no report of its own, so nothing of its files is in this one
        mine = next((a for a in state.agencies if a.slug == agency.slug), None)
        if mine is None or mine.published is None:
            continue
        datasets = [d for d, e in mine.published.items() if e.get("status") in ("ok", "no_data") and d in agency.dataset_names]
        try:
            _privacy_check(agency, datasets, staging, Keys(agency))
        except PrivacyError as exc:
            raise StatewideError(f"the statewide report was not published: {exc}") from None


def build_after_many(folders: list[Path], period_codes: list[str], root: Path, formats: tuple[str, ...],
                     say: Callable[[str], None] = print, force: bool = False) -> int:
    """The statewide report of each period a build of more than one agency covered; 1 when one failed."""
    if len(folders) < 2:
        return 0
    failed = 0
    for code in period_codes:
        try:
            build_statewide(folders, code, root, formats, say, force=force)
        except TransparencyError as exc:
            say(f"error: statewide report, {code}: {exc}")
            failed = 1
    return failed


# --- The audit ---------------------------------------------------------------------------------------------


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return (rows[0], rows[1:]) if rows else ([], [])


def audit_statewide(folder: Path, state: sw.State) -> Audit:
    """Check the staged statewide report against the agencies' published figures.

    - **inconsistent**: an agency's count in metrics.json or a table differs from its own metrics.json;
      a table's count cell differs from metrics.json; a state or peer-group total is not the sum of the
      counts shown; a CSV in tables/ that the notebook did not write;
    - **recoverable**: a count shown that the agency's own report hides;
    - **small count**: a count from 1 to ``min_count - 1`` shown (counts of public events excepted).
    """
    from transparency.core import registry

    result = Audit()
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    facts = json.loads((folder / "sections" / "statewide.json").read_text(encoding="utf-8"))
    by_slug = {a.slug: a for a in state.agencies}
    names = {a.name: a for a in state.agencies}
    for dataset, entry in metrics["datasets"].items():
        public = entry["figure"] in registry.dataset(dataset).public_counts
        total = residents = 0
        for slug, item in entry["agencies"].items():
            agency = by_slug[slug]
            for suffix in ("", "_prior"):
                shown = item.get("count" + suffix)
                result.figures += 1
                own = (agency.published or {}).get(dataset, {}).get("metrics", {}).get(entry["figure"] + suffix)
                where = f"metrics.json {dataset}.{slug}.count{suffix}"
                if shown is not None and own is None:
                    result.findings.append(Finding("recoverable", where, f"shows {shown}, which the agency's report hides"))
                elif shown is not None and shown != own:
                    result.findings.append(Finding("inconsistent", where, f"shows {shown}, the agency's report {own}"))
                if shown is not None and 1 <= shown < state.min_count and not public:
                    result.findings.append(Finding("small count", where, f"publishes {shown}"))
            if item.get("count") is not None and agency.population:
                total, residents = total + item["count"], residents + agency.population
        if (entry["state"]["count"], entry["state"]["population"]) != (total, residents):
            result.findings.append(Finding("inconsistent", f"metrics.json {dataset}.state",
                                           "is not the sum of the counts shown (a hidden count would be recoverable)"))
        for group, values in entry["peer_groups"].items():
            members = [a for a in state.agencies if sw.peer_group(a.population) == group]
            expected = sum(entry["agencies"][a.slug].get("count") or 0 for a in members if a.population)
            if values["count"] != expected:
                result.findings.append(Finding("inconsistent", f"metrics.json {dataset}.peer_groups.{group}",
                                               f"is {values['count']}, the counts shown add up to {expected}"))
    written = set()
    for table in facts["tables"]:
        written.add(table["file"])
        header, rows = _read_csv(folder / table["file"])
        dataset = table.get("dataset")
        for column in table["counts"]:
            if column not in header:
                result.findings.append(Finding("inconsistent", table["file"], f"has no column {column!r}"))
                continue
            k = header.index(column)
            for row in rows:
                text = row[k].strip()
                result.cells += 1
                value = int(float(text)) if text else None
                where = f"{table['file']} row {row[0]!r}, column {column!r}"
                public = dataset is not None and sw.COMPARED[dataset] in registry.dataset(dataset).public_counts
                if value is not None and 1 <= value < state.min_count and not public:
                    result.findings.append(Finding("small count", where, f"publishes {value}"))
                agency = names.get(row[0])
                if agency is None or dataset is None:
                    continue
                suffix = "_prior" if column.endswith(state.period.previous().code) else ""
                expected = metrics["datasets"][dataset]["agencies"][agency.slug].get("count" + suffix)
                if value != expected:
                    result.findings.append(Finding("inconsistent", where, f"shows {text or 'nothing'}, metrics.json {expected}"))
    for path in sorted((folder / "tables").glob("*.csv")) if (folder / "tables").is_dir() else []:
        if f"tables/{path.name}" not in written:
            result.findings.append(Finding("inconsistent", f"tables/{path.name}", "was not written by the statewide notebook"))
    return result


__all__ = ["StatewideError", "audit_statewide", "build_after_many", "build_statewide", "gather"]
