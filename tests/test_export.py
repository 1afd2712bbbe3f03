"""The de-identified records published beside the report (`transparency export`, transparency/building/export.py).

What this guards: every row of the period is counted (published + withheld by reason); no published row's
combination of race, sex, age group, district and month is shared by fewer than `min_count` people (counted
again here from the CSV alone); names, free text, exact ages, places and person identifiers never leave;
dates are coarsened as the policy says; the Data Package is valid for the `frictionless` library and its
Parquet files hold what its CSV files hold; two of the report's headline figures come out of the records
alone; the personal-data scan covers the export and nothing is written when it finds a value.
"""

from __future__ import annotations

import json
from collections import Counter

import pandas as pd
import pytest
from conftest import agency_config, keyed_agency, sample_project
from test_narrative import offline_textstat  # noqa: F401 - a fixture

from transparency import cli
from transparency.building.build import build_period
from transparency.building.export import NOT_SHOWN, ExportError, deidentify, write_export
from transparency.core.config import ExportPolicy, load_agency
from transparency.core.errors import ConfigError
from transparency.core.periods import parse_period

PERIOD = "2026Q2"
KEY = b"k" * 32


@pytest.fixture(scope="module")
def sample_export(tmp_path_factory):
    """The sample agency (small) built for two sections: its agency.yml sets `export:`, so the build writes the
    records into the report's data/ folder (searched by the build's personal-data scan with the rest)."""
    root = tmp_path_factory.mktemp("export")
    agency = keyed_agency(sample_project(root, through=PERIOD, years=3, scale=0.5, export=True))
    period = parse_period(PERIOD)[0]
    lines: list[str] = []
    outcomes = build_period(agency, period, root, ["use_of_force", "stops"], 2, ("html",), lines.append)
    assert [o.status for o in outcomes] == ["ok", "ok"], lines
    report = root / "reports" / "sample" / PERIOD
    manifest = json.loads((report / "manifest.json").read_text())
    assert "export" in manifest["timings_seconds"]
    return agency, report, None


def _rows(n: int, **values) -> list[dict]:
    return [dict(values) for _ in range(n)]


def test_rare_rows_are_generalised_then_withheld_and_every_row_is_counted():
    rows = (
        _rows(5, stop_id=None, subject_race="Black", subject_sex="Male", subject_age=30, district="North")
        # three people alike: their age group is generalised, and they join two others then shown as "Not shown"
        + _rows(3, subject_race="White", subject_sex="Female", subject_age=70, district="North")
        + _rows(2, subject_race="White", subject_sex="Female", subject_age=20, district="North")
        # one person alone in July: still rare with every field generalised, so withheld
        + _rows(1, subject_race="Asian", subject_sex="Male", subject_age=40, district="West", month="07")
    )
    table = pd.DataFrame(rows)
    table["stop_id"] = [f"S{i}" for i in range(len(table))]
    table["stop_type"] = "traffic"
    table["occurred_at"] = pd.to_datetime(["2026-05-03 10:20"] * 10 + ["2026-07-03 10:20"])
    table = table.drop(columns=["month"])
    period = parse_period("2026")[0]
    out, account = deidentify(table, "stops", period, ExportPolicy(), 5, KEY)
    assert account.rows_in_period == 11
    assert account.rows_published == 10 and account.withheld == Counter({"withheld_rare_combination": 1})
    assert list(out["subject_age_group"]) == ["25 to 34"] * 5 + [NOT_SHOWN] * 5
    assert list(out["subject_race"]) == ["Black"] * 5 + ["White"] * 5
    assert account.generalised["subject_age_group"] == 6  # the five Whites and the Asian man, before he was withheld
    assert "subject_age" not in out and account.left_out["subject_age"].startswith("exact age")


def test_rows_of_one_incident_count_as_one_person():
    # Seven rows (force types) of one incident are one person: rare, though seven rows share the combination.
    table = pd.DataFrame(_rows(7, incident_id="U1", force_type="Taser", subject_race="Black", subject_sex="Male",
                               subject_age=30, district="North"))
    table["occurred_at"] = pd.Timestamp("2026-05-03 10:20")
    out, account = deidentify(table, "use_of_force", parse_period("2026Q2")[0], ExportPolicy(), 5, KEY)
    assert out.empty and account.withheld["withheld_rare_combination"] == 7


