"""The report PDF drawn in parts on every core, then merged into one tagged PDF/UA-1 file.

:func:`transparency.rendering.render.html_to_pdf` lays out the whole report in one WeasyPrint process, on one
core (8.5 s for the sample agency's 87 pages). :func:`start_pdf` draws the same file in parts, in
parallel (about 5 s on two idle cores), and returns at once with a
:class:`PdfJob` so that the caller can work meanwhile::

    job = start_pdf(report_html, staging / "report.pdf", title, page_size="letter", draft=True)
    ...  # other work
    job.result()  # waits; the path, or BackgroundError with the reason
    job.seconds   # wall seconds from start_pdf to the written file

How:

1. In the caller (milliseconds): the page is cut where the template marks parts
   (``data-pdf-part`` in ``templates/report.html.j2``): the front matter (cover, at a glance,
   contents), one part per dataset section, and the back matter. Its stylesheets are checked for
   rules that parts cannot draw as one document would (:func:`check_css`, below).
2. A coordinating process, forked from the warm server by :class:`transparency.core.processes.Background`,
   imports WeasyPrint (already done when the warm server has, see :mod:`transparency.building.preload`) and
   forks ``workers`` workers from itself (they start at once, WeasyPrint
   loaded), each drawing a share of the parts (the longest first, each to the worker with the least
   work so far, estimated from the bytes of text and of charts). A part is laid out with the
   report's print rules (:func:`transparency.rendering.render.print_css`) but without margin boxes; links to
   other parts get a stand-in anchor so that WeasyPrint keeps them.
3. When every dataset and back-matter part is drawn, their page counts are known: the front matter
   is drawn with the contents' page numbers written in (``data-page``, in place of
   ``target-counter()``), and, at the same time, the *furniture*: a small untagged document of
   empty pages of the same sizes whose margin boxes are the report's (page "X of N", agency,
   period, the DRAFT mark). The front matter's page count is guessed (three pages: cover, at a
   glance, contents); on a wrong guess both are drawn again.
4. The coordinator merges the parts with pikepdf: one structure tree (one ``Document`` element
   holding every part's elements; ParentTree keys, the pages' ``/StructParents`` and the links'
   ``/StructParent`` renumbered; table-header cells scoped in each part as ``html_to_pdf`` scopes
   them (:func:`~transparency.rendering.render.scope_table_headers`), their IDs made unique per part and listed in an
   ``IDTree``, which ISO 32000 asks for and WeasyPrint does not write), one tree of named
   destinations (the real anchors; links in the file name their target, so they resolve across
   parts), the outline rebuilt from every part's bookmarks and nested as WeasyPrint nests one
   document's, the front matter's catalog entries, XMP metadata and document information. Each
   furniture page is laid over its page as a form XObject inside ``/Artifact /Pagination`` marked
   content.

The result has the same pages as ``html_to_pdf``'s (sizes, text page by page, pixels), the same
structure tree, links, outline and metadata (``tests/test_pdfparts.py`` compares them on a built
sample report), with two differences a reader does not see: the footers are pagination artifacts
(``html_to_pdf`` leaves them as marked content outside the structure tree), and the table-header
IDs are listed in an IDTree. It is about a quarter larger (each part embeds its own font
subsets). The same HTML gives the same bytes: parts are written with ``SOURCE_DATE_EPOCH`` as
``html_to_pdf`` does, and pikepdf saves with an identifier made from the content, without touching
the XMP metadata (``fix_metadata_version=False``).

Why the coordination runs in a process of its own rather than in the caller: the front matter and
the furniture must start the moment the last part ends, while the caller is busy (the build
searches the other files for personal data); a thread in the caller could not start them safely
(the warm server's start swaps ``os.environ``, and forking is unsafe with threads). Forked from the
coordinator, the workers start in milliseconds. Cancelling the job ends
the coordinator and its workers.

CSS that parts cannot draw like one document, refused by :func:`check_css` (use
:func:`~transparency.rendering.render.html_to_pdf` for such a page, or express the rule otherwise):

* page selectors that depend on a page's place in the whole document (``@page :first``,
  ``:left``, ``:right``, ``:blank``, ``:nth()``) and breaks to a left or right page (``left``,
  ``right``, ``recto``, ``verso``), which may add blank pages;
* named pages (``@page wide-table``) that set anything but ``size``: the furniture draws each page
  with the default page's margins and margin boxes, at the page's size;
* CSS counters (``counter-reset``, ``-increment``, ``-set``; ``counter()`` except ``list-item``,
  and ``page`` and ``pages`` in the margin boxes), which would restart in every part;
* ``position: fixed``, which repeats an element on every page of the document, and in parts on
  every page of its part only;
* ``target-counter()`` and ``target-text()``, except in the contents' rule (``.toc a::after``),
  whose page numbers are written in;
* running strings other than ``running-agency`` and ``running-period`` and running elements
  (``running()``, ``element()``): the furniture takes those two strings from the elements that
  set them, which must be in the front matter and appear once.

Rules inside ``@media screen`` are not checked (they never reach a PDF). Anything else that makes
a part's layout depend on another part's would also break this, such as an element straddling a
``data-pdf-part`` mark: the template puts every mark on an element that starts a new page
(``break-before: page``) and holds everything up to the next mark.
"""

