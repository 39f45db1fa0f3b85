"""Exact 1:N cosine matching of a sighting against every enrolled photo.

Exact search is a matrix-vector product: 100,000 photos x 128-d take about 5 ms on one core, so an
approximate index would buy nothing at the sizes a watchlist reaches and would cost recall. A
person's similarity is that of their best-matching photo; the threshold is their watchlist's.

"Not this person": when reviewers reject a match, the rejected sighting's embedding is kept as a
counter-example for that person. A later candidate match for the same person is suppressed when
the sighting is at least as similar to one of those counter-examples as to the person's best
photo, and at least as similar as the watchlist's threshold: it looks like the face that was
already ruled out more than like the person. Other people's matches are unaffected.

Everything up to building the `Match` objects is vectorised; Python only loops over the (few)
people who pass their threshold.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from citywatch.types import Gallery, Match, Sighting


class Matcher:
    def __init__(self, gallery: Gallery) -> None:
        rejected = len(gallery.rejected_person_ids)
        if len(gallery.rejected_embeddings) != rejected:
            raise ValueError(
                f"gallery has {len(gallery.rejected_embeddings)} rejected embeddings "
                f"for {rejected} rejected person ids"
            )
        self.gallery = gallery

    def match(self, sighting: Sighting) -> list[Match]:
        """Every person whose best photo reaches their list's `min_similarity` and who has not been
        ruled out by a "not this person" example, best first."""
        gallery = self.gallery
        if len(gallery) == 0:
            return []
        probe = sighting.embedding.astype(np.float32)
        similarities = gallery.embeddings @ probe
        rows = _best_rows(similarities, gallery)
        if len(rows) == 0:
            return []
        rows = rows[~_suppressed(probe, similarities[rows], rows, gallery)]
        # Best first; equal similarities keep gallery order.
        rows = rows[np.lexsort((rows, -similarities[rows]))]
        return [
            Match(
                sighting=sighting,
                person_id=int(gallery.person_ids[row]),
                person_name=gallery.person_names[row],
                watchlist=gallery.watchlists[row],
                photo_id=int(gallery.photo_ids[row]),
                similarity=float(similarities[row]),
                min_similarity=float(gallery.min_similarities[row]),
            )
            for row in rows.tolist()
        ]


def _best_rows(similarities: npt.NDArray[np.float32], gallery: Gallery) -> npt.NDArray[np.intp]:
    """The row of each person's best photo (first row on ties), for people whose best photo
    reaches its threshold."""
    passing = similarities >= gallery.min_similarities
    if not passing.any():
        return np.zeros(0, np.intp)
    # Only people with at least one passing photo can match; look at all of their photos so that
    # the best one decides, as it would over the whole gallery.
    candidates = np.flatnonzero(np.isin(gallery.person_ids, gallery.person_ids[passing]))
    person_ids = gallery.person_ids[candidates]
    # Sorted by person, then best similarity first, then row: the first row of a person is theirs.
    order: npt.NDArray[np.intp] = candidates[
        np.lexsort((candidates, -similarities[candidates], person_ids))
    ]
    sorted_persons = gallery.person_ids[order]
    first = np.ones(len(order), bool)
    first[1:] = sorted_persons[1:] != sorted_persons[:-1]
    best: npt.NDArray[np.intp] = order[first]
    reaching: npt.NDArray[np.bool_] = similarities[best] >= gallery.min_similarities[best]
    result: npt.NDArray[np.intp] = best[reaching]
    return result


def _suppressed(
    probe: npt.NDArray[np.float32],
    best_similarities: npt.NDArray[np.float32],
    rows: npt.NDArray[np.intp],
    gallery: Gallery,
) -> npt.NDArray[np.bool_]:
    """For each candidate (a person's best row), whether one of that person's "not this person"
    examples is at least as similar to the probe as their best photo and their threshold."""
    suppressed = np.zeros(len(rows), bool)
    if len(gallery.rejected_person_ids) == 0:
        return suppressed
    person_ids = gallery.person_ids[rows]
    # Rows are one per person, so each rejected example belongs to at most one candidate.
    order = np.argsort(person_ids, kind="stable")
    positions = np.searchsorted(person_ids[order], gallery.rejected_person_ids)
    positions = np.minimum(positions, len(rows) - 1)
    candidate = order[positions]
    mine = person_ids[candidate] == gallery.rejected_person_ids
    if not mine.any():
        return suppressed
    candidate = candidate[mine]
    rejected_similarities = gallery.rejected_embeddings[mine] @ probe
    hits = (rejected_similarities >= gallery.min_similarities[rows[candidate]]) & (
        rejected_similarities >= best_similarities[candidate]
    )
    suppressed[candidate[hits]] = True
    return suppressed
