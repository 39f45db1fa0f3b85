-- How a watchlist's alerts look and rank on the alert wall: a colour officers learn to read at a
-- glance (wanted in red, missing people in blue) and a priority.

ALTER TABLE watchlists ADD COLUMN colour TEXT NOT NULL DEFAULT '#c92a2a';
ALTER TABLE watchlists ADD COLUMN priority TEXT NOT NULL DEFAULT 'normal'
    CHECK (priority IN ('low', 'normal', 'high', 'urgent'));
