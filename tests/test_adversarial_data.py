"""Attacks on the data's promises (issue 17): personal data in any script or in a file's name, and inputs that
change, collide or lie. Each case failed before its fix; each runs through the real command line or the
package function the build calls, and none may print a traceback.

The table ``CASES`` follows ``tests/test_adversarial.py``: an agency folder, ``transparency validate``, the
exit code and a text that must appear. The other cases need a build, a key file or a second agency.
"""

from __future__ import annotations

import json
import os

import pytest
import yaml
from conftest import agency_config, keyed_agency
from test_adversarial import validate_says

from transparency import cli

UOF = {"incident_id": "ID", "occurred_at": "DATE", "force_type": "TYPE"}
PURSUITS = {"pursuit_id": "ID", "started_at": "DT"}


def uof_config(**extra) -> dict:
    return agency_config({"use_of_force": {"files": ["u*.csv"], "columns": {**UOF, "district": "DIST"}, **extra}})


def pursuits_config(**extra) -> dict:
    return agency_config({"pursuits": {"files": ["p.csv"], "columns": PURSUITS, **extra}})


# Five spellings of 123 and of North that look the same on a screen.
LOOKALIKE_IDS = ["123", "1\u200b23", "12\u20603", "\u00a0123", "1\u00ad23"]
LOOKALIKE_NORTH = ["North", "No\u200brth", "Nor\u2060th", "North\u00a0", "Nor\u00adth"]

# (case id, config, files, expected exit code, text that must appear in the output)
CASES = [
    ("invisible_chars_make_one_id", pursuits_config(),
     {"p.csv": "ID,DT\n" + "".join(f"{i},2021-01-0{n + 1}\n" for n, i in enumerate(LOOKALIKE_IDS))},
     1, "p.csv, row 3, column 'ID': pursuit_id '123' repeats row 2"),
    ("invisible_chars_counted", uof_config(),
     {"u.csv": "ID,DATE,TYPE,DIST\n" + "".join(f"{n},2021-01-0{n + 1},Taser,{d}\n" for n, d in enumerate(LOOKALIKE_NORTH))},
     0, "3 cells held invisible characters"),  # the trailing no-break space is trimmed, as any space
    ("raw_root_is_etc", {**uof_config(), "raw_root": "/etc"}, {}, 1, "raw_root: '/etc' lies outside the agency's folder"),
    ("raw_root_climbs_out", {**uof_config(), "raw_root": "../.."}, {}, 1, "lies outside the agency's folder; a folder elsewhere must be allowed"),
    ("raw_root_inside_is_fine", {**uof_config(), "raw_root": "raw"}, {"raw/u.csv": "ID,DATE,TYPE,DIST\n1,2021-01-05,Taser,North\n"}, 0, "1 rows read, 1 used"),
    ("fullwidth_digits_are_digits", pursuits_config(),
     {"p.csv": "ID,DT\n123,2021-01-01\n\uff11\uff12\uff13,2021-01-02\n"}, 1, "pursuit_id '123' repeats row 2"),
]


@pytest.mark.parametrize(("case", "config", "files", "code", "expected"), CASES, ids=[c[0] for c in CASES])
def test_adversarial_data_input(make_agency, capsys, case, config, files, code, expected):
    validate_says(make_agency(config, files, name=case), capsys, code, expected)


def test_lookalike_districts_are_one_district(make_agency):
    """Five spellings of "North" load as one district, and the appendix's note counts the three cells normalised
    (the fourth, a trailing no-break space, is trimmed like any space)."""
    from transparency.reading.load import load_dataset

    rows = "".join(f"{n},2021-01-0{n + 1},Taser,{d}\n" for n, d in enumerate(LOOKALIKE_NORTH))
    folder = make_agency(uof_config(), {"u.csv": "ID,DATE,TYPE,DIST\n" + rows})
    result = load_dataset(keyed_agency(folder), "use_of_force")
    assert sorted(set(result.table["district"].astype(str))) == ["North"]
    assert any(note.startswith("3 cells held invisible characters") for note in result.notes)
    assert any("3 cells held invisible" in w for w in result.files[0].warnings)


# --- Personal data ---------------------------------------------------------------------------------------

NAMES = ["Иван Квиллфезеров", "Ζαχαρίας Παπαδόπουλος", "王小明", "राम प्रसाद"]


