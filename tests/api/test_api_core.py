"""The REST API in-process (FastAPI's TestClient) on a real SQLite home, with real scrypt.

The cast (admin `ada`, officers `olga` and `oleg`, supervisor `sam`, reviewers `rita` and `rob`,
auditor `aud`) is made once per module through the services, as the CLI would; every test then
talks HTTP only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from citywatch.api import create_app
from citywatch.config import load_settings

from .conftest import PASSWORD, cast_home, clear_environment, copy_home, login

CAST = {
    "olga": ["officer"],
    "oleg": ["officer"],
    "sam": ["supervisor"],
    "rita": ["reviewer"],
    "rob": ["reviewer"],
    "aud": ["auditor"],
}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("api") / "home"
    with pytest.MonkeyPatch.context() as monkeypatch:
        clear_environment(monkeypatch)
        cast_home(home, CAST).close()
    return home


@pytest.fixture
def client(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    home = copy_home(template, tmp_path, monkeypatch)
    with TestClient(create_app(load_settings(home))) as test_client:
        yield test_client


def new_case(reference: str = "2026/CR-1187", cameras: list[str] | None = None) -> dict[str, Any]:
    return {
        "reference": reference,
        "category": "missing_person",
        "legal_basis": "Order 17/2026 of the city court",
        "scope": {"camera_ids": cameras or ["theatre-1"], "groups": ["centre"]},
        "expires_at": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
    }


def test_the_openapi_document_is_valid_and_lists_the_resources(client: TestClient) -> None:
    document = client.get("/api/openapi.json").json()

    validate(document)
    paths = set(document["paths"])
    assert {"/api/auth/login", "/api/cases", "/api/watchlists", "/api/alerts"} <= paths
    assert "/api/alerts/{alert_id}/reviews" in paths


def test_the_api_page_works_offline_from_packaged_files(client: TestClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(url.startswith("/") for url in sources), sources
    assert "/api/openapi.json" in page.text
    script = client.get("/api/docs/files/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert b"SwaggerUIBundle" in script.content
    assert client.get("/api/docs/files/swagger-ui.css").status_code == 200
    assert client.get("/api/docs/files/..%2F__init__.py").status_code == 404


def test_login_gives_a_token_and_a_wrong_password_is_401_and_audited(client: TestClient) -> None:
    headers = login(client, "olga")
    assert client.get("/api/auth/me", headers=headers).json() == {
        "name": "olga",
        "roles": ["officer"],
        "disabled": False,
    }

    refused = client.post("/api/auth/login", json={"name": "olga", "password": "wrong guess"})
    assert refused.status_code == 401
    assert "login failed" in refused.json()["detail"]

    events = client.get("/api/audit/events", headers=login(client, "aud")).json()["data"]
    failed = [e for e in events if e["action"] == "login.failed"]
    assert [(e["actor"], e["object"]) for e in failed] == [("olga", "user:olga")]


def test_guessing_passwords_is_stopped_after_five_misses_without_checking_more(
    client: TestClient,
) -> None:
    for _ in range(5):
        guess = client.post("/api/auth/login", json={"name": "olga", "password": "guess"})
        assert guess.status_code == 401
    blocked = client.post("/api/auth/login", json={"name": "olga", "password": "guess"})
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["retry-after"]) <= 60
    assert "too many failed logins" in blocked.json()["detail"]
    # Even the right password waits: the block is checked before any password is.
    right = client.post("/api/auth/login", json={"name": "olga", "password": PASSWORD})
    assert right.status_code == 429
    # The auditor, from another address, sees the five misses (the refused attempts were never
    # checked, so they are not failed logins).
    with TestClient(client.app, client=("10.9.9.9", 50000)) as elsewhere:
        events = elsewhere.get("/api/audit/events", headers=login(elsewhere, "aud")).json()
    failed = [e for e in events["data"] if e["action"] == "login.failed"]
    assert len(failed) == 5


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic b2xnYTp4"}],
)
def test_no_valid_token_is_401_with_a_message(client: TestClient, headers: dict[str, str]) -> None:
    response = client.get("/api/cases", headers=headers)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["detail"]


def test_a_logged_out_token_no_longer_works(client: TestClient) -> None:
    headers = login(client, "olga")
    assert client.post("/api/auth/logout", headers=headers).status_code == 204

    assert client.get("/api/auth/me", headers=headers).status_code == 401


def test_a_case_is_created_by_an_officer_and_approved_by_a_supervisor(client: TestClient) -> None:
    olga, sam = login(client, "olga"), login(client, "sam")

    created = client.post("/api/cases", json=new_case(), headers=olga)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "draft"
    assert created.json()["requested_by"] == "olga"

    # The reference holds a slash: it is one path segment for the API all the same.
    approved = client.post("/api/cases/2026/CR-1187/approve", headers=sam)
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["approved_by"]) == ("active", "sam")
    shown = client.get("/api/cases/2026/CR-1187", headers=olga).json()
    assert shown["scope"]["camera_ids"] == ["theatre-1"]


@pytest.mark.parametrize(
    ("user", "status"),
    [("ada", 403), ("rita", 403), ("aud", 403), ("sam", 403)],
)
def test_only_officers_create_cases(client: TestClient, user: str, status: int) -> None:
    response = client.post("/api/cases", json=new_case(), headers=login(client, user))

    assert response.status_code == status
    assert "may not case.create" in response.json()["detail"]


def test_a_case_with_bad_fields_is_422_naming_the_field(client: TestClient) -> None:
    olga = login(client, "olga")
    bad_category = {**new_case(), "category": "curiosity"}
    no_scope = {**new_case(), "scope": {}}
    too_long = {**new_case(), "expires_at": (datetime.now(UTC) + timedelta(days=400)).isoformat()}

    for body, words in ((bad_category, "category"), (no_scope, "scope"), (too_long, "expiry")):
        response = client.post("/api/cases", json=body, headers=olga)
        assert response.status_code == 422, body
        assert words in response.json()["detail"]
    assert client.post("/api/cases", json={"reference": "x"}, headers=olga).status_code == 422


def test_nobody_approves_their_own_case_and_a_draft_takes_no_watchlist(client: TestClient) -> None:
    olga = login(client, "olga")
    client.post("/api/cases", json=new_case("C-1"), headers=olga)

    watchlist = {"name": "missing", "case": "C-1"}
    assert client.post("/api/watchlists", json=watchlist, headers=olga).status_code == 403
    assert client.post("/api/cases/C-1/approve", headers=olga).status_code == 403
    assert client.post("/api/cases/C-1/approve", headers=login(client, "sam")).status_code == 200
    created = client.post("/api/watchlists", json=watchlist, headers=olga)
    assert created.status_code == 201, created.text
    assert created.json()["case"] == "C-1"


def test_an_officer_sees_and_uses_only_own_cases(client: TestClient) -> None:
    olga, oleg, sam = login(client, "olga"), login(client, "oleg"), login(client, "sam")
    client.post("/api/cases", json=new_case("C-OLGA"), headers=olga)
    client.post("/api/cases/C-OLGA/approve", headers=sam)

    assert client.get("/api/cases", headers=oleg).json() == {"data": [], "count": 0}
    # Someone else's case answers exactly as a case that does not exist: not even its existence.
    unknown = client.get("/api/cases/C-NONE", headers=oleg)
    theirs = client.get("/api/cases/C-OLGA", headers=oleg)
    assert (theirs.status_code, unknown.status_code) == (404, 404)
    assert theirs.json()["detail"] == unknown.json()["detail"].replace("C-NONE", "C-OLGA")
    grab = {"name": "theirs", "case": "C-OLGA"}
    assert client.post("/api/watchlists", json=grab, headers=oleg).status_code == 404
    assert client.post("/api/cases/C-OLGA/close", json={}, headers=oleg).status_code == 404
    assert client.get("/api/cases", headers=sam).json()["count"] == 1
    # A supervisor sees every case, so may be told why an action is refused.
    assert client.post("/api/cases/C-OLGA/close", json={}, headers=sam).status_code == 200


def test_unknown_ids_are_404_naming_them(client: TestClient) -> None:
    rita = login(client, "rita")

    response = client.get("/api/alerts/999", headers=rita)
    assert response.status_code == 404
    assert "999" in response.json()["detail"]
    missing = client.get("/api/cases/NOPE", headers=login(client, "sam"))
    assert missing.status_code == 404
    assert "NOPE" in missing.json()["detail"]


def test_a_closed_case_is_closed_for_good(client: TestClient) -> None:
    olga, sam = login(client, "olga"), login(client, "sam")
    client.post("/api/cases", json=new_case("C-2"), headers=olga)
    client.post("/api/cases/C-2/approve", headers=sam)

    closed = client.post("/api/cases/C-2/close", json={"reason": "found"}, headers=olga)
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    again = client.post("/api/cases/C-2/close", json={}, headers=olga)
    assert again.status_code == 403
    assert "already closed" in again.json()["detail"]
    reopened = client.post("/api/cases/C-2/approve", headers=sam)
    assert reopened.status_code == 403


def test_alerts_are_refused_to_auditors_and_admins(client: TestClient) -> None:
    for user in ("aud", "ada"):
        response = client.get("/api/alerts", headers=login(client, user))
        assert response.status_code == 403
    assert client.get("/api/alerts", headers=login(client, "rita")).json() == {
        "data": [],
        "count": 0,
    }
    bad = client.get("/api/alerts?status=maybe", headers=login(client, "rita"))
    assert bad.status_code == 422


def test_a_watchlist_has_a_colour_and_a_priority_for_the_wall(client: TestClient) -> None:
    olga, sam = login(client, "olga"), login(client, "sam")
    client.post("/api/cases", json=new_case("C-3"), headers=olga)
    client.post("/api/cases/C-3/approve", headers=sam)

    plain = client.post("/api/watchlists", json={"name": "kids", "case": "C-3"}, headers=olga)
    assert plain.status_code == 201, plain.text
    # A missing-person case: blue unless said otherwise; normal priority.
    assert (plain.json()["colour"], plain.json()["priority"]) == ("#1971c2", "normal")
    chosen = {"name": "elderly", "case": "C-3", "colour": "#2F9E44", "priority": "urgent"}
    styled = client.post("/api/watchlists", json=chosen, headers=olga)
    assert (styled.json()["colour"], styled.json()["priority"]) == ("#2f9e44", "urgent")
    for field, value, words in (
        ("colour", "red", "colour 'red' is not usable; expected #rrggbb"),
        ("priority", "asap", "priority 'asap' is not one of low, normal, high, urgent"),
    ):
        bad = {"name": f"bad-{field}", "case": "C-3", field: value}
        refused = client.post("/api/watchlists", json=bad, headers=olga)
        assert refused.status_code == 422
        assert words in refused.json()["detail"]
    names = [w["name"] for w in client.get("/api/watchlists", headers=olga).json()["data"]]
    assert sorted(names) == ["elderly", "kids"]
