"""The words, charts and tables a section shows: chart style, sentences, labels, how a figure is named, and
the report's back matter (methodology, data quality, glossary, about).

May import: core, reading, tables, figures.
"""
