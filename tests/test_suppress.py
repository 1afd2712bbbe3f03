"""Tests for transparency.figures.suppress: small counts hidden, nothing recoverable from totals, all logged."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transparency.figures.suppress import (
    COMPLEMENTARY,
    DEPENDENT,
    SMALL_COUNT,
    blank_dependent,
    is_small,
    suppress_dependent,
    suppress_table,
    suppress_value,
)


def hidden_cells(result):
    """(row, column) pairs shown as missing in the published table."""
    return {
        (row, column) for row, column, hidden in result.mask.stack().reset_index().itertuples(index=False) if hidden
    }


def reasons(result):
    return {(entry["row"], entry["column"]): entry["reason"] for entry in result.log}


# Single figures ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "min_count", "expected"),
    [
        (0, 5, 0),
        (1, 5, None),
        (4, 5, None),
        (5, 5, 5),
        (12345, 5, 12345),
        (12.0, 5, 12),
        (np.int64(3), 5, None),
        (np.int64(7), 5, 7),
        (10, 11, None),
        (11, 11, 11),
        (1, 2, None),
        (1, 1, 1),  # a threshold of 1 hides nothing
        (None, 5, None),
        (float("nan"), 5, None),
        (pd.NA, 5, None),
    ],
)
def test_suppress_value(n, min_count, expected):
    result = suppress_value(n, min_count)
    assert result == expected if expected is not None else result is None
    if expected is not None:
        assert type(result) is int


@pytest.mark.parametrize("bad", [-1, 2.5, "3"])
def test_suppress_value_rejects_non_counts(bad):
    with pytest.raises(ValueError):
        suppress_value(bad, 5)


def test_suppress_value_rejects_booleans():
    with pytest.raises(TypeError):
        suppress_value(True, 5)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_min_count_must_be_at_least_one(bad):
    with pytest.raises(ValueError, match="min_count"):
        suppress_value(10, bad)


def test_is_small():
    assert [is_small(n, 5) for n in (0, 1, 4, 5, None)] == [False, True, True, False, False]


def test_suppress_dependent():
    assert suppress_dependent(0.25, 10, 40, min_count=5) == 0.25
    assert suppress_dependent(0.075, 3, 40, min_count=5) is None  # numerator hidden
    assert suppress_dependent(0.5, 2, 4, min_count=5) is None  # both hidden
    assert suppress_dependent(0.0, 0, 40, min_count=5) == 0.0  # zero is publishable
    assert suppress_dependent(8.5, None, min_count=5) is None  # count unknown


# One-way tables ---------------------------------------------------------------------------------


def race_table():
    return pd.DataFrame(
        {"incidents": [30, 7, 3, 0, 12]},
        index=pd.Index(["White", "Black", "Asian", "Other", "Unknown"], name="subject_race"),
    )


def test_one_way_table_hides_small_count_and_next_smallest():
    # Total 52 is public; hiding only Asian (3) would give it away as 52 - 30 - 7 - 0 - 12.
    # The next-smallest non-zero cell is Black (7); the zero stays.
    result = suppress_table(race_table(), min_count=5)
    assert result.table["incidents"].tolist() == [30, pd.NA, pd.NA, 0, 12]
    assert str(result.table["incidents"].dtype) == "Int64"
    assert hidden_cells(result) == {("Black", "incidents"), ("Asian", "incidents")}
    assert result.log == [
        {"row": "Black", "column": "incidents", "reason": COMPLEMENTARY},
        {"row": "Asian", "column": "incidents", "reason": SMALL_COUNT},
    ]
    assert result.n_suppressed == 2
    assert result.warnings == []


def test_one_way_table_with_printed_total():
    result = suppress_table(race_table(), min_count=5, col_total="Total")
    assert result.table.index.tolist() == ["White", "Black", "Asian", "Other", "Unknown", "Total"]
    assert result.table.loc["Total", "incidents"] == 52
    assert result.table.index.name == "subject_race"
    assert hidden_cells(result) == {("Black", "incidents"), ("Asian", "incidents")}


def test_input_is_not_changed():
    table = race_table()
    suppress_table(table, col_total="Total", row_total="All")
    assert table.equals(race_table())


def test_nothing_small_nothing_hidden():
    table = pd.DataFrame({"n": [10, 0, 25]}, index=list("abc"))
    result = suppress_table(table, min_count=5)
    assert result.table["n"].tolist() == [10, 0, 25]
    assert result.n_suppressed == 0 and result.log == []


def test_zero_is_never_hidden_for_being_zero():
    table = pd.DataFrame({"n": [0, 0, 9, 6]}, index=list("abcd"))
    assert suppress_table(table, min_count=5).n_suppressed == 0


def test_next_smallest_non_zero_cell_is_preferred_to_a_zero():
    # 3 is small; the zeros are smaller than 8 but hiding a zero tells a reader nothing.
    table = pd.DataFrame({"n": [3, 0, 8, 20]}, index=list("abcd"))
    result = suppress_table(table, min_count=5)
    assert reasons(result) == {("a", "n"): SMALL_COUNT, ("c", "n"): COMPLEMENTARY}


def test_two_small_counts_protect_each_other():
    # 2 and 3 are both hidden, so no complement is needed: 40 - 35 = 5 = 2 + 3 only.
    table = pd.DataFrame({"n": [2, 3, 35]}, index=list("abc"))
    result = suppress_table(table, min_count=5)
    assert reasons(result) == {("a", "n"): SMALL_COUNT, ("b", "n"): SMALL_COUNT}


def test_two_categories_with_one_small_hides_both():
    table = pd.DataFrame({"n": [3, 40]}, index=["yes", "no"])
    result = suppress_table(table, min_count=5)
    assert reasons(result) == {("yes", "n"): SMALL_COUNT, ("no", "n"): COMPLEMENTARY}


def test_small_total_is_hidden_and_needs_no_complement():
    # Total 3 is itself small, so it is not public: the single hidden 3 cannot be recovered.
    table = pd.DataFrame({"n": [3, 0, 0]}, index=list("abc"))
    result = suppress_table(table, min_count=5, col_total="Total")
    assert reasons(result) == {("a", "n"): SMALL_COUNT, ("Total", "n"): SMALL_COUNT}
    assert result.table["n"].tolist() == [pd.NA, 0, 0, pd.NA]


def test_row_total_of_a_one_column_table_is_hidden_with_its_cell():
    # A row total over one cell is that cell; printing it would undo the suppression.
    table = pd.DataFrame({"n": [3, 7, 20]}, index=list("abc"))
    result = suppress_table(table, min_count=5, row_total="Total")
    assert hidden_cells(result) == {("a", "n"), ("a", "Total"), ("b", "n"), ("b", "Total")}
    assert reasons(result)[("a", "Total")] == SMALL_COUNT
    assert reasons(result)[("b", "Total")] == COMPLEMENTARY


def test_higher_threshold():
    table = pd.DataFrame({"n": [10, 11, 30, 12]}, index=list("abcd"))
    result = suppress_table(table, min_count=11)
    assert reasons(result) == {("a", "n"): SMALL_COUNT, ("b", "n"): COMPLEMENTARY}


def test_float_counts_must_be_named_and_whole():
    table = pd.DataFrame({"n": [3.0, 10.0, 20.0], "share": [0.1, 0.3, 0.6]}, index=list("abc"))
    with pytest.raises(ValueError, match="no count columns"):
        suppress_table(table)
    result = suppress_table(table, count_columns=["n"])
    assert result.table["n"].tolist() == [pd.NA, pd.NA, 20]
    assert result.table["share"].tolist() == [0.1, 0.3, 0.6]  # carried over until blanked


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ([1, None, 3], "missing"),
        ([1, -2, 3], "whole numbers"),
        ([1.5, 2, 3], "whole numbers"),
        (["1", "2", "3"], "numbers"),
    ],
)
def test_bad_counts_are_refused(column, message):
    with pytest.raises(ValueError, match=message):
        suppress_table(pd.DataFrame({"n": column}), count_columns=["n"])


def test_bad_labels_are_refused():
    with pytest.raises(ValueError, match="repeated row labels"):
        suppress_table(pd.DataFrame({"n": [1, 2]}, index=["a", "a"]))
    with pytest.raises(ValueError, match="already a column"):
        suppress_table(pd.DataFrame({"n": [1, 2], "Total": [1, 2]}), count_columns=["n"], row_total="Total")
    with pytest.raises(ValueError, match="already a row label"):
        suppress_table(pd.DataFrame({"n": [1, 2]}, index=["a", "Total"]), col_total="Total")
    with pytest.raises(ValueError, match="not in the table"):
        suppress_table(pd.DataFrame({"n": [1, 2]}), count_columns=["m"])


def test_empty_table():
    table = pd.DataFrame({"n": pd.Series([], dtype="int64")})
    result = suppress_table(table, col_total="Total")
    assert result.table.loc["Total", "n"] == 0
    assert result.n_suppressed == 0


def test_label_columns_are_carried_into_the_table():
    table = pd.DataFrame({"district": ["North", "South", "East"], "stops": [3, 9, 40]}).set_index("district")
    table["note"] = ["x", "y", "z"]
    result = suppress_table(table, col_total="All districts")
    assert result.table["note"].tolist()[:3] == ["x", "y", "z"]
    assert pd.isna(result.table.loc["All districts", "note"])
    assert not result.mask["note"].any()


# Cross tables -----------------------------------------------------------------------------------


def test_cross_table_hides_a_rectangle():
    # x/a = 1 is small. Row x, column a and then row y / column b need second cells:
    # the smallest non-zero choices are x/b (10) and y/a (10), then y/b closes the rectangle.
    table = pd.DataFrame({"a": [1, 10, 10], "b": [10, 20, 30], "c": [0, 0, 40]}, index=["x", "y", "z"])
    result = suppress_table(table, min_count=5, row_total="Total", col_total="Total")
    assert hidden_cells(result) == {("x", "a"), ("x", "b"), ("y", "a"), ("y", "b")}
    assert result.table.loc["x", "Total"] == 11
    assert result.table.loc["Total", "a"] == 21
    assert result.table.loc["Total", "Total"] == 121
    # The published totals really are totals of the unsuppressed data.
    assert result.table.loc["z", "Total"] == 80


def test_small_row_total_is_protected_in_the_total_column():
    # Row x totals 3; it is hidden, and because the grand total (23) and row y's total (20) are
    # printed, one of them must go too or 23 - 20 gives it back. The smaller is 20.
    table = pd.DataFrame({"a": [2, 10], "b": [1, 10]}, index=["x", "y"])
    result = suppress_table(table, min_count=5, row_total="Total", col_total="Total")
    assert reasons(result)[("x", "Total")] == SMALL_COUNT
    assert reasons(result)[("y", "Total")] == COMPLEMENTARY
    assert result.table.loc["Total", "Total"] == 23


def test_cell_bridging_two_blocks_is_protected():
    # Small counts form two 2x2 blocks (p/q x a/b and r/s x c/d) joined by one more small count
    # at p/c. Every row and column then hides at least two cells, yet p/c can be worked out:
    # the totals of rows p and q minus the totals of columns a and b leave exactly p/c. The exact
    # check must hide one more cell; the cheapest is a 20 in row p or column c.
    raw = np.full((4, 4), 20)
    for i, j in [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3), (0, 2)]:
        raw[i, j] = 2
    table = pd.DataFrame(raw, index=list("pqrs"), columns=list("abcd"))
    primaries_only = table.astype("Int64").mask((table >= 1) & (table < 5))
    assert recoverable(raw, primaries_only, False, False, 5) == {(0, 2)}  # the attack finds it

    result = suppress_table(table, min_count=5)
    complements = [key for key, reason in reasons(result).items() if reason == COMPLEMENTARY]
    assert len(complements) == 1
    assert complements[0][0] == "p" or complements[0][1] == "c"
    assert recoverable(raw, result.table, False, False, 5) == set()


def test_zero_complement_when_nothing_else_is_left_and_warning():
    # Row x: 2 is small, so 9 must go. Column b: 9 is then alone beside a zero, so the zero goes;
    # row y then needs its other zero. Every line hides two cells, but row y's total is 0, so a
    # reader who knows counts are never negative gets 9 and then 2 back: the rule says so.
    table = pd.DataFrame({"a": [2, 0], "b": [9, 0]}, index=["x", "y"])
    result = suppress_table(table, min_count=5)
    assert reasons(result) == {
        ("x", "a"): SMALL_COUNT,
        ("x", "b"): COMPLEMENTARY,
        ("y", "a"): COMPLEMENTARY,
        ("y", "b"): COMPLEMENTARY,
    }
    assert len(result.warnings) == 1
    assert "'x'" in result.warnings[0] and "'a'" in result.warnings[0]


def test_zero_complement_that_protects():
    # Column b holds 12 (a complement for row x) and a zero in row y; row y has other counts, so
    # the zero in y/b could really have been anything up to y's total and hiding it works.
    table = pd.DataFrame({"a": [3, 8], "b": [12, 0], "c": [0, 30]}, index=["x", "y"])
    result = suppress_table(table, min_count=5)
    assert ("x", "a") in hidden_cells(result)
    assert result.warnings == []
    assert not recoverable(table.to_numpy(), result.table, False, False, 5)


def test_log_never_holds_values():
    result = suppress_table(race_table(), min_count=5, col_total="Total")
    for entry in result.log:
        assert set(entry) == {"row", "column", "reason"}


# Dependent figures ------------------------------------------------------------------------------


def rates_table():
    table = pd.DataFrame({"stops": [3, 9, 40, 0], "searches": [1, 4, 20, 0]}, index=["a", "b", "c", "d"])
    table["search_rate"] = [1 / 3, 4 / 9, 0.5, float("nan")]
    return table


def test_blank_dependent_with_mask():
    result = suppress_table(rates_table(), count_columns=["stops", "searches"], min_count=5)
    blanked = blank_dependent(result.table, "search_rate", ["stops", "searches"], result.mask)
    # a, b hide small counts; c is published in full, so its rate stays.
    assert pd.isna(blanked.loc["a", "search_rate"]) and pd.isna(blanked.loc["b", "search_rate"])
    assert blanked.loc["c", "search_rate"] == 0.5
    assert str(blanked["search_rate"].dtype) == "Float64"


def test_blank_dependent_with_series_and_string_figures():
    table = pd.DataFrame({"share": ["10%", "90%"]}, index=["a", "b"])
    blanked = blank_dependent(table, "share", None, pd.Series([True, False], index=["a", "b"]))
    assert pd.isna(blanked.loc["a", "share"]) and blanked.loc["b", "share"] == "90%"


def test_blank_dependent_requires_every_row_in_mask():
    table = pd.DataFrame({"rate": [0.1, 0.2]}, index=["a", "b"])
    with pytest.raises(ValueError, match="no row"):
        blank_dependent(table, "rate", "n", pd.Series([True], index=["a"]))


def test_suppressed_blank_dependent_updates_mask_and_log():
    table = pd.DataFrame({"n": [3, 20, 40]}, index=list("abc"))
    table["pct"] = table["n"] / 63
    result = suppress_table(table, count_columns=["n"], min_count=5).blank_dependent("pct", "n")
    assert result.mask["pct"].tolist() == [True, True, False]
    assert [e for e in result.log if e["column"] == "pct"] == [
        {"row": "a", "column": "pct", "reason": DEPENDENT},
        {"row": "b", "column": "pct", "reason": DEPENDENT},
    ]
    assert result.n_suppressed == 4
    assert result.table["pct"].isna().tolist() == [True, True, False]


# Properties over random tables ------------------------------------------------------------------


def reader_knowledge(raw, published, row_total, col_total, min_count):
    """What a reader knows, on the (m + 1) x (n + 1) grid of cells and totals (None = unknown).

    The reader sees every printed figure and, per the documented model, every total that is not
    printed unless it is small or is the total of a single cell.
    """
    m, n = raw.shape
    grid = np.zeros((m + 1, n + 1), dtype=object)
    for i in range(m):
        for j in range(n):
            grid[i, j] = int(raw[i, j])
        grid[i, n] = sum(int(v) for v in raw[i])
    for j in range(n):
        grid[m, j] = sum(int(raw[i, j]) for i in range(m))
    grid[m, n] = sum(grid[i, n] for i in range(m))
    known = {}
    printed_value = published.to_numpy(dtype=object)
    for i in range(m + 1):
        for j in range(n + 1):
            is_row_total, is_col_total = j == n, i == m
            printed = (not is_row_total or row_total) and (not is_col_total or col_total)
            if printed:
                value = printed_value[i, j]
                known[(i, j)] = None if pd.isna(value) else int(value)
            else:
                covers = m * n if (is_row_total and is_col_total) else n if is_row_total else m if is_col_total else 1
                small = 1 <= grid[i, j] < min_count
                known[(i, j)] = grid[i, j] if (covers >= 2 and not small) else None
    return grid, known


def lines(m, n):
    """Each line as (cells, total): the cells add up to the total."""
    result = [([(i, j) for j in range(n)], (i, n)) for i in range(m)]
    result += [([(i, j) for i in range(m)], (m, j)) for j in range(n)]
    result.append(([(i, n) for i in range(m)], (m, n)))
    result.append(([(m, j) for j in range(n)], (m, n)))
    return result


def rref_determined(m, n, known):
    """Unknowns fixed by the line equations, by exact Gaussian elimination over the rationals."""
    unknowns = [cell for cell, value in known.items() if value is None]
    position = {cell: k for k, cell in enumerate(unknowns)}
    rows = []
    for cells, total in lines(m, n):
        row = [Fraction(0)] * len(unknowns)
        for cell in cells:
            if cell in position:
                row[position[cell]] += 1
        if total in position:
            row[position[total]] -= 1
        if any(row):
            rows.append(row)
    pivot_row = 0
    for col in range(len(unknowns)):
        pivot = next((r for r in range(pivot_row, len(rows)) if rows[r][col] != 0), None)
        if pivot is None:
            continue
        rows[pivot_row], rows[pivot] = rows[pivot], rows[pivot_row]
        lead = rows[pivot_row][col]
        rows[pivot_row] = [v / lead for v in rows[pivot_row]]
        for r in range(len(rows)):
            if r != pivot_row and rows[r][col] != 0:
                factor = rows[r][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[pivot_row])]
        pivot_row += 1
    determined = set()
    for row in rows[:pivot_row]:
        nonzero = [k for k, v in enumerate(row) if v != 0]
        if len(nonzero) == 1:
            determined.add(unknowns[nonzero[0]])
    return determined


def peel(m, n, known):
    """The subtraction attack: solve any line with one unknown, repeat. Returns what it learns."""
    known = dict(known)
    learned = set()
    changed = True
    while changed:
        changed = False
        for cells, total in lines(m, n):
            members = [*cells, total]
            missing = [cell for cell in members if known[cell] is None]
            if len(missing) != 1:
                continue
            (cell,) = missing
            if cell == total:
                known[cell] = sum(known[c] for c in cells)
            else:
                known[cell] = known[total] - sum(known[c] for c in cells if c != cell)
            learned.add(cell)
            changed = True
    return learned, known


def recoverable(raw, published, row_total, col_total, min_count):
    """Hidden printed count cells (and hidden small totals) a reader can work out exactly."""
    m, n = raw.shape
    grid, known = reader_knowledge(raw, published, row_total, col_total, min_count)
    hidden = set()
    for i in range(m + 1):
        for j in range(n + 1):
            is_total = i == m or j == n
            printed = (j < n or row_total) and (i < m or col_total)
            if not printed or known[(i, j)] is not None:
                continue
            if not is_total or 1 <= grid[i, j] < min_count:
                hidden.add((i, j))
    learned, solved = peel(m, n, known)
    for cell in learned:
        assert solved[cell] == grid[cell]  # the attack model itself is sound
    return (learned | rref_determined(m, n, known)) & hidden


counts = st.one_of(st.integers(0, 30), st.sampled_from([0, 0, 1, 2, 3, 4, 5, 6]))


@st.composite
def tables(draw):
    m = draw(st.integers(1, 6))
    n = draw(st.integers(1, 6))
    raw = np.array(draw(st.lists(st.lists(counts, min_size=n, max_size=n), min_size=m, max_size=m)), dtype=int)
    min_count = draw(st.integers(2, 11))
    row_total = draw(st.booleans())
    col_total = draw(st.booleans())
    return raw, min_count, row_total, col_total


def run(raw, min_count, row_total, col_total):
    m, n = raw.shape
    frame = pd.DataFrame(raw, index=[f"r{i}" for i in range(m)], columns=[f"c{j}" for j in range(n)])
    result = suppress_table(
        frame, min_count=min_count, row_total="Total" if row_total else None, col_total="Total" if col_total else None
    )
    return frame, result


PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(tables())
def test_no_small_count_is_published(case):
    raw, min_count, row_total, col_total = case
    _, result = run(raw, min_count, row_total, col_total)
    values = result.table.to_numpy(dtype=object).ravel()
    published = [int(v) for v in values if not pd.isna(v)]
    assert not [v for v in published if 1 <= v < min_count]


@PROPERTY
@given(tables())
def test_published_figures_are_the_true_figures(case):
    raw, min_count, row_total, col_total = case
    frame, result = run(raw, min_count, row_total, col_total)
    m, n = raw.shape
    for i in range(m):
        for j in range(n):
            value = result.table.iloc[i, j]
            assert pd.isna(value) or value == raw[i, j]
        if row_total and not pd.isna(result.table.iloc[i, n]):
            assert result.table.iloc[i, n] == sum(raw[i])
    if col_total:
        for j in range(n):
            value = result.table.iloc[m, j]
            assert pd.isna(value) or value == sum(raw[:, j])
    # mask, log and count agree with the missing cells
    assert (result.mask.to_numpy() == result.table.isna().to_numpy()).all()
    assert len(result.log) == result.n_suppressed == int(result.table.isna().to_numpy().sum())


@PROPERTY
@given(tables())
def test_small_counts_and_only_they_are_logged_as_small(case):
    raw, min_count, row_total, col_total = case
    _, result = run(raw, min_count, row_total, col_total)
    m, n = raw.shape
    for entry in result.log:
        i = m if entry["row"] == "Total" else int(entry["row"][1:])
        j = n if entry["column"] == "Total" else int(entry["column"][1:])
        true = raw[i, j] if (i < m and j < n) else (sum(raw[i]) if i < m else sum(raw[:, j]) if j < n else raw.sum())
        assert entry["reason"] in (SMALL_COUNT, COMPLEMENTARY)
        assert (entry["reason"] == SMALL_COUNT) == (1 <= true < min_count)
        if true == 0:
            assert entry["reason"] == COMPLEMENTARY  # never hidden for being zero


@PROPERTY
@given(tables())
def test_every_line_with_totals_printed_hides_zero_or_at_least_two(case):
    # The brief's rule on the fully printed table: every row and column, the total row and the
    # total column included, hides no cell or at least two.
    raw, min_count, _, _ = case
    _, result = run(raw, min_count, True, True)
    hidden = result.table.isna().to_numpy()
    for line in [*hidden, *hidden.T]:
        assert line.sum() != 1


@PROPERTY
@given(tables())
def test_lines_hide_two_when_their_total_is_public(case):
    # Without printed totals the reader still knows each line's total unless it is small or the
    # total of one cell; such a line must hide no cell or at least two.
    raw, min_count, _, _ = case
    _, result = run(raw, min_count, False, False)
    hidden = result.table.isna().to_numpy()
    m, n = raw.shape
    for i in range(m):
        total_public = n >= 2 and not 1 <= raw[i].sum() < min_count
        if total_public:
            assert hidden[i].sum() != 1
    for j in range(n):
        total_public = m >= 2 and not 1 <= raw[:, j].sum() < min_count
        if total_public:
            assert hidden[:, j].sum() != 1


@PROPERTY
@given(tables())
def test_no_hidden_cell_can_be_worked_out_from_totals(case):
    raw, min_count, row_total, col_total = case
    _, result = run(raw, min_count, row_total, col_total)
    assert recoverable(raw, result.table, row_total, col_total, min_count) == set()


@PROPERTY
@given(tables())
def test_nothing_hidden_without_a_small_count(case):
    raw, min_count, row_total, col_total = case
    raw = np.where((raw >= 1) & (raw < min_count), raw + min_count, raw)
    _, result = run(raw, min_count, row_total, col_total)
    small_totals = [t for t in [*raw.sum(axis=1), *raw.sum(axis=0), raw.sum()] if 1 <= t < min_count]
    if not small_totals:
        assert result.n_suppressed == 0


# A trend beside a table that publishes the sum of some of its rows ---------------------------------------


def _determined_by(equations: list[list[int]], cells: list, unknown: set) -> set:
    """The unknown cells whose value follows from equations (each a list of cell positions adding up to a known sum)."""
    names = sorted(unknown)
    if not names:
        return set()
    matrix = np.array([[1.0 if name in eq else 0.0 for name in names] for eq in equations] or [[0.0] * len(names)])
    rank = np.linalg.matrix_rank(matrix)
    found = set()
    for k, name in enumerate(names):
        unit = np.zeros(len(names))
        unit[k] = 1.0
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            found.add(name)
    return found


@pytest.mark.parametrize("column", [
    [0, 0, 0, 4, 0, 4, 3, 0],    # the oakdale case: one small quarter outside the three another table shows
    [9, 7, 2, 8, 6, 3, 1, 12],
    [0, 0, 0, 0, 0, 2, 0, 0],
    [5, 5, 5, 1, 5, 5, 1, 5],
])
def test_known_sums_leave_no_hidden_count_recoverable_with_the_block_sum(column):
    from transparency.figures.suppress import suppress_with_known_sums

    quarters = [f"Q{i}" for i in range(len(column))]
    block = ["Q3", "Q6", "Q7"]  # this quarter, the previous one, a year earlier: their sum is published elsewhere
    frame = pd.DataFrame({"Closed": column, "Received": [10] * len(column)}, index=quarters)
    result = suppress_with_known_sums(frame, {"Closed": block}, min_count=5)
    hidden = {q for q in quarters if result.mask.loc[q, "Closed"]}
    small = {q for q, n in zip(quarters, column) if 1 <= n < 5}
    assert small <= hidden
    assert not result.mask["Received"].any()
    # What a reader knows: the column's total, and the block's sum (from the other table).
    equations = [quarters, block]
    assert _determined_by(equations, quarters, hidden) & small == set()
    for q in quarters:
        if q not in hidden:
            assert result.table.loc[q, "Closed"] == frame.loc[q, "Closed"]
    assert {(e["row"], e["column"]) for e in result.log} == {(q, "Closed") for q in hidden}


def test_without_known_sums_the_trend_column_gives_the_small_quarter_away():
    # Why suppress_with_known_sums exists: protecting the column on its total alone leaves the one small
    # quarter outside the block recoverable by subtracting the block's published sum.
    quarters = [f"Q{i}" for i in range(8)]
    column = [0, 0, 0, 4, 0, 4, 3, 0]
    frame = pd.DataFrame({"Closed": column}, index=quarters)
    plain = suppress_table(frame, min_count=5, rows_add_up=False)
    hidden = {q for q in quarters if plain.mask.loc[q, "Closed"]}
    assert "Q5" in _determined_by([quarters, ["Q3", "Q6", "Q7"]], quarters, hidden)
