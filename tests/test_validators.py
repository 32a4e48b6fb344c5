"""Identifier validation against the standards, and masking."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from fengqiao.core.masking import mask_id_number, mask_name, mask_phone
from fengqiao.core.validators import (
    USCC_ALPHABET,
    id_number_check_character,
    uscc_check_character,
    validate_id_number,
    validate_mobile,
    validate_uscc,
)

# The worked example printed in GB 11643-1999 itself.
STANDARD_EXAMPLES = ["11010519491231002X"]


@pytest.mark.parametrize("number", STANDARD_EXAMPLES)
def test_standard_examples_are_valid(number):
    validate_id_number(number)
    validate_id_number(number.lower())  # a lower-case x is accepted and normalised


@pytest.mark.parametrize(
    "number, code",
    [
        ("11010519491231002", "id_format"),
        ("1101051949123100XX", "id_format"),
        ("110105194912310021", "id_checksum"),
        ("110105194902300021", "id_birth_date"),  # 30 February
        ("110105289912310021", "id_birth_date"),  # born in 2899
    ],
)
def test_invalid_numbers_are_refused_with_the_reason(number, code):
    with pytest.raises(ValidationError) as error:
        validate_id_number(number)
    assert error.value.code == code


birth_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31))


@given(region=st.from_regex(r"[1-6][0-9]{5}", fullmatch=True), birth=birth_dates,
       sequence=st.integers(0, 999))  # fmt: skip
def test_any_number_with_its_check_character_is_valid(region, birth, sequence):
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    validate_id_number(first17 + id_number_check_character(first17))


@given(birth=birth_dates, position=st.integers(0, 16), delta=st.integers(1, 9))
def test_any_single_digit_typo_is_caught(birth, position, delta):
    first17 = f"110105{birth:%Y%m%d}123"
    number = first17 + id_number_check_character(first17)
    typo = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    with pytest.raises(ValidationError):
        validate_id_number(typo)


@pytest.mark.parametrize("phone", ["13812345678", "19912345678"])
def test_mobile_numbers(phone):
    validate_mobile(phone)


@pytest.mark.parametrize("phone", ["12812345678", "1381234567", "138123456789", "138-1234-5678"])
def test_bad_mobile_numbers(phone):
    with pytest.raises(ValidationError):
        validate_mobile(phone)


def test_masks():
    assert mask_id_number("11010519491231002X") == "110***********002X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张三丰") == "张**"
    assert mask_phone("") == ""
    assert mask_phone("12345") == "*****"  # too short to show any part safely


# GB 32100-2015's own example, and a published code of a Shenzhen company.
USCC_EXAMPLES = ["91350100M000100Y43", "9144030071526726XG"]


@pytest.mark.parametrize("code", USCC_EXAMPLES)
def test_uscc_examples_are_valid(code):
    validate_uscc(code)
    validate_uscc(code.lower())


@pytest.mark.parametrize(
    "code, error",
    [
        ("91350100M000100Y4", "uscc_format"),  # 17 characters
        ("91350100M000100I43", "uscc_format"),  # I is not in the alphabet
        ("913501AAM000100Y43", "uscc_format"),  # the division part must be digits
        ("91350100M000100Y44", "uscc_checksum"),
    ],
)
def test_bad_uscc_is_refused_with_the_reason(code, error):
    with pytest.raises(ValidationError) as raised:
        validate_uscc(code)
    assert raised.value.code == error


@given(
    body=st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9),
    region=st.from_regex(r"[0-9]{6}", fullmatch=True),
    position=st.integers(0, 16),
    shift=st.integers(1, 30),
)
def test_any_single_character_uscc_typo_is_caught(body, region, position, shift):
    first17 = "91" + region + body[:9]
    code = first17 + uscc_check_character(first17)
    validate_uscc(code)
    wrong = USCC_ALPHABET[(USCC_ALPHABET.index(code[position]) + shift) % 31]
    typo = code[:position] + wrong + code[position + 1 :]
    with pytest.raises(ValidationError):
        validate_uscc(typo)


@pytest.mark.parametrize(
    "validator, value",
    [
        (validate_id_number, "11010519491231002X".replace("0", "٠")),  # Arabic-Indic digits
        (validate_mobile, "1٣812345678"),
        (validate_uscc, "91350100M000100Y43".replace("5", "５")),  # full-width
    ],
)
def test_only_ascii_digits_count(validator, value):
    with pytest.raises(ValidationError):
        validator(value)
