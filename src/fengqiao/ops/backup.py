"""`fengqiao backup` and `fengqiao restore`: one archive, taken while the server writes.

The archive is one gzip'd tar (written under a temporary name, renamed when complete, so
a half-written backup never looks like one; one file to copy off the machine; readable
with plain `tar` anywhere). It holds the database — SQLite through its online backup API
(one read transaction: consistent, and it includes what still sits in the WAL, which a
copy of ``fengqiao.sqlite3`` misses), PostgreSQL as ``pg_dump -Fc`` — the media files,
the audit checkpoints and the schedule, and last ``manifest.json``: time, version,
migrations, rows per table, the audit chain's length and head, each file's size and
SHA-256, and an HMAC of all that under the audit key. The counts are read from the very
snapshot that was saved (the copied file; pg_dump's exported snapshot).

The audit key (and the secret key) are left out unless asked for (``include_keys``):
whoever holds the key and the data can rewrite the chain undetected, so an archive with
the key must be kept as safely as the key itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from django.conf import settings
from django.db import connection, transaction

FORMAT = "fengqiao-backup-v1"
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
VAR_FILES = ("audit-checkpoints.jsonl", "schedule.json")
KEY_FILES = ("audit_key", "secret_key")

Progress = Callable[[str], None]


class BackupError(Exception):
    """Nothing was changed: a problem the operator can fix, or an archive refused."""


class VerificationFailed(Exception):
    """The restore ran but its result does not verify (integrity, counts, the chain)."""


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    events: int
    head_hash: str
    checkpoint: str  # the checkpoint it matched, or why none
    notes: list[str] = field(default_factory=list)


def default_destination() -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(settings.VAR_DIR) / "backups" / f"fengqiao-{stamp}.tar.gz"


def _canonical(content: dict[str, Any]) -> bytes:
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _manifest_mac(manifest: dict[str, Any], key: bytes) -> str:
    content = {name: value for name, value in manifest.items() if name != "mac"}
    message = b"fengqiao-backup-manifest-v1:" + _canonical(content)
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _key_id(key: bytes) -> str:
    from fengqiao.audit.services import key_id

    return key_id(key)


# --- Reading facts from one snapshot -------------------------------------------------


def _facts(cursor: Any, tables: list[str], quote: Callable[[str], str]) -> dict[str, Any]:
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 (catalogue names)
        counts[table] = int(cursor.fetchone()[0])
    cursor.execute("SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM audit_auditevent")
    events, last_seq = cursor.fetchone()
    cursor.execute("SELECT hash FROM audit_auditevent ORDER BY seq DESC LIMIT 1")
    head = cursor.fetchone()
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
    migrations: dict[str, str] = {}
    for app, name in cursor.fetchall():
        migrations[app] = name  # the last applied, per app
    return {
        "tables": counts,
        "audit": {"events": int(events), "last_seq": int(last_seq),
                  "head_hash": head[0] if head else "0" * 64},
        "migrations": migrations,
    }  # fmt: skip


def _sqlite_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_snapshot(target: Path) -> dict[str, Any]:
    live = Path(settings.DATABASES["default"]["NAME"])
    if not live.is_file():
        raise BackupError(f"there is no database at {live}: nothing to back up")
    source = sqlite3.connect(live, timeout=20)
    copy = sqlite3.connect(target)
    try:
        # One step: a single read transaction, so the copy is one consistent state, WAL
        # included. (Copying in steps restarts whenever the server commits meanwhile.)
        source.backup(copy)
    finally:
        source.close()
    try:
        if copy.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError(
                f"the copy of {live} does not pass SQLite's check: the live file is damaged "
                "(check it with `PRAGMA integrity_check`)"
            )
        tables = [row[0] for row in copy.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name")]  # fmt: skip
        return _facts(copy.cursor(), tables, _sqlite_quote)
    finally:
        copy.close()


def _pg_environment() -> dict[str, str]:
    db: dict[str, Any] = dict(settings.DATABASES["default"])
    environment = dict(os.environ)
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"),
                          ("PGPASSWORD", "PASSWORD"), ("PGDATABASE", "NAME")):  # fmt: skip
        if db.get(key):
            environment[variable] = str(db[key])
    return environment


def _run_pg(command: list[str]) -> None:
    tool = shutil.which(command[0])
    if tool is None:
        raise BackupError(f"{command[0]} is not installed (apt-get install postgresql-client)")
    done = subprocess.run(  # noqa: S603 (our own arguments, no shell)
        [tool, *command[1:]], env=_pg_environment(), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ["no message"]
        raise BackupError(f"{command[0]} failed: {lines[0]}")


def _pg_snapshot(target: Path) -> dict[str, Any]:
    connection.ensure_connection()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                       "ORDER BY tablename")  # fmt: skip
        tables = [row[0] for row in cursor.fetchall()]
        facts = _facts(cursor, tables, connection.ops.quote_name)
        # The dump sees exactly what was counted: the snapshot this transaction holds.
        _run_pg(["pg_dump", "-Fc", "--no-owner", f"--snapshot={snapshot}", "-f", str(target)])
    return facts


# --- Writing the archive ---------------------------------------------------------------


class _Hashing:
    def __init__(self, file: BinaryIO) -> None:
        self.file, self.digest, self.size = file, hashlib.sha256(), 0

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


def _add(archive: tarfile.TarFile, name: str, path: Path) -> dict[str, Any]:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = path.stat().st_size, int(path.stat().st_mtime), 0o600
    with path.open("rb") as file:
        hashing = _Hashing(file)
        archive.addfile(info, hashing)  # type: ignore[arg-type]
    return {"name": name, "size": hashing.size, "sha256": hashing.digest.hexdigest()}


def create_backup(
    *, destination: Path, include_keys: bool = False, progress: Progress | None = None
) -> dict[str, Any]:
    """Write one archive of the configured deployment to ``destination`` while it runs;
    return its manifest."""
    step = progress or (lambda text: None)
    destination = destination.resolve()
    destination.parent.mkdir(parents=True, exist_ok=True)
    from fengqiao import __name__ as package

    try:
        from importlib.metadata import version

        fengqiao_version = version(package)
    except Exception:
        fengqiao_version = "unknown"
    with tempfile.TemporaryDirectory(dir=destination.parent, prefix=".backup-") as staging:
        staged = Path(staging)
        vendor = connection.vendor
        member = SQLITE_MEMBER if vendor == "sqlite" else PG_MEMBER
        step("Copying the database (one consistent snapshot)")
        facts = (_sqlite_snapshot if vendor == "sqlite" else _pg_snapshot)(staged / member)
        # Read after the snapshot: the file then holds every checkpoint the copy's
        # database table holds (the file is written before the table's row commits).
        files: list[tuple[str, Path]] = [(member, staged / member)]
        for name in VAR_FILES:
            source = (Path(settings.AUDIT_CHECKPOINT_FILE) if name == "audit-checkpoints.jsonl"
                      else Path(settings.VAR_DIR) / name)  # fmt: skip
            if source.is_file():
                shutil.copyfile(source, staged / name)
                files.append((f"var/{name}", staged / name))
        if include_keys:
            for name, value in (("audit_key", settings.AUDIT_KEY),
                                ("secret_key", settings.SECRET_KEY.encode())):  # fmt: skip
                (staged / name).write_bytes(value)
                files.append((f"var/{name}", staged / name))
        media_root = Path(settings.MEDIA_ROOT)
        if media_root.is_dir():
            for path in sorted(p for p in media_root.rglob("*") if p.is_file()):
                files.append((f"media/{path.relative_to(media_root).as_posix()}", path))
        partial = destination.with_name(destination.name + ".partial")
        listed = []
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with (
            os.fdopen(descriptor, "wb") as raw,
            tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as archive,
        ):
            for number, (name, path) in enumerate(files, start=1):
                step(f"Writing the archive ({number}/{len(files)}): {name}")
                listed.append(_add(archive, name, path))
            manifest: dict[str, Any] = {
                "format": FORMAT,
                "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "fengqiao_version": fengqiao_version,
                "database": vendor,
                **facts,
                "key_id": _key_id(settings.AUDIT_KEY),
                "includes_keys": include_keys,
                "files": listed,
            }
            manifest["mac"] = _manifest_mac(manifest, settings.AUDIT_KEY)
            body = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode = len(body), 0o600
            info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
            import io

            archive.addfile(info, io.BytesIO(body))
        os.replace(partial, destination)
    return manifest


# --- Restoring -------------------------------------------------------------------------


def _allowed(name: str) -> bool:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        return False
    if name in (MANIFEST, SQLITE_MEMBER, PG_MEMBER):
        return True
    if path.parts[0] == "var":
        return len(path.parts) == 2 and path.parts[1] in (*VAR_FILES, *KEY_FILES)
    return path.parts[0] == "media" and len(path.parts) > 1


def _unpack(archive_path: Path, staging: Path) -> dict[str, Any]:
    """Extract every member into ``staging``, hashing each; return the manifest once each
    file matches it. Raises BackupError for anything else."""
    damaged = f"the archive {archive_path} is damaged or not a Fengqiao backup"
    found: dict[str, tuple[int, str]] = {}
    try:
        with tarfile.open(archive_path, mode="r:gz") as archive:
            for member in archive:
                if not member.isfile() or not _allowed(member.name):
                    raise BackupError(f"{damaged}: unexpected member {member.name!r}")
                source = archive.extractfile(member)
                assert source is not None  # noqa: S101 (a regular file)
                target = staging / member.name
                target.parent.mkdir(parents=True, exist_ok=True)
                with target.open("wb") as out:
                    hashing = _Hashing(source)  # type: ignore[arg-type]
                    shutil.copyfileobj(hashing, out)  # type: ignore[misc]
                found[member.name] = (hashing.size, hashing.digest.hexdigest())
    except FileNotFoundError:
        raise BackupError(f"there is no archive at {archive_path}") from None
    except (tarfile.TarError, EOFError, OSError, zlib.error) as error:
        raise BackupError(f"{damaged} ({error})") from None
    if MANIFEST not in found:
        raise BackupError(f"{damaged}: it has no manifest.json (cut short?)")
    try:
        manifest = json.loads((staging / MANIFEST).read_text(encoding="utf-8"))
        assert manifest["format"] == FORMAT  # noqa: S101
        listed = {entry["name"]: (entry["size"], entry["sha256"]) for entry in manifest["files"]}
    except (ValueError, KeyError, TypeError, AssertionError):
        raise BackupError(f"{damaged}: its manifest is not readable") from None
    del found[MANIFEST]
    for name in sorted(set(listed) | set(found)):
        if name not in found:
            raise BackupError(f"{damaged}: {name} is in the manifest but not in the archive")
        if name not in listed:
            raise BackupError(f"{damaged}: {name} is in the archive but not in the manifest")
        if found[name] != listed[name]:
            raise BackupError(f"{damaged}: {name}'s size or SHA-256 does not match the manifest")
    return manifest


def _count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        return int(cursor.fetchone()[0])


def _holds_data() -> str:
    """What the configured database holds that a restore would overwrite ('' if nothing)."""
    tables = set(connection.introspection.table_names())
    held = []
    for table, what in (("audit_auditevent", "audit events"), ("accounts_user", "accounts")):
        if table in tables and (count := _count(table)):
            held.append(f"{count} {what}")
    return ", ".join(held)


def _audit_key_file() -> Path:
    return Path(settings.VAR_DIR) / "audit_key"


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)


def _checkpoint_plan(staging: Path, force: bool) -> tuple[str, list[str]]:
    """Which checkpoint file to keep: the newer of the deployment's and the archive's when
    one continues the other. Returns (action, lines); action is keep/write/replace."""
    archived = staging / "var" / "audit-checkpoints.jsonl"
    ours = Path(settings.AUDIT_CHECKPOINT_FILE)
    theirs = archived.read_text(encoding="utf-8").splitlines() if archived.exists() else []
    mine = ours.read_text(encoding="utf-8").splitlines() if ours.exists() else []
    if not mine:
        return ("write", theirs) if theirs else ("keep", mine)
    if mine[: len(theirs)] == theirs:
        return "keep", mine  # the deployment's file is newer: it still anchors the chain
    if theirs[: len(mine)] == mine:
        return "write", theirs
    if not force:
        raise BackupError(
            f"{ours} holds checkpoints of another audit chain than this backup's: move it "
            "aside first, or use --force (it is then kept as …before-restore)"
        )
    return "replace", theirs


def restore_backup(
    *, archive_path: Path, force: bool = False, progress: Progress | None = None
) -> RestoreResult:
    """Restore ``archive_path`` into the configured database, media root and var/, then
    verify: the database's integrity, each table's rows against the manifest, the audit
    chain against the checkpoints. Raises BackupError before anything is changed,
    VerificationFailed when the restored result does not hold."""
    step = progress or (lambda text: None)
    var_dir = Path(settings.VAR_DIR)
    var_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=var_dir, prefix=".restore-") as staging_name:
        staging = Path(staging_name)
        step("Reading and checking the archive")
        manifest = _unpack(archive_path, staging)
        archived_key = staging / "var" / "audit_key"
        key = archived_key.read_bytes() if archived_key.exists() else settings.AUDIT_KEY
        if _key_id(key) != manifest["key_id"]:
            raise BackupError(
                f"the configured audit key (key id {_key_id(key)}) is not the one this backup "
                f"was made under (key id {manifest['key_id']}): put the original key in "
                f"{_audit_key_file()} or FENGQIAO_AUDIT_KEY first"
            )
        if not hmac.compare_digest(manifest.get("mac", ""), _manifest_mac(manifest, key)):
            raise BackupError(f"the archive {archive_path} was altered: its manifest's MAC does "
                              "not verify under the audit key")  # fmt: skip
        if manifest["database"] != connection.vendor:
            raise BackupError(f"this is a {manifest['database']} backup but DATABASE_URL points "
                              f"at {connection.vendor}: restore it into a {manifest['database']} "
                              "database")  # fmt: skip
        connection.ensure_connection()
        held = _holds_data()
        if held and not force:
            raise BackupError(
                f"the database ({settings.DATABASES['default']['NAME']}) already holds data "
                f"({held}): restore would replace it; use --force to replace it with the backup"
            )
        swap_key = archived_key.exists() and key != settings.AUDIT_KEY
        if swap_key and os.environ.get("FENGQIAO_AUDIT_KEY"):
            raise BackupError(
                "the backup's audit key differs from FENGQIAO_AUDIT_KEY: set it to the "
                "backup's key, or unset it to use the archive's"
            )
        action, lines = _checkpoint_plan(staging, force)

        step("Restoring the database")
        connection.close()
        if connection.vendor == "sqlite":
            target = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=20)
            source = sqlite3.connect(staging / SQLITE_MEMBER)
            try:
                source.backup(target)  # through SQLite itself: the WAL and locks are respected
            finally:
                source.close()
                target.close()
        else:
            _run_pg(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
                     "--single-transaction", "--exit-on-error",
                     f"--dbname={settings.DATABASES['default']['NAME']}",
                     str(staging / PG_MEMBER)])  # fmt: skip

        step("Restoring the media and var/ files")
        notes: list[str] = []
        if swap_key:
            _write_private(_audit_key_file(), key)
            settings.AUDIT_KEY = key
            notes.append(f"audit key restored into {_audit_key_file()}")
        secret = staging / "var" / "secret_key"
        if secret.exists() and not os.environ.get("FENGQIAO_SECRET_KEY"):
            _write_private(var_dir / "secret_key", secret.read_bytes())
        checkpoint_file = Path(settings.AUDIT_CHECKPOINT_FILE)
        if action == "replace":
            aside = checkpoint_file.with_name(checkpoint_file.name + ".before-restore")
            os.replace(checkpoint_file, aside)
            notes.append(f"the deployment's other checkpoint file was kept as {aside}")
        if action in ("write", "replace"):
            _write_private(checkpoint_file, "".join(line + "\n" for line in lines).encode())
        elif lines:
            notes.append(f"kept {checkpoint_file} ({len(lines)} checkpoints): it continues "
                         "the backup's")  # fmt: skip
        if (staging / "var" / "schedule.json").exists():
            shutil.copyfile(staging / "var" / "schedule.json", var_dir / "schedule.json")
        media_source, media_root = staging / "media", Path(settings.MEDIA_ROOT)
        if media_source.is_dir():
            for path in media_source.rglob("*"):
                if path.is_file():
                    target_path = media_root / path.relative_to(media_source)
                    target_path.parent.mkdir(parents=True, exist_ok=True)
                    shutil.move(path, target_path)

    step("Verifying the restored database")
    return _verify(manifest, notes)


def _verify(manifest: dict[str, Any], notes: list[str]) -> RestoreResult:
    from fengqiao.audit.checkpoints import KeyMismatchError
    from fengqiao.audit.services import verify_chain

    connection.ensure_connection()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA integrity_check")
            verdict = cursor.fetchone()[0]
        if verdict != "ok":
            raise VerificationFailed(f"the restored database fails PRAGMA integrity_check: "
                                     f"{verdict}")  # fmt: skip
    for table, expected in manifest["tables"].items():
        found = _count(table)
        if found != expected:
            raise VerificationFailed(f"table {table} holds {found} rows after the restore, "
                                     f"the manifest says {expected}")  # fmt: skip
    try:
        report = verify_chain()
    except KeyMismatchError as error:
        raise BackupError(str(error)) from None
    audit = manifest["audit"]
    if not report.ok and not report.tail_missing:
        raise VerificationFailed(f"audit chain BROKEN at event #{report.broken_seq}: "
                                 f"{report.problem}")  # fmt: skip
    if report.checked != audit["events"] or report.head_hash != audit["head_hash"]:
        raise VerificationFailed(
            f"the restored audit chain ({report.checked} events, head {report.head_hash[:12]}) "
            f"is not the one the manifest signed ({audit['events']}, {audit['head_hash'][:12]})"
        )
    if report.tail_missing:
        newest = report.checkpoint
        backup_time = dt.datetime.fromisoformat(manifest["created_at"])
        if newest.at < backup_time - dt.timedelta(seconds=1):
            raise VerificationFailed(
                f"checkpoint {newest.label}, older than this backup, records {newest.count} "
                f"events but the backup holds {report.checked}: it is not this chain's backup"
            )
        from fengqiao.audit.checkpoints import write_checkpoint

        # The head is the one the backup's manifest signed (checked above): anchor the
        # restored chain there, so verification goes on from it instead of reporting the
        # lost tail for ever.
        anchor, _report = write_checkpoint(restore=True)
        notes.append(
            f"the newest checkpoint {newest.label} records {newest.count} events; this backup "
            f"({manifest['created_at']}) holds {report.checked}: the "
            f"{newest.count - report.checked} events written after the backup are missing. "
            "That is expected after restoring an older backup, not tampering: every "
            "restored event verifies and the chain is the one the backup's manifest "
            f"signed. Restore checkpoint {anchor.label} anchors the chain from here; "
            "the checkpoints before it still bind the events up to it."
        )
        anchored = "a prefix of the checkpointed chain, re-anchored by a restore checkpoint"
    else:
        anchored = (f"matches checkpoint {report.checkpoint.label}" if report.checkpoint
                    else "no checkpoint yet (matches the backup's signed manifest)")  # fmt: skip
    return RestoreResult(manifest, report.checked, report.head_hash, anchored, notes)
