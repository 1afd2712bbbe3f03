"""Generate the fictional Riverton Police Department's raw files, the sample agency that exercises every feature.

Riverton is a made-up midwestern city of about 250,000 residents policed by 420 sworn officers in six
districts. ``generate`` writes agency-style raw files for all twelve datasets under ``<out_dir>/raw/``:
agency column names and codes (never canonical ones), so the sample goes through the same
``agency.yml`` mapping as a real agency (``data/sample/agency.yml``, written by hand and committed).

The files are deterministic (same arguments, same bytes), vectorised with numpy, and carry a small,
known set of realistic defects (duplicate rows, a stray header row, blank rows, unparseable dates,
unknown codes, impossible ages, a negative response time, ...) so that the data-quality path always has
something to show. What was planted is listed in ``<out_dir>/raw/GENERATED.json``.

The folder, in the order its modules import each other (a module imports only those listed before it):

- ``draws``: small helpers (random draws, planted-defect picks, ids and dates as text);
- ``city``: the city and its agency (datasets, districts, races, names, hours of the day, officers);
- ``days``: the days covered (seasons, daylight saving, sunrise and sunset, events per day);
- ``writing``: the run's bookkeeping and the CSV and workbook writers that plant row-level defects;
- one module per dataset, named as the dataset (``use_of_force`` ... ``training``): its agency's columns,
  codes and planted defects; ``citations`` reads the stops that ``stops`` kept for it;
- ``generator``: ``generate``, every chosen dataset into a new ``raw/`` swapped in whole;
- ``agencies``: other generated agencies of many sizes (``sample-data --agency NAME``).

Nothing here imports the rest of the package but ``transparency.core.errors`` (in ``agencies``): the generator
writes raw files, it reads none.
Everything here is fiction: names, badge numbers, places and events are drawn from random numbers.
"""

from __future__ import annotations

from .agencies import CORE, Profile, agency_config, profile, write_agency
from .city import AGENCY_NAME, DATASETS, MARKER
from .draws import last_complete_quarter
from .generator import generate
from .training import TRAINING_COLUMNS
from .writing import _write_xlsx

__all__ = ["generate", "last_complete_quarter", "DATASETS", "MARKER", "AGENCY_NAME", "TRAINING_COLUMNS",
           "CORE", "Profile", "agency_config", "profile", "write_agency", "_write_xlsx"]
