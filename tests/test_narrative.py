"""Tests for transparency.writing.narrative: exact sentences, hidden counts, neutral wording, reading level."""

from __future__ import annotations

import importlib
import re
import sys

import pytest
import textstat
from hypothesis import given
from hypothesis import strategies as st

from transparency.writing.narrative import describe_change, describe_median, describe_share

UOF = "use-of-force incidents"


# describe_change --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "previous", "sentence"),
    [
        # 58 -> 51 is 7 fewer; 7 / 58 = 12.07%.
        (51, 58, "There were 51 use-of-force incidents, down 12.1% from 58 in the previous quarter."),
        # 58 -> 65 is 7 more.
        (65, 58, "There were 65 use-of-force incidents, up 12.1% from 58 in the previous quarter."),
        (58, 58, "There were 58 use-of-force incidents, the same as in the previous quarter."),
        (7, 0, "There were 7 use-of-force incidents, up from none in the previous quarter."),
        (0, 9, "There were no use-of-force incidents, down from 9 in the previous quarter."),
        (0, 0, "There were no use-of-force incidents, the same as in the previous quarter."),
        # 1,000 -> 1,500 is +50%.
        (1500, 1000, "There were 1,500 use-of-force incidents, up 50% from 1,000 in the previous quarter."),
        # 40 -> 20 is -50%.
        (20, 40, "There were 20 use-of-force incidents, down 50% from 40 in the previous quarter."),
    ],
)
def test_describe_change(current, previous, sentence):
    assert describe_change(UOF, current, previous) == sentence


def test_describe_change_keyword_form_from_the_brief():
    sentence = describe_change(label=UOF, current=51, previous=58, previous_label="the previous quarter")
    assert sentence == "There were 51 use-of-force incidents, down 12.1% from 58 in the previous quarter."


def test_describe_change_other_period():
    assert describe_change("stops", 1234, 1000, "the same quarter last year") == (
        "There were 1,234 stops, up 23.4% from 1,000 in the same quarter last year."
    )


def test_previous_not_available():
    assert describe_change(UOF, 51, None) == (
        "There were 51 use-of-force incidents. The figure for the previous quarter is not available."
    )


def test_current_not_available():
    assert describe_change(UOF, None, 58) == "The number of use-of-force incidents is not available."


def test_current_suppressed():
    assert describe_change(UOF, None, 58, current_suppressed=True) == (
        "There were fewer than 5 use-of-force incidents, compared with 58 in the previous quarter."
    )


def test_previous_suppressed():
    assert describe_change(UOF, 51, None, previous_suppressed=True) == (
        "There were 51 use-of-force incidents, compared with fewer than 5 in the previous quarter."
    )


def test_both_suppressed_with_other_threshold():
    assert describe_change("pursuits", None, None, current_suppressed=True, previous_suppressed=True, min_count=11) == (
        "There were fewer than 11 pursuits, compared with fewer than 11 in the previous quarter."
    )


def test_suppressed_current_against_zero():
    assert describe_change(UOF, None, 0, current_suppressed=True) == (
        "There were fewer than 5 use-of-force incidents, compared with none in the previous quarter."
    )


def test_small_number_passed_by_mistake_is_still_hidden():
    sentence = describe_change(UOF, 3, 58)
    assert sentence == "There were fewer than 5 use-of-force incidents, compared with 58 in the previous quarter."
    assert "3" not in sentence
    # A small previous figure would be given away by the percentage (51 / 2 = +2,450%).
    assert describe_change(UOF, 51, 2) == (
        "There were 51 use-of-force incidents, compared with fewer than 5 in the previous quarter."
    )


def test_one_is_singular_when_shown():
    assert describe_change("shootings", 1, 1, singular="shooting", min_count=1) == (
        "There was 1 shooting, the same as in the previous quarter."
    )


def test_judgement_is_appended():
    sentence = describe_change(UOF, 51, 58, judgement="a change within normal variation")
    assert sentence == (
        "There were 51 use-of-force incidents, down 12.1% from 58 in the previous quarter, "
        "a change within normal variation."
    )
    assert describe_change(UOF, 51, 58, judgement=" a change within normal variation. ") == sentence
    assert describe_change(UOF, 51, 58, judgement="") == describe_change(UOF, 51, 58)


