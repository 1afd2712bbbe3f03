"""The use-of-force section: the quarter's incidents and their trend, force types, people, places, injuries, rates.

An incident is one event (distinct ``incident_id``); an application is one row (one type of force by one
officer on one person). Functions return raw counts; the notebook publishes them through
``Section.table``, which suppresses small counts, and draws charts from what was published.
"""

from __future__ import annotations

import pandas as pd

from transparency.core import fmt
from transparency.writing import analysis, charts

from .section import Section

NOUN = "use-of-force incidents"
SOURCE_NOTE = "Source: the department's use-of-force records. Incidents are counted once however many officers, people or types of force they involved."


#: The section's opening words, by what one row is (``grain:``): an application of force (the default), or an
#: incident, whose types of force, officers and people are not told apart (so no "application of force").
INTRO = {
    "application": "Officers sometimes use physical force: to make an arrest, to protect themselves or others, or to stop a "
                   "person who resists. This section counts those events. An **incident** is one event. An **application of "
                   "force** is one type of force used by one officer on one person, so one incident can include several "
                   "applications.",
    "incident": "Officers sometimes use physical force: to make an arrest, to protect themselves or others, or to stop a "
                "person who resists. This section counts those events. An **incident** is one event. The department's "
                "records hold one row per incident, so each incident is counted once, however many officers, people or "
                "types of force it involved.",
}


def intro(sec: Section) -> str:
    """The section's opening words (Markdown) for what one row is: :data:`INTRO`."""
    return INTRO.get(sec.grain.name, INTRO["application"])


def summary(sec: Section) -> list[str]:
    """The section's opening sentences: the count, its change, applications, injuries."""
    from . import _common

    current = sec.count(sec.period, "incident_id")
    sentences = _common.change_sentences(sec, NOUN, "use-of-force incident", "incident_id")
    applications = sec.value("applications")
    if applications is not None and current:
        sentences.append(
            f"These incidents involved {fmt.count(applications, sec.min_count)} applications of force "
            "(one application is one type of force used by one officer on one person)."
        )
    if sec.recorded("subject_injured") and current:
        injured = sec.value("incidents_subject_injured")
        if injured is None:
            sentences.append(f"In fewer than {sec.min_count} incidents was the person injured.")
        else:
            # The share names its whole: the incidents, not the applications of the sentence before.
            sentences.append(f"In {fmt.count(injured, sec.min_count)} of the {fmt.count(current, sec.min_count)} incidents "
                             f"({fmt.pct(injured / current)}), the person was injured.")
    return [s for s in sentences if s]


#: The trend table's cells that show headline figures, by column (``Section.period_figures``): the table
#: and metrics.json show one computation, hidden alike.
TREND_FIGURES = {"Incidents": "incidents"}


def trend(sec: Section, quarters: int = 8) -> pd.DataFrame:
    """Incidents per quarter for the last ``quarters`` quarters covered by the data."""
    table = analysis.trend(sec.data, sec.event, sec.period, quarters, "incident_id")
    return table.rename(columns={"quarter": "Quarter", "label": "Months", "count": "Incidents"}).set_index("Quarter")


def trend_chart(sec: Section, published: pd.DataFrame | None):
    """A line chart of published incidents per quarter, with a title that states the finding and alt text."""
    if published is None:
        return None
    values = [None if pd.isna(v) else int(v) for v in published["Incidents"]]
    from ._common import change_title

    title = change_title(sec, NOUN, "incident_id")
    fig = charts.line_chart(list(published.index), {"Incidents": values}, title=title,
                            value_label="Incidents (count)", x_label="Quarter", note=SOURCE_NOTE)
    alt = analysis.series_alt("Line chart", "use-of-force incidents per quarter", list(published.index), values)
    return titled(fig, alt)


