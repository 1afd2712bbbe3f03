"""Incremental builds: run only the notebooks whose inputs changed, and nothing when nothing did.

Two keys decide it, both sha256 digests of what a build is made from:

* A **section key** (one dataset, one period): the section notebook's bytes; the dataset's input
  files (main and related, by their sha256); ``agency.yml``; the package (its code, templates and
  dataset registry, :func:`package_sha256`, and its version); the fingerprint of the agency's
  pseudonymisation key; the period; and the day. The day is there because a build excludes event
  dates after the day it runs and prints its build date; a build on a new day starts afresh.
* A **report key** (one period): the section keys of every dataset in the build, the list of those
  datasets, and the formats asked for.

The outputs of each section (the executed notebook, its tables and the facts it saved) are kept
under the section key in the cache folder (``<cache>/builds/``, beside the Parquet tables); a build
copies them in instead of running the notebook when the key matches. The report (HTML, PDF,
metrics, manifest) is always assembled again when any section changed. When the report key
matches the last build's, that build had no failed section, and every file it published is still
as it was written, the build does nothing at all (:func:`fresh_periods`, used by the command line
before it imports anything heavy).

``transparency build --force`` ignores all of this and runs every notebook.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from transparency import __version__

from .config import Agency
from .errors import DataError
from .hashing import FileHashes, atomic_write, file_sha256

__all__ = [
    "NOTEBOOKS",
    "Keys",
    "SectionStore",
    "build_store",
    "fresh_periods",
    "package_sha256",
    "record_report",
    "remember_latest",
    "report_is_current",
]

#: The section notebooks shipped with the package.
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
#: Files of the package that change what a build makes.
_PACKAGE_SUFFIXES = (".py", ".yml", ".j2", ".css", ".json", ".tpl")


def cache_root() -> Path:
    """Where caches live: ``$TRANSPARENCY_CACHE_DIR``, else ``$XDG_CACHE_HOME/transparency`` or
    ``~/.cache/transparency`` (Parquet tables at the top, build records under ``builds/``)."""
    configured = os.environ.get("TRANSPARENCY_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "transparency"


def package_sha256() -> str:
    """One hash of the package's code, templates and dataset registry (what the installed version runs)."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix in _PACKAGE_SUFFIXES:
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def build_store(agency: Agency) -> Path:
    """Where this agency's section outputs and build records are kept (one folder per agency folder)."""
    folder_id = hashlib.sha256(str(agency.folder.resolve()).encode()).hexdigest()[:8]
    return cache_root() / "builds" / f"{agency.slug}-{folder_id}"


