"""The camera registry and camera health, in the same SQLite database as everything else."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime

from citywatch.errors import ConflictError, InputError, NotFoundError
from citywatch.ingest.urls import split_credentials
from citywatch.storage.secrets import SecretBox
from citywatch.storage.table import Table, Transaction
from citywatch.types import HEALTH_STATES, Camera, CameraHealth, StreamProbe

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class CameraRegistry(Table):
    def __init__(
        self, db: sqlite3.Connection, transaction: Transaction, secrets: SecretBox
    ) -> None:
        super().__init__(db, transaction)
        self.secrets = secrets

    def add(self, camera: Camera, url_with_credentials: str) -> Camera:
        """Register a camera; the URL's credentials are stored encrypted, never in `url`."""
        if not SLUG.match(camera.id):
            raise InputError(
                f"camera id {camera.id!r} is not a slug; expected lowercase letters, digits, '-' "
                "or '_' (at most 64, starting with a letter or digit), e.g. 'theatre-sq-3'"
            )
        url, userinfo = split_credentials(url_with_credentials)
        sealed = self.secrets.seal(userinfo) if userinfo else None
        probe = camera.probe
        try:
            with self.transaction() as db:
                db.execute(
                    "INSERT INTO cameras (id, name, url, secret, lat, lon, camera_group, owner, "
                    "analysis_enabled, analysis_fps, min_face_px, priority, probe_width, "
                    "probe_height, probe_fps, probe_codec, probe_frames, probe_seconds, forced, "
                    "created_at) VALUES (" + ", ".join("?" * 20) + ")",
                    (
                        camera.id,
                        camera.name or camera.id,
                        url,
                        sealed,
                        camera.lat,
                        camera.lon,
                        camera.group,
                        camera.owner,
                        int(camera.analysis_enabled),
                        camera.analysis_fps,
                        camera.min_face_px,
                        camera.priority,
                        probe.width_px if probe else None,
                        probe.height_px if probe else None,
                        probe.fps if probe else None,
                        probe.codec if probe else None,
                        probe.frames if probe else None,
                        probe.seconds if probe else None,
                        int(camera.forced),
                        datetime.now(UTC).isoformat(),
                    ),
                )
        except sqlite3.IntegrityError:
            raise ConflictError(f"camera {camera.id!r} already exists") from None
        return self.get(camera.id)

    def get(self, camera_id: str) -> Camera:
        row = self.db.execute("SELECT * FROM cameras WHERE id = ?", (camera_id,)).fetchone()
        if row is None:
            raise NotFoundError(
                f"no camera {camera_id!r}; 'citywatch camera list' shows the registered ones"
            )
        return self._camera(row)

    def find(self, camera_id: str) -> Camera | None:
        row = self.db.execute("SELECT * FROM cameras WHERE id = ?", (camera_id,)).fetchone()
        return None if row is None else self._camera(row)

    def all(self) -> list[Camera]:
        rows = self.db.execute("SELECT * FROM cameras ORDER BY priority DESC, id").fetchall()
        return [self._camera(r) for r in rows]

    def remove(self, camera_id: str) -> Camera:
        camera = self.get(camera_id)
        with self.transaction() as db:
            db.execute("DELETE FROM cameras WHERE id = ?", (camera_id,))
        return camera

    def set_enabled(self, camera_id: str, enabled: bool) -> Camera:
        self.get(camera_id)
        with self.transaction() as db:
            db.execute(
                "UPDATE cameras SET analysis_enabled = ? WHERE id = ?", (int(enabled), camera_id)
            )
        return self.get(camera_id)

    def open_url(self, camera_id: str) -> str:
        """The URL with its credentials, for the worker that opens the stream; never display it."""
        from citywatch.ingest.urls import join_credentials

        row = self.db.execute(
            "SELECT url, secret FROM cameras WHERE id = ?", (camera_id,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no camera {camera_id!r}")
        userinfo = self.secrets.open(row["secret"]) if row["secret"] else None
        return join_credentials(row["url"], userinfo)

    @staticmethod
    def _camera(row: sqlite3.Row) -> Camera:
        probe = None
        if row["probe_width"] is not None:
            probe = StreamProbe(
                width_px=row["probe_width"],
                height_px=row["probe_height"],
                fps=row["probe_fps"],
                codec=row["probe_codec"] or "",
                frames=row["probe_frames"] or 0,
                seconds=row["probe_seconds"] or 0.0,
            )
        return Camera(
            id=row["id"],
            name=row["name"],
            url=row["url"],
            lat=row["lat"],
            lon=row["lon"],
            group=row["camera_group"],
            owner=row["owner"],
            analysis_enabled=bool(row["analysis_enabled"]),
            analysis_fps=row["analysis_fps"],
            min_face_px=row["min_face_px"],
            priority=row["priority"],
            has_credentials=row["secret"] is not None,
            probe=probe,
            forced=bool(row["forced"]),
            created_at=_time(row["created_at"]),
        )

    # -- health -------------------------------------------------------------------------------
    def record_health(self, health: CameraHealth) -> None:
        """Upsert a camera's health; dropped if the camera was removed meanwhile (a running
        supervisor must not crash because `camera remove` ran in another process)."""
        if health.state not in HEALTH_STATES:
            raise ValueError(f"unknown health state {health.state!r}")
        with self.transaction() as db:
            db.execute(
                "INSERT INTO camera_health (camera_id, state, since, last_frame_at, last_error, "
                "restarts, analysed, updated_at) SELECT ?, ?, ?, ?, ?, ?, ?, ? "
                "WHERE EXISTS (SELECT 1 FROM cameras WHERE id = ?) "
                "ON CONFLICT (camera_id) DO UPDATE SET state = excluded.state, "
                "since = excluded.since, last_frame_at = excluded.last_frame_at, "
                "last_error = excluded.last_error, restarts = excluded.restarts, "
                "analysed = excluded.analysed, updated_at = excluded.updated_at",
                (
                    health.camera_id,
                    health.state,
                    health.since.isoformat(),
                    health.last_frame_at.isoformat() if health.last_frame_at else None,
                    health.last_error,
                    health.restarts,
                    int(health.analysed),
                    (health.updated_at or datetime.now(UTC)).isoformat(),
                    health.camera_id,
                ),
            )

    def health(self) -> dict[str, CameraHealth]:
        rows = self.db.execute("SELECT * FROM camera_health").fetchall()
        return {
            r["camera_id"]: CameraHealth(
                camera_id=r["camera_id"],
                state=r["state"],
                since=datetime.fromisoformat(r["since"]),
                last_frame_at=_time(r["last_frame_at"]),
                last_error=r["last_error"],
                restarts=r["restarts"],
                analysed=bool(r["analysed"]),
                updated_at=_time(r["updated_at"]),
            )
            for r in rows
        }
