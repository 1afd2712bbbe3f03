"""Turn executed notebooks into the report: section HTML, dataset pages, report.html, and a PDF/UA file.

Why our own nbconvert template rather than nbconvert's ``lab`` one: the lab template brings about
280 KB of CSS written for the JupyterLab screen, which fights print (its rules beat a user
stylesheet unless every rule is ``!important``), and wraps each output in prompt and collapser
``div``s. The report concatenates many notebooks into one document, so we want plain semantic HTML
(headings, paragraphs, figures, tables) and one small stylesheet shared by report.html, the dataset
pages and the PDF. The ``basic`` template is no better (no charset tag: WeasyPrint then shows
mojibake). So ``templates/report_section`` extends nbconvert's ``base/display_priority.j2`` (the
base of ``lab`` and ``classic``) and writes only what a reader should see; see the template's
header comment for what it drops.

Public API:

* :func:`notebook_section_html` - the HTML fragment of one executed notebook (one dataset section).
* :func:`section_page` - a complete accessible page for ``<dataset>.html``.
* :func:`assemble_report` - the whole ``report.html`` (cover, at a glance, contents, sections,
  back matter).
* :func:`html_to_pdf` - a tagged PDF/UA-1 file from that HTML with WeasyPrint, in one process (the
  reference for :mod:`transparency.rendering.pdfparts`, which draws the same file in parts, in parallel).
* :func:`print_css`, :func:`add_style`, :func:`css_string`, :func:`source_date_epoch`,
  :func:`fixed_source_date` and :data:`PDF_UA_OPTIONS` - what ``html_to_pdf`` does to a page,
  shared with :mod:`transparency.rendering.pdfparts` so that both draw the same pages.
* :func:`scope_table_headers` - the ``/Scope`` of every table header cell in the PDF's
  structure tree (WeasyPrint writes none), for both.
* :func:`clean_html` - the allow-list sanitizer used for every HTML fragment that is not ours.
* :func:`section_exporter` - the configured nbconvert exporter (standalone pages, previews).
* :func:`describe_change` - "Up 8.8% (from 1,204)", as used in the at-a-glance table.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import numbers
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from transparency.core import fmt
from transparency.core.errors import TransparencyError
from transparency.writing.charts import format_number

__all__ = [
    "BACK_MATTER",
    "PDF_UA_OPTIONS",
    "RenderError",
    "add_style",
    "assemble_report",
    "clean_html",
    "css_string",
    "describe_change",
    "fixed_source_date",
    "html_to_pdf",
    "notebook_section_html",
    "print_css",
    "scope_table_headers",
    "section_exporter",
    "section_page",
    "source_date_epoch",
]

TEMPLATES = Path(__file__).resolve().parent / "templates"
_SECTION_TEMPLATE = "report_section"
_CSS_DIR = TEMPLATES / _SECTION_TEMPLATE

#: Back matter, in the order it is printed: key of ``back`` -> heading.
BACK_MATTER: dict[str, str] = {
    "methodology": "Methodology",
    "glossary": "Glossary",
    "data_quality": "Appendix: data quality",
    "about": "About this report",
}

_HEADING = re.compile(r"^h([1-6])$")


class RenderError(TransparencyError):
    """A notebook's output cannot be published as it is (e.g. a chart without alt text)."""


# ----------------------------------------------------------------------------------------------
# Sanitizing
# ----------------------------------------------------------------------------------------------

_ALLOWED_TAGS = frozenset(
    """a abbr b blockquote br caption cite code col colgroup dd del details div dl dt em figcaption
    figure h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q s small span strong sub summary
    sup table tbody td tfoot th thead time tr u ul""".split()
)
_GLOBAL_ATTRIBUTES = {"class", "id", "title", "lang", "dir", "role", "aria-label",
                      "aria-describedby"}
_TAG_ATTRIBUTES = {
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "th": {"scope", "colspan", "rowspan", "abbr", "headers"},
    "td": {"colspan", "rowspan", "headers"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "type"},
    "time": {"datetime"},
}
_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|svg\+xml);base64,", re.IGNORECASE)


#: Boxes that scroll sideways on a narrow screen take keyboard focus in document order (never a
#: positive tabindex, which would reorder the page).
_FOCUSABLE_BOXES = {"div", "figure"}


def _attribute_allowed(tag: str, name: str, value: str) -> bool:
    if name in _GLOBAL_ATTRIBUTES:
        return True
    if name == "tabindex":
        return tag in _FOCUSABLE_BOXES and value.strip() == "0"
    if name not in _TAG_ATTRIBUTES.get(tag, ()):
        return False
    # Browsers ignore spaces and control characters inside a URL's scheme ("java\tscript:").
    compact = re.sub(r"[\x00-\x20]+", "", value).lower()
    if name == "href":
        return not compact.startswith(("data:", "javascript:", "vbscript:"))
    if tag == "img" and name == "src":
        return bool(_DATA_IMAGE.match(compact))  # embedded only: no image fetched from elsewhere
    return True


