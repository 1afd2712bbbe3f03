"""The report's back matter, generated from the configuration and the load accounts: methodology,
glossary, the data-quality appendix, and "about this report". Every value from data is escaped."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

import pandas as pd

from transparency.core import fmt, registry
from transparency.core.config import Agency
from transparency.core.periods import Period
from transparency.core.registry import field_words
from transparency.figures.accounts import count_text, issue_about_people, protect_accounts

from .charts import table_html

# Terms of art, defined once here and where they first appear in a section.
GLOSSARY: dict[str, str] = {
    "Allegation": "One claim of misconduct against one officer. A complaint can hold several allegations.",
    "Application of force": "One use of one type of force by one officer on one person. One incident can hold several.",
    "Complementary suppression": "Hiding a second figure in a row or column so a hidden small number cannot be worked out by subtraction.",
    "Exonerated": "The act happened, but the investigation found it was lawful and within policy.",
    "Hit rate": "The share of searches that found contraband, such as drugs or a weapon.",
    "Incident": "One event, counted once however many officers, people or force types it involved.",
    "Median": "The middle value: half of the cases took less time, half took more.",
    "Not sustained": "The investigation could not prove or disprove the allegation.",
    "Pending": "The investigation has not finished yet.",
    "90th percentile": "Nine in ten cases took this long or less; one in ten took longer.",
    "Suppressed": "Not published because the number is small enough that it could identify a person. Shown as “—”.",
    "Sustained": "The investigation found that the officer broke a rule or policy.",
    "Unfounded": "The investigation found that the act did not happen or the officer was not involved.",
    "Within normal variation": "A change small enough that it could happen by chance from one period to the next.",
    "Fisher's exact test": "A test of whether two shares differ by more than chance would explain. It allows for how many records each share is based on.",
    "Poisson test": "A test of whether two counts differ by more than chance would explain. It allows for how long each period is.",
    "Margin of error": "How far a survey result could be from the true figure for everyone, because only some people were asked. Nineteen times in twenty the true figure is within this range.",
    "Share agreeing": "The share of people who answered “agree” or “strongly agree”.",
    "Survey weight": "A number that makes each answer count more or less, so the people who answered match the city's population.",
    "Effective sample size": "How many people a weighted survey is worth: weights make a survey less precise than its number of answers suggests.",
    "Survey score": "A number from 0 to 100 that a survey firm publishes for an area and a month; higher means more agreement.",
    "Sworn officer": "A police officer with the power to arrest, as opposed to civilian staff.",
    "Required training": "Courses the department requires every sworn officer to complete.",
    "Course completion": "One officer finishing one course.",
    "Attendees": "People who came to a meeting, as counted by the organizers. A person who came to several meetings is counted each time.",
    "Traffic stop": "An officer stopping a driver.",
    "Pedestrian stop": "An officer stopping a person on foot.",
    "Search rate": "The share of stops in which the person or vehicle was searched.",
    "Frisk": "A quick pat-down of the outside of a person's clothing for weapons.",
    "Contraband": "Something a person may not have, such as illegal drugs or an illegal weapon.",
    "Outcome test": "Comparing hit rates between groups. A lower hit rate for one group can mean officers searched that group on less evidence.",
    "Veil-of-darkness test": "Comparing the share of Black drivers stopped in daylight and after dark at the same time of day. Officers can see a driver's race less well after dark.",
    "Dusk": "When it becomes fully dark: the sun is 6 degrees below the horizon.",
    "Odds ratio": "A way to compare two shares. Below 1 means a smaller share; 1 means no difference.",
    "95% interval": "The range that very likely holds the true figure.",
    "Benchmark": "What a count is compared with, such as the number of residents.",
    "Citation": "A written notice, or ticket, for breaking a law or rule.",
    "Felony": "A serious crime.",
    "Misdemeanor": "A less serious crime.",
    "Warrant": "A court order to arrest a person.",
    "Call for service": "A request for police help, by 911, another phone line, or from an officer on patrol.",
    "Priority": "How urgent a call is; priority 1 is the most urgent.",
    "Dispatch": "When an officer is sent to a call.",
    "Response time": "The time from when a call is received to when the first officer arrives.",
    "Officer-involved shooting": "An event in which a police officer fired a gun at a person.",
    "Officers assaulted": "Officers attacked in an incident, hurt or not; each officer is counted once per incident.",
    "Vehicle pursuit": "A chase in which officers try to stop a driver who speeds up or drives away.",
    "Likely range": "Where the true rate or share probably lies, allowing for chance (a 95% interval).",
    "Most serious force used": "The highest level of force in an incident, in the order set out in the use-of-force section.",
    "Less-lethal weapon": "A weapon meant to stop a person without killing them, such as a Taser, pepper spray, a baton or a police dog.",
    "Three-year total": "All events in the three years that end with a quarter.",
    "Discipline": "What the department did to an officer after a sustained allegation.",
    "Closed within target": "Closed within the number of days the department aims for.",
}

#: Definitions as said at a dataset's declared grain (``grain:`` in agency.yml), in place of :data:`GLOSSARY`'s:
#: when one complaints record is a whole complaint, the report never speaks of allegations, nor does its glossary.
GLOSSARY_AT_GRAIN: dict[tuple[str, str], dict[str, str]] = {
    ("complaints", "complaint"): {
        "Not sustained": "The investigation could not prove or disprove the complaint.",
        "Discipline": "What the department did to an officer after a sustained complaint.",
    },
}


#: Fields named as at a dataset's declared grain in the data-quality appendix, in place of
#: :func:`registry.field_words`: a complaint's ``allegation`` is what the complaint alleged.
FIELD_WORDS_AT_GRAIN: dict[tuple[str, str], dict[str, str]] = {
    ("complaints", "complaint"): {"allegation": "what the complaint alleged", "allegation_type": "type of complaint"},
}


def field_namer(dataset: str, grain: str | None):
    """``field_words`` for one dataset at its declared grain (:data:`FIELD_WORDS_AT_GRAIN`)."""
    words = FIELD_WORDS_AT_GRAIN.get((dataset, grain or ""), {})
    return lambda field_name: words.get(field_name) or field_words(field_name)


def glossary_definitions(agency: Agency, datasets: Sequence[str]) -> dict[str, str]:
    """:data:`GLOSSARY` with the definitions of :data:`GLOSSARY_AT_GRAIN` for the grain each dataset declares."""
    definitions = dict(GLOSSARY)
    for name in datasets:
        definitions.update(GLOSSARY_AT_GRAIN.get((name, agency.grain(name).name), {}))
    return definitions


def coarse_dates(agency: Agency, datasets: Sequence[str]) -> list[str]:
    """The datasets whose event date some file gives only to the month (year and month parts, no day)."""
    coarse = []
    for name in datasets:
        event = registry.dataset(name).event
        for group in agency.file_groups.get(name, []):
            source = group.columns.get(event)
            if source is not None and source.kind == "datetime_parts" and "date" not in dict(source.parts) and not (
                    "day" in dict(source.parts) or any(part == "day" for part, _, _ in source.part_values)):
                coarse.append(name)
                break
    return coarse


def _p(text: str) -> str:
    return f"<p>{html.escape(text)}</p>"


def methodology(agency: Agency, period: Period, datasets: Sequence[str], sources: str = "") -> str:
    """How figures are counted: periods, definitions per dataset, comparisons, benchmarks, suppression.

    ``sources`` is HTML added at the end: the build passes where the records were fetched from and the records
    published beside the report (:func:`transparency.building.export.methodology_html`), which the build
    stage knows and this one does not.
    """
    parts = ["<h3>Periods and dates</h3>"]
    parts.append(_p(
        f"This report covers {period.title()}. A record belongs to the period of the date its event "
        f"happened, in local time ({agency.timezone.replace('_', ' ')}). Each figure is compared with "
        f"the previous period, {period.previous().title()}, and the same period a year earlier, "
        f"{period.year_earlier().title()}. When the data does not reach back to a comparison period, "
        "the comparison is shown as not available rather than as zero."
    ))
    coarse = coarse_dates(agency, datasets)
    if coarse:
        parts.append(_p(
            f"The records of {fmt.join_words([registry.dataset(name).title.lower() for name in coarse])} give the month of "
            "each event but not the day: each is counted in its month and quarter, and is left out of any figure by day "
            "or by time of day."
        ))
    parts.append("<h3>What one record is</h3><ul>")
    for name in datasets:
        spec = registry.dataset(name)
        scope = "".join(
            f" Only records whose {html.escape(field_words(field_name))} is {html.escape(fmt.join_words(allowed, 'or'))} "
            "are counted; the others are left out and counted in the data-quality appendix."
            for field_name, allowed in agency.dataset(name).scope.items()
        )
        one_row_is = agency.grain(name).one_row_is  # the agency's declared grain, else the dataset's default
        parts.append(f"<li><strong>{html.escape(spec.title)}</strong>: one record is {html.escape(one_row_is)}.{scope}</li>")
    parts.append("</ul>")
    parts.append("<h3>Counting rules</h3>")
    parts.append(_p(
        "Incidents are counted once each, however many officers, people or types of force they involved. "
        "Response times run from when a call was received to when the first officer arrived, and leave out "
        "calls without both times or with an arrival recorded before the call. Times are summarized by the "
        "median and the 90th percentile, which a few very long calls cannot distort."
    ))
    parts.append(_p(
        "A record that repeats another in every column is counted once. Records without the date or the "
        "identifier a figure needs are left out. Every record left out is counted by reason in the "
        "data-quality appendix."
    ))
    parts.append("<h3>Changes and normal variation</h3>")
    parts.append(_p(" ".join(comparison_sentences())))
    population = agency.model.population
    if population is not None:
        parts.append("<h3>Benchmarks</h3>")
        parts.append(_p(
            f"Rates per 1,000 residents use a population of {fmt.count(population.total, 1)} "
            f"({population.source}). Residents are a rough benchmark: people who drive, walk or are "
            "stopped in the city are not all residents."
        ))
    if agency.model.sworn_officers:
        parts.append(_p(f"Rates per 100 officers use a sworn strength of {fmt.count(agency.model.sworn_officers, 1)} officers."))
    parts.append("<h3>Protecting privacy</h3>")
    parts.append(_p(
        f"No figure from 1 to {agency.min_count - 1} is published, because such small numbers could identify "
        "a person. Where a small number is hidden, another figure in the same row or column is hidden too, "
        "so the small number cannot be worked out from the totals. Percentages built on a hidden number are "
        "hidden as well. Zero is published. Names, addresses, dates of birth, written narratives and officer "
        "identifiers are never published; officer identifiers are replaced by codes before any analysis."
    ))
    for name in datasets:
        parts.extend(_p(text) for text in public_events_words(agency, name))
    parts.append(_p(
        f"A total over several quarters, such as a three-year total, is shown only when it cannot reveal a "
        f"hidden number. For records whose every event is listed, it is as public as the list. Otherwise it is "
        f"shown only when every quarter in it had none or at least {agency.min_count}: comparing the totals in "
        "one report with those in the next would otherwise reveal the quarter that entered or left them."
    ))
    parts.append(_p(
        "The data-quality appendix follows the same rule for counts about people, such as values of race, sex "
        "or age that did not match a standard category, or impossible ages. Counts about how the files were "
        "kept, such as empty, repeated or header rows, or records without a date, say nothing about a person "
        "and are shown exactly."
    ))
    if sources:
        parts.append(sources)
    return "\n".join(parts)


def comparison_sentences() -> list[str]:
    """How a change is judged against normal variation, and which test each kind of figure gets: counts and
    rates the Poisson test, shares Fisher's exact test. (A survey section says its own test.)"""
    return [
        "A change is called larger than normal variation only when chance alone would give one that large "
        "less than 5 times in 100.",
        "Counts, such as the number of incidents, are compared with the Poisson test, which allows for the "
        "number of days in each period. Rates, such as incidents per 1,000 arrests, are compared the same way, "
        "with the number of arrests in place of the days.",
        "Shares, such as the share of pursuits that ended in a crash, are compared with Fisher's exact test. "
        "It allows for how many records each share is based on, so a change in a share is judged as a share.",
    ]


