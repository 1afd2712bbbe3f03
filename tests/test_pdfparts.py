"""Tests of transparency.rendering.pdfparts: the report PDF drawn in parts, in parallel, against html_to_pdf's.

What this guards: a real report (the sample agency, generated small, four sections built; one
table made very wide so that it gets a landscape page) drawn in parts is the file
``render.html_to_pdf`` draws in one process, as a reader, a screen reader and a search engine see
it: the same pages and page sizes, the same text page by page (footers and DRAFT marks included),
every link to the same page and place, the same outline, the same structure tree with every
marked-content item reachable from its root, table-header IDs listed in an IDTree, the same title,
language and metadata; the same HTML gives the same bytes; parts are cut where the template marks
them and nowhere else; rules that parts cannot draw are refused. Every expectation is computed
from html_to_pdf's file, none is a constant. About 25 s (a build of four notebooks, five PDFs).
"""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

import pikepdf
import pytest
from conftest import keyed_agency, poppler, sample_project

from transparency.building.build import build
from transparency.core.periods import parse_period
from transparency.core.processes import BackgroundError
from transparency.rendering import render
from transparency.rendering.pdfparts import PartsError, check_css, split_report, start_pdf

PERIOD = "2026Q2"
DATASETS = ["use_of_force", "complaints", "stops", "pursuits"]
TITLE = "Sample City Police Department: transparency report, April to June 2026 (2026Q2)"
BDC, BMC = pikepdf.Operator("BDC"), pikepdf.Operator("BMC")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """report.html of a small sample build, with one table made very wide (a landscape page)."""
    root = tmp_path_factory.mktemp("project")
    agency = keyed_agency(sample_project(root, through=PERIOD, years=2, scale=0.2))
    lines: list[str] = []
    code = build(agency, parse_period(PERIOD), root, DATASETS, workers=2, formats=("html",),
                 say=lines.append)
    assert code == 0, "\n".join(lines)
    html = (root / "reports" / "sample" / PERIOD / "report.html").read_text(encoding="utf-8")
    assert "table-wrap table-wide" in html, "the sample has a wide table to turn into a very wide one"
    return html.replace("table-wrap table-wide", "table-wrap table-very-wide", 1)


@pytest.fixture(scope="module")
def pdfs(report, tmp_path_factory):
    """The same report drawn by html_to_pdf and in parts; the parts twice, and released on A4."""
    folder = tmp_path_factory.mktemp("pdfs")
    released = report.replace("Draft: not yet released", "Released on July 20, 2026")
    started = time.perf_counter()
    jobs = {"parts": start_pdf(report, folder / "parts.pdf", TITLE, workers=2)}
    returned = time.perf_counter() - started
    reference = render.html_to_pdf(report, folder / "reference.pdf", TITLE)
    jobs["again"] = start_pdf(report, folder / "again.pdf", TITLE, workers=2)
    jobs["released"] = start_pdf(released, folder / "released.pdf", TITLE, page_size="A4",
                                 draft=False, workers=2)
    paths = {name: job.result() for name, job in jobs.items()}
    return {
        **paths, "reference": reference, "returned": returned, "seconds": jobs["parts"].seconds,
        "released_reference": render.html_to_pdf(released, folder / "released-reference.pdf",
                                                 TITLE, page_size="A4", draft=False),
    }


def tiny_report(section: str = "<h2>Stops</h2><p>Text.</p>", about: str = "<p>About.</p>") -> str:
    """A report of one short section and the about page (drawn in about a second)."""
    return render.assemble_report(
        {"agency": "Sample City Police Department", "period": "2025Q2",
         "period_label": "April to June 2025", "data_through": "2025-07-01", "built_at": "2025-08-01"},
        [{"id": "stops", "title": "Stops", "html": section}], back={"about": about})


# ------------------------------------------------------------------------------------------
# Reading PDFs
# ------------------------------------------------------------------------------------------


def page_sizes(path: Path) -> list[str]:
    info = poppler("pdfinfo", "-f", "1", "-l", "9999", str(path))
    return re.findall(r"^Page +\d+ size: +(.+?) pts", info, re.MULTILINE)


def page_texts(path: Path) -> list[str]:
    return poppler("pdftotext", "-layout", str(path), "-").split("\f")[:-1]


