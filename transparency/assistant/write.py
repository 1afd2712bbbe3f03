"""`transparency new-agency`: a first agency.yml written from raw files, every guess marked for review.

The proposals come from the rest of :mod:`transparency.assistant`; this module writes them as a commented agency.yml
(``# GUESS (...)`` on each guess with its reason, ``# DECIDE`` on each choice left to a person, the
columns no field takes listed), then loads the agency as `transparency validate` does and says what is
left to decide. Raw files are referred to where they are: nothing is copied.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from transparency.core import registry
from transparency.core.config import DEFAULT_MISSING
from transparency.core.errors import TransparencyError, UsageError

from .fields import DatasetProposal
from .files import FileChoice, propose
from .values import grains

#: At most this many values are listed in a comment (only values of code-list columns are ever listed).
LISTED_VALUES = 8
LISTED_VALUE_LENGTH = 40


@dataclass
class Written:
    """What `new-agency` wrote and what is left to a person."""

    path: Path
    datasets: list[DatasetProposal]
    choices: list[FileChoice]
    decisions: list[str] = field(default_factory=list)
    raw_root_outside: Path | None = None


def _flow(value) -> str:
    """A YAML value on one line (quoted when YAML needs it)."""
    text = yaml.safe_dump([value], default_flow_style=True, width=1 << 20, allow_unicode=True).strip()
    return text[1:-1]


def _comment(text: str) -> str:
    return " ".join(str(text).split())


def _line(indent: int, body: str, comment: str = "") -> str:
    text = " " * indent + body
    if comment:
        text = text.ljust(indent + 40) + "  # " + _comment(comment)
    return text


def _shown(value: str) -> str:
    text = _comment(value)
    return repr(text if len(text) <= LISTED_VALUE_LENGTH else text[: LISTED_VALUE_LENGTH - 1] + "…")


def _glob_of(path: Path, base: Path) -> str:
    """A file's `files:` entry: its path relative to ``base``, with glob characters escaped."""
    rel = Path(os.path.relpath(path, base)).as_posix()
    return re.sub(r"([*?\[])", r"[\1]", rel)


