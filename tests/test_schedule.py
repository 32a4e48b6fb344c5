"""The periodic jobs and the background worker that `fengqiao serve` starts: when each
job is due, that a restart neither repeats nor skips a night, that every scheduled command
exists, and that the worker ends with the server — also when the server is killed."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.management import get_commands

from fengqiao.core.schedule import JOBS, LOCAL, Job, Scheduler
from tests.servers import environment, serving

# The schedule is pure Python and the servers bring their own SQLite.
pytestmark = pytest.mark.once

NIGHTLY = Job("nightly", ("count_residents",), at=dt.time(2, 30))
OFTEN = Job("often", ("escalate_whistles",), every=dt.timedelta(minutes=5))


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=LOCAL)


def test_every_scheduled_job_is_a_real_command():
    commands = get_commands()
    assert [job.command[0] for job in JOBS if job.command[0] not in commands] == []
    assert len({job.name for job in JOBS}) == len(JOBS)


def test_an_interval_job_runs_at_start_and_then_every_interval():
    assert OFTEN.is_due(last=None, now=local(7, 9))
    assert not OFTEN.is_due(last=local(7, 9), now=local(7, 9, 4))
    assert OFTEN.is_due(last=local(7, 9), now=local(7, 9, 5))


def test_a_daily_job_runs_once_after_its_time_on_the_local_clock():
    # 02:30 in Asia/Shanghai is 18:30 UTC the day before: the UTC clock must not matter.
    last = local(6, 3)
    assert not NIGHTLY.is_due(last=last, now=local(7, 2, 29))
    assert NIGHTLY.is_due(last=last, now=local(7, 2, 30).astimezone(dt.UTC))
    assert not NIGHTLY.is_due(last=local(7, 2, 30), now=local(7, 23))
    # Off over two nights: it runs once when the laptop comes back, not twice.
    assert NIGHTLY.is_due(last=local(4, 2, 31), now=local(7, 9))
    assert not NIGHTLY.is_due(last=local(7, 9), now=local(7, 10))


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def test_the_scheduler_remembers_across_restarts(tmp_path):
    clock, ran = Clock(local(7, 9)), []
    state = tmp_path / "schedule.json"

    def scheduler() -> Scheduler:  # a new process each time: only the file is shared
        return Scheduler(jobs=[NIGHTLY, OFTEN], state_path=state, run=ran.append, clock=clock)

    # First sight of a nightly job sets its baseline: it waits for the night.
    assert scheduler().tick() == ["often"]
    clock.now = local(7, 9, 6)
    assert scheduler().tick() == ["often"]
    clock.now = local(8, 2, 31)
    assert scheduler().tick() == ["nightly", "often"]
    clock.now = local(8, 2, 33)
    assert scheduler().tick() == []  # restarted a minute later: nothing repeats
    assert [job.name for job in ran] == ["often", "often", "nightly", "often"]


def test_a_failing_job_waits_for_its_next_time_and_the_others_still_run(tmp_path, caplog):
    clock = Clock(local(7, 9))

    def run(job: Job) -> None:
        if job is OFTEN:
            raise RuntimeError("disk full")

    scheduler = Scheduler(
        jobs=[OFTEN, Job("other", ("x",), every=dt.timedelta(minutes=5))],
        state_path=tmp_path / "s.json", run=run, clock=clock,
    )  # fmt: skip
    assert scheduler.tick() == ["often", "other"]
    assert "scheduled job often failed" in caplog.text
    clock.now = local(7, 9, 1)
    assert scheduler.tick() == []


def test_a_damaged_state_file_is_read_as_no_state(tmp_path):
    state = tmp_path / "schedule.json"
    state.write_text("{not json")
    scheduler = Scheduler(jobs=[OFTEN], state_path=state, run=lambda job: None)
    assert scheduler.tick() == ["often"]


# --- The worker beside the server --------------------------------------------------------


@contextmanager
def _serve(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """`fengqiao serve` on an empty SQLite database; yields it and its worker's pid."""
    with serving(environment(tmp_path)) as served:
        text = "".join(served.output)
        found = re.search(r"Background worker and scheduler running \(pid (\d+)\)", text)
        assert found, "no worker started:\n" + text
        yield served.process, int(found.group(1))


def _gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def test_stopping_the_server_stops_its_worker(tmp_path):
    with _serve(tmp_path) as (server, worker):
        deadline = time.monotonic() + 30  # the scheduler's first tick writes its state
        while not (tmp_path / "schedule.json").exists():
            assert time.monotonic() < deadline, "the scheduler never ticked"
            time.sleep(0.2)
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0, server.returncode
        assert _gone(worker, within=5)


def test_a_killed_server_leaves_no_worker_behind(tmp_path):
    with _serve(tmp_path) as (server, worker):
        server.kill()
        server.wait(timeout=10)
        assert _gone(worker, within=10), "the worker outlived its server"
