"""ArcFace w600k_mbf (InsightFace), 512-d, through onnxruntime. Opt-in profile `arcface`.

The weights are licensed by InsightFace for non-commercial research only, so this profile is never
the default and warns once per process when loaded. Input: RGB, (x - 127.5) / 127.5, NCHW.
"""

from __future__ import annotations

import warnings

import numpy as np

from citywatch.embed import embed_crops
from citywatch.models import model_path, model_spec
from citywatch.types import FloatArray, Image

_warned = False


class ArcFaceLicenseWarning(UserWarning):
    """The ArcFace weights may only be used for non-commercial research."""


class ArcFaceEmbedder:
    name = "arcface"
    dim = 512

    def __init__(self, flip: bool = True, threads: int = 0) -> None:
        import onnxruntime as ort

        global _warned
        if not _warned:
            _warned = True
            message = (
                "the 'arcface' embedder uses InsightFace w600k_mbf weights, licensed for "
                "non-commercial research only; use the default 'sface' embedder otherwise "
                f"({model_spec('arcface').license})"
            )
            warnings.warn(message, ArcFaceLicenseWarning, stacklevel=2)
        options = ort.SessionOptions()
        options.log_severity_level = 3
        if threads:
            options.intra_op_num_threads = threads
        self.flip = flip
        self._session = ort.InferenceSession(
            str(model_path("arcface")), options, providers=["CPUExecutionProvider"]
        )
        self._input = self._session.get_inputs()[0].name

    def _forward(self, crops: Image) -> FloatArray:
        blob = crops[:, :, :, ::-1].transpose(0, 3, 1, 2).astype(np.float32)
        blob = (blob - 127.5) / 127.5
        return np.asarray(self._session.run(None, {self._input: blob})[0], dtype=np.float32)

    def embed(self, aligned: Image) -> FloatArray:
        return embed_crops(self._forward, aligned, self.dim, self.flip)
