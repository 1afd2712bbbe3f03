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
    spec, agency = ctx.spec, ctx.agency
    n = len(ctx.frame)
    out: dict[str, pd.Series] = {}
    reasons: list[str] = []  # each row's first reason: 0 none, i the reason reasons[i - 1]
    reason_codes = np.zeros(n, dtype=np.int16)
    sources = ctx.group.columns
    event = spec.event

    def exclude(mask: pd.Series, why: str) -> None:
        rows = np.asarray(mask, dtype=bool) & (reason_codes == 0)
        if rows.any():
            if why not in reasons:
                reasons.append(why)
            reason_codes[rows] = reasons.index(why) + 1

    # The event date first: other fields (age from year of birth) depend on it.
    ordered = [event] + [f for f in sources if f != event]
    for field_name in ordered:
        if field_name not in sources:
            continue
        source = sources[field_name]
        fspec = spec.fields[field_name]
        if source.kind == "const":
            out[field_name] = _constant_field(ctx, field_name, source)
            continue
        if source.kind == "synthetic":
            out[field_name] = _synthetic_id(ctx, field_name, source)
            continue
        if fspec.type == "datetime":
            parsed, bad, col = _datetime_field(ctx, field_name, source)
            if field_name == event:
                _require_some(ctx, parsed.mask(bad, pd.Timestamp(0)), col, field_name)
                exclude(parsed.isna() & ~bad, f"missing_{field_name}")
                exclude(bad, f"unparseable_{field_name}")
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
            elif bad.any():
                ctx.count_issue(f"{field_name}: unreadable date", bad)
            out[field_name] = parsed
            continue
        if source.kind == "race_ethnicity":
            out[field_name] = _race_with_ethnicity(ctx, field_name, source)
            continue
        if source.kind == "first_of":
            out[field_name] = _first_of_label(ctx, field_name, source)
            continue
        if source.kind == "any_of":
            out[field_name] = _any_flag(ctx, field_name, source)
            continue
        if source.kind == "year_of_birth":
            out[field_name] = _age_from_year_of_birth(ctx, field_name, source)
            continue
        text, col = _text_field(ctx, field_name, source)
        values = _convert(ctx, field_name, text, col)
        out[field_name] = values
        if fspec.required:
            _require_some(ctx, values, col, field_name)
            exclude(values.isna(), f"missing_{field_name}")

    for field_name, known in ctx.time_known.items():  # whether each datetime's clock time was recorded
        out[time_known_column(field_name)] = pd.Series(known, index=ctx.frame.index)
    table = pd.DataFrame(out, index=ctx.frame.index)
    # Out-of-range event dates (placeholders such as 1900-01-01, or a year typed as 2202).
    if event in table:
        dates = table[event]
        low = pd.Timestamp(agency.model.valid_dates.from_)
        exclude(dates.notna() & (dates < low), f"out_of_range_{event}")
        # Nothing can have happened after today (in the agency's time zone): a typed 2202 for 2022.
        today = pd.Timestamp(dt.datetime.now(zoneinfo.ZoneInfo(agency.timezone)).date())
        exclude(dates.notna() & (dates >= today + pd.Timedelta(days=1)), f"out_of_range_{event}")
    reason = pd.Categorical.from_codes(reason_codes.astype(np.int64) - 1, categories=pd.Index(reasons, dtype="string"), validate=False)
    return table, pd.Series(reason, index=ctx.frame.index).astype("string")


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
