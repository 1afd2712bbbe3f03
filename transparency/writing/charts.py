"""The one chart and table style of the reports: palette, font, chart helpers, and accessible display.

Every chart in a report is made here so that all of them share one colour-blind-safe palette
(Okabe-Ito), one font (DejaVu Sans), a title that states the finding, labelled axes with units,
and a source/method note drawn under the plot. :func:`show` puts a chart into the notebook as SVG
(vector, sharp in the PDF) with its alt text in the output metadata, where the report template reads
it; :func:`show_table` puts a table into the notebook as accessible HTML.

Typical notebook use::

    from transparency import charts
    fig = charts.bar_chart(["Taser", "Hands"], [12, 30], title="Hands-on force was most common",
                           value_label="Force applications (count)",
                           note="Source: use-of-force reports, July to September 2025.")
    charts.show(fig, alt="Bar chart: hands-on force 30 applications, Taser 12.")
    charts.show_table(table, caption="Force applications by type")

Notebooks need no ``%matplotlib inline``: :func:`show` writes the SVG itself, so charts appear
whatever ``MPLBACKEND`` says (``Agg`` in CI would otherwise hide them), and the build's kernel runs
with the inline backend anyway. A figure shown any other way (``plt.show()``) has no alt text, and
the report refuses it.
"""

from __future__ import annotations

import html
import io
import math
import numbers
import textwrap
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import matplotlib

# A figure is always written to SVG by show(); the backend only matters for plt.show(), so
# importing this module must not change what the notebook's backend is.
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from transparency.core import fmt

#: Okabe-Ito colours, ordered so that the first ones keep good contrast on white
#: (yellow, the weakest on white, comes last).
PALETTE: dict[str, str] = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky_blue": "#56B4E9",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
    "yellow": "#F0E442",
}
#: The series colours in order of use.
COLORS: list[str] = list(PALETTE.values())
#: Markers paired with COLORS so that lines differ by shape as well as colour.
MARKERS: list[str] = ["o", "s", "^", "D", "v", "P", "X", "*"]
#: The one font of the reports (installed with fontconfig's DejaVu package; also used by the PDF).
FONT = "DejaVu Sans"
#: Dark grey for notes and axes: contrast 7:1 on white (WCAG AAA).
TEXT_GREY = "#595959"
#: Default chart width in inches: the text width of a US Letter page with 0.75 in margins.
WIDTH = 7.0
#: What a chart shows in place of a value that is not published (suppressed or missing).
NOT_PUBLISHED = fmt.NOT_SHOWN

_WIDE = 7
_VERY_WIDE = 12
_TITLE_SIZE = 12.5
_NOTE_SIZE = 8.5


def apply_style() -> None:
    """Set matplotlib's rcParams to the report style (called on import; safe to call again)."""
    matplotlib.rcParams.update(
        {
            "font.family": "sans-serif",
            "font.sans-serif": [FONT],
            "font.size": 10,
            "axes.titlesize": _TITLE_SIZE,
            "axes.labelsize": 10,
            "axes.labelcolor": "#222222",
            "axes.edgecolor": TEXT_GREY,
            "axes.prop_cycle": matplotlib.cycler(color=COLORS),
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": False,
            "grid.color": "#DDDDDD",
            "grid.linewidth": 0.8,
            "xtick.color": TEXT_GREY,
            "ytick.color": TEXT_GREY,
            "xtick.labelcolor": "#222222",
            "ytick.labelcolor": "#222222",
            "legend.frameon": False,
            "figure.dpi": 100,
            "savefig.dpi": 150,
            # Text as text, not as one path per letter: WeasyPrint draws a chart about 4 times faster
            # and the SVG is about 4 times smaller; the words are real text in the PDF (they can be
            # selected and searched). The PDF embeds DejaVu Sans; a browser without it uses its own
            # sans-serif, so labels may sit a little differently on screen.
            "svg.fonttype": "none",
            # Fixed ids inside the SVG so that the same chart gives the same bytes (stable PDFs).
            "svg.hashsalt": "transparency-report",
            # Labels come from the data: "Fines $50-$100" is text, never mathematics (a "$...$" that is not
            # valid mathematics would stop the chart, and one that is would be drawn as a formula).
            "text.parse_math": False,
        }
    )


apply_style()


# --------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------