def force_types(sec: Section) -> pd.DataFrame | None:
    """Applications of each type of force this period, and the incidents that included it.

    When one row is an incident (``grain: incident``), rows are not applications: only the incidents
    that included each type are counted, and nothing when the force type is not recorded (or every
    incident holds one value, such as "Not specified", which says nothing of the types used)."""
    if sec.grain.name == "incident":
        if not sec.recorded("force_type") or sec.rows["force_type"].nunique(dropna=True) < 2:
            return None
        return analysis.breakdown(sec.rows, "force_type", "incident_id", label="Type of force", count_label="Incidents",
                                  labels=sec.label("force_type"))
    applications = analysis.breakdown(sec.rows, "force_type", label="Type of force", count_label="Applications",
                                      labels=sec.label("force_type"))
    incidents = analysis.breakdown(sec.rows, "force_type", "incident_id", label="Type of force", count_label="Incidents",
                                   labels=sec.label("force_type"))
    return applications.join(incidents)


def titled(fig, alt: str):
    """``(figure, alt text)`` with the chart's title (its finding) leading the alt text: the title is drawn as
    shapes in the SVG, so without this a screen reader would never hear it."""
    title = getattr(fig, "transparency_title", "")
    return fig, f"{title.rstrip('.')}. {alt}" if title and not alt.startswith(title) else alt


def bar(published: pd.DataFrame | None, column: str, *, title: str, value_label: str, noun: str, note: str = SOURCE_NOTE):
    """A bar chart of one published column, with alt text listing every bar (None when nothing was published)."""
    if published is None:
        return None
    values = [None if pd.isna(v) else v for v in published[column]]
    if all(v is None for v in values):
        return None  # every bar hidden: a chart would show nothing
    labels = [str(i) for i in published.index]
    fig = charts.bar_chart(labels, values, title=title, value_label=value_label, note=note)
    return titled(fig, analysis.series_alt("Bar chart", noun, labels, values))


#: Said instead of the force-type table when one row is an incident and the file does not tell the types apart.
FORCE_TYPES_MISSING = "The department's records hold one row per incident and do not tell the types of force apart."


def force_types_caption(sec: Section) -> str:
    """The force-type table's caption, for what one row is."""
    if sec.grain.name == "incident":
        return "Use-of-force incidents by the types of force they included"
    return "Applications of force by type, and the incidents that included each type"


def force_type_chart(published: pd.DataFrame | None):
    if published is None:
        return None
    if "Applications" not in published.columns:  # one row is an incident: incidents by type
        top = largest(published, "Incidents")
        return bar(published, "Incidents", title=f"{top} was used in the most incidents" if top else "Incidents by type of force",
                   value_label="Incidents (count)", noun="use-of-force incidents by type of force")
    top = largest(published, "Applications")
    return bar(published, "Applications", title=f"{top} was the most common type of force" if top else "Applications of force by type",
               value_label="Applications of force (count)", noun="applications of force by type")


def district_chart(published: pd.DataFrame | None):
    if published is None:
        return None
    top = largest(published, "Incidents")
    return bar(published, "Incidents", title=f"{top} had the most incidents" if top else "Incidents by district",
               value_label="Incidents (count)", noun="use-of-force incidents by district")


largest = analysis.largest  # the one rule for naming the most common category


def subject_race(sec: Section) -> pd.DataFrame | None:
    """Incidents by the race of the person force was used on, beside the population benchmark."""
    if not sec.recorded("subject_race"):
        return None
    population = sec.agency.model.population
    return analysis.race_benchmark(sec.rows, "subject_race", population.by_race if population else None,
                                   "incident_id", count_label="Incidents")


def districts(sec: Section) -> pd.DataFrame | None:
    """Incidents by district."""
    if not sec.recorded("district"):
        return None
    return analysis.breakdown(sec.rows, "district", "incident_id", label="District", count_label="Incidents",
                              labels=sec.label("district"))


def injuries(sec: Section) -> pd.DataFrame | None:
    """Incidents in which the person, or an officer, was injured or taken to hospital."""
    rows = []
    for field_name, label in (("subject_injured", "Person injured"), ("subject_hospitalized", "Person taken to hospital"),
                              ("officer_injured", "Officer injured")):
        if sec.recorded(field_name):
            flagged = sec.rows[sec.rows[field_name].fillna(False).astype(bool)]
            rows.append({"Outcome": label, "Incidents": int(flagged["incident_id"].nunique())})
    if not rows:
        return None
    table = pd.DataFrame(rows).set_index("Outcome")
    total = sec.rows["incident_id"].nunique()
    table["Share of incidents (%)"] = pd.array([100 * n / total if total else None for n in table["Incidents"]], dtype="Float64")
    return table


