"""The print layout of a tagged report PDF, read from the PDF itself: page fill, stranded headings, split tables.

A tagged PDF (PDF/UA-1, as :func:`transparency.rendering.render.html_to_pdf` and :mod:`transparency.rendering.pdfparts`
write it) says what each piece of a page is: its structure tree names headings, captions, table
rows and list items, and each names the marked content (MCIDs) it owns on a page. This module
reads where that content is drawn (text baselines, paths and images in each page's content
stream; page furniture such as footers, the DRAFT mark and table shading is marked as an artifact
and ignored) and puts the two together, so a layout can be checked without looking at it:

* :func:`read_layout` - every page's height, how far down its content reaches, and its blocks
  (headings, paragraphs, list items, table rows, captions, figures) in reading order, and every
  table with its rows on each page;
* :func:`new_page_anchors` - the ids of the report's elements that start a new page by design;
* :func:`layout_problems` - the reader's complaints, in words: a nearly empty page, a heading,
  caption or term last on its page, a short table split across pages, a long one whose header
  row is not repeated.

WeasyPrint writes one structure tree per page (an element that spans two pages is two elements,
one on each): a table that continues on the next page is a second ``Table`` element there,
without a caption (only the first part of a table carries it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .pagefit import NEARLY_EMPTY

__all__ = [
    "Block",
    "PageLayout",
    "ReportLayout",
    "TableLayout",
    "layout_problems",
    "new_page_anchors",
    "read_layout",
]

#: Structure types read as one block of a page (the outermost one wins: a table row, not its cells).
BLOCK_TYPES = frozenset({"H1", "H2", "H3", "H4", "H5", "H6", "P", "LI", "TR", "Caption",
                         "Figure", "BlockQuote"})
HEADING_TYPES = frozenset({"H1", "H2", "H3", "H4", "H5", "H6"})

_IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
_PAINT = {"S", "s", "f", "F", "f*", "B", "B*", "b", "b*", "n"}
_TEXT = {"Tj", "TJ", "'", '"'}


@dataclass
class Block:
    """One block of a page: its structure type, where it is drawn (points from the page's foot).

    ``bold`` is True when every piece of its text is set in a bold font (a heading, a caption, a
    glossary term, a table's header row); ``top`` and ``bottom`` are None for a block that draws
    nothing on the page.
    """

    kind: str
    page: int
    top: float | None = None
    bottom: float | None = None
    bold: bool = False
    texts: int = 0

    @property
    def heading_like(self) -> bool:
        """A heading, a caption, or a line all in bold: what must never end a page."""
        return self.kind in HEADING_TYPES or self.kind == "Caption" or (self.bold and self.texts > 0)


@dataclass
class TableLayout:
    """One table as a reader sees it: its body rows on each page it is drawn on (in order).

    ``header_rows`` are the header rows drawn on each of those pages (a repeated header row counts
    on every page).
    """

    pages: list[int] = field(default_factory=list)
    body_rows: list[int] = field(default_factory=list)
    header_rows: list[int] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """Body rows in all."""
        return sum(self.body_rows)


@dataclass
class PageLayout:
    """One page: its height in points, the lowest point its content reaches, and its blocks."""

    number: int
    height: float
    lowest: float | None
    blocks: list[Block]

    @property
    def fill(self) -> float:
        """How far down the page its content reaches, as a share of the page's height (0 when empty)."""
        if self.lowest is None:
            return 0.0
        return (self.height - self.lowest) / self.height


@dataclass
class ReportLayout:
    """The pages (numbered from 1), the tables, and each named destination's page."""

    pages: list[PageLayout]
    tables: list[TableLayout]
    destinations: dict[str, int]


# ----------------------------------------------------------------------------------------------
# Reading a PDF
# ----------------------------------------------------------------------------------------------


def _multiply(a: tuple, b: tuple) -> tuple:
    """The matrix product ``a x b`` of two PDF matrices (a b c d e f)."""
    return (a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3],
            a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3],
            a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5])


