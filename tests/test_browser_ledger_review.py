"""A station's own lists as its chief brings them in, on `fengqiao serve --demo`: a
doorplate list in free text (known doors recognised, new ones created, unsure ones
confirmed in the review queue, a group at once and one by hand), then a people ledger
whose 现住址 is free text with a bad row, imported good-rows-only with its rejects
downloaded. In Chinese at 390 px and in English at 1280 px."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.browser import BROWSER, expect, log_in, shoot
from tests.test_browser_import import id_number

pytestmark = BROWSER

_ELEMENTS = ("街路巷", "门牌号", "小区/院", "楼栋", "单元", "楼层", "户室")


def station_rows(page) -> list[dict[str, str]]:
    """The station's standard addresses, as its chief exports them."""
    page.goto(page.base + "/registry/import/")
    with page.expect_download() as download:
        page.click("form[action$='/export/addresses/'] button")
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes()), read_only=True).active
    rows = sheet.iter_rows(values_only=True)
    header = list(next(rows))
    return [dict(zip(header, (v or "" for v in row), strict=False)) for row in rows]


def written(row: dict[str, str]) -> str:
    """An address as a clerk types it: no province, 幢 for 栋, no 室."""
    road, door, compound, building, unit, _floor, room = (row[e] for e in _ELEMENTS)
    text = f"{road}{door + '号' if door else ''}{compound}"
    text += f"{building}幢" if building else ""
    text += f"{unit}单元" if unit else ""
    return text + room


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))
    return path


def import_file(page, kind: str, path: Path) -> None:
    page.goto(page.base + "/registry/import/")
    page.select_option("select[name=kind]", kind)
    page.set_input_files("input[type=file]", str(path))
    page.click("form[enctype] button[type=submit]")
    page.wait_for_selector("select[name^=map_]")
    with page.expect_navigation():
        page.click("form input[value=validate] ~ button.primary")
    expect(page.locator("#job-panel[hx-get]")).to_have_count(0, timeout=120_000)


@pytest.mark.parametrize(("language", "width"), [("zh-hans", 390), ("en", 1280)])
def test_free_text_lists_come_in_through_the_review_queue(
    browser, server, tmp_path, language, width
):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=language)
    page = context.new_page()
    page.base = server[0]
    log_in(page, "nanjie.chief")
    known = [r for r in station_rows(page) if r["街路巷"] and r["门牌号"] and not r["户室"]][:5]
    if language == "en":
        page.goto(page.base + "/")
        page.click("button[name=language][value=en]")
        page.wait_for_selector("html[lang=en]")
    tag = f"ledger-review-{language}-{width}"
    assert known, "the demo station has door addresses"
    offset = 7000 if language == "en" else 8000  # each run its own new doors
    texts = [written(r) for r in known]  # known: recognised, not created again
    texts += [f"{r['街路巷']}{int(r['门牌号']) + offset}号" for r in known]  # new doors
    texts += ["菜市场东门对面", "老粮站后面那排平房"]  # not addresses a matcher can place
    import_file(page, "addresses", write_csv(tmp_path / "门牌.csv", ["地址"], [[t] for t in texts]))
    shoot(page, tag + "-addresses-dry-run")
    with page.expect_navigation():
        page.click("form input[value=commit] ~ button.primary")
    expect(page.locator("#job-panel[hx-get]")).to_have_count(0, timeout=120_000)
    panel = page.locator("#job-panel")
    expect(panel.locator("[data-testid=to-review]")).to_have_text("2")
    shoot(page, tag + "-addresses-done")

    # the unsure ones, in the queue: one set aside by hand, the other created as read
    page.click("#job-panel a[href*='/review/?job=']")
    expect(page.locator("[data-testid=review-pending]")).to_have_text("2")
    shoot(page, tag + "-queue")
    page.locator("table a[href*='/review/group/']").first.click()
    page.locator("table a[href*='/registry/import/review/'][href$='/']").first.click()
    page.fill("#id_reason", "不是门牌地址")
    page.click("form input[value=skip] ~ button")
    expect(page.locator(".message.success")).to_be_visible()
    shoot(page, tag + "-group")
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1

    # a people ledger in free text with one bad ID number: the good rows only
    rows = [
        [f"自由文本居民{language}{n}", id_number(90_000 + n + (0 if language == "en" else 500)),
         f"1370000{n:04d}", texts[n % 10], "租住", "2025/3/1"]
        for n in range(20)
    ]  # fmt: skip
    rows[3][1] = "140502198001010000"
    header = ["姓名", "身份证号", "手机号", "现住址", "与房屋关系", "迁入日期"]
    import_file(page, "people", write_csv(tmp_path / "人口.csv", header, rows))
    expect(panel.locator("[data-testid=rejected-rows]")).to_have_text("1")
    shoot(page, tag + "-people-dry-run")
    with page.expect_navigation():
        page.click("form input[value=commit_good_rows] ~ button")
    expect(page.locator("#job-panel[hx-get]")).to_have_count(0, timeout=120_000)
    expect(panel.locator(".message.success")).to_contain_text("19")
    with page.expect_download() as download:
        page.click("a[href$='/rejects/']")
    rejects = load_workbook(io.BytesIO(download.value.path().read_bytes()), read_only=True).active
    lines = list(rejects.iter_rows(values_only=True))
    assert len(lines) == 2 and lines[1][1] == "140502198001010000"
    shoot(page, tag + "-people-done")
    context.close()
