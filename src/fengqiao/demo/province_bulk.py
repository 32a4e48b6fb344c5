"""The bulk path of the province generator: primary keys reserved up front, rows written
as database-ready tuples through the registry import's raw insert (COPY on PostgreSQL,
``executemany`` on SQLite), timestamps formatted once, and the codes people read —
incident and dispute tracking codes, ID numbers — made unique without remembering
millions of them."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models import Model

from fengqiao.addresses.codes import ALPHABET, check_character
from fengqiao.core.validators import id_number_check_character
from fengqiao.registry.imports import _raw_insert, _reserve_ids

CHUNK = 20_000  # rows per insert: a few MB of tuples, big enough to amortise the round trip


class Ids:
    """Primary keys of one table handed out in order. SQLite: after MAX(id), once (the
    generator's transaction holds the write lock). PostgreSQL: from the sequence, a
    block per request, so other writers are never given the same key."""

    BLOCK = 10_000

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        self.postgres = connection.vendor == "postgresql"
        self.next_id = 0
        self.reserved: list[int] = []
        if not self.postgres:
            self.next_id = _reserve_ids(model, 1)[0]

    def one(self) -> int:
        if not self.postgres:
            self.next_id += 1
            return self.next_id - 1
        if not self.reserved:
            self.reserved = _reserve_ids(self.model, self.BLOCK)[::-1]
        return self.reserved.pop()

    def take(self, count: int) -> list[int]:
        return [self.one() for _ in range(count)]


class Sink:
    """Rows of one table collected and written every :data:`CHUNK` rows."""

    def __init__(self, model: type[Model], columns: Sequence[str], counter: dict[str, int]):
        self.model, self.columns = model, tuple(columns)
        self.rows: list[tuple[Any, ...]] = []
        self.counter = counter
        self.label = model._meta.db_table
        counter.setdefault(self.label, 0)

    def add(self, row: tuple[Any, ...]) -> None:
        self.rows.append(row)
        if len(self.rows) >= CHUNK:
            self.flush()

    def extend(self, rows: Iterable[tuple[Any, ...]]) -> None:
        for row in rows:
            self.add(row)

    def flush(self) -> None:
        if self.rows:
            _raw_insert(self.model, self.columns, self.rows)
            self.counter[self.label] += len(self.rows)
            self.rows = []


class Clock:
    """Formats POSIX seconds (UTC) as the database stores them: naive UTC text on SQLite
    (what Django writes there), text with the offset for PostgreSQL's COPY."""

    def __init__(self) -> None:
        self.suffix = "+00" if connection.vendor == "postgresql" else ""

    def stamp(self, seconds: float | None) -> str | None:
        if seconds is None:
            return None
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(int(seconds))) + self.suffix

    @staticmethod
    def day(value: dt.date | None) -> str | None:
        return value.isoformat() if value is not None else None


# --- codes -----------------------------------------------------------------------------

_TRACKING_SPACE = 31**9


class TrackingCodes:
    """Tracking codes (查询码, :mod:`fengqiao.incidents.codes`): nine characters and the
    check character. The n-th code is an affine permutation of n over the 31^9 bodies
    (multiplier and offset drawn from the seed), so codes are unique without a set of
    the millions handed out, look random, and are the same for the same seed. Codes
    already in ``model`` (records not made by the generator) are skipped chunk by chunk."""

    def __init__(self, multiplier: int, offset: int, start: int = 0) -> None:
        if multiplier % 31 == 0:  # must be a unit modulo 31^9
            multiplier += 1
        self.multiplier, self.offset, self.n = multiplier, offset, start

    def next(self) -> str:
        value = (self.multiplier * self.n + self.offset) % _TRACKING_SPACE
        self.n += 1
        chars = []
        for _ in range(9):
            value, rest = divmod(value, 31)
            chars.append(ALPHABET[rest])
        body = "".join(chars)
        return body + check_character(body)


def taken(model: type[Model], field: str, values: Sequence[str]) -> set[str]:
    """Which of ``values`` ``model`` already holds (checked in slices the databases'
    parameter limits allow)."""
    found: set[str] = set()
    for start in range(0, len(values), 5000):
        part = values[start : start + 5000]
        found.update(
            model._default_manager.filter(**{f"{field}__in": part}).values_list(field, flat=True)
        )
    return found


class UniqueCodes:
    """Codes from ``make`` that ``model.field`` does not hold yet: checked in batches,
    and only when the table had rows before the generator started."""

    def __init__(self, make: Callable[[], str], model: type[Model], field: str) -> None:
        self.make, self.model, self.field = make, model, field
        self.check = model._default_manager.exists()
        self.ready: list[str] = []

    def next(self) -> str:
        if not self.check:
            return self.make()
        if not self.ready:
            fresh = [self.make() for _ in range(5000)]
            clash = taken(self.model, self.field, fresh)
            self.ready = [code for code in fresh if code not in clash][::-1]
        return self.ready.pop()


class IdNumbers:
    """居民身份证号码 (GB 11643) that are unique by construction. The sequence code
    (positions 15–17; its last digit odd for men) is counted per region, birth date and
    sex: people registered in the county being generated take slots 0–299, people from
    elsewhere 300 + 2 × county index + 0/1, so two counties never hand out the same
    number. A full slot moves the birth date a day. Counters live for one county."""

    LOCAL_SLOTS = 300

    def __init__(self) -> None:
        self.host = 0
        self.counters: dict[tuple[str, int, int], int] = {}
        self.avoid: set[str] = set()  # numbers held by people the generator did not make

    def start_county(self, index: int) -> None:
        self.host = index
        self.counters.clear()

    def make(self, region: str, birth: dt.date, male: bool, local: bool) -> str:
        while True:
            key = (region, birth.toordinal(), int(male))
            used = self.counters.get(key, 0)
            limit = self.LOCAL_SLOTS if local else 2
            if used < limit:
                self.counters[key] = used + 1
                slot = used if local else self.LOCAL_SLOTS + 2 * self.host + used
                sequence = 2 * slot + (1 if male else 0)
                first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
                number = first17 + id_number_check_character(first17)
                if number not in self.avoid:
                    return number
                continue
            birth += dt.timedelta(days=1)
