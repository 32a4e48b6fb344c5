"""Masking of personal identifiers (身份证号, 手机号) for every list and page.

The unmasked value is shown only through the audited reveal flow.
"""

from __future__ import annotations

MASK = "*"


def mask_middle(value: str, *, keep_start: int, keep_end: int) -> str:
    """Keep ``keep_start`` leading and ``keep_end`` trailing characters, star the rest.
    Short values are starred whole: a partial mask of a short value reveals too much."""
    value = value or ""
    if len(value) <= keep_start + keep_end:
        return MASK * len(value)
    return value[:keep_start] + MASK * (len(value) - keep_start - keep_end) + value[-keep_end:]


def mask_id_number(value: str) -> str:
    """110105199003071234 → 110***********1234 (region, birth date and sequence hidden)."""
    return mask_middle(value, keep_start=3, keep_end=4)


def mask_phone(value: str) -> str:
    """13812345678 → 138****5678, the form people know from receipts."""
    return mask_middle(value, keep_start=3, keep_end=4)


def mask_name(value: str) -> str:
    """张三丰 → 张** : for pages that may show that a person exists but not who."""
    return value[:1] + MASK * (len(value) - 1) if value else ""


MASKS = {"id_number": mask_id_number, "phone": mask_phone, "name": mask_name}


def mask(kind: str, value: str) -> str:
    """Mask ``value`` as the personal-identifier ``kind`` a model declares for the field
    in its ``PERSONAL_FIELDS`` (field name → kind)."""
    return MASKS[kind](value or "")
