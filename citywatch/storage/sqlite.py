"""SQLite store: WAL mode, alerts written with `synchronous=FULL`, media files beside the database.

Layout under the home folder: `citywatch.db` and `media/` (`photos/<person>/<photo>.jpg`,
`alerts/<yyyy-mm-dd>/<uuid>.jpg`). Media files are written before the row that names them and
removed again if the row cannot be committed, so no row ever points at a missing file.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from citywatch.errors import ConflictError, NotFoundError, StorageError
from citywatch.storage.alerts import AlertRows
from citywatch.storage.audit import AuditLog
from citywatch.storage.cameras import CameraRegistry
from citywatch.storage.cases import CaseRegistry
from citywatch.storage.media import blob, parse_time, utc_text, write_jpeg
from citywatch.storage.migrate import migrate
from citywatch.storage.outbox import Outbox
from citywatch.storage.reviews import ReviewRecords
from citywatch.storage.secrets import SecretBox
from citywatch.storage.users import UserRegistry
from citywatch.types import (
    DEFAULT_WATCHLIST_COLOUR,
    Faces,
    Gallery,
    Image,
    Person,
    ScanSummary,
    Watchlist,
)

DB_NAME = "citywatch.db"


def _now() -> str:
    return utc_text(datetime.now(UTC))


class Store(AlertRows):
    def __init__(self, home: Path) -> None:
        self.home = home
        self.media = home / "media"
        try:
            home.mkdir(parents=True, exist_ok=True)
            self.media.mkdir(exist_ok=True)
            # One Store serves one caller at a time, but the API may run a request's
            # dependencies and handler on different worker threads: allow that hand-over.
            self.db = sqlite3.connect(
                home / DB_NAME, isolation_level=None, timeout=30, check_same_thread=False
            )
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
        self.outbox = Outbox(self.db, self.transaction)

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
    def create_watchlist(
        self,
        name: str,
        min_similarity: float | None,
        case_id: int,
        colour: str = DEFAULT_WATCHLIST_COLOUR,
        priority: str = "normal",
    ) -> Watchlist:
        try:
            with self.transaction() as db:
                db.execute(
                    "INSERT INTO watchlists (name, min_similarity, created_at, case_id, colour, "
                    "priority) VALUES (?, ?, ?, ?, ?, ?)",
                    (name, min_similarity, _now(), case_id, colour, priority),
                )
        except sqlite3.IntegrityError as error:
            if "UNIQUE" not in str(error):
                raise  # an unknown case id is a bug above us, not "already exists"
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
            colour=row["colour"],
            priority=row["priority"],
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

    def people(self, watchlist: str) -> list[Person]:
        """Everyone on a watchlist, by name, each with their photos' ids, oldest first."""
        listed = self.watchlist(watchlist)
        photo_ids: dict[int, list[int]] = {}
        for row in self.db.execute(
            "SELECT ph.id, ph.person_id FROM photos ph JOIN people p ON p.id = ph.person_id "
            "WHERE p.watchlist_id = ? ORDER BY ph.id",
            (listed.id,),
        ):
            photo_ids.setdefault(row["person_id"], []).append(row["id"])
        rows = self.db.execute(
            "SELECT id, name, created_at FROM people WHERE watchlist_id = ? ORDER BY name, id",
            (listed.id,),
        ).fetchall()
        return [
            Person(
                id=row["id"],
                watchlist=watchlist,
                name=row["name"],
                photos=len(photo_ids.get(row["id"], [])),
                enrolled_at=parse_time(row["created_at"]),
                photo_ids=tuple(photo_ids.get(row["id"], [])),
            )
            for row in rows
        ]

    def enrolled_photo(self, watchlist: str, person: str, sha256: str) -> int | None:
        """The id of `person`'s enrolled photo with these exact bytes, if there is one."""
        row = self.db.execute(
            "SELECT ph.id FROM photos ph JOIN people p ON p.id = ph.person_id "
            "JOIN watchlists w ON w.id = p.watchlist_id "
            "WHERE w.name = ? AND p.name = ? AND ph.sha256 = ? ORDER BY ph.id LIMIT 1",
            (watchlist, person, sha256),
        ).fetchone()
        return None if row is None else int(row["id"])

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
            write_jpeg(target, image)
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
                (photo_id, embedder, blob(faces.embeddings[0])),
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
                utc_text(at or datetime.now(UTC)),
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


def open_store(home: str | Path) -> Store:
    return Store(Path(home))
