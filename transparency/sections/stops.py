"""The stops section: traffic and pedestrian stops, who was stopped, searches, frisks, hit rates and how stops ended,
with the outcome (hit-rate) test and the veil-of-darkness test.

One row is one person stopped. Functions return raw counts and figures; the notebook publishes them
through :func:`publish` (``Section.table`` with this section's dependent figures declared), which
suppresses small counts, and draws charts from what was published. Rates are shown only for groups of
at least :func:`transparency.figures.disparity.min_base` stops (or searches).

An agency can have millions of stops a year, so the notebook opens its Section with ``columns=FIELDS`` and
``window=window``: it reads only the stops and the fields the section shows; every function gives the
same figures on a Section that holds the whole table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from transparency.core import fmt
from transparency.core.periods import Period, trailing_quarters
from transparency.figures import disparity
from transparency.figures.suppress import suppress_table
from transparency.writing import analysis, charts, narrative

from . import _common
from .section import Section

NOUN = "stops"
SOURCE_NOTE = "Source: the department's stop records. One stop is one person stopped."
TYPE_WORDS = {"traffic": "Traffic stops", "pedestrian": "Pedestrian stops", "other": "Other stops"}
OUTCOME_WORDS = {"none": "No action", "warning": "Warning", "citation": "Citation", "arrest": "Arrest"}
REF = disparity.REFERENCE
#: Districts shown by name; the rest are added up (a city with 77 precincts would fill pages).
DISTRICTS_SHOWN = 12
MINORITY = "Black"


# --- What the section reads ------------------------------------------------------------------------------

#: The fields the section reads besides the event date; the others are never loaded.
FIELDS = ("stop_type", "subject_race", "reason", "district", "frisk_performed", "search_conducted",
          "contraband_found", "outcome")
#: Quarters in the trend table and chart.
TREND_QUARTERS = 8


def window(period: Period) -> tuple[date, date]:
    """The dates the section's figures look at: from the first of the trend's quarters (or of the
    previous period, the same period a year earlier, the twelve months of the disparity tests, when
    earlier) to the end of the period."""
    starts = [trailing_quarters(period, TREND_QUARTERS)[0].start, period.start, period.previous().start,
              period.year_earlier().start, year_window(period).start]
    return min(starts), period.end


def values_in_data(sec: Section, field: str) -> set[str]:
    """The distinct values of a field over all the agency's stops (not only the ones the section holds)."""
    listed = sec.loaded.distinct.get(field)
    if listed is not None:
        return set(listed)
    return set(sec.data[field].dropna().astype(str))


# --- Publishing ------------------------------------------------------------------------------------------


#: The cells of the search-rate table that show headline figures (``searches__<race>``).
SEARCH_FIGURES = {"Searches": "searches__{row}"}


def published(frame: pd.DataFrame, min_count: int, count_columns: list[str] | None = None,
              rates: dict[str, str | list[str]] | None = None, ratio: str | None = None,
              ratio_counts: list[str] | None = None, decimals: int = 1, *, sec: Section | None = None,
              figures: dict | None = None) -> pd.DataFrame:
    """The table as :meth:`Section.table` will publish it (same suppression and rounding), for sentences and charts.

    ``ratio`` names a column that compares each row with the reference group's row: it is blanked in
    every row when any of the reference row's ``ratio_counts`` is hidden. With ``sec`` and
    ``figures``, cells that show headline figures are hidden as the section hides them
    (:meth:`Section.publishable`).
    """
    frame = blank_ratio(frame, min_count, count_columns, ratio, ratio_counts)
    if sec is not None:
        return charts.round_table(sec.publishable(frame, count_columns, rates, figures), decimals)
    result = suppress_table(frame, count_columns=count_columns, min_count=min_count)
    for rate_column, count_column in (rates or {}).items():
        result = result.blank_dependent(rate_column, count_column)
    return charts.round_table(result.table, decimals)


def blank_ratio(frame: pd.DataFrame, min_count: int, count_columns: list[str] | None, ratio: str | None,
                ratio_counts: list[str] | None) -> pd.DataFrame:
    """Blank a "times the reference rate" column when the reference row's counts would be hidden."""
    if not ratio or ratio not in frame or REF not in frame.index:
        return frame
    mask = suppress_table(frame, count_columns=count_columns, min_count=min_count).mask
    if mask.loc[REF, ratio_counts or count_columns].any():
        frame = frame.copy()
        frame[ratio] = pd.array([None] * len(frame), dtype="Float64")
    return frame


def publish(sec: Section, frame: pd.DataFrame | None, name: str, caption: str, *, count_columns: list[str] | None = None,
            rates: dict[str, str | list[str]] | None = None, ratio: str | None = None, **kwargs) -> pd.DataFrame | None:
    """Publish a table through ``Section.table``, first blanking a ratio column whose reference is hidden."""
    if frame is not None and not frame.empty:
        frame = blank_ratio(frame, sec.min_count, count_columns, ratio, count_columns)
    return sec.table(frame, name, caption, count_columns=count_columns, rates=rates, **kwargs)


# --- Periods ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The twelve months (four quarters) ending with the period: the span the disparity tests use."""

    start: date
    end: date

    def contains(self, series: pd.Series) -> pd.Series:
        """Rows whose local date falls in the window (missing times are outside)."""
        inside = (series >= pd.Timestamp(self.start)) & (series < pd.Timestamp(self.end))
        return inside.fillna(False).astype(bool)

    def words(self) -> str:
        last = (pd.Timestamp(self.end) - pd.Timedelta(days=1))
        first = pd.Timestamp(self.start)
        return f"{first:%B %Y} to {last:%B %Y}"


def year_window(period: Period) -> Window:
    """The four quarters that end with the period's last quarter (the period itself when it is a year)."""
    quarters = trailing_quarters(period, 4)
    start = min(quarters[0].start, period.start)
    return Window(start, quarters[-1].end)


