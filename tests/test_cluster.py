"""`build --agencies GLOB --scheduler ADDRESS`: the build on a real Dask distributed cluster (issue 20, items 2 and 5).

The cluster is real: a `dask scheduler` and two `dask worker` processes started here as separate processes,
talking TCP on localhost (random free ports, one thread each). Nothing is mocked: the notebooks and the PDF
parts of three generated agencies run on those workers, one worker is killed mid-build, and every report
must still be published, the same bytes as a build of the same agencies on this machine alone.

Every Dask client runs in a process of its own (the build command, a one-line waiter): a client leaves a
thread running in its process for good (distributed's offload thread), which other tests of this process
would see (test_execute checks that no other thread runs).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from transparency import cli
from transparency.sample import write_agency

REPO = Path(__file__).resolve().parents[1]
THROUGH = "2026Q3"
DATASETS = "arrests,calls_for_service,citations"
TOWNS = (("town-a", 1), ("town-b", 4), ("town-c", 3))


def _wait_for(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


class LocalhostCluster:
    """A scheduler and workers as separate processes (each its own process group), ended by :meth:`close`."""

    def __init__(self, folder: Path, workers: int):
        self.folder = folder
        self.env = {**os.environ, "PYTHONPATH": str(REPO), "DASK_DISTRIBUTED__LOGGING__DISTRIBUTED": "error"}
        self.processes: list[subprocess.Popen] = []
        scheduler_file = folder / "scheduler.json"
        self.scheduler = self._start(["scheduler", "--host", "127.0.0.1", "--port", "0", "--dashboard-address", ":0",
                                      "--scheduler-file", str(scheduler_file)], "scheduler")
        self.address = _wait_for(lambda: scheduler_file.is_file() and json.loads(scheduler_file.read_text() or "{}")
                                 .get("address"), 60, "the scheduler's address")
        self.workers = [self._start(["worker", self.address, "--nthreads", "1", "--nworkers", "1", "--host", "127.0.0.1",
                                     "--no-dashboard", "--death-timeout", "60", "--name", f"worker-{i}"], f"worker-{i}")
                        for i in range(workers)]
        subprocess.run([sys.executable, "-c", "import sys; from distributed import Client; "
                        "Client(sys.argv[1], timeout='30s').wait_for_workers(int(sys.argv[2]), timeout=60)",
                        self.address, str(workers)], env=self.env, check=True, timeout=120, capture_output=True)

    def _start(self, arguments: list[str], name: str) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "w")  # noqa: SIM115 - closed with the process's end
        process = subprocess.Popen([sys.executable, "-m", "dask", *arguments], env=self.env, cwd=self.folder,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(process)
        return process

    def close(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)


@pytest.fixture
def cluster(tmp_path):
    folder = tmp_path / "cluster"
    folder.mkdir()
    started = LocalhostCluster(folder, workers=2)
    yield started
    started.close()


def _generate(root: Path) -> None:
    from transparency.core.keys import create_key

    for slug, seed in TOWNS:
        write_agency(root, slug, seed, 0.1, through=THROUGH, years=2)
        create_key(slug)


def _use(monkeypatch, root: Path, keys: Path) -> None:
    monkeypatch.setenv("TRANSPARENCY_ROOT", str(root))
    monkeypatch.setenv("TRANSPARENCY_CACHE_DIR", str(root / "cache"))
    monkeypatch.setenv("TRANSPARENCY_KEYS_DIR", str(keys))


def _build(*extra: str) -> int:
    return cli.main(["build", "--agencies", "town-*", "--period", THROUGH, "--datasets", DATASETS, *extra])


def _build_on(address: str, root: Path, keys: Path) -> subprocess.CompletedProcess:
    """`transparency build --agencies town-* --scheduler ADDRESS` as a command of its own."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "TRANSPARENCY_ROOT": str(root), "TRANSPARENCY_KEYS_DIR": str(keys),
           "TRANSPARENCY_CACHE_DIR": str(root / "cache")}
    return subprocess.run([sys.executable, "-m", "transparency.cli", "build", "--agencies", "town-*", "--period", THROUGH,
                           "--datasets", DATASETS, "--scheduler", address], env=env, cwd=root, capture_output=True,
                          text=True, timeout=600)


