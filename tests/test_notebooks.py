"""Every dataset notebook follows the conventions: named for a registry dataset, a typed and commented
parameters cell that papermill can read, no committed outputs, thin code that ends by saving the section."""

from __future__ import annotations

import json
import re

import papermill
import pytest
from conftest import REPO

from transparency.building.scaffold import new_dataset_notebook
from transparency.core import registry
from transparency.core.errors import UsageError

#: Notebooks that are not a dataset's section: the statewide comparison (transparency.statewide_report).
REPORT_NOTEBOOKS = {"statewide"}
NOTEBOOKS = sorted(p for p in (REPO / "notebooks").glob("*.ipynb") if p.stem not in REPORT_NOTEBOOKS)
PARAMETER_LINE = re.compile(r'^(\w+): (str|int|float|bool) = ("[^"]*"|[\w.]+)  # \S.*$')


def test_there_are_notebooks():
    assert {p.stem for p in NOTEBOOKS} >= {"use_of_force", "complaints"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_conventions(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert path.stem in registry.datasets(), "a notebook is named exactly as its dataset"
    cells = nb["cells"]
    assert cells[0]["cell_type"] == "markdown" and "".join(cells[0]["source"]).startswith("# ")
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1 and cells.index(tagged[0]) == 1, "one parameters cell, right after the title"
    lines = [line for line in "".join(tagged[0]["source"]).splitlines() if line.strip()]
    assert all(PARAMETER_LINE.match(line) for line in lines), "parameters only, typed and commented"
    assert {m.group(1) for m in map(PARAMETER_LINE.match, lines)} == {"agency", "period", "output_dir"}
    inspected = papermill.inspect_notebook(str(path))
    assert {name: p["inferred_type_name"] for name, p in inspected.items()} == {"agency": "str", "period": "str", "output_dir": "str"}
    code = [c for c in cells if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), "committed without outputs"
    source = "\n".join("".join(c["source"]) for c in code)
    assert f'Section("{path.stem}"' in source
    assert "".join(code[-1]["source"]).strip().startswith("section.save()")
    assert not re.search(r"^\s*(import|from) (pandas|numpy)", source, re.M), "computation belongs in the package"
    assert len(source.splitlines()) <= 80, "notebooks stay thin"
    assert nb["metadata"]["kernelspec"]["name"] == "transparency"


def test_new_dataset_scaffold_follows_the_conventions(tmp_path):
    path = new_dataset_notebook("pursuits", tmp_path)
    nb = json.loads(path.read_text())
    assert PARAMETER_LINE.match("".join(nb["cells"][1]["source"]).splitlines()[0])
    assert 'Section("pursuits"' in "".join("".join(c["source"]) for c in nb["cells"])
    with pytest.raises(UsageError, match="already exists"):
        new_dataset_notebook("pursuits", tmp_path)
    with pytest.raises(UsageError, match="not a dataset"):
        new_dataset_notebook("parking_tickets", tmp_path)


def test_the_statewide_notebook_follows_the_conventions():
    path = REPO / "notebooks" / "statewide.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = nb["cells"]
    assert cells[0]["cell_type"] == "markdown" and "".join(cells[0]["source"]).startswith("# ")
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1 and cells.index(tagged[0]) == 1
    lines = [line for line in "".join(tagged[0]["source"]).splitlines() if line.strip()]
    assert all(PARAMETER_LINE.match(line) for line in lines), "parameters only, typed and commented"
    inspected = papermill.inspect_notebook(str(path))
    assert {name: p["inferred_type_name"] for name, p in inspected.items()} == {"inputs": "str", "output_dir": "str"}
    code = [c for c in cells if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), "committed without outputs"
    source = "\n".join("".join(c["source"]) for c in code)
    assert "StatewideReport(inputs, output_dir)" in source
    assert "".join(code[-1]["source"]).strip().startswith("report.save()")
    assert not re.search(r"^\s*(import|from) (pandas|numpy)", source, re.M), "computation belongs in the package"
    assert len(source.splitlines()) <= 30, "notebooks stay thin"
    assert nb["metadata"]["kernelspec"]["name"] == "transparency"
