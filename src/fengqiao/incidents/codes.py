"""Codes shown to people: an incident's tracking code (查询码) and a whistle's number.

Nine random characters and a check character from the address codes' alphabet and
scheme (:mod:`fengqiao.addresses.codes`): a mistyped character or a swap of two
neighbours is caught before the database is asked. Random, not sequential, so a code
says nothing about how many incidents there are and the next one cannot be guessed."""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Callable

from fengqiao.addresses.codes import ALPHABET, check_character
from fengqiao.addresses.codes import normalise as normalise_address_code

LENGTH = 10


def new_code(choice: Callable[[str], str] = secrets.choice) -> str:
    """A random tracking code; ``choice`` a seeded generator's for the demo's history."""
    body = "".join(choice(ALPHABET) for _ in range(LENGTH - 1))
    return body + check_character(body)


def normalise(text: str) -> str:
    """As typed: spaces, dashes, lower case, full-width characters and look-alike
    letters tolerated."""
    text = normalise_address_code(unicodedata.normalize("NFKC", text or ""))
    return "".join(ch for ch in text if ch.isascii() and ch.isalnum())


def is_valid(code: str) -> bool:
    return (
        len(code) == LENGTH
        and all(ch in ALPHABET for ch in code)
        and check_character(code[:-1]) == code[-1]
    )


def grouped(code: str) -> str:
    """Printed in groups for reading over the phone: ``7K3Q 9M2A X4``."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))
