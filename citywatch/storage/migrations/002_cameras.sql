-- The camera registry. URLs are stored without credentials; the secret part (user:password) is
-- encrypted with a key file kept outside the database.
CREATE TABLE cameras (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    secret BLOB,
    lat REAL,
    lon REAL,
    camera_group TEXT NOT NULL DEFAULT '',
    owner TEXT NOT NULL DEFAULT 'city',
    analysis_enabled INTEGER NOT NULL DEFAULT 1,
    analysis_fps REAL NOT NULL DEFAULT 5,
    min_face_px REAL NOT NULL DEFAULT 24,
    priority INTEGER NOT NULL DEFAULT 0,
    probe_width INTEGER,
    probe_height INTEGER,
    probe_fps REAL,
    probe_codec TEXT,
    probe_frames INTEGER,
    probe_seconds REAL,
    forced INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

-- Written only by the runtime's supervisor (the one writer); read by `camera list` anywhere.
CREATE TABLE camera_health (
    camera_id TEXT PRIMARY KEY REFERENCES cameras(id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    since TEXT NOT NULL,
    last_frame_at TEXT,
    last_error TEXT NOT NULL DEFAULT '',
    restarts INTEGER NOT NULL DEFAULT 0,
    analysed INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);
