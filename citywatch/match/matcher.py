"""Exact 1:N cosine matching of a sighting against every enrolled photo.

Exact search is a matrix-vector product: 100,000 photos x 128-d take about 5 ms on one core, so an
approximate index would buy nothing at the sizes a watchlist reaches and would cost recall. A
person's similarity is that of their best-matching photo; the threshold is their watchlist's.
"""

from __future__ import annotations

import numpy as np

from citywatch.types import Gallery, Match, Sighting


class Matcher:
    def __init__(self, gallery: Gallery) -> None:
        self.gallery = gallery

    def match(self, sighting: Sighting) -> list[Match]:
        """Every person whose best photo reaches their list's `min_similarity`, best first."""
        gallery = self.gallery
        if len(gallery) == 0:
            return []
        similarities = gallery.embeddings @ sighting.embedding.astype(np.float32)
        order = np.argsort(-similarities, kind="stable")
        seen: set[int] = set()
        matches = []
        for row in order.tolist():
            person_id = int(gallery.person_ids[row])
            if person_id in seen:
                continue
            seen.add(person_id)
            similarity = float(similarities[row])
            threshold = float(gallery.min_similarities[row])
            if similarity >= threshold:
                matches.append(
                    Match(
                        sighting=sighting,
                        person_id=person_id,
                        person_name=gallery.person_names[row],
                        watchlist=gallery.watchlists[row],
                        photo_id=int(gallery.photo_ids[row]),
                        similarity=similarity,
                        min_similarity=threshold,
                    )
                )
        return matches