@pytest.mark.parametrize(("value", "published"), [
    ("Иван Квиллфезеров", "<p>Caller: ИВАН КВИЛЛФЕЗЕРОВ.</p>"),
    ("Ζαχαρίας Παπαδόπουλος", "<td>ΖΑΧΑΡΊΑΣ\nΠΑΠΑΔΌΠΟΥΛΟΣ</td>"),  # upper case, a line break, final sigma
    ("王小明", "<p>来电者王小明报告</p>"),  # written without spaces
    ("王小明", "<p>王 小明</p>"),  # a line break or space inside, as a PDF's text may have
    ("राम प्रसाद", "<p>राम प्रसाद</p>"),  # letters and vowel signs
    ("Zebulon Quillfeather", "<p>raw/complaint_Zebulon_Quillfeather.csv</p>"),  # in a file's name
    ("Zebulon Quillfeather", "<p>Zebu\u200blon Quillfeather</p>"),  # a zero-width space inside
])
def test_names_in_any_script_are_found(tmp_path, value, published):
    from transparency.figures.privacy import collect_values, scan  # noqa: F401  (scan is what the build calls)

    (tmp_path / "report.html").write_text(published, encoding="utf-8")
    assert [leak.column for leak in scan(tmp_path, {value.lower(): ("c.csv", "CALLER_NAME")})] == ["CALLER_NAME"]


@pytest.mark.parametrize(("value", "published"), [
    ("Иван", "<p>Иванов</p>"),  # a word inside a longer word
    ("王小明", "<p>王小</p>"),
    ("white, a.", "<p>White, a higher share</p>"),
])
def test_names_in_any_script_need_the_whole_value(tmp_path, value, published):
    from transparency.figures.privacy import scan

    (tmp_path / "report.html").write_text(published, encoding="utf-8")
    assert scan(tmp_path, {value: ("c.csv", "CALLER_NAME")}) == []


def test_short_han_names_are_searched_for(make_agency):
    from transparency.core.config import load_agency
    from transparency.figures.privacy import collect_values

    folder = make_agency(uof_config(), {"u.csv": "ID,DATE,TYPE,DIST,CALLER_NAME\n1,2021-01-05,Taser,North,王明\n"})
    assert collect_values(load_agency(folder), ["use_of_force"]) == {"王明": ("u.csv", "CALLER_NAME")}


def test_an_address_column_mapped_to_a_category_is_still_searched(make_agency):
    """A mis-mapped address column (district: BLOCK_ADDRESS) would publish every address as a row label; its
    street addresses are searched for, so the build fails instead. Values without a house number are not."""
    from transparency.core.config import load_agency
    from transparency.figures.privacy import collect_values

    config = agency_config({"use_of_force": {"files": ["u.csv"], "columns": {**UOF, "district": "BLOCK_ADDRESS"}}})
    folder = make_agency(config, {"u.csv": "ID,DATE,TYPE,BLOCK_ADDRESS\n1,2021-01-05,Taser,1200 Quillfeather Lane\n"
                                           "2,2021-01-06,Taser,Beat 12\n3,2021-01-07,Taser,North\n"})
    assert collect_values(load_agency(folder), ["use_of_force"]) == {"1200 quillfeather lane": ("u.csv", "BLOCK_ADDRESS")}


def _small_uof_agency(root, types: list[str], extra_column: tuple[str, list[str]] | None = None, file_name: str = "u.csv"):
    """An agency of 60 use-of-force rows in 2021Q1 under ``root/data/small``, force types taken in turn from ``types``."""
    folder = root / "data" / "small"
    folder.mkdir(parents=True)
    header = "ID,DATE,TYPE,DIST" + (f",{extra_column[0]}" if extra_column else "")
    rows = [header]
    for i in range(60):
        row = f"{i},2021-0{1 + i % 3}-1{i % 9},{types[i % len(types)]},{['North', 'South'][i % 2]}"
        rows.append(row + (f",{extra_column[1][i % len(extra_column[1])]}" if extra_column else ""))
    (folder / file_name).write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "agency.yml").write_text(yaml.safe_dump(uof_config() | {"datasets": {"use_of_force": {
        "files": ["u*.csv"], "columns": {**UOF, "district": "DIST"}}}}))
    return keyed_agency(folder)


def test_names_in_other_scripts_fail_the_build(tmp_path):
    """A caller-name column and the force type both holding names in Cyrillic, Greek and Han: the build is
    refused (before, they were published in a CSV, the HTML and the PDF)."""
    from transparency.building.build import PrivacyError, build_period
    from transparency.core.periods import parse_period

    agency = _small_uof_agency(tmp_path, [*NAMES[:3], "Taser"], ("CALLER_NAME", NAMES[:3]))
    with pytest.raises(PrivacyError) as err:
        build_period(agency, parse_period("2021Q1")[0], tmp_path, ["use_of_force"], 1, ("html",), lambda _: None)
    message = str(err.value)
    assert "CALLER_NAME" in message and not any(name in message for name in NAMES)
    assert message.count("CALLER_NAME") >= 3, message  # each of the three names is found
    assert not (tmp_path / "reports" / agency.slug / "2021Q1").exists()