from __future__ import annotations

import contextlib
import html as html_lib
import io
import os
import re
import time
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from . import pagefit
from .pagecut import _BODY_START, NO_MARGIN_BOXES, PartsError, ReportPart, part_page, split_report
from .render import (
    PDF_UA_OPTIONS,
    add_style,
    css_string,
    fixed_source_date,
    html_to_pdf,
    import_weasyprint,
    print_css,
    scope_table_headers,
    source_date_epoch,
)

__all__ = ["PartsError", "PdfJob", "ReportPart", "check_css", "split_report", "start_pdf"]

# PDF points per CSS pixel (WeasyPrint's scale at zoom 1).
_PT_PER_PX = 0.75

# Pages of the front matter before it is drawn: the cover, "At a glance" and the contents each
# start a page. A wrong guess costs one more drawing of the front matter and the furniture.
_FRONT_PAGES_GUESS = 3
_FRONT_ATTEMPTS = 3

_STYLE = re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.IGNORECASE | re.DOTALL)
_CONTENTS = re.compile(r'<nav class="toc"[^>]*>.*?</nav>', re.DOTALL)
_CONTENTS_LINK = re.compile(r'<a href="#([^"]+)">')
_DATA_URI = re.compile(r'"data:[^"]*"')
_LANG = re.compile(r"<html\b[^>]*\blang=\"([^\"]+)\"", re.IGNORECASE)

# The contents' links to other parts carry their page number in data-page.
_CONTENTS_RULE = ".toc a::after"
_KNOWN_PAGES = '.toc a[data-page]::after { content: leader(".") " " attr(data-page); }'

# The running strings the margin boxes may show; the furniture writes their text in.
_RUNNING_STRINGS = ("running-agency", "running-period")


def _stylesheets(html: str) -> list[str]:
    body = _BODY_START.search(html)
    return _STYLE.findall(html[: body.start()] if body else html)


def check_css(css: str) -> None:
    """Refuse rules that a report drawn in parts cannot draw as one document would.

    See the module's description for the rules and why.

    Raises
    ------
    PartsError
        Naming each rule refused.
    """
    import tinycss2

    problems: list[str] = []

    def functions(tokens: Iterable[Any]) -> Iterable[Any]:
        for token in tokens:
            if token.type == "function":
                yield token
                yield from functions(token.arguments)
            elif token.type in ("() block", "[] block", "{} block"):
                yield from functions(token.content)

    def first_ident(tokens: Iterable[Any]) -> str:
        return next((t.lower_value for t in tokens if t.type == "ident"), "")

    def declarations(content: Any) -> list[Any]:
        return [d for d in tinycss2.parse_blocks_contents(content, skip_comments=True,
                                                          skip_whitespace=True)]

    def check_declaration(where: str, declaration: Any, in_margin_box: bool) -> None:
        name, value = declaration.lower_name, declaration.value
        idents = {t.lower_value for t in value if t.type == "ident"}
        said = f"{where} {{ {name}: {tinycss2.serialize(value).strip()} }}"
        if name in ("break-before", "break-after", "page-break-before", "page-break-after") \
                and idents & {"left", "right", "recto", "verso"}:
            problems.append(f"{said}: a break to a left or right page depends on the whole document")
        if name in ("counter-reset", "counter-increment", "counter-set") and idents - {"list-item", "none"}:
            problems.append(f"{said}: counters would restart in every part")
        if name == "string-set" and idents - {"none"} - set(_RUNNING_STRINGS):
            problems.append(f"{said}: only {', '.join(_RUNNING_STRINGS)} can be running strings")
        if name == "position" and any(f.lower_name == "running" for f in functions(value)):
            problems.append(f"{said}: running elements are not drawn in parts")
        if name == "position" and "fixed" in idents:
            problems.append(f"{said}: a fixed element is drawn on every page of its part only")
        for function in functions(value):
            argument = first_ident(function.arguments)
            if function.lower_name in ("target-counter", "target-counters", "target-text") \
                    and where != _CONTENTS_RULE:
                problems.append(f"{said}: {function.lower_name}() to another part is not known "
                                "when a part is drawn (only the contents' page numbers are written in)")
            elif function.lower_name in ("counter", "counters") \
                    and argument not in (("page", "pages") if in_margin_box else ("list-item",)):
                problems.append(f"{said}: counters would restart in every part")
            elif function.lower_name == "string" and argument not in _RUNNING_STRINGS:
                problems.append(f"{said}: only {', '.join(_RUNNING_STRINGS)} can be running strings")
            elif function.lower_name == "element":
                problems.append(f"{said}: running elements are not drawn in parts")

    def check_rules(rules: Iterable[Any]) -> None:
        for rule in rules:
            if rule.type == "qualified-rule":
                where = " ".join(tinycss2.serialize(rule.prelude).split())
                for declaration in declarations(rule.content):
                    if declaration.type == "declaration":
                        check_declaration(where, declaration, in_margin_box=False)
            elif rule.type == "at-rule" and rule.lower_at_keyword == "page" and rule.content:
                selector = " ".join(tinycss2.serialize(rule.prelude).split())
                where = f"@page {selector}".strip()
                if ":" in selector:
                    problems.append(f"{where}: which pages it selects depends on the whole document")
                for item in declarations(rule.content):
                    if item.type == "declaration":
                        if selector and item.lower_name != "size":
                            problems.append(f"{where} {{ {item.lower_name} }}: a named page may only "
                                            "set its size (the furniture uses the default page's rules)")
                        check_declaration(where, item, in_margin_box=True)
                    elif item.type == "at-rule":
                        if selector:
                            problems.append(f"{where} @{item.lower_at_keyword}: a named page may only "
                                            "set its size (the furniture uses the default page's rules)")
                        for declaration in declarations(item.content or []):
                            if declaration.type == "declaration":
                                check_declaration(f"{where} @{item.lower_at_keyword}", declaration,
                                                  in_margin_box=True)
            elif rule.type == "at-rule" and rule.lower_at_keyword in ("media", "supports") \
                    and rule.content and not _screen_only(rule):
                check_rules(tinycss2.parse_rule_list(rule.content, skip_comments=True,
                                                     skip_whitespace=True))

    check_rules(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))
    if problems:
        raise PartsError("the report's CSS cannot be drawn in parts (draw it with "
                         "transparency.rendering.render.html_to_pdf, or change the rule):\n  "
                         + "\n  ".join(dict.fromkeys(problems)))


