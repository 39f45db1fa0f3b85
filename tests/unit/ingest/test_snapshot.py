"""One frame, now: the first frame of a file (video or still), refusals that say why."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from citywatch.errors import SourceError
from citywatch.ingest.snapshot import grab_frame
from citywatch.ingest.stream import StreamOptions

MakeClip = Callable[..., Path]


def test_a_video_file_gives_its_first_frame(make_clip: MakeClip) -> None:
    clip = make_clip(320, 240, 10, 1.0)

    frame = grab_frame(str(clip))

    assert frame.shape == (240, 320, 3) and frame.dtype == np.uint8
    # The first frame, not a later one: its blue channel is the gradient x + y, which each
    # later frame shifts by 7.
    assert int(frame[100, 100, 0]) == pytest.approx(200, abs=3)


def test_a_file_url_and_a_still_image_are_cameras_too(tmp_path: Path, make_clip: MakeClip) -> None:
    still = tmp_path / "door.png"
    picture = np.zeros((90, 160, 3), np.uint8)
    picture[:, 80:] = (0, 0, 255)
    cv2.imwrite(str(still), picture)

    assert grab_frame(f"file://{make_clip(320, 240, 10, 1.0)}").shape == (240, 320, 3)
    frame = grab_frame(str(still))
    assert frame.shape == (90, 160, 3)
    assert frame[45, 120].tolist() == [0, 0, 255] and frame[45, 20].tolist() == [0, 0, 0]


@pytest.mark.parametrize(
    ("url", "state", "message"),
    [
        ("/nowhere/camera.mp4", "failed", "cannot open the stream (failed"),
        ("rtsp://viewer:pw-42@127.0.0.1:9/cam", "offline", "rtsp://***@127.0.0.1:9/cam"),
    ],
)
def test_a_camera_that_gives_no_frame_is_refused_with_its_state(
    url: str, state: str, message: str
) -> None:
    options = StreamOptions(open_timeout_s=2.0, read_timeout_s=1.0)

    with pytest.raises(SourceError) as refused:
        grab_frame(url, options)

    assert refused.value.state == state
    assert message in str(refused.value)
    assert "pw-42" not in str(refused.value)


def test_a_file_without_video_is_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")

    with pytest.raises(SourceError, match="notes.mp4"):
        grab_frame(str(text))
