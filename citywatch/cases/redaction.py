"""Redaction: making the faces of people no case covers unrecognisable before anyone sees them.

A bystander's face is neither evidence nor anyone's business, so every picture shown to a user
(a camera snapshot, an alert crop) has the faces that user's case does not cover blurred first.
The blur is deliberately crude and strong: each box, enlarged by a margin so that hairline, ears
and chin go too, is shrunk to a few pixels across and scaled back up (no detail of the face can
survive that), then smoothed so that no blocky mosaic is left to hint at its features.
"""

from __future__ import annotations

import cv2
import numpy as np

from citywatch.types import FloatArray, Image

MARGIN = 0.25
"""Each box grows by this fraction of its width and height on every side."""
CELLS_ACROSS = 5
"""A blurred face keeps at most this many cells of colour across its longer side."""
CENTRE_SLACK = 0.2
"""The matched face of a crop has its centre within this fraction of the crop's diagonal from
the crop's centre (crops are cut around it)."""


def enlarged(
    boxes: FloatArray, width_px: int, height_px: int, margin: float = MARGIN
) -> FloatArray:
    """`boxes` (xyxy px) grown by `margin` of their size on each side, clipped to the image."""
    grown = np.asarray(boxes, dtype=np.float32).reshape(-1, 4).copy()
    sizes = np.stack([grown[:, 2] - grown[:, 0], grown[:, 3] - grown[:, 1]], axis=1) * margin
    grown[:, 0:2] -= sizes
    grown[:, 2:4] += sizes
    grown[:, [0, 2]] = grown[:, [0, 2]].clip(0, width_px)
    grown[:, [1, 3]] = grown[:, [1, 3]].clip(0, height_px)
    return grown


def blur_faces(image: Image, boxes: FloatArray, margin: float = MARGIN) -> Image:
    """A copy of `image` with every box (xyxy px, enlarged by `margin`) made unrecognisable;
    pixels outside the enlarged boxes are untouched."""
    blurred = image.copy()
    height, width = image.shape[:2]
    for x1, y1, x2, y2 in enlarged(boxes, width, height, margin):
        left, top = int(np.floor(x1)), int(np.floor(y1))
        right, bottom = int(np.ceil(x2)), int(np.ceil(y2))
        if right - left < 2 or bottom - top < 2:
            continue
        region = blurred[top:bottom, left:right]
        cell_px = max(region.shape[:2]) / CELLS_ACROSS
        cells = (
            max(1, round(region.shape[1] / cell_px)),
            max(1, round(region.shape[0] / cell_px)),
        )
        coarse = cv2.resize(region, cells, interpolation=cv2.INTER_AREA)
        smooth = cv2.resize(coarse, region.shape[1::-1], interpolation=cv2.INTER_LINEAR)
        sigma = max(1.0, cell_px / 2)
        blurred[top:bottom, left:right] = cv2.GaussianBlur(smooth, (0, 0), sigma)
    return blurred


def nearest_centre(boxes: FloatArray, width_px: int, height_px: int) -> int | None:
    """The face an alert crop was cut around: the one nearest its centre; of faces about as near
    (within a tenth of the crop's diagonal), the largest. None when there is no face near the
    centre: the matched face was not detected, and a face off to the side is a bystander's."""
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    if not len(boxes):
        return None
    diagonal = float(np.hypot(width_px, height_px))
    centres = (boxes[:, 0:2] + boxes[:, 2:4]) / 2
    offsets = np.linalg.norm(centres - np.array([width_px / 2, height_px / 2]), axis=1)
    if offsets.min() > CENTRE_SLACK * diagonal:
        return None
    near = offsets <= offsets.min() + 0.1 * diagonal
    return int(np.flatnonzero(near)[np.argmax(_areas(boxes)[near])])


def largest_face(boxes: FloatArray) -> int | None:
    """The face an enrolled photo was enrolled for: its largest (enrolment takes the only face,
    or the largest when asked to). None when there is no face."""
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    return int(np.argmax(_areas(boxes))) if len(boxes) else None


def blur_bystanders(image: Image, boxes: FloatArray, keep: int | None) -> Image:
    """`image` with every face in `boxes` blurred except the one at index `keep`, which stays
    sharp even where a bystander's enlarged box overlaps it."""
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    others = boxes if keep is None else np.delete(boxes, keep, axis=0)
    if not len(others):
        return image
    blurred = blur_faces(image, others)
    if keep is not None:
        height, width = image.shape[:2]
        x1, y1, x2, y2 = enlarged(boxes[keep : keep + 1], width, height, margin=0.0)[0]
        left, top, right, bottom = int(x1), int(y1), int(np.ceil(x2)), int(np.ceil(y2))
        blurred[top:bottom, left:right] = image[top:bottom, left:right]
    return blurred


def _areas(boxes: FloatArray) -> FloatArray:
    return np.asarray((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]), np.float32)
