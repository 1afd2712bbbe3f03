"""stops: traffic and pedestrian files per year, with long tables of searches and results."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from .city import DISTRICT_CODES, DISTRICT_WEIGHTS, HOURS_PED, HOURS_TRAFFIC, RACE_LETTER, _locations
from .days import _skip_dst_gap, _times_of_day
from .draws import (
    _choice,
    _format,
    _n_defects,
    _norm,
    _pick,
    _row_choice,
    _seq_in_group,
    _str,
    _vary_case,
    _yes_no,
    _zfill,
)
from .writing import _Ctx, _write_csv

STOPS_CHUNK = 250_000  # stops are generated and written this many at a time (memory stays flat at 10M rows)


TRAFFIC_REASONS = (("Speeding", 0.40), ("Moving violation", 0.25), ("Equipment violation", 0.15),
                   ("Registration/license", 0.12), ("Investigative", 0.05), ("Other", 0.03))
PED_REASONS = (("Suspicious behavior", 0.35), ("Matches suspect description", 0.20), ("Observed offense", 0.25),
               ("Call for service", 0.15), ("Warrant", 0.05))
# Search rates and hit rates by race (White, Black, Hispanic, Asian, Native American, Pacific Islander,
# Other, Unknown). Black drivers are searched more often and found with contraband less often: a planted
# disparity that the report's outcome test should find.
SEARCH_TRAFFIC = np.array([0.030, 0.075, 0.055, 0.020, 0.040, 0.040, 0.035, 0.030])
SEARCH_PED = np.array([0.12, 0.20, 0.16, 0.08, 0.12, 0.12, 0.12, 0.12])
HIT_RATE = np.array([0.32, 0.19, 0.23, 0.28, 0.26, 0.26, 0.26, 0.26])
RACE_TRAFFIC = np.array([0.46, 0.30, 0.16, 0.045, 0.004, 0.003, 0.013, 0.015])
RACE_PED = np.array([0.30, 0.47, 0.17, 0.03, 0.004, 0.002, 0.01, 0.014])
RESULT_LABELS = np.array(["Arrest", "Citation", "Written Warning", "Verbal Warning", "No Action"], dtype=object)
CONTRABAND = (("Drugs", 0.55), ("Weapon", 0.20), ("Alcohol", 0.08), ("Stolen property", 0.07), ("Cash", 0.04), ("Other", 0.06))


@dataclass
class _StopsWriter:
    ctx: _Ctx
    rng: np.random.Generator
    started: set = field(default_factory=set)

    def write(self, path: Path, df: pd.DataFrame, dataset: str | None, **kw) -> None:
        append = path in self.started
        self.started.add(path)
        n = _write_csv(self.ctx, dataset, path, df, rng=self.rng, append=append, **kw)
        if dataset is None:
            self.ctx.files.setdefault("stops (related)", {})
            rel = path.relative_to(self.ctx.raw).as_posix()
            self.ctx.files["stops (related)"][rel] = self.ctx.files["stops (related)"].get(rel, 0) + n


def _stops(ctx: _Ctx, stops_rows: int | None) -> None:
    rng, cal = ctx.rng("stops"), ctx.cal
    week = _norm((0.95, 1.0, 1.0, 1.02, 1.08, 1.0, 0.9)) * 7
    lam = 15000 * ctx.scale / 365.2425 * cal.season(0.08) * np.exp(-0.02 * cal.t) * week[cal.weekday]
    counts = rng.poisson(lam) if stops_rows is None else rng.multinomial(int(stops_rows), lam / lam.sum())
    writer = _StopsWriter(ctx, rng)
    folder = ctx.raw / "stops"
    header_year = cal.years[min(1, len(cal.years) - 1)]
    first_chunk = True
    for year in cal.years:
        days = np.flatnonzero(cal.year == year)
        year_total = int(counts[days].sum())
        in_window = len(days) / 365.2425
        link_target = 0.45 * 12000 * ctx.scale * in_window
        link_p = min(1.0, link_target / max(1.0, 0.8 * 0.42 * year_total))
        serial = {"T": 0, "P": 0}
        chunk_of_day = np.cumsum(counts[days]) // STOPS_CHUNK
        for chunk in np.unique(chunk_of_day):
            chunk_days = days[chunk_of_day == chunk]
            day = np.repeat(chunk_days, counts[chunk_days])
            if not len(day):
                continue
            _stops_chunk(
                ctx, rng, writer, folder, year, day, serial, link_p,
                header=(year == header_year and serial["P"] == 0), first=first_chunk,
            )
            first_chunk = False


def _stops_chunk(ctx, rng, writer, folder, year, day, serial, link_p, *, header: bool, first: bool) -> None:
    """One chunk of a year's stops (in time order) appended to that year's files. The random draws are
    made in one fixed order, step after step, so the same arguments give the same bytes."""
    s = _when_and_where(ctx, rng, day)
    _people_stopped(rng, s)
    _searches_and_outcomes(ctx, rng, s)
    s.stop_id = _stop_ids(s.ped, year, serial)
    s.officer = ctx.officers.draw(rng, s.n)
    s.reason = np.where(
        s.ped,
        _choice(rng, [r for r, _ in PED_REASONS], s.n, [p for _, p in PED_REASONS]),
        _choice(rng, [r for r, _ in TRAFFIC_REASONS], s.n, [p for _, p in TRAFFIC_REASONS]),
    ).astype(object)
    _plant_unknown_race_codes(ctx, rng, s, first)
    _write_stop_files(ctx, rng, writer, folder, year, s, header=header, first=first)
    _write_searches(ctx, rng, writer, folder, year, s, first)
    extra_cite = _write_results(rng, writer, folder, year, s)
    _keep_for_citations(ctx, rng, s, extra_cite, link_p)


def _when_and_where(ctx, rng, day) -> SimpleNamespace:
    """Traffic or pedestrian, the time (sorted), daylight or dark, the district and the place."""
    cal = ctx.cal
    n = len(day)
    ped = rng.random(n) < 0.2
    sod = np.where(ped, _times_of_day(rng, n, HOURS_PED), _times_of_day(rng, n, HOURS_TRAFFIC))
    secs = _skip_dst_gap(cal, cal.epoch[day] * 86400 + sod)
    order = np.argsort(secs, kind="stable")
    secs, ped, day = secs[order], ped[order], day[order]
    sod_min = (secs % 86400) / 60
    daylight = (sod_min >= cal.sunrise[day]) & (sod_min <= cal.sunset[day])
    district = rng.choice(6, n, p=DISTRICT_WEIGHTS)
    lat, lon = _locations(rng, district, missing_rate=0.01)
    return SimpleNamespace(n=n, ped=ped, secs=secs, day=day, daylight=daylight, district=district, lat=lat, lon=lon)


def _people_stopped(rng, s: SimpleNamespace) -> None:
    """Race (as the agency codes it, with a separate ethnicity code), sex and age of each person stopped."""
    n, ped = s.n, s.ped
    probs = np.where(ped[:, None], RACE_PED, RACE_TRAFFIC)
    # Veil of darkness: Black drivers make up a larger share of daylight stops than of stops after dark.
    probs[:, 1] *= np.where(~ped & s.daylight, 1.15, 1.0)
    s.race = race = _row_choice(rng, probs)
    # Raw race code plus a separate ethnicity code; Hispanic people are recorded with race W, O, B or U.
    s.race_code = RACE_LETTER[race].copy()
    hisp = race == 2
    s.race_code[hisp] = _choice(rng, ["W", "O", "B", "U"], int(hisp.sum()), [0.55, 0.25, 0.05, 0.15])
    s.ethnicity = np.where(hisp, "H", np.where(rng.random(n) < 0.03, "U", "N")).astype(object)
    s.ethnicity[race == 7] = "U"
    s.sex = np.where(
        ped, _choice(rng, ["M", "F", "U"], n, [0.80, 0.19, 0.01]), _choice(rng, ["M", "F", "U"], n, [0.63, 0.36, 0.01])
    ).astype(object)
    age = np.where(ped, 13 + rng.gamma(2.0, 9.0, n), 16 + rng.gamma(2.5, 9.0, n))
    s.age = np.clip(age, 13, 95).astype(int)
    s.age_missing = rng.random(n) < 0.01


def _searches_and_outcomes(ctx, rng, s: SimpleNamespace) -> None:
    """Frisked, searched, contraband found (the planted disparity), and the stop's outcome (an index
    into RESULT_LABELS)."""
    n, ped, race = s.n, s.ped, s.race
    frisk_p = np.where(ped, 0.22 * np.array([0.8, 1.3, 1.15, 0.8, 1, 1, 1, 1])[race], 0.015 * np.where(race == 1, 1.6, 1.0))
    s.frisk = rng.random(n) < frisk_p
    search_p = np.where(ped, SEARCH_PED[race], SEARCH_TRAFFIC[race]) + 0.35 * s.frisk
    s.searched = rng.random(n) < search_p
    s.hit = s.searched & (rng.random(n) < HIT_RATE[race] * np.where(ped, 0.9, 1.0))

    u = rng.random(n)
    p_arrest = 0.012 + 0.42 * s.hit + 0.04 * (s.searched & ~s.hit) + 0.03 * ped
    p_cite = np.where(ped, 0.10, 0.44 * np.exp(-0.03 * ctx.cal.t[s.day]))
    p_warn = np.where(ped, 0.28, 0.36)
    outcome = np.where(u < p_arrest, 0, np.where(u < p_arrest + p_cite, 1, np.where(u < p_arrest + p_cite + p_warn, 2, 4)))
    outcome[(outcome == 2) & (rng.random(n) < 0.4)] = 3  # verbal rather than written warnings
    s.outcome = outcome


def _stop_ids(ped: np.ndarray, year: int, serial: dict) -> np.ndarray:
    """Ids, in time order, separately for traffic ("TS") and pedestrian ("PS") stops; ``serial`` goes on."""
    yy = f"{year % 100:02d}"
    stop_id = np.empty(len(ped), dtype=object)
    for kind, mask in (("T", ~ped), ("P", ped)):
        k = int(mask.sum())
        stop_id[mask] = _zfill(f"{kind}S{yy}-", np.arange(serial[kind] + 1, serial[kind] + k + 1), 7)
        serial[kind] += k
    return stop_id


def _plant_unknown_race_codes(ctx, rng, s: SimpleNamespace, first: bool) -> None:
    """Planted: race codes the agency's code table does not have, on traffic stops."""
    free = np.ones(s.n, dtype=bool)
    free[s.ped] = False
    bad = _pick(rng, free, _n_defects(0.001, s.n) if first else int(rng.binomial(s.n, 0.001)))
    s.race_code = s.race_code.copy()
    s.race_code[bad] = "X"
    ctx.plant("stops", "unknown_race_code", len(bad))


