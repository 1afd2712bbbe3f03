"""The personal-data scan: no raw value of an identifying input column may appear in anything published.

Before a build is called complete, every file it would publish (HTML, the PDF's text, CSV, JSON, the
executed notebooks) is searched for the raw values of the identifying columns of its input files:

- the source columns of person identifiers (fields of type ``pseudonym``: officer and subject ids);
- columns the agency declares private (``private_columns`` in a dataset's configuration);
- columns the configuration does not map whose names say what they hold (name, address, street,
  narrative, birth, badge, phone, ...). A column mapped to a published field (an offense description
  mapped to ``violation``) is published on purpose and not searched for.

Which values are searched for: text values of at least four characters with a letter in them, and
number-only values of at least six digits. Shorter number-only values (a four-digit badge number) cannot
be told apart from the counts a report is made of, so they are not searched for; the structural
guarantees cover them instead (identifiers are replaced by keyed hashes at load, and columns that are
not mapped never leave the load step). A found value is reported by file and source column, with the
value masked.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from transparency.core import registry
from transparency.core.config import Agency
from transparency.core.textnorm import fold
from transparency.reading.load import read_raw

if TYPE_CHECKING:
    from transparency.core.incremental import Keys

# Parts of column names that mark a column as identifying (compared in lower case, as substrings).
# Address-like columns identify a place only with a number in it: a street name alone ("Main",
# "Central Expressway") is an ordinary word that reports use for districts and streets.
ADDRESS_HINTS = ("address", "addr", "street", "block", "location")
IDENTIFYING_HINTS = (
    *ADDRESS_HINTS, "name", "narrative", "birth", "dob", "badge", "phone", "email", "ssn",
    "comment", "remark", "summary_text", "description", "call_taker", "calltaker", "dispatcher", "officer_id",
    "offnum", "officerid", "subjectid", "citnum",
)
_SPACES = re.compile(r"\s+")


def _marks() -> str:
    """Combining marks (Unicode category M) of planes 0 and 1, as a character class body: part of a word
    in scripts such as Devanagari, where "राम" is letters and vowel signs."""
    ranges, start = [], None
    for code in range(0x20000):
        mark = unicodedata.category(chr(code)).startswith("M")
        if mark and start is None:
            start = code
        elif not mark and start is not None:
            ranges.append(f"\\U{start:08x}-\\U{code - 1:08x}")
            start = None
    return "".join(ranges)


# A word: letters and digits of any script, with their combining marks. "_" separates words, as in file names:
# it is made a space in the values and in the text searched (:func:`_folded`) before words are found.
_TOKEN = re.compile(r"[\w" + _marks() + r"]+")
# Scripts written without spaces between words (Han, Hiragana, Katakana, Thai, Lao, Tibetan, Myanmar, Khmer):
# a value in them is looked for as a run of characters anywhere in a run of such characters.
_UNSPACED = ("\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u31f0-\u31ff"
             "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f")
_UNSPACED_RUN = re.compile(f"[{_UNSPACED}]+")
# Between the words of a value written with single spaces, a published file may put other separators (a file
# name's "_", "-" or ".").
_SEPARATORS = re.compile(r"[\s_.\-]+")
_ENUM_VALUES = {value for enum in registry.enums().values() for value in enum.values}


@dataclass(frozen=True)
class Leak:
    """A raw identifying value found in a published file (the value itself is never kept whole)."""

    published_file: str
    source_file: str
    column: str
    masked_value: str

    def __str__(self) -> str:
        return (f"{self.published_file}: holds a value of column '{self.column}' of {self.source_file} "
                f"({self.masked_value})")


def mask(value: str) -> str:
    """Show only enough of a value to find it again: first two characters, then its length."""
    value = str(value)
    return f"'{value[:2]}…' ({len(value)} characters)"


def identifying_columns(agency: Agency, dataset: str, columns: list[str]) -> list[str]:
    """The columns of one input file whose values must never be published."""
    spec = registry.dataset(dataset)
    chosen: set[str] = set()
    published: set[str] = set()  # columns mapped to a category, a date...: published on purpose
    for group in agency.file_groups[dataset]:
        for field_name, source in group.columns.items():
            if spec.fields[field_name].type == "pseudonym":
                chosen.update(source.source_columns())
            else:
                published.update(source.source_columns())
    config = agency.dataset(dataset)
    chosen.update(getattr(config, "private_columns", None) or [])
    for column in columns:
        lower = column.lower().replace(" ", "_")
        if column not in published and any(hint in lower for hint in IDENTIFYING_HINTS):
            chosen.add(column)
        elif column in published and _address_like(column):
            chosen.add(column)  # an address mapped to a published field by mistake: its addresses are searched
    return [c for c in columns if c in chosen]


def _address_like(column: str) -> bool:
    return any(hint in column.lower() for hint in ADDRESS_HINTS)


def _published_columns(agency: Agency, dataset: str) -> set[str]:
    """Source columns mapped to a field that is published (not a pseudonym)."""
    spec = registry.dataset(dataset)
    return {c for group in agency.file_groups[dataset] for name, source in group.columns.items()
            if spec.fields[name].type != "pseudonym" for c in source.source_columns()}


# A street address: a house or block number of two digits or more ("1200", "12XX"), then a word.
_STREET_ADDRESS = re.compile(r"^\d{2,}[0-9A-Za-z-]*\s+\w")


# Words that stand in identifying columns without identifying anyone, and that reports use freely.
_NOT_IDENTIFYING = {"unknown", "none", "other", "null", "n/a", "redacted", "withheld", "not recorded", "automatic dispatch"}


def _searchable(value: str) -> bool:
    value = value.strip()
    if fold(value) in _NOT_IDENTIFYING or value in _ENUM_VALUES:
        return False
    if value.isdigit():
        return len(value) >= 6
    if len("".join(_UNSPACED_RUN.findall(value))) >= 2:  # a name in Han is often two or three characters
        return True
    return len(value) >= 4 and any(ch.isalpha() for ch in value)


def _distinct_identifying(agency: Agency, dataset: str, frame: pd.DataFrame) -> dict[str, Any]:
    """The distinct values of each identifying column of a raw file's frame, in order of appearance."""
    return {column: pd.unique(frame[column]) for column in identifying_columns(agency, dataset, list(frame.columns))}


