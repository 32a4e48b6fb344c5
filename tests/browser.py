"""The browser tests' shared parts: Debian's Chromium through Playwright against the real
run command (`fengqiao serve --demo`: waitress, collected static files, the CSP). The
fixtures are registered in conftest.py, so one server and one browser serve every browser
test module."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from fengqiao.demo.services import DEMO_PASSWORD
from tests.servers import environment, serving

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

# The marks of every browser test module (``pytestmark = BROWSER``).
BROWSER = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"
    ),
]


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """`fengqiao serve --demo` on a free port with its own SQLite database, one for the
    whole run (the demo load is the slow part); yields its URL and the demo logins it
    printed. Tests share its data: each works with records it made or the demo's own."""
    env = environment(tmp_path_factory.mktemp("var"))
    with serving(env, "--demo") as served:
        yield served.url, served.logins()


def fontconfig(directory: Path) -> Path:
    """A fontconfig file adding the Noto Sans SC the PDFs embed to the system's fonts, so
    that the browser draws Chinese at its real width (not tofu) even on a machine without
    CJK fonts: the screenshots are for a human to read, and layout checks need real text."""
    from fengqiao.core.pdf_fonts import font_path

    conf = directory / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
        f"<dir>{font_path().parent}</dir><cachedir>{directory / 'cache'}</cachedir>"
        "</fontconfig>"
    )
    return conf


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    conf = fontconfig(tmp_path_factory.mktemp("fonts"))
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            env={**os.environ, "FONTCONFIG_FILE": str(conf)},
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    # 422 is how a form answers invalid input (htmx swaps it); anything else is a fault.
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and "422 (Unprocessable" not in message.text
            and errors.append(message.text)
        ),
    )
    page.base = server[0]
    yield page
    context.close()
    assert errors == [], errors  # CSP violations and missing files show up here


def log_in(page, username: str) -> None:
    page.goto(page.base + "/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button.primary")
    page.wait_for_selector("[data-testid=jurisdiction-name]")


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)
