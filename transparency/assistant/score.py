"""How often the mapping assistant proposes what a person wrote: its proposals from an agency's raw files
alone, compared item by item with that agency's hand-written agency.yml (tests/agencies/*).

Items: the dataset of each file; the source of each canonical field (`columns:`, and fields made by
`unpivot` or `explode`); the datetime formats of each dataset; each hand-written recode (the value the
assistant's configuration would give that source value: its own recode, or the loader's reading without
one); the grain of each dataset that has several. ``scripts/measure_assistant.py`` prints the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from transparency.core import registry
from transparency.core.config import Agency, FieldSource, load_agency, parse_field_source
from transparency.reading.load import _canonical_lookup, _norm_key

from .fields import DatasetProposal
from .files import propose
from .values import grains

KINDS = ("dataset", "fields", "formats", "recodes", "grain")


@dataclass
class Item:
    kind: str
    key: str
    expected: object
    proposed: object
    correct: bool


@dataclass
class AgencyScore:
    agency: str
    items: list[Item] = field(default_factory=list)
    extra_fields: int = 0  # fields the assistant mapped that the hand-written file does not

    def counts(self, kind: str | None = None) -> tuple[int, int]:
        chosen = [i for i in self.items if kind is None or i.kind == kind]
        return sum(i.correct for i in chosen), len(chosen)

    @property
    def share(self) -> float:
        right, total = self.counts()
        return right / total if total else 0.0


def _same_source(expected: FieldSource, proposed: FieldSource) -> bool:
    if expected.kind != proposed.kind:
        return False
    if expected.kind == "const":
        return str(expected.const).casefold() == str(proposed.const).casefold()
    if expected.kind in ("column", "synthetic", "year_of_birth"):
        return set(expected.columns) == set(proposed.columns)
    return dict(expected.parts) == dict(proposed.parts) and set(expected.columns) == set(proposed.columns)


def _effective(f: registry.Field, recodes: dict, value: str) -> str:
    """What the loader makes of a source value under these recodes, as comparable text."""
    table = {_norm_key(k): v for k, v in recodes.items()}
    key = _norm_key(value)
    if key in table:
        target = table[key]
    elif f.type == "enum":
        target = _canonical_lookup(f.enum.values).get(key, f.enum.fallback)
    elif f.type == "bool":
        target = True if key in registry.BOOL_TRUE else False if key in registry.BOOL_FALSE else "unknown"
    else:
        target = value
    return str(target).casefold()


def _main_files(agency: Agency, dataset: str) -> list[Path]:
    return [p for group in agency.file_groups[dataset] for p in agency.glob(group.glob)]


def score_agency(folder: Path) -> AgencyScore:
    """The assistant run on the raw files an agency's agency.yml reads, scored against that file."""
    agency = load_agency(folder)
    score = AgencyScore(Path(folder).name)
    expected_of: dict[Path, str] = {}
    for name in agency.dataset_names:
        for path in _main_files(agency, name):
            expected_of.setdefault(path.resolve(), name)
    proposals, choices = propose(list(expected_of))
    for choice in choices:
        chosen = choice.proposal.dataset if choice.proposal else None
        expected = expected_of[choice.profile.path.resolve()]
        score.items.append(Item("dataset", choice.profile.path.name, expected, chosen, chosen == expected))
    by_name: dict[str, DatasetProposal] = {p.dataset: p for p in proposals}
    for name in agency.dataset_names:
        _score_dataset(score, agency, name, by_name.get(name))
    return score


def _score_dataset(score: AgencyScore, agency: Agency, name: str, proposal: DatasetProposal | None) -> None:
    spec = registry.dataset(name)
    config = agency.dataset(name)
    groups = agency.file_groups[name]
    proposed: dict[str, FieldSource] = {}
    if proposal is not None:
        for fname, prop in proposal.fields.items():
            if not prop.decide or isinstance(prop.spec, dict) and "const" in prop.spec and prop.score > 0:
                proposed[fname] = parse_field_source(prop.spec, fname)
    # Files whose columns differ (per-file `columns:`) read one field from several columns: the same, for
    # the rows read, as those columns given as alternatives.
    expected: dict[str, FieldSource] = {}
    for group in groups:
        for fname, source in group.columns.items():
            known = expected.get(fname)
            if known is None:
                expected[fname] = source
            elif known.kind == source.kind == "column" and known != source:
                expected[fname] = FieldSource("column", columns=tuple(dict.fromkeys(known.columns + source.columns)))
    for fname, source in expected.items():
        got = proposed.get(fname)
        score.items.append(Item("fields", f"{name}.{fname}", _show(source), _show(got),
                                got is not None and _same_source(source, got)))
    score.extra_fields += len(set(proposed) - set(expected))
    if config.unpivot is not None:
        want = set(config.unpivot.columns)
        got = set(proposal.unpivot["columns"]) if proposal is not None and proposal.unpivot else set()
        score.items.append(Item("fields", f"{name}.unpivot", sorted(want), sorted(got), want == got))
    if config.explode is not None:
        want = (tuple(config.explode.columns), config.explode.sep)
        got = (tuple(proposal.explode["columns"]), proposal.explode["sep"]) if proposal is not None and proposal.explode else None
        score.items.append(Item("fields", f"{name}.explode", want, got, want == got))
    formats = {f for group in groups for f in group.datetime_format}
    if formats:
        got_formats = set(proposal.formats) if proposal is not None else set()
        score.items.append(Item("formats", name, sorted(formats), sorted(got_formats), formats == got_formats))
    for fname, recodes in config.values.items():
        f = spec.fields[fname]
        mine = proposal.values.get(fname, {}) if proposal is not None else {}
        for source_value, target in recodes.items():
            want = _effective(f, recodes, str(source_value))
            got = _effective(f, mine, str(source_value))
            score.items.append(Item("recodes", f"{name}.{fname}.{source_value}", target, got, want == got))
    names = grains(name)
    if len(names) > 1:
        want = config.grain or names[0]
        got = proposal.grain if proposal is not None else None
        score.items.append(Item("grain", name, want, got, want == got))


def _show(source: FieldSource | None) -> str:
    if source is None:
        return "-"
    if source.kind == "column":
        return ", ".join(source.columns)
    if source.kind == "const":
        return f"const {source.const}"
    return f"{source.kind} " + ", ".join(list(source.columns) + [f"{k}={v}" for k, v in source.parts])


def table(scores: list[AgencyScore]) -> str:
    """The measurement as a Markdown table: right/total per kind of item, and the share of all items."""
    lines = ["| agency | " + " | ".join(KINDS) + " | all | share | extra fields |",
             "|---|" + "---:|" * (len(KINDS) + 3)]
    totals = {kind: [0, 0] for kind in KINDS}
    for s in scores:
        cells = []
        for kind in KINDS:
            right, total = s.counts(kind)
            totals[kind][0] += right
            totals[kind][1] += total
            cells.append(f"{right}/{total}" if total else "-")
        right, total = s.counts()
        lines.append(f"| {s.agency} | " + " | ".join(cells) + f" | {right}/{total} | {s.share:.0%} | {s.extra_fields} |")
    right = sum(v[0] for v in totals.values())
    total = sum(v[1] for v in totals.values())
    lines.append("| **all** | " + " | ".join(f"{r}/{t}" for r, t in totals.values())
                 + f" | {right}/{total} | {right / total:.0%} | {sum(s.extra_fields for s in scores)} |")
    return "\n".join(lines)
