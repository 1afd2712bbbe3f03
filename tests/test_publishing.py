"""Publishing settings (agency.yml ``publishing``, transparency/rendering/publishing.py): the public address and contact,
validated, overridden by TRANSPARENCY_PUBLIC_URL / TRANSPARENCY_CONTACT_EMAIL; the PDF's links to CSV tables
made absolute under the released version's address; the logo, only from inside the agency's folder, on the
cover; and the catalogue and "about" page reading the same settings."""

from __future__ import annotations

import os

import pytest
from conftest import agency_config

from transparency.core.config import load_agency
from transparency.core.errors import ConfigError
from transparency.core.periods import parse_period
from transparency.releasing.publish_index import catalog
from transparency.rendering import publishing
from transparency.rendering.render import assemble_report
from transparency.writing.backmatter import about

CALLS = {"calls_for_service": {"files": ["data.csv"], "columns": {"call_id": "ID", "received_at": "DATE"}}}
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082")


@pytest.fixture(autouse=True)
def no_environment(monkeypatch):
    monkeypatch.delenv(publishing.URL_VARIABLE, raising=False)
    monkeypatch.delenv(publishing.CONTACT_VARIABLE, raising=False)


def agency_with(make_agency, settings, files=None):
    return load_agency(make_agency(agency_config(CALLS, publishing=settings), {"data.csv": "ID,DATE\n", **(files or {})}))


def test_settings_are_read_and_the_address_ends_with_a_slash(make_agency):
    agency = agency_with(make_agency, {"url": "https://police.example.gov/transparency", "contact": "records@police.example.gov",
                                       "logo": "art/logo.png"}, {"art/logo.png": PNG})
    assert publishing.public_url(agency) == "https://police.example.gov/transparency/"
    assert publishing.contact(agency) == "records@police.example.gov"
    assert publishing.logo_data_uri(agency).startswith("data:image/png;base64,iVBORw0KGgo")


def test_without_settings_there_is_no_address(make_agency):
    agency = load_agency(make_agency(agency_config(CALLS), {"data.csv": "ID,DATE\n"}))
    assert publishing.public_url(agency) is None and publishing.contact(agency) is None
    assert publishing.logo_data_uri(agency) is None


def test_environment_variables_override_the_configuration(make_agency, monkeypatch):
    agency = agency_with(make_agency, {"url": "https://police.example.gov/", "contact": "a@police.example.gov"})
    monkeypatch.setenv(publishing.URL_VARIABLE, "https://mirror.example.org/reports/sample")
    monkeypatch.setenv(publishing.CONTACT_VARIABLE, "b@example.org")
    assert publishing.public_url(agency) == "https://mirror.example.org/reports/sample/"
    assert publishing.contact(agency) == "b@example.org"
    monkeypatch.setenv(publishing.URL_VARIABLE, "police.example.gov")
    with pytest.raises(ConfigError, match="TRANSPARENCY_PUBLIC_URL"):
        publishing.public_url(agency)


@pytest.mark.parametrize("settings, message", [
    ({"url": "police.example.gov/reports"}, "web address"),
    ({"url": "ftp://police.example.gov/"}, "web address"),
    ({"url": "https://police.example.gov/?page=1"}, "web address"),
    ({"contact": "records at police"}, "e-mail address"),
    ({"website": "https://police.example.gov/"}, "not a known key"),
])
def test_bad_settings_name_the_key(make_agency, settings, message):
    with pytest.raises(ConfigError, match=message) as caught:
        agency_with(make_agency, settings)
    assert caught.value.key.startswith("publishing.")


@pytest.mark.parametrize("logo, message", [
    ("../logo.png", "inside the agency's folder"),
    ("/etc/passwd", "inside the agency's folder"),
    ("missing.png", "no file"),
    ("notes.txt", "not a PNG, JPEG or SVG"),
])
def test_a_logo_must_be_an_image_inside_the_agency_folder(make_agency, tmp_path, logo, message):
    (tmp_path / "logo.png").write_bytes(PNG)
    with pytest.raises(ConfigError, match=message) as caught:
        agency_with(make_agency, {"logo": logo}, {"notes.txt": "hello"})
    assert caught.value.key == "publishing.logo"


def test_a_logo_linked_from_outside_the_folder_is_refused(make_agency, tmp_path):
    outside = tmp_path / "elsewhere.png"
    outside.write_bytes(PNG)
    folder = make_agency(agency_config(CALLS, publishing={"logo": "logo.png"}), {"data.csv": "ID,DATE\n"})
    os.symlink(outside, folder / "logo.png")
    with pytest.raises(ConfigError, match="outside the agency's folder"):
        load_agency(folder)


def test_table_links_become_the_released_versions_address(tmp_path):
    html = ('<p class="table-download">Download this table: <a href="tables/use_of_force__trend.csv">use_of_force__trend.csv</a></p>'
            '<a href="#stops">Stops</a> <a href="https://example.org/tables/x.csv">x</a>')
    address = publishing.version_url("https://police.example.gov/transparency/", "2026Q3", 2)
    assert address == "https://police.example.gov/transparency/released/2026Q3/v2/"
    made = publishing.absolute_table_links(html, address)
    assert 'href="https://police.example.gov/transparency/released/2026Q3/v2/tables/use_of_force__trend.csv"' in made
    assert 'href="#stops"' in made and 'href="https://example.org/tables/x.csv"' in made
    assert publishing.absolute_table_links(html, None) == html  # no address: links stay relative
    assert publishing.version_url(None, "2026Q3", 1) is None


def test_a_drafts_links_name_the_version_its_release_will_have(tmp_path):
    assert publishing.next_version(tmp_path, "2026Q3") == 1
    (tmp_path / "released" / "2026Q3" / "v1").mkdir(parents=True)
    (tmp_path / "released" / "2026Q3" / "v2").mkdir()
    assert publishing.next_version(tmp_path, "2026Q3") == 3


def test_the_logo_is_on_the_cover_with_alt_text(make_agency):
    agency = agency_with(make_agency, {"logo": "logo.png"}, {"logo.png": PNG})
    meta = {"agency": "Testville Police Department", "period": "2026Q3", "period_label": "July to September 2026",
            "data_through": "2026-09-30", "built_at": "2026-10-05"}
    page = assemble_report({**meta, "logo": publishing.logo_data_uri(agency)}, [])
    cover = page[page.index('<header class="cover"'):page.index("</header>")]
    assert '<img class="cover-logo" src="data:image/png;base64,' in cover
    assert 'alt="Testville Police Department logo"' in cover
    assert "cover-logo" not in assemble_report(meta, [])
    with pytest.raises(ValueError, match="data:image"):
        assemble_report({**meta, "logo": "file:///etc/passwd"}, [])


def test_about_names_the_index_and_the_contact(make_agency):
    agency = agency_with(make_agency, {"url": "https://police.example.gov/transparency/", "contact": "records@police.example.gov"})
    period = parse_period("2026Q3")[0]
    text = about(agency, period, [], "transparency 1", public_url=publishing.public_url(agency),
                 contact=publishing.contact(agency))
    assert 'href="https://police.example.gov/transparency/index.html"' in text
    assert 'href="mailto:records@police.example.gov"' in text
    assert "(tables/)" not in text
    assert "(tables/)" in about(agency, period, [], "transparency 1")


def test_the_catalogue_reads_the_configuration(make_agency):
    agency = agency_with(make_agency, {"url": "https://police.example.gov/transparency/", "contact": "records@police.example.gov"})
    assert catalog(agency, [])["@id"] == "https://police.example.gov/transparency/data.json"
