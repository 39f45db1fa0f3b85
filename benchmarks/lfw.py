"""LFW View 2 face verification: how well does detect -> align -> embed tell people apart?

    .venv/bin/python benchmarks/lfw.py --data ../shared/data/lfw [--model sface|arcface|all]
        [--json] [--no-flip] [--detector-min-side PX] [--refine none|mirror|zoom|zoom-mirror]
        [--skip-24px] [--folds N] [--cache DIR]

Reports, per model: the 10-fold accuracy (threshold chosen on the other nine folds) with its
standard deviation, ROC AUC and TAR at FAR 1e-3 over all 6,000 pairs, the accuracy with both faces
degraded to 24 px (and with only the second one degraded, as when a good watchlist photo meets a
small CCTV face), and calibration thresholds: the similarity that gives FAR 1e-3 on the 3,000
official impostor pairs, and FAR 1e-3 and 1e-4 on all ~30 million cross-identity pairs of the
images embedded. Rates are fractions in JSON and percentages in the table. How faces are found,
selected and degraded is described in `_lfw_faces.py`. Every image is embedded once per run and
mode; `--cache DIR` also keeps the embeddings on disk (one .npz per image, keyed by the model and
levers) so that a rerun only scores.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np
from _lfw_data import (
    FloatArray,
    LfwFormatError,
    LfwPairs,
    all_impostor_similarities,
    fold_accuracy,
    read_pairs,
    roc_auc,
    tar_at_far,
    threshold_at_far,
)
from _lfw_faces import (
    REFINE_MODES,
    STATUS_NAMES,
    EncodedFace,
    Levers,
    LfwEncoder,
    degrade,
)
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from citywatch.errors import CitywatchError

MODELS = ("sface", "arcface", "dlib", "sface+dlib")
ALL_MODELS = ("sface", "arcface")
FACE_PX = 24


@dataclass(slots=True)
class LfwResult:
    """One model's numbers; `to_json` gives the documented keys."""

    model: str
    accuracy: float
    accuracy_std: float
    auc: float
    tar_at_far_1e_3: float
    accuracy_24px: float | None
    accuracy_24px_one_side: float | None
    accuracy_no_flip: float | None
    threshold: float
    threshold_far_1e_3_pairs: float
    threshold_far_1e_3_all_impostors: float
    threshold_far_1e_4_all_impostors: float
    tar_at_threshold_far_1e_3_all_impostors: float
    tar_at_threshold_far_1e_4_all_impostors: float
    impostor_pairs_all: int
    images: int
    images_from_cache: int
    pairs: int
    failed_detections: dict[str, int]
    failed_detections_24px: dict[str, int] | None
    seconds: float
    levers: dict[str, object] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        record = asdict(self)
        return {name.replace("_1e_", "_1e-"): value for name, value in record.items()}


def encode_images(
    pairs: LfwPairs,
    levers: Levers,
    with_degraded: bool,
    cache_dir: Path | None,
    progress: Progress,
) -> tuple[list[EncodedFace], list[EncodedFace] | None, int]:
    """Every image (and its 24 px version) encoded once, read from the cache when it is there.

    Returns the faces, the degraded faces, and how many images came wholly from the cache.
    """
    encoder: LfwEncoder | None = None
    task = progress.add_task(levers.model, total=len(pairs.images))
    faces: list[EncodedFace] = []
    degraded: list[EncodedFace] = []
    from_cache = 0
    for path in pairs.images:
        kinds = ("full", "24px") if with_degraded else ("full",)
        cached: dict[str, EncodedFace] = {}
        for kind in kinds:
            cache_file = _cache_file(cache_dir, levers, path, kind)
            if cache_file is not None and cache_file.is_file():
                cached[kind] = EncodedFace.load(cache_file)
        from_cache += len(cached) == len(kinds)
        if len(cached) < len(kinds):
            if encoder is None:
                encoder = LfwEncoder(levers)
            image = cv2.imread(str(path))
            if image is None:
                raise LfwFormatError(f"{path}: not a readable image")
            if "full" not in cached:
                cached["full"] = encoder.encode(image)
            if with_degraded and "24px" not in cached:
                cached["24px"] = encoder.encode(
                    degrade(image, cached["full"].box_height_px, FACE_PX)
                )
            for kind, face in cached.items():
                cache_file = _cache_file(cache_dir, levers, path, kind)
                if cache_file is not None and not cache_file.is_file():
                    face.save(cache_file)
        faces.append(cached["full"])
        if with_degraded:
            degraded.append(cached["24px"])
        progress.advance(task)
    return faces, degraded if with_degraded else None, from_cache


