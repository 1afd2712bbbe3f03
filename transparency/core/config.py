"""The agency.yml schema: one validated model, with errors that name the key path and what was expected.

The syntax is documented in the README ("Agency configuration"). ``load_agency`` is the only entry point: it reads
the YAML safely (no object construction), validates it with pydantic, then checks what a schema alone
cannot (dataset and field names against the registry, recode targets, globs that stay inside the
agency's folder).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zoneinfo
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from . import registry
from .errors import ConfigError, ConfigErrors, DataError

#: libyaml's safe loader when PyYAML was built with it (about ten times faster), else the Python one.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

DEFAULT_MISSING = ("", "NULL", "null", "NA", "N/A", "n/a", "NaN", "nan", "None", "none", "#N/A")
DEFAULT_TRUE_FLAGS = ("y", "yes", "1", "true", "t", "x")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# --- How one canonical field is made from the source columns (the `columns:` forms) -----------------


@dataclass(frozen=True)
class FieldSource:
    """A canonical field's recipe, normalised from any of the `columns:` forms.

    ``kind`` is one of: ``column`` (``columns`` holds alternatives, first non-empty wins),
    ``datetime_parts`` (``parts``: date/time or year/month/day/time), ``race_ethnicity``,
    ``const``, ``synthetic`` (``columns`` empty means the whole row), ``year_of_birth``,
    ``first_of`` (``parts``: (column, label) pairs; the label of the first non-empty column, else ``const``).
    """

    kind: str
    columns: tuple[str, ...] = ()
    parts: tuple[tuple[str, str], ...] = ()
    const: Any = None
    hispanic: tuple[str, ...] = ()
    format: tuple[str, ...] = ()
    literal: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    count_sep: str | None = None
    # A {date, time} pair's own formats: the date column's (which may hold a time of its own, then
    # ignored) and the time column's. ``format`` is split between the two instead (see _split_format).
    date_format: tuple[str, ...] = ()
    time_format: tuple[str, ...] = ()
    # Date parts that are not columns: (part, "const" or "file_name", value); a file_name part is the
    # text a regular expression finds in the file's name (its group named as the part, else group 1).
    part_values: tuple[tuple[str, str, str], ...] = ()

    def source_columns(self) -> list[str]:
        """Every source column this recipe reads."""
        if self.kind == "first_of":
            return [col for col, _ in self.parts]
        return list(self.columns) + [col for _, col in self.parts]


_PART_KEYS = {"date", "time", "year", "month", "day"}
_OPTION_KEYS = {"format", "literal", "missing", "count", "date_format", "time_format"}
_FORMAT_DIRECTIVE = re.compile(r"%(.)")


def format_problem(fmt: str) -> str | None:
    """What is wrong with a datetime format, or None: a directive used twice (``%M`` in both a date's own
    time and a joined time column) makes Python's reader fail with a regular-expression error, and a
    ``%`` at the end reads nothing."""
    if fmt.endswith("%") and not fmt.endswith("%%"):
        return f"'{fmt}' ends with a lone %"
    seen: set[str] = set()
    for letter in _FORMAT_DIRECTIVE.findall(fmt):
        if letter == "%":
            continue
        if letter in seen:
            return (f"'{fmt}' uses %{letter} twice; each directive may appear once (a date column that holds a time "
                    "of its own beside a time column takes date_format and time_format: "
                    "{date: D, time: T, date_format: \"%m/%d/%Y %I:%M:%S %p\", time_format: \"%H%M\"})")
        seen.add(letter)
    return None


def _formats(value: Any, where: str) -> tuple[str, ...]:
    formats = _as_tuple(value)
    for fmt in formats:
        problem = format_problem(fmt)
        if problem:
            raise ValueError(f"{where}: {problem}")
    return formats


def _date_part(key: str, value: Any, where: str) -> tuple[str, str, str] | str:
    """A date part: a column name, or (part, "const"/"file_name", value)."""
    if isinstance(value, dict):
        if key not in ("year", "month", "day"):
            raise ValueError(f"{where}.{key}: expected a column name")
        if set(value) == {"const"} and value["const"] is not None and str(value["const"]).strip():
            return (key, "const", str(value["const"]).strip())
        if set(value) == {"file_name"} and isinstance(value["file_name"], str) and value["file_name"]:
            pattern = value["file_name"]
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{where}.{key}.file_name: '{pattern}' is not a regular expression ({exc})") from None
            if compiled.groups and key not in compiled.groupindex and compiled.groups > 1:
                raise ValueError(f"{where}.{key}.file_name: '{pattern}' has several groups; name the one to take (?P<{key}>...)")
            return (key, "file_name", pattern)
        raise ValueError(f"{where}.{key}: expected a column name, {{const: V}} or {{file_name: PATTERN}} "
                         f"(a regular expression whose group (?P<{key}>...) finds the {key} in the file's name)")
    if not isinstance(value, (str, int)) or not str(value).strip():
        raise ValueError(f"{where}.{key}: expected a column name")
    return str(value)


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    return (str(value),)


def parse_field_source(spec: Any, where: str) -> FieldSource:
    """Turn one `columns:` entry into a FieldSource; ``ValueError`` says what was expected."""
    expected = (
        "a column name, a list of alternative column names, or a mapping with one of "
        "column, date/time, year/month/day, race/ethnicity, const, synthetic, year_of_birth, first_of, any_of"
    )
    if isinstance(spec, str):
        if not spec.strip():
            raise ValueError(f"{where}: empty column name; expected {expected}")
        return FieldSource("column", columns=(spec,))
    if isinstance(spec, list):
        if not spec or not all(isinstance(s, str) and s.strip() for s in spec):
            raise ValueError(f"{where}: expected a non-empty list of column names")
        return FieldSource("column", columns=tuple(spec))
    if not isinstance(spec, dict):
        raise ValueError(f"{where}: expected {expected}, got {type(spec).__name__}")
    keys = set(spec)
    options = _source_options(spec, keys, where)
    main = keys - _OPTION_KEYS
    # One kind of entry per key that names it, checked in this order (the first key found decides).
    for key, make in _SOURCE_KINDS:
        if key in keys:
            return make(spec, keys, main, options, where)
    if main & _PART_KEYS:
        return _parts_source(spec, main, options, where)
    if main == {"column"}:
        return FieldSource(
            "column", columns=_as_tuple(spec["column"]), count_sep=spec.get("count"), **options
        )
    raise ValueError(f"{where}: expected {expected}")


def _source_options(spec: dict, keys: set, where: str) -> dict:
    """The options any mapping entry may have (format, literal, missing), checked with the keys that go with them."""
    options = {
        "format": _formats(spec.get("format"), f"{where}.format"),
        "literal": _as_tuple(spec.get("literal")),
        "missing": _as_tuple(spec.get("missing")),
    }
    if "" in options["literal"]:
        raise ValueError(f"{where}.literal: an empty cell is always missing; it cannot be kept as a value")
    if ("date_format" in keys or "time_format" in keys) and not ({"date", "time"} & keys):
        raise ValueError(f"{where}: date_format and time_format are for a date column and a time column joined "
                         "({date: D, time: T}); use format for one column")
    if "count" in spec and not (isinstance(spec["count"], str) and spec["count"]):
        raise ValueError(f"{where}.count: expected the separator of the list, such as \";\"")
    return options


def _const_source(spec: dict, keys: set, main: set, options: dict, where: str) -> FieldSource:
    if keys != {"const"}:
        raise ValueError(f"{where}: const takes no other keys (got {', '.join(sorted(keys - {'const'}))})")
    return FieldSource("const", const=spec["const"])


def _synthetic_source(spec: dict, keys: set, main: set, options: dict, where: str) -> FieldSource:
    if keys != {"synthetic"}:
        raise ValueError(f"{where}: synthetic takes no other keys")
    value = spec["synthetic"]
    if value is True:
        return FieldSource("synthetic")
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return FieldSource("synthetic", columns=tuple(value))
    raise ValueError(f"{where}.synthetic: expected true or a list of column names")


def _race_source(spec: dict, keys: set, main: set, options: dict, where: str) -> FieldSource:
    if not {"race", "ethnicity", "hispanic"} <= keys or main - {"race", "ethnicity", "hispanic"}:
        raise ValueError(f"{where}: expected race, ethnicity and hispanic (the ethnicity values that mean Hispanic)")
    return FieldSource(
        "race_ethnicity",
        columns=_as_tuple(spec["race"]),
        parts=(("ethnicity", str(spec["ethnicity"])),),
        hispanic=_as_tuple(spec["hispanic"]),
        **options,
    )


def _first_of_source(spec: dict, keys: set, main: set, options: dict, where: str) -> FieldSource:
    choices = spec["first_of"]
    if main != {"first_of", "otherwise"} and main != {"first_of"}:
        raise ValueError(f"{where}: first_of takes only `otherwise` besides")
    if not isinstance(choices, dict) or not choices:
        raise ValueError(f"{where}.first_of: expected a mapping of column name to label")
    return FieldSource(
        "first_of", parts=tuple((str(c), str(label)) for c, label in choices.items()),
        const=spec.get("otherwise"), **options,
    )


def _year_of_birth_source(spec: dict, keys: set, main: set, options: dict, where: str) -> FieldSource:
    if main != {"year_of_birth"}:
        raise ValueError(f"{where}: year_of_birth takes only format/literal/missing besides")
    return FieldSource("year_of_birth", columns=_as_tuple(spec["year_of_birth"]), **options)


def _any_of_source(spec: dict, keys: set, main: set, options: dict, where: str) -> FieldSource:
    flags = spec["any_of"]
    if keys - {"any_of", "literal", "missing"}:
        raise ValueError(f"{where}: any_of takes only literal/missing besides")
    if not isinstance(flags, list) or len(flags) < 1 or not all(isinstance(f, str) and f.strip() for f in flags):
        raise ValueError(f"{where}.any_of: expected a list of flag column names")
    return FieldSource("any_of", columns=tuple(flags), **options)


#: The entries named by one key, in the order they are looked for ("race" or "ethnicity" both name the race entry).
_SOURCE_KINDS = (
    ("const", _const_source),
    ("synthetic", _synthetic_source),
    ("race", _race_source),
    ("ethnicity", _race_source),
    ("first_of", _first_of_source),
    ("year_of_birth", _year_of_birth_source),
    ("any_of", _any_of_source),
)


def _parts_source(spec: dict, main: set, options: dict, where: str) -> FieldSource:
    """A datetime from a date and a time column, or from year, month (day, time) parts."""
    parts = main & _PART_KEYS
    if main - _PART_KEYS:
        raise ValueError(f"{where}: unexpected keys {', '.join(sorted(main - _PART_KEYS))}")
    if not ({"date"} <= parts and parts <= {"date", "time"}) and not (
        {"year", "month"} <= parts and parts <= {"year", "month", "day", "time"}
    ):
        raise ValueError(f"{where}: expected date (+ time) or year, month (+ day) (+ time)")
    date_format = _formats(spec.get("date_format"), f"{where}.date_format")
    time_format = _formats(spec.get("time_format"), f"{where}.time_format")
    if options["format"] and (date_format or time_format):
        raise ValueError(f"{where}: give either format (split between the date and the time column) or "
                         "date_format and time_format, not both")
    if date_format and "date" not in parts:
        raise ValueError(f"{where}.date_format: there is no date column (date_format reads `date`)")
    if time_format and "time" not in parts:
        raise ValueError(f"{where}.time_format: there is no time column (time_format reads `time`)")
    order = ("date", "year", "month", "day", "time")
    made = [(k, _date_part(k, spec[k], where)) for k in order if k in parts]
    return FieldSource(
        "datetime_parts", parts=tuple((k, v) for k, v in made if isinstance(v, str)),
        part_values=tuple(v for _, v in made if not isinstance(v, str)),
        date_format=date_format, time_format=time_format, **options,
    )


# --- The YAML models ---------------------------------------------------------------------------------


class Location(_Model):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Population(_Model):
    source: str
    total: int = Field(gt=0)
    by_race: dict[str, int] = {}
    year: int | None = None

    @field_validator("by_race")
    @classmethod
    def _races(cls, value: dict[str, int]) -> dict[str, int]:
        allowed = registry.enums()["race"].values
        for race, count in value.items():
            if race not in allowed:
                raise ValueError(f"'{race}' is not a canonical race; expected one of {', '.join(allowed)}")
            if count < 0:
                raise ValueError(f"population of {race} must not be negative")
        return value


class Suppression(_Model):
    min_count: int = Field(default=5, ge=1, le=100)


class ValidDates(_Model):
    from_: dt.date = Field(default=dt.date(1980, 1, 1), alias="from")


class ReportSchedule(_Model):
    cadence: Literal["quarterly"] = "quarterly"
    due_days: int = Field(default=45, ge=0, le=365)


class Publishing(_Model):
    """Where the reports are published and who answers questions (see transparency/rendering/publishing.py)."""

    url: str | None = None        # the web address of reports/<agency>/, where `transparency index` writes index.html
    contact: str | None = None    # an e-mail address for questions about the report
    logo: str | None = None       # an image file inside the agency's folder, shown on the cover

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        text = value.strip()
        if not re.fullmatch(r"https?://[^\s/?#]+\.[^\s/?#]+(/[^\s?#]*)?", text):
            raise ValueError("expected the web address of the published reports, such as "
                             "https://police.example.gov/transparency/ (http or https, no query)")
        return text.rstrip("/") + "/"

    @field_validator("contact")
    @classmethod
    def _contact(cls, value: str | None) -> str | None:
        if value is None:
            return None
        text = value.strip()
        if not re.fullmatch(r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+", text):
            raise ValueError("expected an e-mail address such as records@police.example.gov")
        return text


class MissingValues(_Model):
    """``missing_values: {replace: [...]}``: these cells, instead of the defaults, mean "not recorded"
    (an empty cell always does)."""

    replace: list[str]


class FileSpec(_Model):
    glob: str
    columns: dict[str, Any] = {}
    datetime_format: str | list[str] | None = None
    encoding: str | None = None
    sheet: str | int | None = None
    missing_values: list[str] | MissingValues | None = None
    delimiter: str | None = None


class Explode(_Model):
    columns: list[str] = Field(min_length=1)
    sep: str = ";"


class Unpivot(_Model):
    field: str
    columns: dict[str, str] = Field(min_length=1)
    true_values: list[str] = list(DEFAULT_TRUE_FLAGS)
    value: str | None = None  # with a value field: every non-empty cell becomes a (label, value) row
    otherwise: str | None = None  # a row with no flag set is kept with this label (else excluded as no_<field>)


class RelatedField(_Model):
    column: str | None = None
    agg: Literal["any", "any_row", "count", "sum", "max", "min", "first", "list", "most_serious"]
    order: list[str] | None = None
    sep: str = "; "

    @model_validator(mode="after")
    def _check(self) -> RelatedField:
        if self.agg == "most_serious" and not self.order:
            raise ValueError("agg most_serious needs `order`, the values from most to least serious")
        if self.agg not in ("any_row", "count") and not self.column:
            raise ValueError(f"agg {self.agg} needs `column`")
        return self


class Related(_Model):
    files: list[str] = Field(min_length=1)
    key: dict[str, str] = Field(min_length=1, max_length=1)
    fields: dict[str, RelatedField] = Field(min_length=1)
    # Only rows whose column holds one of these values (a long table of several kinds of row); the
    # others are excluded as not_selected.
    where: dict[str, list[Any]] = {}
    encoding: str | None = None
    missing_values: list[str] | MissingValues | None = None
    sheet: str | int | None = None
    delimiter: str | None = None


class PortalSource(_Model):
    """Where `transparency fetch` gets a dataset's records (see transparency/reading/fetch.py)."""

    portal: Literal["socrata", "ckan", "arcgis"]
    domain: str       # data.example.gov (https), or a full http(s)://host[:port] address
    dataset: str      # Socrata's four-by-four id, CKAN's resource id, or ArcGIS's layer path ending in /FeatureServer/N
    date_field: str   # the portal's column that dates a record (used by --since)
    file: str         # where each extract is written, relative to raw_root, holding {fetched}
    token_env: str | None = None  # the NAME of the environment variable holding an app token or key
    page_size: int = Field(default=1000, ge=1, le=50000)

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        text = value.strip().rstrip("/")
        if not re.fullmatch(r"(https?://)?[A-Za-z0-9.-]+(:\d{1,5})?", text):
            raise ValueError("expected a portal's domain such as data.example.gov (or http(s)://host:port)")
        return text if "://" in text else "https://" + text

    @field_validator("dataset", "date_field")
    @classmethod
    def _plain(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_./:-]+", value) or ".." in value:
            raise ValueError("expected an identifier (letters, digits, _ - . / :)")
        return value

    @field_validator("file")
    @classmethod
    def _file(cls, value: str) -> str:
        if "{fetched}" not in value:
            raise ValueError("expected a file name holding {fetched} (each extract is a new file), "
                             "such as raw/stops/portal_{fetched}.csv")
        if not value.endswith(".csv") or value.startswith("/") or ".." in Path(value).parts:
            raise ValueError("expected a .csv file name relative to the agency's raw folder, without ..")
        return value

    @field_validator("token_env")
    @classmethod
    def _token_env(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Z_][A-Z0-9_]*", value):
            raise ValueError("expected the name of an environment variable (such as SOCRATA_APP_TOKEN), "
                             "never the token itself")
        return value


