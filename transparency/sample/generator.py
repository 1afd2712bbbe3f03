"""The entry point: every dataset's files written into a new raw/ folder, then swapped in whole."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

from .arrests import _arrests
from .assaults_on_officers import _assaults
from .calls_for_service import _calls
from .citations import _citations
from .city import AGENCY_NAME, DATASETS, MARKER, _make_officers
from .community_meetings import _meetings
from .community_surveys import _surveys
from .complaints import _complaints
from .days import _make_calendar
from .draws import last_complete_quarter
from .officer_involved_shootings import _shootings
from .pursuits import _pursuits
from .stops import _stops
from .training import _training
from .use_of_force import _use_of_force
from .writing import _Ctx


def generate(
    out_dir: Path,
    through: str | None = None,
    years: int = 5,
    seed: int = 2015,
    scale: float = 1.0,
    stops_rows: int | None = None,
    agency_name: str = AGENCY_NAME,
    datasets: tuple[str, ...] | None = None,
) -> dict:
    """Write the sample agency's raw files under ``out_dir/raw/``.

    Parameters
    ----------
    out_dir : Path
        The agency folder (``data/sample``); ``raw/`` inside it is replaced as a whole. A ``raw/`` folder
        that this module did not write (no ``GENERATED.json``) is never touched: an error is raised.
    through : str, optional
        Last quarter covered, such as ``"2026Q3"``; default: the last complete calendar quarter.
    years : int
        Years covered, ending with ``through`` (``4 * years`` quarters).
    seed : int
        Random seed; the same arguments always give byte-identical files.
    scale : float
        Multiplies every volume (1.0 is a city of about 250,000).
    stops_rows : int, optional
        Exact number of stops to generate (traffic plus pedestrian), for load tests; generated and
        written in chunks, so ten million rows need little memory.
    agency_name : str
        The department named in ``GENERATED.json`` and the training workbook (another fictional agency's
        files: :mod:`transparency.sample.agencies`).
    datasets : tuple of str, optional
        Generate only these datasets (default: all twelve). Each dataset draws from its own random
        stream, so a dataset's files are the same whichever others are generated; citations link to
        stops only when stops are generated too.

    Returns
    -------
    dict
        Data rows written per dataset (rows of the main files, defects included; related tables and
        header lines excluded), in ``DATASETS`` order.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    unknown = sorted(set(datasets or ()) - set(DATASETS))
    if unknown:
        raise ValueError(f"no generator for dataset(s) {', '.join(unknown)}; known: {', '.join(DATASETS)}")
    chosen = set(DATASETS if datasets is None else datasets)
    through = through or last_complete_quarter()
    cal = _make_calendar(through, years)
    out_dir = Path(out_dir)
    raw = out_dir / "raw"
    if raw.exists() and not (raw / MARKER).exists():
        raise FileExistsError(f"{raw} exists and was not written by the sample generator; not replacing it")
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / f".raw.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        officer_rng = np.random.default_rng([seed, 0])
        ctx = _Ctx(raw=tmp, cal=cal, seed=seed, scale=scale,
                   officers=_make_officers(officer_rng, max(30, int(round(420 * scale)))), agency=agency_name)
        steps = (("use_of_force", _use_of_force), ("complaints", _complaints), ("officer_involved_shootings", _shootings),
                 ("assaults_on_officers", _assaults), ("stops", lambda c: _stops(c, stops_rows)),
                 ("citations", _citations), ("pursuits", _pursuits), ("calls_for_service", _calls),
                 ("arrests", _arrests), ("community_meetings", _meetings), ("community_surveys", _surveys),
                 ("training", _training))
        for name, step in steps:
            if name in chosen:
                step(ctx)
        summary = {name: int(ctx.rows.get(name, 0)) for name in DATASETS if name in chosen}
        arguments = {"through": through, "years": years, "seed": seed, "scale": scale, "stops_rows": stops_rows}
        if datasets is not None:
            arguments["datasets"] = [name for name in DATASETS if name in chosen]
        manifest = {
            "generator": "transparency.sample",
            "agency": agency_name,
            "arguments": arguments,
            "coverage": {"from": cal.start.isoformat(), "to": cal.end.isoformat()},
            "rows": summary,
            "files": {name: dict(sorted(files.items())) for name, files in sorted(ctx.files.items())},
            "planted": {name: dict(sorted(ctx.planted[name].items())) for name in DATASETS if name in ctx.planted},
        }
        (tmp / MARKER).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if raw.exists():
            shutil.rmtree(raw)
        tmp.rename(raw)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return summary
