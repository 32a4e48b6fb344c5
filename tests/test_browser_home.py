"""我的工作 in the browser: each demo role lands on his sections, in Chinese and English, at
a laptop's width and a phone's, with nothing wider than the screen. The screenshots
(test-artifacts/home-*.png) are for a person to look at."""

from __future__ import annotations

from tests.browser import BROWSER, expect, log_in, shoot

pytestmark = BROWSER

# (demo login, the sections his home shows)
ROLES = [
    ("nanjie.chief", ["work-chief"]),
    ("nanjie.community1", ["work-district"]),
    ("nanjie.officer2", ["work-duty"]),
    ("nanjie.mediator", ["work-mediator"]),
]
SECTIONS = ["work-chief", "work-district", "work-duty", "work-mediator"]

# Anything drawn past the right edge of the viewport (a table or a row of tiles too wide).
OVERFLOW_JS = """
() => [...document.querySelectorAll("main *")].filter((el) => {
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.right > innerWidth + 1 && getComputedStyle(el).position !== "fixed";
}).map((el) => el.tagName + "." + el.className).slice(0, 5)
"""


def test_each_role_lands_on_his_sections_on_a_laptop_and_a_phone(page):
    wide: list[str] = []
    for username, sections in ROLES:
        log_in(page, username)
        for section in SECTIONS:
            locator = page.locator(f"[data-testid={section}]")
            if section in sections:
                expect(locator).to_be_visible()
            else:
                expect(locator).to_have_count(0)
        for language in ("zh-hans", "en"):
            if language == "en":
                page.click("button[name=language][value=en]")
                page.wait_for_selector("html[lang=en]")
            for width in (1280, 390):
                page.set_viewport_size({"width": width, "height": 844})
                shoot(page, f"home-{username.split('.')[1]}-{language}-{width}")
                wide += [f"{username} {language} {width}: {e}" for e in page.evaluate(OVERFLOW_JS)]
            page.set_viewport_size({"width": 1280, "height": 800})
        page.click("button[name=language][value=zh-hans]")
        page.wait_for_selector("html[lang=zh-hans]")
        page.click("text=退出")
        page.wait_for_selector("#id_username")
    assert wide == [], wide
