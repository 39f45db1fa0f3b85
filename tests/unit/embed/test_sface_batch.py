"""The real SFace embedder on a batch: every row must be as good as the first.

With a batched blob, OpenCV's DNN returns garbage for this int8 file (values near 1e28) in every row
after the first; `SFaceEmbedder` runs faces one at a time to avoid it. This is the one unit module
that loads a model: the bug lives in the runtime, so only the real network can show it.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from citywatch.embed.sface import SFaceEmbedder


@pytest.fixture(scope="module")
def embedder() -> Iterator[SFaceEmbedder]:
    yield SFaceEmbedder(flip=False)


@pytest.fixture(scope="module")
def crops() -> np.ndarray:
    """Three different random 112x112 BGR crops."""
    rng = np.random.default_rng(7)
    return rng.integers(0, 256, (3, 112, 112, 3), dtype=np.uint8)


def test_raw_outputs_of_every_row_have_sane_magnitudes(
    embedder: SFaceEmbedder, crops: np.ndarray
) -> None:
    raw = embedder._forward(crops)

    assert raw.shape == (3, 128)
    assert np.isfinite(raw).all()
    assert np.abs(raw).max() < 1e3, np.abs(raw).max(axis=1)


@pytest.mark.parametrize("flip", [False, True])
def test_batch_gives_finite_unit_vectors(crops: np.ndarray, flip: bool) -> None:
    features = SFaceEmbedder(flip=flip).embed(crops)

    assert features.shape == (3, 128)
    assert features.dtype == np.float32
    assert np.isfinite(features).all()
    np.testing.assert_allclose(np.linalg.norm(features, axis=1), 1.0, atol=1e-5)
    assert np.abs(features).max() <= 1.0


def test_embedding_one_by_one_equals_embedding_together(
    embedder: SFaceEmbedder, crops: np.ndarray
) -> None:
    together = embedder.embed(crops)
    one_by_one = np.concatenate([embedder.embed(crops[i : i + 1]) for i in range(len(crops))])

    np.testing.assert_allclose(together, one_by_one, atol=1e-5)


def test_different_crops_give_different_embeddings(
    embedder: SFaceEmbedder, crops: np.ndarray
) -> None:
    features = embedder.embed(crops)

    similarities = features @ features.T
    assert np.all(similarities[~np.eye(3, dtype=bool)] < 0.999)


def test_no_crops_give_an_empty_matrix(embedder: SFaceEmbedder) -> None:
    assert embedder.embed(np.zeros((0, 112, 112, 3), np.uint8)).shape == (0, 128)