def _kids(element) -> list:
    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def structure(pdf: pikepdf.Pdf) -> dict:
    """Walk the structure tree from its root: elements in reading order and what they mark."""
    root = pdf.Root.StructTreeRoot
    reached: dict = {}
    marked: set = set()  # (page, MCID) claimed by an element reached from the root
    annotations: set = set()
    signature = []  # (depth, type, alt text) in reading order
    stack = [(root, 0)]
    while stack:
        element, depth = stack.pop()
        if element is not root:
            assert element.objgen not in reached, "an element is reached twice"
            reached[element.objgen] = element
            signature.append((depth, str(element.S), str(element.get("/Alt", ""))))
        page = element.get("/Pg")
        children = []
        for kid in _kids(element):
            if isinstance(kid, int):
                marked.add((page.objgen, kid))
            elif kid.get("/Type") == "/MCR":
                marked.add(((kid.get("/Pg") or page).objgen, int(kid.MCID)))
            elif kid.get("/Type") == "/OBJR":
                annotations.add(kid.Obj.objgen)
            else:
                assert kid.P.objgen == element.objgen, "an element's /P is its parent"
                children.append((kid, depth + 1))
        stack.extend(reversed(children))
    ids = [bytes(e.ID) for e in reached.values() if "/ID" in e]
    return {"reached": reached, "marked": marked, "annotations": annotations,
            "signature": signature, "ids": ids}


def page_of(pdf: pikepdf.Pdf) -> dict:
    return {page.obj.objgen: number for number, page in enumerate(pdf.pages, 1)}


def links(pdf: pikepdf.Pdf) -> list[tuple]:
    """(page, destination page and height, or URI) of every link, in page order."""
    pages = page_of(pdf)
    names = pdf.Root.get("/Names", {}).get("/Dests")
    dests = dict(pikepdf.NameTree(names).items()) if names is not None else {}
    found = []
    for number, page in enumerate(pdf.pages, 1):
        for annotation in page.obj.get("/Annots", []):
            if annotation.get("/Subtype") != "/Link":
                continue
            if "/Dest" in annotation:
                dest = annotation.Dest
                if isinstance(dest, pikepdf.String):
                    dest = dests.get(str(dest))
                target = (pages.get(dest[0].objgen), round(float(dest[3]), 2)) if dest else None
            else:
                target = str(annotation.A.URI)
            found.append((number, target))
    return found


def outlines(pdf: pikepdf.Pdf) -> list[tuple]:
    pages, flat = page_of(pdf), []

    def walk(item, depth):
        while item is not None:
            flat.append((depth, str(item.Title), pages.get(item.Dest[0].objgen),
                         round(float(item.Dest[3]), 2), int(item.get("/Count", 0))))
            walk(item.get("/First"), depth + 1)
            item = item.get("/Next")

    if "/Outlines" in pdf.Root:
        walk(pdf.Root.Outlines.get("/First"), 0)
    return flat


# ------------------------------------------------------------------------------------------
# Parts and rules
# ------------------------------------------------------------------------------------------


def test_parts_are_cut_where_the_template_marks_them(report):
    head, parts = split_report(report)
    body = report[len(head): report.index("</main>")]
    assert "".join(part.body for part in parts) == body, "nothing is lost or repeated"
    anchors = re.findall(r'<section class="dataset-section" id="([^"]+)"', report)
    assert [part.name for part in parts] == ["front", *anchors, "back-matter"]
    assert anchors == DATASETS
    assert parts[0].body.startswith('<header class="cover"') and '<nav class="toc"' in parts[0].body
    for part in parts[1:-1]:
        assert part.body.startswith(f'<section class="dataset-section" id="{part.name}"')
        assert part.body.count('class="dataset-section"') == 1
    back = parts[-1].body
    assert back.startswith('<section class="back-matter"')
    assert back.count('class="back-matter"') == len(render.BACK_MATTER), "the back matter is one part"


def test_content_cannot_forge_a_part():
    forged = ('<section class="dataset-section" id="x" data-pdf-part="x">\n'
              '<div data-pdf-part="y">text</div></section>')
    # Section fragments are sanitized by notebook_section_html's template, back matter by assemble_report.
    html = tiny_report(f"<h2>Stops</h2>\n{render.clean_html(forged)}", about=forged)
    _, parts = split_report(html)
    assert [part.name for part in parts] == ["front", "stops", "back-matter"]


def test_the_report_css_can_be_drawn_in_parts(report):
    styles = re.findall(r"<style>(.*?)</style>", report, re.DOTALL)
    check_css("\n".join([*styles, render.print_css("letter", True), render.print_css("A4", False)]))
    check_css("@media screen { h2 { break-before: right; } nav { position: fixed; } }")  # not printed


