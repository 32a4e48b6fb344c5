"""The periodic jobs, as data, and the scheduler that runs them.

:data:`JOBS` is the whole production schedule: a management command and either an
interval or a daily time on the Asia/Shanghai clock. ``fengqiao worker`` (and
``fengqiao serve``, which starts one) runs the scheduler beside the task worker, so a
laptop needs no cron. Add a job by adding a line here.

A daily job missed while the machine was off runs once when it comes back (a laptop
is rarely on at 02:30); an interval job runs at start and then every interval. The time
each job last started is kept in ``var/schedule.json``, so a restart neither repeats nor
skips a night. Run exactly one scheduler per deployment (``fengqiao worker
--no-schedule`` for any further workers): the state file is not shared between hosts.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

logger = logging.getLogger(__name__)

LOCAL = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Job:
    """One periodic job: ``command`` (a management command and its arguments) runs
    every ``every``, or daily at ``at`` (Asia/Shanghai)."""

    name: str
    command: tuple[str, ...]
    every: dt.timedelta | None = None
    at: dt.time | None = None

    def __post_init__(self) -> None:
        if (self.every is None) == (self.at is None):
            raise ValueError(f"job {self.name}: give either every= or at=")

    def is_due(self, *, last: dt.datetime | None, now: dt.datetime) -> bool:
        """Whether the job should start at ``now``, having last started at ``last``."""
        if self.every is not None:
            return last is None or now - last >= self.every
        at = self.at or dt.time()
        if last is None:  # first sight: wait for the next night rather than run at once
            return False
        local = now.astimezone(LOCAL)
        latest = dt.datetime.combine(local.date(), at, tzinfo=LOCAL)
        if latest > local:
            latest -= dt.timedelta(days=1)
        return last < latest


# The schedule. Nightly jobs are spread out so they do not compete for SQLite's one
# write lock.
JOBS: tuple[Job, ...] = (
    # 吹哨报到: overdue requests escalate to the bureau (idempotent).
    Job("escalate_whistles", ("escalate_whistles",), every=dt.timedelta(minutes=5)),
    # 民转刑预警: rescore every open dispute.
    Job("recompute_dispute_risk", ("recompute_dispute_risk",), at=dt.time(2, 15)),
    # 实有人口 per police district (a move-out dated ahead takes effect on its day).
    Job("count_residents", ("count_residents",), at=dt.time(2, 30)),
    # 一表通考: this month's scores so far.
    Job("compute_scores", ("compute_scores",), at=dt.time(2, 45)),
    # 审计链检查点: the chain's head signed and kept outside the audited table, after the
    # night's writes, before the morning brief prints it.
    Job("audit_checkpoint", ("audit_checkpoint",), at=dt.time(3, 0)),
    # The task queue's finished results older than two weeks.
    Job("prune_task_results", ("prune_db_task_results", "--queue-name", "*"), at=dt.time(3, 30)),
)


def run_command(job: Job) -> None:
    """Run the job's management command in this process, its output to the log."""
    from django.core.management import call_command
    from django.db import close_old_connections

    out = io.StringIO()
    try:
        call_command(*job.command, stdout=out, stderr=out)
    finally:
        close_old_connections()
    text = out.getvalue().strip()
    if text:
        logger.info("%s: %s", job.name, text.splitlines()[-1])


class Scheduler:
    """Starts each due job of ``jobs``, one after another, and remembers when."""

    def __init__(
        self,
        *,
        jobs: Sequence[Job] = JOBS,
        state_path: Path,
        run: Callable[[Job], None] = run_command,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.jobs = tuple(jobs)
        self.state_path = Path(state_path)
        self.run = run
        self.clock = clock

    def _load(self) -> dict[str, dt.datetime]:
        try:
            raw = json.loads(self.state_path.read_text())
            return {name: dt.datetime.fromisoformat(at) for name, at in raw.items()}
        except (OSError, ValueError, TypeError, AttributeError):
            return {}

    def _save(self, state: dict[str, dt.datetime]) -> None:
        scratch = self.state_path.with_suffix(".new")
        scratch.parent.mkdir(parents=True, exist_ok=True)
        scratch.write_text(json.dumps({n: at.isoformat() for n, at in state.items()}, indent=1))
        os.replace(scratch, self.state_path)

    def tick(self, stop: threading.Event | None = None) -> list[str]:
        """Run every job due now; return their names. A job's start is recorded before it
        runs, so one that fails waits for its next time instead of repeating at once."""
        state = self._load()
        ran = []
        for job in self.jobs:
            if stop is not None and stop.is_set():
                break
            now = self.clock()
            last = state.get(job.name)
            if job.at is not None and last is None:
                state[job.name] = now  # the baseline of a daily job seen for the first time
                self._save(state)
                continue
            if not job.is_due(last=last, now=now):
                continue
            state[job.name] = now
            self._save(state)
            started = time.monotonic()
            try:
                self.run(job)
            except Exception:
                logger.exception("scheduled job %s failed", job.name)
            else:
                logger.info("scheduled job %s done in %.1f s", job.name, time.monotonic() - started)
            ran.append(job.name)
        return ran

    def loop(self, stop: threading.Event, *, poll: float = 20.0) -> None:
        """Tick until ``stop`` is set."""
        while not stop.is_set():
            try:
                self.tick(stop)
            except Exception:  # the schedule must outlive one bad tick (a full disk)
                logger.exception("scheduler tick failed")
            stop.wait(poll)