def format_number(value: Any, decimals: int = 1, na_rep: str = "—") -> str:
    """Format a number for a reader: thousands separators, at most ``decimals`` decimals.

    The rounding and separators are :func:`transparency.core.fmt.number`'s (halves away from zero,
    trailing zeros dropped), so a chart or table never disagrees with the narrative. Missing
    values (None, NaN, pandas NA) become ``na_rep``; booleans "Yes"/"No"; text is kept.

    >>> format_number(1234567), format_number(12.345), format_number(12.0), format_number(None)
    ('1,234,567', '12.3', '12', '—')
    """
    if _is_missing(value):
        return na_rep
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, numbers.Real):
        return fmt.number(value, decimals)
    return str(value)


def _is_missing(value: Any) -> bool:
    """None, NaN, infinities, pandas NA and NaT: a value that is not published or not recorded."""
    return fmt.is_missing(value)


def _axis_formatter(value_format: str) -> FuncFormatter:
    if value_format == "percent":
        return FuncFormatter(lambda v, _pos: f"{v:,.0f}%" if float(v).is_integer() else f"{v:,.1f}%")
    if value_format in ("count", "number"):
        return FuncFormatter(lambda v, _pos: format_number(v))
    raise ValueError(f"value_format must be 'count', 'number' or 'percent', not {value_format!r}")


def _series_texts(values: Sequence[Any], texts: Sequence[str] | None, value_format: str, decimals: int) -> list[str]:
    """The labels of one series: the published table's texts when given, else the same texts made here."""
    if texts is None:
        texts = column_texts(values, decimals, na_rep=NOT_PUBLISHED)
    elif len(texts) != len(values):
        raise ValueError(f"{len(texts)} label texts for {len(values)} values")
    unit = "%" if value_format == "percent" else ""
    return [NOT_PUBLISHED if _is_missing(v) else f"{text}{unit}" for v, text in zip(values, texts)]


# --------------------------------------------------------------------------------------------
# Building charts
# --------------------------------------------------------------------------------------------


def _require_text(name: str, value: str | None) -> str:
    if value is None or not str(value).strip():
        raise ValueError(f"{name} is required and must not be empty")
    return str(value).strip()


def _wrap(text: str, width_in: float, size: float) -> str:
    # DejaVu Sans averages about 0.55 em per character.
    chars = max(20, int(width_in * 72 / (size * 0.56)))
    return "\n".join(textwrap.wrap(text, chars))


def new_chart(
    *, title: str, note: str, width: float = WIDTH, height: float = 3.6
) -> tuple[Figure, Any]:
    """Make an empty styled chart: a figure with one axes, the title above, the note below.

    Use this for a chart that :func:`bar_chart` and :func:`line_chart` do not cover, then label
    the axes (with units) yourself and pass the figure to :func:`show`.

    Parameters
    ----------
    title : str
        The finding, in a sentence ("Complaints fell by a third since last year").
    note : str
        Source and method, drawn in small grey type under the chart.
    width, height : float
        Size in inches (the PDF scales the chart to the text width).

    Returns
    -------
    (Figure, Axes)
    """
    title = _require_text("title", title)
    note = _require_text("note", note)
    fig = plt.figure(figsize=(width, height), layout="constrained")
    ax = fig.add_subplot()
    wrapped_title = _wrap(title, width - 0.2, _TITLE_SIZE * 1.1)  # bold type runs wider
    fig.suptitle(wrapped_title, x=0.01, ha="left", fontsize=_TITLE_SIZE, fontweight="bold")
    wrapped_note = _wrap(note, width - 0.2, _NOTE_SIZE)
    lines = wrapped_note.count("\n") + 1
    note_height = (lines * _NOTE_SIZE * 1.35 + 8) / 72 / height
    fig.text(0.01, 0.012, wrapped_note, ha="left", va="bottom", fontsize=_NOTE_SIZE, color=TEXT_GREY)
    # Keep the plot clear of the note: constrained layout lays out only the area above it.
    fig.get_layout_engine().set(rect=(0, note_height, 1, 1 - note_height))
    fig.transparency_title = title  # read by tests and by show() for the text/plain fallback
    fig.transparency_note = note
    return fig, ax


