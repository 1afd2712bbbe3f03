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

  - ``"inprocess"`` (the default): papermill with :class:`transparency.engine.InProcessEngine`,
    which runs the cells in the worker's own IPython shell. Workers are forked from a server
    that has already imported pandas, matplotlib, SciPy and this package
    (:mod:`transparency.preload`), so a notebook starts in milliseconds, not the two seconds a
    kernel's start and imports take; each still runs in a fresh process, so nothing leaks from
    one notebook to the next. The outputs are those a kernel gives (a test compares them).
  - ``"kernel"``: papermill's own engine with a Jupyter kernel, the one registered by
    :func:`ensure_kernel` under an explicit name; the kernel specs of this interpreter's prefix
    are searched first, so a ``python3`` (or same-named) kernel spec found through
    ``JUPYTER_PATH`` or the user's directory cannot take over a build. The kernel talks over IPC
    sockets, which avoids ipykernel's warning about unencrypted TCP. Slower; kept to check that
    a notebook runs the same in Jupyter as in the build.

* The environment (see :func:`kernel_environment`) makes charts appear whatever ``MPLBACKEND``
  says (it is set to the inline backend; ``transparency.charts.show`` does not depend on the
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

import gc
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
_KILL_GRACE = 3.0
_PACKAGE_ROOT = Path(__file__).resolve().parent.parent

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
        (:func:`transparency.render.notebook_section_html`) after a successful run: the worker
        converts its own notebook, so conversions run in parallel too.
    public_paths : dict, optional
        Folders (absolute) and what the executed notebook says instead, e.g. the build's staging
        folder -> ``reports/sample/2025Q3``. papermill records the run's paths and parameters in
        the notebook's metadata and in its injected-parameters cell; a published notebook would
        otherwise show the machine's folders (a home folder names its user).
    page : dict, optional
        ``{"path", "title", "context"}``: with ``fragment``, also write the section's own page
        (:func:`transparency.render.section_page` of the fragment) to ``path``, in the worker too.
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


def kernel_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment the notebook workers and their kernels run with (``base``: os.environ).

    Sets ``MPLBACKEND`` to the inline backend (with ``Agg`` from a CI environment charts made with
    plain matplotlib would vanish silently), ``PYTHONWARNINGS=ignore``, ``PYTHONHASHSEED=0``,
    ``PYDEVD_DISABLE_FILE_VALIDATION=1`` (a debugger warning on stderr), puts this package first on
    ``PYTHONPATH`` and this interpreter's Jupyter data directory first on ``JUPYTER_PATH``.
    """
    env = dict(os.environ if base is None else base)

    def prepend(key: str, value: str) -> None:
        rest = [p for p in env.get(key, "").split(os.pathsep) if p and p != value]
        env[key] = os.pathsep.join([value, *rest])

    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    env["PYTHONWARNINGS"] = "ignore"
    env["PYTHONHASHSEED"] = "0"
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    prepend("PYTHONPATH", str(_PACKAGE_ROOT))
    prepend("JUPYTER_PATH", str(Path(sys.prefix) / "share" / "jupyter"))
    return env


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
#: :meth:`transparency.section.Section.save`); one more pass is the usual most.
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
        from .errors import TransparencyError
        from .render import notebook_section_html, section_page

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
    leave no notebook running; see :mod:`transparency.cluster`). Elsewhere, nothing."""
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


#: Variables read when an interpreter starts (or when the preloaded modules are imported), which the
#: warm server must be started with; the rest of the environment is set in each worker.
_SERVER_ENVIRONMENT = ("PYTHONHASHSEED", "PYTHONWARNINGS", "MPLBACKEND", "PYTHONPATH", "PYDEVD_DISABLE_FILE_VALIDATION")


def cores() -> int:
    """The cores this process may run on (what workers default to)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def deal(items: Iterable[Any], size: Callable[[Any], float], workers: int) -> list[list]:
    """Share ``items`` out among at most ``workers`` lists that should take about as long: the largest
    first (by ``size``; ties in the given order), each to the list with the least so far
    (longest-processing-time-first scheduling). Empty lists are left out."""
    weighed = sorted(((item, size(item)) for item in items), key=lambda pair: -pair[1])
    shares = [[0, []] for _ in range(max(1, min(workers, len(weighed))))]
    for item, weight in weighed:
        share = min(shares, key=lambda s: s[0])
        share[0] += weight
        share[1].append(item)
    return [names for _weight, names in shares if names]


def warm_up() -> multiprocessing.context.BaseContext | None:
    """Start the server that in-process workers are forked from, if it is not running; return its context.

    The server imports :mod:`transparency.preload` (about 3 s) in a process of its own, so calling
    this before other work (the build loads the data meanwhile) hides that time. Returns None where
    there is no fork server (not POSIX); workers are then spawned, and import what they need.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return None
    from multiprocessing import forkserver

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["transparency.preload"])
    if _server_running():
        # Nothing to start: leave os.environ alone (other threads may be reading it, see below).
        return context
    env = kernel_environment()
    saved = dict(os.environ)
    try:
        # The server is a new interpreter started with this process's environment: PYTHONHASHSEED
        # must be set before it starts, and its forked workers inherit the seed.
        os.environ.update({name: env[name] for name in _SERVER_ENVIRONMENT if name in env})
        forkserver.ensure_running()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return context


