"""sha256 of files, and a remembered table of them so that unchanged files are not read again.

Light on purpose (no pandas): the command line's "is this report up to date?" check uses it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

__all__ = ["FileHashes", "atomic_write", "file_sha256"]


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class FileHashes:
    """sha256 of files, remembered in a JSON file by (size, modification time in ns).

    A file whose size and modification time are unchanged is taken as unchanged and not read
    again. Call :meth:`save` to keep what was learnt.
    """

    def __init__(self, path: Path):
        self.path = path
        try:
            self.entries = json.loads(path.read_text())
        except (OSError, ValueError):
            self.entries = {}
        self.dirty = False

    def sha256(self, file: Path) -> str:
        """The file's sha256 (read only when its size or modification time changed)."""
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
        """Write the table if it changed (atomically)."""
        if self.dirty:
            atomic_write(self.path, json.dumps(self.entries).encode())
            self.dirty = False