def clean_html(fragment: Any) -> str:
    """Sanitize an HTML fragment with an allow-list; what is not allowed is shown as text.

    Allowed: text markup, headings, lists, links (http, https, mailto, #anchors), tables with
    their accessibility attributes, figures and embedded (data-URI) images, and ``tabindex="0"`` on a
    ``div`` or ``figure`` (a box that scrolls sideways on a phone). Anything else, such as a
    ``<script>`` that came from a data value, is escaped (visible, inert); ``<style>`` blocks
    (pandas adds them to its tables) and HTML comments are removed.
    """
    import bleach
    from bs4 import BeautifulSoup

    text = str(fragment or "")
    if "<style" in text.lower():
        soup = BeautifulSoup(text, "html.parser")
        for element in soup.find_all("style"):
            element.decompose()
        text = str(soup)
    return bleach.clean(
        text,
        tags=_ALLOWED_TAGS,
        attributes=_attribute_allowed,
        protocols={"http", "https", "mailto", "data"},
        strip=False,
        strip_comments=True,
    )


# ----------------------------------------------------------------------------------------------
# One notebook -> one section
# ----------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def section_exporter() -> Any:
    """The nbconvert ``HTMLExporter`` configured with the report template (shared, do not modify).

    ``from_notebook_node(nb)`` gives a complete standalone page; with
    ``resources={"transparency_fragment": True}`` only the section's body. From the command line
    the same template needs its sanitizing filter named::

        jupyter nbconvert --to html --template report_section \\
            --TemplateExporter.extra_template_basedirs=transparency/rendering/templates \\
            --TemplateExporter.filters="{'report_clean': 'transparency.rendering.render.clean_html'}" \\
            executed.ipynb
    """
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name=_SECTION_TEMPLATE,
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,
    )
    exporter.register_filter("report_clean", clean_html)
    return exporter


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9_]+", "-", str(text).lower()).strip("-")
    return slug or "section"


def _soup(fragment: str) -> Any:
    from bs4 import BeautifulSoup

    return BeautifulSoup(fragment, "html.parser")


def _headings(soup: Any) -> list[Any]:
    return soup.find_all(_HEADING)


def _shift_headings(soup: Any, top: int) -> None:
    """Renumber headings so that the highest one is ``h<top>``, keeping their nesting."""
    headings = _headings(soup)
    if not headings:
        return
    delta = top - min(int(h.name[1]) for h in headings)
    for heading in headings:
        heading.name = f"h{min(6, max(1, int(heading.name[1]) + delta))}"


def _prefix_ids(soup: Any, prefix: str) -> None:
    """Make element ids unique in the whole report (every notebook has a "What changed")."""
    renamed = {}
    for element in soup.find_all(id=True):
        new = f"{prefix}--{_slug(element['id'])}"
        renamed[element["id"]] = new
        element["id"] = new
    for link in soup.find_all("a", href=True):
        target = link["href"]
        if target.startswith("#") and target[1:] in renamed:
            link["href"] = "#" + renamed[target[1:]]


def notebook_section_html(
    executed_nb_path: Path | str, section_id: str | None = None, top_level: int = 2
) -> str:
    """The HTML fragment of one dataset section, from an executed notebook.

    No code, no stderr, no errors, no bare Python values; charts as SVG ``<img>`` with their alt
    text; HTML and Markdown outputs sanitized (:func:`clean_html`). Headings are renumbered so
    that the notebook's highest heading (by convention its ``# Title`` cell) becomes
    ``h<top_level>``, and element ids get the prefix ``<section_id>--`` so that many sections can
    share one page.

    Parameters
    ----------
    executed_nb_path : Path
        An executed notebook (``NotebookResult.output``).
    section_id : str, optional
        Defaults to the file name without ``.ipynb`` (the dataset name).
    top_level : int
        2 for the report (its h1 is the cover title).

    Returns
    -------
    str
        ``<div class="notebook-section" data-dataset="...">...</div>``

    Raises
    ------
    RenderError
        If an image has no alt text (use ``transparency.writing.charts.show(fig, alt=...)``).
    """
    import nbformat

    path = Path(executed_nb_path)
    section_id = section_id or path.stem
    notebook = nbformat.read(str(path), as_version=4)
    resources = {
        "transparency_fragment": True,
        "metadata": {"name": section_id, "path": str(path.parent)},
    }
    body, _ = section_exporter().from_notebook_node(notebook, resources=resources)
    soup = _soup(body)
    missing = [img for img in soup.find_all("img")
               if img.get("data-missing-alt") or not str(img.get("alt", "")).strip()]
    if missing:
        raise RenderError(
            f"{path}: {len(missing)} chart(s) or image(s) have no alt text; display charts with "
            "transparency.writing.charts.show(fig, alt=...) and say what the chart shows"
        )
    _shift_headings(soup, top_level)
    _prefix_ids(soup, _slug(section_id))
    container = soup.find("div", class_="notebook-section")
    if container is not None:
        container["data-dataset"] = section_id
    return str(soup).strip()


