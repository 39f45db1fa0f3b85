"""The city map: a picture of the city that an admin uploaded, and where on earth it lies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True, slots=True)
class MapBounds:
    """The WGS84 degrees of a map picture's edges: its top edge is `north`, its left `west`.

    The picture is taken to be a plain (equirectangular) projection of its bounds, which is exact
    enough for a city: camera positions are placed on it by linear interpolation.
    """

    south: float
    west: float
    north: float
    east: float


@dataclass(frozen=True, slots=True)
class CityMap:
    path: Path
    """The picture, inside the media folder."""
    media_type: str
    width_px: int
    height_px: int
    bounds: MapBounds
    uploaded_at: datetime
    uploaded_by: str
