"""Enrolment: one photo in, one aligned, gated and embedded face out, or a clear reason why not.

A watchlist photo must show one clear face: a photo with several faces of similar size is refused
(the wrong person could be enrolled) unless the caller asks for the largest. Faces much smaller
than the largest (under half its height: people in the background) do not count as "several".
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from citywatch.detect import FaceDetector
from citywatch.embed import FaceEmbedder
from citywatch.embed.align import align_faces
from citywatch.embed.quality import QualityGate
from citywatch.errors import FaceError
from citywatch.types import Faces, Image

ENROLL_GATE = QualityGate(min_face_px=40.0, min_sharpness=0.15, min_frontal=0.3)
BACKGROUND_FACE_RATIO = 0.5


def choose_face(faces: Faces, name: str, take_largest: bool) -> Faces:
    """The one face to enrol from a photo, or FaceError naming the photo and the problem."""
    if len(faces) == 0:
        raise FaceError(f"{name}: no face found; expected a photo showing one face clearly")
    heights = faces.heights_px
    largest = int(np.argmax(heights))
    rivals = int((heights >= BACKGROUND_FACE_RATIO * heights[largest]).sum())
    if rivals > 1 and not take_largest:
        raise FaceError(
            f"{name}: {rivals} faces found; expected exactly one (crop the photo, or ask to "
            "take the largest face: --largest, or largest=true in the API)"
        )
    return faces[largest]


def prepare_face(
    image: Image,
    name: str,
    detector: FaceDetector,
    embedder: FaceEmbedder,
    take_largest: bool = False,
    gate: QualityGate = ENROLL_GATE,
) -> Faces:
    """Detect, choose, align, gate and embed the face of one enrolment (or probe) photo."""
    faces = detector.detect(image)
    if len(faces) and faces.heights_px.max() < gate.min_face_px:
        # Only tiny faces (a crowd far away): "too small" helps more than "several faces".
        raise FaceError(
            f"{name}: face too small: {faces.heights_px.max():.0f} px high, need "
            f"{gate.min_face_px:.0f}; expected a close-up photo of one face"
        )
    face = choose_face(faces, name, take_largest)
    aligned = align_faces(image, face.landmarks)
    report = gate.assess(face, aligned)
    if not report.passed[0]:
        raise FaceError(f"{name}: {report.reasons[0]}")
    face = replace(face, quality=report.score, embeddings=embedder.embed(aligned))
    return face