@contextlib.contextmanager
def values_as_loaded(agency: Agency) -> Iterator[dict[Path, tuple[str, dict[str, Any]]]]:
    """While active, keep the identifying values of each raw file :func:`transparency.reading.load.load_dataset`
    reads in this process, for :func:`collect_needles` (``as_loaded=``), which then does not read
    those files again (a workbook takes a second to parse). Yields the dict it fills:
    path -> (sha256 of the bytes read, distinct values by column); clear it once used.
    """
    from transparency.reading import load

    kept: dict[Path, tuple[str, dict[str, Any]]] = {}

    def observe(seen: Agency, dataset: str, path: Path, sha256: str, frame: pd.DataFrame) -> None:
        if seen.folder == agency.folder and sha256:
            kept[Path(path)] = (sha256, _distinct_identifying(seen, dataset, frame))

    load.RAW_READERS.append(observe)
    try:
        yield kept
    finally:
        load.RAW_READERS.remove(observe)


def _file_values(agency: Agency, dataset: str, group, path: Path, missing: set[str],
                 distinct: dict[str, Any] | None = None) -> dict[str, str]:
    """Identifying raw values of one input file: value (:func:`transparency.core.textnorm.fold`) -> column.

    ``distinct``: the file's identifying columns' distinct values as the loader read them
    (:func:`values_as_loaded`); without it, the file is read.
    """
    if distinct is None:
        # Only the identifying columns are made into a frame (the file is still parsed whole).
        frame, _, _ = read_raw(path, group.encoding, group.sheet, group.delimiter,
                               columns=lambda names: identifying_columns(agency, dataset, names))
        distinct = _distinct_identifying(agency, dataset, frame)
    found: dict[str, str] = {}
    published = _published_columns(agency, dataset)
    for column, values in distinct.items():
        address = _address_like(column) and column not in (agency.dataset(dataset).private_columns or [])
        for value in values:
            text = str(value).strip()
            if text in missing or not _searchable(text):
                continue
            if address and not any(ch.isdigit() for ch in text):
                continue
            if column in published and not _STREET_ADDRESS.match(text):
                continue  # a mapped column named like an address: only street addresses are searched for
            found.setdefault(fold(text), column)
    return found


