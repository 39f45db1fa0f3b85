"""The camera map's background: a picture of the city uploaded by an admin, with its bounds.

The map works offline: no tile server, only this picture (or none: the cameras are then drawn on
a plain canvas). Anyone who may see the cameras may see it; only admins (`camera.manage`) change
it, and every change is in the audit log.
"""

from __future__ import annotations

import math

from citywatch.errors import InputError, NotFoundError
from citywatch.ingest.image import decode_image
from citywatch.services.base import ServiceBase
from citywatch.storage.maps import CityMapFiles
from citywatch.types.maps import CityMap, MapBounds

MAX_MAP_BYTES = 20 * 1024 * 1024
SIGNATURES = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpeg"}


def check_bounds(bounds: MapBounds) -> MapBounds:
    """The bounds if they describe a piece of the earth; else InputError saying why."""
    values = (bounds.south, bounds.west, bounds.north, bounds.east)
    if not all(math.isfinite(v) for v in values):
        raise InputError("the map's bounds must be numbers (degrees)")
    if not (-90 <= bounds.south < bounds.north <= 90):
        raise InputError(
            f"the map's latitudes south {bounds.south} and north {bounds.north} are not usable; "
            "expected -90 <= south < north <= 90 (degrees)"
        )
    if not (-180 <= bounds.west < bounds.east <= 180):
        raise InputError(
            f"the map's longitudes west {bounds.west} and east {bounds.east} are not usable; "
            "expected -180 <= west < east <= 180 (degrees; a map across the antimeridian is not "
            "supported)"
        )
    return bounds


class MapServices(ServiceBase):
    def city_map(self) -> CityMap | None:
        self.require("camera.view")
        return CityMapFiles(self.store.media).get()

    def set_city_map(self, data: bytes, name: str, bounds: MapBounds) -> CityMap:
        """Make the PNG or JPEG picture `data` (file name `name`, for messages) the map, its
        edges at `bounds`. The pixels are decoded and written anew: nothing but the picture
        (no metadata, no trailing bytes) is kept or ever served."""
        user = self.require("camera.manage")
        check_bounds(bounds)
        if len(data) > MAX_MAP_BYTES:
            raise InputError(
                f"{name}: {len(data) / 1e6:.0f} MB is too large; expected a map picture of at "
                f"most {MAX_MAP_BYTES // (1024 * 1024)} MB"
            )
        fmt = next((f for magic, f in SIGNATURES.items() if data.startswith(magic)), None)
        if fmt is None:
            raise InputError(f"{name}: not a PNG or JPEG picture; expected a PNG or JPEG map")
        image = decode_image(data, name)
        files = CityMapFiles(self.store.media)
        previous = files.get()
        with self.audited(
            "map.upload",
            "city_map",
            south=bounds.south,
            west=bounds.west,
            north=bounds.north,
            east=bounds.east,
            width_px=int(image.shape[1]),
            height_px=int(image.shape[0]),
        ):
            city_map = files.save(image, fmt, bounds, user.name, self.now())
            self.store.on_rollback(lambda: files.restore(previous))
            self.store.after_commit(files.delete_unused)
        return city_map

    def remove_city_map(self) -> None:
        self.require("camera.manage")
        files = CityMapFiles(self.store.media)
        previous = files.get()
        if previous is None:
            raise NotFoundError("there is no city map to remove")
        with self.audited("map.remove", "city_map"):
            self.store.after_commit(files.remove)
