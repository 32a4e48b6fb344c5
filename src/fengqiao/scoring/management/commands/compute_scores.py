"""一表通考 from the command line::

    ./fq manage compute_scores --period 2026-11 --level station
    ./fq manage compute_scores --period 2026-Q4            # every level
    ./fq manage compute_scores                              # this month, every level
    ./fq manage compute_scores --period 2026-11 --close     # close (定稿) the month first

Scores every subject of each level for the period and replaces that period's earlier
scores (idempotent). A closed period is scored with the indicator table frozen when it
was closed, so recomputing it later gives the same scores from the same records.
Nightly, from cron, this month so far::

    30 2 * * *  cd /srv/fengqiao && .venv/bin/python manage.py compute_scores
"""

from __future__ import annotations

import time
from typing import IO, Any, cast

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from fengqiao.scoring import periods, services
from fengqiao.scoring.models import Level


class Command(BaseCommand):
    help = "Compute 一表通考 scores for a period (month 2026-11, quarter 2026-Q4, year 2026)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--period", default="", help="2026-11, 2026-Q4 or 2026 (default: this month)"
        )
        parser.add_argument(
            "--level", action="append", choices=Level.values,
            help="a level to score (repeatable; default: every level)",
        )  # fmt: skip
        parser.add_argument(
            "--close", action="store_true",
            help="close the period first (freezes its indicators, assessments and ratings)",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            period = periods.parse(options["period"]) if options["period"] else periods.current()
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        console = Console(file=cast(IO[str], self.stdout), highlight=False)
        if options["close"]:
            if services.is_closed(period):
                console.print(f"{period.key} is already closed")
            else:
                try:
                    services.close_period(actor=None, period=period)
                except ValidationError as error:
                    raise CommandError(" ".join(error.messages)) from None
                console.print(f"closed {period.key}: indicators, assessments and ratings frozen")
        levels = options["level"] or list(Level.values)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn())  # fmt: skip
        for level in levels:
            started = time.perf_counter()
            with Progress(*columns, console=console, transient=True) as progress:
                bar = progress.add_task(f"{period.key} {level}", total=None)

                def step(
                    name: str, done: int, total: int, bar: Any = bar, label: str = level
                ) -> None:
                    progress.update(bar, description=f"{period.key} {label}: {name}",
                                    completed=done, total=total)  # fmt: skip

                card = services.compute_scores(period=period, level=level, progress=step)
            scored = card.scores.exclude(total=None).count()
            console.print(
                f"{period.key} {level}: {card.scores.count()} subjects, {scored} with a total, "
                f"{len(card.definitions)} indicators{' (frozen)' if card.frozen else ''} "
                f"({time.perf_counter() - started:.1f} s)"
            )