# ----------------------------------------------------------------------------------------------
# Pages
# ----------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _jinja() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )


@functools.lru_cache(maxsize=4)
def _css(name: str) -> str:
    return (_CSS_DIR / name).read_text(encoding="utf-8")


def _safe(html: str) -> Any:
    from markupsafe import Markup

    return Markup(html)  # noqa: S704 - only for HTML made by this module or sanitized by it


def section_page(
    fragment: str, title: str, *, context: str | None = None, lang: str = "en"
) -> str:
    """A complete accessible page for one dataset section (``<dataset>.html``).

    Parameters
    ----------
    fragment : str
        From :func:`notebook_section_html` (trusted: it is not sanitized again).
    title : str
        The page title (``<title>``), e.g. "Stops: July to September 2025 (2025Q3), Sample City
        Police Department". The fragment's headings are renumbered so that its first heading is
        the page's only ``h1``; a fragment without headings gets ``title`` as its ``h1``.
    context : str, optional
        A line above the heading, e.g. "Sample City Police Department: July to September 2025
        (2025Q3)".
    """
    soup = _soup(fragment)
    if _headings(soup):
        _shift_headings(soup, 1)
        body = str(soup)
    else:
        from markupsafe import escape

        body = f"<h1>{escape(title)}</h1>\n{fragment}"
    return _jinja().get_template("page.html.j2").render(
        lang=lang, title=title, context=context, author=None,
        css=_safe(_css("report.css")), fragment=_safe(body),
    )


def _as_date(value: Any, name: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip()).date()
        except ValueError:
            pass
    raise ValueError(f"meta.{name} must be a date or an ISO date string (YYYY-MM-DD), not {value!r}")


def _date_words(value: date) -> str:
    return f"{value:%B} {value.day}, {value.year}"


def describe_change(value: Any, base: Any, decimals: int = 1) -> str:
    """Plain words for a change: "Up 8.8% (from 1,204)", "Down 50% (from 6)", "No change (58)".

    Missing numbers (None, NaN: not covered, or suppressed) give "Not available"; a base of 0 gives
    "Up from 0" (a percentage of 0 means nothing). Numbers are formatted by
    :mod:`transparency.core.fmt`, like the narrative.
    """
    def number(x: Any) -> float | None:
        if isinstance(x, (str, bool)) or fmt.is_missing(x) or not isinstance(x, numbers.Real):
            return None
        return float(x)

    value, base = number(value), number(base)
    if value is None or base is None:
        return "Not available"
    base_text = fmt.number(base, decimals)
    if base == 0:
        return "No change (0)" if value == 0 else "Up from 0"
    if value == base:
        return f"No change ({base_text})"
    change = fmt.relative_change(value, base)
    word = "Up" if value > base else "Down"
    return f"{word} {fmt.number(abs(change) * 100, decimals)}% (from {base_text})"


def _glance_rows(rows: Sequence[Mapping[str, Any]], anchors: dict[str, str]) -> list[dict]:
    out = []
    for number, row in enumerate(rows):
        if "title" not in row:
            raise ValueError(f"front.rows[{number}] needs a 'title'")
        decimals = int(row.get("decimals", 1))
        value = row.get("value")
        if isinstance(value, str):
            value_text = value
        else:
            value_text = format_number(value, decimals, na_rep=fmt.NOT_SHOWN.capitalize())
        vs_prior = row.get("vs_prior")
        if vs_prior is None:
            vs_prior = describe_change(value, row.get("prior"), decimals)
        vs_last_year = row.get("vs_last_year")
        if vs_last_year is None:
            vs_last_year = describe_change(value, row.get("last_year"), decimals)
        dataset = row.get("id")
        out.append({
            "title": str(row["title"]),
            "href": f"#{anchors[dataset]}" if dataset in anchors else None,
            "measure": str(row.get("measure", "")),
            "value": value_text,
            # The audit (transparency.figures.audit) checks a marked figure against metrics.json.
            "figure": str(row["figure"]) if row.get("figure") else None,
            "figure_value": "" if value is None or isinstance(value, str) else repr(value),
            "vs_prior": str(vs_prior),
            "vs_last_year": str(vs_last_year),
        })
    return out


def _number_text(value: Any) -> str:
    """A mark's number as the HTML carries it for the audit (``data-value``): empty when hidden."""
    return "" if value is None else repr(value)


