"""Exact 1:N matching: best photo per person, each watchlist with its own threshold."""

from __future__ import annotations

import numpy as np
import pytest

from citywatch.match.matcher import Matcher
from citywatch.types import Gallery, Sighting

DIM = 4


def _unit(*values: float) -> np.ndarray:
    vector = np.array(values, np.float32)
    return vector / np.linalg.norm(vector)


def _at_similarity(similarity: float) -> np.ndarray:
    """A unit vector whose cosine with the probe (axis 0) is exactly `similarity`."""
    return np.array([similarity, np.sqrt(1 - similarity**2), 0, 0], np.float32)


PROBE = np.array([1, 0, 0, 0], np.float32)


def _sighting(embedding: np.ndarray = PROBE) -> Sighting:
    return Sighting(
        camera_id="cam",
        track_id=7,
        first_seen_s=1.0,
        last_seen_s=2.0,
        crop=np.zeros((8, 8, 3), np.uint8),
        embedding=embedding,
        quality=0.9,
        face_px=80.0,
        shots=3,
        frames=10,
    )


def _gallery(rows: list[tuple[int, str, str, float, np.ndarray]]) -> Gallery:
    """Rows of (person_id, person_name, watchlist, min_similarity, embedding); photo ids 101..."""
    return Gallery(
        embedder="fake",
        embeddings=np.array([r[4] for r in rows], np.float32).reshape(len(rows), DIM),
        photo_ids=np.arange(101, 101 + len(rows), dtype=np.int64),
        person_ids=np.array([r[0] for r in rows], np.int64),
        person_names=tuple(r[1] for r in rows),
        watchlists=tuple(r[2] for r in rows),
        min_similarities=np.array([r[3] for r in rows], np.float32),
    )


def test_empty_gallery_matches_nobody() -> None:
    gallery = _gallery([])

    assert Matcher(gallery).match(_sighting()) == []


def test_best_photo_of_a_person_decides_their_similarity() -> None:
    gallery = _gallery(
        [
            (1, "Ann", "missing", 0.5, _at_similarity(0.2)),
            (1, "Ann", "missing", 0.5, _at_similarity(0.8)),
            (1, "Ann", "missing", 0.5, _at_similarity(0.4)),
        ]
    )

    matches = Matcher(gallery).match(_sighting())

    assert len(matches) == 1, "one Match per person however many photos"
    assert matches[0].photo_id == 102
    assert matches[0].similarity == pytest.approx(0.8, abs=1e-6)


def test_a_person_matches_through_one_good_photo_among_poor_ones() -> None:
    gallery = _gallery(
        [
            (1, "Ann", "missing", 0.6, _at_similarity(-0.3)),
            (1, "Ann", "missing", 0.6, _at_similarity(0.1)),
            (1, "Ann", "missing", 0.6, _at_similarity(0.7)),
        ]
    )

    assert [m.photo_id for m in Matcher(gallery).match(_sighting())] == [103]


@pytest.mark.parametrize(
    ("similarity", "min_similarity", "matched"),
    [
        (0.50, 0.50, True),  # at the threshold counts
        (0.51, 0.50, True),
        (0.49, 0.50, False),
        (0.30, 0.25, True),
        (0.30, 0.35, False),
    ],
)
def test_threshold_is_inclusive(similarity: float, min_similarity: float, matched: bool) -> None:
    # Build the probe so that the float32 dot product is exactly the gallery's float32 threshold.
    threshold = np.float32(min_similarity)
    embedding = _at_similarity(float(np.float32(similarity)))
    gallery = _gallery([(1, "Ann", "list", float(threshold), embedding)])
    computed = float(gallery.embeddings[0] @ PROBE)

    matches = Matcher(gallery).match(_sighting())

    assert bool(matches) is matched
    assert bool(matches) is (computed >= float(threshold))
    if matches:
        assert matches[0].min_similarity == pytest.approx(min_similarity)


def test_same_similarity_passes_one_watchlist_and_fails_another() -> None:
    embedding = _at_similarity(0.5)
    gallery = _gallery(
        [
            (1, "Ann", "lenient", 0.4, embedding),
            (2, "Bob", "strict", 0.6, embedding),
        ]
    )

    matches = Matcher(gallery).match(_sighting())

    assert [(m.person_name, m.watchlist) for m in matches] == [("Ann", "lenient")]
    assert matches[0].min_similarity == pytest.approx(0.4)


def test_matches_are_sorted_best_first() -> None:
    gallery = _gallery(
        [
            (1, "Ann", "a", 0.1, _at_similarity(0.3)),
            (2, "Bob", "a", 0.1, _at_similarity(0.9)),
            (3, "Cy", "b", 0.1, _at_similarity(0.6)),
            (4, "Di", "b", 0.1, _at_similarity(-0.9)),
        ]
    )

    matches = Matcher(gallery).match(_sighting())

    assert [m.person_name for m in matches] == ["Bob", "Cy", "Ann"]
    similarities = [m.similarity for m in matches]
    assert similarities == sorted(similarities, reverse=True)


def test_match_carries_the_sighting_and_the_matching_photo() -> None:
    sighting = _sighting(_unit(1, 1, 0, 0))
    gallery = _gallery(
        [
            (5, "Eve", "missing", 0.3, _unit(1, 0, 0, 0)),
            (5, "Eve", "missing", 0.3, _unit(0, 1, 1, 0)),
        ]
    )

    (match,) = Matcher(gallery).match(sighting)

    assert match.sighting is sighting
    assert match.person_id == 5
    assert match.watchlist == "missing"
    assert match.photo_id == 101
    assert match.similarity == pytest.approx(np.sqrt(0.5), abs=1e-6)


def test_the_same_name_on_two_lists_is_two_people() -> None:
    embedding = _at_similarity(0.7)
    gallery = _gallery([(1, "Ann", "a", 0.5, embedding), (2, "Ann", "b", 0.5, embedding)])

    matches = Matcher(gallery).match(_sighting())

    assert sorted((m.person_id, m.watchlist) for m in matches) == [(1, "a"), (2, "b")]
