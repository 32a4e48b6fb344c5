"""In the real browser (Debian's Chromium through Playwright), against the real run
command (`fengqiao serve --demo`: waitress, collected static files, the CSP): every demo
role logs in, sees his home page in Chinese, and can switch to English; htmx partials
work. Screenshots go to test-artifacts/ for a human to look at."""

from __future__ import annotations

from pathlib import Path

from tests.browser import ARTIFACTS, BROWSER, expect, log_in, shoot

pytestmark = BROWSER


def test_every_demo_role_logs_in_to_a_chinese_home_and_switches_to_english(server, page):
    logins = server[1]
    assert {role for _username, role, _unit in logins} >= {
        "所长", "社区民警", "办案民警", "指挥室值班员", "警种联络员", "调解员", "群防群治队员",
        "分析员", "管理员",
    }  # fmt: skip
    for username, _role, unit in logins:
        log_in(page, username)
        # Chinese although the browser asks for English: the platform speaks Chinese first.
        assert page.get_attribute("html", "lang") == "zh-hans"
        assert page.inner_text("[data-testid=jurisdiction-name]") == unit
        assert "首页" in page.inner_text("nav.mainnav")
        shoot(page, f"home-{username}")
        page.click("button[name=language][value=en]")
        page.wait_for_selector("html[lang=en]")
        assert "Home" in page.inner_text("nav.mainnav")
        assert "Hello" in page.inner_text("main")
        shoot(page, f"home-{username}-en")
        page.click("button[name=language][value=zh-hans]")
        page.wait_for_selector("html[lang=zh-hans]")
        page.click("text=退出")
        page.wait_for_selector("#id_username")


def test_chief_reveals_a_phone_with_a_reason_through_htmx(page):
    log_in(page, "nanjie.chief")
    page.click("nav.mainnav >> text=人员")
    first_row = page.locator("#staff-table tbody tr").first
    masked = first_row.locator(".masked code").inner_text()
    assert "****" in masked
    first_row.locator(".reveal-link").click()
    page.fill(".reveal-form input[name=reason]", "    ")  # passes minlength, not the server
    page.click(".reveal-form button")
    expect(page.locator(".reveal-form .error")).to_contain_text("请填写查看事由")
    page.fill(".reveal-form input[name=reason]", "联系本人核实排班")
    page.click(".reveal-form button")
    revealed = first_row.locator(".revealed code").inner_text()
    assert revealed[:3] == masked[:3] and "*" not in revealed
    shoot(page, "staff-revealed")
    page.fill("input[name=q]", "nanjie.chief")
    expect(page.locator("#staff-table tbody tr")).to_have_count(1)
    page.click("nav.mainnav >> text=审计")
    assert "联系本人核实排班" in page.inner_text("table.audit")
    shoot(page, "audit-log")


def test_tree_expands_lazily(page):
    log_in(page, "nanjie.chief")
    page.click("nav.mainnav >> text=辖区")
    page.click("details summary >> nth=0")
    page.wait_for_selector("text=凤台社区警务室")
    shoot(page, "tree")


def test_a_duty_officer_takes_a_call_and_dispatches_it(page):
    log_in(page, "nanjie.officer2")  # the command room
    page.click("nav.mainnav >> text=警情")
    page.click("text=接警登记")
    page.fill("#id_location_text", "阳头路2号")
    # No door 2 on 阳头路: the picker asks, and the officer keeps the text as typed.
    page.check(".address-options input[name=address][value='']")
    page.fill("#id_description", "报警人称其停放在楼下的电动车被盗")
    expect(page.locator(".suggestion")).to_contain_text("盗窃")
    page.click(".suggestion button")  # accept the suggestion
    expect(page.locator("#id_category option:checked")).to_contain_text("盗窃")
    shoot(page, "incident-intake")
    page.click("button[type=submit].primary")
    expect(page.locator(".tracking-code")).to_be_visible()
    assert "查询码" in page.inner_text("main")
    page.click("form.transition-row button:has-text('已派警')")
    expect(page.locator("ol.timeline")).to_contain_text("已接警 → 已派警")
    shoot(page, "incident-detail")
    page.click("button[name=language][value=en]")
    page.wait_for_selector("html[lang=en]")
    detail = page.url.removeprefix(page.base)
    shoot(page, "incident-detail-en")
    pages = {"list": "/incidents/", "duty": "/incidents/duty/", "intake": "/incidents/new/",
             "whistles": "/incidents/whistles/", "brief": "/incidents/brief/"}  # fmt: skip
    assert detail.startswith("/incidents/")
    for name, path in pages.items():
        page.goto(page.base + path)
        assert page.locator("h1").count() >= 1
        shoot(page, f"incident-{name}-en")


def test_the_public_tracking_page_in_both_languages(page):
    for language in ("zh-hans", "en"):
        page.goto(page.base + "/track/")
        if language == "en":
            page.click("button[name=language][value=en]")
            page.wait_for_selector("html[lang=en]")
        page.fill("input[name=code]", "7K3Q9M2AX4")
        page.fill("input[name=phone_last4]", "1234")
        page.click("main form button[type=submit]")
        assert page.locator("form").count() >= 1
        shoot(page, f"track-{language}")


