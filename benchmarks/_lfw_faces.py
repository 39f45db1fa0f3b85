"""Detect, align and embed one LFW image, with the accuracy levers the benchmark measures.

Face selection: LFW images are 250x250 and centred on the subject, so the face whose box centre is
nearest the image centre is the subject. When YuNet finds no face at its normal score threshold we
retry at a lower one, and when that finds none either we align on `FALLBACK_LANDMARKS_250`, where
the deep-funneled images put the face; both cases are counted and reported.

Levers (all legitimate: nothing is learnt from LFW identities):
- `flip`: average the embeddings of the crop and its mirror image (the library's default). With
  flip on both are computed and cached, so one pass measures the lever both ways; with flip off
  only the plain crop is embedded (half the embedding time, which matters for slow embedders).
- `detector_min_side_px`: enlarge the image before detection (YuNet's `min_side_px`).
- `refine`: steadier landmarks from extra detections of the same face:
  `mirror` detects again on the mirrored image and averages the two landmark sets (mapped back);
  `zoom` detects again on a square crop around the face enlarged to `ZOOM_SIZE_PX` and uses those
  landmarks; `zoom-mirror` averages the zoomed crop's landmarks with its mirror's.

The 24 px degradation (`degrade`): the image is shrunk with `INTER_AREA` by the factor that makes
the detected face box 24 px high, enlarged back to its original size with `INTER_LINEAR`, and then
goes through the same detect -> align -> embed as any image (fallbacks included). It imitates a
face seen 24 px high by a camera, but with the same framing as the full-resolution image.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from _lfw_data import FloatArray

from citywatch.detect import FaceDetector, load_detector
from citywatch.embed import FaceEmbedder, load_embedder, normalize
from citywatch.embed.align import align_faces
from citywatch.types import Faces, Image

REFINE_MODES = ("none", "mirror", "zoom", "zoom-mirror")
ZOOM_SIZE_PX = 320
"""Side of the enlarged square crop for `zoom` refinement (the crop spans 2x the face box)."""
ZOOM_SPAN = 2.0

FALLBACK_LANDMARKS_250 = np.array(
    [[104.1, 112.7], [147.7, 112.0], [126.5, 136.6], [108.1, 155.8], [145.5, 155.5]],
    dtype=np.float32,
)
"""Median YuNet landmarks over the 7,701 LFW pair images (deep-funneled, 250x250; YuNet found a face
in every one at full size): where a face sits when none is found. Geometry only, no identity."""
FALLBACK_BOX_HEIGHT_PX = 123.0
"""Median YuNet box height on the same images, for degrading an image with no detected face."""

MIRROR_ORDER = [1, 0, 2, 4, 3]
"""Landmark order after a horizontal flip: the eyes and the mouth corners swap."""

DETECTED, RETRIED, FALLBACK = 0, 1, 2
STATUS_NAMES = ("detected", "retried", "fallback")


@dataclass(frozen=True, slots=True)
class Levers:
    """One configuration of the pipeline; `key` names its cache folder."""

    model: str = "sface"
    flip: bool = True
    detector_min_side_px: int = 0
    refine: str = "none"
    min_score: float = 0.6
    retry_min_score: float = 0.2

    @property
    def key(self) -> str:
        # With flip on, both the plain and the mirrored embedding are stored, so a flip-on cache
        # also serves flip-off runs; a flip-off run stores only the plain one ("-plain").
        return (
            f"{self.model}-side{self.detector_min_side_px}-{self.refine}"
            f"-score{self.min_score:g}-{self.retry_min_score:g}{'' if self.flip else '-plain'}"
        )


@dataclass(frozen=True, slots=True)
class EncodedFace:
    plain: FloatArray
    mirrored: FloatArray | None
    landmarks: FloatArray
    box_height_px: float
    status: int

    def embedding(self, flip: bool) -> FloatArray:
        """The library's flip averaging: mean of the two unit vectors, renormalised."""
        if not flip:
            return self.plain
        if self.mirrored is None:
            raise ValueError("this face was encoded without its mirror image")
        averaged: FloatArray = normalize(self.plain + self.mirrored)
        return averaged

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp.npz")
        np.savez(
            temporary,
            plain=self.plain,
            mirrored=self.plain[:0] if self.mirrored is None else self.mirrored,
            landmarks=self.landmarks,
            box_height_px=np.float32(self.box_height_px),
            status=np.int64(self.status),
        )
        temporary.replace(path)

    @classmethod
    def load(cls, path: Path) -> EncodedFace:
        with np.load(path) as stored:
            return cls(
                plain=stored["plain"],
                mirrored=stored["mirrored"] if len(stored["mirrored"]) else None,
                landmarks=stored["landmarks"],
                box_height_px=float(stored["box_height_px"]),
                status=int(stored["status"]),
            )


def load_any_embedder(name: str) -> FaceEmbedder:
    """The library's embedder profiles, plus `dlib` alone (only a part of a profile there).

    The benchmark flips whole embeddings itself, so for `sface+dlib` both parts are flipped;
    the library's profile flips SFace only (99.53 % measured that way, docs/calibration.md).
    """
    if name == "dlib":
        from citywatch.embed.fusion import DlibEmbedder

        return DlibEmbedder(flip=False)
    return load_embedder(name, flip=False)


