"""The uploaded city map: one picture under `media/maps/` and `media/maps/city-map.json`, which
names the picture and holds its bounds.

Files, not rows: the picture is media like the photos and crops, and its few numbers travel with
it. Each upload writes a new picture under a fresh name and then replaces the JSON file
atomically, so a reader sees the old map or the new one, never half of either; `restore` puts the
previous JSON back when the upload's audit record cannot be committed, and `delete_unused`
removes pictures no JSON names once it has.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path

import cv2

from citywatch.errors import StorageError
from citywatch.storage.media import utc_text
from citywatch.types import Image
from citywatch.types.maps import CityMap, MapBounds

FOLDER = "maps"
INDEX = "city-map.json"
FORMATS = {"png": (".png", "image/png"), "jpeg": (".jpg", "image/jpeg")}


class CityMapFiles:
    def __init__(self, media: Path) -> None:
        self.folder = media / FOLDER

    def get(self) -> CityMap | None:
        """The current map, or None when none was uploaded (or its picture is gone)."""
        index = self.folder / INDEX
        try:
            data = json.loads(index.read_text(encoding="utf-8"))
            path = self.folder / Path(str(data["file"])).name
            city_map = CityMap(
                path=path,
                media_type=str(data["media_type"]),
                width_px=int(data["width_px"]),
                height_px=int(data["height_px"]),
                bounds=MapBounds(
                    south=float(data["south"]),
                    west=float(data["west"]),
                    north=float(data["north"]),
                    east=float(data["east"]),
                ),
                uploaded_at=datetime.fromisoformat(str(data["uploaded_at"])),
                uploaded_by=str(data["uploaded_by"]),
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise StorageError(f"the city map's index {index} is unreadable: {error}") from None
        return city_map if city_map.path.is_file() else None

    def save(
        self, image: Image, fmt: str, bounds: MapBounds, uploaded_by: str, at: datetime
    ) -> CityMap:
        """Write `image` (BGR) as PNG or JPEG (`fmt`) and make it the current map."""
        suffix, media_type = FORMATS[fmt]
        ok, encoded = cv2.imencode(suffix, image)
        if not ok:
            raise StorageError("cannot encode the city map")
        path = self.folder / f"{uuid.uuid4().hex}{suffix}"
        city_map = CityMap(
            path=path,
            media_type=media_type,
            width_px=int(image.shape[1]),
            height_px=int(image.shape[0]),
            bounds=bounds,
            uploaded_at=at,
            uploaded_by=uploaded_by,
        )
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _write_atomically(path, encoded.tobytes())
            self._write_index(city_map)
        except OSError as error:
            path.unlink(missing_ok=True)
            raise StorageError(f"cannot write the city map under {self.folder}: {error}") from None
        return city_map

    def restore(self, previous: CityMap | None) -> None:
        """Make `previous` (None: no map) current again."""
        if previous is None:
            (self.folder / INDEX).unlink(missing_ok=True)
        else:
            self._write_index(previous)
        self.delete_unused()

    def remove(self) -> None:
        self.restore(None)

    def delete_unused(self) -> None:
        """Delete every picture the index does not name (earlier maps, failed uploads)."""
        current = self.get()
        if not self.folder.is_dir():
            return
        for entry in self.folder.iterdir():
            if entry.name == INDEX or (current is not None and entry == current.path):
                continue
            entry.unlink(missing_ok=True)

    def _write_index(self, city_map: CityMap) -> None:
        data = {
            "file": city_map.path.name,
            "media_type": city_map.media_type,
            "width_px": city_map.width_px,
            "height_px": city_map.height_px,
            "south": city_map.bounds.south,
            "west": city_map.bounds.west,
            "north": city_map.bounds.north,
            "east": city_map.bounds.east,
            "uploaded_at": utc_text(city_map.uploaded_at),
            "uploaded_by": city_map.uploaded_by,
        }
        _write_atomically(self.folder / INDEX, json.dumps(data, indent=2).encode())


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    temporary.replace(path)