def test_a_dispute_is_registered_accepted_and_its_pages_render(page):
    log_in(page, "nanjie.chief")
    page.click("nav.mainnav >> text=矛盾纠纷")
    shoot(page, "dispute-list")
    page.click("text=受理登记")
    page.select_option("#id_category", "neighbours")
    page.fill("#id_narrative", "两户因楼道堆放杂物发生争吵，多次报警。")
    page.fill("#id_location_text", "阳头路2号")
    page.check(".address-options input[name=address][value='']")  # no such door: keep the text
    page.fill("#id_parties-0-name", "张三")
    page.fill("#id_parties-0-phone", "13800001111")
    page.fill("#id_parties-1-name", "李四")
    page.fill("#id_parties-1-phone", "13900002222")
    page.locator("#id_parties-1-phone").blur()
    expect(page.locator("#prior")).not_to_be_empty()
    shoot(page, "dispute-intake")
    page.click("button[type=submit].primary")
    expect(page.locator(".tracking-code")).to_be_visible()
    for _ in range(2):  # both parties agree to mediation
        page.click("button[name=consent][value=given] >> nth=0")
    page.click("text=受理并开始调解")
    expect(page.locator("ol.timeline")).to_contain_text("已登记 → 调解中")
    expect(page.locator(".mediators-panel")).to_be_visible()
    shoot(page, "dispute-detail")
    page.click("button[name=language][value=en]")
    page.wait_for_selector("html[lang=en]")
    shoot(page, "dispute-detail-en")
    pages = {
        "list": "/disputes/",
        "intake": "/disputes/new/",
        "stats": "/disputes/stats/",
        "risk": "/disputes/risk/warnings/",
        "mediators": "/disputes/mediators/registry/",
        "rooms": "/disputes/mediators/rooms/",
        "screening": "/disputes/screening/",
    }
    for name, path in pages.items():
        response = page.goto(page.base + path)
        assert response.status == 200, path
        assert page.locator("h1").count() >= 1
        shoot(page, f"dispute-{name}-en")


def test_a_mediator_sees_only_his_cases(page):
    log_in(page, "nanjie.mediator")
    page.goto(page.base + "/disputes/")
    rows = page.locator("table.dispute-table tbody tr")
    assert rows.count() >= 1
    shoot(page, "dispute-mediator-list")
    page.locator("table.dispute-table tbody tr a >> nth=0").click()
    expect(page.locator(".mediators-panel")).to_contain_text("人民调解员")


# --- 一屏尽览 ---------------------------------------------------------------------------


def distinct_colours(path: Path) -> int:
    """How many colours a screenshot holds: a blank chart has one or two."""
    from PIL import Image  # Pillow comes with fpdf2

    with Image.open(path) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    return len(colours or [])


def shoot_drawn(page, selector: str, name: str) -> None:
    """Screenshot one chart, once ECharts says it finished, and check it is not blank."""
    chart = page.locator(selector).first
    expect(chart).to_have_attribute("data-drawn", "1", timeout=15_000)
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    chart.screenshot(path=str(path))
    assert chart.locator("canvas").count() == 1, selector
    assert distinct_colours(path) > 40, f"{selector} looks blank ({path})"


def test_the_dashboard_and_its_big_screen_draw_charts_and_a_map(page):
    log_in(page, "nanjie.chief")
    page.click("nav.mainnav >> text=一屏尽览")
    expect(page.locator("h1")).to_contain_text("南街派出所")
    for chart in ("categories", "trend", "daily", "disputes"):
        shoot_drawn(page, f"[data-chart={chart}]", f"dashboard-chart-{chart}")
    shoot_drawn(page, "[data-map-url]", "dashboard-chart-map")
    shoot(page, "dashboard")
    assert distinct_colours(ARTIFACTS / "dashboard.png") > 200

    # Every number leads to its records: the first figure's list says the same count.
    first = page.locator(".dash-kpis a.count").first
    number = first.inner_text()
    first.click()
    expect(page.locator("[data-testid=records-total]")).to_have_text(number)
    shoot(page, "dashboard-records")
    page.go_back()

    # Drill down through the map's table to a police district, whose map shows grids.
    page.click("table.children-table a.drill >> nth=0")
    expect(page.locator("h1")).to_contain_text("第1警务区")
    shoot_drawn(page, "[data-map-url]", "dashboard-district-map")
    shoot(page, "dashboard-district")

    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(page.url.split("?")[0] + "screen/")
    expect(page.locator("[data-testid=screen]")).to_be_visible()
    assert page.locator("nav.mainnav").count() == 0
    for chart in ("categories", "daily", "trend"):
        shoot_drawn(page, f"[data-chart={chart}]", f"screen-chart-{chart}")
    shoot_drawn(page, "[data-map-url]", "screen-chart-map")
    clock = page.locator("[data-clock-time]")
    shown = clock.inner_text()
    expect(clock).not_to_have_text(shown, timeout=3_000)  # it ticks
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-screen.png"))
    assert distinct_colours(ARTIFACTS / "dashboard-screen.png") > 200
    # The station's wall: the station's own big screen, reached from its dashboard.
    page.goto(page.base + "/dashboard/")
    page.click("text=大屏模式")
    expect(page.locator("[data-testid=screen]")).to_be_visible()
    shoot_drawn(page, "[data-map-url]", "screen-station-map")
    expect(page.locator("[data-chart]:not([data-drawn])")).to_have_count(0, timeout=15_000)
    page.screenshot(path=str(ARTIFACTS / "dashboard-screen-station.png"))
