"""审计链检查点: signed statements of the chain's head, kept outside the audited table.

The MAC on each event stops someone who can write the table (but lacks the audit key) from
editing an event and recomputing the chain after it. It cannot show that the last events
were deleted: the shorter chain is still perfectly linked and signed. A checkpoint can —
"on 2026-12-07 at 02:00 the chain held 48,213 events up to #48,213, whose hash is 9f3c…"
— signed with the same key, appended as one JSON line to ``settings.AUDIT_CHECKPOINT_FILE``
(the authority) and copied into ``audit_auditcheckpoint`` (so that a truncated or replaced
file shows too). Checkpoints are chained to each other by their MACs and numbered from 1,
so a line removed from the middle of the file shows as well.

Written nightly (the ``audit_checkpoint`` management command) and on demand
(``./fq audit-checkpoint``), copied off the machine with ``--export``, and printed at the
foot of the morning brief, so a copy exists outside the server too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fengqiao.audit.models import AuditCheckpoint
from fengqiao.audit.services import GENESIS_HASH, ChainReport, key_id, lock_chain, verify_chain


class CheckpointError(Exception):
    """A checkpoint source does not hold: edited, truncated, reordered or unreadable."""


class KeyMismatchError(Exception):
    """The configured audit key is not the one that signed the checkpoints: nothing can be
    verified until the right key is configured (this is not evidence of tampering)."""


class ChainBrokenError(Exception):
    """The chain does not verify: a checkpoint would bless the damage, so none is written."""

    def __init__(self, report: ChainReport) -> None:
        self.report = report
        super().__init__(report.problem)


@dataclass(frozen=True)
class Checkpoint:
    number: int
    seq: int
    count: int
    head_hash: str
    at: dt.datetime
    legacy_until: int
    key_id: str
    prev_mac: str
    mac: str = ""
    # 恢复检查点: written by a restore of an older backup. The chain was set back to this
    # head; the checkpoints before it that recorded more describe the events lost with the
    # restore, and the chain goes on from here (see :func:`in_force`).
    restore: bool = False

    def payload(self) -> dict[str, Any]:
        """The signed content, as written to the file (the MAC beside it)."""
        content = asdict(self)
        content.pop("mac")
        if not self.restore:
            content.pop("restore")  # the checkpoints signed before restores existed verify
        content["at"] = self.at.astimezone(dt.UTC).isoformat(timespec="microseconds")
        return content

    def signed(self, key: bytes | None = None) -> str:
        message = b"fengqiao-audit-checkpoint-v1:" + _canonical(self.payload()).encode()
        return hmac.new(key or settings.AUDIT_KEY, message, hashlib.sha256).hexdigest()

    def to_line(self) -> str:
        return _canonical({**self.payload(), "mac": self.mac})

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Checkpoint:
        at = data["at"]
        return cls(
            number=int(data["number"]), seq=int(data["seq"]), count=int(data["count"]),
            head_hash=str(data["head_hash"]),
            at=at if isinstance(at, dt.datetime) else dt.datetime.fromisoformat(at),
            legacy_until=int(data["legacy_until"]), key_id=str(data["key_id"]),
            prev_mac=str(data["prev_mac"]), mac=str(data["mac"]),
            restore=bool(data.get("restore", False)),
        )  # fmt: skip

    @property
    def label(self) -> str:
        """ "#12 9f3c2a81b0d4 2026-12-07 02:00" (local time): the line printed on paper."""
        local = timezone.localtime(self.at).strftime("%Y-%m-%d %H:%M")
        return f"#{self.number} {self.head_hash[:12]} {local}"


def _canonical(content: dict[str, Any]) -> str:
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _check_key(checkpoint: Checkpoint, where: str) -> None:
    if checkpoint.key_id != key_id():
        raise KeyMismatchError(
            f"the audit key (FENGQIAO_AUDIT_KEY or var/audit_key) is not the one that signed "
            f"checkpoint #{checkpoint.number} in {where} (key id {checkpoint.key_id}, "
            f"configured {key_id()}): configure the original key to verify"
        )


def read_file(path: Path) -> list[Checkpoint]:
    """Every checkpoint of ``path`` in order, each MAC and link checked; [] if there is no
    file. Raises CheckpointError at the first line that does not hold."""
    if not path.exists():
        return []
    checkpoints: list[Checkpoint] = []
    previous_mac = GENESIS_HASH
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        where = f"checkpoint file {path}, line {number}"
        try:
            checkpoint = Checkpoint.from_mapping(json.loads(line))
        except (ValueError, KeyError, TypeError):
            raise CheckpointError(f"{where} is not a checkpoint (edited or damaged)") from None
        _check_key(checkpoint, str(path))
        if not hmac.compare_digest(checkpoint.mac, checkpoint.signed()):
            raise CheckpointError(f"{where}: checkpoint #{checkpoint.number}'s MAC does not "
                                  "verify (the file was edited)")  # fmt: skip
        if checkpoint.number != number or checkpoint.prev_mac != previous_mac:
            raise CheckpointError(f"{where}: checkpoint #{checkpoint.number} does not follow "
                                  "the one before it (lines removed or reordered)")  # fmt: skip
        checkpoints.append(checkpoint)
        previous_mac = checkpoint.mac
    return checkpoints


def _database_copies() -> list[Checkpoint]:
    rows = AuditCheckpoint.objects.order_by("number").values(
        "number",
        "seq",
        "count",
        "head_hash",
        "at",
        "legacy_until",
        "key_id",
        "prev_mac",
        "mac",
        "restore",
    )
    copies = []
    for row in rows:
        checkpoint = Checkpoint.from_mapping(row)
        _check_key(checkpoint, "the database")
        if not hmac.compare_digest(checkpoint.mac, checkpoint.signed()):
            raise CheckpointError(f"checkpoint #{checkpoint.number} in the database does not "
                                  "verify (forged or edited)")  # fmt: skip
        copies.append(checkpoint)
    return copies


def load(extra: Iterable[Path] = ()) -> list[Checkpoint]:
    """The checkpoints to verify the chain against, from the checkpoint file, any exported
    copies (``extra``) and the database's copy, cross-checked. Raises CheckpointError when
    they disagree or one does not verify, KeyMismatchError when the key is not theirs."""
    main = Path(settings.AUDIT_CHECKPOINT_FILE)
    sources = {str(main): read_file(main)}
    for path in extra:
        if not path.exists():
            raise CheckpointError(f"the checkpoint copy {path} does not exist")
        sources[str(path)] = read_file(path)
    by_number: dict[int, tuple[str, Checkpoint]] = {}
    for where, checkpoints in sources.items():
        for checkpoint in checkpoints:
            seen = by_number.setdefault(checkpoint.number, (where, checkpoint))
            if seen[1].mac != checkpoint.mac:
                raise CheckpointError(f"checkpoint #{checkpoint.number} differs between "
                                      f"{seen[0]} and {where}")  # fmt: skip
    file_last = len(sources[str(main)])
    for copy in _database_copies():
        known = by_number.get(copy.number)
        if known is not None and known[1].mac != copy.mac:
            raise CheckpointError(
                f"checkpoint #{copy.number} in the database differs from {known[0]}"
            )
        if copy.number > file_last:
            raise CheckpointError(
                f"the checkpoint file {main} ends at #{file_last} but the database holds "
                f"checkpoint #{copy.number}: the file was truncated, replaced or moved"
            )
        by_number.setdefault(copy.number, ("the database", copy))
    return [by_number[number][1] for number in sorted(by_number)]


def in_force(checkpoints: Iterable[Checkpoint]) -> list[Checkpoint]:
    """The checkpoints the chain must match, in order: a restore checkpoint sets aside
    those before it that recorded events beyond its head (lost with the restore); the
    ones up to its head still bind."""
    kept: list[Checkpoint] = []
    for checkpoint in checkpoints:
        if checkpoint.restore:
            kept = [earlier for earlier in kept if earlier.seq <= checkpoint.seq]
        kept.append(checkpoint)
    return kept


def latest() -> Checkpoint | None:
    """The last checkpoint of the file (the database's copy if there is no file), for the
    morning brief; None when there is none or it does not verify (audit-verify says why)."""
    try:
        checkpoints = read_file(Path(settings.AUDIT_CHECKPOINT_FILE)) or _database_copies()
    except (CheckpointError, KeyMismatchError):
        return None
    return checkpoints[-1] if checkpoints else None


def _append_line(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, (line + "\n").encode("utf-8"))
        os.fsync(descriptor)  # on disk before the database copy commits
    finally:
        os.close(descriptor)


def write_checkpoint(*, restore: bool = False) -> tuple[Checkpoint, ChainReport]:
    """Verify the whole chain against the checkpoints so far and, if it holds, sign its head
    as the next checkpoint. Raises ChainBrokenError (and writes nothing) if it does not.
    ``restore``: the chain was just restored from a backup whose signed manifest names
    this head (``fengqiao restore`` checks it), so a tail missing against the newest
    checkpoint is accepted and the new one is a restore checkpoint.

    The walk runs without the chain's lock (appends go on; it reads one consistent
    snapshot), only the numbering and writing hold it."""
    report = verify_chain()
    if not report.ok and not (restore and report.tail_missing):
        raise ChainBrokenError(report)
    with transaction.atomic():
        lock_chain()
        current = load()
        previous = current[-1] if current else None
        if previous != report.checkpoint:
            raise CheckpointError("another checkpoint was written meanwhile: run it again")
        checkpoint = Checkpoint(
            number=previous.number + 1 if previous else 1,
            seq=report.last_seq,
            count=report.checked,
            head_hash=report.head_hash,
            at=timezone.now(),
            # Fixed by the first checkpoint: the events written before MACs existed.
            legacy_until=previous.legacy_until if previous else report.unsigned_until,
            key_id=key_id(),
            prev_mac=previous.mac if previous else GENESIS_HASH,
            restore=restore and report.tail_missing,
        )
        checkpoint = Checkpoint(**{**asdict(checkpoint), "mac": checkpoint.signed()})
        AuditCheckpoint.objects.create(**asdict(checkpoint))
        _append_line(Path(settings.AUDIT_CHECKPOINT_FILE), checkpoint.to_line())
    return checkpoint, report


def export(target: Path) -> list[Checkpoint]:
    """Copy every checkpoint, verified, to ``target`` (a USB stick, another machine): a
    copy the server's own administrators cannot rewrite. ``audit-verify --checkpoints``
    checks the chain against it."""
    checkpoints = load()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("".join(c.to_line() + "\n" for c in checkpoints), encoding="utf-8")
    return checkpoints
