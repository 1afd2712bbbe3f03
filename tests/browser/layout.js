// The layout of a page as a reader sees it at the window's width, measured in the page (tests/test_browser.py).
// Returns the viewport and document widths, the body text size, and for every table and every chart what a
// reader can see of it: a table fits or scrolls inside its own box with its first column stuck, its caption
// wraps inside what is visible, and a chart's smallest text is drawn at least as large as the body text.
(() => {
  const view = document.documentElement.clientWidth;
  const bodyFont = parseFloat(getComputedStyle(document.body).fontSize);
  const near = (a, b) => Math.abs(a - b) <= 1;

  // The nearest ancestor that scrolls sideways (overflow-x auto or scroll), or null.
  const scroller = (element) => {
    for (let e = element.parentElement; e && e !== document.body; e = e.parentElement) {
      const overflow = getComputedStyle(e).overflowX;
      if (overflow === 'auto' || overflow === 'scroll') return e;
    }
    return null;
  };

  // The part of the viewport where an element can be seen: its scrolling box, if any, within the window.
  const visibleArea = (box) => {
    const r = box ? box.getBoundingClientRect() : {left: 0, right: view};
    return {left: Math.max(0, r.left), right: Math.min(view, r.right)};
  };

  // The rectangles of an element's text lines (a Range, so a line cut off at a box's edge still counts).
  const lines = (element) => {
    const range = document.createRange();
    range.selectNodeContents(element);
    return [...range.getClientRects()].filter((r) => r.width > 0);
  };

  const tables = [...document.querySelectorAll('table')].map((table) => {
    const box = scroller(table);
    const caption = table.querySelector('caption');
    const label = (caption ? caption.textContent : table.className).trim().slice(0, 70);
    const r = table.getBoundingClientRect();
    const area = visibleArea(box);
    const boxRect = box ? box.getBoundingClientRect() : null;
    const fits = r.left >= area.left - 1 && r.right <= area.right + 1;
    const boxInView = !!boxRect && boxRect.left >= -1 && boxRect.right <= view + 1;
    const scrolls = !!box && box.scrollWidth > box.clientWidth + 1;
    const firstCells = [...table.rows].map((row) => row.cells[0]).filter(Boolean);
    const sticky = firstCells.length > 0 && firstCells.every((c) => getComputedStyle(c).position === 'sticky');
    // Scroll the box to its far right: a stuck first column stays where it was.
    let stuck = null;
    if (scrolls) {
      const before = firstCells.map((c) => c.getBoundingClientRect().left);
      box.scrollLeft = box.scrollWidth;
      const after = firstCells.map((c) => c.getBoundingClientRect().left);
      box.scrollLeft = 0;
      stuck = before.every((left, i) => near(left, after[i]));
    }
    const captionCut = caption ? lines(caption).some((l) => l.left < area.left - 1 || l.right > area.right + 1) : false;
    return {label, fits, inBox: boxInView, scrolls, sticky, stuck, captionCut,
            width: Math.round(r.width), boxWidth: box ? box.clientWidth : null};
  });

  const charts = [...document.querySelectorAll('figure.chart img')].map((img) => {
    const label = (img.getAttribute('alt') || '').slice(0, 70);
    const src = img.getAttribute('src') || '';
    const prefix = 'data:image/svg+xml;base64,';
    const r = img.getBoundingClientRect();
    const box = scroller(img);
    const area = visibleArea(box);
    const fits = r.left >= area.left - 1 && r.right <= area.right + 1;
    const boxRect = box ? box.getBoundingClientRect() : null;
    const inBox = !!boxRect && boxRect.left >= -1 && boxRect.right <= view + 1;
    if (!src.startsWith(prefix)) return {label, svg: false, fits, inBox};
    const svg = new DOMParser().parseFromString(atob(src.slice(prefix.length)), 'image/svg+xml').documentElement;
    const viewBox = (svg.getAttribute('viewBox') || '').split(/[\s,]+/).map(Number);
    const sizes = [...svg.querySelectorAll('text')].map((t) => {
      const style = t.getAttribute('style') || '';
      const match = style.match(/font-size:\s*([\d.]+)px/) || style.match(/font:[^;]*?([\d.]+)px/);
      return match ? Number(match[1]) : Number(t.getAttribute('font-size') || NaN);
    }).filter((s) => s > 0);
    const smallest = Math.min(...sizes);
    const scale = r.width / viewBox[2];
    return {label, svg: true, fits, inBox, texts: sizes.length, smallest,
            rendered: Math.round(smallest * scale * 100) / 100, width: Math.round(r.width)};
  });

  return {view, scrollWidth: document.documentElement.scrollWidth, bodyFont, tables, charts,
          bodyBox: (() => { const s = getComputedStyle(document.body); const r = document.body.getBoundingClientRect();
                            return {left: r.left + parseFloat(s.paddingLeft), right: r.right - parseFloat(s.paddingRight)}; })()};
})()
