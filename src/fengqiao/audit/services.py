"""Writing and verifying the audit chain."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.audit.context import current_origin
from fengqiao.audit.models import AuditEvent
from fengqiao.core import bulk
from fengqiao.core.roles import Capability, require

GENESIS_HASH = "0" * 64
CHAIN_LOCK_KEY = 0x46510001  # PostgreSQL advisory lock id for appending to the chain

# The hashed content, in a fixed order: changing it invalidates every existing chain.
HASHED_FIELDS = (
    "seq", "at", "actor_id", "actor_name", "action", "object_type", "object_id",
    "object_ids", "object_repr", "scope_path", "fields", "reason", "ip_address", "user_agent",
    "request_path", "prev_hash",
)  # fmt: skip


def event_hash(values: dict[str, Any]) -> str:
    """SHA-256 of the event's canonical JSON (sorted keys, UTC microsecond timestamps)."""
    content = {name: values[name] for name in HASHED_FIELDS}
    content["at"] = values["at"].astimezone(dt.UTC).isoformat(timespec="microseconds")
    payload = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def event_mac(event_hash_hex: str, key: bytes | None = None) -> str:
    """HMAC-SHA256 of an event's hash under the audit key (the hash already covers the
    content and the link). About a microsecond: the batch append does not feel it."""
    message = b"fengqiao-audit-event-v1:" + event_hash_hex.encode("ascii")
    return hmac.new(key or settings.AUDIT_KEY, message, hashlib.sha256).hexdigest()


def key_id(key: bytes | None = None) -> str:
    """A short public fingerprint of the audit key, written into each checkpoint, so a
    changed key is told apart from tampered events."""
    message = b"fengqiao-audit-key-id-v1"
    return hmac.new(key or settings.AUDIT_KEY, message, hashlib.sha256).hexdigest()[:16]


def lock_chain() -> None:
    """Hold the right to append to the chain until the transaction ends. Writers of other
    shared rows (the rollups) take it first too: then no two transactions can hold such
    rows while each waits for the other's."""
    # SQLite runs every transaction IMMEDIATE (settings), which already serialises writers.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


def _object_identity(obj: Any) -> tuple[str, str, str, str]:
    if obj is None:
        return "", "", "", ""
    return (
        obj._meta.label_lower,
        str(obj.pk),
        str(obj)[:200],
        getattr(obj, "scope_path", "") or "",
    )


