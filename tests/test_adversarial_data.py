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
    ("fullwidth_digits_are_digits", pursuits_config(),
     {"p.csv": "ID,DT\n123,2021-01-01\n\uff11\uff12\uff13,2021-01-02\n"}, 1, "pursuit_id '123' repeats row 2"),
]


@pytest.mark.parametrize(("case", "config", "files", "code", "expected"), CASES, ids=[c[0] for c in CASES])
def test_adversarial_data_input(make_agency, capsys, case, config, files, code, expected):
    folder = make_agency(config, files, name=case)
    try:
        result = cli.main(["validate", "--agency", str(folder), "--no-cache"])
    except SystemExit as exc:  # argparse
        result = exc.code
    out = capsys.readouterr()
    text = out.out + out.err
    assert result == code, text
    assert expected in text, text
    assert "Traceback" not in text


def test_lookalike_districts_are_one_district(make_agency):
    """Five spellings of "North" load as one district, and the appendix's note counts the three cells normalised
    (the fourth, a trailing no-break space, is trimmed like any space)."""
    from transparency.load import load_dataset

    rows = "".join(f"{n},2021-01-0{n + 1},Taser,{d}\n" for n, d in enumerate(LOOKALIKE_NORTH))
    folder = make_agency(uof_config(), {"u.csv": "ID,DATE,TYPE,DIST\n" + rows})
    result = load_dataset(keyed_agency(folder), "use_of_force")
    assert sorted(set(result.table["district"].astype(str))) == ["North"]
    assert any(note.startswith("3 cells held invisible characters") for note in result.notes)
    assert any("3 cells held invisible" in w for w in result.files[0].warnings)
