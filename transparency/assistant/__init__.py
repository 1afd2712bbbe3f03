"""The mapping assistant behind `transparency new-agency`: from raw files alone, which dataset each file is
and how its columns fill the canonical fields, every choice a guess with its reason.

The modules are its steps, in order:

- ``words.py`` (and ``words.yml``, the words as data): header names split into words in their long form;
- ``profile.py``: one file read as the loader reads it, each column described once (words, fill, shape);
- ``fields.py``: every canonical dataset tried against the file, each field given its likeliest column;
- ``values.py``: recodes, "not recorded" marks, list cells, survey measures, row serials, the grain;
- ``files.py``: each file's best dataset, files of one dataset merged (:func:`propose`);
- ``write.py``: the commented agency.yml, validated, with what is left to decide (the command);
- ``score.py``: the proposals compared with hand-written configurations (the measurement).

The datetime formats come from the loader's own inference (:func:`transparency.reading.load.parse_datetimes`), the
fields and canonical values from the registry (``datasets.yml``). Only ``write.py`` writes a file.
"""

from .files import propose

__all__ = ["propose"]
