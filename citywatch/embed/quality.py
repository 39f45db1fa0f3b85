"""The quality gate: is a face worth embedding, and which shot of a track is best?

Three measures, each in [0, 1], from cheap signals we already have:
- size: face height in pixels against `good_face_px` (recognition falls off fast below ~40 px);
- sharpness: variance of the Laplacian of the aligned grey crop (blur and upscaled tiny faces
  both score low), squashed by `sharpness / (sharpness + sharpness_half)`;
- frontal: how symmetric the landmarks are: the nose's horizontal offset from the eyes' midpoint
  relative to the eye distance (yaw), and the eye line's tilt is ignored because alignment undoes
  roll.

The combined score is their geometric mean, so one bad measure cannot be hidden by two good ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from citywatch.types import Faces, FloatArray, Image


@dataclass(frozen=True, slots=True)
class QualityReport:
    """Per-face quality measures, columnar like `Faces`."""

    face_px: FloatArray
    sharpness: FloatArray
    frontal: FloatArray
    score: FloatArray
    passed: npt.NDArray[np.bool_]
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class QualityGate:
    min_face_px: float = 24.0
    min_sharpness: float = 0.15
    min_frontal: float = 0.35
    good_face_px: float = 80.0
    sharpness_half: float = 60.0

    def assess(self, faces: Faces, aligned: Image) -> QualityReport:
        """Score faces given their aligned crops `(n, 112, 112, 3)`."""
        n = len(faces)
        face_px = faces.heights_px.astype(np.float32)
        sharp_raw = np.array(
            [cv2.Laplacian(cv2.cvtColor(c, cv2.COLOR_BGR2GRAY), cv2.CV_32F).var() for c in aligned],
            dtype=np.float32,
        ).reshape(n)
        sharpness = sharp_raw / (sharp_raw + np.float32(self.sharpness_half))
        frontal = frontal_scores(faces.landmarks)
        size = np.clip(face_px / np.float32(self.good_face_px), 0.0, 1.0)
        score = np.cbrt(size * sharpness * frontal).astype(np.float32)
        reasons = []
        for i in range(n):
            if face_px[i] < self.min_face_px:
                reasons.append(
                    f"face too small: {face_px[i]:.0f} px high, need {self.min_face_px:.0f}"
                )
            elif sharpness[i] < self.min_sharpness:
                reasons.append(
                    f"face too blurred: sharpness {sharpness[i]:.2f}, need {self.min_sharpness:.2f}"
                )
            elif frontal[i] < self.min_frontal:
                reasons.append(
                    f"face turned too far from the camera: frontal {frontal[i]:.2f}, "
                    f"need {self.min_frontal:.2f}"
                )
            else:
                reasons.append("")
        passed = np.array([r == "" for r in reasons], dtype=bool)
        return QualityReport(face_px, sharpness, frontal, score, passed, tuple(reasons))


def frontal_scores(landmarks: FloatArray) -> FloatArray:
    """1 for a frontal face, falling to 0 as the nose reaches the line of an eye (~45 deg yaw)."""
    if len(landmarks) == 0:
        return np.zeros(0, dtype=np.float32)
    eye_a, eye_b, nose = landmarks[:, 0], landmarks[:, 1], landmarks[:, 2]
    eye_vector = eye_b - eye_a
    eye_distance = np.linalg.norm(eye_vector, axis=1) + 1e-6
    direction = eye_vector / eye_distance[:, None]
    midpoint = (eye_a + eye_b) / 2
    offset = np.abs(((nose - midpoint) * direction).sum(axis=1)) / eye_distance
    mouth_mid = (landmarks[:, 3] + landmarks[:, 4]) / 2
    mouth_offset = np.abs(((mouth_mid - midpoint) * direction).sum(axis=1)) / eye_distance
    yaw = np.maximum(offset, 0.5 * mouth_offset)
    frontal: FloatArray = np.clip(1.0 - 2.0 * yaw, 0.0, 1.0).astype(np.float32)
    return frontal