def _input_files(agency: Agency, datasets: list[str], missing: tuple[str, ...]):
    """(dataset, file group, path, missing values) of every input file read for identifying values."""
    for dataset in datasets:
        group_missing = set(agency.file_groups[dataset][0].missing_values) | set(missing)
        for group in agency.file_groups[dataset]:
            for path in agency.glob(group.glob):
                yield dataset, group, path, group_missing


def collect_values(agency: Agency, datasets: list[str], missing: tuple[str, ...] = ()) -> dict[str, tuple[str, str]]:
    """Identifying raw values of the datasets' input files: value (lower case) -> (source file, column)."""
    values: dict[str, tuple[str, str]] = {}
    for dataset, group, path, group_missing in _input_files(agency, datasets, missing):
        source = str(path.relative_to(agency.raw_root))
        for text, column in _file_values(agency, dataset, group, path, group_missing).items():
            values.setdefault(text, (source, column))
    return values


@dataclass(frozen=True)
class Needle:
    """One identifying value, held as keyed hashes, never as text.

    The value is first folded (:func:`transparency.core.textnorm.fold`: NFKC, invisible characters removed,
    case-folded). ``tokens`` hashes its words (runs of letters, digits and combining marks of any script),
    which find where it may stand; ``whole`` hashes the whole value with each run of white space made one
    space, which decides; ``lead`` and ``trail`` count the characters before its first word and after its
    last ("white, a." has 0 and 1). ``run`` hashes its characters of scripts written without spaces (Han,
    Thai...), ``run_size`` their number ("" and 0 when it has fewer than two).
    """

    tokens: tuple[str, ...]
    whole: str
    lead: int
    trail: int
    source: str
    column: str
    masked: str
    run: str = ""
    run_size: int = 0

    def to_list(self) -> list:
        return [list(self.tokens), self.whole, self.lead, self.trail, self.column, self.masked, self.run, self.run_size]

    @classmethod
    def from_list(cls, data: list, source: str) -> Needle:
        tokens, whole, lead, trail, column, masked, run, run_size = data
        return cls(tuple(tokens), whole, lead, trail, source, column, masked, run, run_size)


def _hasher(key: bytes):
    import hashlib

    memo: dict[str, str] = {}

    def digest(token: str) -> str:
        found = memo.get(token)
        if found is None:
            found = memo[token] = hashlib.blake2b(token.encode(), key=key[:64], digest_size=10).hexdigest()
        return found

    return digest


def needles(values: dict[str, tuple[str, str]], key: bytes) -> list[Needle]:
    """The values of :func:`collect_values` as needles hashed with ``key``."""
    digest = _hasher(key)
    out = []
    for value, (source, column) in values.items():
        masked = mask(value)
        value = _folded(value)
        words = list(_TOKEN.finditer(value))
        run = "".join(_UNSPACED_RUN.findall(value))
        run_hash, run_size = (digest(run), len(run)) if len(run) >= 2 else ("", 0)
        if words:
            out.append(Needle(tuple(digest(w.group()) for w in words), digest(value), words[0].start(),
                              len(value) - words[-1].end(), source, column, masked, run_hash, run_size))
    return out


