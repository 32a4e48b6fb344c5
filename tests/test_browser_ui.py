"""What a new user sees in the browser, in Chinese and English: every button readable
(WCAG AA contrast), every navigation entry on screen at laptop widths and reachable on a
phone, forms that keep the picked address after an error, a keyboard path through the
intake form that changes nothing by accident, and PDFs that say they are being made.
The shared fixtures of tests/browser.py: `fengqiao serve --demo` in real Chromium."""

from __future__ import annotations

from tests.browser import ARTIFACTS, BROWSER, expect, log_in

pytestmark = BROWSER

# The text colour of every visible control against the colour really behind it: the
# first opaque background up the ancestors, with translucent ones composited on top.
CONTRAST_JS = """
() => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, bottom) => {
    const a = top[3] + bottom[3] * (1 - top[3]);
    if (a === 0) return [0, 0, 0, 0];
    return [0, 1, 2].map((i) => (top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / a)
      .concat([a]);
  };
  const luminance = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const behind = (el) => {
    const layers = [];
    for (let node = el; node; node = node.parentElement) {
      const bg = parse(getComputedStyle(node).backgroundColor);
      if (bg[3] > 0) layers.push(bg);
      if (bg[3] >= 1) break;
    }
    let colour = [255, 255, 255, 1];  // the canvas
    for (const layer of layers.reverse()) colour = over(layer, colour);
    return colour;
  };
  const selector = "button, a.button, input[type=submit], input[type=button], input[type=reset]";
  const found = [];
  for (const el of document.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (el.disabled || box.width === 0 || box.height === 0 || style.visibility !== "visible"
        || !(el.innerText || el.value || "").trim()) continue;
    const bg = behind(el);
    const fg = over(parse(style.color), bg);
    const [l1, l2] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    found.push({text: (el.innerText || el.value).trim().slice(0, 40),
                cls: el.className, ratio: Math.round(ratio * 100) / 100});
  }
  return found;
}
"""


def unreadable_buttons(page) -> list[dict]:
    """The visible buttons of the page whose text contrast is below WCAG AA (4.5:1)."""
    controls = page.evaluate(CONTRAST_JS)
    assert controls, f"no buttons found on {page.url}"
    return [dict(c, page=page.url) for c in controls if c["ratio"] < 4.5]


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def switch_language(page, language: str) -> None:
    page.click(f"button[name=language][value={language}]")
    page.wait_for_selector(f"html[lang={language}]")


# --- every button readable --------------------------------------------------------------

# Beyond the navigation's own entries (every one is visited): the forms and sub-pages.
BUTTON_PAGES = [
    "/incidents/new/", "/incidents/duty/", "/disputes/new/", "/disputes/stats/",
    "/disputes/risk/warnings/", "/disputes/mediators/registry/", "/disputes/mediators/rooms/",
    "/disputes/screening/", "/registry/import/", "/dashboard/reports/",
]  # fmt: skip


def test_every_button_has_readable_text_in_both_languages(page):
    """White on white was the class of fault: a container's button rule beat .primary.
    Every visible button on the station's pages, a new case before acceptance (受理并开始
    调解) and after it (the agreement form's 登记协议), at least 4.5:1."""
    log_in(page, "nanjie.chief")
    bad: list[dict] = []
    for language in ("zh-hans", "en"):
        if language == "en":
            switch_language(page, "en")
        nav = page.eval_on_selector_all("nav.mainnav a", "links => links.map(a => a.href)")
        for url in nav + [page.base + path for path in BUTTON_PAGES]:
            response = page.goto(url)
            assert response.status == 200, url
            bad += unreadable_buttons(page)
    switch_language(page, "zh-hans")
    # A new case, still 已登记: the acceptance form and its primary button.
    page.goto(page.base + "/disputes/new/")
    page.select_option("#id_category", "neighbours")
    page.fill("#id_narrative", "两户因楼道堆放杂物发生争吵。")
    page.fill("#id_location_text", "阳头路2号")
    page.check(".address-options input[name=address][value='']")  # no such door: keep the text
    page.fill("#id_parties-0-name", "张三")
    page.fill("#id_parties-0-phone", "13800001111")
    page.fill("#id_parties-1-name", "李四")
    page.fill("#id_parties-1-phone", "13900002222")
    page.click("button[type=submit].primary")
    expect(page.locator(".tracking-code")).to_be_visible()
    for _ in range(2):
        page.click("button[name=consent][value=given] >> nth=0")
    expect(page.locator("text=受理并开始调解")).to_be_visible()
    bad += unreadable_buttons(page)
    shoot(page, "buttons-dispute-accept")
    page.click("text=受理并开始调解")
    expect(page.locator("ol.timeline")).to_contain_text("已登记 → 调解中")
    details = page.locator("details:has(form.agreement-form)")
    if details.count() and details.get_attribute("open") is None:
        details.locator("summary").click()
    expect(page.locator("form.agreement-form button.primary")).to_be_visible()
    bad += unreadable_buttons(page)
    shoot(page, "buttons-dispute-agreement")
    switch_language(page, "en")
    bad += unreadable_buttons(page)
    assert bad == [], bad


