"""The stops, citations, arrests and calls-for-service sections on small hand-made agencies, and end to end.

What this guards: every table a section publishes holds the counts and figures worked out here by hand
(or with plain pandas on the raw rows); small counts are hidden in tables and never reach a sentence;
sentences say what the figures say, in plain words at or below grade 9; response times are medians and
90th percentiles with every left-out call counted by reason; and the four notebooks build on a
generated sample agency with no raw names, NaN or code on the page.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
import textstat
from conftest import REPO, agency_config, keyed_agency, sample_project
from scipy.stats import chi2_contingency
from test_narrative import LOADED_WORDS, offline_textstat  # noqa: F401  (a fixture)

from transparency.core.config import load_agency
from transparency.core.keys import create_key
from transparency.sections import arrests, calls_for_service, citations, stops
from transparency.sections.section import Section

POPULATION = {"source": "Test census", "total": 100000,
              "by_race": {"White": 50000, "Black": 30000, "Hispanic": 15000, "Asian": 5000}}


def open_section(make_agency, dataset: str, config: dict, files: dict, tmp_path: Path, period: str = "2025Q3",
                 name: str = "testville") -> Section:
    folder = make_agency(agency_config(config, **EXTRA), files, name=name)
    create_key(load_agency(folder).slug)
    return Section(dataset, agency=str(folder), period=period, output_dir=str(tmp_path / "out"))


EXTRA = {"population": POPULATION, "location": {"lat": 41.88, "lon": -87.63}, "suppression": {"min_count": 5},
         "response_targets": {"1": 7, "2": 12}}


# --- Stops ---------------------------------------------------------------------------------------------------

STOPS_CONFIG = {"stops": {
    "files": ["stops.csv"],
    "columns": {"stop_id": "STOP", "occurred_at": "WHEN", "stop_type": "TYPE", "subject_race": "RACE",
                "search_conducted": "SEARCHED", "contraband_found": "FOUND", "frisk_performed": "FRISK",
                "outcome": "OUTCOME", "district": "DISTRICT"},
    "datetime_format": "%Y-%m-%d %H:%M",
}}


def stops_csv() -> tuple[str, pd.DataFrame]:
    """2025Q3: White 400 stops (40 searched, 12 found; 20 frisked), Black 300 (60, 9; 30), Hispanic 100 (12, 3; 5), Other 60 (6, 1; 3),
    Asian 3;
    2025Q2: 500 stops."""
    rows = []

    def add(n, race, searched, found, frisked, month, prefix):
        for i in range(n):
            outcome = ["none", "warning", "citation", "arrest"][i % 4] if i % 4 != 3 or i < 40 else "citation"
            rows.append({"STOP": f"{prefix}{race[0]}{i:04d}", "WHEN": f"2025-{month:02d}-{1 + i % 28:02d} 10:{i % 60:02d}",
                         "TYPE": "traffic" if i % 5 else "pedestrian", "RACE": race, "SEARCHED": "Y" if i < searched else "N",
                         "FOUND": "Y" if i < found else "N", "FRISK": "Y" if i < frisked else "N", "OUTCOME": outcome,
                         "DISTRICT": "North" if i % 2 else "South"})

    add(400, "White", 40, 12, 20, 7, "A")
    add(300, "Black", 60, 9, 30, 8, "B")
    add(100, "Hispanic", 12, 3, 5, 9, "H")
    add(60, "Other", 6, 1, 3, 9, "O")
    add(3, "Asian", 0, 0, 0, 9, "C")
    add(500, "White", 25, 5, 10, 5, "D")
    frame = pd.DataFrame(rows)
    return frame.to_csv(index=False), frame


@pytest.fixture
def stops_section(make_agency, tmp_path):
    text, frame = stops_csv()
    return open_section(make_agency, "stops", STOPS_CONFIG, {"stops.csv": text}, tmp_path), frame


def test_search_and_frisk_rates_by_race(stops_section):
    sec, _ = stops_section
    searches = stops.search_rates(sec)
    assert searches.loc["White", ["Stops", "Searches"]].tolist() == [400, 40]
    assert searches.loc["Black", ["Stops", "Searches"]].tolist() == [300, 60]
    assert searches.loc["White", "Search rate (%)"] == 10.0 and searches.loc["Black", "Search rate (%)"] == 20.0
    assert searches.loc["Black", stops.RATIO] == 2.0
    frisks = stops.frisk_rates(sec)
    assert frisks.loc["Black", "Frisk rate (%)"] == 10.0 and frisks.loc["White", "Frisk rate (%)"] == 5.0
    shown = stops.published(searches, sec.min_count, ["Stops", "Searches"], rates=stops.rate_depends("Search rate (%)"))
    assert pd.isna(shown.loc["Asian", "Stops"])  # 3 stops: a small count
    assert shown.loc["White", "Search rate (%)"] == 10.0


def test_stops_summary_says_the_figures_and_hides_small_counts(stops_section):
    sec, _ = stops_section
    text = " ".join(stops.summary(sec))
    assert text.startswith("There were 863 stops, up 72.6% from 500 in the previous quarter")
    assert "Of the 863 stops, 118 (13.7%) led to a search." in text
    assert "Black people stopped were searched 2 times as often as White people (20% against 10%)." in text
    assert "Asian" not in text and " 3 " not in text  # the three Asian stops appear nowhere


def test_outcome_test_on_the_section(stops_section):
    sec, _ = stops_section
    table = stops.hit_rates(sec)
    assert table.loc["White", "Hit rate (%)"] == 30.0 and table.loc["Black", "Hit rate (%)"] == 15.0
    p_value = chi2_contingency([[9, 51], [12, 28]], correction=False)[1]
    expected = "Lower" if p_value < 0.05 else "No clear gap"
    assert table.loc["Black", "Finding"] == expected
    sentences = " ".join(stops.outcome_test_sentences(sec))
    assert "searches of Black people found contraband 15% of the time, against 30% for White people" in sentences
    assert ("within what chance alone could produce" in sentences) == (expected == "No clear gap")


def test_outcomes_by_race_equal_a_crosstab_of_the_raw_rows(stops_section):
    sec, frame = stops_section
    table = stops.outcomes(sec)
    raw = frame[frame["WHEN"].str[:7].isin(["2025-07", "2025-08", "2025-09"])]
    expected = pd.crosstab(raw["RACE"], raw["OUTCOME"])
    for race in ("White", "Black"):
        for code, label in stops.OUTCOME_WORDS.items():
            assert table.loc[race, label] == expected.loc[race].get(code, 0)


def test_stops_by_race_against_the_population(stops_section):
    sec, _ = stops_section
    table = stops.who(sec)
    assert table.loc["Black", "Per 1,000 residents"] == 10.0 and table.loc["White", "Per 1,000 residents"] == 8.0
    assert table.loc["Black", stops.RATIO] == 1.25
    sentence = stops.who_sentence(sec, stops.published(table, sec.min_count, ["Stops"], rates=stops.race_rates(table)))
    assert sentence == ("For every 1,000 Black residents there were 10 stops, against 8 for every 1,000 White residents: "
                        "1.3 times the rate.")  # 1.25, halves rounded away from zero


def test_veil_says_why_it_cannot_run_on_morning_stops(stops_section):
    sec, _ = stops_section
    result = stops.veil(sec)
    assert result.status == "too_few"
    assert stops.veil_table(result)[["Stops of Black drivers", "Stops of White drivers"]].to_numpy().sum() == 0
    text = " ".join(stops.veil_sentences(sec, result))
    assert "too few stops" in text and "October 2024 to September 2025" in text


def test_stops_method_notes_state_the_thresholds(stops_section):
    sec, _ = stops_section
    notes = " ".join(stops.method_notes(sec))
    assert "at least 30 stops" in notes and "30 searches" in notes and "October 2024 to September 2025" in notes


# --- Citations ------------------------------------------------------------------------------------------------

CITATIONS_CONFIG = {"citations": {
    "files": ["citations.csv"],
    "columns": {"citation_id": "CIT", "issued_at": "DATE", "violation": "VIOLATION", "violation_category": "KIND",
                "subject_race": "RACE", "district": "DISTRICT"},
    "datetime_format": "%m/%d/%Y",
}}


def citations_csv() -> str:
    rows = []
    for i in range(60):
        rows.append((f"C{i:03d}", f"08/{1 + i % 28:02d}/2025", "SPEEDING", "Moving", "White" if i < 40 else "Black", "North"))
    rows.append(("C000", "08/01/2025", "NO INSURANCE", "Non-moving", "White", "North"))  # a second charge on C000
    for i in range(6):
        rows.append((f"E{i:03d}", f"09/{1 + i:02d}/2025", "NO INSURANCE", "Non-moving", "Hispanic", "South"))
    rows.append(("F000", "09/10/2025", "TAIL LIGHT", "Equipment", "Asian", "South"))
    for i in range(50):
        rows.append((f"P{i:03d}", f"05/{1 + i % 28:02d}/2025", "SPEEDING", "Moving", "White", "North"))
    frame = pd.DataFrame(rows, columns=["CIT", "DATE", "VIOLATION", "KIND", "RACE", "DISTRICT"])
    return frame.to_csv(index=False)


def test_citations_count_each_citation_once(make_agency, tmp_path):
    sec = open_section(make_agency, "citations", CITATIONS_CONFIG, {"citations.csv": citations_csv()}, tmp_path)
    kinds = citations.categories(sec)
    assert kinds["Citations"].to_dict() == {"Moving": 60, "Non-moving": 7, "Equipment": 1}
    assert citations.trend(sec).loc["2025Q3", "Citations"] == 67 and citations.trend(sec).loc["2025Q2", "Citations"] == 50
    race = citations.race(sec)
    assert race["Citations"].to_dict() == {"White": 40, "Black": 20, "Hispanic": 6, "Asian": 1}
    assert race.loc["Black", "Per 1,000 residents"] == pytest.approx(1000 * 20 / 30000)
    shown = citations.published(race, sec.min_count, ["Citations"], rates=citations.race_rates(race, "Citations"))
    assert pd.isna(shown.loc["Asian", "Citations"]) and pd.isna(shown.loc["Asian", "Per 1,000 residents"])
    text = " ".join(citations.summary(sec))
    assert text.startswith("There were 67 citations, up 34% from 50 in the previous quarter")
    assert "That is 0.7 citations for every 1,000 residents." in text
    assert "The most common kind of violation was “Moving”, in 89.6% of the 67 citations." in text


# --- Arrests -------------------------------------------------------------------------------------------------

ARRESTS_CONFIG = {"arrests": {
    "files": ["arrests.csv"],
    "columns": {"arrest_id": "ID", "arrested_at": "DATE", "charge": "CHARGE", "charge_category": "CLASS",
                "subject_id": "PERSON", "subject_race": "RACE", "district": "DISTRICT"},
    "datetime_format": "%Y-%m-%d",
}}


def test_arrests_count_people_and_charges(make_agency, tmp_path):
    rows = [(f"A{i:03d}", f"2025-07-{1 + i % 28:02d}", "THEFT" if i % 3 else "BURGLARY", "Misdemeanor" if i % 3 else "Felony",
             f"P{i % 30:03d}", "Black" if i % 2 else "White", "North") for i in range(45)]
    rows += [(f"B{i:03d}", "2025-04-02", "THEFT", "Misdemeanor", f"Q{i:03d}", "White", "North") for i in range(40)]
    text = pd.DataFrame(rows, columns=["ID", "DATE", "CHARGE", "CLASS", "PERSON", "RACE", "DISTRICT"]).to_csv(index=False)
    sec = open_section(make_agency, "arrests", ARRESTS_CONFIG, {"arrests.csv": text}, tmp_path)
    assert arrests.charge_categories(sec)["Arrests"].to_dict() == {"Misdemeanor": 30, "Felony": 15}
    assert arrests.charges(sec)["Arrests"].to_dict() == {"Theft": 30, "Burglary": 15}  # stored codes in sentence case
    summary = " ".join(arrests.summary(sec))
    assert "They were arrests of 30 different people" in summary
    assert "The most common kind of charge was “Misdemeanor”, in 66.7% of the 45 arrests." in summary
    assert arrests.race(sec)["Arrests"].to_dict() == {"White": 23, "Black": 22, "Hispanic": 0, "Asian": 0}
    assert not any("use-of-force" in note for note in arrests.method_notes(sec))


# --- Calls for service -----------------------------------------------------------------------------------------

CALLS_CONFIG = {"calls_for_service": {
    "files": ["calls.csv"],
    "columns": {"call_id": "ID", "received_at": "RECEIVED", "dispatched_at": "DISPATCHED", "arrived_at": "ARRIVED",
                "priority": "PRIORITY", "source": "SOURCE"},
    "datetime_format": "%Y-%m-%d %H:%M:%S",
    "values": {"source": {"E911": "911", "ADMIN": "non_emergency", "SELF": "officer_initiated"}},
}}


def calls_csv() -> str:
    """Priority 1: five timed calls (arrival 2, 4, 6, 8, 10 minutes after the call; dispatch 1 minute after),
    one started by an officer, one with no arrival, one arriving 3 minutes before it was received.
    Priority 2: six timed calls (10 to 15 minutes)."""
    rows = []

    def stamp(minutes: float) -> str:
        return (pd.Timestamp("2025-08-01 10:00:00") + pd.Timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S")

    for i, arrival in enumerate([2, 4, 6, 8, 10]):
        rows.append((f"P1-{i}", stamp(0), stamp(1), stamp(arrival), "1", "E911"))
    rows.append(("P1-officer", stamp(0), stamp(0), stamp(0), "1", "SELF"))
    rows.append(("P1-none", stamp(0), stamp(1), "", "1", "E911"))
    rows.append(("P1-early", stamp(0), stamp(1), stamp(-3), "1", "ADMIN"))
    for i, arrival in enumerate(range(10, 16)):
        rows.append((f"P2-{i}", stamp(0), stamp(2), stamp(arrival), "2", "ADMIN"))
    frame = pd.DataFrame(rows, columns=["ID", "RECEIVED", "DISPATCHED", "ARRIVED", "PRIORITY", "SOURCE"])
    return frame.to_csv(index=False)


@pytest.fixture
def calls_section(make_agency, tmp_path):
    return open_section(make_agency, "calls_for_service", CALLS_CONFIG, {"calls.csv": calls_csv()}, tmp_path)


def test_response_times_are_medians_and_90th_percentiles(calls_section):
    table = calls_for_service.response_times(calls_section)
    assert list(table.index) == ["Priority 1", "Priority 2"]  # no all-calls row beside its parts
    assert table.loc["Priority 1", "Calls measured"] == 5 and table.loc["Priority 1", "Median (minutes)"] == 6.0
    assert table.loc["Priority 1", "90th percentile (minutes)"] == 9.2  # 8 + 0.6 x (10 - 8), between the 4th and 5th
    assert table.loc["Priority 2", "Median (minutes)"] == 12.5 and table.loc["Priority 2", "90th percentile (minutes)"] == 14.5
    to_dispatch = calls_for_service.response_times(calls_section, "Call received to dispatch")
    assert to_dispatch.loc["Priority 1", "Calls measured"] == 7  # the officer-started call is left out
    assert to_dispatch.loc["Priority 1", "Median (minutes)"] == 1.0
    after_dispatch = calls_for_service.response_times(calls_section, "Dispatch to arrival")
    assert after_dispatch.loc["Priority 1", "Median (minutes)"] == 5.0


def test_every_call_left_out_is_counted_by_reason(calls_section):
    table = calls_for_service.exclusions(calls_section)
    column = table["Call received to arrival"]
    assert column["Time of arrival not recorded"] == 1
    assert column["Arrival recorded before the call was received"] == 1
    assert table.loc["Arrival recorded before dispatch", "Dispatch to arrival"] == 1
    assert calls_for_service.OFFICER_STARTED not in table.index and calls_for_service.MEASURED not in table.index
    # With the calls measured and the officer-started calls, each part accounts for all 14 calls.
    for *_, label in calls_for_service.SEGMENTS:
        measured = calls_for_service.response_times(calls_section, label)["Calls measured"].sum()
        assert measured + table[label].sum() + 1 == 14, label
    assert calls_for_service.officer_started_sentence(calls_section).startswith(
        "Calls started by an officer (fewer than 5 this period)")


def test_share_within_target(calls_section):
    response = calls_for_service.response_times(calls_section)
    table = calls_for_service.within_target(calls_section, response)
    assert table.loc["Priority 1", ["Target (minutes)", "Within target"]].tolist() == [7.0, 3]
    assert table.loc["Priority 1", "Share within target (%)"] == 60.0
    assert table.loc["Priority 2", "Share within target (%)"] == 50.0  # 10, 11, 12 of six within 12 minutes
    assert calls_for_service.target_sentence(calls_section, table) == (
        "Officers reached 60% of priority 1 calls within 7 minutes and 50% of priority 2 calls within 12 minutes.")
    shown = stops.published(table, 5, ["Within target"], rates=calls_for_service.TARGET_DEPENDS)
    assert shown["Within target"].isna().all()  # 3 and 3: small counts
    assert calls_for_service.target_sentence(calls_section, shown) == ""  # nothing left that may be said
    # A share is blanked where the response table hides the calls measured.
    hidden = response.astype({"Calls measured": "Int64"})
    hidden.loc["Priority 2", "Calls measured"] = pd.NA
    assert pd.isna(calls_for_service.within_target(calls_section, hidden).loc["Priority 2", "Share within target (%)"])


def test_calls_summary_never_uses_a_mean(calls_section):
    text = " ".join(calls_for_service.summary(calls_section))
    assert text.startswith("There were 14 calls for service.")
    assert "median time from the call to the first officer's arrival was 10 minutes" in text
    assert "Nine in ten were reached within 14.0 minutes" in text or "Nine in ten were reached within 14 minutes" in text
    assert "average" not in text and "mean" not in text.replace("meant", "")


def test_priorities_sort_as_numbers():
    assert sorted(["10", "2", "1", "Not recorded", "A"], key=calls_for_service.priority_key) == ["1", "2", "10", "A", "Not recorded"]


# --- Plain words ------------------------------------------------------------------------------------------------


def test_section_sentences_read_at_grade_9_or_below(stops_section, calls_section, make_agency, tmp_path, offline_textstat):  # noqa: F811
    sec, _ = stops_section
    sentences = stops.summary(sec) + stops.outcome_test_sentences(sec) + stops.veil_sentences(sec, stops.veil(sec))
    sentences += calls_for_service.summary(calls_section) + calls_for_service.method_notes(calls_section)
    text = " ".join(sentences)
    assert textstat.flesch_kincaid_grade(text) <= 9
    words = set(re.findall(r"[a-z]+", text.lower()))
    assert not words & LOADED_WORDS


# --- End to end on a generated sample agency ----------------------------------------------------------------------

DATASETS = ["stops", "citations", "arrests", "calls_for_service"]


@pytest.fixture(scope="module")
def sample_build(tmp_path_factory):
    from transparency.building.build import build_period
    from transparency.core.periods import parse_period

    root = tmp_path_factory.mktemp("enforcement")
    folder = sample_project(root, through="2026Q2", years=2, scale=0.3)
    agency = keyed_agency(folder)
    outcomes = build_period(agency, parse_period("2026Q2")[0], root, datasets=DATASETS, workers=2, formats=("html",),
                            say=lambda _: None)
    return root / "reports" / agency.slug / "2026Q2", outcomes


def test_the_four_sections_build_on_the_sample(sample_build):
    out, outcomes = sample_build
    assert {o.dataset: o.status for o in outcomes} == dict.fromkeys(DATASETS, "ok"), [o.message for o in outcomes]
    for name in DATASETS:
        page = (out / f"{name}.html").read_text(encoding="utf-8")
        text = re.sub(r"<[^>]+>", " ", page)
        for bad in ("NaN", "None", "nan%", "Traceback", "subject_race", "search_conducted", "arrived_at", "<NA>"):
            assert bad not in text, (name, bad)
        facts = json.loads((out / "sections" / f"{name}.json").read_text()) if (out / "sections").is_dir() else None
        if facts:
            assert facts["summary"], name
    tables = {p.name for p in (out / "tables").glob("*.csv")}
    for expected in ("stops__hit_rates.csv", "stops__veil_of_darkness_model.csv", "calls_for_service__left_out.csv",
                     "calls_for_service__response_times.csv", "citations__race.csv", "arrests__charge_categories.csv"):
        assert expected in tables


def test_sample_tables_show_no_small_counts(sample_build):
    out, _ = sample_build
    for path in (out / "tables").glob("*.csv"):
        if not path.name.startswith(tuple(DATASETS)):
            continue
        frame = pd.read_csv(path)
        for column in frame.columns:
            if column in ("Stops", "Searches", "Found contraband", "Frisks", "Citations", "Arrests", "Calls", "Calls measured",
                          "Within target") or column.startswith("Stops of"):
                values = pd.to_numeric(frame[column], errors="coerce").dropna()
                assert not ((values >= 1) & (values < 5)).any(), (path.name, column)


@pytest.mark.parametrize("name", DATASETS)
def test_notebook_text_reads_at_grade_9_or_below(name, offline_textstat):  # noqa: F811
    notebook = json.loads((REPO / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))
    text = " ".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown")
    assert textstat.flesch_kincaid_grade(re.sub(r"[#*_`]", "", text)) <= 9
