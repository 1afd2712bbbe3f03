"""The pages people open, opened in a real browser: the public index and the released report.html.

What this guards: in headless Chromium, every link on the public index and in the released reports
resolves to a file that exists (or an element of the page), every image loads, the console stays free of
errors, and axe-core (the accessibility checker, pinned in tests/browser/package-lock.json) finds no
serious or critical violation, at a phone's width (390 pixels) and a desktop's (1280). A screenshot of the
index is taken as a reader sees it.

The layout at both widths (measured in the page by tests/browser/layout.js, and on screenshots with Pillow):
the page never scrolls sideways; every table fits or scrolls inside its own box with its first column stuck
and its caption whole; every chart draws its smallest word at least as large as the body text; on a phone
nothing is drawn in the right margin, the at-a-glance table keeps its topics in place when scrolled, and a
chart is the desktop's image at the desktop's size, scrolled.

Chromium is driven directly over its DevTools pipe (``--remote-debugging-pipe``: JSON messages on file
descriptors 3 and 4), so no browser download and no network is needed. Set-up: ``scripts/setup.sh dev``
installs Debian's ``chromium`` (as root, with apt-get) and ``npm ci`` installs axe-core into
``tests/browser/node_modules``; without them these tests skip and say why.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import REPO

AXE = REPO / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
#: The flags the machine needs: headless, no sandbox (root in a container), no network chatter, a new profile.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--mute-audio", "--window-size=1280,900"]


def chromium_binary() -> str | None:
    """``$TRANSPARENCY_CHROMIUM``, Debian's binary behind its wrapper script, or chromium on the PATH."""
    candidates = [os.environ.get("TRANSPARENCY_CHROMIUM"), "/usr/lib/chromium/chromium",
                  shutil.which("chromium"), shutil.which("chromium-browser"), shutil.which("google-chrome")]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def _skip_reason() -> str | None:
    if chromium_binary() is None:
        return ("chromium is not installed: run `scripts/setup.sh dev` as root (it runs apt-get install chromium), "
                "or set TRANSPARENCY_CHROMIUM to a Chromium binary")
    if not AXE.is_file():
        return "axe-core is not installed: run `npm ci --prefix tests/browser` (scripts/setup.sh dev does)"
    return None


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or "")


class Browser:
    """Headless Chromium over the DevTools pipe: open a page, evaluate JavaScript, take a screenshot."""

    def __init__(self, binary: str, timeout: float = 60):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="transparency-chromium-")  # a new, empty profile every time
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire_pipes() -> None:  # in the child: the browser reads commands on fd 3 and answers on fd 4
            read_end = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
            write_end = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self.process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            close_fds=False, preexec_fn=wire_pipes,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    # -- the protocol --------------------------------------------------------------------------------

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self._from_browser], [], [], remaining)
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise RuntimeError(f"Chromium closed the pipe (exit code {self.process.poll()})")
                self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            answer = self._read(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_for(self, method: str, session: str) -> dict:
        deadline = time.monotonic() + self.timeout
        while True:
            for event in self.events:
                if event.get("method") == method and event.get("sessionId") == session:
                    return event
            self.events.append(self._read(deadline))

    def evaluate(self, session: str, expression: str):
        result = self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                "returnByValue": True}, session)
        if "exceptionDetails" in result:
            raise RuntimeError(f"JavaScript failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    # -- pages ---------------------------------------------------------------------------------------

    def open(self, path: Path, width: int = 1280, height: int = 900) -> str:
        """Open a file in a new tab ``width`` CSS pixels wide and wait for it to load; return the tab's session id.

        A window narrower than 600 pixels is a phone's: Chromium emulates a mobile viewport (the page's
        ``<meta name="viewport">`` applies) at one device pixel per CSS pixel, so screenshots measure in CSS pixels.
        """
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable", session=session)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}, session)
        navigated = self.send("Page.navigate", {"url": path.resolve().as_uri()}, session)
        if navigated.get("errorText"):
            raise RuntimeError(f"{path}: {navigated['errorText']}")
        self.wait_for("Page.loadEventFired", session)
        return session

    def console_errors(self, session: str) -> list[str]:
        errors = []
        for event in self.events:
            if event.get("sessionId") != session:
                continue
            params = event.get("params", {})
            if event.get("method") == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
            elif event.get("method") == "Runtime.exceptionThrown":
                errors.append(str(params.get("exceptionDetails", {}).get("text")))
            elif event.get("method") == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                errors.append(f"{params['entry'].get('text')} {params['entry'].get('url', '')}".strip())
        return errors

    def screenshot(self, session: str, path: Path) -> Path:
        import base64

        size = self.send("Page.getLayoutMetrics", session=session)["cssContentSize"]
        shot = self.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 6000), "scale": 1},
        }, session)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def screenshot_clip(self, session: str, rect: dict) -> bytes:
        """A PNG of part of the page (``x``, ``y``, ``width``, ``height`` in page CSS pixels)."""
        import base64

        clip = {key: rect[key] for key in ("x", "y", "width", "height")}
        shot = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                    "clip": {**clip, "scale": 1}}, session)
        return base64.b64decode(shot["data"])

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)


