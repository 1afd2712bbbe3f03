"""`transparency new-dataset NAME`: a new section notebook that runs as it is, for an analyst to build on."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from transparency.core import registry
from transparency.core.errors import UsageError

PARAMETERS = (
    'agency: str = "sample"  # a name under data/, or a folder holding agency.yml\n'
    'period: str = "latest"  # reporting period, such as "2026Q3"; "latest" is the last complete quarter in the data\n'
    'output_dir: str = ""  # where published tables go; empty for a temporary folder (a preview)'
)


def new_dataset_notebook(name: str, notebooks: Path) -> Path:
    """Write ``notebooks/<name>.ipynb`` for a dataset of the registry; refuses to overwrite."""
    try:
        spec = registry.dataset(name)
    except KeyError:
        raise UsageError(
            f"'{name}' is not a dataset of transparency/core/datasets.yml; declare it there first "
            f"(known: {', '.join(registry.datasets())})"
        ) from None
    path = notebooks / f"{name}.ipynb"
    if path.exists():
        raise UsageError(f"{path} already exists")
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "transparency", "display_name": "Python (transparency)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["title"] = spec.title
    cells = [
        new_markdown_cell(f"# {spec.title}\n\nOne record is {spec.one_row_is}."),
        new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
        new_code_cell("%matplotlib inline\nfrom transparency.sections.section import Section\nfrom transparency.sections import generic\n\n"
                      f'section = Section("{name}", agency=agency, period=period, output_dir=output_dir)'),
        new_markdown_cell("## Summary"),
        new_code_cell("section.say(*generic.summary(section), summary=True)"),
        new_markdown_cell("## The trend"),
        new_code_cell(f'trend = section.table(generic.trend(section), "trend", "{spec.title} per quarter")\n'
                      "section.chart(generic.trend_chart(section, trend))"),
        new_markdown_cell("## Where"),
        new_code_cell(f'section.table(generic.districts(section), "districts", "{spec.title} by district",\n'
                      '              missing="The department does not record the district.")'),
        new_code_cell("section.say(section.privacy_note())"),
        new_code_cell("section.save();"),
    ]
    for number, cell in enumerate(cells):
        cell["id"] = f"{name[:12]}-{number:02d}"
    nb.cells = cells
    notebooks.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path
