"""Full resolution every few frames, a cheaper coarse pass in between.

Small faces are the expensive ones: finding a 20 px face in a 720p frame needs the full-size input
(~4x the cost of a 640 px input, which finds faces from ~32 px). A person stays in view for
seconds, so running the full pass on every `full_every`-th analysed frame and the coarse pass on
the others still finds small faces, while the tracker (which keeps a track alive through short
misses) carries them across the coarse frames. Large faces are found on every frame.
"""

from __future__ import annotations

from citywatch.detect import FaceDetector
from citywatch.types import Faces, Image


class CadenceDetector:
    def __init__(self, full: FaceDetector, coarse: FaceDetector, full_every: int = 3) -> None:
        if full_every < 1:
            raise ValueError(f"full_every must be >= 1, got {full_every}")
        self.full = full
        self.coarse = coarse
        self.full_every = full_every
        self._count = 0

    def detect(self, image: Image) -> Faces:
        use_full = self._count % self.full_every == 0
        self._count += 1
        return (self.full if use_full else self.coarse).detect(image)