def _digest(parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


class Keys:
    """Section and report keys for one agency, computed once per build (file hashes are remembered)."""

    def __init__(self, agency: Agency, notebooks: Path = NOTEBOOKS, today: datetime.date | None = None):
        from .keys import fingerprint, key_path, read_key

        self.agency = agency
        self.notebooks = notebooks
        self.hashes = FileHashes(build_store(agency) / "file-hashes.json")
        key = read_key(agency.slug) if key_path(agency.slug).exists() else None
        self.common = {
            "version": __version__,
            "package": package_sha256(),
            "config": file_sha256(agency.config_path),
            "key": fingerprint(key) if key else None,
            "today": (today or datetime.date.today()).isoformat(),
        }

    def inputs(self, dataset: str) -> list[list[str]]:
        """``[relative path, sha256]`` of each input file of the dataset.

        A ``files`` pattern that matches nothing gives ``[["missing", the message]]``: the build
        reports it when it loads the dataset.
        """
        try:
            paths = self.agency.input_files(dataset)
        except DataError as exc:
            return [["missing", str(exc)]]
        return [[str(p.relative_to(self.agency.raw_root)), self.hashes.sha256(p)] for p in paths]

    def section(self, dataset: str, period: str) -> str:
        """The section key of ``dataset`` for the period code ``period``.

        Covers the inputs of the datasets the section reads besides its own (``uses`` in datasets.yml).
        """
        from . import registry

        notebook = self.notebooks / f"{dataset}.ipynb"
        read = [dataset, *(n for n in registry.dataset(dataset).uses if n in self.agency.dataset_names)]
        return _digest({
            **self.common, "dataset": dataset, "period": period, "inputs": {n: self.inputs(n) for n in read},
            "notebook": self.hashes.sha256(notebook) if notebook.is_file() else None,
        })

    def report(self, datasets: Iterable[str], period: str, formats: Iterable[str]) -> str:
        """The report key: every section key of the build, the datasets and the formats."""
        names = list(datasets)
        return _digest({"sections": {n: self.section(n, period) for n in names}, "datasets": names,
                        "formats": sorted(formats), "period": period})

    def data(self) -> str:
        """A key over every configured dataset's inputs (what the ``latest`` period depends on)."""
        return _digest({**self.common, "inputs": {n: self.inputs(n) for n in self.agency.dataset_names}})

    def save(self) -> None:
        """Remember the file hashes learnt (so the next build need not read unchanged files)."""
        self.hashes.save()


def section_files(folder: Path, dataset: str) -> list[Path]:
    """The files a section notebook writes into a build folder: its executed copy, tables, facts and HTML
    (the fragment for the report, and its own page, which its worker makes from the fragment)."""
    found = [folder / "notebooks" / f"{dataset}.ipynb", folder / "sections" / f"{dataset}.json",
             folder / "sections" / f"{dataset}.html", folder / f"{dataset}.html"]
    found.extend(sorted((folder / "tables").glob(f"{dataset}__*")))
    return [p for p in found if p.is_file()]


class SectionStore:
    """The last outputs of each section of one period, kept under their section key."""

    def __init__(self, agency: Agency, period: str):
        self.folder = build_store(agency) / period

    def restore(self, dataset: str, key: str, staging: Path) -> dict | None:
        """Copy the section's kept outputs into ``staging`` and return its facts, if kept under ``key``."""
        kept = self.folder / dataset
        try:
            if (kept / "key").read_text().strip() != key:
                return None
            facts = json.loads((kept / "sections" / f"{dataset}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        files = [p for p in kept.rglob("*") if p.is_file() and p.name != "key"]
        for path in files:
            target = staging / path.relative_to(kept)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        return facts

    def keep(self, dataset: str, key: str, staging: Path) -> None:
        """Keep the section's outputs found in ``staging`` under ``key`` (replacing what was kept)."""
        kept = self.folder / dataset
        fresh = self.folder / f".{dataset}-{os.getpid()}"
        shutil.rmtree(fresh, ignore_errors=True)
        for path in section_files(staging, dataset):
            target = fresh / path.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        (fresh / "key").write_text(key + "\n")
        shutil.rmtree(kept, ignore_errors=True)
        fresh.rename(kept)


def _record_path(agency: Agency, period: str) -> Path:
    return build_store(agency) / period / "report.json"


def record_report(agency: Agency, period: str, key: str, folder: Path, complete: bool) -> None:
    """Remember what the report in ``folder`` was built from, and the sha256 of each file in it."""
    hashes = FileHashes(build_store(agency) / "report-hashes.json")
    files = {p.relative_to(folder).as_posix(): hashes.sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}
    hashes.save()
    atomic_write(_record_path(agency, period), json.dumps({"key": key, "complete": complete, "files": files},
                                                          indent=1, sort_keys=True).encode())


def report_is_current(agency: Agency, period: str, key: str, folder: Path) -> bool:
    """True when ``folder`` holds a complete build made under ``key``, with every file as it was written."""
    try:
        record = json.loads(_record_path(agency, period).read_text())
    except (OSError, ValueError):
        return False
    if record.get("key") != key or not record.get("complete") or not folder.is_dir():
        return False
    hashes = FileHashes(build_store(agency) / "report-hashes.json")
    present = {p.relative_to(folder).as_posix(): p for p in folder.rglob("*") if p.is_file()}
    if set(present) != set(record["files"]):
        return False
    return all(hashes.sha256(path) == record["files"][name] for name, path in present.items())


def _durations_path(agency: Agency) -> Path:
    return build_store(agency) / "durations.json"


def notebook_durations(agency: Agency) -> dict[str, float]:
    """Seconds each section's notebook took when it last ran (for any period); empty if none ran."""
    try:
        return {str(k): float(v) for k, v in json.loads(_durations_path(agency).read_text()).items()}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def remember_durations(agency: Agency, seconds: dict[str, float]) -> None:
    """Add the notebooks' latest run times to what :func:`notebook_durations` returns."""
    if seconds:
        known = notebook_durations(agency) | {k: round(v, 3) for k, v in seconds.items()}
        atomic_write(_durations_path(agency), json.dumps(known, indent=1, sort_keys=True).encode())


def longest_first(agency: Agency, datasets: Iterable[str]) -> list[str]:
    """``datasets`` in the order to start their notebooks: those that never ran first (their time is
    unknown), then by decreasing time when they last ran; ties keep the given order.

    With two workers and a dozen notebooks, starting the long ones first keeps one worker from
    running a long notebook alone at the end (longest-processing-time-first scheduling).
    """
    known = notebook_durations(agency)
    return sorted(datasets, key=lambda d: -known.get(d, float("inf")))


def _latest_path(agency: Agency) -> Path:
    return build_store(agency) / "latest.json"


def remember_latest(agency: Agency, period: str, keys: Keys | None = None) -> None:
    """Remember which period ``latest`` meant for the current inputs (it is worked out by loading every dataset)."""
    keys = keys or Keys(agency)
    atomic_write(_latest_path(agency), json.dumps({"data": keys.data(), "period": period}).encode())
    keys.save()


def _latest(agency: Agency, keys: Keys) -> str | None:
    try:
        record = json.loads(_latest_path(agency).read_text())
    except (OSError, ValueError):
        return None
    return record.get("period") if record.get("data") == keys.data() else None


def fresh_periods(agency: Agency, period_text: str, root: Path, datasets: list[str] | None,
                  formats: Iterable[str], notebooks: Path = NOTEBOOKS) -> list[str] | None:
    """The period codes asked for, if every one of them is already built and current; else None.

    Cheap (no data is loaded, no notebook runs, pandas is not imported): used before a build to
    skip it when nothing changed.
    """
    from .periods import parse_period

    keys = Keys(agency, notebooks)
    if period_text.strip().lower() == "latest":
        code = _latest(agency, keys)
        if code is None:
            return None
        codes = [code]
    else:
        codes = [p.code for p in parse_period(period_text, fiscal_year_start=agency.model.fiscal_year_start)]
    names = list(datasets) if datasets else [n for n in agency.dataset_names if (notebooks / f"{n}.ipynb").exists()]
    reports = root / "reports" / agency.slug
    current = all(report_is_current(agency, code, keys.report(names, code, formats), reports / code) for code in codes)
    keys.save()
    return codes if current else None
