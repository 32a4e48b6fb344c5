"""Read a registry's entries once per shape, not once per entry (the matcher's build).

A registry's entries share their text but for the numbers: 山西省晋城市城区…新华路3号翠石新村
1栋1单元101室, …1栋1单元102室 and …12栋2单元503室 differ only in their digits. Reading an
address (:func:`fengqiao.addresses.reading.matcher.read`) is the bulk of building an index,
and what it gives does not depend on the digits' values, only on where they are: a number's
role comes from its marker and its neighbours, and the numbers themselves are copied through.
So the entries are grouped by their *shape* (every digit written as 0), one entry of each
shape is read, and the others get that reading with their own digits put back in.

Whether a shape may be shared is checked, not assumed: the shape is read twice with
different digits (run k of the text written with the digit k, then k + 1), and the two
readings must be the same but for those digits, digit for digit. Anything that turns other
characters into digits (三栋 → 3栋, full-width ３), reads numbers by their value (a phone
number) or has more than ten digit runs falls back to reading the entry itself; so does an
entry whose own digits make two of its grams equal (5号…5号).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import re
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, cast

_DIGITS = "0123456789"
# digits are single bytes in UTF-8 and no other character's bytes look like them, so
# the shape is the UTF-8 text with bytes.translate (much faster than str.translate)
_SHAPE = bytes.maketrans(b"123456789", b"000000000")
_SHIFT = bytes.maketrans(b"0123456789", b"1234567890")
_RUN = re.compile(r"[0-9]+")
_HAS_DIGIT = re.compile(r"[0-9]")
MAX_RUNS = 10  # a run is told by its digit in the probe: 0..9
# a run this long may be a phone number, which reading removes by its digits' values
PHONE_RUN = 7


@dataclass(slots=True)
class Shape:
    """One reading, with the places of the entry's digit runs as ``str.format`` fields."""

    constant_ids: array[int]  # ids of the grams without digits
    weights: array[float]  # per gram: the constants, then the variable ones
    tail_ids: array[int]  # the last name run's grams (never digits)
    number_ids: array[int]  # by role: the value's id; 0 when absent or variable
    # one format string for everything with digits, parts joined by \x00: the variable
    # grams, then the variable numbers, then the plain text (one call and one split)
    fields: str
    grams: int  # how many variable grams
    number_roles: list[int]  # the roles of the variable numbers
    number_base: list[int]  # the constant roles' ids, in role order
    pick: Callable[[list[int]], tuple[int, ...]]  # (base + variable ids) → ids by role
    may_collide: bool  # two variable grams could be made equal by the digits
    plain: str  # the plain text when it has no digits
    gate: bool
    places: frozenset[str]


# what an entry's reading gives the build: gram ids (constant, variable), weights, tail ids,
# number ids by role, plain text, gate, places
Read = tuple[
    "array[int]", list[int], "array[float]", "array[int]", "array[int]", str, bool,
    frozenset[str],
]  # fmt: skip
_NO_IDS: list[int] = []
_ONCE = object()  # a shape seen once (read directly; its Shape made when seen again)


