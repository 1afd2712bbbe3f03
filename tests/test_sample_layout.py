"""The sample generator's folder reads as its ``__init__`` says: helpers first, one module per dataset named
as the dataset, the entry point after them, and no import of the rest of the package but its errors."""

from __future__ import annotations

from test_imports import import_graph

import transparency.sample
from transparency.sample import DATASETS

#: The helper modules, in the order the package's docstring lists them; each imports only those before it.
HELPERS = ["draws", "city", "days", "writing"]
#: After the datasets: the entry point, then the other generated agencies.
LAST = ["generator", "agencies"]


def _module(name: str) -> str:
    return f"transparency.sample.{name}"


def test_one_module_per_dataset_and_the_helpers_nothing_else():
    graph = import_graph(lazy=True)
    found = sorted(m for m in graph if m.startswith("transparency.sample."))
    assert found == sorted(_module(name) for name in [*HELPERS, *DATASETS, *LAST])


def test_the_docstring_lists_the_folder_in_its_import_order():
    docstring = transparency.sample.__doc__
    named = HELPERS + LAST
    assert all(f"``{name}``" in docstring for name in named)
    assert sorted(named, key=lambda name: docstring.index(f"``{name}``")) == named


def test_each_module_imports_only_those_before_it():
    graph = import_graph(lazy=True)
    order = [_module(name) for name in HELPERS]
    for position, module in enumerate(order):
        wrong = sorted(graph[module] - set(order[:position]))
        assert not wrong, f"{module} imports {', '.join(wrong)}"
    for dataset in DATASETS:  # a dataset's module reads the helpers, never another dataset's module
        wrong = sorted(graph[_module(dataset)] - set(order))
        assert not wrong, f"{_module(dataset)} imports {', '.join(wrong)}"
    generator = set(order) | {_module(d) for d in DATASETS}
    assert graph[_module("generator")] <= generator
    assert graph[_module("agencies")] <= {_module("city"), _module("generator"), "transparency.core.errors"}
