"""The catalogue's tables, portable between SQLite and PostgreSQL: listed, put in the order the schema creates them,
read from a backup and loaded into an empty catalogue."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from vipmg_core import catalogue_pg as pg
from vipmg_core.backup.archive import CATALOGUE_FILE, EXCLUDED_TABLES, BackupError
from vipmg_core.catalogue import SCHEMA_VERSION, base_scripts, migration_steps
from vipmg_core.sqltext import quote


def table_names(con, backend: str) -> list[str]:
    if backend == "sqlite":
        rows = con.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    else:
        rows = con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
                           " AND table_type = 'BASE TABLE'")
    return [row[0] for row in rows.fetchall()]


def ordered(tables: Iterable[str]) -> list[str]:
    """Tables in the order the schema creates them, so a table comes after those it references."""
    order: list[str] = []
    scripts = [*base_scripts(), *(p for step in sorted(migration_steps().items()) for p in step[1].values())]
    for script in scripts:
        if script.suffix != ".sql":
            continue
        for statement in pg.split_script(script.read_text(encoding="utf-8")):
            code = "\n".join(line for line in statement.splitlines() if not line.strip().startswith("--"))
            words = code.replace("(", " ").split()
            upper = [w.upper() for w in words]
            if upper[:2] == ["CREATE", "TABLE"]:
                name = words[5] if upper[2:5] == ["IF", "NOT", "EXISTS"] else words[2]
                if name not in order:
                    order.append(name)
    tables = list(tables)
    return [t for t in order if t in tables] + sorted(t for t in tables if t not in order)


def read_backup_tables(folder: Path, manifest: dict) -> dict[str, tuple[list[str], list[list]]]:
    """{table: (columns, rows)} of a backup, from its SQLite file or its JSON lines."""
    out: dict[str, tuple[list[str], list[list]]] = {}
    if manifest["backend"] == "sqlite":
        con = sqlite3.connect(f"file:{folder / CATALOGUE_FILE}?mode=ro", uri=True)
        try:
            for table in table_names(con, "sqlite"):
                cursor = con.execute(f"SELECT * FROM {quote(table)}")
                out[table] = ([c[0] for c in cursor.description], [list(r) for r in cursor.fetchall()])
        finally:
            con.close()
        return out
    for entry in manifest["files"]:
        if entry["kind"] != "catalogue":
            continue
        lines = (folder / entry["path"]).read_text(encoding="utf-8").splitlines()
        head = json.loads(lines[0])
        out[head["table"]] = (head["columns"], [json.loads(line) for line in lines[1:] if line])
    return out


def load_tables(con, backend: str, tables: dict[str, tuple[list[str], list[list]]]) -> None:
    """Insert a backup's rows into the (empty) catalogue of `con`, parents first; `meta` is the target's own."""
    present = set(table_names(con, backend))
    for table in ordered(tables):
        if table == "meta" or table in EXCLUDED_TABLES:
            continue
        if table not in present:
            raise BackupError("schema_differs", version=table, current=SCHEMA_VERSION)
        columns, rows = tables[table]
        if rows:
            names = ", ".join(quote(c) for c in columns)
            marks = ", ".join("?" for _ in columns)
            con.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", [tuple(r) for r in rows])


def sqlite_has_table(con: sqlite3.Connection, table: str) -> bool:
    return con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone() is not None


def sorted_rows(rows: list) -> list:
    return sorted(rows, key=lambda r: json.dumps(list(r), ensure_ascii=False, default=str))


