"""The fictional city of Riverton and its agency: the datasets, districts, races, names, when things happen, and its officers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .draws import _choice, _norm, _str

AGENCY_NAME = "Riverton Police Department"
DATASETS = (
    "use_of_force",
    "complaints",
    "officer_involved_shootings",
    "assaults_on_officers",
    "citations",
    "stops",
    "pursuits",
    "calls_for_service",
    "arrests",
    "community_meetings",
    "community_surveys",
    "training",
)
MARKER = "GENERATED.json"  # written last into raw/; its presence marks a folder this module may replace


# --- The city -----------------------------------------------------------------------------------------

DISTRICTS = ("North", "Northeast", "Central", "Southeast", "South", "West")
DISTRICT_CODES = ("D1", "D2", "D3", "D4", "D5", "D6")  # the RMS/CAD codes
DISTRICT_WEIGHTS = np.array([0.15, 0.13, 0.22, 0.15, 0.20, 0.15])
# (lat_min, lat_max, lon_min, lon_max) per district, inside 41.60..41.70 N, -87.70..-87.60 E
DISTRICT_BOXES = np.array(
    [
        (41.670, 41.700, -87.670, -87.635),
        (41.670, 41.700, -87.635, -87.600),
        (41.635, 41.670, -87.670, -87.600),
        (41.600, 41.635, -87.635, -87.600),
        (41.600, 41.635, -87.670, -87.635),
        (41.600, 41.700, -87.700, -87.670),
    ]
)
CITY_LAT, CITY_LON = 41.65, -87.65

RACES = ("White", "Black", "Hispanic", "Asian", "Native American", "Pacific Islander", "Other", "Unknown")
RACE_LETTER = np.array(["W", "B", "H", "A", "I", "P", "O", "U"], dtype=object)
RACE_UPPER = np.array(
    ["WHITE", "BLACK", "HISPANIC", "ASIAN", "AMERICAN INDIAN", "PACIFIC ISLANDER", "OTHER", "UNKNOWN"], dtype=object
)
KNOWN_RACE_LETTERS = frozenset(RACE_LETTER)

SURNAMES = (
    "SMITH JOHNSON WILLIAMS BROWN JONES GARCIA MILLER DAVIS RODRIGUEZ MARTINEZ HERNANDEZ LOPEZ GONZALEZ "
    "WILSON ANDERSON THOMAS TAYLOR MOORE JACKSON MARTIN LEE PEREZ THOMPSON WHITE HARRIS SANCHEZ CLARK "
    "RAMIREZ LEWIS ROBINSON WALKER YOUNG ALLEN KING WRIGHT SCOTT TORRES NGUYEN HILL FLORES GREEN ADAMS "
    "NELSON BAKER HALL RIVERA CAMPBELL MITCHELL CARTER ROBERTS KOWALSKI NOWAK O'BRIEN MURPHY SULLIVAN "
    "PETERSEN OLSON SCHMIDT KRUEGER NOVAK WASHINGTON BUTLER FOSTER REYES"
).split()

# Hour-of-day profiles (relative weights, 00h..23h).
HOURS_CALLS = [2.6, 2.1, 1.7, 1.3, 1.0, 1.0, 1.4, 2.2, 3.0, 3.5, 3.8, 4.0, 4.2, 4.3, 4.5, 4.8, 5.0, 5.2, 5.3, 5.2, 5.0, 4.6, 4.0, 3.3]
HOURS_TRAFFIC = [3.0, 2.6, 2.0, 1.2, 0.6, 0.6, 1.2, 3.0, 3.8, 3.2, 3.0, 3.1, 3.2, 3.3, 3.8, 4.4, 4.8, 4.8, 4.3, 4.0, 4.2, 4.3, 4.0, 3.5]
HOURS_PED = [4.0, 3.6, 3.0, 2.0, 1.0, 0.6, 0.6, 0.8, 1.2, 1.6, 2.0, 2.4, 2.8, 3.0, 3.4, 3.8, 4.2, 4.6, 5.0, 5.2, 5.4, 5.4, 5.0, 4.6]
HOURS_FORCE = [4.0, 4.0, 3.5, 3.0, 2.0, 1.5, 1.0, 1.0, 1.5, 2.0, 2.5, 3.0, 3.0, 3.2, 3.5, 3.8, 4.0, 4.3, 4.5, 4.8, 5.0, 5.0, 5.0, 4.5]
HOURS_ARRESTS = [3.0, 2.8, 2.4, 1.8, 1.2, 1.0, 1.2, 1.8, 2.8, 3.4, 3.6, 3.8, 3.8, 3.9, 4.0, 4.2, 4.4, 4.5, 4.5, 4.4, 4.3, 4.0, 3.6, 3.3]
HOURS_OFFICE = [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.3, 1.0, 3.0, 4.0, 4.0, 3.5, 3.0, 3.5, 3.8, 3.5, 3.0, 1.5, 0.6, 0.4, 0.3, 0.2, 0.2, 0.1]
HOURS_NIGHT = [5.0, 5.0, 4.5, 3.5, 2.5, 1.5, 1.0, 1.0, 1.0, 1.2, 1.5, 1.8, 2.0, 2.2, 2.5, 2.8, 3.0, 3.3, 3.6, 4.0, 4.4, 4.8, 5.0, 5.0]
WEEK_FLAT = (1, 1, 1, 1, 1, 1, 1)
WEEK_BUSINESS = (1.25, 1.2, 1.2, 1.2, 1.15, 0.5, 0.5)
WEEK_NIGHTLIFE = (0.92, 0.9, 0.92, 0.98, 1.08, 1.15, 1.05)


def _locations(rng, district: np.ndarray, missing_rate: float = 0.0):
    box = DISTRICT_BOXES[district]
    lat = np.round(box[:, 0] + rng.random(len(district)) * (box[:, 1] - box[:, 0]), 6)
    lon = np.round(box[:, 2] + rng.random(len(district)) * (box[:, 3] - box[:, 2]), 6)
    if missing_rate:
        gone = rng.random(len(district)) < missing_rate
        lat[gone] = np.nan
        lon[gone] = np.nan
    return lat, lon


# --- Officers ------------------------------------------------------------------------------------------


@dataclass
class _Officers:
    badge: np.ndarray  # text, e.g. "4521"
    race: np.ndarray  # index into RACES
    sex: np.ndarray  # "M" / "F"
    surname: np.ndarray
    initial: np.ndarray
    weight: np.ndarray  # how often an officer appears in enforcement records (skewed)

    def __len__(self) -> int:
        return len(self.badge)

    def draw(self, rng, n: int) -> np.ndarray:
        return rng.choice(len(self.badge), n, p=self.weight)

    def distinct_per_group(self, rng, group: np.ndarray, picks: np.ndarray) -> np.ndarray:
        """Redraw officers that repeat within a group (an incident, a complaint, a meeting)."""
        picks = picks.copy()
        for _ in range(50):
            dup = pd.Series(group * len(self) + picks).duplicated().to_numpy()
            if not dup.any():
                break
            picks[dup] = rng.choice(len(self), int(dup.sum()))
        return picks


def _make_officers(rng, count: int) -> _Officers:
    badge = np.sort(rng.choice(np.arange(1100, 9900), count, replace=False))
    race = rng.choice(8, count, p=_norm([0.60, 0.22, 0.12, 0.04, 0.004, 0.002, 0.014, 0]))
    sex = _choice(rng, ["M", "F"], count, [0.85, 0.15])
    patrol = rng.random(count) < 0.75
    weight = rng.lognormal(0.0, 0.9, count) * np.where(patrol, 1.0, 0.12)
    return _Officers(
        badge=_str(badge),
        race=race,
        sex=sex,
        surname=_choice(rng, SURNAMES, count),
        initial=_choice(rng, list("ABCDEFGHJKLMNPRSTW"), count),
        weight=weight / weight.sum(),
    )
