"""The Chinese font of every generated PDF (doorplate sheets, the morning brief, dispute
documents, dashboard reports): Noto Sans SC (思源黑体 / Source Han Sans SC, © Adobe, SIL
Open Font License 1.1), the variable TrueType ``NotoSansSC[wght].ttf`` from Google Fonts,
shipped by the PyPI package ``justmytype-intl-cjk`` (fonts/ofl/notosanssc/, with its
OFL.txt).

Its default instance is Thin, and instancing the whole 17 MB font takes ~13 s, so we
first subset it to the characters a document needs and then instance that subset at
weights 400 and 700 (~0.6 s); fpdf2 then embeds only the glyphs used, so text stays real,
extractable text. A server keeps instances of the common characters (GB 2312), built
once per installation under ``var/cache/``, so documents pay no font work but for rare
characters (see :class:`FontCache`).

Moved here from :mod:`fengqiao.addresses.doorplates` so that every app's PDFs share one
cache.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.varLib import instancer
from fpdf import FPDF

try:  # POSIX: one process builds the shared cache, the others wait for it
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

__all__ = ["BOLD", "FONT_FAMILY", "REGULAR", "FontCache", "embedded_fonts", "font_cache",
           "font_path", "warm_in_background"]  # fmt: skip

FONT_FAMILY = "NotoSansSC"
_FONT_RESOURCE = ("fonts", "ofl", "notosanssc", "NotoSansSC[wght].ttf")
REGULAR, BOLD = 400, 700
STYLES = (("", REGULAR), ("B", BOLD))  # fpdf2 style → weight


def font_path() -> Path:
    """Where the installed `justmytype-intl-cjk` keeps Noto Sans SC."""
    return Path(str(files("justmytype_intl_cjk").joinpath(*_FONT_RESOURCE)))


def _common_characters() -> frozenset[str]:
    """What nearly every document is written in: printable ASCII and the 7,445 characters
    of GB 2312 (6,763 hanzi, the full-width forms and punctuation)."""
    chars = {chr(code) for code in range(0x20, 0x7F)}
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(bytes((high, low)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return frozenset(chars)


COMMON = _common_characters()
FALLBACK_FAMILY = FONT_FAMILY + "Extra"


@dataclass(frozen=True)
class Fonts:
    """The font files of one document: the main family by weight and, for characters
    outside it, a fallback family (None when the text needs none)."""

    main: dict[int, Path]
    fallback: dict[int, Path] | None = None


class FontCache:
    """Static Regular and Bold instances of the variable font, for this process.

    Warm (:meth:`warm`, which ``fengqiao serve`` and the WSGI application start in the
    background), it holds the :data:`COMMON` characters, built once per installation
    (~12 s) and kept in ``settings.CACHE_DIR`` (``var/cache/``), so a document only adds,
    as fpdf2's fallback font, the rare characters it has beyond them (a name's 堃 or 昇:
    ~0.6 s the first time each is seen). Cold, it subsets to the characters seen so far, as
    a first document on a fresh installation would otherwise wait for the whole set."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._common: dict[int, Path] | None = None
        self._seen: frozenset[str] = frozenset()  # subset beyond COMMON, or all when cold
        self._seen_fonts: dict[int, Path] = {}
        self._scratch = Path(tempfile.mkdtemp(prefix="fengqiao-fonts-"))

    def warm(self, cache_dir: Path) -> None:
        """Load the common instances from ``cache_dir``, building them first if missing
        (one process builds, others wait for it: a file lock)."""
        key = _font_key()
        paths = {weight: cache_dir / f"{FONT_FAMILY}-common-{key}-{weight}.ttf"
                 for _style, weight in STYLES}  # fmt: skip
        cache_dir.mkdir(parents=True, exist_ok=True)
        with _exclusive(cache_dir / f"{FONT_FAMILY}-common.lock"):
            if not all(path.exists() for path in paths.values()):
                for weight, data in _static_instances(COMMON, paths.keys()).items():
                    scratch = paths[weight].with_suffix(".new")
                    scratch.write_bytes(data)
                    os.replace(scratch, paths[weight])
        with self._lock:
            self._common = paths
            self._seen, self._seen_fonts = frozenset(), {}

    def fonts_for(self, text: str) -> Fonts:
        needed = set(text) - set("\n\r\t")
        with self._lock:
            if self._common is not None:
                needed -= COMMON
                if not needed:
                    return Fonts(self._common)
            if not needed <= self._seen:
                chars = self._seen | needed
                self._seen_fonts = self._write(_static_instances(chars, (REGULAR, BOLD)))
                self._seen = frozenset(chars)
            if self._common is None:
                return Fonts(self._seen_fonts)
            return Fonts(self._common, self._seen_fonts)

    def _write(self, fonts: dict[int, bytes]) -> dict[int, Path]:
        """Each build in files of its own: a document still being written keeps reading
        the files it was given."""
        directory = Path(tempfile.mkdtemp(dir=self._scratch))
        paths = {}
        for weight, data in fonts.items():
            paths[weight] = directory / f"{weight}.ttf"
            paths[weight].write_bytes(data)
        return paths


def _font_key() -> str:
    """Names the cached instances after the font file and the common set they hold."""
    stat = font_path().stat()
    return hashlib.sha256(f"{stat.st_size}-{stat.st_mtime_ns}-{len(COMMON)}".encode()).hexdigest()[
        :12
    ]


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def warm_in_background() -> threading.Thread:
    """Start :meth:`FontCache.warm` on a daemon thread (it never delays a request: until
    it is done, documents take the cold path)."""
    from django.conf import settings

    def warm() -> None:
        try:
            font_cache.warm(Path(settings.CACHE_DIR))
        except Exception:  # a full disk: documents still work, cold
            logger.exception("the PDF fonts could not be prepared")

    thread = threading.Thread(target=warm, name="pdf-fonts", daemon=True)
    thread.start()
    return thread


def _static_instances(chars: Iterable[str], weights: Iterable[int]) -> dict[int, bytes]:
    """Subset the variable font to ``chars``, then instance that subset at ``weights``."""
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
    character of ``text`` (with a fallback family for rare ones). fpdf2 reads the font
    files lazily, at ``output()``: call it inside the ``with`` block."""
    fonts = font_cache.fonts_for(text)
    for style, weight in STYLES:
        pdf.add_font(FONT_FAMILY, style, str(fonts.main[weight]))
    if fonts.fallback is not None:
        for style, weight in STYLES:
            pdf.add_font(FALLBACK_FAMILY, style, str(fonts.fallback[weight]))
        pdf.set_fallback_fonts([FALLBACK_FAMILY])
    yield