class ExportPolicy(_Model):
    """How `transparency export` de-identifies the records it publishes (see transparency/building/export.py)."""

    dates: Literal["exact", "hour", "day", "month"] = "hour"   # how finely dates and times are published
    coordinates: Literal["drop", "round"] = "drop"           # lat/lon: left out, or rounded
    coordinate_decimals: int = Field(default=2, ge=0, le=4)  # with round: 2 decimals is about 1 km
    ids: Literal["pseudonym", "keep"] = "pseudonym"          # event ids: keyed hashes, or the agency's own
    drop: dict[str, list[str]] = {}                          # dataset -> fields never exported
    quasi_identifiers: list[str] | None = None               # default: race, sex, age group, district, month
    datasets: list[str] | None = None                        # which datasets to export (default: all configured)


class DatasetConfig(_Model):
    files: list[str | FileSpec] = Field(min_length=1)
    columns: dict[str, Any] = {}
    values: dict[str, dict[str, Any]] = {}
    datetime_format: str | list[str] | None = None
    encoding: str | None = None
    sheet: str | int | None = None
    delimiter: str | None = None
    missing_values: list[str] | MissingValues | None = None  # a list adds to DEFAULT_MISSING; {replace: [...]} replaces it
    duplicate_rows: Literal["exclude", "allowed"] = "exclude"
    row_id: str | list[str] | None = None
    # true: row_id is known to be a per-row serial, so rows that differ only in it are copies of one record
    # (without it, validate warns of them: a report number taken for a serial would hide real records).
    row_id_checked: bool = False
    duplicate_ids: Literal["error", "exclude", "keep"] = "error"
    normalize_ids: bool = False
    explode: Explode | None = None
    unpivot: Unpivot | None = None
    related: list[Related] = []
    notes: str | None = None
    private_columns: list[str] = []  # source columns whose values must never be published (scanned for)
    # Only rows whose canonical field holds one of these values are the dataset's (a dispatch centre's
    # calls: {agency_type: [POLICE]}); the others are excluded as out_of_scope_<field>.
    scope: dict[str, list[str]] = {}
    # false: the agency does not treat this dataset's events as public (registry's public_events), so no
    # list of events is published and their counts are suppressed like any other.
    publish_events: bool | None = None
    # How category values are shown to readers: field -> {stored value: label} (else sentence case; see labels.py).
    labels: dict[str, dict[Any, Any]] = {}
    # What one source row is (a grain of datasets.yml: complaint or allegation, incident or application);
    # the report's wording, metrics and methodology follow it. Default: the dataset's first grain.
    grain: str | None = None
    # Where `transparency fetch` gets the records from an open-data portal (optional).
    source: PortalSource | None = None


