"""QR doorplates (二维码门楼牌): QR codes decode back to the URL, sheets read back.

No database. Reading back uses pypdf (text, fonts, page size), pypdfium2 (renders a page)
and zxing-cpp (decodes QR codes); all three install from PyPI wheels without system libs.
"""

from __future__ import annotations

import io
import re
import time
import xml.etree.ElementTree as ET

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from fengqiao.addresses.codes import grouped, make_code
from fengqiao.addresses.doorplates import (
    EMPTY_NOTICE,
    HINT,
    PLATES_PER_PAGE,
    Doorplate,
    doorplate_sheet_pdf,
    qr_png,
    qr_svg,
)

URL = "http://127.0.0.1:8000/a/1405022K7M9QAX"
SVG_NS = "{http://www.w3.org/2000/svg}"


def _plate(number: int = 1) -> Doorplate:
    code = make_code("140502", 2_000_000 + number)
    return Doorplate(
        code=code,
        address=f"山西省晋城市城区南街街道凤台社区阳头路12号3栋{number}单元",
        short="阳头路12号 3栋",
        url=f"http://127.0.0.1:8000/a/{code}",
        police_room="凤台社区警务室",
        duty_phone="0356-2021110",
    )


def _plates(count: int) -> list[Doorplate]:
    return [_plate(number) for number in range(1, count + 1)]


def _decode(image: Image.Image) -> list[zxingcpp.Barcode]:
    return [code for code in zxingcpp.read_barcodes(image) if code.format.name == "QRCode"]


def _text(pdf: bytes) -> str:
    """All text of the PDF, whitespace removed: wrapped lines rejoin."""
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def _page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def _render(pdf: bytes, page: int, dpi: int) -> Image.Image:
    document = pdfium.PdfDocument(pdf)
    try:
        return document[page].render(scale=dpi / 72).to_pil()
    finally:
        document.close()


def _svg_to_image(svg: bytes) -> Image.Image:
    """Rasterise segno's SVG: one path of horizontal 1-unit lines ("M x y", "m dx dy",
    "h n"), scaled by its transform. Enough to prove the SVG itself carries the code."""
    root = ET.fromstring(svg)  # noqa: S314 (our own output)
    path = root.find(f"{SVG_NS}path")
    assert path is not None
    scale = int(re.fullmatch(r"scale\((\d+)\)", path.get("transform", "")).group(1))
    size = int(root.get("width")) // scale
    image = Image.new("L", (size, size), 255)
    x = y = 0.0
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?:[ ,](-?[\d.]+))?", path.get("d")):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            image.paste(0, (int(x), int(y - 0.5), int(x + float(a)), int(y + 0.5)))
            x += float(a)
    return image.resize((size * 8, size * 8), Image.Resampling.NEAREST)


# --- QR codes ------------------------------------------------------------------------


def test_qr_png_decodes_back_to_the_url_with_error_correction_m_or_better() -> None:
    [code] = _decode(Image.open(io.BytesIO(qr_png(URL))))
    assert code.text == URL
    assert code.ec_level in {"M", "Q", "H"}


def test_qr_png_scale_sets_pixels_per_module_and_rejects_zero() -> None:
    small = Image.open(io.BytesIO(qr_png(URL, scale=2)))
    large = Image.open(io.BytesIO(qr_png(URL, scale=10)))
    assert large.size[0] == small.size[0] * 5
    assert small.size[0] == small.size[1]
    with pytest.raises(ValueError):
        qr_png(URL, scale=0)


def test_qr_svg_is_well_formed_standalone_svg_that_decodes_to_the_url() -> None:
    svg = qr_svg(URL)
    root = ET.fromstring(svg)  # noqa: S314 (our own output)
    assert root.tag == f"{SVG_NS}svg"
    # Standalone: no links, images, stylesheets or scripts to fetch.
    assert not re.search(rb"href|<image|<style|<script|url\(", svg)
    [code] = _decode(_svg_to_image(svg))
    assert code.text == URL