def _server_running() -> bool:
    """Whether this process's fork server is running (so that :func:`warm_up` need not touch os.environ,
    which it swaps while it starts the server: a build of many agencies runs several builds in threads)."""
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    pid = getattr(server, "_forkserver_pid", None)
    if pid is None:
        return False
    import psutil

    try:  # not waitpid: reaping it here would break multiprocessing's own check
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _context() -> multiprocessing.context.BaseContext:
    """How to start workers: fork when it is safe, else a fork server, else spawn.

    ``fork`` needs no ``if __name__ == "__main__":`` guard in the calling script and starts a worker
    in milliseconds with papermill already imported, but forking a process that runs other threads
    can deadlock, so with threads (e.g. inside a Jupyter kernel) a fork server is used; like any
    multiprocessing code, the calling script then needs the ``__main__`` guard.
    """
    import threading

    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        # The fork server imports these once; every worker then starts with papermill loaded.
        context.set_forkserver_preload(["transparency.execute", "papermill", "nbformat",
                                        "jupyter_client", "nbclient"])
        return context
    return multiprocessing.get_context("spawn")


def _background_main(function: Callable[..., Any], args: tuple, kwargs: dict, conn: Any) -> None:
    started = time.perf_counter()
    try:
        answer = ("ok", function(*args, **kwargs))
    except BaseException as exc:  # noqa: BLE001 - the parent must always get an answer
        answer = ("error", f"{type(exc).__name__}: {exc}")
    conn.send((*answer, time.perf_counter() - started))
    conn.close()


