"""`citywatch camera ...` driven in-process on a temporary home with synthetic clips.

No model is loaded by these commands; the slow part is probing (a fraction of a second a clip).
Camera commands act as a logged-in admin: each home starts as a copy of a template in which the
first admin was bootstrapped and logged in through the CLI (`--password-stdin`), so the commands
resume that session instead of paying for a scrypt hash each.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from citywatch.cli import cli
from citywatch.storage import open_store

MakeClip = Callable[..., Path]
PASSWORD = "secretpw"
"""A camera's password: it must never be printed."""
ADMIN, OFFICER = "ada", "olga"
USER_PASSWORD = "camera-tests-2026"
"""The password of both users of the template home."""


def _without_citywatch_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("CITYWATCH_"):
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests must not see CITYWATCH_* variables from the shell that runs them."""
    _without_citywatch_variables(monkeypatch)


def _invoke(home: Path, *args: str, stdin: str | None = None) -> Result:
    result = CliRunner().invoke(cli, ["--home", str(home), *args], input=stdin)
    assert result.exit_code == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def admin_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with admin `ada` logged in (saved session) and officer `olga`, made once."""
    home = tmp_path_factory.mktemp("admin") / "home"
    with pytest.MonkeyPatch.context() as monkeypatch:
        _without_citywatch_variables(monkeypatch)
        _invoke(home, "user", "bootstrap", ADMIN, "--password-stdin", stdin=USER_PASSWORD + "\n")
        _invoke(home, "login", ADMIN, "--password-stdin", stdin=USER_PASSWORD + "\n")
        _invoke(
            home,
            "user",
            "add",
            OFFICER,
            "--role",
            "officer",
            "--password-stdin",
            stdin=USER_PASSWORD + "\n",
        )
    return home


