"""benchmarks/lfw.py end to end, with the real models, on a tiny View 2 layout of real LFW photos.

The full benchmark takes minutes per model; eight real pairs in two folds exercise the same code
(detection, selection, the 24 px degradation, flip, caching, scoring, JSON) in seconds.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import lfw as lfw_benchmark  # noqa: E402
from _lfw_faces import FALLBACK, FALLBACK_LANDMARKS_250, Levers, LfwEncoder  # noqa: E402

# Two folds x (2 same + 2 different), from the official pairs.
PAIRS = [
    "2\t2",
    "Akhmed_Zakayev\t1\t3",
    "Abel_Pacheco\t1\t4",
    "Abdel_Madi_Shabneh\t1\tDean_Barker\t1",
    "Abel_Pacheco\t1\tAkhmed_Zakayev\t1",
    "Akhmed_Zakayev\t2\t3",
    "Abel_Pacheco\t2\t4",
    "Dean_Barker\t1\tAkhmed_Zakayev\t2",
    "Abdel_Madi_Shabneh\t1\tAbel_Pacheco\t2",
]


@pytest.fixture(scope="module")
def tiny_lfw(tmp_path_factory: pytest.TempPathFactory, lfw: Path) -> Path:
    root = tmp_path_factory.mktemp("lfw")
    (root / "pairs.txt").write_text("\n".join(PAIRS) + "\n")
    for line in PAIRS[1:]:
        words = line.split("\t")
        names = [(words[0], words[1]), (words[0], words[2])]
        if len(words) == 4:
            names = [(words[0], words[1]), (words[2], words[3])]
        for name, number in names:
            source = lfw / name / f"{name}_{int(number):04d}.jpg"
            target = root / "lfw-deepfunneled" / name / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                target.symlink_to(source)
    return root


def test_benchmark_prints_the_documented_json(
    tiny_lfw: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache"
    argv = ["--data", str(tiny_lfw), "--folds", "2", "--json", "--cache", str(cache)]
    assert lfw_benchmark.main(argv) == 0
    first = json.loads(capsys.readouterr().out)

    for key in ("model", "accuracy", "accuracy_std", "auc", "tar_at_far_1e-3", "accuracy_24px"):
        assert key in first
    assert first["model"] == "sface"
    assert first["pairs"] == 8
    assert first["images"] == 8
    assert first["auc"] > 0.9  # real faces: these easy pairs separate
    assert first["failed_detections"]["fallback"] == 0
    # A stricter false accept rate never allows a lower threshold.
    strict, loose = (
        first["threshold_far_1e-4_all_impostors"],
        first["threshold_far_1e-3_all_impostors"],
    )
    assert strict >= loose
    assert len(list(cache.rglob("*.npz"))) == 16  # each image, full and 24 px

    assert lfw_benchmark.main(argv) == 0  # a rerun reads the cache and agrees
    again = json.loads(capsys.readouterr().out)
    assert again["images_from_cache"] == 8
    assert again["auc"] == first["auc"]


def test_a_picture_without_a_face_falls_back_to_the_funneled_position() -> None:
    encoder = LfwEncoder(Levers(model="sface"))
    blank = np.full((250, 250, 3), 128, np.uint8)
    landmarks, box_height_px, status = encoder.locate(blank)
    assert status == FALLBACK
    np.testing.assert_allclose(landmarks, FALLBACK_LANDMARKS_250)
    assert box_height_px > 0
    face = encoder.encode(blank)
    assert np.linalg.norm(face.embedding(flip=True)) == pytest.approx(1.0, abs=1e-5)
