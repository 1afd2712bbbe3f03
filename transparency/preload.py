"""Imported once by the notebook workers' fork server, so that every notebook starts warm.

Importing this module imports what the section notebooks use (pandas, pyarrow, matplotlib, SciPy,
statsmodels, IPython, papermill and this package's sections) and what turns an executed notebook
into the section's HTML (nbconvert with the report template), and draws one small chart, which
loads the fonts and fills matplotlib's text caches. A worker forked from a process that has done this
starts a notebook in milliseconds instead of the two seconds a fresh kernel spends importing.

Nothing here reads an agency's data or keeps state a notebook could see: the imports are the same
ones the notebooks make, and the warm-up figure is closed.
"""

from __future__ import annotations

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
    import scipy.stats  # noqa: F401
    import statsmodels.api  # noqa: F401
    import statsmodels.stats.proportion  # noqa: F401
    import statsmodels.stats.rates  # noqa: F401
    import weasyprint  # noqa: F401 - the build renders its PDF in a worker forked from here too

    from . import engine, execute, render, section, sections  # noqa: F401

    for module in pkgutil.iter_modules(sections.__path__):
        importlib.import_module(f"{sections.__name__}.{module.name}")

    from . import charts

    matplotlib.use("Agg")  # the notebook's own `%matplotlib inline` switches to the inline backend
    fig = charts.bar_chart(["A", "B"], [1, 2], title="Warm-up", value_label="Count", note="Warm-up")
    charts.to_svg(fig)
    matplotlib.pyplot.close("all")
    render.section_exporter()  # nbconvert's exporter with the report template, loaded once


try:
    _warm()
except Exception:  # noqa: BLE001 - a failed warm-up only costs time: each notebook imports what it needs
    pass