@pytest.mark.parametrize("rule, why", [
    ("@page :left { margin-left: 1in; }", "depends on the whole document"),
    ("@page :first { margin-top: 2in; }", "depends on the whole document"),
    ("h2 { break-before: right; }", "left or right page"),
    ("figure { counter-increment: figure; }", "restart in every part"),
    ("figcaption::before { content: 'Figure ' counter(figure); }", "restart in every part"),
    ("p::after { content: counter(page); }", "restart in every part"),
    ("a::after { content: target-counter(attr(href), page); }", "not known"),
    ("@page wide-table { margin: 0.3in; }", "may only set its size"),
    ("@page wide-table { @bottom-left { content: 'x'; } }", "may only set its size"),
    ("h2 { string-set: running-section content(); }", "running strings"),
    ("@page { @top-left { content: string(running-section); } }", "running strings"),
    ("@media print { h3 { break-after: left; } }", "left or right page"),
    ("header { position: fixed; top: 0; }", "fixed element"),
    ("@page { @top-left { content: counter(chapter); } }", "restart in every part"),
])
def test_rules_that_parts_cannot_draw_are_refused(rule, why, tmp_path):
    with pytest.raises(PartsError, match=why):
        check_css(rule)
    html = tiny_report().replace("</head>", f"<style>{rule}</style></head>")
    with pytest.raises(PartsError, match=why):  # at once, in the caller
        start_pdf(html, tmp_path / "x.pdf", "T")


def test_bad_arguments_fail_at_once(report, tmp_path):
    with pytest.raises(ValueError, match="page size"):
        start_pdf(report, tmp_path / "x.pdf", "T", page_size="letter; color: red")
    with pytest.raises(ValueError, match="title"):
        start_pdf(report, tmp_path / "x.pdf", " ")


# ------------------------------------------------------------------------------------------
# The PDF, against html_to_pdf's
# ------------------------------------------------------------------------------------------


def test_start_returns_at_once(pdfs):
    assert pdfs["returned"] < 1.0, "the caller works while the PDF is drawn"
    assert 0 < pdfs["seconds"] < 120


def test_same_pages_and_page_sizes(pdfs):
    expected = page_sizes(pdfs["reference"])
    assert "792 x 612" in expected, "the very wide table has a landscape page"
    assert page_sizes(pdfs["parts"]) == expected
    expected = page_sizes(pdfs["released_reference"])
    assert "595.276 x 841.89" in expected[0] and "841.89 x 595.276" in expected, "A4, and landscape"
    assert page_sizes(pdfs["released"]) == expected


def test_same_text_page_by_page(pdfs):
    for parts, reference in (("parts", "reference"), ("released", "released_reference")):
        expected = page_texts(pdfs[reference])
        texts = page_texts(pdfs[parts])
        assert len(texts) == len(expected)
        differing = [number for number, (a, b) in enumerate(zip(texts, expected), 1) if a != b]
        assert not differing, f"{parts}: pages {differing} differ from html_to_pdf's"


def test_same_pixels(pdfs, tmp_path):
    for name in ("parts", "reference"):
        poppler("pdftoppm", "-r", "50", "-gray", str(pdfs[name]), str(tmp_path / name))
    images = {name: sorted(tmp_path.glob(f"{name}-*.pgm")) for name in ("parts", "reference")}
    assert len(images["parts"]) == len(images["reference"]) > 0
    differing = [number for number, (a, b) in enumerate(zip(images["parts"], images["reference"]), 1)
                 if a.read_bytes() != b.read_bytes()]
    assert not differing, f"pages {differing} look different"


def test_footers_and_draft_mark_on_every_page(report, pdfs):
    agency = re.search(r'<p class="cover-agency">(.*?)</p>', report).group(1)
    texts = page_texts(pdfs["parts"])
    pages = len(page_texts(pdfs["reference"]))
    assert len(texts) == pages
    for number, text in enumerate(texts, 1):
        footer = [line for line in text.splitlines() if line.strip()][-1]
        assert f"Page {number} of {pages}" in footer and agency in footer, number
    assert sum("DRAFT: not for release" in text for text in texts) == pages
    released = page_texts(pdfs["released"])
    assert len(released) == len(page_texts(pdfs["released_reference"]))
    assert not any("DRAFT" in text for text in released)
    assert all(f"Page {n} of {len(released)}" in text for n, text in enumerate(released, 1))