def rates(sec: Section) -> pd.DataFrame | None:
    """Incidents per 1,000 arrests and per 10,000 calls for service, when the agency publishes those, with the
    likely range of each rate (a 95% exact Poisson interval on the incidents)."""
    from ._common import rate

    incidents = sec.count(sec.period, "incident_id")
    rows = []
    for dataset, event, per, measure, source in (
        ("arrests", "arrested_at", 1000, "Per 1,000 arrests", "Arrest records"),
        ("calls_for_service", "received_at", 10000, "Per 10,000 calls", "Dispatch records"),
    ):
        other = sec.other(dataset)
        if other is None:
            continue
        n = int(sec.period.contains(other[event]).sum())
        made = rate(incidents, n, per)
        low, high = made.interval if made else (None, None)
        rows.append({"Measure": measure, "Denominator": n, "Rate": made.value if made else None,
                     "Likely range, low": low, "Likely range, high": high, "Source": source})
    if not rows:
        return None
    table = pd.DataFrame(rows).set_index("Measure")
    table["Incidents"] = incidents
    for column in ("Rate", "Likely range, low", "Likely range, high"):
        table[column] = table[column].astype("Float64")
    return table[["Incidents", "Denominator", "Rate", "Likely range, low", "Likely range, high", "Source"]]


# --- How serious: the highest level of force in each incident ------------------------------------------------

#: Levels of force, most serious first, in plain words. The ordering follows the usual force continuum:
#: presence and commands, then showing or pointing a weapon, hands-on control, takedowns and strikes,
#: less-lethal weapons, and deadly force. 0 is a type of force whose words match no rule.
FORCE_LEVELS: dict[int, str] = {
    6: "Deadly force (gun fired, neck hold)",
    5: "Less-lethal weapon (Taser, spray, baton, dog)",
    4: "Takedown or strike",
    3: "Hold or hands-on control",
    2: "Weapon shown or pointed",
    1: "Commands or presence",
    0: "Type not classified",
}

#: How a type of force gets its level: the first rule with a word that occurs in it (letter case ignored).
#: A word matches whole words; a word ending in ``*`` matches the start of a word ("discharg*" matches
#: "discharged"). Agency-independent words only. Showing or pointing a weapon is checked before the weapon,
#: so "Taser display" is level 2 and "Taser" level 5. A plain "Firearm" or "Shotgun" says neither shown nor
#: fired, so it is not classified. An agency that records its own level maps ``force_level`` instead.
LEVEL_RULES: list[tuple[int, tuple[str, ...]]] = [
    (3, ("pressure point*",)),
    (2, ("display*", "point", "pointed", "pointing", "drawn", "drew", "aim", "aimed", "aiming", "unholster*", "stance")),
    (6, ("fired", "discharg*", "shooting", "shot", "shots", "deadly", "neck", "choke*", "carotid", "lvnr", "vascular")),
    (5, ("taser*", "tase", "tased", "cew", "ecw", "conducted energy", "electronic control", "stun", "oc", "pepper*", "spray*",
         "chemical*", "mace", "tear gas", "baton*", "impact*", "less lethal", "40mm", "bean bag*", "beanbag*", "k9", "k 9",
         "canine*", "dog", "dogs", "bite*")),
    (4, ("takedown*", "take down*", "trip*", "sweep*", "strike*", "struck", "punch*", "kick*", "knee*", "elbow*", "head butt*",
         "tackle*", "hit", "hits")),
    (3, ("hand", "hands", "handed", "held", "hold", "holds", "grab*", "joint*", "lock*", "push*", "restrain*", "handcuff*",
         "escort*", "physical*", "control*", "wrist*", "arm bar*", "armbar*", "pin", "pinned", "wrestl*", "empty hand*")),
    (1, ("verbal*", "command*", "presence", "warning*")),
]


def _words(text: str) -> str:
    """Lower case, every run of non-letters and non-digits as one space, padded: " taser display at person "."""
    import re

    return " " + re.sub(r"[^a-z0-9*]+", " ", str(text).lower()).strip() + " "


def _matches(word: str, text: str) -> bool:
    if word.endswith("*"):
        return " " + _words(word[:-1]).strip() in text
    return _words(word) in text


