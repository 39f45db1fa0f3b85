"""Video files through PyAV (FFmpeg): any container and codec FFmpeg reads.

Every packet is decoded (P-frames need their predecessors), but only the frames chosen by the
sampler are converted to BGR pixels, which is where most of the per-frame cost of a naive reader
goes. Timestamps are presentation times in seconds from the start of the stream.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

from citywatch.errors import SourceError
from citywatch.types import TIME_TOLERANCE_S, Frame


class FrameSampler:
    """Keeps frames at most `fps` per second (0 keeps every frame), by timestamp not by count.

    Counting frames would drift on variable-frame-rate files; comparing timestamps with the next
    due time does not.
    """

    def __init__(self, fps: float = 0) -> None:
        if fps < 0:
            raise ValueError(f"fps must be >= 0, got {fps}")
        self.period_s = 1.0 / fps if fps > 0 else 0.0
        self._next_s: float | None = None

    def keep(self, timestamp_s: float) -> bool:
        if self.period_s == 0:
            return True
        if self._next_s is None or timestamp_s >= self._next_s - TIME_TOLERANCE_S:
            base = timestamp_s if self._next_s is None else self._next_s
            next_s = base + self.period_s
            if next_s <= timestamp_s + TIME_TOLERANCE_S:
                # After a gap of a period or more, restart the schedule from this frame; due at
                # `timestamp_s` itself, the very next frame would be kept too.
                next_s = timestamp_s + self.period_s
            self._next_s = next_s
            return True
        return False


class VideoFileSource:
    def __init__(self, path: Path, camera_id: str, fps: float = 0) -> None:
        self.path = path
        self.camera_id = camera_id
        self.fps = fps
        self.frames_decoded = 0

    def frames(self) -> Iterator[Frame]:
        try:
            container = av.open(str(self.path), timeout=(10.0, 10.0))
        except (av.error.FFmpegError, OSError, UnicodeDecodeError) as error:
            raise SourceError(
                f"{self.path}: cannot be opened as video ({error}); expected a video file "
                "FFmpeg can read (MP4, MKV, AVI, ...) or an image"
            ) from None
        with container:
            if not container.streams.video:
                raise SourceError(f"{self.path}: has no video stream; expected a video file")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            sampler = FrameSampler(self.fps)
            time_base = float(stream.time_base) if stream.time_base else 1.0 / 25
            start = stream.start_time or 0
            index = -1
            try:
                for frame in container.decode(stream):
                    index += 1
                    self.frames_decoded = index + 1
                    if frame.pts is not None:
                        timestamp_s = (frame.pts - start) * time_base
                    else:
                        rate = float(stream.average_rate or 25)
                        timestamp_s = index / rate
                    if not sampler.keep(timestamp_s):
                        continue
                    yield Frame(
                        image=np.asarray(frame.to_ndarray(format="bgr24"), dtype=np.uint8),
                        timestamp_s=float(timestamp_s),
                        index=index,
                        camera_id=self.camera_id,
                    )
            except av.error.FFmpegError as error:
                if index < 0:
                    raise SourceError(
                        f"{self.path}: no frame could be decoded ({error}); expected a playable "
                        "video file"
                    ) from None
                # A damaged tail: keep what was decoded, as a player would.
                return
            if index < 0:
                raise SourceError(f"{self.path}: contains no decodable video frames")
