"""Recount the dashboards' rollups from the raw records:
``manage.py rebuild_rollups [--fact incident …]``.

Rollups are kept current on every write; a rebuild is for a fresh deployment, after a
bulk load (the province generator runs one itself) or to repair drift after writes that
went round the models (a raw SQL fix). One transaction: dashboards keep showing the old
counts until the new ones are complete."""

from __future__ import annotations

import time
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from fengqiao.rollups import store as rollups


class Command(BaseCommand):
    help = "Recount the dashboards' daily and monthly rollups (汇总) from the raw records."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--fact", action="append", choices=sorted(rollups.FACTS),
            help="only this fact (repeatable); all by default",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        facts = options["fact"] or list(rollups.FACTS)
        console = Console(file=cast(IO[str], self.stdout), highlight=False)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn())  # fmt: skip
        started = time.perf_counter()
        with Progress(*columns, console=console, transient=False) as progress:
            bar = progress.add_task("rollups", total=len(facts))

            def step(fact: str) -> None:  # called as each fact starts
                done = facts.index(fact)
                progress.update(bar, description=f"rollups: {fact}", completed=done)

            rows = rollups.rebuild(facts=facts, progress=step)
            progress.update(bar, completed=len(facts), description="rollups")
        console.print(f"{rows:,} rollup rows ({time.perf_counter() - started:.1f} s)")