class Citywatch:
    """Runs commands on one home and keeps every byte they printed, to search for leaks."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.runner = CliRunner()
        self.printed: list[str] = []

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> Result:
        result = self.runner.invoke(cli, ["--home", str(self.home), *args], env=env)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        self.printed += [result.stdout, result.stderr]
        return result

    def json(self, *args: str, env: dict[str, str] | None = None) -> Any:
        result = self(*args, "--json", env=env)
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    def cameras(self, env: dict[str, str] | None = None) -> Any:
        return self.json("camera", "list", env=env)


def _flat(text: str) -> str:
    """Rich wraps long lines at the console width; join them back before searching."""
    return " ".join(text.split())


@pytest.fixture
def citywatch(tmp_path: Path, admin_home: Path) -> Iterator[Citywatch]:
    runner = Citywatch(Path(shutil.copytree(admin_home, tmp_path / "home")))
    yield runner
    everything = "".join(runner.printed).replace("\n", "")
    assert PASSWORD not in everything, "a command printed a camera password"


@pytest.fixture(scope="module")
def hd_clip(make_clip: MakeClip) -> Path:
    return make_clip(1280, 720, 25, seconds=1.0)


@pytest.fixture(scope="module")
def vga_clip(make_clip: MakeClip) -> Path:
    return make_clip(640, 480, 25)


def test_add_probes_and_registers_a_camera(citywatch: Citywatch, hd_clip: Path) -> None:
    added = citywatch.json("camera", "add", "door-1", str(hd_clip), "--priority", "3")

    assert added["probe"]["width"] == 1280 and added["probe"]["height"] == 720
    assert added["probe"]["fps"] == pytest.approx(25, abs=0.05)
    assert added["probe"]["codec"] == "h264" and added["probe"]["frames"] == 25
    assert (added["id"], added["priority"], added["owner"]) == ("door-1", 3, "city")
    assert added["forced"] is False and added["warnings"] == []
    assert added["credentials"] is None
    [listed] = citywatch.cameras()["data"]
    assert listed["id"] == "door-1" and listed["probe"] == added["probe"]


def test_add_without_json_says_what_was_measured(citywatch: Citywatch, hd_clip: Path) -> None:
    result = citywatch("camera", "add", "door-1", str(hd_clip))

    assert result.exit_code == 0, result.stderr
    assert "added camera door-1: 1280x720 at 25.0 fps (h264)" in _flat(result.stdout)


def test_a_relative_file_path_is_stored_absolute(
    citywatch: Citywatch, hd_clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(hd_clip.parent)

    added = citywatch.json("camera", "add", "door-1", hd_clip.name)

    assert added["url"] == str(hd_clip.resolve())  # `run` may start in another folder


def test_a_third_party_camera_below_the_bar_is_refused_and_not_stored(
    citywatch: Citywatch, vga_clip: Path
) -> None:
    result = citywatch("camera", "add", "shop-1", str(vga_clip), "--owner", "ShopCo")

    assert result.exit_code == 2
    error = _flat(result.stderr)
    assert "resolution 640x480 is below the required 1280x720" in error
    assert "'shop-1'" in error and "--force" in error
    assert result.stdout == ""
    assert citywatch.cameras()["count"] == 0


def test_force_records_a_camera_below_the_bar_with_a_warning(
    citywatch: Citywatch, vga_clip: Path
) -> None:
    result = citywatch(
        "camera", "add", "shop-1", str(vga_clip), "--owner", "ShopCo", "--force", "--json"
    )

    assert result.exit_code == 0, result.stderr
    assert "warning: resolution 640x480 is below the required 1280x720" in _flat(result.stderr)
    added = json.loads(result.stdout)
    assert added["forced"] is True and added["owner"] == "ShopCo"
    assert added["warnings"] == ["resolution 640x480 is below the required 1280x720"]
    [listed] = citywatch.cameras()["data"]
    assert listed["forced"] is True and listed["probe"]["width"] == 640


def test_the_onboarding_bar_is_for_third_parties_only(citywatch: Citywatch, vga_clip: Path) -> None:
    added = citywatch.json("camera", "add", "city-1", str(vga_clip))

    assert added["forced"] is False and added["warnings"] == []


def test_an_unreachable_camera_is_refused_then_forced_and_its_password_never_shown(
    citywatch: Citywatch, closed_port: int
) -> None:
    url = f"rtsp://admin:{PASSWORD}@127.0.0.1:{closed_port}/stream1"
    shown = f"rtsp://***@127.0.0.1:{closed_port}/stream1"

    refused = citywatch("camera", "add", "gate-1", url)

    assert refused.exit_code == 2
    assert "cannot open the stream" in _flat(refused.stderr)
    assert shown in _flat(refused.stderr) and "--force" in refused.stderr
    assert citywatch.cameras()["count"] == 0

    forced = citywatch("camera", "add", "gate-1", url, "--force", "--json")

    assert forced.exit_code == 0, forced.stderr
    assert "warning:" in forced.stderr and "Connection refused" in _flat(forced.stderr)
    added = json.loads(forced.stdout)
    assert added["url"] == f"rtsp://127.0.0.1:{closed_port}/stream1"
    assert added["credentials"] == "stored encrypted"
    assert added["probe"] is None and added["forced"] is True

    [listed] = citywatch.cameras()["data"]
    assert listed["url"] == added["url"] and listed["credentials"] == "stored encrypted"
    table = citywatch("camera", "list")
    assert table.exit_code == 0 and "gate-1" in table.stdout
    probe = citywatch("camera", "probe", url)
    assert probe.exit_code == 2 and shown in _flat(probe.stderr)
    # The password itself is checked against every byte printed when the test ends.


def test_list_shows_the_cap_and_which_cameras_are_analysed(
    citywatch: Citywatch, hd_clip: Path
) -> None:
    citywatch.json("camera", "add", "low", str(hd_clip))
    citywatch.json("camera", "add", "high", str(hd_clip), "--priority", "5")
    citywatch.json("camera", "add", "off", str(hd_clip), "--priority", "9", "--disabled")

    listed = citywatch.cameras(env={"CITYWATCH_MAX_ANALYSED_CAMERAS": "1"})

    assignment = {c["id"]: c["assignment"] for c in listed["data"]}
    assert assignment == {"high": "analysed", "low": "standby", "off": "off"}
    assert [c["id"] for c in listed["data"]] == ["off", "high", "low"]
    assert (listed["count"], listed["cap"], listed["analysed"]) == (3, 1, 1)
    assert all(c["health"] is None for c in listed["data"])
    assert citywatch.cameras()["cap"] == 8  # the default


def test_list_as_a_table_says_what_is_analysed(citywatch: Citywatch, hd_clip: Path) -> None:
    citywatch.json("camera", "add", "low", str(hd_clip))
    citywatch.json("camera", "add", "high", str(hd_clip), "--priority", "5")

    result = citywatch("camera", "list", env={"CITYWATCH_MAX_ANALYSED_CAMERAS": "1"})

    assert result.exit_code == 0, result.stderr
    assert "2 cameras; analysing 1 (cap 1, highest priority first)" in _flat(result.stdout)
    assert "high" in result.stdout and "low" in result.stdout


def test_remove_takes_the_camera_out(citywatch: Citywatch, hd_clip: Path) -> None:
    citywatch.json("camera", "add", "door-1", str(hd_clip))

    removed = citywatch.json("camera", "remove", "door-1")

    assert removed["removed"]["id"] == "door-1"
    assert citywatch.cameras()["count"] == 0


def test_removing_an_unknown_camera_names_it(citywatch: Citywatch) -> None:
    result = citywatch("camera", "remove", "ghost-cam")

    assert result.exit_code == 3
    assert "no camera 'ghost-cam'" in _flat(result.stderr)


def test_adding_the_same_id_twice_is_a_conflict(citywatch: Citywatch, hd_clip: Path) -> None:
    citywatch.json("camera", "add", "door-1", str(hd_clip))

    result = citywatch("camera", "add", "door-1", str(hd_clip))

    assert result.exit_code == 4
    assert "'door-1' already exists" in _flat(result.stderr)


@pytest.mark.parametrize(
    ("camera_id", "url", "options", "expected"),
    [
        ("Door 1", "{clip}", (), "is not a slug"),
        ("door-1", f"ftp://admin:{PASSWORD}@10.0.0.7/x", (), "unsupported stream URL"),
        ("door-1", "javascript:alert(1)", (), "unsupported stream URL"),
        ("door-1", "{missing}", (), "no such file"),
        ("door-1", "{clip}", ("--lat", "55.7"), "give both latitude and longitude, or neither"),
        ("door-1", "{clip}", ("--lat", "95", "--lon", "37"), "latitude 95.0 / longitude 37.0"),
        ("door-1", "{clip}", ("--fps", "0"), "analysis rate 0 fps; expected more than 0"),
        ("door-1", "{clip}", ("--fps", "60"), "analysis rate 60 fps"),
        ("door-1", "{clip}", ("--min-face-px", "-3"), "smallest face -3 px"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(
    citywatch: Citywatch,
    hd_clip: Path,
    tmp_path: Path,
    camera_id: str,
    url: str,
    options: tuple[str, ...],
    expected: str,
) -> None:
    url = url.format(clip=hd_clip, missing=tmp_path / "missing.mp4")

    result = citywatch("camera", "add", camera_id, url, *options)

    assert result.exit_code == 2
    assert expected in _flat(result.stderr)
    assert citywatch.cameras()["count"] == 0


def test_probe_of_a_missing_file_fails_clearly(citywatch: Citywatch, tmp_path: Path) -> None:
    missing = tmp_path / "missing.mp4"

    result = citywatch("camera", "probe", str(missing))

    assert result.exit_code == 2
    error = _flat(result.stderr)
    assert f"{missing}: cannot open the stream" in error
    assert "No such file or directory" in error


def test_probe_reports_the_measurement_and_the_onboarding_verdict(
    citywatch: Citywatch, vga_clip: Path
) -> None:
    probed = citywatch.json("camera", "probe", str(vga_clip))

    assert (probed["width"], probed["height"], probed["codec"]) == (640, 480, "h264")
    assert probed["fps"] == pytest.approx(25, abs=0.05)
    assert probed["third_party_ok"] is False
    assert probed["problems"] == ["resolution 640x480 is below the required 1280x720"]
    assert citywatch.cameras()["count"] == 0  # probing registers nothing


# -- who may ---------------------------------------------------------------------------------


def test_camera_commands_need_a_logged_in_user(citywatch: Citywatch, hd_clip: Path) -> None:
    (citywatch.home / "sessions").rename(citywatch.home / "logged-out")

    added = citywatch("camera", "add", "door-1", str(hd_clip))
    listed = citywatch("camera", "list")

    assert (added.exit_code, listed.exit_code) == (6, 6)
    assert "not logged in" in _flat(added.stderr) and "citywatch login" in _flat(added.stderr)
    store = open_store(citywatch.home)
    try:
        assert store.cameras.all() == []
    finally:
        store.close()


def test_an_officer_may_list_cameras_but_not_add_them(citywatch: Citywatch, hd_clip: Path) -> None:
    officer = {"CITYWATCH_USER": OFFICER, "CITYWATCH_PASSWORD": USER_PASSWORD}

    refused = citywatch("camera", "add", "door-1", str(hd_clip), env=officer)

    assert refused.exit_code == 5
    assert f"{OFFICER} may not camera.manage" in _flat(refused.stderr)
    assert citywatch.cameras(env=officer)["count"] == 0
    store = open_store(citywatch.home)
    try:
        denied = [e for e in store.audit.events() if e.action == "access.denied"]
    finally:
        store.close()
    assert [(e.actor, e.object) for e in denied] == [(OFFICER, "camera.manage")]


def test_a_wrong_password_in_the_environment_is_refused(
    citywatch: Citywatch, hd_clip: Path
) -> None:
    wrong = {"CITYWATCH_USER": ADMIN, "CITYWATCH_PASSWORD": "not-the-password"}

    result = citywatch("camera", "add", "door-1", str(hd_clip), env=wrong)

    assert result.exit_code == 6
    assert f"login failed for '{ADMIN}'" in _flat(result.stderr)
    assert citywatch.cameras()["count"] == 0


def test_adding_and_removing_a_camera_is_audited_as_the_admin(
    citywatch: Citywatch, hd_clip: Path
) -> None:
    citywatch.json("camera", "add", "door-1", str(hd_clip))
    citywatch.json("camera", "remove", "door-1")

    store = open_store(citywatch.home)
    try:
        records = [(e.actor, e.action, e.object) for e in store.audit.events()]
    finally:
        store.close()
    assert records[-2:] == [
        (ADMIN, "camera.add", "camera:door-1"),
        (ADMIN, "camera.remove", "camera:door-1"),
    ]