def _write_stop_files(ctx, rng, writer, folder, year, s: SimpleNamespace, *, header: bool, first: bool) -> None:
    """The traffic and the pedestrian stops file of the year (each its own column names), with their defects."""
    off = ctx.officers
    age_cell = pd.array(np.where(s.age_missing, 0, s.age), dtype="Int64")
    age_cell[s.age_missing] = pd.NA
    common = {
        "STOP_NUM": s.stop_id,
        "STOP_DATETIME": _format(s.secs, "%Y-%m-%d", "%H:%M:%S"),
        "PATROL_DISTRICT": np.asarray(DISTRICT_CODES, object)[s.district],
    }

    def frame(rows: np.ndarray, reason: str, person: str, frisked: str) -> pd.DataFrame:
        return pd.DataFrame(
            {
                **{k: v[rows] for k, v in common.items()},
                reason: s.reason[rows],
                f"{person}_RACE": s.race_code[rows],
                f"{person}_ETHNICITY": s.ethnicity[rows],
                f"{person}_SEX": s.sex[rows],
                f"{person}_AGE": age_cell[rows],
                frisked: _yes_no(s.frisk[rows]),
                "OFFICER_BADGE": off.badge[s.officer[rows]],
                "LATITUDE": s.lat[rows],
                "LONGITUDE": s.lon[rows],
            }
        )

    traffic = frame(~s.ped, "REASON_FOR_STOP", "DRIVER", "FRISK")
    pedestrian = frame(s.ped, "STOP_REASON", "SUBJ", "FRISKED")
    avoid = np.zeros(len(traffic), dtype=bool)
    avoid[np.isin(traffic["DRIVER_RACE"].to_numpy(), ["X"])] = True
    nt = len(traffic)
    writer.write(
        folder / f"traffic_stops_{year}.csv", traffic, "stops",
        duplicates=_n_defects(0.001, nt) if first else int(rng.binomial(nt, 0.001)),
        blanks=_n_defects(0.0005, nt) if first else int(rng.binomial(nt, 0.0005)), avoid=avoid,
    )
    writer.write(folder / f"pedestrian_stops_{year}.csv", pedestrian, "stops", headers=1 if header else 0)


