"""No nearly empty page at a section's end: fitting a section to fewer pages, or letting the next one flow.

Every dataset section of the printed report starts on a new page, so that a reader who opens or
prints one gets it from the top of a page. Its content comes in blocks that are never split
(charts, tables of up to 15 rows, a heading with what follows it), so a section often ends with
a few lines alone at the top of its last page: a page a reader turns to find nearly empty.

What is done about it, in this order, for each part of the report but the last (the back matter,
which ends the report):

1. **Fit.** When the part's last page is nearly empty (its content ends above :data:`NEARLY_EMPTY`
   of the page's height) and the part has more than one page, or one of its other pages is left
   half empty (:data:`HALF_EMPTY`: a chart or a short table too tall for the space left went to
   the next page), it is drawn again with each of :data:`FIT_STEPS` in turn (its charts
   narrower, then its type and spacing a little tighter), and the first drawing that does better
   on no more pages is kept (:func:`fit_part`). Only that part's rules change (:func:`fit_css`
   scopes them to its ``data-pdf-part``).
2. **Flow.** A part whose last page is still nearly empty (no step helped, or it has one page)
   lets the next part start on that page instead of a new one (:func:`flow_css`); the next
   part's heading is kept with what follows it, as every heading is. :func:`flow_groups` says
   which parts are then drawn together; the parts drawn together are fitted again as one (the
   steps tighten their last part), unless they hold the report's last part.

A drawing is measured here by its boxes (a line ends at the foot of its box) and judged from the
PDF by its baselines, so the fitting aims :data:`MEASURE_MARGIN` higher than it is judged.

The decisions are made on each part drawn alone, so that the report drawn in parts
(:mod:`transparency.rendering.pdfparts`) and drawn whole (:func:`transparency.rendering.render.html_to_pdf`) make
the same ones (:func:`plan` draws the parts alone for the latter). :mod:`transparency.rendering.pdflayout`
checks the result from the PDF itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["FIT_STEPS", "HALF_EMPTY", "NEARLY_EMPTY", "Arranged", "Drawing", "arrange", "fit_css", "fit_part",
           "flow_css", "flow_groups", "last_page_fill", "page_fill", "plan"]

#: A page whose content ends above this share of its height is nearly empty (a third: the top
#: margin is a sixteenth of a letter page, so such a page carries text on less than a quarter of
#: its text area).
NEARLY_EMPTY = 1 / 3

#: A page (not a part's last) whose content ends above this share of its height is half empty:
#: what comes next (a chart, a short table) did not fit in the space left. The fitting tries to
#: avoid it too.
HALF_EMPTY = 0.5

#: Added to :data:`NEARLY_EMPTY` when a drawing is measured here: a line of text ends at the foot
#: of its box here, at its baseline when the PDF is read back (:mod:`transparency.rendering.pdflayout`).
MEASURE_MARGIN = 0.02


def _short(fill: float) -> bool:
    """Nearly empty, as the PDF will be read (with :data:`MEASURE_MARGIN` to spare)."""
    return fill < NEARLY_EMPTY + MEASURE_MARGIN if NEARLY_EMPTY else False


#: The print rules tried on a part whose last page is nearly empty, mildest first (``{part}`` is
#: the part's selector). Every chart already prints at 85% of the text width (``print.css``: the
#: sample's sections needed that first step in 6 cases of 12, and drawing it for all of them saves a
#: drawing each, 40% of the PDF stage); the steps narrow it to 72%, then also tighten type and spacing.
#: Charts are drawn as vectors, so a narrower chart stays sharp; its text shrinks with it (at 72% of
#: the text width, 9 pt chart text prints at 6.5 pt).
FIT_STEPS = (
    "{part} figure.chart img {{ width: 72%; margin: 0 auto; }}",
    "{part} figure.chart img {{ width: 72%; margin: 0 auto; }}\n"
    "{part} {{ font-size: 9.5pt; }}\n"
    "{part} table {{ font-size: 8pt; }}\n"
    "{part} figure.chart {{ margin: 0.6rem 0 0.8rem; }}\n"
    "{part} h3 {{ margin-top: 1.2rem; }}",
)

# The printed pages' text boxes and pictures (what a reader sees as content).
_CONTENT_BOXES = frozenset({"TextBox", "InlineReplacedBox", "BlockReplacedBox"})


def _selector(part: str) -> str:
    # Element and attribute: more specific than the print rules' ".dataset-section" it overrides.
    return f'section[data-pdf-part="{part}"]'


def fit_css(part: str, step: int) -> str:
    """The print rules of :data:`FIT_STEPS` ``[step]`` for one part (by its ``data-pdf-part``)."""
    return FIT_STEPS[step].format(part=_selector(part))


def flow_css(part: str) -> str:
    """The print rules that let a part start on the page where the one before it ends."""
    return (f"{_selector(part)} {{ break-before: auto; }}\n"
            f"{_selector(part)} > h2 {{ margin-top: 2.4rem; }}")


def last_page_fill(document: Any) -> float:
    """How far down its last page a WeasyPrint document's content reaches, as a share of the page's height.

    As :attr:`transparency.rendering.pdflayout.PageLayout.fill` measures it from the PDF: text and pictures
    count, backgrounds and borders do not. 0 for an empty page.
    """
    return page_fill(document.pages[-1])


def fit_part(draw: Callable[[str], Any], page: str, part: str,
             add_style: Callable[[str, str], str]) -> tuple[Any, int | None, float]:
    """Draw one part's page; when its last page is nearly empty or another half empty, try :data:`FIT_STEPS` (above).

    Parameters
    ----------
    draw : callable
        Lays out a page (HTML) and returns the WeasyPrint document.
    page : str
        The part's complete page.
    part : str
        Its ``data-pdf-part`` name.
    add_style : callable
        :func:`transparency.rendering.render.add_style`.

    Returns
    -------
    (document, step, fill)
        The drawing kept, the step it used (None: the page as it is) and its last page's fill.
    """
    document = draw(page)
    score = _score(document)
    if not score:
        return document, None, last_page_fill(document)
    for step in range(len(FIT_STEPS)):
        trial = draw(add_style(page, fit_css(part, step)))
        if _score(trial) < score and len(trial.pages) <= len(document.pages):
            return trial, step, last_page_fill(trial)
    return document, None, last_page_fill(document)


def page_fill(page: Any) -> float:
    """How far down a WeasyPrint page its content reaches, as a share of its height (see :func:`last_page_fill`)."""
    lowest = max((box.position_y + box.height for box in page._page_box.descendants()
                  if type(box).__name__ in _CONTENT_BOXES), default=0.0)
    return lowest / page.height


def _score(document: Any) -> int:
    """What a reader would mind in a part's pages: 2 for a nearly empty last page (of several),
    1 for each other page left half empty (a chart or a short table too tall for the space left)."""
    pages = document.pages
    ending = 2 if len(pages) > 1 and _short(page_fill(pages[-1])) else 0
    return ending + sum(page_fill(page) < HALF_EMPTY + MEASURE_MARGIN for page in pages[:-1])


def flow_groups(fills: Sequence[float]) -> list[list[int]]:
    """Which parts are drawn together: a part whose last page is nearly empty takes the next one in.

    ``fills`` are the parts' last pages' fills, in order (each drawn alone, fitted). Returns the
    parts' positions in groups, in order; the last part never has a next one.
    """
    groups: list[list[int]] = []
    for position, _ in enumerate(fills):
        if groups and _short(fills[groups[-1][-1]]):
            groups[-1].append(position)
        else:
            groups.append([position])
    return groups


@dataclass
class Drawing:
    """A page to draw: ``fit`` names the part whose rules :func:`fit_part` may tighten (None: draw as it is)."""

    page: str
    name: str
    fit: str | None


@dataclass
class Arranged:
    """One piece of the printed report: parts drawn together, the rules they need, and the drawing."""

    positions: list[int]
    rules: str
    result: Any


def arrange(head: str, bodies: Sequence[tuple[str, str]], draw_all: Callable[[list[Drawing]], list[Any]],
            add_style: Callable[[str, str], str], page_of: Callable[[str, str], str]) -> list[Arranged]:
    """Fit each part, then draw the parts that flow together (both above); the pieces in order.

    Parameters
    ----------
    head : str
        The page up to ``<body>``, print rules included.
    bodies : sequence of (name, body)
        The parts after the front matter, in order.
    draw_all : callable
        Draws a list of :class:`Drawing` (through :func:`fit_part` when ``fit`` is set) and returns
        their results in order, each a mapping with ``fill`` and ``fit_step``.
    add_style, page_of : callable
        :func:`transparency.rendering.render.add_style`; ``page_of(head, body)`` makes a part's page.

    Returns
    -------
    list of Arranged
        The report's pieces after the front matter, in order; the rules of all of them together
        give a report drawn whole the same pages.
    """
    last = len(bodies) - 1
    alone = draw_all([Drawing(page_of(head, body), name, None if position == last else name)
                      for position, (name, body) in enumerate(bodies)])
    fits = [fit_css(bodies[i][0], r["fit_step"]) if r["fit_step"] is not None else ""
            for i, r in enumerate(alone)]
    groups = flow_groups([*(r["fill"] for r in alone[:-1]), 1.0])
    together = [group for group in groups if len(group) > 1]
    group_rules = {}
    for group in together:
        group_rules[group[0]] = "\n".join(
            [fits[g] for g in group if fits[g]] + [flow_css(bodies[g][0]) for g in group[1:]])
    drawn = draw_all([Drawing(page_of(add_style(head, group_rules[group[0]]),
                                      "".join(bodies[g][1] for g in group)),
                              bodies[group[0]][0], None if last in group else bodies[group[-1]][0])
                      for group in together])
    by_first = {group[0]: result for group, result in zip(together, drawn)}
    pieces = []
    for group in groups:
        if len(group) == 1:
            pieces.append(Arranged(group, fits[group[0]], alone[group[0]]))
            continue
        result = by_first[group[0]]
        rules = group_rules[group[0]]
        if result["fit_step"] is not None:
            rules += "\n" + fit_css(bodies[group[-1]][0], result["fit_step"])
        pieces.append(Arranged(group, rules, result))
    return pieces


def plan(head: str, bodies: Sequence[tuple[str, str]], draw: Callable[[str], Any],
         add_style: Callable[[str, str], str], page_of: Callable[[str, str], str]) -> str:
    """The rules for a report drawn whole: :func:`arrange` with the parts drawn here, one by one."""

    def draw_all(drawings: list[Drawing]) -> list[dict]:
        results = []
        for drawing in drawings:
            if drawing.fit is None:
                document, step = draw(drawing.page), None
                fill = last_page_fill(document)
            else:
                _, step, fill = fit_part(draw, drawing.page, drawing.fit, add_style)
            results.append({"fill": fill, "fit_step": step})
        return results

    return "\n".join(piece.rules for piece in arrange(head, bodies, draw_all, add_style, page_of)
                     if piece.rules)
