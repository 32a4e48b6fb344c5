"""Reading an address as people write it into its elements (地址要素解析).

A gazetteer pass finds the divisions (``chain``, over ``divisions.gazetteer``); a scanner cuts
the rest into numbers with their markers (88号, 4栋, 2单元, 5层, 502室) and runs of Chinese
text, which the suffix lexicons (``lexicons``) cut into communities, roads and places
(``local``); what is noise (phone numbers, distances, 交叉口, 附近, 代收, 丰巢, people's
names) goes to ``rest``. No order is assumed and
nothing is "corrected": a division is recognised only when written as one of its names, an old
name stays as written with the code now in force in ``divisions``.

Element values are the text as written, folded to half width; the numbers of door_number,
building, unit, floor and room are given without their marker (号, 栋, 单元, 层, 室).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fengqiao.addresses.reading.chain import find_divisions
from fengqiao.addresses.reading.lexicons import DISTANCE, LABELS, NOISE, PHONE, PICKUP, fold
from fengqiao.addresses.reading.local import State, read_local
from fengqiao.addresses.resolver import ELEMENTS, ParsedAddress

__all__ = ["ELEMENTS", "MAX_LENGTH", "ParsedText", "fold", "parse_text"]

LEVEL_ELEMENTS = ("province", "city", "county", "township")
MUNICIPALITIES = frozenset({"11", "12", "31", "50"})  # 北京 天津 上海 重庆: written as the city

# Longest input read; beyond it the text goes to ``rest`` untouched (no address is that long).
MAX_LENGTH = 300


@dataclass(slots=True)
class ParsedText(ParsedAddress):
    """The elements of one address text (the resolver's twelve), ``""`` where absent, and
    what was left."""

    rest: str = ""
    # Codes in force of the divisions read, most specific last; a name that several divisions
    # bear (朝阳区 with no city written) gives none: the text does not say which.
    divisions: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, str]:
        out = {name: getattr(self, name) for name in ELEMENTS}
        out["rest"] = self.rest
        return out


# --- the whole ----------------------------------------------------------------------------------


_HAN = re.compile(r"[\u3400-\u9fff]")


def _remove(text: str, pattern: re.Pattern[str], rest: list[str]) -> str:
    def drop(m: re.Match[str]) -> str:
        rest.append(m.group(0))
        return " "

    return pattern.sub(drop, text)


def parse_text(text: str) -> ParsedText:
    """The elements of one free-text address; never raises on any string."""
    text = fold(text or "")
    rest: list[str] = []
    if len(text) > MAX_LENGTH:
        rest.append(text[MAX_LENGTH:])
        text = text[:MAX_LENGTH]
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else " " for ch in text)
    if not _HAN.search(text):
        # No Chinese (English, Uyghur, digits alone): nothing to read as an address.
        return ParsedText(rest=" ".join([*rest, text.strip()]).strip())
    text = _remove(text, PICKUP, rest)
    text = _remove(text, PHONE, rest)
    text = _remove(text, DISTANCE, rest)
    text = _remove(text, NOISE, rest)
    text = _remove(text, LABELS, rest)
    hits, dropped = find_divisions(text)
    result = ParsedText()
    pieces: list[str] = []
    position = 0
    kept = {id(h) for h in hits}
    for hit in sorted(hits + dropped, key=lambda h: h.start):
        if hit.start > position:
            pieces.append(text[position : hit.start])
        position = hit.end
        if id(hit) not in kept:
            rest.append(text[hit.start : hit.end])
            continue
        level = min(d.level for d in hit.candidates)
        element = LEVEL_ELEMENTS[level]
        if level == 0 and hit.candidates[0].code[:2] in MUNICIPALITIES:
            element = "city"
        setattr(result, element, getattr(result, element) + text[hit.start : hit.end])
    pieces.append(text[position:])
    # Text before a chain that was replaced (a repeat, another province) is not the address.
    state = State()
    if hits:
        state.values.update({e: getattr(result, e) for e in LEVEL_ELEMENTS if getattr(result, e)})
        state.after_township = min(d.level for d in hits[-1].candidates) == 3
    read_local(pieces, state)
    for element in ELEMENTS:
        value = state.values.get(element, "")
        if value:
            setattr(result, element, value)
    rest.extend(state.rest)
    result.rest = " ".join(r.strip() for r in rest if r.strip())
    result.divisions = tuple(
        h.candidates[0].current for h in hits if len({d.current for d in h.candidates}) == 1
    )
    return result
