"""`transparency review`: the one page the person who releases reads first (terminal and review.html).

What failed or had no data; files with more than a few percent of rows left out, and why; values that
matched no category; what is hidden to protect privacy; changes from the previous quarter beyond normal
variation (the figures a chief will be asked about); and anything that blocks the release. Made from the
draft build's manifest.json and metrics.json only: it never runs a notebook.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from transparency.building.build import NOTEBOOKS
from transparency.core import fmt
from transparency.core.config import Agency
from transparency.core.periods import Period
from transparency.figures.answers import unusual_changes
from transparency.writing.figure_words import NOT_COUNTS, dataset_title, figure_label

from .publish_index import date_words
from .release import REVIEW_FILE, Version, agency_argument, figure_changes, release_problems

#: A file is listed when more than this share of its rows was left out.
EXCLUDED_SHARE = 0.03

__all__ = ["EXCLUDED_SHARE", "Review", "make_review", "review", "review_html", "review_text"]


@dataclass
class Review:
    """Everything on the review page (see the module docstring)."""

    agency: str
    period: Period
    folder: Path
    built_at: str | None = None
    git_commit: str | None = None
    state: str = "blocked"  # blocked, ready, correction, released
    next_step: str = ""
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    released: list[Version] = field(default_factory=list)
    sections: list[dict] = field(default_factory=list)
    exclusions: list[dict] = field(default_factory=list)
    unmapped: list[dict] = field(default_factory=list)
    suppressed: list[dict] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)
    corrections: list[dict] = field(default_factory=list)  # figures that differ from the last released version
    audit: str = ""  # the consistency audit's result (transparency.figures.audit), in words


def _unusual_changes(period: Period, metrics: dict) -> list[dict]:
    """Counts that changed from the previous period by more than chance would explain (exact Poisson test):
    the same list page 2 of the report names its findings from (:func:`transparency.figures.answers.unusual_changes`)."""
    out = []
    for found in unusual_changes(metrics.get("datasets", {}), period.days, period.previous().days, skip=NOT_COUNTS):
        current, prior, p_value = found["current"], found["prior"], found["p_value"]
        out.append({
            "label": figure_label(found["dataset"], found["name"], period), "current": current, "prior": prior,
            "change": fmt.change_pct(current, prior) or "up from 0", "p_value": p_value,
            "p_text": f"= {p_value:.3f}" if p_value >= 0.001 else "< 0.001",
        })
    return out


def make_review(agency: Agency, period: Period, root: Path, notebooks: Path = NOTEBOOKS) -> Review:
    """Gather the review of a period's draft build (nothing is written)."""
    from transparency.core.registry import field_words
    from transparency.writing.backmatter import _reason_words

    check, done, _ = release_problems(agency, period, root, None, notebooks)
    page = Review(agency.name, period, check.folder, released=done, problems=list(check.problems),
                  notes=list(check.notes))
    arg = agency_argument(agency, root)
    release_cmd = f"transparency release --agency {arg} --period {period.code}"
    if not check.exists:
        return page
    manifest, metrics = check.manifest, check.metrics
    page.built_at, page.git_commit = manifest.get("built_at"), manifest.get("git_commit")
    audited = manifest.get("audit")
    if audited is None:
        page.problems.append("This draft was built before every build ran the consistency audit: build it again.")
    else:
        from transparency.figures.audit import Audit, Finding

        result = Audit(figures=audited["figures"], cells=audited["cells"], charts=audited.get("charts", 0),
                       findings=[Finding(**f) for f in audited.get("findings", [])])
        page.audit = result.summary()
        page.problems.extend(f"Consistency audit: {finding}" for finding in result.findings)

    if done:
        last = done[-1]
        page.corrections = figure_changes(_read_json(last.folder / "metrics.json"), metrics, period)
        same = (last.record.get("build", {}).get("recipe") == manifest.get("recipe")
                and last.record.get("inputs") == _inputs(manifest))
        if page.problems:
            page.state = "blocked"
        elif same:
            page.state = "released"
            page.next_step = (f"Released as version {last.number} on {date_words(last.released_on)}; this build is "
                              "the released "
                              "one, so there is nothing to release.")
        else:
            page.state = "correction"
            page.next_step = (f"Released as version {last.number} on {date_words(last.released_on)}. This build "
                              "differs: to "
                              f"publish it as version {last.number + 1}, `{release_cmd} --correction \"what was "
                              "wrong\"`.")
    elif not page.problems:
        page.state = "ready"
        page.next_step = f"Nothing blocks the release: `{release_cmd}`."
    if page.state == "blocked":
        page.next_step = "The release is blocked; see below for what to do."

    order = list(manifest.get("parameters", {}).get("datasets", []))
    built = manifest.get("datasets", {})
    for name in order + sorted(n for n in built if n not in order):
        entry = built.get(name, {})
        m = metrics.get("datasets", {}).get(name, {})
        message = (entry.get("message") or "").strip().splitlines()
        page.sections.append({"dataset": name, "title": dataset_title(name), "status": entry.get("status"),
                              "rows_in_period": m.get("rows_in_period"),
                              "message": message[-1][:200] if message and entry.get("status") != "ok" else ""})
        # The manifest publishes the accounts as the appendix does: a small count about people is None.
        fewer = f"fewer than {agency.min_count}"
        for account in entry.get("inputs", []):
            read, excluded = account.get("rows_read", 0), account.get("rows_excluded", {})
            used = account.get("rows_used")
            known = [n for n in excluded.values() if n is not None]
            left_out = sum(known) if len(known) == len(excluded) or used is None else read - used
            if read and left_out / read > EXCLUDED_SHARE:
                page.exclusions.append({
                    "title": dataset_title(name), "file": account["path"], "read": read, "left_out": left_out,
                    "share": fmt.pct(left_out / read),
                    "reasons": "; ".join(f"{_reason_words(r)} {fewer if n is None else format(n, ',')}"
                                         for r, n in sorted(excluded.items(), key=lambda i: -(i[1] or 0))),
                })
        for field_name, values in sorted((entry.get("unmapped") or {}).items()):
            shown = sorted(values.items(), key=lambda item: (-(item[1] or 0), item[0]))
            text = ", ".join(f"“{v}” {fewer if n is None else format(int(n), ',')}" for v, n in shown[:8]) + (
                f" and {len(shown) - 8} more" if len(shown) > 8 else "")
            page.unmapped.append({"title": dataset_title(name), "field": field_words(field_name),
                                  "count": sum(int(n) for n in values.values() if n is not None), "found": text})
        tables = [t for t in entry.get("tables", []) if t.get("suppressed")]
        figures = [figure_label(name, key, period) for key in sorted(m.get("suppressed") or {})]
        if tables or figures:
            page.suppressed.append({
                "title": dataset_title(name), "cells": sum(t["suppressed"] for t in tables),
                "tables": [f"{t.get('caption') or t['name']} ({t['suppressed']})" for t in tables],
                "figures": figures,
            })
    page.changes = _unusual_changes(period, metrics)
    return page