def year_rows(sec: Section) -> pd.DataFrame:
    """Stops in the twelve months ending with the period."""
    return sec.data[year_window(sec.period).contains(sec.data[sec.event])]


# --- Summary ---------------------------------------------------------------------------------------------


def rate_words(value) -> str:
    return fmt.pct(float(value) / 100)


def summary(sec: Section) -> list[str]:
    """The opening sentences: the count and its change, the kinds of stop, searches and hit rate, the search gap."""
    current = sec.count(sec.period)
    sentences = _common.change_sentences(sec, NOUN, "stop")
    if not current:
        return [s for s in sentences if s]
    types = published(stop_types(sec), sec.min_count)["Stops"]
    if len(types) > 1:
        parts = [f"{fmt.count(n, sec.min_count)} {label.lower()}" for label, n in types.items() if not pd.isna(n) and n]
        if parts:
            sentences.append(f"They were {fmt.join_words(parts)}.")
    if sec.recorded("frisk_performed") and not sec.recorded("search_conducted"):
        frisked = int(disparity.as_flag(sec.rows["frisk_performed"]).fillna(False).sum())
        sentences.append(narrative.describe_share(frisked, current, "included a frisk", "stops", min_count=sec.min_count))
    searches = sec.value("searches")
    if searches is not None:
        sentences.append(narrative.describe_share(searches, current, "led to a search", "stops", min_count=sec.min_count))
        found = sec.value("searches_with_contraband")
        if searches and found is not None and searches >= disparity.min_base(sec.min_count):
            sentences.append(
                f"Officers found contraband, such as drugs or a weapon, in {fmt.pct(found / searches)} of the "
                f"{fmt.count(searches, sec.min_count)} searches. "
                "This share is called the hit rate."
            )
    rates = search_rates(sec)
    if rates is not None:
        shown = published(rates, sec.min_count, ["Stops", "Searches"], rates=rate_depends("Search rate (%)"),
                          ratio=RATIO, ratio_counts=["Stops", "Searches"], sec=sec, figures=SEARCH_FIGURES)
        gap = gap_sentence(shown, "Search rate (%)", "searched")
        if gap:
            sentences.append(gap)
    sentences.append(outcome_summary(sec))
    return [s for s in sentences if s]


def outcome_summary(sec: Section, minority: str = MINORITY) -> str | None:
    """One sentence on the outcome test over the last twelve months, for the summary (None when it cannot be said)."""
    table = hit_rates_year(sec)
    if table is None or minority not in table.index or REF not in table.index:
        return None
    shown = published(table, sec.min_count, ["Searches", "Found contraband"], rates=HIT_DEPENDS)
    mine, ref, finding = shown.loc[minority, "Hit rate (%)"], shown.loc[REF, "Hit rate (%)"], shown.loc[minority, "Finding"]
    if any(pd.isna(v) for v in (mine, ref, finding)):
        return None
    rates = f"({rate_words(mine)} against {rate_words(ref)})"
    if finding == disparity.FINDING_WORDS["lower"]:
        return (f"Over the last twelve months, searches of {minority} people found contraband less often than searches of "
                f"{REF} people {rates}, a gap larger than chance alone would produce (see the outcome test below).")
    if finding == disparity.FINDING_WORDS["higher"]:
        return (f"Over the last twelve months, searches of {minority} people found contraband more often than searches of "
                f"{REF} people {rates}, a gap larger than chance alone would produce.")
    return (f"Over the last twelve months, hit rates for {minority} and {REF} people {rates} did not differ by more than "
            "chance alone could produce.")


RATIO = f"Times the {REF} rate"


def rate_depends(rate_label: str, base: str = "Stops", count: str = "Searches") -> dict[str, list[str]]:
    """A rate table's dependent figures: each is blanked when its base or its count is hidden."""
    return {column: [base, count] for column in (rate_label, disparity.LOW, disparity.HIGH, RATIO)}


def gap_sentence(shown: pd.DataFrame, rate_label: str, verb: str, minority: str = MINORITY) -> str | None:
    """"Black people stopped were searched 2.5 times as often as White people (13.5% against 5.3%)."."""
    if minority not in shown.index or REF not in shown.index:
        return None
    mine, ref, ratio = shown.loc[minority, rate_label], shown.loc[REF, rate_label], shown.loc[minority, RATIO]
    if any(pd.isna(v) for v in (mine, ref, ratio)) or not ref:
        return None
    if abs(ratio - 1) < 0.05:
        return f"{minority} and {REF} people stopped were {verb} about as often as each other ({rate_words(mine)} and {rate_words(ref)})."
    return (f"{minority} people stopped were {verb} {disparity.ratio_words(ratio)} as often as {REF} people "
            f"({rate_words(mine)} against {rate_words(ref)}).")


# --- Trend, kinds of stop, reasons, districts ----------------------------------------------------------------


#: The trend table's cells that show headline figures, by column (``Section.period_figures``): the table
#: and metrics.json show one computation, hidden alike.
TREND_FIGURES = {"Stops": "stops", "Searches": "searches"}


def trend(sec: Section, quarters: int = TREND_QUARTERS) -> pd.DataFrame:
    """Stops (and searches, where recorded) per quarter for the last ``quarters`` quarters the data covers."""
    table = analysis.trend(sec.data, sec.event, sec.period, quarters)
    table = table.rename(columns={"quarter": "Quarter", "label": "Months", "count": "Stops"}).set_index("Quarter")
    if sec.recorded("search_conducted"):
        searched = sec.data[disparity.as_flag(sec.data["search_conducted"]).fillna(False).astype(bool)]
        counts = analysis.trend(searched, sec.event, sec.period, quarters, first_date=sec.data[sec.event].min())
        table["Searches"] = counts.set_index("quarter")["count"].reindex(table.index).fillna(0).astype("int64")
    return table


def trend_caption(sec: Section) -> str:
    return "Stops and searches per quarter" if sec.recorded("search_conducted") else "Stops per quarter"