def test_judgement_left_out_without_a_comparison():
    assert describe_change(UOF, 51, None, judgement="a change within normal variation") == describe_change(
        UOF, 51, None
    )


def test_negative_count_is_an_error():
    with pytest.raises(ValueError):
        describe_change(UOF, -1, 5)


# describe_share ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "whole", "sentence"),
    [
        # 12 / 51 = 23.53%.
        (12, 51, "Of the 51 stops, 12 (23.5%) led to a search."),
        (0, 51, "Of the 51 stops, none led to a search."),
        (51, 51, "All 51 stops led to a search."),
        # 1,000 / 4,000 = 25%.
        (1000, 4000, "Of the 4,000 stops, 1,000 (25%) led to a search."),
        (0, 0, "There were no stops."),
    ],
)
def test_describe_share(part, whole, sentence):
    assert describe_share(part, whole, "led to a search", "stops") == sentence


def test_describe_share_hidden_part():
    expected = "Of the 51 stops, fewer than 5 led to a search."
    assert describe_share(None, 51, "led to a search", "stops", part_suppressed=True) == expected
    assert describe_share(2, 51, "led to a search", "stops") == expected  # small number never shown


def test_describe_share_hidden_whole():
    assert describe_share(None, None, "led to a search", "stops", part_suppressed=True, whole_suppressed=True) == (
        "There were fewer than 5 stops, too few to show how many led to a search."
    )
    assert describe_share(2, 3, "led to a search", "stops") == (
        "There were fewer than 5 stops, too few to show how many led to a search."
    )


def test_describe_share_not_available():
    assert (
        describe_share(None, 51, "led to a search", "stops")
        == "The number of stops that led to a search is not available."
    )
    assert (
        describe_share(5, None, "led to a search", "stops")
        == "The number of stops that led to a search is not available."
    )


def test_describe_share_without_group_label():
    assert describe_share(12, 51, "led to a search") == "Of the 51, 12 (23.5%) led to a search."


def test_describe_share_judgement():
    assert describe_share(12, 51, "led to a search", "stops", judgement="about the same as last year") == (
        "Of the 51 stops, 12 (23.5%) led to a search, about the same as last year."
    )


def test_describe_share_part_larger_than_whole():
    with pytest.raises(ValueError):
        describe_share(60, 51, "led to a search", "stops")


# describe_median --------------------------------------------------------------------------------


def test_describe_median():
    assert describe_median(8.5, "minutes", "response time") == "The median response time was 8.5 minutes."
    assert describe_median(8.46, "minutes", "response time") == "The median response time was 8.5 minutes."
    assert (
        describe_median(41, "days", "time to close a complaint") == "The median time to close a complaint was 41 days."
    )
    assert (
        describe_median(1.0, "days", "time to close a complaint") == "The median time to close a complaint was 1 day."
    )
    assert describe_median(1234.5, "seconds", "wait") == "The median wait was 1,234.5 seconds."


def test_describe_median_defines_the_term():
    assert describe_median(8.5, "minutes", "response time", define=True) == (
        "The median (the middle value) response time was 8.5 minutes."
    )


def test_describe_median_missing_or_based_on_few_records():
    assert describe_median(None, "minutes", "response time") == "The median response time is not available."
    assert describe_median(float("nan"), "minutes", "response time") == "The median response time is not available."
    assert describe_median(8.5, "minutes", "response time for priority 1 calls", n=3, n_label="calls") == (
        "The median response time for priority 1 calls is not shown because it is based on fewer than 5 calls."
    )
    assert describe_median(None, "minutes", "response time", n=0, n_label="calls") == (
        "The median response time is not available because there were no calls."
    )
    assert describe_median(8.5, "minutes", "response time", n=40) == "The median response time was 8.5 minutes."


def test_describe_median_judgement():
    assert describe_median(8.5, "minutes", "response time", judgement="close to the target of 8 minutes") == (
        "The median response time was 8.5 minutes, close to the target of 8 minutes."
    )


# Whole-module properties ------------------------------------------------------------------------


