"""The vehicle pursuits section: pursuits and their trend, why they started, how they ended, crashes,
injuries and deaths, whether they followed policy, districts, and the rate per 100 sworn officers.

One row is one pursuit (``pursuit_id`` is unique). ``injuries`` and ``fatalities`` are numbers of people;
``crash`` and ``policy_compliant`` are true/false/unknown.
"""

from __future__ import annotations

import pandas as pd

from transparency.core import fmt
from transparency.figures.stats import proportion_change, wilson_interval
from transparency.figures.suppress import suppress_value
from transparency.writing import analysis, charts

from . import _common
from .section import Section
from .use_of_force import bar, titled

NOUN = "vehicle pursuits"
SINGULAR = "vehicle pursuit"
SOURCE_NOTE = "Source: the department's vehicle pursuit records. One record is one pursuit."
RATE_UNIT = "per 100 sworn officers"
POLICY_WORDS = {True: "Within policy", False: "Not within policy"}

__all__ = [
    "crash_change_sentence", "crash_share", "every_pursuit_crashed", "districts", "harm", "how_ended", "policy", "rates", "reason_chart", "reasons",
    "summary", "trend", "trend_chart", "year_window", "year_words",
]


def _flag(rows: pd.DataFrame, field_name: str) -> pd.Series:
    return rows[field_name].fillna(False).astype(bool)


def _people(rows: pd.DataFrame, field_name: str) -> int:
    return int(rows[field_name].fillna(0).sum())


def summary(sec: Section) -> list[str]:
    """Pursuits against the earlier periods; crashes with their likely range; injuries, deaths, policy; the rate."""
    sentences = _common.change_sentences(sec, NOUN, SINGULAR)
    pursuits = sec.count(sec.period)
    if not pursuits:
        return sentences
    min_count = sec.min_count
    if every_pursuit_crashed(sec):
        sentences.append("Every pursuit in this data ended in a crash, so the share that crashed is not shown.")
    elif sec.recorded("crash"):
        crashes = int(_flag(sec.rows, "crash").sum())
        sentences.append(crash_sentence(crashes, pursuits, min_count))
        previous = sec.count(sec.prior)
        previous_crashes = sec.count(sec.prior, where=_flag(sec.data, "crash"))
        if previous and suppress_value(previous_crashes, min_count) is not None and suppress_value(crashes, min_count) is not None:
            prior_words, _ = analysis.quarter_words(sec.period)
            # The share of pursuits that crashed, compared as a share (Fisher's exact test).
            judgement = proportion_change(crashes, pursuits, previous_crashes, previous).judgement()
            sentences.append(f"In {prior_words} the share was {fmt.pct(previous_crashes / previous)}: {judgement}.")
    harm_words = []
    for field_name, verb in (("injuries", "injured"), ("fatalities", "killed")):
        if sec.recorded(field_name):
            people = _people(sec.rows, field_name)
            amount = "no one" if people == 0 else f"{fmt.count(people, min_count)} {fmt.plural(suppress_value(people, min_count), 'person', 'people')}"
            harm_words.append(f"{amount} {'were' if people > 1 or (0 < people < min_count) else 'was'} {verb}")
    if harm_words:
        sentence = fmt.join_words(harm_words)
        sentences.append(f"In these pursuits, {sentence}.")
    if sec.recorded("policy_compliant"):
        reviewed = sec.rows["policy_compliant"].dropna()
        outside = int((~reviewed.astype(bool)).sum())
        if len(reviewed) and suppress_value(len(reviewed), min_count) is not None:
            if outside == 0:
                sentences.append(f"Reviews found all {fmt.count(len(reviewed), min_count)} reviewed pursuits within policy.")
            else:
                share = _common.share_text(outside, len(reviewed), min_count)
                amount = share if share else f"fewer than {min_count}"
                sentences.append(f"Of the {fmt.count(len(reviewed), min_count)} pursuits reviewed so far, {amount} "
                                 "were found not to follow policy.")
    sworn = _common.sworn_officers(sec)
    if sworn:
        sentences.append(_common.rate_sentence(_common.rate(pursuits, sworn, 100),
                                               "For every 100 sworn officers, there were {rate} pursuits.", min_count))
    return [s for s in sentences if s]


def every_pursuit_crashed(sec: Section) -> bool:
    """True when every pursuit in the data ended in a crash (a file of crashes only, such as one of fatal
    crashes): a crash share would then describe the file, not the pursuits."""
    return sec.recorded("crash") and bool(_flag(sec.data, "crash").all())


