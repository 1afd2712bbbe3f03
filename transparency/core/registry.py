"""The twelve canonical datasets and their fields, read from ``datasets.yml`` (data, not code)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

_REGISTRY_FILE = Path(__file__).with_name("datasets.yml")

BOOL_TRUE = ("true", "t", "yes", "y", "1")
BOOL_FALSE = ("false", "f", "no", "n", "0")


@dataclass(frozen=True)
class Enum:
    """A closed set of canonical values with the value used for anything that does not map."""

    name: str
    values: tuple[str, ...]
    fallback: str

    def slug(self, value: str) -> str:
        """Metric-name form of a value: ``Native American`` -> ``native_american``."""
        return slug(value)


@dataclass(frozen=True)
class Field:
    """One canonical field of a dataset."""

    name: str
    type: str  # id, pseudonym, datetime, category, enum, bool, number, age
    required: bool = False
    enum: Enum | None = None
    means: str = ""  # what the field holds, in words (``field_meanings`` or ``means:`` in datasets.yml)


@dataclass(frozen=True)
class MetricDoc:
    """A headline figure as the reference describes it (``metrics`` in datasets.yml).

    ``basis``: ``count`` (a count, hidden when small), ``records`` (hidden when it rests on few records)
    or ``none`` (never hidden). ``grain``: the grain it is computed at ("" for the default grain).
    """

    name: str
    means: str
    unit: str
    basis: str
    grain: str = ""


@dataclass(frozen=True)
class Grain:
    """What one source row of a dataset is (``grain:`` in agency.yml): a dataset's first grain is its
    default. ``metrics`` renames a metric (or drops it, None) that counts something else at this grain."""

    name: str
    one_row_is: str
    optional: tuple[str, ...] = ()
    metrics: tuple[tuple[str, str | None], ...] = ()

    def metric(self, name: str) -> str | None:
        """The metric's name at this grain (None: not computed at this grain)."""
        return dict(self.metrics).get(name, name)


@dataclass(frozen=True)
class Dataset:
    """One canonical dataset: its fields, the event date that places a row in a period, unique keys."""

    name: str
    title: str
    one_row_is: str
    event: str
    fields: dict[str, Field]
    unique: tuple[str, ...] = ()
    one_of_required: tuple[tuple[str, ...], ...] = field(default_factory=tuple)
    uses: tuple[str, ...] = ()  # other datasets its section reads (denominators); part of its build key
    public_events: bool = False  # each event is public: the section lists them, their counts are exact
    public_events_reason: str = ""  # why, in words for the methodology
    public_counts: tuple[str, ...] = ()  # metric names that count the public events themselves
    grains: tuple[Grain, ...] = ()  # what one source row may be; the first is the default
    metrics: tuple[MetricDoc, ...] = ()  # the headline figures, described for the reference

    def grain(self, name: str | None = None) -> Grain:
        """A declared grain, or the default one (what ``one_row_is`` says) when ``name`` is None."""
        for grain in self.grains:
            if name is None or grain.name == name:
                return grain
        if name is None:
            return Grain("", self.one_row_is)
        raise KeyError(f"'{name}' is not a grain of {self.name}; expected one of {', '.join(g.name for g in self.grains) or '(none)'}")

    def required_at(self, grain: str | None = None) -> list[str]:
        """The required fields at a grain (some are optional at another grain)."""
        optional = set(self.grain(grain).optional)
        return [name for name in self.required if name not in optional]

    @property
    def required(self) -> list[str]:
        return [f.name for f in self.fields.values() if f.required]

    @property
    def id_field(self) -> str:
        """The first id-typed required field (the event's key)."""
        for f in self.fields.values():
            if f.required and f.type in ("id", "pseudonym"):
                return f.name
        raise LookupError(self.name)


def slug(value: str) -> str:
    """Lower snake_case for metric names and file names: ``Pacific Islander`` -> ``pacific_islander``."""
    out = []
    for ch in str(value).strip().lower():
        out.append(ch if ch.isalnum() else "_")
    text = "".join(out)
    while "__" in text:
        text = text.replace("__", "_")
    return text.strip("_")


