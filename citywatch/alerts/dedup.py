"""One alert per person per camera per pass, even when the tracker splits the pass.

A person who turns away, is hidden by a passer-by or walks out of the light can become two or
three tracks; officers want one alert that covers the whole pass, not three. A match for the same
(camera, person) within `cooldown_s` of the last one extends that alert instead of raising a new
one. File scans keep the strict one-alert-per-track rule; this applies to live cameras.

A track that stays in view yields an interim sighting and later its final one: those always make
one alert, whatever the cooldown, because they are the same pass by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

from citywatch.types import TIME_TOLERANCE_S

MAX_TRACKS = 10_000


@dataclass(slots=True)
class _Recent:
    alert_id: int
    last_seen_s: float


class AlertDeduplicator:
    def __init__(self, cooldown_s: float = 30.0) -> None:
        self.cooldown_s = cooldown_s
        self._recent: dict[tuple[str, int], _Recent] = {}
        self._tracks: dict[tuple[str, object, int], int] = {}

    def existing(
        self, camera_id: str, person_id: int, first_seen_s: float, track: object = None
    ) -> int | None:
        """The id of the alert this sighting continues, or None when it deserves its own.

        `track` identifies the sighting's track across its interim and final sightings (e.g.
        (source start, track id)); None when unknown."""
        if track is not None and (camera_id, track, person_id) in self._tracks:
            return self._tracks[(camera_id, track, person_id)]
        if self.cooldown_s <= 0:
            return None
        recent = self._recent.get((camera_id, person_id))
        if recent is None or first_seen_s - recent.last_seen_s > self.cooldown_s + TIME_TOLERANCE_S:
            return None
        return recent.alert_id

    def remember(
        self,
        camera_id: str,
        person_id: int,
        alert_id: int,
        last_seen_s: float,
        track: object = None,
    ) -> None:
        if track is not None:
            self._tracks[(camera_id, track, person_id)] = alert_id
            if len(self._tracks) > MAX_TRACKS:  # bounded memory: forget the oldest passes
                del self._tracks[next(iter(self._tracks))]
        key = (camera_id, person_id)
        recent = self._recent.get(key)
        if recent is not None and recent.alert_id == alert_id:
            recent.last_seen_s = max(recent.last_seen_s, last_seen_s)
        else:
            self._recent[key] = _Recent(alert_id, last_seen_s)
