-- The Network: the reporting calendar reviewers set per dataset, and the publications library.
-- Portable SQL, like catalogue.sql.

-- When each dataset is due: one period every `frequency`, `due_days` after the period ends, from `since`.
CREATE TABLE IF NOT EXISTS reporting_calendar (
    dataset_id TEXT PRIMARY KEY,
    frequency  TEXT NOT NULL CHECK (frequency IN ('monthly', 'quarterly', 'yearly')),
    due_days   INTEGER NOT NULL CHECK (due_days >= 0),
    since      TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- An article of the library; its text lives in article_versions (one row per saved version, never updated).
CREATE TABLE IF NOT EXISTS articles (
    article_id   TEXT PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL CHECK (kind IN ('article', 'bulletin')),
    author       TEXT NOT NULL,
    created_at   TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS article_versions (
    article_id   TEXT NOT NULL REFERENCES articles (article_id),
    version      INTEGER NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    countries    TEXT NOT NULL,  -- JSON list of ISO3 codes
    topics       TEXT NOT NULL,  -- JSON list of dataset ids / free topics
    content      TEXT NOT NULL,  -- JSON: {"es": {"title", "summary", "body"}, "en": {...}}
    html         TEXT,           -- a generated bulletin's own HTML, as published
    data_version TEXT NOT NULL,  -- the warehouse state the article was written against
    saved_by     TEXT NOT NULL,
    saved_at     TEXT NOT NULL,
    published_at TEXT,
    PRIMARY KEY (article_id, version)
);
