"""The mapping assistant behind `transparency new-agency`: from raw files alone, which dataset each file is
and how its columns fill the canonical fields, every choice a guess with its reason.

One file is read as the loader reads it (:func:`transparency.load.read_raw`), each column described once
(:func:`profile_file`: its header's words, how full it is, its shape: a date, a time, a number, yes/no
flags, text), then every canonical dataset is tried against it (:func:`propose_for_dataset`) and the best
fit kept (:func:`propose_file`). Files given the same dataset become one entry (:func:`merge_files`).
The words read are data, in ``assistant.yml``; the datetime formats come from the loader's own inference,
the canonical values from the registry. Nothing here writes a file: :mod:`transparency.assistant_write`
does.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

from . import registry
from .config import DEFAULT_MISSING, DEFAULT_TRUE_FLAGS
from .load import TIME_CANDIDATES, AmbiguousFormat, _canonical_lookup, _norm_key, parse_datetimes, read_raw

_VOCABULARY = Path(__file__).with_name("assistant.yml")

#: Values kept per column to judge its shape and propose recodes (the most frequent first).
SAMPLE_VALUES = 3000
#: A column with more distinct values than this is not a code list: no recodes proposed, none listed.
MAX_CODES = 60
#: Below this score a header is not taken for a field.
MIN_SCORE = 0.3
#: Words that name a date or time part of a header rather than what it is.
_DATE_WORDS = {"date", "time", "datetime", "timestamp"}
#: Header names of a per-row serial (ignored when rows are compared for duplicates).
_ROW_SERIALS = {"objectid", "id", "fid", "rowid", "row_id", "index", "recordid", "record_id", "oid"}


# --- The vocabulary -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Vocabulary:
    words: dict[str, tuple[str, ...]]
    ignore: frozenset[str]
    dataset_words: dict[str, dict[str, float]]
    fields: dict[str, dict[str, dict]]
    values: dict[str, dict[str, str]]  # enum name -> normalised source text -> canonical value
    categories: dict[str, dict[str, str]]  # category field -> normalised source text -> usual name
    bool_words: dict[bool, frozenset[str]]

    @property
    def known(self) -> frozenset[str]:
        """Every word the vocabulary knows (to split a run of capitals such as FILENUM)."""
        out = set(self.words) | set(self.ignore)
        for names in self.dataset_words.values():
            out |= set(names)
        for per_dataset in self.fields.values():
            for spec in per_dataset.values():
                for pattern in spec.get("names", []):
                    out |= set(str(pattern).split("@")[0].split())
        return frozenset(w for w in out if len(w) > 1)


def _norm_value(text: str) -> str:
    """A cell value compared with the vocabulary: lower case, punctuation made a space."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", str(text).casefold()).split())


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    raw = yaml.safe_load(_VOCABULARY.read_text(encoding="utf-8"))
    words = {str(k): tuple(v) if isinstance(v, list) else (str(v),) for k, v in raw["words"].items()}
    values: dict[str, dict[str, str]] = {}
    for enum_name, canon in raw["values"].items():
        values[enum_name] = {_norm_value(src): str(target) for target, sources in canon.items() for src in sources}
    return Vocabulary(
        words=words,
        ignore=frozenset(raw["ignore"]),
        dataset_words={k: {str(w): float(s) for w, s in v.items()} for k, v in raw["datasets"].items()},
        fields=raw["fields"],
        values=values,
        categories={name: {_norm_value(src): str(target) for target, sources in canon.items() for src in sources}
                    for name, canon in raw.get("categories", {}).items()},
        bool_words={flag == "true": frozenset(ws) for flag, ws in raw["bool_words"].items()},
    )


def _segment(token: str, known: frozenset[str]) -> list[str] | None:
    """A run of letters split into known words (``filenum`` -> file, num), the fewest pieces; None if none."""
    best: dict[int, list[str]] = {0: []}
    for end in range(1, len(token) + 1):
        for start in range(max(0, end - 12), end):
            piece = token[start:end]
            if start in best and piece in known:
                candidate = best[start] + [piece]
                if end not in best or len(candidate) < len(best[end]):
                    best[end] = candidate
    return best.get(len(token))


def header_words(name: str) -> tuple[str, ...]:
    """A header's words in their long form: ``CitRace`` -> (citizen, race), ``INCNUM`` -> (incident, number)."""
    vocab = vocabulary()
    raw = re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", str(name))
    out: list[str] = []
    for token in raw:
        low = token.lower()
        pieces = [low]
        if low not in vocab.known and low not in vocab.words and token.isupper() and len(low) > 3:
            pieces = _segment(low, vocab.known) or [low]
        for piece in pieces:
            out.extend(vocab.words.get(piece, (piece,)))
    return tuple(w for w in out if w not in vocab.ignore)


# --- One file described -------------------------------------------------------------------------------


@dataclass
class Column:
    """One source column as the assistant sees it."""

    name: str
    words: tuple[str, ...]
    rows: int
    filled: int
    distinct: int
    counts: Counter  # value -> rows, for the most frequent values
    shape: str  # empty, datetime, date, time, int, number, bool, text
    formats: tuple[str, ...] = ()
    ambiguous: tuple[str, str] | None = None
    all_unique: bool = False

    @property
    def fill(self) -> float:
        return self.filled / self.rows if self.rows else 0.0

    def share(self, test) -> float:
        """The share of filled rows (among the sampled values) for which ``test(value)`` holds."""
        total = sum(self.counts.values())
        return sum(n for v, n in self.counts.items() if test(v)) / total if total else 0.0


