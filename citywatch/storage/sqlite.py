"""SQLite store: WAL mode, alerts written with `synchronous=FULL`, media files beside the database.

Layout under the home folder: `citywatch.db` and `media/` (`photos/<person>/<photo>.jpg`,
`alerts/<yyyy-mm-dd>/<uuid>.jpg`). Media files are written before the row that names them and
removed again if the row cannot be committed, so no row ever points at a missing file.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np

from citywatch.errors import ConflictError, NotFoundError, StorageError
from citywatch.storage.cameras import CameraRegistry
from citywatch.storage.migrate import migrate
from citywatch.storage.secrets import SecretBox
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
        self.cameras = CameraRegistry(
            self.db, self.transaction, SecretBox(home / "keys" / "cameras.key")
        )

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One writer: BEGIN IMMEDIATE takes the write lock up front."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- watchlists and people -------------------------------------------------------------
    def create_watchlist(self, name: str, min_similarity: float | None) -> Watchlist:
        try:
            with self.transaction() as db:
                db.execute(
                    "INSERT INTO watchlists (name, min_similarity, created_at) VALUES (?, ?, ?)",
                    (name, min_similarity, _now()),
                )
        except sqlite3.IntegrityError:
            raise ConflictError(f"watchlist {name!r} already exists") from None
        return self.watchlist(name)

    def watchlist(self, name: str) -> Watchlist:
        row = self.db.execute(
            "SELECT w.*, (SELECT count(*) FROM people p WHERE p.watchlist_id = w.id) AS people, "
            "(SELECT count(*) FROM photos ph JOIN people p ON ph.person_id = p.id "
            " WHERE p.watchlist_id = w.id) AS photos FROM watchlists w WHERE w.name = ?",
            (name,),
        ).fetchone()
        if row is None:
            names = [r[0] for r in self.db.execute("SELECT name FROM watchlists ORDER BY name")]
            known = ", ".join(names) if names else "none yet"
            raise NotFoundError(
                f"no watchlist named {name!r} (existing: {known}); create it with "
                f"'citywatch watchlist create {name}'"
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
        _write_jpeg(target, image)
        try:
            with self.transaction() as db:
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
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return photo_id

    def photo_path(self, photo_id: int) -> Path:
        row = self.db.execute("SELECT path FROM photos WHERE id = ?", (photo_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no enrolled photo with id {photo_id}")
        return self.media / str(row["path"])

    def gallery(self, embedder: str, default_min_similarity: float) -> Gallery:
        rows = self.db.execute(
            "SELECT ph.id AS photo_id, p.id AS person_id, p.name AS person_name, "
            "w.name AS watchlist, w.min_similarity, e.embedding FROM photo_embeddings e "
            "JOIN photos ph ON ph.id = e.photo_id JOIN people p ON p.id = ph.person_id "
            "JOIN watchlists w ON w.id = p.watchlist_id WHERE e.embedder = ? ORDER BY ph.id",
            (embedder,),
        ).fetchall()
        dim = len(rows[0]["embedding"]) // 4 if rows else 0
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

    def add_alert(self, match: Match, scan_id: int | None = None) -> Alert:
        sighting = match.sighting
        created = datetime.now(UTC)
        relative = Path("alerts") / created.strftime("%Y-%m-%d") / f"{uuid.uuid4().hex}.jpg"
        target = self.media / relative
        _write_jpeg(target, sighting.crop)
        try:
            with self.transaction() as db:
                listed = db.execute(
                    "SELECT id FROM watchlists WHERE name = ?", (match.watchlist,)
                ).fetchone()
                if listed is None:
                    raise NotFoundError(
                        f"no watchlist named {match.watchlist!r} for the alert on "
                        f"{sighting.camera_id} track {sighting.track_id}"
                    )
                watchlist_id = listed[0]
                cursor = db.execute(
                    "INSERT INTO alerts (scan_id, person_id, photo_id, watchlist_id, camera_id, "
                    "track_id, similarity, min_similarity, first_seen_s, last_seen_s, crop_path, "
                    "embedding, created_at, first_seen_at, last_seen_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        scan_id,
                        match.person_id,
                        match.photo_id,
                        watchlist_id,
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
                    ),
                )
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return self.alert(int(cursor.lastrowid or 0))

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

    def alerts(self, status: str | None = None, limit: int = 1000) -> list[Alert]:
        where, args = ("WHERE a.status = ?", [status]) if status else ("", [])
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
        )


_ALERT_QUERY = (
    "SELECT a.*, p.name AS person_name, w.name AS watchlist, ph.path AS photo_path FROM alerts a "
    "JOIN people p ON p.id = a.person_id JOIN watchlists w ON w.id = a.watchlist_id "
    "JOIN photos ph ON ph.id = a.photo_id"
)


def open_store(home: str | Path) -> Store:
    return Store(Path(home))