@pytest.mark.parametrize("dates, expected", [("exact", "2026-05-03T10:20:45"), ("hour", "2026-05-03T10:00:00"),
                                             ("day", "2026-05-03"), ("month", "2026-05")])
def test_dates_are_coarsened_as_the_policy_says(dates, expected):
    table = pd.DataFrame({"stop_id": ["S1"], "occurred_at": [pd.Timestamp("2026-05-03 10:20:45")],
                          "stop_type": ["traffic"], "lat": [41.123456], "lon": [-87.654321]})
    out, _ = deidentify(table, "stops", parse_period("2026Q2")[0], ExportPolicy(dates=dates), 5, KEY)
    assert out["occurred_at"].tolist() == [expected]
    assert "lat" not in out  # coordinates left out by default


def test_coordinates_are_rounded_when_the_policy_says():
    table = pd.DataFrame({"stop_id": ["S1"], "occurred_at": [pd.Timestamp("2026-05-03 10:20:45")],
                          "stop_type": ["traffic"], "lat": [41.123456], "lon": [-87.654321]})
    out, _ = deidentify(table, "stops", parse_period("2026Q2")[0],
                        ExportPolicy(coordinates="round", coordinate_decimals=2), 5, KEY)
    assert out[["lat", "lon"]].values.tolist() == [[41.12, -87.65]]


def test_free_text_person_ids_and_dropped_fields_are_left_out():
    narrative = "The complainant said the officer was rude to him at the corner store on the night of the game"
    table = pd.DataFrame({"complaint_id": ["IA-1"] * 5, "received_at": [pd.Timestamp("2026-05-03")] * 5,
                          "allegation": [narrative] * 5, "disposition_detail": ["Not sustained after review"] * 5,
                          "officer_id": ["ab12cd34ef56ab12"] * 5, "discipline": ["Reprimand"] * 5})
    policy = ExportPolicy(drop={"complaints": ["discipline"]})
    out, account = deidentify(table, "complaints", parse_period("2026Q2")[0], policy, 5, KEY)
    assert set(out.columns) == {"complaint_id", "received_at", "officer_id"}
    assert set(account.left_out) == {"allegation", "disposition_detail", "discipline"}
    assert out["complaint_id"].iloc[0] != "IA-1" and len(out["complaint_id"].iloc[0]) == 16  # a keyed hash


def test_no_published_combination_is_shared_by_fewer_than_min_count_people(sample_export):
    agency, report, result = sample_export
    for name, id_field in (("stops", "stop_id"), ("use_of_force", "incident_id")):
        frame = pd.read_csv(report / "data" / f"{name}.csv", dtype=str, keep_default_na=False)
        frame["month"] = frame[[c for c in frame if c.endswith("_at")][0]].str[:7]
        qi = ["subject_race", "subject_sex", "subject_age_group", "district", "month"]
        people = frame.groupby(qi)[id_field].nunique()
        assert people.min() >= agency.min_count, people[people < agency.min_count]


def test_every_row_of_the_period_is_counted(sample_export):
    agency, report, result = sample_export
    package = json.loads((report / "data" / "datapackage.json").read_text())
    metrics = json.loads((report / "metrics.json").read_text())
    for resource in package["resources"]:
        name = resource["path"][:-4]
        account = resource["deidentification"]
        rows = len(pd.read_csv(report / "data" / resource["path"], dtype=str))
        assert account["rows_published"] == rows
        assert account["rows_in_period"] == rows + sum(account["rows_withheld"].values())
        if name in metrics["datasets"]:
            assert metrics["datasets"][name]["rows_in_period"] == account["rows_in_period"]


def test_the_records_reproduce_two_headline_figures(sample_export):
    agency, report, result = sample_export
    metrics = json.loads((report / "metrics.json").read_text())["datasets"]["stops"]["metrics"]
    package = json.loads((report / "data" / "datapackage.json").read_text())
    account = next(r["deidentification"] for r in package["resources"] if r["path"] == "stops.csv")
    assert account["rows_withheld"] == {}  # every stop of the quarter is in the records (none was too rare)
    stops = pd.read_csv(report / "data" / "stops.csv", dtype=str)
    assert len(stops) == metrics["stops"]
    assert (stops["search_conducted"] == "true").sum() == metrics["searches"]


