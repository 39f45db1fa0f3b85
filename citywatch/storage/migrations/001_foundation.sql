-- Watchlists, the people on them and their enrolled photos; alerts with their evidence; scan counts.
-- Faces that match nothing are never stored: scans keep only counters.
CREATE TABLE watchlists (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    min_similarity REAL,              -- NULL: the embedder's calibrated default
    created_at TEXT NOT NULL
);

CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    watchlist_id INTEGER NOT NULL REFERENCES watchlists(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (watchlist_id, name)
);

CREATE TABLE photos (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    source_name TEXT NOT NULL,         -- the file name the photo was enrolled from
    sha256 TEXT NOT NULL,              -- of the file as given
    path TEXT NOT NULL,                -- the stored copy, relative to the media folder
    face_box TEXT NOT NULL,            -- JSON [x1, y1, x2, y2] in the stored copy
    landmarks TEXT NOT NULL,           -- JSON 5x2, so another embedder can re-embed without re-detecting
    face_px REAL NOT NULL,
    quality REAL NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE photo_embeddings (
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    embedder TEXT NOT NULL,
    embedding BLOB NOT NULL,           -- float32 little-endian, unit length
    PRIMARY KEY (photo_id, embedder)
);

CREATE TABLE scans (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    sources TEXT NOT NULL,             -- JSON list of camera ids
    embedder TEXT NOT NULL,
    frames INTEGER NOT NULL DEFAULT 0,
    faces INTEGER NOT NULL DEFAULT 0,
    tracks INTEGER NOT NULL DEFAULT 0,
    sightings INTEGER NOT NULL DEFAULT 0,
    alerts INTEGER NOT NULL DEFAULT 0,
    seconds REAL NOT NULL DEFAULT 0,
    finished_at TEXT
);

CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    scan_id INTEGER REFERENCES scans(id),
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    watchlist_id INTEGER NOT NULL REFERENCES watchlists(id) ON DELETE CASCADE,
    camera_id TEXT NOT NULL,
    track_id INTEGER NOT NULL,
    similarity REAL NOT NULL,
    min_similarity REAL NOT NULL,
    first_seen_s REAL NOT NULL,
    last_seen_s REAL NOT NULL,
    crop_path TEXT NOT NULL,
    embedding BLOB NOT NULL,           -- of the sighting, kept as evidence with the alert
    status TEXT NOT NULL DEFAULT 'pending',
    created_at TEXT NOT NULL
);
CREATE INDEX alerts_by_time ON alerts (created_at);