def test_the_manifest_names_no_folder_of_the_machine(tmp_path):
    from transparency.building.build import build_period
    from transparency.core.periods import parse_period

    agency = _small_uof_agency(tmp_path, ["Taser", "Hands"])
    outcomes = build_period(agency, parse_period("2021Q1")[0], tmp_path, ["use_of_force"], 1, ("html",), lambda _: None)
    assert outcomes[0].status == "ok", outcomes[0].message
    out = tmp_path / "reports" / agency.slug / "2021Q1"
    for path in out.rglob("*"):
        if path.suffix in (".json", ".html", ".csv", ".ipynb"):
            text = path.read_text(encoding="utf-8")
            assert str(tmp_path) not in text and os.path.expanduser("~") + "/" not in text, path.name
    assert json.loads((out / "manifest.json").read_text())["agency"]["config"] == "agency.yml"


# --- Inputs that change, collide or lie ------------------------------------------------------------------


def test_a_raw_file_replaced_during_a_build_is_refused(tmp_path):
    """The raw file is replaced while the notebook runs: before, the report mixed the old and the new file
    (text and trend from one, metrics from the other) and was published; now nothing is published."""
    from transparency.building.build import InputChangedError, build_period
    from transparency.core.periods import parse_period

    agency = _small_uof_agency(tmp_path, ["Taser", "Hands"])
    raw = agency.folder / "u.csv"
    period = parse_period("2021Q1")[0]
    build_period(agency, period, tmp_path, ["use_of_force"], 1, ("html",), lambda _: None)
    out = tmp_path / "reports" / agency.slug / "2021Q1"
    before = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def replace_while_running(line: str) -> None:
        if "running" in line:
            raw.write_text(raw.read_text().replace("Hands", "Baton"))

    with pytest.raises(InputChangedError) as err:
        build_period(agency, period, tmp_path, ["use_of_force"], 1, ("html",), replace_while_running, force=True)
    assert f"{raw}: changed while the report was being built" in str(err.value)
    assert {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert not list(out.parent.glob(".2021Q1-*"))


def test_two_folders_with_one_slug_are_refused(make_agency, capsys):
    """``h07.x`` and ``h07-x`` side by side would share a key and a reports folder: validate refuses."""
    good = {"u.csv": "ID,DATE,TYPE,DIST\n1,2021-01-05,Taser,North\n"}
    make_agency(uof_config(), good, name="h07-x")
    folder = make_agency(uof_config(), good, name="h07.x")
    assert cli.main(["validate", "--agency", str(folder), "--no-cache"]) == 1
    text = "".join(capsys.readouterr())
    assert "the agency folders 'h07.x' and 'h07-x' both give the agency name 'h07-x'" in text and "Traceback" not in text


def test_a_reports_folder_is_not_taken_over_by_another_agency(tmp_path):
    """Agencies in different places with one slug: the second build is refused before it writes anything."""
    from transparency.building.build import build_period
    from transparency.core.errors import TransparencyError
    from transparency.core.periods import parse_period

    first = _small_uof_agency(tmp_path / "a", ["Taser", "Hands"])
    period = parse_period("2021Q1")[0]
    build_period(first, period, tmp_path, ["use_of_force"], 1, ("html",), lambda _: None)
    other = tmp_path / "b" / "data" / "Small"
    other.parent.mkdir(parents=True)
    (tmp_path / "a" / "data" / "small").rename(other)
    second = keyed_agency(other)
    assert second.slug == first.slug
    report = (tmp_path / "reports" / "small" / "2021Q1" / "report.html").read_bytes()
    with pytest.raises(TransparencyError, match="holds the reports of the agency folder 'small'"):
        build_period(second, period, tmp_path, ["use_of_force"], 1, ("html",), lambda _: None, force=True)
    assert (tmp_path / "reports" / "small" / "2021Q1" / "report.html").read_bytes() == report


@pytest.mark.parametrize(("attack", "expected"), [
    ("link", "the key file is a link"),
    ("readable_by_everyone", "may be read or changed by other users (mode 644)"),
    ("all_zeros", "the key is all zeros"),
])
def test_a_weak_key_file_is_refused(make_agency, capsys, attack, expected):
    from transparency.core.keys import create_key, key_path

    config = agency_config({"use_of_force": {"files": ["u.csv"], "columns": {**UOF, "officer_id": "OFF"}}})
    folder = make_agency(config, {"u.csv": "ID,DATE,TYPE,OFF\n1,2021-01-05,Taser,4521\n"}, name=f"key-{attack}")
    path = key_path(f"key-{attack}")
    if attack == "link":
        target = create_key("key-target")
        path.symlink_to(target)
    elif attack == "readable_by_everyone":
        create_key(f"key-{attack}")
        os.chmod(path, 0o644)
    else:
        path.write_text("0" * 64 + "\n")
        os.chmod(path, 0o600)
    try:
        assert cli.main(["validate", "--agency", str(folder), "--no-cache"]) == 1
    finally:
        path.unlink()
    text = "".join(capsys.readouterr())
    assert f"{path}: the key" in text or f"{path}:" in text, text
    assert expected in text and "Traceback" not in text


def test_a_raw_root_elsewhere_is_read_when_the_builder_allows_it(make_agency, tmp_path, monkeypatch, capsys):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "u.csv").write_text("ID,DATE,TYPE,DIST\n1,2021-01-05,Taser,North\n")
    folder = make_agency({**uof_config(), "raw_root": str(elsewhere)}, name="allowed")
    monkeypatch.setenv("TRANSPARENCY_RAW_ROOTS", "")
    assert cli.main(["validate", "--agency", str(folder), "--no-cache"]) == 1
    monkeypatch.setenv("TRANSPARENCY_RAW_ROOTS", str(tmp_path))
    assert cli.main(["validate", "--agency", str(folder), "--no-cache"]) == 0
    assert "1 rows read, 1 used" in capsys.readouterr().out


