"""Tests of transparency.building.execute: notebooks run in parallel with papermill, each within a limit.

One module-scoped run per engine (in-process and kernel) executes the four fixture notebooks (and
one with a misspelt parameter) with two workers, a 3 s limit on the slow one, ``MPLBACKEND=Agg``
and a broken same-named kernel spec on ``JUPYTER_PATH``; the tests then check what that run
produced. About 12 s in all.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path

import nbformat
import pytest

from transparency.building.execute import (
    ENGINES,
    NotebookJob,
    NotebookResult,
    clean_executed_notebook,
    ensure_kernel,
    kernel_environment,
    run_notebooks,
)

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
TIMEOUT = 3


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module", params=ENGINES)
def run(tmp_path_factory, request):
    """Run the fixture notebooks once with an engine; return (results by dataset, events, source hashes, jobs)."""
    out = tmp_path_factory.mktemp(f"executed-{request.param}")
    hijack = tmp_path_factory.mktemp("jupyter_path")
    # A kernel spec with our kernel's name (and a python3 one) that cannot start: if it were
    # used, every notebook would fail.
    for name in ("transparency", "python3"):
        spec = hijack / "kernels" / name
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(json.dumps(
            {"argv": ["/nonexistent/python", "-m", "ipykernel_launcher", "-f",
                      "{connection_file}"], "display_name": "broken", "language": "python"}))
    names = ["sample", "fails", "slow", "noisy"]
    jobs = [
        NotebookJob(name, FIXTURES / f"{name}.ipynb", out / f"{name}.ipynb",
                    {"period": "2025Q2"}, timeout=TIMEOUT if name == "slow" else 60)
        for name in names
    ]
    jobs.append(NotebookJob("misspelt", FIXTURES / "sample.ipynb", out / "misspelt.ipynb",
                            {"perid": "2025Q2"}, timeout=60))
    hashes = {job.source: sha256(job.source) for job in jobs}
    events: list[tuple[str, str, float, float]] = []
    started = time.monotonic()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MPLBACKEND", "Agg")
        patch.setenv("JUPYTER_PATH", str(hijack))
        results = run_notebooks(
            jobs, workers=2,
            progress=lambda dataset, state, seconds: events.append(
                (dataset, state, seconds, time.monotonic() - started)),
            engine=request.param,
        )
    return {r.dataset: r for r in results}, events, hashes, jobs


def test_results_come_back_in_job_order_with_one_line_errors(run):
    results, _, _, jobs = run
    assert list(results) == [job.dataset for job in jobs]
    for result in results.values():
        assert isinstance(result, NotebookResult)
        assert result.status in ("ok", "failed")
        assert (result.error is None) == (result.status == "ok")
        if result.error:
            assert "\n" not in result.error


def test_one_failure_does_not_stop_the_others(run):
    results, _, _, _ = run
    assert results["sample"].status == "ok", results["sample"].error
    assert results["noisy"].status == "ok", results["noisy"].error
    failed = results["fails"]
    assert failed.status == "failed"
    assert failed.error.startswith("ValueError: no data for 2025Q2")
    assert 'raise ValueError(f"no data for {period}")' in failed.error


def test_notebooks_run_in_parallel(run):
    _, events, _, _ = run
    running = [t for _, state, _, t in events if state == "running"]
    finished = [t for _, state, _, t in events if state in ("done", "failed")]
    assert sorted(running)[1] < min(finished), "two workers should start before either ends"


def test_progress_reports_every_state(run):
    _, events, _, jobs = run
    for job in jobs:
        states = [state for dataset, state, _, _ in events if dataset == job.dataset]
        assert states[0] == "queued" and states[1] == "running"
        assert states[2] in ("done", "failed") and len(states) == 3
    seconds = {d: s for d, state, s, _ in events if state in ("done", "failed")}
    assert seconds["sample"] > 0


def test_time_limit_is_honoured(run):
    results, _, _, _ = run
    slow = results["slow"]
    assert slow.status == "failed"
    assert slow.error.startswith(f"TimeoutError: the notebook did not finish within {TIMEOUT} s")
    assert "time.sleep(60)" in slow.error or "import time" in slow.error
    assert slow.seconds < TIMEOUT + 5


def test_source_notebooks_are_never_modified(run):
    _, _, hashes, _ = run
    for source, digest in hashes.items():
        assert sha256(source) == digest, f"{source.name} was modified"


def test_parameters_are_injected_into_the_executed_copy(run):
    results, _, _, _ = run
    notebook = nbformat.read(str(results["sample"].output), as_version=4)
    injected = [c for c in notebook.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and 'period = "2025Q2"' in injected[0].source
    markdown = [o["data"]["text/markdown"] for c in notebook.cells if c.cell_type == "code"
                for o in c.outputs if "text/markdown" in o.get("data", {})]
    assert any("What changed in 2025Q2" in text for text in markdown)


def test_a_misspelt_parameter_fails_instead_of_building_the_default(run):
    results, _, _, _ = run
    misspelt = results["misspelt"]
    assert misspelt.status == "failed"
    assert "perid" in misspelt.error and "period" in misspelt.error


def test_charts_appear_even_with_mplbackend_agg(run):
    results, _, _, _ = run
    notebook = nbformat.read(str(results["sample"].output), as_version=4)
    charts = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs
              if "image/svg+xml" in o.get("data", {})]
    assert len(charts) == 3
    assert all(o["metadata"]["image/svg+xml"]["alt"] for o in charts)
    assert kernel_environment({"MPLBACKEND": "Agg"})["MPLBACKEND"].endswith("backend_inline")


def test_executed_notebooks_have_no_stderr(run):
    results, _, _, _ = run
    for result in results.values():
        if not result.output.exists():
            continue
        notebook = nbformat.read(str(result.output), as_version=4)
        for cell in notebook.cells:
            for output in cell.get("outputs", []):
                assert not (output["output_type"] == "stream" and output["name"] == "stderr")
    noisy = results["noisy"]
    assert "stderr line" in noisy.stderr  # kept for the build log, not in the notebook
    outputs = json.dumps([c.get("outputs", []) for c in
                          nbformat.read(str(noisy.output), as_version=4).cells])
    assert "visible stdout line" in outputs  # stdout stays in the audit copy
    assert "Warning" not in outputs


def test_kernel_environment_puts_our_kernels_and_package_first():
    env = kernel_environment({"JUPYTER_PATH": "/elsewhere", "PYTHONPATH": "/x"})
    assert env["JUPYTER_PATH"].split(os.pathsep)[0] == str(Path(sys.prefix) / "share" / "jupyter")
    assert env["JUPYTER_PATH"].split(os.pathsep)[1] == "/elsewhere"
    assert env["PYTHONPATH"].split(os.pathsep)[0] == str(Path(__file__).resolve().parents[1])
    assert env["PYTHONWARNINGS"] == "ignore"


def test_ensure_kernel_is_fast_when_registered():
    assert ensure_kernel() == "transparency"
    spec = Path(sys.prefix) / "share" / "jupyter" / "kernels" / "transparency" / "kernel.json"
    assert json.loads(spec.read_text())["argv"][0] == sys.executable
    started = time.perf_counter()
    ensure_kernel()
    assert time.perf_counter() - started < 0.05


def test_output_may_not_overwrite_a_source(tmp_path):
    source = FIXTURES / "sample.ipynb"
    with pytest.raises(ValueError, match="overwrite a source"):
        run_notebooks([NotebookJob("x", source, source, {}, 10)])
    with pytest.raises(ValueError, match="same output"):
        run_notebooks([NotebookJob("a", source, tmp_path / "o.ipynb", {}, 10),
                       NotebookJob("b", source, tmp_path / "o.ipynb", {}, 10)])
    assert run_notebooks([]) == []


def test_clean_executed_notebook_removes_only_stderr(tmp_path):
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stderr", text="warning!\n"),
        nbformat.v4.new_output("stream", name="stdout", text="hello\n"),
        nbformat.v4.new_output("error", ename="E", evalue="v", traceback=[]),
    ]
    notebook.cells.append(cell)
    path = tmp_path / "n.ipynb"
    nbformat.write(notebook, str(path))
    removed, stopped = clean_executed_notebook(path)
    assert removed == "warning!\n" and stopped is None
    kept = nbformat.read(str(path), as_version=4).cells[0].outputs
    assert [o["output_type"] for o in kept] == ["stream", "error"]


def _outputs(path: Path) -> list:
    notebook = nbformat.read(str(path), as_version=4)
    return [(c.get("execution_count"), c.get("outputs")) for c in notebook.cells if c.cell_type == "code"]


def test_in_process_engine_gives_the_outputs_a_kernel_gives(tmp_path):
    """Displays, charts, tables, the value of a last expression, stdout and a failing cell's error."""
    outputs = {}
    for engine in ENGINES:
        jobs = [NotebookJob(name, FIXTURES / f"{name}.ipynb", tmp_path / engine / f"{name}.ipynb", {"period": "2025Q2"})
                for name in ("sample", "noisy", "fails")]
        results = {r.dataset: r for r in run_notebooks(jobs, workers=2, engine=engine)}
        assert results["fails"].error.startswith("ValueError: no data for 2025Q2"), results["fails"].error
        outputs[engine] = {name: _outputs(r.output) for name, r in results.items()}
    for name in ("sample", "noisy"):
        assert outputs["inprocess"][name] == outputs["kernel"][name], name
    # A failed cell: the same error name and message, and the cells after it not run.
    (count, failed), = [(n, o) for n, o in outputs["inprocess"]["fails"] if o and o[0]["output_type"] == "error"]
    (kernel_count, kernel_failed), = [(n, o) for n, o in outputs["kernel"]["fails"] if o and o[0]["output_type"] == "error"]
    assert (count, failed[0]["ename"], failed[0]["evalue"]) == (kernel_count, kernel_failed[0]["ename"], kernel_failed[0]["evalue"])
    assert outputs["inprocess"]["fails"][-1] == outputs["kernel"]["fails"][-1] == (None, [])


