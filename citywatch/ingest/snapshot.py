"""One frame, now, from a camera: for showing what a camera sees, never for analysis.

The stream is opened just for this frame and closed again (a camera worker's connection is its
own and stays in its process), with the camera's usual open and read timeouts and an overall
deadline, so a hung camera costs a request at most `open_timeout_s + read_timeout_s`. Decoding
starts at the first keyframe (a live stream is joined mid-way), and the first frame that decodes
is the current picture; a file standing in for a camera gives its first frame.
"""

from __future__ import annotations

import time

import av
import numpy as np

from citywatch.errors import SourceError
from citywatch.ingest.health import classify_error
from citywatch.ingest.stream import StreamOptions, is_file, open_options
from citywatch.ingest.urls import redact_text
from citywatch.types import Image

MAX_PACKETS = 500
"""Give up on a stream that sends this many packets without a decodable frame (about 20 s of
25 fps video: a camera whose keyframes never come)."""


def grab_frame(url: str, options: StreamOptions | None = None) -> Image:
    """The first frame `url` delivers, as BGR pixels; SourceError (with the health state it
    implies) when the stream cannot be opened or gives no frame in time."""
    options = options or StreamOptions()
    path = url[7:] if url.lower().startswith("file://") else url
    deadline = time.monotonic() + options.open_timeout_s + options.read_timeout_s
    started = time.monotonic()
    try:
        container = av.open(
            path,
            options=open_options(url, options),
            timeout=(options.open_timeout_s, options.read_timeout_s),
        )
    except (av.error.FFmpegError, OSError) as error:
        # RTSP and HTTP sockets wait the read timeout, the open as a whole the open timeout:
        # having waited the shorter of the two means the camera said nothing in time.
        waited_s = time.monotonic() - started
        timed_out = waited_s >= 0.9 * min(options.open_timeout_s, options.read_timeout_s)
        state = classify_error(error, timed_out)
        raise SourceError(
            f"{redact_text(url)}: cannot open the stream ({state}: {redact_text(str(error))})",
            state,
        ) from None
    with container:
        if not container.streams.video:
            raise SourceError(f"{redact_text(url)}: the stream has no video")
        stream = container.streams.video[0]
        stream.codec_context.thread_count = 1
        keyframe_seen = False
        try:
            for count, packet in enumerate(container.demux(stream)):
                # Joined mid-stream, packets before the first keyframe decode to smears.
                keyframe_seen = keyframe_seen or bool(packet.is_keyframe)
                try:
                    decoded = packet.decode() if keyframe_seen else []
                except av.error.InvalidDataError:
                    decoded = []  # a damaged packet: wait for the next one
                if decoded:
                    return np.asarray(decoded[0].to_ndarray(format="bgr24"), dtype=np.uint8)
                if count >= MAX_PACKETS or (not is_file(url) and time.monotonic() > deadline):
                    break
        except (av.error.FFmpegError, OSError) as error:
            state = classify_error(error)
            raise SourceError(
                f"{redact_text(url)}: no frame could be read ({state}: {redact_text(str(error))})",
                state,
            ) from None
        # The end of a file, or a flush of the decoder's last frames.
        for frame in stream.codec_context.decode(None):
            return np.asarray(frame.to_ndarray(format="bgr24"), dtype=np.uint8)
    raise SourceError(f"{redact_text(url)}: delivered no frame in time", "stalled")
