"""Worker processes: a function run in a process of its own (forked from a warm server), the cores there are,
and work shared out among workers. Used by the notebook runs (:mod:`transparency.building.execute`) and the PDF
drawn in parts (:mod:`transparency.rendering.pdfparts`).
"""

from __future__ import annotations

import concurrent.futures
import gc
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

__all__ = ["Background", "BackgroundError", "FutureTask", "cores", "deal", "kernel_environment", "warm_up"]

_KILL_GRACE = 3.0
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]


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

    The server imports :mod:`transparency.building.preload` (about 3 s) in a process of its own, so calling
    this before other work (the build loads the data meanwhile) hides that time. Returns None where
    there is no fork server (not POSIX); workers are then spawned, and import what they need.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return None
    from multiprocessing import forkserver

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["transparency.building.preload"])
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

    The report's PDF is drawn this way (:mod:`transparency.rendering.pdfparts`) while the build searches the
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
        :mod:`transparency.building.preload`), not for this process's.
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


class FutureTask:
    """A function running elsewhere (a cluster's task, or a thread here), as :class:`Background`
    is used: ``result()`` waits (raising BackgroundError with the reason), ``cancel()``, ``seconds``."""

    seconds: float = 0.0

    def __init__(self, future: concurrent.futures.Future):
        self._future = future
        self._started = time.perf_counter()

    @classmethod
    def thread(cls, function: Callable[..., Any], *args: Any) -> FutureTask:
        """Run ``function(*args)`` in a thread of this process (a coordinator that sends its work to a cluster)."""
        future: concurrent.futures.Future = concurrent.futures.Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(function(*args))
            except BaseException as exc:  # noqa: BLE001 - handed to result()
                future.set_exception(exc)

        threading.Thread(target=run, name=f"coordinator-{getattr(function, '__name__', 'task')}", daemon=True).start()
        return cls(future)

    def result(self) -> Any:
        try:
            value = self._future.result()
        except Exception as exc:  # noqa: BLE001 - one type for the caller, as Background gives
            raise BackgroundError(f"{type(exc).__name__}: {exc}") from None
        finally:
            self.seconds = time.perf_counter() - self._started
        return value

    def cancel(self) -> None:
        self._future.cancel()