class ShapeReader:
    """Entry readings for a matcher's build, with the grams' ids in ``vocab`` and the
    numbers' in ``values``.

    ``read``, ``grams`` and ``tail_grams`` are the matcher's own (passed in, so this module
    stays below it)."""

    def __init__(
        self,
        vocab: dict[str, int],
        values: dict[str, int],
        read: Callable[[str], Any],
        grams: Callable[[Any], dict[str, float]],
        tail_grams: Callable[[Any], list[str]],
    ) -> None:
        self.vocab, self.values = vocab, values
        self._read, self._grams, self._tail_grams = read, grams, tail_grams
        self._shapes: dict[bytes, Shape | object | None] = {}

    def __call__(self, text: str) -> Read:
        text = text[:300]  # as read() does: the shape must cover what is read
        key = text.encode("utf-8", "surrogatepass").translate(_SHAPE)
        shape = self._shapes.get(key, False)
        if shape is False:  # a shape seen once is read directly: most texts of a real
            self._shapes[key] = _ONCE  # export are of a shape of their own
            return self.direct(text)
        if shape is _ONCE:
            shape = self._shapes[key] = self._shape(key.decode("utf-8", "surrogatepass"))
        if not isinstance(shape, Shape):  # None: a shape that must be read entry by entry
            return self.direct(text)
        if not shape.fields:  # no digits: every entry of the shape reads the same
            return (
                shape.constant_ids, _NO_IDS, shape.weights, shape.tail_ids, shape.number_ids,
                shape.plain, shape.gate, shape.places,
            )  # fmt: skip
        parts = shape.fields.format(*_RUN.findall(text)).split("\x00")
        k = shape.grams
        ids = list(map(self.vocab.get, parts[:k]))
        if None in ids:
            vocab = self.vocab
            ids = [vocab.setdefault(g, len(vocab)) for g in parts[:k]]
        if shape.may_collide and len(set(ids)) < k:
            return self.direct(text)  # two grams made equal by the digits (5号…5号)
        numbers: Any = shape.number_ids
        if shape.number_roles:
            got = list(map(self.values.get, parts[k:-1]))
            if None in got:
                values = self.values
                got = [values.setdefault(x, len(values)) for x in parts[k:-1]]
            # by role: the constant ids, then the variable ones, picked at C speed
            numbers = shape.pick(shape.number_base + cast(list[int], got))
        return (
            shape.constant_ids, cast(list[int], ids), shape.weights, shape.tail_ids, numbers,
            parts[-1], shape.gate, shape.places,
        )  # fmt: skip

    def direct(self, text: str) -> Read:
        """The entry read by itself (no shape shared)."""
        reading = self._read(text)
        own = self._grams(reading)
        vocab, values = self.vocab, self.values
        ids = array("i", [vocab.setdefault(g, len(vocab)) for g in own])
        tail = array("i", [vocab[g] for g in set(self._tail_grams(reading))])
        numbers = array("i", [values.setdefault(x, len(values)) for x in reading.numbers])
        weights = array("f", own.values())
        return ids, _NO_IDS, weights, tail, numbers, reading.plain, reading.gate, reading.places

    def _shape(self, key: str) -> Shape | None:
        runs = [m.span() for m in _RUN.finditer(key)]
        if len(runs) > MAX_RUNS or any(b - a >= PHONE_RUN for a, b in runs):
            return None
        if not runs:  # no digits: the reading is every entry's of the shape
            a = self._read(key)
            grams = self._grams(a)
        else:
            a, b = (self._read(_probe(key, runs, step)) for step in (0, 1))
            grams, grams_b = self._grams(a), self._grams(b)
            if (
                len(grams) != len(grams_b)
                or list(grams.values()) != list(grams_b.values())
                or (a.gate, a.places, a.tail) != (b.gate, b.places, b.tail)
                or len(a.tokens) != len(b.tokens)
                or not _digits_shift(
                    [*grams, *a.numbers, a.plain, *a.tokens],
                    [*grams_b, *b.numbers, b.plain, *b.tokens],
                )
            ):
                return None
            if "\x00" in a.plain or any("\x00" in x for x in a.numbers):
                return None  # the separator of the parts
        lengths = [b - a for a, b in runs]
        vocab, values = self.vocab, self.values
        constant_ids, constant_w = array("i"), array("f")
        variable: list[str] = []
        variable_w: list[float] = []
        has_digit = _HAS_DIGIT.search
        for g, w in grams.items():
            if has_digit(g):
                variable.append(g)
                variable_w.append(w)
            else:
                constant_ids.append(vocab.setdefault(g, len(vocab)))
                constant_w.append(w)
        number_ids = array("i", [0] * len(a.numbers))
        number_roles: list[int] = []
        for role, x in enumerate(a.numbers):
            if has_digit(x):
                number_roles.append(role)
                variable.append(x)
            else:
                number_ids[role] = values.setdefault(x, len(values))
        tail = array("i", [vocab[g] for g in set(self._tail_grams(a))])
        joined = ""
        if runs:
            fields = _fields("\x00".join([*variable, a.plain]), lengths)
            if fields is None:
                return None
            joined = fields
        elif variable:
            return None  # digits the text did not have (三栋 → 3栋): read each entry alone
        constant_roles = [r for r in range(len(a.numbers)) if r not in number_roles]
        order = {r: i for i, r in enumerate(constant_roles)}
        order |= {r: len(constant_roles) + i for i, r in enumerate(number_roles)}
        grams_with_digits = variable[: len(variable) - len(number_roles)]
        wildcards = {_RUN.sub("#", g) for g in grams_with_digits}  # digits are the fields
        return Shape(
            constant_ids, constant_w + array("f", variable_w), tail, number_ids, joined,
            len(grams_with_digits), number_roles, [number_ids[r] for r in constant_roles],
            itemgetter(*[order[r] for r in range(len(a.numbers))]),
            len(wildcards) < len(grams_with_digits), a.plain, a.gate, a.places,
        )  # fmt: skip


def _probe(key: str, runs: list[tuple[int, int]], step: int) -> str:
    """The shape with its k-th digit run written in the digit (k + step) % 10."""
    out, last = [], 0
    for k, (a, b) in enumerate(runs):
        out.append(key[last:a])
        out.append(_DIGITS[(k + step) % 10] * (b - a))
        last = b
    out.append(key[last:])
    return "".join(out)


def _digits_shift(xs: list[str], ys: list[str]) -> bool:
    """Each ``y`` is its ``x`` with every digit d written d + 1: every digit came from one
    of the text's runs, copied through (a digit made otherwise stays the same in both)."""
    x = "\x00".join(xs).encode("utf-8", "surrogatepass")
    y = "\x00".join(ys).encode("utf-8", "surrogatepass")
    return x.translate(_SHIFT) == y


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _fields(text: str, lengths: list[int]) -> str | None:
    """The probe's text as a format string ({k} for run k, written as k in the probe);
    None when a digit is left that is not a whole run."""
    if _PLACEHOLDER.search(text):
        return None
    for k, length in enumerate(lengths):
        text = text.replace(_DIGITS[k] * length, _PLACEHOLDERS[k])
    if _HAS_DIGIT.search(text):
        return None
    return _escape(text).translate(_FIELDS)


# run k stands in the text as a private-use character until the digits are all accounted
_PLACEHOLDERS = [chr(0xE000 + k) for k in range(MAX_RUNS)]
_PLACEHOLDER = re.compile("[" + "".join(_PLACEHOLDERS) + "]")
_FIELDS = {0xE000 + k: "{" + str(k) + "}" for k in range(MAX_RUNS)}


def release_freed_memory() -> None:
    """Give the heap's free memory back to the system after a large build (glibc only;
    elsewhere nothing). A build's numpy temporaries of a few MB land on the heap once a
    larger block has been freed (glibc's adaptive mmap threshold), and glibc keeps up to
    64 MB free there: at a million entries some 100 MB the index does not use."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)
