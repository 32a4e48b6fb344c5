"""Codes shown to people: an incident's tracking code (查询码) and a whistle's number.

Nine random characters and a check character from the GB 32100 alphabet (no I, O, Z, S,
V), checked like the address codes: a mistyped character or a swap of two neighbours is
caught before the database is asked. Random, not sequential, so a code says nothing
about how many incidents there are and the next one cannot be guessed."""

from __future__ import annotations

import secrets
import unicodedata

from fengqiao.addresses.codes import ALPHABET

LENGTH = 10
_WEIGHTS = [pow(3, i, 31) for i in range(LENGTH - 1)]
_LOOKALIKES = str.maketrans({"I": "1", "O": "0", "Z": "2", "S": "5", "V": "U"})


def check_character(body: str) -> str:
    total = sum(ALPHABET.index(char) * weight for char, weight in zip(body, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def new_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH - 1))
    return body + check_character(body)


def normalise(text: str) -> str:
    """As typed: spaces, dashes and lower case tolerated, look-alike letters mapped."""
    text = unicodedata.normalize("NFKC", text or "").upper()
    cleaned = "".join(ch for ch in text if ch.isascii() and ch.isalnum())
    return cleaned.translate(_LOOKALIKES)


def is_valid(code: str) -> bool:
    return (
        len(code) == LENGTH
        and all(ch in ALPHABET for ch in code)
        and check_character(code[:-1]) == code[-1]
    )


def grouped(code: str) -> str:
    """Printed in groups for reading over the phone: ``7K3Q 9M2A X4``."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))
