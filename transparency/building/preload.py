"""Imported once by the notebook workers' fork server, so that every notebook starts warm.

Importing this module imports what every section notebook uses (pandas, pyarrow, matplotlib, IPython,
papermill and this package's sections), what turns an executed notebook into the section's HTML
(nbconvert with the report template) and what draws the PDF (WeasyPrint), and draws one small chart, which loads the fonts and fills
matplotlib's text caches. A worker forked from a process that has done this starts a notebook in
milliseconds instead of the two seconds a fresh kernel spends importing.

The first notebook waits for this import, so what it costs is weighed: WeasyPrint (0.25 s, see
:func:`transparency.rendering.render.import_weasyprint`) is here
because every build draws a PDF (once per quarter of a range, 8 s of a 16-quarter backfill, where its
coordinator would otherwise import it each time); so is scipy.stats (about 1 s: shares are compared with
its Fisher's exact test in the complaints and pursuits sections, whose workers would each import it, in
every quarter of a range); statsmodels is not needed (the stops section's statistical tests are the
package's own, in :mod:`transparency.figures.stats`).

Nothing here reads an agency's data or keeps state a notebook could see: the imports are the same
ones the notebooks make, and the warm-up figure is closed.
"""

from __future__ import annotations

import gc
import importlib
import pkgutil


def _warm() -> None:
    import IPython.core.interactiveshell  # noqa: F401
    import matplotlib
    import matplotlib_inline.backend_inline  # noqa: F401
    import nbformat  # noqa: F401
    import pandas  # noqa: F401
    import papermill  # noqa: F401
    import pyarrow.parquet  # noqa: F401
    import scipy.special  # noqa: F401
    import scipy.stats  # noqa: F401  (Fisher's exact test for shares: 1.3 s in each worker that needs it otherwise)

    from transparency import sections  # noqa: F401
    from transparency.rendering import render  # noqa: F401
    from transparency.sections import section  # noqa: F401

    from . import engine, execute  # noqa: F401

    render.import_weasyprint()

    for module in pkgutil.iter_modules(sections.__path__):
        importlib.import_module(f"{sections.__name__}.{module.name}")

    from transparency.writing import charts

    matplotlib.use("Agg")  # the notebook's own `%matplotlib inline` switches to the inline backend
    fig = charts.bar_chart(["A", "B"], [1, 2], title="Warm-up", value_label="Count", note="Warm-up")
    charts.to_svg(fig)
    matplotlib.pyplot.close("all")
    _convert_once(render)


def _convert_once(render) -> None:
    """Turn a small executed notebook into a section's HTML: compiles the templates and the
    sanitiser's and Markdown's patterns once, here, instead of in every worker."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    cell = new_code_cell("x", execution_count=1, outputs=[
        new_output("display_data", data={"text/html": "<p>A <b>warm-up</b> paragraph.</p>"}),
        new_output("display_data", data={"text/markdown": "Some *Markdown*."}),
    ])
    notebook = new_notebook(cells=[new_markdown_cell("# Warm-up\n\nA paragraph with a [link](https://example.org)."), cell])
    resources = {"transparency_fragment": True, "metadata": {"name": "warm-up", "path": "."}}
    body, _ = render.section_exporter().from_notebook_node(nbformat.from_dict(notebook), resources=resources)
    render.clean_html(body)


try:
    _warm()
except Exception:  # noqa: BLE001 - a failed warm-up only costs time: each notebook imports what it needs
    pass

# What was made so far lives as long as the server: keep the garbage collector of every forked
# worker from walking it. A full collection in a worker would otherwise visit each of these objects,
# taking time and touching (so copying) memory the worker shares with the server; twelve notebooks
# run about a sixth faster (measured: 10.5 s to 8.7 s one after another).
gc.collect()
gc.freeze()
