"""The Parquet cache returns exactly what a fresh load returns, and is invalidated by any input change."""

from __future__ import annotations

import pandas as pd
from conftest import agency_config, keyed_agency

from transparency.core.config import load_agency
from transparency.reading.load import load_dataset
from transparency.tables import cache

UOF = {"incident_id": "ID", "occurred_at": "DATE", "force_type": "TYPE", "officer_id": "BADGE", "subject_injured": "INJ"}
TEXT = "ID,DATE,TYPE,BADGE,INJ\n1,2021-01-05,Taser,11,Y\n2,2021-02-05,Hands,12,N\n3,2021-04-01,Hands,11,\n"


def test_cached_load_equals_fresh_load_and_is_reused(make_agency, monkeypatch):
    folder = make_agency(agency_config({"use_of_force": {"files": ["u.csv"], "columns": UOF}}), {"u.csv": TEXT})
    agency = keyed_agency(folder)
    first = cache.load_cached(agency, "use_of_force")
    fresh = load_dataset(agency, "use_of_force")
    pd.testing.assert_frame_equal(first.table, fresh.table)

    calls = []
    monkeypatch.setattr(cache, "load_dataset", lambda *a, **k: calls.append(a) or fresh)
    second = cache.load_cached(agency, "use_of_force")
    assert calls == []  # served from Parquet
    pd.testing.assert_frame_equal(second.table, fresh.table)
    assert [f.to_dict() for f in second.files] == [f.to_dict() for f in fresh.files]


def test_cache_key_changes_with_inputs_and_config(make_agency):
    folder = make_agency(agency_config({"use_of_force": {"files": ["u.csv"], "columns": UOF}}), {"u.csv": TEXT})
    agency = keyed_agency(folder)
    assert len(cache.load_cached(agency, "use_of_force").table) == 3
    (folder / "u.csv").write_text(TEXT + "4,2021-05-01,Taser,13,N\n")
    assert len(cache.load_cached(agency, "use_of_force").table) == 4
    changed = make_agency(
        agency_config({"use_of_force": {"files": ["u.csv"], "columns": UOF, "values": {"force_type": {"Hands": "Hands-on"}}}}),
        name=folder.name,
    )
    recoded = cache.load_cached(load_agency(changed), "use_of_force").table
    assert "Hands-on" in set(recoded["force_type"])


def test_two_processes_making_the_same_entry_leave_one_good_entry(make_agency):
    from transparency.core.processes import Background

    folder = make_agency(agency_config({"use_of_force": {"files": ["u.csv"], "columns": UOF}}), {"u.csv": TEXT})
    agency = keyed_agency(folder)
    assert not cache.is_current(agency, "use_of_force")
    tasks = [Background.forked(cache.cached, agency, "use_of_force") for _ in range(3)]
    entries = [task.result() for task in tasks]
    assert cache.is_current(agency, "use_of_force")
    assert len({e.table_path for e in entries}) == 1 and entries[0].table_path.exists()
    assert sorted(p.name for p in entries[0].table_path.parent.glob("use_of_force-*")) == sorted(
        [entries[0].table_path.name, entries[0].table_path.with_suffix(".json").name]
    ), "no stale entry left, and the one entry kept"
    pd.testing.assert_frame_equal(cache.load_cached(agency, "use_of_force").table,
                                  load_dataset(agency, "use_of_force").table)
