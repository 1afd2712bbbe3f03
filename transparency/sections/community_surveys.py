"""The community-surveys section: what residents say about the police and their safety.

Two shapes of input, told apart by the fields the agency records:

* **Answers** (one row per respondent and question, ``question`` recorded): the share agreeing with
  each question, with its 95% margin of error, weighted when the file has weights (see
  :mod:`transparency.figures.surveys` for every formula), by district and by group of residents with a minimum
  group size, and the change since the previous survey with a judgement of whether it is larger than
  normal variation.
* **Published scores** (one row per measure, place and month, ``measure`` recorded, as Chicago
  publishes): each measure's city score per quarter (the average of its monthly scores), its sample size
  when published, and the districts compared. Scores of different levels (city, area, district, sector)
  are never added or averaged together.

Table functions return a :class:`TableSpec`; the notebook publishes it with :func:`publish`, which goes
through ``Section.table`` (suppression, CSV, display) whenever the table holds counts.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

import pandas as pd
from matplotlib.ticker import FuncFormatter

from transparency.core import fmt, registry
from transparency.core.periods import Period, trailing_quarters
from transparency.figures import surveys
from transparency.writing import analysis, charts

from .section import Section, write_csv

SOURCE_ANSWERS = ("Source: the department's resident survey. Share agreeing: answered agree or strongly agree, "
                  "out of those who answered on the five-point scale.")
SOURCE_SCORES = ("Source: survey scores the department publishes. A quarter's score is the average of its "
                 "monthly scores.")

# Plain words for the measures agencies publish; anything else is shown with underscores as spaces.
MEASURE_WORDS = {
    "safety": "Feeling safe",
    "trust": "Trust in the police",
    "trust_listen": "Police listen",
    "trust_respect": "Police show respect",
}
MEASURE_MEANING = {
    "safety": "how safe residents feel in their neighborhood",
    "trust": "how much residents trust the police",
    "trust_listen": "whether residents feel the police listen to their concerns",
    "trust_respect": "whether residents feel the police treat them with respect",
}
# Places a score can be published for, from the whole city down; levels are never mixed.
LEVELS = ("city", "area", "district", "sector")
# A published score covering at least this many days is a monthly (or longer) score; shorter ones
# (weekly) are used only for a quarter that has no monthly score.
MONTHLY_DAYS = 27
GROUP_FIELDS = {
    "respondent_race": "Race",
    "respondent_sex": "Sex",
    "respondent_age_group": "Age group",
    "respondent_group": "Group",
}
SHARE = "Share agreeing (%)"
MARGIN = "Margin of error (± points)"
PREVIOUS = "Previous survey (%)"
SAMPLE = "Sample size"
CHANGE = "Change (points)"


@dataclass
class TableSpec:
    """A table to publish and how: the arguments of ``Section.table`` (``frame`` None: not recorded)."""

    frame: pd.DataFrame | None
    name: str
    caption: str
    rates: dict[str, str] = field(default_factory=dict)
    count_columns: list[str] | None = None
    note: str | None = None
    missing: str | None = None
    decimals: int = 1


# --- Shared ------------------------------------------------------------------------------------------


def shape(sec: Section) -> str:
    """``"answers"`` for respondent-level data (questions and answers), ``"scores"`` for published measures."""
    if sec.recorded("question") and sec.data["question"].notna().any():
        return "answers"
    return "scores"


def publish(sec: Section, spec: TableSpec) -> pd.DataFrame | None:
    """Publish a table: through ``Section.table`` when it has counts, else the same CSV and display unsuppressed.

    A table of published scores holds no count of people, so there is nothing to suppress (and
    ``Section.table`` requires a count column).
    """
    frame = spec.frame
    has_counts = frame is not None and not frame.empty and (
        spec.count_columns if spec.count_columns is not None
        else [c for c in frame.columns if pd.api.types.is_integer_dtype(frame[c].dtype)]
    )
    if frame is None or frame.empty or has_counts:
        return sec.table(frame, spec.name, spec.caption, count_columns=spec.count_columns, note=spec.note,
                         rates=spec.rates or None, decimals=spec.decimals, missing=spec.missing)
    from IPython.display import display

    frame = charts.round_table(frame, spec.decimals)  # rounded once, as Section.table does
    path = sec.output_dir / "tables" / f"{sec.dataset}__{spec.name}.csv"
    write_csv(frame.reset_index() if not isinstance(frame.index, pd.RangeIndex) else frame, path)
    sec.tables.append({"name": spec.name, "caption": spec.caption, "file": f"tables/{path.name}", "suppressed": 0})
    markup = charts.table_html(frame, spec.caption, note=spec.note, decimals=spec.decimals)
    download = f'<p class="table-download">Download this table: <a href="tables/{html.escape(path.name)}">{html.escape(path.name)}</a></p>'
    display({"text/html": markup + download, "text/plain": f"[Table] {spec.caption}"}, raw=True)
    return frame


def say_list(items: list[str]) -> None:
    """Show sentences as a bulleted list (escaped)."""
    from IPython.display import HTML, display

    items = [i for i in items if i]
    if items:
        display(HTML("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>"))


def _points(x: float) -> str:
    """A difference of two percentages in points: "3.2 points", "1 point"."""
    text = fmt.number(abs(x), 1)
    return f"{text} {'point' if text == '1' else 'points'}"


def _pct_value(share: float | None) -> float | None:
    return None if share is None or (isinstance(share, float) and math.isnan(share)) else fmt.rounded(100 * share, 1)


def _float_column(values) -> pd.array:
    return pd.array([None if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in values], dtype="Float64")


def _district_label(value: str, sec: Section) -> str:
    """District names as a reader says them: "7" becomes "District 7"; a name is shown as the section shows the
    field's values (:meth:`Section.label`: the agency's label, else "SOUTH SIDE" becomes "South Side")."""
    text = str(value).strip()
    if text.isdigit():
        return f"District {text}"
    return text if text == "Not recorded" else sec.label("district")(text)


def _district_key(value: str):
    text = str(value).strip()
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


# --- Charts --------------------------------------------------------------------------------------------


def fit_title(fig, width: int = 58):
    """Re-wrap a chart's bold title more narrowly than charts.new_chart does, so that it never runs off the page."""
    import textwrap

    title = getattr(fig, "transparency_title", None)
    if title:
        fig.suptitle("\n".join(textwrap.wrap(title, width)), x=0.01, ha="left", fontsize=12.5, fontweight="bold")
    return fig