def public_events_words(agency: Agency, dataset: str) -> list[str]:
    """Why a dataset's events are listed and counted exactly, or that the agency does not publish them
    (nothing for a dataset whose events are not public)."""
    spec = registry.dataset(dataset)
    if not spec.public_events:
        return []
    noun = spec.title.lower()
    if agency.events_public(dataset):
        return [f"{spec.title} are an exception. {spec.public_events_reason} So the report lists each one for the "
                f"period, and the numbers of them, and of those in which a person died, are given exactly, even "
                f"when below {agency.min_count}. Tables about the people involved, such as their race, still follow "
                "the rule above, and the list leaves out their race, sex and age."]
    return [f"The department does not publish each of its {noun} one by one, so their numbers follow the rule "
            "above like any other."]


def term_used(term: str, text: str) -> bool:
    """Whether a text uses a glossary term: its words in order, in any letter case, hyphens and spaces alike, the
    last one also as a plural ("Allegations", "veil of darkness test")."""
    words = [re.escape(w) for w in re.split(r"[\s-]+", term.replace("\u2019", "'")) if w]
    pattern = r"[\s-]+".join(words) + r"(?:s|es)?"
    start = r"\b" if term[:1].isalnum() else ""
    end = r"\b" if term[-1:].isalnum() else ""
    return re.search(start + pattern + end, text.replace("\u2019", "'"), re.IGNORECASE) is not None


