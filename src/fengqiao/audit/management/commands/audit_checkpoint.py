"""``audit_checkpoint``: verify the audit chain and sign its head as the next checkpoint
(nightly, and whenever an operator wants one); ``--export FILE`` copies the checkpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fengqiao.audit import checkpoints


class Command(BaseCommand):
    help = "Verify the audit chain and write a signed checkpoint of its head."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--export", metavar="FILE", type=Path,
            help="copy every checkpoint to FILE instead of writing one",
        )  # fmt: skip

    def handle(self, *args: Any, export: Path | None = None, **options: Any) -> None:
        try:
            if export is not None:
                exported = checkpoints.export(Path(export))
                self.stdout.write(f"{len(exported)} audit checkpoints copied to {export}")
                return
            checkpoint, _ = checkpoints.write_checkpoint()
        except checkpoints.ChainBrokenError as error:
            raise CommandError(f"audit chain BROKEN, no checkpoint written: {error}") from None
        except (checkpoints.CheckpointError, checkpoints.KeyMismatchError) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"audit checkpoint {checkpoint.label}: {checkpoint.count} events up to "
            f"#{checkpoint.seq}, head hash {checkpoint.head_hash}"
        )
