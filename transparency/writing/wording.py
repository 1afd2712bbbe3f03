"""What a reader must never meet in a report's text: field names, stored codes, snake_case, British spellings."""

from __future__ import annotations

import re

from transparency.core import registry

#: British spellings (as word stems) and the US spelling the report uses: one spelling, US English.
BRITISH = {
    "neighbour": "neighbor", "colour": "color", "programme": "program", "organisation": "organization",
    "organise": "organize", "behaviour": "behavior", "centre": "center", "licence": "license", "offence": "offense",
    "defence": "defense", "favour": "favor", "honour": "honor", "labour": "labor", "analyse": "analyze",
    "recognise": "recognize", "summarise": "summarize", "categorise": "categorize", "prioritise": "prioritize",
    "pseudonymis": "pseudonymiz", "anonymis": "anonymiz", "minimis": "minimiz", "standardis": "standardiz",
    "judgement": "judgment", "modelling": "modeling", "travelled": "traveled", "cancelled": "canceled",
    "enrol": "enroll", "fulfil": "fulfill", "catalogue": "catalog", "grey": "gray", "tyre": "tire", "kerb": "curb",
    "metre": "meter", "whilst": "while", "amongst": "among",
}

#: Words in capitals a report may show: the DRAFT mark on every page until release.
ALLOWED_CAPITALS = frozenset({"DRAFT"})

_FILE = re.compile(r"\S*(?:/|\.(?:csv|tsv|json|xlsx|xls|pdf|html|txt|ipynb)\b)\S*|\S+@\S+|https?://\S+", re.IGNORECASE)
# A value in curly quotes is cited, not used as a word: the data-quality appendix quotes the codes that matched no
# standard category, as the agency's files hold them, so that the agency can find them.
_QUOTED = re.compile("\u201c[^\u201d]{0,200}\u201d")
_SNAKE = re.compile(r"\b[A-Za-z0-9]+(?:_[A-Za-z0-9]+)+\b")
_CODE_WORD = re.compile(r"\b[A-Z][A-Z0-9]{4,}\b")
_CODE_RUN = re.compile(r"\b[A-Z]{2,}(?:[ \t]*[-/&,]?[ \t]+[A-Z]{2,})+\b")


def _field_names() -> set[str]:
    names = set()
    for name in registry.datasets():
        names.update(f for f in registry.dataset(name).fields if "_" in f)
    return names


def reader_problems(text: str) -> list[str]:
    """Each place in a report's text where a reader would meet something not written for them.

    Found: a canonical field name (``meeting_id``) or any other word in snake_case; a code stored in
    capitals (a word of five or more capital letters, or two or more words in capitals in a row, such as
    "ALARM - BURGLAR"; abbreviations of up to four letters such as DUI and MPH are fine, as is the DRAFT
    mark); a British spelling (:data:`BRITISH`). File names, paths, e-mail and web addresses are not words
    and are skipped (a table's download link names its file, ``use_of_force__trend.csv``), and so is a value
    quoted in curly quotes (the data-quality appendix cites unmatched codes as the files hold them).

    Parameters
    ----------
    text : str
        The text a reader sees: a PDF's text, or an HTML page's text with its images' alt text.

    Returns
    -------
    list of str
        One line per distinct problem, such as ``"field name: meeting_id"``; empty when there is none.
    """
    words = _QUOTED.sub(" ", _FILE.sub(" ", text))
    fields = _field_names()
    found: dict[str, None] = {}
    for match in _SNAKE.finditer(words):
        kind = "field name" if match.group(0) in fields else "snake_case"
        found[f"{kind}: {match.group(0)}"] = None
    runs = list(_CODE_RUN.finditer(words))
    inside = {i for run in runs for i in range(run.start(), run.end())}
    for match in runs + [m for m in _CODE_WORD.finditer(words) if m.start() not in inside]:
        code = " ".join(match.group(0).split())
        if not set(code.replace("-", " ").split()) <= ALLOWED_CAPITALS:
            found[f"stored code: {code}"] = None
    for stem, us in BRITISH.items():
        for match in re.finditer(rf"\b{stem}\w*", words, re.IGNORECASE):
            found[f"British spelling: {match.group(0)} (write {us}...)"] = None
    return list(found)


def html_text(page: str) -> str:
    """An HTML page's text as a reader meets it: the visible text and every image's alt text (no markup, scripts
    or styles)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page, "html.parser")
    for element in soup(["script", "style"]):
        element.decompose()
    alts = [img.get("alt", "") for img in soup.find_all("img")]
    return soup.get_text(" ") + "\n" + "\n".join(alts)


__all__ = ["ALLOWED_CAPITALS", "BRITISH", "html_text", "reader_problems"]
