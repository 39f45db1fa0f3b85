"""SightingPipeline with a scripted detector and a fake embedder: no models are loaded."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from citywatch.embed import normalize
from citywatch.embed.align import TEMPLATE_112
from citywatch.embed.quality import QualityGate
from citywatch.runtime.pipeline import SightingPipeline
from citywatch.types import Faces, Frame, Image, Sighting

FPS = 10.0
Box = tuple[float, float, float, float]


def _scene(seed: int = 0) -> Image:
    """A sharp textured picture, so that any face cut from it passes the sharpness gate."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, (120, 160), dtype=np.uint8)
    grey = cv2.resize(blocks, (640, 480), interpolation=cv2.INTER_NEAREST)
    return cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)


def _box(x: float, y: float, height_px: float) -> Box:
    return (x, y, x + height_px, y + height_px)


def _faces(boxes: list[Box]) -> Faces:
    """Frontal faces: the landmark template scaled into each square box."""
    n = len(boxes)
    array = np.array(boxes, np.float32).reshape(n, 4)
    heights = array[:, 3] - array[:, 1]
    landmarks = (
        array[:, None, :2] + TEMPLATE_112[None].astype(np.float32) * (heights / 112)[:, None, None]
    )
    return Faces(boxes=array, scores=np.full(n, 0.9, np.float32), landmarks=landmarks)


class ScriptedDetector:
    """Returns the next scripted frame's faces on each call."""

    def __init__(self, script: list[list[Box]]) -> None:
        self.script = list(script)
        self.calls = 0

    def detect(self, image: Image) -> Faces:
        boxes = self.script[self.calls]
        self.calls += 1
        return _faces(boxes)


class PixelEmbedder:
    """Deterministic unit vectors from the crop's pixels; records every batch it embeds."""

    name = "fake"
    dim = 16

    def __init__(self) -> None:
        self.batches: list[int] = []

    def embed(self, aligned: Image) -> np.ndarray:
        self.batches.append(len(aligned))
        flat = aligned.reshape(len(aligned), -1)[:, :: 3 * 112 * 7][:, : self.dim]
        return normalize(flat.astype(np.float32) + 1.0)


def _run(
    script: list[list[Box]], shots_per_track: int = 3, gate: QualityGate | None = None
) -> tuple[SightingPipeline, list[Sighting], list[Sighting], PixelEmbedder]:
    """Feed the script at FPS; returns the pipeline, sightings while running, and at flush."""
    embedder = PixelEmbedder()
    pipeline = SightingPipeline(
        ScriptedDetector(script), embedder, gate=gate, shots_per_track=shots_per_track
    )
    scene = _scene()
    during: list[Sighting] = []
    for index in range(len(script)):
        frame = Frame(image=scene, timestamp_s=index / FPS, index=index, camera_id="hall")
        during += pipeline.process(frame)
    return pipeline, during, pipeline.flush(), embedder


def _walk(frames: int, start_x: float, y: float, step_px: float, height_px: float) -> list[Box]:
    return [_box(start_x + step_px * k, y, height_px) for k in range(frames)]


def test_a_face_crossing_ten_frames_is_one_sighting() -> None:
    script = [[box] for box in _walk(10, 100, 150, 15, 60)]

    pipeline, during, flushed, embedder = _run(script, shots_per_track=3)

    assert during == []
    (sighting,) = flushed
    assert sighting.camera_id == "hall"
    assert sighting.track_id > 0
    assert (sighting.first_seen_s, sighting.last_seen_s) == pytest.approx((0.0, 0.9))
    assert sighting.frames == 10
    assert 1 <= sighting.shots <= 3
    assert sighting.face_px == pytest.approx(60.0)
    assert 0 < sighting.quality <= 1
    assert np.linalg.norm(sighting.embedding) == pytest.approx(1.0, abs=1e-5)
    assert sighting.crop.ndim == 3 and min(sighting.crop.shape[:2]) >= 60
    assert embedder.batches == [sighting.shots], "shots are embedded once, together, at the end"
    assert (pipeline.times.frames, pipeline.times.faces, pipeline.times.tracks) == (10, 10, 1)


@pytest.mark.parametrize("shots_per_track", [1, 2, 5])
def test_no_more_shots_than_asked_are_embedded(shots_per_track: int) -> None:
    script = [[box] for box in _walk(10, 100, 150, 10, 60)]

    _, _, flushed, embedder = _run(script, shots_per_track=shots_per_track)

    (sighting,) = flushed
    assert sighting.shots == shots_per_track
    assert embedder.batches == [shots_per_track]


def test_two_separated_faces_are_two_sightings() -> None:
    left = _walk(10, 40, 100, 5, 60)
    right = _walk(10, 500, 300, -5, 70)
    script = [[a, b] for a, b in zip(left, right, strict=True)]

    pipeline, during, flushed, embedder = _run(script)

    assert during == []
    assert len(flushed) == 2
    assert len({s.track_id for s in flushed}) == 2
    assert sorted(s.face_px for s in flushed) == pytest.approx([60.0, 70.0])
    assert all(s.frames == 10 for s in flushed)
    assert not np.allclose(flushed[0].embedding, flushed[1].embedding)
    assert sum(embedder.batches) == sum(s.shots for s in flushed)
    assert pipeline.times.tracks == 2


def test_a_face_that_leaves_is_reported_once_its_track_ends() -> None:
    # Seen for 5 frames, then gone for 2 s: the track ends after max_track_age_s (1 s).
    script = [[box] for box in _walk(5, 100, 150, 10, 60)] + [[] for _ in range(20)]

    _, during, flushed, _ = _run(script)

    (sighting,) = during
    assert (sighting.first_seen_s, sighting.last_seen_s) == pytest.approx((0.0, 0.4))
    assert sighting.frames == 5
    assert flushed == []


@pytest.mark.parametrize(("height_px", "sightings"), [(10.0, 0), (16.0, 0), (23.0, 0), (24.0, 1)])
def test_faces_below_min_face_px_never_make_a_sighting(height_px: float, sightings: int) -> None:
    script = [[box] for box in _walk(10, 100, 150, 3, height_px)]

    pipeline, during, flushed, embedder = _run(script, gate=QualityGate(min_face_px=24.0))

    assert during == []
    assert len(flushed) == sightings
    assert len(embedder.batches) == sightings, "a face that never passed the gate is not embedded"
    assert pipeline.times.faces == 10
    assert pipeline.times.tracks == 1, "the face was tracked all the same"


def test_a_small_face_next_to_a_large_one_gives_only_the_large_ones_sighting() -> None:
    script = [[_box(100, 100, 80), _box(400, 300, 18)] for _ in range(6)]

    _, _, flushed, _ = _run(script, gate=QualityGate(min_face_px=24.0))

    assert [s.face_px for s in flushed] == pytest.approx([80.0])


def test_a_one_frame_detection_is_never_a_sighting() -> None:
    # A single detection never confirms a track: a false positive leaves nothing behind.
    script = [[_box(200, 200, 60)]] + [[] for _ in range(15)]

    pipeline, during, flushed, embedder = _run(script)

    assert during == [] and flushed == []
    assert embedder.batches == []
    assert len(pipeline.book) == 0, "the track book forgets the dropped tentative track"


def test_an_empty_source_flushes_nothing() -> None:
    pipeline, during, flushed, embedder = _run([[] for _ in range(3)])

    assert during == [] and flushed == [] and embedder.batches == []
    assert pipeline.times.frames == 3