def glossary(report_text: str | None = None, definitions: dict[str, str] | None = None) -> str:
    """The glossary: each term of :data:`GLOSSARY` that the report uses, with its definition, in alphabetical order.

    Parameters
    ----------
    report_text : str, optional
        The report's text outside the glossary (sections, front and the other back matter, without markup):
        a term is listed only when this text uses it (:func:`term_used`). None lists every term.
    definitions : dict, optional
        The terms and their definitions (default :data:`GLOSSARY`); :func:`glossary_definitions` gives them as
        said at the agency's declared grains.
    """
    definitions = GLOSSARY if definitions is None else definitions
    terms = sorted(t for t in definitions if report_text is None or term_used(t, report_text))
    items = "".join(f"<dt>{html.escape(term)}</dt><dd>{html.escape(definitions[term])}</dd>" for term in terms)
    return f"<dl class=\"glossary\">{items}</dl>"


def data_quality(outcomes: Sequence, min_count: int = 5, grains: dict[str, str] | None = None) -> str:
    """Per dataset: every input file's rows read, used and excluded by reason; unmapped values; issues.

    ``grains`` maps a dataset to its declared grain's name (``Agency.grain``): fields are named as at it
    (:func:`field_namer`).

    Counts about people (unmatched values, impossible ages, problems in fields about a person) from 1 to
    ``min_count - 1`` are written "fewer than <min_count>", and the accounts protect them
    (:mod:`transparency.figures.accounts`); counts about records are exact.
    """
    parts = [_p(
        "Every record in the agency's files is accounted for: records read equal records used plus records "
        "left out, for each file. Values that did not match a standard category are kept as “Unknown” or "
        f"“other” and counted here. Counts about people, such as values of race or age that did not match, "
        f"are shown as “fewer than {min_count}” when they are between 1 and {min_count - 1}; counts about how "
        "the files were kept, such as empty or repeated rows, are shown exactly."
    )]
    for outcome in outcomes:
        spec = registry.dataset(outcome.dataset)
        named = field_namer(outcome.dataset, (grains or {}).get(outcome.dataset))
        parts.append(f"<h3>{html.escape(spec.title)}</h3>")
        if outcome.load is None:
            parts.append(_p(f"The data could not be loaded: {outcome.message}"))
            continue
        result = outcome.load
        rows = []
        protected, _ = protect_accounts([(a.rows_read, a.rows_used, a.excluded) for a in result.files], min_count)
        for account, shown in zip(result.files, protected):
            reasons = "; ".join(f"{_reason_words(r, named)}: {_shown(n, min_count)}" for r, n in sorted(shown.excluded.items())) or "none"
            rows.append({
                "File": account.path + (" (linked table)" if account.role == "related" else ""),
                "Records read": f"{shown.read:,}",
                "Records used": _shown(shown.used, min_count),
                "Left out": _shown(shown.left_out, min_count),
                "Reasons left out": reasons,
            })
        parts.append(table_html(pd.DataFrame(rows), f"{spec.title}: records read, used and left out, by file", row_headers=True))
        if any(shown.hidden for shown in protected):
            parts.append(_p(f"Counts marked “not shown” are hidden so that a count about people below {min_count} "
                            "cannot be worked out from the others."))
        not_recorded = [f for f in spec.fields if f not in result.recorded]
        if not_recorded:
            parts.append(_p("The agency does not record: " + fmt.join_words([named(f) for f in not_recorded]) + "."))
        for field_name, values in result.unmapped.items():
            shown = list(values.items())[:8]
            # Every per-value count is treated as about people (a breakdown; a rare code can single someone out).
            text = "; ".join(f"“{v}” ({count_text(n, True, min_count)})" for v, n in shown)
            more = f" and {len(values) - 8} more" if len(values) > 8 else ""
            parts.append(_p(f"Values of {named(field_name)} that did not match a standard category: {text}{more}."))
        for issue, count in result.issues.items():
            field_name, _, problem = issue.partition(": ")
            people = issue_about_people(issue)
            parts.append(_p(f"{named(field_name).capitalize()}: {problem} ({count_text(count, people, min_count)})."))
        for note in result.notes:
            parts.append(_p(note))
        if outcome.suppressed_cells:
            parts.append(_p(f"{outcome.suppressed_cells:,} table cells in this section are suppressed to protect privacy."))
    return "\n".join(parts)


