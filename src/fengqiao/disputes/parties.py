"""当事人标识: one normalised key per party, so the same person or organisation is found
in other disputes (and the same phone in incidents) through an index, never a name scan.

The key is, by strength: the ID number (GB 11643, upper-case X), the unified social
credit code, else the mobile number, else the name (a weak key: it only links
disputes at the same address)."""

from __future__ import annotations

import hashlib
import unicodedata

from fengqiao.core.validators import normalise_id_number

KEY_ID = "id"
KEY_ORGANISATION = "org"
KEY_PHONE = "tel"
KEY_NAME = "name"


def _digest(kind: str, value: str) -> str:
    # Hashed, so the index holds no identifier in clear and a leaked key reveals nothing
    # a guess could not.
    return f"{kind}:" + hashlib.blake2b(value.encode(), digest_size=16).hexdigest()


def clean_name(name: str) -> str:
    text = unicodedata.normalize("NFKC", name or "")
    return "".join(text.split()).replace("·", "").replace("•", "")


def clean_phone(phone: str) -> str:
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", phone or "") if ch.isdigit())
    return digits[-11:] if len(digits) >= 11 else digits


def party_keys(*, name: str = "", id_number: str = "", credit_code: str = "",
               phone: str = "") -> list[str]:  # fmt: skip
    """Every key a party can be found by, strongest first."""
    keys = []
    if id_number:
        keys.append(_digest(KEY_ID, normalise_id_number(id_number)))
    if credit_code:
        keys.append(_digest(KEY_ORGANISATION, credit_code.strip().upper()))
    if clean_phone(phone):
        keys.append(_digest(KEY_PHONE, clean_phone(phone)))
    if clean_name(name):
        keys.append(_digest(KEY_NAME, clean_name(name)))
    return keys


def party_key(**identity: str) -> str:
    """The party's stored key: the strongest one it has."""
    keys = party_keys(**identity)
    return keys[0] if keys else ""
