"""The audit chain anchored outside the database: each event's MAC under a key the
database does not hold, and signed checkpoints in a file. Someone who can rewrite the
table (drop its triggers, recompute every SHA-256) but has neither the key nor the file
is caught whether he edits, recomputes or deletes the tail."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from fengqiao.audit import checkpoints
from fengqiao.audit import services as audit
from fengqiao.audit.models import AuditCheckpoint, AuditEvent
from tests.test_audit import events

GUARDS = {
    "sqlite": ["DROP TRIGGER IF EXISTS audit_event_no_update",
               "DROP TRIGGER IF EXISTS audit_event_no_delete"],
    "postgresql": ["DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent"],
}  # fmt: skip


def tamper(sql: str, params: list | None = None) -> None:
    """What an intruder with the table owner's rights (not the key) could do."""
    with connection.cursor() as cursor:
        for statement in GUARDS[connection.vendor]:
            cursor.execute(statement)
        cursor.execute(sql, params or [])


def recompute_plain(from_seq: int, **changes: object) -> None:
    """The intruder's rewrite: change event ``from_seq`` and recompute the plain SHA-256
    chain from there to the head, links and all, as the old code would have accepted."""
    rows = list(AuditEvent.objects.filter(seq__gte=from_seq).order_by("seq").values())
    prev = rows[0]["prev_hash"]
    updates = []
    for index, row in enumerate(rows):
        if index == 0:
            row.update(changes)
        row["prev_hash"] = prev
        row["hash"] = prev = audit.event_hash(row)
        updates.append(row)
    # Hashes are unique: clear them first so a rewrite never collides with its old self.
    tamper("UPDATE audit_auditevent SET hash = 'x' || seq WHERE seq >= %s", [from_seq])
    with connection.cursor() as cursor:
        for row in updates:
            cursor.execute(
                "UPDATE audit_auditevent SET reason = %s, prev_hash = %s, hash = %s WHERE seq = %s",
                [row["reason"], row["prev_hash"], row["hash"], row["seq"]],
            )


def delete_tail(after_seq: int) -> None:
    tamper("DELETE FROM audit_auditevent WHERE seq > %s", [after_seq])


def test_every_event_carries_a_mac_under_the_key(world):
    single = events(1, world)[0]
    audit.record_each(actor=world.admin, action="view", objs=[world.b_officer] * 3)
    batch = list(AuditEvent.objects.filter(seq__gt=single.seq))
    assert len(batch) == 3
    for event in [single, *batch]:
        assert event.mac == audit.event_mac(event.hash)
    assert audit.event_mac(single.hash, b"another key of thirty-two bytes!") != single.mac


def test_a_clean_chain_verifies_against_its_checkpoint(world):
    events(3, world)
    checkpoint, _ = checkpoints.write_checkpoint()
    head = AuditEvent.objects.order_by("-seq").first()
    assert (checkpoint.number, checkpoint.seq, checkpoint.head_hash) == (1, head.seq, head.hash)
    assert checkpoint.count == AuditEvent.objects.count()
    events(2, world)  # the chain goes on after a checkpoint
    report = audit.verify_chain()
    assert report.ok, report.problem
    assert report.checkpoint == checkpoint
    second, _ = checkpoints.write_checkpoint()
    assert second.number == 2 and second.prev_mac == checkpoint.mac
    assert AuditCheckpoint.objects.count() == 2
    assert audit.verify_chain().ok


def test_a_deleted_tail_is_caught_against_the_checkpoint(world):
    events(5, world)
    checkpoint, _ = checkpoints.write_checkpoint()
    delete_tail(checkpoint.seq - 2)
    report = audit.verify_chain()
    assert not report.ok
    assert report.broken_seq == checkpoint.seq - 1
    assert "tail was deleted" in report.problem
    with pytest.raises(checkpoints.ChainBrokenError):  # nor does a checkpoint bless it
        checkpoints.write_checkpoint()
    assert AuditCheckpoint.objects.count() == 1


def test_a_deleted_tail_that_new_events_replaced_is_caught(world):
    """Delete the last events and append as many new ones: the count holds, the head the
    checkpoint signed is gone."""
    events(5, world)
    checkpoint, _ = checkpoints.write_checkpoint()
    delete_tail(checkpoint.seq - 2)
    events(4, world)
    report = audit.verify_chain()
    assert report.broken_seq == checkpoint.seq
    assert "recomputed" in report.problem


def test_an_edit_with_the_chain_recomputed_is_caught_by_the_mac(world):
    target = events(5, world)[1]
    recompute_plain(target.seq, reason="伪造的事由")
    assert AuditEvent.objects.get(seq=target.seq).reason == "伪造的事由"
    report = audit.verify_chain()  # no checkpoint needed: the MAC alone catches it
    assert report.broken_seq == target.seq
    assert "MAC" in report.problem