def force_level_of(force_type: object) -> int:
    """The level (0-6, see :data:`FORCE_LEVELS`) of one type of force, from its words."""
    if force_type is None or (not isinstance(force_type, str) and pd.isna(force_type)):
        return 0
    text = _words(str(force_type).replace("*", " "))
    for level, words in LEVEL_RULES:
        if any(_matches(word, text) for word in words):
            return level
    return 0


def highest_levels(rows: pd.DataFrame) -> pd.Series:
    """The most serious level of force in each incident (index: incident_id).

    Uses the agency's own ``force_level`` numbers when it records them, otherwise levels from
    :func:`force_level_of`. An incident whose types all match no rule is level 0 ("not classified").
    """
    if "force_level" in rows and rows["force_level"].notna().any():
        levels = pd.to_numeric(rows["force_level"], errors="coerce").fillna(0)
    else:
        levels = rows["force_type"].map(force_level_of)
    return levels.groupby(rows["incident_id"]).max().astype("int64")


def _level_labels(levels: pd.Series, agency_levels: bool) -> list[str]:
    if agency_levels:
        return [f"Level {int(v)} (the department's scale)" if v else "Level not recorded" for v in levels]
    return [FORCE_LEVELS[int(v)] for v in levels]


def force_levels(sec: Section) -> pd.DataFrame | None:
    """Incidents this period by the most serious level of force used in them, most serious first (None
    when neither a level nor the type of force is recorded: an incident-per-row file without types)."""
    if not (sec.recorded("force_level") or sec.recorded("force_type")):
        return None
    agency_levels = sec.recorded("force_level") and sec.data["force_level"].notna().any()
    highest = highest_levels(sec.rows)
    order = sorted(set(highest) | (set() if agency_levels else set(range(1, 7))), reverse=True)
    counts = highest.value_counts().reindex(order, fill_value=0).astype("int64")
    counts = counts[(counts > 0) | (counts.index > 0)]
    table = pd.DataFrame({"Most serious force used": _level_labels(counts.index.to_series(), agency_levels),
                          "Incidents": counts.to_numpy()}).set_index("Most serious force used")
    total = int(table["Incidents"].sum())
    table["Share of incidents (%)"] = pd.array([100 * n / total if total else None for n in table["Incidents"]], dtype="Float64")
    return table


def force_level_chart(published: pd.DataFrame | None):
    if published is None:
        return None
    from ._common import most_title

    title = most_title(published, "Incidents", "was the most serious force in the most incidents", "Incidents by the most serious force used",
                       "were the most serious force in the most incidents")
    return bar(published, "Incidents", title=title, value_label="Incidents (count)",
               noun="use-of-force incidents by the most serious force used")


# --- Officers, shown as a distribution ---------------------------------------------------------------------


def officer_incidents(sec: Section) -> pd.DataFrame | None:
    """How many officers used force in 1, 2, 3, or 4 or more incidents in the last 12 months. Officers are
    never named or listed; they are counted in bands."""
    if not sec.recorded("officer_id"):
        return None
    from ._common import officer_distribution, trailing_span

    rows = sec.data[trailing_span(sec.period, 4).contains(sec.data[sec.event])]
    counts = officer_distribution(rows, "incident_id", "incident")
    table = pd.DataFrame({"Incidents in 12 months": counts.index, "Officers": counts.to_numpy()}).set_index("Incidents in 12 months")
    total = int(table["Officers"].sum())
    table["Share of officers (%)"] = pd.array([100 * n / total if total else None for n in table["Officers"]], dtype="Float64")
    return table


def officer_sentence(sec: Section, published: pd.DataFrame | None) -> str:
    """"In the last 12 months, 180 officers used force at least once; 40 of them in 4 or more incidents."."""
    if published is None:
        return ""
    from ._common import trailing_span

    rows = sec.data[trailing_span(sec.period, 4).contains(sec.data[sec.event])]
    officers = int(rows["officer_id"].nunique())
    shown = [v for v in published["Officers"] if not pd.isna(v)]
    if not officers or len(shown) < len(published):
        return ""
    many = int(published["Officers"].iloc[-1])
    sentence = f"In the last 12 months, {fmt.count(officers, sec.min_count)} officers used force at least once"
    if many:
        sentence += f"; {fmt.count(many, sec.min_count)} of them did so in 4 or more incidents"
    sworn = sec.agency.model.sworn_officers
    if sworn and officers <= sworn:
        sentence += f". The department has {fmt.count(sworn, 1)} sworn officers"
    return sentence + "."