def sentence_html(parts: Sequence[Any]) -> Any:
    """An answer's sentence as escaped HTML, each marked number in a ``<span>`` that names where it comes from:
    ``data-figure`` (a headline figure of metrics.json) or ``data-table``, ``data-row`` and ``data-column`` (a cell
    of a published table), with ``data-value``; the consistency audit checks each against what it names."""
    from markupsafe import Markup, escape

    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(str(escape(part)))
        elif "figure" in part:
            out.append(f'<span class="figure" data-figure="{escape(part["figure"])}" '
                       f'data-value="{escape(_number_text(part.get("value")))}">{escape(part["text"])}</span>')
        else:
            out.append(f'<span class="figure" data-table="{escape(part["table"])}" data-row="{escape(part["row"])}" '
                       f'data-column="{escape(part["column"])}" data-value="{escape(_number_text(part.get("value")))}">'
                       f'{escape(part["text"])}</span>')
    return Markup("".join(out))


def sparkline(points: Sequence[Sequence[Any]], label: str, width: int = 120, height: int = 32) -> tuple[str, str]:
    """A small line of a published trend (quarters and values; None where a value is hidden): an SVG as a data URI,
    and its text alternative, which lists every point ("Incidents per quarter: 2024Q4 60; 2025Q1 not shown; ...").

    The line breaks where a value is hidden; the last point is marked with a dot.
    """
    known = [float(v) for _, v in points if v is not None]
    low, high = (min(known), max(known)) if known else (0.0, 1.0)
    span = (high - low) or 1.0
    pad = 3
    step = (width - 2 * pad) / max(len(points) - 1, 1)

    def y(value: float) -> float:
        return round(height - pad - (value - low) / span * (height - 2 * pad), 1)

    runs, run = [], []
    for number, (_, value) in enumerate(points):
        if value is None:
            if run:
                runs.append(run)
            run = []
            continue
        run.append(f"{round(pad + number * step, 1)},{y(float(value))}")
    if run:
        runs.append(run)
    shapes = "".join(f'<polyline points="{" ".join(r)}" fill="none" stroke="#0b5394" stroke-width="2" '
                     'stroke-linejoin="round" stroke-linecap="round"/>' if len(r) > 1 else
                     f'<circle cx="{r[0].split(",")[0]}" cy="{r[0].split(",")[1]}" r="1.5" fill="#0b5394"/>' for r in runs)
    last = points[-1][1] if points else None
    if last is not None:
        shapes += f'<circle cx="{round(pad + (len(points) - 1) * step, 1)}" cy="{y(float(last))}" r="3" fill="#0b5394"/>'
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
           f'{shapes}</svg>')

    def text(value: Any) -> str:
        if value is None:
            return fmt.NOT_SHOWN
        return fmt.count(value, None) if float(value).is_integer() and isinstance(value, int) else fmt.number(value, 1)

    alt = f"{label}: " + "; ".join(f"{quarter} {text(value)}" for quarter, value in points) + "."
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode(), alt


def _question_views(questions: Sequence[Mapping[str, Any]], anchors: dict[str, str]) -> list[dict]:
    out = []
    for number, item in enumerate(questions):
        for key in ("question", "verdict", "parts"):
            if key not in item:
                raise ValueError(f"front.questions[{number}] needs '{key}'")
        dataset = item.get("dataset") or ""
        trend = item.get("trend")
        picture = None
        if trend and trend.get("points"):
            src, alt = sparkline(trend["points"], trend["label"])
            picture = {"src": src, "alt": alt, "label": trend["label"], "table": trend["table"], "column": trend["column"],
                       "points": ";".join(f"{q}={_number_text(v)}" for q, v in trend["points"]),
                       "first": trend["points"][0][0], "last": trend["points"][-1][0]}
        out.append({
            "question": str(item["question"]), "verdict": str(item["verdict"]),
            "tone": str(item.get("tone") or "unknown"), "sentence": sentence_html(item["parts"]),
            "href": f"#{anchors[dataset]}" if dataset in anchors else None, "title": str(item.get("title") or ""),
            "dataset": dataset, "trend": picture,
        })
    return out


def _finding_views(findings: Sequence[Mapping[str, Any]], anchors: dict[str, str]) -> list[dict]:
    return [{"sentence": sentence_html(f["parts"]), "kind": str(f.get("kind", "change")),
             "href": f"#{anchors[f['dataset']]}" if f.get("dataset") in anchors else None} for f in findings]


_DEFAULT_MESSAGES = {
    "failed": "This section could not be produced for this period. It will be added when the "
              "problem is fixed.",
    "no_data": "There are no records of this kind for this period.",
}


