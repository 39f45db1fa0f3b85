"""SQLite store: WAL mode, alerts written with `synchronous=FULL`, media files beside the database.

Layout under the home folder: `citywatch.db` and `media/` (`photos/<person>/<photo>.jpg`,
`alerts/<yyyy-mm-dd>/<uuid>.jpg`). Media files are written before the row that names them and
removed again if the row cannot be committed, so no row ever points at a missing file.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np

from citywatch.cases.scope import camera_in_scope, time_in_scope
from citywatch.errors import ConflictError, NotFoundError, StorageError
from citywatch.storage.audit import AuditLog
from citywatch.storage.cameras import CameraRegistry
from citywatch.storage.cases import CaseRegistry
from citywatch.storage.migrate import migrate
from citywatch.storage.reviews import ReviewRecords
from citywatch.storage.secrets import SecretBox
from citywatch.storage.users import UserRegistry
from citywatch.types import (
    Alert,
    Faces,
    FloatArray,
    Gallery,
    Image,
    Match,
    Person,
    ScanSummary,
    Watchlist,
)

DB_NAME = "citywatch.db"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _at(started_at: datetime | None, offset_s: float) -> str | None:
    """Server UTC time of an offset into a live source; None for files (no wall-clock start)."""
    if started_at is None:
        return None
    return (started_at + timedelta(seconds=offset_s)).isoformat(timespec="milliseconds")


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _blob(vector: FloatArray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def _write_jpeg(path: Path, image: Image) -> None:
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 92])
    if not ok:
        raise StorageError(f"cannot encode image for {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(encoded.tobytes())
    temporary.replace(path)


class Store:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.media = home / "media"
        try:
            home.mkdir(parents=True, exist_ok=True)
            self.media.mkdir(exist_ok=True)
            self.db = sqlite3.connect(home / DB_NAME, isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("PRAGMA foreign_keys=ON")
        except (OSError, sqlite3.Error) as error:
            raise StorageError(f"cannot open the citywatch home {home}: {error}") from None
        self.db.row_factory = sqlite3.Row
        try:
            migrate(self.db)
        except BaseException:
            self.db.close()
            raise
        self._depth = 0
        self._undo: list[Callable[[], None]] = []
        self._done: list[Callable[[], None]] = []
        self.cameras = CameraRegistry(
            self.db, self.transaction, SecretBox(home / "keys" / "cameras.key")
        )
        self.users = UserRegistry(self.db, self.transaction)
        self.cases = CaseRegistry(self.db, self.transaction)
        self.audit = AuditLog(self.db)
        self.reviews = ReviewRecords(self.db, self.transaction)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One writer: BEGIN IMMEDIATE takes the write lock up front.

        Re-entrant: a block inside another joins it, so that a service can put an action and its
        audit record in one transaction (see `on_rollback` for files written meanwhile).
        """
        if self._depth:
            self._depth += 1
            try:
                yield self.db
            finally:
                self._depth -= 1
            return
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise StorageError(f"cannot write to {self.home / DB_NAME}: {error}") from None
        self._depth, self._undo, self._done = 1, [], []
        try:
            yield self.db
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            for undo in reversed(self._undo):
                undo()
            raise
        finally:
            done, self._depth, self._undo, self._done = self._done, 0, [], []
        for then in done:
            then()

    def on_rollback(self, undo: Callable[[], None]) -> None:
        """Run `undo` if the current transaction rolls back (remove a media file written for it)."""
        if not self._depth:
            raise RuntimeError("on_rollback needs an open transaction")
        self._undo.append(undo)

    def after_commit(self, then: Callable[[], None]) -> None:
        """Run `then` once the current transaction has committed (delete a media file whose
        row is deleted: if the transaction rolls back, the file must still be there)."""
        if not self._depth:
            raise RuntimeError("after_commit needs an open transaction")
        self._done.append(then)

    # -- watchlists and people -------------------------------------------------------------
    def create_watchlist(self, name: str, min_similarity: float | None, case_id: int) -> Watchlist:
        try:
            with self.transaction() as db:
                db.execute(
                    "INSERT INTO watchlists (name, min_similarity, created_at, case_id) "
                    "VALUES (?, ?, ?, ?)",
                    (name, min_similarity, _now(), case_id),
                )
        except sqlite3.IntegrityError:
            raise ConflictError(f"watchlist {name!r} already exists") from None
        return self.watchlist(name)

    def watchlist(self, name: str) -> Watchlist:
        row = self.db.execute(
            "SELECT w.*, (SELECT count(*) FROM people p WHERE p.watchlist_id = w.id) AS people, "
            "(SELECT count(*) FROM photos ph JOIN people p ON ph.person_id = p.id "
            " WHERE p.watchlist_id = w.id) AS photos, c.reference AS case_reference "
            "FROM watchlists w LEFT JOIN cases c ON c.id = w.case_id WHERE w.name = ?",
            (name,),
        ).fetchone()
        if row is None:
            names = [r[0] for r in self.db.execute("SELECT name FROM watchlists ORDER BY name")]
            known = ", ".join(names) if names else "none yet"
            raise NotFoundError(
                f"no watchlist named {name!r} (existing: {known}); create it with "
                f"'citywatch watchlist create {name} --case REFERENCE'"
            )
        return self._watchlist(row)

    def watchlists(self) -> list[Watchlist]:
        names = [r[0] for r in self.db.execute("SELECT name FROM watchlists ORDER BY name")]
        return [self.watchlist(n) for n in names]

    @staticmethod
    def _watchlist(row: sqlite3.Row) -> Watchlist:
        return Watchlist(
            id=row["id"],
            name=row["name"],
            min_similarity=row["min_similarity"],
            created_at=datetime.fromisoformat(row["created_at"]),
            people=row["people"],
            photos=row["photos"],
            case_id=row["case_id"],
            case_reference=row["case_reference"] or "",
        )

    def person(self, watchlist: str, name: str, create: bool = False) -> Person:
        listed = self.watchlist(watchlist)
        query = "SELECT id FROM people WHERE watchlist_id = ? AND name = ?"
        row = self.db.execute(query, (listed.id, name)).fetchone()
        if row is None:
            if not create:
                raise NotFoundError(f"no person {name!r} on watchlist {watchlist!r}")
            with self.transaction() as db:
                db.execute(
                    "INSERT INTO people (watchlist_id, name, created_at) VALUES (?, ?, ?)",
                    (listed.id, name, _now()),
                )
            row = self.db.execute(query, (listed.id, name)).fetchone()
        photos = self.db.execute(
            "SELECT count(*) FROM photos WHERE person_id = ?", (row["id"],)
        ).fetchone()[0]
        return Person(id=row["id"], watchlist=watchlist, name=name, photos=photos)

    def add_photo(
        self,
        person: Person,
        image: Image,
        source_name: str,
        sha256: str,
        faces: Faces,
        embedder: str,
    ) -> int:
        """Store one enrolled photo (a single face in `faces`) and its embedding, atomically."""
        if len(faces) != 1 or faces.embeddings is None:
            raise ValueError("add_photo takes exactly one embedded face")
        relative = Path("photos") / str(person.id) / f"{uuid.uuid4().hex}.jpg"
        target = self.media / relative
        with self.transaction() as db:
            _write_jpeg(target, image)
            self.on_rollback(lambda: target.unlink(missing_ok=True))
            cursor = db.execute(
                "INSERT INTO photos (person_id, source_name, sha256, path, face_box, landmarks,"
                " face_px, quality, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    person.id,
                    source_name,
                    sha256,
                    str(relative),
                    json.dumps([round(float(v), 2) for v in faces.boxes[0]]),
                    json.dumps(np.round(faces.landmarks[0], 2).tolist()),
                    float(faces.heights_px[0]),
                    float(faces.quality[0]),
                    _now(),
                ),
            )
            photo_id = int(cursor.lastrowid or 0)
            db.execute(
                "INSERT INTO photo_embeddings VALUES (?, ?, ?)",
                (photo_id, embedder, _blob(faces.embeddings[0])),
            )
        return photo_id

    def photo_path(self, photo_id: int) -> Path:
        row = self.db.execute("SELECT path FROM photos WHERE id = ?", (photo_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no enrolled photo with id {photo_id}")
        return self.media / str(row["path"])

    def gallery(
        self,
        embedder: str,
        default_min_similarity: float,
        at: datetime | None = None,
        case_id: int | None = None,
    ) -> Gallery:
        """The photos of every watchlist whose case is active at `at` (default now), or of one
        case's watchlists."""
        rows = self.db.execute(
            "SELECT ph.id AS photo_id, p.id AS person_id, p.name AS person_name, "
            "w.name AS watchlist, w.min_similarity, e.embedding FROM photo_embeddings e "
            "JOIN photos ph ON ph.id = e.photo_id JOIN people p ON p.id = ph.person_id "
            "JOIN watchlists w ON w.id = p.watchlist_id JOIN cases c ON c.id = w.case_id "
            "WHERE e.embedder = ? AND c.status = 'active' AND c.approved_by IS NOT NULL "
            "AND c.expires_at > ? AND (? IS NULL OR c.id = ?) ORDER BY ph.id",
            (
                embedder,
                (at or datetime.now(UTC)).isoformat(timespec="microseconds"),
                case_id,
                case_id,
            ),
        ).fetchall()
        dim = len(rows[0]["embedding"]) // 4 if rows else 0
        rejected_embeddings, rejected_person_ids = self.reviews.rejected_examples(embedder)
        if not len(rejected_person_ids):
            rejected_embeddings = np.zeros((0, dim), dtype=np.float32)
        return Gallery(
            embedder=embedder,
            embeddings=np.array(
                [np.frombuffer(r["embedding"], dtype="<f4") for r in rows], dtype=np.float32
            ).reshape(len(rows), dim),
            photo_ids=np.array([r["photo_id"] for r in rows], dtype=np.int64),
            person_ids=np.array([r["person_id"] for r in rows], dtype=np.int64),
            person_names=tuple(r["person_name"] for r in rows),
            watchlists=tuple(r["watchlist"] for r in rows),
            min_similarities=np.array(
                [
                    default_min_similarity if r["min_similarity"] is None else r["min_similarity"]
                    for r in rows
                ],
                dtype=np.float32,
            ),
            rejected_embeddings=rejected_embeddings,
            rejected_person_ids=rejected_person_ids,
        )

    # -- scans and alerts --------------------------------------------------------------------
    def start_scan(self, sources: list[str], embedder: str) -> int:
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO scans (started_at, sources, embedder) VALUES (?, ?, ?)",
                (_now(), json.dumps(sources), embedder),
            )
        return int(cursor.lastrowid or 0)

    def finish_scan(self, scan_id: int, summary: ScanSummary) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE scans SET frames = ?, faces = ?, tracks = ?, sightings = ?, alerts = ?, "
                "seconds = ?, finished_at = ? WHERE id = ?",
                (
                    summary.frames,
                    summary.faces,
                    summary.tracks,
                    summary.sightings,
                    summary.alerts,
                    summary.seconds,
                    _now(),
                    scan_id,
                ),
            )

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
            _write_jpeg(target, sighting.crop)
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
                    _blob(sighting.embedding),
                    created.isoformat(timespec="microseconds"),
                    _at(sighting.started_at, sighting.first_seen_s),
                    _at(sighting.started_at, sighting.last_seen_s),
                    case.id,
                    (created + timedelta(days=case.retention_days)).isoformat(),
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
                    _at(sighting.started_at, sighting.last_seen_s),
                    match.similarity,
                    alert_id,
                ),
            )
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
            first_seen_at=_parse(row["first_seen_at"]),
            last_seen_at=_parse(row["last_seen_at"]),
            case_id=row["case_id"],
            case_reference=row["case_reference"] or "",
            confirmations=row["confirmations"],
            expires_at=_parse(row["expires_at"]),
        )


_ALERT_QUERY = (
    "SELECT a.*, p.name AS person_name, w.name AS watchlist, ph.path AS photo_path, "
    "c.reference AS case_reference, (SELECT count(DISTINCT r.reviewer_id) FROM alert_reviews r "
    " WHERE r.alert_id = a.id AND r.decision = 'confirm') AS confirmations FROM alerts a "
    "JOIN people p ON p.id = a.person_id JOIN watchlists w ON w.id = a.watchlist_id "
    "JOIN photos ph ON ph.id = a.photo_id LEFT JOIN cases c ON c.id = a.case_id"
)


def open_store(home: str | Path) -> Store:
    return Store(Path(home))
