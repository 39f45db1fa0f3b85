"""The whole flow in a real browser against the real service: `citywatch serve` as a child process
(the web UI, the API and the camera runtime), a home holding nothing but its users, and every
step after that taken through the pages, each by the user whose job it is.

An officer requests a case whose scope is the camera to come and a supervisor approves it; the
officer creates a watchlist in it and uploads a photo of Walker A (from the walking video); a
reviewer opens the alert wall; the admin adds a file-backed camera that loops the walking video;
the alert appears on the open wall by itself (SSE), with the evidence crop and the enrolled photo;
two reviewers confirm it and the wall shows it confirmed; the auditor finds the chain intact and
each step recorded. Every page is saved as a screenshot (the `shot` fixture).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Response, expect

from citywatch.config import load_settings
from citywatch.services import build_services
from tests.integration.conftest import (  # noqa: F401  (fixtures, used by name)
    PASSWORD,
    WALKERS_VIDEO,
    data_dir,
    detector,
    walker_photo,
    walkers,
)
from tests.integration.test_live_cameras import GAP_S, THRESHOLD, with_gap
from tests.integration.test_serve import Served

from .conftest import Shot, sign_in, submit

pytestmark = pytest.mark.slow

CAST = {
    "olga": ["officer"],
    "sam": ["supervisor"],
    "rita": ["reviewer"],
    "rob": ["reviewer"],
    "aud": ["auditor"],
}
"""The users besides `ops`, the first admin, who serves (`Served` runs serve as `ops`)."""
CASE = "2026/CR-1187"
CAMERA = "arcade-1"
WATCHLIST = "walkers-missing"
PERSON = "Walker A"
ALERT_TIMEOUT_MS = 120_000
"""The camera registry's next look (5 s), a worker's start (models) and Walker A's first pass,
on a busy two-core machine."""
PAGE_TIMEOUT_MS = 20_000
"""A page or a live update on the same machine while the camera is being analysed."""
STOP_TIMEOUT_S = 60.0


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A new home with its users only (made through the services, audited); nothing else."""
    for name in list(os.environ):
        if name.startswith("CITYWATCH_"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    services = build_services(load_settings(home))
    try:
        services.bootstrap("ops", PASSWORD)
        for name, roles in CAST.items():
            services.add_user(name, PASSWORD, roles)
    finally:
        services.close()
    return home


@pytest.fixture
def served(home: Path, tmp_path: Path) -> Iterator[Served]:
    """`citywatch serve` run by the admin `ops`; killed with its workers if the test stops early."""
    server = Served(home, tmp_path / "serve.log")
    try:
        server.wait_until_up()
        yield server
    finally:
        if server.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=10)


@pytest.fixture
def browse(served: Served, chromium: Browser) -> Iterator[Callable[[str], Page]]:
    """`browse("rita")`: a page in a browser context of its own, signed in as that user.
    Contexts close before the server stops (the wall's event stream would hold it up)."""
    contexts: list[BrowserContext] = []

    def opened(name: str) -> Page:
        context = chromium.new_context(base_url=served.url)
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        response = sign_in(page, name, PASSWORD)
        assert response.status == 303, f"{name} could not sign in: {response.status}"
        return page

    yield opened
    for context in contexts:
        context.close()


def wait_for_image(page: Page, selector: str) -> None:
    """The image has loaded and decoded (a broken one has naturalWidth 0)."""
    page.wait_for_function(
        """(selector) => {
            const image = document.querySelector(selector);
            return !!image && image.complete && image.naturalWidth > 0;
        }""",
        arg=selector,
    )


