"""One line of a file of addresses → the JSON-ready result of reading it.

What cannot be read as an address gets a clear ``error`` beside the (empty) elements rather
than a guess: an empty line, a line longer than any address, bytes that are not text in the
given encoding, text with no Chinese in it (English, Uyghur in Arabic script).
"""

from __future__ import annotations

import unicodedata

from fengqiao.addresses.reading.parser import ELEMENTS, MAX_LENGTH, parse_text

EMPTY: dict[str, str] = dict.fromkeys((*ELEMENTS, "rest"), "")


def _refused(error: str, rest: str = "") -> dict[str, str]:
    return {**EMPTY, "rest": rest, "error": error}


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" for ch in text)


def read_line(raw: bytes, encoding: str = "utf-8") -> dict[str, str]:
    """The elements of one input line (without its line ending)."""
    raw = raw.rstrip(b"\r\n")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]  # a BOM left by spreadsheet exports
    try:
        text = raw.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return _refused(f"not {encoding} text")
    if not text.strip():
        return _refused("empty line")
    if len(text) > MAX_LENGTH:
        return _refused(
            f"line too long ({len(text):,} characters; an address has at most {MAX_LENGTH})"
        )
    controls = sum(
        1 for ch in text if unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and ch != "\t"
    )
    if controls:
        return _refused("binary data, not text")
    if not _has_chinese(text):
        return _refused("no Chinese text: not read as an address", text.strip())
    return parse_text(text).as_dict()
