"""Settings: defaults, then config.toml, then environment, then options."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from citywatch.config import DEFAULT_HOME, Settings, load_settings
from citywatch.errors import ConfigError


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests must not see CITYWATCH_* variables from the shell that runs them."""
    for name in list(os.environ):
        if name.startswith("CITYWATCH_"):
            monkeypatch.delenv(name)


def _write_config(home: Path, text: str) -> Path:
    path = home / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_apply_without_a_config_file(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)

    assert settings == Settings(home=tmp_path)
    assert settings.embedder == "sface"
    assert settings.scan_fps == 0.0
    assert settings.shots_per_track == 3
    assert settings.flip is True


def test_home_comes_from_the_environment_then_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the default home is relative: keep it away from real data
    assert load_settings().home == Path(DEFAULT_HOME)
    monkeypatch.setenv("CITYWATCH_HOME", str(tmp_path))
    assert load_settings().home == tmp_path
    assert load_settings(tmp_path / "other").home == tmp_path / "other"


def test_config_file_values_override_defaults(tmp_path: Path) -> None:
    _write_config(
        tmp_path,
        'embedder = "arcface"\nscan_fps = 5\nmin_face_px = 30.5\nshots_per_track = 2\n'
        "flip = false\n",
    )

    settings = load_settings(tmp_path)

    assert settings.embedder == "arcface"
    assert settings.scan_fps == 5.0
    assert isinstance(settings.scan_fps, float)
    assert settings.min_face_px == 30.5
    assert settings.shots_per_track == 2
    assert settings.flip is False
    assert settings.max_track_age_s == Settings().max_track_age_s


def test_home_in_the_config_file_is_ignored(tmp_path: Path) -> None:
    _write_config(tmp_path, 'home = "/somewhere/else"\n')

    assert load_settings(tmp_path).home == tmp_path


def test_environment_overrides_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_config(tmp_path, "scan_fps = 5\nshots_per_track = 2\n")
    monkeypatch.setenv("CITYWATCH_SCAN_FPS", "2.5")
    monkeypatch.setenv("CITYWATCH_FLIP", "no")

    settings = load_settings(tmp_path)

    assert settings.scan_fps == 2.5
    assert settings.flip is False
    assert settings.shots_per_track == 2, "values the environment does not set stay from the file"


def test_options_override_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITYWATCH_SCAN_FPS", "2.5")

    assert load_settings(tmp_path, scan_fps=8.0).scan_fps == 8.0
    assert load_settings(tmp_path, scan_fps=None).scan_fps == 2.5


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", True), ("true", True), ("YES", True), ("0", False), ("False", False), ("no", False)],
)
def test_boolean_environment_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: bool
) -> None:
    monkeypatch.setenv("CITYWATCH_FLIP", text)

    assert load_settings(tmp_path).flip is expected


def test_malformed_toml_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = _write_config(tmp_path, "scan_fps = = 5\n")

    with pytest.raises(ConfigError, match="not valid TOML") as caught:
        load_settings(tmp_path)

    assert str(path) in str(caught.value)


def test_config_file_that_is_not_utf8_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'embedder = "\xff\xfe"\n')

    with pytest.raises(ConfigError, match="config.toml"):
        load_settings(tmp_path)


def test_unknown_key_is_refused_naming_the_key_and_the_file(tmp_path: Path) -> None:
    path = _write_config(tmp_path, "scan_speed = 5\n")

    with pytest.raises(ConfigError, match="'scan_speed'") as caught:
        load_settings(tmp_path)

    assert str(path) in str(caught.value)
    assert "scan_fps" in str(caught.value), "the message lists the known settings"


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('scan_fps = "fast"', "scan_fps"),
        ("scan_fps = true", "scan_fps"),
        ("shots_per_track = 2.5", "shots_per_track"),
        ('shots_per_track = "two"', "shots_per_track"),
        ('flip = "maybe"', "flip"),
        ("flip = 5", "flip"),
        ("min_face_px = [24]", "min_face_px"),
    ],
)
def test_value_of_the_wrong_type_is_refused(tmp_path: Path, line: str, key: str) -> None:
    _write_config(tmp_path, line + "\n")

    with pytest.raises(ConfigError, match=f"{key} = .* is not valid; expected a"):
        load_settings(tmp_path)


def test_environment_value_of_the_wrong_type_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CITYWATCH_SHOTS_PER_TRACK", "three")

    with pytest.raises(ConfigError, match="environment: shots_per_track"):
        load_settings(tmp_path)


def test_unknown_embedder_is_refused_listing_the_known_ones(tmp_path: Path) -> None:
    _write_config(tmp_path, 'embedder = "facenet"\n')

    with pytest.raises(ConfigError, match="'facenet' is unknown; expected one of sface, arcface"):
        load_settings(tmp_path)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"scan_fps": -1.0}, "scan_fps must be >= 0"),
        ({"shots_per_track": 0}, "shots_per_track must be at least 1"),
        ({"detector_max_side_px": 100}, "detector_max_side_px must be at least 160"),
        ({"embedder": "nope"}, "embedder 'nope' is unknown"),
        ({"colour": "red"}, "unknown setting 'colour'"),
    ],
)
def test_out_of_range_options_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings().with_options(**options)


def test_with_options_ignores_none_and_keeps_the_original(tmp_path: Path) -> None:
    base = Settings(home=tmp_path, scan_fps=3.0)

    changed = base.with_options(scan_fps=None, embedder=None, shots_per_track=5)

    assert changed.scan_fps == 3.0
    assert changed.embedder == "sface"
    assert changed.shots_per_track == 5
    assert base.shots_per_track == 3, "settings are immutable; with_options returns a copy"


def test_with_options_converts_a_home_string_to_a_path() -> None:
    assert Settings().with_options(home="/tmp/x").home == Path("/tmp/x")
