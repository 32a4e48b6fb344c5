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

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_DIGITS = "0123456789"
# digits are single bytes in UTF-8 and no other character's bytes look like them, so
# the shape is the UTF-8 text with bytes.translate (much faster than str.translate)
_SHAPE = bytes.maketrans(b"123456789", b"000000000")
_SHIFT = bytes.maketrans(b"0123456789", b"1234567890")
_RUN = re.compile(r"[0-9]+")
_HAS_DIGIT = re.compile(r"[0-9]")
_SAME_DIGITS = re.compile(r"([0-9])\1*")
MAX_RUNS = 10  # a run is told by its digit in the probe: 0..9
# a run this long may be a phone number, which reading removes by its digits' values
PHONE_RUN = 7


@dataclass(slots=True)
class Shape:
    """One reading, with the places of the entry's digit runs as ``str.format`` fields."""

    constant_ids: list[int]  # ids of the grams without digits
    variable: list[str]  # format strings of the grams with digits (they come after)
    weights: list[float]  # per gram, constants first
    tail_ids: list[int]  # the last name run's grams (never digits)
    number_ids: list[int]  # by role: the value's id, 0 when absent or variable
    number_fields: list[tuple[int, str]]  # (role, format string) of the variable ones
    plain: str  # format string (the plain text itself when ``fixed``)
    gate: bool
    places: frozenset[str]
    fixed: bool  # no digits at all: every entry of the shape is the same reading


@dataclass(slots=True)
class EntryReading:
    gram_ids: list[int]
    weights: list[float]
    tail_ids: list[int]
    number_ids: list[int]  # by role, ids in ``values`` ("" is 0)
    plain: str
    gate: bool
    places: frozenset[str]


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
        self._shapes: dict[bytes, Shape | None] = {}

    def __call__(self, text: str) -> EntryReading:
        text = text[:300]  # as read() does: the shape must cover what is read
        key = text.encode("utf-8", "surrogatepass").translate(_SHAPE)
        shape = self._shapes.get(key, False)
        if shape is False:
            shape = self._shapes[key] = self._shape(key.decode("utf-8", "surrogatepass"))
        if shape is None:
            return self.direct(text)
        if shape.fixed:
            return EntryReading(
                shape.constant_ids, shape.weights, shape.tail_ids, shape.number_ids,
                shape.plain, shape.gate, shape.places,
            )  # fmt: skip
        runs = _RUN.findall(text)
        vocab = self.vocab
        ids = [vocab.setdefault(f.format(*runs), len(vocab)) for f in shape.variable]
        if len(set(ids)) < len(ids):
            return self.direct(text)  # two grams made equal by the digits (5号…5号)
        numbers = shape.number_ids
        if shape.number_fields:
            numbers = numbers.copy()
            values = self.values
            for role, f in shape.number_fields:
                numbers[role] = values.setdefault(f.format(*runs), len(values))
        return EntryReading(
            shape.constant_ids + ids,
            shape.weights,
            shape.tail_ids,
            numbers,
            shape.plain.format(*runs),
            shape.gate,
            shape.places,
        )

    def direct(self, text: str) -> EntryReading:
        """The entry read by itself (no shape shared)."""
        reading = self._read(text)
        own = self._grams(reading)
        vocab, values = self.vocab, self.values
        ids = [vocab.setdefault(g, len(vocab)) for g in own]
        tail = [vocab[g] for g in set(self._tail_grams(reading))]
        numbers = [values.setdefault(x, len(values)) for x in reading.numbers]
        return EntryReading(
            ids, list(own.values()), tail, numbers, reading.plain, reading.gate, reading.places
        )

    def _shape(self, key: str) -> Shape | None:
        runs = [m.span() for m in _RUN.finditer(key)]
        if len(runs) > MAX_RUNS or any(b - a >= PHONE_RUN for a, b in runs):
            return None
        if not runs:  # no digits: the reading is every entry's of the shape
            a = self._read(key)
            grams = self._grams(a)
            fields: list[str | None] = [_escape(x) for x in (*grams, *a.numbers, a.plain)]
        else:
            a, b = (self._read(_probe(key, runs, step)) for step in (0, 1))
            grams, grams_b = self._grams(a), self._grams(b)
            texts_a = [*grams, *a.numbers, a.plain, *a.tokens]
            texts_b = [*grams_b, *b.numbers, b.plain, *b.tokens]
            if (
                len(texts_a) != len(texts_b)
                or list(grams.values()) != list(grams_b.values())
                or (a.gate, a.places, a.tail) != (b.gate, b.places, b.tail)
                or not _digits_shift(texts_a, texts_b)
            ):
                return None
            lengths = [b - a for a, b in runs]
            fields = [_fields(x, lengths) if _HAS_DIGIT.search(x) else _escape(x) for x in texts_a]
            if any(f is None for f in fields):
                return None
        vocab, values = self.vocab, self.values
        constant_ids: list[int] = []
        constant_w: list[float] = []
        variable: list[str] = []
        variable_w: list[float] = []
        for (g, w), f in zip(grams.items(), fields, strict=False):
            if f == _escape(g):
                constant_ids.append(vocab.setdefault(g, len(vocab)))
                constant_w.append(w)
            else:
                variable.append(f)
                variable_w.append(w)
        k = len(grams)
        number_ids = [0] * len(a.numbers)
        number_fields: list[tuple[int, str]] = []
        for role, (x, f) in enumerate(zip(a.numbers, fields[k : k + len(a.numbers)], strict=True)):
            if f == _escape(x):
                number_ids[role] = values.setdefault(x, len(values))
            else:
                number_fields.append((role, f))
        tail = [vocab[g] for g in set(self._tail_grams(a))]
        plain = fields[k + len(a.numbers)] if runs else a.plain
        return Shape(
            constant_ids, variable, constant_w + variable_w, tail, number_ids, number_fields,
            plain, a.gate, a.places, fixed=not runs,
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
    """The probe's text as a format string ({k} for run k), None when a run is cut."""
    ok = True

    def field(m: re.Match[str]) -> str:
        nonlocal ok
        k = int(m.group(1))
        if k >= len(lengths) or len(m.group()) != lengths[k]:
            ok = False
        return "{" + m.group(1) + "}"

    out = _SAME_DIGITS.sub(field, _escape(text))
    return out if ok else None
