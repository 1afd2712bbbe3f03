"""Quarterly police transparency reports: load, check, compute, and publish a department's records."""

__version__ = "0.1.0"
