"""辖区维护 in the browser: the demo administrator walks down the tree to a police district
and opens its maintenance pages at a phone's width (390 px) and a laptop's, in Chinese and
English, with nothing drawn wider than the screen and no CSP or console error. Read only:
the writes are proven in tests/test_tree_editing.py and the demo server is shared.
Screenshots: test-artifacts/tree-*.png."""

from __future__ import annotations

from tests.browser import BROWSER, expect, log_in, shoot

pytestmark = BROWSER

# Anything drawn past the right edge of the viewport (a form or a table too wide).
OVERFLOW_JS = """
() => [...document.querySelectorAll("main *")].filter((el) => {
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.right > innerWidth + 1 && getComputedStyle(el).position !== "fixed";
}).map((el) => el.tagName + "." + el.className).slice(0, 5)
"""


def expand(page, name: str) -> None:
    """Open the tree node whose line names ``name`` and wait for its children."""
    summary = page.locator("summary", has_text=name).first
    summary.click()
    expect(summary.locator("xpath=..").locator(".tree-slot .tree-level")).to_be_visible()


def test_admin_reaches_a_districts_maintenance_pages_on_a_phone_and_a_laptop(page):
    log_in(page, "admin")
    wide: list[str] = []
    for width, language in ((390, "zh-hans"), (1280, "en")):
        page.set_viewport_size({"width": width, "height": 844})
        page.goto(page.base + "/")
        switch = page.locator(f".langswitch button[value={language}]")
        if switch.is_enabled():  # the current language's button is disabled
            switch.click()
            page.wait_for_load_state()
        page.goto(page.base + "/jurisdictions/")
        page.locator(".tree > .tree-level > li > details > summary").first.click()
        page.wait_for_selector(".tree-slot .tree-level")
        expand(page, "城区公安分局")
        expand(page, "南街派出所")
        shoot(page, f"tree-{language}-{width}")
        wide += [f"tree {width}: {e}" for e in page.evaluate(OVERFLOW_JS)]
        district = page.locator("summary", has_text="第1警务区").first
        district.locator("a.node-manage").click()
        page.wait_for_selector("ul.node-actions")
        manage = page.url
        shoot(page, f"tree-manage-{language}-{width}")
        wide += [f"manage {width}: {e}" for e in page.evaluate(OVERFLOW_JS)]
        for action in ("coverage", "move", "merge", "retire", "add", "edit"):
            page.goto(f"{manage}{action}/")
            # a district with staff and open incidents is not offered the retire button
            button = "a.button" if action == "retire" else "button[type=submit]"
            expect(page.locator(f"form.form {button}")).to_be_visible()
            if action == "coverage":
                shoot(page, f"tree-coverage-{language}-{width}")
            wide += [f"{action} {width}: {e}" for e in page.evaluate(OVERFLOW_JS)]
        page.goto(page.base + "/jurisdictions/changes/")
        shoot(page, f"tree-changes-{language}-{width}")
        wide += [f"changes {width}: {e}" for e in page.evaluate(OVERFLOW_JS)]
    assert wide == []
