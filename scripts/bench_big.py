"""Benchmark the ten-million-row stops quarter: generate, load and cache, build; seconds and peak memory.

Not part of `make bench`: it takes a few minutes and about 3 GB of disk. Run it on its own:

    .venv/bin/python scripts/bench_big.py                          # 10,000,000 stops, in a temporary folder
    .venv/bin/python scripts/bench_big.py --stops-rows 1000000     # a smaller one
    .venv/bin/python scripts/bench_big.py --root /tmp/big --keep   # keep the generated files (and reuse them next time)

Each step is a fresh process, timed, with the peak memory of its whole process tree (the resident memory
of the command and everything it starts, added up, sampled ten times a second):

1. ``generate``: ``transparency sample-data --stops-rows N`` (skipped when ``--root`` already holds them);
2. ``load_and_cache``: the stops alone, from the raw files into the Parquet cache (an empty cache);
3. ``cold_build``: ``transparency build --agency sample --period latest --datasets stops`` with an empty
   cache: every raw file loaded and cached (``latest`` looks at every dataset), then the quarter built
   (HTML and PDF). This is the figure the target is about: under 90 s and 4 GB on two cores;
4. ``warm_build``: the same build again, everything cached (``--force``, so the notebook runs again).

The stage times of the builds come from their manifest.json. Prints the results and writes them as JSON.
Speed is reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from measure import measured as measure

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
GIB = 1 << 30

LOAD_AND_CACHE = """
import sys
from transparency.tables.cache import cached
from transparency.core.config import find_agency, load_agency
entry = cached(load_agency(find_agency("sample")), "stops")
print(entry.rows)
"""


def measured(cmd: list[str], env: dict[str, str], cwd: Path) -> dict:
    """Run a command; return its wall seconds and the peak resident memory of its process tree (GiB)."""
    done = measure(cmd, env, cwd)
    return {"seconds": round(done["seconds"], 1), "peak_gib": round(done["peak_mib"] / 1024, 2),
            "peak_process_gib": round(done["peak_process_mib"] / 1024, 2), "output": done["output"]}


def generated_rows(root: Path) -> int | None:
    """The stops_rows the sample under ``root`` was generated with (None when there is none)."""
    marker = root / "data" / "sample" / "raw" / "GENERATED.json"
    try:
        return json.loads(marker.read_text())["arguments"]["stops_rows"]
    except (OSError, ValueError, KeyError):
        return None


def build_stages(root: Path) -> dict:
    reports = root / "reports" / "sample"
    manifests = sorted(reports.glob("*/manifest.json"), key=lambda p: p.stat().st_mtime)
    if not manifests:
        return {}
    manifest = json.loads(manifests[-1].read_text())
    return {"period": manifest.get("period"), "stages_seconds": manifest.get("timings_seconds", {})}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stops-rows", type=int, default=10_000_000, help="stops to generate (default 10,000,000)")
    parser.add_argument("--root", default=None, help="folder for the data, cache and reports (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the folder afterwards (with --root, reused next time)")
    parser.add_argument("--out", default=str(REPO / "reports" / "bench_big.json"), help="where to write the JSON results")
    args = parser.parse_args()

    root = Path(args.root) if args.root else Path(tempfile.mkdtemp(prefix="bench-big-"))
    root.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(root).free
    if free < 3 * GIB:
        raise SystemExit(f"{root}: {free / GIB:.1f} GiB free; about 3 GiB are needed")
    project, cache, keys = root / "project", root / "cache", root / "keys"
    (project / "data" / "sample").mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "data" / "sample" / "agency.yml", project / "data" / "sample" / "agency.yml")
    env = {**os.environ, "TRANSPARENCY_ROOT": str(project), "TRANSPARENCY_CACHE_DIR": str(cache),
           "TRANSPARENCY_KEYS_DIR": str(keys)}
    cli = str(BIN / "transparency")
    print(f"benchmark: {args.stops_rows:,} stops in {root}, {os.cpu_count()} cores")
    results: dict = {"stops_rows": args.stops_rows, "cores": os.cpu_count()}

    if generated_rows(project) == args.stops_rows and (keys / "sample.key").exists():
        print("  generate: reusing the files already there")
    else:
        step = measured([cli, "sample-data", "--stops-rows", str(args.stops_rows), "--force"], env, project)
        results["generate"] = {k: v for k, v in step.items() if k != "output"}
        print(f"  generate: {step['seconds']} s, peak {step['peak_gib']} GiB")

    force = ["--force"] if "--force" in subprocess.run([cli, "build", "--help"], capture_output=True, text=True, env=env).stdout else []
    build = [cli, "build", "--agency", "sample", "--period", "latest", "--datasets", "stops", *force]

    shutil.rmtree(cache, ignore_errors=True)
    step = measured([sys.executable, "-c", LOAD_AND_CACHE], env, project)
    results["load_and_cache"] = {k: v for k, v in step.items() if k != "output"}
    print(f"  load and cache the stops: {step['seconds']} s, peak {step['peak_gib']} GiB")

    shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(project / "reports", ignore_errors=True)
    step = measured(build, env, project)
    results["cold_build"] = {k: v for k, v in step.items() if k != "output"} | build_stages(project)
    print(f"  cold build (load, cache, build): {step['seconds']} s, peak {step['peak_gib']} GiB")

    step = measured(build, env, project)
    results["warm_build"] = {k: v for k, v in step.items() if k != "output"} | build_stages(project)
    print(f"  build with the tables cached: {step['seconds']} s, peak {step['peak_gib']} GiB")

    cold = results["cold_build"]
    results["target"] = {"seconds": 90, "peak_gib": 4,
                         "holds": cold["seconds"] < 90 and cold["peak_gib"] < 4}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))
    if not args.keep:  # only what this script made
        for folder in (project, cache, keys):
            shutil.rmtree(folder, ignore_errors=True)
        if not args.root:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
