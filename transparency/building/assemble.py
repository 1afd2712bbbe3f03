"""What a build publishes, written into its staging folder: each section's entry, the cover's facts, page 2's key
questions and the headline table, the back matter, report.html (and its private source, for `transparency
release`), the PDF started, metrics.json and manifest.json.

:func:`_publish` is called by :mod:`transparency.building.build` once a period's notebooks have run; it computes no
figure: it gathers what the sections published (their facts and figures) and writes them down once.
"""

from __future__ import annotations

import json
import platform
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import metadata
from pathlib import Path

from transparency import __version__
from transparency.core import registry
from transparency.core.config import Agency
from transparency.core.errors import TransparencyError
from transparency.core.incremental import (
    NOTEBOOKS,
)
from transparency.core.periods import Period
from transparency.figures.accounts import public_accounts
from transparency.figures.metrics import HEADLINE, Metrics, coverage
from transparency.figures.suppress import SMALL_COUNT, suppress_value
from transparency.reading.load import LoadResult
from transparency.rendering import publishing
from transparency.writing import wording
from transparency.writing.backmatter import about, data_quality, glossary, glossary_definitions, methodology

from .export import methodology_html

REPORT_SOURCE = "report-source.json"  # what the report was assembled from, so a release re-renders it as released


# What the headline figure of each dataset counts, for the "At a glance" table.
HEADLINE_WORDS = {
    "use_of_force": "Incidents",
    "complaints": "Complaints received",
    "officer_involved_shootings": "Incidents",
    "assaults_on_officers": "Officers assaulted",
    "citations": "Citations issued",
    "stops": "People stopped",
    "pursuits": "Pursuits",
    "calls_for_service": "Calls",
    "arrests": "Arrests",
    "community_meetings": "Meetings",
    "community_surveys": "Residents who answered",
    "training": "Officers trained",
}


# Words for figures that stand in for a dataset's usual headline.
FIGURE_WORDS = {"respondents": "Residents who answered", "responses": "Answers", "measures": "Published scores"}


@dataclass
class Outcome:
    """What happened to one dataset in one build."""

    dataset: str
    status: str = "ok"  # ok, failed, no_data
    message: str | None = None
    load: LoadResult | None = None
    metrics: Metrics | None = None
    rows_in_period: int = 0
    seconds: float = 0.0
    section: dict = field(default_factory=dict)
    reused: bool = False  # the section's outputs were copied from the last build with the same section key

    @property
    def suppressed_cells(self) -> int:
        return sum(t.get("suppressed", 0) for t in self.section.get("tables", []))


def _versions() -> dict[str, str]:
    names = ["pandas", "numpy", "pyarrow", "papermill", "nbconvert", "nbclient", "matplotlib", "weasyprint", "pydantic"]
    out = {"python": platform.python_version(), "transparency": __version__}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _git_commit() -> str | None:
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=NOTEBOOKS.parent, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=NOTEBOOKS.parent,
                           capture_output=True, text=True, timeout=10).stdout.strip()
    return done.stdout.strip() + ("-modified" if dirty else "")


def _json(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=1, sort_keys=True, default=str) + "\n", encoding="utf-8")