def _screen_only(rule: Any) -> bool:
    """True for ``@media screen { ... }`` (rules that never reach a PDF)."""
    import tinycss2

    query = tinycss2.serialize(rule.prelude).lower()
    return rule.lower_at_keyword == "media" and "screen" in query and not re.search(r"\b(print|all)\b", query)


def _running_strings(css: str, parts: Sequence[ReportPart]) -> dict[str, str]:
    """The text of each running string, from the one front-matter element that sets it.

    The elements are found by the class selectors of the ``string-set`` rules (``.cover-agency {
    string-set: running-agency content(); }``).
    """
    import tinycss2

    setters: dict[str, list[str]] = {}
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type != "qualified-rule":
            continue
        selector = tinycss2.serialize(rule.prelude).strip()
        for declaration in tinycss2.parse_blocks_contents(rule.content, skip_comments=True,
                                                          skip_whitespace=True):
            if declaration.type == "declaration" and declaration.lower_name == "string-set":
                name = next((t.value for t in declaration.value if t.type == "ident"), "none")
                if name == "none":
                    continue
                if not re.fullmatch(r"\.[\w-]+", selector):
                    raise PartsError(f"{selector} {{ string-set }}: a running string must be set "
                                     "by a class selector for the report to be drawn in parts")
                setters.setdefault(name, []).append(selector[1:])
    values = {}
    for name in _RUNNING_STRINGS:
        found = []
        for class_name in setters.get(name, []):
            element = re.compile(rf'<(\w+)\b[^>]*\bclass="{re.escape(class_name)}"[^>]*>(.*?)</\1>',
                                 re.DOTALL)
            for index, part in enumerate(parts):
                if f'class="{class_name}"' in part.body:
                    found += [(index, match.group(2)) for match in element.finditer(part.body)]
        if len(found) > 1 or any(index != 0 for index, _ in found):
            raise PartsError(f"the running string {name} is set {len(found)} times, or outside "
                             "the front matter: the report cannot be drawn in parts")
        text = re.sub(r"<[^>]+>", "", found[0][1]) if found else ""
        values[name] = " ".join(html_lib.unescape(text).split())
    return values


# ----------------------------------------------------------------------------------------------
# Starting and waiting (the caller)
# ----------------------------------------------------------------------------------------------


class PdfJob:
    """A report PDF being drawn (see :func:`start_pdf`).

    Attributes
    ----------
    seconds : float
        Wall seconds from :func:`start_pdf` until the file was written (set by :meth:`result`).
    """

    seconds: float = 0.0

    def __init__(self, task: Any, started: float):
        self._task = task
        self._started = started

    def result(self) -> Path:
        """Wait for the PDF; return its path.

        Raises
        ------
        transparency.core.processes.BackgroundError
            If it could not be drawn; the message says which part failed and why.
        """
        from transparency.core.processes import BackgroundError

        try:
            path, finished = self._task.result()
        except BackgroundError as exc:
            self.seconds = self._task.seconds
            raise BackgroundError(f"the report PDF could not be drawn: {exc}") from None
        self.seconds = max(0.0, finished - self._started)
        return Path(path)

    def cancel(self) -> None:
        """End the drawing (the coordinator and its workers) if it is still running."""
        self._task.cancel()


