"""Five-point similarity alignment to the standard 112x112 face template.

Both SFace and ArcFace were trained on faces warped so that the eyes, nose tip and mouth corners
land on the ArcFace template below; matching that warp closely is worth more accuracy than any
other cheap trick. The similarity transform (rotation, uniform scale, translation) is the
least-squares solution of Umeyama (1991), so an odd landmark cannot shear the face.
"""

from __future__ import annotations

import cv2
import numpy as np

from citywatch.types import FloatArray, Image

TEMPLATE_112 = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float64,
)
"""Landmark positions in a 112x112 crop: image-left eye, image-right eye, nose, mouth corners."""


def similarity_transform(source: FloatArray, target: FloatArray) -> FloatArray:
    """The 2x3 matrix of the similarity transform that best maps `source` points onto `target`.

    Least squares over all points (Umeyama's method), with the reflection case excluded.
    """
    src = np.asarray(source, dtype=np.float64)
    dst = np.asarray(target, dtype=np.float64)
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    covariance = dst_c.T @ src_c / len(src)
    u, singular, vt = np.linalg.svd(covariance)
    sign = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[1, 1] = -1.0
    rotation = u @ sign @ vt
    src_var = (src_c**2).sum() / len(src)
    scale = float(np.trace(np.diag(singular) @ sign) / src_var) if src_var > 0 else 1.0
    matrix = np.zeros((2, 3), dtype=np.float64)
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = dst_mean - scale * rotation @ src_mean
    return matrix.astype(np.float32)


def align_face(image: Image, landmarks: FloatArray, size_px: int = 112) -> Image:
    """Warp one face (landmarks `(5, 2)` in image pixels) to a `size_px` square crop."""
    target = TEMPLATE_112 * (size_px / 112.0)
    matrix = similarity_transform(landmarks, target.astype(np.float32))
    warped = cv2.warpAffine(
        image, matrix, (size_px, size_px), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return np.ascontiguousarray(warped)


def align_faces(image: Image, landmarks: FloatArray, size_px: int = 112) -> Image:
    """Align every face; returns `(n, size_px, size_px, 3)`."""
    if len(landmarks) == 0:
        return np.zeros((0, size_px, size_px, 3), dtype=np.uint8)
    return np.stack([align_face(image, points, size_px) for points in landmarks])