@dataclass
class FileProfile:
    path: Path
    rows: int
    columns: dict[str, Column]
    words: tuple[str, ...]  # of the file's name


def _numbers(values) -> pd.Series:
    return pd.to_numeric(pd.Series(list(values), dtype="object").str.replace(",", "", regex=False), errors="coerce")


def _datetime_shape(values: list[str], words: tuple[str, ...]) -> tuple[str, tuple[str, ...], tuple[str, str] | None] | None:
    """(shape, formats, ambiguous pair) when nearly every value is a date, a datetime or (for a header that
    says time) a time of day; the formats are those the loader would infer."""
    series = pd.Series(values, dtype="object")
    if series.str.contains(r"\d", regex=True).mean() < 0.9:
        return None
    if "time" in words or "hour" in words:
        text = series
        if series.str.fullmatch(r"\d{1,4}").all():
            text = series.str.zfill(4)  # HHMM stored as a number, as the loader reads it
        try:
            parsed, used = parse_datetimes("1900-01-01 " + text, (), "UTC", candidates=tuple("%Y-%m-%d " + f for f in TIME_CANDIDATES))
        except AmbiguousFormat as exc:
            # "1805" is 18:05 (HHMM) or 18:00:05 (HHMMSS): the format with fewer parts, as the loader's
            # reading of a whole number of up to four digits has it.
            chosen = min(exc.formats, key=lambda f: f.count("%"))
            parsed, used = parse_datetimes("1900-01-01 " + text, (chosen,), "UTC"), [chosen]
            parsed = parsed[0]
        if used and parsed.notna().mean() >= 0.9:
            return "time", tuple(f.removeprefix("%Y-%m-%d ") for f in used), None
    if series.str.fullmatch(r"-?\d+(\.\d+)?").mean() > 0.5 and not series.str.fullmatch(r"\d{8}").all():
        return None  # numbers, not dates (an 8-digit YYYYMMDD column is let through)
    ambiguous = None
    try:
        parsed, used = parse_datetimes(series, (), "UTC")
    except AmbiguousFormat as exc:
        # Month first is the US custom: proposed, and said to be a decision.
        first, second = exc.formats
        chosen = first if first.find("%m") < first.find("%d") else second
        ambiguous = exc.formats
        parsed, used = parse_datetimes(series, (chosen,), "UTC")
        used = [chosen]
    if not used or parsed.notna().mean() < 0.9:
        return None
    formats = tuple(dict.fromkeys(f.removesuffix("%z") for f in used))
    has_time = any(re.search(r"%[HIMSp]", f) for f in formats)
    return ("datetime" if has_time else "date"), formats, ambiguous


def profile_column(name: str, series: pd.Series, missing: tuple[str, ...] = DEFAULT_MISSING) -> Column:
    """Describe one column of text cells: words, fill, distinct values and shape."""
    words = header_words(name)
    rows = len(series)
    present = series[~series.isin(missing) & series.notna()].astype(str)
    counts = Counter(present.value_counts().head(SAMPLE_VALUES).to_dict())
    column = Column(name, words, rows, len(present), int(present.nunique()), counts, "empty")
    if present.empty:
        return column
    column.all_unique = column.distinct == len(present)
    values = list(counts)
    lowered = {_norm_key(v) for v in values}
    if lowered <= set(registry.BOOL_TRUE) | set(registry.BOOL_FALSE) | set(DEFAULT_TRUE_FLAGS) and not lowered <= {"0", "1"}:
        column.shape = "bool"
        return column
    dated = _datetime_shape(values, words)
    if dated is not None:
        column.shape, column.formats, column.ambiguous = dated
        return column
    numbers = _numbers(values)
    if numbers.notna().all():
        column.shape = "int" if (numbers == numbers.round()).all() else "number"
        if lowered <= {"0", "1"}:
            column.shape = "bool" if column.distinct == 2 else column.shape
    else:
        column.shape = "text"
    return column


