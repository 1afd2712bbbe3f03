"""Pages: the report's HTML from the sections (Jinja templates in ``templates/``), the tagged PDF drawn in parts,
the page fit, the printed layout's checks, and the publishing settings (addresses, logo).

May import: core, reading, tables, figures, writing, sections.
"""
