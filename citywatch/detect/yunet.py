"""YuNet (libfacedetection) through OpenCV's `FaceDetectorYN`.

YuNet's smallest anchors are about 10 px, so faces down to ~20 px high are found when the frame is
run at (close to) native resolution. Big frames are shrunk so that their long side is at most
`max_side_px` (1280 by default: a 1080p frame's 30 px face becomes 20 px, still found); small
stills such as passport photos are enlarged to `min_side_px`, which gives steadier landmarks on
faces that fill the picture.
"""

from __future__ import annotations

import cv2
import numpy as np

from citywatch.models import model_path
from citywatch.types import Faces, Image


class YuNetDetector:
    def __init__(
        self,
        min_score: float = 0.6,
        nms_iou: float = 0.3,
        max_side_px: float = 1280,
        min_side_px: float = 0,
        top_k: float = 5000,
    ) -> None:
        self.min_score = float(min_score)
        self.max_side_px = int(max_side_px)
        self.min_side_px = int(min_side_px)
        self._size = (320, 320)
        self._net = cv2.FaceDetectorYN.create(
            str(model_path("yunet")), "", self._size, self.min_score, float(nms_iou), int(top_k)
        )

    def scale_for(self, width_px: int, height_px: int) -> float:
        """The factor applied to an image of this size before detection."""
        long_side = max(width_px, height_px)
        if self.max_side_px and long_side > self.max_side_px:
            return self.max_side_px / long_side
        if self.min_side_px and long_side < self.min_side_px:
            return self.min_side_px / long_side
        return 1.0

    def detect(self, image: Image) -> Faces:
        height, width = image.shape[:2]
        scale = self.scale_for(width, height)
        if scale != 1.0:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
            image = np.asarray(cv2.resize(image, size, interpolation=interpolation), np.uint8)
        size = (image.shape[1], image.shape[0])
        if size != self._size:
            self._net.setInputSize(size)
            self._size = size
        _, rows = self._net.detect(image)
        if rows is None or len(rows) == 0:
            return Faces.empty()
        rows = rows.astype(np.float32) / np.float32(scale)
        rows[:, 14] *= np.float32(scale)  # the score column is not a coordinate
        boxes = rows[:, 0:4].copy()
        boxes[:, 2:4] += boxes[:, 0:2]
        boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, width)
        boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, height)
        return Faces(boxes=boxes, scores=rows[:, 14], landmarks=rows[:, 4:14].reshape(-1, 5, 2))
