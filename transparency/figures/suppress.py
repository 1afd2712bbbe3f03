"""Disclosure control: the one rule that hides small counts in every published table, chart and figure.

The rule, in the OpenSAFELY style:

1. **Small counts.** A count from 1 to ``min_count - 1`` is never published. Zero is published: a
   zero says nobody was counted and reveals nothing about a person.
2. **Complementary suppression.** A hidden cell must not be recoverable by subtraction. Every row
   and every column of a table is assumed to have a known total (see "What a reader is assumed to
   know" below), so a line that hides one cell must hide at least one more. The extra cell is the
   smallest published non-zero cell of that line (reason ``"complementary"``). A zero is chosen
   only when a line has nothing else left to hide: hiding a zero then stops the other hidden
   cell being worked out, and the zero itself was not sensitive. After the line rule, an exact
   check with linear algebra looks for cells that could still be worked out by combining several
   totals (for example two blocks of hidden cells joined by a single hidden cell); more cells are
   hidden, smallest first, until none can.
3. **Totals.** Totals are computed from the unsuppressed counts. A printed total that is itself a
   small count is hidden, and protected like a cell. A printed total may also be hidden as a
   complement when that is the cheapest way to protect a cell (for example the total of a row that
   has only one count column is that count).
4. **Dependent figures.** A percentage or rate built on a hidden count is blanked
   (:func:`blank_dependent`, :meth:`Suppressed.blank_dependent`, :func:`suppress_dependent`).
5. **Log.** Every hidden cell is logged with its row label, column and reason, never its value.
6. **Warnings.** The guarantee above is about exact arithmetic on totals. A reader who also uses
   the fact that counts are never negative can sometimes pin a hidden cell (a hidden cell whose
   row total is known to be 0 is 0). Hidden small counts exposed that way are listed in
   ``Suppressed.warnings`` for a person to resolve, usually by merging categories.

What a reader is assumed to know
--------------------------------
Besides what the table prints, a reader is assumed to know every row total, column total and
grand total that is not printed, because headline figures and other tables usually publish them;
only a total that is itself a small count is assumed hidden everywhere (this same rule hides it).
A "total" of a single cell is that cell, so it is not assumed known. The check protects against
exact recovery from these totals; like other published rules of this kind it does not promise
that a hidden cell cannot be bounded (a hidden cell is, after all, known to be below
``min_count`` or to be a complement).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

__all__ = [
    "COMPLEMENTARY",
    "DEPENDENT",
    "SMALL_COUNT",
    "Suppressed",
    "blank_dependent",
    "is_small",
    "suppress_dependent",
    "suppress_table",
    "suppress_value",
    "suppress_with_known_sums",
]

SMALL_COUNT = "small count"
COMPLEMENTARY = "complementary"
DEPENDENT = "depends on a suppressed count"

_TOLERANCE = 1e-9


def _check_min_count(min_count: int) -> None:
    if isinstance(min_count, bool) or not isinstance(min_count, numbers.Integral) or min_count < 1:
        raise ValueError(f"min_count must be a whole number of at least 1, got {min_count!r}")


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral) and math.isnan(value)


def _as_count(value: object) -> int:
    if isinstance(value, bool):
        raise TypeError(f"a count must be a number, got {value!r}")
    if not isinstance(value, numbers.Real) or not float(value).is_integer() or value < 0:
        raise ValueError(f"a count must be a whole number of at least 0, got {value!r}")
    return int(value)


def is_small(n: object, min_count: int) -> bool:
    """Say whether a count must be hidden for being small.

    Parameters
    ----------
    n : int or None
        A count; missing values are not small (there is nothing to hide).
    min_count : int
        Smallest count that may be published.

    Returns
    -------
    bool
        True for 1 to ``min_count - 1``; False for 0, larger counts and missing values.
    """
    _check_min_count(min_count)
    if _is_missing(n):
        return False
    return 1 <= _as_count(n) < min_count


def suppress_value(n: object, min_count: int) -> int | None:
    """Return a single count as it may be published.

    Parameters
    ----------
    n : int or None
        The count (a whole number, possibly stored as a float such as ``12.0``).
    min_count : int
        Smallest count that may be published (the agency's ``suppression.min_count``).

    Returns
    -------
    int or None
        ``n`` as an ``int``, or None when it is a small count (1 to ``min_count - 1``) or missing.
        Zero is returned as 0. The reason for a None from a present count is
        :data:`SMALL_COUNT`.

    Raises
    ------
    ValueError
        If ``n`` is negative or not a whole number, or ``min_count`` is less than 1.
    """
    _check_min_count(min_count)
    if _is_missing(n):
        return None
    count = _as_count(n)
    return None if 1 <= count < min_count else count


def suppress_dependent(value: object, *counts: object, min_count: int) -> object | None:
    """Blank a single figure (a rate, share or median) built on counts that would be hidden.

    Parameters
    ----------
    value : object
        The derived figure, such as a percentage.
    *counts : int or None
        Every count the figure is built on (numerator, denominator, number of records).
    min_count : int
        Smallest count that may be published.

    Returns
    -------
    object or None
        ``value``, or None when any count is a small count or missing.
    """
    _check_min_count(min_count)
    if any(suppress_value(count, min_count) is None for count in counts):
        return None
    return value


@dataclass(frozen=True, eq=False)
class Suppressed:
    """A table after disclosure control.

    Attributes
    ----------
    table : pandas.DataFrame
        A copy of the input, with the requested total column / total row added, count columns as
        nullable ``Int64`` and every hidden cell as ``pandas.NA``. Other columns are carried over.
    mask : pandas.DataFrame
        Booleans with the same index and columns as ``table``: True where a cell is hidden.
    log : list of dict
        One entry per hidden cell, in table order: ``{"row": <index label>, "column": <name>,
        "reason": "small count" | "complementary" | "depends on a suppressed count"}``.
        The hidden value is never recorded.
    min_count : int
        The threshold used.
    warnings : list of str
        Hidden small counts that a reader could still work out by combining the totals with the
        fact that counts are never negative (typically a line whose other cells are all zero).
        The rule cannot fix these by hiding more of this table; a person should merge categories
        or drop the table. Meant for the review checklist.
    """

    table: pd.DataFrame
    mask: pd.DataFrame
    log: list[dict] = field(default_factory=list)
    min_count: int = 5
    warnings: list[str] = field(default_factory=list)

    @property
    def n_suppressed(self) -> int:
        """Number of hidden cells, counts and dependent figures alike."""
        return int(self.mask.to_numpy().sum())

    def blank_dependent(self, rate_col: str | Sequence[str], count_col: str | Sequence[str]) -> Suppressed:
        """Return a copy with figures built on hidden counts blanked and logged.

        Parameters
        ----------
        rate_col : str or sequence of str
            Column(s) of ``table`` holding percentages or rates.
        count_col : str or sequence of str
            Count column(s) those figures are built on; a row is blanked when any is hidden.

        Returns
        -------
        Suppressed
            The same result with the figures blanked, ``mask`` set for them and one log entry
            per blanked figure (reason :data:`DEPENDENT`).
        """
        rate_cols = _as_list(rate_col)
        blank = _dependent_rows(self.table, count_col, self.mask)
        table = blank_dependent(self.table, rate_cols, count_col, self.mask)
        mask = self.mask.copy()
        log = list(self.log)
        for column in rate_cols:
            newly = blank & ~mask[column]
            mask[column] = mask[column] | blank
            log.extend(
                {"row": _plain(label), "column": _plain(column), "reason": DEPENDENT} for label in newly[newly].index
            )
        return replace(self, table=table, mask=mask, log=log)


def _as_list(columns: str | Sequence[str]) -> list:
    return [columns] if isinstance(columns, str) else list(columns)


def _dependent_rows(df: pd.DataFrame, count_col, mask: pd.DataFrame | pd.Series) -> pd.Series:
    if isinstance(mask, pd.DataFrame):
        hidden = mask[_as_list(count_col)].any(axis=1)
    else:
        hidden = mask.astype(bool)
    missing = df.index.difference(hidden.index)
    if len(missing):
        raise ValueError(f"the mask has no row for {list(missing)[:5]}; it must cover every row of the table")
    return hidden.reindex(df.index).astype(bool)


def blank_dependent(
    df: pd.DataFrame,
    rate_col: str | Sequence[str],
    count_col: str | Sequence[str],
    mask: pd.DataFrame | pd.Series,
) -> pd.DataFrame:
    """Blank percentages or rates whose count was hidden.

    Parameters
    ----------
    df : pandas.DataFrame
        The table holding the figures (usually ``Suppressed.table``).
    rate_col : str or sequence of str
        Column(s) to blank.
    count_col : str or sequence of str
        Count column(s) in ``mask`` that the figures are built on (numerator and denominator);
        ignored when ``mask`` is a Series.
    mask : pandas.DataFrame or pandas.Series
        ``Suppressed.mask``, or one boolean per row saying the row's count is hidden. It must
        cover every row of ``df`` (by index label).

    Returns
    -------
    pandas.DataFrame
        A copy of ``df`` with the figures missing in those rows; numeric figure columns become
        nullable ``Int64`` (whole numbers) or ``Float64`` so a blank is ``pandas.NA``.
    """
    blank = _dependent_rows(df, count_col, mask)
    out = df.copy()
    for column in _as_list(rate_col):
        values = out[column]
        if pd.api.types.is_integer_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
            values = values.astype("Int64")  # whole numbers stay whole ("340", never "340.0")
        elif pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
            values = values.astype("Float64")
        out[column] = values.mask(blank)
    return out


# The table rule -------------------------------------------------------------------------------


class _Grid:
    """Counts and totals of a table as an (m + 1) x (n + 1) grid; the last row and column are totals.

    ``printed`` marks what the published table shows; ``assumed_known`` marks totals that are not
    printed but that a reader is assumed to know. Each line (a row or column of the grid) gives an
    equation: its cells add up to its total.
    """

    def __init__(self, counts: np.ndarray, min_count: int, row_total: bool, col_total: bool, rows_add_up: bool = True,
                 totals_known: bool = False):
        m, n = counts.shape
        self.rows_add_up = rows_add_up
        self.m, self.n = m, n
        value = np.zeros((m + 1, n + 1), dtype=np.int64)
        value[:m, :n] = counts
        value[:m, n] = counts.sum(axis=1)
        value[m, :n] = counts.sum(axis=0)
        value[m, n] = counts.sum()
        self.value = value
        printed = np.zeros_like(value, dtype=bool)
        printed[:m, :n] = True
        printed[:m, n] = row_total
        printed[m, :n] = col_total
        printed[m, n] = row_total and col_total
        self.printed = printed
        small = (value >= 1) & (value < min_count)
        covers = np.zeros_like(value)
        covers[:m, n] = n
        covers[m, :n] = m
        covers[m, n] = m * n
        # A small total is assumed hidden everywhere, unless the reader can work it out from larger ones.
        self.assumed_known = ~printed & (~small | totals_known) & (covers >= 2)
        self.hidden = printed & small
        self.reason = np.where(self.hidden, SMALL_COUNT, "").astype(object)
        self.kept = np.zeros_like(value, dtype=bool)  # hidden as complements last (see suppress_table's keep)
        self.is_margin = np.zeros_like(value, dtype=bool)
        self.is_margin[m, :] = True
        self.is_margin[:, n] = True
        self.lines = self._lines()
        self.baseline = self._baseline()

    def _lines(self) -> list[list[tuple[tuple[int, int], int]]]:
        m, n = self.m, self.n
        columns = [[((i, j), 1) for i in range(m)] + [((m, j), -1)] for j in range(n)]
        if not self.rows_add_up:  # columns are different measures: only a column adds up to a total
            return columns
        lines = [[((i, j), 1) for j in range(n)] + [((i, n), -1)] for i in range(m)]
        lines += columns
        lines.append([((i, n), 1) for i in range(m)] + [((m, n), -1)])
        lines.append([((m, j), 1) for j in range(n)] + [((m, n), -1)])
        return lines

    def unknown(self, hidden: np.ndarray | None = None) -> np.ndarray:
        hidden = self.hidden if hidden is None else hidden
        return (self.printed & hidden) | (~self.printed & ~self.assumed_known)

    def _linear(self, unknown: np.ndarray) -> np.ndarray:
        """Unknown cells whose value follows exactly from the line equations."""
        cells = list(zip(*np.nonzero(unknown)))
        result = np.zeros_like(unknown)
        if not cells:
            return result
        column = {cell: k for k, cell in enumerate(cells)}
        rows = []
        for line in self.lines:
            row = np.zeros(len(cells))
            for cell, sign in line:
                if cell in column:
                    row[column[cell]] = sign
            if row.any():
                rows.append(row)
        if not rows:
            return result
        # A cell is determined when its unit vector lies in the row space of the equations, i.e.
        # when every solution of the homogeneous system leaves it unchanged.
        _, singular, vt = np.linalg.svd(np.array(rows))
        rank = int((singular > _TOLERANCE * max(1.0, singular.max())).sum())
        null = vt[rank:]
        for k, cell in enumerate(cells):
            if null.shape[0] == 0 or np.abs(null[:, k]).max() < 1e-8:
                result[cell] = True
        return result

    def determined(self, hidden: np.ndarray | None = None, nonnegative: bool = False) -> np.ndarray:
        """Cells a reader can work out exactly from everything they know.

        With ``nonnegative``, the reader also uses the fact that counts are never negative: when
        a line's known total equals the sum of its known cells, its other cells are all zero.
        """
        unknown = self.unknown(hidden)
        pinned = np.zeros_like(unknown)
        while True:
            found = self._linear(unknown & ~pinned) | pinned
            if not nonnegative:
                return found
            open_cell = unknown & ~found
            grew = False
            for line in self.lines:
                total = line[-1][0]
                if open_cell[total]:
                    continue
                parts = [cell for cell, _ in line[:-1] if open_cell[cell]]
                if parts and all(self.value[cell] == 0 for cell in parts):
                    for cell in parts:
                        pinned[cell] = True
                    grew = True
            if not grew:
                return found

    def _baseline(self) -> np.ndarray:
        # Totals a reader can work out from unprinted totals alone, even if the whole table is
        # hidden; nothing this table does can protect them, and they are public anyway.
        return self.determined(self.printed.copy()) & self.printed

    def exposed(self) -> np.ndarray:
        """Hidden printed cells that a reader could work out exactly."""
        return self.determined() & self.hidden & ~self.baseline

    def candidates(self) -> list[tuple[int, int]]:
        return [tuple(cell) for cell in np.argwhere(self.printed & ~self.hidden)]

    def key(self, cell: tuple[int, int]) -> tuple:
        # Smallest non-zero first; zeros only when nothing else is left; cells another output publishes
        # only after those (see suppress_table's keep); cells before totals.
        value = int(self.value[cell])
        return (bool(self.kept[cell]), value == 0, value, bool(self.is_margin[cell]), cell)

    def hide(self, cell: tuple[int, int]) -> None:
        self.hidden[cell] = True
        self.reason[cell] = COMPLEMENTARY

    def force(self, cells: np.ndarray) -> None:
        """Hide these count cells (an m x n mask) whatever their value: another output hides them."""
        grid = np.zeros_like(self.hidden)
        grid[: self.m, : self.n] = cells
        new = grid & ~self.hidden
        self.hidden |= new
        self.reason[new] = COMPLEMENTARY

    def apply_line_rule(self) -> bool:
        """Hide a second cell in every line that hides exactly one sensitive unknown."""
        changed = False
        while True:
            unknown = self.unknown()
            for line in self.lines:
                unknown_cells = [cell for cell, _ in line if unknown[cell]]
                if len(unknown_cells) != 1:
                    continue
                (only,) = unknown_cells
                if not (self.hidden[only] and self.printed[only]) or self.baseline[only]:
                    continue
                options = [cell for cell, _ in line if self.printed[cell] and not self.hidden[cell]]
                if options:
                    self.hide(min(options, key=self.key))
                    changed = True
                    break
            else:
                return changed

    def apply_exact_check(self) -> bool:
        """Hide one more cell if some hidden cell can be worked out by combining several lines."""
        exposed = self.exposed()
        if not exposed.any():
            return False
        options = self.candidates()
        if not options:
            raise RuntimeError("suppression could not protect every hidden cell; please report this table")
        exposed_rows = set(np.nonzero(exposed)[0])
        exposed_cols = set(np.nonzero(exposed)[1])

        def preference(cell: tuple[int, int]) -> tuple:
            near = cell[0] in exposed_rows or cell[1] in exposed_cols
            return (not near, *self.key(cell))

        options.sort(key=preference)
        before = int(exposed.sum())
        for cell in options:
            trial = self.hidden.copy()
            trial[cell] = True
            after = int((self.determined(trial) & trial & ~self.baseline).sum())
            if after < before:
                self.hide(cell)
                return True
        self.hide(options[0])
        return True

    def solve(self) -> None:
        while self.apply_line_rule() | self.apply_exact_check():
            pass

    def weak(self) -> np.ndarray:
        """Hidden small counts a reader could still work out, knowing counts are never negative."""
        return self.determined(nonnegative=True) & self.hidden & (self.reason == SMALL_COUNT)


def suppress_table(
    df: pd.DataFrame,
    count_columns: Sequence[Hashable] | None = None,
    min_count: int = 5,
    row_total: Hashable | None = None,
    col_total: Hashable | None = None,
    hide: pd.DataFrame | None = None,
    keep: pd.DataFrame | None = None,
    rows_add_up: bool = True,
    totals_known: bool = False,
) -> Suppressed:
    """Hide small counts in a table, and enough other cells that none can be worked out.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per category; the index labels the rows (they appear in the log, so set a
        meaningful index such as the district name). A 1-D table has one count column; a cross
        table has several. Other columns (labels, rates) are carried over unchanged; blank rates
        afterwards with :meth:`Suppressed.blank_dependent`.
    count_columns : sequence of column labels, optional
        The counts to protect. Default: every integer column (counts held as floats must be named).
        Counts must be whole numbers of at least 0 with no missing values.
    min_count : int, default 5
        Smallest count that may be published; 1 to ``min_count - 1`` are hidden.
    row_total : column label, optional
        If given, add a column of that name holding each row's total.
    col_total : index label, optional
        If given, add a row of that label holding each column's total (and, with ``row_total``,
        the grand total in the corner).
    hide : pandas.DataFrame of bool, optional
        Count cells that must be hidden whatever their value, because another published output
        hides the same figure (one disclosure decision across a publication): same index as
        ``df``, columns among ``count_columns`` (others are ignored). They are hidden with reason
        :data:`COMPLEMENTARY` and protected like any hidden cell.
    keep : pandas.DataFrame of bool, optional
        Count cells to hide as complements only when a line has no other choice (after zeros): cells
        that show a figure another output publishes, which hiding here would hide there too.
    rows_add_up : bool, default True
        False when the count columns are different measures of each row (a trend: officers
        assaulted, incidents, officers injured per quarter): a row's cells then add up to nothing a
        reader knows, so only each column's total is assumed known, and no row total may be printed.
    totals_known : bool, default False
        True when the reader knows the unprinted totals even where they are small counts, because they
        follow from larger published totals (:func:`suppress_with_known_sums`: a part of a column).

    Returns
    -------
    Suppressed
        The published table, the mask of hidden cells, the log and the count of hidden cells.

    Raises
    ------
    ValueError
        If there are no count columns, a count is missing, negative or fractional, labels repeat,
        a total's name clashes with an existing row or column, or ``min_count`` is below 1.

    Notes
    -----
    Unprinted totals are treated as public (see the module docstring), so the protection does not
    depend on whether the totals are printed here. Totals are computed from the unsuppressed counts.

    Examples
    --------
    >>> table = pd.DataFrame({"incidents": [30, 7, 3, 0]}, index=["White", "Black", "Asian", "Other"])
    >>> result = suppress_table(table, min_count=5, col_total="Total")
    >>> result.table["incidents"].tolist()
    [30, <NA>, <NA>, 0, 40]
    >>> [(entry["row"], entry["reason"]) for entry in result.log]
    [('Black', 'complementary'), ('Asian', 'small count')]
    """
    _check_min_count(min_count)
    if count_columns is None:
        count_columns = [
            column
            for column in df.columns
            if pd.api.types.is_integer_dtype(df[column].dtype) and not pd.api.types.is_bool_dtype(df[column].dtype)
        ]
    count_columns = list(count_columns)
    if not count_columns:
        raise ValueError("the table has no count columns; name them with count_columns=")
    if not df.columns.is_unique:
        raise ValueError("the table has repeated column names")
    if not df.index.is_unique:
        raise ValueError("the table has repeated row labels; the log could not say which row is which")
    for column in count_columns:
        if column not in df.columns:
            raise ValueError(f"count column {column!r} is not in the table")
    if row_total is not None and row_total in df.columns:
        raise ValueError(f"row_total {row_total!r} is already a column of the table")
    if col_total is not None and col_total in df.index:
        raise ValueError(f"col_total {col_total!r} is already a row label of the table")

    counts = np.zeros((len(df), len(count_columns)), dtype=np.int64)
    for j, column in enumerate(count_columns):
        values = df[column]
        if values.isna().any():
            raise ValueError(f"count column {column!r} has missing values; pass raw counts, not suppressed ones")
        if pd.api.types.is_bool_dtype(values.dtype) or not pd.api.types.is_numeric_dtype(values.dtype):
            raise ValueError(f"count column {column!r} must hold numbers, not {values.dtype}")
        numeric = values.to_numpy(dtype=float)
        if (numeric < 0).any() or not np.all(np.mod(numeric, 1) == 0):
            raise ValueError(f"count column {column!r} must hold whole numbers of at least 0")
        counts[:, j] = numeric.astype(np.int64)

    if row_total is not None and not rows_add_up:
        raise ValueError("a row total means nothing when the columns are different measures (rows_add_up=False)")
    grid = _Grid(counts, min_count, row_total is not None, col_total is not None, rows_add_up, totals_known)
    if hide is not None:
        forced = hide.reindex(index=df.index, columns=count_columns, fill_value=False).fillna(False).to_numpy(dtype=bool)
        grid.force(forced)
    if keep is not None:
        kept = keep.reindex(index=df.index, columns=count_columns, fill_value=False).fillna(False).to_numpy(dtype=bool)
        grid.kept[: grid.m, : grid.n] = kept
    if len(df):
        grid.solve()
    return _publish(df, count_columns, grid, row_total, col_total, min_count)


def _plain(label: Hashable) -> Hashable:
    """A numpy label as the Python value, so the log can go straight into JSON."""
    return label.item() if isinstance(label, np.generic) else label


def _publish(
    df: pd.DataFrame,
    count_columns: list,
    grid: _Grid,
    row_total: Hashable | None,
    col_total: Hashable | None,
    min_count: int,
) -> Suppressed:
    m, n = grid.m, grid.n
    table = df.copy()
    for j, column in enumerate(count_columns):
        table[column] = pd.array(grid.value[:m, j], dtype="Int64")
    columns = list(count_columns)
    if row_total is not None:
        table[row_total] = pd.array(grid.value[:m, n], dtype="Int64")
        columns.append(row_total)
    rows = list(df.index)
    if col_total is not None:
        totals = {column: [grid.value[m, j]] for j, column in enumerate(count_columns)}
        if row_total is not None:
            totals[row_total] = [grid.value[m, n]]
        total_row = pd.DataFrame(totals, index=pd.Index([col_total], name=df.index.name))
        total_row = total_row.astype("Int64")
        table = pd.concat([table, total_row]) if len(table) else total_row.reindex(columns=table.columns)
        for column in columns:
            table[column] = table[column].astype("Int64")
        rows.append(col_total)

    mask = pd.DataFrame(False, index=table.index, columns=table.columns)
    log = []
    warnings = []
    weak = grid.weak() if m else np.zeros_like(grid.hidden)
    grid_rows = list(range(m)) + ([m] if col_total is not None else [])
    grid_cols = list(range(n)) + ([n] if row_total is not None else [])
    for r, label in zip(grid_rows, rows):
        for c, column in zip(grid_cols, columns):
            if grid.hidden[r, c]:
                mask.iloc[r, table.columns.get_loc(column)] = True
                log.append({"row": _plain(label), "column": _plain(column), "reason": grid.reason[r, c]})
            if weak[r, c]:
                warnings.append(
                    f"row {label!r}, column {column!r}: this small count can still be worked out from the "
                    "totals and the zeros beside it; merge categories or do not publish this table"
                )
    for column in columns:
        table[column] = table[column].mask(mask[column])
    return Suppressed(table=table, mask=mask, log=log, min_count=min_count, warnings=warnings)


def suppress_with_known_sums(
    df: pd.DataFrame,
    known_sums: dict[Hashable, Sequence[Hashable]],
    count_columns: Sequence[Hashable] | None = None,
    min_count: int = 5,
    hide: pd.DataFrame | None = None,
    keep: pd.DataFrame | None = None,
) -> Suppressed:
    """Hide small counts in a table of measures (a trend) where another output publishes the sum of some rows.

    A trend's column is protected on its own total (:func:`suppress_table` with ``rows_add_up=False``). When
    another published table shows some of the same cells (this quarter, the previous one and the same one a
    year earlier) and so, by the rule's assumption, their sum, a reader also knows the sum of the column's
    other rows: one hidden cell among those would be recoverable by subtraction although the column as a
    whole hides two. So each column named in ``known_sums`` is protected as two lines, the rows listed and
    the other rows, each with its own known total; the other count columns are protected as before.

    Parameters
    ----------
    df, count_columns, min_count, hide, keep
        As for :func:`suppress_table`; the columns are different measures of each row (``rows_add_up=False``).
    known_sums : dict
        Count column -> the row labels whose sum another output publishes (labels not in ``df`` are ignored).

    Returns
    -------
    Suppressed
        As :func:`suppress_table` returns it, its log in table order.
    """
    if count_columns is None:
        count_columns = [c for c in df.columns
                         if pd.api.types.is_integer_dtype(df[c].dtype) and not pd.api.types.is_bool_dtype(df[c].dtype)]
    count_columns = list(count_columns)
    unknown = [c for c in known_sums if c not in count_columns]
    if unknown:
        raise ValueError(f"known_sums names {unknown!r}, which are not count columns of the table")
    split = [c for c in count_columns if c in known_sums]
    pieces: list[tuple[pd.Index, list, Suppressed]] = []
    plain = [c for c in count_columns if c not in split]
    if plain:
        pieces.append((df.index, plain, suppress_table(df, count_columns=plain, min_count=min_count, hide=hide,
                                                       keep=keep, rows_add_up=False)))
    for column in split:
        listed = set(known_sums[column])
        for rows in (df.index[[label in listed for label in df.index]], df.index[[label not in listed for label in df.index]]):
            if len(rows):
                part = df.loc[rows, [column]]
                # Each part's total is the column's total, or that less the other part's: known even when small.
                pieces.append((rows, [column], suppress_table(
                    part, count_columns=[column], min_count=min_count, rows_add_up=False, totals_known=True,
                    hide=None if hide is None else hide.reindex(index=rows, columns=[column]),
                    keep=None if keep is None else keep.reindex(index=rows, columns=[column]))))
    table = df.copy()
    mask = pd.DataFrame(False, index=df.index, columns=df.columns)
    for column in count_columns:
        table[column] = pd.array(df[column].to_numpy(), dtype="Int64")
    warnings: list[str] = []
    for rows, columns, result in pieces:
        for column in columns:
            table.loc[rows, column] = result.table.loc[rows, column]
            mask.loc[rows, column] = result.mask.loc[rows, column]
        warnings += result.warnings
    position = {label: k for k, label in enumerate(df.index)}
    order = {column: k for k, column in enumerate(df.columns)}
    log = sorted((entry for _, _, result in pieces for entry in result.log),
                 key=lambda e: (position[e["row"]], order[e["column"]]))
    for column in count_columns:
        table[column] = table[column].mask(mask[column])
    return Suppressed(table=table, mask=mask, log=log, min_count=min_count, warnings=warnings)