@lru_cache(maxsize=1)
def _read() -> tuple[dict[str, Enum], dict[str, Dataset]]:
    raw = yaml.load(_REGISTRY_FILE.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    enums = {
        name: Enum(name, tuple(str(v) for v in spec["values"]), str(spec["fallback"]))
        for name, spec in raw["enums"].items()
    }
    datasets = {}
    meanings = raw.get("field_meanings") or {}
    metric_docs = raw.get("metrics") or {}
    for name, spec in raw["datasets"].items():
        fields = {}
        for fname, fspec in spec["fields"].items():
            ftype = fspec["type"]
            enum = None
            if ftype.startswith("enum:"):
                enum = enums[ftype.split(":", 1)[1]]
                ftype = "enum"
            means = str(fspec.get("means") or meanings.get(fname) or "").strip()
            if not means:
                raise KeyError(f"datasets.yml: field {fname} of {name} has no meaning (field_meanings or means:)")
            fields[fname] = Field(fname, ftype, bool(fspec.get("required", False)), enum, means)
        datasets[name] = Dataset(
            name=name,
            title=spec["title"],
            one_row_is=spec["one_row_is"],
            event=spec["event"],
            fields=fields,
            unique=tuple(spec.get("unique", ())),
            one_of_required=tuple(tuple(group) for group in spec.get("one_of_required", ())),
            uses=tuple(spec.get("uses", ())),
            public_events=bool(spec.get("public_events", False)),
            public_events_reason=str(spec.get("public_events_reason", "")).strip(),
            public_counts=tuple(spec.get("public_counts", ())),
            grains=tuple(
                Grain(gname, str((gspec or {}).get("one_row_is") or spec["one_row_is"]).strip(),
                      tuple((gspec or {}).get("optional", ())), tuple(((gspec or {}).get("metrics") or {}).items()))
                for gname, gspec in (spec.get("grains") or {}).items()
            ),
            metrics=tuple(
                MetricDoc(mname, str(mspec["means"]), str(mspec["unit"]), str(mspec["basis"]), str(mspec.get("grain") or ""))
                for mname, mspec in (metric_docs.get(name) or {}).items()
            ),
        )
    for spec in datasets.values():
        if spec.public_events and not (spec.public_events_reason and spec.public_counts):
            raise KeyError(f"datasets.yml: {spec.name} has public_events without public_events_reason and public_counts")
        if spec.public_counts and not spec.public_events:
            raise KeyError(f"datasets.yml: {spec.name} names public_counts but its events are not public")
        unknown = [name for name in spec.uses if name not in datasets]
        if unknown:
            raise KeyError(f"datasets.yml: {spec.name} uses unknown dataset(s) {', '.join(unknown)}")
    return enums, datasets


def datasets() -> dict[str, Dataset]:
    """All canonical datasets by name, in the report's order."""
    return _read()[1]


def dataset(name: str) -> Dataset:
    """One canonical dataset; ``KeyError`` names the known ones."""
    all_datasets = datasets()
    if name not in all_datasets:
        raise KeyError(f"unknown dataset '{name}'; known: {', '.join(all_datasets)}")
    return all_datasets[name]


def enums() -> dict[str, Enum]:
    """The canonical value sets (race, sex, disposition, ...)."""
    return _read()[0]


def field_words(field_name: str) -> str:
    """A canonical field's name in words for a reader ("held_at" -> "meeting date", "meeting_id" -> "meeting
    identifier"); never the field name itself."""
    words = {
        "occurred_at": "date", "received_at": "date received", "closed_at": "date closed", "issued_at": "date issued",
        "started_at": "start date", "arrested_at": "arrest date", "held_at": "meeting date", "surveyed_at": "survey date",
        "completed_at": "completion date", "dispatched_at": "dispatch time", "arrived_at": "arrival time",
        "cleared_at": "time cleared", "period_end": "end of survey period", "officer_id": "officer identifier",
        "subject_id": "person identifier", "respondent_id": "respondent identifier", "lat": "latitude", "lon": "longitude",
        "disposition_detail": "the department's own wording of the finding", "subject_outcome_detail": "the department's own wording of the outcome",
        "force_level": "level of force", "subject_age_group": "age group of the person", "subject_age": "age of the person",
        "subject_race": "race of the person", "subject_sex": "sex of the person", "subject_injured": "injury to the person",
        "subject_hospitalized": "hospital treatment of the person", "officer_race": "race of the officer",
        "officer_sex": "sex of the officer", "officer_injured": "injury to the officer", "arrest_made": "whether an arrest was made",
        "call_type": "type of call", "agency_type": "service (police, fire or medical)", "geography_level": "level of geography",
        "respondent_group": "group of respondents", "sample_size": "number of people surveyed",
    }
    if field_name in words:
        return words[field_name]
    if field_name.endswith("_id"):
        return field_name[:-3].replace("_", " ") + " identifier"
    return field_name.replace("_", " ")