LINKS = """[...document.querySelectorAll('a[href]')].map(a => ({href: a.href, text: a.textContent.trim().slice(0, 80),
  missingTarget: a.hash.length > 1 && a.pathname === location.pathname && !document.getElementById(decodeURIComponent(a.hash.slice(1)))}))"""
BROKEN_IMAGES = "[...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => (i.alt || i.src).slice(0, 80))"
AXE_RUN = """axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({
  id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))"""


#: A phone (390 CSS pixels, an iPhone 12 to 15) and a desktop window.
PHONE, DESKTOP = 390, 1280
WIDTHS = [PHONE, DESKTOP]
LAYOUT = (REPO / "tests" / "browser" / "layout.js").read_text(encoding="utf-8")


def check_page(browser: Browser, path: Path, width: int = 1280) -> dict:
    """Open a page ``width`` pixels wide; return its links that lead nowhere, broken images, console errors
    and axe violations."""
    session = browser.open(path, width=width)
    dead = []
    for link in browser.evaluate(session, LINKS):
        url = urlsplit(link["href"])
        if link["missingTarget"]:
            dead.append(f"{link['text']!r} -> #{url.fragment} (no such element)")
        elif url.scheme == "file" and not Path(unquote(url.path)).is_file():
            dead.append(f"{link['text']!r} -> {unquote(url.path)} (no such file)")
        elif url.scheme not in ("file", "http", "https", "mailto"):
            dead.append(f"{link['text']!r} -> {link['href']} (unexpected scheme)")
    browser.evaluate(session, AXE.read_text(encoding="utf-8") + "; true")
    violations = browser.evaluate(session, AXE_RUN)
    return {
        "session": session,
        "links": browser.evaluate(session, "document.querySelectorAll('a[href]').length"),
        "dead": dead,
        "broken_images": browser.evaluate(session, BROKEN_IMAGES),
        "console": browser.console_errors(session),
        "serious": [v for v in violations if v["impact"] in ("serious", "critical")],
        "other": [f"{v['id']} ({v['impact']})" for v in violations if v["impact"] not in ("serious", "critical")],
    }


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    from test_release import released_project

    return released_project(tmp_path_factory)


@pytest.fixture(scope="module")
def browser():
    started = Browser(chromium_binary())
    yield started
    started.close()


def _pages(project) -> dict[str, Path]:
    reports = project.reports
    return {
        "index": reports / "index.html",
        "report v2": reports / "released" / "2026Q2" / "v2" / "report.html",
        "report v1": reports / "released" / "2026Q2" / "v1" / "report.html",
        "section page": reports / "released" / "2026Q2" / "v2" / "use_of_force.html",
        "review": reports / "2026Q2" / "review.html",
    }


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page", ["index", "report v2", "report v1", "section page", "review"])
def test_page_in_a_real_browser(project, browser, page, width):
    if page == "review":
        from transparency.releasing.review import review

        review(project.agency, project.period, project.root, project.notebooks, say=lambda _: None)
    result = check_page(browser, _pages(project)[page], width)
    assert result["links"] > 0 or page in ("section page", "review")
    assert result["dead"] == [], result["dead"]
    assert result["broken_images"] == [], result["broken_images"]
    assert result["console"] == [], result["console"]
    assert result["serious"] == [], json.dumps(result["serious"], indent=1)