def start_pdf(
    html: str,
    pdf_path: Path | str,
    title: str,
    page_size: str = "letter",
    draft: bool = True,
    workers: int | None = None,
    store: Path | str | None = None,
    place: Any = None,
) -> PdfJob:
    """Start drawing a report page as a tagged PDF/UA-1 file in parts, in parallel; return at once.

    Draws what :func:`transparency.rendering.render.html_to_pdf` draws, on several cores (see the module's
    description). Checks the arguments and the page's CSS here, in milliseconds, so that a wrong
    page size or a rule parts cannot draw fails at once.

    Parameters
    ----------
    html : str
        A report page from :func:`transparency.rendering.render.assemble_report` (a page without
        ``data-pdf-part`` marks is drawn whole by ``html_to_pdf``, in one worker).
    pdf_path : Path
        Where to write (the folder must exist).
    title : str
        The PDF's title.
    page_size : str
        A CSS page size: "letter" (default), "A4", ...
    draft : bool
        Mark every page as a draft.
    workers : int, optional
        Parts drawn at once; default one per available core. The file does not depend on it, so
        that a build made again on another machine (``transparency verify --rebuild``) gives the
        same bytes.
    store : Path, optional
        A folder where drawn parts are kept, by the sha256 of what was drawn (the part's page, its
        place, title and date, the versions of WeasyPrint and of this package): a part whose page
        did not change since the last drawing is not drawn again. The build keeps one per period;
        parts not used by this drawing are removed from it, so it holds one report's parts.
    place : transparency.building.cluster.Cluster, optional
        A Dask cluster: each part is drawn by a task of its own there (``workers`` is then ignored), the
        coordination runs in a thread of this process; ``pdf_path`` and ``store`` must be on storage the
        workers see. The file is the same.

    Returns
    -------
    PdfJob
        ``result()`` waits and returns ``pdf_path``; ``cancel()``; ``seconds``.

    Raises
    ------
    ValueError
        No title, or a page size that is not one.
    PartsError
        The page's CSS has a rule that parts cannot draw (:func:`check_css`).
    """
    from transparency.core.processes import Background, cores

    started = time.time()
    if not str(title or "").strip():
        raise ValueError("a PDF needs a title")
    title = " ".join(str(title).split())
    css = print_css(page_size, draft)  # checks the page size
    workers = workers or cores()
    pdf_path = os.path.abspath(pdf_path)  # the workers' current folder is not the caller's
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    head, parts = split_report(html)
    if len(parts) < 2:
        if place is not None:
            from transparency.core.processes import FutureTask

            return PdfJob(FutureTask(place.submit(_draw_whole, html, pdf_path, title, page_size, draft, epoch,
                                                  name="pdf-whole", kind="pdf part")), started)
        return PdfJob(Background(_draw_whole, html, pdf_path, title, page_size, draft, epoch), started)
    document_css = "\n".join([*_stylesheets(html), css])
    check_css(document_css)
    strings = _running_strings(document_css, parts)
    lang = _LANG.search(head)
    arguments = (head, parts, pdf_path, title, page_size, draft, workers, epoch, strings,
                 lang.group(1) if lang else "en", None if store is None else str(os.path.abspath(store)))
    if place is not None:
        from transparency.core.processes import FutureTask

        return PdfJob(FutureTask.thread(_draw_parts, *arguments, place), started)
    return PdfJob(Background(_draw_parts, *arguments), started)


def _draw_whole(html: str, pdf_path: str, title: str, page_size: str, draft: bool,
                epoch: str | None) -> tuple[str, float]:
    """The whole page with ``html_to_pdf`` (one worker); returns the path and when it was written."""
    if epoch is not None:
        os.environ["SOURCE_DATE_EPOCH"] = epoch  # this worker's own environment
    html_to_pdf(html, pdf_path, title, page_size=page_size, draft=draft)
    return pdf_path, time.time()


# ----------------------------------------------------------------------------------------------
# The coordinator (a process of its own)
# ----------------------------------------------------------------------------------------------


