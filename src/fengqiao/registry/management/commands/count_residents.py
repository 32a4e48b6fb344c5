"""实有人口 per police district, counted again and stored: ``manage.py count_residents``.

The registry keeps the stored counts current on every write; this recount catches what no
write announces — a move-out dated ahead takes effect on its day — and repairs counts
after writes that went round the services. Nightly, from cron::

    30 2 * * *  cd /srv/fengqiao && .venv/bin/python manage.py count_residents
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from fengqiao.registry import population


class Command(BaseCommand):
    help = "Count the people living in every police district (实有人口) and store the counts."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        districts = population.recount()
        elapsed = time.perf_counter() - started
        self.stdout.write(f"{districts:,} police districts counted ({elapsed:.1f} s)")
