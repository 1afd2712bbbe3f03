"""A starting section for any dataset: its headline figure, the change, and the trend.

``transparency new-dataset NAME`` writes a notebook that uses these; an analyst then adds the tables and
charts that belong to that dataset (see the use-of-force and complaints sections for the pattern).
"""

from __future__ import annotations

import pandas as pd

from transparency.core import registry
from transparency.figures.metrics import HEADLINE
from transparency.writing import analysis, charts

from . import _common
from .section import Section


def _id_field(sec: Section) -> str | None:
    """Count distinct ids when one row is part of a larger event (incident, complaint), else rows."""
    field_name = sec.spec.id_field
    return field_name if sec.spec.fields[field_name].type == "id" and field_name not in sec.spec.unique else None


def noun(sec: Section) -> str:
    return sec.spec.title.lower()


def summary(sec: Section) -> list[str]:
    label = f"records of {noun(sec)}"
    return _common.change_sentences(sec, label, f"record of {noun(sec)}", _id_field(sec))


def trend(sec: Section, quarters: int = 8) -> pd.DataFrame:
    table = analysis.trend(sec.data, sec.event, sec.period, quarters, _id_field(sec))
    return table.rename(columns={"quarter": "Quarter", "label": "Months", "count": "Count"}).set_index("Quarter")


def trend_chart(sec: Section, published: pd.DataFrame | None):
    if published is None:
        return None
    values = [None if pd.isna(v) else int(v) for v in published["Count"]]
    title = _common.change_title(sec, f"records of {noun(sec)}", _id_field(sec))
    note = f"Source: the department's {noun(sec)} records. {registry.dataset(sec.dataset).one_row_is.capitalize()} is one record."
    fig = charts.line_chart(list(published.index), {"Count": values}, title=title, value_label="Records (count)",
                            x_label="Quarter", note=note)
    return fig, analysis.series_alt("Line chart", f"records of {noun(sec)} per quarter", list(published.index), values)


def districts(sec: Section) -> pd.DataFrame | None:
    if not sec.recorded("district"):
        return None
    return analysis.breakdown(sec.rows, "district", _id_field(sec), label="District", count_label="Count",
                              labels=sec.label("district"))


__all__ = ["HEADLINE", "districts", "noun", "summary", "trend", "trend_chart"]
