"""Probe a stream: what it really delivers (size, frame rate by timestamps, codec).

Frame rate is measured from presentation timestamps over the probe window, not taken from the
container's header: third-party cameras often advertise 25 fps and send 12.
"""

from __future__ import annotations

import time

import av

from citywatch.errors import SourceError
from citywatch.ingest.health import classify_error
from citywatch.ingest.stream import StreamOptions, is_file, open_options
from citywatch.ingest.urls import redact_text
from citywatch.types import StreamProbe

MIN_WIDTH_PX, MIN_HEIGHT_PX = 1280, 720
MIN_FPS, MAX_FPS = 15.0, 25.0
FPS_SLACK = 0.5
"""Measured rates wobble; 25.3 fps from a 25 fps camera is not a reason to refuse it."""


def probe_stream(
    url: str, seconds: float = 3.0, options: StreamOptions | None = None
) -> StreamProbe:
    """Read up to `seconds` of stream (or 75 frames) and measure it; SourceError if it fails."""
    options = options or StreamOptions(open_timeout_s=10.0, read_timeout_s=10.0)
    path = url[7:] if url.lower().startswith("file://") else url
    started = time.monotonic()
    try:
        container = av.open(
            path,
            options=open_options(url, options),
            timeout=(options.open_timeout_s, options.read_timeout_s),
        )
    except (av.error.FFmpegError, OSError) as error:
        timed_out = time.monotonic() - started >= 0.9 * options.open_timeout_s
        state = classify_error(error, timed_out)
        raise SourceError(
            f"{redact_text(url)}: cannot open the stream ({state}: {redact_text(str(error))}); "
            "expected a reachable RTSP/HTTP camera or a video file",
            state,
        ) from None
    with container:
        if not container.streams.video:
            raise SourceError(f"{redact_text(url)}: the stream has no video")
        stream = container.streams.video[0]
        timestamps: list[float] = []
        width = height = 0
        try:
            for frame in container.decode(stream):
                width, height = frame.width, frame.height
                if frame.time is not None:
                    timestamps.append(float(frame.time))
                span = timestamps[-1] - timestamps[0] if len(timestamps) > 1 else 0.0
                if span >= seconds or len(timestamps) >= 75:
                    break
                if not is_file(url) and time.monotonic() - started > seconds + 10:
                    break
        except (av.error.FFmpegError, OSError) as error:
            if not timestamps:
                raise SourceError(
                    f"{redact_text(url)}: no frame could be decoded ({redact_text(str(error))})"
                ) from None
        if len(timestamps) < 2:
            raise SourceError(f"{redact_text(url)}: delivered fewer than 2 frames while probed")
        ordered = sorted(timestamps)
        span = ordered[-1] - ordered[0]
        fps = (len(ordered) - 1) / span if span > 0 else 0.0
        return StreamProbe(
            width_px=width,
            height_px=height,
            fps=round(fps, 2),
            codec=stream.codec_context.name,
            frames=len(timestamps),
            seconds=round(time.monotonic() - started, 2),
        )


def onboarding_problems(probe: StreamProbe) -> list[str]:
    """Why a third-party camera fails the onboarding bar (empty when it passes)."""
    problems = []
    if probe.width_px < MIN_WIDTH_PX or probe.height_px < MIN_HEIGHT_PX:
        problems.append(
            f"resolution {probe.width_px}x{probe.height_px} is below the required "
            f"{MIN_WIDTH_PX}x{MIN_HEIGHT_PX}"
        )
    if not MIN_FPS - FPS_SLACK <= probe.fps <= MAX_FPS + FPS_SLACK:
        problems.append(
            f"frame rate {probe.fps:.1f} fps is outside the required "
            f"{MIN_FPS:.0f}-{MAX_FPS:.0f} fps"
        )
    return problems
