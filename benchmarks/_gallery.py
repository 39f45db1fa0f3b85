"""A synthetic gallery for timing the matcher: random unit vectors, never matched (threshold 0.99).

Matching cost depends on the gallery's size and dimension only, so random vectors time it as well
as real enrolments would, without shipping anyone's face.
"""

from __future__ import annotations

import numpy as np

from citywatch.embed import normalize
from citywatch.types import Gallery


def synthetic_gallery(size: int = 10_000, photos_per_person: int = 2, dim: int = 128) -> Gallery:
    rng = np.random.default_rng(0)
    people = np.arange(size, dtype=np.int64) // photos_per_person
    return Gallery(
        embedder="sface",
        embeddings=normalize(rng.standard_normal((size, dim)).astype(np.float32)),
        photo_ids=np.arange(size, dtype=np.int64),
        person_ids=people,
        person_names=tuple(f"p{person}" for person in people),
        watchlists=("bench",) * size,
        min_similarities=np.full(size, 0.99, np.float32),
    )
