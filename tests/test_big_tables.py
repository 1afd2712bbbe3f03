"""The loader's, the cache's and the stops section's ways of handling millions of rows give the same results.

What this guards: Arrow's CSV reading gives the cells pandas gives (and hands anything doubtful to pandas);
columns held as categories (each distinct text once) are converted, counted and joined exactly as plain
text; the compact table the cache stores is the canonical table; a read of a span of dates is the rows
of that span plus the first and last rows of the data, in their order; and the stops section reading
only its window gives the figures of the section over the whole table. Expected values are worked out
here with plain pandas or by hand. Speed is measured by scripts/bench_big.py, never here.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date

import numpy as np
import pandas as pd
import pytest
from conftest import agency_config, keyed_agency, sample_project

from transparency.core import registry
from transparency.core.config import load_agency
from transparency.core.errors import DataError
from transparency.core.periods import parse_period
from transparency.reading import load
from transparency.sections import stops
from transparency.sections.section import Section
from transparency.tables import cache


def pandas_cells(data: bytes) -> pd.DataFrame:
    """A CSV as the loader's pandas path reads it: text cells, nothing missing, trimmed."""
    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, na_filter=False, skip_blank_lines=False,
                        quoting=csv.QUOTE_MINIMAL, encoding="utf-8-sig")
    frame.columns = [c.strip() for c in frame.columns]
    return frame.fillna("").apply(lambda column: column.str.strip())


# --- Reading -----------------------------------------------------------------------------------------------

ARROW_READS = {
    "plain": b"A,B,C\n1,x,2021-01-05\n2,y,2021-01-06\n",
    "quoted commas and newlines": b'A,B\n"1,5","two\nlines"\n2,"say ""hi"""\n',
    "spaces around cells": b"A , B\n 1 ,  x\n2,y \n",
    "no final newline": b"A,B\n1,x\n2,y",
    "windows line ends": b"A,B\r\n1,x\r\n2,y\r\n",
    "byte order mark and accents": "\ufeffA,B\n1,Zo\u00eb\n2,Se\u00f1or\n".encode(),
    "header only": b"A,B\n",
    "empty cells and comma rows": b"A,B,C\n1,,\n,,\n3,z,\n",
    "blank lines": b"A,B\n\n1,2\n\n3,4\r\n\r\n",
}


@pytest.mark.parametrize("data", ARROW_READS.values(), ids=ARROW_READS.keys())
def test_arrow_reads_the_cells_pandas_reads(data):
    read = load._read_csv_arrow(data, ",", None)
    assert read is not None
    frame, encoding = read
    assert encoding == ("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8")
    frame.columns = [c.strip() for c in frame.columns]
    trimmed = frame.apply(lambda column: column.str.strip())
    pd.testing.assert_frame_equal(trimmed.astype(object), pandas_cells(data).astype(object), check_index_type=False)


PANDAS_READS = {
    "ragged rows": b"A,B\n1,2,3\n4\n",
    "a line of spaces": b"A,B\n1,2\n \n3,4\n",
    "windows-1252": "A,B\n1,Zo\u00eb\n".encode("cp1252"),
    "repeated header name": b"A,A\n1,2\n",
    "unnamed column": b"A,,C\n1,2,3\n",
    "open quote": b'A,B\n1,"two\n',
    "blank line in a one-column file": b"A\n1\n\n2\n",
}


@pytest.mark.parametrize("data", PANDAS_READS.values(), ids=PANDAS_READS.keys())
def test_doubtful_files_are_left_to_pandas(data):
    assert load._read_csv_arrow(data, ",", None) is None


def test_another_configured_encoding_is_left_to_pandas():
    assert load._read_csv_arrow(b"A,B\n1,2\n", ",", "latin-1") is None
    assert load._read_csv_arrow(b"A,B\n1,2\n", ",", "utf-8") is not None


