"""The supervisor: starts a worker process per analysed camera, restarts the ones that crash or
hang (with backoff, without touching the others), and is the one writer of alerts and health.

Cameras above the global cap (`max_analysed_cameras`, highest priority first) stay registered and
are health-checked by a light prober thread instead of being analysed. While running, it follows
the registry every `CAMERA_REFRESH_S`: a camera added (or enabled, or risen above the cap) starts,
one removed (or disabled, or fallen below the cap) stops after handing over its open tracks.
"""

from __future__ import annotations

import multiprocessing
import queue as queue_module
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from multiprocessing.process import BaseProcess
from typing import Any

from citywatch.alerts.dedup import AlertDeduplicator
from citywatch.ingest.stream import stream_options
from citywatch.ingest.urls import redact_text
from citywatch.match.matcher import Matcher
from citywatch.runtime.messages import (
    HealthChanged,
    Heartbeat,
    SightingFound,
    WorkerCounters,
    WorkerMessage,
    WorkerSpec,
    WorkerStopped,
)
from citywatch.runtime.standby import StandbyProber
from citywatch.runtime.worker import run_worker
from citywatch.types import Alert, Camera, CameraHealth

RESTART_BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
GALLERY_REFRESH_S = 10.0
CAMERA_REFRESH_S = 5.0


def assign_cameras(cameras: list[Camera], cap: int) -> tuple[list[Camera], list[Camera]]:
    """(analysed, standby): enabled cameras by priority (high first), then id, up to the cap."""
    enabled = sorted((c for c in cameras if c.analysis_enabled), key=lambda c: (-c.priority, c.id))
    analysed = enabled[:cap]
    chosen = {c.id for c in analysed}
    return analysed, [c for c in cameras if c.id not in chosen]


@dataclass(slots=True)
class WorkerHandle:
    spec: WorkerSpec
    process: BaseProcess | None = None
    restarts: int = 0
    next_start_mono: float = 0.0
    last_heartbeat_mono: float = 0.0
    stopped: bool = False
    finished: WorkerCounters = field(default_factory=WorkerCounters)
    """Totals of this camera's earlier (ended) worker processes."""
    current: WorkerCounters = field(default_factory=WorkerCounters)

    @property
    def counters(self) -> WorkerCounters:
        return self.finished + self.current

    def retire(self, last: WorkerCounters | None = None) -> None:
        self.finished = self.finished + (last if last is not None else self.current)
        self.current = WorkerCounters()