# --- Rates with their likely range ----------------------------------------------------------------------------


def rate_sentences(sec: Section) -> list[str]:
    """Incidents per 1,000 arrests and per 10,000 calls, each with its likely range and compared with the previous
    period (the exact conditional Poisson test, with the denominators in place of time)."""
    from ._common import rate, rate_sentence

    prior_words, _ = analysis.quarter_words(sec.period)
    sentences = []
    for dataset, event, per, template in (
        ("arrests", "arrested_at", 1000, "For every 1,000 arrests, there were {rate} use-of-force incidents."),
        ("calls_for_service", "received_at", 10000, "For every 10,000 calls for service, there were {rate} use-of-force incidents."),
    ):
        other = sec.other(dataset)
        if other is None:
            continue
        current = rate(sec.count(sec.period, "incident_id"), int(sec.period.contains(other[event]).sum()), per)
        previous = rate(sec.count(sec.prior, "incident_id"), int(sec.prior.contains(other[event]).sum()), per)
        sentences.append(rate_sentence(current, template, sec.min_count, previous, prior_words))
    return [s for s in sentences if s]


def hospital_sentence(sec: Section) -> str:
    """Incidents in which the person was taken to hospital this period, against the same period last year."""
    if not sec.recorded("subject_hospitalized"):
        return ""
    flag = sec.data["subject_hospitalized"].fillna(False).astype(bool)
    _, year_words = analysis.quarter_words(sec.period)
    current = sec.count(sec.period, "incident_id", flag)
    return analysis.change_sentence("incidents in which the person was taken to hospital", current,
                                    sec.count(sec.last_year, "incident_id", flag), year_words, sec.min_count,
                                    sec.period.days, sec.last_year.days, singular="incident in which the person was taken to hospital")


# --- The key question, answered on the report's page 2 -----------------------------------------------------------


def key_answer(sec: Section, published_trend: pd.DataFrame | None):
    """Is force going up or down, and how often are people hurt? The incidents against the previous period (the
    summary's own Poisson test gives the verdict), then the share of incidents in which the person was injured
    against the previous period's, compared as shares (Fisher's exact test); a change in that share beyond
    normal variation is also a finding."""
    from transparency.figures import answers
    from transparency.figures.stats import proportion_change

    from ._common import count_answer

    made = count_answer(sec, "Is force going up or down, and how often are people hurt?", NOUN, "incidents",
                        published_trend, "Incidents", "incident_id", trend_label="Use-of-force incidents per quarter",
                        singular="use-of-force incident")
    counts = [sec.value(n) for n in ("incidents_subject_injured", "incidents", "incidents_subject_injured_prior", "incidents_prior")]
    if not sec.recorded("subject_injured") or counts[0] is None or not counts[1]:
        return made
    injured, incidents, injured_before, incidents_before = counts
    prior_words, _ = analysis.quarter_words(sec.period)
    hurt = [" The person was hurt in ", answers.figure(sec.dataset, "incidents_subject_injured", injured, fmt.count(injured, None)),
            " of the ", answers.figure(sec.dataset, "incidents", incidents, fmt.count(incidents, None)),
            f" incidents ({fmt.pct(injured / incidents)})"]
    if injured_before is None or not incidents_before:
        made.parts += [*hurt, "."]
        return made
    change = proportion_change(injured, incidents, injured_before, incidents_before)
    made.parts += [*hurt, f", against {fmt.pct(injured_before / incidents_before)} in {prior_words}: {change.judgement()}."]
    if change.beyond_normal_variation:
        made.findings.append(answers.Finding(sec.dataset, "change", [
            "Use of force: the person was hurt in ", fmt.pct(injured / incidents), " of incidents, against ",
            fmt.pct(injured_before / incidents_before), f" in {prior_words}, {change.judgement()}."], change.p_value))
    return made