def assemble_report(
    meta: Mapping[str, Any],
    sections: Sequence[Mapping[str, Any]],
    front: Mapping[str, Any] | None = None,
    back: Mapping[str, Any] | None = None,
) -> str:
    """The whole report as one accessible HTML page (``report.html``; also the PDF's source).

    Order: cover; "At a glance"; contents (linked; page numbers in the PDF); one section per
    dataset, each starting a new PDF page; back matter. Headings nest: the cover title is the one
    ``h1``, each part is an ``h2``, a notebook's own headings follow from ``h2`` down.

    Parameters
    ----------
    meta : mapping
        ``agency`` (str, required): the agency's name.
        ``period`` (str, required): the period code, e.g. ``"2025Q3"``.
        ``period_label`` (str, required): the period in words, e.g. ``"July to September 2025"``.
        ``data_through`` (date or ISO str, required): data extracted up to this date.
        ``built_at`` (date, datetime or ISO str; default today): when the report was built; also
        the PDF's creation date, so the same build gives the same PDF.
        ``status`` (``"draft"`` (default) or ``"released"``) and ``released_on`` (date or ISO
        str, required when released): the cover says "Draft: not yet released" until released.
        ``title`` (str, default "Quarterly police transparency report"), ``version`` (int,
        shown when given), ``corrections`` (list of ``{"date": ..., "reason": str}``),
        ``lang`` (default ``"en"``), ``logo`` (a ``data:image/...`` URI, shown on the cover with the
        agency's name as its alt text; :func:`transparency.rendering.publishing.logo_data_uri`).
    sections : sequence of mappings, in report order
        ``id`` (str, required): the dataset name; the section's anchor (``report.html#stops``).
        ``title`` (str, required): the dataset title, used in the contents.
        ``html`` (str): the fragment from :func:`notebook_section_html` (trusted); an ``h2``
        with ``title`` is added when it has no ``h2`` of its own.
        ``status`` (``"ok"`` | ``"failed"`` | ``"no_data"``; default ``"ok"`` when ``html`` is
        given, else ``"failed"``) and ``message`` (plain text shown instead of a section that is
        not ok; a default is used when missing).
    front : mapping, optional
        ``rows``: the at-a-glance table, one mapping per row with ``title`` (str, required),
        ``id`` (dataset name: links the row to its section), ``measure`` (str, e.g. "People
        stopped"), ``value`` (number, str, or None for not published), ``prior`` and
        ``last_year`` (numbers or None), or ``vs_prior`` / ``vs_last_year`` (str) to word the
        changes yourself, ``decimals`` (default 1).
        ``questions``: the key questions, answered (before any table), one mapping per question as
        :meth:`transparency.figures.answers.Answer.to_dict` gives it, with ``title`` (the section's title for its link);
        ``findings``: what stands out anywhere in the report (:meth:`transparency.figures.answers.Finding.to_dict`).
        ``intro`` (HTML fragment, sanitized), ``caption`` (str), ``note`` (str under the
        table), ``value_label`` (default "This quarter"), ``prior_label`` (default "Change from
        the previous quarter"), ``last_year_label`` (default "Change from the same quarter last
        year").
    back : mapping, optional
        HTML fragments (sanitized; their headings renumbered from ``h3``) for the back matter,
        printed in this order when present: ``methodology``, ``glossary``, ``data_quality``,
        ``about`` (see :data:`BACK_MATTER` for their headings).

    Returns
    -------
    str
        The complete HTML document. Every text value from these arguments is escaped.

    Raises
    ------
    ValueError
        A required field is missing, a date is malformed, a key of ``back`` is unknown, or two
        sections share an id.
    """
    front = dict(front or {})
    back = dict(back or {})
    _check_required_meta(meta, back)
    released, released_on = _release_status(meta)
    built = _as_date(meta.get("built_at") or date.today(), "built_at")
    logo = meta.get("logo")
    if logo is not None and not str(logo).startswith("data:image/"):
        raise ValueError("meta.logo must be a data:image/ URI (the report carries its logo with it)")
    title = str(meta.get("title") or "Quarterly police transparency report")
    period_text = f"{meta['period_label']} ({meta['period']})"
    prepared, anchors = _prepared_sections(sections)
    back_parts = _back_parts(back)
    corrections = [
        {"date": _date_words(_as_date(item["date"], "corrections.date")),
         "reason": str(item["reason"])}
        for item in meta.get("corrections") or []
    ]
    return _jinja().get_template("report.html.j2").render(
        lang=str(meta.get("lang") or "en"),
        document_title=f"{meta['agency']}: {title}, {period_text}",
        meta={"agency": str(meta["agency"]), "title": title},
        logo=logo,
        period_text=period_text,
        released=released,
        released_on=released_on,
        version=meta.get("version"),
        built_on=_date_words(built),
        created=built.isoformat(),
        data_through=_date_words(_as_date(meta["data_through"], "data_through")),
        corrections=corrections,
        front=_front_view(front, period_text),
        glance=_glance_rows(front.get("rows") or [], anchors),
        questions=_question_views(front.get("questions") or [], anchors),
        findings=_finding_views(front.get("findings") or [], anchors),
        sections=prepared,
        back=back_parts,
        css=_safe(_css("report.css")),
    )


def _check_required_meta(meta: Mapping[str, Any], back: Mapping[str, Any]) -> None:
    for key in ("agency", "period", "period_label", "data_through"):
        if not meta.get(key):
            raise ValueError(f"meta.{key} is required")
    unknown = sorted(set(back) - set(BACK_MATTER))
    if unknown:
        raise ValueError(f"unknown back matter {unknown}; expected some of {list(BACK_MATTER)}")


