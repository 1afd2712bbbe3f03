"""One module per dataset section: the tables, charts and sentences its notebook shows."""
