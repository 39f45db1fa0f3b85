"""dlib's ResNet face descriptor (CC0), and fusing it with SFace: two licence-clean embedders.

dlib's `dlib_face_recognition_resnet_model_v1` (Davis King, public domain / CC0-1.0, shipped in
the PyPI package `face_recognition_models`; run by the prebuilt `dlib-bin` wheel) is a 128-d
ResNet trained on about 3 million faces, different data and a different architecture from SFace,
so their errors are partly independent and the mean of the two cosines separates people better
than either (see benchmarks/lfw.py).

dlib expects a 150x150 RGB "face chip" as `dlib.get_face_chip(..., padding=0.25)` cuts it. To keep
the one `embed(aligned 112x112)` interface, `DlibEmbedder` warps our ArcFace-template crop onto
dlib's chip geometry: `TEMPLATE_DLIB_150` is where YuNet's five landmarks fall in dlib's chips
(median over 792 non-LFW photos from ../shared/data/masks and utkface, chips cut with dlib's own
5-point shape predictor). dlib's chip reaches about 17 px (at 112 px scale) below the ArcFace
crop, under the chin; those rows are filled by repeating the crop's border, which costs dlib a
little (98.4 % against 98.6 % when warped straight from the photo, on LFW's first three folds).

Fusion concatenates `sqrt(w_i) * e_i` of the unit embeddings and renormalises: the cosine of two
fused vectors is then exactly the weighted mean of the parts' cosines, so a vector index needs no
change.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from citywatch.embed import FaceEmbedder, embed_crops, normalize
from citywatch.embed.align import TEMPLATE_112, similarity_transform
from citywatch.errors import ConfigError, ModelError
from citywatch.models import model_path
from citywatch.types import FloatArray, Image

TEMPLATE_DLIB_150 = np.array(
    [[45.07, 45.56], [99.39, 45.31], [72.53, 73.74], [48.82, 96.48], [94.26, 96.57]],
    dtype=np.float64,
)
"""YuNet's five landmarks (same order as `TEMPLATE_112`) in dlib's 150x150 chip, padding 0.25."""

FUSION_WEIGHTS = {"sface": 0.5, "dlib": 0.5}
"""Weight of each part's cosine in `sface+dlib`."""


class DlibEmbedder:
    name = "dlib"
    dim = 128

    def __init__(self, flip: bool = True) -> None:
        try:
            import dlib
        except ImportError as error:
            raise ModelError(
                "the 'dlib' embedder needs the dlib runtime: pip install dlib-bin"
            ) from error
        self.flip = flip
        self._net = dlib.face_recognition_model_v1(str(model_path("dlib-resnet")))
        self._to_chip = similarity_transform(
            TEMPLATE_112.astype(np.float32), TEMPLATE_DLIB_150.astype(np.float32)
        )

    def _forward(self, crops: Image) -> FloatArray:
        chips = [
            cv2.cvtColor(
                cv2.warpAffine(
                    crop,
                    self._to_chip,
                    (150, 150),
                    flags=cv2.INTER_LINEAR,
                    borderMode=cv2.BORDER_REPLICATE,
                ),
                cv2.COLOR_BGR2RGB,
            )
            for crop in crops
        ]
        return np.asarray(self._net.compute_face_descriptor(chips), dtype=np.float32)

    def embed(self, aligned: Image) -> FloatArray:
        return embed_crops(self._forward, aligned, self.dim, self.flip)


class FusionEmbedder:
    """Several embedders as one: the cosine of two outputs is the weighted mean of theirs."""

    def __init__(self, parts: Sequence[FaceEmbedder], weights: Sequence[float]) -> None:
        if len(parts) != len(weights) or not parts or min(weights) <= 0:
            raise ConfigError("fusion needs one positive weight per embedder")
        self.parts = list(parts)
        total = float(sum(weights))
        self._scales = [float(np.sqrt(weight / total)) for weight in weights]
        self.name = "+".join(part.name for part in parts)
        self.dim = sum(part.dim for part in parts)

    def embed(self, aligned: Image) -> FloatArray:
        pieces = [
            scale * part.embed(aligned)
            for part, scale in zip(self.parts, self._scales, strict=True)
        ]
        return normalize(np.concatenate(pieces, axis=1))


__all__ = ["DlibEmbedder", "FusionEmbedder"]
