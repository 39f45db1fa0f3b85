-- Accountability: users and roles, cases with scope and expiry, two-person review of alerts,
-- "not this person" examples, and the hash-chained audit log with signed checkpoints.

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,       -- scrypt, self-describing (see users/passwords.py)
    roles TEXT NOT NULL,               -- JSON sorted list of role names
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE sessions (
    token_sha256 TEXT PRIMARY KEY,     -- the token itself is only ever held by its user
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    category TEXT NOT NULL CHECK (category IN ('wanted', 'missing_person', 'imminent_threat')),
    legal_basis TEXT NOT NULL CHECK (length(trim(legal_basis)) > 0),
    scope TEXT NOT NULL,               -- JSON {camera_ids, groups, area, starts_at, ends_at}
    requested_by INTEGER NOT NULL REFERENCES users(id),
    approved_by INTEGER REFERENCES users(id),
    closed_by INTEGER REFERENCES users(id),
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'closed')),
    retention_days INTEGER NOT NULL CHECK (retention_days > 0),
    created_at TEXT NOT NULL,
    approved_at TEXT,
    closed_at TEXT,
    expires_at TEXT NOT NULL,
    CHECK (approved_by IS NULL OR approved_by <> requested_by),
    CHECK (status = 'draft' OR approved_by IS NOT NULL OR closed_at IS NOT NULL)
);

-- Every watchlist belongs to a case (NULL only for lists made before cases existed: they never
-- match until they are deleted).
ALTER TABLE watchlists ADD COLUMN case_id INTEGER REFERENCES cases(id);
ALTER TABLE alerts ADD COLUMN case_id INTEGER REFERENCES cases(id);
ALTER TABLE alerts ADD COLUMN expires_at TEXT;  -- evidence is deleted by the retention job then

CREATE TABLE alert_reviews (
    id INTEGER PRIMARY KEY,
    alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    reviewer_id INTEGER NOT NULL REFERENCES users(id),
    decision TEXT NOT NULL CHECK (decision IN ('confirm', 'reject')),
    note TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    UNIQUE (alert_id, reviewer_id)
);

-- A rejected alert's sighting, kept so that the same false match is suppressed later.
CREATE TABLE not_this_person (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    embedder TEXT NOT NULL,
    embedding BLOB NOT NULL,
    alert_id INTEGER,
    created_at TEXT NOT NULL
);

CREATE TABLE audit_log (
    sequence INTEGER PRIMARY KEY,      -- 1, 2, 3, ... with no gaps
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    case_id INTEGER,                   -- no foreign key: records outlive what they describe
    details TEXT NOT NULL,             -- canonical JSON object
    previous_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

CREATE TRIGGER audit_log_is_append_only_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_log_is_append_only_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TABLE audit_checkpoints (
    sequence INTEGER PRIMARY KEY,
    head_hash TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    public_key TEXT NOT NULL,
    signature TEXT NOT NULL
);
