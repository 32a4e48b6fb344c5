"""The Chinese font of every generated PDF (doorplate sheets, the morning brief, dispute
documents, dashboard reports): Noto Sans SC (思源黑体 / Source Han Sans SC, © Adobe, SIL
Open Font License 1.1), the variable TrueType ``NotoSansSC[wght].ttf`` from Google Fonts,
shipped by the PyPI package ``justmytype-intl-cjk`` (fonts/ofl/notosanssc/, with its
OFL.txt).

Its default instance is Thin, and instancing the whole 17 MB font takes ~13 s, so we
first subset it to the characters a document needs and then instance that subset at
weights 400 and 700 (~0.6 s); fpdf2 then embeds only the glyphs used, so text stays real,
extractable text. One process-wide cache keeps the instances for the characters seen so
far, so most documents pay no font work at all.

Moved here from :mod:`fengqiao.addresses.doorplates` so that every app's PDFs share one
cache.
"""

from __future__ import annotations

import io
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.varLib import instancer
from fpdf import FPDF

__all__ = ["BOLD", "FONT_FAMILY", "REGULAR", "FontCache", "embedded_fonts", "font_cache",
           "font_path"]  # fmt: skip

FONT_FAMILY = "NotoSansSC"
_FONT_RESOURCE = ("fonts", "ofl", "notosanssc", "NotoSansSC[wght].ttf")
REGULAR, BOLD = 400, 700
STYLES = (("", REGULAR), ("B", BOLD))  # fpdf2 style → weight


def font_path() -> Path:
    """Where the installed `justmytype-intl-cjk` keeps Noto Sans SC."""
    return Path(str(files("justmytype_intl_cjk").joinpath(*_FONT_RESOURCE)))


class FontCache:
    """Static Regular and Bold instances of the variable font, subset to the characters
    seen so far in this process. The set only grows, so after the first document most
    documents reuse the cached fonts instead of paying the ~0.6 s subset-and-instance."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._chars: frozenset[str] = frozenset()
        self._fonts: dict[int, bytes] = {}

    def fonts_for(self, text: str) -> dict[int, bytes]:
        needed = set(text) - set("\n\r\t")
        with self._lock:
            if not needed <= self._chars:
                chars = self._chars | needed
                self._fonts = _static_instances(chars, (REGULAR, BOLD))
                self._chars = frozenset(chars)
            return self._fonts


def _static_instances(chars: Iterable[str], weights: Iterable[int]) -> dict[int, bytes]:
    font = TTFont(font_path())
    options = subset.Options()
    options.layout_features = []  # fpdf2 maps characters through cmap without shaping
    options.notdef_outline = True
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(char) for char in chars])
    subsetter.subset(font)
    fonts = {}
    for weight in weights:
        static = instancer.instantiateVariableFont(
            font, {"wght": weight}, static=True, updateFontNames=True
        )
        buffer = io.BytesIO()
        static.save(buffer)
        fonts[weight] = buffer.getvalue()
    return fonts


font_cache = FontCache()


@contextmanager
def embedded_fonts(pdf: FPDF, text: str) -> Iterator[None]:
    """Register :data:`FONT_FAMILY` Regular ("") and Bold ("B") on ``pdf``, covering every
    character of ``text``. fpdf2 reads the font files lazily, at ``output()``: call it
    inside the ``with`` block, while the files still exist."""
    fonts = font_cache.fonts_for(text)
    with tempfile.TemporaryDirectory(prefix="pdf-fonts-") as font_dir:
        for style, weight in STYLES:
            path = Path(font_dir) / f"{FONT_FAMILY}-{weight}.ttf"
            path.write_bytes(fonts[weight])
            pdf.add_font(FONT_FAMILY, style, str(path))
        yield
