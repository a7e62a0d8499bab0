"""Identifiers and literals written into SQL text, for DuckDB, SQLite and PostgreSQL alike.

Imports nothing, so the data rules, the indicators, the warehouse and both catalogues quote the same way.
"""

from __future__ import annotations


def quote(identifier: str) -> str:
    """Quote an identifier that comes from a declaration or a schema (never from user text)."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A SQL string literal (for our own file paths: a view cannot hold query parameters)."""
    return "'" + text.replace("'", "''") + "'"
