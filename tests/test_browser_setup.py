"""The first run as a station chief walks it: `fengqiao serve` on an empty database, the
browser sent to the setup page, the place picked from the national divisions, the first
administrator created, and the home page of his new bureau."""

from __future__ import annotations

import pytest

from tests.browser import BROWSER, expect, shoot
from tests.servers import environment, serving

pytestmark = BROWSER

PASSWORD = "Fengqiao-2026-zhuji"
# htmx binds a swapped-in select only once it has settled: choose after that
BUSY = ".htmx-request, .htmx-swapping, .htmx-settling"


@pytest.fixture
def empty_server(tmp_path):
    with serving(environment(tmp_path / "var")) as served:
        yield served


def choose(page, select: str, value: str) -> None:
    expect(page.locator(f"{select} option[value='{value}']")).to_have_count(1)
    expect(page.locator(BUSY)).to_have_count(0)
    page.select_option(select, value)
    expect(page.locator(BUSY)).to_have_count(0)


@pytest.mark.parametrize(("language", "width"), [("zh-hans", 390), ("en", 1280)])
def test_first_run_from_an_empty_database(browser, empty_server, language, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    tag = f"setup-{language}-{width}"
    page.goto(empty_server.url + "/incidents/")
    assert "/setup/" in page.url  # every page leads to the setup until it is done
    if language == "en":
        page.click("button[name=language][value=en]")
        page.wait_for_selector("html[lang=en]")
    expect(page.locator("[data-testid=setup]")).to_be_visible()
    page.fill("#id_full_name", "陈枫")
    page.fill("#id_username", "chenfeng")
    page.fill("#id_password", "12345678")
    page.fill("#id_password2", "12345678")
    choose(page, "#id_province", "330000")
    choose(page, "#id_city", "330600")
    choose(page, "#id_county", "330681")
    township = page.get_by_label("枫桥镇")
    expect(township).to_be_visible()
    township.check()
    page.fill("#id_bureau_name", "诸暨市公安局")
    shoot(page, tag + "-filled")
    page.click("button.primary")
    # a weak password is refused, what was typed kept (but the password)
    expect(page.locator(".errorlist").first).to_be_visible()
    short = {"zh-hans": "密码太短", "en": "This password is too short"}[language]
    expect(page.locator(".errorlist").first).to_contain_text(short)
    assert page.input_value("#id_full_name") == "陈枫"
    assert page.input_value("#id_bureau_name") == "诸暨市公安局"
    assert page.locator("#id_county").input_value() == "330681"
    shoot(page, tag + "-weak-password")
    page.fill("#id_password", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("button.primary")
    expect(page.locator("[data-testid=jurisdiction-name]")).to_contain_text("诸暨市公安局")
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
    shoot(page, tag + "-done")
    assert page.goto(empty_server.url + "/setup/").status == 404  # once only
    context.close()
