"""Where a raw row becomes a canonical row: one file's kept rows -> the canonical columns the agency maps,
and each row's exclusion reason (missing or unreadable event date, out of range, a required field empty).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import numpy as np
import pandas as pd

from transparency.core.config import Agency, FieldSource
from transparency.core.errors import DataError

from .columns import _as_string, _is_categorical, _per_value_mask, _plain
from .datefields import _datetime_field
from .timeofday import time_known_column
from .values import _Context, _convert, _first_present, _norm_key, _text_field


def _extract(ctx: _Context) -> tuple[pd.DataFrame, pd.Series]:
    """Canonical columns for one file's kept rows, and each row's exclusion reason (or NA)."""
    sources, event = ctx.group.columns, ctx.spec.event
    excluded = _Exclusions(len(ctx.frame))
    out: dict[str, pd.Series] = {}
    # The event date first: other fields (age from year of birth) depend on it.
    for field_name in [event] + [f for f in sources if f != event]:
        if field_name in sources:
            out[field_name] = _field_values(ctx, field_name, sources[field_name], excluded)
    for field_name, known in ctx.time_known.items():  # whether each datetime's clock time was recorded
        out[time_known_column(field_name)] = pd.Series(known, index=ctx.frame.index)
    table = pd.DataFrame(out, index=ctx.frame.index)
    if event in table:
        _exclude_out_of_range_events(ctx, table[event], excluded)
    return table, excluded.reasons(ctx.frame.index)


class _Exclusions:
    """Each row's first reason for exclusion: 0 none, i the reason ``names[i - 1]``."""

    def __init__(self, rows: int):
        self.names: list[str] = []
        self.codes = np.zeros(rows, dtype=np.int16)

    def exclude(self, mask: pd.Series, why: str) -> None:
        rows = np.asarray(mask, dtype=bool) & (self.codes == 0)
        if rows.any():
            if why not in self.names:
                self.names.append(why)
            self.codes[rows] = self.names.index(why) + 1

    def reasons(self, index: pd.Index) -> pd.Series:
        reason = pd.Categorical.from_codes(self.codes.astype(np.int64) - 1, categories=pd.Index(self.names, dtype="string"),
                                           validate=False)
        return pd.Series(reason, index=index).astype("string")


def _field_values(ctx: _Context, field_name: str, source: FieldSource, excluded: _Exclusions) -> pd.Series:
    """One canonical field's values, made as its source says; rows missing a required field are excluded."""
    if source.kind == "const":
        return _constant_field(ctx, field_name, source)
    if source.kind == "synthetic":
        return _synthetic_id(ctx, field_name, source)
    if ctx.spec.fields[field_name].type == "datetime":
        return _datetime_values(ctx, field_name, source, excluded)
    if source.kind == "race_ethnicity":
        return _race_with_ethnicity(ctx, field_name, source)
    if source.kind == "first_of":
        return _first_of_label(ctx, field_name, source)
    if source.kind == "any_of":
        return _any_flag(ctx, field_name, source)
    if source.kind == "year_of_birth":
        return _age_from_year_of_birth(ctx, field_name, source)
    text, col = _text_field(ctx, field_name, source)
    values = _convert(ctx, field_name, text, col)
    if ctx.spec.fields[field_name].required:
        _require_some(ctx, values, col, field_name)
        excluded.exclude(values.isna(), f"missing_{field_name}")
    return values


def _datetime_values(ctx: _Context, field_name: str, source: FieldSource, excluded: _Exclusions) -> pd.Series:
    """A datetime field. The event date: rows without one, or with one unreadable, are excluded, and a file
    whose dates mostly cannot be read is refused. Another date: unreadable ones are counted."""
    parsed, bad, col = _datetime_field(ctx, field_name, source)
    if field_name != ctx.spec.event:
        if bad.any():
            ctx.count_issue(f"{field_name}: unreadable date", bad)
        return parsed
    _require_some(ctx, parsed.mask(bad, pd.Timestamp(0)), col, field_name)
    excluded.exclude(parsed.isna() & ~bad, f"missing_{field_name}")
    excluded.exclude(bad, f"unparseable_{field_name}")
    readable = parsed.notna().sum()
    if len(parsed) and bad.sum() > readable:
        first = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            str(ctx.path),
            f"most dates cannot be read (for example '{ctx.frame[col].iloc[first]}'); "
            f"set {'date_format for ' + field_name if source.kind == 'datetime_parts' else 'datetime_format'} in agency.yml",
            row=int(ctx.row_numbers[first]), column=col,
        )
    ctx.event_dates = parsed
    return parsed


def _exclude_out_of_range_events(ctx: _Context, dates: pd.Series, excluded: _Exclusions) -> None:
    """Out-of-range event dates (placeholders such as 1900-01-01, or a year typed as 2202)."""
    agency, event = ctx.agency, ctx.spec.event
    low = pd.Timestamp(agency.model.valid_dates.from_)
    excluded.exclude(dates.notna() & (dates < low), f"out_of_range_{event}")
    # Nothing can have happened after today (in the agency's time zone): a typed 2202 for 2022.
    today = pd.Timestamp(dt.datetime.now(zoneinfo.ZoneInfo(agency.timezone)).date())
    excluded.exclude(dates.notna() & (dates >= today + pd.Timedelta(days=1)), f"out_of_range_{event}")


