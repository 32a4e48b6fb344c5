"""Operator mistakes end with one clear line and a non-zero exit, never a traceback;
production settings pass Django's deployment checks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

# The CLI in subprocesses on their own SQLite: nothing here reads the configured database.
pytestmark = pytest.mark.once


def run(*args: str, tmp_path, **env: str) -> subprocess.CompletedProcess:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("FENGQIAO_", "DATABASE_URL"))
    }
    environment |= {"FENGQIAO_VAR": str(tmp_path), **env}
    return subprocess.run(
        [sys.executable, "-m", "fengqiao.cli", *args],
        capture_output=True, text=True, env=environment, timeout=120,
    )  # fmt: skip


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("fengqiao: error: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_help_for_every_subcommand(tmp_path):
    top = run("--help", tmp_path=tmp_path)
    assert top.returncode == 0
    for command in ("serve", "migrate", "demo", "divisions", "audit-verify", "audit-checkpoint",
                    "secret", "manage"):  # fmt: skip
        assert command in top.stdout
        sub = run(command, "--help", tmp_path=tmp_path)
        assert sub.returncode == 0 and "usage: fengqiao " + command in sub.stdout


def test_unknown_database_scheme(tmp_path):
    result = run("migrate", tmp_path=tmp_path, DATABASE_URL="mysqll://x@y/z")
    assert_one_line_error(result, "DATABASE_URL")


def test_unsupported_database(tmp_path):
    result = run("migrate", tmp_path=tmp_path, DATABASE_URL="mysql://root@127.0.0.1/test")
    assert_one_line_error(result, "SQLite and PostgreSQL")


def test_unreachable_database(tmp_path):
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    result = run("migrate", tmp_path=tmp_path, DATABASE_URL=f"postgres://u@127.0.0.1:{port}/x")
    assert_one_line_error(result, "cannot reach the database", "DATABASE_URL")


def test_missing_secret_in_production(tmp_path):
    result = run("migrate", tmp_path=tmp_path, FENGQIAO_ENV="production",
                 FENGQIAO_ALLOWED_HOSTS="fq.example.org")  # fmt: skip
    assert_one_line_error(result, "FENGQIAO_SECRET_KEY")


def test_missing_audit_key_in_production(tmp_path):
    result = run("migrate", tmp_path=tmp_path, FENGQIAO_ENV="production",
                 FENGQIAO_SECRET_KEY="k" * 50, FENGQIAO_ALLOWED_HOSTS="fq.example.org")  # fmt: skip
    assert_one_line_error(result, "FENGQIAO_AUDIT_KEY")
    short = run("migrate", tmp_path=tmp_path, FENGQIAO_AUDIT_KEY="short")
    assert_one_line_error(short, "FENGQIAO_AUDIT_KEY is too short")


def test_local_audit_key_is_generated_once_and_private(tmp_path):
    assert run("migrate", tmp_path=tmp_path).returncode == 0
    key = tmp_path / "audit_key"
    assert key.stat().st_mode & 0o777 == 0o600
    first = key.read_text()
    assert len(first) >= 32
    assert run("migrate", tmp_path=tmp_path).returncode == 0
    assert key.read_text() == first


def test_serve_on_a_busy_port(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("serve", "--port", str(port), tmp_path=tmp_path)
    assert_one_line_error(result, f"port {port}", "--port")


def test_production_settings_pass_the_deploy_check(tmp_path):
    result = run(
        "manage", "check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path,
        FENGQIAO_ENV="production", FENGQIAO_SECRET_KEY="k" * 20 + "Q7!x" * 10,
        FENGQIAO_ALLOWED_HOSTS="fq.example.org", FENGQIAO_AUDIT_KEY="a" * 40,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_demo_command_loads_and_audit_verify_passes(tmp_path):
    demo = run("demo", tmp_path=tmp_path)
    assert demo.returncode == 0, demo.stderr
    assert "nanjie.chief" in demo.stdout
    again = run("demo", tmp_path=tmp_path)
    assert "0 units and 0 accounts added" in again.stdout
    verify = run("audit-verify", tmp_path=tmp_path)
    assert verify.returncode == 0 and "audit chain intact" in verify.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="sqlite3 CLI path differs")
def test_audit_verify_names_the_broken_link(tmp_path):
    import sqlite3

    assert run("demo", tmp_path=tmp_path).returncode == 0
    with sqlite3.connect(tmp_path / "fengqiao.sqlite3") as db:
        db.execute("DROP TRIGGER audit_event_no_update")
        db.execute("UPDATE audit_auditevent SET object_repr = 'forged' WHERE seq = 7")
    result = run("audit-verify", tmp_path=tmp_path)
    assert_one_line_verdict(result, "BROKEN at event #7")


def assert_one_line_verdict(result: subprocess.CompletedProcess, *fragments: str) -> None:
    """Tampering found: exit 1 (2 is for what the operator can fix), one line."""
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fengqiao: audit chain BROKEN"), lines
    for fragment in fragments:
        assert fragment in lines[0]


def test_audit_checkpoint_then_verify_exit_codes(tmp_path):
    """0 intact, 1 tampering found (a deleted tail, an edited checkpoint file), 2 when it
    cannot be verified (another key)."""
    import sqlite3

    assert run("demo", tmp_path=tmp_path).returncode == 0
    unanchored = run("audit-verify", tmp_path=tmp_path)
    assert unanchored.returncode == 0 and "no checkpoint yet" in unanchored.stdout
    made = run("audit-checkpoint", tmp_path=tmp_path)
    assert made.returncode == 0 and "audit checkpoint #1 " in made.stdout
    nightly = run("manage", "audit_checkpoint", tmp_path=tmp_path)
    assert nightly.returncode == 0 and "audit checkpoint #2 " in nightly.stdout
    intact = run("audit-verify", tmp_path=tmp_path)
    assert intact.returncode == 0 and "matches checkpoint #2 " in intact.stdout
    exported = run("audit-checkpoint", "--export", str(tmp_path / "copy.jsonl"), tmp_path=tmp_path)
    assert exported.returncode == 0 and len((tmp_path / "copy.jsonl").read_text().splitlines()) == 2

    other_key = run("audit-verify", tmp_path=tmp_path, FENGQIAO_AUDIT_KEY="x" * 40)
    assert_one_line_error(other_key, "not the one that signed")

    with sqlite3.connect(tmp_path / "fengqiao.sqlite3") as db:
        db.execute("DROP TRIGGER audit_event_no_delete")
        last = db.execute("SELECT max(seq) FROM audit_auditevent").fetchone()[0]
        db.execute("DELETE FROM audit_auditevent WHERE seq > ?", [last - 3])
    truncated = run("audit-verify", tmp_path=tmp_path)
    assert_one_line_verdict(truncated, f"BROKEN at event #{last - 2}", "tail was deleted")
    refused = run("audit-checkpoint", tmp_path=tmp_path)
    assert_one_line_verdict(refused, "no checkpoint written")

    checkpoint_file = tmp_path / "audit-checkpoints.jsonl"
    checkpoint_file.write_text(checkpoint_file.read_text().replace('"count":', '"count":1'))
    edited = run("audit-verify", tmp_path=tmp_path)
    assert_one_line_verdict(edited, "checkpoint file", "edited")
