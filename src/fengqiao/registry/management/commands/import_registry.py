"""导入台账 from the command line: ``import_registry KIND FILE --user USERNAME``.

Without ``--commit`` it is a dry run; with it, the file is imported only if the dry run
finds no error (one transaction, one audit event). ``--mapping`` overrides the automatic
header mapping as JSON: ``{"id_number": 2, "phone": "联系电话"}`` (column index or header).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any, cast

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from fengqiao.accounts.models import User
from fengqiao.registry import imports


class Command(BaseCommand):
    help = "Import a ledger (addresses, houses, people, organisations) from .xlsx or .csv."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=imports.KINDS)
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", required=True, help="the importing user's login name")
        parser.add_argument("--mapping", help="JSON: field → column index or header text")
        parser.add_argument("--commit", action="store_true", help="import after a clean dry run")
        parser.add_argument(
            "--max-size-mb", type=int, help="size limit (default FENGQIAO_IMPORT_MAX_BYTES)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=cast(IO[str], self.stdout), highlight=False)
        try:
            user = User.objects.select_related("jurisdiction").get(username=options["user"])
        except User.DoesNotExist:
            raise CommandError(f"no user {options['user']!r}") from None
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no file {path}")
        max_bytes = options["max_size_mb"] * 1024 * 1024 if options["max_size_mb"] else None
        kind = options["kind"]
        try:
            table = imports.TableFile(path, max_bytes=max_bytes)
        except imports.ImportFileError as error:
            raise CommandError(str(error)) from None
        with table:
            headers, total = table.headers, table.estimated_rows()
        mapping = self._mapping(kind, headers, options["mapping"])
        console.print(
            "mapping: " + ", ".join(f"{name} ← {headers[i]!r}" for name, i in mapping.items())
        )
        common = {"kind": kind, "path": path, "mapping": mapping, "user": user,
                  "max_bytes": max_bytes}  # fmt: skip
        try:
            report = self._with_progress(console, "validate", total, imports.validate_file, common)
            if report.ok and options["commit"]:
                report = self._with_progress(console, "commit", total, imports.commit_file, common)
        except PermissionDenied as error:
            raise CommandError(f"permission denied: {error}") from None
        self._print(console, report)
        if not report.ok:
            raise CommandError(f"{report.error_count} error(s): nothing imported")

    def _mapping(self, kind: str, headers: list[str], given: str | None) -> imports.Mapping:
        mapping: dict[str, Any] = imports.propose_mapping(kind, headers)
        if given:
            try:
                override = json.loads(given)
            except json.JSONDecodeError as error:
                raise CommandError(f"--mapping is not JSON: {error}") from None
            for name, column in override.items():
                mapping[name] = headers.index(column) if column in headers else column
        try:
            return imports.check_mapping(kind, headers, mapping)
        except imports.MappingError as error:
            raise CommandError(str(error)) from None

    def _with_progress(self, console: Console, label: str, total: int, step: Any,
                       common: dict[str, Any]) -> imports.Report:  # fmt: skip
        columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=False) as progress:
            bar = progress.add_task(label, total=total or None)
            report: imports.Report = step(
                **common, progress=lambda rows: progress.update(bar, completed=rows)
            )
            progress.update(bar, completed=report.total_rows, total=report.total_rows)
        return report

    def _print(self, console: Console, report: imports.Report) -> None:
        console.print(
            f"rows: {report.total_rows}  valid: {report.valid_rows}  "
            f"errors: {report.error_count}  created: {report.created}"
            + (f"  houses created: {report.houses_created}" if report.houses_created else "")
            + ("  (committed)" if report.committed else "  (dry run)")
        )
        if report.errors:
            table = Table("row", "column", "reason")
            for error in report.errors:
                table.add_row(str(error.row or "—"), error.column or "—", error.reason)
            console.print(table)
            if report.hidden_errors:
                console.print(f"… and {report.hidden_errors} more")
