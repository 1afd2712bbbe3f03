"""Canonical tables and their cache: a dataset's rows as the reading stage made them, kept as Parquet keyed by
the hashes of their inputs, and ``transparency validate``'s checks of them.

May import: core, reading.
"""
