"""Text columns held compactly: a column whose values repeat is a pandas Categorical, and the work on it is
done once per distinct value and spread to the rows through the codes.

A code of -1 (a missing cell) picks the last element of an array, so each per-value array here ends
with the value for a missing cell.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import union_categoricals

# A column is kept as categories when at most this share of its first rows is distinct.
_REPETITIVE = 0.9
_PROBE_ROWS = 1 << 16


def _compact_text(series: pd.Series) -> pd.Series:
    """A column of text cells, trimmed: categorical when its values repeat, else plain text."""
    probe = series.iloc[:_PROBE_ROWS]
    if len(probe) and probe.nunique() <= _REPETITIVE * len(probe):
        codes, uniques = pd.factorize(series)
        trimmed = pd.Index(uniques).str.strip()
        if not trimmed.equals(pd.Index(uniques)):
            recodes, trimmed = pd.factorize(trimmed)
            codes = recodes[codes]
        return pd.Series(pd.Categorical.from_codes(codes, categories=trimmed, validate=False), index=series.index)
    return _trimmed(series)


def _trimmed(series: pd.Series) -> pd.Series:
    """A column of text cells with white space trimmed from both ends of each."""
    series = series.astype(str)
    return series.str.strip() if _may_need_trimming(series) else series


def _may_need_trimming(series: pd.Series) -> bool:
    """False when no cell starts or ends with a byte that could be white space (below "!" or not ASCII)."""
    try:
        chunks = _arrow_chunks(series)
    except (pa.ArrowException, TypeError, ValueError):
        return True
    for chunk in chunks:
        if chunk.null_count:
            return True
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64)[chunk.offset: chunk.offset + len(chunk) + 1]
        data = chunk.buffers()[2]
        if data is None or not len(chunk):
            continue
        data = np.frombuffer(data, dtype=np.uint8)
        lengths = np.diff(offsets)
        full = lengths > 0
        ends = np.concatenate([data[offsets[:-1][full]], data[offsets[1:][full] - 1]])
        if ((ends < 0x21) | (ends >= 0x80)).any():
            return True
    return False

# Repetitive columns are pandas Categoricals (see read_raw): the work on them is done once per distinct
# value and spread to the rows through the codes. A code of -1 (a missing cell) picks the last element
# of an array, so each per-value array below ends with the value for a missing cell.


def _is_categorical(series: pd.Series) -> bool:
    return isinstance(series.dtype, pd.CategoricalDtype)


def _plain(series: pd.Series) -> pd.Series:
    """A categorical column as ordinary text (missing cells NaN); any other column as it is."""
    return series.astype(series.cat.categories.dtype) if _is_categorical(series) else series


def _as_string(series: pd.Series) -> pd.Series:
    """Text for the converters: a categorical column stays categorical, any other becomes ``string``."""
    return series if _is_categorical(series) else series.astype("string")


def _canonical(series: pd.Series) -> pd.Series:
    """The canonical dtype of a column: categorical text becomes ``string``."""
    return series.astype("string") if _is_categorical(series) else series


def _used_categories(series: pd.Series) -> pd.Series:
    """A categorical column without the categories no row holds (``remove_unused_categories``, by counting)."""
    codes = series.cat.codes.to_numpy()
    used = np.bincount(codes[codes >= 0], minlength=len(series.cat.categories)) > 0
    if used.all():
        return series
    renumber = np.append(np.cumsum(used) - 1, -1)
    categories = series.cat.categories[used]
    return pd.Series(pd.Categorical.from_codes(renumber[codes], categories=categories, validate=False), index=series.index)


def _distinct(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """A categorical column as (its distinct values as ``string``, then one missing value; each row's code)."""
    series = _used_categories(series)
    values = pd.concat([pd.Series(series.cat.categories, dtype="string"), pd.Series([pd.NA], dtype="string")], ignore_index=True)
    return values, series.cat.codes.to_numpy()


def _per_value_mask(series: pd.Series, test):
    """``test(values)`` (a boolean per value, or a tuple of such masks) for every row; on a categorical
    column once per distinct value."""
    if _is_categorical(series):
        codes = series.cat.codes.to_numpy()
        result = test(pd.Series(series.cat.categories))

        def spread(mask) -> np.ndarray:
            return np.append(np.asarray(mask, dtype=bool), False)[codes]
    else:
        result = test(series)

        def spread(mask) -> np.ndarray:
            return np.asarray(mask, dtype=bool)
    return tuple(spread(mask) for mask in result) if isinstance(result, tuple) else spread(result)


def _on_distinct(ctx: Any, series: pd.Series, convert) -> pd.Series:
    """``convert(ctx, text)`` for a column; on a categorical column once per distinct value.

    ``ctx`` is a :class:`transparency.reading.values._Context` or None (not imported here: values
    imports this module, and imports point one way).

    ``convert`` takes text (``string``, missing as NA) and returns a Series as long. Text results stay
    categorical (the distinct results are the categories); other results are spread to every row.
    Problems that ``convert`` notes on the context are noted row by row.
    """
    if not _is_categorical(series):
        return convert(ctx, series)
    values, codes = _distinct(series)
    sub = dataclasses.replace(ctx, pending=[]) if ctx is not None else None
    result = convert(sub, values)
    if sub is not None:
        for item in sub.pending:
            rows = np.asarray(item[1], dtype=bool)[codes]
            ctx.pending.append((item[0], rows, series) if len(item) == 3 else (item[0], rows))
    if isinstance(result.dtype, pd.StringDtype):
        result_codes, result_values = pd.factorize(result.array)
        categories = pd.Index(result_values, dtype=result.dtype)
        return pd.Series(pd.Categorical.from_codes(result_codes[codes], categories=categories, validate=False), index=series.index)
    return pd.Series(result.array.take(codes), index=series.index)


def _concat(frames: list[pd.DataFrame], consume: bool = False) -> pd.DataFrame:
    """``pd.concat(frames, ignore_index=True)`` that keeps categorical columns categorical (categories joined).

    ``consume`` empties the frames column by column as they are joined, so that the data is held about
    once, not twice.
    """
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    columns = list(frames[0].columns)
    if any(set(f.columns) != set(columns) or len(f.columns) != len(columns) for f in frames):
        return pd.concat([f.apply(_canonical) if len(f.columns) else f for f in frames], ignore_index=True)
    out = {}
    for column in columns:
        parts = [f.pop(column) if consume else f[column] for f in frames]
        if all(_is_categorical(p) for p in parts):
            try:
                out[column] = pd.Series(union_categoricals([p.array for p in parts]))
                continue
            except TypeError:  # categories of different types
                pass
        out[column] = pd.concat([_canonical(p) for p in parts], ignore_index=True)
        del parts
    return pd.DataFrame(out, copy=False)


def _positions(parts: list[pd.Series], keys: pd.Index) -> list[np.ndarray]:
    """For each part, each value's position in ``keys`` (distinct text), or -1 where it is not there.

    One look-up for all the parts (the table of keys is built once); a categorical part is looked up
    once per distinct value.
    """
    lookups = [pd.Series(p.cat.categories) if _is_categorical(p) else p for p in parts]
    if len(keys) == 0 or not sum(len(x) for x in lookups):
        return [np.full(len(p), -1, dtype=np.int64) for p in parts]
    chunks = [chunk for x in lookups for chunk in _arrow_chunks(x)]
    found = pc.index_in(pa.chunked_array(chunks, type=pa.large_string()), value_set=pa.concat_arrays(_arrow_chunks(keys)))
    found = pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    out, start = [], 0
    for part, lookup in zip(parts, lookups):
        block = found[start: start + len(lookup)]
        start += len(lookup)
        out.append(np.append(block, -1)[part.cat.codes.to_numpy()] if _is_categorical(part) else block)
    return out


def _arrow_chunks(values) -> list[pa.Array]:
    """Text as Arrow ``large_string`` arrays (without copying Arrow-backed text)."""
    array = pa.array(pd.Series(values, copy=False).astype("string").array)
    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    return [c.cast(pa.large_string()) for c in chunks] or [pa.array([], type=pa.large_string())]


def _take(series: pd.Series, positions: np.ndarray) -> pd.Series:
    """The rows at ``positions``, missing where the position is -1."""
    if _is_categorical(series):
        codes = np.append(series.cat.codes.to_numpy(), -1)[positions]
        return pd.Series(pd.Categorical.from_codes(codes, dtype=series.dtype, validate=False))
    return pd.Series(series.array.take(positions, allow_fill=True))


def _per_value(series: pd.Series, compute, missing) -> np.ndarray:
    """``compute(values)`` (a NumPy array, one element per value) for every row; on a categorical
    column once per distinct value, with ``missing`` for missing cells."""
    if _is_categorical(series):
        per_value = np.asarray(compute(pd.Series(series.cat.categories)))
        return np.append(per_value, np.array([missing], dtype=per_value.dtype))[series.cat.codes.to_numpy()]
    return np.asarray(compute(series))