class Supervisor:
    def __init__(
        self,
        services: Any,
        on_alert: Callable[[Alert], None],
        on_health: Callable[[CameraHealth], None] | None = None,
    ) -> None:
        self.services = services
        self.settings = services.settings
        self.store = services.store
        self.on_alert = on_alert
        self.on_health = on_health
        """Called with every change of a camera's state while running (not for the `offline`
        that `stop` records for all): each one, even two within one step."""
        self.context = multiprocessing.get_context("spawn")
        self.queue: Any = self.context.Queue()
        self.stop_event = self.context.Event()
        self.workers: dict[str, WorkerHandle] = {}
        self.health: dict[str, CameraHealth] = {}
        self.alerts = 0
        self.sightings = 0
        self._matcher = Matcher(self._gallery())
        self._gallery_at = time.monotonic()
        self._dedup = AlertDeduplicator(self.settings.alert_cooldown_s)
        self._cameras_at = time.monotonic()
        self._prober: StandbyProber | None = None
        self._retiring: list[BaseProcess] = []
        """Workers of cameras no longer analysed, finishing their open tracks."""

    def _gallery(self) -> Any:
        return self.store.gallery(self.settings.embedder, self.services.default_min_similarity)

    def _spec(self, camera: Camera) -> WorkerSpec:
        s = self.settings
        return WorkerSpec(
            camera_id=camera.id,
            url=self.store.cameras.open_url(camera.id),
            analysis_fps=camera.analysis_fps,
            min_face_px=camera.min_face_px,
            embedder=s.embedder,
            flip=s.flip,
            detector_max_side_px=s.detector_max_side_px,
            detector_coarse_side_px=s.live_detector_coarse_side_px,
            detector_full_every=s.live_detector_full_every,
            detector_min_score=s.detector_min_score,
            shots_per_track=s.shots_per_track,
            max_track_age_s=s.max_track_age_s,
            stream=stream_options(s, loop_files=True, max_side_px=s.detector_max_side_px),
            stall_after_s=s.stall_after_s,
            interim_sighting_after_s=s.interim_sighting_after_s,
        )

    def counters(self) -> dict[str, WorkerCounters]:
        """Per analysed camera: frames, sightings, connections, summed over worker restarts."""
        return {camera_id: handle.counters for camera_id, handle in self.workers.items()}

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> tuple[list[Camera], list[Camera]]:
        cameras = self.store.cameras.all()
        analysed, standby = assign_cameras(cameras, self.settings.max_analysed_cameras)
        now = datetime.now(UTC)
        for camera in analysed:
            self.workers[camera.id] = WorkerHandle(self._spec(camera))
            self._record(CameraHealth(camera.id, "starting", now, analysed=True))
        for camera in standby:
            self._record(CameraHealth(camera.id, "starting", now, analysed=False))
        for handle in self.workers.values():
            self._launch(handle)
        self._probe(standby)
        self._cameras_at = time.monotonic()
        return analysed, standby

    def _probe(self, standby: list[Camera]) -> None:
        """(Re)start the standby prober for exactly these cameras; none when there are none."""
        if self._prober is not None:
            if self._prober.camera_ids == {c.id for c in standby}:
                return
            self._prober.stop()
            self._prober = None
        if standby:
            self._prober = StandbyProber(
                [(c.id, self.store.cameras.open_url(c.id)) for c in standby],
                stream_options(self.settings),
                self.settings.health_check_interval_s,
                self.queue,
            )
            self._prober.start()

    def reconcile(self) -> None:
        """Follow the registry: start newly analysed cameras, retire ones no longer analysed."""
        self._cameras_at = time.monotonic()
        if self.stop_event.is_set():
            return
        cameras = self.store.cameras.all()
        analysed, standby = assign_cameras(cameras, self.settings.max_analysed_cameras)
        wanted = {camera.id for camera in analysed}
        registered = {camera.id for camera in cameras}
        for camera_id in [i for i in self.workers if i not in wanted]:
            self._retire(self.workers.pop(camera_id))
            if camera_id not in registered:
                self.health.pop(camera_id, None)
        now = datetime.now(UTC)
        for camera in analysed:
            if camera.id not in self.workers:
                handle = WorkerHandle(self._spec(camera))
                self.workers[camera.id] = handle
                self._record(CameraHealth(camera.id, "starting", now, analysed=True))
                self._launch(handle)
        for camera in standby:
            if camera.id not in self.health:
                self._record(CameraHealth(camera.id, "starting", now, analysed=False))
        self._probe(standby)

    def _retire(self, handle: WorkerHandle) -> None:
        """Stop one camera's worker the gentle way (SIGTERM: it flushes its open tracks, whose
        sightings still arrive and are matched); `stop` kills whatever is left."""
        process = handle.process
        if process is not None and process.is_alive():
            process.terminate()
            self._retiring.append(process)

    def _launch(self, handle: WorkerHandle) -> None:
        process = self.context.Process(
            target=run_worker,
            args=(handle.spec, self.queue, self.stop_event),
            name=f"camera-{handle.spec.camera_id}",
            daemon=True,
        )
        process.start()
        handle.process = process
        handle.stopped = False
        handle.last_heartbeat_mono = time.monotonic()

    def run(self, until: Callable[[], bool]) -> None:
        """Handle messages and watch workers until `until()` is true; then stop cleanly."""
        try:
            while not until():
                self.step(0.2)
        finally:
            self.stop()

    def step(self, timeout_s: float) -> None:
        self._drain(timeout_s)
        self._watch_workers()
        for ended in [p for p in self._retiring if not p.is_alive()]:
            ended.join(0)  # reap it
            self._retiring.remove(ended)
        if time.monotonic() - self._cameras_at > CAMERA_REFRESH_S:
            self.reconcile()
        if time.monotonic() - self._gallery_at > GALLERY_REFRESH_S:
            self._matcher = Matcher(self._gallery())  # new enrolments take effect while running
            self._gallery_at = time.monotonic()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Ask every worker to finish its in-flight sightings, collect them, then end."""
        self.stop_event.set()
        if self._prober is not None:
            self._prober.stop(timeout_s=0)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and any(
            h.process is not None and not h.stopped for h in self.workers.values()
        ):
            self._drain(0.2)
            for handle in self.workers.values():
                if handle.process is not None and not handle.process.is_alive():
                    handle.stopped = True
        self._drain(0.0)
        processes = [h.process for h in self.workers.values() if h.process is not None]
        for process in (*processes, *self._retiring):
            if process.is_alive():
                process.kill()
            process.join(timeout=5)
        self._retiring = []
        now = datetime.now(UTC)
        for health in list(self.health.values()):
            self._record(
                replace(health, state="offline", since=now, last_error="citywatch stopped"),
                announce=False,
            )

    # -- messages -------------------------------------------------------------------------------
    def _drain(self, timeout_s: float) -> None:
        wait = timeout_s
        while True:
            try:
                message: WorkerMessage = (
                    self.queue.get(timeout=wait) if wait else self.queue.get_nowait()
                )
            except queue_module.Empty:
                return
            wait = 0.0
            self._handle(message)

    def _handle(self, message: WorkerMessage) -> None:
        if isinstance(message, SightingFound):
            self.sightings += 1
            sighting = message.sighting
            for match in self._matcher.match(sighting):
                track = (sighting.started_at, sighting.track_id)
                earlier = self._dedup.existing(
                    sighting.camera_id, match.person_id, sighting.first_seen_s, track
                )
                if earlier is not None:
                    alert = self.store.extend_alert(earlier, match)
                else:
                    found = self.store.add_alert(match)
                    if found is None:  # its case ended, or camera or time outside its scope
                        continue
                    alert = found
                    self.alerts += 1
                    self.on_alert(alert)
                self._dedup.remember(
                    sighting.camera_id, match.person_id, alert.id, sighting.last_seen_s, track
                )
        elif isinstance(message, HealthChanged):
            health = message.health
            handle = self.workers.get(health.camera_id)
            standby = self._prober is not None and health.camera_id in self._prober.camera_ids
            if handle is None and not standby:
                return  # a retired worker's last words: the camera is gone or on standby now
            previous = self.health.get(health.camera_id)
            if previous is not None and previous.state == health.state:
                health = replace(health, since=previous.since)  # a repeat, not a change
            self._record(
                replace(health, restarts=handle.restarts if handle else 0, analysed=bool(handle))
            )
        elif isinstance(message, Heartbeat):
            handle = self.workers.get(message.camera_id)
            if handle is not None and not handle.stopped:
                handle.last_heartbeat_mono = time.monotonic()
                handle.current = message.counters
                if message.progress_age_s > self.settings.hung_after_s:
                    self._restart(handle, f"no progress for {message.progress_age_s:.0f} s")
        elif isinstance(message, WorkerStopped):
            handle = self.workers.get(message.camera_id)
            if handle is not None:
                handle.stopped = True
                handle.retire(message.counters)
                if message.error and not self.stop_event.is_set():
                    self._note_error(handle.spec.camera_id, message.error)

    def _note_error(self, camera_id: str, error: str) -> None:
        health = self.health.get(camera_id)
        if health is not None:
            self._record(replace(health, last_error=redact_text(error)))

    def _record(self, health: CameraHealth, announce: bool = True) -> None:
        previous = self.health.get(health.camera_id)
        self.health[health.camera_id] = health
        self.store.cameras.record_health(health)
        changed = previous is None or previous.state != health.state
        if announce and changed and self.on_health is not None:
            self.on_health(health)

    # -- worker watch ---------------------------------------------------------------------------
    def _watch_workers(self) -> None:
        if self.stop_event.is_set():
            return
        now = time.monotonic()
        for handle in self.workers.values():
            process = handle.process
            if process is None:
                if now >= handle.next_start_mono:
                    self._launch(handle)
                continue
            if not process.is_alive():
                self._restart(handle, f"worker exited with code {process.exitcode}")
            elif now - handle.last_heartbeat_mono > self.settings.hung_after_s:
                self._restart(handle, "worker sent no heartbeat")

    def _restart(self, handle: WorkerHandle, reason: str) -> None:
        process = handle.process
        if process is not None and process.is_alive():
            process.kill()
            process.join(timeout=5)
        if not handle.stopped:
            handle.retire()  # killed: its last heartbeat is all we know
        delay = RESTART_BACKOFF_S[min(handle.restarts, len(RESTART_BACKOFF_S) - 1)]
        handle.restarts += 1
        handle.process = None
        handle.next_start_mono = time.monotonic() + delay
        camera_id = handle.spec.camera_id
        health = self.health.get(camera_id) or CameraHealth(
            camera_id, "starting", datetime.now(UTC)
        )
        self._record(
            replace(
                health,
                restarts=handle.restarts,
                last_error=f"{reason}; restarting in {delay:.0f} s",
                analysed=True,
            )
        )
