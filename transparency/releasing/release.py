"""Release a built period as a frozen, read-only version; correct it; verify and reproduce what was released.

Layout (``reports/<agency>/``)::

    <period>/                 the draft: each `transparency build` replaces this folder wholesale
    released/
      releases.jsonl          one line per release: period, version, time, sha256 of its RELEASE.json, the
                              sha256 of the line before, an Ed25519 signature (release_log.py)
      <period>/v1/            version 1: the public files, re-rendered as released, plus RELEASE.json (signed)
      <period>/v2/            a correction: the old version stays as it was
    index.html, data.json     the public index and its Project Open Data catalogue (publish_index.py)

A version folder is written beside its final place, made read-only (files 0444, folders 0555) and
renamed into place; nothing ever writes into an existing version. `release` re-renders the draft's own
report (``report-source.json``, written by the build) with the cover saying "Released on <date>" and no
DRAFT mark, so the released report is the reviewed one, figure for figure, without running notebooks again.
"""

from __future__ import annotations

import getpass
import hashlib
import html
import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from transparency.building.assemble import REPORT_SOURCE
from transparency.building.build import NOTEBOOKS, RELEASED, recipe
from transparency.core import registry
from transparency.core.config import Agency
from transparency.core.errors import TransparencyError, UsageError
from transparency.core.hashing import file_sha256 as _sha256
from transparency.core.periods import Period
from transparency.writing.figure_words import dataset_title, figure_label

from .publish_index import write_index
from .released import LOG_FILE, RELEASE_FILE, Version, agency_reports, period_of, released_periods, versions
from .signing import RELEASE_CONTEXT

REVIEW_FILE = "review.html"
#: Files of a draft build that are never published (the review page, the report's private source).
PRIVATE_FILES = frozenset({REPORT_SOURCE, REVIEW_FILE})
#: What a complete build has, besides a page per section.
REQUIRED_FILES = ("report.html", "report.pdf", "metrics.json", "manifest.json", REPORT_SOURCE)

__all__ = [
    "LOG_FILE", "PRIVATE_FILES", "RELEASE_FILE", "BuildCheck", "ReleaseRefused", "Version", "check_build",
    "figure_changes", "figure_label", "release", "release_problems", "released_periods", "versions", "verify",
]


class ReleaseRefused(TransparencyError):
    """A release (or correction) cannot go ahead; the message lists why and what to do (exit 1)."""

    def __init__(self, period: Period, problems: list[str]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"release of {period.code} refused:\n{lines}")


# ----------------------------------------------------------------------------------------------
# Where things are
# ----------------------------------------------------------------------------------------------


def agency_argument(agency: Agency, root: Path) -> str:
    """How to name the agency on the command line in a message: ``sample`` or its folder."""
    try:
        if (root / "data" / agency.slug).resolve() == agency.folder.resolve():
            return agency.slug
    except OSError:
        pass
    return str(agency.folder)


# ----------------------------------------------------------------------------------------------
# Is the draft build releasable?
# ----------------------------------------------------------------------------------------------


@dataclass
class BuildCheck:
    """The draft build of a period and what stands in the way of releasing it."""

    folder: Path
    manifest: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # each blocks a release and says what to do
    notes: list[str] = field(default_factory=list)  # worth knowing, not blocking

    @property
    def exists(self) -> bool:
        return bool(self.manifest)


def _current_inputs(agency: Agency, dataset: str) -> dict[str, str]:
    out = {}
    for path in agency.input_files(dataset):
        try:
            name = str(path.relative_to(agency.raw_root))
        except ValueError:
            name = str(path)
        out[name] = _sha256(path)
    return out


def recorded_inputs(manifest: dict) -> dict[str, dict[str, str]]:
    """dataset -> {input path: sha256} as the build recorded them."""
    return {name: {i["path"]: i["sha256"] for i in entry.get("inputs", [])}
            for name, entry in sorted(manifest.get("datasets", {}).items()) if entry.get("inputs")}


def input_differences(recorded: dict[str, dict[str, str]], current: dict[str, dict[str, str]]) -> list[str]:
    """Plain descriptions of every input that changed, went missing or was added, between two records."""
    changes = []
    for dataset, files in recorded.items():
        now = current.get(dataset, {})
        for path in sorted(set(files) | set(now)):
            if path not in now:
                changes.append(f"{path} was removed")
            elif path not in files:
                changes.append(f"{path} is new")
            elif files[path] != now[path]:
                changes.append(f"{path} changed")
    return changes


def input_changes(agency: Agency, recorded: dict[str, dict[str, str]]) -> list[str]:
    """Plain descriptions of every recorded input that changed, went missing or was added since."""
    current, problems = {}, []
    for dataset in recorded:
        try:
            current[dataset] = _current_inputs(agency, dataset)
        except TransparencyError as exc:
            problems.append(f"{dataset}: {exc}")
    return problems + input_differences({d: f for d, f in recorded.items() if d in current}, current)