def _draw_parts(head: str, parts: list[ReportPart], pdf_path: str, title: str, page_size: str,
                draft: bool, workers: int, epoch: str | None, strings: dict[str, str],
                lang: str, store: str | None = None, place: Any = None) -> tuple[str, float]:
    """Draw the parts in forked workers (or as tasks of ``place``, a Dask cluster), then the front matter and
    the furniture, and merge them."""
    if place is None:
        import_weasyprint()  # once here (a no-op in the warm server), so that the forked workers have it

    kept = _PartStore(store)

    head = add_style(head, f"{print_css(page_size, draft)}\n{NO_MARGIN_BOXES}")

    def job(index: int, name: str, page: str, tagged: bool = True, part_epoch: str | None = epoch) -> dict:
        return {"index": index, "name": name, "html": page, "title": title, "epoch": part_epoch,
                "tagged": tagged}

    front, body = parts[0], parts[1:]
    # A part whose last page would be nearly empty is fitted, or takes the next part in
    # (transparency.rendering.pagefit); the last part ends the report.
    index_of = {p.name: i for i, p in enumerate(body, 1)}

    def draw_all(drawings: list[pagefit.Drawing]) -> list[dict]:
        jobs = [job(index_of[d.name], d.name, d.page) | {"fit": d.fit} for d in drawings]
        drawn = _render_all(jobs, workers, kept, place)
        return [drawn[item["index"]] for item in jobs]

    pieces = pagefit.arrange(head, [(p.name, p.body) for p in body], draw_all, add_style, part_page)
    body_results = [piece.result for piece in pieces]
    body_sizes = [size for result in body_results for size in result["sizes"]]
    default_size = Counter(body_sizes).most_common(1)[0][0]
    front_sizes = [default_size] * _FRONT_PAGES_GUESS
    for _attempt in range(_FRONT_ATTEMPTS):
        pages, offset = {}, len(front_sizes)
        for result in body_results:
            for name, local in result["anchors"].items():
                pages.setdefault(name, offset + local + 1)
            offset += len(result["sizes"])
        front_page = add_style(part_page(head, _number_contents(front.body, pages), front=True),
                               _KNOWN_PAGES)
        furniture = _furniture_page(front_sizes + body_sizes, page_size, draft, strings, lang)
        last = _render_all([job(0, "front", front_page),
                            job(-1, "furniture", furniture, tagged=False,
                                part_epoch=body_results[0]["epoch"])], workers, kept, place)
        if last[0]["sizes"] == front_sizes:
            break
        front_sizes = last[0]["sizes"]
    else:
        raise PartsError(f"the front matter's page count did not settle in {_FRONT_ATTEMPTS} drawings")

    _merge([last[0], *body_results], last[-1]["pdf"], pdf_path)
    kept.forget_unused()
    return pdf_path, time.time()


def _render_all(jobs: list[dict], workers: int, kept: _PartStore | None = None, place: Any = None) -> dict[int, dict]:
    """Draw the jobs in ``workers`` workers forked from this process; results by job index.

    The longest pages go first, each to the worker with the least work so far (:func:`_work`), so
    that the workers end at about the same time; each starts with WeasyPrint imported. Jobs found
    in ``kept`` are not drawn again, and those drawn are added to it. With ``place`` (a Dask cluster),
    each job is a task of its own there, the longest sent first.
    """
    from transparency.core.processes import Background, deal

    kept = kept or _PartStore(None)
    found = {item["index"]: result for item in jobs if (result := kept.get(item)) is not None}
    jobs = [item for item in jobs if item["index"] not in found]
    if not jobs:
        return found
    if place is not None:
        ordered = sorted(jobs, key=lambda item: -_work(item["html"]))
        futures = [place.submit(_render_parts, [item], name=f"pdf-part-{item['name']}",
                                kind="pdf part") for item in ordered]
        try:
            drawn = {result["index"]: result for future in futures for result in future.result()}
        finally:
            for future in futures:
                if not future.done():
                    future.cancel()
        for item in jobs:
            kept.put(item, drawn[item["index"]])
        return found | drawn
    tasks = [Background.forked(_render_parts, items) for items in deal(jobs, lambda j: _work(j["html"]), workers)]
    try:
        drawn = {result["index"]: result for task in tasks for result in task.result()}
    finally:
        for task in tasks:
            task.cancel()
    for item in jobs:
        kept.put(item, drawn[item["index"]])
    return found | drawn


class _PartStore:
    """Drawn parts kept in a folder by the sha256 of what was drawn (see :func:`start_pdf`)."""

    def __init__(self, folder: str | None):
        self.folder = Path(folder) if folder else None
        self.used: set[str] = set()
        self.versions: list[str] | None = None

    def _path(self, job: dict) -> Path:
        import hashlib
        import json

        if self.versions is None:
            import pikepdf
            import weasyprint

            from transparency.core.incremental import package_sha256

            self.versions = [weasyprint.__version__, pikepdf.__version__, package_sha256()]
        what = [job["index"], job["name"], job["title"], job["epoch"], job["tagged"], job["html"],
                job.get("fit"), *self.versions]
        name = hashlib.sha256(json.dumps(what).encode()).hexdigest()[:32] + ".pickle"
        self.used.add(name)
        return self.folder / name

    def get(self, job: dict) -> dict | None:
        if self.folder is None:
            return None
        import pickle

        try:
            # Written by put() below into the build's own cache folder: trusted.
            return pickle.loads(self._path(job).read_bytes())  # noqa: S301
        except (OSError, pickle.UnpicklingError, EOFError, ValueError):
            return None

    def put(self, job: dict, result: dict) -> None:
        if self.folder is None:
            return
        import pickle

        from transparency.core.hashing import atomic_write

        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write(self._path(job), pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))

    def forget_unused(self) -> None:
        """Remove the parts this drawing did not use (the folder holds one report's parts)."""
        if self.folder is None or not self.folder.is_dir():
            return
        for path in self.folder.glob("*.pickle"):
            if path.name not in self.used:
                path.unlink(missing_ok=True)