def _published(report: Path) -> dict[str, bytes]:
    """Every published file's bytes, but what differs between any two runs on one machine too: manifest.json's
    timings, and in the executed notebooks papermill's clock times and the id it gives its injected cell."""
    files = {p.relative_to(report).as_posix(): p.read_bytes() for p in sorted(report.rglob("*")) if p.is_file()}
    manifest = json.loads(files.pop("manifest.json"))
    for entry in manifest.get("datasets", {}).values():
        entry.pop("notebook_seconds", None)
    manifest.pop("timings_seconds", None)
    files["manifest.json"] = json.dumps(manifest, sort_keys=True).encode()
    for name in [n for n in files if n.endswith(".ipynb")]:
        notebook = json.loads(files[name])
        for record in [notebook["metadata"], *(cell["metadata"] for cell in notebook["cells"])]:
            for clock in ("start_time", "end_time", "duration"):
                record.get("papermill", {}).pop(clock, None)
        for cell in notebook["cells"]:
            if "injected-parameters" in cell["metadata"].get("tags", []):
                cell.pop("id", None)
        files[name] = json.dumps(notebook, sort_keys=True).encode()
    return files


def _kill_a_busy_worker_once_a_task_finished(root: Path, cluster: LocalhostCluster, record: dict) -> None:
    """Wait until a notebook of the build has finished (its section's HTML is written), then kill (SIGKILL)
    the worker running a notebook now, nanny and worker process, as a machine that is lost."""
    _wait_for(lambda: list((root / "reports").glob(f"*/.{THROUGH}-building-*/sections/*.html")), 240,
              "the first finished notebook")
    trees = {worker: psutil.Process(worker.pid).children(recursive=True) for worker in cluster.workers}
    busy = max(cluster.workers, key=lambda w: len(trees[w]))  # the one with a notebook process under it
    record["descendants"] = [p for p in trees[busy] if p.is_running()]
    for process in [psutil.Process(busy.pid), *psutil.Process(busy.pid).children()]:  # nanny and worker only
        process.kill()
    record["killed"] = busy
    record["at"] = time.monotonic()


def test_build_on_two_workers_survives_a_lost_worker_and_matches_one_machine(tmp_path, monkeypatch, cluster, capsys):
    """Three agencies through a real scheduler and two real workers (TCP on localhost); one worker is killed
    once the first notebook has finished; every report is still published, file for file the same bytes as a
    build of the same agencies on this machine alone; the lost worker leaves no notebook process behind; and
    the build, run again, sends no task at all (every agency is up to date)."""
    keys = tmp_path / "keys"
    single, distributed = tmp_path / "single", tmp_path / "distributed"
    monkeypatch.setenv("TRANSPARENCY_KEYS_DIR", str(keys))
    _generate(single)
    shutil.copytree(single / "data", distributed / "data")  # the same agencies (and keys) built twice

    _use(monkeypatch, single, keys)
    assert _build("--jobs", "2") == 0

    record: dict = {}
    killer = threading.Thread(target=_kill_a_busy_worker_once_a_task_finished, args=(distributed, cluster, record),
                              daemon=True)
    killer.start()
    started = time.monotonic()
    done = _build_on(cluster.address, distributed, keys)
    finished = time.monotonic()
    killer.join(5)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr

    assert record.get("killed") is not None and started < record["at"] < finished, "the worker was not killed mid-build"
    assert record["killed"].wait(10) is not None
    # A notebook process that the lost worker had started ends with it (it would write beside the retried one).
    _wait_for(lambda: not [p for p in record["descendants"] if p.is_running() and p.status() != psutil.STATUS_ZOMBIE],
              20, "the lost worker's processes to end")
    assert f"Dask scheduler {cluster.address}: 2 workers" in out
    # The notebooks (agency x section x quarter) and the PDFs' parts were the cluster's tasks: each PDF has
    # the front matter, the furniture, the three sections and the back matter at least.
    sent = re.search(r"Sent to the Dask cluster: (\d+) notebooks and (\d+) PDF parts", out)
    assert sent and int(sent[1]) == len(TOWNS) * len(DATASETS.split(","))
    assert int(sent[2]) >= len(TOWNS) * (len(DATASETS.split(",")) + 3)
    for slug, _seed in TOWNS:
        assert f"{slug}: ok" in out  # the per-agency progress line
        one, many = single / "reports" / slug / THROUGH, distributed / "reports" / slug / THROUGH
        assert (many / "report.pdf").is_file() and (many / "report.html").is_file()
        mine, theirs = _published(many), _published(one)
        assert sorted(mine) == sorted(theirs)
        assert [name for name in mine if mine[name] != theirs[name]] == []
    assert "3 agencies: 3 built, up to date or skipped, 0 failed" in out
    assert not list((distributed / "reports").rglob(".*-building-*"))

    # Run again with nothing changed: every agency is skipped before any task is sent.
    again = _build_on(cluster.address, distributed, keys)
    assert again.returncode == 0, again.stdout + again.stderr
    assert all(f"{slug}: up_to_date" in again.stdout for slug, _ in TOWNS)
    assert "Sent to the Dask cluster: 0 notebooks and 0 PDF parts" in again.stdout


