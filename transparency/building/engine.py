"""A papermill engine that runs a notebook's cells in this process, in an IPython shell: no kernel.

papermill still does everything around the execution (reading the notebook, injecting the
parameters, recording each cell's status and timing in the notebook's metadata, saving the executed
copy, raising :class:`papermill.exceptions.PapermillExecutionError` for a failed cell); only the
step that would start a kernel and talk to it over ZeroMQ is replaced::

    import papermill
    import transparency.building.engine  # registers the engine as "transparency-inprocess"

    papermill.execute_notebook("notebooks/stops.ipynb", "out/stops.ipynb",
                               parameters={"period": "2025Q3"}, engine_name=ENGINE_NAME)

Why: starting a kernel and importing pandas, matplotlib and SciPy in it costs about
two seconds per notebook, more than most section notebooks spend computing. The build runs each
notebook in a worker process forked from a server that has already imported all of that (see
:mod:`transparency.building.execute`), so a notebook starts in milliseconds and still runs in a process of
its own: nothing one notebook defines, imports or breaks can reach another.

What a notebook sees is what ipykernel would give it, because ipykernel is a thin layer over the
same :class:`IPython.core.interactiveshell.InteractiveShell`: magics (``%matplotlib inline``),
``display()``, the value of a cell's last expression, ``get_ipython()``, tracebacks. The outputs are
written as ipykernel would send them: ``display_data`` and ``execute_result`` with their MIME
bundles and metadata, ``stream`` for stdout and stderr (consecutive writes merged), and ``error``
with the exception's name, message and traceback. Two differences, neither visible in a report:
there is no ``input()`` (no frontend answers; a notebook asking for input fails), and widgets and
``update_display`` have no frontend to update.
"""

from __future__ import annotations

import sys
from typing import Any

import nbformat
from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from papermill.engines import Engine, papermill_engines

__all__ = ["ENGINE_NAME", "InProcessEngine", "run_cell_outputs"]

#: The name the engine is registered under with papermill.
ENGINE_NAME = "transparency-inprocess"


class _Outputs:
    """The outputs of the cell being run; the shell's publisher, hook and streams append to it."""

    def __init__(self) -> None:
        self.items: list[Any] = []

    def add(self, output: Any) -> None:
        self.items.append(output)

    def stream(self, name: str, text: str) -> None:
        if not text:
            return
        last = self.items[-1] if self.items else None
        if last is not None and last.get("output_type") == "stream" and last.get("name") == name:
            last["text"] += text
        else:
            self.items.append(nbformat.v4.new_output("stream", name=name, text=text))

    def clear(self) -> None:
        self.items.clear()


class _Publisher(DisplayPublisher):
    """``display()`` -> a ``display_data`` output (ipykernel sends the same bundle over ZeroMQ)."""

    def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs) -> None:  # noqa: D102
        self.shell.outputs.add(nbformat.v4.new_output("display_data", data=dict(data), metadata=dict(metadata or {})))

    def clear_output(self, wait=False) -> None:  # noqa: D102
        self.shell.outputs.clear()


class _Hook(DisplayHook):
    """A cell's last expression -> an ``execute_result`` output."""

    def write_output_prompt(self) -> None:  # noqa: D102 - no prompt in a notebook
        pass

    def write_format_data(self, format_dict, md_dict=None) -> None:  # noqa: D102
        self.shell.outputs.add(nbformat.v4.new_output(
            "execute_result", data=dict(format_dict), metadata=dict(md_dict or {}),
            execution_count=self.prompt_count))

    def finish_displayhook(self) -> None:  # noqa: D102
        sys.stdout.flush()


class _Stream:
    """A text stream (stdout or stderr) that becomes ``stream`` outputs."""

    encoding = "utf-8"
    errors = "strict"

    def __init__(self, outputs: _Outputs, name: str) -> None:
        self._outputs, self.name = outputs, name

    def write(self, text: str) -> int:
        self._outputs.stream(self.name, str(text))
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def readable(self) -> bool:
        return False

    def writable(self) -> bool:
        return True


