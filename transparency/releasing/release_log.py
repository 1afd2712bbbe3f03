"""The release log ``releases.jsonl``: an append-only hash chain of signed lines, one per release.

Each line names a release (period, version, time, the sha256 of its ``RELEASE.json``), carries the sha256 of
the line before it (``prev_sha256``; null on the first line) and is signed with the agency's Ed25519 key, so
that no line can be edited, removed or put in between without breaking the chain or a signature. The
sha256 of the last line is the *chain head*: published in the index and ``data.json``; whoever keeps a copy
of it (and of the public key) can tell later that the log was cut short or rewritten.

Lines written before signing existed (no ``signature``) are accepted only before the first signed line; the
first signed line chains to them, so they cannot change either.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .signing import LOG_CONTEXT, SigningKey, key_fingerprint, signature_holds

__all__ = ["ChainCheck", "LogLine", "append_entry", "check_chain", "read_lines"]


@dataclass
class LogLine:
    """One line of the log as stored: its number (from 1), its text, its sha256, and its record (None if unreadable)."""

    number: int
    text: str
    sha256: str
    record: dict | None

    @property
    def signed(self) -> bool:
        return self.record is not None and "signature" in self.record

    def names(self) -> str:
        if self.record is None:
            return f"line {self.number}"
        return f"line {self.number} ({self.record.get('period')} version {self.record.get('version')})"


def _line_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_lines(path: Path) -> list[LogLine]:
    """Every non-blank line of the log, readable or not (a damaged line is kept, with record None)."""
    if not path.is_file():
        return []
    out = []
    for text in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except ValueError:
            record = None
        if not isinstance(record, dict):
            record = None
        out.append(LogLine(len(out) + 1, text, _line_sha256(text), record))
    return out


def append_entry(path: Path, entry: dict, signer: SigningKey) -> dict:
    """Chain, sign and append one entry under an exclusive lock (two releases never chain to one line).

    ``entry`` holds period, version, released_at and release_sha256; the line written is returned.
    """
    with open(path, "a+", encoding="utf-8") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            handle.seek(0)
            previous = [t for t in handle.read().splitlines() if t.strip()]
            line = dict(entry, prev_sha256=_line_sha256(previous[-1]) if previous else None, key=signer.public)
            line["signature"] = signer.sign(LOG_CONTEXT, line)
            handle.seek(0, os.SEEK_END)
            handle.write(json.dumps(line, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return line


@dataclass
class ChainCheck:
    """What checking the chain found: problems (tampering), notes, the head and the key it was checked with."""

    lines: list[LogLine]
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    key: str | None = None

    @property
    def head(self) -> str | None:
        return self.lines[-1].sha256 if self.lines else None

    def entry(self, code: str, number: int) -> LogLine | None:
        """The last readable line that records this version."""
        found = [line for line in self.lines if line.record and line.record.get("period") == code
                 and line.record.get("version") == number]
        return found[-1] if found else None


def check_chain(lines: list[LogLine], trusted_key: str | None, say_key: Callable[[str], str] = key_fingerprint) -> ChainCheck:
    """Check every line: readable, chained to the line before, signed by ``trusted_key``; legacy lines first only.

    With ``trusted_key`` None, the key of the first signed line is used (and a note says so).
    """
    check = ChainCheck(lines, key=trusted_key)
    signed_seen = False
    unsigned = 0
    previous: LogLine | None = None
    for line in lines:
        record = line.record
        if record is None:
            check.problems.append(f"{line.names()} of the release log is not a readable record: it was altered or "
                                  "damaged")
        elif "signature" not in record:
            if signed_seen:
                check.problems.append(f"{line.names()} is not signed, though lines before it are: it was added or "
                                      "rewritten by hand")
            else:
                unsigned += 1
        else:
            signed_seen = True
            if check.key is None:
                check.key = record.get("key")
                check.notes.append(f"signatures checked against the key the log names ({say_key(check.key)}…); "
                                   "give --public-key to check against the key you kept")
            expected = previous.sha256 if previous else None
            if record.get("prev_sha256") != expected:
                check.problems.append(
                    f"{line.names()} does not follow the line before it"
                    + (f" ({previous.names()})" if previous else " (it is first, but was chained to a line before it)")
                    + ": a line between them was removed, inserted or altered")
            unsigned_part = {k: v for k, v in record.items() if k != "signature"}
            if record.get("key") != check.key:
                check.problems.append(f"{line.names()} is signed with another key than the agency's "
                                      f"({_fingerprint(record.get('key'))}, not {_fingerprint(check.key)})")
            elif not signature_holds(check.key, str(record.get("signature")), LOG_CONTEXT, unsigned_part):
                check.problems.append(f"{line.names()} was altered after it was written: its signature does not match")
        previous = line
    if unsigned:
        check.notes.append(f"{unsigned} line(s) of the release log are from before signing (unsigned): they are "
                           "checked by their place in the chain only")
    return check


def _fingerprint(key: object) -> str:
    try:
        return key_fingerprint(str(key)) + "…"
    except (ValueError, TypeError):
        return "not a key"
