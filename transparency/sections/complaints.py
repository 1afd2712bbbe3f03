"""The complaints section: complaints and allegations received and closed, findings, time to close, open cases.

A complaint (distinct ``complaint_id``) can hold several allegations (rows). Allegations are received in
the period of their ``received_at`` and closed in the period of their ``closed_at``. When the agency's file
holds one row per complaint (``grain: complaint``), every word the section shows says complaints instead:
its sentences, tables, charts and the notebook's prose (:func:`texts`).
"""

from __future__ import annotations

import pandas as pd

from transparency.core import fmt
from transparency.figures.metrics import DECIMALS
from transparency.writing import analysis, charts

from .section import Section

SOURCE_NOTE = "Source: the department's internal affairs records. One complaint can hold several allegations."

# Findings, in the order a reader expects them, with plain words.
DISPOSITION_WORDS = {
    "sustained": "Sustained (rule broken)",
    "not_sustained": "Not sustained (could not be proved or disproved)",
    "exonerated": "Exonerated (happened, but within policy)",
    "unfounded": "Unfounded (did not happen)",
    "withdrawn": "Withdrawn",
    "pending": "Pending",
    "other": "Other",
}
SOURCE_WORDS = {"external": "From the public", "internal": "From within the department", "other": "Other or not recorded"}


def closed_in(sec: Section, period) -> pd.DataFrame:
    """Allegations closed in a period (by their closing date)."""
    if not sec.recorded("closed_at"):
        return sec.data.iloc[0:0]
    return sec.data[period.contains(sec.data["closed_at"])]


def days_to_close(rows: pd.DataFrame) -> pd.Series:
    """Days from receipt to closing; closings recorded before receipt are left out."""
    days = (rows["closed_at"] - rows["received_at"]).dt.total_seconds() / 86400
    return days[days >= 0]


def unit_words(sec: Section) -> str:
    """What the rows are, in words: "allegations", or "complaints" when the agency's file holds one row per
    complaint (``grain: complaint``), whose findings are the complaint's."""
    return "complaints" if sec.grain.name == "complaint" else "allegations"


def unit_word(sec: Section) -> str:
    """One row in words, with its article: "an allegation", or "a complaint" at ``grain: complaint``."""
    return "a complaint" if sec.grain.name == "complaint" else "an allegation"


def closed_column(sec: Section) -> str:
    """The column of the rows closed in a period: "Allegations closed", or "Complaints closed"."""
    return f"{unit_words(sec).capitalize()} closed"


def source_note(units: str) -> str:
    """The charts' source note for what one row is ("allegations" or "complaints")."""
    return SOURCE_NOTE if units == "allegations" else "Source: the department's internal affairs records. One record is one complaint."


#: What the notebook says around its tables, by name: the prose under its headings (Markdown), the tables'
#: captions and the sentences shown for a table the department's data cannot fill. ``{units}``, ``{Units}``
#: and ``{unit}`` name what one row is (:func:`unit_words`); a text that reads differently at the
#: ``complaint`` grain is given per grain. At that grain nothing says "allegation": the rows are complaints.
TEXTS: dict[str, str | dict[str, str]] = {
    "intro": {
        "allegation": "Anyone can complain about how an officer behaved, and officers can report each other. Each complaint is "
                      "investigated. A **complaint** can hold several **allegations**: one allegation is one claim about one "
                      "officer. Each allegation gets a **finding** when its investigation closes.",
        "complaint": "Anyone can complain about how an officer behaved, and officers can report each other. Each complaint is "
                     "investigated, and gets a **finding** when its investigation closes. The department records one finding "
                     "for each complaint, so this section counts whole complaints.",
    },
    "trend": {"allegation": "Complaints received and allegations closed per quarter over the last two years.",
              "complaint": "Complaints received and closed per quarter over the last two years."},
    "trend_caption": {"allegation": "Complaints received and allegations closed per quarter",
                      "complaint": "Complaints received and closed per quarter"},
    "findings": "The findings of the {units} closed this period. **Sustained** means the officer was found to have broken a "
                "rule. **Not sustained** means it could not be proved or disproved. **Exonerated** means it happened but was "
                "within policy. **Unfounded** means it did not happen.",
    "findings_caption": "Findings of the {units} closed this period",
    "findings_missing": "The department does not record when {units} close, or their findings.",
    "types_caption": "{Units} received this period, by type",
    "types_missing": "The department does not record the type of each {unit}.",
    "race_matrix": "{Units} received in the last 12 months, by the race of the person who complained and the race of the "
                   "officer. Twelve months, because one quarter holds too few {units} for a table this size. Smaller groups "
                   "are joined as \"Other or more than one\".",
    "race_matrix_caption": "{Units} received in the last 12 months, by the race of the person who complained (rows) and of "
                           "the officer (columns)",
    "discipline": "What happened to officers after a sustained {unit}, for {units} closed in the last 12 months. One officer "
                  "can face discipline for several {units}.",
    "discipline_caption": "Sustained {units} closed in the last 12 months, by the discipline imposed",
    "discipline_missing": "The department does not record the discipline imposed after sustained {units}.",
    "time_to_close": "The **median** is the middle value: half of the {units} took less time to close, half took more. The "
                     "**90th percentile** is the time within which nine in ten closed.",
    "time_to_close_caption": "Days from receipt to closing, for {units} closed in each period",
    "close_missing": "The department does not record when {units} close.",
    "target_caption": "{Units} closed within the target time",
    "open_cases": "{Units} received by the end of this period and not yet closed, by how long they had been open. These are "
                  "shown apart, because their findings are not known yet.",
    "open_cases_caption": "{Units} still open at the end of the period",
    "counting": {
        "allegation": "- A complaint is counted in the quarter it was received; an allegation is counted as closed in the "
                      "quarter it closed.\n"
                      "- The share sustained is sustained allegations divided by all allegations closed in the period.\n"
                      "- Times to close leave out allegations with a closing date before their receipt date.\n"
                      "- The share closed within the target is compared between periods as a share, with Fisher's exact "
                      "test. The **likely range** allows for chance.\n"
                      "- Officers are counted by the complaints that name them, whatever the finding.",
        "complaint": "- A complaint is counted in the quarter it was received, and as closed in the quarter it closed.\n"
                     "- The share sustained is sustained complaints divided by all complaints closed in the period.\n"
                     "- Times to close leave out complaints with a closing date before their receipt date.\n"
                     "- The share closed within the target is compared between periods as a share, with Fisher's exact "
                     "test. The **likely range** allows for chance.\n"
                     "- Officers are counted by the complaints that name them, whatever the finding.",
    },
}


def texts(sec: Section) -> dict[str, str]:
    """:data:`TEXTS` at the section's grain, with what one row is filled in (``{units}``): the notebook's words."""
    units = unit_words(sec)
    words = {"units": units, "Units": units.capitalize(), "unit": units[:-1]}
    chosen = {key: text if isinstance(text, str) else text.get(sec.grain.name, text["allegation"]) for key, text in TEXTS.items()}
    return {key: text.format(**words) for key, text in chosen.items()}


def summary(sec: Section) -> list[str]:
    from . import _common

    current = sec.count(sec.period, "complaint_id")
    sentences = _common.change_sentences(sec, "complaints received", "complaint received", "complaint_id")
    allegations = sec.value("allegations_received")
    if allegations is not None and current:
        sentences.append(f"They held {fmt.count(allegations, sec.min_count)} allegations (one allegation is one claim about one officer).")
    closed = sec.value("allegations_closed")
    sustained = sec.value("allegations_sustained")
    units = unit_words(sec)
    if closed:
        if sustained is None:
            sentences.append(f"Investigators closed {fmt.count(closed, sec.min_count)} {units}; fewer than {sec.min_count} were sustained, "
                             "which means the officer was found to have broken a rule.")
        else:
            sentences.append(
                f"Investigators closed {fmt.count(closed, sec.min_count)} {units} and sustained {fmt.count(sustained, sec.min_count)} "
                f"of the {fmt.count(closed, sec.min_count)} ({fmt.pct(sustained / closed)}). Sustained means the officer was "
                "found to have broken a rule."
            )
    median = sec.value("median_days_to_close")
    if median is not None:
        sentences.append(f"Half of the closed {units} took {fmt.number(median, DECIMALS)} days or less to close (the median).")
    return [s for s in sentences if s]


#: The trend table's cells that show headline figures, by column (``Section.period_figures``): the table
#: and metrics.json show one computation, hidden alike.
TREND_FIGURES = {"Complaints received": "complaints_received", "Allegations closed": "allegations_closed"}


def trend_figures(sec: Section) -> dict[str, str]:
    """:data:`TREND_FIGURES` with the closed column named for what one row is (:func:`closed_column`)."""
    return {"Complaints received": "complaints_received", closed_column(sec): "allegations_closed"}


def trend_known_sums(sec: Section) -> dict[str, list[str]]:
    """The trend's rows whose sum another table publishes (``Section.table(known_sums=)``).

    The time-to-close table shows the allegations closed this quarter, the previous one and a year earlier,
    so a reader knows their sum, and with the trend column's total, the sum of the other quarters: one hidden
    quarter among those could be worked out. The trend's closed column is protected with both sums known.
    """
    if not sec.recorded("closed_at"):
        return {}
    return {closed_column(sec): [period.code for _, period in _compared(sec) if sec.covers(period)]}


def trend(sec: Section, quarters: int = 8) -> pd.DataFrame:
    """Complaints received and allegations (at ``grain: complaint``, complaints) closed per quarter."""
    received = analysis.trend(sec.data, sec.event, sec.period, quarters, "complaint_id")
    table = received.rename(columns={"quarter": "Quarter", "label": "Months", "count": "Complaints received"}).set_index("Quarter")
    if sec.recorded("closed_at"):
        from transparency.core.periods import parse_period

        table[closed_column(sec)] = [len(closed_in(sec, parse_period(q)[0])) for q in table.index]
    return table


def trend_chart(sec: Section, published: pd.DataFrame):
    series = {c: [None if pd.isna(v) else int(v) for v in published[c]] for c in published.columns if c != "Months"}
    from ._common import change_title

    title = change_title(sec, "complaints received", "complaint_id")
    fig = charts.line_chart(list(published.index), series, title=title, value_label="Count", x_label="Quarter",
                            note=source_note(unit_words(sec)))
    alt = " ".join(analysis.series_alt("Line chart", f"{name.lower()} per quarter", list(published.index), values)
                   for name, values in series.items())
    from .use_of_force import titled

    return titled(fig, alt)


def dispositions(sec: Section) -> pd.DataFrame | None:
    """Findings of the allegations closed in the period."""
    if not (sec.recorded("closed_at") and sec.recorded("disposition")):
        return None
    closed = closed_in(sec, sec.period)
    order = [k for k in DISPOSITION_WORDS if k != "pending"]
    column = closed_column(sec)
    table = analysis.breakdown(closed, "disposition", label="Finding", count_label=column, order=order)
    table = table[(table[column] > 0) | table.index.isin(["sustained", "not_sustained", "exonerated", "unfounded"])]
    total = int(table[column].sum())
    table["Share (%)"] = pd.array([100 * n / total if total else None for n in table[column]], dtype="Float64")
    table.index = [DISPOSITION_WORDS.get(i, i) for i in table.index]
    table.index.name = "Finding"
    return table


def allegation_types(sec: Section, top: int = 8) -> pd.DataFrame | None:
    """Allegations received in the period by type (the largest types, the rest added up)."""
    field_name = "allegation_type" if sec.recorded("allegation_type") else "allegation" if sec.recorded("allegation") else None
    if field_name is None:
        return None
    units = unit_words(sec)
    return analysis.breakdown(sec.rows, field_name, label=f"Type of {units[:-1]}", count_label=f"{units.capitalize()} received",
                              top=top, labels=sec.label(field_name))


def types_table(sec: Section) -> str:
    """The published name of the :func:`allegation_types` table (its CSV file is ``complaints__<name>.csv``, a name
    the reader sees in its download link): ``complaint_types`` when one row is a complaint."""
    return f"{unit_words(sec)[:-1]}_types"


def sources(sec: Section) -> pd.DataFrame | None:
    """Complaints received from the public and from within the department."""
    if not sec.recorded("source"):
        return None
    table = analysis.breakdown(sec.rows, "source", "complaint_id", label="Source", count_label="Complaints received",
                               order=["external", "internal", "other"])
    table.index = [SOURCE_WORDS.get(i, i) for i in table.index]
    table.index.name = "Source"
    return table


def open_cases(sec: Section) -> pd.DataFrame | None:
    """Allegations still open at the end of the period, by how long they had been open."""
    if not sec.recorded("closed_at"):
        return None
    end = pd.Timestamp(sec.period.end)
    received = sec.data[sec.data["received_at"] < end]
    still_open = received[received["closed_at"].isna() | (received["closed_at"] >= end)]
    age = (end - still_open["received_at"]).dt.days
    bands = pd.cut(age, bins=[-1, 90, 180, 365, 100000], labels=["Up to 3 months", "3 to 6 months", "6 to 12 months", "Over a year"])
    counts = bands.value_counts().reindex(bands.cat.categories, fill_value=0)
    table = pd.DataFrame({"Time open": counts.index.astype(str), f"Open {unit_words(sec)}": counts.to_numpy(dtype="int64")})
    return table.set_index("Time open")


def time_to_close(sec: Section) -> pd.DataFrame | None:
    """Median and 90th percentile days to close, this period and in the comparison periods.

    The allegations closed and the median are the section's headline figures (``allegations_closed``,
    ``median_days_to_close`` and their ``_prior`` and ``_last_year`` variants: one computation, shown
    here and in metrics.json); name the cells with :func:`time_to_close_figures`.
    """
    if not sec.recorded("closed_at"):
        return None
    rows, closed_label = [], closed_column(sec)
    for label, period in _compared(sec):
        closed = sec.figure(sec.figure_name("allegations_closed", period))
        median = sec.figure(sec.figure_name("median_days_to_close", period))
        days = days_to_close(closed_in(sec, period))
        enough = closed is not None and len(days) >= sec.min_count
        rows.append({
            "Period": f"{label} ({period.code})",
            closed_label: closed,
            "Median days": float(median) if enough and median is not None else None,
            "90th percentile days": float(days.quantile(0.9)) if enough else None,
        })
    table = pd.DataFrame(rows).set_index("Period")
    table = table[table[closed_label].notna()]
    table[closed_label] = table[closed_label].astype("int64")
    for column in ("Median days", "90th percentile days"):
        table[column] = table[column].astype("Float64")
    return table


def time_to_close_figures(sec: Section) -> dict:
    """The cells of :func:`time_to_close` that show headline figures (for ``Section.table(figures=)``)."""
    return {(f"{label} ({period.code})", closed_column(sec)): sec.figure_name("allegations_closed", period)
            for label, period in _compared(sec)}


def _compared(sec: Section) -> list[tuple[str, object]]:
    prior_words, year_words = analysis.quarter_words(sec.period)
    return [("This period", sec.period), (prior_words.capitalize(), sec.prior), (year_words.capitalize(), sec.last_year)]


def disposition_chart(published: pd.DataFrame | None):
    if published is None:
        return None
    from .use_of_force import bar, largest

    column = published.columns[0]  # "Allegations closed", or "Complaints closed" (the table names what a row is)
    units = column.split()[0].lower()
    top = largest(published, column)
    title = f"Most closed {units} were {top.split(' (')[0].lower()}" if top else f"Findings of closed {units}"
    return bar(published, column, title=title, value_label=f"{column} (count)",
               noun=f"{units} closed by finding", note=source_note(units))


def allegation_type_chart(published: pd.DataFrame | None):
    if published is None:
        return None
    from .use_of_force import bar, largest

    column = published.columns[0]  # "Allegations received", or "Complaints received"
    units = column.split()[0].lower()
    top = largest(published, column)
    return bar(published, column, title=f"{top} was the most common {units[:-1]}" if top else f"{units.capitalize()} by type",
               value_label=f"{column} (count)", noun=f"{units} received by type", note=source_note(units))


# --- Who complained about whom ------------------------------------------------------------------------------

#: Race groups for the complainant x officer table: the smallest canonical groups are joined so that fewer
#: cells are too small to show.
RACE_GROUPS = {
    "White": "White", "Black": "Black", "Hispanic": "Hispanic", "Asian": "Asian",
    "Native American": "Other or more than one", "Pacific Islander": "Other or more than one", "Other": "Other or more than one",
    "Unknown": "Not recorded",
}
RACE_GROUP_ORDER = ["White", "Black", "Hispanic", "Asian", "Other or more than one", "Not recorded"]
OTHER_GROUP, NOT_RECORDED = "Other or more than one", "Not recorded"
#: A group whose row (or column) total is below this many times the suppression threshold joins "Other or
#: more than one": a group that small would be hidden cell by cell anyway.
SMALL_GROUP = 2
#: The matrix is left out when suppression would still hide more than this share of its non-zero cells.
MOST_HIDDEN = 0.5


def last_12_months(sec: Section):
    """The twelve months (four quarters) that end with the period."""
    from ._common import trailing_span

    return trailing_span(sec.period, 4)


def _received_in_12_months(sec: Section) -> pd.DataFrame:
    return sec.data[last_12_months(sec).contains(sec.data[sec.event])]


def join_small_groups(matrix: pd.DataFrame, min_count: int) -> pd.DataFrame:
    """Join race groups (rows, then columns) whose total is below ``SMALL_GROUP * min_count`` into
    "Other or more than one"; "Not recorded" is kept apart whatever its size."""
    def join(frame: pd.DataFrame) -> pd.DataFrame:
        totals = frame.sum(axis=1)
        small = {g: OTHER_GROUP for g, total in totals.items() if total < SMALL_GROUP * min_count and g not in (OTHER_GROUP, NOT_RECORDED)}
        return frame.rename(index=small).groupby(level=0).sum() if small else frame

    joined = join(join(matrix).T).T
    return joined.reindex(index=[g for g in RACE_GROUP_ORDER if g in joined.index],
                          columns=[g for g in RACE_GROUP_ORDER if g in joined.columns]).fillna(0).astype("int64")


def race_matrix(sec: Section) -> tuple[pd.DataFrame | None, str]:
    """Allegations received in the last 12 months by the complainant's race (rows) and the officer's race
    (columns), with a sentence for when it cannot be shown.

    Small groups are joined first (:func:`join_small_groups`). Returns ``(table, "")``, or ``(None, why)``
    when the department does not record both races, when fewer than two recorded groups are left on either
    side, or when suppression would still hide more than half of the table's non-zero cells (the table
    would say little).
    """
    from transparency.figures.suppress import suppress_table

    if not (sec.recorded("complainant_race") and sec.recorded("officer_race")):
        return None, "The department does not record both the race of the person who complained and the race of the officer."
    rows = _received_in_12_months(sec)
    if rows.empty:
        return None, f"There were no {unit_words(sec)} in the last 12 months."
    complainant = rows["complainant_race"].map(RACE_GROUPS).fillna(NOT_RECORDED)
    officer = rows["officer_race"].map(RACE_GROUPS).fillna(NOT_RECORDED)
    matrix = join_small_groups(pd.crosstab(complainant, officer), sec.min_count)
    hidden = suppress_table(matrix, min_count=sec.min_count).n_suppressed
    nonzero = int((matrix > 0).to_numpy().sum())
    groups = min(len(matrix.index.difference([NOT_RECORDED])), len(matrix.columns.difference([NOT_RECORDED])))
    if groups < 2 or hidden > MOST_HIDDEN * nonzero:
        return None, (f"There are too few {unit_words(sec)} in the last 12 months to show the race of the person who "
                      "complained beside the race of the officer without hiding most of the table.")
    matrix.index.name = "Race of the person who complained"
    matrix.columns = [f"Officer: {c}" for c in matrix.columns]
    return matrix, ""


# --- Officers, discipline, and time to close against a target ---------------------------------------------


def officer_complaints(sec: Section) -> pd.DataFrame | None:
    """How many officers were named in 1, 2, 3, or 4 or more complaints received in the last 12 months. Officers
    are never named or listed; they are counted in bands."""
    if not sec.recorded("officer_id"):
        return None
    from ._common import officer_distribution

    counts = officer_distribution(_received_in_12_months(sec), "complaint_id", "complaint")
    table = pd.DataFrame({"Complaints in 12 months": counts.index, "Officers": counts.to_numpy()}).set_index("Complaints in 12 months")
    total = int(table["Officers"].sum())
    table["Share of officers (%)"] = pd.array([100 * n / total if total else None for n in table["Officers"]], dtype="Float64")
    return table


def discipline(sec: Section) -> pd.DataFrame | None:
    """What happened to officers after sustained allegations closed in the last 12 months."""
    if not (sec.recorded("discipline") and sec.recorded("closed_at") and sec.recorded("disposition")):
        return None
    closed = sec.data[last_12_months(sec).contains(sec.data["closed_at"])]
    sustained = closed[closed["disposition"] == "sustained"].copy()
    sustained["discipline"] = sustained["discipline"].astype("string").fillna("No discipline recorded")
    return analysis.breakdown(sustained, "discipline", label="Discipline", count_label=f"Sustained {unit_words(sec)}",
                              labels=sec.label("discipline"))


#: The time to close used when the agency sets none (``complaint_close_target_days`` in agency.yml, once the
#: configuration has that key): 180 days, the six months many departments and oversight bodies aim for.
DEFAULT_CLOSE_TARGET_DAYS = 180


def close_target(sec: Section) -> tuple[int, bool]:
    """The target number of days to close an allegation, and whether the agency set it (else the default)."""
    configured = getattr(sec.agency.model, "complaint_close_target_days", None)
    return (int(configured), True) if configured else (DEFAULT_CLOSE_TARGET_DAYS, False)


def target_words(sec: Section) -> str:
    """The target in a sentence, saying where it comes from ("" when closing dates are not recorded)."""
    if not sec.recorded("closed_at"):
        return ""
    days, configured = close_target(sec)
    if configured:
        return f"The department's target is to close {unit_word(sec)} within {days:,} days."
    return (f"The department has not set a target for this report, so it uses {days:,} days (about six months), "
            "a common aim for finishing complaint investigations.")


def closed_within_target(sec: Section) -> pd.DataFrame | None:
    """Allegations closed in each period and the share closed within the target, with the likely range."""
    if not sec.recorded("closed_at"):
        return None
    from transparency.figures.stats import wilson_interval

    days_target, _ = close_target(sec)
    prior_words, year_words = analysis.quarter_words(sec.period)
    rows = []
    for label, period in (("This period", sec.period), (prior_words.capitalize(), sec.prior), (year_words.capitalize(), sec.last_year)):
        if not sec.covers(period):
            continue
        days = days_to_close(closed_in(sec, period))
        within = int((days <= days_target).sum())
        interval = wilson_interval(within, len(days))
        rows.append({"Period": f"{label} ({period.code})", closed_column(sec): len(days), "Closed within target": within,
                     "Share within target (%)": 100 * within / len(days) if len(days) else None,
                     "Likely range, low (%)": 100 * interval[0] if interval else None,
                     "Likely range, high (%)": 100 * interval[1] if interval else None})
    if not rows:
        return None
    table = pd.DataFrame(rows).set_index("Period")
    for column in ("Share within target (%)", "Likely range, low (%)", "Likely range, high (%)"):
        table[column] = table[column].astype("Float64")
    return table


def target_sentences(sec: Section) -> list[str]:
    """The share closed within target against the previous period, and the open allegations already past it."""
    if not sec.recorded("closed_at"):
        return []
    from transparency.figures.stats import proportion_change
    from transparency.figures.suppress import suppress_value

    days_target, _ = close_target(sec)
    prior_words, _ = analysis.quarter_words(sec.period)
    now, before = days_to_close(closed_in(sec, sec.period)), days_to_close(closed_in(sec, sec.prior))
    within_now, within_before = int((now <= days_target).sum()), int((before <= days_target).sum())
    sentences = []
    counts = (len(now), within_now, len(before), within_before)
    if len(now) and len(before) and all(suppress_value(n, sec.min_count) is not None for n in counts):
        # A share of the allegations closed, so the two shares are compared as shares (Fisher's exact test).
        judgement = proportion_change(within_now, len(now), within_before, len(before)).judgement()
        sentences.append(f"This period, {fmt.pct(within_now / len(now))} of closed {unit_words(sec)} were closed within "
                         f"{days_target:,} days, "
                         f"against {fmt.pct(within_before / len(before))} in {prior_words}: {judgement}.")
    end = pd.Timestamp(sec.period.end)
    received = sec.data[sec.data["received_at"] < end]
    still_open = received[received["closed_at"].isna() | (received["closed_at"] >= end)]
    overdue = int(((end - still_open["received_at"]).dt.days > days_target).sum())
    if overdue == 0:
        sentences.append(f"No {unit_words(sec)[:-1]} open at the end of the period had been open longer than {days_target:,} days.")
    else:
        sentences.append(f"At the end of the period, {fmt.count(overdue, sec.min_count)} open {unit_words(sec)} had been open longer "
                         f"than {days_target:,} days.")
    return sentences


