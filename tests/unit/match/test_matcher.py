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


# -- "not this person" -------------------------------------------------------------------------

ANN_PHOTO = _unit(1, 0, 0, 0)
LOOKALIKE = _unit(0.6, 0.8, 0, 0)
"""A different face that reaches Ann's threshold (cosine 0.6 with her photo): a false match."""


def _with_rejections(gallery: Gallery, rejected: list[tuple[int, np.ndarray]]) -> Gallery:
    """`gallery` plus "not this person" examples as (person_id, embedding)."""
    return Gallery(
        embedder=gallery.embedder,
        embeddings=gallery.embeddings,
        photo_ids=gallery.photo_ids,
        person_ids=gallery.person_ids,
        person_names=gallery.person_names,
        watchlists=gallery.watchlists,
        min_similarities=gallery.min_similarities,
        rejected_embeddings=np.array([e for _, e in rejected], np.float32).reshape(-1, DIM),
        rejected_person_ids=np.array([p for p, _ in rejected], np.int64),
    )


def test_the_same_false_match_is_not_raised_again_once_rejected() -> None:
    gallery = _gallery([(1, "Ann", "missing", 0.5, ANN_PHOTO)])
    assert [m.person_name for m in Matcher(gallery).match(_sighting(LOOKALIKE))] == ["Ann"]

    rejected = _with_rejections(gallery, [(1, LOOKALIKE)])
    slightly_different_pass = _unit(0.62, 0.78, 0.05, 0)

    assert Matcher(rejected).match(_sighting(LOOKALIKE)) == []
    assert Matcher(rejected).match(_sighting(slightly_different_pass)) == []


def test_the_real_person_still_matches_after_a_rejection() -> None:
    gallery = _with_rejections(_gallery([(1, "Ann", "missing", 0.5, ANN_PHOTO)]), [(1, LOOKALIKE)])
    real_ann = _unit(0.95, 0.1, 0.3, 0)

    (match,) = Matcher(gallery).match(_sighting(real_ann))

    assert match.person_name == "Ann"
    assert match.similarity == pytest.approx(float(real_ann @ ANN_PHOTO), abs=1e-6)


def test_a_rejection_for_one_person_does_not_suppress_another() -> None:
    gallery = _with_rejections(
        _gallery(
            [
                (1, "Ann", "missing", 0.5, ANN_PHOTO),
                (2, "Bob", "wanted", 0.5, _unit(0.5, 0.9, 0, 0)),
            ]
        ),
        [(1, LOOKALIKE)],
    )

    matches = Matcher(gallery).match(_sighting(LOOKALIKE))

    assert [(m.person_name, m.watchlist) for m in matches] == [("Bob", "wanted")]


def test_a_rejection_suppresses_only_when_closer_than_the_best_photo() -> None:
    # Ann has a second photo that this sighting resembles more than the rejected example.
    gallery = _with_rejections(
        _gallery(
            [
                (1, "Ann", "missing", 0.5, ANN_PHOTO),
                (1, "Ann", "missing", 0.5, _unit(0.6, 0.8, 0.2, 0)),
            ]
        ),
        [(1, _unit(0.6, 0.8, -0.6, 0))],
    )

    (match,) = Matcher(gallery).match(_sighting(LOOKALIKE))

    assert match.photo_id == 102


def test_a_rejection_as_similar_as_the_best_photo_suppresses() -> None:
    gallery = _with_rejections(_gallery([(1, "Ann", "missing", 0.5, ANN_PHOTO)]), [(1, ANN_PHOTO)])

    assert Matcher(gallery).match(_sighting(LOOKALIKE)) == []


def test_empty_rejections_change_nothing() -> None:
    rows = [
        (1, "Ann", "a", 0.3, _unit(1, 0.2, 0, 0)),
        (2, "Bob", "a", 0.3, _unit(1, 0, 0.4, 0)),
        (3, "Cy", "b", 0.5, _unit(0.7, 0, 0, 0.7)),
    ]
    plain = Matcher(_gallery(rows)).match(_sighting())

    emptied = Matcher(_with_rejections(_gallery(rows), [])).match(_sighting())

    assert [m.person_name for m in plain] == ["Ann", "Bob", "Cy"]
    assert [(m.person_id, m.photo_id, m.similarity) for m in emptied] == [
        (m.person_id, m.photo_id, m.similarity) for m in plain
    ]


