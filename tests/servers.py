"""`fengqiao serve` as the tests run it: a free port, its own var/ (and SQLite database
unless the environment names another), read until it says it is ready."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# The PDFs' prepared font, built once for every server the tests start.
SHARED_CACHE = Path(tempfile.gettempdir()) / "fengqiao-test-cache"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(var: Path, **extra: str) -> dict[str, str]:
    """This process's environment without our settings, plus ``var`` and ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FENGQIAO_", "DATABASE_URL"))}
    return env | {"FENGQIAO_VAR": str(var), "FENGQIAO_CACHE": str(SHARED_CACHE), **extra}


@dataclass
class Server:
    url: str
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)

    def logins(self) -> list[tuple[str, str, str]]:
        """The demo logins it printed: (username, role, unit)."""
        return [
            tuple(line.split())  # type: ignore[misc]
            for line in self.output
            if line.startswith("  ") and line.split()[0].replace(".", "").isalnum()
        ]


@contextmanager
def serving(env: dict[str, str], *args: str, timeout: float = 60) -> Iterator[Server]:
    """Run ``fengqiao serve *args`` until the block ends; fail with its output if it does
    not answer /healthz within ``timeout`` seconds."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "fengqiao.cli", "serve", *args, "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip
    server = Server(f"http://127.0.0.1:{port}", process)
    assert process.stdout is not None
    for line in process.stdout:
        server.output.append(line)
        if line.startswith("Press Ctrl+C"):
            break
    # Keep reading what it prints: a full pipe would block the server (and its worker).
    threading.Thread(target=server.output.extend, args=(process.stdout,), daemon=True).start()
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(server.url + "/healthz", timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("fengqiao serve did not start:\n" + "".join(server.output))
            time.sleep(0.2)
    try:
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