def _y(matrix: tuple, x: float, y: float) -> float:
    return matrix[1] * x + matrix[3] * y + matrix[5]


def _kids(element: Any) -> list:
    import pikepdf

    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def _mcid(operands: list) -> int | None:
    import pikepdf

    if len(operands) > 1 and isinstance(operands[1], pikepdf.Dictionary) and "/MCID" in operands[1]:
        return int(operands[1].MCID)
    return None


def _is_bold(font: Any) -> bool:
    name = str(font.get("/BaseFont", "")) if font is not None else ""
    return "bold" in name.lower()


def _content_extents(page: Any) -> dict[int, dict]:
    """Per MCID of a page: the lowest and highest point drawn, text runs, and bold text runs.

    Marked content inside an artifact is skipped; content outside any MCID is not the page's.
    """
    import pikepdf

    found: dict[int, dict] = {}

    def note(mcid: int, y: float, text: bool = False, bold: bool = False) -> None:
        entry = found.setdefault(mcid, {"low": y, "high": y, "texts": 0, "bold": 0})
        entry["low"], entry["high"] = min(entry["low"], y), max(entry["high"], y)
        if text:
            entry["texts"] += 1
            entry["bold"] += bold

    def run(stream_owner: Any, resources: Any, ctm: tuple, marks: list) -> None:
        fonts = resources.get("/Font", {}) if resources is not None else {}
        xobjects = resources.get("/XObject", {}) if resources is not None else {}
        states: list[tuple] = []
        text_matrix = line_matrix = _IDENTITY
        leading = 0.0
        font = None
        path: list[tuple[float, float]] = []
        for operands, operator in pikepdf.parse_content_stream(stream_owner):
            op = str(operator)
            current = next((m for m in reversed(marks) if m is not None), None)
            hidden = any(m == "artifact" for m in marks)
            if op == "q":
                states.append(ctm)
            elif op == "Q":
                ctm = states.pop() if states else ctm
            elif op == "cm":
                ctm = _multiply(tuple(float(v) for v in operands), ctm)
            elif op in ("BDC", "BMC"):
                if str(operands[0]) == "/Artifact":
                    marks.append("artifact")
                else:
                    marks.append(_mcid(operands) if op == "BDC" else None)
            elif op == "EMC":
                if marks:
                    marks.pop()
            elif op == "BT":
                text_matrix = line_matrix = _IDENTITY
            elif op == "Tf":
                font = fonts.get(str(operands[0]))
            elif op == "TL":
                leading = float(operands[0])
            elif op == "Tm":
                text_matrix = line_matrix = tuple(float(v) for v in operands)
            elif op in ("Td", "TD"):
                tx, ty = float(operands[0]), float(operands[1])
                if op == "TD":
                    leading = -ty
                text_matrix = line_matrix = _multiply((1, 0, 0, 1, tx, ty), line_matrix)
            elif op in ("T*", "'", '"'):
                text_matrix = line_matrix = _multiply((1, 0, 0, 1, 0, -leading), line_matrix)
            if op in _TEXT and current is not None and not hidden:
                note(current, _y(_multiply(text_matrix, ctm), 0, 0), text=True, bold=_is_bold(font))
            elif op in ("m", "l"):
                path.append((float(operands[0]), float(operands[1])))
            elif op == "c":
                path += [(float(operands[i]), float(operands[i + 1])) for i in (0, 2, 4)]
            elif op in ("v", "y"):
                path += [(float(operands[i]), float(operands[i + 1])) for i in (0, 2)]
            elif op == "re":
                x, y, w, h = (float(v) for v in operands)
                path += [(x, y), (x + w, y + h)]
            elif op in _PAINT:
                if current is not None and not hidden:
                    for x, y in path:
                        note(current, _y(ctm, x, y))
                path = []
            elif op == "Do" and current is not None and not hidden:
                xobject = xobjects.get(str(operands[0]))
                if xobject is None:
                    continue
                if xobject.get("/Subtype") == "/Image":
                    for x, y in ((0, 0), (0, 1), (1, 0), (1, 1)):
                        note(current, _y(ctm, x, y))
                elif xobject.get("/Subtype") == "/Form":
                    matrix = tuple(float(v) for v in xobject.get("/Matrix", _IDENTITY))
                    run(xobject, xobject.get("/Resources", resources), _multiply(matrix, ctm),
                        marks + [current])

    run(page.obj, page.obj.get("/Resources"), _IDENTITY, [])
    return found


