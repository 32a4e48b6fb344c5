"""The timeline line every domain keeps (incidents, disputes, the domains to come).

A line says what happened (``kind``), who did it and when, the status it moved from and
to, what the system has to say about it as a message key with its parameters
(``message`` + ``params``), and what a person typed (``note``, shown as typed). The
system's sentence is not stored: it is rendered when the line is read, in the reader's
language, from the message's translatable template. Parameters that are enum values
(a status, a role, an outcome) are stored as values and rendered through their labels
at read time too, so an English reader sees "Lead mediator", not "主调解员", on a line
written in Chinese a year ago.

Lines written before the message keys existed (and lines whose sentence did not match
any known wording when they were converted) keep their text in ``note`` with no
message: they are shown as stored."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from fengqiao.core.text import join_list

# How a parameter's stored value becomes text: a choices class (its label), or a function.
Render = type[models.Choices] | Callable[[Any], str]


def choice_label(choices: type[models.Choices], value: Any) -> str:
    """The label of ``value`` in ``choices`` in the active language; an unknown value
    (a choice retired since the line was written) as stored."""
    return str(choices(value).label) if value in choices.values else str(value)


@dataclass(frozen=True)
class Message:
    """A translatable sentence with named placeholders (``%(role)s``). ``render`` says
    how to turn a stored parameter into text (others are shown as stored; lists are
    joined); ``suffixes`` are sentences appended when their parameter is true (“(with
    photo)”)."""

    template: str | Promise
    render: Mapping[str, Render] = field(default_factory=dict)
    suffixes: Mapping[str, str | Promise] = field(default_factory=dict)

    def format(self, params: Mapping[str, Any]) -> str:
        values: dict[str, Any] = {}
        for name, value in params.items():
            how = self.render.get(name)
            if how is None:
                values[name] = join_list(value) if isinstance(value, list) else value
            elif isinstance(how, type) and issubclass(how, models.Choices):
                values[name] = choice_label(how, value)
            else:
                values[name] = how(value)
        text = str(self.template) % values
        for name, suffix in self.suffixes.items():
            if params.get(name):
                text += str(suffix) % values
        return text


def render_message(messages: Mapping[str, Message], key: str, params: Mapping[str, Any]) -> str:
    """The sentence for ``key`` with ``params`` in the active language ("" for no key).
    A key or parameter the code no longer knows shows the raw parameters rather than
    failing the whole page."""
    if not key:
        return ""
    message = messages.get(key)
    try:
        if message is not None:
            return message.format(params)
    except (KeyError, TypeError, ValueError):
        pass
    return " ".join(f"{k}={v}" for k, v in [("message", key), *params.items()])


class TimelineEvent(models.Model):
    """One line of a record's timeline. Never edited: a correction is a new line.

    A domain's line inherits this, adds the foreign key to its record, narrows
    ``kind``/``from_status``/``to_status`` to its choices and sets ``messages``, the
    registry of the sentences it writes."""

    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    kind = models.CharField(_("类型"), max_length=14)
    from_status = models.CharField(_("原状态"), max_length=16, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, blank=True)
    message = models.CharField(_("系统说明"), max_length=32, blank=True)
    params = models.JSONField(_("说明参数"), default=dict, blank=True)
    note = models.TextField(_("说明"), blank=True)

    messages: ClassVar[Mapping[str, Message]] = {}

    class Meta:
        abstract = True
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"  # type: ignore[attr-defined]

    @property
    def text(self) -> str:
        """What the system says about this line, in the active language ("" if nothing)."""
        return render_message(self.messages, self.message, self.params or {})


__all__ = ["Message", "TimelineEvent", "choice_label", "render_message"]
