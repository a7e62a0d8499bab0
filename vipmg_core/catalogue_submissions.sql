-- Accounts, login attempts and submissions. Portable SQL, like catalogue.sql.
CREATE TABLE IF NOT EXISTS accounts (
    account_id    TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('focal_point', 'reviewer', 'admin')),
    country       TEXT,
    institution   TEXT NOT NULL DEFAULT '',
    email         TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    demo          INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1)),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    CHECK ((role = 'focal_point') = (country IS NOT NULL))
);

CREATE TABLE IF NOT EXISTS login_attempts (
    attempt_id TEXT PRIMARY KEY,
    username   TEXT NOT NULL,
    at         TEXT NOT NULL,
    success    INTEGER NOT NULL CHECK (success IN (0, 1)),
    channel    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS login_attempts_user ON login_attempts (username, at);

-- One row per version of a country's data for a dataset and reference period. The file itself is kept byte
-- for byte in the blob store (content-addressed by SHA-256); the standardised rows are a staged release.
CREATE TABLE IF NOT EXISTS submissions (
    submission_id      TEXT PRIMARY KEY,
    dataset_id         TEXT NOT NULL,
    country            TEXT NOT NULL,
    period             TEXT NOT NULL,
    version            INTEGER NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'published', 'rejected', 'superseded')),
    file_name          TEXT NOT NULL,
    file_sha256        TEXT NOT NULL,
    file_size          BIGINT NOT NULL,
    release_id         TEXT REFERENCES releases (release_id),
    row_count          BIGINT NOT NULL,
    mapping            TEXT NOT NULL,
    report             TEXT NOT NULL,
    source_institution TEXT NOT NULL DEFAULT '',
    definitions        TEXT NOT NULL DEFAULT '',
    notes              TEXT NOT NULL DEFAULT '',
    submitter          TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    submitted_at       TEXT,
    decided_at         TEXT,
    decided_by         TEXT,
    reason             TEXT NOT NULL DEFAULT '',
    UNIQUE (dataset_id, country, period, version)
);
CREATE INDEX IF NOT EXISTS submissions_by_country ON submissions (country, dataset_id, period);
CREATE INDEX IF NOT EXISTS submissions_by_status ON submissions (status);