def _shown(n: int | None, min_count: int) -> str:
    return "not shown" if n is None else f"{n:,}"


def about(agency: Agency, period: Period, not_published: Sequence[str], built_with: str,
          not_covered: Sequence[str] = (), public_url: str | None = None, contact: str | None = None) -> str:
    """Who made the report, where its tables are, who to ask, and what it does not cover.

    Parameters
    ----------
    agency, period
        The report's agency and period.
    not_published, not_covered : sequence of str
        Datasets the agency does not publish, and those it publishes that the report does not cover.
    built_with : str
        The software and its version.
    public_url : str, optional
        The web address of the published reports (:func:`transparency.rendering.publishing.public_url`): the tables
        are found through its index page. Without it, beside the report.
    contact : str, optional
        An e-mail address for questions (:func:`transparency.rendering.publishing.contact`).
    """
    parts = [_p(
        f"This report was produced by the {agency.name} from its own records for {period.title()}. "
        "Each section explains what the data is, what changed, and what the data cannot tell."
    )]
    if public_url:
        parts.append(
            "<p>Every table in this report can be downloaded as a CSV file: the link under each table opens it. "
            f"Every released report, with its tables, is listed at <a href=\"{html.escape(public_url)}index.html\">"
            f"{html.escape(public_url)}index.html</a>. The file metrics.json beside each report holds every "
            "headline figure in a machine-readable form.</p>")
    else:
        parts.append(_p(
            "Every table in this report can be downloaded as a CSV file from the folder that holds the report "
            "(tables/). The file metrics.json holds every headline figure in a machine-readable form."
        ))
    if contact:
        parts.append(f"<p>Questions about this report: <a href=\"mailto:{html.escape(contact)}\">{html.escape(contact)}</a>.</p>")
    if not_published:
        titles = [registry.dataset(n).title.lower() for n in not_published]
        parts.append(_p(f"The department does not yet publish data on {fmt.join_words(titles)}."))
    if not_covered:
        titles = [registry.dataset(n).title.lower() for n in not_covered]
        parts.append(_p(f"The department publishes data on {fmt.join_words(titles)}, but this report does not cover it yet."))
    parts.append(_p(f"Built with {built_with}."))
    return "\n".join(parts)


_REASONS = {
    "blank_row": "empty row",
    "header_row": "repeated header row",
    "duplicate_row": "exact duplicate of another record",
    "duplicate_id": "repeated identifier",
}


def _reason_words(reason: str, named=field_words) -> str:
    if reason in _REASONS:
        return _REASONS[reason]
    for prefix, words in (("missing_", "no {}"), ("unparseable_", "unreadable {}"), ("out_of_range_", "impossible {}"),
                          ("out_of_scope_", "{} outside this report's scope"), ("no_", "no {}")):
        if reason.startswith(prefix):
            return words.format(named(reason[len(prefix):]))
    return reason.replace("_", " ")