def trend_chart(sec: Section, published_table: pd.DataFrame | None):
    """A line chart of stops per quarter, titled with the finding (searches are in the table)."""
    if not enough_quarters(published_table, "Stops"):
        return None
    series = {"Stops": [None if pd.isna(v) else int(v) for v in published_table["Stops"]]}
    title = _common.change_title(sec, NOUN)
    fig = charts.line_chart(list(published_table.index), series, title=title, value_label="Stops (count)", x_label="Quarter",
                            note=SOURCE_NOTE)
    alt = " ".join(analysis.series_alt("Line chart", f"{name.lower()} per quarter", list(published_table.index), values)
                   for name, values in series.items())
    return fig, alt


def stop_types(sec: Section) -> pd.DataFrame:
    """Stops this period by kind (traffic, pedestrian)."""
    table = analysis.breakdown(sec.rows, "stop_type", label="Kind of stop", count_label="Stops", order=list(TYPE_WORDS))
    table = table[(table["Stops"] > 0) | table.index.isin(["traffic", "pedestrian"])]
    if len(values_in_data(sec, "stop_type")) == 1:
        table = table[table["Stops"] > 0]
    table.index = [TYPE_WORDS.get(i, i) for i in table.index]
    table.index.name = "Kind of stop"
    return table


def reasons(sec: Section, top: int = 8) -> pd.DataFrame | None:
    """Stops this period by the reason given (the largest reasons, the rest added up)."""
    if not sec.recorded("reason"):
        return None
    return analysis.breakdown(sec.rows, "reason", label="Reason for the stop", count_label="Stops", top=top,
                              labels=sec.label("reason"))


def districts(sec: Section) -> pd.DataFrame | None:
    if not sec.recorded("district"):
        return None
    return analysis.breakdown(sec.rows, "district", label="District", count_label="Stops", top=DISTRICTS_SHOWN,
                              labels=sec.label("district"))


def bar(published_table: pd.DataFrame | None, column: str, *, title: str, value_label: str, noun: str,
        note: str = SOURCE_NOTE, value_format: str = "count"):
    """A bar chart of one published column with alt text listing every bar (None when nothing was published)."""
    if published_table is None or published_table.empty:
        return None
    values = [None if pd.isna(v) else float(v) for v in published_table[column]]
    if all(v is None for v in values):
        return None
    labels = [str(i) for i in published_table.index]
    fig = charts.bar_chart(labels, values, title=title, value_label=value_label, note=note, value_format=value_format)
    unit = "%" if value_format == "percent" else ""
    return fig, analysis.series_alt("Bar chart", noun, labels, values, unit=unit)


# The one rule for naming the most common category, shared by every section.
largest = analysis.largest


def enough_quarters(published_table: pd.DataFrame | None, column: str) -> bool:
    """A trend chart needs at least two published quarters; one point is a table, not a trend."""
    return published_table is not None and published_table[column].notna().sum() >= 2


def reason_chart(published_table: pd.DataFrame | None):
    if published_table is None:
        return None
    top = largest(published_table, "Stops")
    return bar(published_table, "Stops", title=f"“{top}” was the most common reason for a stop" if top else "Stops by reason",
               value_label="Stops (count)", noun="stops by reason")


def district_chart(published_table: pd.DataFrame | None):
    if published_table is None:
        return None
    top = largest(published_table, "Stops")
    return bar(published_table, "Stops", title=f"{top} had the most stops" if top else "Stops by district",
               value_label="Stops (count)", noun="stops by district")


# --- Who was stopped ------------------------------------------------------------------------------------------


def who(sec: Section) -> pd.DataFrame | None:
    """Stops by race beside the population: shares, rates per 1,000 residents with intervals, ratio to White."""
    if not sec.recorded("subject_race"):
        return None
    population = sec.agency.model.population
    return disparity.population_rates(sec.rows, population.by_race if population else None, count_label="Stops")


def who_chart(published_table: pd.DataFrame | None, smallest: int = disparity.MIN_BASE, *, count_label: str = "Stops",
              noun: str = "stops", verb: str = "stopped", note: str = SOURCE_NOTE):
    """A count per 1,000 residents by race with 95% intervals (or the share of the count, without population figures).

    ``count_label`` is the table's count column, ``noun`` what it counts (plural) and ``verb`` what happened to the
    people ("stopped", "cited", "arrested"), for the title.
    """
    if published_table is None or published_table.empty:
        return None
    if "Per 1,000 residents" in published_table:
        note = note + f" Residents are a weak benchmark: many people {verb} do not live in the city."
        rows = published_table[published_table.index != "Unknown"]
        values = [None if pd.isna(v) else float(v) for v in rows["Per 1,000 residents"]]
        if all(v is None for v in values):
            return None
        lows = [None if pd.isna(v) else float(v) for v in rows["Interval low"]]
        highs = [None if pd.isna(v) else float(v) for v in rows["Interval high"]]
        labels = [str(i) for i in rows.index]
        texts = [charts.published_texts(published_table, column, rows.index)
                 for column in ("Per 1,000 residents", "Interval low", "Interval high")]
        mine = rows["Per 1,000 residents"].get(MINORITY)
        ratio = rows[RATIO].get(MINORITY) if RATIO in rows else None
        if mine is not None and not pd.isna(mine) and ratio is not None and not pd.isna(ratio) and abs(ratio - 1) >= 0.05:
            title = f"{MINORITY} residents were {verb} at {disparity.ratio_words(ratio)} the {REF} rate"
        else:
            large = rows[rows[count_label].fillna(0) >= smallest]["Per 1,000 residents"].dropna()
            title = (f"{large.astype(float).idxmax()} residents had the highest rate among larger groups"
                     if not large.empty else f"{noun.capitalize()} per 1,000 residents, by race")
        fig = interval_chart(labels, values, lows, highs, title=title, value_label=f"{noun.capitalize()} per 1,000 residents",
                             note=note + " Lines show 95% intervals.", percent=False, texts=texts[0])
        return fig, interval_alt(f"Dot chart of {noun} per 1,000 residents by race", labels, values, *texts)
    share = f"Share of {noun} (%)"
    top = largest(published_table, count_label)
    return bar(published_table, share, value_label=share, noun=f"share of {noun} by race", note=note,
               title=f"{top} people made up the largest share of {noun}" if top else f"{noun.capitalize()} by race",
               value_format="percent")