class AgencyModel(_Model):
    name: str = Field(min_length=1)
    timezone: str
    location: Location | None = None
    fiscal_year_start: int = Field(default=1, ge=1, le=12)
    page_size: Literal["letter", "a4"] = "letter"
    sworn_officers: int | None = Field(default=None, gt=0)
    population: Population | None = None
    suppression: Suppression = Suppression()
    raw_root: str | None = None
    valid_dates: ValidDates = ValidDates()
    report: ReportSchedule = ReportSchedule()
    response_targets: dict[str, float] = {}
    required_training: list[str] = []
    complaint_close_target_days: int | None = Field(default=None, gt=0)
    publishing: Publishing = Publishing()
    export: ExportPolicy | None = None  # set: `release` publishes the records too (see transparency/building/export.py)
    datasets: dict[str, DatasetConfig] = Field(min_length=1)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not an IANA time zone name such as America/Chicago") from None
        return value


# --- The validated agency, as the rest of the package sees it -------------------------------------------


@dataclass
class FileGroup:
    """One `files:` entry with the dataset's keys and its own overrides merged."""

    glob: str
    columns: dict[str, FieldSource]
    datetime_format: tuple[str, ...]
    encoding: str | None
    sheet: str | int | None
    missing_values: tuple[str, ...]
    delimiter: str | None