def test_an_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="unknown engine"):
        run_notebooks([NotebookJob("x", FIXTURES / "sample.ipynb", Path("/tmp/never.ipynb"))], engine="fast")


def test_background_returns_the_value_or_the_error():
    import math
    import operator

    from transparency.core.processes import Background, BackgroundError

    work = Background(math.factorial, 20)
    assert work.result() == math.factorial(20) and work.seconds >= 0
    with pytest.raises(BackgroundError, match="ZeroDivisionError"):
        Background(operator.truediv, 1, 0).result()


def test_background_can_be_cancelled():
    from transparency.core.processes import Background, BackgroundError

    work = Background(time.sleep, 60)
    started = time.monotonic()
    work.cancel()
    with pytest.raises(BackgroundError, match="stopped unexpectedly"):
        work.result()
    assert time.monotonic() - started < 10


def test_a_forked_background_starts_from_this_process_unless_threads_run():
    import threading

    from transparency.core.processes import Background

    here = Background.forked(os.getppid)
    assert here.result() == os.getpid(), "forked from this process, not from the warm server"
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        served = Background.forked(os.getppid)
        assert served.result() != os.getpid(), "with another thread running, from the warm server"
    finally:
        stop.set()
        thread.join()


def _frozen_objects() -> int:
    import gc

    return gc.get_freeze_count()


def test_forked_workers_do_not_collect_what_they_inherit():
    import gc

    from transparency.core.processes import Background

    assert gc.get_freeze_count() == 0
    assert Background.forked(_frozen_objects).result() > 0, "the child's collector leaves the parent's objects"
    assert gc.get_freeze_count() == 0, "this process's collector is as it was"
    assert Background(_frozen_objects).result() > 0, "so does a worker forked from the warm server"


def test_deal_shares_out_the_largest_first_to_the_least_loaded():
    from transparency.core.processes import deal

    sizes = {"a": 5, "b": 4, "c": 3, "d": 3, "e": 1}
    # a (5) and b (4) start; c goes to b (7), d to a (8), e to b (8): both end at 8.
    assert deal(list(sizes), sizes.get, 2) == [["a", "d"], ["b", "c", "e"]]
    assert deal(list(sizes), sizes.get, 1) == [["a", "b", "c", "d", "e"]]
    assert deal(["x"], lambda _: 1, 4) == [["x"]], "no empty shares"
    assert deal([], lambda _: 1, 2) == []
