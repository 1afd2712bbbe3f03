"""Where the build's work runs: this machine's process pool (the default), or a Dask distributed cluster.

``transparency build --agencies GLOB --period P --scheduler ADDRESS`` sends the notebook runs (agency x
section x quarter) and the parts of each report's PDF to a Dask cluster (``dask scheduler`` and ``dask
worker``, or any cluster a user runs: Kubernetes, SLURM through dask-jobqueue); ``--scheduler local`` starts
a :class:`distributed.LocalCluster` on this machine. Everything else stays where it is on one machine, in the
process that runs the command: reading agency.yml, the keys that decide what is unchanged (checked before any
task is sent, so an unchanged section is never sent), reading the raw files into the cache, assembling the
report, the audit, the personal-data scan and the atomic swap into ``reports/<agency>/<period>/``.

The unit of work is what :func:`transparency.building.execute.run_notebooks` runs on one machine: one
:class:`~transparency.building.execute.NotebookJob`. On a worker, :func:`notebook_task` runs it through
``run_notebooks([job], workers=1)``: in a fresh process forked from the worker's own warm server, within the
job's time limit, with its stderr removed and its paths written as published, so a notebook's output is the
same bytes on a cluster as on one machine. A report's PDF parts are drawn one task per part
(:func:`transparency.rendering.pdfparts.start_pdf` with ``place``), merged here.

Why a task starts a process of its own although a Dask worker process is daemonic (a daemonic process may
not start children with :mod:`multiprocessing`): a notebook must run in a fresh process (nothing may leak
from one section to the next), and be killed at its time limit. The task therefore clears the worker
process's daemon flag (:func:`_allow_children`); the children it starts are ended by the task itself (at
the time limit, or when the task fails), and each notebook process is told by the kernel to die with its
parent (``PR_SET_PDEATHSIG``), so a worker that is lost leaves no notebook running that could still write
beside the retried one.

A lost worker's tasks are run again on another worker by the scheduler; a task is idempotent: it deletes
its outputs first and writes the same bytes (every output is deterministic, see
:func:`transparency.building.execute.kernel_environment`). Inputs and outputs must be on storage every worker sees,
at the same absolute paths (see the README, "Many agencies on a cluster").
"""

from __future__ import annotations

import concurrent.futures
import functools
import multiprocessing
import os
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transparency.core.errors import UsageError
from transparency.core.processes import FutureTask

from .execute import KERNEL_NAME, NotebookJob, NotebookResult, ProgressCallback

#: The environment variables a task takes from the command that sent it (where the cache, the keys and
#: the project are; the PDF's date), so that a worker reads and writes what this machine would.
FORWARDED = ("TRANSPARENCY_ROOT", "TRANSPARENCY_CACHE_DIR", "TRANSPARENCY_KEYS_DIR", "TRANSPARENCY_RAW_ROOTS",
             "SOURCE_DATE_EPOCH")
#: Set in a notebook process started by a task: it dies with the process that started it.
DIE_WITH_PARENT = "TRANSPARENCY_DIE_WITH_PARENT"
#: ``--scheduler local``: a LocalCluster on this machine.
LOCAL = "local"
#: How long to try to reach a scheduler.
CONNECT_TIMEOUT = "20s"


@dataclass
class Cluster:
    """A connection to a Dask cluster: where tasks are submitted (``executor``), and what to tell the user."""

    client: Any
    executor: concurrent.futures.Executor
    address: str
    dashboard: str | None
    local: Any = None  # the LocalCluster this process started, closed with it
    sent: Counter = field(default_factory=Counter)  # tasks submitted, by kind ("notebook", "pdf part")
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def threads(self) -> int:
        """Tasks the cluster runs at once now (the workers' threads)."""
        try:
            return max(1, sum(self.client.nthreads().values()))
        except Exception:  # noqa: BLE001 - a lost connection is reported by the tasks
            return 1

    def submit(self, function: Callable[..., Any], *args: Any, name: str = "task",
               kind: str = "task") -> concurrent.futures.Future:
        """Run ``function(*args)`` on a worker; the task's key starts with ``name`` (shown on the dashboard);
        ``kind`` is what :attr:`sent` counts it as."""
        with self._lock:
            self.sent[kind] += 1
        return self.executor.submit(function, *args, key=f"{name}-{uuid.uuid4().hex[:12]}")

    def sent_words(self) -> str:
        """What was sent to the cluster, for the terminal: "12 notebooks and 40 PDF parts"."""
        with self._lock:
            notebooks, parts = self.sent["notebook"], self.sent["pdf part"]
        return f"{notebooks} notebook{'s' * (notebooks != 1)} and {parts} PDF part{'s' * (parts != 1)}"

    def close(self) -> None:
        self.executor.shutdown(wait=False)
        self.client.close()
        if self.local is not None:
            self.local.close()