def test_index_links_reach_every_released_file_a_reader_needs(project, browser):
    session = browser.open(_pages(project)["index"])
    hrefs = {unquote(urlsplit(link["href"]).path) for link in browser.evaluate(session, LINKS)}
    v1, v2 = project.v1.folder.resolve(), project.v2.folder.resolve()
    for wanted in [v2 / "report.pdf", v2 / "report.html", v1 / "report.pdf", v1 / "report.html",
                   v2 / "tables" / "use_of_force__force_types.csv", project.reports.resolve() / "data.json"]:
        assert str(wanted) in hrefs, wanted
    text = browser.evaluate(session, "document.body.innerText")
    assert "Two use-of-force incidents were entered twice" in text and "is due by" in text


def test_screenshot_of_the_index(project, browser, tmp_path_factory):
    session = browser.open(_pages(project)["index"])
    path = browser.screenshot(session, tmp_path_factory.mktemp("screens") / "index.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    assert int.from_bytes(data[16:20], "big") == 1280, "the page is as wide as the window"


# ----------------------------------------------------------------------------------------------
# The layout at a phone's width and a desktop's
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page", ["index", "report v2", "section page"])
def test_nothing_is_wider_than_the_window(project, browser, page, width):
    """The page never scrolls sideways; a table fits or scrolls in its own box, first column stuck, caption whole."""
    session = browser.open(_pages(project)[page], width=width)
    layout = browser.evaluate(session, LAYOUT)
    assert layout["view"] == width
    assert layout["scrollWidth"] <= layout["view"], f"the page is {layout['scrollWidth']} pixels wide at {width}"
    for table in layout["tables"]:
        assert table["fits"] or table["inBox"], f"{table['label']!r} runs off the window: {table}"
        if table["scrolls"]:
            assert table["sticky"] and table["stuck"], f"{table['label']!r} scrolls its row labels away: {table}"
        assert not table["captionCut"], f"the caption of {table['label']!r} is cut off: {table}"
    if page != "index":
        assert layout["tables"], "the report has tables to check"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page", ["report v2", "section page"])
def test_chart_text_is_as_large_as_body_text(project, browser, page, width):
    """Every chart draws its smallest word at least at the body's font size, and fits or scrolls in its box."""
    session = browser.open(_pages(project)[page], width=width)
    layout = browser.evaluate(session, LAYOUT)
    assert layout["charts"] and all(chart["svg"] and chart["texts"] for chart in layout["charts"])
    for chart in layout["charts"]:
        assert chart["rendered"] >= layout["bodyFont"], (
            f"{chart['label']!r}: its smallest text is {chart['rendered']} pixels at {width}, "
            f"the body's {layout['bodyFont']}")
        assert chart["fits"] or chart["inBox"], f"{chart['label']!r} runs off the window: {chart}"
    if width == DESKTOP:
        assert all(chart["fits"] for chart in layout["charts"]), "a desktop window shows charts whole"


def _png(data: bytes):
    import io

    from PIL import Image

    return Image.open(io.BytesIO(data)).convert("RGB")


def test_phone_screenshot_is_not_cut_at_the_right(project, browser, tmp_path_factory):
    """Checked on the pixels: at 390 pixels the report's screenshot is 390 wide and nothing is drawn in the
    body's right margin, on any row (text, a table or a chart running off the screen would be)."""
    session = browser.open(_pages(project)["report v2"], width=PHONE)
    layout = browser.evaluate(session, LAYOUT)
    path = browser.screenshot(session, tmp_path_factory.mktemp("screens") / "report-390.png")
    from PIL import Image

    shot = Image.open(path).convert("RGB")
    assert shot.width == PHONE
    margin = shot.crop((int(layout["bodyBox"]["right"]) + 3, 0, PHONE, shot.height))
    inked = [y for y in range(margin.height) if any(max(margin.getpixel((x, y))) < 250 or
                                                    min(margin.getpixel((x, y))) < 245 for x in range(margin.width))]
    assert margin.width >= 8 and not inked, f"drawn in the right margin at rows {inked[:5]}..."


def test_phone_table_keeps_its_row_labels_when_scrolled(project, browser):
    """Checked on the pixels: scroll the at-a-glance table sideways on a phone; its first column (the topics,
    from the header row down) looks the same, the rest of the box does not."""
    session = browser.open(_pages(project)["report v2"], width=PHONE)
    box = browser.evaluate(session, """(() => {
      const wrap = document.querySelector('.glance-table').closest('.table-wrap');
      wrap.scrollIntoView();
      const r = wrap.getBoundingClientRect(), first = wrap.querySelector('tbody th').getBoundingClientRect();
      const head = wrap.querySelector('thead').getBoundingClientRect();
      return {x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height,
              first: first.right - r.left, top: head.top - r.top, scrolls: wrap.scrollWidth > wrap.clientWidth};
    })()""")
    assert box["scrolls"], "the at-a-glance table is wider than a phone (the case this test is about)"
    before = _png(browser.screenshot_clip(session, box))
    browser.evaluate(session, "(() => { const w = document.querySelector('.glance-table').closest('.table-wrap');"
                              " w.scrollLeft = w.scrollWidth; return w.scrollLeft; })()")
    after = _png(browser.screenshot_clip(session, box))
    from PIL import ImageChops

    labels = (0, int(box["top"]), int(box["first"]) - 2, before.height)
    rest = (int(box["first"]) + 2, 0, before.width, before.height)
    assert ImageChops.difference(before.crop(labels), after.crop(labels)).getbbox() is None, "the topics moved"
    assert ImageChops.difference(before.crop(rest), after.crop(rest)).getbbox() is not None, "nothing scrolled"


def _first_chart(browser: Browser, session: str) -> dict:
    return browser.evaluate(session, """(() => {
      const figure = document.querySelector('figure.chart'); figure.scrollIntoView();
      const r = figure.getBoundingClientRect(), img = figure.querySelector('img').getBoundingClientRect();
      return {x: img.left + scrollX, y: img.top + scrollY, width: Math.min(r.right, img.right) - img.left,
              height: img.height};
    })()""")


def test_phone_draws_charts_as_large_as_the_desktop(project, browser):
    """Checked on the pixels: the first chart's visible part on a phone is the same image, at the same size, as
    the same part of it on a desktop (a phone scrolls the chart rather than shrinking its words)."""
    shots = {}
    for width in WIDTHS:
        session = browser.open(_pages(project)["report v2"], width=width)
        chart = _first_chart(browser, session)
        shots[width] = (chart, _png(browser.screenshot_clip(session, chart)))
    (phone, phone_shot), (desktop, desktop_shot) = shots[PHONE], shots[DESKTOP]
    assert phone["height"] == pytest.approx(desktop["height"], abs=1), "the chart is drawn at one size"
    from PIL import Image, ImageChops, ImageStat

    # Compared in blocks of 6 by 6 pixels: the two pages place the chart at different fractions of a pixel.
    # The same chart scrolled differs by about 2 levels in 255; a chart shrunk to the phone's width by 25.
    part = (0, 0, min(phone_shot.width, desktop_shot.width), min(phone_shot.height, desktop_shot.height))
    blocks = (part[2] // 6, part[3] // 6)
    difference = ImageChops.difference(phone_shot.crop(part).resize(blocks, Image.BOX),
                                       desktop_shot.crop(part).resize(blocks, Image.BOX)).convert("L")
    assert ImageStat.Stat(difference).mean[0] < 6, "the phone's chart is not the desktop's, scrolled"


CARDS = """(() => Array.from(document.querySelectorAll('.key-question')).map(card => {
  const box = card.getBoundingClientRect();
  return {left: Math.round(box.left), right: Math.round(box.right), width: Math.round(box.width),
          text: card.innerText.length};
}))()"""


@pytest.mark.parametrize("width", WIDTHS)
def test_key_questions_read_as_cards(project, browser, width):
    """Page 2's key questions: one card a row on a phone, each as wide as the text; two a row on a desktop;
    none runs off the window."""
    session = browser.open(_pages(project)["report v2"], width=width)
    cards = browser.evaluate(session, CARDS)
    assert len(cards) >= 2 and all(card["text"] > 40 for card in cards), cards
    assert all(card["right"] <= width for card in cards), cards
    lefts = {card["left"] for card in cards}
    if width == PHONE:
        assert len(lefts) == 1, f"cards side by side on a phone: {cards}"
        assert min(card["width"] for card in cards) >= width * 0.8, cards
    else:
        assert len(lefts) == 2, f"a desktop shows two cards a row: {cards}"
