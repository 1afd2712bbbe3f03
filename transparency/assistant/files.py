"""Several files: each file's best dataset, and the files of one dataset merged into one entry (a column
renamed between files taken as an alternative); :func:`propose` is the whole proposal for a set of files."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from transparency.core import registry

from .fields import DatasetProposal, Proposal, propose_file
from .profile import FileProfile, profile_file
from .values import complete

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
        # A serial in one file (empty in another, say) is the row id when every file has the column.
        serials = [c.proposal.row_id for c in group if c.proposal.row_id]
        if serials and len(set(serials)) == 1 and all(serials[0] in c.profile.columns for c in group):
            out.row_id = serials[0]
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
