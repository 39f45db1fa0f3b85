"""Faces of people no case of the viewer covers are blurred in every picture the UI shows: a
camera snapshot blurs every face, an alert crop every face but the matched one. Real footage
and photos from `../shared/data`, the real detector."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
from playwright.sync_api import expect

from citywatch.config import load_settings
from citywatch.detect import load_detector
from citywatch.services import build_services
from citywatch.types import Camera, Match, Sighting

from .conftest import OpenAs, Shot, Site, shared_file

LOAD_MS = 20_000


def first_frame(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            return np.asarray(frame.to_ndarray(format="bgr24"), np.uint8)
    raise AssertionError(f"{path} has no frame")


def decoded(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None, "not a picture"
    return np.asarray(image, np.uint8)


def test_a_camera_snapshot_is_a_jpeg_in_which_no_face_can_be_found(
    site: Site, open_as: OpenAs, shot: Shot
) -> None:
    video = shared_file("video/arcade-walkers-1080p25.mp4")
    detector = load_detector("yunet", min_score=0.5, max_side_px=1920)
    source = first_frame(video)
    assert len(detector.detect(source)) >= 5, "the footage's first frame should show faces"
    services = build_services(load_settings(site.home))
    try:
        services.store.cameras.add(Camera("arcade-1", "Arcade", str(video)), str(video))
    finally:
        services.close()

    olga = open_as("olga")
    answer = olga.request.get("/media/cameras/arcade-1/snapshot")

    assert answer.status == 200
    assert answer.headers["content-type"] == "image/jpeg"
    assert answer.headers["cache-control"] == "no-store"
    body = answer.body()
    assert body[:3] == b"\xff\xd8\xff"
    snapshot = decoded(body)
    assert snapshot.shape == (720, 1280, 3)  # shrunk after blurring
    # Looked for at the source's size, so that the shrinking does not hide a face.
    enlarged = cv2.resize(snapshot, (source.shape[1], source.shape[0]))
    assert len(detector.detect(enlarged)) == 0
    assert len(services.detector.detect(enlarged)) == 0  # nor the pipeline's own detector
    # The scene is still there: outside the faces the picture is the frame.
    scaled = cv2.resize(source, (1280, 720), interpolation=cv2.INTER_AREA)
    assert np.mean(np.abs(scaled.astype(int) - snapshot.astype(int)) < 12) > 0.8

    olga.goto("/cameras?snapshot=arcade-1")
    picture = olga.locator("#snapshot img")
    expect(picture).to_have_js_property("complete", True, timeout=LOAD_MS)
    assert picture.evaluate("image => image.naturalWidth") == 1280
    shot(olga, "cameras-snapshot")


def test_an_alert_crop_shows_the_matched_face_and_blurs_the_bystander_beside_it(
    site: Site, open_as: OpenAs, shot: Shot
) -> None:
    group = cv2.imread(str(shared_file("faces/group-6-faces.jpg")))
    detector = load_detector("yunet", min_score=0.5)
    faces = detector.detect(group)
    heights = faces.boxes[:, 3] - faces.boxes[:, 1]
    # The matched face, and the nearest other face: the crop is cut around the first and is
    # wide enough to hold the second, as a crowded scene's crop would be.
    matched = int(np.argmax(heights))
    centres = (faces.boxes[:, :2] + faces.boxes[:, 2:]) / 2
    distances = np.linalg.norm(centres - centres[matched], axis=1)
    distances[matched] = np.inf
    bystander = int(np.argmin(distances))
    half = int(max(np.abs(centres[bystander] - centres[matched])) + heights[bystander])
    cx, cy = centres[matched].astype(int)
    top, left = max(0, cy - half), max(0, cx - half)
    crop = np.ascontiguousarray(group[top : cy + half, left : cx + half])
    assert len(detector.detect(crop)) >= 2, "the crop should hold the bystander too"

    alert_id = raise_alert_with_crop(site.home, crop)
    rita = open_as("rita")
    answer = rita.request.get(f"/media/alerts/{alert_id}/crop")

    assert answer.status == 200 and answer.headers["content-type"] == "image/jpeg"
    shown = decoded(answer.body())
    assert shown.shape == crop.shape
    found = detector.detect(shown)
    assert len(found) == 1, "only the matched face may still be found"
    centre = (found.boxes[0, :2] + found.boxes[0, 2:]) / 2
    assert np.linalg.norm(centre - (centres[matched] - [left, top])) < 10
    x1, y1, x2, y2 = (faces.boxes[matched] - [left, top, left, top]).astype(int)
    assert np.mean(np.abs(shown[y1:y2, x1:x2].astype(int) - crop[y1:y2, x1:x2])) < 4

    rita.goto("/review")
    image = rita.locator(f'[data-alert-id="{alert_id}"] img.crop')
    expect(image).to_have_js_property("complete", True, timeout=LOAD_MS)
    assert image.evaluate("image => image.naturalWidth") == crop.shape[1]
    shot(rita, "review-bystander-blurred")


def raise_alert_with_crop(home: Path, crop: np.ndarray) -> int:
    """An alert of olga's case whose evidence crop is `crop`, as the runtime would store it."""
    services = build_services(load_settings(home))
    try:
        person = services.store.person("list-olga", "Person of olga")
        photo_id = int(
            services.store.db.execute(
                "SELECT id FROM photos WHERE person_id = ?", (person.id,)
            ).fetchone()[0]
        )
        embedding = np.zeros(128, np.float32)
        embedding[0] = 1.0
        sighting = Sighting(
            camera_id="door-1",
            track_id=7,
            first_seen_s=0.5,
            last_seen_s=2.0,
            crop=crop,
            embedding=embedding,
            quality=0.7,
            face_px=float(crop.shape[0]),
            shots=2,
            frames=8,
        )
        alert = services.store.add_alert(
            Match(sighting, person.id, person.name, "list-olga", photo_id, 0.9, 0.4)
        )
        assert alert is not None
        return alert.id
    finally:
        services.close()