def test_case_watchlist_camera_live_alert_two_reviews_and_the_audit_trail(
    served: Served,
    browse: Callable[[str], Page],
    shot: Shot,
    walker_photo: Path,  # noqa: F811  (the fixture imported above)
    data_dir: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    passes = with_gap(data_dir / WALKERS_VIDEO, tmp_path / "walkers-with-gap.mp4", GAP_S)

    # 1. The officer requests a case covering the camera.
    olga = browse("olga")
    olga.goto("/cases")
    olga.fill("form.grid input[name=reference]", CASE)
    olga.select_option("select[name=category]", "missing_person")
    olga.fill("input[name=legal_basis]", "Order 1187/2026 of the district court")
    olga.fill("input[name=cameras]", CAMERA)
    olga.fill("input[name=days]", "7")
    assert submit(olga, "form.grid").status == 200
    expect(olga.locator(".message")).to_have_text(
        f"case {CASE} requested; a supervisor must approve it before use"
    )
    requested = olga.locator(f'tr[data-case="{CASE}"]')
    expect(requested.locator(".state")).to_have_text("draft")
    expect(requested.locator("td").nth(4)).to_contain_text(CAMERA)
    shot(olga, "01-cases-requested")

    # 2. The supervisor approves it.
    sam = browse("sam")
    sam.goto("/cases")
    assert submit(sam, f'tr[data-case="{CASE}"] form[action="/cases/approve"]').status == 200
    expect(sam.locator(".message")).to_have_text(f"case {CASE} approved: now active")
    approved = sam.locator(f'tr[data-case="{CASE}"]')
    expect(approved.locator(".state")).to_have_text("active")
    expect(approved.locator("td").nth(6)).to_have_text("sam")
    shot(sam, "02-cases-approved")

    # 3. The officer creates a watchlist in it and enrols Walker A from one photo.
    olga.goto("/watchlists")
    olga.fill("input[name=name]", WATCHLIST)
    olga.select_option("select[name=case]", CASE)
    olga.fill("input[name=min_similarity]", str(THRESHOLD))
    olga.select_option("select[name=priority]", "high")
    assert submit(olga, "form.grid").status == 200
    expect(olga.locator(".message")).to_have_text(f"watchlist {WATCHLIST} created in case {CASE}")
    expect(olga.locator(f'tr[data-watchlist="{WATCHLIST}"] td').nth(3)).to_have_text("0.450")
    shot(olga, "03-watchlists")

    olga.locator(f'tr[data-watchlist="{WATCHLIST}"] a').click()
    expect(olga.locator("h1")).to_have_text(f"Watchlist {WATCHLIST}")
    olga.fill("input[name=person]", PERSON)
    olga.set_input_files("input[name=photos]", str(walker_photo))
    assert submit(olga, "form.grid").status == 200
    expect(olga.locator(".message")).to_have_text(
        f"1 of 1 photos of {PERSON} enrolled on {WATCHLIST}"
    )
    expect(olga.locator("table.results .outcome")).to_have_text(["enrolled"])
    expect(olga.locator(f'tr[data-person="{PERSON}"] td').nth(1)).to_have_text("1")
    shot(olga, "04-watchlist-enrolled")

    # 4. A reviewer opens the wall before any alert exists.
    wall = browse("rita")
    problems: list[str] = []
    images: dict[str, Response] = {}
    wall.on(
        "console",
        lambda m: problems.append(f"{m.text} {m.location}") if m.type == "error" else None,
    )
    wall.on("pageerror", lambda error: problems.append(str(error)))
    wall.on(
        "response",
        lambda r: images.__setitem__(r.url, r) if "/media/alerts/" in r.url else None,
    )
    expect(wall.locator("h1")).to_have_text("Alerts")
    expect(wall.locator("#live-state")).to_have_attribute("data-state", "live")
    expect(wall.locator("#alerts .alert-card")).to_have_count(0)
    expect(wall.locator("#no-alerts")).to_be_visible()
    wall.evaluate("() => { window.citywatchOpenedBeforeTheAlert = true; }")
    shot(wall, "05-wall-before")

    # 5. The admin adds a camera that loops the walking video (a file on the server).
    ops = browse("ops")
    ops.goto("/cameras")
    ops.fill("form.grid input[name=id]", CAMERA)
    ops.fill("input[name=name]", "Arcade, east entrance")
    ops.fill("input[name=url]", str(passes))
    expect(ops.locator("input[name=owner]")).to_have_value("city")
    assert submit(ops, "form.grid").status == 200
    expect(ops.locator(".message")).to_have_text(
        f"camera {CAMERA} added: passed the onboarding check"
    )
    expect(ops.locator(f'tr[data-camera="{CAMERA}"] .probe')).to_contain_text("1920×1080")
    shot(ops, "06-camera-added")

    # 6. The alert appears on the open wall by itself, both images loaded.
    card = wall.locator("#alerts .alert-card")
    expect(card).to_have_count(1, timeout=ALERT_TIMEOUT_MS)
    alert_id = card.get_attribute("data-alert-id")
    assert alert_id is not None and alert_id.isdigit()
    assert wall.evaluate("() => window.citywatchOpenedBeforeTheAlert === true"), "page reloaded"
    expect(wall.locator("#no-alerts")).to_be_hidden()
    expect(wall.locator("body")).to_have_attribute("data-chimes", "1")
    expect(card.locator("[data-field=person]")).to_have_text(PERSON)
    expect(card.locator("[data-field=camera]")).to_have_text(CAMERA)
    expect(card.locator("[data-field=watchlist]")).to_have_text(WATCHLIST)
    expect(card.locator("[data-field=priority]")).to_have_text("high")
    expect(card.locator("[data-field=case]")).to_have_text(CASE)
    expect(card.locator("[data-field=label]")).to_have_text(
        "unverified, do not act alone (0 of 2 confirmations)"
    )
    similarity = float(card.locator("[data-field=similarity]").inner_text())
    assert THRESHOLD <= similarity <= 1.0
    for kind in ("crop", "photo"):
        wait_for_image(wall, f'[data-alert-id="{alert_id}"] img.{kind}')
        url = f"{served.url}/media/alerts/{alert_id}/{kind}"
        response = images.get(url)
        assert response is not None, f"the wall never fetched {url}"
        assert response.status == 200
        assert response.headers["content-type"] == "image/jpeg"
    shot(wall, "07-wall-alert")

    ops.goto("/cameras")
    expect(ops.locator(f'tr[data-camera="{CAMERA}"] .health')).to_have_text("live")
    expect(ops.locator(f'tr[data-camera="{CAMERA}"] .assignment')).to_have_text("analysed")
    shot(ops, "08-camera-live")

    # 7. Two reviewers confirm it; the wall shows it confirmed.
    rita = wall.context.new_page()
    rita.goto("/review")
    expect(rita.locator(f'[data-alert-id="{alert_id}"] [data-field=person]')).to_have_text(PERSON)
    wait_for_image(rita, f'[data-alert-id="{alert_id}"] img.crop')
    wait_for_image(rita, f'[data-alert-id="{alert_id}"] img.photo')
    shot(rita, "09-review-queue")
    assert submit(rita, f'[data-alert-id="{alert_id}"] form:not(.reject)').status == 200
    expect(rita.locator(".message")).to_have_text(
        f"alert {alert_id} reviewed: now unverified, do not act alone (1 of 2 confirmations)"
    )
    label = card.locator("[data-field=label]")
    expect(label).to_have_text("unverified, do not act alone (1 of 2 confirmations)")
    shot(rita, "10-review-first")

    rob = browse("rob")
    rob.goto("/review")
    assert submit(rob, f'[data-alert-id="{alert_id}"] form:not(.reject)').status == 200
    expect(rob.locator(".message")).to_have_text(
        f"alert {alert_id} reviewed: now confirmed by 2 reviewers"
    )
    expect(rob.locator(f'[data-alert-id="{alert_id}"]')).to_have_count(0)
    shot(rob, "11-review-second")

    expect(label).to_have_text("confirmed by 2 reviewers")
    expect(card).to_have_class(re.compile(r"\bstatus-confirmed\b"))
    expect(wall.locator("#alerts .alert-card")).to_have_count(1)
    shot(wall, "12-wall-confirmed")
    assert problems == []

    # 8. The auditor finds the chain intact and every step recorded, each by its actor.
    aud = browse("aud")
    aud.goto("/audit")
    expect(aud.locator("#chain-status")).to_have_text("intact")
    records = aud.locator("table.audit tbody")
    steps = [  # action, actor, object, a detail
        ("case-create", "olga", f"case:{CASE}", f"scope=camera {CAMERA}"),
        ("case-approve", "sam", f"case:{CASE}", ""),
        ("watchlist-create", "olga", f"watchlist:{WATCHLIST}", f"min_similarity={THRESHOLD}"),
        ("person-enroll", "olga", "photo:1", f"person={PERSON}"),
        ("camera-add", "ops", f"camera:{CAMERA}", f"url={passes}"),
        ("runtime-start", "ops", "cameras", ""),
        # Live alerts are raised by the camera runtime itself, not by the admin who started it.
        ("alert-raise", "citywatch", f"alert:{alert_id}", f"camera={CAMERA}"),
    ]
    for action, actor, target, detail in steps:
        row = records.locator(f"tr.action-{action}")
        expect(row).to_have_count(1)
        expect(row.locator("td")).to_have_count(6)
        expect(row.locator("td").nth(2)).to_have_text(actor)
        expect(row.locator("td").nth(4)).to_have_text(target)
        expect(row.locator("td.details")).to_contain_text(detail)
    reviews = records.locator("tr.action-alert-review")
    expect(reviews.locator("td:nth-child(3)")).to_have_text(["rob", "rita"])  # newest first
    expect(reviews.locator("td:nth-child(5)")).to_have_text([f"alert:{alert_id}"] * 2)
    expect(reviews.locator("td.details")).to_contain_text(["decision=confirm", "decision=confirm"])
    shot(aud, "13-audit")

    for page in (olga, sam, wall, ops, rob, aud):
        page.context.close()
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=STOP_TIMEOUT_S) == 0, served.output()
    assert "ALERT" in served.output() and PERSON in served.output()
