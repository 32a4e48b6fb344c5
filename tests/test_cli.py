"""Operator mistakes end with one clear line and a non-zero exit, never a traceback;
production settings pass Django's deployment checks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest


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
    for command in ("serve", "migrate", "demo", "divisions", "audit-verify", "secret", "manage"):
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
        FENGQIAO_ALLOWED_HOSTS="fq.example.org",
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
    assert_one_line_error(result, "BROKEN at event #7")
