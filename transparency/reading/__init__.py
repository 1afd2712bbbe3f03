"""Reading an agency's raw files: the steps by which a raw row becomes a canonical row.

:func:`transparency.load.load_dataset` runs them for a dataset; each module is one concern, listed in the
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

What these modules may import from the package: the layers below reading (``config``, ``registry``,
``errors``, ``hashing``, ``keys``, ``textnorm``, ``timeofday``), never what uses canonical tables (``load``,
``cache``, metrics, sections, the build). ``tests/test_imports.py`` holds the package to imports that form
no circle.
"""