@dataclass
class Agency:
    """A validated agency configuration."""

    slug: str
    folder: Path
    config_path: Path
    model: AgencyModel
    raw_root: Path
    file_groups: dict[str, list[FileGroup]]

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def timezone(self) -> str:
        return self.model.timezone

    @property
    def min_count(self) -> int:
        return self.model.suppression.min_count

    def dataset(self, name: str) -> DatasetConfig:
        return self.model.datasets[name]

    def grain(self, name: str) -> registry.Grain:
        """What one source row of a dataset is: the declared ``grain:``, else the registry's default."""
        configured = self.model.datasets.get(name)
        return registry.dataset(name).grain(configured.grain if configured is not None else None)

    def labels(self, dataset: str, field: str) -> dict[str, str]:
        """The agency's labels for a category field (``labels:`` in agency.yml): stored value -> label."""
        configured = self.model.datasets.get(dataset)
        if configured is None:
            return {}
        return {str(value): str(label) for value, label in configured.labels.get(field, {}).items()}

    def events_public(self, name: str) -> bool:
        """Whether a dataset's events are published one by one, with exact counts: the registry says its
        events are public (``public_events``) and the agency has not turned that off (``publish_events: false``)."""
        configured = self.model.datasets.get(name)
        return registry.dataset(name).public_events and not (configured is not None and configured.publish_events is False)

    @property
    def dataset_names(self) -> list[str]:
        """Configured datasets in the registry's (the report's) order."""
        return [name for name in registry.datasets() if name in self.model.datasets]

    def glob(self, pattern: str) -> list[Path]:
        """The files under ``raw_root`` matching a ``files`` pattern, sorted.

        Raises DataError when none matches, or when a match lies outside the agency's folder (a link).
        """
        matches = sorted(p for p in self.raw_root.glob(pattern) if p.is_file())
        if not matches:
            raise DataError(str(self.raw_root / pattern), "matches no file (check `files` in agency.yml)")
        root = self.raw_root.resolve()
        for path in matches:
            if root not in path.resolve().parents:
                raise DataError(str(path), "lies outside the agency's folder (a link?)")
        return matches

    def input_files(self, dataset: str) -> list[Path]:
        """Every file a dataset reads (its main files, then its related tables'), in a stable order.

        Raises DataError as :meth:`glob` does.
        """
        paths = []
        for group in self.file_groups[dataset]:
            paths.extend(self.glob(group.glob))
        for related in self.dataset(dataset).related:
            for pattern in related.files:
                paths.extend(self.glob(pattern))
        return paths