def connect(address: str, workers: int | None = None, say: Callable[[str], None] = print) -> Cluster:
    """Connect to the scheduler at ``address`` (``tcp://host:8786``, or a scheduler file's path), or start a
    LocalCluster of ``workers`` single-threaded worker processes (default one per core) for ``"local"``.

    Raises UsageError (exit 2) when the scheduler cannot be reached, naming the address.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - a requirement
        raise UsageError(f"--scheduler needs dask[distributed] ({exc}); install requirements.txt") from None
    from .execute import cores

    local = None
    try:
        if address == LOCAL:
            local = LocalCluster(n_workers=workers or cores(), threads_per_worker=1, processes=True,
                                 dashboard_address=":0")
            client = Client(local)
        elif Path(address).is_file():
            client = Client(scheduler_file=address, timeout=CONNECT_TIMEOUT)
        else:
            client = Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        if local is not None:
            local.close()
        raise UsageError(f"--scheduler {address}: cannot reach the Dask scheduler ({exc}). Start one with "
                         "`dask scheduler`, and workers with `dask worker ADDRESS --nthreads 1`.") from None
    cluster = Cluster(client, client.get_executor(pure=False), client.scheduler.address,
                      _dashboard(client), local)
    say(f"Dask scheduler {cluster.address}: {len(client.nthreads())} workers, {cluster.threads} threads"
        + (f"; dashboard {cluster.dashboard}" if cluster.dashboard else ""))
    return cluster


def _dashboard(client: Any) -> str | None:
    """The dashboard's address, when the scheduler serves one (it needs bokeh, which is not a requirement)."""
    try:
        if "dashboard" not in client.scheduler_info().get("services", {}):
            return None
        return client.dashboard_link or None
    except Exception:  # noqa: BLE001 - no dashboard
        return None


# ----------------------------------------------------------------------------------------------
# On a worker
# ----------------------------------------------------------------------------------------------


def _allow_children() -> None:
    """Let this (daemonic) Dask worker process start the notebook's process (see the module's description)."""
    process = multiprocessing.current_process()
    if process.daemon:
        try:
            process.daemon = False
        except AssertionError:  # a process object that was started here: set its configuration
            process._config["daemon"] = False


@functools.lru_cache(maxsize=1)
def _package() -> str:
    from transparency.core.incremental import package_sha256

    return package_sha256()


def notebook_task(job: NotebookJob, kernel_name: str, variables: dict[str, str], engine: str,
                  package: str) -> NotebookResult:
    """Run one notebook on this worker, as :func:`~transparency.building.execute.run_notebooks` runs it on one machine.

    ``package`` is the sha256 of the sending machine's package: a worker running other code would publish
    sections the keys do not describe, so it fails the notebook, saying so.
    """
    from .execute import run_notebooks

    if _package() != package:
        return NotebookResult(job.dataset, "failed", "RuntimeError: this Dask worker runs another version of the "
                              f"transparency package (sha256 {_package()[:12]}, the build's is {package[:12]}); "
                              "install the same version on every worker", 0.0, job.output)
    _allow_children()
    environment = {**variables, DIE_WITH_PARENT: "1"}
    return run_notebooks([job], workers=1, kernel_name=kernel_name, engine=engine, environment=environment)[0]


# ----------------------------------------------------------------------------------------------
# On the machine that runs the command
# ----------------------------------------------------------------------------------------------


def forwarded_variables() -> dict[str, str]:
    """The variables of :data:`FORWARDED` as this process sees them, the cache and key folders made absolute."""
    from transparency.core.incremental import cache_root
    from transparency.core.keys import keys_dir

    found = {name: os.environ[name] for name in FORWARDED if name in os.environ}
    found["TRANSPARENCY_CACHE_DIR"] = str(cache_root().absolute())
    found["TRANSPARENCY_KEYS_DIR"] = str(keys_dir().absolute())
    return found


def check_absolute(job: NotebookJob) -> None:
    """A worker has another current folder: every path a task is given must be absolute."""
    paths = [job.source, job.output, job.fragment, (job.page or {}).get("path")]
    paths += [job.parameters[k] for k in ("agency", "output_dir") if isinstance(job.parameters.get(k), str)]
    relative = [str(p) for p in paths if p is not None and not Path(p).is_absolute()]
    if relative:
        raise ValueError(f"{job.dataset}: a task for a Dask worker names relative paths: {', '.join(relative)}")


def run_notebooks_on(place: Cluster, jobs: Iterable[NotebookJob], progress: ProgressCallback | None = None,
                     kernel_name: str = KERNEL_NAME, engine: str = "inprocess", name: str = "notebook") -> list[NotebookResult]:
    """:func:`~transparency.building.execute.run_notebooks` on a cluster: each job a task; results in the order of ``jobs``.

    Never raises for a notebook: a task the cluster could not run (its workers died too often, the
    connection was lost) is a failed result saying why. ``progress`` is told ``queued``, ``running`` (sent to
    the cluster) and ``done`` or ``failed`` with the notebook's own seconds. Interrupted, the tasks not yet
    finished are cancelled.
    """
    from .execute import _notify

    jobs = list(jobs)
    for job in jobs:
        check_absolute(job)
        _notify(progress, job.dataset, "queued", 0.0)
    variables, package = forwarded_variables(), _package()
    futures: dict[concurrent.futures.Future, int] = {}
    for index, job in enumerate(jobs):
        future = place.submit(notebook_task, job, kernel_name, variables, engine, package,
                              name=f"{name}-{job.dataset}", kind="notebook")
        futures[future] = index
        _notify(progress, job.dataset, "running", 0.0)
    results: list[NotebookResult | None] = [None] * len(jobs)
    try:
        for future in concurrent.futures.as_completed(futures):
            job = jobs[futures[future]]
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - e.g. distributed's KilledWorker
                result = NotebookResult(job.dataset, "failed", f"the Dask cluster could not run the notebook: "
                                        f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                                        0.0, job.output)
            results[futures[future]] = result
            _notify(progress, job.dataset, "done" if result.ok else "failed", result.seconds)
    finally:
        for future in futures:
            if not future.done():
                future.cancel()
    return [r for r in results if r is not None]


__all__ = ["Cluster", "FutureTask", "LOCAL", "connect", "forwarded_variables", "notebook_task", "run_notebooks_on"]