def test_rejections_for_people_not_in_the_gallery_change_nothing() -> None:
    rows = [(1, "Ann", "a", 0.3, _unit(1, 0.2, 0, 0)), (2, "Bob", "a", 0.3, _unit(1, 0, 0.4, 0))]

    matches = Matcher(_with_rejections(_gallery(rows), [(9, PROBE), (0, PROBE)])).match(_sighting())

    assert [m.person_name for m in matches] == ["Ann", "Bob"]


def test_rejected_embeddings_and_person_ids_must_have_the_same_length() -> None:
    gallery = _gallery([(1, "Ann", "missing", 0.5, ANN_PHOTO)])
    broken = Gallery(
        embedder=gallery.embedder,
        embeddings=gallery.embeddings,
        photo_ids=gallery.photo_ids,
        person_ids=gallery.person_ids,
        person_names=gallery.person_names,
        watchlists=gallery.watchlists,
        min_similarities=gallery.min_similarities,
        rejected_embeddings=np.stack([LOOKALIKE, PROBE]),
        rejected_person_ids=np.array([1], np.int64),
    )

    with pytest.raises(ValueError, match="2 rejected embeddings for 1"):
        Matcher(broken)


def _reference_match(gallery: Gallery, probe: np.ndarray) -> list[tuple[int, int]]:
    """The rules written out one person at a time: [(person_id, photo_id)], best first."""
    similarities = gallery.embeddings @ probe
    found = []
    for person_id in sorted(set(gallery.person_ids.tolist())):
        rows = [i for i in range(len(gallery)) if gallery.person_ids[i] == person_id]
        best = max(rows, key=lambda i: (similarities[i], -i))
        if similarities[best] < gallery.min_similarities[best]:
            continue
        ruled_out = [
            float(gallery.rejected_embeddings[j] @ probe)
            for j in range(len(gallery.rejected_person_ids))
            if gallery.rejected_person_ids[j] == person_id
        ]
        if any(s >= gallery.min_similarities[best] and s >= similarities[best] for s in ruled_out):
            continue
        found.append((float(similarities[best]), best, person_id))
    found.sort(key=lambda f: (-f[0], f[1]))
    return [(person_id, int(gallery.photo_ids[row])) for _, row, person_id in found]


@pytest.mark.parametrize("seed", range(20))
def test_vectorised_matcher_agrees_with_the_rules_one_person_at_a_time(seed: int) -> None:
    rng = np.random.default_rng(seed)

    def units(n: int) -> np.ndarray:
        vectors = rng.normal(size=(n, DIM)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    photos = int(rng.integers(1, 40))
    person_ids = rng.integers(1, 12, photos)
    thresholds = {p: float(rng.choice([0.0, 0.2, 0.4])) for p in range(1, 12)}
    gallery = Gallery(
        embedder="fake",
        embeddings=units(photos),
        photo_ids=np.arange(101, 101 + photos, dtype=np.int64),
        person_ids=person_ids.astype(np.int64),
        person_names=tuple(f"p{p}" for p in person_ids),
        watchlists=tuple(f"list{thresholds[p]}" for p in person_ids),
        min_similarities=np.array([thresholds[p] for p in person_ids], np.float32),
        rejected_embeddings=units(rejected := int(rng.integers(0, 15))),
        rejected_person_ids=rng.integers(1, 14, rejected).astype(np.int64),
    )
    matcher = Matcher(gallery)

    checked = 0
    for probe in units(10):
        matches = matcher.match(_sighting(probe))
        assert [(m.person_id, m.photo_id) for m in matches] == _reference_match(gallery, probe)
        checked += len(matches)
    assert checked > 0, "the random galleries should produce some matches to compare"