class _Problems:
    """The configuration problems found so far: each check runs inside :meth:`each`, so that one failing
    check is noted and the next still runs."""

    def __init__(self) -> None:
        self.errors: list[ConfigError] = []

    def add(self, error: ConfigError) -> None:
        if not any(e.key == error.key and e.message == error.message for e in self.errors):
            self.errors.append(error)

    @contextmanager
    def each(self):
        try:
            yield
        except ConfigErrors as exc:
            for error in exc.problems:
                self.add(error)
        except ConfigError as exc:
            self.add(exc)

    def raise_if_any(self, path: Path) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise ConfigErrors(str(path), self.errors)


def _key_path(loc: tuple) -> str:
    return ".".join(str(part) for part in loc)


def _pydantic_message(error: dict) -> str:
    kind, msg = error.get("type", ""), error.get("msg", "")
    if kind == "missing":
        return "is required but missing"
    if kind == "extra_forbidden":
        return "is not a known key (check the spelling; see 'Agency configuration' in the README)"
    if kind == "too_short":
        return "must not be empty"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    got = error.get("input")
    if kind not in ("missing",) and not isinstance(got, (dict, list)) and got is not None:
        return f"{msg} (got {got!r})"
    return msg


def _clean_loc(loc: tuple) -> tuple:
    # pydantic puts union member names ('str', 'FileSpec') into the location; they mean nothing to a user.
    return tuple(p for p in loc if p not in ("str", "FileSpec", "list[str]", "MissingValues", "function-after[_check(), RelatedField]"))


def load_agency(where: str | Path) -> Agency:
    """Read and validate an agency.

    Parameters
    ----------
    where : str or Path
        ``data/<name>``, a folder holding ``agency.yml``, or the path of an ``agency.yml`` file.

    Raises
    ------
    ConfigError
        Naming the file, the key path and what was expected.
    """
    path = Path(where)
    if path.is_dir():
        path = path / "agency.yml"
    if not path.exists():
        raise ConfigError(str(path), "", "no agency.yml here")
    text = path.read_text(encoding="utf-8-sig", errors="strict")
    try:
        raw = yaml.load(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where_txt = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(str(path), "", f"not valid YAML: {where_txt}{problem}") from None
    if not isinstance(raw, dict):
        raise ConfigError(str(path), "", "expected a mapping of keys (name, timezone, datasets, ...)")
    # Every problem is collected, each with its key path, and all are reported at once.
    problems = _Problems()
    try:
        model = AgencyModel.model_validate(raw)
    except ValidationError as exc:
        model = None
        for error in exc.errors():
            problems.add(ConfigError(str(path), _key_path(_clean_loc(error["loc"])), _pydantic_message(error)))
        # The datasets that are valid on their own are still checked against the registry.
        datasets = raw.get("datasets")
        for name, entry in (datasets.items() if isinstance(datasets, dict) else ()):
            try:
                dataset_model = DatasetConfig.model_validate(entry)
            except ValidationError:
                continue  # its problems are listed above
            _check_dataset(path, str(name), dataset_model, problems)
        problems.raise_if_any(path)
    folder = path.parent
    raw_root = folder
    if model.raw_root:
        expanded = os.path.expandvars(model.raw_root)
        if "$" in expanded:
            problems.add(ConfigError(str(path), "raw_root", f"an environment variable in '{model.raw_root}' is not set"))
        else:
            raw_root = (folder / expanded).resolve()
            if not raw_root.is_dir():
                problems.add(ConfigError(str(path), "raw_root", f"folder '{raw_root}' does not exist"))
            else:
                with problems.each():
                    _check_raw_root(path, folder, raw_root)
    if model.publishing.logo is not None:
        with problems.each():
            _check_logo(path, model.publishing.logo)
    groups = {name: _check_dataset(path, name, ds, problems) for name, ds in model.datasets.items()}
    with problems.each():
        _check_open_data(path, model, groups)
    with problems.each():
        _refuse_slug_collision(path, folder)
    problems.raise_if_any(path)
    return Agency(
        slug=agency_slug(folder),
        folder=folder,
        config_path=path,
        model=model,
        raw_root=raw_root,
        file_groups=groups,
    )


#: Folders outside an agency's own where its raw_root may point, separated by os.pathsep: set by whoever runs
#: the build, not by agency.yml (see the README's threat model).
RAW_ROOTS_VARIABLE = "TRANSPARENCY_RAW_ROOTS"


def _check_raw_root(path: Path, folder: Path, raw_root: Path) -> None:
    """``raw_root`` must be the agency's folder or inside it, or inside a folder the person running the build
    allowed in ``$TRANSPARENCY_RAW_ROOTS``: agency.yml alone cannot make the build read ``/etc`` or a home folder."""
    inside = [folder.resolve()]
    allowed = [Path(os.path.expanduser(p)).resolve() for p in os.environ.get(RAW_ROOTS_VARIABLE, "").split(os.pathsep) if p.strip()]
    for root in inside + allowed:
        if raw_root == root or root in raw_root.parents:
            return
    raise ConfigError(str(path), "raw_root", f"'{raw_root}' lies outside the agency's folder; a folder elsewhere must be "
                      f"allowed by whoever runs the build: set {RAW_ROOTS_VARIABLE} to it (or a folder holding it)")


def _slug(folder_name: str) -> str:
    """A folder name's slug (see :func:`agency_slug`)."""
    return re.sub(r"[^a-z0-9_-]+", "-", folder_name.lower())


def _refuse_slug_collision(path: Path, folder: Path) -> None:
    """Two agency folders side by side whose names give one slug (``h07.x`` and ``h07-x``) would share a
    pseudonymisation key (one officer, one pseudonym in both) and overwrite each other's reports: refused."""
    folder = folder.resolve()
    slug = _slug(folder.name)
    try:
        siblings = [p for p in folder.parent.iterdir() if p.name != folder.name and _slug(p.name) == slug]
    except OSError:
        return
    for other in siblings:
        if (other / "agency.yml").is_file():
            raise ConfigError(str(path), "", f"the agency folders '{folder.name}' and '{other.name}' both give the "
                              f"agency name '{slug}', which names the pseudonymisation key and reports/{slug}/: "
                              "they would share one key and overwrite each other's reports. Rename one of them.")


#: Image files a cover may show (embedded in the report); larger files are refused.
LOGO_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}
LOGO_MAX_BYTES = 2_000_000


