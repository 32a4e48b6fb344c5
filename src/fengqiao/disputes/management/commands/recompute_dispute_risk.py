"""民转刑预警 from the command line: ``manage.py recompute_dispute_risk [--batch N] [--enqueue]``.

Rescores every open dispute (batches of ``--batch`` cases, a dozen queries each) with a
progress bar, then prints how many are high and medium risk and how many notices went
out for cases that just became high. Nightly, from cron::

    15 2 * * *  cd /srv/fengqiao && .venv/bin/python manage.py recompute_dispute_risk

or, to do the work in the django-tasks worker (``manage.py db_worker``)::

    15 2 * * *  cd /srv/fengqiao && .venv/bin/python manage.py recompute_dispute_risk --enqueue
"""

from __future__ import annotations

import time
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from fengqiao.disputes import tasks
from fengqiao.disputes.risk import services as risk


class Command(BaseCommand):
    help = "Recompute the escalation-risk score (民转刑预警) of every open dispute."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch", type=int, default=risk.BATCH, help="cases per batch and transaction"
        )
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="hand the work to the django-tasks worker instead of doing it here",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["enqueue"]:
            result = tasks.recompute_dispute_risk.enqueue()
            self.stdout.write(f"enqueued task {result.id}")
            return
        console = Console(file=cast(IO[str], self.stdout), highlight=False)
        columns = (TextColumn("risk"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        started = time.perf_counter()
        with Progress(*columns, console=console, transient=False) as progress:
            bar = progress.add_task("risk", total=None)
            report = risk.recompute_all(
                batch=max(1, options["batch"]),
                progress=lambda done, total: progress.update(bar, completed=done, total=total),
            )
        console.print(
            f"cases: {report.cases}  high: {report.high}  medium: {report.medium}  "
            f"newly high: {report.newly_high}  notices: {report.notices}  "
            f"({time.perf_counter() - started:.1f} s)"
        )