def _percent_range(crashes: int, pursuits: int) -> tuple[float, float]:
    """The Wilson interval, rounded so that an end at 0 or 1 reads as 0% or 100%."""
    low, high = wilson_interval(crashes, pursuits)
    return round(low, 6), round(high, 6)


def crash_sentence(crashes: int, pursuits: int, min_count: int) -> str:
    """"Of the 13 pursuits, 5 (38.5%) ended in a crash. Allowing for chance, the share is likely between 17.7% and 64.5%."."""
    if crashes == 0:
        return "None of them ended in a crash."
    shown = _common.share_text(crashes, pursuits, min_count)
    if shown is None:
        return f"Fewer than {min_count} of them ended in a crash."
    low, high = _percent_range(crashes, pursuits)
    return (f"Of these pursuits, {shown} ended in a crash. Allowing for chance, the share is likely between "
            f"{fmt.pct(low)} and {fmt.pct(high)}.")


def year_window(sec: Section) -> _common.Span:
    """The twelve months (four quarters) that end with the period: the window of the breakdowns."""
    return _common.trailing_span(sec.period, 4)


def year_rows(sec: Section) -> pd.DataFrame:
    return sec.data[year_window(sec).contains(sec.data[sec.event])]


def year_words(sec: Section) -> str:
    """The twelve months in words, or the part of them the data covers."""
    return _common.covered_words(sec.data, sec.event, year_window(sec))


#: The trend table's cells that show headline figures, by column (``Section.period_figures``): the table
#: and metrics.json show one computation, hidden alike.
TREND_FIGURES = {"Pursuits": "pursuits"}


def trend(sec: Section, quarters: int = 8) -> pd.DataFrame:
    """Pursuits per quarter.

    Crashes are not a second column: a quarter holds few of them, and a column of small counts beside the
    pursuits would force most of the table to be hidden. Crashes are shown over twelve months instead.
    """
    table = analysis.trend(sec.data, sec.event, sec.period, quarters)
    return table.rename(columns={"quarter": "Quarter", "label": "Months", "count": "Pursuits"}).set_index("Quarter")


def trend_chart(sec: Section, published: pd.DataFrame | None):
    if published is None:
        return None
    values = _common.published_values(published, "Pursuits")
    title = _common.change_title(sec, NOUN)
    fig = charts.line_chart(list(published.index), {"Pursuits": values}, title=title, value_label="Pursuits (count)",
                            x_label="Quarter", note=SOURCE_NOTE)
    return titled(fig, analysis.series_alt("Line chart", "vehicle pursuits per quarter", list(published.index), values))


def _two_years(sec: Section) -> list[tuple[str, _common.Span]]:
    """The last twelve months and the twelve before, each when the data covers it from its first day."""
    span = year_window(sec)
    return [(f"{label} ({window.label()})", window)
            for label, window in (("Last 12 months", span), ("The 12 months before", span.previous()))
            if _common.fully_covered(sec.data, sec.event, window)]


def crash_share(sec: Section) -> pd.DataFrame | None:
    """The share of pursuits that ended in a crash, over the last twelve months and the twelve before, with the
    likely range (a 95% Wilson interval). None when crashes are not recorded or every pursuit crashed."""
    if not sec.recorded("crash") or every_pursuit_crashed(sec):
        return None
    rows = []
    for label, window in _two_years(sec):
        inside = sec.data[window.contains(sec.data[sec.event])]
        pursuits, crashes = len(inside), int(_flag(inside, "crash").sum())
        if not pursuits:
            continue
        low, high = _percent_range(crashes, pursuits)
        rows.append({"Period": label, "Pursuits": pursuits, "Pursuits with a crash": crashes,
                     "Share with a crash (%)": 100 * crashes / pursuits,
                     "Likely range, low (%)": 100 * low, "Likely range, high (%)": 100 * high})
    if not rows:
        return None
    table = pd.DataFrame(rows).set_index("Period")
    for column in ("Share with a crash (%)", "Likely range, low (%)", "Likely range, high (%)"):
        table[column] = table[column].astype("Float64")
    return table


