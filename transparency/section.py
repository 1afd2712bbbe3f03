"""What a dataset notebook calls: its data for the period, published tables and sentences, its facts.

A notebook opens a :class:`Section`, computes with package functions, and presents::

    section = Section("use_of_force", agency=agency, period=period, output_dir=output_dir)
    section.say(...)                       # plain-language sentences
    section.table(frame, "by_district", "Incidents by district")   # suppressed, shown, saved as CSV
    section.chart(fig, alt="...")           # a chart with its alt text
    section.save()                          # the section's facts for the build (always last)

Every published table goes through :func:`transparency.suppress.suppress_table` and is written to
``<output_dir>/tables/<dataset>__<name>.csv`` with spreadsheet formulas neutralised.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd

from . import charts, registry
from .cache import load_cached
from .config import Agency, find_agency, load_agency
from .errors import UsageError
from .metrics import Metrics, compute, coverage, covers
from .periods import Period, parse_period
from .suppress import Suppressed, suppress_table

# A CSV cell starting with one of these is run as a formula by spreadsheet programs.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Make a CSV cell safe to open in a spreadsheet: text starting with = + - @ gets a leading quote.

    Numbers (including negative numbers) are left as they are.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        try:
            float(value)
            return value
        except ValueError:
            return "'" + value
    return value


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a published table as UTF-8 CSV, deterministically, with formula cells neutralised."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column].dtype):
            out[column] = out[column].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    buffer = io.StringIO()
    out.to_csv(buffer, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def resolve_agency(agency: str) -> Agency:
    """An agency from a name under ``data/`` (searched from the notebook's folder upwards) or a folder."""
    candidate = Path(agency)
    if (candidate / "agency.yml").exists():
        return load_agency(candidate)
    root = os.environ.get("TRANSPARENCY_ROOT")
    if root:
        return load_agency(find_agency(agency, Path(root)))
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "data" / agency / "agency.yml").exists():
            return load_agency(folder / "data" / agency)
    raise UsageError(f"no agency '{agency}' found under data/ from {here}")


def resolve_period(text: str, agency: Agency) -> Period:
    """A period code, or ``latest``: the last quarter the agency's data covers whole, the one
    ``transparency build --period latest`` builds (:func:`transparency.periods.latest_quarter`; the
    dataset that goes furthest decides, so a notebook of a rarer kind of record is on the report's
    quarter too)."""
    if str(text).strip().lower() == "latest":
        from .cache import agency_latest

        return agency_latest(agency)
    periods = parse_period(text, fiscal_year_start=agency.model.fiscal_year_start)
    if len(periods) != 1:
        raise UsageError(f"a notebook takes one period, not the range '{text}'")
    return periods[0]


