"""The catalogue on SQLite and on PostgreSQL: the same SQL and rows on both, and schema migrations: a catalogue
made by the code before migrations existed (schema version 1, tests/fixtures/catalogue_v1) is upgraded with its
data intact, all steps or none."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from vipmg_core import accounts
from vipmg_core.catalogue import SCHEMA_VERSION, Catalogue, configured_url
from vipmg_core.catalogue_pg import split_script, split_url, translate

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "catalogue_v1"
STEPS = FIXTURE / "migrations"
PASSWORD = "a-long-password-1"


def v1_rows() -> dict[str, int]:
    """Rows per table in the version-1 catalogue."""
    counts: dict[str, int] = {}
    for table in re.findall(r"^INSERT INTO (\w+) ", (FIXTURE / "catalogue_v1.sql").read_text("utf-8"), re.MULTILINE):
        counts[table] = counts.get(table, 0) + 1
    return counts


def load_v1(path: Path) -> None:
    """The version-1 catalogue, where the back end under test keeps it (the file, or the test's schema)."""
    script = (FIXTURE / "catalogue_v1.sql").read_text("utf-8")
    url = configured_url()
    if url is None:
        con = sqlite3.connect(path)
        con.executescript(script)
        con.close()
        return
    import psycopg

    conninfo, schema = split_url(url)
    with psycopg.connect(conninfo, autocommit=True) as con:
        con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        con.execute(f'SET search_path TO "{schema}"')
        with con.transaction():
            for statement in split_script(script):
                con.execute(statement)


def count(cat: Catalogue, table: str) -> int:
    return cat.query(f"SELECT COUNT(*) FROM {table}")[0][0]


def test_a_version_1_catalogue_is_upgraded_with_its_data_intact(tmp_path, catalogue_backend):
    path = tmp_path / "catalogue.sqlite"
    load_v1(path)
    before = v1_rows()
    running = Catalogue(path)  # a server already running on version 1, reading the whole of a table often
    for _ in range(8):
        assert "language" not in running.query("SELECT * FROM articles")[0].keys()  # noqa: SIM118 - a row
    cat = Catalogue(path, migrations=STEPS)
    assert running.query("SELECT * FROM articles")[0]["language"] == "es"  # it reads the upgraded table, no error

    assert cat.query("SELECT value FROM meta WHERE key = 'schema_version'")[0][0] == "4"
    assert cat.query("SELECT value FROM meta WHERE key = 'migrated_on'")[0][0] == catalogue_backend
    for table, rows in before.items():  # every row is still there; the upgrade added one audit entry
        if table != "meta":  # (where the version and the step 4's mark are)
            assert count(cat, table) == rows + (table == "audit_log"), table
    (migrate,) = [e for e in cat.audit_entries("catalogue") if e["action"] == "migrate"]
    assert migrate["details"] == {"from": 1, "to": 4} and migrate["actor"] == "system"
    # step 2 (a column with a default), step 3 (data derived from existing rows)
    assert [r["language"] for r in cat.query("SELECT language FROM articles")] == ["es"]
    assert [tuple(r) for r in cat.query("SELECT * FROM logins_per_account ORDER BY username")] == [
        ("fp_gtm", 1, 0), ("rev", 0, 1)]
    # what was written before still works: a password hashed then signs in, a saved profile reads back
    assert accounts.authenticate(cat, "fp_gtm", PASSWORD).country == "GTM"
    assert cat.mapping_profile("returns", "GTM", "mensual") == '{"columns": {"sexo": "sex"}}'
    assert {r["status"] for r in cat.query("SELECT status FROM submissions")} == {"published", "draft"}

    again = Catalogue(path, migrations=STEPS)  # opening an up-to-date catalogue changes nothing
    assert [e["action"] for e in again.audit_entries("catalogue")] == ["migrate"]


def test_a_failing_step_leaves_the_catalogue_as_it_was(tmp_path, catalogue_backend):
    path = tmp_path / "catalogue.sqlite"
    load_v1(path)
    steps = tmp_path / "steps"
    shutil.copytree(STEPS, steps)
    (steps / "0005_broken.sql").write_text("ALTER TABLE accounts ADD COLUMN nickname TEXT;\n"
                                           "INSERT INTO no_such_table VALUES (1);\n")
    with pytest.raises(Exception, match="no_such_table|no such table"):
        Catalogue(path, migrations=steps)

    plain = Catalogue(path)  # the code's own steps: none after version 1
    assert plain.query("SELECT value FROM meta WHERE key = 'schema_version'")[0][0] == "1"
    assert "language" not in plain.query("SELECT * FROM articles")[0].keys()  # noqa: SIM118 - a row, not a dict  # step 2 ran, then was rolled back with the rest
    with pytest.raises(Exception, match="logins_per_account"):
        plain.query("SELECT * FROM logins_per_account")
    assert count(plain, "audit_log") == v1_rows()["audit_log"]

    (steps / "0005_broken.sql").unlink()
    assert Catalogue(path, migrations=steps).query(
        "SELECT value FROM meta WHERE key = 'schema_version'")[0][0] == "4"


def test_code_refuses_a_catalogue_newer_than_itself_and_a_new_one_starts_at_its_version(tmp_path,
                                                                                       catalogue_backend):
    path = tmp_path / "catalogue.sqlite"
    assert Catalogue(path).query("SELECT value FROM meta WHERE key = 'schema_version'")[0][0] == SCHEMA_VERSION
    Catalogue(path, migrations=STEPS)
    with pytest.raises(RuntimeError, match="newer than this code"):
        Catalogue(path)._install()  # a process running the older code opens it


def test_placeholders_become_psycopgs_outside_literals_only():
    assert translate("SELECT '?', \"a?\", ? FROM t WHERE x LIKE '50%' -- why?\n AND y = ?") == \
        "SELECT '?', \"a?\", %s FROM t WHERE x LIKE '50%%' -- why?\n AND y = %s"
    assert translate("SELECT 'it''s ?', ?") == "SELECT 'it''s ?', %s"
    assert translate("SELECT x::text FROM t WHERE a = :a AND b = ':b'", named=True) == \
        "SELECT x::text FROM t WHERE a = %(a)s AND b = ':b'"


def test_both_back_ends_take_the_same_sql_and_give_the_same_rows(tmp_path, catalogue_backend):
    cat = Catalogue(tmp_path / "catalogue.sqlite")
    with cat.transaction() as con:
        con.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", [("a?", "50%"), ("b", "it's")])
        con.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    ("b", "it's ?"))
    rows = cat.query("SELECT key, value, '?' AS mark FROM meta WHERE value LIKE '5' || ? ORDER BY key", ("%",))
    assert [tuple(r) for r in rows] == [("a?", "50%", "?")]
    (row,) = cat.query("SELECT key AS name, value FROM meta WHERE key = :key", {"key": "b"})
    assert (row[0], row["NAME"], dict(row), row.keys()) == ("b", "b", {"name": "b", "value": "it's ?"},
                                                            ["name", "value"])
    token = cat.changes()
    assert cat.changes() == token  # reading moves nothing
    with pytest.raises(ZeroDivisionError), cat.transaction() as con:
        con.execute("UPDATE meta SET value = 'half' WHERE key = 'b'")
        raise ZeroDivisionError  # a failure inside the transaction: nothing of it lands
    assert cat.query("SELECT value FROM meta WHERE key = 'b'")[0][0] == "it's ?"
    with Catalogue(tmp_path / "catalogue.sqlite").transaction() as con:  # another connection commits
        con.execute("DELETE FROM meta WHERE key = 'a?'")
    assert cat.changes() != token