def test_the_data_package_is_valid_for_frictionless(sample_export, tmp_path):
    frictionless = pytest.importorskip("frictionless")
    agency, report, result = sample_export
    report_ = frictionless.validate(str(report / "data" / "datapackage.json"))
    assert report_.valid, report_.flatten(["resourcePath", "rowNumber", "fieldName", "message"])[:5]
    # The validator reads the rows: a value outside the allowed ones fails it.
    broken = tmp_path / "data"
    broken.mkdir()
    for path in (report / "data").iterdir():
        (broken / path.name).write_bytes(path.read_bytes())
    text = (broken / "stops.csv").read_text()
    (broken / "stops.csv").write_text(text.replace(",White,", ",Purple,", 1))
    assert not frictionless.validate(str(broken / "datapackage.json")).valid


def test_parquet_holds_what_the_csv_holds(sample_export):
    agency, report, result = sample_export
    for name in ("stops", "use_of_force"):
        from_csv = pd.read_csv(report / "data" / f"{name}.csv", dtype=str, keep_default_na=False)
        from_parquet = pd.read_parquet(report / "data" / f"{name}.parquet")
        as_text = from_parquet.astype("string").fillna("").replace({"True": "true", "False": "false"})
        assert list(as_text.columns) == list(from_csv.columns)
        assert as_text.astype(str).values.tolist() == from_csv.values.tolist()


def test_names_and_narratives_never_reach_the_export(sample_export):
    agency, report, result = sample_export
    text = "".join(p.read_text(encoding="utf-8") for p in (report / "data").glob("*.csv"))
    raw = pd.read_csv(agency.folder / "raw" / "use_of_force" / "UseOfForce_2026.csv", dtype=str)
    columns = [c for c in raw if "NAME" in c or "NARRATIVE" in c]
    assert columns
    for column in columns:
        for value in raw[column].dropna().unique()[:50]:
            assert value not in text, column


def test_the_personal_data_scan_covers_the_export(make_agency, tmp_path):
    # A caller's name typed into the call-type column: the name column is never mapped, but its values are
    # searched for in everything published, the export too.
    rows = "\n".join(f"C{i},05/0{1 + i % 5}/2026,{'Zebulon Quillfeather' if i == 3 else 'Noise'},Zebulon Quillfeather"
                     for i in range(12))
    folder = make_agency(agency_config({"calls_for_service": {
        "files": ["raw/calls.csv"], "columns": {"call_id": "ID", "received_at": "WHEN", "call_type": "KIND"},
        "datetime_format": "%m/%d/%Y"}}), {"raw/calls.csv": "ID,WHEN,KIND,CALLER_NAME\n" + rows + "\n"})
    agency = keyed_agency(folder)
    out = tmp_path / "out" / "data"
    with pytest.raises(ExportError, match="calls_for_service.csv: holds a value of column 'CALLER_NAME'"):
        write_export(agency, parse_period(PERIOD)[0], out)
    assert not out.exists() and not list(out.parent.iterdir())  # nothing half-written


def test_export_command(make_agency, tmp_path, capsys, monkeypatch):
    rows = "\n".join(f"C{i},05/0{1 + i % 5}/2026,Noise" for i in range(12))
    folder = make_agency(agency_config({"calls_for_service": {
        "files": ["raw/calls.csv"], "columns": {"call_id": "ID", "received_at": "WHEN", "call_type": "KIND"},
        "datetime_format": "%m/%d/%Y"}}), {"raw/calls.csv": "ID,WHEN,KIND\n" + rows + "\n"})
    keyed_agency(folder)
    monkeypatch.setenv("TRANSPARENCY_ROOT", str(tmp_path))
    assert cli.main(["export", "--agency", str(folder), "--period", PERIOD]) == 0
    written = tmp_path / "reports" / "testville" / PERIOD / "data"
    assert sorted(p.name for p in written.iterdir()) == ["calls_for_service.csv", "calls_for_service.parquet",
                                                         "datapackage.json"]
    assert "calls_for_service: 12 rows in the period, 12 published, 0 withheld" in capsys.readouterr().out
    assert cli.main(["export", "--agency", str(folder), "--period", "2026Q2:2026Q3"]) == 2