def test_read_raw_gives_plain_text_and_the_loader_the_same_cells_as_categories(tmp_path):
    rows = [f"{i},{['W', 'B', ' W', 'H'][i % 4]},{1000 + i}" for i in range(300)]
    path = tmp_path / "f.csv"
    path.write_text("ID,RACE,BADGE\n" + "\n".join(rows) + "\n")
    expected = pandas_cells(path.read_bytes())
    plain, encoding, warnings = load.read_raw(path)
    assert (encoding, warnings) == ("utf-8", [])
    assert not any(isinstance(plain[c].dtype, pd.CategoricalDtype) for c in plain.columns)
    pd.testing.assert_frame_equal(plain.astype(object), expected.astype(object))
    compact, _, _, digest = load._read(path, None, None, None)
    assert isinstance(compact["RACE"].dtype, pd.CategoricalDtype)
    assert sorted(compact["RACE"].cat.categories) == ["B", "H", "W"]  # " W" trimmed and merged with "W"
    assert not isinstance(compact["ID"].dtype, pd.CategoricalDtype)  # every value distinct: plain text
    pd.testing.assert_frame_equal(compact.astype(object), expected.astype(object))
    assert digest == load.file_sha256(path)


def test_compact_text_keeps_repeating_columns_as_categories_and_trims():
    values = pd.Series(["a", " a", "b ", "b", "", "a"] * 50, dtype="str")
    compact = load._compact_text(values)
    assert isinstance(compact.dtype, pd.CategoricalDtype)
    assert compact.astype(object).tolist() == [v.strip() for v in values]
    assert list(compact.cat.categories) == ["a", "b", ""]  # distinct after trimming, in order of appearance
    unique = pd.Series([f" id{i}" for i in range(200)], dtype="str")
    assert load._compact_text(unique).tolist() == [f"id{i}" for i in range(200)]


@pytest.mark.parametrize(("values", "may"), [
    (["a", "b c", "x"], False), ([" a", "b"], True), (["a", "b\t"], True), (["a", "caf\u00e9"], True), (["", "b"], False),
])
def test_may_need_trimming_only_when_a_cell_starts_or_ends_with_space_or_not_ascii(values, may):
    assert load._may_need_trimming(pd.Series(values, dtype="str")) is may


def test_blank_and_header_rows_as_defined_cell_by_cell():
    frame = pd.DataFrame({"Id": ["1", "", "id", "ID", "2", "", "id"], "Name": ["x", "", "name", "NAME", "name", "", ""],
                          "Note": ["", "", "", "note", "", "", ""]}, dtype="str")
    compact = frame.apply(lambda column: pd.Series(pd.Categorical(column), index=column.index))
    blank_expected = [all(v == "" for v in row) for row in frame.itertuples(index=False)]
    header_expected = []
    for row in frame.itertuples(index=False):
        equal = sum(v.casefold() == c.casefold() for v, c in zip(row, frame.columns))
        filled = sum(v != "" for v in row)
        header_expected.append(equal >= 2 and equal == filled and filled > 0)
    for table in (frame, compact):
        blank, header = load._blank_and_header(table)
        assert blank.tolist() == blank_expected == [False, True, False, False, False, True, False]
        assert header.tolist() == header_expected == [False, False, True, True, False, False, False]


def test_casefold_equals_matches_casefolding_every_value():
    values = pd.Series(["STRASSE", "straße", "Strasse", "stras", "", "STRASSEN"], dtype="str")
    folded = "strasse"
    assert load._casefold_equals(values, folded).tolist() == [v.casefold() == folded for v in values]


# --- Working once per distinct value ---------------------------------------------------------------------


