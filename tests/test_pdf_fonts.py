"""The PDFs' Chinese font: cold, a document's characters are subset on demand; warm, the
common characters come from instances built once and kept on disk, and only rare ones are
added, as fpdf2's fallback font — the text stays real, extractable text either way."""

from __future__ import annotations

import io
import re
import string

import pytest
from fpdf import FPDF
from pypdf import PdfReader

from fengqiao.core import pdf_fonts
from fengqiao.core.pdf_fonts import FONT_FAMILY, FontCache

# Fonts only: no database.
pytestmark = pytest.mark.once

SMALL_COMMON = frozenset(string.printable) | frozenset("南街派出所报警人张三")
RARE = "堃"  # in GB 18030, not in GB 2312: a name's character


def test_the_common_set_is_gb2312_and_ascii():
    assert len(pdf_fonts.COMMON) == 95 + 7445
    assert {"南", "，", "A", "（"} <= pdf_fonts.COMMON and RARE not in pdf_fonts.COMMON


def document(cache: FontCache, text: str, monkeypatch) -> str:
    monkeypatch.setattr(pdf_fonts, "font_cache", cache)
    pdf = FPDF()
    with pdf_fonts.embedded_fonts(pdf, text):
        pdf.add_page()
        pdf.set_font(FONT_FAMILY, size=12)
        pdf.cell(text=text)
        pdf.set_font(FONT_FAMILY, "B", size=12)
        pdf.cell(text=text)
        data = bytes(pdf.output())
    page = PdfReader(io.BytesIO(data)).pages[0]
    return re.sub(r"\s+", "", page.extract_text())


@pytest.fixture
def small_common(monkeypatch):
    """A common set of a few characters: building it takes a second, not twelve."""
    monkeypatch.setattr(pdf_fonts, "COMMON", SMALL_COMMON)


def test_a_cold_cache_subsets_what_each_document_needs(monkeypatch):
    cache = FontCache()
    assert cache.fonts_for("南街派出所").fallback is None
    assert document(cache, f"报警人张{RARE}", monkeypatch) == f"报警人张{RARE}" * 2


def test_a_warm_cache_adds_only_rare_characters_as_the_fallback(
    small_common, tmp_path, monkeypatch
):
    cache = FontCache()
    cache.warm(tmp_path)
    assert len(list(tmp_path.glob(f"{FONT_FAMILY}-common-*.ttf"))) == 2
    assert cache.fonts_for("南街派出所报警人张三").fallback is None
    fonts = cache.fonts_for(f"报警人张{RARE}")
    assert fonts.fallback is not None and fonts.main == cache.fonts_for("南").main
    assert document(cache, f"报警人张{RARE}", monkeypatch) == f"报警人张{RARE}" * 2


def test_the_common_instances_are_built_once_per_installation(small_common, tmp_path, monkeypatch):
    FontCache().warm(tmp_path)

    def no_build(*args: object) -> dict[int, bytes]:
        raise AssertionError("built again")

    monkeypatch.setattr(pdf_fonts, "_static_instances", no_build)
    cache = FontCache()
    cache.warm(tmp_path)  # another process, later: loads
    assert cache.fonts_for("南街").fallback is None