def collect_needles(agency: Agency, datasets: list[str], key: bytes, keys: Keys,
                    as_loaded: dict[Path, tuple[str, dict[str, Any]]] | None = None) -> list[Needle]:
    """:func:`collect_values` as needles hashed with ``key``, remembered per input file.

    They are kept under the build store (``<cache>/builds/<agency>/privacy/``), as keyed hashes (with
    the agency's pseudonymisation key, which lives elsewhere) and masks such as ``'Jo…' (10
    characters)``, never a value: the cache folder holds no copy of the personal data. An entry is
    used only for the same file bytes, dataset configuration, package and key. ``keys`` (the build's
    :class:`transparency.core.incremental.Keys`) gives the file hashes, the package's and the key's.
    ``as_loaded`` (from :func:`values_as_loaded`) holds values of files already read: such a file is
    not read again when its bytes then had the sha256 the file has now.
    """
    import hashlib
    import json

    from transparency.core.hashing import atomic_write
    from transparency.core.incremental import build_store

    store = build_store(agency) / "privacy"
    found: dict[str, Needle] = {}
    for dataset, group, path, group_missing in _input_files(agency, datasets, ()):
        source = str(path.relative_to(agency.raw_root))
        sha256 = keys.hashes.sha256(path)
        name = hashlib.sha256(json.dumps([
            sha256, dataset, agency.dataset(dataset).model_dump(mode="json", by_alias=True),
            sorted(group_missing), keys.common["package"], keys.common["key"]], sort_keys=True, default=str).encode())
        entry = store / f"{name.hexdigest()[:32]}.json"
        try:
            file_needles = [Needle.from_list(item, source) for item in json.loads(entry.read_text())]
        except (OSError, ValueError):
            read, distinct = (as_loaded or {}).get(Path(path), (None, None))
            values = _file_values(agency, dataset, group, path, group_missing,
                                  distinct if read == sha256 else None)
            file_needles = needles({text: (source, column) for text, column in values.items()}, key)
            atomic_write(entry, json.dumps([n.to_list() for n in file_needles]).encode())
        for needle in file_needles:
            found.setdefault(needle.whole, needle)  # a value in two files is reported from the first
    keys.save()
    return list(found.values())


def published_text(path: Path) -> str:
    """The text a reader could get out of a published file (the PDF through pdftotext)."""
    if path.suffix.lower() == ".pdf":
        done = subprocess.run(["pdftotext", "-q", str(path), "-"], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"cannot read the text of {path} (is poppler-utils installed?)")
        return done.stdout
    return path.read_text(encoding="utf-8", errors="replace")


