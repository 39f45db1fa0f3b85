"""`compare` on LFW pairs the default SFace profile gets right with a wide margin."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import CitywatchCli, lfw_photo

# From lfw/pairs.txt (fold 1): a "same" line and the first "different" line.
SAME = (("Akhmed_Zakayev", 1), ("Akhmed_Zakayev", 3))
DIFFERENT = (("Abdel_Madi_Shabneh", 1), ("Dean_Barker", 1))


def listed_in_pairs(data_dir: Path, first: tuple[str, int], second: tuple[str, int]) -> bool:
    if first[0] == second[0]:
        line = f"{first[0]}\t{first[1]}\t{second[1]}"
    else:
        line = f"{first[0]}\t{first[1]}\t{second[0]}\t{second[1]}"
    return line in (data_dir / "lfw" / "pairs.txt").read_text().splitlines()


@pytest.fixture(scope="module")
def comparisons(
    data_dir: Path, lfw: Path, new_cli: Callable[[str], CitywatchCli]
) -> dict[str, dict[str, Any]]:
    citywatch = new_cli("compare")
    found = {}
    for label, (first, second) in {"same": SAME, "different": DIFFERENT}.items():
        assert listed_in_pairs(data_dir, first, second), (first, second)
        result, lines = citywatch.json(
            "compare", "--json", lfw_photo(lfw, *first), lfw_photo(lfw, *second)
        )
        assert result.exit_code == 0, result.stderr
        (found[label],) = lines
    return found


def test_two_photos_of_one_person_are_the_same(comparisons: dict[str, dict[str, Any]]) -> None:
    same = comparisons["same"]
    assert same["same"] is True
    assert same["embedder"] == "sface"
    assert isinstance(same["similarity"], float)
    assert same["similarity"] >= same["min_similarity"]


def test_photos_of_two_people_are_different(comparisons: dict[str, dict[str, Any]]) -> None:
    different = comparisons["different"]
    assert different["same"] is False
    assert isinstance(different["similarity"], float)
    assert different["similarity"] < different["min_similarity"]


def test_same_person_is_far_more_alike_than_two_people(
    comparisons: dict[str, dict[str, Any]],
) -> None:
    same, different = comparisons["same"]["similarity"], comparisons["different"]["similarity"]
    assert same - different > 0.3
    assert -1.0 <= different < same <= 1.0


def test_compare_prints_a_verdict_without_json(citywatch: CitywatchCli, lfw: Path) -> None:
    first, second = SAME
    result = citywatch.run("compare", lfw_photo(lfw, *first), lfw_photo(lfw, *second))
    assert result.exit_code == 0
    assert "same person" in result.stdout