def test_a_recomputed_chain_with_the_macs_removed_is_caught(world):
    target = events(5, world)[1]
    checkpoints.write_checkpoint()
    recompute_plain(target.seq, reason="伪造的事由")
    tamper("UPDATE audit_auditevent SET mac = NULL WHERE seq >= %s", [target.seq])
    report = audit.verify_chain()
    assert report.broken_seq == target.seq
    assert "no MAC" in report.problem


def _rewrite_file(edit) -> None:
    path = checkpoints.Path(checkpoints.settings.AUDIT_CHECKPOINT_FILE)
    lines = path.read_text().splitlines()
    path.write_text("".join(line + "\n" for line in edit(lines)))


def test_an_edited_checkpoint_file_is_caught(world):
    events(3, world)
    checkpoints.write_checkpoint()

    def lower_count(lines):
        data = json.loads(lines[-1])
        data["count"] -= 1
        return [*lines[:-1], json.dumps(data)]

    _rewrite_file(lower_count)
    report = audit.verify_chain()
    assert not report.ok and report.broken_seq is None
    assert "MAC does not verify" in report.problem


def test_a_checkpoint_removed_from_the_file_is_caught(world):
    for _ in range(3):
        events(2, world)
        checkpoints.write_checkpoint()
    _rewrite_file(lambda lines: [lines[0], lines[2]])  # one from the middle
    assert "does not follow" in audit.verify_chain().problem
    _rewrite_file(lambda lines: [lines[0]])  # the last two: the database still has them
    report = audit.verify_chain()
    assert "the file was truncated" in report.problem
    checkpoints.Path(checkpoints.settings.AUDIT_CHECKPOINT_FILE).unlink()  # no file at all
    assert "the file was truncated" in audit.verify_chain().problem


def test_a_forged_checkpoint_in_the_database_is_caught(world):
    events(3, world)
    checkpoint, _ = checkpoints.write_checkpoint()
    AuditCheckpoint.objects.create(
        number=2, seq=1, count=1, head_hash="0" * 64, at=checkpoint.at, legacy_until=0,
        key_id=checkpoint.key_id, prev_mac=checkpoint.mac, mac="f" * 64,
    )  # fmt: skip
    assert "in the database does not verify" in audit.verify_chain().problem


def test_an_exported_copy_catches_a_rewritten_file(world, tmp_path):
    """Someone who can write the server's file (and the table) rewrites both; the copy
    taken off the machine still disagrees."""
    events(3, world)
    checkpoints.write_checkpoint()
    copy = tmp_path / "usb" / "checkpoints.jsonl"
    assert len(checkpoints.export(copy)) == 1
    delete_tail(1)
    checkpoints.Path(checkpoints.settings.AUDIT_CHECKPOINT_FILE).unlink()
    tamper("DELETE FROM audit_auditcheckpoint")
    assert audit.verify_chain().ok  # on its own the server cannot tell any more
    report = audit.verify_chain(checkpoint_copies=[copy])
    assert "tail was deleted" in report.problem


def test_another_key_cannot_verify_and_says_so(world, settings):
    events(2, world)
    checkpoints.write_checkpoint()
    settings.AUDIT_KEY = b"a different key, also long enough"
    with pytest.raises(checkpoints.KeyMismatchError, match="not the one that signed"):
        audit.verify_chain()


def test_events_from_before_macs_are_sealed_by_the_first_checkpoint(world):
    """An upgraded deployment: its old events have no MAC. They verify by their hashes;
    the first checkpoint seals them, after which rewriting them is caught, and so is any
    new event without a MAC."""
    old = events(4, world)
    tamper("UPDATE audit_auditevent SET mac = NULL")  # as the migration leaves them
    assert audit.verify_chain().ok
    checkpoint, _ = checkpoints.write_checkpoint()
    assert checkpoint.legacy_until == old[-1].seq
    newer = events(2, world)
    assert newer[0].mac and audit.verify_chain().ok

    recompute_plain(old[1].seq, reason="伪造的事由")  # the rewrite reaches the MAC'd events
    report = audit.verify_chain()
    assert report.broken_seq == old[-1].seq  # the sealed head changed
    assert "recomputed" in report.problem


def test_an_unsigned_event_after_the_seal_is_caught(world):
    events(3, world)
    checkpoints.write_checkpoint()
    last = events(1, world)[0]
    tamper("UPDATE audit_auditevent SET mac = NULL WHERE seq = %s", [last.seq])
    report = audit.verify_chain()
    assert report.broken_seq == last.seq and "no MAC" in report.problem


def test_latest_checkpoint_for_the_brief(world):
    assert checkpoints.latest() is None
    events(2, world)
    checkpoints.write_checkpoint()
    second, _ = checkpoints.write_checkpoint()
    latest = checkpoints.latest()
    assert latest == second
    assert latest.label.startswith(f"#2 {second.head_hash[:12]} ")