def _release_status(meta: Mapping[str, Any]) -> tuple[bool, str | None]:
    """Whether the report is released, and the date in words when it is."""
    status = meta.get("status", "draft")
    if status not in ("draft", "released"):
        raise ValueError(f"meta.status must be 'draft' or 'released', not {status!r}")
    if status != "released":
        return False, None
    if not meta.get("released_on"):
        raise ValueError("meta.released_on is required when meta.status is 'released'")
    return True, _date_words(_as_date(meta["released_on"], "released_on"))


def _prepared_sections(sections: Sequence[Mapping[str, Any]]) -> tuple[list[dict], dict[str, str]]:
    """Each section as the template draws it, and each section id's anchor (ids must be unique)."""
    reserved = {"cover", "contents", "at-a-glance", *(_slug(k) for k in BACK_MATTER)}
    prepared, anchors = [], {}
    for number, section in enumerate(sections):
        for key in ("id", "title"):
            if not section.get(key):
                raise ValueError(f"sections[{number}] needs '{key}'")
        anchor = _slug(section["id"])
        if anchor in anchors.values() or anchor in reserved:
            raise ValueError(f"sections[{number}]: id {section['id']!r} is used twice")
        anchors[section["id"]] = anchor
        prepared.append(_prepared_section(number, section, anchor))
    return prepared, anchors


def _prepared_section(number: int, section: Mapping[str, Any], anchor: str) -> dict:
    """One section: its headings from ``h2`` down (an ``h2`` of its title added when it has none)."""
    html = section.get("html")
    state = section.get("status") or ("ok" if html else "failed")
    if state == "ok" and not html:
        raise ValueError(f"sections[{number}] ({section['id']}) is ok but has no html")
    if state == "ok" and re.search(r"<h1[\s>]", html):
        soup = _soup(html)  # the cover has the only h1
        _shift_headings(soup, 2)
        html = str(soup)
    if state == "ok" and not re.search(r"<h2[\s>]", html):
        from markupsafe import escape

        html = f"<h2>{escape(section['title'])}</h2>\n{html}"
    return {
        "id": str(section["id"]),
        "anchor": anchor,
        "title": str(section["title"]),
        "status": state,
        "html": _safe(html) if state == "ok" else None,
        "message": str(section.get("message") or _DEFAULT_MESSAGES.get(state, "")),
    }


def _back_parts(back: Mapping[str, Any]) -> list[dict]:
    """The back matter present, in :data:`BACK_MATTER`'s order: sanitized, headings from ``h3``, ids prefixed."""
    back_parts = []
    for key, heading in BACK_MATTER.items():
        fragment = back.get(key)
        if not fragment:
            continue
        soup = _soup(clean_html(fragment))
        headings = _headings(soup)
        if headings and min(int(h.name[1]) for h in headings) < 3:
            _shift_headings(soup, 3)
        _prefix_ids(soup, _slug(key))
        back_parts.append({"anchor": _slug(key), "title": heading, "html": _safe(str(soup))})
    return back_parts


def _front_view(front: Mapping[str, Any], period_text: str) -> dict:
    """The at-a-glance page's words: its intro (sanitized), caption, note and column labels."""
    return {
        "intro": _safe(clean_html(front["intro"])) if front.get("intro") else None,
        "caption": str(front.get("caption") or f"Headline figures, {period_text}"),
        "note": front.get("note"),
        "value_label": str(front.get("value_label") or "This quarter"),
        "prior_label": str(front.get("prior_label") or "Change from the previous quarter"),
        "last_year_label": str(front.get("last_year_label")
                               or "Change from the same quarter last year"),
    }


# ----------------------------------------------------------------------------------------------
# PDF
# ----------------------------------------------------------------------------------------------

_PAGE_SIZE = re.compile(r"^(letter|legal|a3|a4|a5|b4|b5|ledger)( (portrait|landscape))?$",
                        re.IGNORECASE)


#: WeasyPrint's options for a tagged PDF/UA-1 file (``render`` and ``write_pdf`` both take them).
PDF_UA_OPTIONS: dict[str, Any] = {"pdf_variant": "pdf/ua-1", "pdf_tags": True}


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string (for ``content:``), on one line."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


_WATERMARK_SVG = (
    "<svg xmlns='http://www.w3.org/2000/svg' width='600' height='800' viewBox='0 0 600 800'>"
    "<text x='300' y='400' text-anchor='middle' transform='rotate(-45 300 400)' "
    "font-family='DejaVu Sans' font-weight='bold' font-size='150' fill='#a3231b' "
    "fill-opacity='0.10'>DRAFT</text></svg>"
)
_WATERMARK = "data:image/svg+xml;base64," + base64.b64encode(_WATERMARK_SVG.encode()).decode()