def _walk_blocks(root: Any, page_numbers: Mapping[tuple, int]) -> Iterator[tuple[str, Any, list]]:
    """Every block (structure type, element, its (page, MCID) keys) and table, in reading order.

    Tables are yielded as ``("Table", element, [])`` before their rows.
    """
    import pikepdf

    def keys(element: Any, page: Any) -> list[tuple[int, int]]:
        found = []
        page = element.get("/Pg", page)
        for kid in _kids(element):
            if isinstance(kid, int):
                if page is not None:
                    found.append((page_numbers[page.objgen], kid))
            elif isinstance(kid, pikepdf.Dictionary):
                if kid.get("/Type") == "/MCR":
                    owner = kid.get("/Pg", page)
                    found.append((page_numbers[owner.objgen], int(kid.MCID)))
                elif kid.get("/Type") != "/OBJR":
                    found += keys(kid, page)
        return found

    def walk(element: Any, page: Any) -> Iterator[tuple[str, Any, list]]:
        kind = str(element.get("/S", "/"))[1:]
        page = element.get("/Pg", page)
        if kind in BLOCK_TYPES:
            yield kind, element, keys(element, page)
            return
        if kind == "Table":
            yield kind, element, []
        loose = []  # content directly under a non-block element: a block of that type
        for kid in _kids(element):
            if isinstance(kid, int) or (isinstance(kid, pikepdf.Dictionary)
                                        and kid.get("/Type") == "/MCR"):
                loose.append(kid)
            elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") != "/OBJR":
                if loose:
                    yield kind, element, keys(pikepdf.Dictionary(K=pikepdf.Array(loose)), page)
                    loose = []
                yield from walk(kid, page)
        if loose:
            yield kind, element, keys(pikepdf.Dictionary(K=pikepdf.Array(loose)), page)

    for kid in _kids(root):
        if isinstance(kid, pikepdf.Dictionary):
            yield from walk(kid, None)


def _table_rows(table: Any) -> tuple[int, int, bool]:
    """(body rows, header rows, has a caption) of one Table element."""
    body = header = 0
    caption = False

    def walk(element: Any, in_head: bool) -> None:
        nonlocal body, header, caption
        for kid in _kids(element):
            if not hasattr(kid, "get") or kid.get("/Type") in ("/MCR", "/OBJR"):
                continue
            kind = str(kid.get("/S", ""))
            if kind == "/Caption":
                caption = True
            elif kind == "/TR":
                cells = [str(c.get("/S", "")) for c in _kids(kid) if hasattr(c, "get")]
                if in_head or (cells and all(c == "/TH" for c in cells)):
                    header += 1
                else:
                    body += 1
            else:
                walk(kid, in_head or kind == "/THead")

    walk(table, False)
    return body, header, caption