def bar_chart(
    labels: Sequence[Any],
    values: Sequence[Any] | Mapping[str, Sequence[Any]],
    *,
    title: str,
    value_label: str,
    note: str,
    category_label: str | None = None,
    horizontal: bool | None = None,
    value_format: str = "count",
    decimals: int = 1,
    texts: Sequence[str] | Mapping[str, Sequence[str]] | None = None,
    width: float = WIDTH,
    height: float | None = None,
) -> Figure:
    """A bar chart with value labels on the bars.

    Parameters
    ----------
    labels : sequence
        The categories (district names, force types, quarters).
    values : sequence of numbers, or mapping series name -> sequence of numbers
        One series, or several drawn as grouped bars with a legend (e.g. ``{"2024Q3": [...],
        "2025Q3": [...]}``). ``None``/NaN (a suppressed figure) draws no bar and is labelled
        "not published", never as 0.
    title : str
        The finding, in a sentence.
    value_label : str
        The value axis label with its unit, e.g. ``"Stops (count)"`` or ``"Share of stops (%)"``.
    note : str
        Source and method note drawn under the chart.
    category_label : str, optional
        Label of the category axis.
    horizontal : bool, optional
        Horizontal bars (default when there are more than 6 categories or long labels).
    value_format : {"count", "number", "percent"}
        How to format ticks and labels ("percent" expects values in 0-100).
    decimals : int, default 1
        Decimals of the value labels, as in the published table (:func:`column_texts`).
    texts : sequence of str, or mapping series name -> sequence of str, optional
        The value labels as the published table shows them (from :func:`column_texts` of its whole
        column), for a chart that draws only some of the table's rows; default: :func:`column_texts`
        of ``values``, which is the table's text when the series is the table's column.
    """
    value_label = _require_text("value_label", value_label)
    series = dict(values) if isinstance(values, Mapping) else {"": values}
    label_texts = dict(texts) if isinstance(texts, Mapping) else {name: texts for name in series}
    labels = [str(label) for label in labels]
    for name, vals in series.items():
        if len(vals) != len(labels):
            raise ValueError(f"series {name!r} has {len(vals)} values for {len(labels)} labels")
    if horizontal is None:
        horizontal = len(labels) > 6 or max((len(label) for label in labels), default=0) > 12
    n_series = len(series)
    if height is None:
        height = (
            max(2.6, 0.32 * len(labels) * max(1, n_series * 0.8) + 1.6) if horizontal else 3.6
        )
    fig, ax = new_chart(title=title, note=note, width=width, height=height)
    group = 0.8
    bar = group / n_series
    positions = list(range(len(labels)))
    top = 0.0
    for index, (name, vals) in enumerate(series.items()):
        offsets = [p - group / 2 + bar * (index + 0.5) for p in positions]
        numeric = [math.nan if _is_missing(v) else float(v) for v in vals]
        top = max([top, *[v for v in numeric if not math.isnan(v)]])
        color = COLORS[index % len(COLORS)]
        draw = ax.barh if horizontal else ax.bar
        bars = draw(offsets, [0 if math.isnan(v) else v for v in numeric], bar * 0.92, color=color,
                    label=name or None)
        ax.bar_label(
            bars,
            labels=_series_texts(vals, label_texts.get(name), value_format, decimals),
            padding=3,
            fontsize=8.5,
            color="#222222",
        )
    formatter = _axis_formatter(value_format)
    if horizontal:
        ax.set_yticks(positions, labels)
        ax.invert_yaxis()  # first category on top, in reading order
        ax.xaxis.set_major_formatter(formatter)
        ax.set_xlabel(value_label)
        if category_label:
            ax.set_ylabel(category_label)
        ax.grid(axis="x")
        ax.set_xlim(0, (top or 1) * 1.18)
        if value_format == "count":
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        ax.set_xticks(positions, labels)
        ax.yaxis.set_major_formatter(formatter)
        ax.set_ylabel(value_label)
        if category_label:
            ax.set_xlabel(category_label)
        ax.grid(axis="y")
        ax.set_ylim(0, (top or 1) * 1.15)
        if value_format == "count":
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        if max((len(label) for label in labels), default=0) > 6 and len(labels) > 4:
            ax.tick_params(axis="x", labelrotation=30)
            for tick in ax.get_xticklabels():
                tick.set_horizontalalignment("right")
    ax.set_axisbelow(True)
    if n_series > 1:
        ax.legend(loc="lower right" if horizontal else "upper left", fontsize=9)
    return fig


