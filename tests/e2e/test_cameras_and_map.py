"""The cameras page (health, probe, the add form with the onboarding check, snapshots) and the
offline camera map (positions on a canvas, the uploaded city map picture) in a real browser."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import av
import cv2
import numpy as np
from playwright.sync_api import Page, expect

from citywatch.config import load_settings
from citywatch.services import build_services
from citywatch.types import Camera, CameraHealth

from .conftest import PASSWORD, OpenAs, Shot, Site, csrf_of, post_form, shared_file, submit

LOAD_MS = 15_000


def register(home: Path, camera: Camera, url: str, state: str = "", error: str = "") -> None:
    """A camera registered without a probe (as a forced one would be), with its health."""
    services = build_services(load_settings(home))
    try:
        services.store.cameras.add(camera, url)
        if state:
            services.store.cameras.record_health(
                CameraHealth(camera.id, state, datetime.now(UTC), last_error=error)
            )
    finally:
        services.close()


def small_clip(path: Path) -> Path:
    """Two seconds of 640x360 at 10 fps: below the third-party onboarding bar."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 640, 360, "yuv420p"
        for index in range(20):
            pixels = np.full((360, 640, 3), (index * 12) % 256, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def fill_camera(page: Page, fields: dict[str, str]) -> None:
    for name, value in fields.items():
        page.fill(f"form.grid input[name={name}]", value)


def test_an_admin_adds_cameras_through_the_onboarding_check(
    site: Site, open_as: OpenAs, shot: Shot, tmp_path: Path
) -> None:
    video = shared_file("video/arcade-walkers-1080p25.mp4")
    ada = open_as("ada")
    ada.goto("/cameras")
    expect(ada.locator("table.cameras .empty")).to_have_text("No cameras registered yet.")

    fill_camera(ada, {"id": "arcade-1", "name": "Arcade", "url": str(video), "group": "mall"})
    fill_camera(ada, {"lat": "52.5201", "lon": "13.4049"})
    assert submit(ada, "form.grid").status == 200
    expect(ada.locator(".message")).to_have_text(
        "camera arcade-1 added: passed the onboarding check"
    )
    row = ada.locator('tr[data-camera="arcade-1"]')
    expect(row.locator(".probe")).to_contain_text("1920×1080 · 25.0 fps")
    expect(row.locator(".position")).to_have_text("52.52010, 13.40490")
    expect(row.locator(".health")).to_have_text("unknown")  # no worker has reported yet

    clip = small_clip(tmp_path / "shop.mp4")
    fill_camera(ada, {"id": "shop-2", "url": str(clip), "owner": "Corner Shop Ltd"})
    assert submit(ada, "form.grid").status == 422
    expect(ada.locator(".error")).to_contain_text(
        "fails the third-party onboarding check: resolution 640x360 is below the required "
        "1280x720; frame rate 10.0 fps is outside the required 15-25 fps"
    )
    expect(ada.locator("form.grid input[name=id]")).to_have_value("shop-2")
    ada.check("form.grid input[name=force]")
    assert submit(ada, "form.grid").status == 200
    expect(ada.locator(".message")).to_have_text("camera shop-2 added: registered anyway (forced)")
    expect(ada.locator(".warning")).to_have_count(2)
    expect(ada.locator('tr[data-camera="shop-2"] .forced')).to_have_text("forced")

    secret_url = "rtsp://viewer:hunter2secret@127.0.0.1:9/stream"
    fill_camera(ada, {"id": "gate-3", "url": secret_url, "owner": "city"})
    assert submit(ada, "form.grid").status == 422
    expect(ada.locator(".error")).to_contain_text("cannot open the stream")
    expect(ada.locator(".error")).to_contain_text("type the URL's credentials again")
    expect(ada.locator("form.grid input[name=url]")).to_have_value("rtsp://***@127.0.0.1:9/stream")
    assert "hunter2secret" not in ada.content()
    shot(ada, "cameras-refused")

    fill_camera(ada, {"id": "bad-4", "url": str(video), "lat": "91", "lon": "13"})
    assert submit(ada, "form.grid").status == 422
    expect(ada.locator(".error")).to_have_text("latitude 91 is out of range; expected -90 to 90")
    expect(ada.locator("tr[data-camera]")).to_have_count(2)


def test_everyone_sees_camera_health_and_only_admins_add_cameras(
    site: Site, open_as: OpenAs, shot: Shot
) -> None:
    register(
        site.home,
        Camera("door-1", "Door 1", "rtsp://10.0.0.7/door", lat=52.52, lon=13.40, group="station"),
        "rtsp://admin:pw-door@10.0.0.7/door",
        "offline",
        "rtsp://***@10.0.0.7/door: Connection refused",
    )
    register(site.home, Camera("door-2", "Door 2", "/videos/door2.mp4"), "/videos/door2.mp4")
    rita = open_as("rita")
    rita.goto("/cameras")
    row = rita.locator('tr[data-camera="door-1"]')
    expect(row.locator(".health")).to_have_text("offline")
    expect(row.locator(".last-error")).to_have_text("rtsp://***@10.0.0.7/door: Connection refused")
    expect(row.locator(".url")).to_have_text("rtsp://10.0.0.7/door · credentials stored")
    expect(rita.locator(".summary")).to_have_text("2 registered · 2 analysed (cap 8)")
    expect(rita.locator("form.grid")).to_have_count(0)
    assert "pw-door" not in rita.content()
    shot(rita, "cameras")

    response = post_form(rita, "/cameras", {"id": "x", "url": "rtsp://h/x", "csrf_token": ""})
    assert response.status == 403
    rita.goto("/review")
    response = post_form(
        rita, "/cameras", {"id": "x", "url": "rtsp://h/x", "csrf_token": csrf_of(rita)}
    )
    assert response.status == 403
    expect(rita.locator(".error")).to_contain_text("rita may not camera.manage")

    stranger = open_as(None)
    stranger.goto("/cameras")
    expect(stranger).to_have_url(f"{site.url}/login?next=%2Fcameras")
    assert stranger.request.get("/media/cameras/door-1/snapshot").status == 401


def test_a_snapshot_that_cannot_be_taken_says_why_where_the_picture_would_be(
    site: Site, open_as: OpenAs, shot: Shot
) -> None:
    register(
        site.home,
        Camera("gate-9", "Gate", "rtsp://127.0.0.1:9/gate"),
        "rtsp://viewer:pw-gate-9@127.0.0.1:9/gate",
    )
    audrey = open_as("audrey")
    audrey.goto("/cameras")
    audrey.locator('tr[data-camera="gate-9"] a.button-link').click()
    expect(audrey).to_have_url(f"{site.url}/cameras?snapshot=gate-9#snapshot")
    picture = audrey.locator("#snapshot img")
    expect(picture).to_have_js_property("complete", True, timeout=LOAD_MS)
    assert picture.evaluate("image => image.naturalWidth") == 480  # the SVG explaining why

    answer = audrey.request.get("/media/cameras/gate-9/snapshot")
    assert answer.status == 422
    assert answer.headers["content-type"] == "image/svg+xml"
    assert "cannot open the stream" in answer.text()
    assert "pw-gate-9" not in answer.text() and "<script" not in answer.text()
    assert audrey.request.get("/media/cameras/nope/snapshot").status == 404
    shot(audrey, "cameras-snapshot-failed")


def city_picture(path: Path) -> Path:
    """A plain street grid, as a city map picture would be (north up)."""
    image = np.full((600, 900, 3), (226, 232, 236), np.uint8)
    for x in range(0, 900, 75):
        cv2.line(image, (x, 0), (x, 600), (255, 255, 255), 9)
    for y in range(0, 600, 60):
        cv2.line(image, (0, y), (900, y), (255, 255, 255), 9)
    cv2.rectangle(image, (310, 220), (460, 330), (200, 222, 196), -1)  # a park
    cv2.line(image, (0, 540), (900, 380), (214, 178, 140), 26)  # a river
    cv2.imwrite(str(path), image)
    return path


def points_of(page: Page) -> list[dict[str, object]]:
    canvas = page.locator("#camera-map")
    expect(canvas).to_have_attribute("data-ready", "true", timeout=LOAD_MS)
    points: list[dict[str, object]] = json.loads(canvas.get_attribute("data-points") or "[]")
    return points


def test_cameras_are_drawn_on_the_map_over_the_uploaded_city_picture(
    site: Site, open_as: OpenAs, shot: Shot, tmp_path: Path
) -> None:
    cameras = [
        ("door-1", 52.5200, 13.4000, "live"),
        ("door-2", 52.5212, 13.4031, "stalled"),
        ("square-3", 52.5190, 13.4050, "offline"),
        ("bridge-4", 52.5222, 13.3985, "failed"),
    ]
    for camera_id, lat, lon, state in cameras:
        camera = Camera(camera_id, camera_id, "rtsp://10.0.0.1/x", lat=lat, lon=lon)
        register(site.home, camera, "rtsp://10.0.0.1/x", state)
    register(site.home, Camera("lobby-5", "Lobby", "rtsp://10.0.0.1/y"), "rtsp://10.0.0.1/y")
    requested: list[str] = []
    ada = open_as("ada")
    ada.on("request", lambda request: requested.append(request.url))
    ada.goto("/map")

    points = points_of(ada)
    assert [p["id"] for p in points] == ["bridge-4", "door-1", "door-2", "square-3"]
    by_id = {str(p["id"]): p for p in points}
    assert by_id["door-2"]["x"] > by_id["door-1"]["x"]  # east is right
    assert by_id["door-2"]["y"] < by_id["door-1"]["y"]  # north is up
    expect(ada.locator("#map-status")).to_have_text("4 cameras drawn")
    expect(ada.locator(".map-side")).to_contain_text("lobby-5")  # no position: listed aside

    canvas = ada.locator("#camera-map")
    square = by_id["square-3"]
    canvas.hover(position={"x": float(str(square["x"])), "y": float(str(square["y"]))})
    expect(ada.locator("#map-tip")).to_have_text("square-3 · offline")
    canvas.click(position={"x": float(str(square["x"])), "y": float(str(square["y"]))})
    expect(ada.locator('#map-selected [data-field="id"]')).to_have_text("square-3")
    expect(ada.locator('#map-selected [data-field="state"]')).to_have_text("offline")
    expect(ada.locator("#map-snapshot")).to_have_attribute(
        "href", "/cameras?snapshot=square-3#snapshot"
    )
    shot(ada, "map-plain")

    ada.set_input_files("input[name=image]", str(city_picture(tmp_path / "city.png")))
    # 900x600 px: 0.0055 degrees of latitude by 0.0135 of longitude, as wide as it is at 52.5°.
    fill = {"north": "52.5235", "south": "52.5180", "west": "13.3953", "east": "13.4088"}
    for name, value in {**fill, "north": "52.5100"}.items():
        ada.fill(f"input[name={name}]", value)
    assert submit(ada, "form.grid").status == 422
    expect(ada.locator(".error")).to_contain_text("expected -90 <= south < north <= 90")
    ada.set_input_files("input[name=image]", str(tmp_path / "city.png"))
    ada.fill("input[name=north]", fill["north"])
    assert submit(ada, "form.grid").status == 200
    expect(ada.locator(".message")).to_have_text("city map saved: 900x600 px")
    expect(ada.locator("#camera-map")).to_have_attribute("data-picture", "loaded", timeout=LOAD_MS)
    expect(ada.locator(".summary")).to_contain_text("over the city map uploaded by ada")
    shot(ada, "map")
    assert [url for url in requested if not url.startswith((site.url, "data:"))] == []

    olga = open_as("olga")
    olga.goto("/map")
    expect(olga.locator("#camera-map")).to_have_attribute("data-picture", "loaded", timeout=LOAD_MS)
    assert len(points_of(olga)) == 4
    expect(olga.locator("input[name=image]")).to_have_count(0)
    olga.goto("/cases")  # her page with a form, hence her CSRF token
    response = post_form(olga, "/map/image", {**fill, "csrf_token": csrf_of(olga)})
    assert response.status == 403
    expect(olga.locator(".error")).to_contain_text("olga may not camera.manage")


def test_the_map_data_is_for_signed_in_users_only(site: Site, open_as: OpenAs) -> None:
    stranger = open_as(None)
    assert stranger.request.get("/map/cameras.json").status == 401
    assert stranger.request.get("/media/map/image").status == 401
    rob = open_as("rob", PASSWORD)
    answer = rob.request.get("/map/cameras.json")
    assert answer.status == 200
    assert answer.json() == {"cameras": [], "map": None}
    assert rob.request.get("/media/map/image").status == 404
