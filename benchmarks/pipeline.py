"""CPU cost of each pipeline stage on real 1080p25 footage, and end-to-end frames/s per core.

    python benchmarks/pipeline.py [--video ../shared/data/video/arcade-walkers-1080p25.mp4]
                                  [--gallery 10000] [--json]

CPU time is `time.process_time()` (all threads of this process), so "per core" figures are honest
even where OpenCV spreads one frame over several threads. Stages, in flow order: decode (FFmpeg
decode + conversion to BGR), detect (YuNet at the configured input size), track, quality (align +
gate + track book), embed (best shots of finished tracks), match (exact 1:N against a gallery of
`--gallery` enrolled photos). A second table measures small-face recall against detector input
size, which is how the default `detector_max_side_px` was chosen.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import av
import cv2
import numpy as np
from _gallery import synthetic_gallery

from citywatch.detect.yunet import YuNetDetector
from citywatch.embed import load_embedder, normalize
from citywatch.embed.align import align_faces
from citywatch.embed.quality import QualityGate
from citywatch.match.matcher import Matcher
from citywatch.track import ByteTracker
from citywatch.track.trackbook import TrackBook
from citywatch.types import Frame, Sighting

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def stage_costs(video: Path, gallery_size: int, max_side_px: int) -> dict[str, float]:
    detector = YuNetDetector(max_side_px=max_side_px)
    embedder = load_embedder("sface")
    tracker, gate, book = ByteTracker(), QualityGate(), TrackBook(3)
    gallery = synthetic_gallery(gallery_size, photos_per_person=3)
    matcher = Matcher(gallery)
    cpu = dict.fromkeys(("decode", "detect", "track", "quality", "embed", "match"), 0.0)
    frames = faces = shots = sightings = 0
    clock = time.process_time
    wall_start = time.perf_counter()
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        start = clock()
        for index, decoded in enumerate(container.decode(stream)):
            image = decoded.to_ndarray(format="bgr24")
            t_decoded = clock()
            cpu["decode"] += t_decoded - start
            frame = Frame(image, float(decoded.time or 0.0), index, "bench")
            found = detector.detect(image)
            t_detected = clock()
            found = tracker.update(found, frame.timestamp_s)
            t_tracked = clock()
            found = found[found.track_ids >= 0]
            aligned = align_faces(image, found.landmarks)
            report = gate.assess(found, aligned)
            book.observe(frame, found, report, aligned)
            ended = book.take(tracker.finished())
            book.forget_except(tracker.active_ids())
            t_gated = clock()
            cpu["detect"] += t_detected - t_decoded
            cpu["track"] += t_tracked - t_detected
            cpu["quality"] += t_gated - t_tracked
            frames += 1
            faces += len(found)
            if index == 104:  # end of the 4.2 s clip: flush like a scan does
                ended += book.take(tracker.flush())
            for track in ended:
                t0 = clock()
                vectors = embedder.embed(np.stack(track.aligned))
                t1 = clock()
                sighting = Sighting(
                    "bench",
                    track.track_id,
                    track.first_seen_s,
                    track.last_seen_s,
                    track.aligned[0],
                    normalize(vectors.mean(0, keepdims=True))[0],
                    1.0,
                    1.0,
                    len(vectors),
                    track.frames,
                )
                matcher.match(sighting)
                t2 = clock()
                cpu["embed"] += t1 - t0
                cpu["match"] += t2 - t1
                shots += len(vectors)
                sightings += 1
            start = clock()
    wall_s = time.perf_counter() - wall_start
    total = sum(cpu.values())
    result = {f"{k}_cpu_ms_per_frame": 1000 * v / frames for k, v in cpu.items()}
    result.update(
        frames=frames,
        faces=faces,
        sightings=sightings,
        embedded_shots=shots,
        embed_cpu_ms_per_shot=1000 * cpu["embed"] / max(shots, 1),
        match_ms_per_sighting=1000 * cpu["match"] / max(sightings, 1),
        gallery_photos=gallery_size,
        total_cpu_ms_per_frame=1000 * total / frames,
        fps_per_core=frames / total,
        wall_fps=frames / wall_s,
        detector_max_side_px=max_side_px,
    )
    return result


def small_face_recall(sizes: list[int], scales: list[int]) -> list[dict[str, float]]:
    """Paste real faces at given heights into a real 720p frame; recall per detector input size.

    Faces come from the six-face group photo (real faces, real background from the overhead crowd
    clip, which contains no visible faces). Recall counts pasted faces whose centre falls inside a
    detection of similar height.
    """
    group = cv2.imread(str(DATA / "faces" / "group-6-faces.jpg"))
    reference = YuNetDetector(max_side_px=4000).detect(group)
    with av.open(str(DATA / "video" / "overhead-crowd-720p.avi")) as container:
        background = next(container.decode(video=0)).to_ndarray(format="bgr24")
    rows = []
    for side in scales:
        detector = YuNetDetector(max_side_px=side)
        for height in sizes:
            canvas = background.copy()
            placed = []
            for n, box in enumerate(reference.boxes):
                x1, y1, x2, y2 = box.astype(int)
                pad = int((y2 - y1) * 0.4)
                crop = group[max(0, y1 - pad) : y2 + pad, max(0, x1 - pad) : x2 + pad]
                scale = height / (y2 - y1)
                crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
                for k in range(4):  # 24 faces per canvas
                    cx, cy = 100 + (n * 4 + k) % 8 * 140, 120 + (n * 4 + k) // 8 * 200
                    h, w = crop.shape[:2]
                    canvas[cy : cy + h, cx : cx + w] = crop
                    placed.append((cx + w / 2, cy + h / 2))
            t0 = time.process_time()
            repeats = 5
            for _ in range(repeats):
                found = detector.detect(canvas)
            cpu_ms = 1000 * (time.process_time() - t0) / repeats
            hits = 0
            for px, py in placed:
                inside = (
                    (found.boxes[:, 0] <= px)
                    & (px <= found.boxes[:, 2])
                    & (found.boxes[:, 1] <= py)
                    & (py <= found.boxes[:, 3])
                )
                hits += bool(inside.any())
            rows.append(
                {
                    "detector_max_side_px": side,
                    "face_px": height,
                    "recall": hits / len(placed),
                    "detect_cpu_ms": cpu_ms,
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--video", type=Path, default=DATA / "video" / "arcade-walkers-1080p25.mp4")
    parser.add_argument("--gallery", type=int, default=10000)
    parser.add_argument("--max-side", type=int, default=1280)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="OpenCV threads (1, as camera workers run: CPU per frame is lowest there)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    cv2.setNumThreads(args.threads)
    if not args.video.is_file():
        sys.exit(f"{args.video}: not found; pass --video or provide ../shared/data")
    costs = stage_costs(args.video, args.gallery, args.max_side)
    recall = small_face_recall([12, 16, 20, 24, 32], [640, 960, 1280])
    if args.json:
        print(json.dumps({"stages": costs, "small_faces": recall}, indent=2))
        return
    print(
        f"Pipeline on {args.video.name}: {costs['frames']} frames, {costs['faces']} tracked "
        f"faces, {costs['sightings']} sightings, {costs['embedded_shots']} embedded shots"
    )
    print(f"{'stage':<10}{'CPU-ms/frame':>14}")
    for stage in ("decode", "detect", "track", "quality", "embed", "match"):
        print(f"{stage:<10}{costs[stage + '_cpu_ms_per_frame']:>14.1f}")
    print(f"{'total':<10}{costs['total_cpu_ms_per_frame']:>14.1f}")
    print(
        f"end to end: {costs['fps_per_core']:.1f} frames/s per core "
        f"({costs['wall_fps']:.1f} frames/s wall); embed {costs['embed_cpu_ms_per_shot']:.1f} "
        f"CPU-ms/shot; match {costs['match_ms_per_sighting']:.2f} ms/sighting "
        f"against {costs['gallery_photos']} photos"
    )
    print("\nSmall faces in a 1280x720 frame: recall and detect cost by detector input size")
    print(f"{'input long side':>16}{'face px':>9}{'recall':>8}{'CPU-ms':>8}")
    for row in recall:
        print(
            f"{row['detector_max_side_px']:>16}{row['face_px']:>9}{row['recall']:>8.2f}"
            f"{row['detect_cpu_ms']:>8.1f}"
        )


if __name__ == "__main__":
    main()