# --- every navigation entry on screen ----------------------------------------------------

# For every entry of the main navigation: is its box inside the viewport, inside every
# ancestor that clips (overflow other than visible), and is it what the browser hits at
# its centre (nothing drawn over it)?
NAV_JS = """
() => [...document.querySelectorAll("nav.mainnav a")].map((a) => {
  const r = a.getBoundingClientRect();
  const problems = [];
  if (r.width === 0 || r.height === 0 || getComputedStyle(a).visibility !== "visible")
    problems.push("not shown");
  else {
    if (r.left < 0 || r.top < 0 || r.right > innerWidth + 0.5 || r.bottom > innerHeight + 0.5)
      problems.push("outside the viewport");
    for (let node = a.parentElement; node && node !== document.body; node = node.parentElement) {
      const s = getComputedStyle(node);
      if (s.overflowX !== "visible" || s.overflowY !== "visible") {
        const c = node.getBoundingClientRect();
        if (r.left < c.left - 0.5 || r.right > c.right + 0.5 || r.top < c.top - 0.5
            || r.bottom > c.bottom + 0.5) problems.push("clipped by " + node.tagName);
      }
    }
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    if (!hit || !a.contains(hit)) problems.push("covered");
  }
  return {text: a.textContent.trim(), problems};
})
"""


def hidden_nav_entries(page) -> list[str]:
    entries = page.evaluate(NAV_JS)
    assert entries, "no navigation entries"
    return [f"{e['text']}: {', '.join(e['problems'])}" for e in entries if e["problems"]]


def test_every_role_sees_every_navigation_entry_at_laptop_widths_and_on_a_phone(server, page):
    """Each demo role, in Chinese and English: at 1280 and 1366 px every entry is fully on
    screen; at 390 px (a phone) every entry is reachable through the menu button."""
    hidden: list[str] = []
    for username, _role, _unit in server[1]:
        log_in(page, username)
        for language in ("zh-hans", "en"):
            if language == "en":
                switch_language(page, "en")
            for width in (1280, 1366):
                page.set_viewport_size({"width": width, "height": 800})
                hidden += [f"{username} {language} {width}: {h}" for h in hidden_nav_entries(page)]
                if username == "admin" and width == 1280:
                    shoot(page, f"nav-{language}-1280")
            page.set_viewport_size({"width": 390, "height": 844})
            if username == "admin":
                shoot(page, f"nav-{language}-390")
            toggle = page.locator(".nav-toggle")
            if toggle.count() and toggle.is_visible():
                # Folded away until asked, then every entry is on screen.
                assert page.locator("nav.mainnav").is_hidden()
                toggle.click()
                expect(toggle).to_have_attribute("aria-expanded", "true")
                if username == "admin":
                    shoot(page, f"nav-{language}-390-open")
                hidden += [f"{username} {language} 390: {h}" for h in hidden_nav_entries(page)]
                toggle.click()
                expect(page.locator("nav.mainnav")).to_be_hidden()
            else:  # no menu: the entries themselves must all be on screen
                hidden += [f"{username} {language} 390: {h}" for h in hidden_nav_entries(page)]
            page.set_viewport_size({"width": 1280, "height": 800})
        switch_language(page, "zh-hans")
        page.click("text=退出")
        page.wait_for_selector("#id_username")
    assert hidden == [], hidden


# --- the intake form's keyboard path ----------------------------------------------------


