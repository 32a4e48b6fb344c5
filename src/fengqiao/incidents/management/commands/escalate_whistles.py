"""升级督办 of overdue whistles: ``manage.py escalate_whistles [--enqueue]``.

Every request (吹哨报到) still open — raised, accepted or reported — after its due time
is escalated to the bureau once: it is flagged on the bureau's board and its history
says "逾期未办结，已提请分局督办". Running it again escalates nothing twice, so run it
every few minutes, from cron::

    */5 * * * *  cd /srv/fengqiao && .venv/bin/python manage.py escalate_whistles

or, to do the work in the django-tasks worker (``manage.py db_worker``) rather than in
the cron process::

    */5 * * * *  cd /srv/fengqiao && .venv/bin/python manage.py escalate_whistles --enqueue
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from fengqiao.incidents import tasks, whistles


class Command(BaseCommand):
    help = "Escalate the whistles (吹哨报到) still open after their due time to the bureau."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="hand the work to the django-tasks worker instead of doing it here",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["enqueue"]:
            result = tasks.escalate_whistles.enqueue()
            self.stdout.write(f"enqueued task {result.id}")
            return
        count = whistles.escalate_overdue()
        self.stdout.write(f"escalated {count} overdue whistle(s)")
