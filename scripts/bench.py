"""Benchmark a quarter's build against the naive chain and the compute floor (`make bench`).

Measures, side by side on the same notebooks and data:

(a) the project's build (`transparency build`), cold (empty cache) and warm, with the time of each stage
    (from manifest.json) and the peak memory of the build and its notebook processes;
(b) the naive chain an analyst would script: for each notebook in turn, the papermill command line,
    then `jupyter nbconvert --to html --no-input`, then the `weasyprint` command line;
(c) the compute floor: the notebooks' code run once in one plain Python process (no kernels, no
    conversion), after the data is cached.

Prints medians over ``--runs`` runs and the ratios (a)/(b) and (a)/(c), and writes them to a JSON file.
Speed is reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run(cmd: list[str], env: dict[str, str], cwd: Path = REPO) -> float:
    """Run a command; return wall seconds (raises on failure, showing its output)."""
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return seconds


def measured(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(seconds, peak MiB of the command and everything it started), via a small wrapper process."""
    wrapper = (
        "import resource, subprocess, sys, time, json\n"
        "t = time.perf_counter()\n"
        "code = subprocess.run(sys.argv[1:]).returncode\n"
        "s = time.perf_counter() - t\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(json.dumps({'code': code, 'seconds': s, 'peak_mib': peak}))\n"
    )
    done = subprocess.run([sys.executable, "-c", wrapper, *cmd], cwd=REPO, env=env, capture_output=True, text=True)
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "{}"
    result = json.loads(last)
    if result.get("code") != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return result["seconds"], result["peak_mib"]


def project_build(root: Path, env: dict[str, str], period: str, datasets: list[str], cold: bool) -> dict:
    if cold:
        shutil.rmtree(env["TRANSPARENCY_CACHE_DIR"], ignore_errors=True)
    seconds, peak = measured([str(BIN / "transparency"), "build", "--agency", "sample", "--period", period,
                              "--datasets", ",".join(datasets)], env)
    manifest = json.loads((root / "reports" / "sample" / period / "manifest.json").read_text())
    return {"seconds": seconds, "peak_mib": peak, "stages": manifest["timings_seconds"]}


def naive_chain(work: Path, env: dict[str, str], period: str, datasets: list[str], agency: Path) -> float:
    total = 0.0
    for name in datasets:
        executed = work / f"{name}.ipynb"
        total += run([str(BIN / "papermill"), str(REPO / "notebooks" / f"{name}.ipynb"), str(executed), "-k", "transparency",
                      "-p", "agency", str(agency), "-r", "period", period, "-p", "output_dir", str(work / "out")], env)
        total += run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)], env)
        total += run([str(BIN / "weasyprint"), str(work / f"{name}.html"), str(work / f"{name}.pdf")], env)
    return total


FLOOR = r"""
import json, sys, time, types
import matplotlib
matplotlib.use("Agg")
import IPython.display
IPython.display.display = lambda *a, **k: None
sys.modules["IPython.display"].display = IPython.display.display
import nbformat
agency, period, out, names = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(",")
started = time.perf_counter()
for name in names:
    nb = nbformat.read(f"notebooks/{name}.ipynb", as_version=4)
    namespace = {"agency": agency, "period": period, "output_dir": out, "get_ipython": lambda: types.SimpleNamespace(run_line_magic=lambda *a: None)}
    for cell in nb.cells:
        if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.startswith("%"))
        exec(compile(source, name, "exec"), namespace)
print(json.dumps({"seconds": time.perf_counter() - started}))
"""


def compute_floor(env: dict[str, str], period: str, datasets: list[str], agency: Path, work: Path) -> float:
    done = subprocess.run([sys.executable, "-c", FLOOR, str(agency), period, str(work / "floor"), ",".join(datasets)],
                          cwd=REPO, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"compute floor failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])["seconds"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--period", default=None, help="the quarter (default: the sample's latest)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement (median reported)")
    parser.add_argument("--out", default=str(REPO / "reports" / "bench.json"), help="where to write the JSON results")
    args = parser.parse_args()

    sys.path.insert(0, str(REPO))
    from transparency.build import NOTEBOOKS, latest_period
    from transparency.config import load_agency

    agency_dir = REPO / "data" / "sample"
    if not (agency_dir / "raw").is_dir():
        raise SystemExit("generate the sample agency first: make sample")
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    root = work / "root"
    (root / "data").mkdir(parents=True)
    os.symlink(agency_dir, root / "data" / "sample")
    env = {**os.environ, "TRANSPARENCY_ROOT": str(root), "TRANSPARENCY_CACHE_DIR": str(work / "cache")}
    agency = load_agency(agency_dir)
    period = args.period or latest_period(agency).code
    datasets = [n for n in agency.dataset_names if (NOTEBOOKS / f"{n}.ipynb").exists()]
    print(f"benchmark: sample agency, {period}, {len(datasets)} notebooks ({', '.join(datasets)}), {args.runs} runs, {os.cpu_count()} cores")

    cold, warm, naive, floor = [], [], [], []
    for number in range(args.runs):
        cold.append(project_build(root, env, period, datasets, cold=True))
        warm.append(project_build(root, env, period, datasets, cold=False))
        naive.append(naive_chain(work, env, period, datasets, agency_dir))
        floor.append(compute_floor(env, period, datasets, agency_dir, work))
        print(f"  run {number + 1}: build cold {cold[-1]['seconds']:.1f} s, warm {warm[-1]['seconds']:.1f} s, "
              f"naive chain {naive[-1]:.1f} s, compute floor {floor[-1]:.1f} s")

    def median(values):
        return round(statistics.median(values), 3)

    results = {
        "period": period, "datasets": datasets, "runs": args.runs, "cores": os.cpu_count(),
        "build_cold_seconds": median([r["seconds"] for r in cold]),
        "build_warm_seconds": median([r["seconds"] for r in warm]),
        "build_cold_stages": {k: median([r["stages"].get(k, 0) for r in cold]) for k in cold[0]["stages"]},
        "build_warm_stages": {k: median([r["stages"].get(k, 0) for r in warm]) for k in warm[0]["stages"]},
        "build_peak_mib": round(max(r["peak_mib"] for r in cold + warm), 1),
        "naive_chain_seconds": median(naive),
        "compute_floor_seconds": median(floor),
    }
    results["ratio_build_to_naive"] = round(results["build_warm_seconds"] / results["naive_chain_seconds"], 3)
    results["ratio_build_to_floor"] = round(results["build_warm_seconds"] / results["compute_floor_seconds"], 3)
    results["ratio_cold_build_to_naive"] = round(results["build_cold_seconds"] / results["naive_chain_seconds"], 3)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