def _write_searches(ctx, rng, writer, folder, year, s: SimpleNamespace, first: bool) -> None:
    """Searches: one row per thing searched (1-3 per searched stop); the first chunk plants orphans."""
    s_idx = np.flatnonzero(s.searched)
    k = 1 + (rng.random(len(s_idx)) > 0.55) + (rng.random(len(s_idx)) > 0.90)
    r_stop = np.repeat(s_idx, k)
    r_seq = _seq_in_group(r_stop)
    r_ped = s.ped[r_stop]
    first_row = r_seq == 1
    found = np.where(first_row, s.hit[r_stop], s.hit[r_stop] & (rng.random(len(r_stop)) < 0.3))
    search_of = np.where(
        r_ped,
        np.where(first_row, "Person", "Property"),
        np.asarray(["Driver", "Vehicle", "Passenger"], object)[np.minimum(r_seq - 1, 2)],
    ).astype(object)
    basis = np.where(
        s.frisk[r_stop] & first_row, "Terry Frisk",
        _choice(rng, ["Consent", "Probable Cause", "Incident to Arrest", "Inventory", "Plain View"], len(r_stop),
                [0.35, 0.30, 0.20, 0.10, 0.05]),
    ).astype(object)
    contraband = np.where(found, _choice(rng, [c for c, _ in CONTRABAND], len(r_stop), [p for _, p in CONTRABAND]), "")
    searches = pd.DataFrame(
        {
            "STOP_NUM": s.stop_id[r_stop],
            "SEARCH_SEQ": _str(r_seq),
            "SEARCH_OF": search_of,
            "SEARCH_BASIS": basis,
            "CONTRABAND_FOUND_IND": _yes_no(found),
            "CONTRABAND_TYPE": contraband.astype(object),
        }
    )
    if first:
        # Planted: search rows whose stop is not in the stop files (the stop record was deleted).
        yy = f"{year % 100:02d}"
        ghosts = pd.DataFrame(
            {"STOP_NUM": [f"TS{yy}-9{i:06d}" for i in range(2)], "SEARCH_SEQ": ["1", "1"],
             "SEARCH_OF": ["Vehicle", "Driver"], "SEARCH_BASIS": ["Consent", "Probable Cause"],
             "CONTRABAND_FOUND_IND": ["N", "Y"], "CONTRABAND_TYPE": ["", "Drugs"]}
        )
        searches = pd.concat([searches, ghosts], ignore_index=True)
        ctx.plant("stops", "orphan_related_row", len(ghosts))
    writer.write(folder / f"stop_searches_{year}.csv", searches, None)


