"""The operators' web UI in a real browser: signing in, the live alert wall, two-person review,
cases, the audit page, and the guards (roles, CSRF tokens, login throttling)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from citywatch import web
from citywatch.api import create_app
from citywatch.config import load_settings
from citywatch.storage import open_store

from .conftest import PASSWORD, OpenAs, Shot, Site, csrf_of, post_form, raise_alert, sign_in

LIVE_S = 10_000  # ms: the longest a live update may take to show


def card(page: Page, alert_id: int) -> Any:
    return page.locator(f'.alert-card[data-alert-id="{alert_id}"]')


def wait_for_images(page: Page, alert_id: int) -> None:
    """Both images of the alert's card have loaded (a broken image has naturalWidth 0)."""
    for kind in ("crop", "photo"):
        page.wait_for_function(
            """(selector) => {
                const image = document.querySelector(selector);
                return !!image && image.complete && image.naturalWidth > 0;
            }""",
            arg=f'[data-alert-id="{alert_id}"] img.{kind}',
            timeout=LIVE_S,
        )


def test_a_reviewer_sees_alerts_with_both_images_and_new_ones_arrive_live(
    site: Site, open_as: OpenAs, shot: Shot
) -> None:
    page = open_as(None)
    requested: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on(
        "console",
        lambda m: problems.append(f"{m.text} {m.location}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    assert sign_in(page, "rita").status == 303

    expect(page).to_have_url(f"{site.url}/")
    expect(page.locator("nav a")).to_have_text(["Alerts", "Review", "Cases", "Cameras", "Map"])
    existing = card(page, site.first_alert)
    expect(existing.locator("[data-field=label]")).to_contain_text("unverified, do not act alone")
    expect(existing.locator("[data-field=camera]")).to_have_text("door-1")
    expect(existing.locator("[data-field=watchlist]")).to_have_text("list-olga")
    expect(existing.locator("[data-field=priority]")).to_have_text("normal")
    expect(existing.locator("[data-field=colour]")).to_have_attribute("fill", "#c92a2a")
    wait_for_images(page, site.first_alert)
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live")

    new_alert = raise_alert(site.home, "olga", "door-1")

    arrived = card(page, new_alert)
    expect(arrived).to_be_visible(timeout=LIVE_S)
    expect(arrived.locator("[data-field=label]")).to_contain_text("unverified, do not act alone")
    expect(arrived.locator("[data-field=similarity]")).to_have_text("0.900")
    expect(arrived.locator("[data-field=case]")).to_have_text("C-olga")
    expect(arrived.locator("[data-field=priority]")).to_have_text("normal")
    expect(arrived.locator("[data-field=colour]")).to_have_attribute("fill", "#c92a2a")
    wait_for_images(page, new_alert)
    expect(page.locator("body")).to_have_attribute("data-chimes", "1")
    assert page.locator("#alerts .alert-card").first.get_attribute("data-alert-id") == str(
        new_alert
    )
    shot(page, "wall")
    assert [url for url in requested if not url.startswith((site.url, "data:"))] == []
    assert problems == []

    session = [c for c in page.context.cookies() if c["name"] == "citywatch_session"]
    assert session and session[0]["httpOnly"] and session[0]["sameSite"] == "Strict"
    page.goto("/logout")
    expect(page.locator(".message")).to_have_text("you are signed out")
    page.context.add_cookies(session)  # the old cookie no longer opens anything
    page.goto("/")
    expect(page).to_have_url(f"{site.url}/login?next=%2F")


def test_two_reviewers_confirm_an_alert_and_every_wall_shows_it_confirmed(
    site: Site, open_as: OpenAs, shot: Shot
) -> None:
    wall = open_as("rita")
    expect(wall.locator("#live-state")).to_have_attribute("data-state", "live")
    rita = wall.context.new_page()
    rita.goto("/review")
    rita.locator(f'[data-alert-id="{site.first_alert}"] button.confirm').click()
    expect(rita.locator(".message")).to_contain_text("(1 of 2 confirmations)")

    rita.locator(f'[data-alert-id="{site.first_alert}"] button.confirm').click()
    expect(rita.locator(".error")).to_contain_text(
        f"you already confirmed alert {site.first_alert}"
    )

    rob = open_as("rob")
    rob.goto("/review")
    shot(rob, "review")
    rob.locator(f'[data-alert-id="{site.first_alert}"] button.confirm').click()
    expect(rob.locator(".message")).to_contain_text("now confirmed by 2 reviewers")
    expect(card(rob, site.first_alert)).to_have_count(0)  # no longer waiting for review

    label = card(wall, site.first_alert).locator("[data-field=label]")
    expect(label).to_have_text("confirmed by 2 reviewers", timeout=LIVE_S)
    expect(card(wall, site.first_alert)).to_have_class(re.compile(r"\bstatus-confirmed\b"))
    shot(wall, "wall-confirmed")


def test_a_rejection_needs_a_reason_and_is_shown_as_a_message(site: Site, open_as: OpenAs) -> None:
    rita = open_as("rita")
    rita.goto("/review")
    response = post_form(
        rita,
        f"/review/{site.first_alert}",
        {"decision": "reject", "note": " ", "csrf_token": csrf_of(rita)},
    )
    assert response.status == 422
    expect(rita.locator(".error")).to_contain_text("needs a reason")
    rejected = card(rita, site.first_alert)
    rejected.locator("input[name=note]").fill("different ears")
    rejected.locator("button.reject").click()
    expect(rita.locator(".message")).to_contain_text("now rejected")


def test_the_requesting_officer_sees_no_review_buttons_and_is_refused_a_review(
    site: Site, open_as: OpenAs, shot: Shot
) -> None:
    olga = open_as("olga")
    expect(olga.locator("nav a")).to_have_text(["Alerts", "Cases", "Watchlists", "Cameras", "Map"])
    olga.goto("/review")
    mine = card(olga, site.first_alert)
    expect(mine).to_be_visible()
    expect(mine.locator(".no-review")).to_be_visible()
    expect(olga.locator("button.confirm")).to_have_count(0)

    olga.goto("/cases")  # her page with a form, hence her CSRF token
    token = csrf_of(olga)
    response = post_form(
        olga, f"/review/{site.first_alert}", {"decision": "confirm", "csrf_token": token}
    )

    assert response.status == 403
    expect(olga.locator(".error")).to_contain_text("olga may not alert.review")
    shot(olga, "review-refused")


def test_an_auditor_sees_the_chain_intact_but_never_the_wall_or_a_face(
    site: Site, open_as: OpenAs, shot: Shot
) -> None:
    audrey = open_as("audrey")
    expect(audrey.locator("nav a")).to_have_text(
        ["Cases", "Cameras", "Map", "Transparency", "Audit"]
    )
    audrey.goto("/audit")
    expect(audrey.locator("#chain-status")).to_have_text("intact")
    expect(audrey.locator("table.audit")).to_contain_text("session.start")
    expect(audrey.locator("table.audit")).to_contain_text("alert.raise")
    shot(audrey, "audit")

    response = audrey.goto("/")
    assert response is not None and response.status == 403
    expect(audrey.locator("h1")).to_have_text("Not allowed")
    expect(audrey.locator("main p.error")).to_have_count(1)
    expect(audrey.locator(".error")).to_contain_text("audrey may not alert.view")
    shot(audrey, "wall-forbidden")
    image = audrey.request.get(f"/media/alerts/{site.first_alert}/crop")
    assert image.status == 403
    assert audrey.request.get("/events").status == 403


def test_the_audit_log_pages_back_to_its_first_record(
    site: Site, open_as: OpenAs, shot: Shot
) -> None:
    store = open_store(site.home)
    try:
        with store.transaction():
            for number in range(120):
                store.audit.append("rob", "test.record", f"item:{number}", None, {})
    finally:
        store.close()
    audrey = open_as("audrey")
    audrey.goto("/audit")
    rows = audrey.locator("table.audit tbody tr")
    expect(rows).to_have_count(50)
    newest = [int(n) for n in rows.locator("td:first-child").all_inner_texts()]
    assert newest == sorted(newest, reverse=True)
    seen = set(newest)
    while audrey.locator("#audit-older").count():
        audrey.click("#audit-older")
        expect(audrey.locator("h2")).to_have_text("Earlier records")
        numbers = [int(n) for n in rows.locator("td:first-child").all_inner_texts()]
        assert numbers and max(numbers) < min(seen)  # strictly older, no gap, no repeat
        assert max(numbers) == min(seen) - 1
        seen |= set(numbers)
    assert min(seen) == 1
    shot(audrey, "audit-first-page")
    audrey.click("#audit-newest")
    expect(audrey.locator("h2")).to_have_text("Latest records")


def test_forms_without_their_csrf_token_are_refused(site: Site, open_as: OpenAs) -> None:
    rita = open_as("rita")
    rita.goto("/review")
    for fields in ({"decision": "confirm"}, {"decision": "confirm", "csrf_token": "0" * 64}):
        response = post_form(rita, f"/review/{site.first_alert}", fields)
        assert response.status == 403
        expect(rita.locator(".error")).to_contain_text("security token is missing or wrong")
    rita.goto("/")
    label = card(rita, site.first_alert).locator("[data-field=label]")
    expect(label).to_contain_text("(0 of 2 confirmations)")

    stranger = open_as(None)
    stranger.goto("/login")
    response = post_form(stranger, "/login", {"name": "rita", "password": "x" * 20})
    assert response.status == 403
    expect(stranger.locator(".error")).to_contain_text("login form's security token")


def test_six_wrong_passwords_in_a_minute_get_a_429_page(
    site: Site, open_as: OpenAs, shot: Shot
) -> None:
    page = open_as(None)
    page.goto("/")
    expect(page).to_have_url(f"{site.url}/login?next=%2F")
    shot(page, "login")
    for _ in range(5):
        assert sign_in(page, "rob", "not-the-password-1").status == 401
        expect(page.locator(".error")).to_have_text(
            "wrong user name or password (or the account is disabled)"
        )

    assert sign_in(page, "rob", "not-the-password-1").status == 429
    expect(page.locator("h1")).to_have_text("Too many attempts")
    expect(page.locator(".error")).to_contain_text("too many failed logins")
    shot(page, "login-throttled")
    assert sign_in(page, "rob").status == 429  # even the right password waits


def test_many_names_tried_from_one_address_get_a_429_page(open_as: OpenAs) -> None:
    page = open_as(None)
    for number in range(5):
        assert sign_in(page, f"nobody-{number}", "guess-guess-guess").status == 401

    assert sign_in(page, "rita").status == 429


def test_an_officer_requests_a_case_and_a_supervisor_approves_it(
    site: Site, open_as: OpenAs, shot: Shot
) -> None:
    olga = open_as("olga")
    olga.goto("/cases")
    olga.fill("form.grid input[name=reference]", "2026/CR-77")
    olga.fill("input[name=legal_basis]", "Warrant 77/2026")
    olga.fill("input[name=cameras]", "door-1, door-2")
    olga.fill("input[name=days]", "ten")
    olga.click("form.grid button[type=submit]")
    expect(olga.locator(".error")).to_contain_text("'ten' is not a whole number of days")
    expect(olga.locator("form.grid input[name=reference]")).to_have_value("2026/CR-77")
    olga.fill("input[name=days]", "10")
    olga.click("form.grid button[type=submit]")
    expect(olga.locator(".message")).to_contain_text("case 2026/CR-77 requested")
    row = olga.locator('tr[data-case="2026/CR-77"]')
    expect(row.locator(".state")).to_have_text("draft")
    expect(row.locator("button.approve")).to_have_count(0)  # nobody approves their own request
    shot(olga, "cases-requested")

    sam = open_as("sam")
    sam.goto("/cases")
    expect(sam.locator("form.grid")).to_have_count(0)  # supervisors do not request cases
    sam.locator('tr[data-case="2026/CR-77"] button.approve').click()
    expect(sam.locator(".message")).to_have_text("case 2026/CR-77 approved: now active")
    expect(sam.locator('tr[data-case="2026/CR-77"] .state')).to_have_text("active")
    shot(sam, "cases")


def test_over_https_the_session_cookie_is_secure_and_next_never_leaves_the_site(
    web_template: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(web_template, home)
    app = create_app(load_settings(home))
    app.include_router(web.router)
    with TestClient(app, base_url="https://citywatch.test", follow_redirects=False) as client:
        form = client.get("/login?next=//evil.example/steal")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        assert 'name="next" value=""' in form.text  # the foreign target is dropped

        response = client.post(
            "/login",
            data={
                "name": "rita",
                "password": PASSWORD,
                "csrf_token": token.group(1),
                "next": "https://evil.example/",
            },
        )

    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("citywatch_session=")
    )
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "samesite"} <= attributes
    assert "samesite=strict" in cookie.lower()
