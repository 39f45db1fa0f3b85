"""Alerts in the store: kept only when their case allows it, with the evidence crop beside them.

A mixin of `Store` (one connection, one writer): the methods use its transaction, media folder,
cases and audit log.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from citywatch.cases.scope import camera_in_scope, time_in_scope
from citywatch.errors import NotFoundError
from citywatch.storage.audit import AuditLog
from citywatch.storage.cases import CaseRegistry
from citywatch.storage.media import at_offset, blob, parse_time, utc_text, write_jpeg
from citywatch.storage.outbox import Outbox
from citywatch.types import Alert, Match


class AlertRows:
    db: sqlite3.Connection
    media: Path
    cases: CaseRegistry
    audit: AuditLog
    outbox: Outbox
    transaction: Callable[[], AbstractContextManager[sqlite3.Connection]]
    on_rollback: Callable[[Callable[[], None]], None]

    def add_alert(
        self, match: Match, scan_id: int | None = None, actor: str = "citywatch"
    ) -> Alert | None:
        """Keep a match as an alert, with its audit record, if its case allows it at this moment.

        The last gate before anything is stored: the watchlist's case must be active (approved,
        not closed, not expired) and the camera and the time seen inside the case's scope.
        Otherwise nothing is kept and None is returned.
        """
        sighting = match.sighting
        created = datetime.now(UTC)
        seen_at = (
            sighting.started_at + timedelta(seconds=sighting.first_seen_s)
            if sighting.started_at is not None
            else created
        )
        relative = Path("alerts") / created.strftime("%Y-%m-%d") / f"{uuid.uuid4().hex}.jpg"
        target = self.media / relative
        with self.transaction() as db:
            listed = db.execute(
                "SELECT id, case_id FROM watchlists WHERE name = ?", (match.watchlist,)
            ).fetchone()
            if listed is None:
                raise NotFoundError(
                    f"no watchlist named {match.watchlist!r} for the alert on "
                    f"{sighting.camera_id} track {sighting.track_id}"
                )
            if listed["case_id"] is None:
                return None
            case = self.cases.by_id(listed["case_id"])
            camera = db.execute(
                "SELECT camera_group, lat, lon FROM cameras WHERE id = ?", (sighting.camera_id,)
            ).fetchone()
            inside = camera_in_scope(
                case.scope,
                sighting.camera_id,
                camera["camera_group"] if camera else "",
                camera["lat"] if camera else None,
                camera["lon"] if camera else None,
            )
            if not (case.is_active(created) and inside and time_in_scope(case.scope, seen_at)):
                return None
            write_jpeg(target, sighting.crop)
            self.on_rollback(lambda: target.unlink(missing_ok=True))
            cursor = db.execute(
                "INSERT INTO alerts (scan_id, person_id, photo_id, watchlist_id, camera_id, "
                "track_id, similarity, min_similarity, first_seen_s, last_seen_s, crop_path, "
                "embedding, created_at, first_seen_at, last_seen_at, case_id, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    scan_id,
                    match.person_id,
                    match.photo_id,
                    listed["id"],
                    sighting.camera_id,
                    sighting.track_id,
                    match.similarity,
                    match.min_similarity,
                    sighting.first_seen_s,
                    sighting.last_seen_s,
                    str(relative),
                    blob(sighting.embedding),
                    utc_text(created),
                    at_offset(sighting.started_at, sighting.first_seen_s),
                    at_offset(sighting.started_at, sighting.last_seen_s),
                    case.id,
                    (created + timedelta(days=case.retention_days)).isoformat(
                        timespec="microseconds"
                    ),
                ),
            )
            alert_id = int(cursor.lastrowid or 0)
            self.audit.append(
                actor,
                "alert.raise",
                f"alert:{alert_id}",
                case.id,
                {
                    "camera": sighting.camera_id,
                    "watchlist": match.watchlist,
                    "person_id": match.person_id,
                    "similarity": round(match.similarity, 4),
                    "scan_id": scan_id,
                },
            )
            self.outbox.publish(alert_id, case.id, "raised")
        return self.alert(alert_id)

    def extend_alert(self, alert_id: int, match: Match) -> Alert:
        """A later track of the same pass: widen the alert's time span, keep the best similarity."""
        sighting = match.sighting
        with self.transaction() as db:
            db.execute(
                "UPDATE alerts SET last_seen_s = max(last_seen_s, ?), "
                "last_seen_at = coalesce(?, last_seen_at), similarity = max(similarity, ?) "
                "WHERE id = ?",
                (
                    sighting.last_seen_s,
                    at_offset(sighting.started_at, sighting.last_seen_s),
                    match.similarity,
                    alert_id,
                ),
            )
            case_id = db.execute("SELECT case_id FROM alerts WHERE id = ?", (alert_id,)).fetchone()
            self.outbox.publish(alert_id, case_id[0] if case_id else None, "extended")
        return self.alert(alert_id)

    def alert(self, alert_id: int) -> Alert:
        row = self.db.execute(_ALERT_QUERY + " WHERE a.id = ?", (alert_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no alert with id {alert_id}")
        return self._alert(row)

    def alerts(
        self,
        status: str | None = None,
        limit: int = 1000,
        case_ids: Collection[int] | None = None,
    ) -> list[Alert]:
        """Newest first; `case_ids` limits them to those cases (None: every case)."""
        conditions: list[str] = []
        args: list[object] = []
        if status:
            conditions.append("a.status = ?")
            args.append(status)
        if case_ids is not None:
            conditions.append(f"a.case_id IN ({', '.join('?' * len(case_ids)) or 'NULL'})")
            args.extend(case_ids)
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        rows = self.db.execute(
            _ALERT_QUERY + f" {where} ORDER BY a.id DESC LIMIT ?", (*args, limit)
        ).fetchall()
        return [self._alert(r) for r in rows]

    def _alert(self, row: sqlite3.Row) -> Alert:
        return Alert(
            id=row["id"],
            person_id=row["person_id"],
            person_name=row["person_name"],
            watchlist=row["watchlist"],
            camera_id=row["camera_id"],
            track_id=row["track_id"],
            similarity=row["similarity"],
            first_seen_s=row["first_seen_s"],
            last_seen_s=row["last_seen_s"],
            crop_path=self.media / row["crop_path"],
            photo_path=self.media / row["photo_path"],
            created_at=datetime.fromisoformat(row["created_at"]),
            status=row["status"],
            first_seen_at=parse_time(row["first_seen_at"]),
            last_seen_at=parse_time(row["last_seen_at"]),
            case_id=row["case_id"],
            case_reference=row["case_reference"] or "",
            confirmations=row["confirmations"],
            expires_at=parse_time(row["expires_at"]),
            watchlist_colour=row["watchlist_colour"],
            watchlist_priority=row["watchlist_priority"],
        )


_ALERT_QUERY = (
    "SELECT a.*, p.name AS person_name, w.name AS watchlist, ph.path AS photo_path, "
    "w.colour AS watchlist_colour, w.priority AS watchlist_priority, "
    "c.reference AS case_reference, (SELECT count(DISTINCT r.reviewer_id) FROM alert_reviews r "
    " WHERE r.alert_id = a.id AND r.decision = 'confirm') AS confirmations FROM alerts a "
    "JOIN people p ON p.id = a.person_id JOIN watchlists w ON w.id = a.watchlist_id "
    "JOIN photos ph ON ph.id = a.photo_id LEFT JOIN cases c ON c.id = a.case_id"
)
