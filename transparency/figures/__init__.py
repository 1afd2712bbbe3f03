"""Figures, tests and disclosure control: counts, rates and shares with their tests of change, disparities,
surveys, the one suppression rule, the row accounts, the audit that no hidden count can be worked out,
and the personal-data scan.

May import: core, reading, tables.
"""