def test_read_ahead_gives_items_in_order_and_errors_where_a_loop_would():
    assert [r for _, r in load._read_ahead(range(5), lambda i: i * i)] == [0, 1, 4, 9, 16]

    def items():
        yield 1
        yield 2
        raise DataError("glob", "matches no file")

    seen = []
    with pytest.raises(DataError, match="matches no file"):
        for _, result in load._read_ahead(items(), lambda i: i):
            seen.append(result)
    assert seen == [1, 2]

    def failing(i):
        if i == 1:
            raise DataError("file 1", "cannot be read")
        return i

    seen = []
    with pytest.raises(DataError, match="file 1"):  # the read error of item 1 comes before the glob error after it
        for _, result in load._read_ahead(items(), failing):
            seen.append(result)
    assert seen == []


def test_per_value_helpers_on_a_categorical_column_equal_the_row_by_row_result():
    text = pd.Series(["Yes", "no", "N/A", None, "yes", "Yes", "maybe"] * 3, dtype="str")
    categorical = pd.Series(pd.Categorical(text), index=text.index)
    mask = load._per_value_mask(categorical, lambda values: values.str.lower() == "yes")
    assert mask.tolist() == [isinstance(v, str) and v.lower() == "yes" for v in text]
    lengths = load._per_value(categorical, lambda values: values.str.len().to_numpy(dtype=float), np.nan)
    assert [None if np.isnan(x) else int(x) for x in lengths] == [len(v) if isinstance(v, str) else None for v in text]
    used = load._used_categories(categorical[categorical != "maybe"])
    assert sorted(used.cat.categories) == ["N/A", "Yes", "no", "yes"]
    assert used.astype(object).tolist() == text[text != "maybe"].astype(object).tolist()


def test_conversion_on_categories_equals_conversion_of_text_and_counts_unmapped_per_row(make_agency):
    folder = make_agency(agency_config({"stops": {"files": ["s.csv"], "columns": {
        "stop_id": "ID", "occurred_at": "WHEN", "stop_type": "T", "subject_race": "R", "search_conducted": "S",
        "subject_age": "AGE"}, "values": {"subject_race": {"W": "White", "B": "Black"}}}}),
        {"s.csv": "ID,WHEN,T,R,S,AGE\n1,2021-01-01,traffic,W,Y,30\n"})
    agency = load_agency(folder)
    from transparency.core import registry

    spec = registry.dataset("stops")
    raw = pd.Series(["W", "B", "X", "w ", None, "X", "Q", "W"] * 4, dtype="str")
    results = {}
    for kind, text in (("plain", raw.astype("string")), ("categorical", pd.Series(pd.Categorical(raw), index=raw.index))):
        unmapped, issues = {}, Counter()
        ctx = load._Context(agency, spec, agency.file_groups["stops"][0], folder / "s.csv", pd.DataFrame(index=raw.index),
                            np.arange(len(raw)) + 2, unmapped, issues, None)
        kept = np.arange(len(raw)) % 8 != 2  # rows excluded anyway are not counted
        values = load._convert(ctx, "subject_race", text, "R")
        ctx.settle_issues(kept)
        results[kind] = (load._canonical(values), {k: dict(v) for k, v in unmapped.items()})
    pd.testing.assert_series_equal(results["plain"][0], results["categorical"][0])
    assert results["plain"][0].tolist() == [{"W": "White", "B": "Black", "w ": "White", None: "Unknown"}.get(v, "Unknown") for v in raw]
    by_hand = Counter(v for i, v in enumerate(raw) if i % 8 != 2 and v in ("X", "Q"))  # kept rows, no recode
    assert results["plain"][1] == results["categorical"][1] == {"subject_race": dict(by_hand)} == {"subject_race": {"X": 4, "Q": 4}}