def read_layout(pdf_path: Path | str) -> ReportLayout:
    """Read a tagged PDF's layout: its pages' blocks and fill, its tables, its named destinations.

    Parameters
    ----------
    pdf_path : Path
        A tagged PDF (its structure tree is what tells headings from text).

    Returns
    -------
    ReportLayout

    Raises
    ------
    ValueError
        If the PDF has no structure tree.
    """
    import pikepdf

    with pikepdf.open(pdf_path) as pdf:
        if "/StructTreeRoot" not in pdf.Root:
            raise ValueError(f"{pdf_path} is not a tagged PDF: its layout cannot be read")
        page_numbers = {page.obj.objgen: number for number, page in enumerate(pdf.pages, 1)}
        extents = {number: _content_extents(page) for number, page in enumerate(pdf.pages, 1)}
        heights = {number: float(page.mediabox[3]) - float(page.mediabox[1])
                   for number, page in enumerate(pdf.pages, 1)}
        blocks: dict[int, list[Block]] = {number: [] for number in heights}
        tables: list[TableLayout] = []
        previous_table_page = None
        owned: set[tuple[int, int]] = set()  # (page, MCID) of the content the structure tree holds
        for kind, element, keys in _walk_blocks(pdf.Root.StructTreeRoot, page_numbers):
            if kind == "Table":
                body, header, caption = _table_rows(element)
                page = page_numbers.get(element.Pg.objgen) if "/Pg" in element else None
                continues = (not caption and tables and previous_table_page is not None
                             and page == previous_table_page + 1)
                if not continues:
                    tables.append(TableLayout())
                tables[-1].pages.append(page)
                tables[-1].body_rows.append(body)
                tables[-1].header_rows.append(header)
                previous_table_page = page
                continue
            if not keys:
                continue
            owned.update(keys)
            drawn = [extents[page].get(mcid) for page, mcid in keys]
            drawn = [d for d in drawn if d is not None]
            page = keys[0][0]
            block = Block(kind, page)
            if drawn:
                block.bottom = min(d["low"] for d in drawn)
                block.top = max(d["high"] for d in drawn)
                block.texts = sum(d["texts"] for d in drawn)
                block.bold = block.texts > 0 and all(d["bold"] == d["texts"] for d in drawn)
            blocks[page].append(block)
        destinations = {}
        names = pdf.Root.get("/Names", {}).get("/Dests")
        if names is not None:
            for name, destination in pikepdf.NameTree(names).items():
                target = destination.get("/D") if isinstance(destination, pikepdf.Dictionary) \
                    else destination
                destinations[str(name)] = page_numbers.get(target[0].objgen)
    pages = []
    for number, height in heights.items():
        # Content outside the structure tree (html_to_pdf's footers) is page furniture.
        lows = [entry["low"] for mcid, entry in extents[number].items() if (number, mcid) in owned]
        pages.append(PageLayout(number, height, min(lows) if lows else None, blocks[number]))
    return ReportLayout(pages, tables, destinations)


def new_page_anchors(html: str) -> list[str]:
    """The ids of the elements of a report page (``report.html``) that start a new page by design.

    The template's contract (see ``templates/report.html.j2`` and :mod:`transparency.rendering.pdfparts`):
    each element of ``<main>`` before the first part (the front matter after the cover: at a
    glance, the contents) starts a page, and so does the first element of each part
    (``data-pdf-part``: every dataset section, and the first of the back matter). The page before
    one of these may be short.
    """
    from bs4 import BeautifulSoup

    main = BeautifulSoup(html, "html.parser").find("main")
    if main is None:
        return []
    anchors, mark, in_front = [], None, True
    for element in main.find_all(recursive=False):
        part = element.get("data-pdf-part")
        in_front = in_front and part is None
        if (in_front or (part is not None and part != mark)) and element.get("id"):
            anchors.append(element["id"])
        mark = part if part is not None else mark
    return anchors


# ----------------------------------------------------------------------------------------------
# Judging it
# ----------------------------------------------------------------------------------------------


def _percent(share: float) -> str:
    return f"{share * 100:.0f}%"


