"""The sections: one module per dataset (the tables, charts and sentences its notebook shows), and ``section``, the
:class:`~transparency.sections.section.Section` every notebook starts with (it loads the period's canonical table
and writes what the notebook shows into the report).

May import: core, reading, tables, figures, writing.
"""