def who_sentence(sec: Section, published_table: pd.DataFrame | None, noun: str = "stops") -> str:
    """How the rate for Black residents compares with that for White residents, or why it cannot be said."""
    if published_table is None:
        return ""
    if "Per 1,000 residents" not in published_table:
        return f"The department has not given population figures, so {noun} cannot be compared with residents."
    if MINORITY not in published_table.index or REF not in published_table.index:
        return ""
    mine, ref = published_table.loc[MINORITY, "Per 1,000 residents"], published_table.loc[REF, "Per 1,000 residents"]
    ratio = published_table.loc[MINORITY, RATIO]
    if any(pd.isna(v) for v in (mine, ref, ratio)):
        return ""
    compared = "about the same rate" if abs(ratio - 1) < 0.05 else f"{disparity.ratio_words(ratio)} the rate"
    return (f"For every 1,000 {MINORITY} residents there were {fmt.number(mine, 1)} {noun}, against {fmt.number(ref, 1)} for every "
            f"1,000 {REF} residents: {compared}.")


def race_rates(table: pd.DataFrame | None, count_label: str = "Stops") -> dict[str, str]:
    """The dependent figures of a by-race population table that it actually has (all rest on the count)."""
    if table is None:
        return {}
    columns = [f"Share of {count_label.lower()} (%)", "Per 1,000 residents", "Interval low", "Interval high", RATIO]
    return {column: count_label for column in columns if column in table.columns}


def race_note(table: pd.DataFrame | None = None) -> str | None:
    """The note under a by-race population table (None when it has no rates to explain)."""
    if table is not None and "Per 1,000 residents" not in table.columns:
        return None
    return ("Interval low and high: the range that very likely holds the true rate (a 95% interval). "
            f"“Times the {REF} rate” divides each group's rate by the rate for {REF} residents. "
            "Unknown has no population figure, so it has no rate.")


# --- Searches, frisks, hit rates ---------------------------------------------------------------------------------


def search_rates(sec: Section) -> pd.DataFrame | None:
    """Search rate by race: searches per stop, with a 95% interval and the ratio to the White rate."""
    if not (sec.recorded("search_conducted") and sec.recorded("subject_race")):
        return None
    return disparity.group_rates(sec.rows, "search_conducted", count_label="Searches", rate_label="Search rate (%)",
                                 smallest=disparity.min_base(sec.min_count))


def frisk_rates(sec: Section) -> pd.DataFrame | None:
    """Frisk rate by race: frisks per stop, with a 95% interval and the ratio to the White rate."""
    if not (sec.recorded("frisk_performed") and sec.recorded("subject_race")):
        return None
    return disparity.group_rates(sec.rows, "frisk_performed", count_label="Frisks", rate_label="Frisk rate (%)",
                                 smallest=disparity.min_base(sec.min_count))


HIT_COLUMNS = ["Searches", "Found contraband", "Hit rate (%)", disparity.LOW, disparity.HIGH,
               f"Difference from {REF} (points)", "Finding"]
HIT_DEPENDS = {column: ["Searches", "Found contraband"] for column in HIT_COLUMNS[2:]}
HIT_NOTE = (f"Lower or Higher: the gap from {REF} people is larger than chance alone would produce (less than 5 times in 100). "
            "No clear gap: chance alone could produce it. Interval: the range that very likely holds the true hit rate.")


def hit_rates(sec: Section, rows: pd.DataFrame | None = None) -> pd.DataFrame | None:
    """The outcome test: hit rate by race (contraband found per search), each compared with the White hit rate."""
    if not (sec.recorded("search_conducted") and sec.recorded("contraband_found") and sec.recorded("subject_race")):
        return None
    rows = sec.rows if rows is None else rows
    table = disparity.outcome_test(rows, smallest=disparity.min_base(sec.min_count))
    table = table[table["Searches"] > 0]
    return table[HIT_COLUMNS]


def hit_rates_year(sec: Section) -> pd.DataFrame | None:
    """The outcome test over the twelve months ending with the period (more searches, steadier rates)."""
    return hit_rates(sec, year_rows(sec))


def outcome_test_sentences(sec: Section, rows: pd.DataFrame | None = None, when: str = "this period") -> list[str]:
    """What the outcome test found, in plain words, from the figures as published (never from hidden ones)."""
    if not (sec.recorded("search_conducted") and sec.recorded("contraband_found") and sec.recorded("subject_race")):
        return []
    rows = sec.rows if rows is None else rows
    full = disparity.outcome_test(rows, smallest=disparity.min_base(sec.min_count))
    full = full[full["Searches"] > 0]
    shown = published(full[HIT_COLUMNS], sec.min_count, ["Searches", "Found contraband"], rates=HIT_DEPENDS)
    smallest = disparity.min_base(sec.min_count)
    if REF not in shown.index or pd.isna(shown.loc[REF, "Hit rate (%)"]):
        return [f"There were too few searches of {REF} people {when} (fewer than {smallest}) to run the outcome test."]
    sentences = []
    for race in shown.index:
        if race in (REF, "Unknown"):
            continue
        rate = shown.loc[race, "Hit rate (%)"]
        if pd.isna(rate):
            continue
        ref_rate = shown.loc[REF, "Hit rate (%)"]
        finding = full.loc[race, "Finding"]
        low, high = full.loc[race, "Difference low"], full.loc[race, "Difference high"]
        opening = (f"{when.capitalize()}, searches of {race} people found contraband {rate_words(rate)} of the time, "
                   f"against {rate_words(ref_rate)} for {REF} people")
        if finding == disparity.FINDING_WORDS["lower"]:
            sentences.append(f"{opening}. A gap this large would come about by chance less than 5 times in 100 "
                             f"(the true gap is likely between {fmt.number(abs(high), 1)} and {fmt.number(abs(low), 1)} points).")
        elif finding == disparity.FINDING_WORDS["higher"]:
            sentences.append(f"{opening}. That is higher, by more than chance alone would explain.")
        else:
            sentences.append(f"{opening}. The gap is within what chance alone could produce.")
    return sentences