def focused(page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.name")


def test_after_a_resolver_miss_tab_and_arrow_keys_change_nothing_unseen(page):
    """The hint says "arrow keys pick the standard address". After a miss there is no list:
    Tab used to land on 责任单位 (a select), where ↓ silently changed the unit. Now Tab goes
    on to the description, and ↓ from the location goes into the list when there is one."""
    log_in(page, "nanjie.officer2")  # the command room
    page.goto(page.base + "/incidents/new/")
    unit = page.locator("#id_jurisdiction")
    before = unit.input_value()
    page.focus("#id_location_text")
    page.keyboard.type("qqxx")
    expect(page.locator(".address-none")).to_be_visible()
    page.keyboard.press("ArrowDown")  # no list: stays in the text field
    assert focused(page) == "id_location_text"
    page.keyboard.press("Tab")
    assert focused(page) == "id_description"
    page.keyboard.press("ArrowDown")
    assert unit.input_value() == before

    # A confident hit comes pre-selected: ↓ enters the list on it, Tab leaves the list for
    # the description; the unit is untouched all along.
    page.fill("#id_location_text", "")
    page.focus("#id_location_text")
    page.keyboard.type("钟楼巷2号")  # a demo address of 南街
    expect(page.locator(".address-options .tag.ok")).to_be_visible()
    picked = page.locator("input[name=address]:checked").get_attribute("value")
    assert picked
    page.keyboard.press("ArrowDown")
    assert focused(page) == "address"
    page.keyboard.press("Tab")
    assert focused(page) == "id_description"
    assert unit.input_value() == before

    # An uncertain one selects nothing: ↓ enters the list on "none", ↓ again picks the
    # first address.
    page.fill("#id_location_text", "")
    page.focus("#id_location_text")
    page.keyboard.type("钟楼巷3号")  # no such door: 2, 4 and 6 are near
    expect(page.locator(".address-options.needs-confirmation")).to_be_visible()
    assert page.locator("input[name=address]:checked").count() == 0
    page.keyboard.press("ArrowDown")
    assert focused(page) == "address"
    page.keyboard.press("ArrowDown")
    assert page.locator("input[name=address]:checked").get_attribute("value")
    page.keyboard.press("Tab")
    assert focused(page) == "id_description"
    assert unit.input_value() == before
    shoot(page, "intake-keyboard")


# --- chart labels never break inside a word ---------------------------------------------

LABELS_JS = """
(selector) => {
  const el = document.querySelector(selector);
  const option = echarts.getInstanceByDom(el).getOption();
  const measure = document.createElement("canvas").getContext("2d");
  const widest = (names, size) => {
    measure.font = size + "px sans-serif";
    return Math.max(0, ...names.flatMap((n) =>
      String(n).match(/[^\\s\\u2e80-\\u9fff\\uff00-\\uffef]+/g) || []).map(
      (w) => measure.measureText(w).width));
  };
  const axis = [].concat(option.xAxis, option.yAxis).find((a) => a && a.type === "category");
  if (axis) {
    const label = axis.axisLabel;
    const names = axis.data.map((d) => (d && d.value !== undefined ? d.value : d));
    return {breaks: label.overflow === "break" && !label.rotate, width: label.width,
            widest: widest(names, label.fontSize || 12)};
  }
  const pie = option.series[0];
  return {breaks: pie.label.overflow === "break", width: pie.label.width,
          widest: widest(pie.data.map((d) => d.name + " " + d.value), pie.label.fontSize || 12)};
}
"""


def test_english_chart_labels_are_never_narrower_than_their_longest_word(page):
    """ECharts' overflow "break" cuts a word that does not fit its width ("Crimina l")."""
    log_in(page, "nanjie.chief")
    switch_language(page, "en")
    narrow: list[str] = []
    for width in (1280, 1024):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(page.base + "/dashboard/")
        for chart in ("categories", "disputes"):
            selector = f"[data-chart={chart}]"
            expect(page.locator(selector)).to_have_attribute("data-drawn", "1", timeout=15_000)
            label = page.evaluate(LABELS_JS, selector)
            if label["breaks"] and label["width"] < label["widest"]:
                narrow.append(f"{chart} at {width}px: {label}")
        if width == 1280:
            shoot(page, "dashboard-en-labels")
    assert narrow == [], narrow


# --- documents say they are being made -----------------------------------------------------

WATCH_BUSY_JS = """
(selector) => {
  window.sawBusy = [];
  const el = document.querySelector(selector);
  new MutationObserver(() => {
    if (el.classList.contains("is-busy"))
      window.sawBusy.push(
        {text: el.textContent.trim(), disabled: el.getAttribute("aria-disabled")});
  }).observe(el, {attributes: true, childList: true, subtree: true, characterData: true});
}
"""


def test_a_pdf_download_shows_that_it_is_being_made_and_then_arrives(page):
    log_in(page, "nanjie.chief")
    for language, busy_text in (("zh-hans", "正在生成…"), ("en", "Preparing…")):
        if language == "en":
            switch_language(page, "en")
        for path, selector in (
            ("/incidents/brief/", "a[data-busy][download]"),
            ("/dashboard/reports/", "button[data-busy][data-download]"),
        ):
            page.goto(page.base + path)
            control = page.locator(selector)
            label = control.inner_text()
            page.evaluate(WATCH_BUSY_JS, selector)
            with page.expect_download(timeout=30_000) as download:
                control.click()
            assert download.value.suggested_filename.endswith(".pdf")
            seen = page.evaluate("window.sawBusy")
            assert seen and seen[0] == {"text": busy_text, "disabled": "true"}, seen
            expect(control).to_have_text(label)  # back to itself once the file is saved
            expect(control).not_to_have_class("is-busy")
