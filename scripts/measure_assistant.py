"""How often `transparency new-agency` proposes what was written by hand: run on each real agency's raw
files (tests/agencies/*/agency.yml names them) and print the table the README shows.

    TRANSPARENCY_RAW_ROOTS=../shared/real .venv/bin/python scripts/measure_assistant.py [--misses] [AGENCY ...]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from transparency.assistant.score import score_agency, table  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("agencies", nargs="*", help="folders under tests/agencies (default: every one)")
    parser.add_argument("--misses", action="store_true", help="list every item proposed otherwise than by hand")
    args = parser.parse_args(argv)
    os.environ.setdefault("TRANSPARENCY_RAW_ROOTS", str((REPO / ".." / "shared" / "real").resolve()))
    folders = sorted(p.parent for p in (REPO / "tests" / "agencies").glob("*/agency.yml"))
    if args.agencies:
        folders = [f for f in folders if f.name in args.agencies]
    scores = []
    for folder in folders:
        started = time.perf_counter()
        scores.append(score_agency(folder))
        print(f"{folder.name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    print(table(scores))
    if args.misses:
        for s in scores:
            for item in s.items:
                if not item.correct:
                    print(f"{s.agency}: {item.kind} {item.key}: by hand {item.expected!r}, proposed {item.proposed!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
