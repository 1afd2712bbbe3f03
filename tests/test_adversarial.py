"""Malformed and hostile inputs, generated here: each gives a clear error naming file, row and column where
they apply (exit 1, no traceback, nothing written), or loads with the problem counted and made harmless.

The corpus is a table of cases run through the real command line (in-process, `transparency validate`),
plus build-level cases (script tags, formula payloads, very long text, a build killed with SIGKILL).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
import yaml
from conftest import agency_config, keyed_agency, sample_project

from transparency import cli
from transparency.tables.cache import cache_dir

UOF = {"incident_id": "ID", "occurred_at": "DATE", "force_type": "TYPE"}
GOOD_ROWS = "1,2021-01-05,Taser\n2,2021-02-05,Hands\n3,2021-04-01,Hands\n"


def uof_config(**extra) -> dict:
    return agency_config({"use_of_force": {"files": ["u*.csv"], "columns": UOF, **extra}})


# (case id, config dict or YAML text, files, expected exit code, text that must appear in the output)
CASES = [
    ("truncated_mid_quote", uof_config(), {"u.csv": 'ID,DATE,TYPE\n1,2021-01-05,Taser\n2,"2021-02-05,Ha'}, 1, "u.csv, row 3: is not a well-formed CSV"),
    ("unbalanced_quote_middle", uof_config(), {"u.csv": 'ID,DATE,TYPE\n1,2021-01-05,"Taser\n2,2021-02-05,Hands\n3,2021-03-05,Hands\n'}, 1, "is not a well-formed CSV"),
    ("nul_bytes", uof_config(), {"u.csv": b"ID,DATE,TYPE\n1,2021-01-05,Ta\x00ser\n"}, 1, "u.csv, row 2: contains NUL bytes"),
    ("utf16_file", uof_config(), {"u.csv": ("ID,DATE,TYPE\n" + GOOD_ROWS).encode("utf-16")}, 1, "NUL bytes"),
    ("mixed_encodings", uof_config(), {"u.csv": ("ID,DATE,TYPE\n1,2021-01-05,Caf\u00e9\n").encode() + "2,2021-02-05,Caf\u00e9\n".encode("cp1252")}, 0, "not valid UTF-8 (first at row 3)"),
    ("header_only", uof_config(), {"u.csv": "ID,DATE,TYPE\n"}, 0, "the file has a header but no rows"),
    ("zero_bytes", uof_config(), {"u.csv": b""}, 1, "u.csv: the file is empty (0 bytes)"),
    ("only_blank_lines", uof_config(), {"u.csv": "\n\n\n"}, 1, "the file is empty (no header row)"),
    ("year_1900", uof_config(), {"u.csv": "ID,DATE,TYPE\n" + GOOD_ROWS + "4,1900-01-01,Taser\n"}, 0, "out_of_range_occurred_at 1"),
    ("year_2200", uof_config(), {"u.csv": "ID,DATE,TYPE\n" + GOOD_ROWS + "4,2200-01-01,Taser\n"}, 0, "out_of_range_occurred_at 1"),
    ("feb_30", uof_config(), {"u.csv": "ID,DATE,TYPE\n" + GOOD_ROWS + "4,2021-02-30,Taser\n"}, 0, "unparseable_occurred_at 1"),
    ("excel_serial_dates", uof_config(), {"u.csv": "ID,DATE,TYPE\n1,44197,Taser\n2,44228,Hands\n"}, 1, "column 'DATE': most dates cannot be read"),
    ("ambiguous_day_month", uof_config(), {"u.csv": "ID,DATE,TYPE\n1,01/02/2021,Taser\n2,03/04/2021,Hands\n"}, 1, "set datetime_format"),
    ("ragged_long_row", uof_config(), {"u.csv": "ID,DATE,TYPE\n1,2021-01-05,Taser,extra\n"}, 1, "row 2: is not a well-formed CSV"),
    ("short_row", uof_config(), {"u.csv": "ID,DATE,TYPE\n1,2021-01-05\n2,2021-01-06,Hands\n"}, 0, "missing_force_type 1"),
    ("crlf_line_endings", uof_config(), {"u.csv": ("ID,DATE,TYPE\n" + GOOD_ROWS).replace("\n", "\r\n")}, 0, "3 rows read, 3 used"),
    ("cr_only_line_endings", uof_config(), {"u.csv": ("ID,DATE,TYPE\n" + GOOD_ROWS).replace("\n", "\r")}, 0, "3 rows read, 3 used"),
    ("tab_file_named_csv", uof_config(), {"u.csv": ("ID\tDATE\tTYPE\n" + GOOD_ROWS.replace(",", "\t"))}, 1, "set `delimiter`"),
    ("semicolons_declared", uof_config(delimiter=";"), {"u.csv": "ID;DATE;TYPE\n" + GOOD_ROWS.replace(",", ";")}, 0, "3 rows read, 3 used"),
    ("quoted_newlines", uof_config(), {"u.csv": 'ID,DATE,TYPE\n1,2021-01-05,"Hands\non"\n2,2021-01-06,Taser\n'}, 0, "2 rows read, 2 used"),
    ("missing_required_column", uof_config(), {"u.csv": "ID,DATE\n1,2021-01-05\n"}, 1, "has no column 'TYPE'"),
    ("required_column_empty", uof_config(), {"u.csv": "ID,DATE,TYPE\n1,2021-01-05,\n2,2021-01-06,\n"}, 1, "row 2, column 'TYPE': is empty in every row"),
    ("ids_repeated_with_different_content", agency_config({"pursuits": {"files": ["p.csv"], "columns": {"pursuit_id": "ID", "started_at": "DT"}}}),
     {"p.csv": "ID,DT\nP1,2021-01-01\nP1,2021-02-01\n"}, 1, "p.csv, row 3, column 'ID': pursuit_id 'P1' repeats row 2"),
    ("negative_counts", agency_config({"community_meetings": {"files": ["m.csv"], "columns": {"meeting_id": "ID", "held_at": "DT", "attendees": "N"}}}),
     {"m.csv": "ID,DT,N\nM1,2021-01-01,-40\nM2,2021-01-02,12\n"}, 0, "attendees: negative (left out): 1"),
    ("impossible_age", agency_config({"arrests": {"files": ["a.csv"], "columns": {"arrest_id": "ID", "arrested_at": "DT", "subject_age": "AGE"}}}),
     {"a.csv": "ID,DT,AGE\nA1,2021-01-01,430\nA2,2021-01-02,30\n"}, 0, "impossible age"),
    ("huge_label", uof_config(), {"u.csv": "ID,DATE,TYPE\n1,2021-01-05," + "x" * 100_000 + "\n"}, 0, "force_type: longer than 200 characters (shortened): 1"),
    ("many_columns", uof_config(), {"u.csv": "ID,DATE,TYPE," + ",".join(f"C{i}" for i in range(2000)) + "\n1,2021-01-05,Taser" + ",x" * 2000 + "\n"}, 0, "1 rows read, 1 used"),
    ("glob_escapes_folder", agency_config({"use_of_force": {"files": ["../../etc/*.csv"], "columns": UOF}}), {}, 1, "must not leave the agency folder"),
    ("absolute_glob", agency_config({"use_of_force": {"files": ["/etc/passwd"], "columns": UOF}}), {}, 1, "must be relative"),
    ("glob_matches_nothing", uof_config(), {}, 1, "matches no file"),
    ("same_file_twice", agency_config({"use_of_force": {"files": ["u.csv", "u*.csv"], "columns": UOF}}), {"u.csv": "ID,DATE,TYPE\n" + GOOD_ROWS}, 1, "is matched by two `files` entries"),
    ("yaml_constructs_objects", "name: !!python/object/apply:os.system ['echo pwned']\ntimezone: UTC\ndatasets: {}\n", {}, 1, "not valid YAML"),
    ("yaml_not_a_mapping", "- just\n- a list\n", {}, 1, "expected a mapping"),
    ("yaml_empty", "", {}, 1, "expected a mapping"),
    ("yaml_billion_laughs", "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nname: X\ntimezone: UTC\ndatasets: {}\n", {}, 1, "datasets: must not be empty"),
    ("unknown_dataset", agency_config({"parking": {"files": ["u.csv"], "columns": UOF}}), {}, 1, "unknown dataset 'parking'"),
    ("unknown_field", agency_config({"use_of_force": {"files": ["u.csv"], "columns": {**UOF, "shoe_size": "S"}}}), {}, 1, "'shoe_size' is not a field"),
    ("recode_not_canonical", uof_config(values={"subject_race": {"W": "Caucasian"}}), {}, 1, "not a canonical race value"),
    ("bad_timezone", {**uof_config(), "timezone": "Mars/Olympus_Mons"}, {}, 1, "not an IANA time zone"),
    ("min_count_zero", {**uof_config(), "suppression": {"min_count": 0}}, {}, 1, "suppression.min_count"),
    ("no_datasets", {**uof_config(), "datasets": {}}, {}, 1, "datasets"),
    ("typo_key", {**uof_config(), "timezon": "UTC"}, {}, 1, "timezon: is not a known key"),
    ("excel_that_is_not", agency_config({"use_of_force": {"files": ["u.xlsx"], "columns": UOF}}), {"u.xlsx": "ID,DATE,TYPE\n" + GOOD_ROWS}, 1, "cannot be read as an Excel workbook"),
    ("binary_garbage", uof_config(), {"u.csv": bytes(range(1, 256)) * 40}, 1, "u.csv"),
    ("bom_in_header", uof_config(), {"u.csv": "\ufeffID,DATE,TYPE\n" + GOOD_ROWS}, 0, "3 rows read, 3 used"),
    ("zero_width_space_in_header", uof_config(), {"u.csv": "I\u200bD,DATE,TYPE\n" + GOOD_ROWS}, 1, "has no column 'ID'"),
    ("rtl_override_in_text", uof_config(), {"u.csv": "ID,DATE,TYPE\n1,2021-01-05,\u202eresaT\n"}, 0, "1 rows read, 1 used"),
    ("time_24_00", agency_config({"use_of_force": {"files": ["u.csv"], "columns": {**UOF, "occurred_at": {"date": "D", "time": "T"}}}}),
     {"u.csv": "ID,D,T,TYPE\n1,2021-01-05,24:00,Taser\n2,2021-01-06,10:00,Taser\n"}, 0, "time unreadable (date kept): 1"),
    ("leading_zero_ids_kept_apart", agency_config({"pursuits": {"files": ["p.csv"], "columns": {"pursuit_id": "ID", "started_at": "DT"}}}),
     {"p.csv": "ID,DT\n00123,2021-01-01\n123,2021-01-02\n"}, 0, "2 rows read, 2 used"),
    ("million_empty_rows", uof_config(), {"u.csv": "ID,DATE,TYPE\n" + GOOD_ROWS + ",,\n" * 1_000_000}, 0, "blank_row 1,000,000"),
]


def validate_says(folder, capsys, code: int, expected: str) -> str:
    """Run `transparency validate` on an agency folder: it exits with ``code``, says ``expected``, and
    prints no traceback. Returns what it printed. (Shared by the adversarial corpora.)"""
    try:
        result = cli.main(["validate", "--agency", str(folder), "--no-cache"])
    except SystemExit as exc:  # argparse
        result = exc.code
    out = capsys.readouterr()
    text = out.out + out.err
    assert result == code, text
    assert expected in text, text
    assert "Traceback" not in text
    return text


@pytest.mark.parametrize(("case", "config", "files", "code", "expected"), CASES, ids=[c[0] for c in CASES])
def test_adversarial_input(make_agency, capsys, case, config, files, code, expected):
    folder = make_agency(config, files, name=case)
    before = sorted(cache_dir().rglob("*.parquet")) if cache_dir().exists() else []
    validate_says(folder, capsys, code, expected)
    if code != 0:
        after = sorted(cache_dir().rglob("*.parquet")) if cache_dir().exists() else []
        assert after == before, "nothing is written when the input is refused"


def test_corpus_is_large_enough():
    assert len(CASES) >= 50


@pytest.mark.parametrize("period", ["2025Q5", "25Q1", "2025Q0", "1899Q1", "2025Q3:2025Q1", "2025Q1:", "Q3", "2025-Q3"])
def test_bad_periods_are_usage_errors(make_agency, capsys, period):
    folder = make_agency(uof_config(), {"u.csv": "ID,DATE,TYPE\n" + GOOD_ROWS})
    assert cli.main(["validate", "--agency", str(folder), "--period", period]) == 2
    err = capsys.readouterr().err
    assert period.split(":")[0] in err and "Traceback" not in err


def test_a_link_out_of_the_agency_folder_is_refused(make_agency, tmp_path, capsys):
    outside = tmp_path / "secret.csv"
    outside.write_text("ID,DATE,TYPE\n" + GOOD_ROWS)
    folder = make_agency(uof_config())
    (folder / "u_link.csv").symlink_to(outside)
    assert cli.main(["validate", "--agency", str(folder), "--no-cache"]) == 1
    assert "lies outside the agency's folder" in capsys.readouterr().out


# --- Build-level cases ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    """A small agency whose text fields carry script tags, formula payloads and a very long label."""
    from transparency.building.build import build_period
    from transparency.core.periods import parse_period

    root = tmp_path_factory.mktemp("hostile")
    folder = root / "data" / "hostile"
    folder.mkdir(parents=True)
    rows = ["ID,DATE,TYPE,DISTRICT,INJ"]
    types = ["<script>alert('x')</script>", "=HYPERLINK(\"http://evil\")", "+SUM(A1)", "@cmd", "-2+3", "L" * 5000]
    for i in range(60):
        rows.append(f'{i},2021-0{1 + i % 3}-1{i % 9},"{types[i % len(types)].replace(chr(34), chr(34) * 2)}","<img src=x onerror=alert(1)>",Y')
    (folder / "u.csv").write_text("\n".join(rows) + "\n")
    config = agency_config({"use_of_force": {"files": ["u.csv"], "columns": {**UOF, "district": "DISTRICT", "subject_injured": "INJ"}}},
                           name="Hostile <b>Town</b> Police")
    (folder / "agency.yml").write_text(yaml.safe_dump(config))
    agency = keyed_agency(folder)
    outcomes = build_period(agency, parse_period("2021Q1")[0], root, ["use_of_force"], 1, ("html", "pdf"), lambda _: None)
    return root / "reports" / agency.slug / "2021Q1", outcomes


def test_script_tags_from_data_are_escaped(hostile_build):
    out, outcomes = hostile_build
    assert outcomes[0].status == "ok", outcomes[0].message
    for page in ("report.html", "use_of_force.html"):
        html = (out / page).read_text()
        assert "<script>alert" not in html and "onerror=alert" not in html.replace("&lt;img src=x onerror=alert(1)&gt;", "")
        assert "&lt;script&gt;" in html or "&amp;lt;script" in html
        assert "<b>Town</b>" not in html


def test_formula_payloads_are_neutralised_in_csv(hostile_build):
    out, _ = hostile_build
    cells = []
    for path in (out / "tables").glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        cells += list(frame.columns) + [c for col in frame.columns for c in frame[col]]
    assert any("HYPERLINK" in c for c in cells)
    for cell in cells:
        if cell[:1] in ("=", "+", "@") or (cell[:1] == "-" and not cell.lstrip("-").replace(".", "").isdigit()):
            pytest.fail(f"unneutralised cell {cell[:40]!r}")


def test_very_long_text_is_shortened_in_the_report(hostile_build):
    out, _ = hostile_build
    assert "L" * 300 not in (out / "report.html").read_text()


def test_a_build_killed_with_sigkill_leaves_the_last_report(tmp_path):
    """Start a build, kill it with SIGKILL while notebooks run, and check the previous report is intact."""
    root = tmp_path / "root"
    sample_project(root, through="2026Q2", years=4, scale=0.2)
    env = {**os.environ, "TRANSPARENCY_ROOT": str(root)}
    command = [sys.executable, "-m", "transparency.cli", "build", "--agency", "sample", "--period", "2026Q2",
               "--datasets", "use_of_force,complaints", "--formats", "html"]
    subprocess.run([sys.executable, "-m", "transparency.cli", "keygen", "--agency", "sample"], env=env, cwd=root, check=True,
                   capture_output=True)
    first = subprocess.run(command, env=env, cwd=root, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stdout + first.stderr
    out = root / "reports" / "sample" / "2026Q2"
    before = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    process = subprocess.Popen(command, env=env, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 120
    for line in iter(process.stdout.readline, b""):
        if b"running" in line or time.monotonic() > deadline:
            break
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    after = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before, "the last complete report is untouched"
    again = subprocess.run(command, env=env, cwd=root, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0
    assert not list(out.parent.glob(".2026Q2-*")), "the next build clears what the killed one left"
    assert json.loads((out / "metrics.json").read_text())["datasets"]["use_of_force"]["status"] == "ok"