def crash_change_sentence(sec: Section) -> str:
    """Whether the crash share of the last twelve months differs from the twelve before beyond normal variation
    (the two shares compared with Fisher's exact test)."""
    windows = _two_years(sec)
    if not sec.recorded("crash") or every_pursuit_crashed(sec) or len(windows) < 2:
        return ""
    counts = []
    for _, window in windows:
        inside = sec.data[window.contains(sec.data[sec.event])]
        counts.append((int(_flag(inside, "crash").sum()), len(inside)))
    (now, pursuits), (before, earlier) = counts
    if not pursuits or not earlier or any(suppress_value(n, sec.min_count) is None for n in (now, pursuits, before, earlier)):
        return ""
    judgement = proportion_change(now, pursuits, before, earlier).judgement()
    return (f"Over the last 12 months, {fmt.pct(now / pursuits)} of pursuits ended in a crash, against "
            f"{fmt.pct(before / earlier)} in the 12 months before: {judgement}.")


def harm(sec: Section) -> pd.DataFrame | None:
    """People injured and killed in pursuits, and the pursuits in which anyone was, over the last twelve months
    and the twelve before."""
    fields = [(f, label) for f, label in (("injuries", "injured"), ("fatalities", "killed")) if sec.recorded(f)]
    windows = _two_years(sec)
    if not fields or not windows:
        return None
    rows = []
    for field_name, label in fields:
        people, pursuits = {"Measure": f"People {label}"}, {"Measure": f"Pursuits in which someone was {label}"}
        for words, window in windows:
            inside = sec.data[window.contains(sec.data[sec.event])]
            people[words] = _people(inside, field_name)
            pursuits[words] = int((inside[field_name].fillna(0) > 0).sum())
        rows.extend([pursuits, people])
    return pd.DataFrame(rows).set_index("Measure").astype("int64")


def reasons(sec: Section, top: int = 8) -> pd.DataFrame | None:
    """Pursuits in the last twelve months by the reason they started."""
    if not sec.recorded("reason"):
        return None
    return analysis.breakdown(year_rows(sec), "reason", label="Reason for the pursuit", count_label="Pursuits", top=top,
                              labels=sec.label("reason"))


def reason_chart(published: pd.DataFrame | None):
    if published is None:
        return None
    title = _common.most_title(published, "Pursuits", "was the most common reason for a pursuit", "Pursuits by reason",
                               "were the most common reasons for a pursuit")
    return bar(published, "Pursuits", title=title, value_label="Pursuits (count)", noun="pursuits in the last 12 months by reason",
               note=SOURCE_NOTE)


def how_ended(sec: Section, top: int = 8) -> pd.DataFrame | None:
    """Pursuits in the last twelve months by how they ended."""
    if not sec.recorded("ended_by"):
        return None
    return analysis.breakdown(year_rows(sec), "ended_by", label="How the pursuit ended", count_label="Pursuits", top=top,
                              labels=sec.label("ended_by"))


def policy(sec: Section) -> pd.DataFrame | None:
    """Pursuits in the last twelve months by the finding of the department's review."""
    if not sec.recorded("policy_compliant"):
        return None
    rows = year_rows(sec)
    words = rows["policy_compliant"].map(lambda v: "Under review or not recorded" if pd.isna(v) else POLICY_WORDS[bool(v)])
    order = ["Within policy", "Not within policy", "Under review or not recorded"]
    counts = words.value_counts().reindex(order, fill_value=0).astype("int64")
    return pd.DataFrame({"Review finding": order, "Pursuits": counts.to_numpy()}).set_index("Review finding")


def districts(sec: Section) -> pd.DataFrame | None:
    """Pursuits in the last twelve months by the district where they started."""
    if not sec.recorded("district"):
        return None
    return analysis.breakdown(year_rows(sec), "district", label="District", count_label="Pursuits", labels=sec.label("district"))


def rates(sec: Section) -> pd.DataFrame | None:
    """Pursuits per 100 sworn officers by period, with the likely range; None without a sworn strength."""
    sworn = _common.sworn_officers(sec)
    if not sworn:
        return None
    return _common.rates_by_period(sec, "Pursuits", "Sworn officers", "Per 100 sworn officers", 100,
                                   lambda period: sec.count(period), lambda period: sworn)


def key_answer(sec: Section, published_trend: pd.DataFrame | None):
    """Page 2: are vehicle pursuits going up or down? The count against the previous period, with the summary's test."""
    from ._common import count_answer

    return count_answer(sec, "Are vehicle pursuits going up or down?", NOUN, "pursuits", published_trend, "Pursuits",
                        singular=SINGULAR)
