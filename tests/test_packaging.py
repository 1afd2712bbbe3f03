"""The package declares itself as setuptools expects: an SPDX licence string, every sub-package and every
data file found by discovery (a fresh install printed a hundred lines of warnings, and a non-editable
install left out transparency/sections)."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

from setuptools import find_namespace_packages

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_license_is_an_spdx_string_not_a_table():
    project = _pyproject()["project"]
    assert isinstance(project["license"], str) and project["license"] == "MIT"
    requires = _pyproject()["build-system"]["requires"]
    assert any(r.replace(" ", "").startswith("setuptools>=") and int(r.split(">=")[1].split(".")[0]) >= 77 for r in requires)


def test_every_folder_of_the_package_is_a_declared_package_and_every_data_file_is_package_data():
    setuptools_config = _pyproject()["tool"]["setuptools"]
    assert "packages" not in setuptools_config or isinstance(setuptools_config["packages"], dict)
    find = setuptools_config["packages"]["find"]
    packages = set(find_namespace_packages(where=str(ROOT), include=find["include"]))
    folders = {
        ".".join(path.relative_to(ROOT).parts)
        for path in (ROOT / "transparency").rglob("*")
        if path.is_dir() and path.name != "__pycache__"
    } | {"transparency"}
    assert folders <= packages, f"folders setuptools would warn about: {sorted(folders - packages)}"
    patterns = setuptools_config["package-data"]["*"]
    data_files = [p for p in (ROOT / "transparency").rglob("*")
                  if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts]
    assert data_files
    left_out = [str(p.relative_to(ROOT)) for p in data_files if not any(fnmatch.fnmatch(p.name, pat) for pat in patterns)]
    assert not left_out, f"data files no package-data pattern covers: {left_out}"
