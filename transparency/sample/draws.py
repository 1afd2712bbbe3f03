"""Small helpers of the generator: random draws, planted-defect picks, ids and dates as text."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd


def last_complete_quarter(today: dt.date | None = None) -> str:
    """The last calendar quarter that ended before ``today``, as a code such as ``"2026Q3"``."""
    today = today or dt.date.today()
    index = today.year * 4 + (today.month - 1) // 3 - 1
    return f"{index // 4}Q{index % 4 + 1}"


def _parse_quarter(code: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{4})Q([1-4])", str(code).strip())
    if not match:
        raise ValueError(f"through must be a quarter code such as 2026Q3, got {code!r}")
    return int(match.group(1)), int(match.group(2))


def _norm(p) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return p / p.sum()


def _choice(rng: np.random.Generator, values, n: int, p=None) -> np.ndarray:
    values = np.asarray(values, dtype=object)
    return values[rng.choice(len(values), n, p=None if p is None else _norm(p))]


def _row_choice(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category index per row from a (rows x categories) matrix of weights."""
    cum = np.cumsum(probs, axis=1)
    cum /= cum[:, -1:]
    u = rng.random(len(probs))
    return np.minimum((u[:, None] > cum).sum(axis=1), probs.shape[1] - 1)


def _n_defects(rate: float, rows: int) -> int:
    """How many rows get a planted defect: ``rate`` of them, and at least one."""
    return max(1, int(round(rate * rows))) if rows else 0


def _pick(rng: np.random.Generator, free: np.ndarray, k: int) -> np.ndarray:
    """Choose ``k`` rows still free of planted defects, and mark them used."""
    candidates = np.flatnonzero(free)
    k = min(k, len(candidates))
    if not k:
        return np.empty(0, dtype=np.int64)
    chosen = np.sort(rng.choice(candidates, k, replace=False))
    free[chosen] = False
    return chosen


def _seq_in_group(group: np.ndarray) -> np.ndarray:
    """1, 2, 3, ... within runs of equal (sorted) group values."""
    return pd.Series(group).groupby(group).cumcount().to_numpy() + 1


def _zfill(prefix, numbers: np.ndarray, width: int) -> np.ndarray:
    text = pd.Series(np.asarray(numbers)).astype(str).str.zfill(width).to_numpy(dtype=object)
    return prefix + text if isinstance(prefix, str) else np.asarray(prefix, dtype=object) + text


def _yy(year: np.ndarray) -> np.ndarray:
    """Two-digit years as text: 2021 -> "21"."""
    return _zfill("", np.asarray(year) % 100, 2)


def _str(values: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    out = np.asarray(values).astype(str).astype(object)
    if missing is not None:
        out[missing] = ""
    return out


def _yes_no(flags: np.ndarray, yes: str = "Y", no: str = "N") -> np.ndarray:
    return np.where(flags, yes, no).astype(object)


def _vary_case(rng: np.random.Generator, values: np.ndarray, rate: float) -> np.ndarray:
    """Give a few cells the letter-case and stray-space variants that hand-typed entries have."""
    values = values.copy()
    idx = np.flatnonzero(rng.random(len(values)) < rate)
    styles = rng.integers(0, 4, len(idx))
    for i, style in zip(idx, styles):
        text = str(values[i])
        if not text:
            continue
        values[i] = (text.upper(), text.lower() + " ", " " + text.title(), text + "  ")[style]
    return values


def _format_days(epoch_days: np.ndarray, fmt: str) -> np.ndarray:
    unique, inverse = np.unique(epoch_days, return_inverse=True)
    text = pd.to_datetime(unique, unit="D").strftime(fmt).to_numpy(dtype=object)
    return text[inverse]


def _format_seconds(seconds_of_day: np.ndarray, fmt: str) -> np.ndarray:
    unique, inverse = np.unique(seconds_of_day, return_inverse=True)
    text = pd.to_datetime(unique, unit="s").strftime(fmt).to_numpy(dtype=object)
    return text[inverse]


def _format(secs: np.ndarray, date_fmt: str, time_fmt: str | None = None, sep: str = " ") -> np.ndarray:
    """Local wall-clock seconds since 1970-01-01 (naive) as text, fast for millions of rows."""
    secs = np.asarray(secs, dtype=np.int64)
    days = secs // 86400
    out = _format_days(days, date_fmt)
    if time_fmt:
        out = out + sep + _format_seconds(secs - days * 86400, time_fmt)
    return out
