"""Administration and oversight over HTTP: users, cameras, the audit log, the transparency report
and settings, on a real SQLite home with real scrypt, through FastAPI's TestClient.

The cast (admin `ada`, officer `olga`, supervisor `sam`, auditor `aud`) is made once per module
through the services, as the CLI would; every test then talks HTTP only, except where it plays the
attacker who edits the database behind citywatch's back. Cameras are short H.264 clips made with
PyAV: a video file stands in for a camera.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from citywatch.api import create_app
from citywatch.api.schemas.admin import SettingsPublic
from citywatch.audit.checkpoints import checkpoint_from_json, checkpoint_valid
from citywatch.config import Settings, load_settings

from .conftest import PASSWORD, cast_home, clear_environment, copy_home, login

CAST = {"olga": ["officer"], "sam": ["supervisor"], "aud": ["auditor"]}
SECRET_URL = "rtsp://admin:s3cret@127.0.0.1:9/x"
"""Port 9 (discard) on loopback: refused at once, so the probe fails fast."""


def make_clip(path: Path, width: int, height: int, fps: int = 25, frames: int = 50) -> Path:
    """An H.264 clip of a moving gradient, `frames` long at a constant `fps`."""
    with av.open(str(path), "w") as output:
        stream = output.add_stream("h264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "g": str(fps)}
        ramp = np.linspace(0, 255, width, dtype=np.float32)[None, :, None]
        for index in range(frames):
            image = np.broadcast_to((ramp + 4 * index) % 256, (height, width, 3))
            frame = av.VideoFrame.from_ndarray(image.astype(np.uint8), format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, fps)
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode():
            output.mux(packet)
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    return {
        "hd": make_clip(folder / "hd-25fps.mp4", 1280, 720),
        "small": make_clip(folder / "small-25fps.mp4", 640, 360),
    }


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("admin-api") / "home"
    with pytest.MonkeyPatch.context() as monkeypatch:
        clear_environment(monkeypatch)
        cast_home(home, CAST).close()
    return home


@pytest.fixture
def home(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return copy_home(template, tmp_path, monkeypatch)


@pytest.fixture
def client(home: Path) -> Iterator[TestClient]:
    with TestClient(create_app(load_settings(home))) as test_client:
        yield test_client


def camera(camera_id: str, url: str | Path, **extra: Any) -> dict[str, Any]:
    return {"id": camera_id, "url": str(url), "group": "centre", **extra}


def audit_events(client: TestClient, after: int = 0) -> list[dict[str, Any]]:
    response = client.get(f"/api/audit/events?after={after}", headers=login(client, "aud"))
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["data"]
    return events


# -- roles --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("user", "method", "path", "body", "action"),
    [
        ("aud", "POST", "/api/users", {"name": "x", "password": PASSWORD, "roles": ["officer"]},
         "user.manage"),
        ("aud", "PUT", "/api/users/olga/roles", {"roles": ["auditor"]}, "user.manage"),
        ("aud", "POST", "/api/users/olga/disable", None, "user.manage"),
        ("olga", "GET", "/api/users", None, "user.list"),
        ("aud", "POST", "/api/cameras", camera("door-1", "/nonexistent.mp4"), "camera.manage"),
        ("sam", "DELETE", "/api/cameras/door-1", None, "camera.manage"),
        ("ada", "GET", "/api/audit/events", None, "audit.export"),
        ("olga", "GET", "/api/audit/verify", None, "audit.verify"),
        ("olga", "POST", "/api/audit/checkpoints", None, "audit.checkpoint"),
        ("ada", "GET", "/api/reports/transparency?from=2026-01-01&to=2026-01-31", None,
         "report.transparency"),
        ("olga", "GET", "/api/settings", None, "settings.change"),
        ("olga", "PUT", "/api/settings/session_hours", {"value": "1"}, "settings.change"),
        ("aud", "PUT", "/api/settings/session_hours", {"value": "1"}, "settings.change"),
    ],
)  # fmt: skip
def test_each_resource_refuses_the_roles_it_does_not_serve(
    client: TestClient, user: str, method: str, path: str, body: Any, action: str
) -> None:
    response = client.request(method, path, json=body, headers=login(client, user))

    assert response.status_code == 403, response.text
    assert f"{user} may not {action}" in response.json()["detail"]


def test_the_new_resources_are_in_a_valid_openapi_document(client: TestClient) -> None:
    document = client.get("/api/openapi.json").json()

    validate(document)
    assert {
        "/api/users",
        "/api/users/{name}/roles",
        "/api/cameras",
        "/api/cameras/probe",
        "/api/audit/verify",
        "/api/audit/events",
        "/api/audit/checkpoints",
        "/api/reports/transparency",
        "/api/settings/{key}",
    } <= set(document["paths"])


# -- users --------------------------------------------------------------------------------------
def test_an_admin_adds_a_user_changes_roles_disables_and_enables_them(client: TestClient) -> None:
    ada = login(client, "ada")
    new = {"name": "rita", "password": PASSWORD, "roles": ["reviewer"]}

    created = client.post("/api/users", json=new, headers=ada)
    assert created.status_code == 201, created.text
    assert created.json() == {"name": "rita", "roles": ["reviewer"], "disabled": False}
    assert "password" not in created.text
    listed = client.get("/api/users", headers=ada).json()
    assert listed["count"] == 5
    assert [u["name"] for u in listed["data"]] == ["ada", "aud", "olga", "rita", "sam"]

    changed = client.put(
        "/api/users/rita/roles", json={"roles": ["reviewer", "officer"]}, headers=ada
    )
    assert changed.json()["roles"] == ["officer", "reviewer"]
    rita = login(client, "rita")
    assert client.post("/api/users/rita/disable", headers=ada).json()["disabled"] is True
    assert client.get("/api/auth/me", headers=rita).status_code == 401  # sessions ended
    refused = client.post("/api/auth/login", json={"name": "rita", "password": PASSWORD})
    assert refused.status_code == 401
    assert client.post("/api/users/rita/enable", headers=ada).json()["disabled"] is False
    assert client.get("/api/auth/me", headers=login(client, "rita")).json()["name"] == "rita"

    actions = [(e["action"], e["object"]) for e in audit_events(client)]
    for action in ("user.create", "user.roles", "user.disable", "user.enable"):
        assert (action, "user:rita") in actions


def test_auditors_may_list_users(client: TestClient) -> None:
    listed = client.get("/api/users", headers=login(client, "aud"))

    assert listed.status_code == 200
    assert listed.json()["count"] == 4


def test_user_management_refuses_bad_input_with_a_message(client: TestClient) -> None:
    ada = login(client, "ada")

    duplicate = {"name": "olga", "password": PASSWORD, "roles": ["officer"]}
    assert client.post("/api/users", json=duplicate, headers=ada).status_code == 409
    unknown_role = {"name": "x", "password": PASSWORD, "roles": ["janitor"]}
    refused = client.post("/api/users", json=unknown_role, headers=ada)
    assert refused.status_code == 422
    assert "janitor" in refused.json()["detail"]
    missing = client.put("/api/users/nobody/roles", json={"roles": ["officer"]}, headers=ada)
    assert missing.status_code == 404
    assert "nobody" in missing.json()["detail"]
    self_disable = client.post("/api/users/ada/disable", headers=ada)
    assert self_disable.status_code == 409
    assert "your own account" in self_disable.json()["detail"]
    no_roles = client.post("/api/users", json={"name": "x", "password": PASSWORD}, headers=ada)
    assert no_roles.status_code == 422


# -- cameras ------------------------------------------------------------------------------------
def test_a_video_file_is_probed_registered_listed_and_removed(
    client: TestClient, clips: dict[str, Path]
) -> None:
    ada = login(client, "ada")

    body = camera("door-1", clips["hd"], owner="acme", name="Door 1", lat=45.8, lon=15.97)
    added = client.post("/api/cameras", json=body, headers=ada)
    assert added.status_code == 201, added.text
    created = added.json()
    assert created["warnings"] == []
    assert (created["probe"]["width_px"], created["probe"]["height_px"]) == (1280, 720)
    assert created["probe"]["fps"] == pytest.approx(25, abs=0.5)
    assert created["probe"]["codec"] == "h264"
    assert (created["forced"], created["has_credentials"]) == (False, False)

    listed = client.get("/api/cameras", headers=login(client, "olga")).json()  # officers view
    assert (listed["count"], listed["cap"], listed["analysed"]) == (1, 8, ["door-1"])
    (row,) = listed["data"]
    assert (row["id"], row["name"], row["owner"]) == ("door-1", "Door 1", "acme")
    assert (row["assignment"], row["health"]) == ("analysed", None)

    removed = client.delete("/api/cameras/door-1", headers=ada)
    assert removed.status_code == 200
    assert removed.json()["id"] == "door-1"
    assert client.get("/api/cameras", headers=ada).json()["count"] == 0
    again = client.delete("/api/cameras/door-1", headers=ada)
    assert again.status_code == 404
    assert "door-1" in again.json()["detail"]


def test_a_third_party_camera_below_the_bar_is_refused_naming_what_was_measured(
    client: TestClient, clips: dict[str, Path]
) -> None:
    ada = login(client, "ada")

    refused = client.post(
        "/api/cameras", json=camera("shop-1", clips["small"], owner="acme"), headers=ada
    )
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert "640x360" in detail and "1280x720" in detail
    assert "onboarding" in detail
    assert client.get("/api/cameras", headers=ada).json()["count"] == 0

    forced = client.post(
        "/api/cameras", json=camera("shop-1", clips["small"], owner="acme", force=True), headers=ada
    )
    assert forced.status_code == 201, forced.text
    assert forced.json()["forced"] is True
    assert any("640x360" in warning for warning in forced.json()["warnings"])
    city = client.post("/api/cameras", json=camera("city-1", clips["small"]), headers=ada)
    assert city.status_code == 201, city.text  # the city's own cameras are not held to the bar
    assert city.json()["warnings"] == []


def test_probing_a_file_reports_whether_it_passes_onboarding(
    client: TestClient, clips: dict[str, Path]
) -> None:
    olga = login(client, "olga")

    good = client.post("/api/cameras/probe", json={"url": str(clips["hd"])}, headers=olga).json()
    small = client.post("/api/cameras/probe", json={"url": str(clips["small"])}, headers=olga)
    assert (good["width_px"], good["third_party_ok"], good["problems"]) == (1280, True, [])
    assert small.json()["third_party_ok"] is False
    assert "640x360" in small.json()["problems"][0]
    assert client.get("/api/cameras", headers=olga).json()["count"] == 0  # nothing registered


def test_camera_input_errors_are_clear(client: TestClient) -> None:
    ada = login(client, "ada")

    missing = client.post("/api/cameras", json=camera("door-1", "/no/such/clip.mp4"), headers=ada)
    assert missing.status_code == 422
    assert "/no/such/clip.mp4" in missing.json()["detail"]
    bad_id = client.post("/api/cameras", json=camera("Door 1", SECRET_URL, force=True), headers=ada)
    assert bad_id.status_code == 422
    assert "slug" in bad_id.json()["detail"]
    half_place = client.post(
        "/api/cameras", json=camera("door-1", SECRET_URL, lat=45.8), headers=ada
    )
    assert half_place.status_code == 422
    assert "give both latitude and longitude" in half_place.json()["detail"]


def test_camera_credentials_never_come_back(client: TestClient) -> None:
    ada, aud = login(client, "ada"), login(client, "aud")
    texts: list[str] = []

    refused = client.post("/api/cameras", json=camera("gate-1", SECRET_URL), headers=ada)
    assert refused.status_code == 422  # unreachable, and not forced
    assert "cannot open" in refused.json()["detail"]
    texts.append(refused.text)
    added = client.post("/api/cameras", json=camera("gate-1", SECRET_URL, force=True), headers=ada)
    assert added.status_code == 201, added.text
    assert added.json()["url"] == "rtsp://127.0.0.1:9/x"
    assert added.json()["has_credentials"] is True
    assert added.json()["warnings"]  # why it was forced: the probe failed
    texts.append(added.text)
    listed = client.get("/api/cameras", headers=ada)
    assert listed.json()["data"][0]["url"] == "rtsp://127.0.0.1:9/x"
    texts.append(listed.text)
    probed = client.post("/api/cameras/probe", json={"url": SECRET_URL}, headers=ada)
    assert probed.status_code == 422
    texts.append(probed.text)
    # Request validation quotes the body it refused: the URL must not ride along.
    for body in (
        {"url": SECRET_URL},
        {**camera("gate-2", SECRET_URL), "lat": "north"},
        {**camera("gate-2", SECRET_URL), "lat": 1.0},
    ):
        invalid = client.post("/api/cameras", json=body, headers=ada)
        assert invalid.status_code == 422
        texts.append(invalid.text)
    texts.append(client.get("/api/audit/events", headers=aud).text)
    texts.append(client.delete("/api/cameras/gate-1", headers=ada).text)

    for text in texts:
        assert "s3cret" not in text


# -- audit log ----------------------------------------------------------------------------------
def test_the_audit_log_verifies_and_tampering_names_the_first_bad_record(
    client: TestClient, home: Path
) -> None:
    aud = login(client, "aud")
    intact = client.get("/api/audit/verify", headers=aud).json()
    assert (intact["ok"], intact["first_bad_sequence"], intact["problem"]) == (True, None, "")
    assert intact["records"] == intact["head_sequence"] > 3
    assert client.get("/api/audit/verify", headers=login(client, "ada")).json()["ok"] is True

    with sqlite3.connect(home / "citywatch.db") as db:
        db.execute("DROP TRIGGER audit_log_is_append_only_update")
        db.execute("UPDATE audit_log SET actor = 'mallory' WHERE sequence = 3")
    db.close()

    tampered = client.get("/api/audit/verify", headers=aud)
    assert tampered.status_code == 200
    report = tampered.json()
    assert (report["ok"], report["first_bad_sequence"]) == (False, 3)
    assert "record 3 was changed" in report["problem"]


def test_audit_events_page_in_order_and_reading_them_is_audited(client: TestClient) -> None:
    aud = login(client, "aud")

    first = client.get("/api/audit/events?limit=3", headers=aud).json()
    assert first["count"] == 3
    assert [e["sequence"] for e in first["data"]] == [1, 2, 3]
    assert first["data"][0]["action"] == "user.bootstrap"
    page = client.get("/api/audit/events?after=3&limit=2", headers=aud).json()
    assert [e["sequence"] for e in page["data"]] == [4, 5]
    assert page["data"][0]["previous_hash"] == first["data"][2]["hash"]
    rest = client.get("/api/audit/events?after=5", headers=aud).json()["data"]
    assert rest[-1]["action"] == "audit.export"  # the export records itself before it reads
    assert rest[-1]["actor"] == "aud"
    assert client.get("/api/audit/events?limit=0", headers=aud).status_code == 422
    assert client.get("/api/audit/events?after=-1", headers=aud).status_code == 422


def test_a_checkpoint_is_signed_and_then_counted_by_verification(client: TestClient) -> None:
    aud = login(client, "aud")

    signed = client.post("/api/audit/checkpoints", headers=aud)
    assert signed.status_code == 201, signed.text
    body = signed.json()
    assert set(body) == {"sequence", "head_hash", "signed_at", "public_key", "signature"}
    assert len(body["signature"]) == 128
    assert checkpoint_valid(checkpoint_from_json(body, "the response"))
    report = client.get("/api/audit/verify", headers=aud).json()
    assert (report["ok"], report["checkpoints"]) == (True, 1)
    assert report["records"] > body["sequence"]


# -- transparency -------------------------------------------------------------------------------
def test_the_transparency_report_counts_without_names(client: TestClient) -> None:
    olga, sam, aud = login(client, "olga"), login(client, "sam"), login(client, "aud")
    case = {
        "reference": "2026/SECRET-REF-9",
        "category": "missing_person",
        "legal_basis": "Order 17/2026 of the city court",
        "scope": {"camera_ids": ["door-1"]},
        "expires_at": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
    }
    assert client.post("/api/cases", json=case, headers=olga).status_code == 201
    assert client.post("/api/cases/2026/SECRET-REF-9/approve", headers=sam).status_code == 200
    client.post("/api/auth/login", json={"name": "olga", "password": "wrong guess"})
    client.get("/api/users", headers=olga)  # refused, and counted
    today = datetime.now(UTC).date().isoformat()

    response = client.get(f"/api/reports/transparency?from={today}&to={today}", headers=aud)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["cases_created"] == {"missing_person": 1}
    assert report["cases_approved"] == 1
    assert report["cases_active_at_end"] == {"missing_person": 1}
    assert (report["failed_logins"], report["refusals"]) == (1, 1)
    assert report["ends_at"].startswith((datetime.now(UTC) + timedelta(days=1)).date().isoformat())
    for name in ("olga", "sam", "ada", "SECRET-REF", "door-1", "Order 17"):
        assert name not in response.text
    by_sam = client.get(f"/api/reports/transparency?from={today}&to={today}", headers=sam)
    assert by_sam.status_code == 200


def test_the_watchlists_held_are_those_of_the_periods_end_not_of_today(
    client: TestClient,
) -> None:
    olga, sam, aud = login(client, "olga"), login(client, "sam"), login(client, "aud")
    case = {
        "reference": "C-HELD",
        "category": "missing_person",
        "legal_basis": "Order 18/2026 of the city court",
        "scope": {"camera_ids": ["door-1"]},
        "expires_at": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
    }
    client.post("/api/cases", json=case, headers=olga)
    client.post("/api/cases/C-HELD/approve", headers=sam)
    watchlist = {"name": "held", "case": "C-HELD"}
    assert client.post("/api/watchlists", json=watchlist, headers=olga).status_code == 201
    today = datetime.now(UTC).date().isoformat()

    then = client.get("/api/reports/transparency?from=2020-01-01&to=2020-01-31", headers=aud)
    now = client.get(f"/api/reports/transparency?from={today}&to={today}", headers=aud)

    assert then.json()["watchlists"] == {}
    assert now.json()["watchlists"] == {
        "missing_person.watchlists": 1,
        "missing_person.people": 0,
        "missing_person.photos": 0,
    }


def test_a_transparency_period_must_end_after_it_starts(client: TestClient) -> None:
    aud = login(client, "aud")

    backwards = client.get("/api/reports/transparency?from=2026-02-01&to=2026-01-01", headers=aud)
    assert backwards.status_code == 422
    assert "2026-01-02" in backwards.json()["detail"]
    not_a_date = client.get("/api/reports/transparency?from=soon&to=2026-01-01", headers=aud)
    assert not_a_date.status_code == 422
    assert client.get("/api/reports/transparency?to=2026-01-01", headers=aud).status_code == 422


# -- settings -----------------------------------------------------------------------------------
def test_an_admin_changes_a_setting_and_the_change_is_audited(
    client: TestClient, home: Path
) -> None:
    ada = login(client, "ada")
    before = client.get("/api/settings", headers=ada).json()
    assert before["max_analysed_cameras"] == 8
    assert before["home"] == str(home)

    changed = client.put("/api/settings/max_analysed_cameras", json={"value": "3"}, headers=ada)
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"setting": "max_analysed_cameras", "old": 8, "new": 3}
    assert client.get("/api/settings", headers=ada).json()["max_analysed_cameras"] == 3
    assert client.get("/api/cameras", headers=ada).json()["cap"] == 3
    assert "max_analysed_cameras = 3" in (home / "config.toml").read_text(encoding="utf-8")
    flag = client.put("/api/settings/flip", json={"value": False}, headers=ada)
    assert flag.json() == {"setting": "flip", "old": True, "new": False}

    records = [e for e in audit_events(client) if e["action"] == "settings.change"]
    assert [(e["actor"], e["object"], e["details"]) for e in records] == [
        ("ada", "setting:max_analysed_cameras", {"old": "8", "new": "3"}),
        ("ada", "setting:flip", {"old": "True", "new": "False"}),
    ]


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("max_analysed_cameras", "many", "expected a int"),
        ("max_analysed_cameras", "-1", "must be >= 0"),
        ("rtsp_transport", "carrier-pigeon", "'tcp' or 'udp'"),
        ("no_such_setting", "1", "unknown setting"),
        ("home", "/tmp", "home"),
    ],
)
def test_a_bad_setting_is_422_naming_it_and_changes_nothing(
    client: TestClient, home: Path, key: str, value: str, words: str
) -> None:
    ada = login(client, "ada")

    refused = client.put(f"/api/settings/{key}", json={"value": value}, headers=ada)
    assert refused.status_code == 422
    assert words in refused.json()["detail"]
    assert client.get("/api/settings", headers=ada).json()["max_analysed_cameras"] == 8
    assert not (home / "config.toml").exists()
    assert not [e for e in audit_events(client) if e["action"] == "settings.change"]


def test_the_settings_schema_lists_every_setting() -> None:
    assert set(SettingsPublic.model_fields) == {f.name for f in fields(Settings)}