def _read_json(path: Path) -> dict:
    import json

    return json.loads(path.read_text(encoding="utf-8"))


def _inputs(manifest: dict) -> dict:
    from .release import _inputs_record

    return _inputs_record(manifest)


def review_text(page: Review) -> str:
    """The review for the terminal: short lines, one block per question."""
    lines = [f"Review: {page.agency}, {page.period.title()}"]
    if page.built_at:
        lines.append(f"Build: {page.folder} (built {page.built_at}, git {page.git_commit or 'unknown'})")
    state = {"ready": "READY TO RELEASE", "correction": "READY AS A CORRECTION", "released": "RELEASED",
             "blocked": "BLOCKED"}[page.state]
    lines += ["", f"Release: {state}. {page.next_step}".rstrip()]
    lines += [f"  - {p}" for p in page.problems]
    lines += [f"  note: {n}" for n in page.notes]
    if page.audit:
        lines += ["", f"Consistency audit: {page.audit}"]
    if page.sections:
        lines += ["", "Sections"]
        for s in page.sections:
            rows = "" if s["rows_in_period"] is None else f"{s['rows_in_period']:>8,} records in the period"
            status = {"ok": "ok", "failed": "FAILED", "no_data": "no data"}.get(s["status"], s["status"])
            lines.append(f"  {s['title']:<32} {status:<8} {rows} {s['message']}".rstrip())
    lines += ["", f"Files with more than {EXCLUDED_SHARE:.0%} of records left out"]
    lines += [f"  {e['title']}: {e['file']}: {e['left_out']:,} of {e['read']:,} ({e['share']}): {e['reasons']}"
              for e in page.exclusions] or ["  none"]
    lines += ["", "Values that matched no category (published as Unknown or other)"]
    lines += [f"  {u['title']}, {u['field']}: {u['found']}" for u in page.unmapped] or ["  none"]
    lines += ["", "Hidden to protect privacy"]
    for s in page.suppressed:
        parts = []
        if s["cells"]:
            parts.append(f"{s['cells']:,} table cells ({'; '.join(s['tables'])})")
        if s["figures"]:
            parts.append(f"{len(s['figures'])} {fmt.plural(len(s['figures']), 'headline figure')} ({'; '.join(s['figures'])})")
        lines.append(f"  {s['title']}: {', '.join(parts)}")
    if not page.suppressed:
        lines.append("  none")
    lines += ["", "Changes from the previous quarter beyond normal variation"]
    lines += [f"  {c['label'].replace(' (this quarter)', '')}: {c['current']:,}, {c['change']} from {c['prior']:,} "
              f"(p {c['p_text']})" for c in page.changes] or ["  none"]
    if page.released and page.state != "released":
        last = page.released[-1].number
        lines += ["", f"Figures that differ from released version {last}"]
        lines += [f"  {c['label']}: {c['before_text']} -> {c['after_text']}" for c in page.corrections[:30]]
        if len(page.corrections) > 30:
            lines.append(f"  and {len(page.corrections) - 30} more (all of them in {REVIEW_FILE})")
        if not page.corrections:
            lines.append("  none")
    return "\n".join(lines)


def review_html(page: Review) -> str:
    """The review as an accessible page (``review.html`` in the draft folder; never published)."""
    from .publish_index import public_css, templates

    return templates().get_template("review.html.j2").render(page=page, css=public_css(),
                                                             excluded_share=f"{EXCLUDED_SHARE:.0%}")


def review(agency: Agency, period: Period, root: Path, notebooks: Path = NOTEBOOKS,
           say: Callable[[str], None] = print) -> int:
    """Print the review, write ``review.html`` beside the draft; exit code 0 unless something blocks the release."""
    page = make_review(agency, period, root, notebooks)
    say(review_text(page))
    if page.folder.is_dir() and page.built_at is not None:
        path = page.folder / REVIEW_FILE
        path.write_text(review_html(page), encoding="utf-8")
        say(f"\nThe same review as a page: {path}")
    return 1 if page.state == "blocked" else 0