def centre_face(faces: Faces, width_px: int, height_px: int) -> int:
    """Index of the face whose box centre is nearest the image centre."""
    centres = (faces.boxes[:, :2] + faces.boxes[:, 2:]) / 2
    offsets = centres - np.array([width_px / 2, height_px / 2], dtype=np.float32)
    return int(np.argmin((offsets**2).sum(axis=1)))


def mirror_landmarks(landmarks: FloatArray, width_px: int) -> FloatArray:
    """Landmarks found on a horizontally flipped image, in the unflipped image's coordinates.

    OpenCV puts pixel centres on integers, so column x of the flip is column (width - 1 - x).
    """
    mirrored = landmarks[MIRROR_ORDER].copy()
    mirrored[:, 0] = (width_px - 1) - mirrored[:, 0]
    return mirrored


def degrade(image: Image, box_height_px: float, face_px: float = 24) -> Image:
    """Shrink so the face box is `face_px` high, then enlarge back to the original size."""
    height, width = image.shape[:2]
    scale = min(1.0, face_px / max(box_height_px, 1.0))
    small = cv2.resize(
        image,
        (max(1, round(width * scale)), max(1, round(height * scale))),
        interpolation=cv2.INTER_AREA,
    )
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


class LfwEncoder:
    """Detect, select, refine, align and embed one face per LFW image."""

    def __init__(self, levers: Levers) -> None:
        self.levers = levers
        self.detector: FaceDetector = load_detector(
            min_score=levers.min_score, min_side_px=levers.detector_min_side_px
        )
        self.retry_detector: FaceDetector = load_detector(
            min_score=levers.retry_min_score, min_side_px=levers.detector_min_side_px
        )
        self.zoom_detector: FaceDetector = load_detector(min_score=levers.retry_min_score)
        self.embedder = load_any_embedder(levers.model)

    def _find(self, image: Image, retry: bool) -> tuple[FloatArray, float, int] | None:
        height, width = image.shape[:2]
        faces = self.detector.detect(image)
        status = DETECTED
        if len(faces) == 0 and retry:
            faces = self.retry_detector.detect(image)
            status = RETRIED
        if len(faces) == 0:
            return None
        best = centre_face(faces, width, height)
        return faces.landmarks[best], float(faces.heights_px[best]), status

    def _mirror_refined(self, image: Image, landmarks: FloatArray) -> FloatArray:
        found = self._find(cv2.flip(image, 1), retry=True)
        if found is None:
            return landmarks
        return ((landmarks + mirror_landmarks(found[0], image.shape[1])) / 2).astype(np.float32)

    def _zoom_refined(
        self, image: Image, landmarks: FloatArray, box_height_px: float
    ) -> FloatArray:
        centre = landmarks.mean(axis=0)
        scale = ZOOM_SIZE_PX / (ZOOM_SPAN * box_height_px)
        matrix = np.array(
            [
                [scale, 0, ZOOM_SIZE_PX / 2 - scale * centre[0]],
                [0, scale, ZOOM_SIZE_PX / 2 - scale * centre[1]],
            ],
            dtype=np.float64,
        )
        crop = cv2.warpAffine(
            image,
            matrix,
            (ZOOM_SIZE_PX, ZOOM_SIZE_PX),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
        faces = self.zoom_detector.detect(crop)
        if len(faces) == 0:
            return landmarks
        zoomed = faces.landmarks[centre_face(faces, ZOOM_SIZE_PX, ZOOM_SIZE_PX)]
        if self.levers.refine == "zoom-mirror":
            mirrored = self.zoom_detector.detect(cv2.flip(crop, 1))
            if len(mirrored):
                best = centre_face(mirrored, ZOOM_SIZE_PX, ZOOM_SIZE_PX)
                zoomed = (zoomed + mirror_landmarks(mirrored.landmarks[best], ZOOM_SIZE_PX)) / 2
        # Map back: x = (x' - t) / s.
        mapped: FloatArray = ((zoomed - matrix[:, 2]) / scale).astype(np.float32)
        return mapped

    def locate(self, image: Image) -> tuple[FloatArray, float, int]:
        """The subject's landmarks, box height and how they were found (a STATUS code)."""
        found = self._find(image, retry=True)
        if found is None:
            height, width = image.shape[:2]
            scale = np.array([width / 250, height / 250], dtype=np.float32)
            return FALLBACK_LANDMARKS_250 * scale, FALLBACK_BOX_HEIGHT_PX * height / 250, FALLBACK
        landmarks, box_height_px, status = found
        refine = self.levers.refine
        if refine == "mirror":
            landmarks = self._mirror_refined(image, landmarks)
        elif refine in ("zoom", "zoom-mirror"):
            landmarks = self._zoom_refined(image, landmarks, box_height_px)
        return landmarks, box_height_px, status

    def encode(self, image: Image) -> EncodedFace:
        landmarks, box_height_px, status = self.locate(image)
        aligned = align_faces(image, landmarks[None])
        if not self.levers.flip:
            plain = self.embedder.embed(aligned)[0]
            return EncodedFace(plain, None, landmarks, box_height_px, status)
        # The same crops as the library's flip averaging, in one batch of two.
        both = self.embedder.embed(np.concatenate([aligned, aligned[:, :, ::-1]]))
        return EncodedFace(both[0], both[1], landmarks, box_height_px, status)
