"""Generate fictional agencies other than the sample, of many sizes, for building and measuring many at once.

``transparency sample-data --agency NAME --seed N --scale S`` writes ``data/NAME/``: raw files made by the
sample's generator (:func:`transparency.sample.generate`) with this agency's seed and scale, and an
``agency.yml`` made from the sample's (the same file layouts, so the same mapping) with the agency's own
name, size and mix of datasets. Everything is decided by the seed and the scale:

- the name is NAME in words ("county-07" is "County 07 Police Department");
- the size: ``scale`` times the sample city (250,000 residents, 420 sworn officers), its residents' mix
  by race drawn around the sample's;
- the mix: use of force, complaints, calls for service and arrests always (use of force reads the last two
  as denominators), each of the other eight kept or not by the seed;
- the defects: the sample's planted defects, at the rows and in the numbers the seed and size give (listed
  in ``raw/GENERATED.json``).

The same arguments give the same bytes. Everything is fiction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from transparency.core.errors import UsageError

from .city import DATASETS, MARKER
from .generator import generate

#: Always generated: use of force reads arrests and calls for service as denominators.
CORE = ("use_of_force", "complaints", "calls_for_service", "arrests")
KEEP_OTHER = 0.6  # the chance that each other dataset is part of an agency's mix
SAMPLE_POPULATION = 250_000
SAMPLE_OFFICERS = 420
# The first line of every generated agency.yml, and how a folder this module may replace is known: kept as it
# was when this module was transparency/sample_agencies.py, so that folders generated then are still known
# (and the same arguments still give the same bytes).
GENERATED_BY = "# Written by `transparency sample-data --agency` (transparency/sample_agencies.py): a fictional agency."


@dataclass(frozen=True)
class Profile:
    """What the seed and scale decide about a generated agency."""

    slug: str
    name: str
    seed: int
    scale: float
    datasets: tuple[str, ...]
    population: dict[str, int]
    sworn_officers: int

    @property
    def total_population(self) -> int:
        return sum(self.population.values())


def sample_template() -> Path:
    """The sample agency's hand-written agency.yml, the template of every generated agency's."""
    return Path(__file__).resolve().parents[2] / "data" / "sample" / "agency.yml"


def check_name(name: str) -> None:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", name or ""):
        raise UsageError(f"'{name}' is not an agency name: use letters, digits, '-' and '_' (it names data/{name}/)")
    if name == "sample":
        raise UsageError("--agency sample is the sample agency itself: run `transparency sample-data` without --agency")


def profile(slug: str, seed: int, scale: float, template: dict) -> Profile:
    """The agency's name, mix of datasets and size, from its seed and scale (deterministic)."""
    if scale <= 0:
        raise UsageError(f"--scale must be positive, got {scale}")
    rng = np.random.default_rng([int(seed), 7_2020])  # its own stream: the generator's streams are [seed, k < 13]
    others = [name for name in DATASETS if name not in CORE]
    keep = rng.random(len(others)) < KEEP_OTHER
    datasets = tuple(name for name in DATASETS if name in CORE or name in {o for o, k in zip(others, keep) if k})
    sample_mix = template["population"]["by_race"]
    races = list(sample_mix)
    shares = np.array([sample_mix[r] for r in races], dtype=float)
    shares = rng.dirichlet(shares / shares.sum() * 60 + 0.05)  # around the sample's mix, different per agency
    total = max(1_000, int(round(SAMPLE_POPULATION * scale)))
    counts = np.floor(shares * total).astype(int)
    counts[int(np.argmax(counts))] += total - int(counts.sum())  # the parts add up to the total
    words = " ".join(part.capitalize() if part.isalpha() else part for part in re.split(r"[-_]+", slug) if part)
    return Profile(
        slug=slug, name=f"{words} Police Department", seed=int(seed), scale=float(scale), datasets=datasets,
        population={race: int(c) for race, c in zip(races, counts)},
        sworn_officers=max(30, int(round(SAMPLE_OFFICERS * scale))),  # as many as the generator makes badges for
    )


def agency_config(template: dict, prof: Profile) -> dict:
    """The generated agency's configuration: the sample's, with its own name, size and datasets."""
    config = {key: value for key, value in template.items() if key != "datasets"}
    config["name"] = prof.name
    config["sworn_officers"] = prof.sworn_officers
    config["population"] = {"source": "Fictional census 2020", "total": prof.total_population, "by_race": prof.population}
    config["datasets"] = {name: template["datasets"][name] for name in prof.datasets}
    return config


def write_agency(root: Path, slug: str, seed: int, scale: float = 0.1, through: str | None = None,
                 years: int = 5, force: bool = False) -> tuple[Profile, dict | None]:
    """Write ``root/data/<slug>/`` (raw files and agency.yml); return its profile and the rows written per
    dataset, or None when it was there already (``force`` writes it again).

    An agency folder that this module did not write (its agency.yml lacks the generator's first line) is
    never touched: a UsageError says so.
    """
    check_name(slug)
    template_path = sample_template()
    if not template_path.is_file():
        template_path = Path(root) / "data" / "sample" / "agency.yml"
    if not template_path.is_file():
        raise UsageError(f"the sample agency's agency.yml is needed as the template and was not found at {template_path}")
    template = yaml.safe_load(template_path.read_text(encoding="utf-8"))
    prof = profile(slug, seed, scale, template)
    folder = Path(root) / "data" / slug
    config_path = folder / "agency.yml"
    if config_path.exists() and not config_path.read_text(encoding="utf-8").startswith(GENERATED_BY):
        raise UsageError(f"{config_path} exists and was not written by `sample-data --agency`; not replacing it")
    if config_path.exists() and (folder / "raw" / MARKER).exists() and not force:
        return prof, None
    summary = generate(folder, through=through, years=years, seed=prof.seed, scale=prof.scale,
                       agency_name=prof.name, datasets=prof.datasets)
    text = (f"{GENERATED_BY}\n# seed {prof.seed}, scale {prof.scale:g}; regenerate with --force. Everything here is fiction.\n"
            + yaml.safe_dump(agency_config(template, prof), sort_keys=False, allow_unicode=True, width=120))
    tmp = config_path.with_name(f".agency.yml.tmp-{prof.seed}")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(config_path)
    # Generated, like the sample's raw files: kept out of git (the command makes it again, byte for byte).
    (folder / ".gitignore").write_text("# generated by `transparency sample-data --agency`\n*\n", encoding="utf-8")
    return prof, summary


__all__ = ["CORE", "Profile", "agency_config", "profile", "write_agency"]
