"""`fq backup` while the server writes, `fq restore` into a fresh deployment, and what the
restore refuses or catches. Each deployment is a tmp var/ driven through the CLI in a
subprocess (a file database, not pytest-django's)."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")

WRITER = """
import os, sys, django
from collections.abc import Iterator
from pathlib import Path
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
django.setup()
from fengqiao.audit.services import record
stop, count = Path(sys.argv[1]), int(sys.argv[2])
n = 0
while (count and n < count) or (not count and not stop.exists()):
    record(actor=None, action="create", actor_name="writer", object_type="test.load",
           object_id=str(n))
    n += 1
"""


class Deployment:
    def __init__(self, var: Path, database_url: str) -> None:
        self.var, self.database_url = var, database_url
        var.mkdir(parents=True, exist_ok=True)

    def env(self) -> dict[str, str]:
        environment = {k: v for k, v in os.environ.items()
                       if not k.startswith(("FENGQIAO_", "DATABASE_URL"))}  # fmt: skip
        environment |= {"FENGQIAO_VAR": str(self.var)}
        if self.database_url:
            environment["DATABASE_URL"] = self.database_url
        return environment

    def fq(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "fengqiao.cli", *args], env=self.env(),
                              capture_output=True, text=True, timeout=120)  # fmt: skip

    def write(self, count: int) -> None:
        subprocess.run([sys.executable, "-c", WRITER, "-", str(count)], env=self.env(),
                       check=True, timeout=60)  # fmt: skip

    def writer(self, stop: Path) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-c", WRITER, str(stop), "0"], env=self.env())

    def sql(self, query: str) -> int:
        if self.database_url:
            import psycopg

            with psycopg.connect(self.database_url) as db:
                return db.execute(query).fetchone()[0]
        with sqlite3.connect(self.var / "fengqiao.sqlite3") as db:
            return db.execute(query).fetchone()[0]

    def events(self) -> int:
        return self.sql("SELECT COUNT(*) FROM audit_auditevent")

    def truncate(self, events: int) -> None:
        """Delete the chain's last ``events``, as an attacker with the database would."""
        last = self.sql("SELECT MAX(seq) FROM audit_auditevent")
        if self.database_url:
            import psycopg

            with psycopg.connect(self.database_url) as db:
                db.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
                db.execute("DELETE FROM audit_auditevent WHERE seq > %s", [last - events])
                db.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")
        else:
            with sqlite3.connect(self.var / "fengqiao.sqlite3") as db:
                db.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
                db.execute("DELETE FROM audit_auditevent WHERE seq > ?", [last - events])


def _pg_url(suffix: str) -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=parts.path + suffix))