def scan(folder: Path, values: dict[str, tuple[str, str]] | list[Needle], skip_pdf: bool = False,
         key: bytes | None = None, *, skip: list[Path] = (), only: list[Path] | None = None) -> list[Leak]:
    """Search every published file under ``folder`` for the values; return what was found.

    ``values`` is :func:`collect_values`'s dict, or needles from :func:`collect_needles` with the
    ``key`` they were hashed with. A value is found where the file's text, in lower case and with
    each run of white space (a line break in the PDF) taken as one space, holds it starting and
    ending at word boundaries: "Zebulon Quillfeather" is found in "ZEBULON\nQUILLFEATHER was
    there", "smith" is not found in "blacksmith". ``only`` searches just those files, ``skip``
    leaves those out. ``skip_pdf`` leaves PDFs out (when pdftotext is not installed; the PDF is made from report.html).
    """
    if isinstance(values, dict):
        import secrets

        key = secrets.token_bytes(32)
        values = needles(values, key)
    if key is None:
        raise ValueError("needles need the key they were hashed with")
    digest = _hasher(key)
    by_first: dict[str, list[Needle]] = {}
    unspaced: dict[int, dict[str, Needle]] = {}  # run_size -> run -> needle
    for needle in values:
        by_first.setdefault(needle.tokens[0], []).append(needle)
        if needle.run_size:
            unspaced.setdefault(needle.run_size, {}).setdefault(needle.run, needle)
    leaks = []
    skipped = {p.resolve() for p in skip}
    files = sorted(only) if only is not None else sorted(p for p in folder.rglob("*") if p.is_file())
    for path in files:
        if path.resolve() in skipped:
            continue
        if path.suffix.lower() not in (".html", ".pdf", ".csv", ".json", ".ipynb", ".txt", ".md"):
            continue
        if skip_pdf and path.suffix.lower() == ".pdf":
            continue
        reported: set[str] = set()
        text = _folded(published_text(path))
        for needle in _unspaced_found(text, unspaced, digest):
            reported.add(needle.whole)
            leaks.append(Leak(str(path.relative_to(folder)), needle.source, needle.column, needle.masked))
        # Each distinct word is hashed once. Most files hold no value's every word; in those that
        # do, a value is looked for only where its first word stands, and its characters are
        # compared (hashed whole) only where all its words follow in order.
        words = _TOKEN.findall(text)
        hashed = {word: digest(word) for word in set(words)}
        present = set(hashed.values())
        starts = {first: [n for n in candidates if all(t in present for t in n.tokens)]
                  for first, candidates in by_first.items() if first in present}
        starts = {first: candidates for first, candidates in starts.items() if candidates}
        if not starts:
            continue
        firsts = {word for word, value in hashed.items() if value in starts}
        spans: list[tuple[int, int]] | None = None
        for position, word in enumerate(words):
            if word not in firsts:
                continue
            for needle in starts[hashed[word]]:
                size = len(needle.tokens)
                if needle.whole in reported or tuple(hashed[w] for w in words[position:position + size]) != needle.tokens:
                    continue
                if spans is None:
                    spans = [m.span() for m in _TOKEN.finditer(text)]  # the same words, in order
                start, end = spans[position][0] - needle.lead, spans[position + size - 1][1] + needle.trail
                if (start >= 0 and digest(text[start:end]) == needle.whole) or _separated_words(
                        text, spans[position:position + size], words[position:position + size], needle, digest):
                    reported.add(needle.whole)
                    leaks.append(Leak(str(path.relative_to(folder)), needle.source, needle.column, needle.masked))
    return leaks


def _separated_words(text: str, spans: list[tuple[int, int]], words: list[str], needle: Needle, digest) -> bool:
    """Whether words found in order are the needle written with other separators: a value that is plain words
    with single spaces ("zebulon quillfeather") is found as "Zebulon_Quillfeather.csv" or "zebulon-quillfeather"."""
    if needle.lead or needle.trail or digest(" ".join(words)) != needle.whole:
        return False
    return all(_SEPARATORS.fullmatch(text[a[1]:b[0]]) for a, b in zip(spans, spans[1:]))


def _unspaced_found(text: str, unspaced: dict[int, dict[str, Needle]], digest) -> list[Needle]:
    """Needles whose characters of a script written without spaces stand in ``text`` (anywhere in a run of such
    characters, white space between them ignored: "王小明" is found in "王 小明在那里")."""
    if not unspaced:
        return []
    runs = ["".join(_SPACES.split(m.group())) for m in _UNSPACED_RUN_SPACED.finditer(text)]
    found: dict[str, Needle] = {}
    for run in runs:
        for size, by_run in unspaced.items():
            for i in range(len(run) - size + 1):
                needle = by_run.get(digest(run[i:i + size]))
                if needle is not None:
                    found.setdefault(needle.whole, needle)
    return list(found.values())


_UNSPACED_RUN_SPACED = re.compile(f"[{_UNSPACED}](?:\\s*[{_UNSPACED}])*")


def _folded(text: str) -> str:
    """Text as values are compared in it: folded (:func:`transparency.core.textnorm.fold`), "_" a space, each run of
    white space one space."""
    return _SPACES.sub(" ", fold(text).replace("_", " "))
