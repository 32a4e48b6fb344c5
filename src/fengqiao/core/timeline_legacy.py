"""Converting timeline lines stored as Chinese sentences to message keys and parameters
(and back), for the migrations that introduced :mod:`fengqiao.core.timeline`.

Frozen with those migrations: a :class:`Legacy` pattern is the sentence exactly as the
code wrote it before (the Chinese wording and the Chinese labels of its enum values).
A line that matches no pattern keeps its sentence in ``note`` with no message and is
shown as stored."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_PLACEHOLDER = re.compile(r"%\((\w+)\)([sd])")


@dataclass(frozen=True)
class Legacy:
    """``template`` is the old Chinese sentence with its placeholders; ``labels`` maps a
    parameter to ``{value: Chinese label}``; ``flags`` are sentences appended when a
    boolean parameter was true; the person's note followed after ``note_after`` (or was
    not part of the sentence: ``None``)."""

    kind: str
    message: str
    template: str
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    flags: dict[str, str] = field(default_factory=dict)
    note_after: str | None = None
    fixed: dict[str, Any] = field(default_factory=dict)  # parameters the sentence implied

    def regex(self) -> re.Pattern[str]:
        parts, last = [], 0
        for match in _PLACEHOLDER.finditer(self.template):
            parts.append(re.escape(self.template[last : match.start()]))
            name, type_ = match.groups()
            parts.append(rf"(?P<{name}>-?\d+)" if type_ == "d" else rf"(?P<{name}>.+?)")
            last = match.end()
        parts.append(re.escape(self.template[last:]))
        for name, text in self.flags.items():
            parts.append(rf"(?P<{name}>{re.escape(text)})?")
        if self.note_after is not None:
            parts.append(rf"(?:{re.escape(self.note_after)}(?P<_note>.*))?")
        return re.compile("^" + "".join(parts) + "$", re.S)

    def parse(self, sentence: str) -> tuple[dict[str, Any], str] | None:
        match = self.regex().match(sentence)
        if match is None:
            return None
        params: dict[str, Any] = dict(self.fixed)
        for name, value in match.groupdict().items():
            if name == "_note":
                continue
            if name in self.flags:
                params[name] = value is not None
            elif name in self.labels:
                values = {label: v for v, label in self.labels[name].items()}
                if value not in values:
                    return None
                params[name] = values[value]
            elif _types(self.template).get(name) == "d":
                params[name] = int(value)
            else:
                params[name] = value
        return params, (match.group("_note") or "") if self.note_after is not None else ""

    def sentence(self, params: dict[str, Any], note: str) -> str:
        values = {k: self.labels[k].get(v, v) if k in self.labels else v for k, v in params.items()}
        text = self.template % values
        text += "".join(t for name, t in self.flags.items() if params.get(name))
        if note and self.note_after is not None:
            text += self.note_after + note
        return text


def _types(template: str) -> dict[str, str]:
    return dict(_PLACEHOLDER.findall(template))


def convert(model: Any, patterns: list[Legacy]) -> int:
    """Give the lines with a recognised sentence their message and parameters (the
    person's note, if the sentence carried one, stays in ``note``). Returns how many."""
    by_kind: dict[str, list[Legacy]] = {}
    for pattern in patterns:
        by_kind.setdefault(pattern.kind, []).append(pattern)
    changed = []
    lines = model.objects.filter(message="", kind__in=list(by_kind)).exclude(note="")
    for line in lines.only("pk", "kind", "note").iterator():
        for pattern in by_kind[line.kind]:
            parsed = pattern.parse(line.note)
            if parsed is not None:
                line.params, line.note = parsed
                line.message = pattern.message
                changed.append(line)
                break
    model.objects.bulk_update(changed, ["message", "params", "note"], batch_size=500)
    return len(changed)


def restore(model: Any, patterns: list[Legacy]) -> int:
    """The way back: the sentence written again in Chinese into ``note``."""
    by_message: dict[str, list[Legacy]] = {}
    for pattern in patterns:
        by_message.setdefault(pattern.message, []).append(pattern)
    changed = []
    lines = model.objects.filter(message__in=list(by_message))
    for line in lines.only("pk", "message", "params", "note").iterator():
        params = line.params or {}
        pattern = next(
            (p for p in by_message[line.message]
             if all(params.get(k) == v for k, v in p.fixed.items())),
            None,
        )  # fmt: skip
        if pattern is None:
            continue
        line.note = pattern.sentence(params, line.note)
        line.message, line.params = "", {}
        changed.append(line)
    model.objects.bulk_update(changed, ["message", "params", "note"], batch_size=500)
    return len(changed)