def _fresh_pg(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(_pg_url("").rsplit("/", 1)[0] + "/postgres", autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{name}"')


def _drop_pg(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(_pg_url("").rsplit("/", 1)[0] + "/postgres", autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Iterator[Deployment]:
    """A migrated deployment with some audit events, built once (SQLite: copied per test)."""
    url = _pg_url("_bk_src") if POSTGRES else ""
    if url:
        _fresh_pg(url)
    source = Deployment(tmp_path_factory.mktemp("template"), url)
    assert source.fq("migrate").returncode == 0
    source.write(50)
    yield source
    for suffix in ("_bk_src", "_bk_dst") if url else ():
        _drop_pg(_pg_url(suffix))


@pytest.fixture
def source(template, tmp_path) -> Deployment:
    if template.database_url:
        return template
    copy = tmp_path / "source"
    shutil.copytree(template.var, copy)
    return Deployment(copy, "")


@pytest.fixture
def target(tmp_path, source) -> Deployment:
    """An empty deployment holding only the source's audit key (the archive has none)."""
    url = ""
    if POSTGRES:
        url = _pg_url("_bk_dst")
        _fresh_pg(url)
    deployment = Deployment(tmp_path / "target", url)
    shutil.copyfile(source.var / "audit_key", deployment.var / "audit_key")
    return deployment


def manifest_of(archive: Path) -> dict:
    with tarfile.open(archive, "r:gz") as tar:
        return json.load(tar.extractfile("manifest.json"))


def test_backup_under_write_load_restores_equal_counts_and_an_intact_chain(
    source, target, tmp_path
):
    (source.var / "media" / "uploads").mkdir(parents=True)
    (source.var / "media" / "uploads" / "photo.jpg").write_bytes(b"\xff\xd8 a photo")
    before = source.events()
    stop = tmp_path / "stop"
    writer = source.writer(stop)
    try:
        while source.events() < before + 30:  # the writer is writing
            time.sleep(0.05)
        made = source.fq("backup", str(tmp_path / "b.tar.gz"))
    finally:
        stop.touch()
        writer.wait(timeout=30)
    assert made.returncode == 0, made.stderr
    manifest = manifest_of(tmp_path / "b.tar.gz")
    after = source.events()
    # Taken in the middle of the load: later events exist that the backup does not hold.
    assert before + 30 <= manifest["audit"]["events"] < after

    restored = target.fq("restore", str(tmp_path / "b.tar.gz"))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "verified" in restored.stdout and "audit chain intact" in restored.stdout
    assert target.events() == manifest["audit"]["events"]
    for table in ("audit_auditevent", "django_migrations", "incidents_category"):
        assert target.sql(f"SELECT COUNT(*) FROM {table}") == manifest["tables"][table]
    assert (target.var / "media" / "uploads" / "photo.jpg").read_bytes() == b"\xff\xd8 a photo"
    verify = target.fq("audit-verify")
    assert verify.returncode == 0, verify.stderr


@pytest.mark.skipif(POSTGRES, reason="the WAL is SQLite's")
def test_a_copy_of_the_sqlite_file_alone_misses_the_wal_the_backup_holds_it(source, tmp_path):
    live = source.var / "fengqiao.sqlite3"
    holder = sqlite3.connect(live)  # keeps the WAL from being checkpointed at the writer's exit
    try:
        holder.execute("SELECT COUNT(*) FROM audit_auditevent").fetchone()
        before = source.events()
        source.write(7)
        shutil.copyfile(live, tmp_path / "copy.sqlite3")
        made = source.fq("backup", str(tmp_path / "b.tar.gz"))
    finally:
        holder.close()
    assert made.returncode == 0, made.stderr
    with sqlite3.connect(tmp_path / "copy.sqlite3") as copy:
        copied = copy.execute("SELECT COUNT(*) FROM audit_auditevent").fetchone()[0]
    assert copied == before  # the 7 newest events are only in fengqiao.sqlite3-wal
    assert manifest_of(tmp_path / "b.tar.gz")["audit"]["events"] == before + 7


def test_restore_refuses_a_database_with_data_unless_forced(source, tmp_path):
    assert source.fq("backup", str(tmp_path / "b.tar.gz")).returncode == 0
    refused = source.fq("restore", str(tmp_path / "b.tar.gz"))
    assert refused.returncode == 2
    assert "already holds data" in refused.stderr and "--force" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    forced = source.fq("restore", "--force", str(tmp_path / "b.tar.gz"))
    assert forced.returncode == 0, forced.stderr


def _rewrite(archive: Path, change) -> None:
    """Rebuild ``archive`` with ``change(name, data) -> data`` applied to each member."""
    with tarfile.open(archive, "r:gz") as tar:
        members = [(m.name, tar.extractfile(m).read()) for m in tar.getmembers()]
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in members:
            data = change(name, data)
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_a_damaged_or_altered_archive_is_refused_before_anything_changes(source, target, tmp_path):
    archive = tmp_path / "b.tar.gz"
    assert source.fq("backup", str(archive)).returncode == 0
    good = archive.read_bytes()

    def bad_sha(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["files"][0]["sha256"] = "0" * 64
        return json.dumps(manifest).encode()

    _rewrite(archive, bad_sha)
    result = target.fq("restore", str(archive))
    assert result.returncode == 2 and "SHA-256 does not match the manifest" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1

    archive.write_bytes(good[: len(good) // 2])  # cut short
    result = target.fq("restore", str(archive))
    assert result.returncode == 2 and "damaged" in result.stderr

    # Someone without the key truncates the database's audit tail and fixes the manifest's
    # hashes and counts to match: the manifest's MAC gives it away.
    archive.write_bytes(good)
    staged = tmp_path / "db"

    def truncate(name, data):
        if name == "database.pgdump":  # the same claim without editing the dump
            truncate.data = data
        elif name == "database.sqlite3":
            staged.write_bytes(data)
            with sqlite3.connect(staged) as db:
                db.execute("DROP TRIGGER audit_event_no_delete")
                db.execute("DELETE FROM audit_auditevent WHERE seq > 40")
            data = staged.read_bytes()
            truncate.data = data
        elif name == "manifest.json":
            import hashlib

            manifest = json.loads(data)
            digest = hashlib.sha256(truncate.data).hexdigest()
            manifest["files"][0] |= {"size": len(truncate.data), "sha256": digest}
            manifest["audit"]["events"] = manifest["tables"]["audit_auditevent"] = 40
            data = json.dumps(manifest).encode()
        return data

    _rewrite(archive, truncate)
    result = target.fq("restore", str(archive))
    assert result.returncode == 2 and "manifest's MAC does not verify" in result.stderr
    # Nothing was restored: the target database has no tables at all.
    tables = ("SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'" if POSTGRES
              else "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'")  # fmt: skip
    assert target.sql(tables) == 0


def test_tampering_with_the_restored_chain_is_caught(source, target, tmp_path):
    assert source.fq("audit-checkpoint").returncode == 0
    assert source.fq("backup", str(tmp_path / "b.tar.gz")).returncode == 0
    assert target.fq("restore", str(tmp_path / "b.tar.gz")).returncode == 0
    target.truncate(3)
    truncated = target.fq("audit-verify")
    assert truncated.returncode == 1 and "tail was deleted" in truncated.stderr

    # The same deletion in a restored archive: restore itself refuses to say done.
    restored = target.fq("restore", "--force", str(tmp_path / "b.tar.gz"))
    assert restored.returncode == 0, restored.stderr
    if not POSTGRES:
        from fengqiao.audit.services import event_hash

        # Edit an event and recompute every hash after it (without the key: MACs stay).
        with sqlite3.connect(target.var / "fengqiao.sqlite3") as db:
            db.execute("DROP TRIGGER audit_event_no_update")
            db.execute("UPDATE audit_auditevent SET object_repr = 'forged' WHERE seq = 10")
            _recompute(db, event_hash)
        recomputed = target.fq("audit-verify")
        assert recomputed.returncode == 1 and "MAC does not verify" in recomputed.stderr


def _recompute(db, event_hash) -> None:
    import datetime as dt

    from fengqiao.audit.services import GENESIS_HASH, HASHED_FIELDS

    db.row_factory = sqlite3.Row
    prev = GENESIS_HASH
    for row in db.execute("SELECT * FROM audit_auditevent ORDER BY seq").fetchall():
        values = dict(row)
        values["prev_hash"] = prev
        values["at"] = dt.datetime.fromisoformat(values["at"]).replace(tzinfo=dt.UTC)
        for name in ("object_ids", "fields"):
            values[name] = json.loads(values[name])
        prev = event_hash({name: values[name] for name in HASHED_FIELDS})
        db.execute("UPDATE audit_auditevent SET prev_hash = ?, hash = ? WHERE seq = ?",
                   [values["prev_hash"], prev, values["seq"]])  # fmt: skip


def test_an_older_backup_restored_under_a_newer_checkpoint_says_what_is_missing(source, tmp_path):
    assert source.fq("backup", str(tmp_path / "old.tar.gz")).returncode == 0
    held = manifest_of(tmp_path / "old.tar.gz")["audit"]["events"]
    source.write(5)
    assert source.fq("audit-checkpoint").returncode == 0
    restored = source.fq("restore", "--force", str(tmp_path / "old.tar.gz"))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert f"holds {held}: the 5 events written after the backup are missing" in restored.stdout
    assert "not tampering" in restored.stdout
    assert re.search(r"Restore checkpoint #\d+ \w{12} .* anchors the chain", restored.stdout)
    # The chain goes on from the restored head: verified now, after new writes (which reuse
    # the lost events' numbers) and after the next checkpoint.
    assert source.fq("audit-verify").returncode == 0
    source.write(8)
    assert source.fq("audit-verify").returncode == 0
    assert source.fq("audit-checkpoint").returncode == 0
    assert source.fq("audit-verify").returncode == 0


def test_the_key_stays_out_unless_asked_and_restore_needs_the_backups_key(source, tmp_path):
    assert source.fq("backup", str(tmp_path / "plain.tar.gz")).returncode == 0
    with tarfile.open(tmp_path / "plain.tar.gz", "r:gz") as tar:
        assert "var/audit_key" not in tar.getnames()
    if POSTGRES:
        _fresh_pg(_pg_url("_bk_dst"))
    elsewhere = Deployment(tmp_path / "elsewhere", _pg_url("_bk_dst") if POSTGRES else "")
    refused = elsewhere.fq("restore", str(tmp_path / "plain.tar.gz"))  # its own new key
    assert refused.returncode == 2 and "is not the one this backup was made under" in refused.stderr

    assert source.fq("backup", "--include-keys", str(tmp_path / "keys.tar.gz")).returncode == 0
    restored = elsewhere.fq("restore", str(tmp_path / "keys.tar.gz"))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert (elsewhere.var / "audit_key").read_bytes() == (source.var / "audit_key").read_bytes()
    assert elsewhere.fq("audit-verify").returncode == 0