def _page_css(page_size: str, draft: bool) -> str:
    if not _PAGE_SIZE.match(page_size.strip()):
        raise ValueError(f"page_size must be a CSS page size such as 'letter' or 'A4', not "
                         f"{page_size!r}")
    size = page_size.strip()
    landscape = size if "landscape" in size.lower() else size.split()[0] + " landscape"
    css = [f"@page {{ size: {size}; }}", f"@page wide-table {{ size: {landscape}; }}"]
    if draft:
        # A mark in the top margin of every page, and a faint diagonal watermark behind the text.
        # Both are page furniture: PDF/UA marks them as artifacts, not as content.
        css.append(
            "@page { "
            f"background-image: url(\"{_WATERMARK}\"); background-repeat: no-repeat; "
            "background-position: center; background-size: 85%; "
            "@top-right { content: \"DRAFT: not for release\"; font: bold 9pt \"DejaVu Sans\", "
            "sans-serif; color: #a3231b; letter-spacing: 0.05em; } "
            "}"
        )
    return "\n".join(css)


def print_css(page_size: str = "letter", draft: bool = True) -> str:
    """The print rules :func:`html_to_pdf` adds to a page.

    ``templates/report_section/print.css``, then the page size (and a landscape page of the same
    size named ``wide-table``) and, when ``draft``, the DRAFT mark and watermark.

    Raises
    ------
    ValueError
        If ``page_size`` is not a CSS page size such as "letter", "A4" or "letter landscape".
    """
    page_css = _page_css(page_size, draft)
    return f"{_css('print.css')}\n{page_css}"


def add_style(html: str, css: str) -> str:
    """``html`` with a ``<style>`` of ``css`` at the end of its head.

    Stylesheets given to WeasyPrint are "user" stylesheets, which lose to the document's own
    rules, so print rules go into the document, after its stylesheet.
    """
    style = f"<style>\n{css}\n</style>\n"
    head_end = re.search(r"</head\s*>", html, re.IGNORECASE)
    if head_end is None:
        return style + html
    return html[: head_end.start()] + style + html[head_end.start():]



def fitting_rules(html: str, page_size: str = "letter", draft: bool = True) -> str:
    """The rules :func:`transparency.rendering.pagefit.plan` adds to a report drawn whole (by :func:`html_to_pdf`).

    Decided on its parts drawn alone, in this process, as :func:`transparency.rendering.pdfparts.start_pdf`
    decides them, so that both draw the same pages. Empty for a page without parts.
    """
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    from . import pagefit
    from .pagecut import NO_MARGIN_BOXES, part_page, split_report

    head, parts = split_report(html)
    if len(parts) < 2:
        return ""
    head = add_style(head, f"{print_css(page_size, draft)}\n{NO_MARGIN_BOXES}")

    def draw(page: str) -> Any:
        return HTML(string=page).render(font_config=FontConfiguration(), **PDF_UA_OPTIONS)

    return pagefit.plan(head, [(p.name, p.body) for p in parts[1:]], draw, add_style, part_page)

def html_to_pdf(
    html: str,
    pdf_path: Path | str,
    title: str,
    page_size: str = "letter",
    draft: bool = True,
    *,
    base_url: str | None = None,
) -> Path:
    """Write a tagged, accessible PDF (PDF/UA-1) of a report page with WeasyPrint.

    Print rules (``templates/report_section/print.css``): the page size given, page numbers
    ("Page 3 of 24") and the agency and period in the footer, every part on a new page (the back
    matter flows as one), headings, captions and glossary terms kept with what follows, charts
    and tables of up to 15 rows never split, longer tables with their header row repeated across
    pages, tables the text width (wide ones with fixed columns, smaller type and wrapping), a
    contents list with page numbers. Every table header cell is tagged with its scope
    (:func:`scope_table_headers`). :mod:`transparency.rendering.pdflayout` checks the result. Fonts are DejaVu Sans, named explicitly and embedded (subset); charts stay
    vector (SVG). When ``draft``, every page says "DRAFT: not for release" in its top margin and
    has a faint diagonal DRAFT watermark.

    Deterministic: the same HTML gives the same bytes. The file identifier is a hash of the
    content, and the creation date is the one the HTML declares (``assemble_report`` uses the
    build date) instead of the clock.

    Parameters
    ----------
    html : str
        A complete page, e.g. from :func:`assemble_report`.
    pdf_path : Path
        Where to write (the folder must exist).
    title : str
        The PDF's title (document properties, shown by readers and screen readers in place of the
        file name).
    page_size : str
        A CSS page size: "letter" (default), "A4", "letter landscape", ...
    draft : bool
        Mark every page as a draft.
    base_url : str, optional
        Resolves relative links and images. By default there is none: relative links stay relative
        in the PDF (``tables/x.csv`` opens the file beside the PDF wherever it is published), and
        images are embedded data URIs anyway. Resolving against the folder being written would
        point the links at a temporary build folder that is gone after the build.

    Returns
    -------
    Path
        ``pdf_path``.
    """
    if not str(title or "").strip():
        raise ValueError("a PDF needs a title")
    css = print_css(page_size, draft)  # checks page_size before the slow import
    import_weasyprint()
    html = add_style(html, f"{css}\n{fitting_rules(html, page_size, draft)}")
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    pdf_path = Path(pdf_path)
    options = {**PDF_UA_OPTIONS, "pdf_identifier": True}
    document = HTML(string=html, base_url=base_url).render(
        font_config=FontConfiguration(), **options
    )
    document.metadata.title = " ".join(str(title).split())
    if not document.metadata.lang:
        document.metadata.lang = "en"
    # fontTools stamps the embedded font subsets with the time unless SOURCE_DATE_EPOCH is set
    # (the reproducible-builds convention): use the document's own date.
    epoch = os.environ.get("SOURCE_DATE_EPOCH") or source_date_epoch(document.metadata.created)
    with fixed_source_date(epoch):
        document.write_pdf(pdf_path, finisher=scope_table_headers, **options)
    return pdf_path


