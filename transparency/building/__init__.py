"""Running the build: the notebooks run in parallel worker processes, one quarter or a range, one agency or
many, incremental and atomic; the report assembled and checked; the notebook scaffold and the open-data export.

May import: every stage below it (core to rendering).
"""