def share_bars(labels: list[str], shares: list[float | None], margins: list[float | None] | None = None, *, title: str,
               note: str, previous: list[float | None] | None = None, previous_label: str = "Previous survey",
               value_label: str = "Share agreeing (%)", unit: str = "%", top: float | None = 100.0):
    """Horizontal bars with one-decimal labels, optional 95% margin-of-error whiskers and a mark for the previous value.

    ``None`` draws no bar and is labelled "not published". With ``unit="%"`` values are percentages
    (0 to 100); ``top`` is the end of the value axis (None: a little past the largest value).
    """
    import textwrap

    wrapped = ["\n".join(textwrap.wrap(label, 34)) for label in labels]
    lines_needed = sum(max(1, w.count("\n") + 1) for w in wrapped)
    height = max(2.8, 0.3 * lines_needed + (0.35 if margins is not None else 0.05) * len(labels) + 1.6)
    fig, ax = charts.new_chart(title=title, note=note, height=height)
    positions = list(range(len(labels)))
    values = [math.nan if v is None else float(v) for v in shares]
    errors = [0.0 if (margins is None or m is None or v is None) else float(m) for v, m in zip(shares, margins or shares)]
    ax.barh(positions, [0 if math.isnan(v) else v for v in values], 0.6, color=charts.PALETTE["blue"],
            label="This period" if previous is not None else None)
    shown = [i for i, v in enumerate(values) if not math.isnan(v)]
    if shown and margins is not None:
        ax.errorbar([values[i] for i in shown], shown, xerr=[errors[i] for i in shown], fmt="none",
                    ecolor="#222222", elinewidth=1.2, capsize=4, label="Margin of error (95%)")
    if previous is not None:
        marks = [(i, float(v)) for i, v in enumerate(previous) if v is not None and not math.isnan(float(v))]
        if marks:
            ax.scatter([v for _, v in marks], [i for i, _ in marks], marker="D", s=28, zorder=3,
                       color=charts.PALETTE["orange"], edgecolor="#222222", linewidth=0.6, label=previous_label)
    texts = charts.column_texts(shares, na_rep=charts.NOT_PUBLISHED)  # as the published table shows them
    for i, v in enumerate(values):
        text = charts.NOT_PUBLISHED if math.isnan(v) else f"{texts[i]}{unit}"
        ax.annotate(text, (0 if math.isnan(v) else v + errors[i], i), xytext=(5, 0), textcoords="offset points",
                    va="center", fontsize=8.5, color="#222222")
    ax.set_yticks(positions, wrapped)
    ax.invert_yaxis()
    end = top if top is not None else max([v + e for v, e in zip(values, errors) if not math.isnan(v)] or [1]) * 1.15
    ax.set_xlim(0, end * 1.12 if top is not None else end)
    if top == 100:
        ax.set_xticks([0, 20, 40, 60, 80, 100])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}{unit}"))
    ax.set_xlabel(value_label)
    ax.grid(axis="x")
    ax.set_axisbelow(True)
    if previous is not None or (shown and margins is not None):
        ax.legend(loc="upper center", bbox_to_anchor=(0.45, -0.16 - 0.02 * (len(labels) > 8)), ncol=3, fontsize=8.5)
    return fit_title(fig)


def lines(x: list[str], series: dict[str, list[float | None]], *, title: str, value_label: str, note: str,
          top: float = 100.0, value_format: str = "percent"):
    """A trend chart of several series with long names: lines with markers, the legend under the plot."""
    import textwrap

    fig, ax = charts.new_chart(title=title, note=note, height=3.6 + 0.22 * len(series))
    positions = list(range(len(x)))
    for index, (name, values) in enumerate(series.items()):
        numeric = [math.nan if v is None else float(v) for v in values]
        ax.plot(positions, numeric, color=charts.COLORS[index % len(charts.COLORS)],
                marker=charts.MARKERS[index % len(charts.MARKERS)], markersize=5, linewidth=2,
                label="\n".join(textwrap.wrap(name, 45)))
    ax.set_xticks(positions, x)
    if len(x) > 8:
        ax.tick_params(axis="x", labelrotation=45)
    ax.set_ylim(0, top)
    suffix = "%" if value_format == "percent" else ""
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.0f}{suffix}"))
    ax.set_ylabel(value_label)
    ax.set_xlabel("Quarter")
    ax.grid(axis="y")
    ax.set_axisbelow(True)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2, fontsize=8.5)
    return fit_title(fig)


def _alt_list(kind: str, noun: str, pairs, unit: str = "%") -> str:
    """Alt text listing each (label, value), each value as the published table shows it."""
    labels, values = zip(*pairs) if pairs else ((), ())
    return analysis.series_alt(kind, noun, labels, values, unit=unit)


# --- Answers (respondent-level) ---------------------------------------------------------------------


def weighted(sec: Section) -> bool:
    """Whether the survey file carries weights."""
    return sec.recorded("weight") and sec.data["weight"].notna().any()


