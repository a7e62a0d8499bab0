-- The catalogue: what is published, and the audit log. Portable SQL (SQLite in WAL mode on one machine,
-- PostgreSQL when a deployment outgrows it): TEXT ids, ISO-8601 UTC timestamps as TEXT, JSON as TEXT.
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One immutable Parquet file of one dataset. A release is written 'staged', then 'published'; publishing a
-- release of the same (dataset_id, scope) supersedes the previous version. Older versions stay on disk and here.
CREATE TABLE IF NOT EXISTS releases (
    release_id   TEXT PRIMARY KEY,
    dataset_id   TEXT NOT NULL,
    scope        TEXT NOT NULL,
    version      INTEGER NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('staged', 'published', 'superseded', 'withdrawn')),
    path         TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    row_count    BIGINT NOT NULL,
    synthetic    INTEGER NOT NULL CHECK (synthetic IN (0, 1)),
    publisher    TEXT NOT NULL,
    source_file  TEXT,
    edition      TEXT,
    provenance   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    published_at TEXT,
    published_seq TEXT,
    UNIQUE (dataset_id, scope, version)
);
CREATE INDEX IF NOT EXISTS releases_current ON releases (dataset_id, status);

-- The (area, period) slices a release holds. Where two published releases hold the same slice, readers see
-- only the one published last (a country's own submission replaces the demo or an older import for it).
CREATE TABLE IF NOT EXISTS release_coverage (
    release_id TEXT NOT NULL REFERENCES releases (release_id),
    area       TEXT NOT NULL,
    period     TEXT NOT NULL,
    PRIMARY KEY (release_id, area, period)
);

-- Append-only: rows are inserted, never updated or deleted.
CREATE TABLE IF NOT EXISTS audit_log (
    entry_id    TEXT PRIMARY KEY,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    details     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_object ON audit_log (object_type, object_id);

-- Named mappings of one office's file layout to a dataset (columns, national codes), per country, reused
-- month after month by the upload page and `validate --mapping NAME`. `mapping` is the JSON of mapping.Mapping.
CREATE TABLE IF NOT EXISTS mapping_profiles (
    profile_id TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    country    TEXT NOT NULL,
    mapping    TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (dataset_id, country, name)
);