def _work(page: str) -> int:
    """An estimate of the time a page takes to draw: its bytes, counting an eighth of its data URIs.

    Charts (SVG data URIs) take about a ninth of the time per byte that text and markup take to
    lay out (measured on the sample report's sections; the back matter is all text).
    """
    data = sum(len(uri) for uri in _DATA_URI.findall(page))
    return len(page) - data + data // 8


def _render_parts(jobs: list[dict]) -> list[dict]:
    """Draw several parts in turn (a worker's task); an error names the part."""
    results = []
    for item in jobs:
        try:
            results.append(_render_part(item))
        except Exception as exc:
            raise PartsError(f"the part {item['name']!r} could not be drawn: "
                             f"{type(exc).__name__}: {exc}") from exc
    return results


def _number_contents(front: str, pages: dict[str, int]) -> str:
    """The front matter with the contents' links to other parts numbered (``data-page``)."""

    def number(match: re.Match) -> str:
        page = pages.get(html_lib.unescape(match.group(1)))
        return match.group(0) if page is None else f'<a href="#{match.group(1)}" data-page="{page}">'

    return _CONTENTS.sub(lambda toc: _CONTENTS_LINK.sub(number, toc.group(0)), front, count=1)


def _furniture_page(sizes: Sequence[tuple[float, float]], page_size: str, draft: bool,
                    strings: dict[str, str], lang: str) -> str:
    """Empty pages of these sizes with the report's margin boxes and running strings written in."""
    css = print_css(page_size, draft)
    for name, text in strings.items():
        css = re.sub(rf"string\(\s*{re.escape(name)}\s*\)", lambda _m, t=text: css_string(t), css)
    kinds = sorted(set(sizes))
    named = "\n".join(f"@page furniture-{k} {{ size: {w}pt {h}pt; }}\n"
                      f".furniture-{k} {{ page: furniture-{k}; }}" for k, (w, h) in enumerate(kinds))
    # The watermark stays in the parts, under the text, as html_to_pdf paints it.
    css = f"{css}\n{named}\n@page {{ background: none; }}\nbody > div {{ break-before: page; }}"
    pages = "".join(f'<div class="furniture-{kinds.index(size)}"></div>' for size in sizes)
    return (f'<!DOCTYPE html>\n<html lang="{html_lib.escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>Page furniture</title>\n<style>\n{css}\n</style>\n</head>\n<body>{pages}</body>\n</html>\n")


# ----------------------------------------------------------------------------------------------
# One part (a worker forked from the coordinator)
# ----------------------------------------------------------------------------------------------


def _render_part(job: dict) -> dict:
    """Lay out and write one part; return its PDF and what the merge needs.

    ``job``: ``index`` (the front matter 0, the others from 1; IDs are prefixed with it), ``name``,
    ``html`` (a complete page, print rules included), ``title``, ``epoch`` (None: the page's own
    date), ``tagged``.
    """
    import pydyf
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    options = dict(PDF_UA_OPTIONS) if job["tagged"] else {}

    def draw(page: str) -> Any:
        return HTML(string=page).render(font_config=FontConfiguration(), **options)

    if job.get("fit"):
        document, fit_step, fill = pagefit.fit_part(draw, job["html"], job["fit"], add_style)
    else:
        document, fit_step = draw(job["html"]), None
        fill = pagefit.last_page_fill(document)
    document.metadata.title = job["title"]
    if not document.metadata.lang:
        document.metadata.lang = "en"
    epoch = job["epoch"] or source_date_epoch(document.metadata.created)

    anchors: dict[str, int] = {}  # the first occurrence wins, as in WeasyPrint
    for number, page in enumerate(document.pages):
        for name in page.anchors:
            anchors.setdefault(name, number)
    # WeasyPrint drops a link whose anchor it cannot find: give links to other parts a stand-in
    # (the merged file's named destinations point at the real anchor).
    stand_ins = sorted({target for page in document.pages for kind, target, _, _ in page.links
                        if kind == "internal" and target not in anchors})
    for name in stand_ins:
        document.pages[0].anchors[name] = (0, 0, 0, 0)
    bookmarks = [(number, level, label, round(x * _PT_PER_PX, 4),
                  round((page.height - y) * _PT_PER_PX, 4), state)
                 for number, page in enumerate(document.pages)
                 for level, label, (x, y), state in page.bookmarks]

    ids: list[tuple[int, str]] = []  # (object number, ID) of structure elements with an ID

    def finish(document: Any, pdf: Any) -> None:
        """Header cells get their scope, as html_to_pdf's do; IDs are prefixed (below)."""
        scope_table_headers(document, pdf)
        prefix_ids(pdf)

    def prefix_ids(pdf: Any) -> None:
        """Table-header IDs are made from object numbers: prefix them to keep them unique."""
        prefix = f"p{job['index']}-"
        for obj in pdf.objects:
            if not isinstance(obj, pydyf.Dictionary) or obj.get("Type") != "/StructElem":
                continue
            if "ID" in obj:
                obj["ID"] = pydyf.String(prefix + obj["ID"].string)
                ids.append((obj.number, obj["ID"].string))
            attributes = obj.get("A")
            if isinstance(attributes, dict) and attributes.get("Headers"):
                attributes["Headers"] = pydyf.Array(pydyf.String(prefix + h.string)
                                                    for h in attributes["Headers"])

    with fixed_source_date(epoch):
        pdf = document.write_pdf(finisher=finish if job["tagged"] else None, **options)
    return {
        "index": job["index"], "name": job["name"], "pdf": pdf, "epoch": epoch,
        "fit_step": fit_step, "fill": fill,
        "sizes": [(page.width * _PT_PER_PX, page.height * _PT_PER_PX) for page in document.pages],
        "anchors": anchors, "stand_ins": stand_ins, "bookmarks": bookmarks, "ids": ids,
    }


# ----------------------------------------------------------------------------------------------
# Merging (the coordinator)
# ----------------------------------------------------------------------------------------------


def _as_list(value: Any) -> list:
    import pikepdf

    if value is None:
        return []
    return list(value) if isinstance(value, pikepdf.Array) else [value]


def _bookmark_tree(entries: list[tuple]) -> list[tuple]:
    """Nest ``(level, label, target, state)`` as WeasyPrint nests one document's bookmarks."""
    root: list[tuple] = []
    skipped: list[int] = []
    previous = 0
    last_by_depth = [root]
    for level, label, target, state in entries:
        if level > previous:
            skipped.append(level - previous - 1)
        else:
            temp = level
            while temp < previous:
                temp += 1 + skipped.pop()
            if temp > previous:
                skipped.append(temp - previous - 1)
        previous = level
        depth = level - sum(skipped)
        children: list[tuple] = []
        last_by_depth[depth - 1].append((label, target, children, state))
        del last_by_depth[depth:]
        last_by_depth.append(children)
    return root


def _write_outlines(pdf: Any, tree: list[tuple], parent: Any = None) -> tuple[list, int]:
    """The outline items of ``tree`` (WeasyPrint's ``/Count`` rules); the root sets /Outlines."""
    import pikepdf

    count, items = len(tree), []
    for label, (page, x, y), children, state in tree:
        item = pdf.make_indirect(pikepdf.Dictionary(
            Title=pikepdf.String(label),
            Dest=pikepdf.Array([pdf.pages[page].obj, pikepdf.Name.XYZ, x, y, 0])))
        child_items, child_count = _write_outlines(pdf, children, parent=item)
        item.Count = -child_count if state == "closed" else child_count
        if state != "closed":
            count += child_count
        if items:
            item.Prev = items[-1]
            items[-1].Next = item
        if child_items:
            item.First, item.Last = child_items[0], child_items[-1]
        if parent is not None:
            item.Parent = parent
        items.append(item)
    if parent is None and items:
        outlines = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Outlines, Count=count, First=items[0], Last=items[-1]))
        for item in items:
            item.Parent = outlines
        pdf.Root.Outlines = outlines
    return items, count