class Section:
    """One dataset's section of the report, as seen from its notebook.

    Parameters
    ----------
    dataset : str
        Canonical dataset name (the notebook's name).
    agency : str
        A name under ``data/`` or a folder holding agency.yml.
    period : str
        ``2025Q3``, ``2025``, ``FY2025``..., or ``latest``.
    output_dir : str
        Where tables and the section's facts go; empty: a temporary folder (an analyst's preview).
    columns : list of str, optional
        Read only these fields (besides the event date) from the cache: for large datasets.
    window : callable, optional
        ``window(period) -> (first day, end day)``: read only the rows whose event date falls in it
        (plus the first and last rows of the data, so that its span of dates, ``latest`` and the
        coverage stay those of the whole table). The section's figures must look at nothing
        outside it: the stops section, with millions of rows a year, reads its trend's quarters.
    """

    def __init__(self, dataset: str, agency: str = "sample", period: str = "latest", output_dir: str = "",
                 *, columns: list[str] | tuple[str, ...] | None = None,
                 window: Callable[[Period], tuple[date, date]] | None = None):
        self.spec = registry.dataset(dataset)
        self.dataset = dataset
        self.agency = resolve_agency(agency)
        self.event = self.spec.event
        #: True when ``data`` holds only a window of dates and some columns (see the class description).
        self.partial = columns is not None or window is not None
        self.period = resolve_period(period, self.agency)
        if not self.partial:
            self.loaded = load_cached(self.agency, dataset)
            self.data = self.loaded.table
        else:
            from .cache import cached, read_table

            entry = cached(self.agency, dataset)
            start, end = window(self.period) if window is not None else (None, None)
            self.loaded = entry.result(read_table(entry, start, end, columns=list(columns) if columns is not None else None))
            self.data = self.loaded.table
        self.prior = self.period.previous()
        self.last_year = self.period.year_earlier()
        self.min_count = self.agency.min_count
        self.rows = self.data[self.period.contains(self.data[self.event])]
        self.metrics: Metrics = compute(dataset, self.data, self.period, self.min_count,
                                         public_events=self.agency.events_public(dataset))
        self.coverage = coverage(self.data, dataset)
        self.output_dir = Path(output_dir) if output_dir else Path(tempfile.mkdtemp(prefix=f"{dataset}-"))
        self.tables: list[dict] = []
        self.suppression_log: list[dict] = []
        self.summary: list[str] = []

    # --- What the notebook asks -----------------------------------------------------------------------

    def recorded(self, field: str) -> bool:
        """Whether the agency records this field (else figures built on it are omitted, not 0)."""
        return field in self.data.columns or (self.partial and field in self.loaded.recorded)

    def value(self, name: str):
        """A published figure by its metrics.json name (None when suppressed or not covered)."""
        return self.metrics.values.get(name)

    def in_period(self, period: Period) -> pd.DataFrame:
        return self.data[period.contains(self.data[self.event])]

    def covers(self, period: Period) -> bool:
        """Whether the data reaches into the period (so a count of 0 means none, not no data)."""
        return covers(self.coverage, period)

    def count(self, period: Period, id_field: str | None = None, where: pd.Series | None = None) -> int | None:
        """Raw count of rows (or distinct ids) in a period, optionally of rows where ``where`` holds;
        None when the data does not cover the period. Publish it only through a table or a sentence
        helper, which suppress small counts."""
        if not self.covers(period):
            return None
        mask = period.contains(self.data[self.event])
        if where is not None:
            mask &= where.reindex(self.data.index, fill_value=False).fillna(False).astype(bool)
        rows = self.data[mask]
        return int(rows[id_field].nunique()) if id_field else len(rows)

    def other(self, dataset: str) -> pd.DataFrame | None:
        """Another dataset of the same agency (for denominators such as arrests), or None if not published.

        Only datasets the section declares in ``uses`` in datasets.yml: they are part of its build key, so
        the section is built again when their inputs change (see transparency.incremental).
        """
        if dataset not in self.spec.uses:
            raise ValueError(f"the {self.dataset} section reads {dataset} but does not declare it: add "
                             f"`uses: [{dataset}]` to {self.dataset} in transparency/datasets.yml")
        if dataset not in self.agency.dataset_names:
            return None
        return load_cached(self.agency, dataset).table

    # --- What the notebook shows ------------------------------------------------------------------------

    def say(self, *sentences: str, summary: bool = False) -> None:
        """Show sentences as a paragraph (escaped); ``summary=True`` also keeps them for the report's front."""
        from IPython.display import HTML, display

        text = " ".join(s.strip() for s in sentences if s and s.strip())
        if not text:
            return
        if summary:
            self.summary.append(text)
        display(HTML(f"<p>{html.escape(text)}</p>"))

    def heading(self, text: str, level: int = 3) -> None:
        """A sub-heading (the section's own title is the notebook's first Markdown cell)."""
        from IPython.display import HTML, display

        display(HTML(f"<h{level}>{html.escape(text)}</h{level}>"))

    def table(
        self,
        frame: pd.DataFrame | None,
        name: str,
        caption: str,
        *,
        count_columns: list[str] | None = None,
        note: str | None = None,
        rates: dict[str, str | list[str]] | None = None,
        decimals: int = 1,
        missing: str | None = None,
    ) -> pd.DataFrame | None:
        """Publish a table: suppress small counts, write the CSV, show it. Returns what was published.

        ``frame`` None means the agency does not record what the table needs: ``missing`` is said
        instead (and None returned).

        Parameters
        ----------
        frame : DataFrame
            Rows are categories (a label column or the index); counts are whole-number columns.
        name : str
            File name part: ``tables/<dataset>__<name>.csv``.
        caption : str
            What the table shows, for people.
        count_columns : list of str, optional
            The count columns (default: the integer columns); ``[]`` for a table that counts no
            people (published scores), which is published as it is.
        rates : dict, optional
            Rate or percentage column -> the count column (or columns) it is built on; blanked when
            any of them is hidden.
        """
        from IPython.display import display

        if frame is None:
            if missing:
                self.say(missing)
            return None
        if frame.empty:
            self.say(f"There are no records to show in this table ({caption[0].lower() + caption[1:]}) for this period.")
            return None
        if not name.replace("_", "").isalnum():
            raise ValueError(f"table name '{name}' must be letters, digits and underscores")
        if count_columns is not None and len(count_columns) == 0:
            # No counts of people (published scores, say): nothing to hide, published as it is.
            mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
            published = Suppressed(table=frame.copy(), mask=mask, log=[], min_count=self.min_count)
        else:
            published = suppress_table(frame, count_columns=count_columns, min_count=self.min_count)
        for rate_column, count_column in (rates or {}).items():
            if rate_column in published.table.columns:  # a benchmark column is absent without its benchmark
                published = published.blank_dependent(rate_column, count_column)
        table = published.table
        self.suppression_log.extend({"table": name, **entry} for entry in published.log)
        path = self.output_dir / "tables" / f"{self.dataset}__{name}.csv"
        write_csv(table.reset_index() if not isinstance(table.index, pd.RangeIndex) else table, path)
        self.tables.append({"name": name, "caption": caption, "file": f"tables/{path.name}", "suppressed": published.n_suppressed})
        if published.n_suppressed:
            extra = f"Cells marked “—” are not shown: counts below {self.min_count}, and cells that would reveal them, are suppressed."
            note = f"{note} {extra}" if note else extra
        markup = charts.table_html(table, caption, note=note, decimals=decimals)
        download = f'<p class="table-download">Download this table: <a href="tables/{html.escape(path.name)}">{html.escape(path.name)}</a></p>'
        display({"text/html": markup + download, "text/plain": f"[Table] {caption}"}, raw=True)
        return table

    def privacy_note(self) -> str:
        """The suppression rule in one sentence, with this agency's threshold."""
        return (f"Numbers from 1 to {self.min_count - 1} are not shown, to protect privacy, and neither is any number "
                "that would let a hidden one be worked out.")

    def chart(self, made) -> None:
        """Show a chart made by a section helper as ``(figure, alt text)``; None shows nothing."""
        if made is None:
            return
        fig, alt = made
        charts.show(fig, alt)

    # --- What the build reads -------------------------------------------------------------------------------

    def save(self) -> Path:
        """Write the section's facts (summary, tables, suppression log) for the build; call it last."""
        facts = {
            "dataset": self.dataset,
            "period": self.period.code,
            "summary": self.summary,
            "tables": self.tables,
            "suppression_log": self.suppression_log,
        }
        path = self.output_dir / "sections" / f"{self.dataset}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(facts, indent=1, sort_keys=True, default=str), encoding="utf-8")
        return path