def line_chart(
    x: Sequence[Any],
    series: Sequence[Any] | Mapping[str, Sequence[Any]],
    *,
    title: str,
    value_label: str,
    note: str,
    x_label: str | None = None,
    value_format: str = "count",
    decimals: int = 1,
    texts: Sequence[str] | Mapping[str, Sequence[str]] | None = None,
    width: float = WIDTH,
    height: float = 3.6,
) -> Figure:
    """A trend chart: one line per series, each with its own marker, named at its last point.

    Parameters
    ----------
    x : sequence
        The periods, e.g. ``["2024Q3", "2024Q4", "2025Q1", ...]`` (shown as given).
    series : sequence of numbers, or mapping series name -> sequence of numbers
        ``None``/NaN leaves a gap (a suppressed or uncovered period), never a 0.
    title, value_label, note
        As for :func:`bar_chart`; ``value_label`` has the unit.
    decimals, texts
        As for :func:`bar_chart`: the last point's label is the published table's text.
    """
    value_label = _require_text("value_label", value_label)
    named = dict(series) if isinstance(series, Mapping) else {"": series}
    label_texts = dict(texts) if isinstance(texts, Mapping) else {name: texts for name in named}
    x_text = [str(v) for v in x]
    fig, ax = new_chart(title=title, note=note, width=width, height=height)
    positions = list(range(len(x_text)))
    top = 0.0
    for index, (name, vals) in enumerate(named.items()):
        if len(vals) != len(x_text):
            raise ValueError(f"series {name!r} has {len(vals)} values for {len(x_text)} periods")
        numeric = [math.nan if _is_missing(v) else float(v) for v in vals]
        top = max([top, *[v for v in numeric if not math.isnan(v)]])
        color = COLORS[index % len(COLORS)]
        ax.plot(positions, numeric, color=color, marker=MARKERS[index % len(MARKERS)],
                markersize=5, linewidth=2, label=name or None)
        last = max((i for i, v in enumerate(numeric) if not math.isnan(v)), default=None)
        if last is not None:
            text = _series_texts(list(vals), label_texts.get(name), value_format, decimals)[last]
            if name and len(named) > 1:
                text = f"{name}: {text}"
            ax.annotate(text, (positions[last], numeric[last]), xytext=(6, 0),
                        textcoords="offset points", va="center", fontsize=8.5, color=color
                        if color != PALETTE["yellow"] else "#222222")
    ax.set_xticks(positions, x_text)
    if len(x_text) > 8:
        ax.tick_params(axis="x", labelrotation=45)
        for tick in ax.get_xticklabels():
            tick.set_horizontalalignment("right")
    ax.yaxis.set_major_formatter(_axis_formatter(value_format))
    if value_format == "count":
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, (top or 1) * 1.15)
    # Room on the right for the end labels.
    ax.set_xlim(-0.3, len(x_text) - 1 + max(0.6, 0.12 * len(x_text)))
    ax.set_ylabel(value_label)
    if x_label:
        ax.set_xlabel(x_label)
    ax.grid(axis="y")
    ax.set_axisbelow(True)
    return fig


# --------------------------------------------------------------------------------------------
# Showing charts and tables in a notebook
# --------------------------------------------------------------------------------------------


def to_svg(fig: Figure) -> str:
    """The figure as an SVG document (text as paths, no date, fixed ids: the same chart gives the
    same bytes)."""
    buffer = io.StringIO()
    # Transparent: the chart sits on the page (and on the PDF's DRAFT watermark), not on a white
    # card.
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, transparent=True)
    svg = buffer.getvalue()
    # Drop the XML prolog and DOCTYPE: harmless in a file, noise in a data URI.
    start = svg.find("<svg")
    return svg[start:] if start > 0 else svg


def show(fig: Figure, alt: str) -> None:
    """Display a chart in the notebook as SVG with its alt text, then close the figure.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        Usually from :func:`bar_chart`, :func:`line_chart` or :func:`new_chart`.
    alt : str
        What the chart shows, with its key numbers ("Line chart: stops fell from 1,204 in
        2024Q3 to 1,010 in 2025Q3."). Required: the report refuses charts without it.

    Raises
    ------
    ValueError
        If ``alt`` is empty.
    """
    if alt is None or not str(alt).strip():
        plt.close(fig)
        raise ValueError("show() needs alt text that says what the chart shows and its key numbers")
    alt = " ".join(str(alt).split())
    svg = to_svg(fig)
    plt.close(fig)  # also keeps the inline backend from showing it a second time, as PNG
    from IPython.display import display

    display(
        {"image/svg+xml": svg, "text/plain": f"[Chart] {alt}"},
        raw=True,
        metadata={"image/svg+xml": {"alt": alt}},
    )