RATE_TITLES = {
    # rate column -> (what the minority group had done to it, how to say "more/less often")
    "Search rate (%)": "searched",
    "Frisk rate (%)": "frisked",
}


def rate_title(shown: pd.DataFrame, rate_label: str, fallback: str, minority: str = MINORITY) -> str:
    """A chart title that states the finding: the minority group's rate against the reference group's."""
    rates = shown[rate_label]
    if minority in shown.index and REF in shown.index and not pd.isna(rates[minority]) and not pd.isna(rates[REF]) and rates[REF]:
        mine, ref = float(rates[minority]), float(rates[REF])
        if rate_label == "Hit rate (%)":
            if abs(mine - ref) < 0.05 * ref:
                return f"Searches of {minority} and {REF} people found contraband about as often"
            return f"Searches of {minority} people found contraband {'less' if mine < ref else 'more'} often"
        verb = RATE_TITLES.get(rate_label)
        if verb:
            ratio = mine / ref
            if abs(ratio - 1) < 0.05:
                return f"{minority} and {REF} people were {verb} about as often"
            return f"{minority} people were {verb} {disparity.ratio_words(ratio)} as often as {REF} people"
    known = rates.drop(index=["Unknown"], errors="ignore").dropna()
    if known.empty:
        return fallback
    return f"{known.astype(float).idxmax()} people had the highest {fallback.lower()}"


def rate_chart(published_table: pd.DataFrame | None, rate_label: str, *, noun: str, fallback_title: str,
               value_label: str, note: str = SOURCE_NOTE):
    """A dot for each group's rate with a line for its 95% interval; groups without a published rate say "not shown"."""
    if published_table is None or published_table.empty:
        return None
    rows = published_table[published_table.index != "Unknown"]
    values = [None if pd.isna(v) else float(v) for v in rows[rate_label]]
    if all(v is None for v in values):
        return None
    lows = [None if pd.isna(v) else float(v) for v in rows[disparity.LOW]]
    highs = [None if pd.isna(v) else float(v) for v in rows[disparity.HIGH]]
    labels = [str(i) for i in rows.index]
    texts = [charts.published_texts(published_table, column, rows.index) for column in (rate_label, disparity.LOW, disparity.HIGH)]
    fig = interval_chart(labels, values, lows, highs, title=rate_title(rows, rate_label, fallback_title), value_label=value_label,
                         note=note + " Lines show 95% intervals. Rates for groups with too few cases are not shown.", texts=texts[0])
    return fig, interval_alt(f"Dot chart of {noun}", labels, values, *texts, unit="%")


def interval_alt(kind: str, labels, values, value_texts, low_texts, high_texts, unit: str = "") -> str:
    """Alt text listing each group's value and interval, each written as the published table shows it
    (``*_texts`` from :func:`transparency.writing.charts.published_texts`)."""
    parts = []
    for label, value, text, low, high in zip(labels, values, value_texts, low_texts, high_texts):
        if value is None:
            parts.append(f"{label} not shown")
        else:
            parts.append(f"{label} {text}{unit} (interval {low}{unit} to {high}{unit})")
    return f"{kind}: " + "; ".join(parts) + "."


def interval_chart(labels: list[str], values: list[float | None], lows: list[float | None], highs: list[float | None], *,
                   title: str, value_label: str, note: str, percent: bool = True, texts: list[str] | None = None):
    """Horizontal dot-and-line chart of rates with their intervals (the report's palette and style).

    ``texts`` are the value labels as the published table shows them (default: :func:`transparency.writing.charts.column_texts`
    of ``values``)."""
    texts = charts.column_texts(values) if texts is None else texts
    height = max(2.6, 0.42 * len(labels) + 1.7)
    fig, ax = charts.new_chart(title=title, note=note, height=height)
    positions = list(range(len(labels)))
    top = max([h for h in highs if h is not None] + [v for v in values if v is not None] + [1.0])
    unit = "%" if percent else ""
    for y, value, low, high, text in zip(positions, values, lows, highs, texts):
        if value is None:
            ax.text(0, y, f"  {charts.NOT_PUBLISHED}", va="center", ha="left", fontsize=8.5, color=charts.TEXT_GREY)
            continue
        if low is not None and high is not None:
            ax.plot([low, high], [y, y], color=charts.COLORS[0], linewidth=2, solid_capstyle="butt")
        ax.plot([value], [y], marker="o", markersize=7, color=charts.COLORS[0])
        ax.annotate(f"{text}{unit}", (high if high is not None else value, y), xytext=(6, 0),
                    textcoords="offset points", va="center", fontsize=8.5, color="#222222")
    ax.set_yticks(positions, labels)
    ax.set_xlim(0, top * 1.22)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.xaxis.set_major_formatter(charts._axis_formatter("percent" if percent else "number"))
    ax.set_xlabel(value_label)
    ax.grid(axis="x")
    ax.set_axisbelow(True)
    return fig


# --- How stops ended --------------------------------------------------------------------------------------------


def outcomes(sec: Section) -> pd.DataFrame | None:
    """Stops this period by race and how they ended (the most serious result of each stop)."""
    if not (sec.recorded("outcome") and sec.recorded("subject_race")):
        return None
    present = values_in_data(sec, "outcome")
    columns = [o for o in OUTCOME_WORDS if o in present]
    rows = sec.rows
    labels = rows["subject_race"].astype("string").fillna("Unknown")
    outcome = rows["outcome"].astype("string").fillna("not_recorded")
    table = pd.crosstab(labels, outcome)
    if "not_recorded" in table.columns:
        columns.append("not_recorded")
    order = [r for r in disparity.race_order() if r in table.index]
    table = table.reindex(index=order, columns=columns, fill_value=0).astype("int64")
    words = dict(OUTCOME_WORDS)
    if present <= {"none", "arrest"}:  # the department records only whether the stop ended in an arrest
        words["none"] = "No arrest"
    table.columns = [words.get(c, "Not recorded") for c in table.columns]
    table.index.name = "Race"
    return table