class _ZMQCompatibleShell(InteractiveShell):
    """An InteractiveShell whose displays, results, streams and tracebacks become notebook outputs.

    Libraries that ask whether they run in a notebook frontend look for "zmq" in the shell's class
    name (pandas does, to choose how wide a DataFrame's text form is); the class is named so that
    they answer as in a kernel (``_ZMQCompatibleShell``).
    """

    display_pub_class = _Publisher
    displayhook_class = _Hook

    def __init__(self, **kwargs) -> None:
        self.outputs = _Outputs()
        super().__init__(**kwargs)

    def _showtraceback(self, etype, evalue, stb) -> None:
        # What ipykernel's shell sends as an "error" message; the plain shell would print it.
        self.outputs.add(nbformat.v4.new_output(
            "error", ename=str(getattr(etype, "__name__", etype)), evalue=str(evalue), traceback=list(stb)))

    def enable_gui(self, gui=None) -> None:  # noqa: D102 - no event loop to integrate with
        pass


def _shell() -> _ZMQCompatibleShell:
    if _ZMQCompatibleShell.initialized():
        return _ZMQCompatibleShell.instance()
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False  # no sqlite history file
    config.InteractiveShell.colors = "nocolor"  # tracebacks as plain text, as a kernel configured for files
    config.InteractiveShell.autocall = 0
    config.InteractiveShell.cache_size = 0  # keep no references to cell results (_1, _2 ...)
    shell = _ZMQCompatibleShell.instance(config=config)
    pandas = sys.modules.get("pandas")
    if pandas is not None:
        # pandas picks this default when it is imported: 0 (fit a terminal) outside a kernel, 20
        # inside one. It was imported before this shell existed, so give it the kernel's value.
        pandas.set_option("display.max_columns", 20)
    return shell


def run_cell_outputs(shell: _ZMQCompatibleShell, source: str) -> tuple[list[Any], int | None, bool]:
    """Run one cell's source; return (its outputs, its execution count, whether it raised)."""
    shell.outputs = _Outputs()
    shell.display_pub.shell = shell
    shell.displayhook.shell = shell
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Stream(shell.outputs, "stdout"), _Stream(shell.outputs, "stderr")
    try:
        result = shell.run_cell(source, store_history=True, silent=False)
    finally:
        sys.stdout, sys.stderr = saved
    count = result.execution_count
    failed = not result.success
    outputs = shell.outputs.items
    if failed and not any(o.get("output_type") == "error" for o in outputs):
        error = result.error_before_exec or result.error_in_exec
        outputs.append(nbformat.v4.new_output(
            "error", ename=type(error).__name__, evalue=str(error), traceback=[f"{type(error).__name__}: {error}"]))
    return outputs, count, failed


class InProcessEngine(Engine):
    """Run each code cell in this process's IPython shell; stop at the first cell that fails.

    As papermill's own engine does, a failed cell gets an ``error`` output and the cells after it
    stay unexecuted; papermill then raises ``PapermillExecutionError`` for it. ``kernel_name`` and
    the time-out arguments are accepted and ignored: the caller runs this engine in a worker process
    and enforces the time limit by ending that process.

    papermill saves the notebook before and after every cell, so that a notebook stopped part way
    shows where (the build names the running cell when a notebook passes its time limit). Here a
    cell that runs for more than :data:`SAVE_AFTER` seconds saves it, still marked running; quick
    cells do not (a notebook of thirty cells was spending a quarter of a second writing itself).
    papermill saves it once more at the end, as always.
    """

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs) -> None:  # noqa: D102
        import threading

        shell = _shell()
        save = nb_man.save
        nb_man.save = lambda **kwargs: None  # the cell callbacks' saves; see the class description
        try:
            for index, cell in enumerate(nb_man.nb.cells):
                if cell.cell_type != "code" or not cell.source.strip():
                    continue
                nb_man.cell_start(cell, index)
                timer = threading.Timer(SAVE_AFTER, save)
                timer.daemon = True
                timer.start()
                try:
                    outputs, count, failed = run_cell_outputs(shell, cell.source)
                finally:
                    timer.cancel()
                    timer.join()
                cell.outputs = [nbformat.from_dict(output) for output in outputs]
                cell.execution_count = count
                if failed:
                    nb_man.cell_exception(cell, index)
                    nb_man.cell_complete(cell, index)
                    break
                nb_man.cell_complete(cell, index)
        finally:
            nb_man.save = save


#: Seconds a cell runs before the notebook is saved with that cell marked as running.
SAVE_AFTER = 1.0


papermill_engines.register(ENGINE_NAME, InProcessEngine)