def test_concat_joins_categories_and_equals_a_plain_concat():
    a = pd.DataFrame({"x": pd.Categorical(["p", "q", None]), "n": [1, 2, 3]})
    b = pd.DataFrame({"x": pd.Categorical(["r", "p"]), "n": [4, 5]})
    joined = load._concat([a.copy(), b.copy()])
    assert isinstance(joined["x"].dtype, pd.CategoricalDtype)
    expected = pd.concat([a.astype({"x": "string"}), b.astype({"x": "string"})], ignore_index=True)
    pd.testing.assert_frame_equal(load.canonical_table(joined), expected)
    consumed = [a.copy(), b.copy()]
    pd.testing.assert_frame_equal(load.canonical_table(load._concat(consumed, consume=True)), expected)
    assert all(len(f.columns) == 0 for f in consumed)


def test_positions_and_take_look_keys_up_like_a_dictionary():
    keys = pd.Index(["k1", "k2", "k3"])
    plain = pd.Series(["k2", "zz", "k1", "k2"], dtype="str")
    categorical = pd.Series(pd.Categorical(["k3", "k3", "none"]))
    found = load._positions([plain, categorical], keys)
    lookup = {k: i for i, k in enumerate(keys)}
    assert [f.tolist() for f in found] == [[lookup.get(v, -1) for v in plain], [lookup.get(v, -1) for v in categorical]]
    values = pd.Series(["a", "b", "c"], dtype="string")
    assert load._take(values, found[0]).tolist() == ["b", pd.NA, "a", "b"]
    assert load._take(pd.Series(pd.Categorical(["a", "b", "c"])), found[1]).astype(object).tolist() == ["c", "c", np.nan]


# --- The compact table and the cache ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_sample(tmp_path_factory):
    """The sample agency, small: three years to 2025Q4 (every dataset, every loader feature)."""
    root = tmp_path_factory.mktemp("small")
    folder = sample_project(root, through="2025Q4", years=3, scale=0.05)
    agency = keyed_agency(folder)
    return agency


def test_compact_load_is_the_canonical_load_with_categories(small_sample):
    for name in small_sample.dataset_names:
        canonical = load.load_dataset(small_sample, name)
        compact = load.load_dataset(small_sample, name, compact=True)
        pd.testing.assert_frame_equal(load.canonical_table(compact.table), canonical.table)
        assert [f.to_dict() for f in compact.files] == [f.to_dict() for f in canonical.files]
        assert (compact.unmapped, compact.issues, compact.recorded) == (canonical.unmapped, canonical.issues, canonical.recorded)
        for field_name, values in canonical.distinct.items():
            assert values == sorted(set(canonical.table[field_name].dropna().astype(str)))
        assert "stop_type" in canonical.distinct or name != "stops"


def test_cache_metadata_holds_rows_span_and_types(small_sample):
    for name in ("stops", "use_of_force", "calls_for_service"):
        table = load.load_dataset(small_sample, name).table
        entry = cache.cached(small_sample, name)
        event = registry.dataset(name).event
        assert entry.rows == len(table)
        assert entry.span == (table[event].min(), table[event].max())
        assert entry.meta["dtypes"] == {c: str(table[c].dtype) for c in table.columns}


@pytest.mark.parametrize("name", ["stops", "use_of_force", "complaints", "calls_for_service"])
def test_a_span_of_dates_is_its_rows_and_the_first_and_last_rows_in_order(small_sample, name):
    full = load.load_dataset(small_sample, name).table
    event = registry.dataset(name).event
    start, end = pd.Timestamp("2024-04-01"), pd.Timestamp("2025-01-01")
    inside = full[event].between(start, end, inclusive="left") | full[event].isin([full[event].min(), full[event].max()])
    expected = full[inside.fillna(False)].reset_index(drop=True)
    part = cache.read_cached(small_sample, name, start, end)
    pd.testing.assert_frame_equal(part.table, expected)
    columns = list(full.columns[-2:])
    narrow = cache.read_cached(small_sample, name, start, end, columns=columns).table
    pd.testing.assert_frame_equal(narrow, expected[[c for c in full.columns if c in columns or c == event]])
    pd.testing.assert_frame_equal(cache.load_cached(small_sample, name).table, full)