def outcome_chart(published_table: pd.DataFrame | None, smallest: int):
    """Each group's stops split by outcome (shares), for groups whose counts are all published and large enough."""
    if published_table is None or published_table.empty:
        return None
    counts = published_table.drop(columns=[c for c in published_table.columns if not str(c)[0].isupper()], errors="ignore")
    complete = counts.dropna()
    complete = complete[(complete.sum(axis=1) >= smallest) & (complete.index != "Unknown")]
    if complete.empty:
        return None
    fractions = complete.div(complete.sum(axis=1), axis=0).astype(float)
    shares = fractions.mul(100)
    # One text per share, used by the bar labels, the title and the alt text alike.
    texts = fractions.map(fmt.pct)
    height = max(2.6, 0.45 * len(shares) + 2.0)
    fig, ax = charts.new_chart(title=outcome_title(shares, texts),
                               note=SOURCE_NOTE + f" Groups with fewer than {smallest} stops or a hidden count are left out.",
                               height=height)
    left = pd.Series(0.0, index=shares.index)
    positions = list(range(len(shares)))
    for index, column in enumerate(shares.columns):
        color = charts.COLORS[index % len(charts.COLORS)]
        ax.barh(positions, shares[column], left=left, color=color, label=column, height=0.65)
        for y, (share, start, text) in enumerate(zip(shares[column], left, texts[column])):
            if share >= 8:  # room for "12.3%" inside the bar
                ax.text(start + share / 2, y, text, ha="center", va="center", fontsize=8,
                        color="white" if index in (0, 3, 6) else "#222222")
        left = left + shares[column]
    ax.set_yticks(positions, list(shares.index))
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(charts._axis_formatter("percent"))
    ax.set_xlabel("Share of the group's stops (%)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=len(shares.columns), fontsize=8.5)
    parts = [f"{race}: " + ", ".join(f"{column.lower()} {text}" for column, text in row.items())
             for race, row in texts.iterrows()]
    return fig, "Stacked bar chart of how stops ended, as shares of each group's stops. " + "; ".join(parts) + "."


def outcome_title(shares: pd.DataFrame, texts: pd.DataFrame, minority: str = MINORITY) -> str:
    """The finding of the outcome chart: the arrest share of the minority and reference groups' stops
    (``texts``: the shares as the chart labels them)."""
    if "Arrest" in shares and minority in shares.index and REF in shares.index:
        mine, ref = texts.loc[minority, "Arrest"], texts.loc[REF, "Arrest"]
        return f"Arrests ended {mine} of stops of {minority} people and {ref} of {REF}"
    most = shares.mean().idxmax()
    return f"“{most}” was the most common result of a stop"


# --- The veil-of-darkness test -----------------------------------------------------------------------------------


def veil(sec: Section) -> disparity.VeilResult | None:
    """The veil-of-darkness test on traffic stops in the twelve months ending with the period (None when not possible)."""
    if not (sec.recorded("subject_race")):
        return None
    rows = year_rows(sec)
    rows = rows[rows["stop_type"] == "traffic"]
    location = sec.agency.model.location
    return disparity.veil_of_darkness(
        rows, location.lat if location else None, location.lon if location else None, sec.agency.timezone,
        district="district" if sec.recorded("district") else None, smallest=disparity.min_base(sec.min_count),
    )


def veil_table(result: disparity.VeilResult | None) -> pd.DataFrame | None:
    """Stops of Black and White drivers in daylight and after dark, at the clock times that are light on some days and dark on others."""
    if result is None or result.counts is None:
        return None
    counts = result.counts.copy()
    table = pd.DataFrame({
        f"Stops of {result.minority} drivers": counts[result.minority],
        f"Stops of {result.reference} drivers": counts[result.reference],
    })
    shares = [disparity.proportion(m, m + r, 1) for m, r in zip(counts[result.minority], counts[result.reference])]
    table[f"{result.minority} share (%)"] = pd.array([s[0] for s in shares], dtype="Float64")
    table[disparity.LOW] = pd.array([s[1] for s in shares], dtype="Float64")
    table[disparity.HIGH] = pd.array([s[2] for s in shares], dtype="Float64")
    table.index = ["In daylight (before sunset)", "After dark (after dusk)"]
    table.index.name = "Light"
    return table


def veil_depends(result: disparity.VeilResult | None) -> dict[str, list[str]]:
    if result is None:
        return {}
    counts = [f"Stops of {result.minority} drivers", f"Stops of {result.reference} drivers"]
    return {column: counts for column in (f"{result.minority} share (%)", disparity.LOW, disparity.HIGH)}


def veil_model_table(result: disparity.VeilResult | None) -> pd.DataFrame | None:
    """The logistic models' odds ratio for darkness, with its 95% interval, and what it means."""
    if result is None or result.status != "ok":
        return None
    used = int(result.counts.to_numpy().sum())
    rows = [("Clock time", result.odds_ratio, result.odds_low, result.odds_high, result.p_value)]
    if result.odds_ratio_district is not None:
        rows.append(("Clock time and district", result.odds_ratio_district, result.odds_low_district,
                     result.odds_high_district, result.p_value_district))
    table = pd.DataFrame(
        {
            "Stops used": [used] * len(rows),
            "Odds ratio, dark against daylight": pd.array([r[1] for r in rows], dtype="Float64"),
            "Interval low": pd.array([r[2] for r in rows], dtype="Float64"),
            "Interval high": pd.array([r[3] for r in rows], dtype="Float64"),
            "Finding": [veil_finding(r[1], r[4]) for r in rows],
        },
        index=pd.Index([r[0] for r in rows], name="What the model takes into account"),
    )
    return table


VEIL_NOTE = ("An odds ratio below 1 means Black drivers made up a smaller share of the stops of Black and White drivers "
             "after dark than in daylight at the same time of day; 1 means no difference; above 1, a larger share. Interval low and high: the range "
             "that very likely holds the true odds ratio (a 95% interval).")


def veil_finding(odds_ratio: float, p_value: float) -> str:
    """The model's result in words for the table."""
    if p_value >= disparity.ALPHA:
        return "No clear gap"
    return "Smaller share after dark, beyond chance" if odds_ratio < 1 else "Larger share after dark, beyond chance"


def veil_sentences(sec: Section, result: disparity.VeilResult | None) -> list[str]:
    """What the veil-of-darkness test found, or why it could not be run, in plain words (with how many stops
    were left out because their time of day was not recorded)."""
    sentences = _veil_findings(sec, result)
    if result is not None and result.time_unknown:
        shown = fmt.count(result.time_unknown, sec.min_count)
        one = shown == "1"
        sentences.append(f"{shown[0].upper()}{shown[1:]} traffic {'stop' if one else 'stops'} from {year_window(sec.period).words()} "
                         f"{'has' if one else 'have'} a date but no recorded time of day, so the test leaves "
                         f"{'it' if one else 'them'} out.")
    return sentences


def _veil_findings(sec: Section, result: disparity.VeilResult | None) -> list[str]:
    window = year_window(sec.period).words()
    if result is None:
        return ["The department does not record the race of the people stopped, so the veil-of-darkness test cannot be run."]
    if result.status == "no_location":
        return ["The report does not know where the department is, so it cannot work out sunset times for this test."]
    if result.status == "no_stops":
        if "traffic" not in values_in_data(sec, "stop_type"):
            return ["The department's records hold no traffic stops, so the veil-of-darkness test, which is about drivers, "
                    "cannot be run."]
        return [f"There were no traffic stops with a recorded time from {window}, so the veil-of-darkness test cannot be run."]
    start, end = (disparity.clock(v) for v in result.window)
    scope = (f"The test uses traffic stops from {window} made between {start} and {end}, the hours that are light on some "
             "days of the year and dark on others.")
    if result.status == "too_few":
        return [scope, f"There were too few stops of {result.minority} or {result.reference} drivers in daylight or after dark "
                f"(fewer than {disparity.min_base(sec.min_count)} in one of them) to run the test."]
    if result.status == "model_failed":
        return [scope, "The statistical model could not be fitted to these stops, so no result is given."]
    light, dark = result.share("Daylight"), result.share("Dark")
    # The share is of the two groups' stops only: drivers of other races are not in the test.
    shares = (f"Of the stops of {result.minority} or {result.reference} drivers in the test, {result.minority} drivers made up "
              f"{fmt.pct(light)} in daylight and {fmt.pct(dark)} after dark. Drivers of other races are not part of this test.")
    interval = f"(95% interval {fmt.number(result.odds_low, 2)} to {fmt.number(result.odds_high, 2)})"
    if not result.beyond_chance:
        verdict = (f"After taking clock time into account, the difference is within what chance alone could produce "
                   f"{interval}. The test finds no clear sign that race played a part in who was stopped, but it cannot rule it out.")
    elif result.odds_ratio < 1:
        verdict = (f"At the same clock time, {result.minority} drivers were less likely to be among those stopped after dark, "
                   f"when race is harder to see. The odds were {fmt.number(result.odds_ratio, 2)} times those in daylight {interval}, "
                   "more than chance alone would explain. This is a sign that race may have played a part in some daylight stops.")
    else:
        verdict = (f"At the same clock time, {result.minority} drivers were more likely to be among those stopped after dark. "
                   f"The odds were {fmt.number(result.odds_ratio, 2)} times those in daylight {interval}. This is the opposite "
                   "of what the test looks for, so it gives no sign that race played a part in daylight stops.")
    return [scope, shares, verdict]


# --- Notes --------------------------------------------------------------------------------------------------


def method_notes(sec: Section) -> list[str]:
    """How the figures are counted, with this report's thresholds and windows (from the code, never typed in)."""
    smallest = disparity.min_base(sec.min_count)
    searches, frisks = sec.recorded("search_conducted"), sec.recorded("frisk_performed")
    traffic = "traffic" in values_in_data(sec, "stop_type")
    notes = ["A stop is counted in the quarter it happened, by the local date. One stop is one person stopped."]
    if searches or frisks:
        kinds = fmt.join_words([k for k, on in (("search", searches), ("frisk", frisks)) if on], "or")
        hit = f" or {smallest} searches (for a hit rate)" if searches and sec.recorded("contraband_found") else ""
        notes += [
            f"A rate is shown only for a group with at least {smallest} stops (for a {kinds} rate){hit}. Smaller groups "
            "give rates that swing too much from chance to mean anything.",
            "The range shown with each rate is a 95% interval: the true rate is very likely inside it. Narrow ranges come "
            "from large groups; wide ones from small groups.",
        ]
    tests = [t for t, on in (("the outcome test", searches and sec.recorded("contraband_found")),
                              ("the veil-of-darkness test", traffic)) if on]
    if tests:
        notes.append(f"{fmt.join_words(tests).capitalize()} also use the twelve months from {year_window(sec.period).words()}, "
                     "because one quarter often holds too few searches or evening stops for a firm answer.")
        notes.append("A difference is called beyond chance when chance alone would produce one that large less than 5 times in 100.")
    if sec.recorded("outcome"):
        notes.append("Stops with more than one result are counted once, under the most serious: arrest, then citation, then warning.")
    if sec.recorded("subject_race"):
        notes.append("Stops whose race, search or frisk was not recorded are left out of the rates that need it.")
    return notes


def bullets(items: list[str]) -> None:
    """Show sentences as a bulleted list (escaped), for method notes."""
    import html

    from IPython.display import HTML, display

    shown = [item for item in items if item and item.strip()]
    if shown:
        display(HTML("<ul>" + "".join(f"<li>{html.escape(item)}</li>" for item in shown) + "</ul>"))



# --- The key question, answered on the report's page 2 -----------------------------------------------------------


def veil_words(result: disparity.VeilResult | None) -> str:
    """The veil-of-darkness test's verdict in one sentence for page 2 (the words of :func:`veil_sentences`, shortened)."""
    if result is None or result.status != "ok":
        return "The darkness test could not be run (see the section for why)."
    if not result.beyond_chance:
        return "The darkness test found no clear sign that race played a part in who was stopped."
    if result.odds_ratio < 1:
        return (f"The darkness test found a sign that race may have played a part in some daylight stops: {result.minority} "
                "drivers made up a smaller share of the stops after dark, when race is harder to see.")
    return "The darkness test gave no sign that race played a part in daylight stops."


def key_answer(sec: Section, published_trend: pd.DataFrame | None, published_searches: pd.DataFrame | None,
               darkness: disparity.VeilResult | None, minority: str = MINORITY):
    """Are stops, searches and their outcomes different by race? The search rates of ``minority`` and White people as
    the published search-rate table shows them, the gap between them with its 95% interval and test (Newcombe's
    interval and the two-proportion test, :func:`transparency.figures.disparity.compare_proportions`), which gives the
    verdict, and the veil-of-darkness test's verdict. Gaps beyond chance, here and in the outcome test over twelve
    months, are findings."""
    from transparency.figures import answers

    question = "Are stops, searches and their outcomes different by race?"
    points = answers.trend_points(sec.dataset, "trend", published_trend, "Stops", "Stops per quarter")
    rate = "Search rate (%)"
    shown = published_searches
    usable = (shown is not None and {minority, REF} <= set(shown.index)
              and not shown.loc[[minority, REF], ["Stops", "Searches", rate]].isna().any().any())
    if not usable:
        return answers.Answer(sec.dataset, question, "Too few to test", answers.UNKNOWN,
                              [f"There were too few searches, or stops of {minority} or {REF} people, to compare search rates. ",
                               veil_words(darkness)], points)
    mine, ref = float(shown.loc[minority, rate]), float(shown.loc[REF, rate])
    gap = disparity.compare_proportions(int(shown.loc[minority, "Searches"]), int(shown.loc[minority, "Stops"]),
                                        int(shown.loc[REF, "Searches"]), int(shown.loc[REF, "Stops"]))
    cells = [answers.cell(sec.dataset, "search_rates", minority, rate, mine, fmt.number(mine, 1) + "%"),
             answers.cell(sec.dataset, "search_rates", REF, rate, ref, fmt.number(ref, 1) + "%")]
    interval = (f"the gap of {fmt.number(abs(gap.difference), 1)} points is likely between "
                f"{fmt.number(min(abs(gap.low), abs(gap.high)), 1)} and {fmt.number(max(abs(gap.low), abs(gap.high)), 1)} points"
                if gap.low * gap.high > 0 else
                f"the gap is likely between {fmt.number(gap.low, 1)} and {fmt.number(gap.high, 1)} points")
    said = "larger than chance alone would produce" if gap.beyond_chance else "within what chance alone could produce"
    parts = [f"This quarter, {minority} people stopped were searched in ", cells[0], " of their stops, against ",
             cells[1], f" for {REF} people ({interval}: {said}). ", veil_words(darkness)]
    verdict, tone = answers.gap_verdict(gap.beyond_chance, gap.difference, minority, f"{REF} people")
    made = answers.Answer(sec.dataset, question, verdict, tone, parts, points)
    if gap.beyond_chance:
        made.findings.append(answers.Finding(sec.dataset, "disparity", [
            f"Stops: {minority} people stopped were searched in ", dict(cells[0]), " of their stops, against ", dict(cells[1]),
            f" for {REF} people, a gap larger than chance alone would produce."], gap.p_value))
    if darkness is not None and darkness.status == "ok" and darkness.beyond_chance and darkness.odds_ratio < 1:
        made.findings.append(answers.Finding(sec.dataset, "disparity", [
            f"Stops: {minority} drivers made up a smaller share of traffic stops after dark than in daylight at the same "
            "time of day, more than chance alone would explain (the veil-of-darkness test)."], darkness.p_value))
    made.findings += outcome_findings(sec, minority)
    return made


def outcome_findings(sec: Section, minority: str = MINORITY) -> list:
    """The outcome test over the last twelve months as a finding, when ``minority`` people's hit rate differs from
    White people's by more than chance (the rates as the published twelve-month table shows them)."""
    from transparency.figures import answers

    if not (sec.recorded("search_conducted") and sec.recorded("contraband_found") and sec.recorded("subject_race")):
        return []
    full = disparity.outcome_test(year_rows(sec), smallest=disparity.min_base(sec.min_count))
    full = full[full["Searches"] > 0]
    if minority not in full.index or REF not in full.index or pd.isna(full.loc[minority, "p_value"]):
        return []
    shown = published(full[HIT_COLUMNS], sec.min_count, ["Searches", "Found contraband"], rates=HIT_DEPENDS)
    mine, ref = shown.loc[minority, "Hit rate (%)"], shown.loc[REF, "Hit rate (%)"]
    p_value = float(full.loc[minority, "p_value"])
    if pd.isna(mine) or pd.isna(ref) or p_value >= disparity.ALPHA:
        return []
    column = "Hit rate (%)"
    words = "less" if mine < ref else "more"
    return [answers.Finding(sec.dataset, "disparity", [
        f"Stops: over the last twelve months, searches of {minority} people found contraband {words} often than searches of "
        f"{REF} people (", answers.cell(sec.dataset, "hit_rates_year", minority, column, float(mine), fmt.number(mine, 1) + "%"),
        " against ", answers.cell(sec.dataset, "hit_rates_year", REF, column, float(ref), fmt.number(ref, 1) + "%"),
        "), a gap larger than chance alone would produce (the outcome test)."], p_value)]
