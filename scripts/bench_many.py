"""Measure a build of many generated agencies for one quarter (`python scripts/bench_many.py --agencies 50`).

Generates ``--agencies`` fictional agencies (`transparency sample-data --agency town-NN --seed NN --scale S`,
the scales spread log-evenly from ``--min-scale`` to ``--max-scale``) in a temporary project folder, then
times `transparency build --agencies 'town-*' --period P` there, cold (nothing cached) and again with
nothing changed, sampling the peak memory of the whole process tree. Prints and writes
(``--out``, default reports/bench_many.json): the wall time, the notebooks run, the seconds per notebook and
per agency, the agencies that failed and why (from the build's summary). Speed is reported, never asserted.

``--modes pool,local,workers`` (default: pool only) times the same cold build three ways, side by side, each in
a fresh copy of the project (nothing cached): ``pool``, this machine's process pool (the default build);
``local``, ``--scheduler local`` (a Dask LocalCluster, one single-threaded worker process per core); ``workers``,
a ``dask scheduler`` and ``--workers`` separate ``dask worker --nthreads 1`` processes on localhost TCP (the
cluster's processes are counted in the peak memory). For each: the wall time, the notebooks run, the overhead
per notebook against the pool ((time - pool's time) / notebooks), the peak memory. The machine's other load
makes the figures noisy: run it on a quiet machine for figures to publish.
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


def run(cmd: list[str], env: dict[str, str], cwd: Path, also: list[int] = ()) -> dict:
    """Run ``cmd``; its wall seconds, exit code, output and the peak memory of its process tree (MiB), with the
    process trees of ``also`` (a cluster's scheduler and workers)."""
    started = time.perf_counter()
    process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        roots = [psutil.Process(pid) for pid in [process.pid, *also]]
        while not done.is_set():
            total = 0
            for root in roots:
                try:
                    total += sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
                except psutil.Error:
                    pass
            peak[0] = max(peak[0], total)
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
    parser.add_argument("--modes", default="pool", help="pool, local, workers (comma-separated): where the work runs")
    parser.add_argument("--workers", type=int, default=2, help="separate dask worker processes in the 'workers' mode")
    args = parser.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not modes or [m for m in modes if m not in ("pool", "local", "workers")]:
        parser.error("--modes takes pool, local, workers")
    if modes != ["pool"]:
        return compare(args, modes)

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


def generate(args: argparse.Namespace, root: Path, env: dict[str, str]) -> list[float]:
    """The agencies town-01.. under ``root``, their scales spread log-evenly; returns the scales."""
    cli = [sys.executable, "-m", "transparency.cli"]
    scales = []
    for i in range(1, args.agencies + 1):
        u = (i - 1) / max(1, args.agencies - 1)
        scale = round(args.min_scale * (args.max_scale / args.min_scale) ** u, 4)
        scales.append(scale)
        subprocess.run([*cli, "sample-data", "--agency", f"town-{i:02d}", "--seed", str(i), "--scale", str(scale),
                        "--through", args.period], env=env, cwd=root, check=True, capture_output=True)
    return scales


def start_cluster(folder: Path, workers: int, env: dict[str, str]) -> tuple[str, list[subprocess.Popen]]:
    """A ``dask scheduler`` and ``workers`` ``dask worker --nthreads 1`` processes on localhost; their address."""
    from distributed import Client

    scheduler_file = folder / "scheduler.json"
    dask = [sys.executable, "-m", "dask"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env, "cwd": folder}
    processes = [subprocess.Popen([*dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--dashboard-address", ":0",
                                   "--scheduler-file", str(scheduler_file)], **quiet)]
    deadline = time.monotonic() + 60
    while not scheduler_file.is_file() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.2)
    address = json.loads(scheduler_file.read_text())["address"]
    processes += [subprocess.Popen([*dask, "worker", address, "--nthreads", "1", "--host", "127.0.0.1",
                                    "--no-dashboard"], **quiet) for _ in range(workers)]
    with Client(address, timeout="30s") as client:
        client.wait_for_workers(workers, timeout=60)
    return address, processes


def task_round_trip(address: str, tasks: int = 500) -> float:
    """Milliseconds per task for ``tasks`` empty tasks (``abs``, which every worker has) sent at once to the cluster at ``address`` (the
    scheduler's and the network's own cost per task, which a notebook's task adds to its notebook)."""
    from distributed import Client

    with Client(address, timeout="30s") as client:
        client.gather(client.map(abs, range(20), pure=False))  # warm
        started = time.perf_counter()
        client.gather(client.map(abs, range(tasks), pure=False))
        return round((time.perf_counter() - started) / tasks * 1000, 2)


def compare(args: argparse.Namespace, modes: list[str]) -> int:
    """The same cold build of the same generated agencies, once per mode, side by side."""
    import shutil

    result: dict = {"agencies": args.agencies, "period": args.period, "formats": args.formats,
                    "cpu_count": os.cpu_count(), "modes": {},
                    "note": "other processes shared the machine: figures are noisy"}
    with tempfile.TemporaryDirectory(prefix="bench-many-") as tmp:
        base = Path(tmp) / "generated"
        base.mkdir()
        keys = Path(tmp) / "keys"
        common = {**os.environ, "PYTHONPATH": str(REPO), "TRANSPARENCY_KEYS_DIR": str(keys)}
        started = time.perf_counter()
        result["scales"] = generate(args, base, {**common, "TRANSPARENCY_ROOT": str(base),
                                                 "TRANSPARENCY_CACHE_DIR": str(base / "cache")})
        result["generate_seconds"] = round(time.perf_counter() - started, 1)
        for mode in modes:
            root = Path(tmp) / mode
            shutil.copytree(base / "data", root / "data")  # nothing cached: each mode builds cold
            env = {**common, "TRANSPARENCY_ROOT": str(root), "TRANSPARENCY_CACHE_DIR": str(root / "cache")}
            build = [sys.executable, "-m", "transparency.cli", "build", "--agencies", "town-*", "--period", args.period,
                     "--formats", args.formats]
            cluster: list[subprocess.Popen] = []
            if mode == "local":
                build += ["--scheduler", "local"]
            elif mode == "workers":
                address, cluster = start_cluster(root, args.workers, env)
                build += ["--scheduler", address]
            try:
                measured = run(build, env, root, [p.pid for p in cluster])
                if mode == "workers":
                    result["task_round_trip_ms"] = task_round_trip(address)
            finally:
                for process in cluster:
                    process.terminate()
                for process in cluster:
                    process.wait(30)
            lines = measured.pop("output").splitlines()
            notebooks = sum(1 for line in lines if line.rstrip().endswith(" s") and (" done " in line or " failed " in line))
            failed = [line.split()[0] for line in lines if line.startswith("town-") and len(line.split()) > 1
                      and line.split()[1] == "failed"]
            result["modes"][mode] = {**measured, "notebooks_run": notebooks, "failed_agencies": failed,
                                     "seconds_per_agency": round(measured["seconds"] / args.agencies, 2)}
            print(mode, json.dumps(result["modes"][mode]), flush=True)
    pool = result["modes"].get("pool")
    for figures in result["modes"].values():
        if pool and figures["notebooks_run"]:
            figures["overhead_per_notebook_vs_pool_s"] = round((figures["seconds"] - pool["seconds"])
                                                               / figures["notebooks_run"], 3)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
