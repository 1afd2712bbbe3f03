"""The words the assistant reads headers and cells with (``words.yml``): header names split into words in
their long form, and the vocabulary of fields, datasets and canonical values."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

_VOCABULARY = Path(__file__).with_name("words.yml")

#: Words that name a date or time part of a header rather than what it is.
DATE_WORDS = {"date", "time", "datetime", "timestamp"}


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


def norm_value(text: str) -> str:
    """A cell value compared with the vocabulary: lower case, punctuation made a space."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", str(text).casefold()).split())


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    raw = yaml.safe_load(_VOCABULARY.read_text(encoding="utf-8"))
    words = {str(k): tuple(v) if isinstance(v, list) else (str(v),) for k, v in raw["words"].items()}
    values: dict[str, dict[str, str]] = {}
    for enum_name, canon in raw["values"].items():
        values[enum_name] = {norm_value(src): str(target) for target, sources in canon.items() for src in sources}
    return Vocabulary(
        words=words,
        ignore=frozenset(raw["ignore"]),
        dataset_words={k: {str(w): float(s) for w, s in v.items()} for k, v in raw["datasets"].items()},
        fields=raw["fields"],
        values=values,
        categories={name: {norm_value(src): str(target) for target, sources in canon.items() for src in sources}
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



def stem(words: tuple[str, ...]) -> tuple[str, ...]:
    """A header's words without those that say date or time (OCCURRED_D and OCCURRED_T share a stem)."""
    return tuple(w for w in words if w not in DATE_WORDS)
