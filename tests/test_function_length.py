"""No function in the package runs past ``LIMIT`` lines but those listed in ``LONG_FUNCTIONS``, to be shrunk.

A long function is fine when it reads as a flat list of named steps; one that nests decisions over a
hundred lines is hard to hold in one's head and to test piece by piece (issue 19). The length counted is
the function's own lines from ``def`` to its last line, its docstring left out (a docstring that explains
is welcome at any length); a function nested inside another counts within it and on its own.

The list names the long functions left as they are for now. A new long function fails the first test:
split it into named steps (or, when it is a flat list of steps already, add it here with the reason). A
listed function that has been shrunk fails the second test until it is taken off the list, so the list
only gets shorter.
"""

from __future__ import annotations

import ast
from pathlib import Path

import transparency

PACKAGE = Path(transparency.__file__).parent
LIMIT = 100

#: "module:qualified name" -> why it is still long.
LONG_FUNCTIONS = {
    "transparency.cli:build_parser": "a flat list of the commands and their options",
}


def _length(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    lines = node.end_lineno - node.lineno + 1
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        lines -= first.end_lineno - first.lineno + 1
    return lines


def function_lengths(package: Path = PACKAGE) -> dict[str, int]:
    """Every function and method of the package, as "module:Class.function", with its length in lines."""
    found: dict[str, int] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found[f"{prefix}{child.name}"] = _length(child)
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)), ".".join(parts) + ":")
    return found


def test_the_lengths_are_measured_as_said(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    body = "\n".join(f"    x{i} = {i}" for i in range(5))
    (package / "mod.py").write_text(
        f'def short():\n    """One line."""\n{body}\n\n\nclass A:\n    def method(self):\n        """Two\n        lines."""\n'
        "        def inner():\n            return 1\n        return inner\n", encoding="utf-8")
    assert function_lengths(package) == {"pkg.mod:short": 6, "pkg.mod:A.method": 4, "pkg.mod:A.method.inner": 2}


def test_no_new_function_runs_past_the_limit():
    long = {name: lines for name, lines in function_lengths().items() if lines > LIMIT and name not in LONG_FUNCTIONS}
    assert not long, (
        f"functions over {LIMIT} lines (docstring left out): "
        + ", ".join(f"{name} ({lines})" for name, lines in sorted(long.items()))
        + ". Split each into named steps, or list it in tests/test_function_length.py with the reason.")


def test_the_list_of_long_functions_only_gets_shorter():
    lengths = function_lengths()
    gone = sorted(name for name in LONG_FUNCTIONS if lengths.get(name, 0) <= LIMIT)
    assert not gone, f"no longer over {LIMIT} lines (or no longer there): take off LONG_FUNCTIONS: {', '.join(gone)}"