def profile_file(path: Path) -> FileProfile:
    """Read a raw file as the loader does and describe every column (once per file as it is now)."""
    path = Path(path)
    stat = path.stat()
    return _profile_file(path.resolve(), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _profile_file(path: Path, _mtime_ns: int, _size: int) -> FileProfile:
    frame, _encoding, _warnings = read_raw(Path(path))
    columns = {}
    for name in frame.columns:
        if name in columns:
            continue  # a header named twice: the loader reads the first
        series = frame[name]
        if isinstance(series, pd.DataFrame):
            series = series.iloc[:, 0]
        columns[name] = profile_column(name, series)
    stem = re.sub(r"[_\-.]+", " ", Path(path).stem)
    return FileProfile(Path(path), len(frame), columns, header_words(stem))


# --- Candidates: a column, or columns joined (a date and a time, year/month/day) ----------------------


@dataclass(frozen=True)
class Candidate:
    """A way to fill a field: the `columns:` value for agency.yml and the columns it uses."""

    spec: object  # str, or a dict for date/time parts
    columns: tuple[str, ...]
    words: tuple[str, ...]
    shape: str
    formats: tuple[str, ...] = ()
    fill: float = 0.0
    what: str = ""


def _stem(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(w for w in words if w not in _DATE_WORDS)


def datetime_candidates(profile: FileProfile) -> list[Candidate]:
    """Every way the file gives a datetime: a column, a date column and a time column with the same
    stem (OCCURRED_D and OCCURRED_T), or a date spread over year, month and day columns."""
    cols = profile.columns
    out = []
    dates = [c for c in cols.values() if c.shape in ("datetime", "date")]
    times = [c for c in cols.values() if c.shape == "time"]
    paired = set()
    for d in dates:
        if d.shape != "date":
            continue
        for t in times:
            if _stem(d.words) == _stem(t.words) and t.name not in paired:
                out.append(Candidate({"date": d.name, "time": t.name}, (d.name, t.name), _stem(d.words), "datetime",
                                     d.formats + t.formats, d.fill, "a date column and a time column"))
                paired |= {d.name, t.name}
                break
    for d in dates:
        if d.name not in paired:
            out.append(Candidate(d.name, (d.name,), _stem(d.words), d.shape, d.formats, d.fill,
                                 "dates and times" if d.shape == "datetime" else "dates"))

    def part(word_set: set[str], low: int, high: int) -> Column | None:
        for c in cols.values():
            if c.shape == "int" and set(c.words) & word_set:
                numbers = _numbers(c.counts)
                if numbers.min() >= low and numbers.max() <= high:
                    return c
        return None

    year, month, day = part({"year"}, 1900, 2100), part({"month"}, 1, 12), part({"day", "date"}, 1, 31)
    if year and month and day:
        spec = {"year": year.name, "month": month.name, "day": day.name}
        used = [year.name, month.name, day.name]
        formats: tuple[str, ...] = ()
        clocks = [c for c in cols.values() if "time" in c.words and c.shape in ("time", "int") and c.name not in paired]
        clock = min(clocks, key=lambda c: len(_stem(c.words)), default=None)  # a bare "Time" first
        if clock is not None:
            shaped = _datetime_shape(list(clock.counts), ("time",))
            if shaped and shaped[0] == "time":
                spec["time"] = clock.name
                used.append(clock.name)
                formats = shaped[1]
        out.append(Candidate(spec, tuple(used), (), "datetime", formats, year.fill, "a date spread over year, month and day columns"))
    return out


# --- Fields of one dataset proposed from one file -----------------------------------------------------


@dataclass
class Proposal:
    """How one canonical field is filled, and why."""

    field: str
    spec: object
    columns: tuple[str, ...]
    score: float
    why: str
    decide: str = ""  # non-empty: a decision the assistant could not make (the spec is a placeholder)


@dataclass
class DatasetProposal:
    """A file (or files) read as one canonical dataset."""

    dataset: str
    files: list[Path]
    fit: float
    fit_why: str
    fields: dict[str, Proposal]
    formats: tuple[str, ...] = ()
    values: dict[str, dict[str, object]] = field(default_factory=dict)  # field -> {source value: target}
    value_notes: dict[str, str] = field(default_factory=dict)  # field -> why these recodes
    undecided_values: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    explode: dict | None = None
    row_id: str | None = None
    duplicate_ids: str | None = None
    duplicate_note: str = ""
    grain: str | None = None
    grain_why: str = ""
    missing_values: list[str] = field(default_factory=list)  # besides the defaults
    missing_note: str = ""
    unpivot: dict | None = None
    unpivot_why: str = ""
    unmapped: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)


def _patterns(dataset: str, field_name: str) -> dict:
    fields = vocabulary().fields
    own = fields.get(dataset, {}).get(field_name)
    return own if own is not None else fields.get("*", {}).get(field_name, {})


def _parsed_patterns(spec: dict) -> list[tuple[tuple[str, ...], float]]:
    out = []
    for text in spec.get("names", []):
        words_part, _, weight = str(text).partition("@")
        words = header_words(words_part.strip().replace(" ", "_"))
        out.append((words, float(weight) if weight else 1.0))
    return out


def name_score(words: tuple[str, ...], patterns: list[tuple[tuple[str, ...], float]], datetime: bool = False) -> float:
    """How well a header's words match a field's word sets: the share of the header's words a set covers."""
    have = _stem(words) if datetime else words
    best = 0.0
    for pattern, weight in patterns:
        want = _stem(pattern) if datetime else pattern
        if datetime and not want:  # a bare "date": only a header that says nothing else
            score = weight if not have else 0.0
        elif want and set(want) <= set(have):
            score = weight * len(set(want)) / len(set(have))
        else:
            score = 0.0
        best = max(best, score)
    return best


@lru_cache(maxsize=65536)
def _enum_target(enum: registry.Enum, value: str) -> tuple[str | None, str]:
    """The canonical value a source value stands for and how it was found ("" when the loader needs no recode)."""
    lookup = _canonical_lookup(enum.values)
    if _norm_key(value) in lookup:
        return lookup[_norm_key(value)], ""
    table = vocabulary().values.get(enum.name, {})
    norm = _norm_value(value)
    if norm in table:
        return table[norm], "synonym"
    close = difflib.get_close_matches(norm, [_norm_value(v) for v in enum.values if len(v) > 3], n=1, cutoff=0.8)
    if close and len(norm) > 3:
        return next(v for v in enum.values if _norm_value(v) == close[0]), "spelling"
    # A known name inside a longer value ("Died at hospital", "TEXT-911"): the longest one found.
    padded = f" {norm} "
    inside = [(len(src), target) for src, target in table.items()
              if (len(src) > 3 or src.isdigit()) and src != norm and f" {src} " in padded]
    if inside:
        return max(inside)[1], "words"
    return None, ""


@lru_cache(maxsize=65536)
def _bool_target(value: str) -> tuple[bool | None, str]:
    key = _norm_key(value)
    if key in registry.BOOL_TRUE or key in registry.BOOL_FALSE:
        return (key in registry.BOOL_TRUE), ""
    words = set(_norm_value(value).split())
    words |= {w[:-1] for w in words if w.endswith("s") and len(w) > 3}  # "scrapes" is "scrape"
    vocab = vocabulary().bool_words
    if words & vocab[False]:
        return False, "words"
    if words & vocab[True]:
        return True, "words"
    return None, ""


def _type_fit(dataset: str, f: registry.Field, column: Column) -> float:
    """How well a column's values suit a field's type (0: not at all, 1: fully)."""
    shape = column.shape
    if shape == "empty":
        return 0.0
    if f.type == "datetime":
        return 1.0 if shape in ("datetime", "date") else 0.0
    if shape in ("datetime", "date", "time"):
        return 0.0
    if f.type in ("id", "pseudonym"):
        return 0.2 if shape == "bool" else 1.0
    if f.type in ("enum", "bool") and column.distinct > 4 * MAX_CODES:
        return 0.2  # not a code list
    if f.type == "enum":
        known = column.share(lambda v: _enum_target(f.enum, v)[0] not in (None, f.enum.fallback))
        flag = bool(_patterns(dataset, f.name).get("flag")) and shape == "bool"
        return 1.0 if known >= 0.5 or flag else 0.5 if known >= 0.2 else 0.35
    if f.type == "bool":
        if shape == "bool":
            return 1.0
        known = column.share(lambda v: _bool_target(v)[0] is not None)
        return 0.8 if known >= 0.6 else 0.2
    if f.type == "age":
        if shape != "int":
            return 0.1
        numbers = _numbers(column.counts)
        return 1.0 if ((numbers >= 0) & (numbers <= 120)).mean() >= 0.95 else 0.1
    if f.type in ("number", "count"):
        return 1.0 if shape in ("int", "number") else 0.1
    return 0.8 if shape == "bool" else 1.0  # category


def _values_score(dataset: str, field_name: str, column: Column) -> float:
    """A score from the cells themselves: districts named "EAST DISTRICT" in a column called UDTEXT24B."""
    words = _patterns(dataset, field_name).get("values_say", [])
    if not words or column.distinct > 500 or column.shape not in ("text",):
        return 0.0
    share = column.share(lambda v: bool(set(_norm_value(v).split()) & set(words)))
    return 0.8 if share >= 0.3 else 0.0


def propose_for_dataset(dataset: str, profile: FileProfile) -> DatasetProposal:
    """The fields of one dataset proposed from one file: each column at most once, best scores first."""
    spec = registry.dataset(dataset)
    cols = profile.columns
    dt_candidates = datetime_candidates(profile)
    scored: list[tuple[float, str, Candidate, str]] = []
    for fname, f in spec.fields.items():
        pats = _patterns(dataset, fname)
        parsed = _parsed_patterns(pats)
        if f.type == "datetime":
            for cand in dt_candidates:
                s = name_score(cand.words, parsed, datetime=True)
                if s > 0:
                    scored.append((s, fname, cand, f"name {s:.2f}, {cand.what}"))
            continue
        for column in cols.values():
            fit = _type_fit(dataset, f, column)
            if fit == 0:
                continue
            s = name_score(column.words, parsed)
            how = "name"
            v = _values_score(dataset, fname, column)
            if v > s:
                s, how = v, "values"
            s *= fit
            if s > 0:
                cand = Candidate(column.name, (column.name,), column.words, column.shape, column.formats, column.fill)
                scored.append((s, fname, cand, f"{how} {s:.2f}"))
    # Best first; among equals the fuller column, then the earlier one in the file.
    order = {name: i for i, name in enumerate(cols)}
    scored.sort(key=lambda item: (-round(item[0], 6), -item[2].fill, order.get(item[2].columns[0], 0)))
    used: set[str] = set()
    fields: dict[str, Proposal] = {}
    for s, fname, cand, why in scored:
        if s < MIN_SCORE or fname in fields or used & set(cand.columns):
            continue
        fields[fname] = Proposal(fname, cand.spec, cand.columns, s, why)
        used |= set(cand.columns)
    proposal = DatasetProposal(dataset, [profile.path], 0.0, "", fields)
    _fill_required(proposal, profile, dt_candidates, used)
    for fname in spec.fields:
        same = _patterns(dataset, fname).get("same_as")
        if same and fname not in fields and same in fields and not fields[same].decide:
            base = fields[same]
            fields[fname] = Proposal(fname, base.spec, base.columns, base.score * 0.9, f"the column of {same}")
    proposal.fields = {name: fields[name] for name in spec.fields if name in fields}
    proposal.fit, proposal.fit_why = _fit(dataset, profile, proposal)
    return proposal


def _fill_required(proposal: DatasetProposal, profile: FileProfile, dt_candidates: list[Candidate], used: set[str]) -> None:
    """Required fields no header named: the likeliest column, a constant or a made id, marked for review."""
    spec = registry.dataset(proposal.dataset)
    fields = proposal.fields
    for fname in spec.required:
        if fname in fields:
            continue
        f = spec.fields[fname]
        if f.type == "datetime":
            free = [c for c in dt_candidates if not used & set(c.columns)]
            if free:
                best = max(free, key=lambda c: c.fill)
                fields[fname] = Proposal(fname, best.spec, best.columns, 0.2, f"the only or fullest datetime ({best.what}); no header says {fname}")
                used |= set(best.columns)
            continue
        if f.type in ("id", "pseudonym"):
            serial = next((c for c in profile.columns.values() if c.name not in used and c.all_unique and c.fill == 1.0
                           and c.shape == "int" and c.name.casefold() in _ROW_SERIALS), None)
            if serial is not None:
                fields[fname] = Proposal(fname, serial.name, (serial.name,), 0.2,
                                         f"no {fname} column: {serial.name} is unique on every row, so each row is its own")
                used.add(serial.name)
            else:
                fields[fname] = Proposal(fname, {"synthetic": True}, (), 0.1, "no id column: an id made from each row's content",
                                         decide=f"{fname}: no column holds it; an id is made from each row (or name the columns that identify one)")
            continue
        if f.type == "enum":
            text = " ".join(profile.words + tuple(w for c in profile.columns.values() for w in c.words))
            table = vocabulary().values.get(f.enum.name, {})
            found = next((target for src, target in table.items() if len(src) > 2 and re.search(rf"\b{re.escape(src)}\b", text)), None)
            if found:
                fields[fname] = Proposal(fname, {"const": found}, (), 0.2, f"every row: the file's name or headers say {found}")
            else:
                fields[fname] = Proposal(fname, {"const": f.enum.fallback}, (), 0.0, "placeholder",
                                         decide=f"{fname}: no column holds it; set the constant every row has ({', '.join(f.enum.values)})")
            continue
        if any(fname in g.optional for g in spec.grains):
            continue  # optional at another grain, which propose_grain then proposes
        fields[fname] = Proposal(fname, {"const": "Not recorded"}, (), 0.0, "placeholder",
                                 decide=f"{fname}: no column holds it; name the column or a constant")
    for group in spec.one_of_required:
        if not any(g in fields for g in group):
            proposal.decisions.append(f"one of {' or '.join(group)} must be mapped: no column was recognised for either")


def _fit(dataset: str, profile: FileProfile, proposal: DatasetProposal) -> tuple[float, str]:
    """How likely the file is this dataset: its name's and headers' words, and how many fields it fills."""
    spec = registry.dataset(dataset)
    keywords = vocabulary().dataset_words.get(dataset, {})
    name_hits = sorted({w for w in profile.words if w in keywords})
    header_hits = sorted({w for c in profile.columns.values() for w in c.words if w in keywords})
    words_score = sum(keywords[w] for w in name_hits) + 0.5 * sum(keywords[w] for w in header_hits)
    required = [f for f in spec.required]
    found_required = sum(proposal.fields[f].score for f in required if f in proposal.fields) / max(1, len(required))
    optional = [f for f in spec.fields if f not in required and f in proposal.fields and proposal.fields[f].score >= 0.5]
    fields_score = 4 * found_required + 6 * len(optional) / max(4, len(spec.fields) - len(required))
    why = f"{len(optional) + sum(1 for f in required if f in proposal.fields and proposal.fields[f].score >= MIN_SCORE)} of {len(spec.fields)} fields found"
    if name_hits:
        why += f"; the file's name says {', '.join(name_hits)}"
    if header_hits:
        why += f"; headers say {', '.join(header_hits[:4])}"
    return round(min(words_score, 8) + fields_score, 2), why


def propose_file(profile: FileProfile, datasets: list[str] | None = None) -> list[DatasetProposal]:
    """Every dataset tried against a file, the best fit first."""
    proposals = [propose_for_dataset(name, profile) for name in (datasets or registry.datasets())]
    return sorted(proposals, key=lambda p: -p.fit)


# --- Values, lists, ids and grain ---------------------------------------------------------------------


def propose_values(proposal: DatasetProposal, profile: FileProfile) -> None:
    """Recodes for enum and yes/no fields from the distinct values; category spellings that differ only in
    case gathered under one; values nothing matches listed as decisions."""
    spec = registry.dataset(proposal.dataset)
    for fname, prop in proposal.fields.items():
        if len(prop.columns) != 1 or not isinstance(prop.spec, str):
            continue
        f = spec.fields[fname]
        column = profile.columns[prop.columns[0]]
        if column.distinct > MAX_CODES:
            continue
        recodes: dict[str, object] = {}
        undecided: list[tuple[str, int]] = []
        kinds: set[str] = set()
        if f.type == "enum":
            flag = _patterns(proposal.dataset, fname).get("flag")
            for value, n in column.counts.most_common():
                if flag and column.shape == "bool":
                    recodes[value] = flag["true" if _norm_key(value) in registry.BOOL_TRUE + DEFAULT_TRUE_FLAGS else "false"]
                    kinds.add("a yes/no flag")
                    continue
                target, how = _enum_target(f.enum, value)
                if target is None:
                    undecided.append((value, n))
                elif how:
                    recodes[value] = target
                    kinds.add(how)
        elif f.type == "bool":
            for value, n in column.counts.most_common():
                target, how = _bool_target(value)
                if target is None:
                    undecided.append((value, n))
                elif how:
                    recodes[value] = target
                    kinds.add("words in the values")
        elif f.type == "category":
            usual = vocabulary().categories.get(fname, {})
            for value in column.counts:
                target = usual.get(_norm_value(value))
                if target is not None and _norm_key(target) != _norm_key(value):
                    recodes[value] = target
                    kinds.add("usual names")
            groups: dict[str, list[tuple[str, int]]] = {}
            for value, n in column.counts.items():
                groups.setdefault(_norm_key(value), []).append((value, n))
            for spellings in groups.values():
                if len(spellings) > 1:
                    # The spelling kept: one not in capitals, else the most frequent.
                    keep = max(spellings, key=lambda s: (not s[0].isupper(), s[1]))[0]
                    for value, _n in spellings:
                        if value != keep and value.isupper() and value not in recodes:
                            recodes[value] = keep
                            kinds.add("one name in two spellings")
        if recodes:
            seen_keys: set[str] = set()
            recodes = {k: v for k, v in recodes.items() if not (_norm_key(k) in seen_keys or seen_keys.add(_norm_key(k)))}
            proposal.values[fname] = recodes
            proposal.value_notes[fname] = ", ".join(sorted(kinds))
        if undecided:
            proposal.undecided_values[fname] = undecided


_SEPARATORS = (", ", ";", "/", "|", ",")


def propose_explode(proposal: DatasetProposal, profile: FileProfile) -> None:
    """Force types listed in one cell ("Taser, Verbal Command") split into rows: the separator whose
    pieces are themselves values of the column."""
    prop = proposal.fields.get("force_type")
    if prop is None or len(prop.columns) != 1:
        return
    column = profile.columns[prop.columns[0]]
    singles = {_norm_key(v) for v in column.counts}
    for sep in _SEPARATORS:
        listed = [v for v in column.counts if sep in v]
        if not listed:
            continue
        pieces = [p.strip() for v in listed for p in v.split(sep) if p.strip()]
        if pieces and sum(_norm_key(p) in singles for p in pieces) / len(pieces) >= 0.5:
            proposal.explode = {"columns": [column.name], "sep": sep}
            return


def propose_ids(proposal: DatasetProposal, profile: FileProfile) -> None:
    """A per-row serial as `row_id` (so copies of a row are found), and `duplicate_ids` when an id that
    should name one row repeats now and then."""
    spec = registry.dataset(proposal.dataset)
    used = {c for p in proposal.fields.values() for c in p.columns}
    serial = next((c for c in profile.columns.values() if c.name not in used and c.name.casefold() in _ROW_SERIALS
                   and c.all_unique and c.shape == "int"), None)
    if serial is not None:
        proposal.row_id = serial.name
    id_field = spec.id_field
    prop = proposal.fields.get(id_field)
    if prop is None or len(prop.columns) != 1:
        return
    column = profile.columns[prop.columns[0]]
    repeats = column.filled - column.distinct
    if repeats <= 0:
        return
    if id_field in spec.unique or repeats <= max(1, column.filled // 1000):
        proposal.duplicate_ids = "exclude"
        proposal.duplicate_note = (f"{column.name} repeats on {repeats:,} of {column.filled:,} rows; "
                                   "if each should be one row, the repeats are excluded and counted")


def grains(dataset: str) -> tuple[str, ...]:
    """The grains a dataset's rows may have (datasets.yml), the default first."""
    return tuple(g.name for g in registry.dataset(dataset).grains)


def propose_grain(dataset: str, fields: dict[str, Proposal], profile: FileProfile, explode: dict | None = None) -> tuple[str | None, str]:
    """What one source row is (agency.yml's `grain:`), for the datasets with more than one grain in
    datasets.yml: use of force per application or per incident, complaints per allegation or per complaint."""
    if len(grains(dataset)) < 2:
        return None, ""
    id_field = registry.dataset(dataset).id_field
    prop = fields.get(id_field)
    repeats = False
    if prop is not None and len(prop.columns) == 1:
        column = profile.columns[prop.columns[0]]
        repeats = column.filled > column.distinct
    if dataset == "use_of_force":
        force = fields.get("force_type")
        if force is not None and not force.decide:
            listed = " (a cell may list several, split into rows)" if explode else ""
            return "application", f"a row names a type of force ({force.columns[0]}){listed}"
        return "incident", "no column names the type of force" + (" though an incident spans rows" if repeats else "")
    if dataset == "complaints":
        if "allegation" in fields or "allegation_type" in fields:
            return "allegation", "a row names an allegation" + (f" and {prop.columns[0]} repeats across rows" if repeats else "")
        if repeats:
            return "allegation", f"{prop.columns[0]} repeats across rows (several rows to a complaint)"
        return "complaint", f"{prop.columns[0] if prop else 'the id'} names one row each and no column names an allegation"
    return grains(dataset)[0], "the dataset's default"


def propose_missing(proposal: DatasetProposal) -> None:
    """A mark such as "-" that no field can read, found in code lists: proposed as "not recorded"."""
    marks: Counter = Counter()
    fields_of: dict[str, list[str]] = {}
    for fname, undecided in list(proposal.undecided_values.items()):
        kept = []
        for value, n in undecided:
            if re.fullmatch(r"[^\w\s]{1,3}", value):
                marks[value] += n
                fields_of.setdefault(value, []).append(fname)
            else:
                kept.append((value, n))
        if kept:
            proposal.undecided_values[fname] = kept
        else:
            del proposal.undecided_values[fname]
    if marks:
        proposal.missing_values = list(marks)
        proposal.missing_note = "; ".join(f"'{m}' in {', '.join(fields_of[m])} ({n:,} cells) reads as not recorded"
                                          for m, n in marks.items())


#: Words of a header that name a group of respondents: a score broken down by group, not an overall measure.
_GROUP_WORDS = {"race", "age", "sex", "education", "income", "male", "female", "white", "black", "hispanic", "asian", "other"}


def propose_unpivot(proposal: DatasetProposal, profile: FileProfile) -> None:
    """Published survey scores, one column per measure (SAFETY, TRUST), as (measure, value) rows: the
    numeric columns between 0 and 100 whose names do not name a group of respondents."""
    if proposal.dataset != "community_surveys" or {"question", "measure"} & set(proposal.fields):
        return
    used = {c for p in proposal.fields.values() for c in p.columns}
    measures = {}
    for column in profile.columns.values():
        if column.name in used or column.shape not in ("number", "int") or set(column.words) & _GROUP_WORDS:
            continue
        numbers = _numbers(column.counts)
        if numbers.min() >= 0 and numbers.max() <= 100 and column.distinct > 10:
            measures[column.name] = registry.slug(column.name)
    if len(measures) >= 1:
        proposal.unpivot = {"field": "measure", "value": "value", "columns": measures}
        proposal.unpivot_why = ("numeric columns of scores from 0 to 100, one per measure; each filled cell becomes a "
                                "(measure, value) row; columns naming a group of respondents (race, age, sex...) left out")
        grouped = [c for c in profile.columns.values() if c.shape in ("number", "int") and set(c.words) & _GROUP_WORDS]
        if grouped and "respondent_group" not in proposal.fields:
            proposal.fields["respondent_group"] = Proposal(
                "respondent_group", {"const": "all"}, (), 0.5,
                f"the measures kept are the overall scores; {len(grouped)} columns break them down by group of respondents")
        proposal.decisions = [d for d in proposal.decisions if "question or measure" not in d]


def unmapped_columns(proposal: DatasetProposal, profile: FileProfile) -> list[str]:
    used = {c for p in proposal.fields.values() for c in p.columns}
    if proposal.unpivot:
        used |= set(proposal.unpivot["columns"])
    if proposal.row_id:
        used.add(proposal.row_id)
    return [name for name in profile.columns if name not in used]


def complete(proposal: DatasetProposal, profile: FileProfile) -> DatasetProposal:
    """Everything proposed beyond the fields: formats, recodes, list cells, ids, grain, what is left."""
    formats: list[str] = []
    for prop in proposal.fields.values():
        for col in prop.columns:
            column = profile.columns[col]
            if column.shape in ("datetime", "date", "time"):
                formats.extend(column.formats)
                if column.ambiguous:
                    proposal.ambiguous.append(
                        f"{col}: dates such as these read as {column.ambiguous[0]} or {column.ambiguous[1]}; month first was proposed")
            elif isinstance(prop.spec, dict) and prop.spec.get("time") == col:
                shaped = _datetime_shape(list(column.counts), ("time",))
                if shaped:
                    formats.extend(shaped[1])
    # Date formats first, then times (the loader gives each part of a date/time pair its own).
    ordered = sorted(dict.fromkeys(formats), key=lambda f: bool(re.match(r"%[HIMSp]", f)))
    proposal.formats = tuple(ordered)
    propose_values(proposal, profile)
    propose_missing(proposal)
    propose_unpivot(proposal, profile)
    propose_explode(proposal, profile)
    propose_ids(proposal, profile)
    proposal.grain, proposal.grain_why = propose_grain(proposal.dataset, proposal.fields, profile, proposal.explode)
    proposal.unmapped = unmapped_columns(proposal, profile)
    proposal.decisions = [p.decide for p in proposal.fields.values() if p.decide] + proposal.decisions
    return proposal


# --- Several files ------------------------------------------------------------------------------------


#: A file whose best fit scores below this is not proposed as any dataset.
MIN_FIT = 3.0


@dataclass
class FileChoice:
    profile: FileProfile
    proposal: DatasetProposal | None
    runner_up: str = ""


def choose(profiles: list[FileProfile]) -> list[FileChoice]:
    """Each file's best dataset (None when nothing fits well enough)."""
    out = []
    for profile in profiles:
        ranked = propose_file(profile)
        best = ranked[0]
        runner = f"{ranked[1].dataset} {ranked[1].fit:.1f}" if len(ranked) > 1 else ""
        out.append(FileChoice(profile, complete(best, profile) if best.fit >= MIN_FIT else None, runner))
    return out


def _renamed_column(field_name: str, column: str, profile: FileProfile, used: set[str], others: set[str]) -> str | None:
    """The column of another file that is this one renamed (CURRENT_BA -> CURRENT_BAxx)."""
    names = [c for c in profile.columns if c not in used and c not in others]
    close = difflib.get_close_matches(column, names, n=1, cutoff=0.7)
    return close[0] if close else None


def merge_files(choices: list[FileChoice]) -> list[DatasetProposal]:
    """Files of one dataset as one entry: a field read from differently named columns takes them as
    alternatives (the first present and filled, per row), formats and recodes of every file together."""
    by_dataset: dict[str, list[FileChoice]] = {}
    for choice in choices:
        if choice.proposal is not None:
            by_dataset.setdefault(choice.proposal.dataset, []).append(choice)
    merged = []
    for name in registry.datasets():
        group = by_dataset.get(name)
        if not group:
            continue
        first = group[0].proposal
        if len(group) == 1:
            merged.append(first)
            continue
        fields: dict[str, Proposal] = {}
        for fname in registry.dataset(name).fields:
            specs = [(c, c.proposal.fields.get(fname)) for c in group]
            found = [p for _, p in specs if p is not None and not p.decide]
            if not found:
                decided = next((p for _, p in specs if p is not None), None)
                if decided is not None:
                    fields[fname] = decided
                continue
            if all(p.spec == found[0].spec for p in found) and len(found) == len(specs):
                fields[fname] = found[0]
                continue
            singles = [p for p in found if isinstance(p.spec, str)]
            richer = [p for p in found if isinstance(p.spec, dict)
                      and all(set(p.columns) <= set(c.profile.columns) for c in group)]
            if richer:
                fields[fname] = richer[0]
                fields[fname].why += "; the same columns in every file (empty in some)"
                continue
            if len(singles) != len(found):
                fields[fname] = found[0]  # differing date/time recipes: the first file's, to review
                fields[fname].why += "; the files differ: check the others"
                continue
            alternatives = list(dict.fromkeys(p.spec for p in singles))
            for choice, p in specs:
                if p is None or p.decide:
                    used = {col for q in choice.proposal.fields.values() for col in q.columns}
                    for col in list(alternatives):
                        others = set().union(*(set(o.profile.columns) for o in group if o is not choice))
                        renamed = _renamed_column(fname, col, choice.profile, used, others)
                        if renamed and renamed not in alternatives:
                            alternatives.append(renamed)
                            first.renamed[renamed] = col
            spec = alternatives[0] if len(alternatives) == 1 else alternatives
            fields[fname] = Proposal(fname, spec, tuple(alternatives), min(p.score for p in found),
                                     found[0].why + ("; alternatives, one per file" if len(alternatives) > 1 else ""))
        out = DatasetProposal(name, [c.profile.path for c in group], min(c.proposal.fit for c in group), first.fit_why, fields)
        out.formats = tuple(sorted(dict.fromkeys(f for c in group for f in c.proposal.formats), key=lambda f: bool(re.match(r"%[HIMSp]", f))))
        for c in group:
            for fname, recodes in c.proposal.values.items():
                out.values.setdefault(fname, {}).update(recodes)
                out.value_notes.setdefault(fname, c.proposal.value_notes.get(fname, ""))
            for fname, undecided in c.proposal.undecided_values.items():
                seen = dict(out.undecided_values.get(fname, []))
                for value, n in undecided:
                    seen[value] = seen.get(value, 0) + n
                out.undecided_values[fname] = sorted(seen.items(), key=lambda item: -item[1])
            out.ambiguous.extend(a for a in c.proposal.ambiguous if a not in out.ambiguous)
        out.explode = first.explode
        out.unpivot, out.unpivot_why = first.unpivot, first.unpivot_why
        out.missing_values = list(dict.fromkeys(m for c in group for m in c.proposal.missing_values))
        out.missing_note = "; ".join(dict.fromkeys(c.proposal.missing_note for c in group if c.proposal.missing_note))
        rows_ids = {c.proposal.row_id for c in group}
        out.row_id = first.row_id if len(rows_ids) == 1 else None
        out.duplicate_ids = next((c.proposal.duplicate_ids for c in group if c.proposal.duplicate_ids), None)
        out.duplicate_note = next((c.proposal.duplicate_note for c in group if c.proposal.duplicate_note), "")
        out.grain, out.grain_why = first.grain, first.grain_why
        used = {col for p in fields.values() for col in p.columns} | ({out.row_id} if out.row_id else set())
        out.unmapped = [col for col in dict.fromkeys(c2 for c in group for c2 in c.profile.columns) if col not in used]
        out.decisions = list(dict.fromkeys(d for p in fields.values() if p.decide for d in [p.decide]))
        out.renamed = first.renamed
        merged.append(out)
    return merged


def propose(paths: list[Path]) -> tuple[list[DatasetProposal], list[FileChoice]]:
    """The whole proposal for a set of raw files: datasets (files of one dataset merged) and each file's choice."""
    choices = choose([profile_file(Path(p)) for p in paths])
    return merge_files(choices), choices