def _check_logo(path: Path, logo: str) -> None:
    """The logo must be an image file inside the agency's folder (never a path out of it, nor a link out)."""
    key = "publishing.logo"
    pure = Path(logo)
    if pure.is_absolute() or logo.startswith("~") or ".." in pure.parts:
        raise ConfigError(str(path), key, f"'{logo}' must be a file inside the agency's folder, relative to agency.yml")
    folder = path.parent.resolve()
    found = (folder / pure).resolve()
    if folder not in found.parents:
        raise ConfigError(str(path), key, f"'{logo}' lies outside the agency's folder (a link?)")
    if not found.is_file():
        raise ConfigError(str(path), key, f"no file '{logo}' in the agency's folder")
    if found.suffix.lower() not in LOGO_TYPES:
        raise ConfigError(str(path), key, f"'{logo}' is not a PNG, JPEG or SVG image")
    if found.stat().st_size > LOGO_MAX_BYTES:
        raise ConfigError(str(path), key, f"'{logo}' is larger than {LOGO_MAX_BYTES // 1_000_000} MB")


def missing_tokens(*settings: list[str] | MissingValues | None) -> tuple[str, ...]:
    """The cells that mean "not recorded", from the nearest ``missing_values`` that is set (a file's, then
    its dataset's): a list adds to :data:`DEFAULT_MISSING`, ``{replace: [...]}`` stands instead of it. An
    empty cell is always among them, so it never fills a required field."""
    tokens = list(DEFAULT_MISSING)
    for setting in settings:
        if setting is None:
            continue
        tokens = list(setting.replace) if isinstance(setting, MissingValues) else tokens + list(setting)
        break
    return tuple(dict.fromkeys([""] + [str(t).strip() for t in tokens]))


def _check_glob(path: Path, key: str, pattern: str) -> None:
    pure = Path(pattern)
    if pure.is_absolute() or pattern.startswith("~"):
        raise ConfigError(str(path), key, f"'{pattern}' must be relative to the agency folder (or raw_root)")
    if ".." in pure.parts:
        raise ConfigError(str(path), key, f"'{pattern}' must not leave the agency folder ('..' is not allowed)")


def _check_dataset(path: Path, name: str, ds: DatasetConfig, problems: _Problems | None = None) -> list[FileGroup]:
    """The checks a schema cannot make of one dataset; every problem is noted in ``problems`` (raised
    at once when none is given), each check running even when an earlier one failed."""
    own = problems is None
    problems = _Problems() if own else problems
    groups = _check_dataset_into(path, name, ds, problems)
    if own:
        problems.raise_if_any(path)
    return groups


def _check_dataset_into(path: Path, name: str, ds: DatasetConfig, problems: _Problems) -> list[FileGroup]:
    try:
        spec = registry.dataset(name)
    except KeyError as exc:
        problems.add(ConfigError(str(path), f"datasets.{name}", str(exc.args[0])))
        return []
    check = _DatasetCheck(path, name, ds, problems, spec)
    grain = check.grain()
    check.publish_events()
    base_columns = check.sources(ds.columns, f"{check.base}.columns")
    made_elsewhere = check.unpivot() | check.related()
    check.values()
    check.labels()
    check.scope()
    return [check.file_group(i, entry, base_columns, made_elsewhere, grain) for i, entry in enumerate(ds.files)]


