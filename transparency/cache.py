"""Canonical tables cached as Parquet, keyed by the hashes of the inputs, the config and the package."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import tempfile
from pathlib import Path

import pandas as pd

from . import __version__, registry
from .config import Agency
from .load import FileAccount, LoadResult, _glob, file_sha256, load_dataset

_REGISTRY_TEXT = Path(registry.__file__).with_name("datasets.yml")


def cache_dir() -> Path:
    """``$TRANSPARENCY_CACHE_DIR``, else ``~/.cache/transparency``."""
    configured = os.environ.get("TRANSPARENCY_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "transparency"


class _HashCache:
    """sha256 of input files, remembered by (size, modification time) so unchanged files are not re-read."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.entries = json.loads(path.read_text())
        except (OSError, ValueError):
            self.entries = {}
        self.dirty = False

    def sha256(self, file: Path) -> str:
        stat = file.stat()
        key = str(file.resolve())
        stamp = [stat.st_size, stat.st_mtime_ns]
        entry = self.entries.get(key)
        if entry and entry[0] == stamp:
            return entry[1]
        digest = file_sha256(file)
        self.entries[key] = [stamp, digest]
        self.dirty = True
        return digest

    def save(self) -> None:
        if self.dirty:
            _atomic_write(self.path, json.dumps(self.entries).encode())


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def input_files(agency: Agency, dataset: str) -> list[Path]:
    """Every file the dataset reads (main and related), in a stable order."""
    paths = []
    for group in agency.file_groups[dataset]:
        paths.extend(_glob(agency, group.glob))
    for rel in agency.dataset(dataset).related:
        for pattern in rel.files:
            paths.extend(_glob(agency, pattern))
    return paths


def cache_key(agency: Agency, dataset: str, hashes: _HashCache, key: bytes | None) -> str:
    from .keys import fingerprint

    parts = {
        "version": __version__,
        "registry": hashlib.sha256(_REGISTRY_TEXT.read_bytes()).hexdigest(),
        "dataset": agency.dataset(dataset).model_dump(mode="json", by_alias=True),
        "timezone": agency.timezone,
        "valid_dates": agency.model.valid_dates.model_dump(mode="json", by_alias=True),
        "inputs": [[str(p.relative_to(agency.raw_root)), hashes.sha256(p)] for p in input_files(agency, dataset)],
        "key": fingerprint(key) if key else None,
        # Event dates after the day of loading are excluded, so a table is valid for the day it is made.
        "today": datetime.date.today().isoformat(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:24]


def load_cached(agency: Agency, dataset: str) -> LoadResult:
    """:func:`transparency.load.load_dataset` through the Parquet cache (same result, much faster the second time)."""
    from .keys import key_path, read_key

    folder = cache_dir() / f"{agency.slug}-{hashlib.sha256(str(agency.folder.resolve()).encode()).hexdigest()[:8]}"
    hashes = _HashCache(folder / "file-hashes.json")
    key = read_key(agency.slug) if key_path(agency.slug).exists() else None
    digest = cache_key(agency, dataset, hashes, key)
    hashes.save()
    table_path = folder / f"{dataset}-{digest}.parquet"
    meta_path = folder / f"{dataset}-{digest}.json"
    if table_path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        return LoadResult(
            dataset=dataset,
            table=pd.read_parquet(table_path),
            files=[FileAccount.from_dict(f) for f in meta["files"]],
            unmapped=meta["unmapped"], issues=meta["issues"], notes=meta["notes"], recorded=meta["recorded"],
        )
    result = load_dataset(agency, dataset, key=key)
    for stale in folder.glob(f"{dataset}-*"):
        stale.unlink(missing_ok=True)
    buffer = tempfile.NamedTemporaryFile(dir=folder, prefix=".tmp-", suffix=".parquet", delete=False)
    buffer.close()
    result.table.to_parquet(buffer.name, index=False)
    os.replace(buffer.name, table_path)
    meta = {
        "files": [f.to_dict() for f in result.files], "unmapped": result.unmapped, "issues": result.issues,
        "notes": result.notes, "recorded": result.recorded,
    }
    _atomic_write(meta_path, json.dumps(meta, indent=1).encode())
    return result
