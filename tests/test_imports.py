"""The package's imports point one way: no module imports another that imports it back, and the steps of
reading raw files import only the steps before them.

The graph is read from the source with ``ast`` (nothing is imported to build it). An import counts where it
would run: at module level, inside ``try``/``if`` blocks too, but not under ``if TYPE_CHECKING:`` (an
annotation never runs). Imports inside functions (lazy imports, used where a module is slow to import or
needed on one path only) are checked by the second test, which allows the one circle listed there.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import transparency
from transparency.reading import load

PACKAGE = Path(transparency.__file__).parent



def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, lazy: bool) -> list[ast.Import | ast.ImportFrom]:
    """The import statements that run when the module is imported (and, with ``lazy``, those in functions)."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    visit_one(other, in_function)
                continue
            visit_one(child, in_function)

    def visit_one(child: ast.AST, in_function: bool) -> None:
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            if lazy or not in_function:
                found.append(child)
            return
        visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(tree, False)
    return found


def _targets(module: str, is_package: bool, node: ast.Import | ast.ImportFrom, known: set[str]) -> set[str]:
    """The package's modules an import statement loads (``from . import a, b`` loads a and b)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in known}
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    out = set()
    for alias in node.names:
        if f"{prefix}.{alias.name}" in known:
            out.add(f"{prefix}.{alias.name}")
        elif prefix in known:
            out.add(prefix)
    return out


def import_graph(lazy: bool = False) -> dict[str, set[str]]:
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets: set[str] = set()
        for node in _imports(tree, lazy):
            targets |= _targets(name, path.name == "__init__.py", node, set(modules))
        # A package's own __init__ runs before its modules: importing a.b loads a too, but that is no
        # import of a's contents by a.b, so only imports named in the source count.
        graph[name] = targets - {name}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def _path_round(graph: dict[str, set[str]], group: list[str]) -> str:
    """One way round a circle, for the message: a -> b -> a."""
    start = group[0]
    members = set(group)
    path, seen = [start], {start}
    while True:
        step = min(t for t in graph[path[-1]] if t in members)
        if step in seen:
            return " -> ".join(path[path.index(step):] + [step])
        path.append(step)
        seen.add(step)


def test_the_graph_sees_the_imports_it_should():
    """The reader of imports finds what a glance at the source shows (so the tests below test something)."""
    graph = import_graph()
    assert "transparency.reading.files" in graph["transparency.reading.load"]
    assert "transparency.reading" in graph["transparency.reading.load"]  # `from . import reading`
    assert "transparency.releasing.released" in graph["transparency.releasing.publish_index"]
    assert "transparency.core.keys" not in graph["transparency.reading.values"]  # imported inside a function
    assert "transparency.core.keys" in import_graph(lazy=True)["transparency.reading.values"]
    assert "transparency.reading.values" not in graph["transparency.reading.columns"]  # under TYPE_CHECKING
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_imports_in_a_circle():
    graph = import_graph()
    found = circles(graph)
    assert not found, "modules importing each other (imports must point one way): " + "; ".join(
        _path_round(graph, group) for group in found)


def test_no_new_circle_through_imports_inside_functions():
    """Lazy imports too: release and publish_index no longer import each other (the released tree is read
    through transparency.releasing.released), and render no longer reaches up to pdfparts for the page-fitting rules
    (the page is cut into parts by transparency.rendering.pagecut, below both)."""
    graph = import_graph(lazy=True)
    found = circles(graph)
    assert not found, "modules importing each other, counting imports inside functions: " + "; ".join(
        _path_round(graph, group) for group in found)


#: The steps of transparency/reading in the order its __init__ lists them; a step imports only those before it.
READING_STEPS = ["columns", "files", "dates", "values", "datefields", "rows", "extract", "related"]
#: The reading stage's other modules: ``load`` runs the steps for a dataset; ``timeofday`` is below them; ``headers``
#: and ``fetch`` read headers for ``validate`` and fetch files from portals.
READING_AROUND = ["load", "timeofday", "headers", "fetch"]
#: What the reading steps may import from the rest of the package: the layers below reading.
BELOW_READING = {"transparency.core.config", "transparency.core.registry", "transparency.core.errors", "transparency.core.hashing",
                 "transparency.core.keys", "transparency.core.textnorm", "transparency.reading.timeofday"}


def test_the_reading_steps_import_only_the_steps_before_them_and_the_layers_below():
    graph = import_graph(lazy=True)
    steps = [f"transparency.reading.{name}" for name in READING_STEPS]
    around = [f"transparency.reading.{name}" for name in READING_AROUND]
    assert sorted(steps + around + ["transparency.reading"]) == sorted(
        m for m in graph if m.startswith("transparency.reading"))
    docstring = transparency.reading.__doc__
    assert [name for name in READING_STEPS if f"``{name}``" in docstring] == READING_STEPS
    assert sorted(READING_STEPS, key=lambda name: docstring.index(f"``{name}``")) == READING_STEPS
    for position, step in enumerate(steps):
        allowed = BELOW_READING | set(steps[:position])
        wrong = sorted(graph[step] - allowed)
        assert not wrong, f"{step} imports {', '.join(wrong)}: a reading step imports only the steps listed before it " \
                          "in transparency/reading/__init__.py and the layers below reading"


@pytest.mark.parametrize("name, step", [("_try", "dates"), ("WORKBOOK_MAX_UNZIPPED", "files"), ("_norm_key", "rows")])
def test_a_name_set_on_load_reaches_the_step_that_uses_it(monkeypatch, name, step):
    """load.py still answers to the names that moved to transparency/reading, and setting one on it (as
    tests' monkeypatches do) sets it in every step module that holds the same object, and undoes it."""
    module = getattr(transparency.reading, step)
    original = getattr(module, name)
    assert getattr(load, name) is original
    replacement = object()
    monkeypatch.setattr(load, name, replacement)
    assert getattr(module, name) is replacement and getattr(load, name) is replacement
    monkeypatch.undo()
    assert getattr(module, name) is original and getattr(load, name) is original


def test_a_name_load_did_not_share_is_set_on_load_alone(monkeypatch):
    """Only a step holding the very object load holds is changed: a step's own different value is kept."""
    monkeypatch.setattr(transparency.reading.dates, "_FAST_MIN", 7)  # now differs from load's
    monkeypatch.setattr(load, "_FAST_MIN", 9)
    assert transparency.reading.dates._FAST_MIN == 7 and load._FAST_MIN == 9


#: The stage folders, from raw files to the release (the README's layout section draws them in this order).
STAGES = ["core", "reading", "tables", "figures", "writing", "sections", "rendering", "building", "releasing"]
#: Modules above every stage: the command line and what only it uses.
ON_TOP = ("transparency.cli", "transparency.reference", "transparency.sample", "transparency.assistant")


def stage_of(module: str) -> int:
    """A module's place in :data:`STAGES` (the package's ``__init__``, holding only the version, is below all)."""
    if module == "transparency":
        return -1
    if module == ON_TOP[0] or any(module == top or module.startswith(top + ".") for top in ON_TOP):
        return len(STAGES)
    return STAGES.index(module.split(".")[1])


def test_every_module_lives_in_a_stage_folder_or_on_top():
    loose = [m for m in _modules() if m != "transparency" and m.split(".")[1] not in STAGES
             and not any(m == top or m.startswith(top + ".") for top in ON_TOP)]
    assert not loose, f"modules outside the stage folders: {loose}"
    for stage in STAGES:
        doc = importlib.import_module(f"transparency.{stage}").__doc__ or ""
        assert "May import" in doc or "may import" in doc, f"transparency/{stage}/__init__.py does not say what it may import"


def test_imports_point_down_the_stages():
    """From the release down to the reading of raw files: a module imports its own stage and those before it,
    never one after it (imports inside functions too)."""
    graph = import_graph(lazy=True)
    upward = sorted(f"{module} -> {target}" for module, targets in graph.items() for target in targets
                    if stage_of(target) > stage_of(module))
    assert not upward, "imports that point up the stages (" + " < ".join(STAGES) + "): " + "; ".join(upward)


def test_the_stage_check_catches_an_upward_import():
    assert stage_of("transparency.figures.suppress") < stage_of("transparency.building.build")
    assert stage_of("transparency.cli") > stage_of("transparency.releasing.release")
    assert stage_of("transparency.sections.stops") > stage_of("transparency.writing.charts")
    assert stage_of("transparency") < stage_of("transparency.core.errors")


def test_the_readme_layout_names_every_folder_and_module():
    """The README's layout section is the tree as it is: every stage folder, and every module but those named after
    a dataset, is named there."""
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout"):readme.index("\n## ", readme.index("## Layout") + 1)]
    for stage in STAGES:
        assert f"  {stage}/" in layout, f"the README's layout section does not show transparency/{stage}/"
    from transparency.core import registry

    per_dataset = {f"{name}.py" for name in registry.datasets()}  # sections/ and sample/ hold one module per dataset
    unnamed = sorted(str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
                     if path.name != "__init__.py" and path.name not in per_dataset and path.name not in layout)
    assert not unnamed, f"modules the README's layout section does not name: {unnamed}"
