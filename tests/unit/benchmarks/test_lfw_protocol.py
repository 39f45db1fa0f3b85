"""The LFW benchmark's protocol and scoring, on small hand-made data where the answer is known.

`benchmarks/` is a folder of scripts, not a package (they run as `python benchmarks/lfw.py`), so
its modules are imported from that folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))

from _lfw_data import (  # noqa: E402
    LfwFormatError,
    all_impostor_similarities,
    best_threshold,
    fold_accuracy,
    read_pairs,
    roc_auc,
    tar_at_far,
    threshold_at_far,
)
from _lfw_faces import degrade, mirror_landmarks  # noqa: E402


def _scores(values: list[float]) -> np.ndarray:
    return np.array(values, dtype=np.float32)


def test_best_threshold_splits_separable_scores_between_the_classes() -> None:
    similarities = _scores([0.1, 0.2, 0.3, 0.6, 0.7])
    same = np.array([False, False, False, True, True])
    assert best_threshold(similarities, same) == pytest.approx(0.45)


def test_best_threshold_never_cuts_between_tied_scores() -> None:
    similarities = _scores([0.5, 0.5, 0.5, 0.9])
    same = np.array([False, True, True, True])
    threshold = best_threshold(similarities, same)
    # Cutting inside the tie is impossible; accepting all (3/4) beats accepting only 0.9 (2/4).
    assert threshold < 0.5


def test_fold_accuracy_takes_each_threshold_from_the_other_folds() -> None:
    # Folds 0 and 1 both say "accept above ~0.5"; fold 2's own best cut (~0.85) would be perfect
    # on it, but the threshold it gets comes from folds 0 and 1, so it scores 2 of 4.
    similarities = _scores([0.2, 0.8, 0.3, 0.7, 0.2, 0.8, 0.3, 0.7, 0.6, 0.7, 0.9, 0.95])
    same = np.array([0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1], dtype=bool)
    folds = np.repeat(np.arange(3), 4)
    result = fold_accuracy(similarities, same, folds)
    assert result.thresholds[2] == pytest.approx(0.5)
    assert result.mean == pytest.approx((1 + 1 + 0.5) / 3)
    assert result.std == pytest.approx(np.std([1, 1, 0.5]))


@pytest.mark.parametrize(
    ("similarities", "same", "auc"),
    [
        ([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1], 1.0),
        ([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0], 0.0),
        ([0.5, 0.5], [0, 1], 0.5),
        ([0.1, 0.5, 0.5, 0.9], [0, 0, 1, 1], 0.875),
    ],
)
def test_roc_auc_counts_ties_as_half(
    similarities: list[float], same: list[int], auc: float
) -> None:
    assert roc_auc(_scores(similarities), np.array(same, dtype=bool)) == pytest.approx(auc)


def test_threshold_at_far_lets_exactly_the_allowed_impostors_above_it() -> None:
    impostors = _scores(list(np.linspace(0.0, 0.999, 1000)))
    threshold = threshold_at_far(impostors, 1e-2)
    assert int((impostors > threshold).sum()) == 10


def test_tar_at_far_counts_genuine_pairs_above_the_impostor_threshold() -> None:
    impostors = list(np.linspace(0.0, 0.5, 1000))
    genuine = [0.3, 0.6, 0.7, 0.8]
    similarities = _scores(impostors + genuine)
    same = np.array([False] * 1000 + [True] * 4)
    tar, threshold = tar_at_far(similarities, same, 1e-3)
    assert threshold < 0.5
    assert tar == pytest.approx(0.75)


def test_all_impostor_similarities_are_every_cross_identity_pair_once() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(700, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    identities = rng.integers(0, 300, size=700)
    brute = [
        float(vectors[i] @ vectors[j])
        for i in range(700)
        for j in range(i + 1, 700)
        if identities[i] != identities[j]
    ]
    found = all_impostor_similarities(vectors, identities)
    np.testing.assert_allclose(np.sort(found), np.sort(brute), atol=1e-5)


def _write_lfw(root: Path, lines: list[str], names: dict[str, int]) -> None:
    (root / "pairs.txt").write_text("\n".join(lines) + "\n")
    for name, count in names.items():
        folder = root / "lfw-deepfunneled" / name
        folder.mkdir(parents=True)
        for number in range(1, count + 1):
            (folder / f"{name}_{number:04d}.jpg").write_bytes(b"")


def test_read_pairs_follows_the_view2_layout(tmp_path: Path) -> None:
    lines = ["2\t1", "Ann\t1\t2", "Ann\t1\tBob\t1", "Bob\t1\t2", "Bob\t2\tCy\t1"]
    _write_lfw(tmp_path, lines, {"Ann": 2, "Bob": 2, "Cy": 1})
    pairs = read_pairs(tmp_path)

    assert [path.name for path in pairs.images] == [
        "Ann_0001.jpg",
        "Ann_0002.jpg",
        "Bob_0001.jpg",
        "Bob_0002.jpg",
        "Cy_0001.jpg",
    ]
    assert pairs.same.tolist() == [True, False, True, False]
    assert pairs.folds.tolist() == [0, 0, 1, 1]
    assert pairs.first.tolist() == [0, 0, 2, 3]
    assert pairs.second.tolist() == [1, 2, 3, 4]
    assert pairs.identities.tolist() == [0, 0, 1, 1, 2]
    smaller = pairs.take_folds(1)
    assert len(smaller) == 2
    assert [path.name for path in smaller.images] == [
        "Ann_0001.jpg",
        "Ann_0002.jpg",
        "Bob_0001.jpg",
    ]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["ten 300"], "first line"),
        (["1\t1", "Ann\t1\t2"], "expected 2 pair lines"),
        (["1\t1", "Ann\t1\tBob\t1", "Ann\t1\t2"], "expected 'Name i j'"),
        (["1\t1", "Ann\t1\t3", "Ann\t1\tBob\t1"], "missing"),
    ],
)
def test_read_pairs_names_what_is_wrong(tmp_path: Path, lines: list[str], message: str) -> None:
    _write_lfw(tmp_path, lines, {"Ann": 2, "Bob": 1})
    with pytest.raises(LfwFormatError, match=message):
        read_pairs(tmp_path)


def test_mirrored_landmarks_swap_sides_and_map_back() -> None:
    landmarks = np.array([[90, 100], [150, 101], [120, 130], [95, 160], [145, 161]], np.float32)
    width_px = 250
    flipped = landmarks.copy()
    flipped[:, 0] = width_px - 1 - flipped[:, 0]
    flipped = flipped[[1, 0, 2, 4, 3]]  # a detector lists the image-left eye first
    np.testing.assert_allclose(mirror_landmarks(flipped, width_px), landmarks)


def test_degrade_keeps_the_size_and_removes_detail() -> None:
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, size=(250, 250, 3), dtype=np.uint8)
    degraded = degrade(image, box_height_px=120, face_px=24)
    assert degraded.shape == image.shape
    assert degraded.astype(np.float32).std() < 0.5 * image.astype(np.float32).std()
