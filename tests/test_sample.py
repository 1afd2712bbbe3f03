"""The sample agency generator: deterministic, complete, fast, realistic, and carrying the defects it plants.

Everything is checked from the raw files themselves (read as text with the csv module or openpyxl), not
from the generator's own bookkeeping: the planted defects are counted here independently and compared
with what ``raw/GENERATED.json`` says was planted. The last tests run the sample through the loader and
the committed ``data/sample/agency.yml`` when those are importable.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import shutil
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

from transparency import sample

REPO = Path(__file__).resolve().parents[1]
AGENCY_YML = REPO / "data" / "sample" / "agency.yml"
THROUGH, YEARS, SCALE = "2025Q2", 4, 0.1
WINDOW = (dt.date(2021, 7, 1), dt.date(2025, 6, 30))
RACE_CODES = set("WBHAIPOU")
UOF_FLAGS = ["TASER_USED", "OC_USED", "BATON_USED", "K9_USED", "TAKEDOWN_USED", "HANDS_USED", "FIREARM_POINTED"]

# Main files of each dataset (related tables are checked separately).
MAIN_FILES = {
    "use_of_force": ["use_of_force/*.csv"],
    "complaints": ["complaints/*.csv"],
    "officer_involved_shootings": ["ois/*.csv"],
    "assaults_on_officers": ["assaults/*.csv"],
    "citations": ["citations/*.csv"],
    "stops": ["stops/traffic_stops_*.csv", "stops/pedestrian_stops_*.csv"],
    "pursuits": ["pursuits/*.csv"],
    "calls_for_service": ["cad/*.csv"],
    "arrests": ["arrests/*.csv"],
    "community_meetings": ["community/community_meetings.csv"],
    "community_surveys": ["community/resident_survey_responses.csv"],
    "training": ["training/*.xlsx"],
}


# --- Reading the raw files as plain text -----------------------------------------------------------------


def decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and data rows of a CSV or .xlsx file, every cell as text."""
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True)
        rows = [["" if v is None else str(v) for v in row] for row in book.worksheets[0].iter_rows(values_only=True)]
        book.close()
    else:
        rows = list(csv.reader(io.StringIO(decode(path), newline="")))
    return rows[0], rows[1:]


class Raw:
    """One dataset's main files: header, data rows, and which rows are blank or repeat the header."""

    def __init__(self, root: Path, dataset: str):
        self.files = sorted(p for pattern in MAIN_FILES[dataset] for p in (root / "raw").glob(pattern))
        self.records: list[dict[str, str]] = []
        self.blank = self.header = 0
        self.data_rows = 0
        self.tuples: list[tuple] = []
        for path in self.files:
            header, rows = read_rows(path)
            self.data_rows += len(rows)
            for row in rows:
                if all(cell.strip() == "" for cell in row):
                    self.blank += 1
                elif [c.strip() for c in row] == header:
                    self.header += 1
                else:
                    record = dict(zip(header, row))
                    self.records.append(record)
                    self.tuples.append(tuple(v for k, v in sorted(record.items()) if k != "OBJECTID"))

    def duplicates(self) -> int:
        return sum(n - 1 for n in Counter(self.tuples).values())

    def column(self, *names: str) -> list[str]:
        """Per record, the first of these columns it has (files renamed columns over the years)."""
        return [next(r[n] for n in names if n in r) for r in self.records]


def parse(text: str, fmt: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(text.strip(), fmt)
    except ValueError:
        return None


def age_out_of_range(text: str) -> bool:
    try:
        return not 0 <= float(text) <= 110
    except ValueError:
        return False


def file_hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file()
    }


# --- Fixtures --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The sample at a tenth of its size over four years, in a folder named like the real one."""
    folder = tmp_path_factory.mktemp("first") / "sample"
    folder.mkdir()
    shutil.copy(AGENCY_YML, folder / "agency.yml")
    started = time.perf_counter()
    summary = sample.generate(folder, through=THROUGH, years=YEARS, scale=SCALE)
    elapsed = time.perf_counter() - started
    manifest = json.loads((folder / "raw" / sample.MARKER).read_text(encoding="utf-8"))
    return folder, summary, manifest, elapsed