def _publish(agency: Agency, period: Period, outcomes: dict[str, Outcome], staging: Path,
             formats: tuple[str, ...], timings: dict[str, float], say: Callable[[str], None],
             made_from: dict | None = None, parts: Path | None = None, pdf_workers: int | None = None, place=None):
    """Write the sections, report.html, metrics.json, manifest.json and report-source.json into staging.

    Returns the :class:`~transparency.rendering.pdfparts.PdfJob` drawing report.pdf (None without a PDF), for
    the caller to wait for; ``parts`` is where its drawn parts are kept between builds (None: every
    part is drawn).
    """
    started = time.perf_counter()
    sections, rows = _section_entries(agency, period, outcomes, staging, formats)
    configured = [o.dataset for o in outcomes.values()]
    not_published = [n for n in registry.datasets() if n not in agency.model.datasets]
    not_covered = [n for n in agency.dataset_names if n not in outcomes]
    built_on = date.today()  # once: the cover and the manifest give the same date
    meta = _report_meta(agency, period, outcomes, built_on)
    public_url = publishing.public_url(agency)
    front = _front_matter(agency, period, outcomes, rows, not_published, not_covered)
    back = _back_matter(agency, period, outcomes, configured, not_published, not_covered, public_url, sections, front)
    pdf = _write_report(agency, period, staging, formats, meta, sections, front, back, public_url, parts, pdf_workers,
                        place)
    timings["html"] = time.perf_counter() - started
    public = _write_metrics(agency, period, outcomes, staging)
    _write_manifest(agency, period, outcomes, staging, formats, timings, made_from, configured, public, built_on)
    return pdf


def _section_entries(agency: Agency, period: Period, outcomes: dict[str, Outcome], staging: Path,
                     formats: tuple[str, ...]) -> tuple[list[dict], list[dict]]:
    """Each section's entry in the report (its HTML, or why it is missing) and each dataset's headline row."""
    from transparency.rendering.render import notebook_section_html, section_page

    sections, rows = [], []
    for name, outcome in outcomes.items():
        spec = registry.dataset(name)
        entry = {"id": name, "title": spec.title, "status": outcome.status}
        page = staging / f"{name}.html"  # the section's own page; written by the notebook's worker
        if outcome.status == "ok":
            try:
                converted = staging / "sections" / f"{name}.html"  # by the notebook's worker
                fragment = (converted.read_text(encoding="utf-8") if converted.is_file()
                            else notebook_section_html(staging / "notebooks" / f"{name}.ipynb", name))
            except TransparencyError as exc:
                outcome.status, outcome.message = "failed", str(exc)
                entry["status"] = "failed"
            else:
                entry["html"] = fragment
                if "html" in formats and not page.is_file():
                    words = _page_words(agency, period, name)
                    page.write_text(section_page(fragment, words["title"], context=words["context"]), encoding="utf-8")
        if outcome.status != "ok":
            entry["message"] = _public_message(outcome)
            page.unlink(missing_ok=True)  # e.g. its notebook ran but did not call section.save()
        sections.append(entry)
        if outcome.status == "ok" and outcome.metrics is not None:
            # The headline figure, or the first one the agency's data supports (surveys: people who
            # answered; published survey scores: the number of scores).
            fallbacks = {"community_surveys": ["respondents", "responses", "measures"]}
            candidates = [HEADLINE[name], *fallbacks.get(name, [])]
            key = next((k for k in candidates if k in outcome.metrics.values), next(iter(outcome.metrics.values)))
            rows.append({
                "title": spec.title, "id": name, "measure": FIGURE_WORDS.get(key, HEADLINE_WORDS.get(name, key.replace("_", " ").capitalize())),
                "value": outcome.metrics.values.get(key), "prior": outcome.metrics.values.get(f"{key}_prior"),
                "last_year": outcome.metrics.values.get(f"{key}_last_year"), "decimals": 1, "figure": f"{name}:{key}",
                **_hidden_words(outcome.metrics, key, agency.min_count),
            })
    return sections, rows


def _report_meta(agency: Agency, period: Period, outcomes: dict[str, Outcome], built_on: date) -> dict:
    """The cover's facts: agency, period, the last day the data speaks for, the build's date, the logo."""
    last_dates = [coverage(o.load.table, o.dataset)[1] for o in outcomes.values()
                  if o.load is not None and coverage(o.load.table, o.dataset) is not None]
    last_day = period.end - timedelta(days=1)
    data_through = min(max(last_dates).date(), last_day) if last_dates else last_day
    meta = {
        "agency": agency.name, "period": period.code, "period_label": period.label(),
        "data_through": data_through.isoformat(), "built_at": built_on.isoformat(), "status": "draft",
    }
    logo = publishing.logo_data_uri(agency)
    if logo:
        meta["logo"] = logo
    return meta


