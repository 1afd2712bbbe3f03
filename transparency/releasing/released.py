"""What has been released, read back from ``reports/<agency>/released/``: the released periods and their versions.

Both :mod:`transparency.releasing.release` (which writes versions) and :mod:`transparency.releasing.publish_index` (which lists
them) read the released tree through this module, so neither imports the other's way back.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from transparency.building.build import RELEASED
from transparency.core.config import Agency
from transparency.core.periods import Period, parse_period

RELEASE_FILE = "RELEASE.json"
LOG_FILE = "releases.jsonl"


def agency_reports(root: Path, agency: Agency) -> Path:
    """``root/reports/<agency>/``."""
    return root / "reports" / agency.slug


@dataclass
class Version:
    """One released version of a period."""

    number: int
    folder: Path
    record: dict
    unreadable: str = ""  # why RELEASE.json could not be read as a release record ("" when it could)

    @property
    def released_on(self) -> str:
        return self.record.get("released_on", "")


def released_periods(root: Path, agency: Agency) -> list[str]:
    """Codes of every period with at least one released version (unsorted file-system order removed)."""
    base = agency_reports(root, agency) / RELEASED
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")
                  and any(re.fullmatch(r"v\d+", v.name) for v in p.iterdir()))


def versions(root: Path, agency: Agency, code: str) -> list[Version]:
    """The released versions of a period, oldest first (an unreadable RELEASE.json gives an empty record)."""
    base = agency_reports(root, agency) / RELEASED / code
    if not base.is_dir():
        return []
    out = []
    for folder in base.iterdir():
        match = re.fullmatch(r"v(\d+)", folder.name)
        if not match or not folder.is_dir():
            continue
        unreadable = ""
        try:
            record = json.loads((folder / RELEASE_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            record, unreadable = {}, "is missing"
        except (OSError, ValueError) as exc:
            record, unreadable = {}, f"cannot be read ({type(exc).__name__})"
        if not isinstance(record, dict):
            record, unreadable = {}, f"is not a release record (it holds a JSON {type(record).__name__})"
        out.append(Version(int(match.group(1)), folder, record, unreadable))
    return sorted(out, key=lambda v: v.number)


def period_of(code: str, agency: Agency) -> Period:
    """The Period for a code found on disk (``2026Q3``, ``2025``, ``FY2026``)."""
    return parse_period(code, fiscal_year_start=agency.model.fiscal_year_start)[0]
