"""Pictures shown to people, with the faces no case of theirs covers blurred.

- `camera_snapshot`: one current frame of a camera (grabbed on demand, never stored) with every
  face blurred: no case covers a passer-by, so a snapshot shows nobody identifiable. It needs only
  `camera.view`, like the camera list, and like that list it is not audited: it shows no one.
- `alert_image`: an alert's evidence crop or the enrolled photo it matched, for users who may see
  the alert (an audited view, `Services.alert`). The matched face stays sharp; any other face in
  the picture belongs to a bystander and is blurred.

Detection for redaction favours recall over precision (a lower score threshold, frames searched
at up to full HD): a face it misses is shown to someone with no right to see it, while a
blurred patch of wall costs nothing.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from citywatch.cases.redaction import blur_bystanders, blur_faces, largest_face, nearest_centre
from citywatch.detect import FaceDetector, load_detector
from citywatch.errors import NotFoundError, StorageError
from citywatch.ingest.image import read_image
from citywatch.ingest.snapshot import grab_frame
from citywatch.ingest.stream import stream_options
from citywatch.services.alerting import AlertServices
from citywatch.types import Image

REDACT_MIN_SCORE = 0.5
REDACT_MAX_SIDE_PX = 1920
SNAPSHOT_MAX_SIDE_PX = 1280
"""Snapshots are shrunk to this long side after blurring: they are for looking at a scene."""
JPEG_QUALITY = 85
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png"})


class SnapshotServices(AlertServices):
    def redaction_detector(self) -> FaceDetector:
        """A detector for finding faces to blur (cheap to load: the model file is cached)."""
        return load_detector(
            "yunet",
            min_score=min(REDACT_MIN_SCORE, self.settings.detector_min_score),
            max_side_px=max(REDACT_MAX_SIDE_PX, self.settings.detector_max_side_px),
        )

    def camera_snapshot(self, camera_id: str) -> bytes:
        """A JPEG of what `camera_id` sees now, every face blurred; SourceError (a 422 whose
        `state` says offline, stalled or failed) when the camera gives no frame in time."""
        self.require("camera.view")
        url = self.store.cameras.open_url(camera_id)  # NotFoundError for an unknown camera
        frame = grab_frame(url, stream_options(self.settings))
        blurred = blur_faces(frame, self.redaction_detector().detect(frame).boxes)
        height, width = blurred.shape[:2]
        if max(width, height) > SNAPSHOT_MAX_SIDE_PX:
            scale = SNAPSHOT_MAX_SIDE_PX / max(width, height)
            size = (round(width * scale), round(height * scale))
            blurred = np.asarray(cv2.resize(blurred, size, interpolation=cv2.INTER_AREA), np.uint8)
        return jpeg(blurred)

    def alert_image(self, alert_id: int, kind: str) -> bytes:
        """The alert's evidence crop (`crop`: the matched face is the one nearest its centre) or
        the enrolled photo it matched (`photo`: the enrolled face is its largest), as a JPEG with
        every other face blurred."""
        if kind not in ("crop", "photo"):
            raise NotFoundError(f"unknown image {kind!r}; expected 'crop' or 'photo'")
        alert, _ = self.alert(alert_id)  # checks alert.view in its case; audited
        path = alert.crop_path if kind == "crop" else alert.photo_path
        image = self._media_image(path, f"alert {alert_id} has no {kind} image")
        boxes = self.redaction_detector().detect(image).boxes
        height, width = image.shape[:2]
        keep = nearest_centre(boxes, width, height) if kind == "crop" else largest_face(boxes)
        return jpeg(blur_bystanders(image, boxes, keep))

    def _media_image(self, path: Path, missing: str) -> Image:
        """Pixels of a file inside the media folder (never anywhere a row could point to)."""
        media = self.store.media.resolve()
        resolved = path.resolve()
        if not (
            resolved.is_relative_to(media)
            and resolved.suffix.lower() in IMAGE_SUFFIXES
            and resolved.is_file()
        ):
            raise NotFoundError(missing)
        return read_image(resolved)


def jpeg(image: Image) -> bytes:
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise StorageError("cannot encode the picture as JPEG")
    return bytes(encoded.tobytes())