def _constant_field(ctx: _Context, field_name: str, source: FieldSource) -> pd.Series:
    """A field the configuration sets to one value for every row (a datetime has no time of day)."""
    n = len(ctx.frame)
    if ctx.spec.fields[field_name].type == "datetime":
        ctx.time_known[field_name] = np.zeros(n, dtype=bool)
        return pd.to_datetime(pd.Series([str(source.const)] * n, index=ctx.frame.index, dtype="string"))
    text = pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=pd.Index([str(source.const)], dtype="string"))
    return _convert(ctx, field_name, pd.Series(text, index=ctx.frame.index), "(constant)")


def _synthetic_id(ctx: _Context, field_name: str, source: FieldSource) -> pd.Series:
    """An id made from a hash of the configured columns (or of every column but the row_id ones)."""
    cols = list(source.columns) or [c for c in ctx.frame.columns if c not in _row_id_columns(ctx.agency, ctx.spec.name)]
    for c in cols:
        ctx.column(c, field_name)
    hashed = pd.util.hash_pandas_object(ctx.frame[cols], index=False).astype("uint64")
    return pd.Series([f"S{h:016x}" for h in hashed.to_numpy()], index=ctx.frame.index, dtype="string")


def _race_with_ethnicity(ctx: _Context, field_name: str, source: FieldSource) -> pd.Series:
    """Race from its column(s), made Hispanic where the ethnicity column holds one of the Hispanic codes."""
    race_text, col = _first_present(ctx, FieldSource("column", columns=source.columns, literal=source.literal, missing=source.missing), field_name)
    race = _convert(ctx, field_name, _as_string(race_text), col)
    eth_col = dict(source.parts)["ethnicity"]
    hispanic_codes = {_norm_key(v) for v in source.hispanic}
    hispanic = _per_value_mask(ctx.column(eth_col, field_name), lambda values, codes=hispanic_codes: values.map(_norm_key).isin(codes))
    if _is_categorical(race):
        if "Hispanic" not in race.cat.categories:
            race = race.cat.add_categories(["Hispanic"])
        return race.where(~hispanic, "Hispanic")
    return race.where(~hispanic, "Hispanic").astype("string")


def _first_of_label(ctx: _Context, field_name: str, source: FieldSource) -> pd.Series:
    """The label of the first listed column that is filled in each row (else the configured constant)."""
    label = pd.Series(pd.NA, index=ctx.frame.index, dtype="string")
    for column, name in reversed(source.parts):
        cells = ctx.column(column, field_name)
        present = ~ctx.missing_mask(cells, source)
        label = label.mask(present, name)
    if source.const is not None:
        label = label.fillna(str(source.const))
    return _convert(ctx, field_name, label, source.parts[0][0])


def _age_from_year_of_birth(ctx: _Context, field_name: str, source: FieldSource) -> pd.Series:
    """Age in the event's year from a year of birth; impossible ages and unreadable years counted, left out."""
    text, col = _first_present(ctx, FieldSource("column", columns=source.columns, missing=source.missing), field_name)
    text = _plain(text)
    years = pd.to_numeric(text, errors="coerce")
    if ctx.event_dates is None:
        raise DataError(str(ctx.path), f"{field_name} from a year of birth needs the event date {ctx.spec.event}")
    ages = (ctx.event_dates.dt.year - years).astype("Float64")
    impossible = ((ages < 0) | (ages > 110)).fillna(False)
    if impossible.any():
        ctx.count_issue(f"{field_name}: impossible age (below 0 or above 110)", impossible)
    bad = years.isna() & text.notna()
    if bad.any():
        ctx.count_issue(f"{field_name}: year of birth not a number", bad)
    return ages.mask(impossible)


def _any_flag(ctx: _Context, field_name: str, source: FieldSource) -> pd.Series:
    """A yes/no field spread over flag columns: true when any flag is true, false when none is and at least
    one is recorded, unknown (counted) when every flag is blank or unmatched. Each flag is read as the
    field's values (``values:`` recodes, then yes/no words); a recode of ``""`` makes a blank flag a no."""
    result = pd.Series(False, index=ctx.frame.index, dtype="boolean")
    recorded = np.zeros(len(ctx.frame), dtype=bool)
    for column in source.columns:
        text, _ = _first_present(ctx, FieldSource("column", columns=(column,), literal=source.literal, missing=source.missing), field_name)
        flags = _convert(ctx, field_name, _as_string(text), column).astype("boolean")
        result = result | flags.fillna(False)
        recorded |= flags.notna().to_numpy(dtype=bool)  # a recode of "" (blank means no) makes a blank recorded
    blank = ~recorded
    if blank.any():
        ctx.count_issue(f"{field_name}: no flag recorded ({', '.join(source.columns)}), so unknown", blank)
    return result.mask(pd.Series(blank, index=result.index))


def _require_some(ctx: _Context, values: pd.Series, column: str, field_name: str) -> None:
    """A required field that is empty in every row is a mapping mistake, not a data-quality finding."""
    if len(values) and values.isna().all():
        raise DataError(
            str(ctx.path), f"is empty in every row, but {field_name} is required",
            row=int(ctx.row_numbers[0]), column=column,
        )


def _row_id_columns(agency: Agency, dataset: str) -> list[str]:
    row_id = agency.dataset(dataset).row_id
    if row_id is None:
        return []
    return [row_id] if isinstance(row_id, str) else list(row_id)
