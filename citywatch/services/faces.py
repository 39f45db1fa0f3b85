"""Faces: comparison of two photos, searches of footage (enrolment: `services.enrolment`).

Models load on first use, so commands that need none (listing watchlists) start instantly.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from citywatch.cases.scope import camera_in_scope, describe_scope
from citywatch.embed.quality import QualityGate
from citywatch.errors import CitywatchError, InputError, PermissionDeniedError
from citywatch.ingest import open_source
from citywatch.ingest.image import ImageSource, read_image
from citywatch.match.enroll import prepare_face
from citywatch.match.matcher import Matcher
from citywatch.runtime.pipeline import SightingPipeline
from citywatch.services.enrolment import EnrolmentServices
from citywatch.storage.cases import unknown_case
from citywatch.track import ByteTracker
from citywatch.types import Alert, Case, Comparison, ScanProgress, ScanSummary


@dataclass(frozen=True, slots=True)
class ScanSource:
    path: Path
    camera_id: str


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class FaceServices(EnrolmentServices):
    """Comparison of two photos and searches of footage (enrolment and the models it loads are
    in `EnrolmentServices`)."""

    # -- comparison ----------------------------------------------------------------------------
    def compare(self, first: Path, second: Path) -> Comparison:
        self.require("face.compare")
        gate = QualityGate(min_face_px=16.0, min_sharpness=0.0, min_frontal=0.0)
        vectors = []
        for path in (first, second):
            face = prepare_face(
                read_image(path),
                str(path),
                self.detector,
                self.embedder,
                take_largest=True,
                gate=gate,
            )
            assert face.embeddings is not None
            vectors.append(face.embeddings[0])
        similarity = float(vectors[0] @ vectors[1])
        threshold = self.default_min_similarity
        with self.audited(
            "face.compare",
            "photos",
            first_sha256=file_sha256(first),
            second_sha256=file_sha256(second),
            similarity=round(similarity, 4),
        ):
            pass
        return Comparison(similarity, similarity >= threshold, threshold, self.embedder.name)

    # -- scanning ------------------------------------------------------------------------------
    def scan(
        self, sources: Sequence[ScanSource], case_reference: str | None = None
    ) -> Iterator[Alert | ScanProgress | ScanSummary]:
        """Search recorded footage for the people on one case's watchlists; yields alerts as
        they happen, then the summary.

        The case must be the acting officer's, active, and its scope must cover every camera
        searched. Sightings that match nothing are dropped here: no crop, no embedding, no row;
        only the counters in the summary remember them.
        """
        if not sources:
            raise InputError("no sources given; expected one or more video or image files")
        if not case_reference:
            raise InputError(
                "a search belongs to a case: give --case REFERENCE (an active case of yours "
                "whose scope covers the cameras searched); see 'citywatch case list'"
            )
        case = self.store.cases.get(case_reference)
        user = self.require_on("search.run", case, "case.view", unknown_case(case_reference))
        for source in sources:  # fail fast on a missing file, before loading models
            open_source(source.path, source.camera_id)
        for source in sources:
            self._check_in_scope(source.camera_id, case)
        with self.audited(
            "search.run",
            "footage",
            case.id,
            sources=", ".join(f"{s.camera_id}={file_sha256(s.path)}" for s in sources),
        ):
            pass
        settings = self.settings
        gallery = self.store.gallery(
            self.embedder.name, self.default_min_similarity, case_id=case.id
        )
        matcher = Matcher(gallery)
        scan_id = self.store.start_scan([s.camera_id for s in sources], self.embedder.name)
        started = time.perf_counter()
        frames = faces = tracks = sightings = alerts = 0
        for source in sources:
            feed = open_source(source.path, source.camera_id, fps=settings.scan_fps)
            duration_s = _duration_s(source.path)
            pipeline = SightingPipeline(
                self.detector,
                self.embedder,
                QualityGate(min_face_px=settings.min_face_px),
                # A still image is one frame: a face seen once is all there will ever be.
                ByteTracker(
                    max_track_age_s=settings.max_track_age_s,
                    min_hits=1 if isinstance(feed, ImageSource) else 2,
                ),
                settings.shots_per_track,
            )
            found = []
            for frame in feed.frames():
                found.extend(pipeline.process(frame))
                for sighting in found:
                    for match in matcher.match(sighting):
                        alert = self.store.add_alert(match, scan_id, user.name)
                        if alert is not None:
                            alerts += 1
                            yield alert
                sightings += len(found)
                found = []
                yield ScanProgress(
                    source.camera_id, pipeline.times.frames, frame.timestamp_s, duration_s
                )
            for sighting in pipeline.flush():
                sightings += 1
                for match in matcher.match(sighting):
                    alert = self.store.add_alert(match, scan_id, user.name)
                    if alert is not None:
                        alerts += 1
                        yield alert
            frames += pipeline.times.frames
            faces += pipeline.times.faces
            tracks += pipeline.times.tracks
        summary = ScanSummary(
            frames, faces, tracks, sightings, alerts, time.perf_counter() - started
        )
        self.store.finish_scan(scan_id, summary)
        yield summary

    def _check_in_scope(self, camera_id: str, case: Case) -> None:
        camera = self.store.cameras.find(camera_id)
        inside = camera_in_scope(
            case.scope,
            camera_id,
            camera.group if camera else "",
            camera.lat if camera else None,
            camera.lon if camera else None,
        )
        if not inside:
            reason = (
                f"camera {camera_id!r} is outside the scope of case {case.reference!r} "
                f"({describe_scope(case.scope)}); search only cameras the case covers, or ask "
                "for a case whose scope includes it"
            )
            self._record_refusal(self.user().name, "search.run", case, reason)
            raise PermissionDeniedError(reason)


def _duration_s(path: Path) -> float:
    """Best-effort length of a video for progress bars; 0 when unknown (images, odd files)."""
    try:
        import av

        with av.open(str(path)) as container:
            if container.duration:
                return float(container.duration) / 1_000_000
    except (av.error.FFmpegError, OSError, CitywatchError):
        pass
    return 0.0