class _DatasetCheck:
    """The checks a schema cannot make of one dataset, one method a part of its entry; each notes its
    problems in ``problems`` and goes on. Fields whose recipe is wrong are reported once (``broken``), and
    treated as mapped by the later checks."""

    def __init__(self, path: Path, name: str, ds: DatasetConfig, problems: _Problems, spec: registry.Dataset):
        self.path, self.name, self.ds, self.problems, self.spec = path, name, ds, problems, spec
        self.fields = spec.fields
        self.base = f"datasets.{name}"
        self.broken: set[str] = set()

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(str(self.path), key, message)

    def grain(self) -> str | None:
        if self.ds.grain is None:
            return None
        try:
            return self.spec.grain(self.ds.grain).name
        except KeyError as exc:
            self.problems.add(self.error(f"{self.base}.grain", str(exc.args[0])))
            return None

    def publish_events(self) -> None:
        if self.ds.publish_events and not self.spec.public_events:
            self.problems.add(self.error(
                f"{self.base}.publish_events",
                f"the events of {self.name} are not public (public_events in datasets.yml), so they cannot be published one by one; "
                "only `publish_events: false` may be set, for a dataset whose events are"))

    def check_field(self, key: str, field_name: str) -> None:
        if field_name not in self.fields:
            raise self.error(key, f"'{field_name}' is not a field of {self.name}; expected one of {', '.join(self.fields)}")

    def check_enum_value(self, key: str, f, value: Any) -> None:
        if f.type == "enum" and str(value) not in f.enum.values:
            raise self.error(key, f"'{value}' is not a canonical {f.enum.name} value; expected one of {', '.join(f.enum.values)}")

    def source_of(self, field_name: str, raw: Any, key: str) -> FieldSource:
        self.check_field(f"{key}.{field_name}", field_name)
        try:
            src = parse_field_source(raw, f"{key}.{field_name}")
        except ValueError as exc:
            where, _, message = str(exc).partition(": ")
            raise ConfigError(str(self.path), where, message) from None
        field_spec = self.fields[field_name]
        if src.kind == "datetime_parts" and field_spec.type != "datetime":
            raise self.error(f"{key}.{field_name}", "date/time parts only make a datetime field")
        if src.kind == "race_ethnicity" and not (field_spec.enum and field_spec.enum.name == "race"):
            raise self.error(f"{key}.{field_name}", "race/ethnicity only makes a race field")
        if src.kind == "year_of_birth" and field_spec.type != "age":
            raise self.error(f"{key}.{field_name}", "year_of_birth only makes an age field")
        if src.kind == "any_of" and field_spec.type != "bool":
            raise self.error(f"{key}.{field_name}", f"any_of makes a yes/no field; '{field_name}' is a "
                             f"{field_spec.type} field")
        if src.kind == "const" and field_spec.type == "enum":
            self.check_constant(f"{key}.{field_name}.const", field_name, src.const)
        return src

    def check_constant(self, key: str, field_name: str, const: Any) -> None:
        # A constant is read like a cell: a canonical value (any case) or a value recoded in `values`;
        # anything else would make every row the fallback.
        enum = self.fields[field_name].enum
        known = {_folded(v) for v in enum.values} | {_folded(v) for v in (self.ds.values.get(field_name) or {})}
        if _folded(const) not in known:
            raise self.error(key, f"'{const}' is not a canonical {enum.name} "
                             f"value nor recoded in values.{field_name}; expected one of {', '.join(enum.values)}")

    def sources(self, columns: dict[str, Any], key: str) -> dict[str, FieldSource]:
        out = {}
        for field_name, raw in columns.items():
            done = False
            with self.problems.each():
                out[field_name] = self.source_of(field_name, raw, key)
                done = True
            if not done:
                self.broken.add(field_name)
        return out

    def unpivot(self) -> set[str]:
        """The fields the flag columns make (not mapped to a column, yet mapped)."""
        ds, base, made = self.ds, self.base, set()
        if not ds.unpivot:
            return made
        with self.problems.each():
            made.add(ds.unpivot.field)
            self.check_field(f"{base}.unpivot.field", ds.unpivot.field)
            if ds.unpivot.field in ds.columns:
                raise self.error(f"{base}.unpivot.field", f"'{ds.unpivot.field}' is also in columns")
            if ds.unpivot.otherwise is not None:
                self.check_otherwise()
        if ds.unpivot.value:
            with self.problems.each():
                made.add(ds.unpivot.value)
                self.check_field(f"{base}.unpivot.value", ds.unpivot.value)
                if ds.unpivot.value in ds.columns:
                    raise self.error(f"{base}.unpivot.value", f"'{ds.unpivot.value}' is also in columns")
        return made

    def check_otherwise(self) -> None:
        unpivot, key = self.ds.unpivot, f"{self.base}.unpivot.otherwise"
        if unpivot.value:
            raise self.error(key, "is for flag columns: with `value`, an empty cell gives no row")
        if not unpivot.otherwise.strip():
            raise self.error(key, "expected a label, such as \"Not recorded\"")
        field_spec = self.fields[unpivot.field]
        if field_spec.type == "enum" and unpivot.otherwise not in field_spec.enum.values:
            raise self.error(key, f"'{unpivot.otherwise}' is not a canonical "
                             f"{field_spec.enum.name} value; expected one of {', '.join(field_spec.enum.values)}")

    def related(self) -> set[str]:
        """The fields the related tables make."""
        made = set()
        for i, rel in enumerate(self.ds.related):
            key = f"{self.base}.related.{i}"
            for pattern in rel.files:
                with self.problems.each():
                    _check_glob(self.path, f"{key}.files", pattern)
            for column, values in rel.where.items():
                if not values or any(not str(v).strip() for v in values):
                    self.problems.add(self.error(f"{key}.where.{column}",
                                                 "expected a non-empty list of the values whose rows are kept"))
            for field_name in rel.fields:
                made.add(field_name)
                with self.problems.each():
                    self.check_field(f"{key}.fields.{field_name}", field_name)
        return made

    def values(self) -> None:
        for field_name, recodes in self.ds.values.items():
            key = f"{self.base}.values.{field_name}"
            if field_name not in self.fields:
                with self.problems.each():
                    self.check_field(key, field_name)
                continue
            f = self.fields[field_name]
            for source_value, target in recodes.items():
                with self.problems.each():
                    self.check_enum_value(f"{key}.{source_value}", f, target)
                    if f.type == "bool" and not (isinstance(target, bool) or target is None or str(target).lower() in ("true", "false", "unknown")):
                        raise self.error(f"{key}.{source_value}", f"'{target}' is not true, false or unknown")

    def labels(self) -> None:
        for field_name, labels in self.ds.labels.items():
            with self.problems.each():
                _check_labels(self.path, f"{self.base}.labels.{field_name}", field_name, labels, self.check_field, self.fields)

    def scope(self) -> None:
        for field_name, allowed in self.ds.scope.items():
            key = f"{self.base}.scope.{field_name}"
            with self.problems.each():
                self.check_field(key, field_name)
                f = self.fields[field_name]
                if f.type not in ("category", "enum"):
                    raise self.error(key, f"a scope is a list of values of a category or enum field; "
                                     f"'{field_name}' is a {f.type} field")
                if not allowed or any(not value.strip() for value in allowed):
                    raise self.error(key, "expected a non-empty list of the values whose rows are kept")
                for value in allowed:
                    self.check_enum_value(key, f, value)

    def file_group(self, i: int, entry, base_columns: dict[str, FieldSource], made_elsewhere: set[str],
                   grain: str | None) -> FileGroup:
        """One ``files`` entry: its columns (the dataset's, then its own), checked for what must be mapped."""
        ds, base = self.ds, self.base
        spec_entry = FileSpec(glob=entry) if isinstance(entry, str) else entry
        with self.problems.each():
            _check_glob(self.path, f"{base}.files.{i}", spec_entry.glob)
        columns = dict(base_columns)
        columns.update(self.sources(spec_entry.columns, f"{base}.files.{i}.columns"))
        self.check_mapped(i, set(columns) | made_elsewhere | self.broken, grain)
        fmt = spec_entry.datetime_format or ds.datetime_format
        for value in _as_tuple(fmt):
            problem = format_problem(value)
            if problem:
                where = f"{base}.files.{i}.datetime_format" if spec_entry.datetime_format else f"{base}.datetime_format"
                self.problems.add(self.error(where, problem))
        return FileGroup(
            glob=spec_entry.glob,
            columns=columns,
            datetime_format=_as_tuple(fmt),
            encoding=spec_entry.encoding or ds.encoding,
            sheet=spec_entry.sheet if spec_entry.sheet is not None else ds.sheet,
            missing_values=missing_tokens(spec_entry.missing_values, ds.missing_values),
            delimiter=spec_entry.delimiter or ds.delimiter,
        )

    def check_mapped(self, i: int, mapped: set[str], grain: str | None) -> None:
        """The required fields, one of each one-of group, and the scope's fields mapped in files entry ``i``."""
        base = self.base
        missing = [f for f in self.spec.required_at(grain) if f not in mapped]
        if missing:
            self.problems.add(self.error(
                f"{base}.columns", f"required field(s) {', '.join(missing)} of {self.name} are not mapped to a source column"))
        for group in self.spec.one_of_required:
            if not any(g in mapped for g in group):
                self.problems.add(self.error(f"{base}.columns", f"one of {' or '.join(group)} must be mapped"))
        for field_name in self.ds.scope:
            if field_name in self.fields and field_name not in mapped:
                self.problems.add(self.error(
                    f"{base}.scope.{field_name}",
                    f"'{field_name}' is not mapped to a source column (files entry {i}), so no row could be kept"))


