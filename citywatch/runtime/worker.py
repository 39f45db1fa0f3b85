"""A camera worker: one process per analysed camera, reading, detecting, tracking, embedding.

It never touches the database: it sends `Sighting`s, health changes and heartbeats to the
supervisor over a queue. A watchdog thread sends the heartbeats and reports a stall while the
reader is blocked in FFmpeg; if the reading loop itself stops making progress, the heartbeats say
so and the supervisor restarts the process.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
import traceback
import zlib
from dataclasses import replace
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event

from citywatch.ingest.health import HealthMonitor
from citywatch.ingest.stream import LiveSource
from citywatch.ingest.urls import redact_text
from citywatch.runtime.messages import (
    HealthChanged,
    Heartbeat,
    SightingFound,
    WorkerCounters,
    WorkerMessage,
    WorkerSpec,
    WorkerStopped,
)
from citywatch.runtime.pipeline import SightingPipeline
from citywatch.types import Sighting


def run_worker(spec: WorkerSpec, queue: Queue[WorkerMessage], stop: Event) -> None:
    """Process entry point (spawned). Returns when `stop` is set, after flushing open tracks."""
    import cv2

    # One thread per camera: several cameras share the cores far better than one camera's
    # frame split over threads, and per-core cost is what the sizing depends on.
    cv2.setNumThreads(1)
    from citywatch.detect import FaceDetector, load_detector
    from citywatch.detect.cadence import CadenceDetector
    from citywatch.embed import load_embedder
    from citywatch.embed.quality import QualityGate
    from citywatch.track import ByteTracker

    monitor = HealthMonitor(
        spec.camera_id, lambda health: queue.put(HealthChanged(health)), spec.stall_after_s
    )
    local_stop = threading.Event()
    # Ctrl-C reaches the whole process group: the supervisor decides when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: local_stop.set())
    sightings = 0
    analysed = 0
    digest = 0
    first_analysed_s: float | None = None
    pipeline: SightingPipeline | None = None

    def send(found: list[Sighting]) -> None:
        nonlocal sightings
        for sighting in found:
            sightings += 1
            queue.put(SightingFound(replace(sighting, started_at=source.started_at)))

    def end_tracks() -> None:  # a disconnect: the people seen before it have left the scene
        if pipeline is not None:
            send(pipeline.flush())

    source = LiveSource(
        spec.url,
        spec.camera_id,
        spec.analysis_fps,
        monitor,
        local_stop,
        spec.stream,
        on_disconnect=end_tracks,
    )

    def counters() -> WorkerCounters:
        return WorkerCounters(
            frames_decoded=source.frames_decoded,
            frames_analysed=analysed,
            sightings=sightings,
            connections=source.connections,
            decode_errors=source.decode_errors,
            clock_resets=source.clock.resets,
            analysed_digest=digest,
        )

    parent = multiprocessing.parent_process()

    def watch() -> None:
        while not local_stop.wait(spec.heartbeat_s):
            # The supervisor asked us to stop, or it is gone (killed: nobody would read what we
            # send, and an orphaned worker would go on decoding forever).
            if parent is not None and not parent.is_alive():
                # Nothing will drain the queue again: exit without waiting for it to flush.
                queue.cancel_join_thread()
                local_stop.set()
            if stop.is_set():
                local_stop.set()
            monitor.check_stall()
            queue.put(Heartbeat(spec.camera_id, monitor.progress_age_s(), counters()))

    watchdog = threading.Thread(target=watch, name=f"watchdog-{spec.camera_id}", daemon=True)
    error = ""
    try:
        full = load_detector(
            "yunet", min_score=spec.detector_min_score, max_side_px=spec.detector_max_side_px
        )
        detector: FaceDetector = full
        if spec.detector_full_every > 1 and spec.detector_coarse_side_px:
            coarse = load_detector(
                "yunet",
                min_score=spec.detector_min_score,
                max_side_px=spec.detector_coarse_side_px,
            )
            detector = CadenceDetector(full, coarse, spec.detector_full_every)
        pipeline = SightingPipeline(
            detector,
            load_embedder(spec.embedder, flip=spec.flip),
            QualityGate(min_face_px=spec.min_face_px),
            ByteTracker(max_track_age_s=spec.max_track_age_s),
            spec.shots_per_track,
            interim_after_s=spec.interim_sighting_after_s,
        )
        watchdog.start()
        for frame in source.frames():
            analysed += 1
            if first_analysed_s is None:
                first_analysed_s = frame.timestamp_s
            offset_ms = round(1000 * (frame.timestamp_s - first_analysed_s))
            digest = zlib.crc32(f"{frame.index}:{offset_ms};".encode(), digest)
            send(pipeline.process(frame))
            monitor.touch()
        end_tracks()  # stopping: finish the sightings in flight
    except Exception as failure:  # reported, then the supervisor restarts the worker
        error = redact_text("".join(traceback.format_exception_only(failure)).strip())
    finally:
        local_stop.set()
        queue.put(WorkerStopped(spec.camera_id, counters(), error))