def _workbook(path, sheets: list[tuple[str, list[list[str]], str]]) -> None:
    """Write an .xlsx of (title, rows, state) sheets in order."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, rows, state in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        sheet.sheet_state = state
    book.save(path)


def test_a_hidden_first_worksheet_is_read_with_a_warning(make_agency, capsys):
    folder = make_agency(agency_config({"use_of_force": {"files": ["u.xlsx"], "columns": {**UOF, "district": "DIST"}}}))
    rows = [["ID", "DATE", "TYPE", "DIST"], ["1", "2021-01-05", "Taser", "North"]]
    _workbook(folder / "u.xlsx", [("Old", rows, "hidden"), ("Current", rows, "visible")])
    assert cli.main(["validate", "--agency", str(folder), "--no-cache"]) == 0
    out = capsys.readouterr().out
    assert "u.xlsx: the worksheet read, 'Old', is hidden in Excel" in out, out


def test_a_workbook_that_expands_too_far_is_refused(make_agency, capsys, monkeypatch):
    """The bound is lowered to 1 MB here: a small workbook whose one cell expands past it (as a 1.5 MB file
    holding a 1.5 GB cell would past the real bound) is refused before it is read into memory."""
    from transparency.reading import load

    folder = make_agency(agency_config({"use_of_force": {"files": ["u.xlsx"], "columns": {**UOF, "district": "DIST"}}}))
    import zipfile

    _workbook(folder / "u.tmp.xlsx", [("S", [["ID", "DATE", "TYPE", "DIST"], ["1", "2021-01-05", "A" * 1000, "North"]], "visible")])
    # Excel (and openpyxl) keep a cell to 32,767 characters; a crafted file need not.
    with zipfile.ZipFile(folder / "u.tmp.xlsx") as source, zipfile.ZipFile(folder / "u.xlsx", "w", zipfile.ZIP_DEFLATED) as bomb:
        for part in source.infolist():
            data = source.read(part)
            bomb.writestr(part, data.replace(b"A" * 1000, b"A" * 3_000_000) if part.filename.endswith("sheet1.xml") else data)
    (folder / "u.tmp.xlsx").unlink()
    assert (folder / "u.xlsx").stat().st_size < 100_000
    monkeypatch.setattr(load, "WORKBOOK_MAX_UNZIPPED", 2**20)
    monkeypatch.setattr(load, "WORKBOOK_PART_MAX_UNZIPPED", 2**20)
    assert cli.main(["validate", "--agency", str(folder), "--no-cache"]) == 1
    text = "".join(capsys.readouterr())
    assert "u.xlsx: expands to 3 MB when unzipped" in text and "Traceback" not in text, text


def test_a_name_in_a_raw_files_name_fails_the_build(tmp_path):
    """The file's name holds a name that its caller-name column holds: before, it was published in the
    data-quality appendix and manifest.json; now the scan finds it across the name's "_" and refuses the build."""
    from transparency.building.build import PrivacyError, build_period
    from transparency.core.periods import parse_period

    agency = _small_uof_agency(tmp_path, ["Taser", "Hands"], ("CALLER_NAME", ["Zebulon Quillfeather", "Agatha Smythe"]),
                               file_name="u_zebulon_quillfeather.csv")
    with pytest.raises(PrivacyError) as err:
        build_period(agency, parse_period("2021Q1")[0], tmp_path, ["use_of_force"], 1, ("html",), lambda _: None)
    assert "manifest.json: holds a value of column 'CALLER_NAME'" in str(err.value)
    assert "report.html: holds a value of column 'CALLER_NAME'" in str(err.value)
