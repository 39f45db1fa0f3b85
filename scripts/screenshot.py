"""Screenshot a page of a running citywatch as one user, for the README and docs.

    .venv/bin/python scripts/screenshot.py http://localhost:8080/ rita demo-password-2026 \
        docs/images/alert-wall.png [--wait-for ".card"]

Drives Debian's Chromium (/usr/bin/chromium) through Playwright, headless, like the browser tests.
"""

from __future__ import annotations

import argparse
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("user")
    parser.add_argument("password")
    parser.add_argument("output")
    parser.add_argument("--wait-for", default="", help="CSS selector to wait for first")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=800)
    arguments = parser.parse_args()
    parts = urlsplit(arguments.url)
    base = f"{parts.scheme}://{parts.netloc}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(
            base_url=base, viewport={"width": arguments.width, "height": arguments.height}
        )
        page.goto("/login")
        page.fill("input[name=name]", arguments.user)
        page.fill("input[name=password]", arguments.password)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        page.goto(arguments.url)
        if arguments.wait_for:
            page.wait_for_selector(arguments.wait_for, timeout=120_000)
        # The alert stream keeps the network busy, so wait for the pictures instead.
        page.wait_for_function("Array.from(document.images).every(image => image.complete)")
        page.screenshot(path=arguments.output)
        browser.close()
    print(f"saved {arguments.output}")


if __name__ == "__main__":
    main()