def dataset_lines(proposal: DatasetProposal, base: Path) -> tuple[list[str], list[str]]:
    """The agency.yml lines of one dataset (indented under ``datasets:``) and the decisions it leaves."""
    spec = registry.dataset(proposal.dataset)
    decisions: list[str] = []
    names = ", ".join(p.name for p in proposal.files)
    out = [_line(2, f"{proposal.dataset}:", f"GUESS (fit {proposal.fit:.1f}): {names}: {proposal.fit_why}")]
    if proposal.grain:
        out.append(_line(4, f"grain: {proposal.grain}",
                         f"GUESS: {proposal.grain_why} (one of {', '.join(grains(proposal.dataset))}: what one row is)"))
    out.append(_line(4, "files:"))
    out += [_line(6, f"- {_flow(_glob_of(p, base))}") for p in proposal.files]
    out.append(_line(4, "columns:"))
    for fname, prop in proposal.fields.items():
        if prop.decide:
            out.append(_line(6, f"{fname}: {_flow(prop.spec)}", f"DECIDE: {prop.decide}"))
            decisions.append(f"{proposal.dataset}.columns.{prop.decide}")
            continue
        note = f"GUESS ({prop.why})"
        renamed = [f"{new} is {old} renamed" for new, old in proposal.renamed.items() if new in prop.columns]
        if renamed:
            note += "; " + "; ".join(renamed)
        out.append(_line(6, f"{fname}: {_flow(prop.spec)}", note))
    missing = [f for f in spec.fields if f not in proposal.fields]
    if missing:
        out.append(_line(6, "# Not found in the files (add them if a column holds them): " + ", ".join(missing)))
    if proposal.formats:
        fmt = proposal.formats[0] if len(proposal.formats) == 1 else list(proposal.formats)
        out.append(_line(4, f"datetime_format: {_flow(fmt)}", "GUESS: the formats that read every date and time "
                         "(the loader's inference); dates first, then times of a date/time pair"))
    for note in proposal.ambiguous:
        out.append(_line(4, f"# DECIDE: {_comment(note)}"))
        decisions.append(f"{proposal.dataset}.datetime_format: {note}")
    if proposal.values:
        out.append(_line(4, "values:"))
    elif proposal.undecided_values:
        out.append(_line(4, "values: {}"))
    for fname in proposal.fields:
        recodes = proposal.values.get(fname, {})
        undecided = proposal.undecided_values.get(fname, [])
        if not recodes and not undecided:
            continue
        f = spec.fields[fname]
        if recodes:
            out.append(_line(6, f"{fname}:", f"GUESS ({proposal.value_notes.get(fname, '')})"))
            out += [_line(8, f"{_flow(str(k))}: {_flow(v)}") for k, v in recodes.items()]
        if undecided:
            fallback = f.enum.fallback if f.enum else "unknown" if f.type == "bool" else None
            listed = ", ".join(f"{_shown(v)} ({n:,} row{'s' if n != 1 else ''})" for v, n in undecided[:LISTED_VALUES])
            more = f" and {len(undecided) - LISTED_VALUES} more" if len(undecided) > LISTED_VALUES else ""
            allowed = ", ".join(f.enum.values) if f.enum else "true, false, unknown" if f.type == "bool" else ""
            text = (f"{fname}: no canonical value recognised for {listed}{more}; left as they are they count as "
                    f"{fallback} (unmapped)" + (f"; recode them to one of {allowed}" if allowed else ""))
            out.append(_line(6, f"# DECIDE {text}"))
            decisions.append(f"{proposal.dataset}.values.{text}")
    if proposal.missing_values:
        missing = [m for m in proposal.missing_values if m not in DEFAULT_MISSING]
        out.append(_line(4, f"missing_values: {_flow(missing)}", f"GUESS: besides the defaults, {proposal.missing_note}"))
    if proposal.unpivot:
        out.append(_line(4, "unpivot:", f"GUESS: {proposal.unpivot_why}"))
        out.append(_line(6, f"field: {proposal.unpivot['field']}"))
        out.append(_line(6, f"value: {proposal.unpivot['value']}"))
        out.append(_line(6, f"columns: {_flow(proposal.unpivot['columns'])}"))
    if proposal.explode:
        out.append(_line(4, f"explode: {_flow(proposal.explode)}",
                         "GUESS: some cells list several values whose pieces are values of the column themselves"))
    if proposal.row_id:
        out.append(_line(4, f"row_id: {_flow(proposal.row_id)}",
                         "GUESS: a per-row serial, ignored when rows are compared to find copies"))
    if proposal.duplicate_ids:
        out.append(_line(4, f"duplicate_ids: {proposal.duplicate_ids}", f"GUESS: {proposal.duplicate_note}"))
    for text in proposal.decisions:
        if not any(text in d for d in decisions):
            out.append(_line(4, f"# DECIDE: {_comment(text)}"))
            decisions.append(f"{proposal.dataset}: {text}")
    if proposal.unmapped:
        out.append(_line(4, "# Not mapped (no field takes them, so they never leave the load step): "
                         + ", ".join(proposal.unmapped)))
    return out, decisions


def agency_text(title: str, timezone: str | None, folder: Path, proposals: list[DatasetProposal],
                choices: list[FileChoice], raw_root: Path | None) -> tuple[str, list[str]]:
    """The whole agency.yml and the decisions it leaves."""
    decisions: list[str] = []
    today = dt.date.today().isoformat()
    lines = [
        f"# Written by `transparency new-agency` on {today} from {len(choices)} raw file(s): a first draft to review.",
        "# Each line marked GUESS is a proposal with its reason: check it against the files. Each DECIDE is a",
        "# choice the files could not make. Then run `transparency validate --agency <this folder>`.",
    ]
    for choice in choices:
        if choice.proposal is None:
            text = f"{choice.profile.path.name}: not recognised as any dataset (closest: {choice.runner_up}); add it by hand or leave it out"
            lines.append(f"# DECIDE: {text}")
            decisions.append(text)
    lines.append(_line(0, f"name: {_flow(title)}", "GUESS: from the folder's name; write the department's full name"))
    if timezone:
        lines.append(_line(0, f"timezone: {_flow(timezone)}"))
    else:
        lines.append(_line(0, "timezone: UTC", "DECIDE: the agency's IANA time zone, such as America/Chicago (UTC is a placeholder)"))
        decisions.append("timezone: the agency's IANA time zone, such as America/Chicago (UTC is a placeholder)")
    base = folder
    if raw_root is not None:
        rel = Path(os.path.relpath(raw_root, folder)).as_posix()
        lines.append(_line(0, f"raw_root: {_flow(rel)}", "the folder holding the raw files, relative to this file"))
        base = raw_root
    lines.append("datasets:")
    for proposal in proposals:
        body, left = dataset_lines(proposal, base)
        lines += body
        decisions += left
    if not proposals:
        lines.append("  {}  # DECIDE: no file was recognised as a dataset")
    return "\n".join(lines) + "\n", decisions