def _die_with_parent_then_sleep() -> None:  # the grandchild of test_a_notebook_process_dies_with_its_parent
    from transparency.building.execute import _die_with_parent

    _die_with_parent()
    time.sleep(120)


def test_a_notebook_process_dies_with_its_parent(tmp_path):
    """A notebook process started by a task asks to die with the process that started it (on a lost worker, the
    fork server): a process in the middle is killed, and its child, which would sleep two minutes, ends."""
    script = tmp_path / "middle.py"
    script.write_text(
        "import multiprocessing, sys, time\n"
        f"sys.path.insert(0, {str(REPO)!r}); sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from test_cluster import _die_with_parent_then_sleep\n"
        "if __name__ == '__main__':\n"
        "    child = multiprocessing.get_context('fork').Process(target=_die_with_parent_then_sleep)\n"
        "    child.start()\n"
        "    print(child.pid, flush=True)\n"
        "    time.sleep(120)\n", encoding="utf-8")
    middle = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        child = psutil.Process(int(middle.stdout.readline()))
        time.sleep(0.5)  # the child has made its request
        assert child.is_running()
        middle.kill()
        middle.wait(10)
        _wait_for(lambda: not child.is_running() or child.status() == psutil.STATUS_ZOMBIE, 10, "the child to end")
    finally:
        if middle.poll() is None:
            middle.kill()


def test_unreachable_scheduler_is_a_usage_error_naming_it(tmp_path):
    """No scheduler at the address: exit 2, the address named, no traceback, nothing built. (A command of its
    own: a client that tried to connect leaves its event loop's thread in the process.)"""
    import socket

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    write_agency(tmp_path, "town-a", 1, 0.05, through=THROUGH, years=1)
    env = {**os.environ, "PYTHONPATH": str(REPO), "TRANSPARENCY_ROOT": str(tmp_path),
           "TRANSPARENCY_KEYS_DIR": str(tmp_path / "keys"), "TRANSPARENCY_CACHE_DIR": str(tmp_path / "cache")}
    command = ("import sys; from transparency import cli; from transparency.building import cluster; cluster.CONNECT_TIMEOUT = '2s'; "
               "sys.exit(cli.main(sys.argv[1:]))")
    done = subprocess.run([sys.executable, "-c", command, "build", "--agencies", "town-*", "--period", THROUGH,
                           "--scheduler", f"tcp://127.0.0.1:{port}"], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2
    assert f"tcp://127.0.0.1:{port}" in done.stderr and "cannot reach the Dask scheduler" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "reports").exists()


def test_tasks_name_absolute_paths_and_agencies_at_once():
    from transparency.building.cluster import check_absolute
    from transparency.building.execute import NotebookJob
    from transparency.building.many import agencies_at_once

    good = NotebookJob("arrests", Path("/n/arrests.ipynb"), Path("/r/x/notebooks/arrests.ipynb"),
                       {"agency": "/d/town-a", "output_dir": "/r/x"}, fragment=Path("/r/x/sections/arrests.html"))
    check_absolute(good)
    bad = NotebookJob("arrests", Path("/n/arrests.ipynb"), Path("reports/x/notebooks/arrests.ipynb"),
                      {"agency": "data/town-a", "output_dir": "/r/x"})
    with pytest.raises(ValueError, match="reports/x/notebooks/arrests.ipynb, data/town-a"):
        check_absolute(bad)
    assert agencies_at_once(threads=2, agencies=50) == 2
    assert agencies_at_once(threads=16, agencies=50) == 16
    assert agencies_at_once(threads=16, agencies=3) == 3
    assert agencies_at_once(threads=1, agencies=1) == 1