class Background:
    """A function run in a worker process (forked from the warm server when there is one), in parallel.

    The report's PDF is drawn this way (:mod:`transparency.pdfparts`) while the build searches the
    other files for personal data::

        pdf = Background(html_to_pdf, html, path, title)
        ...  # other work
        pdf.result()  # waits; raises BackgroundError with the worker's message if it failed
        pdf.seconds  # how long the function ran

    ``function`` and its arguments must be picklable (a module-level function). :meth:`cancel`
    ends the worker; an abandoned Background is ended when it is garbage-collected.
    """

    seconds: float = 0.0

    def __init__(self, function: Callable[..., Any], *args: Any, **kwargs: Any):
        self._start(warm_up() or multiprocessing.get_context("spawn"), function, args, kwargs)

    @classmethod
    def forked(cls, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Background:
        """Like ``Background(function, ...)``, but forked from this process, which starts at once with
        what this process has imported, instead of waiting for the warm server to be ready.

        Forking is unsafe while other threads run (one may hold a lock the child then waits on for
        ever), so with other Python threads running this falls back to the warm server. The objects
        this process has are frozen for the garbage collector of the child (see
        :mod:`transparency.preload`), not for this process's.
        """
        if threading.active_count() > 1 or "fork" not in multiprocessing.get_all_start_methods():
            return cls(function, *args, **kwargs)
        task = cls.__new__(cls)
        frozen = gc.get_freeze_count()  # a process forked from the warm server has its objects frozen
        gc.freeze()
        try:
            task._start(multiprocessing.get_context("fork"), function, args, kwargs)
        finally:
            if not frozen:
                gc.unfreeze()
        return task

    def _start(self, context: multiprocessing.context.BaseContext, function: Callable[..., Any],
               args: tuple, kwargs: dict) -> None:
        self._conn, sender = context.Pipe(duplex=False)
        self._process = context.Process(target=_background_main, args=(function, args, kwargs, sender),
                                         name=f"background-{getattr(function, '__name__', 'task')}")
        self._process.start()
        sender.close()
        self._answer: tuple[str, Any, float] | None = None

    def result(self) -> Any:
        """Wait for the function; return its value, or raise :class:`BackgroundError` with its error."""
        if self._answer is None:
            try:
                self._answer = self._conn.recv()
            except EOFError:
                self._process.join(_KILL_GRACE)
                self._answer = ("error", f"the worker process stopped unexpectedly (exit code {self._process.exitcode})", 0.0)
            self._conn.close()
            self._process.join(_KILL_GRACE)
        status, value, self.seconds = self._answer
        if status != "ok":
            raise BackgroundError(value)
        return value

    def cancel(self) -> None:
        """End the worker if it is still running."""
        if self._process.is_alive():
            _kill_tree(self._process)

    def __del__(self) -> None:
        try:
            self.cancel()
        except Exception:  # noqa: BLE001 - interpreter shutting down
            pass


class BackgroundError(RuntimeError):
    """A :class:`Background` function raised; the message is its exception's type and text."""


def _kill_tree(process: multiprocessing.process.BaseProcess) -> None:
    """Kill a worker and its kernel (the kernel runs in its own session, so kill it by pid)."""
    try:
        import psutil

        children = psutil.Process(process.pid).children(recursive=True)
    except Exception:  # noqa: BLE001 - psutil missing or the worker already gone
        children = []
    process.terminate()
    process.join(_KILL_GRACE)
    if process.is_alive():
        process.kill()
        process.join(_KILL_GRACE)
    for child in children:
        try:
            child.kill()
        except Exception:  # noqa: BLE001 - already exited
            pass


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
        cache, the keys and the project are on the machine that sent it: :mod:`transparency.cluster`).

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
    if not jobs:
        return []
    workers = max(1, min(workers or cores(), len(jobs)))

    ensure_kernel(kernel_name)  # papermill records the kernel spec in the executed notebook either way
    env = {**kernel_environment(), **(environment or {})}
    context = warm_up() if engine == "inprocess" else None
    if context is None:
        # Imported here, once, so that forked workers start with them loaded.
        import jupyter_client.manager  # noqa: F401
        import nbformat  # noqa: F401
        import papermill  # noqa: F401
        import papermill.engines  # noqa: F401

        context = _context()
    # Kernel sockets, one folder per job; short path (a Unix socket path has ~100 bytes at most).
    socket_root = Path(tempfile.mkdtemp(prefix="tr-"))
    results: list[NotebookResult | None] = [None] * len(jobs)
    pending = deque(range(len(jobs)))
    running: dict[int, dict[str, Any]] = {}
    for job in jobs:
        _notify(progress, job.dataset, "queued", 0.0)

    def finish(index: int, status: str, error: str | None, stderr: str) -> None:
        slot = running.pop(index)
        seconds = time.monotonic() - slot["started"]
        job = jobs[index]
        results[index] = NotebookResult(job.dataset, status, error, seconds, job.output, stderr)
        _notify(progress, job.dataset, "done" if status == "ok" else "failed", seconds)

    try:
        while pending or running:
            while pending and len(running) < workers:
                index = pending.popleft()
                job = jobs[index]
                receiver, sender = context.Pipe(duplex=False)
                payload = {
                    "dataset": job.dataset,
                    "fragment": str(job.fragment) if job.fragment else None,
                    "source": str(job.source),
                    "output": str(job.output),
                    "parameters": dict(job.parameters),
                    "timeout": int(job.timeout),
                    "ipc_dir": str(socket_root / str(index)),
                    "public_paths": dict(job.public_paths),
                    "page": dict(job.page) if job.page else None,
                }
                process = context.Process(
                    target=_worker, args=(payload, kernel_name, env, sender, engine),
                    name=f"notebook-{job.dataset}", daemon=False,
                )
                started = time.monotonic()
                process.start()
                sender.close()
                running[index] = {"process": process, "conn": receiver, "started": started,
                                  "deadline": started + job.timeout}
                _notify(progress, job.dataset, "running", 0.0)

            now = time.monotonic()
            wait_for = max(0.0, min(slot["deadline"] for slot in running.values()) - now)
            ready = wait([slot["conn"] for slot in running.values()], timeout=wait_for)
            for index, slot in list(running.items()):
                process, conn = slot["process"], slot["conn"]
                if conn in ready:
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
                    finish(index, answer["status"], answer["error"], answer["stderr"])
                elif time.monotonic() >= slot["deadline"]:
                    _kill_tree(process)
                    conn.close()
                    error, stderr = _timeout_error(jobs[index])
                    finish(index, "failed", error, stderr)
    finally:
        for slot in running.values():  # interrupted (Ctrl-C): leave no worker or kernel behind
            _kill_tree(slot["process"])
        shutil.rmtree(socket_root, ignore_errors=True)
    return [result for result in results if result is not None]