def _common_folder(paths: list[Path]) -> Path:
    return Path(os.path.commonpath([str(p.parent) for p in paths]))


def write_new_agency(name: str, files: list[str], root: Path, timezone: str | None = None, title: str | None = None,
                     force: bool = False) -> Written:
    """Propose and write ``root/data/<name>/agency.yml`` (atomically); raises UsageError for a bad call."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", name):
        raise UsageError(f"'{name}' is not an agency name: use letters, digits, '-' and '_' (it names data/{name}/)")
    if not files:
        raise UsageError("--files: name at least one raw file (CSV, TSV or Excel)")
    paths = []
    for text in files:
        path = Path(text).expanduser()
        if not path.is_file():
            raise UsageError(f"--files: no file '{text}'")
        if path.suffix.lower() not in (".csv", ".tsv", ".tab", ".txt", ".xlsx", ".xlsm", ".xls"):
            raise UsageError(f"--files: '{text}' is not a CSV, TSV or Excel file")
        paths.append(path.resolve())
    paths = list(dict.fromkeys(paths))
    folder = (root / "data" / name)
    target = folder / "agency.yml"
    if target.exists() and not force:
        raise UsageError(f"{target} already exists (--force writes over it)")
    if timezone is not None:
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise UsageError(f"--timezone: '{timezone}' is not an IANA time zone name such as America/Chicago") from None
    proposals, choices = propose(paths)
    folder_abs = folder.resolve()
    common = _common_folder(paths)
    inside = common == folder_abs or folder_abs in common.parents
    raw_root = None if inside else common
    title = title or name.replace("_", " ").replace("-", " ").title()
    text, decisions = agency_text(title, timezone, folder_abs, proposals, choices, raw_root)
    yaml.safe_load(text)  # what is written is YAML (a bug here must never leave a broken file)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".agency.yml.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    return Written(target, proposals, choices, decisions, raw_root)


def run_new_agency(name: str, files: list[str], root: Path, timezone: str | None = None, title: str | None = None,
                   force: bool = False, say=print) -> int:
    """The command: write agency.yml, validate it, say what is left. Exit 0 when every dataset loads."""
    from transparency.core.config import RAW_ROOTS_VARIABLE, load_agency
    from transparency.core.keys import create_key, key_path
    from transparency.tables.validate import check_agency, format_report

    written = write_new_agency(name, files, root, timezone, title, force)
    say(f"wrote {written.path}")
    for choice in written.choices:
        chosen = choice.proposal.dataset if choice.proposal else "not recognised"
        say(f"  {choice.profile.path.name}: {chosen}" + (f" (fit {choice.proposal.fit:.1f}; next {choice.runner_up})" if choice.proposal else ""))
    decisions = list(written.decisions)
    outside = written.raw_root_outside
    if outside is not None:
        allowed = [Path(p).expanduser().resolve() for p in os.environ.get(RAW_ROOTS_VARIABLE, "").split(os.pathsep) if p.strip()]
        if not any(outside == a or a in outside.parents for a in allowed):
            decisions.append(f"raw_root: the raw files lie outside data/{name}/; whoever runs validate and build must allow "
                             f"their folder: export {RAW_ROOTS_VARIABLE}={outside} (or move the files into data/{name}/raw/)")
    status = 1
    say("")
    say("validate:")
    try:
        agency = load_agency(written.path)
        if not key_path(agency.slug).exists():
            say(f"  created the pseudonymisation key {create_key(agency.slug)}")
        checks = check_agency(agency, cached=False)
        for line in format_report(agency, checks).splitlines():
            say("  " + line)
        status = 1 if any(c.error for c in checks) else 0
        decisions += [f"{c.dataset} does not load: {c.error}" for c in checks if c.error]
    except TransparencyError as exc:
        say(f"  {exc}")
        said = outside is not None and getattr(exc, "key", "") == "raw_root"
        said = said or any(getattr(exc, "message", str(exc)) in text for text in decisions)
        if not said:
            decisions.append(str(exc))
    say("")
    if decisions:
        say(f"left to decide ({len(decisions)}), besides checking each GUESS in {written.path}:")
        for text in decisions:
            say(f"  - {text}")
    else:
        say(f"nothing left to decide; check each GUESS in {written.path}")
    return status
