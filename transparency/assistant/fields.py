"""The fields of one dataset proposed from one described file: each header scored against the field's words
(``words.yml``), times how well its values suit the field's type; the best first, each column once; a
required field no header names filled with the likeliest column, a constant or a made id, marked."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from transparency.core import registry
from transparency.reading.load import _canonical_lookup, _norm_key

from .profile import MAX_CODES, Candidate, Column, FileProfile, as_numbers, datetime_candidates
from .words import header_words, norm_value, stem, vocabulary

#: Below this score a header is not taken for a field.
MIN_SCORE = 0.3
#: Header names of a per-row serial (ignored when rows are compared for duplicates).
ROW_SERIALS = {"objectid", "id", "fid", "rowid", "row_id", "index", "recordid", "record_id", "oid"}


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


def field_words(dataset: str, field_name: str) -> dict:
    fields = vocabulary().fields
    own = fields.get(dataset, {}).get(field_name)
    return own if own is not None else fields.get("*", {}).get(field_name, {})


def _parsedfield_words(spec: dict) -> list[tuple[tuple[str, ...], float]]:
    out = []
    for text in spec.get("names", []):
        words_part, _, weight = str(text).partition("@")
        words = header_words(words_part.strip().replace(" ", "_"))
        out.append((words, float(weight) if weight else 1.0))
    return out


def name_score(words: tuple[str, ...], patterns: list[tuple[tuple[str, ...], float]], datetime: bool = False) -> float:
    """How well a header's words match a field's word sets: the share of the header's words a set covers."""
    have = stem(words) if datetime else words
    best = 0.0
    for pattern, weight in patterns:
        want = stem(pattern) if datetime else pattern
        if datetime and not want:  # a bare "date": only a header that says nothing else
            score = weight if not have else 0.0
        elif want and set(want) <= set(have):
            score = weight * len(set(want)) / len(set(have))
        else:
            score = 0.0
        best = max(best, score)
    return best


@lru_cache(maxsize=65536)
def enum_target(enum: registry.Enum, value: str) -> tuple[str | None, str]:
    """The canonical value a source value stands for and how it was found ("" when the loader needs no recode)."""
    lookup = _canonical_lookup(enum.values)
    if _norm_key(value) in lookup:
        return lookup[_norm_key(value)], ""
    table = vocabulary().values.get(enum.name, {})
    norm = norm_value(value)
    if norm in table:
        return table[norm], "synonym"
    close = difflib.get_close_matches(norm, [norm_value(v) for v in enum.values if len(v) > 3], n=1, cutoff=0.8)
    if close and len(norm) > 3:
        return next(v for v in enum.values if norm_value(v) == close[0]), "spelling"
    # A known name inside a longer value ("Died at hospital", "TEXT-911"): the longest one found.
    padded = f" {norm} "
    inside = [(len(src), target) for src, target in table.items()
              if (len(src) > 3 or src.isdigit()) and src != norm and f" {src} " in padded]
    if inside:
        return max(inside)[1], "words"
    return None, ""


@lru_cache(maxsize=65536)
def bool_target(value: str) -> tuple[bool | None, str]:
    key = _norm_key(value)
    if key in registry.BOOL_TRUE or key in registry.BOOL_FALSE:
        return (key in registry.BOOL_TRUE), ""
    words = set(norm_value(value).split())
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
        known = column.share(lambda v: enum_target(f.enum, v)[0] not in (None, f.enum.fallback))
        flag = bool(field_words(dataset, f.name).get("flag")) and shape == "bool"
        return 1.0 if known >= 0.5 or flag else 0.5 if known >= 0.2 else 0.35
    if f.type == "bool":
        if shape == "bool":
            return 1.0
        known = column.share(lambda v: bool_target(v)[0] is not None)
        return 0.8 if known >= 0.6 else 0.2
    if f.type == "age":
        if shape != "int":
            return 0.1
        numbers = as_numbers(column.counts)
        return 1.0 if ((numbers >= 0) & (numbers <= 120)).mean() >= 0.95 else 0.1
    if f.type in ("number", "count"):
        return 1.0 if shape in ("int", "number") else 0.1
    return 0.8 if shape == "bool" else 1.0  # category


def _values_score(dataset: str, field_name: str, column: Column) -> float:
    """A score from the cells themselves: districts named "EAST DISTRICT" in a column called UDTEXT24B."""
    words = field_words(dataset, field_name).get("values_say", [])
    if not words or column.distinct > 500 or column.shape not in ("text",):
        return 0.0
    share = column.share(lambda v: bool(set(norm_value(v).split()) & set(words)))
    return 0.8 if share >= 0.3 else 0.0


def propose_for_dataset(dataset: str, profile: FileProfile) -> DatasetProposal:
    """The fields of one dataset proposed from one file: each column at most once, best scores first."""
    spec = registry.dataset(dataset)
    cols = profile.columns
    dt_candidates = datetime_candidates(profile)
    scored: list[tuple[float, str, Candidate, str]] = []
    for fname, f in spec.fields.items():
        pats = field_words(dataset, fname)
        parsed = _parsedfield_words(pats)
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
        same = field_words(dataset, fname).get("same_as")
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
                           and c.shape == "int" and c.name.casefold() in ROW_SERIALS), None)
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

