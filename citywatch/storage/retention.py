"""The retention job's deletions: alerts past their retention, and the enrolled people and photos
of cases that ended more than their retention ago. Files go only after the rows are gone."""

from __future__ import annotations

from datetime import datetime

from citywatch.storage.media import utc_text
from citywatch.storage.sqlite import Store
from citywatch.types import RetentionReport


def delete_due(store: Store, now: datetime) -> RetentionReport:
    """Delete what is due at `now`, inside the caller's transaction (one is opened if none)."""
    # Stored times are UTC text, compared as text: `now` must be written the same way.
    at = utc_text(now)
    with store.transaction() as db:
        ended = [
            row["id"]
            for row in db.execute(
                "SELECT id FROM cases WHERE datetime(coalesce(closed_at, expires_at), "
                "'+' || retention_days || ' days') <= datetime(?) "
                "AND (status = 'closed' OR expires_at <= ?)",
                (at, at),
            )
        ]
        marks = ", ".join("?" * len(ended)) or "NULL"
        alert_rows = db.execute(
            f"SELECT id, crop_path FROM alerts WHERE expires_at <= ? OR case_id IN ({marks})",
            (at, *ended),
        ).fetchall()
        people = [
            row[0]
            for row in db.execute(
                "SELECT p.id FROM people p JOIN watchlists w ON w.id = p.watchlist_id "
                f"WHERE w.case_id IN ({marks})",
                ended,
            )
        ]
        person_marks = ", ".join("?" * len(people)) or "NULL"
        photo_rows = db.execute(
            f"SELECT id, path FROM photos WHERE person_id IN ({person_marks})", people
        ).fetchall()
        examples = db.execute(
            f"SELECT count(*) FROM not_this_person WHERE person_id IN ({person_marks})", people
        ).fetchone()[0]
        alert_marks = ", ".join("?" * len(alert_rows)) or "NULL"
        db.execute(f"DELETE FROM alerts WHERE id IN ({alert_marks})", [r["id"] for r in alert_rows])
        db.execute(f"DELETE FROM people WHERE id IN ({person_marks})", people)
        sessions = db.execute("DELETE FROM sessions WHERE expires_at <= ?", (at,)).rowcount
        files = [store.media / r["crop_path"] for r in alert_rows]
        files += [store.media / r["path"] for r in photo_rows]

        def remove_files() -> None:
            for path in files:
                path.unlink(missing_ok=True)

        store.after_commit(remove_files)
    return RetentionReport(
        alerts=len(alert_rows),
        people=len(people),
        photos=len(photo_rows),
        examples=int(examples),
        sessions=sessions,
    )