def _is_numeric_column(series: Any) -> bool:
    """Numbers (not booleans), also when held in an object column next to missing values."""
    from pandas.api import types

    if types.is_bool_dtype(series.dtype):
        return False
    if types.is_numeric_dtype(series.dtype):
        return True
    present = [v for v in series if not _is_missing(v)]
    return bool(present) and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in present)


def _column_name(name: Any) -> str:
    if isinstance(name, tuple):  # MultiIndex columns: ("Stops", "2025Q3") -> "Stops 2025Q3"
        return " ".join(str(part) for part in name if str(part).strip())
    return str(name)


def _cell_text(value: Any, decimals: int, na_rep: str, whole: bool) -> str:
    if _is_missing(value):
        return na_rep
    if isinstance(value, (datetime, date)):
        return f"{value:%B} {value.day}, {value.year}"
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if whole:
            return f"{int(round(float(value))):,}"
        # The same decimals on every row of a column, so the figures line up.
        text = fmt.number(value, decimals)
        shown = len(text.split(".")[1]) if "." in text else 0
        if decimals and shown < decimals:
            text += ("" if shown else ".") + "0" * (decimals - shown)
        return text
    return format_number(value, decimals=decimals, na_rep=na_rep)


def column_texts(values: Any, decimals: int = 1, na_rep: str = "—") -> list[str]:
    """The texts a published table shows for a column: the one formatting of every displayed number.

    Tables (:func:`table_html`), chart labels (:func:`bar_chart`, :func:`line_chart`) and alt text
    (:func:`transparency.writing.analysis.series_alt`) all write a published figure with this function, so
    they show the same digits: numbers rounded by :func:`transparency.core.fmt.number`'s rule (halves
    away from zero), with thousands separators; a column of whole numbers shows whole numbers, any
    other the same ``decimals`` on every row ("12.0" beside "11.5"), so the figures line up.

    Parameters
    ----------
    values : sequence or Series
        The column's values, all of them (whether the column is whole depends on every row).
    decimals : int, default 1
        Decimals of a column that is not whole.
    na_rep : str, default "—"
        Text for a missing (hidden) value: the table's dash; charts and alt text pass their words.

    Returns
    -------
    list of str
        ``["1,204", "—"]``; ``["11.5", "6.3", "12.0"]`` for ``[11.45, 6.25, 12]``.
    """
    values = list(values)
    present = [v for v in values if not _is_missing(v)]
    numeric = bool(present) and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in present)
    whole = numeric and all(float(v).is_integer() for v in present)
    return [_cell_text(v, decimals, na_rep, whole) for v in values]


def published_texts(table: Any, column: Any, rows: Sequence[Any] | None = None, decimals: int = 1,
                    na_rep: str = NOT_PUBLISHED) -> list[str]:
    """A published table's texts of one column, for the rows a chart draws (default all, in order).

    The texts are :func:`column_texts` of the whole column, then picked, so a chart of some rows shows
    exactly what the table shows for them.

    Parameters
    ----------
    table : DataFrame
        The published table (what :meth:`transparency.sections.section.Section.table` returned).
    column : str
        Its column.
    rows : sequence, optional
        Row labels (the table's index) to return texts for.
    decimals : int, default 1
        The table's decimals.
    na_rep : str, default "not shown"
        Text for a hidden value.

    Returns
    -------
    list of str
    """
    texts = column_texts(table[column], decimals, na_rep)
    if rows is None:
        return texts
    return [texts[table.index.get_loc(row)] for row in rows]


