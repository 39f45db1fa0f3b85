"""The LFW View 2 protocol: reading `pairs.txt` and scoring similarities the standard way.

`pairs.txt` starts with "10 300" (folds, pairs of each kind per fold); then each fold has 300 "same"
lines `Name i j` followed by 300 "different" lines `Name1 i Name2 j`, and image i of a person is
`lfw-deepfunneled/Name/Name_%04d.jpg`. Accuracy is the mean over the 10 folds of the accuracy on
one fold at the threshold that is best on the other nine (the only thing the protocol lets us
learn from the test data); the standard deviation is the population one (ddof 0), as InsightFace
and most papers report it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class LfwFormatError(ValueError):
    """`pairs.txt` or the image folder is not what the LFW View 2 protocol describes."""


@dataclass(frozen=True, slots=True)
class LfwPairs:
    """The 6,000 pairs over the unique images they use, columnar.

    Attributes:
        images: every image the pairs use, once each, sorted by path.
        identities: the person's index for each image (same person, same index).
        first / second: image indices of each pair.
        same: whether each pair shows the same person.
        folds: the fold (0-based) of each pair.
    """

    images: list[Path]
    identities: IntArray
    first: IntArray
    second: IntArray
    same: BoolArray
    folds: IntArray

    def __len__(self) -> int:
        return len(self.same)

    def take_folds(self, count: int) -> LfwPairs:
        """Only the first `count` folds and the images they use (for quick smoke runs)."""
        keep = self.folds < count
        used = np.unique(np.concatenate([self.first[keep], self.second[keep]]))
        remap = np.full(len(self.images), -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        return LfwPairs(
            images=[self.images[i] for i in used],
            identities=self.identities[used],
            first=remap[self.first[keep]],
            second=remap[self.second[keep]],
            same=self.same[keep],
            folds=self.folds[keep],
        )


def read_pairs(data_dir: Path) -> LfwPairs:
    """Parse `data_dir/pairs.txt` and check that every image it names exists."""
    pairs_file = data_dir / "pairs.txt"
    image_dir = data_dir / "lfw-deepfunneled"
    if not pairs_file.is_file() or not image_dir.is_dir():
        raise LfwFormatError(
            f"{data_dir} should hold pairs.txt and lfw-deepfunneled/ (the LFW View 2 files)"
        )
    lines = pairs_file.read_text().split("\n")
    header = lines[0].split()
    if len(header) != 2 or not all(word.isdigit() for word in header):
        raise LfwFormatError(f"{pairs_file}: first line should be '10 300', got {lines[0]!r}")
    fold_count, per_kind = int(header[0]), int(header[1])
    rows = [line.split() for line in lines[1:] if line.strip()]
    if len(rows) != fold_count * 2 * per_kind:
        raise LfwFormatError(
            f"{pairs_file}: expected {fold_count * 2 * per_kind} pair lines, found {len(rows)}"
        )

    def image_path(name: str, number: str) -> Path:
        return image_dir / name / f"{name}_{int(number):04d}.jpg"

    left: list[Path] = []
    right: list[Path] = []
    same: list[bool] = []
    folds: list[int] = []
    for position, row in enumerate(rows, start=2):
        fold, offset = divmod(position - 2, 2 * per_kind)
        expect_same = offset < per_kind
        if expect_same and len(row) == 3:
            left.append(image_path(row[0], row[1]))
            right.append(image_path(row[0], row[2]))
        elif not expect_same and len(row) == 4:
            left.append(image_path(row[0], row[1]))
            right.append(image_path(row[2], row[3]))
        else:
            kind = "'Name i j'" if expect_same else "'Name1 i Name2 j'"
            raise LfwFormatError(f"{pairs_file}:{position}: expected {kind}, got {row!r}")
        same.append(expect_same)
        folds.append(fold)

    images = sorted(set(left) | set(right))
    missing = [path for path in images if not path.is_file()]
    if missing:
        raise LfwFormatError(f"{len(missing)} LFW images are missing, e.g. {missing[0]}")
    index = {path: i for i, path in enumerate(images)}
    names = sorted({path.parent.name for path in images})
    name_index = {name: i for i, name in enumerate(names)}
    return LfwPairs(
        images=images,
        identities=np.array([name_index[path.parent.name] for path in images], dtype=np.int64),
        first=np.array([index[path] for path in left], dtype=np.int64),
        second=np.array([index[path] for path in right], dtype=np.int64),
        same=np.array(same, dtype=np.bool_),
        folds=np.array(folds, dtype=np.int64),
    )


def best_threshold(similarities: FloatArray, same: BoolArray) -> float:
    """The threshold (accept when similarity > it) with the highest accuracy on these pairs.

    Every midpoint between consecutive distinct scores is a candidate, so the search is exact.
    """
    order = np.argsort(similarities, kind="stable")
    scores = similarities[order].astype(np.float64)
    labels = same[order]
    # Accepting everything above position k: true accepts are the same-pairs at k.., true
    # rejects the different-pairs before k.
    same_above = np.concatenate([np.cumsum(labels[::-1])[::-1], [0]])
    different_below = np.concatenate([[0], np.cumsum(~labels)])
    correct = same_above + different_below
    # Only cut between distinct scores.
    valid = np.ones(len(scores) + 1, dtype=np.bool_)
    valid[1:-1] = scores[1:] > scores[:-1]
    k = int(np.argmax(np.where(valid, correct, -1)))
    if k == 0:
        return float(scores[0] - 1e-6)
    if k == len(scores):
        return float(scores[-1] + 1e-6)
    return float((scores[k - 1] + scores[k]) / 2)


@dataclass(frozen=True, slots=True)
class FoldAccuracy:
    mean: float
    std: float
    thresholds: list[float]


def fold_accuracy(similarities: FloatArray, same: BoolArray, folds: IntArray) -> FoldAccuracy:
    """Accuracy of each fold at the threshold chosen on the other folds."""
    accuracies: list[float] = []
    thresholds: list[float] = []
    for fold in np.unique(folds):
        test = folds == fold
        threshold = best_threshold(similarities[~test], same[~test])
        accuracies.append(float(np.mean((similarities[test] > threshold) == same[test])))
        thresholds.append(threshold)
    return FoldAccuracy(float(np.mean(accuracies)), float(np.std(accuracies)), thresholds)


def roc_auc(similarities: FloatArray, same: BoolArray) -> float:
    """Area under the ROC curve (Mann-Whitney U, ties counted half)."""
    order = np.argsort(similarities, kind="stable")
    ranks = np.empty(len(order), dtype=np.float64)
    sorted_scores = similarities[order]
    # Average ranks over ties.
    starts = np.concatenate([[0], np.flatnonzero(np.diff(sorted_scores)) + 1])
    ends = np.concatenate([starts[1:], [len(order)]])
    for start, end in zip(starts, ends, strict=True):
        ranks[order[start:end]] = (start + end + 1) / 2
    positives = int(same.sum())
    negatives = len(same) - positives
    u = ranks[same].sum() - positives * (positives + 1) / 2
    return float(u / (positives * negatives))


def threshold_at_far(impostor_similarities: FloatArray, far: float) -> float:
    """The lowest threshold (accept when similarity > it) whose false accept rate is <= `far`."""
    count = len(impostor_similarities)
    allowed = int(np.floor(far * count))
    if allowed >= count:
        return -1.0
    # The (allowed+1)-th highest impostor score: exactly `allowed` lie strictly above it (no ties).
    kth = count - allowed - 1
    return float(np.partition(impostor_similarities, kth)[kth])


def tar_at_far(similarities: FloatArray, same: BoolArray, far: float) -> tuple[float, float]:
    """True accept rate at the threshold that gives `far` on these pairs' impostors."""
    threshold = threshold_at_far(similarities[~same], far)
    return float(np.mean(similarities[same] > threshold)), threshold


def all_impostor_similarities(embeddings: FloatArray, identities: IntArray) -> FloatArray:
    """Cosine similarity of every pair of images of different people (each pair once).

    About 30 million pairs for the 7,701 LFW images: a far steadier estimate of the false accept
    rate at 1e-3 and 1e-4 than the protocol's 3,000 impostor pairs (3 false accepts at 1e-3).
    """
    vectors = embeddings.astype(np.float32)
    chunks: list[FloatArray] = []
    block = 512
    for start in range(0, len(vectors), block):
        stop = min(start + block, len(vectors))
        sims = vectors[start:stop] @ vectors[start + 1 :].T
        rows = np.arange(start, stop)[:, None]
        cols = np.arange(start + 1, len(vectors))[None, :]
        keep = (cols > rows) & (identities[start:stop, None] != identities[None, start + 1 :])
        chunks.append(sims[keep])
    return np.concatenate(chunks)