def _merge(results: list[dict], furniture_pdf: bytes, pdf_path: str) -> None:
    """Write one tagged PDF from the parts (in report order) and the furniture."""
    import pikepdf

    # Copied objects are read from their sources when the file is saved: keep them open till then.
    with contextlib.ExitStack() as stack:
        sources = [stack.enter_context(pikepdf.open(io.BytesIO(r["pdf"]))) for r in results]
        furniture = stack.enter_context(pikepdf.open(io.BytesIO(furniture_pdf)))
        out = stack.enter_context(pikepdf.new())
        _merge_parts(out, results, sources)
        _overlay_furniture(out, furniture)
        out.save(pdf_path, deterministic_id=True, fix_metadata_version=False,
                 min_version=sources[0].pdf_version, compress_streams=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate)


def _merge_parts(out: Any, results: list[dict], sources: list[Any]) -> None:
    """Append the parts' pages to ``out`` with one structure tree, destinations and outline."""
    import pikepdf

    front = sources[0]
    out.Root.Lang = front.Root.Lang
    out.Root.MarkInfo = pikepdf.Dictionary(Marked=True)
    if "/ViewerPreferences" in front.Root:  # DisplayDocTitle, a direct dictionary
        out.Root.ViewerPreferences = pikepdf.Dictionary(dict(front.Root.ViewerPreferences.items()))
    out.Root.Metadata = out.copy_foreign(front.Root.Metadata)  # XMP: title, pdfuaid:part 1
    out.docinfo = out.copy_foreign(front.docinfo)

    root = out.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructTreeRoot))
    document = out.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.StructElem, S=pikepdf.Name.Document, K=pikepdf.Array(), P=root))
    root.K = pikepdf.Array([document])
    nums: list = []
    ids: list[tuple[str, Any]] = []
    role_map: dict = {}
    class_map: dict = {}
    dests: dict[str, Any] = {}
    bookmarks: list[tuple] = []
    key_base = 0  # the first free ParentTree key

    for result, source in zip(results, sources):
        first_page = len(out.pages)
        with warnings.catch_warnings():  # "does not preserve named destinations": done below
            warnings.simplefilter("ignore", pikepdf.exceptions.PageCopyWarning)
            out.pages.extend(source.pages)
        # Copied after the pages, so that its /Pg and /OBJR references are the copies made above.
        tree = out.copy_foreign(source.Root.StructTreeRoot)

        # ParentTree keys (the pages', then one per annotation) follow those of earlier parts.
        last_key = -1
        for key, value in pikepdf.NumberTree(tree.ParentTree).items():
            last_key = max(last_key, key)
            nums += [key_base + key, value]
        for page in out.pages[first_page:]:
            page.obj.StructParents = key_base + int(page.obj.StructParents)
            for annotation in _as_list(page.obj.get("/Annots")):
                if "/StructParent" in annotation:
                    annotation.StructParent = key_base + int(annotation.StructParent)
        key_base += last_key + 1

        for part_document in _as_list(tree.K):  # the part's Document: its children move up
            for kid in _as_list(part_document.get("/K")):
                kid.P = document
                document.K.append(kid)
        for name, value in tree.get("/RoleMap", {}).items():
            role_map.setdefault(name, value)
        for name, value in tree.get("/ClassMap", {}).items():
            class_map.setdefault(name, value)
        for number, element_id in result["ids"]:
            ids.append((element_id, out.copy_foreign(source.get_object(number, 0))))

        stand_ins = set(result["stand_ins"])
        names = source.Root.get("/Names", {}).get("/Dests")
        if names is not None:
            for name, destination in pikepdf.NameTree(names).items():
                if name not in stand_ins and name not in dests:
                    page = out.copy_foreign(destination[0])  # the page copied above
                    dests[name] = pikepdf.Array([page, *list(destination)[1:]])
        bookmarks += [(level, label, (first_page + page, x, y), state)
                      for page, level, label, x, y, state in result["bookmarks"]]

    root.ParentTree = out.make_indirect(pikepdf.Dictionary(Nums=pikepdf.Array(nums)))
    root.ParentTreeNextKey = key_base
    if ids:
        root.IDTree = out.make_indirect(pikepdf.Dictionary(Names=pikepdf.Array(
            [item for element_id, element in sorted(ids, key=lambda i: i[0].encode())
             for item in (pikepdf.String(element_id), element)])))
    if role_map:
        root.RoleMap = pikepdf.Dictionary(role_map)
    if class_map:
        root.ClassMap = pikepdf.Dictionary(class_map)
    out.Root.StructTreeRoot = root
    if dests:
        out.Root.Names = pikepdf.Dictionary(Dests=out.make_indirect(pikepdf.Dictionary(
            Names=pikepdf.Array([item for name in sorted(dests, key=str.encode)
                                 for item in (pikepdf.String(name), dests[name])]))))
    _write_outlines(out, _bookmark_tree(bookmarks))


def _overlay_furniture(out: Any, furniture: Any) -> None:
    """Lay each furniture page over its page, as pagination artifacts."""
    import pikepdf

    if len(furniture.pages) != len(out.pages):
        raise PartsError(f"the page furniture has {len(furniture.pages)} pages for "
                         f"{len(out.pages)} pages of the report")
    save_state = out.make_stream(b"q\n")  # one stream, shared by every page
    for number, (page, furniture_page) in enumerate(zip(out.pages, furniture.pages)):
        if list(page.mediabox) != list(furniture_page.mediabox):
            raise PartsError(f"page {number + 1}: the furniture's page size differs from the page's")
        name = pikepdf.Name(f"/Furniture{number}")  # a part's pages share their resources
        resources = page.obj.Resources
        if "/XObject" not in resources:
            resources.XObject = pikepdf.Dictionary()
        resources.XObject[name] = out.copy_foreign(furniture_page.as_form_xobject())
        # WeasyPrint leaves its y-flip "cm" in force at the end of a page: wrap the page in q/Q.
        page.contents_add(save_state, prepend=True)
        page.contents_add(out.make_stream(
            b"Q\n/Artifact <</Type /Pagination>> BDC q " + name.unparse() + b" Do Q EMC\n"))
