-- Alert events for live delivery: written in the same transaction as the alert, so a crash loses
-- no undelivered alert. SSE clients read them by id; webhooks get each one at least once.

CREATE TABLE alert_events (
    id INTEGER PRIMARY KEY,            -- the SSE event id (Last-Event-ID resumes after it)
    uuid TEXT NOT NULL UNIQUE,         -- the webhook Idempotency-Key
    alert_id INTEGER NOT NULL,         -- no foreign key: the event outlives a retention delete
    case_id INTEGER,
    kind TEXT NOT NULL,                -- raised, extended, reviewed
    created_at TEXT NOT NULL
);

CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,              -- HMAC-SHA256 key for the X-Citywatch-Signature header
    case_id INTEGER REFERENCES cases(id),  -- NULL: every case (admins only)
    created_by TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);

CREATE TABLE webhook_deliveries (
    event_id INTEGER NOT NULL REFERENCES alert_events(id),
    webhook_id INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    delivered_at TEXT,
    last_error TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (event_id, webhook_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (delivered_at, next_attempt_at);