def _front_matter(agency: Agency, period: Period, outcomes: dict[str, Outcome], rows: list[dict],
                  not_published: list[str], not_covered: list[str]) -> dict:
    """Page 2's key questions and the headline-figures table."""
    return {
        **_key_questions(agency, period, outcomes, not_published, not_covered),
        "rows": rows,
        "intro": "<p>" + "This table gives one headline figure for each topic, and how it changed. "
                 "Each figure links to its section, which explains it. “Not available” means the data "
                 "does not go back that far; “fewer than” and “not shown” mark figures hidden to protect privacy."
                 + "</p>",
        "value_label": "This quarter" if period.kind in ("quarter", "fiscal_quarter") else "This period",
        "prior_label": "Change from the previous quarter" if period.kind in ("quarter", "fiscal_quarter") else "Change from the previous period",
        "last_year_label": "Change from the same quarter last year" if period.kind in ("quarter", "fiscal_quarter") else "Change from a year earlier",
    }


def _back_matter(agency: Agency, period: Period, outcomes: dict[str, Outcome], configured: list[str],
                 not_published: list[str], not_covered: list[str], public_url: str | None, sections: list[dict],
                 front: dict) -> dict:
    """Methodology, data quality, about, and the glossary of the terms the rest of the report uses."""
    back = {
        # The portal's fetch records, and the records published as open data.
        "methodology": methodology(agency, period, configured, sources=methodology_html(agency, configured)),
        "data_quality": data_quality(list(outcomes.values()), agency.min_count, {name: agency.grain(name).name for name in configured}),
        "about": about(agency, period, not_published, f"transparency {__version__}", not_covered,
                       public_url=public_url, contact=publishing.contact(agency)),
    }
    # The glossary lists the terms the rest of the report uses (its order in the report is render.BACK_MATTER's).
    used = "\n".join([*(s["html"] for s in sections if s.get("html")), front["intro"], *back.values()])
    back["glossary"] = glossary(wording.html_text(used), glossary_definitions(agency, configured))
    return back


def _write_report(agency: Agency, period: Period, staging: Path, formats: tuple[str, ...], meta: dict,
                  sections: list[dict], front: dict, back: dict, public_url: str | None, parts: Path | None,
                  pdf_workers: int | None, place):
    """report.html and its private source (for `transparency release`), and the PDF started (returned)."""
    from transparency.rendering.render import assemble_report

    report = assemble_report(meta, sections, front, back)
    pdf_title = f"{agency.name}: transparency report, {period.title()}"
    if "html" in formats:
        (staging / "report.html").write_text(report, encoding="utf-8")
        # Private (never published): lets `transparency release` re-render this very report as released.
        _json(staging / REPORT_SOURCE, {"meta": meta, "sections": sections, "front": front, "back": back,
                                        "pdf": {"title": pdf_title, "page_size": agency.model.page_size,
                                                "public_url": public_url}})
    pdf = None
    if "pdf" in formats:
        from transparency.rendering.pdfparts import start_pdf

        # The PDF travels alone: its table links point where the release will publish the tables (this draft's
        # version being the next one); report.html keeps them relative, beside its own tables/ folder.
        address = publishing.version_url(public_url, period.code, publishing.next_version(staging.parent, period.code))
        pdf = start_pdf(publishing.absolute_table_links(report, address), staging / "report.pdf", pdf_title, page_size=agency.model.page_size, draft=True,
                        workers=pdf_workers, store=parts, place=place)
    return pdf


