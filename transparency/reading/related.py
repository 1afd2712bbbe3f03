"""Related long tables (one row per officer, per charge...): read, aggregated per key and joined to the
main rows; related rows that match no main record are counted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from transparency.core import registry
from transparency.core.config import Agency, FileGroup, missing_tokens
from transparency.core.errors import DataError

from .columns import (
    _as_string,
    _canonical,
    _concat,
    _on_distinct,
    _per_value,
    _per_value_mask,
    _plain,
    _positions,
    _take,
)
from .files import _read, _read_ahead
from .rows import FileAccount, _blank_and_header, _display
from .values import _Context, _convert, _norm_key, _recode


@dataclass
class _Related:
    """A related table aggregated per key: one value per distinct key, in the order keys first appear."""

    main_key: str  # the main files' column that holds the key
    keys: pd.Index
    values: dict[str, pd.Series | np.ndarray]  # field -> one value per key
    config: object
    sizes: np.ndarray  # rows per key


def _load_related(agency: Agency, dataset: str, key: bytes | None, files_out: list[FileAccount],
                  unmapped: dict, issues: Counter) -> list[_Related]:
    """Each related table aggregated per key."""
    spec = registry.dataset(dataset)
    results = []
    for rel in agency.dataset(dataset).related:
        (rel_key, main_key), = rel.key.items()
        frames = []
        paths = ((pattern, path) for pattern in rel.files for path in agency.glob(pattern))
        reads = _read_ahead(paths, lambda item, rel=rel: _read(item[1], rel.encoding, rel.sheet, rel.delimiter))
        for (pattern, path), (frame, encoding_used, warnings, digest) in reads:
            account = FileAccount(_display(agency, path), digest, encoding_used, len(frame), role="related", warnings=warnings)
            blank, header = _blank_and_header(frame)
            account.excluded.update({"blank_row": int(blank.sum()), "header_row": int(header.sum())})
            account.excluded = +account.excluded
            frame = frame.loc[~(blank | header)]
            if rel_key not in frame.columns:
                raise DataError(str(path), f"has no key column '{rel_key}' (configured in related)")
            if rel.where:
                selected = _related_selected(frame, rel.where, path)
                if not selected.all():
                    account.excluded["not_selected"] += int((~selected).sum())
                    frame = frame.loc[selected]
            missing = missing_tokens(rel.missing_values) if rel.missing_values is not None else agency.file_groups[dataset][0].missing_values
            group = FileGroup(pattern, {}, (), None, None, missing, None)
            ctx = _Context(agency, spec, group, path, frame, np.arange(len(frame)) + 2, unmapped, issues, key)
            columns = {"__key": frame[rel_key]}
            for field_name, rf in rel.fields.items():
                if rf.column:
                    text = ctx.column(rf.column, field_name)
                    text = _as_string(text.where(~text.isin(set(group.missing_values))))
                    if rf.agg in ("any",):
                        if spec.fields[field_name].type == "bool":
                            columns[field_name] = _convert(ctx, field_name, text, rf.column).fillna(False).astype(bool)
                        else:
                            columns[field_name] = text.notna().astype(bool)
                    elif rf.agg in ("sum", "max", "min"):
                        columns[field_name] = pd.to_numeric(_plain(text), errors="coerce")
                    elif rf.agg == "most_serious":
                        recodes = _recode(ctx, field_name)
                        columns[field_name] = _on_distinct(None, text, lambda _, values, r=recodes: values.map(
                            lambda v: str(r.get(_norm_key(v), v)) if isinstance(v, str) else v).astype("string"))
                    else:
                        columns[field_name] = text
            ctx.settle_issues()
            frames.append(pd.DataFrame(columns))
            files_out.append(account)
        related = _concat(frames) if frames else pd.DataFrame({"__key": pd.Series([], dtype="string")})
        del frames
        # Groups by the key's codes: keys in the order they first appear, as groupby(sort=False) has them.
        codes, keys = pd.factorize(_plain(related.pop("__key")))
        keys = pd.Index(keys)
        sizes = np.bincount(codes, minlength=len(keys))
        aggregated: dict[str, pd.Series | np.ndarray] = {}
        for field_name, rf in rel.fields.items():
            if rf.agg == "any_row":
                aggregated[field_name] = sizes > 0
            elif rf.agg == "count":
                aggregated[field_name] = sizes.astype(float)
            elif rf.agg == "any":
                aggregated[field_name] = np.bincount(codes, weights=related[field_name].to_numpy(dtype=bool), minlength=len(keys)) > 0
            elif rf.agg in ("sum", "max", "min"):
                per_key = getattr(related[field_name].groupby(codes), rf.agg)()
                aggregated[field_name] = per_key.reindex(range(len(keys))).astype("Float64").reset_index(drop=True)
            elif rf.agg == "first":
                aggregated[field_name] = _canonical(related[field_name]).groupby(codes).first().reindex(range(len(keys))).reset_index(drop=True)
            elif rf.agg == "list":
                joined = _canonical(related[field_name]).groupby(codes).agg(lambda s, sep=rf.sep: sep.join(sorted(set(s.dropna()))))
                aggregated[field_name] = joined.reindex(range(len(keys))).reset_index(drop=True)
            elif rf.agg == "most_serious":
                # Rank by `order` (compared ignoring case and spaces); values not in it rank last. The value
                # kept is that of the first row with the best rank.
                rank = {_norm_key(value): i for i, value in enumerate(rf.order)}
                values = related[field_name]
                ranks = _per_value(values, lambda v, r=rank: np.array(
                    [r.get(_norm_key(x), len(r)) if isinstance(x, str) else np.nan for x in v], dtype=float), np.nan)
                # Per key the smallest (rank, row): one number, rank * rows + row.
                valid = np.flatnonzero(~np.isnan(ranks))
                score = ranks[valid].astype(np.int64) * len(values) + valid
                best = np.full(len(keys), np.iinfo(np.int64).max, dtype=np.int64)
                np.minimum.at(best, codes[valid], score)
                chosen = np.where(best == np.iinfo(np.int64).max, -1, best % max(len(values), 1))
                aggregated[field_name] = _take(values, chosen)
        results.append(_Related(main_key, keys, aggregated, rel, sizes))
        del related, codes
    return results


def _related_selected(frame: pd.DataFrame, where: dict[str, list[str]], path: Path) -> np.ndarray:
    """Rows of a related table that ``where`` keeps: every listed column holds one of its values
    (compared trimmed and ignoring case). A long table holding several kinds of row is read once per kind."""
    keep = np.ones(len(frame), dtype=bool)
    for column, values in where.items():
        if column not in frame.columns:
            raise DataError(str(path), f"has no column '{column}' (configured in related.where)")
        wanted = {_norm_key(v) for v in values}
        keep &= _per_value_mask(frame[column], lambda v, w=wanted: v.map(
            lambda x: isinstance(x, str) and _norm_key(x) in w).to_numpy(dtype=bool))
    return keep


def _join_related(ctx: _Context, work: pd.DataFrame, path: Path, related: list[_Related], matched: list[np.ndarray],
                  table: pd.DataFrame, looked_up: list[np.ndarray | None]) -> None:
    """Put each related table's aggregated fields on the main rows, by key; note which keys matched.

    ``looked_up`` holds, per related table, each row's position in its keys when already looked up.
    """
    spec = ctx.spec
    for number, rel in enumerate(related):
        if rel.main_key not in work.columns:
            raise DataError(str(path), f"has no column '{rel.main_key}' (the key of a related table)")
        positions = looked_up[number]
        if positions is None:
            positions = _positions([work[rel.main_key]], rel.keys)[0]
        found = positions >= 0
        matched[number][positions[found]] = True
        for field_name, rf in rel.config.fields.items():
            per_key = rel.values[field_name]
            if rf.agg in ("any", "any_row", "count"):
                values = np.zeros(len(work), dtype=per_key.dtype)
                values[found] = per_key[positions[found]]
                values = pd.Series(values, index=work.index).astype("boolean" if rf.agg != "count" else "Float64")
            else:
                values = _take(per_key, positions)
                values.index = work.index
                if spec.fields[field_name].type == "enum":
                    values = _convert(ctx, field_name, _as_string(values), rf.column or "")
                elif spec.fields[field_name].type == "bool":
                    values = values.astype("boolean")
            table[field_name] = values
