"""The background process: the django-tasks database worker and the scheduler.

``fengqiao worker`` runs :func:`run_worker` in the foreground (production: one systemd
unit); ``fengqiao serve`` starts it as a child with :func:`start_child` and ends it with
:func:`stop_child`, so a laptop runs imports over the inline limit and the nightly jobs
with nothing else started. The child is its own process group (Ctrl+C in the terminal
reaches only the server, which then stops the worker in order) and it ends itself when
its parent disappears, even one killed with SIGKILL: no orphan keeps the database open.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

logger = logging.getLogger(__name__)

# How long a stopping worker may finish the task it is running before it is told again
# (which fails the task: its transaction rolls back) and then killed.
STOP_GRACE_SECONDS = 20.0


def _watch_parent(parent_pid: int, stop: threading.Event) -> None:
    while not stop.wait(1.0):
        if os.getppid() != parent_pid:
            logger.warning("the server (pid %s) is gone: the worker stops", parent_pid)
            os.kill(os.getpid(), signal.SIGTERM)
            return


def run_worker(
    *, schedule: bool = True, parent_pid: int | None = None, interval: float = 1.0
) -> None:
    """Run queued tasks (every queue) until SIGTERM or SIGINT; with ``schedule`` also the
    periodic jobs of :mod:`fengqiao.core.schedule`. Django must be set up."""
    from django.conf import settings
    from django_tasks_db.management.commands.db_worker import Worker

    from fengqiao.core.schedule import Scheduler

    stop = threading.Event()
    threads = []
    if schedule:
        scheduler = Scheduler(state_path=Path(settings.VAR_DIR) / "schedule.json")
        threads.append(threading.Thread(target=scheduler.loop, args=(stop,), name="scheduler"))
    if parent_pid:
        threads.append(threading.Thread(target=_watch_parent, args=(parent_pid, stop)))
    for thread in threads:
        thread.daemon = True  # a job still running at exit ends with the process
        thread.start()
    worker = Worker(
        queue_names=["*"], interval=interval, batch=False, backend_name="default",
        startup_delay=False, max_tasks=None, excluded_queue_names=[],
        worker_id=f"{socket.gethostname()}-{os.getpid()}"[:64],
    )  # fmt: skip
    # The worker's own handlers: the first signal lets a running task finish, the second
    # fails it; when idle it exits at once (SystemExit out of its sleep).
    worker.configure_signals()
    try:
        worker.run()
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)


def start_child(*, schedule: bool = True) -> subprocess.Popen[bytes]:
    """Start ``fengqiao worker`` as a child of this process."""
    command = [sys.executable, "-m", "fengqiao.cli", "worker", "--parent-pid", str(os.getpid())]
    if not schedule:
        command.append("--no-schedule")
    return subprocess.Popen(command, start_new_session=True)  # noqa: S603 (our own command)


def stop_child(child: subprocess.Popen[bytes], *, grace: float = STOP_GRACE_SECONDS) -> None:
    """Stop the worker: let it finish its task for ``grace`` seconds, then fail the task,
    then kill it. Ctrl+C while waiting skips the wait."""
    if child.poll() is not None:
        return
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(timeout=grace)
        return
    except subprocess.TimeoutExpired:
        print("The background task is still running: stopping it.", flush=True)
    except KeyboardInterrupt:
        pass
    child.send_signal(signal.SIGTERM)  # the second signal: the task fails, rolled back
    try:
        child.wait(timeout=10)
    except (subprocess.TimeoutExpired, KeyboardInterrupt):
        child.kill()
        child.wait()
