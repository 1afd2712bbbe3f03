"""What the statewide notebook calls: sentences, tables (shown and written as CSV), funnel charts, metrics.json.

The notebook opens a :class:`StatewideReport` on the inputs the build gathered (published figures only,
:mod:`transparency.figures.statewide`), shows one part per compared dataset (:meth:`StatewideReport.dataset_part`),
and saves (:meth:`StatewideReport.save`): ``metrics.json`` with every figure shown, and the facts the
build's audit reads (which tables were written, and which of their columns are counts of events).
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd
from matplotlib.ticker import NullLocator

from transparency.core import fmt, registry
from transparency.figures import statewide as sw
from transparency.sections.section import write_csv
from transparency.writing import charts


class StatewideReport:
    """The statewide notebook's state: the agencies compared, and what it has published so far."""

    def __init__(self, inputs: str, output_dir: str = ""):
        self.state = sw.read_state(inputs)
        self.output_dir = Path(output_dir) if output_dir else Path(inputs).parent
        self.tables: list[dict] = []

    # --- Showing ----------------------------------------------------------------------------------------

    def say(self, *sentences: str) -> None:
        from IPython.display import HTML, display

        text = " ".join(s.strip() for s in sentences if s and s.strip())
        if text:
            display(HTML(f"<p>{html.escape(text)}</p>"))

    def heading(self, text: str, level: int = 2) -> None:
        from IPython.display import HTML, display

        display(HTML(f"<h{level}>{html.escape(text)}</h{level}>"))

    def table(self, frame: pd.DataFrame | None, name: str, caption: str, *, counts: list[str] | None = None,
              dataset: str | None = None, note: str | None = None, decimals: int = 1) -> None:
        """Show a table, write it to ``tables/statewide__<name>.csv`` and remember it for the audit.

        ``counts`` are its columns of counts of events of ``dataset`` (what the audit checks against each
        agency's published figure and the suppression rule).
        """
        from IPython.display import display

        if frame is None or frame.empty:
            return
        table = charts.round_table(frame, decimals)
        path = self.output_dir / "tables" / f"statewide__{name}.csv"
        write_csv(table.reset_index(), path)
        self.tables.append({"name": name, "file": f"tables/{path.name}", "caption": caption, "dataset": dataset,
                            "counts": list(counts or [])})
        markup = charts.table_html(table, caption, note=note, decimals=decimals)
        download = f'<p class="table-download">Download this table: <a href="tables/{html.escape(path.name)}">{html.escape(path.name)}</a></p>'
        display({"text/html": markup + download, "text/plain": f"[Table] {caption}"}, raw=True)

    def datasets(self) -> list[str]:
        """The compared datasets at least one agency reports for the period."""
        return sw.compared_datasets(self.state)

    def significance(self) -> str:
        return sw.significance_words()

    # --- The parts ----------------------------------------------------------------------------------------

    def summary(self) -> None:
        """Who is compared: agencies, residents, which reported; and how the comparison is fair."""
        state = self.state
        with_report = [a for a in state.agencies if a.published is not None]
        residents = sum(a.population or 0 for a in state.agencies)
        datasets = sw.compared_datasets(state)
        self.say(f"This report compares {len(state.agencies)} police agencies for {state.period.label()}, serving "
                 f"{residents:,} residents in all. {len(with_report)} of them have a report for the period.")
        missing = [a.name for a in state.agencies if a.published is None]
        if missing:
            self.say(f"No report for the period: {', '.join(missing)}. Their figures are left out.")
        if datasets:
            self.say("The topics compared are " + _join([sw.WORDS[d] for d in datasets]) + ".")

    def reporting(self) -> None:
        state = self.state
        table = sw.reporting(state)
        self.table(table, "reporting", f"Which agencies reported which topics, {state.period.code}",
                   note="“Does not publish”: the agency does not publish that kind of record. “Count not shown”: its count "
                        f"was below {state.min_count}, or hidden in its own report, to protect privacy. “Left out”: the "
                        "agency's report for the period does not have that topic.")

    def dataset_part(self, dataset: str) -> None:
        """One compared dataset: sentences, the side-by-side table, the funnel, peer groups and changes."""
        state = self.state
        words = sw.WORDS[dataset]
        self.heading(registry.dataset(dataset).title)
        if not sw.any_shown(state, dataset):
            self.say(f"No agency's count of {words} can be shown for {state.period.label()}: each is below "
                     f"{state.min_count}, hidden in the agency's own report to protect privacy, or not recorded for the period.")
            return
        overall = sw.state_rate(state, dataset)
        if overall.per_1000 is not None:  # per 1,000, as the tables below give it (to two decimals)
            self.say(f"Across the {_agencies(overall.agencies)} whose count is shown, there were "
                     f"{fmt.number(overall.per_1000, 2)} {words} per 1,000 residents in {state.period.label()} "
                     f"({overall.count:,} in all).")
        if overall.left_out:
            self.say(f"{_agencies(overall.left_out).capitalize()} reporting {words} "
                     f"{'is' if overall.left_out == 1 else 'are'} left out of the state's figures: the count is not shown "
                     "or there is no number of residents.")
        note = ("Likely range: the exact 95% interval for a count of events (Poisson). A dash marks a count not shown "
                "to protect privacy.")
        self.table(sw.comparison(state, dataset), f"{dataset}__residents",
                   f"{words.capitalize()} per 1,000 residents by agency, {state.period.code}",
                   counts=[words.capitalize()], dataset=dataset, note=note, decimals=2)
        missing = sw.without_population(state, dataset)
        if missing:
            self.say(f"No number of residents, so no rate per 1,000 residents and no place in the funnel: {', '.join(missing)}.")
        made = funnel_chart(state, dataset)
        if made is not None:
            charts.show(*made)
        self.table(sw.per_officer(state, dataset), f"{dataset}__officers",
                   f"{words.capitalize()} per 100 sworn officers by agency, {state.period.code}",
                   counts=[words.capitalize()], dataset=dataset, note=note)
        missing = sw.without_officers(state, dataset)
        if missing:
            self.say(f"No number of sworn officers, so no rate per 100 officers: {', '.join(missing)}.")
        self.table(sw.peer_groups(state, dataset), f"{dataset}__peer_groups",
                   f"{words.capitalize()} per 1,000 residents by peer group (agencies of similar size), {state.period.code}",
                   counts=[f"{words.capitalize()} (agencies shown)"], dataset=dataset, decimals=2)
        changed = sw.changes(state, dataset)
        self.table(changed, f"{dataset}__changes",
                   f"{words.capitalize()}: change from {state.period.previous().code} to {state.period.code}, by agency",
                   counts=list(changed.columns[:2]) if changed is not None else [], dataset=dataset,
                   note="By chance: how many times in 100 chance alone would give a change at least this large. Below 5 is "
                        "called beyond normal variation.")
        if changed is not None:
            beyond = changed[changed["Beyond normal variation"] != "No"]
            if len(beyond):
                self.say("Changes beyond normal variation: " + "; ".join(
                    f"{name} ({verdict.lower()})" for name, verdict in beyond["Beyond normal variation"].items()) + ".")
            else:
                self.say("No agency's change from the previous quarter is beyond normal variation.")

    def privacy_note(self) -> str:
        return (f"Counts from 1 to {self.state.min_count - 1} are not shown for any agency, nor any count an agency's own "
                "report hides. The state's and peer groups' totals add up only the counts shown, so no hidden count "
                "can be worked out from them.")

    # --- What the build reads -----------------------------------------------------------------------------

    def save(self) -> Path:
        """Write metrics.json (every figure shown) and the facts for the build's audit; call it last."""
        metrics = sw.figures(self.state)
        (self.output_dir / "metrics.json").write_text(json.dumps(metrics, indent=1, sort_keys=True) + "\n",
                                                      encoding="utf-8")
        path = self.output_dir / "sections" / "statewide.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"tables": self.tables}, indent=1, sort_keys=True), encoding="utf-8")
        return path


