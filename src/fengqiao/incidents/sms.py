"""SMS to citizens through a pluggable gateway.

``settings.FENGQIAO_SMS_BACKEND`` names a class with ``send(phone, text)``; the default
console backend prints the message with the number masked (nothing leaves the machine,
and a terminal or its log is no place for a citizen's phone number), which is what a
station without a contract with an SMS provider needs. A provider's backend raises
:class:`SmsError` on failure; the message stays in the outbox with the reason."""

from __future__ import annotations

import contextvars
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from fengqiao.core import bulk
from fengqiao.core.masking import mask_phone
from fengqiao.incidents import codes


class SmsError(Exception):
    pass


class Backend(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class ConsoleBackend:
    """Writes each message to standard output, the number masked."""

    def send(self, phone: str, text: str) -> None:
        sys.stdout.write(f"[SMS to {mask_phone(phone)}] {text}\n")


class CountingBackend:
    """Sends nothing and counts: see :func:`held`."""

    def __init__(self) -> None:
        self.count = 0

    def send(self, phone: str, text: str) -> None:
        self.count += 1


_held: contextvars.ContextVar[CountingBackend | None] = contextvars.ContextVar(
    "sms_held", default=None
)


@contextmanager
def held() -> Iterator[CountingBackend]:
    """Within the block no message reaches the gateway; they are counted (and marked
    sent in the outbox). For the demo bureau: its phone numbers are invented, so a real
    gateway must never see them, and a console of a hundred lines helps nobody."""
    counter = CountingBackend()
    token = _held.set(counter)
    try:
        yield counter
    finally:
        _held.reset(token)


class MemoryBackend:
    """Keeps messages in ``outbox`` (tests)."""

    outbox: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        self.outbox.append((phone, text))


def backend() -> Backend:
    if (counter := _held.get()) is not None:
        return counter
    path = getattr(settings, "FENGQIAO_SMS_BACKEND", "fengqiao.incidents.sms.ConsoleBackend")
    return import_string(path)()


def public_base_url() -> str:
    """Where citizens reach the portal: FENGQIAO_PUBLIC_BASE_URL, else the address
    ``fengqiao serve`` is serving at (it sets FENGQIAO_SERVED_URL), else empty."""
    base = getattr(settings, "FENGQIAO_PUBLIC_BASE_URL", "") or getattr(
        settings, "FENGQIAO_SERVED_URL", ""
    )
    return str(base).rstrip("/")


def tracking_text(incident: Any) -> str:
    base = public_base_url()
    where = f"{base}/track/" if base else _("公安机关网上服务页面的“警情查询”")
    return _(
        "【枫桥】您的报警已登记，查询码 %(code)s。凭查询码和手机号后四位可在 %(where)s "
        "查看办理进度、补充线索。"
    ) % {"code": codes.grouped(incident.tracking_code), "where": where}


def prepare_tracking_messages(incidents: Sequence[Any]) -> list[Any]:
    """Write the incidents' tracking SMS to the outbox; they are sent once the intake has
    committed (a gateway is never called from inside a transaction that may still roll
    back)."""
    from fengqiao.incidents.models import SmsMessage

    messages = bulk.insert(
        SmsMessage(incident=i, phone=i.reporter_phone, text=tracking_text(i)) for i in incidents
    )
    if messages:
        transaction.on_commit(lambda: send(messages))
    return messages


def send(messages: Sequence[Any]) -> None:
    """Hand each message to the gateway; record when it went, or why it did not."""
    gateway = backend()
    sent, failed = [], []
    for message in messages:
        try:
            gateway.send(message.phone, message.text)
        except SmsError as error:
            message.error = str(error)[:200]
            failed.append(message)
        else:
            sent.append(message)
    outbox = type(messages[0]).objects
    if sent:  # one plain UPDATE: bulk_update's CASE per row costs more than the send
        now = timezone.now()
        for message in sent:
            message.sent_at = now
        outbox.filter(pk__in=[m.pk for m in sent]).update(sent_at=now)
    if failed:
        outbox.bulk_update(failed, ["error"])