def _write_metrics(agency: Agency, period: Period, outcomes: dict[str, Outcome], staging: Path) -> dict:
    """metrics.json: each dataset's status, its rows' accounts as they may be published, its figures and what
    is hidden; returns the public accounts (the manifest uses them too)."""
    # What the accounts of each dataset's rows may publish (counts about people follow the rule).
    public = {name: public_accounts(o.load.files, o.load.unmapped, o.load.issues, agency.min_count)
              for name, o in outcomes.items() if o.load is not None}
    metrics_out = {"agency": agency.name, "period": period.code, "datasets": {}}
    for name, outcome in outcomes.items():
        entry = {"status": outcome.status}
        if outcome.load is not None:
            in_period = suppress_value(outcome.rows_in_period, agency.min_count)
            accounts = public[name]
            entry.update({
                "rows_read": outcome.load.rows_read,
                "rows_in_period": in_period,
                "rows_excluded": accounts["rows_excluded"],
            })
            hidden = {f"rows_excluded.{reason}": why for reason, why in accounts["hidden"].items()
                      if reason in accounts["rows_excluded"]}
            if in_period is None and outcome.rows_in_period:
                hidden["rows_in_period"] = SMALL_COUNT
            if hidden:
                entry["suppressed"] = hidden
        if outcome.status == "ok" and outcome.metrics is not None:
            entry["metrics"] = dict(sorted(outcome.metrics.values.items()))
            entry["suppressed"] = dict(sorted({**entry.get("suppressed", {}), **outcome.metrics.suppressed}.items()))
        metrics_out["datasets"][name] = entry
    _json(staging / "metrics.json", metrics_out)
    return public


def _write_manifest(agency: Agency, period: Period, outcomes: dict[str, Outcome], staging: Path,
                    formats: tuple[str, ...], timings: dict[str, float], made_from: dict | None,
                    configured: list[str], public: dict, built_on: date) -> None:
    """manifest.json: the build's parameters, versions, recipe, timings and each dataset's inputs and tables."""
    manifest = {
        # The configuration's name only: an absolute path would publish the building machine's folders (a home
        # folder names its user).
        "agency": {"name": agency.name, "slug": agency.slug, "config": agency.config_path.name},
        "period": period.code,
        "parameters": {"formats": list(formats), "datasets": configured},
        "built_at": built_on.isoformat(),
        "versions": _versions(),
        "git_commit": _git_commit(),
        "recipe": made_from or {},
        "timings_seconds": {k: round(v, 3) for k, v in timings.items()},
        "datasets": {
            name: {
                "status": o.status, "message": o.message, "notebook_seconds": round(o.seconds, 3), "reused": o.reused,
                "inputs": public[name]["inputs"] if o.load is not None else [],
                "unmapped": public[name]["unmapped"] if o.load is not None else {},
                "issues": public[name]["issues"] if o.load is not None else {},
                "tables": o.section.get("tables", []),
                "suppressed_cells": o.suppressed_cells,
            }
            for name, o in outcomes.items()
        },
    }
    from transparency.reading.fetch import fetch_records

    for entry in manifest["datasets"].values():  # the inputs fetched from a portal cite their fetch records
        fetched = fetch_records(agency, [i["path"] for i in entry["inputs"]])
        if fetched:
            entry["fetched"] = fetched
    _json(staging / "manifest.json", manifest)


