"""`transparency review`: the page the person who releases reads, at each step of a chief's path.

What this guards: before a release the review says it is ready (exit 0) and how to release; it lists
failed or empty sections, files with more than a few percent of rows left out and why, values that matched
no category, what is suppressed, and counts that changed beyond normal variation; after the release it says
so; when the data changes it says the build is out of date (exit 1) and what to do; after a new build it
offers a correction and lists the figures that would change. review.html says the same in an accessible
page, and is never published.
"""

from __future__ import annotations

import json

import pytest
from test_release import build, drop_one_incident, new_project

from transparency.core.periods import parse_period
from transparency.releasing.release import release
from transparency.releasing.review import _unusual_changes, make_review, review, review_text


def run(project) -> tuple[int, str]:
    lines: list[str] = []
    code = review(project.agency, project.period, project.root, project.notebooks, say=lines.append)
    return code, "\n".join(lines)


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    """The review at each step: no build, built, released, data changed, built again."""
    project = new_project(tmp_path_factory.mktemp("review"))
    steps = {"nothing": run(project)}
    build(project)
    steps["built"] = run(project)
    steps["built_html"] = (project.reports / "2026Q2" / "review.html").read_text()
    release(project.agency, project.period, project.root, by="Chief Ramos", notebooks=project.notebooks,
            say=lambda _: None)
    steps["released"] = run(project)
    drop_one_incident(project.agency.folder)
    steps["stale"] = run(project)
    build(project)
    steps["changed"] = run(project)
    steps["changed_html"] = (project.reports / "2026Q2" / "review.html").read_text()
    project.steps = steps
    return project


def test_without_a_build_the_review_says_to_build(path):
    code, text = path.steps["nothing"]
    assert code == 1 and "BLOCKED" in text
    assert "there is no build of 2026Q2" in text and "transparency build --agency sample --period 2026Q2" in text


def test_a_fresh_build_is_ready_to_release(path):
    code, text = path.steps["built"]
    assert code == 0, text
    assert "Release: READY TO RELEASE" in text and "transparency release --agency sample --period 2026Q2" in text
    for heading in ["Sections", "Files with more than 3% of records left out",
                    "Values that matched no category", "Hidden to protect privacy",
                    "Changes from the previous quarter beyond normal variation"]:
        assert heading in text
    assert "Use of force" in text and "Complaints" in text and "records in the period" in text
    assert text.index("Use of force  ") < text.index("Complaints  "), "sections in report order"
    assert "table cells" in text, "the sample suppresses small counts"


def test_review_html_says_the_same_for_a_reader(path):
    page = path.steps["built_html"]
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page
    assert "Ready to release." in page and "Hidden to protect privacy" in page and "<caption>" in page


def test_after_the_release_the_review_says_it_is_released(path):
    code, text = path.steps["released"]
    assert code == 0 and "Release: RELEASED" in text and "nothing to release" in text


def test_changed_data_blocks_the_release_until_built_again(path):
    code, text = path.steps["stale"]
    assert code == 1 and "BLOCKED" in text
    assert "UseOfForce_2026.csv changed" in text and "build again" in text


def test_a_new_build_of_a_released_period_is_offered_as_a_correction(path):
    code, text = path.steps["changed"]
    assert code == 0, text
    assert "READY AS A CORRECTION" in text and "--correction" in text
    assert "Figures that differ from released version 1" in text
    assert "Use of force: incidents (this quarter):" in text
    assert "Figures that differ from released version 1" in path.steps["changed_html"]


def test_failed_sections_and_files_with_many_exclusions_are_listed(path):
    manifest_path = path.reports / "2026Q2" / "manifest.json"
    original = manifest_path.read_text()
    try:
        manifest = json.loads(original)
        inputs = manifest["datasets"]["use_of_force"]["inputs"][0]
        inputs["rows_excluded"] = {"duplicate_row": inputs["rows_read"] // 10, "missing_occurred_at": 2}
        manifest["datasets"]["complaints"].update(status="failed", message="Traceback...\nKeyError: 'RECEIVED'")
        manifest_path.write_text(json.dumps(manifest))
        page = make_review(path.agency, path.period, path.root, path.notebooks)
        text = review_text(page)
    finally:
        manifest_path.write_text(original)
    assert page.state == "blocked"
    assert "the complaints section failed (KeyError: 'RECEIVED')" in text
    assert f"{inputs['path']}:" in text and "exact duplicate of another record" in text and "no date 2" in text


def test_only_counts_that_changed_beyond_normal_variation_are_flagged():
    period = parse_period("2026Q2")[0]
    metrics = {"datasets": {"use_of_force": {"metrics": {
        "incidents": 80, "incidents_prior": 40, "incidents_last_year": 10,
        "applications": 41, "applications_prior": 40,
        "incidents_subject_injured": None, "incidents_subject_injured_prior": 3,
    }}, "complaints": {"metrics": {"median_days_to_close": 90.0, "median_days_to_close_prior": 10.0,
                                   "complaints_received": 3, "complaints_received_prior": 0}}}}
    flagged = _unusual_changes(period, metrics)
    assert [c["label"] for c in flagged] == ["Use of force: incidents (this quarter)"]
    assert flagged[0]["change"] == "+100%" and flagged[0]["p_value"] < 0.001