def test_qr_has_a_four_module_quiet_zone() -> None:
    image = Image.open(io.BytesIO(qr_png(URL, scale=1))).convert("L")
    width, height = image.size
    border = [
        image.getpixel((x, y))
        for x in range(width)
        for y in range(height)
        if min(x, y, width - 1 - x, height - 1 - y) < 4
    ]
    assert min(border) == 255
    assert image.getpixel((4, 4)) == 0  # the finder pattern starts right after it


# --- PDF sheet -----------------------------------------------------------------------


def test_sheet_contains_the_chinese_text_of_each_plate_as_real_text() -> None:
    plate = _plate()
    text = _text(doorplate_sheet_pdf([plate], title="凤台社区门楼牌"))
    for expected in (
        plate.address,
        plate.short,
        plate.police_room,
        plate.duty_phone,
        grouped(plate.code),
        HINT,
        "凤台社区门楼牌",
        "第1/1页",
    ):
        assert re.sub(r"\s+", "", expected) in text


@pytest.mark.parametrize(("plates", "pages"), [(0, 1), (1, 1), (8, 1), (9, 2), (17, 3)])
def test_sheet_has_eight_plates_a_page(plates: int, pages: int) -> None:
    assert PLATES_PER_PAGE == 8
    pdf = doorplate_sheet_pdf(_plates(plates))
    assert _page_count(pdf) == pages
    assert f"第{pages}/{pages}页" in _text(pdf)


def test_sheet_without_plates_is_one_page_saying_there_are_none() -> None:
    pdf = doorplate_sheet_pdf([])
    assert _page_count(pdf) == 1
    assert EMPTY_NOTICE in _text(pdf)


def test_sheet_of_nine_plates_puts_the_ninth_on_page_two() -> None:
    plates = _plates(9)
    reader = PdfReader(io.BytesIO(doorplate_sheet_pdf(plates)))
    first, second = (re.sub(r"\s+", "", page.extract_text()) for page in reader.pages)
    assert grouped(plates[7].code).replace(" ", "") in first
    assert grouped(plates[8].code).replace(" ", "") in second
    assert grouped(plates[8].code).replace(" ", "") not in first


def test_sheet_is_a4_portrait() -> None:
    box = PdfReader(io.BytesIO(doorplate_sheet_pdf(_plates(1)))).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


def test_sheet_embeds_only_a_subset_of_noto_sans_sc() -> None:
    pdf = doorplate_sheet_pdf(_plates(9))
    reader = PdfReader(io.BytesIO(pdf))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    names = {str(font.get_object()["/BaseFont"]) for font in fonts.values()}
    assert all(re.fullmatch(r"/[A-Z]{6}\+NotoSansSC\w*", name) for name in names), names
    assert len(names) == 2  # regular and bold, distinct names
    assert len(pdf) < 150_000  # the full font is 17 MB


def test_sheet_qr_codes_scan_from_a_150_dpi_render_and_are_at_least_30_mm_wide() -> None:
    plates = _plates(8)
    dpi = 150
    codes = _decode(_render(doorplate_sheet_pdf(plates), 0, dpi))
    assert sorted(code.text for code in codes) == sorted(plate.url for plate in plates)
    for code in codes:
        position = code.position
        width_px = abs(position.top_right.x - position.top_left.x)
        assert width_px / dpi * 25.4 >= 30


def test_sheet_fits_an_overlong_short_line_and_keeps_it_as_text() -> None:
    long_short = "泽州路凤台东街与书院街交叉口东北角商业综合体8号"
    plate = Doorplate(
        code=_plate().code,
        address=_plate().address,
        short=long_short,
        url=_plate().url,
    )
    text = _text(doorplate_sheet_pdf([plate]))
    assert long_short in text
    assert "值班电话" not in text  # no phone given, no empty label


def test_sheet_of_a_hundred_plates_is_small_and_quick() -> None:
    started = time.perf_counter()
    pdf = doorplate_sheet_pdf(_plates(100), title="凤台社区")
    elapsed = time.perf_counter() - started
    assert _page_count(pdf) == 13
    assert len(pdf) < 400_000
    assert elapsed < 5
