"""Reviews of alerts, and the "not this person" examples that rejections leave behind."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from citywatch.errors import NotFoundError
from citywatch.storage.table import Table
from citywatch.types import FloatArray, IntArray, Review, User


class ReviewRecords(Table):
    def reviews(self, alert_id: int) -> list[Review]:
        rows = self.db.execute(
            "SELECT r.*, u.name AS reviewer FROM alert_reviews r JOIN users u "
            "ON u.id = r.reviewer_id WHERE r.alert_id = ? ORDER BY r.id",
            (alert_id,),
        )
        return [
            Review(
                alert_id=row["alert_id"],
                reviewer=row["reviewer"],
                decision=row["decision"],
                note=row["note"],
                at=datetime.fromisoformat(row["created_at"]),
            )
            for row in rows
        ]

    def add(self, review: Review, reviewer: User, status: str) -> None:
        """Record `review` and set the alert's status, in one transaction."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO alert_reviews (alert_id, reviewer_id, decision, note, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    review.alert_id,
                    reviewer.id,
                    review.decision,
                    review.note,
                    review.at.astimezone(UTC).isoformat(timespec="microseconds"),
                ),
            )
            db.execute("UPDATE alerts SET status = ? WHERE id = ?", (status, review.alert_id))

    def add_not_this_person(self, alert_id: int, embedder: str) -> int:
        """Keep the alert's sighting embedding as an example of who the person is not."""
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO not_this_person (person_id, embedder, embedding, alert_id, "
                "created_at) SELECT person_id, ?, embedding, id, ? FROM alerts WHERE id = ?",
                (embedder, datetime.now(UTC).isoformat(), alert_id),
            )
            if not cursor.rowcount:
                # Nothing inserted: lastrowid would still hold the previous insert's id.
                raise NotFoundError(f"no alert with id {alert_id} to keep as 'not this person'")
        return int(cursor.lastrowid or 0)

    def rejected_examples(self, embedder: str) -> tuple[FloatArray, IntArray]:
        """(embeddings (m, d), person ids (m,)) of every "not this person" example."""
        rows = self.db.execute(
            "SELECT person_id, embedding FROM not_this_person WHERE embedder = ? ORDER BY id",
            (embedder,),
        ).fetchall()
        if not rows:
            return np.zeros((0, 0), dtype=np.float32), np.zeros(0, dtype=np.int64)
        embeddings = np.stack([np.frombuffer(r["embedding"], dtype="<f4") for r in rows])
        person_ids = np.array([r["person_id"] for r in rows], dtype=np.int64)
        return embeddings.astype(np.float32), person_ids
