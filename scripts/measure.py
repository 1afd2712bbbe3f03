"""Time a command and sample the memory of its whole process tree (used by bench.py and bench_big.py)."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import psutil

MIB = 1 << 20


def measured(cmd: list[str], env: dict[str, str], cwd: Path, sample: bool = True) -> dict:
    """Run a command; return its wall seconds, output and peak resident memory.

    The memory is sampled ten times a second over the command and every process it starts (notebook
    workers, their fork server): ``peak_mib`` is the largest sum over the tree (pages shared between
    forked workers are counted once per process, so this over-states), ``peak_process_mib`` the
    largest single process. Sampling costs the command time (each sample walks the process table: a
    twelve-notebook build on two cores takes about 0.5 s longer), so ``sample=False`` only times it
    (the peaks are then None). Raises SystemExit with the command's output when it fails.
    """
    started = time.perf_counter()
    process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if not sample:
        output, _ = process.communicate()
        seconds = time.perf_counter() - started
        if process.returncode != 0:
            raise SystemExit(f"failed ({process.returncode}): {' '.join(cmd)}\n{output[-3000:]}")
        return {"seconds": seconds, "peak_mib": None, "peak_process_mib": None, "output": output}
    peak = {"tree": 0, "process": 0}
    done = threading.Event()

    def sample() -> None:
        root = psutil.Process(process.pid)
        while not done.is_set():
            try:
                sizes = []
                for member in [root, *root.children(recursive=True)]:
                    try:
                        sizes.append(member.memory_info().rss)
                    except psutil.Error:
                        pass
                peak["tree"] = max(peak["tree"], sum(sizes))
                peak["process"] = max(peak["process"], max(sizes, default=0))
            except psutil.Error:
                pass
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    done.set()
    sampler.join()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"failed ({process.returncode}): {' '.join(cmd)}\n{output[-3000:]}")
    return {"seconds": seconds, "peak_mib": peak["tree"] / MIB, "peak_process_mib": peak["process"] / MIB,
            "output": output}
