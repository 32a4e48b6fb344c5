"""Standard address codes (标准地址编码).

A code is 14 characters: the six-digit GB/T 2260 code of the county where the address
lies, a seven-character serial allocated in that county, and one check character:

    140502 0002K7M A        printed grouped, stored and typed without spaces

Serial and check use the 31-character alphabet of GB 32100 (digits and capital letters
without I, O, Z, S, V), so a code is never misread between 1/I, 0/O, 2/Z, 5/S, U/V. The
check character is computed like GB 32100's: weights 3^i mod 31 over the first 13
characters, check = (31 − sum mod 31) mod 31. Because 31 is prime and every weight and
every weight difference is non-zero modulo 31, any single wrong character and any swap of
two neighbouring different characters is detected. Codes are never reused: a merged or
demolished address keeps its code and resolves to its successor.
"""

from __future__ import annotations

import re

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
SERIAL_LENGTH = 7
CODE_LENGTH = 6 + SERIAL_LENGTH + 1
_WEIGHTS = [pow(3, i, 31) for i in range(CODE_LENGTH - 1)]
_PATTERN = re.compile(rf"^[0-9]{{6}}[{ALPHABET}]{{{SERIAL_LENGTH + 1}}}$")
# People type codes read off a plate: tolerate spaces, dashes and lower case, and the
# letters the alphabet leaves out where they are unambiguous look-alikes.
_LOOKALIKES = str.maketrans({"I": "1", "O": "0", "Z": "2", "S": "5", "V": "U"})


def check_character(body: str) -> str:
    """GB 32100's scheme over this alphabet, for any body up to 13 characters (address
    codes use 13; incident tracking codes 9)."""
    if len(body) > len(_WEIGHTS):
        raise ValueError(f"a body of {len(body)} characters is too long")
    weighted = zip(body, _WEIGHTS, strict=False)  # the first len(body) weights
    total = sum(ALPHABET.index(char) * weight for char, weight in weighted)
    return ALPHABET[(31 - total % 31) % 31]


def encode_serial(number: int) -> str:
    if not 0 < number < 31**SERIAL_LENGTH:
        raise ValueError(f"serial {number} out of range")
    digits = []
    while number:
        number, rest = divmod(number, 31)
        digits.append(ALPHABET[rest])
    return "".join(reversed(digits)).rjust(SERIAL_LENGTH, "0")


def make_code(county_code: str, serial: int) -> str:
    body = f"{county_code}{encode_serial(serial)}"
    return body + check_character(body)


def normalise(text: str) -> str:
    """What a person typed → the stored form (may still be invalid)."""
    return re.sub(r"[\s\-_·.]", "", text or "").upper().translate(_LOOKALIKES)


def is_valid(code: str) -> bool:
    return bool(_PATTERN.match(code)) and check_character(code[:-1]) == code[-1]


def grouped(code: str) -> str:
    """140502 0002K7M A — for plates and print."""
    return f"{code[:6]} {code[6:-1]} {code[-1]}"
