-- Sign-in: throttling of failed logins, and the sessions that keep a browser signed in. Portable SQL.

-- One row per throttled key: 'account:NAME' or 'source:WHERE'. Consecutive failures (forgotten after a quiet
-- hour) and the end of the current back-off; attempts refused during a back-off change nothing here.
CREATE TABLE IF NOT EXISTS login_throttle (
    throttle_key  TEXT PRIMARY KEY,
    failures      INTEGER NOT NULL,
    last_failure  TEXT NOT NULL,
    blocked_until TEXT
);

-- A browser's sign-in that survives a reload. Only SHA-256 hashes of the secrets are kept: the one-time grant
-- the page exchanges for the cookie, then the cookie's session id. Revoked on sign-out, disable and reset.
CREATE TABLE IF NOT EXISTS web_sessions (
    session_id    TEXT PRIMARY KEY,
    username      TEXT NOT NULL,
    grant_hash    TEXT UNIQUE,
    grant_expires TEXT,
    cookie_hash   TEXT UNIQUE,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    revoked_at    TEXT
);
CREATE INDEX IF NOT EXISTS web_sessions_user ON web_sessions (username);
