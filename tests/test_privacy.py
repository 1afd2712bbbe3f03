"""The personal-data scan: canary names and identifiers planted in the inputs never reach a published file,
and a planted leak is found and reported by file and column without printing the value."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from conftest import REPO, SHARED_REAL, agency_config, keyed_agency, sample_project

from transparency.building.build import build_period
from transparency.core.config import load_agency
from transparency.core.periods import parse_period
from transparency.figures.privacy import collect_values, identifying_columns, mask, scan

CANARY_NAME = "Zebulon Quillfeather"
CANARY_NARRATIVE = "canary narrative xq7 walked past the bakery"
CANARY_BADGE = "99887766"


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """A small sample agency whose use-of-force files carry canary values in personal columns."""
    root = tmp_path_factory.mktemp("canary")
    agency_dir = sample_project(root, through="2026Q2", years=4, scale=0.3)
    for path in sorted((agency_dir / "raw" / "use_of_force").glob("*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        rows = frame.index[-3:]
        frame.loc[rows, "OFFICER_NAME"] = CANARY_NAME
        frame.loc[rows, "NARRATIVE"] = CANARY_NARRATIVE
        badge = "OFF_BADGE" if "OFF_BADGE" in frame else "OFFICER_BADGE_NO"
        frame.loc[rows, badge] = CANARY_BADGE
        frame.to_csv(path, index=False)
    agency = keyed_agency(agency_dir)
    return root, agency


def test_canaries_are_collected_from_identifying_columns(planted):
    _, agency = planted
    values = collect_values(agency, ["use_of_force"])
    assert CANARY_NAME.lower() in values and CANARY_NARRATIVE.lower() in values and CANARY_BADGE in values
    assert values[CANARY_NAME.lower()][1] == "OFFICER_NAME"
    columns = identifying_columns(agency, "use_of_force", ["OCC_DATE", "OFFICER_NAME", "NARRATIVE", "BLOCK_ADDRESS", "OFF_BADGE"])
    assert columns == ["OFFICER_NAME", "NARRATIVE", "BLOCK_ADDRESS", "OFF_BADGE"]


def test_no_canary_gets_through_a_build(planted):
    root, agency = planted
    outcomes = build_period(agency, parse_period("2026Q2")[0], root, ["use_of_force"], 1, ("html", "pdf"), lambda _: None)
    assert outcomes[0].status == "ok", outcomes[0].message
    out = root / "reports" / "sample" / "2026Q2"
    assert scan(out, collect_values(agency, ["use_of_force"])) == []


def test_a_planted_leak_is_found_named_and_masked(planted, tmp_path):
    _, agency = planted
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "x.csv").write_text(f"note\nseen with {CANARY_NAME} today\n")
    (tmp_path / "report.html").write_text(f"<p>Badge {CANARY_BADGE}</p>")
    leaks = scan(tmp_path, collect_values(agency, ["use_of_force"]))
    found = {(leak.published_file, leak.column) for leak in leaks}
    assert ("tables/x.csv", "OFFICER_NAME") in found
    assert any(leak.published_file == "report.html" and "BADGE" in leak.column for leak in leaks)
    text = " ".join(str(leak) for leak in leaks)
    assert CANARY_NAME.lower() not in text.lower() and CANARY_BADGE not in text and mask(CANARY_NAME.lower()) in text


@pytest.mark.skipif(not (SHARED_REAL / "calls_911_decc").is_dir(), reason="../shared/real/calls_911_decc not present")
def test_911_staff_names_are_identifying_and_found_if_leaked(tmp_path):
    agency = load_agency(REPO / "tests" / "agencies" / "decc911")
    values = collect_values(agency, ["calls_for_service"])
    staff = {v for v, (_, column) in values.items() if column in ("Call_Taker", "Dispatcher")}
    assert len(staff) > 100
    name = sorted(staff)[0]
    (tmp_path / "report.html").write_text(f"<p>{name.upper()}</p>")
    assert [leak.column for leak in scan(tmp_path, values)] in (["Call_Taker"], ["Dispatcher"])


def test_config_declares_private_columns(make_agency):
    folder = make_agency(agency_config({"use_of_force": {
        "files": ["u.csv"], "columns": {"incident_id": "ID", "occurred_at": "DATE", "force_type": "TYPE"},
        "private_columns": ["WITNESS"]}}), {"u.csv": "ID,DATE,TYPE,WITNESS\n1,2021-01-01,Taser,Agatha Featherstonehaugh\n"})
    agency = load_agency(folder)
    values = collect_values(agency, ["use_of_force"])
    assert values == {"agatha featherstonehaugh": ("u.csv", "WITNESS")}


def test_a_leak_fails_the_build_and_publishes_nothing(planted, tmp_path):
    """A notebook that shows a canary (an analyst's mistake) makes the build fail, leaving no report."""
    import json

    from transparency.building.build import PrivacyError

    _, agency = planted
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nb = json.loads((REPO / "notebooks" / "use_of_force.ipynb").read_text())
    nb["cells"].insert(4, {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "id": "leak",
                           "source": f"section.say('Officer {CANARY_NAME} was involved.')"})
    (notebooks / "use_of_force.ipynb").write_text(json.dumps(nb))
    root = tmp_path / "root"
    with pytest.raises(PrivacyError) as err:
        build_period(agency, parse_period("2026Q1")[0], root, ["use_of_force"], 1, ("html",), lambda _: None, notebooks)
    assert "would hold personal data" in str(err.value) and "OFFICER_NAME" in str(err.value)
    assert CANARY_NAME not in str(err.value)
    reports = root / "reports" / "sample"
    assert not (reports / "2026Q1").exists() and not list(reports.glob(".2026Q1-*"))


def test_street_names_alone_are_not_searched_but_addresses_are(make_agency):
    folder = make_agency(agency_config({"use_of_force": {
        "files": ["u.csv"], "columns": {"incident_id": "ID", "occurred_at": "DATE", "force_type": "TYPE"}}}),
        {"u.csv": "ID,DATE,TYPE,STREET,Address\n1,2021-01-01,Taser,CENTRAL,1200 Quillfeather Lane\n"})
    values = collect_values(load_agency(folder), ["use_of_force"])
    assert values == {"1200 quillfeather lane": ("u.csv", "Address")}


def test_a_column_mapped_to_a_published_field_is_not_searched(make_agency):
    folder = make_agency(agency_config({"citations": {
        "files": ["c.csv"], "columns": {"citation_id": "ID", "issued_at": "DATE", "violation": "OFFENSE_DESCRIPTION"}}}),
        {"c.csv": "ID,DATE,OFFENSE_DESCRIPTION,NARRATIVE_DESCRIPTION\n1,2021-01-01,Trespass,Seen near the Quillfeather house\n"})
    values = collect_values(load_agency(folder), ["citations"])
    assert values == {"seen near the quillfeather house": ("c.csv", "NARRATIVE_DESCRIPTION")}


def test_remembered_values_are_keyed_hashes_never_the_values(planted, tmp_path):
    from transparency.core.incremental import Keys, build_store
    from transparency.core.keys import read_key
    from transparency.figures.privacy import collect_needles

    _, agency = planted
    key = read_key(agency.slug)
    store = build_store(agency) / "privacy"
    shutil.rmtree(store, ignore_errors=True)
    first = collect_needles(agency, ["use_of_force"], key, Keys(agency))
    kept_files = sorted(store.glob("*.json"))
    assert first and kept_files
    assert collect_needles(agency, ["use_of_force"], key, Keys(agency)) == first  # the second time from the store
    assert sorted(store.glob("*.json")) == kept_files
    kept = " ".join(p.read_text() for p in kept_files).lower()
    assert "quillfeather" not in kept and "zebulon" not in kept and CANARY_BADGE not in kept and "bakery" not in kept
    out = tmp_path / "out"
    out.mkdir()
    (out / "r.html").write_text(f"<p>Seen: {CANARY_NAME.upper()}.</p>")
    assert [leak.column for leak in scan(out, first, key=key)] == ["OFFICER_NAME"]
    assert scan(out, first, key=b"another key" * 3) == []  # hashes are only comparable under their key


def test_values_are_found_at_word_boundaries_only(tmp_path):
    values = {"white, a.": ("f.csv", "NAME"), "smith": ("f.csv", "NAME"), "1200 oak st": ("f.csv", "ADDRESS")}
    (tmp_path / "a.html").write_text("<p>People who were White, a higher share. The blacksmith, 1200 Oak Street.</p>")
    assert scan(tmp_path, values) == []
    (tmp_path / "b.html").write_text("<p>Officers WHITE, A. and Smith, at 1200 OAK  ST</p>")
    found = sorted(leak.masked_value for leak in scan(tmp_path, values))
    assert found == sorted(mask(v) for v in values)


def test_values_are_the_same_when_only_identifying_columns_are_read(planted, monkeypatch):
    """The scan reads only the identifying columns of each file; what it collects is what a reading of
    the whole file gives."""
    import transparency.figures.privacy as privacy

    _, agency = planted
    datasets = list(agency.dataset_names)
    read_columns: list[list[str]] = []
    real_read_raw = privacy.read_raw

    def spy(*args, **kwargs):
        frame, encoding, warnings = real_read_raw(*args, **kwargs)
        read_columns.append(list(frame.columns))
        return frame, encoding, warnings

    monkeypatch.setattr(privacy, "read_raw", spy)
    selective = collect_values(agency, datasets)
    monkeypatch.setattr(privacy, "read_raw", lambda *args, columns=None, **kwargs: real_read_raw(*args, **kwargs))
    whole = collect_values(agency, datasets)
    assert list(selective.items()) == list(whole.items())  # same values, columns and files, in the same order
    assert CANARY_NAME.lower() in selective
    # A use-of-force file of 26 columns was read as its three identifying ones.
    assert ["OFF_BADGE", "OFFICER_NAME", "NARRATIVE"] in read_columns
    assert all("OCC_DATE" not in columns and "SUBJ_RACE" not in columns for columns in read_columns)