def answered(sec: Section, rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows that answered on the agree scale, with ``agree`` (1 or 0) and ``w`` (the weight, or 1)."""
    rows = sec.data if rows is None else rows
    if "answer" not in rows and "value" not in rows:  # questions without their answers: nothing answered
        agree = pd.Series(pd.NA, index=rows.index, dtype="Float64")
    else:
        agree = surveys.agrees(rows["answer"] if "answer" in rows else None, rows["value"] if "value" in rows else None)
    out = rows.assign(agree=agree)
    out = out[out["agree"].notna() & out["question"].notna()]
    if weighted(sec):
        out = out.assign(w=pd.to_numeric(out["weight"], errors="coerce"))
        out = out[out["w"].notna() & (out["w"] > 0)]
    else:
        out = out.assign(w=1.0)
    return out


def questions(sec: Section) -> list[str]:
    """The questions in the order they first appear in the file."""
    return [str(q) for q in pd.unique(sec.data["question"].dropna().astype(str))]  # order of first appearance


def estimates(sec: Section, rows: pd.DataFrame) -> dict[str, surveys.ShareEstimate]:
    """Share agreeing per question in rows that already went through :func:`answered`."""
    out = {}
    for question, group in rows.groupby("question", sort=False):
        estimate = surveys.estimate_share(group["agree"], group["w"] if weighted(sec) else None)
        if estimate is not None:
            out[str(question)] = estimate
    return out


def respondents(rows: pd.DataFrame) -> int:
    """People who took part (distinct respondent ids, else the most responses to one question), "don't know" included."""
    rows = rows[rows["question"].notna()]
    if rows.empty:
        return 0
    if "respondent_id" in rows and rows["respondent_id"].notna().all():
        return int(rows["respondent_id"].nunique())
    return int(rows.groupby("question").size().max())


def previous_survey(sec: Section) -> Period | None:
    """The latest period before this one with answers: the previous quarter, or further back for a rarer survey."""
    first = sec.data[sec.event].min()
    if pd.isna(first):
        return None
    candidate = sec.prior
    data = answered(sec)
    while pd.Timestamp(candidate.end) > first:
        if candidate.contains(data[sec.event]).any():
            return candidate
        candidate = candidate.previous()
    return None


def _previous_words(sec: Section, period: Period) -> str:
    return f"the previous survey ({period.label()})"


def _minimum(sec: Section) -> int:
    return surveys.min_group_size(sec.min_count)


def _comparison(sec: Section):
    """This period's estimates, the previous survey's period and its estimates."""
    current = estimates(sec, answered(sec, sec.rows))
    before = previous_survey(sec)
    earlier = estimates(sec, answered(sec, sec.in_period(before))) if before is not None else {}
    return current, before, earlier


def _changes(sec: Section) -> dict[str, surveys.WaveChange]:
    """The change since the previous survey for each question where both shares are published."""
    current, _, earlier = _comparison(sec)
    minimum = _minimum(sec)
    return {q: surveys.change_between_waves(e, earlier[q]) for q, e in current.items()
            if e.respondents >= minimum and q in earlier and earlier[q].respondents >= minimum}


def answer_summary(sec: Section) -> list[str]:
    """The opening: how many answered, weighting, what "agreed" means, and how many changes are beyond normal variation."""
    if not sec.recorded("answer") and not sec.recorded("value"):
        return ["The department's survey records list the questions but not the answers, so no result can be shown."]
    now = answered(sec, sec.rows)
    if now.empty:
        return [f"The survey did not run in {sec.period.label()}, so there are no new answers to report."]
    sentences = [f"In {sec.period.label()}, {fmt.count(respondents(sec.rows), sec.min_count)} residents answered the survey."]
    if weighted(sec):
        sentences.append("The answers are weighted, so that the people who answered better match the city's residents.")
    sentences.append("“Agreed” means they answered “agree” or “strongly agree.” Each share has a margin of error: "
                     "the share among all residents is very likely within that many points of it.")
    before, beyond, compared = changed_beyond(sec)
    if before is None:
        sentences.append("There is no earlier survey to compare with.")
    elif compared:
        sentences.append(f"Since the previous survey ({before.label()}), {_beyond_words(beyond, compared)}.")
    return sentences


def changed_beyond(sec: Section) -> tuple[Period | None, int, int]:
    """The previous survey, how many answers changed by more than normal variation since it, and how many were
    compared: what the summary says and the trend chart's title says."""
    _, before, _ = _comparison(sec)
    changes = _changes(sec)
    return before, sum(1 for c in changes.values() if c.beyond_normal_variation), len(changes)


def _beyond_words(beyond: int, compared: int) -> str:
    if not beyond:
        return "no answer changed by more than normal variation"
    return f"{beyond} of {compared} {'answer' if compared == 1 else 'answers'} changed by more than normal variation"


def answer_details(sec: Section) -> list[str]:
    """One sentence per question: the share agreeing, its margin of error, and the change since the previous survey."""
    current, before, earlier = _comparison(sec)
    changes = _changes(sec)
    minimum = _minimum(sec)
    sentences = []
    for question, estimate in current.items():
        if estimate.respondents < minimum:
            sentences.append(f"Too few people answered “{question}” to show a share.")
            continue
        text = f"“{question}”: {fmt.pct(estimate.share)} agreed (give or take {_points(100 * estimate.margin)})."
        change = changes.get(question)
        if change is not None:
            if fmt.rounded(100 * change.difference, 1) == 0:
                text += f" That is the same as in the previous survey, {change.judgement()}."
            else:
                text += (f" That is {'up' if change.difference > 0 else 'down'} {_points(100 * change.difference)} "
                         f"from {fmt.pct(earlier[question].share)}, {change.judgement()}.")
        sentences.append(text)
    return sentences


def answer_results(sec: Section) -> TableSpec:
    """Share agreeing with each question this period, its margin of error, and the change since the previous survey."""
    current, before, earlier = _comparison(sec)
    changes = _changes(sec)
    minimum = _minimum(sec)
    rows = []
    for question in questions(sec):
        estimate = current.get(question)
        if estimate is None:
            continue
        enough = estimate.respondents >= minimum
        previous = earlier.get(question)
        change = changes.get(question)
        rows.append({
            "Question": question,
            "Answers": estimate.respondents,
            SHARE: _pct_value(estimate.share) if enough else None,
            MARGIN: _pct_value(estimate.margin) if enough else None,
            PREVIOUS: _pct_value(previous.share) if previous is not None and previous.respondents >= minimum else None,
            CHANGE: fmt.rounded(100 * change.difference, 1) if change else None,
        })
    frame = pd.DataFrame(rows, columns=["Question", "Answers", SHARE, MARGIN, PREVIOUS, CHANGE]).set_index("Question")
    frame["Answers"] = frame["Answers"].astype("int64")
    for column in (SHARE, MARGIN, PREVIOUS, CHANGE):
        frame[column] = _float_column(frame[column])
    note = f"Answers: people who answered the question on the five-point scale. Shares based on fewer than {minimum} answers are not shown."
    if before is not None:
        beyond = [q for q, c in changes.items() if c.beyond_normal_variation]
        verdict = ("No change is larger than normal variation." if not beyond else
                   "Changes larger than normal variation: " + fmt.join_words(f"“{q}”" for q in beyond) + ".")
        note = f"The previous survey is {before.label()} ({before.code}). {verdict} {note}"
    return TableSpec(frame, "results", "Share of residents agreeing with each question, this period and the previous survey",
                     rates={SHARE: "Answers", MARGIN: "Answers", CHANGE: "Answers"}, count_columns=["Answers"], note=note)


def answer_results_chart(sec: Section, published: pd.DataFrame | None):
    if published is None or published.empty:
        return None
    labels = [str(q) for q in published.index]
    shares = [None if pd.isna(v) else float(v) for v in published[SHARE]]
    margins = [None if pd.isna(v) else float(v) for v in published[MARGIN]]
    previous = [None if pd.isna(v) else float(v) for v in published[PREVIOUS]]
    known = [(s, q) for s, q in zip(shares, labels) if s is not None]
    if not known:
        return None
    top_share, top_question = max(known)
    # Every figure as the published table shows it.
    share_texts, margin_texts, previous_texts = (charts.published_texts(published, column) for column in (SHARE, MARGIN, PREVIOUS))
    title = f"“{top_question}” had the most agreement: {share_texts[labels.index(top_question)]}%"
    fig = share_bars(labels, shares, margins, previous=previous if any(p is not None for p in previous) else None,
                     title=title, note=SOURCE_ANSWERS + " Whiskers: 95% margin of error.")
    parts = []
    for label, share, prev, share_text, margin_text, previous_text in zip(labels, shares, previous, share_texts,
                                                                            margin_texts, previous_texts):
        if share is None:
            parts.append(f"“{label}” not shown")
            continue
        text = f"“{label}” {share_text}% (give or take {margin_text} points)"
        if prev is not None:
            text += f", previous survey {previous_text}%"
        parts.append(text)
    return fig, "Bar chart of the share of residents agreeing with each question this period: " + "; ".join(parts) + "."


def answer_trend(sec: Section, quarters: int = 8) -> TableSpec:
    """Share agreeing with each question per quarter (quarters without a survey are left out)."""
    data = answered(sec)
    minimum = _minimum(sec)
    first = sec.data[sec.event].min()
    rows = []
    for quarter in trailing_quarters(sec.period, quarters):
        if pd.notna(first) and pd.Timestamp(quarter.end) <= first:
            continue
        in_quarter = data[quarter.contains(data[sec.event])]
        if in_quarter.empty:
            continue
        row = {"Quarter": quarter.code, "Respondents": respondents(sec.in_period(quarter))}
        found = estimates(sec, in_quarter)
        for question in questions(sec):
            estimate = found.get(question)
            ok = estimate is not None and estimate.respondents >= minimum
            row[f"{question} (%)"] = _pct_value(estimate.share) if ok else None
        rows.append(row)
    columns = ["Quarter", "Respondents"] + [f"{q} (%)" for q in questions(sec)]
    frame = pd.DataFrame(rows, columns=columns).set_index("Quarter")
    frame["Respondents"] = frame["Respondents"].astype("int64")
    for question in questions(sec):
        frame[f"{question} (%)"] = _float_column(frame[f"{question} (%)"])
    return TableSpec(frame, "trend", "Share of residents agreeing with each question, by quarter",
                     rates={f"{q} (%)": "Respondents" for q in questions(sec)}, count_columns=["Respondents"],
                     note="Quarters in which the survey did not run are left out.")


def answer_trend_chart(sec: Section, published: pd.DataFrame | None):
    if published is None or len(published) < 2:
        return None
    series = {c[:-4]: [None if pd.isna(v) else float(v) for v in published[c]] for c in published.columns if c.endswith(" (%)")}
    # The summary's comparison (this survey against the previous one, each answer's change tested), never the
    # first quarter shown against the last.
    before, beyond, compared = changed_beyond(sec)
    if before is not None and compared:
        words = _beyond_words(beyond, compared)
        title = f"Since the survey of {before.code}, {words}"
    else:
        title = "Share of residents agreeing with each question, by quarter"
    fig = lines(list(published.index), series, title=title, value_label="Share agreeing (%)", note=SOURCE_ANSWERS)
    alt = " ".join(_alt_list("Line chart", f"the share agreeing that “{name}”, by quarter", zip(published.index, values))
                   for name, values in series.items())
    return fig, alt


def _group_table(sec: Section, field_name: str, label: str, order: list[str] | None = None) -> tuple[pd.DataFrame, float | None]:
    """Respondents and share agreeing with each question for each value of a field, this period, and the widest margin of error (points)."""
    everyone = sec.rows[sec.rows["question"].notna()]
    now = answered(sec, everyone)
    minimum = _minimum(sec)
    every_value = everyone[field_name].astype("string").fillna("Not recorded")
    values = every_value.loc[now.index]
    groups = [str(g) for g in pd.unique(every_value)]
    if order is not None:
        groups = [g for g in order if g in set(groups)] + sorted(g for g in groups if g not in order)
    else:
        groups = sorted(groups, key=_district_key if field_name == "district" else str)
    rows = []
    margins = []
    for group in groups:
        found = estimates(sec, now[values == group])
        row = {label: _district_label(group, sec) if field_name == "district" else group,
               "Respondents": respondents(everyone[every_value == group])}
        for question in questions(sec):
            estimate = found.get(question)
            ok = estimate is not None and estimate.respondents >= minimum
            row[f"{question} (%)"] = _pct_value(estimate.share) if ok else None
            if ok:
                margins.append(100 * estimate.margin)
        rows.append(row)
    columns = [label, "Respondents"] + [f"{q} (%)" for q in questions(sec)]
    frame = pd.DataFrame(rows, columns=columns).set_index(label)
    frame["Respondents"] = frame["Respondents"].astype("int64")
    for column in frame.columns[1:]:
        frame[column] = _float_column(frame[column])
    return frame, (max(margins) if margins else None)


def _group_spec(sec: Section, made: tuple[pd.DataFrame, float | None], name: str, caption: str) -> TableSpec:
    frame, widest = made
    minimum = _minimum(sec)
    rates = {c: "Respondents" for c in frame.columns if c != "Respondents"}
    note = f"Shares based on fewer than {minimum} answers are not shown (“—”): they would be too uncertain."
    if widest is not None:
        note += f" Margins of error in this table are up to {_points(widest)} either way."
    return TableSpec(frame, name, caption, rates=rates, count_columns=["Respondents"], note=note)


def _ran(sec: Section) -> bool:
    """Whether anyone answered the survey in the period."""
    return not answered(sec, sec.rows).empty


def answer_districts(sec: Section) -> TableSpec:
    if not sec.recorded("district"):
        return TableSpec(None, "districts", "", missing="The survey does not record where respondents live.")
    if not _ran(sec):
        return TableSpec(None, "districts", "", missing="The survey did not run in this period.")
    made = _group_table(sec, "district", "District")
    return _group_spec(sec, made, "districts", "Share of residents agreeing with each question, by the district they live in")


def answer_district_chart(sec: Section, published: pd.DataFrame | None):
    """Bars of the first question's share by district, with margins of error."""
    if published is None or published.empty:
        return None
    question = questions(sec)[0]
    now = answered(sec, sec.rows)
    margins_by = {}
    for group, part in now.groupby(now["district"].astype("string").fillna("Not recorded")):
        estimate = estimates(sec, part).get(question)
        if estimate is not None:
            margins_by[_district_label(group, sec)] = _pct_value(estimate.margin)
    labels = [str(i) for i in published.index]
    shares = [None if pd.isna(v) else float(v) for v in published[f"{question} (%)"]]
    margins = [margins_by.get(label) if share is not None else None for label, share in zip(labels, shares)]
    known = [(s, label) for s, label in zip(shares, labels) if s is not None]
    if not known:
        return None
    high, low = max(known), min(known)
    title = (f"Agreement that “{question}” was highest in {high[1]} ({fmt.number(high[0], 1)}%) "
             f"and lowest in {low[1]} ({fmt.number(low[0], 1)}%)")
    ranked = sorted(range(len(labels)), key=lambda i: (shares[i] is None, -(shares[i] or 0)))
    labels, shares, margins = [labels[i] for i in ranked], [shares[i] for i in ranked], [margins[i] for i in ranked]
    fig = share_bars(labels, shares, margins, title=title, note=SOURCE_ANSWERS + " Whiskers: 95% margin of error.")
    alt = _alt_list("Bar chart", f"the share agreeing that “{question}”, by district", zip(labels, shares))
    return fig, alt


def answer_groups(sec: Section) -> list[TableSpec]:
    """One table per recorded characteristic of respondents (race, sex, age group, group)."""
    enums = registry.enums()
    specs = []
    if not _ran(sec):
        return specs
    for field_name, label in GROUP_FIELDS.items():
        if not sec.recorded(field_name) or sec.data[field_name].isna().all():
            continue
        order = None
        if field_name == "respondent_race":
            order = list(enums["race"].values)
        elif field_name == "respondent_sex":
            order = list(enums["sex"].values)
        made = _group_table(sec, field_name, label, order)
        slug = field_name.removeprefix("respondent_")
        specs.append(_group_spec(sec, made, f"by_{slug}", f"Share of residents agreeing with each question, by {label.lower()}"))
    return specs


def answer_method(sec: Section) -> list[str]:
    minimum = _minimum(sec)
    notes = [
        "The share agreeing is the people who answered “agree” or “strongly agree”, out of everyone who answered "
        "on the five-point scale. Answers of “don't know”, refusals and blanks are left out of the share.",
    ]
    if weighted(sec):
        notes.append("Each answer counts by its survey weight. Weighting makes the results closer to the whole city, "
                     "but it also makes them less precise. We allow for that with Kish's effective sample size: "
                     "the square of the sum of the weights, divided by the sum of the squared weights.")
    else:
        notes.append("The survey has no weights, so every answer counts the same.")
    notes += [
        "The margin of error is for 95% confidence. For a share p and an effective sample size n, it is "
        "1.96 × √(p × (1 − p) ÷ n).",
        "A change from the previous survey is called larger than normal variation when a difference that big "
        "would happen by chance less than 5 times in 100 (a two-sample test on the effective sample sizes). "
        "The two surveys are taken to be separate samples of people.",
        f"Shares for a district or group are shown only when at least {minimum} people in it answered the question.",
        "A response is counted in the quarter of its interview date.",
    ]
    return notes


# --- Published scores --------------------------------------------------------------------------------


def measure_words(measure: str) -> str:
    return MEASURE_WORDS.get(measure, str(measure).replace("_", " ").strip().capitalize())


def score_rows(sec: Section, rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """Published scores for all residents (not the scores of one group), with a measure and a value."""
    rows = sec.data if rows is None else rows
    if "value" not in rows or "measure" not in rows:  # measures without their values: no score (an empty table)
        return rows.iloc[0:0].assign(measure=pd.Series(dtype="string"), value=pd.Series(dtype="Float64"))
    rows = rows[rows["measure"].notna() & rows["value"].notna()]
    if "respondent_group" in rows and rows["respondent_group"].notna().any():
        overall = rows["respondent_group"].astype("string").str.strip().str.lower().isin(["all", "total", "overall"])
        rows = rows[overall | rows["respondent_group"].isna()]
    return rows


def measures(sec: Section) -> list[str]:
    found = [str(m) for m in pd.unique(score_rows(sec)["measure"].astype(str))]
    known = [m for m in MEASURE_WORDS if m in found]
    return known + [m for m in found if m not in known]


def level_rows(sec: Section, rows: pd.DataFrame, level: str) -> pd.DataFrame:
    """Rows of one geography level; without a level field, city means no district and district means one."""
    if "geography_level" in rows and rows["geography_level"].notna().any():
        return rows[rows["geography_level"].astype("string").str.lower() == level]
    if level == "city":
        return rows[rows["district"].isna()] if "district" in rows else rows
    if level == "district" and "district" in rows:
        return rows[rows["district"].notna()]
    return rows.iloc[0:0]


def quarter_score(rows: pd.DataFrame) -> tuple[float | None, int, int | None]:
    """One place's score for a span of time: the average of its monthly scores (weekly ones only if no monthly).

    Returns the score, how many published scores it averages, and their summed sample size (None when
    sample sizes are not published).
    """
    if rows.empty:
        return None, 0, None
    if "period_end" in rows and rows["period_end"].notna().any():
        days = (rows["period_end"] - rows["surveyed_at"]).dt.days + 1
        monthly = days >= MONTHLY_DAYS
        if monthly.any():
            rows = rows[monthly.fillna(False).astype(bool)]
    values = pd.to_numeric(rows["value"], errors="coerce").dropna()
    size = None
    if "sample_size" in rows and rows["sample_size"].notna().any():
        size = int(pd.to_numeric(rows["sample_size"], errors="coerce").fillna(0).sum())
    return (float(values.mean()) if len(values) else None), int(len(values)), size


def _score(rows: pd.DataFrame, measure: str, period: Period, minimum: int) -> tuple[float | None, int | None]:
    part = rows[(rows["measure"] == measure) & period.contains(rows["surveyed_at"])]
    score, n, size = quarter_score(part)
    if size is not None and size < minimum:
        return None, size
    return (None if score is None else fmt.rounded(score, 1)), size


def _out_of(sec: Section) -> str:
    values = pd.to_numeric(score_rows(sec)["value"], errors="coerce").dropna()
    return " out of 100" if len(values) and values.min() >= 0 and values.max() <= 100 else ""


def score_summary(sec: Section) -> list[str]:
    """The opening: what was published this period, and why changes are not judged against normal variation."""
    if not sec.recorded("value"):
        return ["The department's survey records name the measures but not their values, so no score can be shown."]
    now = score_rows(sec, sec.rows)
    if now.empty:
        return [f"The department published no survey scores for {sec.period.label()}."]
    sentences = [f"The department published {fmt.count(len(now), None)} survey scores for {sec.period.label()}: "
                 f"{fmt.count(len(measures(sec)), None)} measures, for the city and for smaller areas."]
    if level_rows(sec, score_rows(sec), "city").empty:
        sentences.append("It published no score for the city as a whole.")
    if sec.recorded("sample_size"):
        sentences.append("Changes are shown in points. This report does not test them against normal variation.")
    else:
        sentences.append("The department does not publish how many people answered or a margin of error, so this "
                         "report cannot say whether changes are larger than normal variation.")
    return sentences


def score_title(sec: Section) -> str | None:
    """The first measure's city score this period against the previous period, as :func:`score_details` says it
    (the same scores and rounding), for the trend chart's title; None when there is no score this period."""
    wanted = measures(sec)
    if not wanted:
        return None
    city = level_rows(sec, score_rows(sec), "city")
    minimum = _minimum(sec)
    score, _ = _score(city, wanted[0], sec.period, minimum)
    if score is None:
        return None
    title = f"The city's {measure_words(wanted[0]).lower()} score was {fmt.number(score, 1)} in {sec.period.code}"
    earlier, _ = _score(city, wanted[0], sec.prior, minimum)
    if earlier is None:
        return title
    diff = round(score - earlier, 1)
    if diff == 0:
        return f"{title}, the same as in {sec.prior.code}"
    return f"{title}, {'up' if diff > 0 else 'down'} {_points(diff)} from {fmt.number(earlier, 1)} in {sec.prior.code}"


def score_details(sec: Section) -> list[str]:
    """One sentence per measure: the city's score this quarter and the change from the comparison quarters."""
    from transparency.writing import analysis

    city = level_rows(sec, score_rows(sec), "city")
    prior_words, year_words = analysis.quarter_words(sec.period)
    minimum = _minimum(sec)
    out_of = _out_of(sec)
    sentences = []
    for measure in measures(sec):
        score, _ = _score(city, measure, sec.period, minimum)
        if score is None:
            continue
        parts = []
        for words, period in ((prior_words, sec.prior), (year_words, sec.last_year)):
            earlier, _ = _score(city, measure, period, minimum)
            if earlier is None:
                continue
            diff = fmt.rounded(score - earlier, 1)
            if diff == 0:
                parts.append(f"the same as in {words}")
            else:
                parts.append(f"{'up' if diff > 0 else 'down'} {_points(diff)} from {fmt.number(earlier, 1)} in {words}")
        text = f"{measure_words(measure)}: the city's score was {fmt.number(score, 1)}{out_of}"
        sentences.append(text + (", " + " and ".join(parts) if parts else "") + ".")
    return sentences


def score_results(sec: Section) -> TableSpec:
    """Each measure's city score this quarter, the previous quarter and the same quarter last year."""
    from transparency.writing import analysis

    prior_words, year_words = analysis.quarter_words(sec.period)
    city = level_rows(sec, score_rows(sec), "city")
    minimum = _minimum(sec)
    rows = []
    for measure in measures(sec):
        score, size = _score(city, measure, sec.period, minimum)
        prior, _ = _score(city, measure, sec.prior, minimum)
        year, _ = _score(city, measure, sec.last_year, minimum)
        row = {"Measure": measure_words(measure), f"Score, {sec.period.code}": score,
               f"{prior_words.removeprefix('the ').capitalize()} ({sec.prior.code})": prior,
               "Change (points)": None if score is None or prior is None else fmt.rounded(score - prior, 1),
               f"{year_words.removeprefix('the ').capitalize()} ({sec.last_year.code})": year,
               "Change from last year (points)": None if score is None or year is None else fmt.rounded(score - year, 1)}
        if sec.recorded("sample_size"):
            row[SAMPLE] = size or 0
        rows.append(row)
    frame = pd.DataFrame(rows).set_index("Measure") if rows else pd.DataFrame()
    for column in frame.columns:
        if column != SAMPLE:
            frame[column] = _float_column(frame[column])
    count_columns = [SAMPLE] if sec.recorded("sample_size") else None
    note = ("Scores for the city as a whole. A quarter's score is the average of the monthly scores published for it. "
            "A change is the difference in points. “—”: no score was published for that quarter.")
    if sec.recorded("sample_size"):
        note += f" A score based on fewer than {minimum} answers is not shown."
    return TableSpec(frame, "results", "Survey scores for the whole city, this quarter and earlier", count_columns=count_columns,
                     note=note)


def score_trend(sec: Section, quarters: int = 8) -> TableSpec:
    """Each measure's city score per quarter, with the number of published scores and sample size."""
    city = level_rows(sec, score_rows(sec), "city")
    minimum = _minimum(sec)
    first = sec.data[sec.event].min()
    rows = []
    for quarter in trailing_quarters(sec.period, quarters):
        if pd.notna(first) and pd.Timestamp(quarter.end) <= first:
            continue
        row = {"Quarter": quarter.code}
        sizes = []
        for measure in measures(sec):
            score, size = _score(city, measure, quarter, minimum)
            row[measure_words(measure)] = score
            if size is not None:
                sizes.append(size)
        if sec.recorded("sample_size"):
            row[SAMPLE] = max(sizes) if sizes else 0
        rows.append(row)
    frame = pd.DataFrame(rows).set_index("Quarter") if rows else pd.DataFrame()
    for column in frame.columns:
        if column != SAMPLE:
            frame[column] = _float_column(frame[column])
    if sec.recorded("sample_size"):
        note = "Sample size: the number of answers behind the quarter's monthly scores, as the department publishes it."
    else:
        note = "The department does not publish how many people answered each month. “—”: no score was published for that quarter."
    return TableSpec(frame, "trend", "Survey scores for the whole city, by quarter",
                     count_columns=[SAMPLE] if sec.recorded("sample_size") else None, note=note)


def score_trend_chart(sec: Section, published: pd.DataFrame | None):
    if published is None or len(published) < 2:
        return None
    series = {c: [None if pd.isna(v) else float(v) for v in published[c]] for c in published.columns if c != SAMPLE}
    title = score_title(sec) or "Survey scores for the whole city, by quarter"
    out_of = _out_of(sec)
    fig = lines(list(published.index), series, title=title, value_label=f"Score{' (0 to 100)' if out_of else ''}",
                note=SOURCE_SCORES, top=100.0 if out_of else max(v for s in series.values() for v in s if v is not None) * 1.15,
                value_format="number")
    alt = " ".join(_alt_list("Line chart", f"the city's {name.lower()} score by quarter", zip(published.index, vals), unit="")
                   for name, vals in series.items())
    return fig, alt


def score_districts(sec: Section) -> TableSpec:
    """Each district's score for each measure this quarter (district-level scores only)."""
    rows = level_rows(sec, score_rows(sec), "district")
    if "district" not in rows or rows.empty:
        return TableSpec(None, "districts", "", missing="The department does not publish scores by district.")
    minimum = _minimum(sec)
    now = rows[sec.period.contains(rows["surveyed_at"])]
    out = []
    for district in sorted(now["district"].dropna().astype(str).unique(), key=_district_key):
        part = now[now["district"].astype(str) == district]
        row = {"District": _district_label(district, sec)}
        for measure in measures(sec):
            score, _ = _score(part, measure, sec.period, minimum)
            row[measure_words(measure)] = score
        out.append(row)
    frame = pd.DataFrame(out).set_index("District") if out else pd.DataFrame()
    for column in frame.columns:
        frame[column] = _float_column(frame[column])
    return TableSpec(frame, "districts", "Survey scores by police district, this quarter",
                     note="District scores as the department publishes them (the average of the quarter's monthly scores). "
                          "They are not added up to make the city score.")


def score_district_charts(sec: Section, published: pd.DataFrame | None) -> list:
    """A bar chart per measure (the first two) of district scores, highest first."""
    if published is None or published.empty:
        return []
    made = []
    for column in list(published.columns)[:2]:
        pairs = [(str(d), float(v)) for d, v in published[column].items() if not pd.isna(v)]
        if not pairs:
            continue
        pairs.sort(key=lambda p: -p[1])
        labels, values = [p[0] for p in pairs], [p[1] for p in pairs]
        texts = charts.column_texts(values)
        title = f"{column} scores ranged from {texts[-1]} in {labels[-1]} to {texts[0]} in {labels[0]}"
        fig = share_bars(labels, values, title=title, value_label=f"{column} score", note=SOURCE_SCORES, unit="",
                         top=100.0 if _out_of(sec) else None)
        made.append((fig, _alt_list("Bar chart", f"{column.lower()} scores by district, highest first", pairs, unit="")))
    return made


def score_method(sec: Section) -> list[str]:
    words = [f"{measure_words(m)}: {MEASURE_MEANING[m]}." for m in measures(sec) if m in MEASURE_MEANING]
    notes = ["The department publishes each score as a number" + (" from 0 to 100" if _out_of(sec) else "") +
             ", for the city and for smaller areas. A higher score means more positive answers."]
    notes += words
    notes += [
        "A quarter's score is the average of the monthly scores published in it. When a quarter also has weekly "
        "scores, only the monthly ones are used.",
        "Scores for the city, areas, districts and sectors are kept apart. They are never added or averaged together.",
        "A score is counted in the quarter in which its survey period starts.",
    ]
    if not sec.recorded("sample_size"):
        notes.append("The department does not publish the number of people behind each score.")
    else:
        notes.append(f"A score based on fewer than {_minimum(sec)} people is not shown.")
    return notes


# --- What the notebook calls (either shape) ------------------------------------------------------------


def summary(sec: Section) -> list[str]:
    return answer_summary(sec) if shape(sec) == "answers" else score_summary(sec)


def details(sec: Section) -> list[str]:
    return answer_details(sec) if shape(sec) == "answers" else score_details(sec)


def results(sec: Section) -> TableSpec:
    return answer_results(sec) if shape(sec) == "answers" else score_results(sec)


def results_chart(sec: Section, published: pd.DataFrame | None):
    return answer_results_chart(sec, published) if shape(sec) == "answers" else None


def trend(sec: Section, quarters: int = 8) -> TableSpec:
    return answer_trend(sec, quarters) if shape(sec) == "answers" else score_trend(sec, quarters)


def trend_chart(sec: Section, published: pd.DataFrame | None):
    return answer_trend_chart(sec, published) if shape(sec) == "answers" else score_trend_chart(sec, published)


def districts(sec: Section) -> TableSpec:
    return answer_districts(sec) if shape(sec) == "answers" else score_districts(sec)


def district_charts(sec: Section, published: pd.DataFrame | None) -> list:
    if shape(sec) == "answers":
        made = answer_district_chart(sec, published)
        return [made] if made else []
    return score_district_charts(sec, published)


def groups(sec: Section) -> list[TableSpec]:
    return answer_groups(sec) if shape(sec) == "answers" else []


def groups_note(sec: Section) -> str:
    """Why there is, or is not, a breakdown by group of residents."""
    if shape(sec) == "answers":
        if not _ran(sec):
            return "The survey did not run in this period."
        if not answer_groups(sec):
            return "The survey does not record the race, sex or age of respondents."
        return ("Shares by who answered. Small groups have wide margins of error, so differences between groups "
                "of a few points may be chance.")
    return "This report uses the department's scores for all residents together, not its scores for groups of residents."


def privacy_note(sec: Section) -> str:
    """The suppression rule for answers; published scores hold no counts of people, so nothing is hidden."""
    if shape(sec) == "answers":
        return sec.privacy_note()
    return "These scores are not counts of people, so none of them needs to be hidden to protect privacy."


def method(sec: Section) -> list[str]:
    return answer_method(sec) if shape(sec) == "answers" else score_method(sec)


__all__ = [
    "TableSpec", "details", "district_charts", "districts", "groups", "groups_note", "method", "publish", "results", "results_chart",
    "privacy_note", "say_list", "shape", "summary", "trend", "trend_chart",
]


# --- The key question, answered on the report's page 2 -----------------------------------------------------------


def race_gaps(sec: Section, minority: str = "Black", reference: str = "White") -> list[tuple[str, surveys.ShareEstimate,
                                                                                           surveys.ShareEstimate, surveys.WaveChange]]:
    """For each question, the share agreeing among ``minority`` and ``reference`` respondents this period and the gap
    between them (the two-sample z-test on effective sample sizes that compares survey shares), largest gap first.
    Questions where either group has fewer answers than a share is shown for are left out."""
    if shape(sec) != "answers" or not sec.recorded("respondent_race"):
        return []
    now = answered(sec, sec.rows)
    race = now["respondent_race"].astype("string").fillna("Not recorded")
    mine, ref = estimates(sec, now[race == minority]), estimates(sec, now[race == reference])
    minimum = _minimum(sec)
    gaps = [(q, mine[q], ref[q], surveys.change_between_waves(mine[q], ref[q])) for q in questions(sec)
            if q in mine and q in ref and mine[q].respondents >= minimum and ref[q].respondents >= minimum]
    return sorted(gaps, key=lambda g: -abs(g[3].difference))


def key_answer(sec: Section, published_trend: pd.DataFrame | None, published_race: pd.DataFrame | None,
               minority: str = "Black", reference: str = "White"):
    """What do residents think, and does it differ by race? The residents who answered, and the question on which
    ``minority`` and ``reference`` residents differ most, with both shares as the published table by race shows them
    and the test of the gap, which gives the verdict; without answers by race, how many answers changed since the
    previous survey. A gap beyond chance is a finding."""
    from transparency.figures import answers

    question = "What do residents think, and does it differ by race?"
    if shape(sec) != "answers":
        return answers.Answer(sec.dataset, question, "See the section", answers.UNKNOWN,
                              ["The department publishes survey scores rather than answers; the section gives each score and "
                               "how it changed."])
    now = answered(sec, sec.rows)
    if now.empty:
        return answers.Answer(sec.dataset, question, "No survey", answers.UNKNOWN,
                              [f"The survey did not run in {sec.period.label()}."])
    name = "respondents" if sec.value("respondents") is not None else None
    count = sec.value(name) if name else None
    parts = ([answers.figure(sec.dataset, name, count, fmt.count(count, None)), " residents answered the survey this quarter."]
             if count is not None else ["Residents answered the survey this quarter."])
    gaps = race_gaps(sec, minority, reference)
    shown = [g for g in gaps if published_race is not None and {minority, reference} <= set(published_race.index)
             and not pd.isna(published_race.loc[minority, f"{g[0]} (%)"]) and not pd.isna(published_race.loc[reference, f"{g[0]} (%)"])]
    if not shown:
        before, beyond, compared = changed_beyond(sec)
        if before is None or not compared:
            return answers.Answer(sec.dataset, question, "No comparison", answers.UNKNOWN,
                                  parts + [" There are too few answers by race, and no earlier survey, to compare."])
        return answers.Answer(sec.dataset, question, "Some changes" if beyond else "No clear change",
                              answers.CHANGE if beyond else answers.STEADY,
                              parts + [f" Since the previous survey ({before.label()}), {_beyond_words(beyond, compared)}."])
    asked, _, _, gap = shown[0]
    column = f"{asked} (%)"
    mine, ref = float(published_race.loc[minority, column]), float(published_race.loc[reference, column])
    cells = [answers.cell(sec.dataset, "by_race", minority, column, mine, fmt.number(mine, 1) + "%"),
             answers.cell(sec.dataset, "by_race", reference, column, ref, fmt.number(ref, 1) + "%")]
    said = "a gap larger than chance alone would produce" if gap.beyond_normal_variation else "a gap within what chance alone could produce"
    parts += [f" The widest gap by race was on “{asked}”: ", cells[0], f" of {minority} residents agreed, against ", cells[1],
              f" of {reference} residents, {said}."]
    verdict, tone = answers.gap_verdict(gap.beyond_normal_variation, gap.difference, minority, f"{reference} residents")
    points = answers.trend_points(sec.dataset, "trend", published_trend, column, f"Share agreeing that “{asked}”, per quarter")
    made = answers.Answer(sec.dataset, question, verdict, tone, parts, points)
    if gap.beyond_normal_variation:
        made.findings.append(answers.Finding(sec.dataset, "disparity", [
            "Surveys: ", dict(cells[0]), f" of {minority} residents agreed that “{asked}”, against ", dict(cells[1]),
            f" of {reference} residents, a gap larger than chance alone would produce."], gap.p_value))
    return made