def _folded(value: Any) -> str:
    """A value as the loader matches it: trimmed, inner spaces collapsed, case folded."""
    return " ".join(str(value).split()).casefold()


def _check_labels(path: Path, key: str, field_name: str, labels: Any, check_field, fields) -> None:
    check_field(key, field_name)
    if fields[field_name].type != "category":
        raise ConfigError(str(path), key, f"labels are for category fields (the agency's own values); '{field_name}' is "
                          f"a {fields[field_name].type} field, whose values the report words itself")
    if not isinstance(labels, dict) or not labels:
        raise ConfigError(str(path), key, "expected a mapping of stored values to labels, such as "
                          "{\"ALARM - BURGLAR\": \"Burglar alarm\"}")
    seen: dict[str, object] = {}
    for value, label in labels.items():
        if value is None or not str(value).strip():
            raise ConfigError(str(path), key, "a stored value to label must not be empty")
        if not isinstance(label, str) or not label.strip():
            raise ConfigError(str(path), f"{key}.{value}", f"expected the label as text, not {label!r}")
        folded = " ".join(str(value).split()).casefold()
        if folded in seen:
            raise ConfigError(str(path), f"{key}.{value}", f"'{value}' is the same value as '{seen[folded]}' "
                              "(values match ignoring letter case and spaces)")
        seen[folded] = value


def agency_slug(folder: Path) -> str:
    """An agency's short name, from its folder's name alone (``data/Sample`` -> ``sample``): what its
    key, cache and reports are named by. Needs no valid agency.yml."""
    return _slug(Path(folder).resolve().name)


def find_agency(agency: str, root: Path | None = None) -> Path:
    """Resolve ``--agency``: a name under ``data/`` or a path to a folder holding agency.yml."""
    root = Path(root or os.environ.get("TRANSPARENCY_ROOT") or Path.cwd())
    candidates = [root / "data" / agency, Path(agency)]
    for candidate in candidates:
        if (candidate / "agency.yml").exists():
            return candidate
    from .errors import UsageError

    known = sorted(p.parent.name for p in (root / "data").glob("*/agency.yml")) if (root / "data").is_dir() else []
    hint = f"; known agencies: {', '.join(known)}" if known else ""
    raise UsageError(f"no agency '{agency}' (looked for data/{agency}/agency.yml){hint}")


def _check_open_data(path: Path, model: AgencyModel, groups: dict[str, list[FileGroup]]) -> None:
    """What the `source:` and `export:` keys' schema cannot check: an extract's file name must be one of the
    dataset's `files` (or the build would never read it), and the export policy names configured datasets and
    their canonical fields."""
    import fnmatch

    for name, ds in model.datasets.items():
        if ds.source is None:
            continue
        example = ds.source.file.replace("{fetched}", "20250101T000000Z")
        if not any(fnmatch.fnmatchcase(example, group.glob) for group in groups[name]):
            raise ConfigError(str(path), f"datasets.{name}.source.file",
                              f"'{ds.source.file}' matches none of the dataset's files "
                              f"({', '.join(g.glob for g in groups[name])}): the build would never read the extracts")
    policy = model.export or ExportPolicy()
    for key, names in (("export.datasets", policy.datasets or []), ("export.drop", list(policy.drop))):
        for name in names:
            if name not in model.datasets:
                raise ConfigError(str(path), key, f"'{name}' is not a configured dataset "
                                  f"(configured: {', '.join(model.datasets)})")
    for name, fields in policy.drop.items():
        known = registry.dataset(name).fields
        for field_name in fields:
            if field_name not in known:
                raise ConfigError(str(path), f"export.drop.{name}", f"'{field_name}' is not a field of {name}")
    for field_name in policy.quasi_identifiers or []:
        if field_name != "month" and not any(field_name in registry.dataset(n).fields or field_name.endswith("_age_group")
                                             for n in model.datasets):
            raise ConfigError(str(path), "export.quasi_identifiers",
                              f"'{field_name}' is not a field of any configured dataset (nor month)")

