"""The city map picture: uploaded by admins only, re-encoded, audited, replaced atomically, and
put back as it was when the audit record cannot be written."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from citywatch.config import load_settings
from citywatch.errors import AuditError, InputError, NotFoundError, PermissionDeniedError
from citywatch.services import Services, build_services
from citywatch.types.maps import MapBounds

PASSWORD = "citymap-tests-2026"
BOUNDS = MapBounds(south=52.50, west=13.38, north=52.53, east=13.43)


def picture(suffix: str, width: int = 120, height: int = 80, shade: int = 200) -> bytes:
    image = np.full((height, width, 3), shade, np.uint8)
    image[::10] = 90  # streets
    ok, encoded = cv2.imencode(suffix, image)
    assert ok
    return bytes(encoded.tobytes())


@pytest.fixture
def admin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Services:
    for name in list(os.environ):
        if name.startswith("CITYWATCH_"):
            monkeypatch.delenv(name)
    services = build_services(load_settings(tmp_path / "home"))
    services.bootstrap("ada", PASSWORD)
    services.add_user("olga", PASSWORD, ["officer"])
    return services


def test_an_uploaded_map_is_stored_reencoded_and_audited(admin: Services) -> None:
    data = picture(".png") + b"trailing bytes are not kept"

    saved = admin.set_city_map(data, "city.png", BOUNDS)

    assert admin.city_map() == saved
    assert (saved.width_px, saved.height_px, saved.media_type) == (120, 80, "image/png")
    assert saved.path.is_relative_to(admin.store.media) and saved.path.suffix == ".png"
    assert b"trailing" not in saved.path.read_bytes()
    assert saved.bounds == BOUNDS and saved.uploaded_by == "ada"
    head = admin.store.audit.head()
    assert head is not None
    assert (head.actor, head.action, head.object) == ("ada", "map.upload", "city_map")
    assert head.details["north"] == BOUNDS.north


def test_a_new_map_replaces_the_old_picture(admin: Services) -> None:
    first = admin.set_city_map(picture(".png"), "one.png", BOUNDS)

    second = admin.set_city_map(picture(".jpg", 60, 40), "two.jpg", BOUNDS)

    assert admin.city_map() == second
    assert second.media_type == "image/jpeg" and (second.width_px, second.height_px) == (60, 40)
    assert not first.path.exists()
    assert sorted(p.name for p in second.path.parent.iterdir()) == sorted(
        [second.path.name, "city-map.json"]
    )


@pytest.mark.parametrize(
    ("bounds", "message"),
    [
        (MapBounds(52.53, 13.38, 52.50, 13.43), "expected -90 <= south < north <= 90"),
        (MapBounds(52.50, 13.43, 52.53, 13.38), "expected -180 <= west < east <= 180"),
        (MapBounds(-91, 13.38, 52.53, 13.43), "south -91"),
        (MapBounds(float("nan"), 13.38, 52.53, 13.43), "must be numbers"),
    ],
)
def test_bounds_that_are_not_a_piece_of_the_earth_are_refused(
    admin: Services, bounds: MapBounds, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        admin.set_city_map(picture(".png"), "city.png", bounds)
    assert admin.city_map() is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GIF89a not a map", "upload: not a PNG or JPEG picture"),
        (picture(".png")[:60], "upload: the image is damaged or truncated"),
    ],
)
def test_what_is_not_a_png_or_jpeg_picture_is_refused(
    admin: Services, data: bytes, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        admin.set_city_map(data, "upload", BOUNDS)
    assert admin.city_map() is None


def test_officers_see_the_map_but_may_not_change_it(admin: Services) -> None:
    saved = admin.set_city_map(picture(".png"), "city.png", BOUNDS)
    admin.authenticate("olga", PASSWORD)

    assert admin.city_map() == saved
    with pytest.raises(PermissionDeniedError, match="olga may not camera.manage"):
        admin.set_city_map(picture(".jpg"), "mine.jpg", BOUNDS)
    with pytest.raises(PermissionDeniedError):
        admin.remove_city_map()
    assert admin.city_map() == saved


def test_removing_the_map_leaves_no_picture(admin: Services) -> None:
    saved = admin.set_city_map(picture(".png"), "city.png", BOUNDS)

    admin.remove_city_map()

    assert admin.city_map() is None
    assert not saved.path.exists()
    head = admin.store.audit.head()
    assert head is not None and head.action == "map.remove"
    with pytest.raises(NotFoundError, match="no city map"):
        admin.remove_city_map()


def test_an_upload_whose_audit_record_fails_leaves_the_previous_map(admin: Services) -> None:
    before = admin.set_city_map(picture(".png"), "city.png", BOUNDS)
    admin.store.db.execute(
        "CREATE TRIGGER full_disk BEFORE INSERT ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
    )

    with pytest.raises(AuditError):
        admin.set_city_map(picture(".jpg", 60, 40), "new.jpg", BOUNDS)

    assert admin.city_map() == before
    assert [p.name for p in before.path.parent.iterdir() if p.suffix != ".json"] == [
        before.path.name
    ]
