"""Run the dataset notebooks with papermill: in parallel, each in a process of its own, within a time limit.

The public API is :func:`ensure_kernel`, :func:`warm_up`, :class:`NotebookJob`, :class:`NotebookResult`
and :func:`run_notebooks`. The build calls it like this::

    warm_up()  # optional: starts the warm worker server while the caller does other work
    jobs = [NotebookJob("stops", Path("notebooks/stops.ipynb"), out / "notebooks/stops.ipynb",
                        {"agency": "sample", "period": "2025Q3"}, timeout=600)]
    results = run_notebooks(jobs, workers=2, progress=print)
    failed = [r for r in results if r.status == "failed"]

How a notebook is run, and why:

* Each notebook runs in its own worker process, which calls ``papermill.execute_notebook``. At most
  ``workers`` run at once. A worker that runs past its time limit is killed (with its kernel, if it
  has one), so a time limit is a real wall-clock limit for the whole notebook, and one hung,
  crashed or failing notebook never stops the others.
* Two engines run the cells (``engine=``):

  - ``"inprocess"`` (the default): papermill with :class:`transparency.building.engine.InProcessEngine`,
    which runs the cells in the worker's own IPython shell. Workers are forked from a server
    that has already imported pandas, matplotlib, SciPy and this package
    (:mod:`transparency.building.preload`), so a notebook starts in milliseconds, not the two seconds a
    kernel's start and imports take; each still runs in a fresh process, so nothing leaks from
    one notebook to the next. The outputs are those a kernel gives (a test compares them).
  - ``"kernel"``: papermill's own engine with a Jupyter kernel, the one registered by
    :func:`ensure_kernel` under an explicit name; the kernel specs of this interpreter's prefix
    are searched first, so a ``python3`` (or same-named) kernel spec found through
    ``JUPYTER_PATH`` or the user's directory cannot take over a build. The kernel talks over IPC
    sockets, which avoids ipykernel's warning about unencrypted TCP. Slower; kept to check that
    a notebook runs the same in Jupyter as in the build.

* The environment (see :func:`kernel_environment`) makes charts appear whatever ``MPLBACKEND``
  says (it is set to the inline backend; ``transparency.writing.charts.show`` does not depend on the
  backend at all), ignores warnings (``PYTHONWARNINGS=ignore``), fixes ``PYTHONHASHSEED`` so that
  set and dict orders, hence outputs, are the same from run to run (the warm server is started
  with it, and forked workers inherit it), and puts this package first on ``PYTHONPATH`` so
  notebooks import the code that runs the build.
* Source notebooks are only read; papermill writes the parameterized, executed copy to the job's
  ``output``. Afterwards every ``stderr`` stream output is removed from that copy (IPython shows
  some warnings even with warnings ignored), so the report never shows one; the removed text is
  kept in :attr:`NotebookResult.stderr` for the build log.
* A parameter the notebook does not declare in its ``parameters`` cell fails the notebook (papermill
  only warns, and a misspelt ``perid`` would silently build the default quarter).
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from transparency.core.processes import (  # re-exported: the notebook runs' names
    _KILL_GRACE,
    Background,
    BackgroundError,
    _kill_tree,
    cores,
    kernel_environment,
    warm_up,
)

__all__ = [
    "ENGINES",
    "Background",
    "BackgroundError",
    "KERNEL_NAME",
    "NotebookJob",
    "NotebookResult",
    "ensure_kernel",
    "kernel_environment",
    "run_notebooks",
    "warm_up",
]

#: The kernel name used for builds.
KERNEL_NAME = "transparency"
#: The ways to run a notebook's cells; the first is the default.
ENGINES = ("inprocess", "kernel")
#: Seconds a killed worker gets to exit before SIGKILL.


log = logging.getLogger(__name__)

#: progress(dataset, state, seconds); state is one of "queued", "running", "done", "failed".
ProgressCallback = Callable[[str, str, float], None]


@dataclass(frozen=True)
class NotebookJob:
    """One notebook to run.

    Attributes
    ----------
    dataset : str
        The dataset name (also the name reported to ``progress``).
    source : Path
        The notebook to run; never modified.
    output : Path
        Where the executed copy is written (parent folders are created).
    parameters : dict
        Values for the notebook's ``parameters`` cell (passed as Python values, no type guessing).
    timeout : int
        Wall-clock limit in seconds for the whole notebook, kernel start included.
    fragment : Path, optional
        Where to write the section's HTML fragment
        (:func:`transparency.rendering.render.notebook_section_html`) after a successful run: the worker
        converts its own notebook, so conversions run in parallel too.
    public_paths : dict, optional
        Folders (absolute) and what the executed notebook says instead, e.g. the build's staging
        folder -> ``reports/sample/2025Q3``. papermill records the run's paths and parameters in
        the notebook's metadata and in its injected-parameters cell; a published notebook would
        otherwise show the machine's folders (a home folder names its user).
    page : dict, optional
        ``{"path", "title", "context"}``: with ``fragment``, also write the section's own page
        (:func:`transparency.rendering.render.section_page` of the fragment) to ``path``, in the worker too.
    """

    dataset: str
    source: Path
    output: Path
    parameters: dict[str, Any] = field(default_factory=dict)
    timeout: int = 600
    fragment: Path | None = None
    public_paths: dict[str, str] = field(default_factory=dict)
    page: dict[str, str] | None = None


@dataclass(frozen=True)
class NotebookResult:
    """What happened to one :class:`NotebookJob`.

    Attributes
    ----------
    dataset : str
    status : str
        ``"ok"`` or ``"failed"``.
    error : str or None
        One readable line when failed: the exception type and message, and the failing cell's
        first line, e.g. ``ValueError: no data for 2025Q3 (in the cell starting: df = load(...))``.
    seconds : float
        Wall-clock time from the worker's start to its end.
    output : Path
        The executed notebook (may be partial, or missing if the run never started, when failed).
    stderr : str
        Text removed from the executed notebook's stderr streams, for the build log (never shown
        in the report).
    """

    dataset: str
    status: str
    error: str | None
    seconds: float
    output: Path
    stderr: str = ""

    @property
    def ok(self) -> bool:
        """True when the notebook ran to the end without an error."""
        return self.status == "ok"


# ----------------------------------------------------------------------------------------------
# Kernel
# ----------------------------------------------------------------------------------------------


def _kernels_dir() -> Path:
    return Path(sys.prefix) / "share" / "jupyter" / "kernels"


def ensure_kernel(name: str = KERNEL_NAME) -> str:
    """Register this interpreter's ipykernel as kernel ``name`` in ``sys.prefix`` if it is missing.

    Equivalent to ``python -m ipykernel install --sys-prefix --name <name>``, done in-process. When
    the kernel spec exists and points at this interpreter it returns at once (a file read).

    Returns
    -------
    str
        The kernel name, to pass to papermill.
    """
    spec_file = _kernels_dir() / name / "kernel.json"
    try:
        spec = json.loads(spec_file.read_text(encoding="utf-8"))
        if spec.get("argv", [None])[0] == sys.executable:
            return name
    except (OSError, ValueError):
        pass
    from ipykernel.kernelspec import install

    install(kernel_name=name, display_name="Python (transparency reports)", prefix=sys.prefix)
    log.info("registered kernel %r in %s", name, _kernels_dir())
    return name


# ----------------------------------------------------------------------------------------------
# One notebook (runs in a worker process)
# ----------------------------------------------------------------------------------------------


def _first_line(text: str, limit: int = 160) -> str:
    for line in str(text).splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= limit else line[: limit - 3] + "..."
    return ""


def _describe_cell(source: str) -> str:
    first = _first_line(source, 80)
    return f" (in the cell starting: {first})" if first else ""


def _public(text: str, paths: dict[str, str]) -> str:
    """``text`` with each folder of ``paths`` (the longest first) written as its public name."""
    for folder in sorted(paths, key=len, reverse=True):
        text = text.replace(folder, paths[folder])
    return text


def clean_executed_notebook(path: Path, public_paths: dict[str, str] | None = None) -> tuple[str, dict[str, Any] | None]:
    """Remove stderr stream outputs from an executed notebook, in place, and write the folders
    papermill recorded (its metadata and the injected-parameters cell) as ``public_paths`` says.

    Returns
    -------
    (str, dict or None)
        The removed text, and where the run stopped when a cell did not complete
        (``{"cell": position counting from 1, "source": the cell's source}``) or None.
    """
    import nbformat

    notebook = nbformat.read(str(path), as_version=4)
    removed: list[str] = []
    stopped = None
    for index, cell in enumerate(notebook.cells):
        status = cell.get("metadata", {}).get("papermill", {}).get("status")
        if status == "running" and stopped is None:
            stopped = {"cell": index + 1, "source": cell.get("source", "")}
        if cell.get("cell_type") != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                removed.append(output.get("text", ""))
            else:
                kept.append(output)
        cell["outputs"] = kept
    if public_paths:
        record = notebook.metadata.get("papermill", {})
        for name in ("input_path", "output_path"):
            if isinstance(record.get(name), str):
                record[name] = _public(record[name], public_paths)
        for name, value in dict(record.get("parameters") or {}).items():
            if isinstance(value, str):
                record["parameters"][name] = _public(value, public_paths)
        for cell in notebook.cells:
            if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
                cell["source"] = _public(cell.get("source", ""), public_paths)
    changed = bool(removed or public_paths)
    if changed:
        nbformat.write(notebook, str(path))
    return "".join(removed), stopped


def _unknown_parameters(source: Path, parameters: dict[str, Any]) -> str | None:
    if not parameters:
        return None
    import papermill

    declared = papermill.inspect_notebook(str(source))
    unknown = sorted(set(parameters) - set(declared))
    if not unknown:
        return None
    if not declared:
        return f"the notebook has no 'parameters' cell, so it cannot take {', '.join(unknown)}"
    return (
        f"the notebook's parameters cell does not declare {', '.join(unknown)} "
        f"(it declares {', '.join(sorted(declared))})"
    )


def _kernel_arguments(ipc_dir: str) -> dict[str, Any]:
    """papermill's arguments for running on a kernel that talks over IPC sockets in ``ipc_dir``."""
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    socket_prefix = str(Path(ipc_dir) / "kernel")

    class IPCKernelManager(AsyncKernelManager):
        """A kernel manager whose kernel talks over IPC sockets (no unencrypted-TCP warning).

        The sockets live in a folder of this job's own: jupyter_client's default names them
        ``kernel-ipc-N`` in the working directory, where two kernels would share them.
        """

        @default("transport")
        def _transport_default(self) -> str:
            return "ipc"

        @default("ip")
        def _ip_default(self) -> str:
            return socket_prefix

    Path(ipc_dir).mkdir(parents=True, exist_ok=True)
    return {"kernel_manager_class": IPCKernelManager, "shutdown_kernel": "immediate"}


#: Most runs of one notebook in a build: a section whose tables hide a headline figure that its
#: metrics would publish asks for another pass, with the figure hidden from the start (see
#: :meth:`transparency.sections.section.Section.save`); one more pass is the usual most.
PASSES = 4


def _asks_another_pass(job: dict[str, Any]) -> bool:
    """Whether the notebook's section, just run, asks to be run again (its facts' ``rerun``)."""
    output_dir = job["parameters"].get("output_dir")
    if not output_dir:
        return False
    facts = Path(output_dir) / "sections" / f"{job['dataset']}.json"
    try:
        return bool(json.loads(facts.read_text(encoding="utf-8")).get("rerun"))
    except (OSError, ValueError):
        return False


def _execute(job: dict[str, Any], kernel_name: str, engine: str = "inprocess") -> dict[str, Any]:
    """Run one notebook in this process; return ``{"status", "error", "stderr"}`` (never raises)."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    source, output = Path(job["source"]), Path(job["output"])
    # A copy left by an earlier run must not pass for this run's.
    output.unlink(missing_ok=True)
    error = None
    try:
        problem = _unknown_parameters(source, job["parameters"])
        if problem:
            error = f"ValueError: {problem}"
        else:
            output.parent.mkdir(parents=True, exist_ok=True)
            if engine == "kernel":
                how = _kernel_arguments(job["ipc_dir"])
            else:
                from .engine import ENGINE_NAME

                how = {"engine_name": ENGINE_NAME}
            for _ in range(PASSES):
                papermill.execute_notebook(
                    str(source),
                    str(output),
                    parameters=job["parameters"],
                    kernel_name=kernel_name,
                    progress_bar=False,
                    log_output=False,
                    start_timeout=min(60, job["timeout"]),
                    execution_timeout=job["timeout"],
                    cwd=str(source.parent),
                    **how,
                )
                if not _asks_another_pass(job):
                    break
            else:
                error = (f"RuntimeError: the section still hid new figures after {PASSES} passes "
                         "(see Section.save); please report this notebook")
    except PapermillExecutionError as exc:
        message = _first_line(exc.evalue) or "(no message)"
        error = f"{exc.ename}: {message}" + _describe_cell(exc.source)
    except Exception as exc:  # a dead kernel, an unreadable notebook, a cell time-out...
        error = f"{type(exc).__name__}: {_first_line(str(exc)) or '(no message)'}"
    stderr = ""
    if output.exists():
        try:
            stderr, _ = clean_executed_notebook(output, job.get("public_paths"))
        except Exception as exc:  # noqa: BLE001 - report, do not crash the worker
            error = error or f"{type(exc).__name__}: cannot clean the executed notebook: {exc}"
    if not error and job.get("fragment"):
        from transparency.core.errors import TransparencyError
        from transparency.rendering.render import notebook_section_html, section_page

        try:
            html = notebook_section_html(output, job["dataset"])
        except TransparencyError as exc:
            error = str(exc)
        else:
            Path(job["fragment"]).parent.mkdir(parents=True, exist_ok=True)
            Path(job["fragment"]).write_text(html, encoding="utf-8")
            page = job.get("page")
            if page:
                Path(page["path"]).write_text(section_page(html, page["title"], context=page["context"]),
                                              encoding="utf-8")
    return {"status": "failed" if error else "ok", "error": error, "stderr": stderr}


def _die_with_parent() -> None:
    """Ask Linux to kill this process when the one that started it ends (a Dask worker that is lost must
    leave no notebook running; see :mod:`transparency.building.cluster`). Elsewhere, nothing."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - no prctl
        pass
    if os.getppid() == 1:  # the parent ended before the request: end now
        os._exit(1)


def _worker(job: dict[str, Any], kernel_name: str, env: dict[str, str], conn: Any, engine: str = "inprocess") -> None:
    """Entry point of a worker process: set the environment, run, send the result back."""
    os.environ.clear()
    os.environ.update(env)
    if env.get("TRANSPARENCY_DIE_WITH_PARENT") == "1":
        _die_with_parent()
    logging.getLogger("papermill").setLevel(logging.ERROR)
    try:
        result = _execute(job, kernel_name, engine)
    except BaseException as exc:  # noqa: BLE001 - the parent must always get an answer
        result = {"status": "failed", "error": f"{type(exc).__name__}: {_first_line(str(exc))}",
                  "stderr": ""}
    conn.send(result)
    conn.close()


# ----------------------------------------------------------------------------------------------
# Many notebooks
# ----------------------------------------------------------------------------------------------


def _context() -> multiprocessing.context.BaseContext:
    """How to start workers: fork when it is safe, else a fork server, else spawn.

    ``fork`` needs no ``if __name__ == "__main__":`` guard in the calling script and starts a worker
    in milliseconds with papermill already imported, but forking a process that runs other threads
    can deadlock, so with threads (e.g. inside a Jupyter kernel) a fork server is used; like any
    multiprocessing code, the calling script then needs the ``__main__`` guard.
    """

    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        # The fork server imports these once; every worker then starts with papermill loaded.
        context.set_forkserver_preload(["transparency.building.execute", "papermill", "nbformat",
                                        "jupyter_client", "nbclient"])
        return context
    return multiprocessing.get_context("spawn")


def _notify(progress: ProgressCallback | None, dataset: str, state: str, seconds: float) -> None:
    if progress is None:
        return
    try:
        progress(dataset, state, seconds)
    except Exception:  # a broken progress display must not break the build
        log.exception("progress callback failed for %s (%s)", dataset, state)


def _timeout_error(job: NotebookJob) -> tuple[str, str]:
    where, stderr = "", ""
    if job.output.exists():
        try:
            stderr, stopped = clean_executed_notebook(job.output, job.public_paths)
            if stopped:
                where = _describe_cell(stopped["source"])
        except Exception:  # noqa: BLE001 - a half-written notebook is useless: drop it
            job.output.unlink(missing_ok=True)
    return f"TimeoutError: the notebook did not finish within {job.timeout} s{where}", stderr


def run_notebooks(
    jobs: Iterable[NotebookJob],
    workers: int | None = None,
    progress: ProgressCallback | None = None,
    kernel_name: str = KERNEL_NAME,
    engine: str = ENGINES[0],
    environment: dict[str, str] | None = None,
) -> list[NotebookResult]:
    """Execute notebooks in parallel with papermill; one failure never stops the others.

    Parameters
    ----------
    jobs : iterable of NotebookJob
        ``output`` paths must differ from each other and from every ``source``.
    workers : int, optional
        Notebooks run at once; default one per available core.
    progress : callable, optional
        Called in this process as ``progress(dataset, state, seconds)`` with state ``"queued"``
        (all jobs, at the start), ``"running"``, then ``"done"`` or ``"failed"`` with the seconds
        the notebook took. Exceptions it raises are logged and ignored.
    kernel_name : str
        Registered with :func:`ensure_kernel` if missing.
    engine : str
        ``"inprocess"`` (default) or ``"kernel"``: see the module's description.
    environment : dict, optional
        Variables set in the notebooks' processes over this process's own (a Dask task passes where the
        cache, the keys and the project are on the machine that sent it: :mod:`transparency.building.cluster`).

    Returns
    -------
    list of NotebookResult
        In the order of ``jobs``.

    Raises
    ------
    ValueError
        If an output path would overwrite a source notebook or another job's output, or the
        engine is unknown.
    """
    jobs = _checked_jobs(jobs, engine)
    if not jobs:
        return []
    ensure_kernel(kernel_name)  # papermill records the kernel spec in the executed notebook either way
    pool = _NotebookPool(jobs, progress, kernel_name, engine, {**kernel_environment(), **(environment or {})})
    return pool.run(max(1, min(workers or cores(), len(jobs))))


def _checked_jobs(jobs: Iterable[NotebookJob], engine: str) -> list[NotebookJob]:
    """The jobs as a list; ValueError for an unknown engine or an output that would overwrite a source or another output."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: use one of {', '.join(ENGINES)}")
    jobs = list(jobs)
    sources = {job.source.resolve() for job in jobs}
    outputs = [job.output.resolve() for job in jobs]
    if len(set(outputs)) != len(outputs):
        raise ValueError("two notebook jobs write the same output file")
    for job, output in zip(jobs, outputs):
        if output in sources:
            raise ValueError(f"{job.dataset}: output {job.output} would overwrite a source notebook")
    return jobs


def _worker_context(engine: str) -> multiprocessing.context.BaseContext:
    """Where notebook workers come from: the warm server (in-process engine), else :func:`_context`."""
    context = warm_up() if engine == "inprocess" else None
    if context is None:
        # Imported here, once, so that forked workers start with them loaded.
        import jupyter_client.manager  # noqa: F401
        import nbformat  # noqa: F401
        import papermill  # noqa: F401
        import papermill.engines  # noqa: F401

        context = _context()
    return context


class _NotebookPool:
    """The notebooks of one :func:`run_notebooks` call: at most ``workers`` worker processes at once, each
    within its time limit; results in the order of the jobs."""

    def __init__(self, jobs: list[NotebookJob], progress: ProgressCallback | None, kernel_name: str, engine: str,
                 env: dict[str, str]):
        self.jobs, self.progress, self.kernel_name, self.engine, self.env = jobs, progress, kernel_name, engine, env
        self.context = _worker_context(engine)
        # Kernel sockets, one folder per job; short path (a Unix socket path has ~100 bytes at most).
        self.socket_root = Path(tempfile.mkdtemp(prefix="tr-"))
        self.results: list[NotebookResult | None] = [None] * len(jobs)
        self.pending = deque(range(len(jobs)))
        self.running: dict[int, dict[str, Any]] = {}

    def run(self, workers: int) -> list[NotebookResult]:
        for job in self.jobs:
            _notify(self.progress, job.dataset, "queued", 0.0)
        try:
            while self.pending or self.running:
                while self.pending and len(self.running) < workers:
                    self._start(self.pending.popleft())
                self._answer_ready()
        finally:
            for slot in self.running.values():  # interrupted (Ctrl-C): leave no worker or kernel behind
                _kill_tree(slot["process"])
            shutil.rmtree(self.socket_root, ignore_errors=True)
        return [result for result in self.results if result is not None]

    def _start(self, index: int) -> None:
        """Start job ``index`` in a worker process of its own."""
        job = self.jobs[index]
        receiver, sender = self.context.Pipe(duplex=False)
        payload = {
            "dataset": job.dataset,
            "fragment": str(job.fragment) if job.fragment else None,
            "source": str(job.source),
            "output": str(job.output),
            "parameters": dict(job.parameters),
            "timeout": int(job.timeout),
            "ipc_dir": str(self.socket_root / str(index)),
            "public_paths": dict(job.public_paths),
            "page": dict(job.page) if job.page else None,
        }
        process = self.context.Process(
            target=_worker, args=(payload, self.kernel_name, self.env, sender, self.engine),
            name=f"notebook-{job.dataset}", daemon=False,
        )
        started = time.monotonic()
        process.start()
        sender.close()
        self.running[index] = {"process": process, "conn": receiver, "started": started,
                               "deadline": started + job.timeout}
        _notify(self.progress, job.dataset, "running", 0.0)

    def _answer_ready(self) -> None:
        """Wait for a worker to answer or a time limit to pass; finish those that did."""
        wait_for = max(0.0, min(slot["deadline"] for slot in self.running.values()) - time.monotonic())
        ready = wait([slot["conn"] for slot in self.running.values()], timeout=wait_for)
        for index, slot in list(self.running.items()):
            process, conn = slot["process"], slot["conn"]
            if conn in ready:
                answer = self._answer(process, conn)
                self._finish(index, answer["status"], answer["error"], answer["stderr"])
            elif time.monotonic() >= slot["deadline"]:
                _kill_tree(process)
                conn.close()
                error, stderr = _timeout_error(self.jobs[index])
                self._finish(index, "failed", error, stderr)

    @staticmethod
    def _answer(process: multiprocessing.process.BaseProcess, conn: Any) -> dict[str, Any]:
        """A worker's answer (a died worker's is a failure saying so); the worker is gone afterwards."""
        try:
            answer = conn.recv()
        except EOFError:  # the worker died without answering
            process.join(_KILL_GRACE)
            answer = {"status": "failed", "stderr": "",
                      "error": "RuntimeError: the notebook's worker process stopped "
                      f"unexpectedly (exit code {process.exitcode})"}
        conn.close()
        process.join(_KILL_GRACE)
        if process.is_alive():
            _kill_tree(process)
        return answer

    def _finish(self, index: int, status: str, error: str | None, stderr: str) -> None:
        slot = self.running.pop(index)
        seconds = time.monotonic() - slot["started"]
        job = self.jobs[index]
        self.results[index] = NotebookResult(job.dataset, status, error, seconds, job.output, stderr)
        _notify(self.progress, job.dataset, "done" if status == "ok" else "failed", seconds)
