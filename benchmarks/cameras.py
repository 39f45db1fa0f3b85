"""Cameras per core: CPU-ms per camera-second for 720p25 H.264 analysed at 5 fps.

    python benchmarks/cameras.py [--video ../shared/data/video/arcade-walkers-1080p25.mp4]
                                 [--seconds 20] [--json]

The clip is re-encoded once to 720p25 H.264 (a typical city camera stream) and looped to
`--seconds` of stream time. Everything runs in one process with one OpenCV thread and one decoder
thread, as a camera worker does, and is measured in CPU time (`time.process_time`). Rows:

- decode floor: demux + decode every frame, nothing else: the least any analysis can cost;
- each configuration: decode every frame, convert the 5 analysed frames/s, detect, track, gate,
  embed the best shots of each finished track, match against a 10,000-photo gallery.

Goal: at most 200 CPU-ms per camera-second (5 cameras per core). Reference: NTechLab FindFace's
published sizing is about 4 hyper-threaded cores per 1080p camera, i.e. ~2,000 CPU-ms per
camera-second on physical cores (an estimate: 4 HT cores ~ 2 physical cores).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
from _gallery import synthetic_gallery

from citywatch.detect.cadence import CadenceDetector
from citywatch.detect.yunet import YuNetDetector
from citywatch.embed import load_embedder
from citywatch.embed.quality import QualityGate
from citywatch.ingest.video import FrameSampler
from citywatch.match.matcher import Matcher
from citywatch.runtime.pipeline import SightingPipeline
from citywatch.types import Frame

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
GOAL_MS = 200.0
FINDFACE_MS = 2000.0


@dataclass(frozen=True)
class Config:
    name: str
    full_side_px: int
    coarse_side_px: int
    full_every: int
    flip: bool
    shots: int


CONFIGS = (
    Config("full res every frame, flip, 3 shots (scan default)", 1280, 1280, 1, True, 3),
    Config("cadence 640 + 1280 every 3rd, flip, 3 shots", 1280, 640, 3, True, 3),
    Config("cadence 640 + 1280 every 3rd, no flip, 2 shots", 1280, 640, 3, False, 2),
    Config("640 only (no small faces), no flip, 2 shots", 640, 640, 1, False, 2),
)


def make_720p(source: Path, target: Path) -> None:
    with av.open(str(source)) as src, av.open(str(target), "w") as dst:
        out = dst.add_stream("libx264", rate=25)
        out.width, out.height, out.pix_fmt = 1280, 720, "yuv420p"
        out.options = {"preset": "veryfast", "crf": "23", "g": "50"}
        for frame in src.decode(video=0):
            for packet in out.encode(frame.reformat(1280, 720, format="yuv420p")):
                dst.mux(packet)
        for packet in out.encode():
            dst.mux(packet)


def frames_of(clip: Path, seconds: float) -> tuple[int, float]:
    """Decode-only floor over `seconds` of looped stream time: (frames, cpu_s)."""
    frames, start, done = 0, time.process_time(), False
    while not done:
        with av.open(str(clip)) as container:
            stream = container.streams.video[0]
            stream.codec_context.thread_count = 1  # as in a camera worker: one thread per camera
            for _frame in container.decode(stream):
                frames += 1
                if frames / 25.0 >= seconds:
                    done = True
                    break
    return frames, time.process_time() - start


def run_config(clip: Path, seconds: float, config: Config, matcher: Matcher) -> dict[str, float]:
    detector = CadenceDetector(
        YuNetDetector(max_side_px=config.full_side_px),
        YuNetDetector(max_side_px=config.coarse_side_px),
        config.full_every,
    )
    pipeline = SightingPipeline(
        detector,
        load_embedder("sface", flip=config.flip),
        QualityGate(),
        shots_per_track=config.shots,
    )
    sampler = FrameSampler(5.0)
    decoded = analysed = sightings = 0
    offset_s = 0.0
    start = time.process_time()
    while decoded / 25.0 < seconds:
        with av.open(str(clip)) as container:
            stream = container.streams.video[0]
            stream.codec_context.thread_count = 1  # as in a camera worker: one thread per camera
            for frame in container.decode(stream):
                decoded += 1
                timestamp_s = offset_s + float(frame.time or 0.0)
                if decoded / 25.0 >= seconds:
                    break
                if not sampler.keep(timestamp_s):
                    continue
                image = frame.to_ndarray(format="bgr24")
                analysed += 1
                for sighting in pipeline.process(Frame(image, timestamp_s, decoded, "bench")):
                    matcher.match(sighting)
                    sightings += 1
            offset_s = timestamp_s + 0.04
    for sighting in pipeline.flush():
        matcher.match(sighting)
        sightings += 1
    cpu_s = time.process_time() - start
    stream_s = decoded / 25.0
    return {
        "config": config.name,
        "cpu_ms_per_camera_second": 1000 * cpu_s / stream_s,
        "cameras_per_core": stream_s / cpu_s,
        "analysed_frames": analysed,
        "sightings": sightings,
        "detect_ms_per_analysed_frame": 1000 * pipeline.times.detect_s / max(analysed, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--video", type=Path, default=DATA / "video" / "arcade-walkers-1080p25.mp4")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not args.video.is_file():
        sys.exit(f"{args.video}: not found; pass --video or provide ../shared/data")
    cv2.setNumThreads(1)
    with tempfile.TemporaryDirectory() as folder:
        clip = Path(folder) / "camera-720p25.mp4"
        make_720p(args.video, clip)
        frames, floor_cpu_s = frames_of(clip, args.seconds)
        floor_ms = 1000 * floor_cpu_s / (frames / 25.0)
        matcher = Matcher(synthetic_gallery())
        rows = [run_config(clip, args.seconds, config, matcher) for config in CONFIGS]
    result = {
        "input": "720p25 H.264 (re-encoded from " + args.video.name + "), analysed at 5 fps",
        "stream_seconds": args.seconds,
        "decode_floor_cpu_ms_per_camera_second": floor_ms,
        "goal_cpu_ms_per_camera_second": GOAL_MS,
        "findface_reference_cpu_ms_per_camera_second": FINDFACE_MS,
        "configs": [
            {**row, "gap_to_goal_ms": row["cpu_ms_per_camera_second"] - GOAL_MS} for row in rows
        ],
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{result['input']}, {args.seconds:.0f} s of stream per row, 1 thread")
    print(f"{'configuration':<64}{'CPU-ms/cam-s':>13}{'cams/core':>10}{'vs goal':>9}")
    print(f"{'decode only (floor)':<64}{floor_ms:>13.0f}{1000 / floor_ms:>10.1f}{'':>9}")
    for row in result["configs"]:
        print(
            f"{row['config']:<64}{row['cpu_ms_per_camera_second']:>13.0f}"
            f"{row['cameras_per_core']:>10.1f}{row['gap_to_goal_ms']:>+9.0f}"
        )
    print(f"{'goal':<64}{GOAL_MS:>13.0f}{1000 / GOAL_MS:>10.1f}")
    print(
        f"{'FindFace published sizing (~4 HT cores per 1080p camera)':<64}{FINDFACE_MS:>13.0f}"
        f"{1000 / FINDFACE_MS:>10.1f}"
    )


if __name__ == "__main__":
    main()