def layout_problems(
    layout: ReportLayout | Path | str,
    *,
    new_page_anchors: Iterable[str] = (),
    min_fill: float = 0.5,
    nearly_empty: float = NEARLY_EMPTY,
    standalone: Iterable[str] = ("at-a-glance", "contents"),
    unsplit_rows: int = 15,
) -> list[str]:
    """What a reader of the printed report would complain about, one sentence each (none: good).

    * A nearly empty page: its content ends above ``nearly_empty`` of the page's height (a third;
      :mod:`transparency.rendering.pagefit` prevents it). Allowed on the last page, and on the front
      matter's pages of their own by design: the cover (the first page), the first page of "At a
      glance" and the contents (``standalone``), short in a report of one or two sections.
    * A page half empty: its content ends above ``min_fill`` of the page's height. Allowed on
      the last page, and on the page before one where a section must start (``new_page_anchors``:
      the ids of the elements that start a new page by design).
    * A heading, a caption or a line all in bold (a glossary term, a table's header row) that is
      the last block on its page (anywhere but on the last page).
    * A table of at most ``unsplit_rows`` body rows drawn on two pages or more.
    * A longer table split across pages without its header row on every page, or with a single
      row of it alone on a page.

    Parameters
    ----------
    layout : ReportLayout or Path
        From :func:`read_layout`, or a tagged PDF to read.
    new_page_anchors : iterable of str
        Anchors (element ids, the PDF's named destinations) of the elements that start a new page.
    min_fill : float
        The share of a page's height its content must reach, unless a section starts next.
    nearly_empty : float
        The share of a page's height its content must reach in any case.
    standalone : iterable of str
        Anchors of the pages that stand alone by design (absent ones are ignored).
    unsplit_rows : int
        The most body rows a table may have and still be kept on one page.

    Returns
    -------
    list of str
        E.g. "page 12: content ends at 28% of the page's height".

    Raises
    ------
    ValueError
        If an anchor in ``new_page_anchors`` is not a destination of the PDF.
    """
    if not isinstance(layout, ReportLayout):
        layout = read_layout(layout)
    last = len(layout.pages)
    before_new_page = set()
    for anchor in new_page_anchors:
        if layout.destinations.get(anchor) is None:
            raise ValueError(f"{anchor!r} is not a destination in the PDF")
        before_new_page.add(layout.destinations[anchor] - 1)
    alone = {1} | {layout.destinations[a] for a in standalone if layout.destinations.get(a)}
    problems = []
    for page in layout.pages:
        if page.number == last:
            continue
        if page.number in alone:
            pass
        elif page.fill < nearly_empty:
            problems.append(f"page {page.number}: content ends at {_percent(page.fill)} of the "
                            f"page's height (less than {_percent(nearly_empty)}): nearly empty")
        elif page.fill < min_fill and page.number not in before_new_page:
            problems.append(f"page {page.number}: content ends at {_percent(page.fill)} of the "
                            f"page's height (less than {_percent(min_fill)}), and no section "
                            "starts on the next page")
        drawn = [block for block in page.blocks if block.bottom is not None]
        if drawn and drawn[-1].heading_like:
            what = {"Caption": "a table's caption"}.get(drawn[-1].kind) or (
                f"a heading ({drawn[-1].kind})" if drawn[-1].kind in HEADING_TYPES
                else f"a line in bold ({drawn[-1].kind})")
            problems.append(f"page {page.number}: {what} is the last thing on the page, at "
                            f"{_percent(1 - drawn[-1].bottom / page.height)} of its height")
    for table in layout.tables:
        if len(table.pages) < 2:
            continue
        where = f"pages {table.pages[0]} to {table.pages[-1]}"
        if table.rows <= unsplit_rows:
            problems.append(f"{where}: a table of {table.rows} rows is split across pages "
                            f"({' + '.join(str(n) for n in table.body_rows)} rows)")
            continue
        drawn = [(page, body, header) for page, body, header
                 in zip(table.pages, table.body_rows, table.header_rows) if body]
        if not all(header for _, _, header in drawn):
            problems.append(f"{where}: a table of {table.rows} rows split across pages does not "
                            "repeat its header row on every page")
        problems += [f"page {page}: a single row of a {table.rows}-row table is alone on the page"
                     for page, body, _ in drawn if body == 1]
    return problems
