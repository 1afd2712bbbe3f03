"""A report page cut into the parts the PDF is drawn in (``data-pdf-part`` marks), and a part's own page.

Shared by :mod:`transparency.rendering.pdfparts` (which draws the parts in parallel and merges them) and
:func:`transparency.rendering.render.html_to_pdf` (which draws the page whole, fitted as the parts are: see
:mod:`transparency.rendering.pagefit`). Plain text work, no drawing: it imports nothing of the package above
:mod:`transparency.core.errors`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from transparency.core.errors import TransparencyError

__all__ = ["NO_MARGIN_BOXES", "PartsError", "ReportPart", "part_page", "split_report"]

_BODY_START = re.compile(r"<body\b[^>]*>\n?", re.IGNORECASE)
# A part starts with an element on a line of its own; fragments cannot hold such a mark (see the
# template's header comment).
_PART_MARK = re.compile(r'^<[a-z]+\b[^>\n]*?\sdata-pdf-part="([^"]+)"', re.MULTILINE)
_MAIN_END = re.compile(r"^</main>\s*</body>\s*</html>\s*$", re.MULTILINE | re.IGNORECASE)

# Parts are drawn without margin boxes: the furniture draws them on the merged pages.
_MARGIN_BOXES = [f"{edge}-{place}" for edge in ("top", "bottom")
                 for place in ("left-corner", "left", "center", "right", "right-corner")]
_MARGIN_BOXES += [f"{edge}-{place}" for edge in ("left", "right")
                  for place in ("top", "middle", "bottom")]
NO_MARGIN_BOXES = "@page { " + " ".join(f"@{box} {{ content: none; }}" for box in _MARGIN_BOXES) + " }"


class PartsError(TransparencyError):
    """The report cannot be drawn in parts (a rule the parts cannot honour), or a part failed."""


@dataclass(frozen=True)
class ReportPart:
    """One part of the report's ``<body>``, drawn on its own.

    Attributes
    ----------
    name : str
        ``"front"`` (everything before the first mark: the cover, and inside ``<main>`` the at a
        glance page and the contents), else the ``data-pdf-part`` mark (a dataset's anchor,
        ``"back-matter"``).
    body : str
        Its HTML, exactly as in the page: the parts' bodies, joined, are the page's body.
    """

    name: str
    body: str


# ----------------------------------------------------------------------------------------------
# Cutting the page into parts, checking its rules
# ----------------------------------------------------------------------------------------------


def split_report(html: str) -> tuple[str, list[ReportPart]]:
    """Cut a report page (:func:`transparency.rendering.render.assemble_report`) where the template marks parts.

    Returns
    -------
    (str, list of ReportPart)
        The page up to and including ``<body>`` (its head), and the parts in order: the front
        matter, then one part per run of elements with the same ``data-pdf-part`` mark. A page
        without marks is one part.

    Raises
    ------
    PartsError
        If the page has no ``<body>``, or its marked parts are not followed by ``</main>``,
        ``</body>`` and ``</html>`` only (anything else would be lost).
    """
    body_start = _BODY_START.search(html)
    if body_start is None:
        raise PartsError("the report page has no <body>")
    marks = list(_PART_MARK.finditer(html, body_start.end()))
    if not marks:
        return html[: body_start.end()], [ReportPart("front", html[body_start.end():])]
    end = _MAIN_END.search(html, marks[-1].end())
    if end is None:
        raise PartsError("the report page's last part is not followed by </main></body></html>: "
                         "it cannot be cut into parts")
    parts = [ReportPart("front", html[body_start.end(): marks[0].start()])]
    starts = [(m.start(), m.group(1)) for m in marks]
    for (start, name), (following, _) in zip(starts, [*starts[1:], (end.start(), None)]):
        if len(parts) > 1 and parts[-1].name == name:
            parts[-1] = ReportPart(name, parts[-1].body + html[start:following])
        else:
            parts.append(ReportPart(name, html[start:following]))
    return html[: body_start.end()], parts


def part_page(head: str, body: str, front: bool = False) -> str:
    """A complete page of one part; the front matter opens ``<main>`` itself, after the cover."""
    opening = "" if front else "<main>\n"
    closing = "</main>\n" if not front or "<main" in body else ""
    return f"{head}{opening}{body}{closing}</body>\n</html>\n"
