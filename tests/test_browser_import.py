"""A ledger import as a station chief walks it, on `fengqiao serve --demo` and nothing else
started: a 10,000-row people file (over the inline limit, so the server's own background
worker reads, checks and writes it) reaches its result with progress shown; an xlsx zip
bomb is refused within seconds while the other pages keep answering."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import threading
import time
import urllib.request
from pathlib import Path

from openpyxl import load_workbook

from fengqiao.core.validators import id_number_check_character
from tests.browser import BROWSER, log_in, shoot
from tests.test_imports import PEOPLE_HEADERS, zip_bomb

pytestmark = BROWSER

ROWS = 10_000
PROGRESS = re.compile(r"(\d+) / 约 (\d+) 行")


def station_addresses(page) -> list[str]:
    """The station's standard address codes, as its chief exports them."""
    page.goto(page.base + "/registry/import/")
    with page.expect_download() as download:
        page.click("form[action$='/export/addresses/'] button")
    saved = download.value.path().read_bytes()
    sheet = load_workbook(io.BytesIO(saved), read_only=True).active
    rows = sheet.iter_rows(values_only=True)
    header = list(next(rows))
    column = header.index("标准地址编码")
    return [row[column] for row in rows if row[column]]


def id_number(n: int) -> str:
    """The n-th of distinct valid 身份证号 (a birth day for each 999 people)."""
    born = dt.date(1960, 1, 1) + dt.timedelta(days=n // 999)
    first17 = f"140502{born:%Y%m%d}{n % 999 + 1:03d}"
    return first17 + id_number_check_character(first17)


def people_file(path: Path, codes: list[str]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(PEOPLE_HEADERS)
    for n in range(ROWS):
        writer.writerow([f"导入居民{n}", id_number(n), f"139{n:08d}", "流动人口",
                         codes[n % len(codes)], "租住", "2025/3/1"])  # fmt: skip
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))
    return path


def upload(page, path: Path, *, until: str) -> float:
    """Upload ``path`` as a people ledger; the seconds until ``until`` shows."""
    page.goto(page.base + "/registry/import/")
    page.select_option("select[name=kind]", "people")
    page.set_input_files("input[type=file]", str(path))
    started = time.monotonic()
    page.click("form[enctype] button[type=submit]")
    page.wait_for_selector(until, timeout=60_000)
    return time.monotonic() - started


def wait_watching_progress(page, seen: list[str], timeout: float) -> str:
    """Wait until the job stops running (its panel no longer polls), recording every
    progress line the page shows on the way; return the panel's text."""
    deadline = time.monotonic() + timeout
    while page.locator("#job-panel[hx-get]").count():
        line = page.locator("[data-testid=import-progress]")
        if line.count() and (text := line.inner_text()) not in seen:
            seen.append(text)
        assert time.monotonic() < deadline, f"no result after {timeout} s; progress: {seen}"
        time.sleep(0.2)
    return page.inner_text("#job-panel")


def test_a_ten_thousand_row_import_runs_in_the_background_with_progress(page, tmp_path):
    log_in(page, "nanjie.chief")
    path = people_file(tmp_path / "实有人口.csv", station_addresses(page))
    assert path.stat().st_size > 512 * 1024  # over the inline limit: the worker's job
    read = upload(page, path, until="select[name^=map_]")
    started = time.monotonic() - read  # the figures below count from the upload

    seen: list[str] = []
    with page.expect_navigation():
        page.click("text=试导入（只校验，不写入）")
    report = wait_watching_progress(page, seen, timeout=300)
    assert "全部 10000 行校验通过" in report, report[:2000]
    checked = time.monotonic() - started
    assert page.locator(".stat-value").first.inner_text().replace(",", "") == str(ROWS)
    with page.expect_navigation():
        page.click("text=确认导入")
    report = wait_watching_progress(page, seen, timeout=300)
    imported = time.monotonic() - started
    shoot(page, "import-10000-done")
    assert f"新增 {ROWS} 条记录" in report, report[:2000]
    # Progress was shown while the worker ran, counting towards the file's rows.
    counts = [tuple(int(n) for n in m.groups() if n) for m in map(PROGRESS.search, seen) if m]
    assert counts and all(total >= ROWS * 0.9 and done <= total for done, total in counts), seen
    print(f"\n10,000 rows: headers {read:.1f} s, dry run {checked:.1f} s, "
          f"imported {imported:.1f} s; progress lines seen: {seen}")  # fmt: skip


def test_a_zip_bomb_is_refused_in_seconds_while_other_pages_answer(page, tmp_path):
    log_in(page, "nanjie.chief")
    bomb = zip_bomb(tmp_path / "台账.xlsx")
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in page.context.cookies())
    latencies: list[float] = []
    stop = threading.Event()

    def keep_reading() -> None:  # a colleague working on other pages meanwhile
        while not stop.is_set():
            request = urllib.request.Request(page.base + "/incidents/", headers={"Cookie": cookies})
            started = time.monotonic()
            with urllib.request.urlopen(request, timeout=30) as answer:
                assert answer.status == 200
            latencies.append(time.monotonic() - started)

    reader = threading.Thread(target=keep_reading)
    reader.start()
    try:
        refused = upload(page, bomb, until="text=压缩炸弹")
    finally:
        stop.set()
        reader.join()
    shoot(page, "import-zip-bomb-refused")
    assert refused < 5, refused
    assert latencies and max(latencies) < 5, latencies
    print(f"\nzip bomb refused in {refused:.1f} s; /incidents/ answered {len(latencies)} "
          f"times meanwhile, slowest {max(latencies):.2f} s")  # fmt: skip