#: A header cell's ``scope`` in HTML -> its ``/Scope`` in the PDF's structure tree.
_SCOPES = {"row": "/Row", "rowgroup": "/Row", "col": "/Column", "colgroup": "/Column"}


def scope_table_headers(document: Any, pdf: Any = None) -> int:
    """Give every table header cell (``TH``) of a tagged PDF being written its ``/Scope``.

    A finisher for WeasyPrint's ``write_pdf`` (``finisher=``), called once the structure tree is
    made. WeasyPrint tags ``<th>`` as ``TH`` and lists each data cell's headers (``/Headers``), but
    writes no ``/Scope`` on the header cells, so a PDF/UA-1 checker cannot tell what a header
    cell heads (UA-15-003). The scope is the HTML's (``scope="row"`` gives ``/Row``, ``"col"``
    ``/Column``); a ``<th>`` without one is a column header, as WeasyPrint counts it when it
    lists the headers of the data cells.

    Parameters
    ----------
    document : weasyprint.document.Document
        The document being written (its boxes carry their structure elements).
    pdf : pydyf.PDF, optional
        The PDF being written (unused: the cells' structure elements are reached from the boxes).

    Returns
    -------
    int
        How many header cells were given a scope.
    """
    import pydyf

    given = 0
    for page in document.pages:
        for box in page._page_box.descendants():
            element = getattr(box, "mark", None)
            if box.element_tag != "th" or not isinstance(element, pydyf.Dictionary) \
                    or element.get("S") != "/TH":
                continue
            scope = str(box.element.get("scope", "")).strip().lower()
            element["A"]["Scope"] = _SCOPES.get(scope, "/Column")
            given += 1
    return given


def import_weasyprint() -> None:
    """Import WeasyPrint, skipping the library search it makes for other platforms' names.

    WeasyPrint opens its C libraries (GObject, Pango, HarfBuzz, fontconfig) by trying a list of
    names for every platform in turn, Windows names first ("libgobject-2.0-0"). cffi answers a name
    it cannot open by calling :func:`ctypes.util.find_library`, which on Linux runs ``ldconfig``,
    ``gcc`` and ``ld`` each time: 24 names, 0.2 s of the warm server's start, which every build's
    first notebook waits for. While WeasyPrint is imported here, ``find_library`` answers "not
    found" at once: every library is then opened by its file name ("libgobject-2.0.so.0"), which
    WeasyPrint tries too, as the dynamic loader finds it (the one library that may be missing,
    HarfBuzz's vector module, is optional). Where that fails (a system whose libraries only the
    full search finds), WeasyPrint is imported again the ordinary way.
    """
    import sys

    if "weasyprint" in sys.modules:
        return
    import ctypes.util
    import io

    search = ctypes.util.find_library
    ctypes.util.find_library = lambda _name: None
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # its "could not import" advice, for a retry
            import weasyprint  # noqa: F401
            import weasyprint.text.fonts  # noqa: F401
    except OSError:
        for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
            del sys.modules[name]
    finally:
        ctypes.util.find_library = search
    import weasyprint  # noqa: F401, F811 - the ordinary import when the quick one failed
    import weasyprint.text.fonts  # noqa: F401


def source_date_epoch(created: str | None) -> str:
    """Seconds since 1970 of a W3C date(-time), or of 2000-01-01 when there is none (as text).

    The value :func:`html_to_pdf` gives ``SOURCE_DATE_EPOCH`` for a document created then.
    """
    moment = datetime(2000, 1, 1, tzinfo=UTC)
    if created:
        try:
            moment = datetime.fromisoformat(created.replace("Z", "+00:00"))
        except ValueError:
            pass
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return str(int(moment.timestamp()))


@contextlib.contextmanager
def fixed_source_date(epoch: str) -> Iterator[None]:
    """Set ``SOURCE_DATE_EPOCH`` to ``epoch`` while WeasyPrint writes a PDF, then restore it.

    fontTools stamps the embedded font subsets with the time unless ``SOURCE_DATE_EPOCH`` is set
    (the reproducible-builds convention), which would make every PDF differ.
    """
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = epoch
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous
