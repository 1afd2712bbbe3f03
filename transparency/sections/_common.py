"""Helpers shared by the accountability sections (shootings, assaults on officers, pursuits, use of force,
complaints): longer time windows, officer distributions, rates with an interval, labels, plain listings.

Everything here returns raw numbers or plain tables; publishing (and so suppression) stays with
:meth:`transparency.sections.section.Section.table` and the sentence helpers of :mod:`transparency.writing.analysis`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date

import pandas as pd

from transparency.core import fmt
from transparency.core.periods import Period, quarter_of, trailing_quarters
from transparency.figures import answers
from transparency.figures.stats import poisson_change, poisson_interval
from transparency.figures.suppress import suppress_value
from transparency.writing import analysis, charts

from .section import Section, write_csv

# --- Time windows longer than a quarter ------------------------------------------------------------


# English month names, whatever the machine's locale.
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def _shift_months(day: date, months: int) -> date:
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Span:
    """A run of whole months, ``start <= day < end``, such as the three years that end with a quarter."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def months(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month

    def label(self) -> str:
        """"October 2023 to September 2026"."""
        last = _shift_months(self.end, -1)
        return f"{MONTHS[self.start.month - 1]} {self.start.year} to {MONTHS[last.month - 1]} {last.year}"

    def previous(self) -> Span:
        """The span of the same length just before this one."""
        return Span(_shift_months(self.start, -self.months), self.start)

    def contains(self, series: pd.Series) -> pd.Series:
        """Rows whose local date falls in the span (missing dates are outside)."""
        start, end = pd.Timestamp(self.start), pd.Timestamp(self.end)
        return ((series >= start) & (series < end)).fillna(False).astype(bool)


def trailing_span(period: Period, quarters: int) -> Span:
    """The ``quarters`` quarters that end with the period's last quarter, as one span."""
    run = trailing_quarters(period, quarters)
    return Span(run[0].start, run[-1].end)


def data_start(table: pd.DataFrame, event: str) -> date | None:
    """First day of the quarter of the earliest event: the data is taken to cover nothing before it.

    Rare events (shootings) may start well after an agency's records do; starting at the first event's
    quarter errs towards saying "not available" rather than comparing with a period that may be missing.
    """
    dates = table[event].dropna()
    if dates.empty:
        return None
    return quarter_of(dates.min().date()).start


def fully_covered(table: pd.DataFrame, event: str, span: Span) -> bool:
    """Whether the data reaches back to the start of the span (so a count over it is complete)."""
    start = data_start(table, event)
    return start is not None and start <= span.start


def covered_words(table: pd.DataFrame, event: str, span: Span) -> str:
    """The span in words, starting where the data starts when that is later ("July 2025 to September 2025")."""
    start = data_start(table, event)
    if start is not None and start > span.start:
        return Span(start, span.end).label()
    return span.label()


def count_in_span(table: pd.DataFrame, event: str, span: Span, id_field: str | None = None) -> int | None:
    """Rows (or distinct ids) in the span; None when the data does not reach back to its start."""
    if not fully_covered(table, event, span):
        return None
    rows = table[span.contains(table[event])]
    return int(rows[id_field].nunique()) if id_field else len(rows)


def _chosen(table: pd.DataFrame, where: pd.Series | None) -> pd.DataFrame:
    return table if where is None else table[where.reindex(table.index, fill_value=False).fillna(False).astype(bool)]


def span_reveals_nothing(table: pd.DataFrame, event: str, span: Span, min_count: int, id_field: str | None = None,
                         where: pd.Series | None = None) -> bool:
    """Whether a total over the span's quarters adds nothing to what each quarter's own figure publishes.

    True when every quarter of the span holds 0 or at least ``min_count`` rows (or distinct ids): the total
    is then the sum of published quarterly figures. A total over a quarter whose count is hidden would let
    a reader work that count out, by subtracting the other quarters' figures or by comparing the totals of
    two overlapping windows (22 shootings in the three years to one quarter, 21 to the next, and one this
    quarter: the quarter that left the window had 2).
    """
    chosen = _chosen(table, where)
    day = span.start
    while day < span.end:
        quarter = Span(day, _shift_months(day, 3))
        inside = chosen[quarter.contains(chosen[event])]
        count = int(inside[id_field].nunique()) if id_field else len(inside)
        if suppress_value(count, min_count) is None:
            return False
        day = quarter.end
    return True


def rolling_totals(table: pd.DataFrame, event: str, period: Period, window: int = 12, points: int = 12,
                   id_field: str | None = None, where: pd.Series | None = None,
                   hidden_quarters: int | None = None) -> pd.DataFrame:
    """Totals over the ``window`` quarters ending with each of the last ``points`` quarters.

    Only windows that the data covers from their first day are kept (an incomplete window would
    understate the total). With ``hidden_quarters`` (the suppression threshold), only windows whose every
    quarter could be published on its own are kept (:func:`span_reveals_nothing`): for events that are not
    public, whose small quarterly counts are hidden. Returns columns ``quarter`` (the window's last
    quarter), ``label`` (the window in words) and ``count``.
    """
    rows = []
    for quarter in trailing_quarters(period, points):
        span = trailing_span(quarter, window)
        if not fully_covered(table, event, span):
            continue
        if hidden_quarters is not None and not span_reveals_nothing(table, event, span, hidden_quarters, id_field, where):
            continue
        chosen = _chosen(table, where)
        inside = chosen[span.contains(chosen[event])]
        rows.append({"quarter": quarter.code, "label": span.label(),
                     "count": int(inside[id_field].nunique()) if id_field else len(inside)})
    return pd.DataFrame(rows, columns=["quarter", "label", "count"])


def calendar_years(table: pd.DataFrame, event: str, period: Period) -> list[tuple[str, Span]]:
    """Each calendar year from the data's first year to the period's end, with its label.

    A year the data covers in part says so: "2026 (January to September)".
    """
    start = data_start(table, event)
    if start is None:
        return []
    end = period.end
    years = []
    for year in range(start.year, _shift_months(end, -1).year + 1):
        span = Span(max(date(year, 1, 1), start), min(date(year + 1, 1, 1), end))
        label = str(year) if span.months == 12 else f"{year} ({span.label().replace(f' {year}', '')})"
        years.append((label, span))
    return years


# --- Officers, shown only as a distribution ------------------------------------------------------------

BANDS = ("1", "2", "3", "4 or more")


def officer_distribution(rows: pd.DataFrame, unit_field: str, noun: str, officer_field: str = "officer_id") -> pd.Series:
    """How many officers had 1, 2, 3, or 4 or more ``unit_field`` events (distinct ids) in ``rows``.

    Officers are never named or listed: the result is a count of officers per band, labelled
    "1 incident" ... "4 or more incidents" with ``noun`` as the unit. Rows without an officer are left out.
    """
    known = rows[rows[officer_field].notna()]
    per_officer = known.groupby(officer_field)[unit_field].nunique()
    banded = per_officer.clip(upper=4).map({1: BANDS[0], 2: BANDS[1], 3: BANDS[2], 4: BANDS[3]})
    counts = banded.value_counts().reindex(list(BANDS), fill_value=0).astype("int64")
    counts.index = [f"{band} {noun if band == '1' else noun + 's'}" for band in BANDS]
    return counts


# --- Rates, with a range that allows for chance -------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    """``count`` per ``per`` of ``denominator``, with its likely range (a 95% exact Poisson interval)."""

    count: int
    denominator: float
    per: int

    @property
    def value(self) -> float:
        return self.count * self.per / self.denominator

    @property
    def interval(self) -> tuple[float, float]:
        low, high = poisson_interval(self.count)
        return low * self.per / self.denominator, high * self.per / self.denominator


def rate(count: int | None, denominator: float | None, per: int) -> Rate | None:
    """A :class:`Rate`, or None when the count or the denominator is missing or the denominator is 0."""
    if count is None or not denominator:
        return None
    return Rate(int(count), float(denominator), per)


def rate_judgement(current: Rate, previous: Rate) -> str:
    """"within normal variation" or "a change larger than normal variation" for two rates.

    Given the two counts' total, the exact conditional Poisson test splits it in proportion to the
    denominators (the same test as for counts, with the denominators in place of the periods' lengths).
    A rate counts events per unit of exposure (use-of-force incidents per 1,000 arrests, pursuits per 100
    officers): the events are not a subset of the denominator's records, and one officer can be in several,
    so the Poisson test fits. A share of records (crashes out of pursuits) is compared with
    :func:`transparency.figures.stats.proportion_change` instead.
    """
    return poisson_change(current.count, previous.count, current.denominator, previous.denominator).judgement()


def rate_sentence(current: Rate | None, template: str, min_count: int, previous: Rate | None = None,
                  previous_label: str = "the previous quarter", decimals: int = 1) -> str:
    """A rate in words with its likely range: ``template`` holds ``{rate}``, such as
    "For every 100 sworn officers, {rate} officers were assaulted." The range follows:
    "Allowing for chance, the rate is likely between 8.8 and 15.7." With a previous rate the comparison
    and its judgement follow too. Nothing is said when the count is a small number (the rate would reveal it).
    """
    if current is None or suppress_value(current.count, min_count) is None:
        return ""
    low, high = current.interval
    sentences = [template.format(rate=fmt.number(current.value, decimals)),
                 f"Allowing for chance, the rate is likely between {fmt.number(low, decimals)} and {fmt.number(high, decimals)}."]
    if previous is not None and suppress_value(previous.count, min_count) is not None:
        sentences.append(f"In {previous_label} it was {fmt.number(previous.value, decimals)}, so the change is "
                         f"{rate_judgement(current, previous)}.")
    return " ".join(sentences)


def rates_by_period(sec: Section, count_label: str, denominator_label: str, rate_label: str, per: int,
                    count_for, denominator_for, decimals: int = 1) -> pd.DataFrame | None:
    """Rows for this period, the previous one and the same period last year: the count, the denominator,
    the rate and its likely range. ``count_for(period)`` and ``denominator_for(period)`` give raw numbers
    (None when not available); periods without both are left out."""
    prior_words, year_words = analysis.quarter_words(sec.period)
    rows = []
    for words, period in (("This period", sec.period), (prior_words.capitalize(), sec.prior), (year_words.capitalize(), sec.last_year)):
        count, denominator = count_for(period), denominator_for(period)
        made = rate(count, denominator, per)
        if made is None:
            continue
        low, high = made.interval
        rows.append({"Period": f"{words} ({period.code})", count_label: made.count, denominator_label: denominator,
                     rate_label: made.value, "Likely range, low": low, "Likely range, high": high})
    if not rows:
        return None
    table = pd.DataFrame(rows).set_index("Period")
    for column in (rate_label, "Likely range, low", "Likely range, high"):
        table[column] = table[column].astype("Float64")
    table[denominator_label] = table[denominator_label].astype("Int64")
    return table


def sworn_officers(sec: Section) -> int | None:
    """The agency's sworn strength from its configuration (``sworn_officers``), or None."""
    return sec.agency.model.sworn_officers


# --- Words and labels ----------------------------------------------------------------------------------


def period_change(sec: Section, id_field: str | None = None, where: pd.Series | None = None,
                  min_count: int | None = None) -> analysis.CountChange:
    """The period's count against the previous period's: the one comparison that a section's summary sentence
    and its trend chart's title both state (:func:`change_sentences`, :func:`change_title`). ``min_count``
    defaults to the agency's threshold; 1 states every count exactly (public events)."""
    return analysis.count_change(sec.count(sec.period, id_field, where), sec.count(sec.prior, id_field, where),
                                 sec.period.days, sec.prior.days, sec.min_count if min_count is None else min_count)


def change_sentences(sec: Section, label: str, singular: str, id_field: str | None = None,
                     where: pd.Series | None = None, min_count: int | None = None) -> list[str]:
    """The count for the period against the previous period and the same period last year, each with a
    judgement of whether the change is beyond normal variation (small counts never printed).

    ``min_count`` defaults to the agency's threshold; 1 states every count exactly (public events)."""
    min_count = sec.min_count if min_count is None else min_count
    prior_words, year_words = analysis.quarter_words(sec.period)
    change = period_change(sec, id_field, where, min_count)
    compared = analysis.compare_sentence(change.current, sec.count(sec.last_year, id_field, where), year_words,
                                         min_count, sec.period.days, sec.last_year.days)
    # analysis.compare_sentence writes a zero as "0" after a hidden count; a person writes "none".
    compared = compared.replace(f"In {year_words} there were 0.", f"In {year_words} there were none.")
    return [s for s in (analysis.describe_count_change(change, label, prior_words, singular), compared) if s]


def change_title(sec: Section, noun: str, id_field: str | None = None, where: pd.Series | None = None) -> str:
    """A trend chart's title: the summary's own comparison (the period against the previous period, the same
    numbers and the same exact test, from :func:`period_change`), never the chart's first quarter against its last.

    "Vehicle pursuits rose 7.7% from 13 in 2026Q2 to 14 in 2026Q3, within normal variation"; a hidden count is
    written "fewer than 5".
    """
    return analysis.change_title(noun, period_change(sec, id_field, where), sec.period.code, sec.prior.code)


def share_text(part: int | None, whole: int | None, min_count: int) -> str | None:
    """"12 (23.5%)", or None when either count may not be shown or the whole is 0."""
    if part is None or whole is None or whole == 0:
        return None
    if suppress_value(part, min_count) is None or suppress_value(whole, min_count) is None:
        return None
    return f"{fmt.count(part, min_count)} ({fmt.pct(part / whole)})"


# --- A published list of records (no counts to suppress) ------------------------------------------------


def listing(sec: Section, frame: pd.DataFrame, name: str, caption: str, note: str | None = None,
            empty: str = "There are no records to list for this period.") -> pd.DataFrame | None:
    """Publish a list of records (one row per event, no counts): write the CSV, show the table.

    :meth:`Section.table` needs count columns to suppress; a list has none. The caller chooses columns
    that may be published (never names, addresses, exact dates or narratives).
    """
    from IPython.display import display

    if frame is None or frame.empty:
        sec.say(empty)
        return None
    if not name.replace("_", "").isalnum():
        raise ValueError(f"table name '{name}' must be letters, digits and underscores")
    table = charts.round_table(frame.reset_index(drop=True))  # rounded once, as Section.table does
    path = sec.output_dir / "tables" / f"{sec.dataset}__{name}.csv"
    write_csv(table, path)
    sec.tables.append({"name": name, "caption": caption, "file": f"tables/{path.name}", "suppressed": 0})
    markup = charts.table_html(table, caption, note=note)
    download = f'<p class="table-download">Download this table: <a href="tables/{html.escape(path.name)}">{html.escape(path.name)}</a></p>'
    display({"text/html": markup + download, "text/plain": f"[Table] {caption}"}, raw=True)
    return table




def nothing_published(published: pd.DataFrame | None, columns: list[str]) -> bool:
    """True when a table was not published or every figure in these columns is hidden (a chart would be empty)."""
    if published is None or published.empty:
        return True
    return all(v is None for column in columns for v in published_values(published, column))


def leaders(published: pd.DataFrame | None, column: str) -> list[str]:
    """The labels that share the largest published value of a column (empty when nothing is published).
    "All other" and "Not recorded" are never leaders."""
    if published is None:
        return []
    values = pd.to_numeric(published[column], errors="coerce").astype("float64").dropna()
    values = values[[str(label) not in analysis.CATCH_ALL for label in values.index]]
    if values.empty or values.max() == 0:
        return []
    return [str(label) for label, value in values.items() if value == values.max()]


def most_title(published: pd.DataFrame | None, column: str, one: str, fallback: str, many: str | None = None) -> str:
    """A chart title that names the largest category, or every category tied for largest:
    "South had the most officers assaulted", "North and South had the most ...". ``one`` follows a single
    label, ``many`` (default ``one``) follows several; ``fallback`` when nothing is published."""
    labels = leaders(published, column)
    if not labels:
        return fallback
    if len(labels) > 3:
        return fallback
    return f"{fmt.join_words(labels)} {one if len(labels) == 1 else (many or one)}"


def published_values(published: pd.DataFrame | None, column: str) -> list:
    """A published column as plain numbers, with None where a figure is hidden."""
    if published is None:
        return []
    return [None if pd.isna(v) else (int(v) if float(v).is_integer() else float(v)) for v in published[column]]


# --- The section's key question, answered on the report's page 2 ---------------------------------------


def count_answer(sec: Section, question: str, noun: str, name: str, trend: pd.DataFrame | None = None,
                 column: str | None = None, id_field: str | None = None, where: pd.Series | None = None,
                 min_count: int | None = None, trend_label: str | None = None, table: str = "trend",
                 singular: str | None = None) -> answers.Answer:
    """A key question answered by a count and its change: the summary's own comparison (:func:`period_change`,
    the exact Poisson test), its verdict, both counts marked as the headline figures ``name`` and
    ``name_prior``, and the published table ``table``'s ``column`` (quarters as rows) as the small line.

    "51 use-of-force incidents this quarter, down 12.1% from 58 in the previous quarter: within normal variation."
    """
    change = period_change(sec, id_field, where, min_count)
    verdict, tone = answers.count_verdict(change)
    prior_words, _ = analysis.quarter_words(sec.period)
    period_words = "this quarter" if sec.period.kind in ("quarter", "fiscal_quarter") else "this period"
    parts = answers.count_parts(sec.dataset, name, change, sec.value(name), sec.value(f"{name}_prior"), noun,
                                period_words, prior_words, change.min_count, singular)
    judgement = change.judgement()
    parts.append(f": {judgement}." if judgement and change.current != change.previous else ".")
    points = answers.trend_points(sec.dataset, table, trend, column, trend_label or f"{noun.capitalize()} per quarter") \
        if column else None
    return answers.Answer(sec.dataset, question, verdict, tone, parts, points)
