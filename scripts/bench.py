"""Benchmark a quarter's build against the naive chain and the compute floor (`make bench`).

Measures, side by side on the same notebooks and data (a copy of the sample agency in a temporary folder):

(a) the project's build (`transparency build`), by stage (from manifest.json), and the peak memory of
    its whole process tree from one more build of each kind (sampling the memory slows a build, so the
    timed builds are not sampled; the backfill, run once, is both):
    - ``cold``: nothing cached: every raw file loaded and converted to Parquet, every notebook run;
    - ``fresh``: the inputs already converted, every notebook run again (``--force``): a new report
      from known data, the figure compared with (b) and (c);
    - ``unchanged``: the same build again with nothing changed (does nothing);
    - ``one_changed``: one dataset's input file changed (a pursuit fewer), so only its section runs;
    - ``backfill``: 16 quarters in one command (``--force``), run once (``--backfill-runs``);
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

from measure import measured as measure_tree

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


def project_build(root: Path, env: dict[str, str], period: str, datasets: list[str], *extra: str,
                  sample: bool = False) -> dict:
    """One build: its wall seconds and stages; with ``sample``, its peak memory too (sampling slows it)."""
    result = measure_tree([str(BIN / "transparency"), "build", "--agency", "sample", "--period", period,
                           "--datasets", ",".join(datasets), *extra], env, REPO, sample=sample)
    code = period.split(":")[-1]
    manifest = json.loads((root / "reports" / "sample" / code / "manifest.json").read_text())
    return {"seconds": result["seconds"], "peak_mib": result["peak_mib"], "stages": manifest["timings_seconds"]}


#: The input changed for ``one_changed``: one CSV that no other section reads.
CHANGED_INPUT = Path("raw") / "pursuits" / "pursuits.csv"


def change_one_input(agency_dir: Path) -> None:
    """Drop the last row of the pursuits file (a small change to one dataset)."""
    path = agency_dir / CHANGED_INPUT
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), encoding="utf-8")


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
    parser.add_argument("--backfill-runs", type=int, default=1, help="runs of the 16-quarter backfill (0: skip it)")
    parser.add_argument("--out", default=str(REPO / "reports" / "bench.json"), help="where to write the JSON results")
    args = parser.parse_args()

    sys.path.insert(0, str(REPO))
    from transparency.building.build import NOTEBOOKS, latest_period
    from transparency.core.config import load_agency
    from transparency.core.periods import parse_period, trailing_quarters

    source = REPO / "data" / "sample"
    if not (source / "raw").is_dir():
        raise SystemExit("generate the sample agency first: make sample")
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    root = work / "root"
    agency_dir = root / "data" / "sample"
    shutil.copytree(source, agency_dir, symlinks=True)  # a copy: one_changed edits an input
    env = {**os.environ, "TRANSPARENCY_ROOT": str(root), "TRANSPARENCY_CACHE_DIR": str(work / "cache")}
    agency = load_agency(agency_dir)
    period = args.period or latest_period(agency).code
    quarters = trailing_quarters(parse_period(period)[0], 16)
    backfill = f"{quarters[0].code}:{quarters[-1].code}"
    datasets = [n for n in agency.dataset_names if (NOTEBOOKS / f"{n}.ipynb").exists()]
    print(f"benchmark: sample agency, {period}, {len(datasets)} notebooks ({', '.join(datasets)}), "
          f"{args.runs} runs, {os.cpu_count()} cores")

    def four_builds(sample: bool = False) -> dict[str, dict]:
        """A build of each kind in turn: cold (cache removed), fresh, unchanged, one input changed."""
        shutil.rmtree(env["TRANSPARENCY_CACHE_DIR"], ignore_errors=True)
        done = {"cold": project_build(root, env, period, datasets, sample=sample),
                "fresh": project_build(root, env, period, datasets, "--force", sample=sample),
                "unchanged": project_build(root, env, period, datasets, sample=sample)}
        original = agency_dir / CHANGED_INPUT
        kept = original.read_bytes()
        change_one_input(agency_dir)
        try:
            done["one_changed"] = project_build(root, env, period, datasets, sample=sample)
        finally:
            original.write_bytes(kept)
        return done

    runs: dict[str, list] = {"cold": [], "fresh": [], "unchanged": [], "one_changed": [], "naive": [], "floor": []}
    for number in range(args.runs):
        for name, result in four_builds().items():
            runs[name].append(result)
        runs["naive"].append(naive_chain(work, env, period, datasets, agency_dir))
        runs["floor"].append(compute_floor(env, period, datasets, agency_dir, work))
        print(f"  run {number + 1}: build cold {runs['cold'][-1]['seconds']:.1f} s, fresh {runs['fresh'][-1]['seconds']:.1f} s, "
              f"unchanged {runs['unchanged'][-1]['seconds']:.2f} s, one input changed {runs['one_changed'][-1]['seconds']:.1f} s, "
              f"naive chain {runs['naive'][-1]:.1f} s, compute floor {runs['floor'][-1]:.1f} s", flush=True)
    # Peak memory: one more build of each kind, sampled (sampling the process tree ten times a second
    # costs a build about 0.5 s on two cores, so the timed builds above are not sampled).
    peaks = {name: result["peak_mib"] for name, result in four_builds(sample=True).items()}
    print("  peak memory (MiB): " + ", ".join(f"{name} {mib:.0f}" for name, mib in peaks.items()), flush=True)
    backfills = []
    for _ in range(args.backfill_runs):  # one long run: timed and sampled together (the cost is ~2% there)
        backfills.append(project_build(root, env, backfill, datasets, "--force", sample=True))
        print(f"  backfill {backfill} (16 quarters): {backfills[-1]['seconds']:.1f} s", flush=True)

    def median(values):
        return round(statistics.median(values), 3)

    results = {"period": period, "datasets": datasets, "runs": args.runs, "cores": os.cpu_count()}
    for name in ("cold", "fresh", "unchanged", "one_changed"):
        measured = runs[name]
        results[f"build_{name}_seconds"] = median([r["seconds"] for r in measured])
        results[f"build_{name}_stages"] = {k: median([r["stages"].get(k, 0) for r in measured]) for k in measured[0]["stages"]}
        results[f"build_{name}_peak_mib"] = round(peaks[name], 1)
    if backfills:
        results["backfill_period"] = backfill
        results["backfill_16_quarters_seconds"] = median([r["seconds"] for r in backfills])
        results["backfill_peak_mib"] = round(max(r["peak_mib"] for r in backfills), 1)
    results["naive_chain_seconds"] = median(runs["naive"])
    results["compute_floor_seconds"] = median(runs["floor"])
    for name in ("fresh", "cold"):
        results[f"ratio_{name}_build_to_naive"] = round(results[f"build_{name}_seconds"] / results["naive_chain_seconds"], 3)
        results[f"ratio_{name}_build_to_floor"] = round(results[f"build_{name}_seconds"] / results["compute_floor_seconds"], 3)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
