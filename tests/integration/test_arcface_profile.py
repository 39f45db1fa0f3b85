"""The opt-in ArcFace profile: it works, and it always says its weights are for research only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from citywatch.config import load_settings
from citywatch.embed import arcface
from citywatch.embed.arcface import ArcFaceLicenseWarning
from citywatch.models import PROFILE_MIN_SIMILARITY
from citywatch.services import build_services

from .conftest import PASSWORD, CitywatchCli, lfw_photo
from .test_compare import DIFFERENT, SAME

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """The licence warning fires once per process; make this test's process look new."""
    monkeypatch.setattr(arcface, "_warned", False)


def test_arcface_services_compare_and_warn_about_the_licence(
    citywatch: CitywatchCli, lfw: Path
) -> None:
    services = build_services(load_settings(citywatch.home, embedder="arcface"))
    try:
        assert citywatch.user is not None
        services.authenticate(citywatch.user, PASSWORD)
        with pytest.warns(ArcFaceLicenseWarning, match="non-commercial research"):
            same = services.compare(lfw_photo(lfw, *SAME[0]), lfw_photo(lfw, *SAME[1]))
        different = services.compare(lfw_photo(lfw, *DIFFERENT[0]), lfw_photo(lfw, *DIFFERENT[1]))
    finally:
        services.close()

    assert services.embedder.dim == 512
    assert same.embedder == different.embedder == "arcface"
    assert same.same is True
    assert different.same is False
    assert same.similarity > same.min_similarity > different.similarity
    assert same.min_similarity == PROFILE_MIN_SIMILARITY["arcface"]


def test_arcface_cli_compare_warns_and_prints_json(citywatch: CitywatchCli, lfw: Path) -> None:
    first, second = SAME
    with pytest.warns(ArcFaceLicenseWarning):
        result = citywatch.run(
            "--embedder",
            "arcface",
            "compare",
            "--json",
            lfw_photo(lfw, *first),
            lfw_photo(lfw, *second),
        )
    assert result.exit_code == 0, result.stderr
    (line,) = [json.loads(text) for text in result.stdout.splitlines()]
    assert line["embedder"] == "arcface"
    assert line["same"] is True


def test_arcface_cli_with_warnings_as_errors_fails_with_one_clear_line(
    citywatch: CitywatchCli, lfw: Path
) -> None:
    first, second = SAME
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "CITYWATCH"))}
    assert citywatch.user is not None
    environment.update({"CITYWATCH_USER": citywatch.user, "CITYWATCH_PASSWORD": PASSWORD})
    completed = subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            "-c",
            "from citywatch.cli import main; main()",
            "--home",
            str(citywatch.home),
            "--embedder",
            "arcface",
            "compare",
            "--json",
            str(lfw_photo(lfw, *first)),
            str(lfw_photo(lfw, *second)),
        ],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 1
    assert completed.stdout == ""
    assert "Traceback" not in completed.stderr
    error_lines = [line for line in completed.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1
    assert "non-commercial research" in error_lines[0]
    assert "ArcFaceLicenseWarning" in error_lines[0]
