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

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import registry
from .config import Agency
from .load import _glob, read_raw

# Parts of column names that mark a column as identifying (compared in lower case, as substrings).
# Address-like columns identify a place only with a number in it: a street name alone ("Main",
# "Central Expressway") is an ordinary word that reports use for districts and streets.
ADDRESS_HINTS = ("address", "addr", "street", "block", "location")
IDENTIFYING_HINTS = (
    *ADDRESS_HINTS, "name", "narrative", "birth", "dob", "badge", "phone", "email", "ssn",
    "comment", "remark", "summary_text", "description", "call_taker", "calltaker", "dispatcher", "officer_id",
    "offnum", "officerid", "subjectid", "citnum",
)
_TOKEN = re.compile(r"[0-9a-z]+")
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
    return [c for c in columns if c in chosen]


# Words that stand in identifying columns without identifying anyone, and that reports use freely.
_NOT_IDENTIFYING = {"unknown", "none", "other", "null", "n/a", "redacted", "withheld", "not recorded", "automatic dispatch"}


def _searchable(value: str) -> bool:
    value = value.strip()
    if value.lower() in _NOT_IDENTIFYING or value in _ENUM_VALUES:
        return False
    if value.isdigit():
        return len(value) >= 6
    return len(value) >= 4 and any(ch.isalpha() for ch in value)


def collect_values(agency: Agency, datasets: list[str], missing: tuple[str, ...] = ()) -> dict[str, tuple[str, str]]:
    """Identifying raw values of the datasets' input files: value (lower case) -> (source file, column)."""
    values: dict[str, tuple[str, str]] = {}
    for dataset in datasets:
        group_missing = set(agency.file_groups[dataset][0].missing_values) | set(missing)
        for group in agency.file_groups[dataset]:
            for path in _glob(agency, group.glob):
                frame, _, _ = read_raw(path, group.encoding, group.sheet, group.delimiter)
                for column in identifying_columns(agency, dataset, list(frame.columns)):
                    address = any(hint in column.lower() for hint in ADDRESS_HINTS) and column not in (
                        agency.dataset(dataset).private_columns or [])
                    for value in pd.unique(frame[column]):
                        text = str(value).strip()
                        if text in group_missing or not _searchable(text):
                            continue
                        if address and not any(ch.isdigit() for ch in text):
                            continue
                        values.setdefault(text.lower(), (str(path.relative_to(agency.raw_root)), column))
    return values


def published_text(path: Path) -> str:
    """The text a reader could get out of a published file (the PDF through pdftotext)."""
    if path.suffix.lower() == ".pdf":
        done = subprocess.run(["pdftotext", "-q", str(path), "-"], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"cannot read the text of {path} (is poppler-utils installed?)")
        return done.stdout
    return path.read_text(encoding="utf-8", errors="replace")


def scan(folder: Path, values: dict[str, tuple[str, str]], skip_pdf: bool = False) -> list[Leak]:
    """Search every published file under ``folder`` for the values; return what was found.

    ``skip_pdf`` leaves PDFs out (when pdftotext is not installed; the PDF is made from report.html).
    """
    by_first_token: dict[str, list[str]] = {}
    for value in values:
        tokens = _TOKEN.findall(value)
        if tokens:
            by_first_token.setdefault(max(tokens, key=len), []).append(value)
    leaks = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix.lower() not in (".html", ".pdf", ".csv", ".json", ".ipynb", ".txt", ".md"):
            continue
        if skip_pdf and path.suffix.lower() == ".pdf":
            continue
        text = published_text(path).lower()
        present = set(_TOKEN.findall(text))
        for token, candidates in by_first_token.items():
            if token not in present:
                continue
            for value in candidates:
                if value in text:
                    source, column = values[value]
                    leaks.append(Leak(str(path.relative_to(folder)), source, column, mask(value)))
    return leaks