def full_build_datasets(agency: Agency, notebooks: Path = NOTEBOOKS) -> list[str]:
    """The datasets a build without --datasets covers: configured, with a section notebook."""
    return [n for n in agency.dataset_names if (notebooks / f"{n}.ipynb").exists()]


def recipe_differences(old: dict, new: dict, config_name: str = "agency.yml") -> tuple[list[str], list[str]]:
    """(differences that make a build stale, differences worth a note) between two recorded recipes."""
    stale, notes = [], []
    if old.get("config_sha256") != new.get("config_sha256"):
        stale.append(f"the agency configuration {config_name} changed")
    for name in sorted(set(old.get("notebooks", {})) | set(new.get("notebooks", {}))):
        before, after = old.get("notebooks", {}).get(name), new.get("notebooks", {}).get(name)
        if after is None:
            stale.append(f"the notebook {name}.ipynb was removed")
        elif before is None:
            stale.append(f"the notebook {name}.ipynb is new")
        elif before != after:
            stale.append(f"the notebook {name}.ipynb changed")
    package, current = old.get("package", {}), new.get("package", {})
    if package.get("version") != current.get("version"):
        stale.append(f"the transparency package changed from version {package.get('version')} to "
                     f"{current.get('version')}")
    elif package.get("sha256") != current.get("sha256"):
        notes.append(f"the transparency package's code changed since the build (same version "
                     f"{current.get('version')}); build again if the change can affect the report")
    return stale, notes


def recipe_changes(agency: Agency, recorded: dict, notebooks: Path = NOTEBOOKS) -> tuple[list[str], list[str]]:
    """(changes that make a build stale, changes worth a note) in agency.yml, notebooks and package since."""
    names = list(recorded.get("notebooks", {}))
    current = recipe(agency, names, notebooks)
    return recipe_differences(recorded, current, agency.config_path.name)


def check_build(agency: Agency, period: Period, root: Path, notebooks: Path = NOTEBOOKS) -> BuildCheck:
    """Check the draft build of a period: present, complete, every section built, nothing failed, not stale.

    Parameters
    ----------
    agency, period, root
        As for :func:`transparency.building.build.build_period`.
    notebooks : Path
        The notebooks a build uses now (to see whether the build covers every section and is current).

    Returns
    -------
    BuildCheck
        ``problems`` is empty when the build can be released.
    """
    folder = agency_reports(root, agency) / period.code
    check = BuildCheck(folder)
    build_again = f"transparency build --agency {agency_argument(agency, root)} --period {period.code}"
    try:
        check.manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        check.metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        check.manifest = {}
        check.problems.append(f"there is no build of {period.code} in {folder}: build it first with `{build_again}`")
        return check
    except ValueError as exc:
        check.manifest = {}
        check.problems.append(f"the build in {folder} is unreadable ({exc}): build it again with `{build_again}`")
        return check

    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        check.problems.append(
            f"the build has no {', '.join(missing)} (built with --formats html, or by an older version): "
            f"build it again with both formats: `{build_again}`")
    built = list(check.manifest.get("parameters", {}).get("datasets", []))
    left_out = [n for n in full_build_datasets(agency, notebooks) if n not in built]
    if left_out:
        check.problems.append(
            f"the build leaves out {', '.join(left_out)} (built with --datasets, or a section notebook was added "
            f"since): a release covers every section, so build again without --datasets: `{build_again}`")
    for name, entry in check.manifest.get("datasets", {}).items():
        if entry.get("status") == "failed":
            reason = (entry.get("message") or "no message").strip().splitlines()[-1][:200]
            check.problems.append(f"the {name} section failed ({reason}): fix it, then `{build_again}`")

    recorded = check.manifest.get("recipe")
    if not recorded:
        check.problems.append(f"the build does not record its notebooks and configuration (an older version made it): "
                              f"`{build_again}`")
        return check
    changed = input_changes(agency, recorded_inputs(check.manifest))
    stale, notes = recipe_changes(agency, recorded, notebooks)
    check.notes.extend(notes)
    if changed or stale:
        what = changed[:8] + ([f"and {len(changed) - 8} more files"] if len(changed) > 8 else []) + stale
        check.problems.append(f"the build is out of date ({'; '.join(what)}): build again with `{build_again}`, "
                              "review it, then release")
    return check