def sentence_families():
    """Batches of sentences covering every branch, as a report would produce them."""
    labels = [UOF, "complaints", "traffic stops", "vehicle pursuits", "calls for service"]
    pairs = [(51, 58), (65, 58), (58, 58), (7, 0), (0, 9), (0, 0), (1234, 1000), (None, 58), (51, None)]
    changes = []
    for label in labels:
        for current, previous in pairs:
            changes.append(describe_change(label, current, previous))
        changes.append(describe_change(label, None, 40, "the same quarter last year", current_suppressed=True))
        changes.append(
            describe_change(label, 40, None, previous_suppressed=True, judgement="a change within normal variation")
        )
    shares = []
    for part, whole in [(12, 51), (0, 51), (51, 51), (2, 51), (2, 3), (0, 0), (None, 51)]:
        shares.append(describe_share(part, whole, "led to a search", "stops"))
        shares.append(describe_share(part, whole, "were found to break a rule", "complaints"))
    medians = [
        describe_median(8.5, "minutes", "response time"),
        describe_median(41, "days", "time to close a complaint", define=True),
        describe_median(8.5, "minutes", "response time for urgent calls", n=3, n_label="calls"),
        describe_median(None, "minutes", "response time"),
    ]
    return {"change": changes, "share": shares, "median": medians}


def sample_sentences():
    return [sentence for family in sentence_families().values() for sentence in family]


@pytest.fixture
def offline_textstat(monkeypatch):
    """Make textstat count syllables without the network.

    textstat 0.7 looks words up in NLTK's CMU pronouncing dictionary and downloads it on first
    use; test machines have no network, so the lookup fails. textstat's own fallback for words
    not in that dictionary is pyphen's English hyphenation, which ships with pyphen. Forcing that
    fallback makes the measure the same on every machine.
    """
    try:
        module = importlib.import_module("textstat.backend.counts._count_syllables")
    except ImportError:  # pragma: no cover - a textstat without the NLTK lookup
        yield
        return

    def clear_caches():
        for name, loaded in list(sys.modules.items()):
            if name.startswith("textstat.backend"):
                for attribute in vars(loaded).values():
                    if hasattr(attribute, "cache_clear"):
                        attribute.cache_clear()

    monkeypatch.setattr(module, "get_cmudict", lambda lang: None)
    clear_caches()
    yield
    monkeypatch.undo()
    clear_caches()


def test_reading_level_is_grade_9_or_lower(offline_textstat):
    assert textstat.flesch_kincaid_grade(" ".join(sample_sentences())) <= 9
    # Each family on its own too, so one easy family cannot carry a hard one.
    for name, sentences in sentence_families().items():
        assert textstat.flesch_kincaid_grade(" ".join(sentences)) <= 9, name


LOADED_WORDS = {
    "alarming", "worrying", "worse", "better", "surge", "surged", "soared", "plunged", "plummeted",
    "spike", "dramatic", "dramatically", "sharp", "sharply", "only", "just", "merely", "whopping",
    "significant", "significantly", "good", "bad", "unfortunately", "fortunately",
}  # fmt: skip


def test_wording_is_neutral_and_clean():
    for sentence in sample_sentences():
        words = set(re.findall(r"[a-z]+", sentence.lower()))
        assert not words & LOADED_WORDS, sentence
        assert not words & {"nan", "nat", "inf"}, sentence
        for bad in ("None", "NaN", "<NA>", "_", "  ", "%%"):
            assert bad not in sentence, sentence
        assert sentence[0].isupper() and sentence.endswith(".")


def numbers_in(sentence):
    return set(re.findall(r"\d[\d,]*(?:\.\d+)?", sentence))


@given(small=st.integers(1, 10), other=st.integers(0, 500), min_count=st.integers(2, 11), current_first=st.booleans())
def test_small_counts_never_appear(small, other, min_count, current_first):
    if small >= min_count:
        small = min_count - 1
    if 1 <= other < min_count:
        other += min_count
    current, previous = (small, other) if current_first else (other, small)
    sentence = describe_change("arrests", current, previous, min_count=min_count)
    allowed = {str(min_count), f"{other:,}"}
    assert numbers_in(sentence) <= allowed, sentence
    share = describe_share(small, max(small, other), "ended in an arrest", "stops", min_count=min_count)
    assert numbers_in(share) <= allowed, share
