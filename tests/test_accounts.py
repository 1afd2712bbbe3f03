"""Counts about people in the data-quality appendix follow the suppression rule; counts about records are
exact; and the accounts (read = used + left out, per file and across files) give no hidden count back.

Whether a hidden count can be worked out is checked here independently of ``suppress.py``: every published
figure and every identity a reader knows is written as a linear equation, and numpy's rank says whether
the hidden count follows from them.
"""

from __future__ import annotations

import re
from collections import Counter
from html import unescape
from types import SimpleNamespace

import numpy as np
import pytest

from transparency.figures.accounts import Account, about_people, count_text, protect_accounts, reason_about_people
from transparency.reading.load import FileAccount
from transparency.writing.backmatter import data_quality


@pytest.mark.parametrize(("field", "people"), [
    ("subject_race", True), ("complainant_age", True), ("officer_sex", True), ("subject_age_group", True),
    ("respondent_race", True), ("subject_injured", True), ("officer_id", False), ("subject_id", False),
    ("occurred_at", False), ("district", False), ("disposition", False), ("force_type", False),
])
def test_which_fields_are_about_people(field, people):
    assert about_people(field) is people


@pytest.mark.parametrize(("reason", "people"), [
    ("blank_row", False), ("header_row", False), ("duplicate_row", False), ("duplicate_id", False),
    ("missing_occurred_at", False), ("missing_officer_id", False), ("unparseable_received_at", False),
    ("out_of_range_occurred_at", False), ("out_of_scope_agency_type", False), ("no_force_type", False),
    ("out_of_scope_subject_race", True), ("missing_subject_sex", True),
])
def test_which_reasons_left_out_are_about_people(reason, people):
    assert reason_about_people(reason) is people


def test_count_text():
    assert count_text(3, True, 5) == "fewer than 5 records"
    assert count_text(3, False, 5) == "3 records"
    assert count_text(0, True, 5) == "0 records" and count_text(1, False, 5) == "1 record"
    assert count_text(1234, True, 5) == "1,234 records"


def test_accounts_about_records_only_are_exact():
    accounts, total = protect_accounts([(100, 95, {"blank_row": 2, "duplicate_row": 3}), (10, 9, {"header_row": 1})], 5)
    assert [(a.read, a.used, a.left_out, a.excluded) for a in accounts] == [
        (100, 95, 5, {"blank_row": 2, "duplicate_row": 3}), (10, 9, 1, {"header_row": 1})]
    assert (total.read, total.used, total.left_out, total.excluded) == (110, 104, 6, {"blank_row": 2, "duplicate_row": 3, "header_row": 1})
    assert not any(a.hidden for a in [*accounts, total])


def _recoverable(files, accounts, total) -> list[str]:
    """Hidden counts a reader can work out from the published accounts (each file and the total)."""
    reasons = sorted({r for _, _, excluded in files for r in excluded})
    names = [(i, "used") for i in range(len(files))] + [(i, r) for i in range(len(files)) for r in reasons]
    index = {name: k for k, name in enumerate(names)}
    equations = []

    def known(terms):
        row = np.zeros(len(names))
        for name in terms:
            row[index[name]] = 1
        equations.append(row)

    for i, ((_, _, excluded), shown) in enumerate(zip(files, accounts)):
        known([(i, "used"), *[(i, r) for r in reasons]])  # read = used + left out, read always shown
        for r in reasons:
            if r not in excluded or shown.excluded.get(r) is not None:
                known([(i, r)])
        if shown.used is not None:
            known([(i, "used")])
        if shown.left_out is not None:
            known([(i, r) for r in reasons])
    if total.used is not None:
        known([(i, "used") for i in range(len(files))])
    for r in reasons:
        if total.excluded.get(r) is not None:
            known([(i, r) for i in range(len(files))])
    matrix = np.array(equations)
    found = []
    for i, (_, _, excluded) in enumerate(files):
        for r, n in excluded.items():
            if 1 <= n < 5 and reason_about_people(r):
                unit = np.zeros(len(names))
                unit[index[(i, r)]] = 1
                if np.linalg.matrix_rank(np.vstack([matrix, unit])) == np.linalg.matrix_rank(matrix):
                    found.append(f"file {i} {r}")
    return found


@pytest.mark.parametrize("files", [
    # One file: the only reason about people is small; read - used would give it back.
    [(50, 45, {"out_of_scope_subject_race": 2, "blank_row": 3})],
    # Two files: one small, one large, and the total across files (metrics.json) would give the small one back.
    [(50, 48, {"out_of_scope_subject_race": 2}), (80, 73, {"out_of_scope_subject_race": 7})],
    # Two reasons about people in one file, one of them small.
    [(60, 50, {"missing_subject_sex": 8, "out_of_scope_subject_race": 1, "duplicate_row": 1})],
])
def test_accounts_give_no_hidden_count_about_people_back(files):
    accounts, total = protect_accounts(files, 5)
    published = [n for a in [*accounts, total] for n in (a.used, a.left_out, *a.excluded.values())
                 if n is not None]
    assert all(a.read == f[0] for a, f in zip(accounts, files)), "records read are always shown"
    for account, (_, _, excluded) in zip(accounts, files):
        for r, n in excluded.items():
            if reason_about_people(r) and 1 <= n < 5:
                assert account.excluded[r] is None and account.hidden[r] == "small count"
            if not reason_about_people(r):
                assert account.excluded[r] == n, "counts about records are exact"
    assert published, "the accounts still say something"
    assert _recoverable(files, accounts, total) == []


def test_the_check_would_find_an_unprotected_account():
    """The rank check above is not vacuous: an account published whole gives the small count back."""
    files = [(50, 45, {"out_of_scope_subject_race": 2, "blank_row": 3})]
    naked = [Account(50, 45, 5, {"out_of_scope_subject_race": None, "blank_row": 3})]  # only the small count hidden
    assert _recoverable(files, naked, Account(50, None, None, {})) == ["file 0 out_of_scope_subject_race"]


def test_appendix_shows_no_small_count_about_people():
    account = FileAccount(path="raw/uof.csv", sha256="0" * 64, encoding="utf-8", rows_read=40,
                          excluded=Counter({"blank_row": 2, "out_of_scope_subject_race": 3}))
    load = SimpleNamespace(
        files=[account], recorded={"incident_id", "occurred_at", "force_type", "subject_race", "subject_age"},
        unmapped={"subject_race": {"X": 3, "Z": 12}},
        issues=Counter({"subject_age: impossible age (below 0 or above 110)": 3, "occurred_at: time not recorded (date kept)": 2}),
        notes=[],
    )
    outcome = SimpleNamespace(dataset="use_of_force", load=load, message="", suppressed_cells=0)
    html = data_quality([outcome], 5)
    text = unescape(re.sub(r"<[^>]+>", " ", html))
    assert "“X” (fewer than 5 records)" in text and "“Z” (12 records)" in text
    assert "impossible age (below 0 or above 110) (fewer than 5 records)" in text
    assert "time not recorded (date kept) (2 records)" in text  # about records: exact
    assert "empty row: 2" in text  # about records: exact
    assert "race of the person outside this report's scope: not shown" in text
    assert not re.search(r"\b3\b", text), "no count from 1 to 4 about people, nor anything that gives one back"
