"""What a dataset notebook calls: its data for the period, published tables and sentences, its facts.

A notebook opens a :class:`Section`, computes with package functions, and presents::

    section = Section("use_of_force", agency=agency, period=period, output_dir=output_dir)
    section.say(...)                       # plain-language sentences
    section.table(frame, "by_district", "Incidents by district")   # suppressed, shown, saved as CSV
    section.chart(fig, alt="...")           # a chart with its alt text
    section.answer(uof.key_answer(...))     # the section's key question, answered on the report's page 2
    section.save()                          # the section's facts for the build (always last)

Every published table goes through :func:`transparency.figures.suppress.suppress_table` and is written to
``<output_dir>/tables/<dataset>__<name>.csv`` with spreadsheet formulas neutralised.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd

from transparency.core import fmt, registry
from transparency.core.config import Agency, find_agency, load_agency
from transparency.core.errors import UsageError
from transparency.core.periods import Period, parse_period
from transparency.figures.metrics import Metrics, compute, coverage, covers
from transparency.figures.suppress import Suppressed, suppress_table, suppress_with_known_sums
from transparency.tables.cache import load_cached
from transparency.writing import charts, labels

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
    ``transparency build --period latest`` builds (:func:`transparency.core.periods.latest_quarter`; the
    dataset that goes furthest decides, so a notebook of a rarer kind of record is on the report's
    quarter too)."""
    if str(text).strip().lower() == "latest":
        from transparency.tables.cache import agency_latest

        return agency_latest(agency)
    periods = parse_period(text, fiscal_year_start=agency.model.fiscal_year_start)
    if len(periods) != 1:
        raise UsageError(f"a notebook takes one period, not the range '{text}'")
    return periods[0]


#: Words after a number that make it a span of time ("the last 12 months"), never a count of records.
_TIME_UNITS = r" (?:months?|quarters?|years?|weeks?|days?|hours?|minutes?)\b"


def shows_number(text: str, shown: str) -> bool:
    """Whether a sentence shows the number ``shown`` (as :func:`transparency.core.fmt.count` writes it) as a
    number of its own: not inside a larger number, and not as a span of time ("the last 12 months")."""
    return re.search(rf"(?<![\d.,]){re.escape(shown)}(?![\d,]|\.\d|{_TIME_UNITS})", text) is not None