def _cache_file(cache_dir: Path | None, levers: Levers, path: Path, kind: str) -> Path | None:
    if cache_dir is None:
        return None
    suffix = "" if kind == "full" else f"-{kind}"
    return cache_dir / levers.key / path.parent.name / f"{path.stem}{suffix}.npz"


def _stack(faces: list[EncodedFace], flip: bool) -> FloatArray:
    return np.stack([face.embedding(flip) for face in faces]).astype(np.float32)


def _similarities(left: FloatArray, right: FloatArray, pairs: LfwPairs) -> FloatArray:
    similarities: FloatArray = np.einsum("ij,ij->i", left[pairs.first], right[pairs.second])
    return similarities.astype(np.float32)


def _status_counts(faces: list[EncodedFace]) -> dict[str, int]:
    counts = np.bincount([face.status for face in faces], minlength=len(STATUS_NAMES))
    return {name: int(count) for name, count in zip(STATUS_NAMES, counts, strict=True)}


def evaluate(
    pairs: LfwPairs,
    levers: Levers,
    faces: list[EncodedFace],
    degraded: list[EncodedFace] | None,
    seconds: float,
    from_cache: int = 0,
) -> LfwResult:
    embeddings = _stack(faces, levers.flip)
    similarities = _similarities(embeddings, embeddings, pairs)
    folds = fold_accuracy(similarities, pairs.same, pairs.folds)
    tar, threshold_pairs = tar_at_far(similarities, pairs.same, 1e-3)
    impostors = all_impostor_similarities(embeddings, pairs.identities)
    threshold_1e3 = threshold_at_far(impostors, 1e-3)
    threshold_1e4 = threshold_at_far(impostors, 1e-4)
    genuine = similarities[pairs.same]
    other_flip = None
    if levers.flip:
        other = _stack(faces, flip=False)
        other_flip = fold_accuracy(_similarities(other, other, pairs), pairs.same, pairs.folds).mean
    accuracy_24px = accuracy_24px_one_side = None
    failed_24px = None
    if degraded is not None:
        small = _stack(degraded, levers.flip)
        both = _similarities(small, small, pairs)
        one_side = _similarities(embeddings, small, pairs)
        accuracy_24px = fold_accuracy(both, pairs.same, pairs.folds).mean
        accuracy_24px_one_side = fold_accuracy(one_side, pairs.same, pairs.folds).mean
        failed_24px = _status_counts(degraded)
    return LfwResult(
        model=levers.model,
        accuracy=folds.mean,
        accuracy_std=folds.std,
        auc=roc_auc(similarities, pairs.same),
        tar_at_far_1e_3=tar,
        accuracy_24px=accuracy_24px,
        accuracy_24px_one_side=accuracy_24px_one_side,
        accuracy_no_flip=other_flip,
        threshold=float(np.median(folds.thresholds)),
        threshold_far_1e_3_pairs=threshold_pairs,
        threshold_far_1e_3_all_impostors=threshold_1e3,
        threshold_far_1e_4_all_impostors=threshold_1e4,
        tar_at_threshold_far_1e_3_all_impostors=float(np.mean(genuine > threshold_1e3)),
        tar_at_threshold_far_1e_4_all_impostors=float(np.mean(genuine > threshold_1e4)),
        impostor_pairs_all=len(impostors),
        images=len(faces),
        images_from_cache=from_cache,
        pairs=len(pairs),
        failed_detections=_status_counts(faces),
        failed_detections_24px=failed_24px,
        seconds=round(seconds, 1),
        levers={
            "flip": levers.flip,
            "detector_min_side_px": levers.detector_min_side_px,
            "refine": levers.refine,
            "min_score": levers.min_score,
            "retry_min_score": levers.retry_min_score,
            "degrade": f"INTER_AREA to a {FACE_PX} px face box, INTER_LINEAR back",
        },
    )


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f} %"


def _threshold(value: float) -> str:
    return f"{value:.3f}"