def round_table(df: Any, decimals: int = 1) -> Any:
    """A table with every figure that is not a whole-number column rounded as the table shows it.

    Rounding happens once, here, when a table is published (:meth:`transparency.sections.section.Section.table`):
    the returned table, its CSV, its HTML, and the charts, alt text and sentences drawn from it then hold
    and show the same value. Integer and boolean columns and text are kept as they are.

    Parameters
    ----------
    df : DataFrame
        The table after suppression, figures at full precision.
    decimals : int, default 1
        Decimals, as the table is shown.

    Returns
    -------
    DataFrame
        A copy; each numeric column keeps its dtype (``Float64`` stays ``Float64``, hidden cells stay
        missing).
    """
    import pandas as pd
    from pandas.api import types

    out = df.copy()
    for i in range(out.shape[1]):
        column = out.iloc[:, i]
        if types.is_bool_dtype(column.dtype) or types.is_integer_dtype(column.dtype) or not _is_numeric_column(column):
            continue
        values = [v if _is_missing(v) else fmt.rounded(v, decimals) for v in column]
        if types.is_extension_array_dtype(column.dtype):
            rounded = pd.Series(pd.array([None if _is_missing(v) else v for v in values], dtype=column.dtype), index=column.index)
        elif types.is_float_dtype(column.dtype):
            rounded = pd.Series([math.nan if _is_missing(v) else v for v in values], index=column.index, dtype=column.dtype)
        else:
            rounded = pd.Series(values, index=column.index, dtype=column.dtype)
        out.isetitem(i, rounded)
    return out


def table_html(
    df: Any,
    caption: str,
    *,
    note: str | None = None,
    decimals: int = 1,
    na_rep: str = "—",
    row_headers: bool = True,
) -> str:
    """An accessible HTML table of a DataFrame; every text from the data is escaped.

    The table has a ``<caption>``, column headers ``<th scope="col">``, row headers
    ``<th scope="row">`` (the index when it is not a plain 0..n-1 range, otherwise the first
    column if it holds text), numbers right-aligned (class ``num``) with thousands separators
    and at most ``decimals`` decimals, missing values as ``na_rep``, and an optional note under it.
    The table sits in a box that scrolls sideways on a narrow screen (class ``table-wrap``): a group
    named by the caption, in the keyboard's tab order so that it can be scrolled without a mouse.
    Tables with 7 or more columns get class ``table-wide`` (smaller type in print), with 12 or
    more ``table-very-wide`` (a landscape page in the PDF).
    """
    import pandas as pd

    caption = _require_text("caption", caption)
    frame = df.to_frame() if isinstance(df, pd.Series) else df
    show_index = not isinstance(frame.index, pd.RangeIndex) or frame.index.name is not None
    if show_index:
        frame = frame.reset_index()
    columns = [_column_name(c) for c in frame.columns]
    numeric = [_is_numeric_column(frame.iloc[:, i]) for i in range(len(columns))]
    texts = [column_texts(frame.iloc[:, i], decimals, na_rep) for i in range(len(columns))]
    header_col = 0 if (row_headers and columns and (show_index or not numeric[0])) else None
    # Wide tables get smaller type in print; very wide ones a landscape page of their own.
    width_class = ""
    if len(columns) >= _VERY_WIDE:
        width_class = " table-very-wide"
    elif len(columns) >= _WIDE:
        width_class = " table-wide"
    esc = html.escape
    # The box scrolls sideways on a narrow screen: keyboard users reach it (tabindex), named by the caption.
    out = [f'<div class="table-wrap{width_class}" role="group" aria-label="{esc(caption)}" tabindex="0">'
           '<table class="data-table">',
           f"<caption>{esc(caption)}</caption>"]
    out.append("<thead><tr>")
    for i, name in enumerate(columns):
        cls = ' class="num"' if numeric[i] else ""
        out.append(f'<th scope="col"{cls}>{esc(name)}</th>')
    out.append("</tr></thead><tbody>")
    for r in range(len(frame)):
        out.append("<tr>")
        for i in range(len(columns)):
            text = esc(texts[i][r])
            cls = ' class="num"' if numeric[i] else ""
            if i == header_col:
                out.append(f'<th scope="row"{cls}>{text}</th>')
            else:
                out.append(f"<td{cls}>{text}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    if note:
        out.append(f'<p class="table-note">{esc(note)}</p>')
    out.append("</div>")
    return "".join(out)


def show_table(
    df: Any,
    caption: str,
    *,
    note: str | None = None,
    decimals: int = 1,
    na_rep: str = "—",
    row_headers: bool = True,
) -> None:
    """Display a DataFrame in the notebook as an accessible HTML table (see :func:`table_html`)."""
    from IPython.display import display

    markup = table_html(df, caption, note=note, decimals=decimals, na_rep=na_rep,
                        row_headers=row_headers)
    display({"text/html": markup, "text/plain": f"[Table] {caption}"}, raw=True)
