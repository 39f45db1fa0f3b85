"""SFace (OpenCV Zoo, Apache-2.0), 128-d, through OpenCV's DNN module.

We run the network with `cv2.dnn` on our own alignment rather than `FaceRecognizerSF.alignCrop`.
The int8 block-quantised file stores weights as graph inputs, which onnxruntime refuses, so OpenCV
is the runtime here. Faces go through one at a time: with a batch, OpenCV returns garbage (values
near 1e28) for every row but the first of this file, which tests/unit/embed checks for.
Input: RGB, 0-255, no normalisation.
"""

from __future__ import annotations

import cv2
import numpy as np

from citywatch.embed import embed_crops
from citywatch.models import model_path
from citywatch.types import FloatArray, Image


class SFaceEmbedder:
    name = "sface"
    dim = 128

    def __init__(self, flip: bool = True) -> None:
        self.flip = flip
        self._net = cv2.dnn.readNetFromONNX(str(model_path("sface")))

    def _forward(self, crops: Image) -> FloatArray:
        outputs = []
        for crop in crops:
            blob = cv2.dnn.blobFromImage(np.ascontiguousarray(crop), 1.0, (112, 112), swapRB=True)
            self._net.setInput(blob)
            outputs.append(np.asarray(self._net.forward(), dtype=np.float32).reshape(-1))
        return np.stack(outputs)

    def embed(self, aligned: Image) -> FloatArray:
        return embed_crops(self._forward, aligned, self.dim, self.flip)
