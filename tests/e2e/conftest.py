"""Browser tests: the real app (the API and the web UI) served by uvicorn on 127.0.0.1 in a
background thread, over a copy of the API tests' alerting home with reviewers and an auditor
added, driven by Debian's Chromium through Playwright (never `playwright install`).

Screenshots go under each test's `tmp_path`; set `CITYWATCH_ARTIFACTS=DIR` to keep copies.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, Response, sync_playwright

from citywatch.api import create_app
from citywatch.config import load_settings
from citywatch.services import build_services
from tests.api.conftest import PASSWORD, alerting_template, raise_alert

__all__ = ["PASSWORD", "alerting_template", "raise_alert"]

DATA_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data"
"""The real images and video (`../shared/data`); tests that need them skip without them."""

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# Read now: the site fixture clears every CITYWATCH_ variable so that settings come from the home.
ARTIFACTS = os.environ.get("CITYWATCH_ARTIFACTS")
START_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class Site:
    url: str
    home: Path
    first_alert: int
    """An alert of olga's case, raised before the server started."""


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} is missing: the browser tests drive Debian's Chromium; install it with "
            "'apt-get install chromium' (or 'make system-deps')"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def web_template(alerting_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The alerting home plus reviewers rita and rob, auditor audrey, and one alert (olga's)."""
    home = tmp_path_factory.mktemp("web") / "home"
    shutil.copytree(alerting_template, home)
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name in list(os.environ):
            if name.startswith("CITYWATCH_"):
                monkeypatch.delenv(name)
        services = build_services(load_settings(home))
        try:
            services.authenticate("ada", PASSWORD)
            services.add_user("rita", PASSWORD, ["reviewer"])
            services.add_user("rob", PASSWORD, ["reviewer"])
            services.add_user("audrey", PASSWORD, ["auditor"])
        finally:
            services.close()
        raise_alert(home, "olga", "door-1")
    return home


class LiveServer:
    """uvicorn serving `app` on a socket bound here, so the port is known before it starts."""

    def __init__(self, app: object) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        config = uvicorn.Config(
            app,  # type: ignore[arg-type]
            log_level="warning",
            access_log=False,
            ws="none",
            lifespan="off",
            timeout_graceful_shutdown=5,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start on {self.url}")
            time.sleep(0.02)  # polling the server's own flag: there is no event to wait on

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()


@pytest.fixture
def site(web_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    for name in list(os.environ):
        if name.startswith("CITYWATCH_"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    shutil.copytree(web_template, home)
    app = create_app(load_settings(home))
    server = LiveServer(app)
    server.start()
    try:
        yield Site(server.url, home, first_alert=1)
    finally:
        server.stop()


OpenAs = Callable[..., Page]


@pytest.fixture
def open_as(site: Site, chromium: Browser) -> Iterator[OpenAs]:
    """`open_as("rita")`: a page in a browser context of its own, signed in as that user
    (`open_as(None)`: not signed in). Contexts close before the server stops."""
    contexts = []

    def opened(name: str | None, password: str = PASSWORD) -> Page:
        context = chromium.new_context(base_url=site.url)
        contexts.append(context)
        page = context.new_page()
        if name is not None:
            response = sign_in(page, name, password)
            assert response.status == 303, f"{name} could not sign in: {response.status}"
            page.wait_for_load_state()
        return page

    yield opened
    for context in contexts:
        context.close()


def sign_in(page: Page, name: str, password: str = PASSWORD) -> Response:
    """Fill in and send the login form; returns the response to the POST."""
    page.goto("/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    with page.expect_response(
        lambda r: r.url.split("?")[0].endswith("/login") and r.request.method == "POST"
    ) as posted:
        page.click("button[type=submit]")
    page.wait_for_load_state()
    return posted.value


Shot = Callable[[Page, str], Path]


@pytest.fixture
def shot(tmp_path: Path) -> Shot:
    """`shot(page, "wall")`: a full-page PNG under tmp_path (and CITYWATCH_ARTIFACTS)."""

    def taken(page: Page, name: str) -> Path:
        path = tmp_path / "artifacts" / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if ARTIFACTS:
            Path(ARTIFACTS).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(ARTIFACTS) / path.name)
        return path

    return taken


def shared_file(relative: str) -> Path:
    """A file of `../shared/data`, or a skip saying which one is missing."""
    path = DATA_DIR / relative
    if not path.is_file():
        pytest.skip(f"{path} is missing: this test needs the shared test data (../shared/data)")
    return path


def post_form(page: Page, action: str, fields: dict[str, str]) -> Response:
    """Submit a form the page does not offer, as a forged or hand-made request would."""
    with left(page), page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.evaluate(
            """([action, fields]) => {
                const form = document.createElement("form");
                form.method = "post";
                form.action = action;
                for (const [name, value] of Object.entries(fields)) {
                    const input = document.createElement("input");
                    input.type = "hidden";
                    input.name = name;
                    input.value = value;
                    form.append(input);
                }
                document.body.append(form);
                form.submit();
            }""",
            [action, fields],
        )
    return posted.value


@contextmanager
def left(page: Page) -> Iterator[None]:
    """The block makes the page load a new document: wait until it has (the POST's response
    arrives before the browser has replaced the page, so a next step could act on the old one)."""
    page.evaluate("() => { window.citywatchOldPage = true; }")
    yield
    page.wait_for_function("() => !window.citywatchOldPage")
    page.wait_for_load_state()


def csrf_of(page: Page) -> str:
    """The CSRF token of the page's first form (the page must have one)."""
    value = page.locator("input[name=csrf_token]").first.input_value()
    assert len(value) == 64
    return value


def submit(page: Page, form: str) -> Response:
    """Click the submit button of the form matching the selector `form`; the POST's response."""
    with left(page), page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.locator(f"{form} button[type=submit]").click()
    return posted.value
