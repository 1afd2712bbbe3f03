"""One rounding: a published figure shows the same digits in its table, its CSV, its chart and its alt text.

What this guards: figures are rounded once, by one rule (halves away from zero, on the number as written),
when a table is published; charts and alt text write each figure with the table's own formatter. The
values 11.45, 6.25 and 19.25 are the cases that went wrong: as floats, 11.45 is 11.4499..., so Python's
``f"{:.1f}"`` gives 11.4 where the table gave 11.5, and ``round(6.25, 1)`` gives 6.2 (halves to even).
"""

from __future__ import annotations

import html
import io
import re

import pandas as pd
import pytest

from transparency.core import fmt
from transparency.sections import stops
from transparency.sections.section import write_csv
from transparency.writing import analysis, charts


def svg_texts(fig) -> list[str]:
    """Every text drawn in a chart (the SVG keeps text as <text> elements: svg.fonttype none)."""
    return [html.unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", charts.to_svg(fig), re.S)]


def table_cells(markup: str) -> dict[str, list[str]]:
    """Row header -> the row's cells as an HTML table shows them."""
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", markup, re.S):
        cells = [html.unescape(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        if row.startswith('<th scope="row"'):
            rows[cells[0]] = cells[1:]
    return rows


@pytest.fixture
def by_race():
    """A stops-by-race table as computed: rates per 1,000 residents held as floats at full precision."""
    frame = pd.DataFrame(
        {
            "Stops": [240, 687, 229, 25, 40],
            "Share of stops (%)": [19.2, 56.3, 18.8, 2.0, 3.3],
            "Share of residents (%)": [48.0, 24.0, 20.0, 2.0, None],
            "Per 1,000 residents": [2.0, 11.45, 6.25, 6.25, None],
            "Interval low": [1.76, 10.61, 5.47, 4.04, None],
            "Interval high": [2.27, 12.34, 7.11, 19.25, None],
            stops.RATIO: [1.0, 5.725, 3.125, 3.125, None],
        },
        index=pd.Index(["White", "Black", "Hispanic", "Native American", "Unknown"], name="Race"),
    )
    for column in frame.columns[1:]:
        frame[column] = frame[column].astype("Float64")
    return frame


def test_rounding_rule_is_half_away_from_zero_on_the_written_number():
    # By hand: 11.45 -> 11.5, 6.25 -> 6.3, 19.25 -> 19.3, -2.25 -> -2.3; Python's round gives 11.4, 6.2, 19.2.
    assert [fmt.rounded(v, 1) for v in (11.45, 6.25, 19.25, -2.25)] == [11.5, 6.3, 19.3, -2.3]
    assert fmt.rounded(5.725, 2) == 5.73 and fmt.rounded(12, 1) == 12.0
    assert fmt.rounded(None) is None and fmt.rounded(float("nan")) is None
    assert str(fmt.rounded(-0.04, 1)) == "0.0"  # never "-0.0" in a CSV
    for value in (11.45, 6.25, 19.25, 0.05, 1234.5678, 2.675):
        for digits in (0, 1, 2):
            assert fmt.number(fmt.rounded(value, digits), digits) == fmt.number(value, digits)


def test_round_table_rounds_figures_once_and_keeps_counts_and_types(by_race):
    rounded = charts.round_table(by_race)
    assert rounded["Stops"].tolist() == [240, 687, 229, 25, 40] and rounded["Stops"].dtype == by_race["Stops"].dtype
    assert rounded["Per 1,000 residents"].tolist()[1:4] == [11.5, 6.3, 6.3]
    assert rounded["Interval high"].tolist()[3] == 19.3
    assert rounded[stops.RATIO].tolist()[1] == 5.7
    assert rounded["Per 1,000 residents"].dtype == by_race["Per 1,000 residents"].dtype
    assert pd.isna(rounded.loc["Unknown", "Per 1,000 residents"])
    assert charts.round_table(rounded).equals(rounded), "rounding what is rounded changes nothing"
    float_frame = pd.DataFrame({"x": [6.25, float("nan")], "label": ["a", "b"]})
    assert charts.round_table(float_frame)["x"].tolist()[0] == 6.3
    assert charts.round_table(float_frame)["label"].tolist() == ["a", "b"]


def test_csv_shows_the_numbers_the_html_table_shows(by_race, tmp_path):
    table = charts.round_table(by_race)
    write_csv(table.reset_index(), tmp_path / "t.csv")
    csv = pd.read_csv(io.StringIO((tmp_path / "t.csv").read_text()), index_col="Race")
    cells = table_cells(charts.table_html(table, "Stops by race"))
    for race, shown in cells.items():
        for column, text in zip(table.columns, shown):
            if text == "—":
                assert pd.isna(csv.loc[race, column])
            else:
                assert float(text.replace(",", "")) == csv.loc[race, column], (race, column, text)


@pytest.mark.parametrize("published", [False, True], ids=["held-at-full-precision", "published-rounded"])
def test_who_chart_labels_and_alt_text_are_the_table_cells(by_race, published):
    table = charts.round_table(by_race) if published else by_race
    cells = table_cells(charts.table_html(table, "Stops by race"))
    columns = list(table.columns)
    rate, low, high = (columns.index(c) for c in ("Per 1,000 residents", "Interval low", "Interval high"))
    # By hand, the table shows 11.5 (Black), 6.3 (Hispanic and Native American) and 19.3 (an interval's end).
    assert [cells[r][rate] for r in ("Black", "Hispanic", "Native American")] == ["11.5", "6.3", "6.3"]
    assert cells["Native American"][high] == "19.3"
    fig, alt = stops.who_chart(table, smallest=20)
    drawn = svg_texts(fig)
    for race in ("White", "Black", "Hispanic", "Native American"):
        shown = cells[race]
        assert shown[rate] in drawn, (race, shown[rate], drawn)
        assert f"{race} {shown[rate]} (interval {shown[low]} to {shown[high]})" in alt, (race, alt)
    assert "11.4" not in alt and "6.2" not in alt and "19.2" not in alt


def test_bar_and_line_labels_and_series_alt_are_the_table_cells():
    frame = pd.DataFrame({"Per 1,000": pd.array([11.45, 6.25, 12.0, None], dtype="Float64")},
                         index=pd.Index(["A", "B", "C", "D"], name="Group"))
    cells = [row[0] for row in table_cells(charts.table_html(frame, "Rates")).values()]
    assert cells == ["11.5", "6.3", "12.0", "—"]  # by hand: one decimal on every row of a column that is not whole
    values = frame["Per 1,000"].tolist()
    bars = svg_texts(charts.bar_chart(list(frame.index), values, title="t", value_label="Per 1,000 (rate)", note="n",
                                      value_format="number"))
    assert [t for t in bars if t in cells or t == charts.NOT_PUBLISHED] == cells[:3] + [charts.NOT_PUBLISHED]
    line = svg_texts(charts.line_chart(list(frame.index)[:3], values[:3], title="t", value_label="v", note="n",
                                       value_format="number"))
    assert "12.0" in line  # the last point, as the table shows it
    alt = analysis.series_alt("Bar chart", "rates", list(frame.index), values)
    assert alt == "Bar chart of rates: A 11.5; B 6.3; C 12.0; D not shown."


def test_a_chart_of_some_rows_shows_the_table_texts_of_those_rows():
    # The column is not whole (11.45), so the table shows 12.0 and 6.0; a chart of the whole rows alone must too.
    frame = pd.DataFrame({"Rate": pd.array([11.45, 12.0, 6.0], dtype="Float64")}, index=pd.Index(["A", "B", "C"]))
    texts = charts.published_texts(frame, "Rate", ["B", "C"])
    assert texts == ["12.0", "6.0"]
    drawn = svg_texts(charts.bar_chart(["B", "C"], [12.0, 6.0], texts=texts, title="t", value_label="v", note="n",
                                       value_format="number"))
    assert "12.0" in drawn and "6.0" in drawn
    assert analysis.series_alt("Bar chart", "rates", ["B", "C"], [12.0, 6.0], texts=texts) == \
        "Bar chart of rates: B 12.0; C 6.0."