def release_problems(agency: Agency, period: Period, root: Path, correction: str | None,
                     notebooks: Path = NOTEBOOKS) -> tuple[BuildCheck, list[Version], list[str]]:
    """Everything that blocks ``release`` (or ``release --correction``) now, each with what to do."""
    check = check_build(agency, period, root, notebooks)
    done = versions(root, agency, period.code)
    problems = list(check.problems)
    arg = agency_argument(agency, root)
    if done and correction is None:
        last = done[-1]
        problems.insert(0, (
            f"{period.code} was released as version {last.number} on {last.released_on}, and a release is never "
            f"overwritten. To publish a corrected version: fix the data or notebook, build and review again, then "
            f"`transparency release --agency {arg} --period {period.code} --correction \"what was wrong\"`"))
    if correction is not None and not done:
        problems.insert(0, f"{period.code} has not been released yet, so there is nothing to correct: "
                           f"release it without --correction")
    if correction is not None and done and check.exists and not check.problems and publishes_the_same(check, done, period):
        problems.append(
            f"this build publishes exactly what version {done[-1].number} published (the same figures, tables, "
            f"pages and report), so it cannot correct anything: change what was wrong, build again, then release "
            f"with --correction")
    return check, done, problems


def publishes_the_same(check: BuildCheck, done: list[Version], period: Period | None = None) -> bool:
    """Would the draft, released, show a reader exactly what the latest version shows?

    Compares metrics.json, every table and section page byte for byte, and the report rendered as that
    version (its date, number and build date), so a change in code that changes nothing public is no correction.
    """
    last = done[-1]
    released_files = last.record.get("files", {})
    public = {p.relative_to(check.folder).as_posix(): p for p in _public_files(check.folder)}
    for name, path in public.items():
        if name.startswith("notebooks/") or name == "manifest.json":
            continue  # run times and build details, not what a reader sees
        if released_files.get(name) != _sha256(path):
            return False
    if any(n.startswith("tables/") and n not in public for n in released_files):
        return False
    try:
        source = json.loads((check.folder / REPORT_SOURCE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    source["meta"]["built_at"] = last.record.get("build", {}).get("built_at") or source["meta"].get("built_at")
    changes = []
    if last.record.get("correction"):
        previous = next((v for v in done if v.number == last.record["correction"].get("corrects_version")), None)
        if previous is not None:
            changes = figure_changes(json.loads((previous.folder / "metrics.json").read_text(encoding="utf-8")),
                                     check.metrics, period)
    html = released_html(source, last.record, changes)
    return hashlib.sha256(html.encode("utf-8")).hexdigest() == released_files.get("report.html")


def _inputs_record(manifest: dict) -> dict:
    return {name: [{"path": p, "sha256": s} for p, s in sorted(files.items())]
            for name, files in recorded_inputs(manifest).items()}


# ----------------------------------------------------------------------------------------------
# Figures, in words
# ----------------------------------------------------------------------------------------------

def _figures(entry: dict) -> dict[str, object]:
    out: dict[str, object] = {}
    for key in ("rows_read", "rows_in_period"):
        if key in entry:
            out[key] = entry[key]
    for reason, n in (entry.get("rows_excluded") or {}).items():
        out[f"rows_excluded:{reason}"] = n
    out.update(entry.get("metrics") or {})
    return out


_STATUS_WORDS = {"ok": "published", "failed": "not available (failed)", "no_data": "no data for the period",
                 None: "not in the report"}


def figure_changes(before: dict, after: dict, period: Period | None = None) -> list[dict]:
    """Every published figure that differs between two metrics.json files, in the report's order.

    Returns
    -------
    list of dict
        ``dataset``, ``figure`` (the metrics.json key, or ``status``), ``label`` (words), ``before`` and
        ``after`` (numbers, None, or words for a section's status), ``before_text``/``after_text``.
    """
    old_sets, new_sets = before.get("datasets", {}), after.get("datasets", {})
    order = [n for n in registry.datasets() if n in old_sets or n in new_sets]
    order += sorted(n for n in set(old_sets) | set(new_sets) if n not in order)
    changes = []
    for dataset in order:
        old, new = old_sets.get(dataset, {}), new_sets.get(dataset, {})
        if old.get("status") != new.get("status"):
            changes.append({"dataset": dataset, "figure": "status", "label": f"{dataset_title(dataset)}: section",
                            "before": old.get("status"), "after": new.get("status"),
                            "before_text": _STATUS_WORDS.get(old.get("status"), str(old.get("status"))),
                            "after_text": _STATUS_WORDS.get(new.get("status"), str(new.get("status")))})
        old_figures, new_figures = _figures(old), _figures(new)
        for key in list(old_figures) + [k for k in new_figures if k not in old_figures]:
            a, b = old_figures.get(key, _ABSENT), new_figures.get(key, _ABSENT)
            if a == b:
                continue
            changes.append({"dataset": dataset, "figure": key, "label": figure_label(dataset, key, period),
                            "before": None if a is _ABSENT else a, "after": None if b is _ABSENT else b,
                            "before_text": _figure_text(a, key, old), "after_text": _figure_text(b, key, new)})
    return changes


_ABSENT = object()


def _figure_text(value: object, key: str, entry: dict) -> str:
    from transparency.core import fmt

    if value is _ABSENT:
        return "not published"
    if value is None:
        return "hidden to protect privacy" if key in (entry.get("suppressed") or {}) else "not available"
    return fmt.number(value, 2)


def _corrections_note(version: int, released_on: date, reason: str, changes: list[dict]) -> str:
    """The note that opens a corrected report's "At a glance" page (the cover lists the reason too)."""
    previous = version - 1
    parts = [
        '<div class="corrections-note">',
        f"<p><strong>This is a corrected report (version {version}).</strong> On {released_on:%B} {released_on.day}, "
        f"{released_on.year} it replaced version {previous}. The reason: {html.escape(reason)}</p>",
    ]
    if changes:
        parts.append(f"<p>These published figures changed. Every other figure is as it was in version {previous}, "
                     "which stays available.</p>")
        parts.append(f'<div class="table-wrap"><table class="data-table"><caption>Figures changed from version {previous} to version '
                     f'{version}</caption><thead><tr><th scope="col">Figure</th><th scope="col" class="num">'
                     f'Version {previous}</th><th scope="col" class="num">Version {version}</th></tr></thead><tbody>')
        for change in changes:
            parts.append(f'<tr><th scope="row">{html.escape(change["label"])}</th>'
                         f'<td class="num">{html.escape(change["before_text"])}</td>'
                         f'<td class="num">{html.escape(change["after_text"])}</td></tr>')
        parts.append("</tbody></table></div>")
    else:
        parts.append(f"<p>No published figure changed: the correction is to the text. Version {previous} stays "
                     "available.</p>")
    parts.append("</div>")
    return "\n".join(parts)


# ----------------------------------------------------------------------------------------------
# Release
# ----------------------------------------------------------------------------------------------


def released_html(source: dict, record: dict, changes: list[dict]) -> str:
    """The draft's own report (``report-source.json``) as released: the cover, version and corrections note.

    ``record`` is the version's RELEASE.json (version, released_on, corrections); ``changes`` the
    figures that differ from the previous version (shown when the version is a correction).
    """
    from transparency.rendering.render import assemble_report

    released_on = date.fromisoformat(record["released_on"])
    meta = dict(source["meta"], status="released", released_on=record["released_on"], version=record["version"],
                corrections=[{"date": c["date"], "reason": c["reason"]} for c in record.get("corrections", [])])
    front = dict(source["front"])
    if record.get("correction"):
        note = _corrections_note(record["version"], released_on, record["correction"]["reason"], changes)
        front["intro"] = note + "\n" + (front.get("intro") or "")
    return assemble_report(meta, source["sections"], front, source["back"])


def render_released(source: dict, record: dict, folder: Path, changes: list[dict]) -> None:
    """Write report.html and report.pdf into ``folder`` (see :func:`released_html`)."""
    from transparency.rendering.pdfparts import start_pdf
    from transparency.rendering.publishing import absolute_table_links, version_url

    report = released_html(source, record, changes)
    (folder / "report.html").write_text(report, encoding="utf-8")
    # The PDF's table links point at this very version's tables under the public address the build recorded.
    address = version_url(source["pdf"].get("public_url"), record["period"], record["version"])
    start_pdf(absolute_table_links(report, address), folder / "report.pdf", source["pdf"]["title"],
              page_size=source["pdf"]["page_size"], draft=False).result()


def _public_files(build: Path) -> list[Path]:
    """The draft's files that a release publishes (report.html and report.pdf are re-rendered)."""
    out = []
    for path in sorted(build.rglob("*")):
        rel = path.relative_to(build)
        if not path.is_file() or any(part.startswith(".") for part in rel.parts):
            continue
        if rel.as_posix() in PRIVATE_FILES or rel.as_posix() in ("report.html", "report.pdf"):
            continue
        out.append(path)
    return out


def _freeze(folder: Path) -> None:
    """Files read-only (0444), folders read-and-enter only (0555), deepest first."""
    for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        path.chmod(0o555 if path.is_dir() else 0o444)
    folder.chmod(0o555)


def file_hashes(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under ``folder`` except RELEASE.json, sorted."""
    return {p.relative_to(folder).as_posix(): _sha256(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and p.relative_to(folder).as_posix() != RELEASE_FILE}


def who_releases(by: str | None) -> str:
    """``--by``, else the login name from the environment (LOGNAME, USER, LNAME, USERNAME, then the password file)."""
    if by and by.strip():
        return by.strip()
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        raise UsageError("cannot tell who is releasing: give --by \"name\"") from None


def release(agency: Agency, period: Period, root: Path, correction: str | None = None, by: str | None = None,
            notebooks: Path = NOTEBOOKS, now: datetime | None = None,
            say: Callable[[str], None] = print) -> Version:
    """Freeze the draft build of a period as its next version (1, or N+1 for a correction).

    Parameters
    ----------
    agency, period, root
        As for :func:`transparency.building.build.build_period`.
    correction : str, optional
        Why a released period is published again. Without it a released period is refused; with it an
        unreleased one is.
    by : str, optional
        Who releases (default: the login name).
    notebooks : Path
        The section notebooks a build uses now (to refuse a build that is out of date).
    now : datetime, optional
        The release time (aware); default the clock. The date on the cover is its date in the agency's zone.

    Returns
    -------
    Version
        The new version.

    Raises
    ------
    ReleaseRefused
        The build is missing, incomplete, partial, failed or out of date, or the period is already released
        (without ``correction``) or not yet released (with it); the message says what to do.
    """
    if correction is not None and not correction.strip():
        raise UsageError("--correction needs the reason, e.g. --correction \"two use-of-force reports were filed twice\"")
    released_by = who_releases(by)
    check, done, problems = release_problems(agency, period, root, correction, notebooks)
    if problems:
        raise ReleaseRefused(period, problems)
    from .signing import read_signing_key

    signer = read_signing_key(agency.slug)  # before anything is written: no key, no release
    for note in check.notes:
        say(f"note: {note}")

    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    released_on = moment.astimezone(ZoneInfo(agency.timezone)).date()
    number = done[-1].number + 1 if done else 1
    base = agency_reports(root, agency) / RELEASED / period.code
    base.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(base)
    final = base / f"v{number}"
    if final.exists():
        raise ReleaseRefused(period, [f"{final} already exists: a release never writes into an existing version"])

    changes, correction_record, corrections = _correction_of(period, check, done, correction, number, released_on)
    record = {
        "agency": {"name": agency.name, "slug": agency.slug},
        "period": period.code,
        "period_label": period.title(),
        "version": number,
        "released_at": moment.isoformat(),
        "released_on": released_on.isoformat(),
        "released_by": released_by,
        "correction": correction_record,
        "corrections": corrections,
        "build": {key: check.manifest.get(key) for key in ("built_at", "git_commit", "versions", "recipe", "parameters")},
        "inputs": _inputs_record(check.manifest),
        "signing_key": signer.public,
    }
    _write_version(agency, period, check, base, final, record, changes, signer)
    _log(agency_reports(root, agency) / RELEASED, period.code, number, moment, _sha256(final / RELEASE_FILE), signer)
    version = Version(number, final, record)
    say(f"Released {agency.name}, {period.title()} as version {number} ({released_on:%B} {released_on.day}, "
        f"{released_on.year}, by {released_by}): {final}")
    if correction is not None:
        say(f"  {len(changes)} published figure(s) changed from version {number - 1}; version {number - 1} stays in "
            f"{done[-1].folder}")
    index, catalog = write_index(agency, root)
    say(f"Index: {index} (catalogue: {catalog.name})")
    return version


def _correction_of(period: Period, check, done: list[Version], correction: str | None, number: int,
                   released_on) -> tuple[list[dict], dict | None, list[dict]]:
    """For a correction: the published figures that changed from the last version, the correction's record,
    and the list of every correction so far (this one last); for a first release, no change and no record."""
    corrections = list(done[-1].record.get("corrections", [])) if done else []
    if correction is None:
        return [], None, corrections
    previous_metrics = json.loads((done[-1].folder / "metrics.json").read_text(encoding="utf-8"))
    changes = figure_changes(previous_metrics, check.metrics, period)
    corrections.append({"version": number, "date": released_on.isoformat(), "reason": correction.strip()})
    correction_record = {"reason": correction.strip(), "corrects_version": done[-1].number,
                         "changed_figures": changes}
    return changes, correction_record, corrections


def _write_version(agency: Agency, period: Period, check, base: Path, final: Path, record: dict,
                   changes: list[dict], signer) -> None:
    """The version's folder, made in a staging folder beside it and renamed into place once complete and
    frozen (never merged into a folder another release made meanwhile); ``record`` gets the files' hashes
    and the signature."""
    staging = Path(tempfile.mkdtemp(prefix=f".v{record['version']}-staging-{os.getpid()}-", dir=base))
    try:
        _copy_public_files(check, staging)
        source = json.loads((check.folder / REPORT_SOURCE).read_text(encoding="utf-8"))
        _refuse_if_the_draft_changed(period, check, staging)
        render_released(source, record, staging, changes)
        if agency.model.export is not None and not (staging / "data" / "datapackage.json").is_file():
            from transparency.building.export import write_export  # a draft built before the agency set `export:`

            write_export(agency, period, staging / "data")
        record["files"] = file_hashes(staging)
        record["signature"] = signer.sign(RELEASE_CONTEXT, record)
        (staging / RELEASE_FILE).write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        _freeze(staging)
        _rename_into_place(period, staging, final)
    except BaseException:
        _remove(staging)
        raise


def _copy_public_files(check, staging: Path) -> None:
    for path in _public_files(check.folder):
        target = staging / path.relative_to(check.folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def _refuse_if_the_draft_changed(period: Period, check, staging: Path) -> None:
    """Refused when the copies' figures are not those reviewed: a build swapped the draft in meanwhile."""
    copied = [json.loads((staging / name).read_text(encoding="utf-8")) for name in ("manifest.json", "metrics.json")]
    if copied != [check.manifest, check.metrics]:  # a build swapped the draft in while this one copied it
        raise ReleaseRefused(period, ["the draft build changed while it was being released: review it again, "
                                      "then release"])


def _rename_into_place(period: Period, staging: Path, final: Path) -> None:
    if final.exists():  # another release got there first
        raise ReleaseRefused(period, [f"{final} appeared during the release: nothing was changed"])
    staging.chmod(0o755)  # renaming a folder to a new parent may need it writable; frozen again below
    try:
        os.rename(staging, final)  # fails if another release created the version meanwhile (never merges)
    except OSError as exc:
        raise ReleaseRefused(period, [f"{final} could not be created ({exc.strerror}): another release may have "
                                      "made it meanwhile; nothing was changed"]) from None
    final.chmod(0o555)


def _remove_abandoned(base: Path) -> None:
    """Staging folders of releases that were killed half-way (their process is gone)."""
    from transparency.building.build import _alive

    for staging in base.glob(".v*-staging-*"):
        pid = staging.name.split("-")[2] if staging.name.count("-") >= 3 else ""
        if not pid.isdigit() or not _alive(int(pid)):
            _remove(staging)


def _remove(folder: Path) -> None:
    if not folder.exists():
        return
    for path in folder.rglob("*"):
        if path.is_dir():
            path.chmod(0o755)
    folder.chmod(0o755)
    shutil.rmtree(folder, ignore_errors=True)


def _log(released: Path, code: str, number: int, moment: datetime, digest: str, signer) -> None:
    """Append the release to the signed, hash-chained log (:mod:`transparency.releasing.release_log`)."""
    from .release_log import append_entry

    append_entry(released / LOG_FILE, {"period": code, "version": number, "released_at": moment.isoformat(),
                                       "release_sha256": digest}, signer)


def read_log(root: Path, agency: Agency) -> list[dict]:
    """The log's readable records, in order (a damaged line is left out here; :func:`verify` names it)."""
    from .release_log import read_lines

    return [line.record for line in read_lines(agency_reports(root, agency) / RELEASED / LOG_FILE) if line.record]


# ----------------------------------------------------------------------------------------------
# Verify
# ----------------------------------------------------------------------------------------------


def verify_version(version: Version, log: dict[tuple[str, int], dict],
                   trusted_key: str | None = None) -> tuple[list[str], list[str]]:
    """(problems, notes) of one released version: every file re-hashed against its RELEASE.json, and
    RELEASE.json's signature checked with ``trusted_key`` (the agency's public key)."""
    problems, notes = [], []
    record_path = version.folder / RELEASE_FILE
    if not version.record:
        return [f"{RELEASE_FILE} {version.unreadable or 'is missing or unreadable'}"], notes
    entry = log.get((version.record.get("period"), version.number))
    if entry is None:
        problems.append(f"version {version.number} is not in the release log {LOG_FILE}")
    elif entry.get("release_sha256") != _sha256(record_path):
        problems.append(f"{RELEASE_FILE} changed since the release")
    problems += _signature_problems(version, entry, trusted_key, notes)
    recorded = version.record.get("files", {})
    current = file_hashes(version.folder)
    for name in sorted(set(recorded) | set(current)):
        if name not in current:
            problems.append(f"{name} is missing")
        elif name not in recorded:
            problems.append(f"{name} was added after the release")
        elif recorded[name] != current[name]:
            problems.append(f"{name} changed (sha256 {current[name][:12]}…, released {recorded[name][:12]}…)")
    writable = [p.relative_to(version.folder).as_posix() for p in sorted(version.folder.rglob("*"))
                if p.is_file() and p.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)]
    if writable:
        notes.append(f"{len(writable)} file(s) are writable, e.g. {writable[0]} (released files are read-only: "
                     f"chmod a-w)")
    return problems, notes


def _signature_problems(version: Version, entry: dict | None, trusted_key: str | None, notes: list[str]) -> list[str]:
    """RELEASE.json's signature: present when its log line is signed, made with the agency's key, matching."""
    from .signing import signature_holds

    signature = version.record.get("signature")
    if signature is None:
        if entry is not None and "signature" in entry:
            return [f"{RELEASE_FILE} carries no signature, though its release was signed: it was replaced"]
        notes.append("unsigned: released before signing (its files are checked against RELEASE.json and the log)")
        return []
    if trusted_key is None:
        trusted_key = (entry or {}).get("key") or version.record.get("signing_key")
    if version.record.get("signing_key") != trusted_key:
        return [f"{RELEASE_FILE} is signed with another key than the agency's"]
    body = {k: v for k, v in version.record.items() if k != "signature"}
    if not signature_holds(str(trusted_key), str(signature), RELEASE_CONTEXT, body):
        return [f"{RELEASE_FILE} was altered after the release: its signature does not match"]
    return []


def _local_public_key(agency: Agency) -> str | None:
    """The public half of the agency's signing key on this machine, if there is a usable one."""
    from .signing import read_signing_key

    try:
        return read_signing_key(agency.slug).public
    except (TransparencyError, OSError, ImportError):
        return None


def _published_head(reports: Path) -> dict:
    """What the public catalogue (data.json) says of the log: its head and length ({} when it says nothing)."""
    try:
        catalogue = json.loads((reports / "data.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    published = catalogue.get("releaseLog") if isinstance(catalogue, dict) else None
    return published if isinstance(published, dict) else {}


def _linked_versions(reports: Path) -> set[tuple[str, int]]:
    """(period, version) of every released version the public index links to."""
    try:
        text = (reports / "index.html").read_text(encoding="utf-8")
    except OSError:
        return set()
    return {(m.group(1), int(m.group(2))) for m in re.finditer(rf'href="{RELEASED}/([^/"]+)/v(\d+)/', text)}


def _check_log(agency: Agency, root: Path, chain, chain_head: str | None, say: Callable[[str], None]) -> bool:
    """Say what the chain check found, and whether the log still holds the heads published and kept."""
    from .signing import key_fingerprint

    problems = list(chain.problems)
    heads = {line.sha256: line for line in chain.lines}
    published = _published_head(agency_reports(root, agency))
    if published.get("head") and published["head"] not in heads:
        problems.append(f"the public catalogue data.json names the log's head as {str(published['head'])[:12]}… after "
                        f"{published.get('entries')} line(s), but the log has no such line (it has {len(chain.lines)}): "
                        "lines were removed or rewritten since the index was written")
    if chain_head:
        if chain_head not in heads:
            problems.append(f"the chain head you kept ({chain_head[:12]}…) is not in the log: the log was cut short or "
                            "rewritten since")
        else:
            say(f"release log: the chain head you kept is line {heads[chain_head].number} of {len(chain.lines)}")
    if problems:
        say(f"release log {LOG_FILE}: ALTERED")
        for problem in problems:
            say(f"  - {problem}")
    elif chain.lines:
        key = f", signed with key {key_fingerprint(chain.key)}…" if chain.key else ""
        say(f"release log {LOG_FILE}: {len(chain.lines)} line(s), each chained to the one before{key}; "
            f"head {chain.head}")
    for note in chain.notes:
        say(f"  note: {note}")
    return not problems


def verify(agency: Agency, root: Path, period: Period | None = None, rebuild: bool = False,
           notebooks: Path = NOTEBOOKS, say: Callable[[str], None] = print, public_key: str | None = None,
           chain_head: str | None = None) -> int:
    """Check the release log's chain and signatures, re-hash every released file against its signed
    RELEASE.json, and name any version withdrawn; with ``rebuild``, reproduce the latest version.

    ``public_key`` is the agency's public key as published (default: that of the signing key on this
    machine, else the one the log names); ``chain_head`` a head kept from an earlier look at the index.

    Returns the exit code: 0 when every file is as released (and, with ``rebuild``, reproduced); 1 otherwise.
    """
    from .release_log import check_chain, read_lines

    codes = released_periods(root, agency)
    lines = read_lines(agency_reports(root, agency) / RELEASED / LOG_FILE)
    chain = check_chain(lines, public_key or _local_public_key(agency))
    log = {(line.record.get("period"), line.record.get("version")): line.record for line in lines if line.record}
    if period is not None:
        codes = [c for c in codes if c == period.code]
        if not codes:
            say(f"{period.code} has not been released for {agency.name}: nothing to verify "
                f"(reports/{agency.slug}/{RELEASED}/{period.code}/ does not exist)")
            return 1
    if not codes and not lines:
        say(f"nothing released yet for {agency.name} (no {agency_reports(root, agency) / RELEASED})")
        return 1
    ok = _check_log(agency, root, chain, chain_head, say)
    linked = _linked_versions(agency_reports(root, agency))
    for code in sorted(set(codes) | {c for c, _ in linked if period is None or c == period.code}):
        found = versions(root, agency, code)
        numbers = {v.number for v in found}
        for (logged_code, number), entry in sorted(log.items(), key=lambda item: str(item[0])):
            if logged_code == code and number not in numbers:
                ok = False
                say(f"{code} version {number}: MISSING (released {entry.get('released_at')}, folder gone)")
        for logged_code, number in sorted(linked):
            if logged_code == code and number not in numbers and (code, number) not in log:
                ok = False
                say(f"{code} version {number}: WITHDRAWN (the public index links it, but its folder and its line in "
                    f"{LOG_FILE} are gone)")
        for version in found:
            problems, notes = verify_version(version, log, chain.key)
            who = version.record.get("released_by", "?")
            if problems:
                ok = False
                say(f"{code} version {version.number}: CHANGED since its release on {version.released_on} by {who}")
                for problem in problems:
                    say(f"  - {problem}")
            else:
                say(f"{code} version {version.number}: {len(version.record.get('files', {}))} files as released "
                    f"on {version.released_on} by {who}")
            for note in notes:
                say(f"  note: {note}")
        if rebuild and found:
            ok = _reproduce(agency, root, period_of(code, agency), found, notebooks, say) and ok
    return 0 if ok else 1


def _reproduce(agency: Agency, root: Path, period: Period, found: list[Version], notebooks: Path,
               say: Callable[[str], None]) -> bool:
    """Build the period again from its recorded inputs (fresh cache, temporary folder) and compare."""
    from transparency.building.build import build_period

    latest = found[-1]
    record = latest.record
    say(f"{period.code} version {latest.number}: rebuilding from its inputs to compare")
    recorded = {name: {i["path"]: i["sha256"] for i in files} for name, files in record.get("inputs", {}).items()}
    datasets = list(record.get("build", {}).get("parameters", {}).get("datasets", []))
    with tempfile.TemporaryDirectory(prefix="transparency-verify-") as scratch:
        scratch_root = Path(scratch)
        saved = os.environ.get("TRANSPARENCY_CACHE_DIR")
        os.environ["TRANSPARENCY_CACHE_DIR"] = str(scratch_root / "cache")  # from the raw files, not a cache
        try:
            build_period(agency, period, scratch_root, datasets or None, formats=("html",), say=lambda _: None,
                         notebooks=notebooks, force=True)
        finally:
            if saved is None:
                os.environ.pop("TRANSPARENCY_CACHE_DIR", None)
            else:
                os.environ["TRANSPARENCY_CACHE_DIR"] = saved
        rebuilt = scratch_root / "reports" / agency.slug / period.code
        rebuilt_manifest = json.loads((rebuilt / "manifest.json").read_text(encoding="utf-8"))
        # What the rebuild was made from, as it recorded it (not the files now: they may change meanwhile).
        changed = input_differences(recorded, recorded_inputs(rebuilt_manifest))
        stale, notes = recipe_differences(record.get("build", {}).get("recipe") or {},
                                          rebuilt_manifest.get("recipe") or {}, agency.config_path.name)
        for note in notes:
            say(f"  note: {note}")
        source = json.loads((rebuilt / REPORT_SOURCE).read_text(encoding="utf-8"))
        source["meta"]["built_at"] = record.get("build", {}).get("built_at") or source["meta"]["built_at"]
        new_metrics = json.loads((rebuilt / "metrics.json").read_text(encoding="utf-8"))
        changes: list[dict] = []
        if record.get("correction"):
            previous = next((v for v in found if v.number == record["correction"]["corrects_version"]), None)
            if previous is not None:
                old_metrics = json.loads((previous.folder / "metrics.json").read_text(encoding="utf-8"))
                changes = figure_changes(old_metrics, new_metrics, period)
        rendered = scratch_root / "released"
        rendered.mkdir()
        render_released(source, record, rendered, changes)
        released_files = record.get("files", {})
        compare = {"metrics.json": rebuilt / "metrics.json", "report.html": rendered / "report.html",
                   "report.pdf": rendered / "report.pdf"}
        for name in released_files:
            if name.startswith("tables/") or (name.endswith(".html") and "/" not in name and name != "report.html"):
                compare[name] = rebuilt / name
        for path in sorted((rebuilt / "tables").glob("*.csv")):
            compare.setdefault(f"tables/{path.name}", path)
        different = [name for name, path in sorted(compare.items())
                     if not path.is_file() or name not in released_files or _sha256(path) != released_files[name]]
        figure_diff = figure_changes(json.loads((latest.folder / "metrics.json").read_text(encoding="utf-8")),
                                     new_metrics, period)
    tables = sum(1 for name in compare if name.startswith("tables/"))
    if not different and not changed and not stale:
        say(f"  reproduced: metrics.json, {tables} tables, report.html, report.pdf and the section pages are "
            f"identical byte for byte (the executed notebooks carry run times and are not compared)")
        return True
    if changed:
        say(f"  the inputs changed since the release: {'; '.join(changed)}")
    if stale:
        say(f"  since the release, {'; '.join(stale)}")
    if different:
        say(f"  differs from the release: {', '.join(different)}")
        for change in figure_diff[:20]:
            say(f"    {change['label']}: {change['before_text']} released, {change['after_text']} now")
        if len(figure_diff) > 20:
            say(f"    and {len(figure_diff) - 20} more figures")
    if changed or figure_diff:
        say(f"  a correction is due: build {period.code} again, review it, then "
            f"`transparency release --agency {agency_argument(agency, root)} --period {period.code} "
            f"--correction \"why\"`")
    return False
