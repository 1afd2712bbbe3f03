"""Measure a build of many generated agencies for one quarter (`python scripts/bench_many.py --agencies 50`).

Generates ``--agencies`` fictional agencies (`transparency sample-data --agency town-NN --seed NN --scale S`,
the scales spread log-evenly from ``--min-scale`` to ``--max-scale``) in a temporary project folder, then
times `transparency build --agencies 'town-*' --period P` there, cold (nothing cached) and again with
nothing changed, sampling the peak memory of the whole process tree. Prints and writes
(``--out``, default reports/bench_many.json): the wall time, the notebooks run, the seconds per notebook and
per agency, the agencies that failed and why (from the build's summary). Speed is reported, never asserted.

This is the process-pool figure that a Dask build (issue 20, next) is to be compared with.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
MIB = 1 << 20


def run(cmd: list[str], env: dict[str, str], cwd: Path) -> dict:
    """Run ``cmd``; its wall seconds, exit code, output and the peak memory of its process tree (MiB)."""
    started = time.perf_counter()
    process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        root = psutil.Process(process.pid)
        while not done.is_set():
            try:
                total = sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
                peak[0] = max(peak[0], total)
            except psutil.Error:
                pass
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    return {"seconds": round(seconds, 2), "exit": process.returncode, "peak_mib": round(peak[0] / MIB), "output": output}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agencies", type=int, default=10)
    parser.add_argument("--min-scale", type=float, default=0.05)
    parser.add_argument("--max-scale", type=float, default=0.5)
    parser.add_argument("--period", default="2026Q3")
    parser.add_argument("--formats", default="html,pdf")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--out", type=Path, default=REPO / "reports" / "bench_many.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-many-") as tmp:
        root = Path(tmp)
        env = {**os.environ, "TRANSPARENCY_ROOT": str(root), "TRANSPARENCY_KEYS_DIR": str(root / "keys"),
               "TRANSPARENCY_CACHE_DIR": str(root / "cache"), "PYTHONPATH": str(REPO)}
        cli = [sys.executable, "-m", "transparency.cli"]
        started = time.perf_counter()
        scales = []
        for i in range(1, args.agencies + 1):
            u = (i - 1) / max(1, args.agencies - 1)
            scale = round(args.min_scale * (args.max_scale / args.min_scale) ** u, 4)
            scales.append(scale)
            subprocess.run([*cli, "sample-data", "--agency", f"town-{i:02d}", "--seed", str(i), "--scale", str(scale),
                            "--through", args.period], env=env, cwd=root, check=True, capture_output=True)
        generated = time.perf_counter() - started
        build = [*cli, "build", "--agencies", "town-*", "--period", args.period, "--formats", args.formats]
        if args.jobs:
            build += ["--jobs", str(args.jobs)]
        cold = run(build, env, root)
        unchanged = run(build, env, root)
        notebooks = sum(1 for line in cold["output"].splitlines() if line.rstrip().endswith(" s")
                        and (" done " in line or " failed " in line))
        summary = [line for line in cold["output"].splitlines() if line.startswith("town-")]
        failed = {line.split()[0]: line.split(None, 4)[4] if len(line.split(None, 4)) > 4 else "" for line in summary
                  if line.split()[1] == "failed"}
    result = {
        "agencies": args.agencies, "scales": scales, "period": args.period, "formats": args.formats,
        "cpu_count": os.cpu_count(), "generate_seconds": round(generated, 1),
        "cold": {k: v for k, v in cold.items() if k != "output"},
        "unchanged": {k: v for k, v in unchanged.items() if k != "output"},
        "notebooks_run": notebooks,
        "seconds_per_notebook": round(cold["seconds"] / notebooks, 2) if notebooks else None,
        "seconds_per_agency": round(cold["seconds"] / args.agencies, 2),
        "failed": failed,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
