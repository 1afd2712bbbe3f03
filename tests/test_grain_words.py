"""The report's words follow a dataset's declared grain: at ``grain: complaint`` nothing a reader sees in the
complaints section says "allegation" (tables, CSV headers, captions, chart titles, alt text and notes, prose,
methodology, glossary); at ``grain: incident`` nothing in the use-of-force section speaks of "applications of
force". At the default grains every word is the one the notebooks held before (the notebooks' prose now comes
from the section modules, shown by ``Section.prose``).

Expected counts are counted from the fixtures' rows with the csv module, apart from the package.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta

import pytest
import yaml
from conftest import agency_config, keyed_agency

from transparency.building.build import build
from transparency.core.config import load_agency
from transparency.core.periods import parse_period
from transparency.sections import complaints
from transparency.sections import use_of_force as uof
from transparency.sections.section import Section
from transparency.writing import wording
from transparency.writing.backmatter import GLOSSARY, glossary, glossary_definitions

PERIOD = "2021Q1"
Q1_START, Q1_END = date(2021, 1, 1), date(2021, 4, 1)
FINDINGS = ["sustained", "not_sustained", "exonerated", "unfounded", "sustained", "unfounded"]
RACES = ["White", "Black", "Hispanic", "Asian"]


def complaint_rows() -> str:
    """180 complaints received every 4.5 days from 2019-01-03; one in six still open, the others closed 15 to
    314 days later (left open when that is after the data's end), with a finding, a type, who complained, the
    races, one of six officers and, when sustained, the discipline."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["CASE", "RECEIVED", "CLOSED", "FINDING", "SOURCE", "TYPE", "CRACE", "ORACE", "OFFICER", "DISCIPLINE"])
    for i in range(180):
        received = date(2019, 1, 3) + timedelta(days=i * 9 // 2)
        closed = received + timedelta(days=15 + (i * 53) % 300)
        is_open = i % 6 == 5 or closed >= Q1_END
        finding = "pending" if is_open else FINDINGS[i % 6]
        writer.writerow([f"C{i}", received.isoformat(), "" if is_open else closed.isoformat(), finding,
                         ["external", "internal"][i % 2], ["Courtesy", "Conduct", "Force"][i % 3], RACES[i % 4],
                         RACES[(i // 4) % 2], f"O{i % 6}", ["Written reprimand", "Suspension"][i % 2] if finding == "sustained" else ""])
    return out.getvalue()


def uof_rows() -> str:
    """116 incidents, one row each, every 7 days from 2019-01-05 (the last on 2021-03-27), each with one type of force and a district."""
    lines = ["ID,DATE,FORCE,DISTRICT"]
    for i in range(116):
        day = date(2019, 1, 5) + timedelta(days=i * 7)
        lines.append(f"I{i},{day},{['Hands-on control', 'Taser', 'Takedown', 'OC spray'][i % 4]},{['North', 'South'][i % 2]}")
    return "\n".join(lines) + "\n"


COMPLAINTS = {"files": ["complaints.csv"],
              "columns": {"complaint_id": "CASE", "received_at": "RECEIVED", "closed_at": "CLOSED", "disposition": "FINDING",
                          "source": "SOURCE", "allegation_type": "TYPE", "complainant_race": "CRACE",
                          "officer_race": "ORACE", "officer_id": "OFFICER", "discipline": "DISCIPLINE"}}
USE_OF_FORCE = {"files": ["uof.csv"],
                "columns": {"incident_id": "ID", "occurred_at": "DATE", "force_type": "FORCE", "district": "DISTRICT"}}


def write_agency(folder, grains: dict[str, str] | None = None, min_count: int = 1):
    """An agency folder holding both datasets, at the declared grains (none: the defaults)."""
    datasets = {"complaints": dict(COMPLAINTS), "use_of_force": dict(USE_OF_FORCE)}
    for name, grain in (grains or {}).items():
        datasets[name]["grain"] = grain
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "agency.yml").write_text(yaml.safe_dump(agency_config(datasets, suppression={"min_count": min_count},
                                                                     complaint_close_target_days=90), sort_keys=False))
    (folder / "complaints.csv").write_text(complaint_rows())
    (folder / "uof.csv").write_text(uof_rows())
    keyed_agency(folder)
    return folder


def in_q1(text: str) -> bool:
    return bool(text) and Q1_START <= date.fromisoformat(text) < Q1_END


def fixture_rows() -> list[dict]:
    return list(csv.DictReader(io.StringIO(complaint_rows())))


GRAINS = {"complaints": "complaint", "use_of_force": "incident"}


@pytest.fixture
def declared(tmp_path):
    """The complaints section at grain: complaint (tables written under tmp_path/out)."""
    folder = write_agency(tmp_path / "declared", GRAINS)
    return Section("complaints", agency=str(folder), period=PERIOD, output_dir=str(tmp_path / "out"))


@pytest.fixture
def default(tmp_path):
    folder = write_agency(tmp_path / "default")
    return Section("complaints", agency=str(folder), period=PERIOD, output_dir=str(tmp_path / "out-default"))


def words_of(frame) -> str:
    """A table's words as a reader sees them: its column labels, index name and row labels."""
    return " ".join(map(str, [*frame.columns, frame.index.name, *frame.index]))


# --- The complaints section at grain: complaint ------------------------------------------------------------------


def test_complaint_grain_tables_name_complaints(declared):
    sec = declared
    rows = fixture_rows()
    closed_in_q1 = [r for r in rows if in_q1(r["CLOSED"])]
    tables = {
        "trend": complaints.trend(sec), "findings": complaints.dispositions(sec), "types": complaints.allegation_types(sec),
        "race": complaints.race_matrix(sec)[0], "discipline": complaints.discipline(sec),
        "time": complaints.time_to_close(sec), "target": complaints.closed_within_target(sec),
        "open": complaints.open_cases(sec),
    }
    for name, table in tables.items():
        assert table is not None, name
        assert "allegation" not in words_of(table).lower(), name
    assert list(tables["trend"].columns) == ["Months", "Complaints received", "Complaints closed"]
    assert list(tables["open"].columns) == ["Open complaints"]
    assert list(tables["discipline"].columns)[0] == "Sustained complaints"
    assert (tables["types"].index.name, tables["types"].columns[0]) == ("Type of complaint", "Complaints received")
    # Counted from the rows: the complaints closed in 2021Q1, and those of them sustained.
    assert int(tables["findings"]["Complaints closed"].sum()) == len(closed_in_q1)
    assert int(tables["findings"].loc["Sustained (rule broken)", "Complaints closed"]) == \
        sum(r["FINDING"] == "sustained" for r in closed_in_q1)
    assert int(tables["time"].loc[f"This period ({PERIOD})", "Complaints closed"]) == len(closed_in_q1)
    assert int(tables["target"].loc[f"This period ({PERIOD})", "Complaints closed"]) == len(closed_in_q1)
    assert complaints.types_table(sec) == "complaint_types"  # its CSV's name, in the download link
    assert complaints.trend_figures(sec) == {"Complaints received": "complaints_received", "Complaints closed": "allegations_closed"}
    assert set(complaints.time_to_close_figures(sec).values()) == {"complaints_closed", "complaints_closed_prior",
                                                                     "complaints_closed_last_year"}


def test_complaint_grain_texts_and_sentences_say_complaints(declared):
    sec = declared
    text = complaints.texts(sec)
    assert set(text) == set(complaints.TEXTS)
    for key, words in text.items():
        assert "allegation" not in words.lower(), key
    assert text["findings_caption"] == "Findings of the complaints closed this period"
    assert text["open_cases_caption"] == "Complaints still open at the end of the period"
    assert "A complaint is counted in the quarter it was received, and as closed in the quarter it closed." in text["counting"]
    sentences = [complaints.target_words(sec), *complaints.target_sentences(sec), *complaints.summary(sec)]
    assert sentences[0] == "The department's target is to close a complaint within 90 days."
    assert not any("allegation" in s.lower() for s in sentences), sentences
    # A year without complaints: the race table's sentence says complaints (the data begins in 2019).
    empty = Section("complaints", agency=str(sec.agency.folder), period="2018Q4", output_dir=str(sec.output_dir))
    assert complaints.race_matrix(empty)[1] == "There were no complaints in the last 12 months."


def chart_words(made) -> str:
    """A chart's alt text and every text drawn in it (title, labels, the source note)."""
    fig, alt = made
    return alt + " " + " ".join(t.get_text() for t in fig.findobj(match=lambda a: hasattr(a, "get_text")))


def test_complaint_grain_charts_say_complaints(declared):
    sec = declared
    trend = sec.table(complaints.trend(sec), "trend", "t", figures=sec.period_figures(complaints.trend_figures(sec)), measures=True)
    findings = sec.table(complaints.dispositions(sec), "findings", "f", rates={"Share (%)": complaints.closed_column(sec)})
    kinds = sec.table(complaints.allegation_types(sec), "allegation_types", "k")
    made = [complaints.trend_chart(sec, trend), complaints.disposition_chart(findings), complaints.allegation_type_chart(kinds)]
    words = " ".join(chart_words(m) for m in made)
    assert "allegation" not in words.lower()
    assert "complaints closed by finding" in words and "complaints received by type" in words
    assert "One record is one complaint." in words


def test_complaint_grain_key_answer_marks_the_renamed_figures(declared):
    """The key answer's figures are the grain's (complaints_closed): before, it marked allegations_closed, which
    the section does not publish at this grain, so Section.answer refused it."""
    sec = declared
    trend = sec.table(complaints.trend(sec), "trend", "t", figures=sec.period_figures(complaints.trend_figures(sec)), measures=True)
    target = sec.table(complaints.closed_within_target(sec), "closed_within_target", "c",
                       count_columns=[complaints.closed_column(sec), "Closed within target"])
    made = complaints.key_answer(sec, trend, target)
    sec.answer(made)
    text = json.dumps(sec.key_answer)
    assert "allegation" not in text.lower()
    closed = sum(in_q1(r["CLOSED"]) for r in fixture_rows())
    figures = [p for p in made.parts if isinstance(p, dict) and "figure" in p]
    assert {"figure": "complaints:complaints_closed", "value": closed} in [{k: p[k] for k in ("figure", "value")} for p in figures]


def test_default_grain_words_are_unchanged(default):
    """At the default grain every word is the one the notebook held before it took them from the module."""
    sec = default
    text = complaints.texts(sec)
    assert text["intro"] == (
        "Anyone can complain about how an officer behaved, and officers can report each other. Each complaint is investigated. "
        "A **complaint** can hold several **allegations**: one allegation is one claim about one officer. Each allegation gets "
        "a **finding** when its investigation closes.")
    assert text["trend_caption"] == "Complaints received and allegations closed per quarter"
    assert text["race_matrix"] == (
        "Allegations received in the last 12 months, by the race of the person who complained and the race of the officer. "
        "Twelve months, because one quarter holds too few allegations for a table this size. Smaller groups are joined as "
        "\"Other or more than one\".")
    assert text["discipline_missing"] == "The department does not record the discipline imposed after sustained allegations."
    assert text["counting"].startswith(
        "- A complaint is counted in the quarter it was received; an allegation is counted as closed in the quarter it closed.\n"
        "- The share sustained is sustained allegations divided by all allegations closed in the period.\n"
        "- Times to close leave out allegations with a closing date before their receipt date.\n")
    assert list(complaints.trend(sec).columns) == ["Months", "Complaints received", "Allegations closed"]
    assert list(complaints.open_cases(sec).columns) == ["Open allegations"]
    assert complaints.trend_figures(sec) == complaints.TREND_FIGURES
    assert complaints.types_table(sec) == "allegation_types"
    assert complaints.target_words(sec) == "The department's target is to close an allegation within 90 days."
    assert uof.intro(Section("use_of_force", agency=str(sec.agency.folder), period=PERIOD,
                             output_dir=str(sec.output_dir))) == uof.INTRO["application"]
    assert "An **application of force** is one type of force" in uof.INTRO["application"]


def test_incident_grain_intro_defines_no_application(tmp_path):
    folder = write_agency(tmp_path / "declared", GRAINS)
    sec = Section("use_of_force", agency=str(folder), period=PERIOD, output_dir=str(tmp_path / "out"))
    words = uof.intro(sec)
    assert "application" not in words.lower()
    assert "An **incident** is one event." in words
    made = uof.force_type_chart(sec.table(uof.force_types(sec), "force_types", uof.force_types_caption(sec)))
    assert "application" not in chart_words(made).lower()


def test_glossary_definitions_follow_the_grain(tmp_path):
    agency = load_agency(write_agency(tmp_path / "declared", GRAINS))
    definitions = glossary_definitions(agency, ["complaints", "use_of_force"])
    used = "Findings: Sustained, Not sustained. Discipline after sustained complaints."
    listed = glossary(used, definitions)
    assert "Not sustained" in listed and "Discipline" in listed
    assert "allegation" not in listed.lower()
    assert glossary_definitions(load_agency(write_agency(tmp_path / "default")), ["complaints"]) == GLOSSARY


# --- Whole builds: what the reader gets ----------------------------------------------------------------------------


def _build(root, grains):
    folder = write_agency(root / "data" / "testville", grains, min_count=1)
    agency = load_agency(folder)
    lines: list[str] = []
    code = build(agency, parse_period(PERIOD), root, ["use_of_force", "complaints"], workers=1, formats=("html",),
                 say=lines.append)
    assert code == 0, "\n".join(lines)
    return root / "reports" / agency.slug / PERIOD


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return {"declared": _build(tmp_path_factory.mktemp("declared"), GRAINS),
            "default": _build(tmp_path_factory.mktemp("default"), None)}


def glossary_terms(report: str) -> list[str]:
    from bs4 import BeautifulSoup

    found = BeautifulSoup(report, "html.parser").find("dl", class_="glossary")
    return [dt.get_text() for dt in found.find_all("dt")] if found is not None else []


def test_built_at_complaint_grain_nothing_says_allegation(built):
    out = built["declared"]
    page = wording.html_text((out / "complaints.html").read_text(encoding="utf-8"))
    assert re.search("allegation", page, re.I) is None, re.findall(r".{60}allegation.{60}", page, re.I | re.S)[:3]
    for table in out.glob("tables/complaints__*.csv"):
        header = table.read_text(encoding="utf-8").splitlines()[0]
        assert "allegation" not in header.lower(), table.name
    report = (out / "report.html").read_text(encoding="utf-8")
    text = wording.html_text(report)
    assert re.search("allegation", text, re.I) is None, re.findall(r".{60}allegation.{60}", text, re.I | re.S)[:3]
    terms = glossary_terms(report)
    assert "Allegation" not in terms and "Not sustained" in terms
    metrics = json.loads((out / "metrics.json").read_text())["datasets"]["complaints"]["metrics"]
    closed = sum(in_q1(r["CLOSED"]) for r in fixture_rows())
    assert metrics["complaints_closed"] == closed
    findings = list(csv.DictReader((out / "tables" / "complaints__findings.csv").open(encoding="utf-8")))
    assert sum(int(r["Complaints closed"]) for r in findings) == closed


def test_built_at_incident_grain_nothing_says_application(built):
    out = built["declared"]
    page = wording.html_text((out / "use_of_force.html").read_text(encoding="utf-8"))
    assert re.search("application", page, re.I) is None, re.findall(r".{60}application.{60}", page, re.I | re.S)[:3]
    assert "Application of force" not in glossary_terms((out / "report.html").read_text(encoding="utf-8"))


def test_built_at_the_default_grains_keeps_the_words(built):
    """The prose moved from Markdown cells to Section.prose renders as the cells did (bold terms, lists), and the
    default grain still speaks of allegations and applications of force, which the glossary defines."""
    out = built["default"]
    html = (out / "complaints.html").read_text(encoding="utf-8")
    assert ("<p>Anyone can complain about how an officer behaved, and officers can report each other. Each complaint is "
            "investigated. A <strong>complaint</strong> can hold several <strong>allegations</strong>: one allegation is one "
            "claim about one officer. Each allegation gets a <strong>finding</strong> when its investigation closes.</p>") in html
    assert "<li>A complaint is counted in the quarter it was received; an allegation is counted as closed in the quarter it closed.</li>" in html
    assert re.search(r"<h1>Complaints</h1>\s*<p>Anyone can complain", html), "the intro follows the title"
    header = (out / "tables" / "complaints__findings.csv").read_text(encoding="utf-8").splitlines()[0]
    assert "Allegations closed" in header
    uof_html = (out / "use_of_force.html").read_text(encoding="utf-8")
    assert "An <strong>application of force</strong> is one type of force used by one officer on one person" in uof_html
    terms = glossary_terms((out / "report.html").read_text(encoding="utf-8"))
    assert "Allegation" in terms and "Application of force" in terms