# --- The stops section's window ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("period", "first", "end"), [
    ("2025Q3", date(2023, 10, 1), date(2025, 10, 1)),  # eight quarters of trend
    ("2025", date(2024, 1, 1), date(2026, 1, 1)),  # the year before and the trend's quarters
    ("FY2025", date(2023, 7, 1), date(2025, 7, 1)),  # fiscal year from July: FY2024Q1 to FY2025Q4, FY2024 too
])
def test_window_is_the_trend_quarters_and_every_period_compared(period, first, end):
    assert stops.window(parse_period(period, fiscal_year_start=7)[0]) == (first, end)


@pytest.mark.parametrize("period", ["2025Q4", "2025Q2", "2024"])
def test_stops_section_on_its_window_gives_the_whole_table_figures(small_sample, tmp_path, period):
    whole = Section("stops", agency=str(small_sample.folder), period=period, output_dir=str(tmp_path / "whole"))
    part = Section("stops", agency=str(small_sample.folder), period=period, output_dir=str(tmp_path / "part"),
                   columns=stops.FIELDS, window=stops.window)
    assert len(part.data) < len(whole.data)
    assert set(part.data.columns) == {"occurred_at", *stops.FIELDS} & set(whole.data.columns)
    assert part.period == whole.period and part.coverage == whole.coverage
    assert part.metrics == whole.metrics
    assert all(part.recorded(f) == whole.recorded(f) for f in ("stop_id", "officer_id", "lat", "reason", "subject_sex"))
    pd.testing.assert_frame_equal(part.rows.reset_index(drop=True), whole.rows[part.data.columns].reset_index(drop=True))
    for function in (stops.summary, stops.trend, stops.stop_types, stops.reasons, stops.who, stops.search_rates,
                     stops.frisk_rates, stops.hit_rates, stops.hit_rates_year, stops.outcome_test_sentences, stops.outcomes,
                     stops.districts, stops.method_notes):
        mine, theirs = function(part), function(whole)
        if isinstance(mine, pd.DataFrame):
            pd.testing.assert_frame_equal(mine, theirs, obj=function.__name__)
        else:
            assert mine == theirs, function.__name__
    assert stops.veil_sentences(part, stops.veil(part)) == stops.veil_sentences(whole, stops.veil(whole))


def test_stops_section_latest_is_the_whole_table_latest(small_sample, tmp_path):
    part = Section("stops", agency=str(small_sample.folder), period="latest", output_dir=str(tmp_path),
                   columns=stops.FIELDS, window=stops.window)
    whole = Section("stops", agency=str(small_sample.folder), period="latest", output_dir=str(tmp_path))
    assert part.period == whole.period


def test_values_in_data_cover_all_the_stops_not_only_the_window(small_sample, tmp_path):
    part = Section("stops", agency=str(small_sample.folder), period="2025Q4", output_dir=str(tmp_path),
                   columns=stops.FIELDS, window=stops.window)
    every = load.load_dataset(small_sample, "stops").table
    assert stops.values_in_data(part, "outcome") == set(every["outcome"].dropna())
    assert stops.values_in_data(part, "stop_type") == set(every["stop_type"].dropna())


def test_a_notebook_of_a_rarer_record_is_on_the_reports_latest_quarter(small_sample, tmp_path):
    """``latest`` in a notebook is the agency's latest quarter (the one the build makes), even where this
    dataset's own last record leaves the quarter's end uncovered."""
    from datetime import timedelta

    from transparency.building.build import latest_period
    from transparency.tables.cache import cached

    report = latest_period(small_sample)
    own = cached(small_sample, "officer_involved_shootings").covered_until
    assert report.code == "2025Q4" and own < report.end - timedelta(days=4), own  # alone, it would be 2025Q3
    section = Section("officer_involved_shootings", agency=str(small_sample.folder), period="latest",
                      output_dir=str(tmp_path))
    assert section.period == report