def _agencies(n: int) -> str:
    return "one agency" if n == 1 else f"{n:,} agencies"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _residents_ticks(low: float, high: float) -> list[int]:
    """Round numbers of residents for the funnel's axis: 1, 2 and 5 times powers of ten inside the range,
    or the ends of the range rounded to two digits when it holds fewer than two of those."""
    nice = [m * 10**e for e in range(2, 9) for m in (1, 2, 5)]
    inside = [t for t in nice if low <= t <= high]
    if len(inside) >= 2:
        return inside
    return sorted({int(float(f"{v:.2g}")) for v in (low * 1.05, high / 1.05)})


def funnel_chart(state: sw.State, dataset: str):
    """The funnel plot of ``dataset``: each agency's rate per 1,000 residents against its residents, the state
    rate, and the 95% and 99.8% control limits; ``(figure, alt text)``, or None with fewer than two agencies."""
    overall = sw.state_rate(state, dataset)
    points = []
    for agency in state.agencies:
        n = sw.count(state, agency, dataset)
        if n is not None and agency.population and sw.status(agency, dataset) == sw.REPORTED:
            points.append((agency.name, agency.population, 1000 * n / agency.population,
                           sw.funnel_position(n, overall.per_1000 * agency.population / 1000) if overall.count else sw.WITHIN))
    if len(points) < 2 or not overall.count:
        return None
    words = sw.WORDS[dataset]
    outside = [p for p in points if p[3] in (sw.ABOVE_998, sw.BELOW_998)]
    title = (f"{len(outside)} of {len(points)} agencies differ from the state beyond normal variation" if outside
             else f"No agency's rate of {words} differs from the state's beyond normal variation")
    fig, ax = charts.new_chart(title=title, note=f"Source: each agency's published report, {state.period.code}. Lines: "
                               "the state rate, and the 95% and 99.8% Poisson control limits for an agency of each size.")
    low, high = min(p[1] for p in points), max(p[1] for p in points)
    span = [low * 0.8 * (high * 1.25 / (low * 0.8)) ** (k / 60) for k in range(61)]
    centre = overall.per_1000
    for level, style in zip(sw.FUNNEL_LEVELS, ("--", ":")):
        limits = [sw.funnel_limits(centre * size / 1000, level) for size in span]
        ax.plot(span, [1000 * lo / size for (lo, _), size in zip(limits, span)], style, color=charts.TEXT_GREY, linewidth=1,
                label=f"{level * 100:g}% limits")
        ax.plot(span, [1000 * hi / size for (_, hi), size in zip(limits, span)], style, color=charts.TEXT_GREY, linewidth=1)
    ax.axhline(centre, color=charts.PALETTE["blue"], linewidth=1.2, label="State rate")
    inside = [p for p in points if p not in outside]
    ax.scatter([p[1] for p in inside], [p[2] for p in inside], color=charts.PALETTE["blue"], s=22, zorder=3,
               label="Agency")
    if outside:
        ax.scatter([p[1] for p in outside], [p[2] for p in outside], color=charts.PALETTE["orange"], marker="D", s=30,
                   zorder=3, label="Beyond the 99.8% limits")
        for name, size, value, _ in outside:
            ax.annotate(name.replace(" Police Department", ""), (size, value), xytext=(5, 3), textcoords="offset points",
                        fontsize=8)
    ax.set_xscale("log")
    ticks = _residents_ticks(span[0], span[-1])
    ax.set_xticks(ticks, [f"{t:,}" for t in ticks])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlim(span[0], span[-1])
    ax.set_xlabel("Residents (log scale)")
    ax.set_ylabel("Per 1,000 residents")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    alt = (f"Funnel plot of {words} per 1,000 residents against residents for {len(points)} agencies in "
           f"{state.period.code}. State rate {fmt.number(centre, 2)} per 1,000. ")
    alt += ("Beyond the 99.8% limits: " + "; ".join(f"{p[0]} {fmt.number(p[2], 2)} ({'higher' if p[3] == sw.ABOVE_998 else 'lower'})"
                                                     for p in outside) + "." if outside
            else "Every agency lies within the 99.8% limits.")
    return fig, alt