def print_table(results: Sequence[LfwResult], console: Console) -> None:
    table = Table(title=f"LFW View 2 ({results[0].pairs:,} pairs)")
    table.add_column("")
    for result in results:
        table.add_column(result.model, justify="right")

    def row(label: str, values: Sequence[str]) -> None:
        table.add_row(label, *values)

    row("accuracy", [f"{_percent(r.accuracy)} ± {100 * r.accuracy_std:.2f}" for r in results])
    row("AUC", [f"{r.auc:.5f}" for r in results])
    row("TAR @ FAR 1e-3 (pairs)", [_percent(r.tar_at_far_1e_3) for r in results])
    row("accuracy, 24 px faces", [_percent(r.accuracy_24px) for r in results])
    row("accuracy, 24 px vs full", [_percent(r.accuracy_24px_one_side) for r in results])
    row("accuracy, flip off", [_percent(r.accuracy_no_flip) for r in results])
    row("threshold @ best accuracy", [_threshold(r.threshold) for r in results])
    row("threshold @ FAR 1e-3, pairs", [_threshold(r.threshold_far_1e_3_pairs) for r in results])
    row(
        "threshold @ FAR 1e-3, all",
        [_threshold(r.threshold_far_1e_3_all_impostors) for r in results],
    )
    row(
        "threshold @ FAR 1e-4, all",
        [_threshold(r.threshold_far_1e_4_all_impostors) for r in results],
    )
    row(
        "TAR @ those two",
        [
            f"{_percent(r.tar_at_threshold_far_1e_3_all_impostors)} / "
            f"{_percent(r.tar_at_threshold_far_1e_4_all_impostors)}"
            for r in results
        ],
    )
    row(
        "retried / fallback faces",
        [
            f"{r.failed_detections['retried']} / {r.failed_detections['fallback']}"
            + (
                ""
                if r.failed_detections_24px is None
                else f" (24 px: {r.failed_detections_24px['retried']} / "
                f"{r.failed_detections_24px['fallback']})"
            )
            for r in results
        ],
    )
    row(
        "images (cached), seconds",
        [f"{r.images} ({r.images_from_cache}), {r.seconds:.0f} s" for r in results],
    )
    console.print(table)
    levers = results[0].levers
    console.print(
        f"flip {'on' if levers['flip'] else 'off'}, detector min side "
        f"{levers['detector_min_side_px']} px, refine {levers['refine']}, detector min score "
        f"{levers['min_score']} (retry {levers['retry_min_score']})"
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=Path("../shared/data/lfw"),
        help="folder with pairs.txt and lfw-deepfunneled/ (default ../shared/data/lfw)",
    )
    parser.add_argument(
        "--model",
        action="append",
        choices=(*MODELS, "all"),
        help=f"repeatable; 'all' means {', '.join(ALL_MODELS)} (default sface)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--no-flip", action="store_true", help="no mirror-image averaging")
    parser.add_argument(
        "--detector-min-side",
        type=int,
        default=0,
        metavar="PX",
        help="enlarge images whose long side is shorter than PX before detection (0: never)",
    )
    parser.add_argument(
        "--refine",
        choices=REFINE_MODES,
        default="none",
        help="extra detections for steadier landmarks (see _lfw_faces.py); none by default",
    )
    parser.add_argument("--min-score", type=float, default=0.6, help="detector score threshold")
    parser.add_argument("--skip-24px", action="store_true", help="skip the 24 px degradation")
    parser.add_argument("--folds", type=int, default=10, help="use only the first N folds")
    parser.add_argument("--cache", type=Path, metavar="DIR", help="keep embeddings on disk here")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    models: list[str] = []
    for name in args.model or ["sface"]:
        for model in ALL_MODELS if name == "all" else (name,):
            if model not in models:
                models.append(model)
    stderr = Console(stderr=True)
    try:
        pairs = read_pairs(args.data)
    except LfwFormatError as error:
        stderr.print(f"[red]error:[/red] {error}")
        return 2
    if not 2 <= args.folds <= 10:
        stderr.print("[red]error:[/red] --folds must be 2 to 10 (a threshold needs other folds)")
        return 2
    if args.folds < 10:
        pairs = pairs.take_folds(args.folds)
    results: list[LfwResult] = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=stderr) as progress, warnings.catch_warnings():
        # The ArcFace licence warning is for applications; here it is a known, chosen use.
        warnings.simplefilter("ignore")
        for model in models:
            levers = Levers(
                model=model,
                flip=not args.no_flip,
                detector_min_side_px=args.detector_min_side,
                refine=args.refine,
                min_score=args.min_score,
            )
            started = time.perf_counter()
            try:
                faces, degraded, from_cache = encode_images(
                    pairs, levers, not args.skip_24px, args.cache, progress
                )
            except (CitywatchError, LfwFormatError) as error:
                # A missing model package or an unreadable image: say which, no traceback.
                progress.stop()
                stderr.print(f"[red]error:[/red] {error}")
                return 2
            seconds = time.perf_counter() - started
            results.append(evaluate(pairs, levers, faces, degraded, seconds, from_cache))
    if args.json:
        records = [result.to_json() for result in results]
        sys.stdout.write(json.dumps(records[0] if len(records) == 1 else records, indent=2) + "\n")
    else:
        print_table(results, Console())
    return 0


if __name__ == "__main__":
    sys.exit(main())
