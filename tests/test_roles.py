"""The README's role table, proved over HTTP: every row is read from README.md and every
column is probed with real pages for a user of that role. A change to the table or to the
roles' capabilities that makes one disagree with the other fails here."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from fengqiao.accounts.models import User
from fengqiao.core.roles import Role
from fengqiao.disputes.models import Assignment, Mediator, MediatorKind

README = Path(__file__).resolve().parents[1] / "README.md"
COLUMNS = [
    "sees records",
    "reveals ID/phone",
    "exports",
    "aggregates",
    "audit log",
    "manages staff",
]
OWN_CASES = "his own cases and their parties only"


def role_table() -> dict[Role, dict[str, str]]:
    """The table under "## Roles and scope": role → column → cell ("✓…", "" or a note)."""
    section = README.read_text(encoding="utf-8").split("## Roles and scope", 1)[1]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert header == ["role", *COLUMNS], "the README's role table changed its columns"
    table: dict[Role, dict[str, str]] = {}
    for line in lines[2:]:
        name, *cells = (cell.strip() for cell in line.strip("|").split("|"))
        chinese = name.split()[0]
        (role,) = (role for role in Role if str(role.label).startswith(chinese))
        table[role] = dict(zip(COLUMNS, cells, strict=True))
    return table


TABLE = role_table()


def test_the_table_names_every_role_once():
    assert set(TABLE) == set(Role)


class Station:
    """Station A of the test world with one incident, two dispute cases (one assigned to
    the mediator) and a user of the role under test."""

    def __init__(self, world, make_incident, make_dispute) -> None:
        self.world = world
        self.incident = make_incident(reporter_phone="13900001111")
        self.his_case, self.other_case = make_dispute(), make_dispute()
        chief = world.a[Role.STATION_CHIEF]
        mediator = Mediator.objects.create(
            name="调解员甲", kind=MediatorKind.PEOPLES_MEDIATOR,
            account=world.a[Role.MEDIATOR], jurisdiction=world.station_a,
        )  # fmt: skip
        Assignment.objects.create(case=self.his_case, mediator=mediator, assigned_by=chief)

    def user(self, role: Role) -> User:
        others = {Role.UNIT_LIAISON: "liaison", Role.ANALYST: "analyst", Role.ADMIN: "admin"}
        return getattr(self.world, others[role]) if role in others else self.world.a[role]


@pytest.fixture
def station(world, make_incident, make_dispute) -> Station:
    return Station(world, make_incident, make_dispute)


def opens(client: Client, url: str) -> bool:
    status = client.get(url).status_code
    assert status in (200, 403, 404), f"{url} answered {status}"
    return status == 200


def sees_records(client: Client, station: Station) -> bool:
    lists = [reverse("incidents:list"), reverse("registry:people"), reverse("accounts:staff_list")]
    seen = [opens(client, url) for url in lists]
    assert len(set(seen)) == 1, f"record lists disagree: {dict(zip(lists, seen, strict=True))}"
    return seen[0]


def reveals(client: Client, station: Station) -> bool:
    url = reverse("incidents:reveal", args=[station.incident.pk, "reporter_phone"])
    answer = client.post(url, {"reason": "回拨报警人核实情况"})
    return answer.status_code == 200 and "13900001111" in answer.content.decode()


def exports(client: Client, station: Station) -> bool:
    return opens(client, reverse("accounts:staff_export", args=["csv"]))


def aggregates(client: Client, station: Station) -> bool:
    return opens(client, reverse("dashboards:dashboard"))


def audit_log(client: Client, station: Station) -> bool:
    return opens(client, reverse("audit:event_list"))


def manages_staff(client: Client, station: Station) -> bool:
    return opens(client, reverse("accounts:staff_create"))


PROBES: dict[str, Callable[[Client, Station], bool]] = {
    "sees records": sees_records,
    "reveals ID/phone": reveals,
    "exports": exports,
    "aggregates": aggregates,
    "audit log": audit_log,
    "manages staff": manages_staff,
}


@pytest.mark.parametrize("column", COLUMNS)
@pytest.mark.parametrize("role", list(TABLE), ids=str)
def test_each_role_can_do_what_the_table_says_and_nothing_more(station, role, column):
    client = Client()
    client.force_login(station.user(role))
    cell = TABLE[role][column]
    if cell == OWN_CASES:
        assert not PROBES[column](client, station), "a mediator reads the station's records"
        his = reverse("disputes:detail", args=[station.his_case.code])
        other = reverse("disputes:detail", args=[station.other_case.code])
        assert opens(client, his) and not opens(client, other)
        party = station.his_case.parties.first()
        assert opens(client, reverse("disputes:reveal_party", args=[party.pk, "phone"])) is False
        return
    assert cell in ("", "✓") or cell.startswith("✓ ("), f"unknown cell {cell!r}"
    assert PROBES[column](client, station) is cell.startswith("✓"), f"{role.label}: {column}"


def test_reading_the_readme_table_is_not_vacuous():
    yes = sum(cell.startswith("✓") for row in TABLE.values() for cell in row.values())
    no = sum(cell == "" for row in TABLE.values() for cell in row.values())
    assert yes > 10 and no > 10 and re.search(OWN_CASES, README.read_text(encoding="utf-8"))