# --- The key question, answered on the report's page 2 -----------------------------------------------------------


def key_answer(sec: Section, published_trend: pd.DataFrame | None, published_target: pd.DataFrame | None):
    """Are complaints investigated, how many are sustained, and how fast are they closed? The complaints received
    against the previous period (the summary's Poisson test), the allegations closed and sustained, the median
    days to close, and the share closed within the target against the previous period's (Fisher's exact test, as
    :func:`target_sentences` states it), which gives the verdict. ``published_target`` is the published
    :func:`closed_within_target` table."""
    from transparency.figures import answers
    from transparency.figures.stats import proportion_change

    from ._common import count_answer

    made = count_answer(sec, "Are complaints investigated, how many are sustained, and how fast are they closed?",
                        "complaints received", "complaints_received", published_trend, closed_column(sec), "complaint_id",
                        trend_label=f"{closed_column(sec)} per quarter")
    closed, sustained, median = (sec.value(n) for n in ("allegations_closed", "allegations_sustained", "median_days_to_close"))
    if not sec.recorded("closed_at") or closed is None:
        return made
    # A figure is marked by its metrics.json name at the grain (allegations_closed is complaints_closed at grain: complaint).
    mark = lambda name, value, text: answers.figure(sec.dataset, sec.grain.metric(name) or name, value, text)  # noqa: E731
    made.parts += [" Investigators closed ", mark("allegations_closed", closed, fmt.count(closed, None)), f" {unit_words(sec)}"]
    if sec.recorded("disposition") and closed:
        if sustained is None:
            made.parts.append(f"; fewer than {sec.min_count} were sustained (the officer was found to have broken a rule)")
        else:
            made.parts += [" and sustained ", mark("allegations_sustained", sustained, fmt.count(sustained, None)),
                           f" ({fmt.pct(sustained / closed)}), which means the officer was found to have broken a rule"]
    made.parts.append(".")
    if median is not None:
        made.parts += [" Half took ", mark("median_days_to_close", median, fmt.number(median, DECIMALS)), " days or less to close."]
    days, _ = close_target(sec)
    prior_words, _ = analysis.quarter_words(sec.period)
    now, before = f"This period ({sec.period.code})", f"{prior_words.capitalize()} ({sec.prior.code})"  # as the table labels them
    column = "Share within target (%)"
    if published_target is None or now not in published_target.index or pd.isna(published_target.loc[now, column]):
        return made
    share = float(published_target.loc[now, column])
    made.parts += [" ", answers.cell(sec.dataset, "closed_within_target", now, column, share, fmt.number(share, 1) + "%"),
                   f" were closed within the target of {days:,} days"]
    counts = published_target[["Closed within target", closed_column(sec)]]
    if before not in published_target.index or counts.loc[[now, before]].isna().any().any() \
            or pd.isna(published_target.loc[before, column]):
        made.parts.append(".")
        return made
    share_before = float(published_target.loc[before, column])
    change = proportion_change(int(counts.loc[now, "Closed within target"]), int(counts.loc[now, closed_column(sec)]),
                               int(counts.loc[before, "Closed within target"]), int(counts.loc[before, closed_column(sec)]))
    made.parts += [", against ", answers.cell(sec.dataset, "closed_within_target", before, column, share_before,
                                               fmt.number(share_before, 1) + "%"), f" in {prior_words}: {change.judgement()}."]
    made.verdict, made.tone = answers.share_verdict(change, "More closed on time", "Fewer closed on time")
    if change.beyond_normal_variation:
        made.findings.append(answers.Finding(sec.dataset, "change", [
            "Complaints: ", answers.cell(sec.dataset, "closed_within_target", now, column, share, fmt.number(share, 1) + "%"),
            f" of {unit_words(sec)} were closed within {days:,} days, against ",
            answers.cell(sec.dataset, "closed_within_target", before, column, share_before, fmt.number(share_before, 1) + "%"),
            f" in {prior_words}: {change.judgement()}."], change.p_value))
    return made