def _write_results(rng, writer, folder, year, s: SimpleNamespace) -> np.ndarray:
    """Results: one row per result of the stop; an arrest often comes with a citation too. Returns True on
    the stops with a citation beside their main result."""
    n, outcome = s.n, s.outcome
    extra_cite = ((outcome == 0) & (rng.random(n) < 0.35)) | ((outcome == 1) & (rng.random(n) < 0.15))
    extra_warn = (outcome == 1) & (rng.random(n) < 0.10)
    res_stop = np.r_[np.arange(n), np.flatnonzero(extra_cite), np.flatnonzero(extra_warn)]
    res_code = np.r_[outcome, np.ones(int(extra_cite.sum()), int), np.full(int(extra_warn.sum()), 2)]
    order = np.argsort(res_stop, kind="stable")
    res_stop, res_code = res_stop[order], res_code[order]
    results = pd.DataFrame(
        {
            "STOP_NUM": s.stop_id[res_stop],
            "RESULT_SEQ": _str(_seq_in_group(res_stop)),
            "RESULT": _vary_case(rng, RESULT_LABELS[res_code], 0.03),
        }
    )
    writer.write(folder / f"stop_results_{year}.csv", results, None)
    return extra_cite


def _keep_for_citations(ctx, rng, s: SimpleNamespace, extra_cite: np.ndarray, link_p: float) -> None:
    """Keep some citation stops for the citations file (same person, time and place)."""
    cited = np.flatnonzero(~s.ped & ((s.outcome == 1) | extra_cite) & (rng.random(s.n) < link_p))
    if len(cited):
        ctx.linked_stops.append(
            {
                "stop_id": s.stop_id[cited], "secs": s.secs[cited], "race": s.race[cited], "sex": s.sex[cited],
                "age": np.where(s.age_missing[cited], -1, s.age[cited]), "district": s.district[cited],
                "officer": s.officer[cited], "reason": s.reason[cited],
            }
        )
