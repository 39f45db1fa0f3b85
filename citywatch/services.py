"""The composition root: `build_services(settings)` wires store and models for CLI, API, workers.

Models load on first use, so commands that need none (listing watchlists) start instantly.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

from citywatch.config import Settings
from citywatch.detect import FaceDetector, load_detector
from citywatch.embed import FaceEmbedder, load_embedder
from citywatch.embed.quality import QualityGate
from citywatch.errors import CitywatchError, InputError, SourceError
from citywatch.ingest import open_source
from citywatch.ingest.image import ImageSource, decode_image, read_image
from citywatch.ingest.probe import onboarding_problems, probe_stream
from citywatch.ingest.stream import StreamOptions
from citywatch.ingest.urls import check_stream_url, redact_url
from citywatch.match.enroll import prepare_face
from citywatch.match.matcher import Matcher
from citywatch.models import PROFILE_MIN_SIMILARITY
from citywatch.runtime.pipeline import SightingPipeline
from citywatch.runtime.supervisor import assign_cameras
from citywatch.storage import Store, open_store
from citywatch.track import ByteTracker
from citywatch.types import (
    Alert,
    Camera,
    CameraHealth,
    Comparison,
    PhotoEnrollment,
    ScanProgress,
    ScanSummary,
    StreamProbe,
    Watchlist,
)


@dataclass(frozen=True, slots=True)
class CameraAdded:
    camera: Camera
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CamerasStatus:
    """Registered cameras, their last known health, and which are analysed under the cap."""

    cameras: tuple[Camera, ...]
    health: dict[str, CameraHealth]
    analysed: tuple[str, ...]
    cap: int


@dataclass(frozen=True, slots=True)
class ScanSource:
    path: Path
    camera_id: str


class Services:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def store(self) -> Store:
        return open_store(self.settings.home)

    @cached_property
    def detector(self) -> FaceDetector:
        return load_detector(
            "yunet",
            min_score=self.settings.detector_min_score,
            max_side_px=self.settings.detector_max_side_px,
        )

    @cached_property
    def embedder(self) -> FaceEmbedder:
        return load_embedder(self.settings.embedder, flip=self.settings.flip)

    @property
    def default_min_similarity(self) -> float:
        return PROFILE_MIN_SIMILARITY[self.settings.embedder]

    # -- cameras ---------------------------------------------------------------------------------
    def add_camera(self, camera: Camera, url: str, force: bool = False) -> CameraAdded:
        """Probe, check the onboarding bar, register. `force` records a failing camera anyway."""
        url = check_stream_url(url)
        if "://" not in url:
            if not Path(url).is_file():
                raise InputError(f"{url}: no such file; expected a stream URL or a video file")
            url = str(Path(url).resolve())  # `run` may start in another folder
        warnings: list[str] = []
        probe = None
        try:
            probe = probe_stream(url, options=self._stream_options())
        except SourceError as error:
            if not force:
                raise SourceError(
                    f"{error}; use --force to register it anyway", error.state
                ) from None
            warnings.append(str(error))
        if probe is not None and camera.owner != "city":
            problems = onboarding_problems(probe)
            if problems and not force:
                raise InputError(
                    f"camera {camera.id!r} ({redact_url(url)}) fails the third-party onboarding "
                    f"check: {'; '.join(problems)} (measured {probe.width_px}x{probe.height_px} "
                    f"at {probe.fps:.1f} fps over {probe.frames} frames); use --force to record it "
                    "anyway"
                )
            warnings.extend(problems)
        added = self.store.cameras.add(replace(camera, probe=probe, forced=bool(warnings)), url)
        return CameraAdded(added, tuple(warnings))

    def probe(self, url: str) -> StreamProbe:
        return probe_stream(check_stream_url(url), options=self._stream_options())

    def cameras(self) -> CamerasStatus:
        cameras = self.store.cameras.all()
        analysed, _ = assign_cameras(cameras, self.settings.max_analysed_cameras)
        return CamerasStatus(
            cameras=tuple(cameras),
            health=self.store.cameras.health(),
            analysed=tuple(c.id for c in analysed),
            cap=self.settings.max_analysed_cameras,
        )

    def remove_camera(self, camera_id: str) -> Camera:
        return self.store.cameras.remove(camera_id)

    def _stream_options(self) -> StreamOptions:
        return StreamOptions(
            transport=self.settings.rtsp_transport,
            open_timeout_s=self.settings.open_timeout_s,
            read_timeout_s=self.settings.read_timeout_s,
        )

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()

    # -- watchlists ----------------------------------------------------------------------------
    def create_watchlist(self, name: str, min_similarity: float | None = None) -> Watchlist:
        name = name.strip()
        if not name:
            raise InputError("watchlist name is empty; expected a name such as 'wanted'")
        if min_similarity is not None and not -1.0 <= min_similarity <= 1.0:
            raise InputError(
                f"--min-similarity {min_similarity} is out of range; expected a cosine "
                "similarity between -1 and 1"
            )
        return self.resolve(self.store.create_watchlist(name, min_similarity))

    def watchlists(self) -> list[Watchlist]:
        return [self.resolve(w) for w in self.store.watchlists()]

    def resolve(self, watchlist: Watchlist) -> Watchlist:
        """Fill in the effective threshold of a list that uses the embedder's default."""
        if watchlist.min_similarity is not None:
            return watchlist
        return replace(watchlist, min_similarity=self.default_min_similarity)

    # -- enrolment and comparison --------------------------------------------------------------
    def enroll(
        self, watchlist: str, person: str, photos: Sequence[Path], take_largest: bool = False
    ) -> list[PhotoEnrollment]:
        """Enrol each photo independently; one bad photo never stops the others."""
        person = person.strip()
        if not person:
            raise InputError("person name is empty; expected the person's full name")
        if not photos:
            raise InputError("no photos given; expected one or more photo files")
        self.store.watchlist(watchlist)  # unknown list: fail before any work
        results = []
        for photo in photos:
            try:
                data = Path(photo).read_bytes()
            except OSError as error:
                # Name the file like every other rejection does (the reason is shown alone).
                reason = f"{photo}: cannot be read ({error.strerror}); expected a photo file"
                results.append(PhotoEnrollment(str(photo), "rejected", reason))
                continue
            try:
                image = decode_image(data, str(photo))
                face = prepare_face(image, str(photo), self.detector, self.embedder, take_largest)
            except InputError as error:
                results.append(PhotoEnrollment(str(photo), "rejected", str(error)))
                continue
            entry = self.store.person(watchlist, person, create=True)
            photo_id = self.store.add_photo(
                entry,
                image,
                Path(photo).name,
                hashlib.sha256(data).hexdigest(),
                face,
                self.embedder.name,
            )
            results.append(
                PhotoEnrollment(
                    str(photo),
                    "enrolled",
                    photo_id=photo_id,
                    face_px=float(face.heights_px[0]),
                    quality=float(face.quality[0]),
                )
            )
        return results

    def compare(self, first: Path, second: Path) -> Comparison:
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
        return Comparison(similarity, similarity >= threshold, threshold, self.embedder.name)

    # -- scanning ------------------------------------------------------------------------------
    def scan(self, sources: Sequence[ScanSource]) -> Iterator[Alert | ScanProgress | ScanSummary]:
        """Run the pipeline over each source; yields alerts as they happen, then the summary.

        Sightings that match nothing are dropped here: no crop, no embedding, no row; only the
        counters in the summary remember them.
        """
        if not sources:
            raise InputError("no sources given; expected one or more video or image files")
        for source in sources:  # fail fast on a missing file, before loading models
            open_source(source.path, source.camera_id)
        settings = self.settings
        gallery = self.store.gallery(self.embedder.name, self.default_min_similarity)
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
                        alerts += 1
                        yield self.store.add_alert(match, scan_id)
                sightings += len(found)
                found = []
                yield ScanProgress(
                    source.camera_id, pipeline.times.frames, frame.timestamp_s, duration_s
                )
            for sighting in pipeline.flush():
                sightings += 1
                for match in matcher.match(sighting):
                    alerts += 1
                    yield self.store.add_alert(match, scan_id)
            frames += pipeline.times.frames
            faces += pipeline.times.faces
            tracks += pipeline.times.tracks
        summary = ScanSummary(
            frames, faces, tracks, sightings, alerts, time.perf_counter() - started
        )
        self.store.finish_scan(scan_id, summary)
        yield summary


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


def build_services(settings: Settings) -> Services:
    return Services(settings)