@pytest.fixture(scope="module")
def many_stops(tmp_path_factory):
    """A scaled-up stops run (200,000 stops), timed."""
    folder = tmp_path_factory.mktemp("stops") / "sample"
    started = time.perf_counter()
    summary = sample.generate(folder, through=THROUGH, years=YEARS, scale=0.05, stops_rows=200_000)
    elapsed = time.perf_counter() - started
    manifest = json.loads((folder / "raw" / sample.MARKER).read_text(encoding="utf-8"))
    return folder, summary, manifest, elapsed


# --- Determinism and completeness ------------------------------------------------------------------------


def test_same_arguments_give_byte_identical_files(generated, tmp_path):
    folder, _, _, _ = generated
    again = tmp_path / "again"
    sample.generate(again, through=THROUGH, years=YEARS, scale=SCALE)
    assert file_hashes(again / "raw") == file_hashes(folder / "raw")
    other = tmp_path / "other_seed"
    sample.generate(other, through=THROUGH, years=YEARS, scale=SCALE, seed=7)
    assert file_hashes(other / "raw") != file_hashes(folder / "raw")


def test_every_dataset_has_files_with_rows_as_reported(generated):
    folder, summary, manifest, elapsed = generated
    assert list(summary) == list(sample.DATASETS)
    assert manifest["rows"] == summary
    for dataset in sample.DATASETS:
        raw = Raw(folder, dataset)
        assert raw.files, dataset
        assert raw.data_rows == summary[dataset] > 0, dataset
        assert len(raw.records) > 0, dataset
    assert elapsed < 20


def test_stop_tables_related_by_key(generated):
    folder, _, manifest, _ = generated
    stops = {r["STOP_NUM"] for r in Raw(folder, "stops").records}
    for pattern in ("stops/stop_searches_*.csv", "stops/stop_results_*.csv"):
        files = sorted((folder / "raw").glob(pattern))
        assert files, pattern
        keys = [row[0] for path in files for row in read_rows(path)[1]]
        orphans = [k for k in keys if k not in stops]
        if "searches" in pattern:
            assert len(orphans) == manifest["planted"]["stops"]["orphan_related_row"] >= 1
            assert len(keys) > len(set(keys))  # several searches on some stops
        else:
            assert not orphans and set(keys) == stops  # every stop has at least one result row


