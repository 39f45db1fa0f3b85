"""The licence-clean fusion profile `sface+dlib` on real LFW photos, through the CLI."""

from __future__ import annotations

from pathlib import Path

from citywatch.models import PROFILE_MIN_SIMILARITY

from .conftest import CitywatchCli, lfw_photo
from .test_compare import DIFFERENT, SAME


def test_fusion_profile_compares_with_its_own_calibrated_threshold(
    citywatch: CitywatchCli, lfw: Path
) -> None:
    same_result, same_lines = citywatch.json(
        "--embedder",
        "sface+dlib",
        "compare",
        lfw_photo(lfw, *SAME[0]),
        lfw_photo(lfw, *SAME[1]),
        "--json",
    )
    diff_result, diff_lines = citywatch.json(
        "--embedder",
        "sface+dlib",
        "compare",
        lfw_photo(lfw, *DIFFERENT[0]),
        lfw_photo(lfw, *DIFFERENT[1]),
        "--json",
    )

    assert same_result.exit_code == 0, same_result.stderr
    assert diff_result.exit_code == 0, diff_result.stderr
    same, different = same_lines[0], diff_lines[0]
    assert same["embedder"] == different["embedder"] == "sface+dlib"
    assert same["min_similarity"] == PROFILE_MIN_SIMILARITY["sface+dlib"]
    assert same["same"] is True
    assert different["same"] is False
    assert same["similarity"] > same["min_similarity"] > different["similarity"]