def _key_questions(agency: Agency, period: Period, outcomes: dict[str, Outcome], not_published: list[str],
                   not_covered: list[str]) -> dict:
    """Page 2: each section's key question as its notebook answered it (``Section.answer``), in the registry's
    order, then which datasets are missing or partial; and the findings that stand out anywhere in the report: the
    sections' own (gaps and shares), and the counts of metrics.json that changed beyond normal variation (the test
    review uses). The build computes no figure: it gathers the sections' answers and their published figures."""
    import pandas as pd

    from transparency.figures import answers
    from transparency.writing.figure_words import figure_label

    order = {name: number for number, name in enumerate(registry.datasets())}
    ok = sorted((o for o in outcomes.values() if o.status == "ok" and o.section), key=lambda o: order[o.dataset])
    questions = [{**o.section["answer"], "title": registry.dataset(o.dataset).title} for o in ok if o.section.get("answer")]
    quarter = period.kind in ("quarter", "fiscal_quarter")
    period_words = "this quarter" if quarter else "this period"
    missing = [(registry.dataset(o.dataset).title, "no records for this period" if o.status == "no_data" else
                "the section could not be produced") for o in sorted(outcomes.values(), key=lambda o: order[o.dataset])
               if o.status != "ok"]
    missing += [(registry.dataset(name).title, "no notebook for it yet") for name in not_covered]
    partial = []
    for o in ok:
        if o.load is None:
            continue
        event = o.load.table[registry.dataset(o.dataset).event]
        months = [(period.start, period.end), (period.year_earlier().start, period.year_earlier().end)]
        counts = [_per_month(event, start, end) for start, end in months]
        if answers.missing_months(*counts):
            last = event[period.contains(event)].max()
            words = "there are no records for the period" if pd.isna(last) else f"records end on {last:%B} {last.day}, {last.year}"
            partial.append((registry.dataset(o.dataset).title, words))
    covering = answers.coverage_answer(missing, partial, [registry.dataset(n).title for n in not_published], period_words)
    questions.append({**covering.to_dict(), "title": "About this report"})
    found = [f for o in ok for f in (o.section.get("answer") or {}).get("findings", [])]
    metrics = {o.dataset: {"metrics": o.metrics.values} for o in ok if o.metrics is not None}
    counts = {o.dataset: o.section.get("metrics", {}).get("counts", []) for o in ok}
    prior_words = "the previous quarter" if quarter else "the previous period"
    for change in answers.unusual_changes(metrics, period.days, period.previous().days, counts):
        # "Stops: people stopped: Black (this quarter)" -> "Stops", "people stopped (Black)".
        title, _, words = figure_label(change["dataset"], change["name"]).removesuffix(" (this quarter)").partition(": ")
        words = f"{words.replace(': ', ' (', 1)})" if ": " in words else words
        found.append(answers.change_finding(change["dataset"], title, words, change["name"], change["current"],
                                            change["prior"], prior_words, change["p_value"]).to_dict())
    return {"questions": questions, "findings": answers.top_findings(found)}


def _per_month(dates, start: date, end: date) -> list[int]:
    """Records per calendar month from ``start`` to ``end`` (whole months), in order."""
    import pandas as pd

    inside = dates[(dates >= pd.Timestamp(start)) & (dates < pd.Timestamp(end))]
    found = inside.dt.month.value_counts() if len(inside) else {}
    months, day = [], start
    while day < end:
        months.append(int(found.get(day.month, 0)))
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return months


def _page_words(agency: Agency, period: Period, dataset: str) -> dict[str, str]:
    """The title and the line above the heading of a section's own page (``<dataset>.html``)."""
    return {"title": f"{registry.dataset(dataset).title}: {period.title()}, {agency.name}",
            "context": f"{agency.name}: {period.title()}"}


def _hidden_words(metrics: Metrics, key: str, min_count: int) -> dict[str, str]:
    """At-a-glance words for figures hidden to protect privacy, which must not read as "not available"."""
    words: dict[str, str] = {}
    hidden = metrics.suppressed
    if key in hidden:
        words["value"] = f"Fewer than {min_count}" if hidden[key] == "small count" else "Not shown"
    for column, suffix in (("vs_prior", "_prior"), ("vs_last_year", "_last_year")):
        if key in hidden or key + suffix in hidden:
            words[column] = "Not shown (small numbers)"
    return words


def _public_message(outcome: Outcome) -> str:
    if outcome.status == "no_data":
        return outcome.message or "There are no records of this kind for this period."
    return "This section could not be produced for this period. It will be added when the problem is fixed."