def test_links_resolve_to_the_same_page_and_place(pdfs):
    with pikepdf.open(pdfs["parts"]) as parts, pikepdf.open(pdfs["reference"]) as reference:
        found, expected = links(parts), links(reference)
    assert found and all(target is not None for _, target in found), "every link resolves"
    assert any(isinstance(target, tuple) and target[0] != page for page, target in found)
    assert found == expected


def test_same_outline(pdfs):
    with pikepdf.open(pdfs["parts"]) as parts, pikepdf.open(pdfs["reference"]) as reference:
        expected = outlines(reference)
        assert len(expected) > len(DATASETS)
        assert outlines(parts) == expected


def test_tagged_with_one_tree_and_every_mcid_reachable(pdfs):
    with pikepdf.open(pdfs["parts"]) as parts, pikepdf.open(pdfs["reference"]) as reference:
        assert parts.Root.MarkInfo.Marked
        root = parts.Root.StructTreeRoot
        assert [str(kid.S) for kid in _kids(root)] == ["/Document"]
        tree, expected = structure(parts), structure(reference)
        assert tree["signature"] == expected["signature"], "same elements, nesting and alt text"

        nums = root.ParentTree.Nums
        parent_tree = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        assert int(root.ParentTreeNextKey) > max(parent_tree)
        mcids = 0
        for number, page in enumerate(parts.pages, 1):
            owners = parent_tree[int(page.obj.StructParents)]
            for operands, operator in pikepdf.parse_content_stream(page):
                if operator == BDC and isinstance(operands[1], pikepdf.Dictionary) \
                        and "/MCID" in operands[1]:
                    mcid = int(operands[1].MCID)
                    mcids += 1
                    assert (page.obj.objgen, mcid) in tree["marked"], (number, mcid)
                    assert owners[mcid].objgen in tree["reached"], (number, mcid)
            for annotation in page.obj.get("/Annots", []):
                if annotation.get("/Subtype") == "/Link":
                    assert annotation.objgen in tree["annotations"], number
                    assert parent_tree[int(annotation.StructParent)].objgen in tree["reached"]
        assert mcids == len(expected["marked"]), "the tree marks what html_to_pdf's tree marks"

        assert expected["ids"], "the sample's tables have header IDs"
        assert len(tree["ids"]) == len(expected["ids"]) == len(set(tree["ids"]))
        id_tree = {name.encode() for name in pikepdf.NameTree(root.IDTree).keys()}
        assert id_tree == set(tree["ids"])


def test_footers_are_artifacts(pdfs):
    with pikepdf.open(pdfs["parts"]) as parts:
        for page in parts.pages:
            artifacts = [operands for operands, operator in pikepdf.parse_content_stream(page)
                         if operator == BDC and operands[0] == pikepdf.Name.Artifact
                         and operands[1].get("/Type") == pikepdf.Name.Pagination]
            assert len(artifacts) == 1


def test_same_title_language_and_metadata(pdfs):
    info = poppler("pdfinfo", str(pdfs["parts"]))
    assert re.search(r"^Title:\s+" + re.escape(TITLE) + "$", info, re.MULTILINE)
    assert re.search(r"^Tagged:\s+yes", info, re.MULTILINE)
    with pikepdf.open(pdfs["parts"]) as parts, pikepdf.open(pdfs["reference"]) as reference:
        assert str(parts.Root.Lang) == str(reference.Root.Lang) == "en"
        assert parts.Root.Metadata.read_bytes() == reference.Root.Metadata.read_bytes()
        assert b"pdfuaid" in parts.Root.Metadata.read_bytes()
        assert dict(parts.docinfo.items()) == dict(reference.docinfo.items())
        assert parts.Root.ViewerPreferences.DisplayDocTitle
        assert parts.pdf_version == reference.pdf_version


def test_same_fonts_embedded(pdfs):
    def fonts(path):
        lines = poppler("pdffonts", str(path)).splitlines()[2:]
        assert lines and all(" yes " in line for line in lines), "every font embedded"
        return {line.split()[0].split("+")[-1] for line in lines}

    assert fonts(pdfs["parts"]) == fonts(pdfs["reference"])


def test_same_html_gives_the_same_bytes(pdfs):
    digest = [hashlib.sha256(pdfs[name].read_bytes()).hexdigest() for name in ("parts", "again")]
    assert digest[0] == digest[1]


