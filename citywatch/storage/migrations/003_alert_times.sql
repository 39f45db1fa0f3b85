-- Live cameras: when (server UTC) the person was first and last seen. NULL for file scans, whose
-- times are offsets into the file (first_seen_s, last_seen_s).
ALTER TABLE alerts ADD COLUMN first_seen_at TEXT;
ALTER TABLE alerts ADD COLUMN last_seen_at TEXT;