def record(
    *,
    actor: Any,
    action: str,
    obj: Any = None,
    fields: Iterable[str] = (),
    reason: str = "",
    object_type: str = "",
    object_id: str = "",
    object_ids: Iterable[object] = (),
    object_repr: str = "",
    scope_path: str = "",
    actor_name: str = "",
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction if there is one,
    so a write and its audit record land or vanish together. ``obj`` is the one object
    acted on; ``object_ids`` the records a list, search or export showed."""
    derived = _object_identity(obj)
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    values: dict[str, Any] = {
        "actor_id": actor.pk if authenticated else None,
        "actor_name": (actor.get_username() if authenticated else actor_name)[:150],
        "action": action,
        "object_type": object_type or derived[0],
        "object_id": object_id or derived[1],
        "object_ids": [str(pk) for pk in object_ids],
        "object_repr": (object_repr or derived[2])[:200],
        "scope_path": scope_path or derived[3],
        "fields": sorted(set(fields)),
        "reason": reason,
    }
    return _append([values])[0]


def record_each(
    *, actor: Any, action: str, objs: Sequence[Any], fields: Iterable[str] = ()
) -> None:
    """One event per object, as :func:`record` would write them one by one, appended
    under one lock in one insert (a batch intake)."""
    fields = sorted(set(fields))
    events = []
    for obj in objs:
        object_type, object_id, object_repr, scope_path = _object_identity(obj)
        events.append({
            "actor_id": actor.pk, "actor_name": actor.get_username()[:150], "action": action,
            "object_type": object_type, "object_id": object_id, "object_ids": [],
            "object_repr": object_repr, "scope_path": scope_path, "fields": fields, "reason": "",
        })  # fmt: skip
    _append(events)


def _append(events: list[dict[str, Any]]) -> list[AuditEvent]:
    """Chain ``events`` after the last one (adding the request's origin, the sequence
    number, the time and the hashes) and insert them, inside the caller's transaction."""
    origin = current_origin.get()
    # No savepoint: a failed append must fail the caller's write too, and two fewer
    # round trips matter on every audited request.
    with transaction.atomic(savepoint=False):
        lock_chain()
        last = AuditEvent.objects.order_by("-seq").values("seq", "hash").first()
        seq, prev = (last["seq"], last["hash"]) if last else (0, GENESIS_HASH)
        at = timezone.now()
        key = settings.AUDIT_KEY
        rows = []
        for event in events:
            seq += 1
            values = {**event, "seq": seq, "at": at, "ip_address": origin.ip_address,
                      "user_agent": origin.user_agent, "request_path": origin.path,
                      "prev_hash": prev}  # fmt: skip
            values["hash"] = prev = event_hash(values)
            values["mac"] = event_mac(prev, key)
            rows.append(AuditEvent(**values))
        if len(rows) == 1:
            rows[0].save(force_insert=True)
            return rows
        return bulk.insert(rows, ids=False)  # a batch's events are not read back (no ids)


MIN_REASON_LENGTH = 4


def reveal_personal_field(*, user: Any, obj: Any, field: str, reason: str) -> str:
    """查看明文: return the unmasked value of one personal field of a record the caller
    has already fetched through its scoped selector. The reason is required, and the
    reveal is in the chain before the value leaves the server."""
    require(user, Capability.REVEAL_PERSONAL)
    if field not in getattr(obj, "PERSONAL_FIELDS", {}):
        raise ValidationError(_("该字段不可查看明文。"))
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationError(_("请填写查看事由（至少%(n)d个字）。") % {"n": MIN_REASON_LENGTH})
    record(actor=user, action="reveal", obj=obj, fields=[field], reason=reason)
    return str(getattr(obj, field) or "")


@dataclass(frozen=True)
class ChainReport:
    """What a walk of the chain found. ``checkpoint`` is the last one it was checked
    against (None: no checkpoint yet, so a deleted tail could not be noticed)."""

    checked: int
    head_hash: str
    broken_seq: int | None = None
    problem: str = ""
    last_seq: int = 0
    unsigned_until: int = 0  # the last event without a MAC (written before MACs): 0 none
    checkpoint: Any = None
    # Every event present verified, but the chain is shorter than ``checkpoint`` says: a
    # deleted tail, or a database restored from a copy older than that checkpoint.
    tail_missing: bool = False

    @property
    def ok(self) -> bool:
        return not self.problem


def verify_chain(
    *, progress: Callable[[int], None] | None = None, checkpoint_copies: Iterable[Any] = ()
) -> ChainReport:
    """Walk the chain in order; report the first event whose content, link, MAC or
    position does not hold, and a chain shorter than the last checkpoint says. Problems
    of the checkpoints themselves are reported as such. ``progress`` is called with the
    number of events checked so far; ``checkpoint_copies`` are exported checkpoint files
    to check against as well. Raises ``checkpoints.KeyMismatchError`` when the configured
    key did not sign the checkpoints."""
    from fengqiao.audit import checkpoints as anchors  # it builds on this module

    try:
        known = anchors.in_force(anchors.load(checkpoint_copies))
    except anchors.CheckpointError as error:
        return ChainReport(0, GENESIS_HASH, problem=f"checkpoints do not hold: {error}")
    reference = known[-1] if known else None
    heads = {checkpoint.seq: checkpoint for checkpoint in known}
    key = settings.AUDIT_KEY
    names = ["hash", "mac", *HASHED_FIELDS]
    expected_prev, expected_seq, checked, unsigned_until = GENESIS_HASH, 1, 0, 0

    def broken(seq: int, problem: str) -> ChainReport:
        return ChainReport(checked, expected_prev, seq, problem, expected_seq - 1,
                           unsigned_until, reference)  # fmt: skip

    rows = AuditEvent.objects.order_by("seq").values_list(*names).iterator(chunk_size=5000)
    for row in rows:
        values = dict(zip(names, row, strict=True))
        seq = values["seq"]
        if seq != expected_seq:
            return broken(expected_seq, f"event #{expected_seq} is missing")
        if values["prev_hash"] != expected_prev:
            return broken(seq, "its link does not match the previous event's hash")
        if event_hash(values) != values["hash"]:
            return broken(seq, "its content was changed after it was written")
        if values["mac"] is None:
            # Only the events written before MACs existed may lack one: a prefix of the
            # chain, sealed by the first checkpoint.
            sealed = reference.legacy_until if reference else unsigned_until + 1
            if seq != unsigned_until + 1 or seq > sealed:
                return broken(seq, "it has no MAC: it was written without the audit key")
            unsigned_until = seq
        elif not hmac.compare_digest(values["mac"], event_mac(values["hash"], key)):
            return broken(seq, "its MAC does not verify: the event was changed or the chain "
                               "recomputed without the audit key")  # fmt: skip
        anchor = heads.get(seq)
        if anchor is not None and anchor.head_hash != values["hash"]:
            return broken(seq, f"it is not the head checkpoint #{anchor.number} signed: "
                               "the chain was recomputed")  # fmt: skip
        expected_prev, expected_seq, checked = values["hash"], seq + 1, checked + 1
        if progress and checked % 1000 == 0:
            progress(checked)
    if progress:
        progress(checked)
    if reference is not None and (checked < reference.count or expected_seq - 1 < reference.seq):
        short = broken(
            expected_seq,
            f"the chain ends at event #{expected_seq - 1} ({checked} events) but checkpoint "
            f"{reference.label} recorded {reference.count} events up to "
            f"#{reference.seq}: its tail was deleted (or the database restored from an older "
            "copy)",
        )
        return replace(short, tail_missing=True)
    return ChainReport(checked, expected_prev, None, "", expected_seq - 1, unsigned_until,
                       reference)  # fmt: skip