def test_a_front_matter_longer_than_guessed_is_numbered_right(tmp_path):
    """The front matter's pages are guessed (three) before it is drawn; here it has more."""
    meta = {"agency": "Sample City Police Department", "period": "2025Q2",
            "period_label": "April to June 2025", "data_through": "2025-07-01",
            "built_at": "2025-08-01"}
    sections = [{"id": name, "title": name.title(),
                 "html": f"<h2>{name.title()}</h2>" + "<p>Some text.</p>" * 80}
                for name in ("stops", "arrests")]
    intro = "".join(f"<p>Paragraph {n} of a long introduction, so that the at a glance page "
                    "runs over two pages and moves everything after it.</p>" for n in range(60))
    html = render.assemble_report(meta, sections, {"intro": intro, "rows": [
        {"id": "stops", "title": "Stops", "value": 3, "prior": 2, "last_year": 1}]},
        {"about": "<p>About.</p>"})
    reference = render.html_to_pdf(html, tmp_path / "reference.pdf", TITLE)
    parts = start_pdf(html, tmp_path / "parts.pdf", TITLE, workers=2).result()
    contents = next(n for n, text in enumerate(page_texts(reference), 1)
                    if re.search(r"^\s*Contents\s*$", text, re.MULTILINE))
    assert contents > 3, "the front matter is longer than the guess"
    assert page_texts(parts) == page_texts(reference)
    with pikepdf.open(parts) as merged, pikepdf.open(reference) as expected:
        assert links(merged) == links(expected)
        assert outlines(merged) == outlines(expected)


# ------------------------------------------------------------------------------------------
# The job
# ------------------------------------------------------------------------------------------


def test_the_file_does_not_depend_on_the_number_of_workers(tmp_path):
    drawn = [start_pdf(tiny_report(), tmp_path / f"{n}.pdf", TITLE, workers=n).result() for n in (1, 3)]
    assert drawn[0].read_bytes() == drawn[1].read_bytes()


def test_kept_parts_give_the_same_file_and_only_changed_parts_are_drawn(tmp_path):
    store = tmp_path / "parts"
    first = start_pdf(tiny_report(), tmp_path / "first.pdf", TITLE, workers=2, store=store).result()
    kept = {p.name: p.stat().st_mtime_ns for p in store.glob("*.pickle")}
    # The section's one page is nearly empty, so the back matter flows after it (transparency.rendering.pagefit):
    # the two are drawn alone, then together.
    assert len(kept) == 5, "the section, the back matter, the two together, the front matter, the furniture"
    again = start_pdf(tiny_report(), tmp_path / "again.pdf", TITLE, workers=2, store=store).result()
    assert again.read_bytes() == first.read_bytes()
    assert {p.name: p.stat().st_mtime_ns for p in store.glob("*.pickle")} == kept, "nothing drawn again"

    changed = tiny_report(section="<h2>Stops</h2><p>Other text.</p>")
    kept_part = start_pdf(changed, tmp_path / "kept.pdf", TITLE, workers=2, store=store).result()
    fresh = start_pdf(changed, tmp_path / "fresh.pdf", TITLE, workers=2).result()
    assert kept_part.read_bytes() == fresh.read_bytes(), "a kept part gives the bytes a drawn one gives"
    now = {p.name: p.stat().st_mtime_ns for p in store.glob("*.pickle")}
    # The section's text changed, not its length: the front matter, the furniture and the back matter
    # are kept, the section drawn again (alone and with the back matter), and its old drawings removed.
    assert len(now) == 5 and len(set(now) - set(kept)) == 2, "only the changed section was drawn"
    assert all(now[name] == kept[name] for name in set(now) & set(kept))


def test_a_page_without_parts_is_drawn_by_html_to_pdf(tmp_path):
    page = "<!DOCTYPE html><html lang='en'><head><title>x</title></head><body><p>Hello.</p></body></html>"
    reference = render.html_to_pdf(page, tmp_path / "reference.pdf", TITLE)
    path = start_pdf(page, tmp_path / "whole.pdf", TITLE).result()
    assert path.read_bytes() == reference.read_bytes()


def test_a_failure_is_reported_with_its_reason(tmp_path):
    job = start_pdf(tiny_report(), tmp_path / "missing-folder" / "x.pdf", TITLE, workers=2)
    with pytest.raises(BackgroundError, match="the report PDF could not be drawn: .*missing-folder"):
        job.result()


def test_cancel_ends_the_drawing(report, tmp_path):
    job = start_pdf(report, tmp_path / "cancelled.pdf", TITLE, workers=2)
    job.cancel()
    with pytest.raises(BackgroundError):
        job.result()
    assert not (tmp_path / "cancelled.pdf").exists()
