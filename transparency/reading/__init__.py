"""Reading an agency's raw files: the steps by which a raw row becomes a canonical row.

:func:`transparency.reading.load.load_dataset` runs them for a dataset; each module is one concern, listed in the
order a row meets them, and imports only the modules above it in this list:

- ``columns``    text columns held compactly (categories), the work on them done once per distinct value
- ``files``      one raw file -> a frame of text cells: encodings, the Arrow and pandas CSV readers, workbooks
- ``dates``      text -> datetimes: formats inferred (or refused as ambiguous), parsed
- ``values``     source text -> typed canonical values: recodes, enumerations, yes/no, numbers, pseudonyms
- ``datefields`` a datetime field from one column, a date and a time column, or year, month and day parts
- ``rows``       row accounting: read = used + excluded by reason; blank, header and duplicate rows; list
                 cells exploded, flag columns unpivoted
- ``extract``    where a raw row becomes a canonical row: one file's rows -> canonical columns and each
                 row's exclusion reason
- ``related``    related long tables aggregated per key and joined to the main rows

Around the steps, in this folder too: ``load`` (runs the steps for a dataset), ``timeofday`` (whether an event's
time of day is known; below the steps), ``headers`` (a file's header row, for ``transparency validate``) and
``fetch`` (raw files fetched from an open-data portal).

May import: core (``config``, ``registry``, ``errors``, ``hashing``, ``keys``, ``textnorm``) and ``timeofday``; a
step imports only the steps listed before it. ``tests/test_imports.py`` holds the package to imports that point
down the stages and form no circle.
"""
