"""Fusing embedders: the cosine of two fused vectors is the weighted mean of the parts' cosines."""

from __future__ import annotations

import numpy as np
import pytest

from citywatch.embed import normalize
from citywatch.embed.align import TEMPLATE_112, similarity_transform
from citywatch.embed.fusion import TEMPLATE_DLIB_150, FusionEmbedder
from citywatch.errors import ConfigError
from citywatch.types import FloatArray, Image


class TableEmbedder:
    """A fake that looks each crop's embedding up by the crop's first pixel value."""

    def __init__(self, name: str, table: FloatArray) -> None:
        self.name = name
        self.dim = table.shape[1]
        self._table = normalize(table)

    def embed(self, aligned: Image) -> FloatArray:
        return self._table[aligned[:, 0, 0, 0]]


def _crops(count: int) -> Image:
    crops = np.zeros((count, 112, 112, 3), np.uint8)
    crops[:, 0, 0, 0] = np.arange(count)
    return crops


@pytest.mark.parametrize("weights", [(0.5, 0.5), (0.3, 0.7), (2.0, 1.0)])
def test_fused_cosine_is_the_weighted_mean_of_the_parts(weights: tuple[float, float]) -> None:
    rng = np.random.default_rng(3)
    first = TableEmbedder("a", rng.normal(size=(6, 4)).astype(np.float32))
    second = TableEmbedder("b", rng.normal(size=(6, 8)).astype(np.float32))
    fused = FusionEmbedder([first, second], weights)
    crops = _crops(6)

    vectors = fused.embed(crops)
    a, b = first.embed(crops), second.embed(crops)
    expected = (weights[0] * (a @ a.T) + weights[1] * (b @ b.T)) / sum(weights)

    assert fused.name == "a+b"
    assert vectors.shape == (6, fused.dim) == (6, 12)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(vectors @ vectors.T, expected, atol=1e-6)


def test_fusion_refuses_missing_or_non_positive_weights() -> None:
    part = TableEmbedder("a", np.eye(3, dtype=np.float32))
    with pytest.raises(ConfigError):
        FusionEmbedder([part, part], [1.0])
    with pytest.raises(ConfigError):
        FusionEmbedder([part, part], [1.0, 0.0])


def test_dlib_chip_puts_the_landmarks_where_dlib_expects_them() -> None:
    to_chip = similarity_transform(
        TEMPLATE_112.astype(np.float32), TEMPLATE_DLIB_150.astype(np.float32)
    ).astype(np.float64)
    mapped = TEMPLATE_112 @ to_chip[:, :2].T + to_chip[:, 2]
    # A similarity cannot fit five points exactly: in dlib's chips YuNet's mouth corners sit nearer
    # the eyes than the ArcFace template has them, which leaves about 3 px of 150 per point.
    assert np.abs(mapped - TEMPLATE_DLIB_150).max() < 4.0
    assert np.abs(mapped - TEMPLATE_DLIB_150).mean() < 3.0
