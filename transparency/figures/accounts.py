"""What the data-quality accounts may publish: counts about people follow the suppression rule, counts about records are exact.

A count is **about people** when it says something about the people in the records: values of a
person's race, sex, age or ethnicity that did not match a standard category, impossible ages, problems
in any field that describes a subject, officer, complainant or respondent (``subject_injured``,
``officer_race``...), and records left out because such a field put them out of scope. Every per-value
count of unmatched values is treated as about people too (it is a breakdown, and a rare code can single
someone out). A count is **about records** when it says how the files were kept: empty rows, repeated
header rows, exact duplicates, repeated identifiers, records without a date or identifier, unreadable
dates, times not recorded, linked rows that match nothing. Identifiers are about records.

Records read = records used + records left out, for every file. When a count about people is hidden,
the account must not give it back: the records used and the counts about people of every file of a
dataset, with their totals across files, are protected together by :func:`transparency.figures.suppress.suppress_table`
(counts about records are published, so they are taken off the totals first). A hidden count of records
used hides the number left out with it; the records read are always shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from .suppress import COMPLEMENTARY, suppress_table, suppress_value

__all__ = ["Account", "about_people", "count_text", "issue_about_people", "protect_accounts", "public_accounts", "quality_count",
           "reason_about_people"]

_PERSON_PREFIXES = ("subject_", "officer_", "complainant_", "respondent_", "driver_", "person_")
_PERSON_WORDS = {"race", "sex", "gender", "age", "ethnicity", "hispanic", "birth"}
_FIELD_PREFIXES = ("missing_", "unparseable_", "out_of_range_", "out_of_scope_", "no_")


def about_people(field_name: str) -> bool:
    """Whether problems in a canonical field are about people (see the module description).

    ``subject_race``, ``complainant_age``, ``officer_injured``, ``subject_age_group`` are; ``officer_id``,
    ``occurred_at``, ``district``, ``disposition`` are not.
    """
    name = field_name.strip().lower()
    if name.endswith("_id"):
        return False
    return name.startswith(_PERSON_PREFIXES) or bool(_PERSON_WORDS & set(name.split("_")))


def reason_about_people(reason: str) -> bool:
    """Whether a reason a record was left out (``blank_row``, ``missing_occurred_at``,
    ``out_of_scope_subject_race``...) is about the people in it: only when it names a field about people."""
    for prefix in _FIELD_PREFIXES:
        if reason.startswith(prefix):
            return about_people(reason[len(prefix):])
    return False


def quality_count(n: int, people: bool, min_count: int) -> int | None:
    """A count of the data-quality appendix as it may be published: None for a count about people from 1
    to ``min_count - 1``; every other count as it is."""
    return suppress_value(n, min_count) if people else int(n)


def count_text(n: int, people: bool, min_count: int, noun: str = "record") -> str:
    """"3 records", "1 record", or "fewer than 5 records" for a small count about people."""
    shown = quality_count(n, people, min_count)
    if shown is None:
        return f"fewer than {min_count} {noun}s"
    return f"{shown:,} {noun if shown == 1 else noun + 's'}"


@dataclass(frozen=True)
class Account:
    """One file's (or a dataset's) rows as they may be published; None where a count is hidden.

    ``excluded`` maps each reason to its count (None when hidden); ``hidden`` maps what is hidden
    (``"used"``, ``"left_out"`` or a reason) to why (``small count`` or ``complementary``).
    """

    read: int
    used: int | None
    left_out: int | None
    excluded: dict[str, int | None]
    hidden: dict[str, str] = field(default_factory=dict)


def protect_accounts(files: Sequence[tuple[int, int, Mapping[str, int]]], min_count: int) -> tuple[list[Account], Account]:
    """The accounts of a dataset's files, and their total, as they may be published.

    Parameters
    ----------
    files : sequence of (rows read, rows used, {reason: rows left out})
        One entry per input file of the dataset (``rows read = rows used + sum of the reasons``).
    min_count : int
        The agency's suppression threshold.

    Returns
    -------
    (list of Account, Account)
        One account per file, in order, and the dataset's total (what ``metrics.json``'s ``rows_read``,
        ``rows_excluded`` and the manifest publish). Counts about records are exact; a reason about people
        from 1 to ``min_count - 1`` is hidden, and so is a second figure (another such reason, or the rows
        used and left out) wherever subtraction would give it back, within a file or across the files'
        totals.
    """
    people = sorted({r for _, _, excluded in files for r, n in excluded.items() if n and reason_about_people(r)})
    reasons = sorted({r for _, _, excluded in files for r in excluded})
    totals_excluded = {r: sum(int(excluded.get(r, 0)) for _, _, excluded in files) for r in reasons}
    read_total = sum(int(read) for read, _, _ in files)
    used_total = sum(int(used) for _, used, _ in files)
    if not people:
        accounts = [Account(int(read), int(used), int(read) - int(used), {r: int(n) for r, n in excluded.items()})
                    for read, used, excluded in files]
        return accounts, Account(read_total, used_total, read_total - used_total, totals_excluded)
    # The records used and the reasons about people, per file, with the totals across files: the reasons
    # about records are published, so each file's row total (read less those) is known to a reader.
    grid = pd.DataFrame([[int(used)] + [int(excluded.get(r, 0)) for r in people] for _, used, excluded in files],
                        columns=["used", *people], index=[f"file {i}" for i in range(len(files))])
    published = suppress_table(grid, count_columns=list(grid.columns), min_count=min_count, col_total="total")
    why = {(entry["row"], entry["column"]): entry["reason"] for entry in published.log}

    def account(label: str, read: int, used: int, excluded: Mapping[str, int]) -> Account:
        hidden = {column: why[(label, column)] for column in grid.columns if (label, column) in why}
        if "used" in hidden:
            hidden["left_out"] = COMPLEMENTARY  # read - left out would give the rows used back
        shown = {r: (None if r in hidden else int(n)) for r, n in excluded.items()}
        return Account(int(read), None if "used" in hidden else int(used),
                       None if "left_out" in hidden else int(read) - int(used), shown, hidden)

    accounts = [account(f"file {i}", read, used, excluded) for i, (read, used, excluded) in enumerate(files)]
    return accounts, account("total", read_total, used_total, totals_excluded)


def issue_about_people(issue: str) -> bool:
    """Whether a data-quality issue (``"subject_age: out of range"``) is about people: its field is."""
    field_name, _, problem = issue.partition(": ")
    return bool(problem) and about_people(field_name)


def public_accounts(files: Sequence, unmapped: Mapping[str, Mapping[str, int]], issues: Mapping[str, int],
                    min_count: int) -> dict:
    """A dataset's accounts as ``manifest.json`` and ``metrics.json`` publish them (the appendix's rule).

    Parameters
    ----------
    files : sequence of FileAccount
        The dataset's input files' accounts (``transparency.reading.load.FileAccount``).
    unmapped : mapping
        field -> {source value: count} of values that matched no category (every one about people).
    issues : mapping
        issue -> count of problems in optional fields.
    min_count : int
        The agency's suppression threshold.

    Returns
    -------
    dict
        ``inputs`` (each file's ``to_dict()`` with ``rows_used`` and ``rows_excluded`` as they may be
        published, and ``hidden``: what is hidden and why), ``rows_excluded`` and ``hidden`` (the dataset's
        total), ``unmapped`` and ``issues`` (None for a small count about people).
    """
    protected, total = protect_accounts([(a.rows_read, a.rows_used, a.excluded) for a in files], min_count)
    inputs = []
    for account, shown in zip(files, protected):
        entry = account.to_dict()
        entry["rows_used"] = shown.used
        entry["rows_excluded"] = dict(sorted(shown.excluded.items()))
        if shown.hidden:
            entry["hidden"] = dict(sorted(shown.hidden.items()))
        inputs.append(entry)
    return {
        "inputs": inputs,
        "rows_excluded": dict(sorted(total.excluded.items())),
        "hidden": dict(sorted(total.hidden.items())),
        "unmapped": {name: {value: quality_count(n, True, min_count) for value, n in values.items()}
                     for name, values in unmapped.items()},
        "issues": {issue: quality_count(n, issue_about_people(issue), min_count) for issue, n in issues.items()},
    }