def test_dates_cover_the_window_through_the_quarter(generated):
    folder, _, manifest, _ = generated
    assert manifest["coverage"] == {"from": WINDOW[0].isoformat(), "to": WINDOW[1].isoformat()}
    events = {
        "use_of_force": (("OCC_DATE",), "%m/%d/%Y"),
        "complaints": (("RECEIVED_DATE",), "%Y/%m/%d"),
        "officer_involved_shootings": (("OCCURRED",), "%m/%d/%Y %H:%M"),
        "assaults_on_officers": (("DATE_OCCURED",), "%m/%d/%Y %H:%M"),
        "citations": (("ISSUE_DATE",), "%m/%d/%Y"),
        "stops": (("STOP_DATETIME",), "%Y-%m-%d %H:%M:%S"),
        "calls_for_service": (("CALL_RECEIVED",), "%m/%d/%Y %H:%M:%S"),
        "arrests": (("ARREST_DATE",), "%Y-%m-%d %H:%M"),
        "community_meetings": (("Date",), "%m/%d/%Y"),
        "community_surveys": (("INTERVIEW_DATE",), "%m/%d/%Y"),
        "training": (("Completion Date",), "%Y-%m-%d %H:%M:%S"),
    }
    for dataset, (columns, fmt) in events.items():
        dates = [d.date() for d in (parse(v, fmt) for v in Raw(folder, dataset).column(*columns)) if d and d.year >= 2000]
        assert dates and all(WINDOW[0] <= d <= WINDOW[1] for d in dates), dataset
        if dataset in ("calls_for_service", "stops", "citations", "arrests", "community_surveys", "training", "use_of_force"):
            quarters = {(d.year, (d.month - 1) // 3) for d in dates}
            assert len(quarters) == 4 * YEARS, dataset  # every quarter of the four years has rows
    pursuits = Raw(folder, "pursuits").records
    assert all(WINDOW[0] <= dt.date(int(r["YEAR"]), int(r["MO"]), int(r["DAY"])) <= WINDOW[1] for r in pursuits)


def test_default_through_is_the_last_complete_quarter():
    assert sample.last_complete_quarter(dt.date(2026, 11, 25)) == "2026Q3"
    assert sample.last_complete_quarter(dt.date(2026, 1, 1)) == "2025Q4"
    assert sample.last_complete_quarter(dt.date(2026, 3, 31)) == "2025Q4"
    assert sample.last_complete_quarter(dt.date(2026, 4, 1)) == "2026Q1"
    with pytest.raises(ValueError, match="quarter code"):
        sample.generate(Path("unused"), through="2025-Q3")


def test_never_replaces_a_raw_folder_it_did_not_write(tmp_path):
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "real_export.csv").write_text("ID\n1\n", encoding="utf-8")
    with pytest.raises(FileExistsError):
        sample.generate(tmp_path, through=THROUGH, years=YEARS, scale=0.02)
    assert (tmp_path / "raw" / "real_export.csv").exists()


# --- Planted defects, counted from the raw files ------------------------------------------------------------


def count_defects(folder: Path) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {}
    for dataset in sample.DATASETS:
        raw = Raw(folder, dataset)
        counts = {"duplicate_row": raw.duplicates(), "header_row": raw.header, "blank_row": raw.blank}
        if dataset == "use_of_force":
            counts["unparseable_date"] = sum(parse(v, "%m/%d/%Y") is None for v in raw.column("OCC_DATE"))
            counts["unknown_race_code"] = sum(v not in RACE_CODES for v in raw.column("SUBJ_RACE"))
            counts["impossible_age"] = sum(age_out_of_range(v) for v in raw.column("SUBJ_AGE"))
            counts["no_force_flag"] = sum(all(r[f] == "N" for f in UOF_FLAGS) for r in raw.records)
        elif dataset == "complaints":
            closed = raw.column("CLOSED_DATE")
            counts["unparseable_closed_date"] = sum(bool(v) and parse(v, "%Y/%m/%d") is None for v in closed)
        elif dataset == "stops":
            counts["unknown_race_code"] = sum(v not in RACE_CODES for v in raw.column("DRIVER_RACE", "SUBJ_RACE"))
            stops = set(raw.column("STOP_NUM"))
            searches = [row[0] for p in sorted((folder / "raw").glob("stops/stop_searches_*.csv")) for row in read_rows(p)[1]]
            counts["orphan_related_row"] = sum(k not in stops for k in searches)
        elif dataset == "calls_for_service":
            fmt = "%m/%d/%Y %H:%M:%S"
            counts["negative_response_time"] = sum(
                bool(r["FIRST_ON_SCENE"]) and parse(r["FIRST_ON_SCENE"], fmt) < parse(r["CALL_RECEIVED"], fmt)
                for r in raw.records
            )
        elif dataset == "arrests":
            dates = [parse(v, "%Y-%m-%d %H:%M") for v in raw.column("ARREST_DATE")]
            counts["unparseable_date"] = sum(d is None for d in dates)
            counts["out_of_range_date"] = sum(d is not None and d.year < 2000 for d in dates)
            counts["impossible_age"] = sum(
                d is not None and d.year >= 2000 and not 0 <= d.year - int(r["DOB_YEAR"]) <= 110
                for d, r in zip(dates, raw.records)
            )
        found[dataset] = {k: v for k, v in counts.items() if v}
    return found


def test_planted_defects_are_in_the_files_exactly_as_declared(generated):
    folder, _, manifest, _ = generated
    found = count_defects(folder)
    declared = manifest["planted"]
    assert {k: v for k, v in found.items() if v} == declared
    kinds = {kind for counts in declared.values() for kind in counts}
    assert kinds >= {
        "duplicate_row", "header_row", "blank_row", "unparseable_date", "unknown_race_code", "impossible_age",
        "negative_response_time", "out_of_range_date", "orphan_related_row", "no_force_flag",
    }
    # A small rate: never more than half a percent of a dataset's rows (beyond the one-of-each minimum).
    for dataset, counts in declared.items():
        rows = manifest["rows"][dataset]
        assert all(n <= max(3, 0.005 * rows) for n in counts.values()), (dataset, counts)


def test_assault_duplicates_differ_only_in_the_export_serial(generated):
    folder, _, manifest, _ = generated
    raw = Raw(folder, "assaults_on_officers")
    serials = [r["OBJECTID"] for r in raw.records]
    assert len(set(serials)) == len(serials)  # no exact duplicate line ...
    assert raw.duplicates() == manifest["planted"]["assaults_on_officers"]["duplicate_row"] >= 1  # ... but copies


# --- Encodings, formats and the agency-style columns ---------------------------------------------------------


def test_encodings_windows_1252_bom_and_excel(generated):
    folder, _, _, _ = generated
    raw = folder / "raw"
    meetings = (raw / "community" / "community_meetings.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        meetings.decode("utf-8")
    text = meetings.decode("cp1252")
    assert "Café con la Policía" in text and "\r\n" in text
    complaints = (raw / "complaints" / "IA_Complaints_Export.csv").read_bytes()
    assert complaints.startswith(b"\xef\xbb\xbf")
    for path in raw.rglob("*.csv"):
        if path.name not in ("community_meetings.csv", "IA_Complaints_Export.csv"):
            data = path.read_bytes()
            assert not data.startswith(b"\xef\xbb\xbf"), path
            data.decode("utf-8")
    header, rows = read_rows(raw / "training" / "training_records.xlsx")
    assert header == list(sample.TRAINING_COLUMNS) and rows


def test_raw_columns_are_agency_names_not_canonical_fields(generated):
    folder, _, _, _ = generated
    registry = yaml.safe_load((REPO / "transparency" / "core" / "datasets.yml").read_text(encoding="utf-8"))
    canonical = {f for spec in registry["datasets"].values() for f in spec["fields"]}
    files = [p for p in (folder / "raw").rglob("*") if p.suffix in (".csv", ".xlsx")]
    assert len(files) > 12
    for path in files:
        header, _ = read_rows(path)
        normalised = {re.sub(r"[\s\-]+", "_", h.strip().lower()) for h in header}
        assert not normalised & canonical, (path.name, normalised & canonical)


def test_the_files_exercise_the_configuration_features(generated):
    folder, _, _, _ = generated
    raw = folder / "raw"
    uof_headers = {p.name: read_rows(p)[0] for p in (raw / "use_of_force").glob("*.csv")}
    assert len(uof_headers) >= YEARS  # one file per year
    assert any("OFF_BADGE" in h for h in uof_headers.values()) and any("OFFICER_BADGE_NO" in h for h in uof_headers.values())
    assert all({"OFFICER_NAME", "NARRATIVE", *UOF_FLAGS} <= set(h) for h in uof_headers.values())
    assert all(h[h.index("OCC_DATE") + 1] == "OCC_TIME" for h in uof_headers.values())  # date and time apart
    shootings = Raw(folder, "officer_involved_shootings").column("SUSP_WEAPON")
    assert "None" in shootings  # unarmed, kept as a value with `literal`
    assaults = Raw(folder, "assaults_on_officers").records
    assert any(";" in r["OFFICER_BADGES"] for r in assaults)
    assert any(";" in r["OFFICER_BADGES"] and r["OFFICERS_INJURED"] == "N" for r in assaults)  # one value for all
    meetings = Raw(folder, "community_meetings").records
    assert any(";" in r["Officers Attending"] for r in meetings) and "Meeting ID" not in meetings[0]
    arrests = Raw(folder, "arrests").records[0]
    assert "DOB_YEAR" in arrests and not any("AGE" in k for k in arrests)
    assert "AGE_GROUP" in Raw(folder, "citations").records[0]
    stops = Raw(folder, "stops")
    assert {"DRIVER_RACE", "DRIVER_ETHNICITY"} <= set(read_rows(next((raw / "stops").glob("traffic_*.csv")))[0])
    assert "H" in stops.column("DRIVER_ETHNICITY", "SUBJ_ETHNICITY")
    assert "STOP_TYPE" not in stops.records[0]  # the file implies it
    results = {row[2] for p in (raw / "stops").glob("stop_results_*.csv") for row in read_rows(p)[1]}
    assert {r.strip().lower() for r in results} == {"arrest", "citation", "written warning", "verbal warning", "no action"}
    assert any(r != r.strip() for r in results) and any(r.isupper() for r in results)  # stray spaces and case
    calls = Raw(folder, "calls_for_service").records
    assert {r["CALL_SOURCE"].strip().upper() for r in calls} >= {"E911", "ADMIN", "SELF-INIT"}


def test_call_times_are_local_wall_clock_across_daylight_saving(generated):
    folder, _, _, _ = generated
    fmt = "%m/%d/%Y %H:%M:%S"
    calls = Raw(folder, "calls_for_service").records
    spring = [dt.date(2022, 3, 13), dt.date(2023, 3, 12), dt.date(2024, 3, 10), dt.date(2025, 3, 9)]
    stamps = [parse(r[c], fmt) for r in calls for c in ("CALL_RECEIVED", "CALL_DISPATCHED", "FIRST_ON_SCENE", "CALL_CLEARED") if r[c]]
    assert not [s for s in stamps if s.date() in spring and s.hour == 2]  # that hour does not exist
    fall = [dt.date(2021, 11, 7), dt.date(2022, 11, 6), dt.date(2023, 11, 5), dt.date(2024, 11, 3)]
    assert [s for s in stamps if s.date() in fall and s.hour < 5]  # the nights are covered
    received = [parse(r["CALL_RECEIVED"], fmt) for r in calls]
    dispatched = [parse(r["CALL_DISPATCHED"], fmt) if r["CALL_DISPATCHED"] else None for r in calls]
    assert all(d is None or d >= r for r, d in zip(received, dispatched))


# --- Believable relationships ------------------------------------------------------------------------------


def test_response_times_depend_on_priority(generated):
    folder, _, _, _ = generated
    fmt = "%m/%d/%Y %H:%M:%S"
    by_priority: dict[str, list[float]] = {}
    for r in Raw(folder, "calls_for_service").records:
        if r["FIRST_ON_SCENE"]:
            minutes = (parse(r["FIRST_ON_SCENE"], fmt) - parse(r["CALL_RECEIVED"], fmt)).total_seconds() / 60
            if minutes >= 0:
                by_priority.setdefault(r["PRIORITY_CODE"], []).append(minutes)
    medians = {p: sorted(v)[len(v) // 2] for p, v in sorted(by_priority.items())}
    assert list(medians) == ["1", "2", "3", "4"]
    assert 5 <= medians["1"] <= 9
    assert medians["1"] < medians["2"] < medians["3"] < medians["4"]


def test_complaints_close_over_months_and_some_are_pending(generated):
    folder, _, _, _ = generated
    records = Raw(folder, "complaints").records
    pending = [r for r in records if not r["CLOSED_DATE"]]
    assert pending and all(r["FINDING"].strip().lower() == "under investigation" for r in pending)
    days = sorted(
        (parse(r["CLOSED_DATE"], "%Y/%m/%d") - parse(r["RECEIVED_DATE"], "%Y/%m/%d")).days
        for r in records if parse(r["CLOSED_DATE"], "%Y/%m/%d")
    )
    assert 30 <= days[len(days) // 2] <= 150 and days[-1] > 180
    closed = [r["FINDING"].strip().lower() for r in records if r["CLOSED_DATE"]]
    assert 0.08 <= closed.count("sustained") / len(closed) <= 0.18


def test_searches_and_hit_rates_differ_by_race(many_stops):
    folder, _, _, _ = many_stops
    raw = folder / "raw"
    found: dict[str, bool] = {}
    for path in raw.glob("stops/stop_searches_*.csv"):
        header, rows = read_rows(path)
        col = header.index("CONTRABAND_FOUND_IND")
        for row in rows:
            found[row[0]] = found.get(row[0], False) or row[col] == "Y"
    tally: dict[str, list[int]] = {}
    for path in raw.glob("stops/traffic_stops_*.csv"):
        header, rows = read_rows(path)
        for row in rows:
            record = dict(zip(header, row))
            if not record.get("STOP_NUM") or record["STOP_NUM"] == "STOP_NUM":
                continue
            race = "H" if record["DRIVER_ETHNICITY"] == "H" else record["DRIVER_RACE"]
            t = tally.setdefault(race, [0, 0, 0])
            t[0] += 1
            if record["STOP_NUM"] in found:
                t[1] += 1
                t[2] += found[record["STOP_NUM"]]
    search_rate = {race: s / n for race, (n, s, _) in tally.items()}
    hit_rate = {race: h / s for race, (_, s, h) in tally.items() if s}
    assert search_rate["B"] > 1.8 * search_rate["W"]
    assert hit_rate["B"] < hit_rate["W"] - 0.08


def test_scaled_up_stops_run_is_fast_and_exact(many_stops):
    _, summary, manifest, elapsed = many_stops
    planted = manifest["planted"]["stops"]
    extra = planted.get("duplicate_row", 0) + planted.get("blank_row", 0) + planted.get("header_row", 0)
    assert summary["stops"] == 200_000 + extra
    assert elapsed < 30


# --- Through the loader and the committed agency.yml ---------------------------------------------------------

LOADER_EXCLUSIONS = {  # planted defect -> the loader's exclusion reason
    "duplicate_row": "duplicate_row",
    "header_row": "header_row",
    "blank_row": "blank_row",
}
EVENT_EXCLUSIONS = {
    "use_of_force": {"unparseable_date": "unparseable_occurred_at", "no_force_flag": "no_force_type"},
    "arrests": {"unparseable_date": "unparseable_arrested_at", "out_of_range_date": "out_of_range_arrested_at"},
}


@pytest.mark.parametrize("dataset", sample.DATASETS)
def test_sample_loads_through_agency_yml(generated, dataset):
    """Every dataset maps with the committed agency.yml; rows reconcile; defects show as exclusions."""
    from transparency.core import config
    from transparency.reading import load

    folder, summary, manifest, _ = generated
    agency = config.load_agency(folder)
    result = load.load_dataset(agency, dataset, key=b"0" * 64)
    main = [f for f in result.files if f.role == "main"]
    assert sum(f.rows_read for f in main) == summary[dataset]
    assert all(f.rows_read == f.rows_used + sum(f.excluded.values()) for f in result.files)
    excluded = Counter()
    for f in main:
        excluded.update(f.excluded)
    planted = manifest["planted"].get(dataset, {})
    expected = {LOADER_EXCLUSIONS[k]: v for k, v in planted.items() if k in LOADER_EXCLUSIONS}
    expected.update({reason: planted[k] for k, reason in EVENT_EXCLUSIONS.get(dataset, {}).items()})
    assert dict(excluded) == expected
    table = result.table
    assert len(table) > 0
    registry = yaml.safe_load((REPO / "transparency" / "core" / "datasets.yml").read_text(encoding="utf-8"))
    # Canonical fields, and beside a datetime whose time of day is sometimes not recorded, whether it is.
    fields = registry["datasets"][dataset]["fields"]
    assert set(table.columns) <= set(fields) | {f + "_time_known" for f, spec in fields.items() if spec["type"] == "datetime"}
    # Names, narratives and badge numbers never leave the load step.
    for column in table.columns:
        values = table[column].dropna().astype(str)
        assert not values.str.contains(r"\bOfc\.|, [A-Z]\.$", regex=True).any(), column
    if "officer_id" in table:
        assert table["officer_id"].dropna().str.fullmatch(r"[0-9a-f]{16}").all()


def test_the_workbook_states_its_size_as_excel_does(tmp_path):
    import zipfile

    from openpyxl import load_workbook

    from transparency.sample import _write_xlsx

    path = tmp_path / "w.xlsx"
    _write_xlsx(path, "Sheet", ["A", "B", "C"], [[1, 2, 3], [4, 5, 6]], dt.date(2026, 1, 1))
    with zipfile.ZipFile(path) as z:
        assert b'<dimension ref="A1:C3" />' in z.read("xl/worksheets/sheet1.xml")
    sheet = load_workbook(path, read_only=True).active
    assert (sheet.max_row, sheet.max_column) == (3, 3)
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [["A", "B", "C"], [1, 2, 3], [4, 5, 6]]
