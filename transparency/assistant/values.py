"""What a dataset needs beyond its columns, from the values: recodes for enum and yes/no fields, marks that
mean "not recorded", list cells to split, survey measures to unpivot, row serials, repeated ids, the grain;
and what is left unmapped (:func:`complete` does it all)."""

from __future__ import annotations

import re
from collections import Counter

from transparency.core import registry
from transparency.core.config import DEFAULT_TRUE_FLAGS
from transparency.reading.load import _norm_key

from .fields import ROW_SERIALS, DatasetProposal, Proposal, bool_target, enum_target, field_words
from .profile import MAX_CODES, FileProfile, as_numbers, datetime_shape
from .words import norm_value, vocabulary

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
            flag = field_words(proposal.dataset, fname).get("flag")
            for value, n in column.counts.most_common():
                if flag and column.shape == "bool":
                    recodes[value] = flag["true" if _norm_key(value) in registry.BOOL_TRUE + DEFAULT_TRUE_FLAGS else "false"]
                    kinds.add("a yes/no flag")
                    continue
                target, how = enum_target(f.enum, value)
                if target is None:
                    undecided.append((value, n))
                elif how:
                    recodes[value] = target
                    kinds.add(how)
        elif f.type == "bool":
            for value, n in column.counts.most_common():
                target, how = bool_target(value)
                if target is None:
                    undecided.append((value, n))
                elif how:
                    recodes[value] = target
                    kinds.add("words in the values")
        elif f.type == "category":
            usual = vocabulary().categories.get(fname, {})
            for value in column.counts:
                target = usual.get(norm_value(value))
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
            # One entry per value as the loader matches it (ignoring case and spacing), counts added.
            merged: dict[str, list] = {}
            for value, n in undecided:
                merged.setdefault(_norm_key(value), [value, 0])[1] += n
            proposal.undecided_values[fname] = sorted(((v, n) for v, n in merged.values()), key=lambda item: -item[1])


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
    serial = next((c for c in profile.columns.values() if c.name not in used and c.name.casefold() in ROW_SERIALS
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
        numbers = as_numbers(column.counts)
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
                shaped = datetime_shape(list(column.counts), ("time",))
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

