"""Validators of Chinese standard identifiers, tested against the standards.

Written here rather than taken from python-stdnum on purpose: its ``cn.ric`` rejects
valid numbers whose region code was created after the holder's birth year (numbers carry
the region of issue, not of birth), and its ``cn.uscc`` requires the first two characters
to be digits, while GB 32100 uses letters too (登记管理部门 ``Y``, …)."""

from __future__ import annotations

import datetime as dt
import operator
import re
import time
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB 11643-1999: weights 2^(17-i) mod 11, check character from (12 - sum mod 11) mod 11.
_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"
_ID_PATTERN = re.compile(r"^[0-9]{17}[0-9X]$")
_MOBILE_PATTERN = re.compile(r"^1[3-9][0-9]{9}$")


def id_number_check_character(first17: str) -> str:
    if len(first17) != 17:
        raise ValueError("the check character is computed from 17 digits")
    total = sum(map(operator.mul, map(int, first17), _ID_WEIGHTS))  # a million a minute
    return _ID_CHECK[total % 11]


def _today() -> dt.date:
    """Today, re-read at most once a minute (``date.today()`` is slow for bulk imports)."""
    now = time.monotonic()
    if now - _TODAY[0] > 60:
        _TODAY[:] = [now, dt.date.today()]
    return _TODAY[1]


_TODAY: list[Any] = [-1e9, None]


def normalise_id_number(value: str) -> str:
    return (value or "").strip().upper()


def validate_id_number(value: str) -> None:
    """居民身份证号码 (GB 11643): 18 characters, a real birth date, the check character."""
    value = normalise_id_number(value)
    if not _ID_PATTERN.match(value):
        raise ValidationError(_("身份证号应为18位：17位数字加1位数字或X。"), code="id_format")
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError(_("身份证号中的出生日期不存在。"), code="id_birth_date") from None
    if birth < dt.date(1900, 1, 1) or birth > _today():
        raise ValidationError(_("身份证号中的出生日期不在合理范围内。"), code="id_birth_date")
    if id_number_check_character(value[:17]) != value[17]:
        raise ValidationError(_("身份证号校验位不正确，请核对是否输错。"), code="id_checksum")


# GB 32100-2015: 18 characters from 31 (no I, O, Z, S, V); weights 3^i mod 31; the last
# character is (31 - sum mod 31) mod 31. Position 1: registering authority, position 2:
# organisation type, 3–8: the division code, 9–17: the organisation code.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
_USCC_PATTERN = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def uscc_check_character(first17: str) -> str:
    total = sum(
        USCC_ALPHABET.index(char) * weight
        for char, weight in zip(first17, _USCC_WEIGHTS, strict=True)
    )
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(value: str) -> None:
    """统一社会信用代码 (GB 32100): 18 characters, the division code, the check character."""
    value = (value or "").strip().upper()
    if not _USCC_PATTERN.match(value):
        raise ValidationError(
            _("统一社会信用代码应为18位数字或大写字母（不含I、O、Z、S、V）。"), code="uscc_format"
        )
    if uscc_check_character(value[:17]) != value[17]:
        raise ValidationError(
            _("统一社会信用代码校验位不正确，请核对是否输错。"), code="uscc_checksum"
        )


def validate_mobile(value: str) -> None:
    """Mainland mobile numbers: 11 digits starting 13–19."""
    if not _MOBILE_PATTERN.match((value or "").strip()):
        raise ValidationError(_("手机号应为以1开头的11位数字。"), code="mobile_format")
