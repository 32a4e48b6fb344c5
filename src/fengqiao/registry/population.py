"""实有人口 per police district: counted from the people and their stays, and stored.

Counting a province's 25 million people takes seconds, so pages that show population
(the staffing checks' 警务区平均管辖实有人口) read :class:`DistrictPopulation` instead.
The stored counts are kept

* on write — the registry's services recount the districts a change touches (a
  district's people: one indexed query) in the same transaction;
* in bulk — the ledger import adds the people it loaded to their districts, the province
  generator counts everything;
* nightly — ``./fq manage count_residents`` from cron, because a move-out may be dated
  ahead and takes effect on that day without any write.

A district never counted is counted when first read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from fengqiao.jurisdictions.models import Jurisdiction, Kind
from fengqiao.registry.models import DistrictPopulation, Person, Residence, ResidenceStatus


def residents_by_district(
    node: Jurisdiction | None = None, *, districts: Collection[int] | None = None
) -> dict[int, int]:
    """实有人口 now, counted live, per police district under ``node`` (the whole tree when
    None) or, given ``districts``, in those: the people kept by the district
    (``Person.police_district``, his current or last home) less those who no longer live
    there — every stay of theirs has ended (迁出 sets ``moved_out``; nothing is deleted)
    or still awaits the officer's confirmation (a tenant 待核实). A person with no stay
    on record at all (e.g. bulk-loaded) is counted where he is kept. Districts without
    anyone are left out.

    Counted as all minus the departed because the departed are few and found from the
    stays that are not current: one covering-index pass over the people instead of a
    probe of their stays for each of them (SQLite, 1,000,000 people: see bench)."""
    today = timezone.localdate()
    current = Q(status=ResidenceStatus.APPROVED) & (
        Q(moved_out__isnull=True) | Q(moved_out__gt=today)
    )
    ended = ~Q(status=ResidenceStatus.APPROVED) | Q(moved_out__lte=today)
    people = Person.objects.order_by()
    whole_tree = districts is None and (node is None or node.parent_id is None)
    if districts is not None:
        people = people.filter(police_district__in=list(districts))
    elif node is not None and not whole_tree:
        people = people.filter(police_district__path__within=node.path)
    if whole_tree:  # start from the stays that are over
        departed = people.filter(pk__in=Residence.objects.filter(ended).values("person_id"))
    else:  # start from the district's people (their index)
        departed = people.filter(Exists(Residence.objects.filter(ended, person=OuterRef("pk"))))
    departed = departed.exclude(Exists(Residence.objects.filter(current, person=OuterRef("pk"))))
    counts: dict[int, int] = dict(
        people.values("police_district").annotate(n=Count("pk")).values_list("police_district", "n")
    )
    for district, n in (
        departed.values("police_district")
        .annotate(n=Count("pk"))
        .values_list("police_district", "n")
    ):
        counts[district] -= n
    if whole_tree and node is not None:  # counted unfiltered: keep this tree's districts
        kept = set(_districts_under(node))
        counts = {pk: n for pk, n in counts.items() if pk in kept}
    return counts


def _districts_under(node: Jurisdiction | None) -> Iterable[int]:
    found = Jurisdiction.objects.filter(kind=Kind.POLICE_DISTRICT)
    if node is not None:
        found = found.filter(path__within=node.path)
    return found.values_list("pk", flat=True)


@transaction.atomic
def recount(
    *, node: Jurisdiction | None = None, districts: Iterable[int | None] | None = None
) -> int:
    """Count again and store: the given ``districts`` (one query for them all), or every
    district under ``node`` (the whole tree when None, one pass over the people).
    Returns how many districts were stored."""
    if districts is not None:
        wanted = {pk for pk in districts if pk is not None}
        counts = residents_by_district(districts=wanted) if wanted else {}
    else:
        wanted = set(_districts_under(node))
        counts = residents_by_district(node)
    now = timezone.now()
    DistrictPopulation.objects.bulk_create(
        [DistrictPopulation(district_id=pk, residents=counts.get(pk, 0), counted_at=now)
         for pk in wanted],
        update_conflicts=True, unique_fields=["district"],
        update_fields=["residents", "counted_at"], batch_size=2000,
    )  # fmt: skip
    return len(wanted)


def add(moved_in: Mapping[int, int]) -> None:
    """Count in people who all live in a district now and lived nowhere before (a ledger
    import's new people): ``moved_in`` per district. Cheaper than a recount of the
    districts' every person; a district never counted stays so until first read."""
    now = timezone.now()
    for district, n in moved_in.items():
        DistrictPopulation.objects.filter(district=district).update(
            residents=F("residents") + n, counted_at=now
        )


def stored(districts: Collection[int]) -> tuple[dict[int, int], dt.datetime | None]:
    """The stored 实有人口 of ``districts`` (those never counted are counted first) and
    when the oldest of them was counted (None for no districts)."""

    def read() -> dict[int, tuple[int, dt.datetime]]:
        rows = DistrictPopulation.objects.filter(district__in=list(districts))
        return {
            pk: (n, at) for pk, n, at in rows.values_list("district", "residents", "counted_at")
        }

    found = read()
    if missing := set(districts) - found.keys():
        recount(districts=missing)
        found = read()
    counts = {pk: n for pk, (n, _at) in found.items()}
    return counts, min((at for _n, at in found.values()), default=None)