def _read_hidden(path: Path) -> list[str]:
    try:
        return list(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return []


def _write_hidden(path: Path, names: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(names), encoding="utf-8")


def _grid(frame: pd.DataFrame, published: Suppressed, count_columns: list[str] | None, measures: bool = False) -> dict | None:
    """A published table's count cells before suppression, and which were hidden and why (for the audit)."""
    if count_columns is not None and len(count_columns) == 0:
        return None
    columns = list(count_columns) if count_columns is not None else [
        c for c in frame.columns if pd.api.types.is_integer_dtype(frame[c].dtype) and not pd.api.types.is_bool_dtype(frame[c].dtype)]
    reasons = {(entry["row"], entry["column"]): entry["reason"] for entry in published.log}
    rows = list(frame.index)
    return {
        "rows": [_label(r) for r in rows],
        "columns": [str(c) for c in columns],
        "counts": [[int(frame.loc[r, c]) for c in columns] for r in rows],
        "reasons": [[reasons.get((_plain_label(r), c), "") for c in columns] for r in rows],
        "rows_add_up": not measures,
    }


def _plain_label(value: object) -> object:
    return value.item() if hasattr(value, "item") else value


def _label(value: object) -> str:
    return str(value.item() if hasattr(value, "item") else value)


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
            from transparency.tables.cache import cached, read_table

            entry = cached(self.agency, dataset)
            start, end = window(self.period) if window is not None else (None, None)
            self.loaded = entry.result(read_table(entry, start, end, columns=list(columns) if columns is not None else None))
            self.data = self.loaded.table
        self.prior = self.period.previous()
        self.last_year = self.period.year_earlier()
        self.min_count = self.agency.min_count
        self.rows = self.data[self.period.contains(self.data[self.event])]
        self.output_dir = Path(output_dir) if output_dir else Path(tempfile.mkdtemp(prefix=f"{dataset}-"))
        #: Figures another output of this section hid on an earlier pass (see :meth:`save`).
        self.hide: frozenset[str] = frozenset(_read_hidden(self._hidden_path()))
        #: What one row is (``grain:`` in agency.yml); the section's words and figures follow it.
        self.grain = self.agency.grain(dataset)
        self.metrics: Metrics = compute(dataset, self.data, self.period, self.min_count, hide=self.hide,
                                         public_events=self.agency.events_public(dataset), grain=self.grain)
        self._hidden_here: set[str] = set()
        self.coverage = coverage(self.data, dataset)
        self.tables: list[dict] = []
        self.suppression_log: list[dict] = []
        self.summary: list[str] = []
        self.said: list[str] = []  # every sentence shown, for the check in save()
        #: The section's key question answered (:meth:`answer`), for the report's page 2.
        self.key_answer: dict | None = None

    # --- What the notebook asks -----------------------------------------------------------------------

    def recorded(self, field: str) -> bool:
        """Whether the agency records this field (else figures built on it are omitted, not 0)."""
        return field in self.data.columns or (self.partial and field in self.loaded.recorded)

    def label(self, field: str) -> Callable[[object], str]:
        """How a category field's values are shown to readers, as a function of the stored value: the
        agency's ``labels:`` for the field, else sentence case (:func:`transparency.writing.labels.category_label`).

        Every table, chart, sentence and list that shows the field's values uses this one function, so a
        value reads alike everywhere (the CSV holds what the table shows)."""
        return labels.labeller(self.agency.labels(self.dataset, field), name=field in labels.NAME_FIELDS)

    def labelled(self, rows: pd.DataFrame, *fields: str) -> pd.DataFrame:
        """A copy of ``rows`` whose category ``fields`` hold the text readers see (:meth:`label`); values that
        share a label become one (counted together)."""
        return labels.label_frame(rows, fields, self.label)

    def value(self, name: str):
        """A published figure by its metrics.json name (None when suppressed or not covered, or when the
        figure is not computed at the dataset's grain). A name is read as at the grain
        (``allegations_closed`` is ``complaints_closed`` when one row is a complaint)."""
        renamed = self.grain.metric(name)
        return None if renamed is None else self.metrics.values.get(renamed)

    def figure(self, name: str):
        """A headline figure before suppression (None when not covered or not recorded), for a table
        that shows it: the table then shows the one value metrics.json publishes. Name the cell with
        ``figures=`` in :meth:`table`, so that both are suppressed alike."""
        found = self.metrics.figures.get(name)
        return None if found is None else found.value

    def figure_name(self, name: str, period: Period) -> str:
        """A figure's metrics.json name for one of the section's three periods (``allegations_closed_prior``),
        as named at the dataset's grain (a figure not computed at the grain keeps its name, and is absent)."""
        name = self.grain.metric(name) or name
        for suffix, when in (("", self.period), ("_prior", self.prior), ("_last_year", self.last_year)):
            if when == period:
                return name + suffix
        raise ValueError(f"{period.code} is not this section's period, the one before or the one a year earlier")

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
        the section is built again when their inputs change (see transparency.core.incremental).
        """
        if dataset not in self.spec.uses:
            raise ValueError(f"the {self.dataset} section reads {dataset} but does not declare it: add "
                             f"`uses: [{dataset}]` to {self.dataset} in transparency/core/datasets.yml")
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
        self.said.append(text)
        display(HTML(f"<p>{html.escape(text)}</p>"))

    def heading(self, text: str, level: int = 3) -> None:
        """A sub-heading (the section's own title is the notebook's first Markdown cell)."""
        from IPython.display import HTML, display

        display(HTML(f"<h{level}>{html.escape(text)}</h{level}>"))

    def prose(self, text: str) -> None:
        """Show the section's own words as Markdown, as a Markdown cell of the notebook would show them (bold
        terms, lists): for words that follow the agency's data, such as what one row is (``grain:``), which a
        static cell cannot. Figures go in :meth:`say`, never here (nothing checks them here)."""
        from IPython.display import Markdown, display

        if text and text.strip():
            display(Markdown(text))

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
        figures: dict | None = None,
        measures: bool = False,
        known_sums: dict[str, list] | None = None,
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
        figures : dict, optional
            Cells that show a headline figure (a metrics.json name): ``{(row label, column): name}``,
            or ``{column: "searches__{row}"}`` where ``{row}`` is the row label as a metric name part
            (``Native American`` -> ``native_american``); names that are not figures of the section
            are ignored. Such a cell and the figure are one disclosure decision: hidden in both or
            in neither (:meth:`save` explains how), and the consistency audit checks that they agree.
        decimals : int, default 1
            Decimals shown of figures that are not whole numbers; they are published rounded to these
            (:func:`transparency.writing.charts.round_table`), in the CSV too.
        known_sums : dict, optional
            With ``measures=True``: count column -> the rows whose sum another table of the section
            publishes (a trend's this quarter, previous quarter and a year earlier, which a comparison table
            shows too); the column is then protected so that subtracting that sum recovers nothing
            (:func:`transparency.figures.suppress.suppress_with_known_sums`).
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
        published, linked = self._suppressed(frame, name, count_columns, rates, figures, measures, known_sums)
        # Rounded once, as shown: the CSV, the HTML, and the charts and sentences drawn from the returned table agree.
        table = charts.round_table(published.table, decimals)
        self.suppression_log.extend({"table": name, **entry} for entry in published.log)
        path = self.output_dir / "tables" / f"{self.dataset}__{name}.csv"
        write_csv(table.reset_index() if not isinstance(table.index, pd.RangeIndex) else table, path)
        self.tables.append({
            "name": name, "caption": caption, "file": f"tables/{path.name}", "suppressed": published.n_suppressed,
            "figures": {figure: [_label(row), str(column)] for (row, column), figure in linked.items()},
            # Private (the facts are never published): what the consistency audit needs to check that no
            # hidden cell can be worked out by combining this table with the section's other outputs.
            "grid": _grid(frame, published, count_columns, measures),
        })
        if published.n_suppressed:
            extra = f"Cells marked “—” are not shown: counts below {self.min_count}, and cells that would reveal them, are suppressed."
            note = f"{note} {extra}" if note else extra
        markup = charts.table_html(table, caption, note=note, decimals=decimals)
        download = f'<p class="table-download">Download this table: <a href="tables/{html.escape(path.name)}">{html.escape(path.name)}</a></p>'
        display({"text/html": markup + download, "text/plain": f"[Table] {caption}"}, raw=True)
        return table

    def publishable(self, frame: pd.DataFrame, count_columns: list[str] | None = None,
                    rates: dict[str, str | list[str]] | None = None, figures: dict | None = None,
                    measures: bool = False) -> pd.DataFrame:
        """The table exactly as :meth:`table` would publish it (the same suppression, with the same
        headline figures hidden), without publishing it: for a sentence or chart shown before it."""
        return self._suppressed(frame, "preview", count_columns, rates, figures, measures)[0].table

    def _suppressed(self, frame: pd.DataFrame, name: str, count_columns: list[str] | None,
                    rates: dict[str, str | list[str]] | None, figures: dict | None,
                    measures: bool = False, known_sums: dict[str, list] | None = None) -> tuple[Suppressed, dict]:
        """Disclosure control of one table: small counts, complements, the cells of headline figures
        hidden elsewhere, and rates built on hidden counts. Returns the result and the linked cells."""
        links: dict[tuple, str] = {}
        if count_columns is not None and len(count_columns) == 0:
            # No counts of people (published scores, say): nothing to hide, published as it is.
            mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
            published = Suppressed(table=frame.copy(), mask=mask, log=[], min_count=self.min_count)
        else:
            links = self._links(frame, figures)
            for (row, column), figure in links.items():
                shown, computed = frame.loc[row, column], self.figure(figure)
                if computed is None or pd.isna(shown) or float(shown) != float(computed):
                    raise ValueError(f"table '{name}', row {row!r}, column {column!r} shows {shown} but the figure "
                                     f"{figure} is {computed}: build the cell from section.figure({figure!r})")
            hide = keep = None
            if links:
                # Hidden where metrics.json hides it; hidden as a complement only when nothing else will do
                # where metrics.json publishes it (hiding it there too would cost another pass).
                hide = pd.DataFrame(False, index=frame.index, columns=frame.columns)
                keep = pd.DataFrame(False, index=frame.index, columns=frame.columns)
                for (row, column), figure in links.items():
                    hide.loc[row, column] = figure in self.metrics.suppressed
                    keep.loc[row, column] = figure not in self.metrics.suppressed
            if known_sums:
                if not measures:
                    raise ValueError(f"table '{name}': known_sums= is for a table of measures (measures=True)")
                published = suppress_with_known_sums(frame, known_sums, count_columns=count_columns,
                                                     min_count=self.min_count, hide=hide, keep=keep)
            else:
                published = suppress_table(frame, count_columns=count_columns, min_count=self.min_count, hide=hide,
                                           keep=keep, rows_add_up=not measures)
            for (row, column), figure in links.items():
                if bool(published.mask.loc[row, column]) and figure not in self.metrics.suppressed:
                    self._hidden_here.add(figure)
        for rate_column, count_column in (rates or {}).items():
            if rate_column in published.table.columns:  # a benchmark column is absent without its benchmark
                published = published.blank_dependent(rate_column, count_column)
        return published, links

    def period_figures(self, columns: dict[str, str]) -> dict:
        """``figures=`` for a table whose rows are periods by code (a trend): ``{column: figure}``
        names, for each row that is the section's period, the one before or the one a year earlier,
        the headline figure it shows (``{"Complaints received": "complaints_received"}``)."""
        return {(when.code, column): (self.grain.metric(figure) or figure) + suffix
                for column, figure in columns.items()
                for suffix, when in (("", self.period), ("_prior", self.prior), ("_last_year", self.last_year))}

    def _links(self, frame: pd.DataFrame, figures: dict | None) -> dict[tuple, str]:
        """``figures`` (see :meth:`table`) as ``{(row label, column): metric name}``, for the section's figures only."""
        if not figures:
            return {}
        known = set(self.metrics.figures)
        links: dict[tuple, str] = {}
        for where, template in figures.items():
            if isinstance(where, tuple):
                if where[0] in frame.index and where[1] in frame.columns and template in known:
                    links[where] = template
                continue
            if where not in frame.columns:
                continue
            for row in frame.index:
                name = template.format(row=registry.slug(str(row)))
                if name in known:
                    links[(row, where)] = name
        return links

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

    def answer(self, made) -> None:
        """Keep the section's key question, answered (a :class:`transparency.figures.answers.Answer` made by a tested
        function of the section module), for the report's page 2; :meth:`save` writes it with the facts.

        The answer's numbers must be this section's published figures or the cells of a table it
        published (the consistency audit checks both); nothing is shown in the section itself.
        """
        if made is None:
            return
        known = {table["file"] for table in self.tables}
        for part in [*made.parts, *(p for f in made.findings for p in f.parts)]:
            if isinstance(part, str):
                continue
            if "figure" in part:
                dataset, _, name = part["figure"].partition(":")
                if dataset != self.dataset or name not in self.metrics.values:
                    raise ValueError(f"the answer shows {part['figure']}, which is not a figure of this section")
                if self.metrics.values[name] != part["value"]:
                    raise ValueError(f"the answer shows {part['figure']} as {part['value']}, but it is "
                                     f"{self.metrics.values[name]}: take it from section.value({name!r})")
            elif part.get("table") not in known:
                raise ValueError(f"the answer shows a cell of {part.get('table')}, which this section has not published")
        if made.trend is not None and made.trend["table"] not in known:
            raise ValueError(f"the answer's trend is drawn from {made.trend['table']}, which this section has not published")
        self.key_answer = made.to_dict()

    # --- What the build reads -------------------------------------------------------------------------------

    def _check_sentences(self) -> None:
        """No sentence shows a headline count that the section hides as a complement.

        Sentences say small counts as "fewer than 5" by themselves, but a count hidden only because a table
        (or a breakdown) needs a complement to protect another is not small: a sentence that printed it would
        undo the protection. Such hiding is rare (a cell another output publishes is hidden as a complement
        only when nothing else will do), so a sentence that shows one stops the notebook, naming it.
        """
        for name, reason in self.metrics.suppressed.items():
            figure = self.metrics.figures.get(name)
            if reason != "complementary" or "__" in name or figure is None or figure.value != figure.basis:
                continue
            shown = fmt.count(int(figure.value), None)
            for text in self.said:
                if shows_number(text, shown):
                    raise ValueError(
                        f"a sentence shows {shown}, the value of {name}, which this section hides to protect a "
                        f"smaller count (see Section.save): say it with section.value({name!r}), which is None "
                        f"when hidden. The sentence: {text[:200]!r}")

    def _hidden_path(self) -> Path:
        return self.output_dir / "sections" / f"{self.dataset}.hidden.json"

    def save(self) -> Path:
        """Write the section's facts (summary, tables, suppression log, headline figures) for the build;
        call it last.

        One disclosure decision: a table that hides a cell showing a headline figure (``figures=`` in
        :meth:`table`) which metrics.json would publish means the figure must be hidden everywhere,
        and everything shown before that table (the summary, say) may have shown it. The names are
        then written to ``sections/<dataset>.hidden.json`` and the facts ask for another pass
        (``"rerun": true``): the build runs the notebook again, and this time every output starts
        from them hidden. Hidden sets only grow, so the passes end.
        """
        self._check_sentences()
        rerun = sorted(self._hidden_here - set(self.metrics.suppressed))
        if rerun:
            _write_hidden(self._hidden_path(), sorted(self.hide | set(rerun)))
        facts = {
            "dataset": self.dataset,
            "period": self.period.code,
            "summary": self.summary,
            "tables": self.tables,
            "suppression_log": self.suppression_log,
            "metrics": self.metrics.public(),
            "rows_in_period": len(self.rows),
            "rerun": rerun,
            "answer": self.key_answer,
        }
        path = self.output_dir / "sections" / f"{self.dataset}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(facts, indent=1, sort_keys=True, default=str), encoding="utf-8")
        return path