@pytest.mark.parametrize("export, message", [
    ({"drop": {"calls_for_service": ["caller_name"]}}, "export.drop.calls_for_service: 'caller_name' is not a field"),
    ({"datasets": ["stops"]}, "export.datasets: 'stops' is not a configured dataset"),
    ({"dates": "minute"}, "export.dates"),
])
def test_a_bad_export_policy_names_its_key(make_agency, export, message):
    folder = make_agency(agency_config({"calls_for_service": {
        "files": ["raw/calls.csv"], "columns": {"call_id": "ID", "received_at": "WHEN"}}}, export=export),
        {"raw/calls.csv": "ID,WHEN\n"})
    with pytest.raises(ConfigError, match=message):
        load_agency(folder)


def test_a_rare_person_is_hidden_among_others_of_the_month_rather_than_withheld():
    # Eight Black men alike in May, and one Asian woman: she alone is rare; one of the eight is shown as
    # "Not shown" with her (seven keep their values, still above the threshold), so nobody is withheld.
    table = pd.DataFrame(_rows(8, subject_race="Black", subject_sex="Male", subject_age=30, district="North")
                         + _rows(1, subject_race="Asian", subject_sex="Female", subject_age=50, district="West"))
    table["stop_id"] = [f"S{i}" for i in range(len(table))]
    table["stop_type"] = "traffic"
    table["occurred_at"] = pd.Timestamp("2026-05-03 10:20")
    out, account = deidentify(table, "stops", parse_period("2026Q2")[0], ExportPolicy(), 2, KEY)
    assert account.withheld == Counter() and len(out) == 9
    assert (out["subject_race"] == "Black").sum() == 7 and (out["subject_race"] == NOT_SHOWN).sum() == 2


def test_the_methodology_links_the_records_in_plain_words(make_agency, offline_textstat):  # noqa: F811
    import re

    import textstat

    from transparency.building.export import methodology_html
    from transparency.writing import backmatter

    def methodology(agency):  # as the build writes it: the open-data words handed to the back matter
        return backmatter.methodology(agency, parse_period(PERIOD)[0], ["pursuits"],
                                      sources=methodology_html(agency, ["pursuits"]))

    config = {"files": ["data.csv"], "columns": {"pursuit_id": "ID", "started_at": "DATE"}}
    without = load_agency(make_agency(agency_config({"pursuits": config}), {"data.csv": "ID,DATE\n"}))
    text = methodology(without)
    assert "datapackage.json" not in text  # no export policy: no records published, none linked
    agency = load_agency(make_agency(agency_config({"pursuits": config}, export={"dates": "day"}),
                                     {"data.csv": "ID,DATE\n"}, name="withexport"))
    text = methodology(agency)
    assert '<a href="data/datapackage.json">a data package</a>' in text and "Dates are given to the day." in text
    words = re.sub("<[^>]+>", " ", text.split("<h3>The records behind this report</h3>")[1])
    assert textstat.flesch_kincaid_grade(words) <= 9


def test_a_release_publishes_the_records_even_from_a_draft_without_them(tmp_path_factory):
    """The build writes data/ when agency.yml sets `export:`; a draft built without it (removed here) gets it from
    the release, in the version's RELEASE.json like every released file."""
    import shutil

    from test_release import build, new_project

    from transparency.releasing.release import release

    project = new_project(tmp_path_factory.mktemp("records-release"))
    assert [o.status for o in build(project)] == ["ok", "ok"], project.lines
    draft = project.reports / PERIOD / "data"
    assert (draft / "datapackage.json").is_file()
    shutil.rmtree(draft)
    version = release(project.agency, project.period, project.root, by="Chief Ramos", notebooks=project.notebooks,
                      say=project.lines.append)
    files = version.record["files"]
    assert {"data/datapackage.json", "data/use_of_force.csv", "data/use_of_force.parquet", "data/complaints.csv"} <= set(files)
    assert oct((version.folder / "data" / "use_of_force.csv").stat().st_mode & 0o777) == "0o444"


def test_no_records_are_published_unless_agency_yml_asks(whole_sample):
    """The sample's agency.yml has no `export:`: its report publishes tables, never records (SPEC: no hidden
    count may be worked out from the publication, and records would let a reader count hidden cells)."""
    assert (whole_sample / "report.html").is_file()
    assert not (whole_sample / "data").exists()
