"""The intake form's address picker in the browser, both languages, laptop and phone: a
confident match comes pre-selected and marked, an uncertain text asks "请确认地址" with
nothing selected, and saving without a pick is refused with the input kept. The
screenshots (test-artifacts/address-picker-*.png) are for a person to look at."""

from __future__ import annotations

from tests.browser import ARTIFACTS, BROWSER, expect, log_in

pytestmark = BROWSER

CONFIDENT = "钟楼巷2号"  # one demo address of 南街
UNCERTAIN = "富春花园1栋1单元101"  # the same room at three doors of 太行路
WIDTHS = (1280, 390)


def shoot_picker(page, name: str) -> None:
    """The form's first group (location, picker, description) at each width."""
    ARTIFACTS.mkdir(exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.locator(".intake-group").first.screenshot(
            path=str(ARTIFACTS / f"address-picker-{name}-{width}.png")
        )
    page.set_viewport_size({"width": 1280, "height": 900})


def checked(page) -> str | None:
    found = page.locator("#address-options input[name=address]:checked")
    return found.get_attribute("value") if found.count() else None


def test_the_picker_pre_selects_only_a_confident_match(page):
    log_in(page, "nanjie.officer2")  # the command room
    for language, confirm in (("zh-hans", "请确认地址"), ("en", "Please confirm the address")):
        page.goto(page.base + "/incidents/new/")
        if page.locator("html").get_attribute("lang") != language:
            page.click(f"button[name=language][value={language}]")
            page.wait_for_selector(f"html[lang={language}]")
        page.fill("#id_description", "报警人称电动车被盗。")
        page.focus("#id_location_text")
        page.keyboard.type(CONFIDENT)
        expect(page.locator("#address-options .tag.ok")).to_be_visible()
        assert checked(page)  # pre-selected
        shoot_picker(page, f"confident-{language}")

        page.fill("#id_location_text", "")
        page.keyboard.type(UNCERTAIN)
        expect(page.locator(".address-options.needs-confirmation")).to_be_visible()
        expect(page.locator(".address-options legend")).to_contain_text(confirm)
        assert checked(page) is None and page.locator(".address-choice").count() >= 2
        shoot_picker(page, f"uncertain-{language}")

        page.click("button[type=submit].primary")  # no pick: refused, input kept
        expect(page.locator(".has-error .errorlist")).to_contain_text(confirm)
        assert page.input_value("#id_location_text") == UNCERTAIN
        assert page.input_value("#id_description") == "报警人称电动车被盗。"
        assert checked(page) is None
        shoot_picker(page, f"refused-{language}")

        # ↓ enters the list on "none", ↓ again picks the first address: then it saves.
        page.focus("#id_location_text")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")
        picked = checked(page)
        assert picked
        # Editing the text afterwards keeps the pick (the live search sends it along).
        page.focus("#id_location_text")
        page.keyboard.press("End")
        with page.expect_response(lambda r: "address-options" in r.url and "%E9%97%A8" in r.url):
            page.keyboard.type("门口")
        page.wait_for_timeout(300)  # the swap
        assert checked(page) == picked
        page.click("button[type=submit].primary")
        page.wait_for_url("**/incidents/*/")
        assert "/incidents/new/" not in page.url
