"""生成省级模拟数据: ``generate_province --scale 0.01 --seed 42 [--until 2025-11-30]``.

Builds the synthetic 甘肃省 of :mod:`fengqiao.demo.province` with a progress bar per
stage and prints what was written. The same seed, scale and ``--until`` give the same
data; ``--until`` (default: yesterday) is the last local day of the three years of
incidents and disputes. Run it on a freshly migrated database: it refuses when the
province was generated before. Generated rows are not written to the audit log."""

from __future__ import annotations

import datetime as dt
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from fengqiao.demo import province


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--until {text!r} is not a date (YYYY-MM-DD)") from None


def run(
    *, scale: float, seed: int, until: dt.date | None, console: Console
) -> province.GenerationReport:
    """Generate with one progress bar per stage, then print the rows and rates."""
    if not 0 < scale <= 1:
        raise CommandError(f"--scale {scale:g} is not in (0, 1]: 1 is the full province")
    if province.already_generated():
        raise CommandError(
            f"{province.DEPARTMENT_NAME} or townships of 甘肃省 already exist: generate into a "
            "freshly migrated database"
        )
    columns = (TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=console, transient=False) as bars:
        tasks: dict[str, TaskID] = {
            stage: bars.add_task(label, total=None, start=False) for stage, label in province.STAGES
        }

        def progress(stage: str, done: int, total: int) -> None:
            task = tasks[stage]
            if not bars.tasks[task].started:
                bars.start_task(task)
            bars.update(task, completed=min(done, total), total=total)

        try:
            report = province.generate(scale=scale, seed=seed, until=until, progress=progress)
        except province.ProvinceExists as error:
            raise CommandError(str(error)) from None
        except ValueError as error:
            raise CommandError(str(error)) from None
    print_report(report, console)
    return report


def print_report(report: province.GenerationReport, console: Console) -> None:
    counts = ", ".join(f"{name} {value:,}" for name, value in report.counts.items())
    console.print(
        f"甘肃省 (simulated) at scale {report.scale:g}, seed {report.seed}, "
        f"records up to {report.until:%Y-%m-%d}: {counts}"
    )
    table = Table("stage", "table", "rows", "seconds", "rows/s")
    for stage, _label in province.STAGES:
        seconds = report.seconds.get(stage, 0.0)
        tables = report.stages.get(stage, {})
        stage_rows = sum(tables.values())
        for number, name in enumerate(tables or ["—"]):
            rows = tables.get(name, 0)
            table.add_row(
                stage if number == 0 else "", name, f"{rows:,}",
                f"{seconds:.1f}" if number == 0 else "",
                f"{stage_rows / seconds:,.0f}" if number == 0 and seconds and stage_rows else "",
            )  # fmt: skip
    table.add_row(
        "total", "", f"{report.total_rows:,}", f"{report.total_seconds:.1f}",
        f"{report.total_rows / report.total_seconds:,.0f}" if report.total_seconds else "",
    )  # fmt: skip
    console.print(table)
    console.print(
        "Generated accounts have no password. To look around as the department's "
        f"administrator: fengqiao manage changepassword {province.ADMIN_USERNAME}"
    )


class Command(BaseCommand):
    help = "Generate the synthetic province (甘肃省, simulated) at a scale, from a seed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=float, default=0.01,
                            help="fraction of full size, 0 < scale ≤ 1 (default 0.01)")  # fmt: skip
        parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
        parser.add_argument(
            "--until", type=_day, default=None,
            help="last local day of the records, YYYY-MM-DD (default yesterday)",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=cast(IO[str], self.stdout), highlight=False)
        run(scale=options["scale"], seed=options["seed"], until=options["until"], console=console)
