"""Issue 16: a stale edit names who changed the record and when; every model has a
readable label (the audit log shows it)."""

from __future__ import annotations

import json
import re

import pytest
from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.urls import reverse
from django.utils import formats, timezone, translation

from fengqiao.accounts.models import User
from fengqiao.audit import services as audit
from fengqiao.core.concurrency import StaleEditError
from fengqiao.core.models import VersionedModel
from fengqiao.core.roles import Role
from fengqiao.disputes.mediators import services as mediators
from fengqiao.disputes.models import MediatorKind
from fengqiao.incidents import services as incident_services
from fengqiao.incidents.models import Incident, Status

# Every record edited under optimistic locking: the versioned models, and staff accounts
# (a user carries its own ``version``: it cannot inherit from VersionedModel).
VERSIONED = sorted(
    [m for m in apps.get_models() if issubclass(m, VersionedModel)] + [User],
    key=lambda m: m._meta.label,
)


def _when(at) -> str:
    return formats.date_format(timezone.localtime(at), "DATETIME_FORMAT")


def test_the_list_of_versioned_models_is_walked_not_written_by_hand():
    walked = {m for m in apps.get_models() if issubclass(m, VersionedModel)}
    assert walked <= set(VERSIONED) and len(walked) >= 12


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("model", VERSIONED, ids=lambda m: m._meta.label)
def test_a_stale_save_of_every_versioned_model_names_who_changed_it_and_when(
    world, model, language
):
    """B's write is in the audit log as the services write it (type, id); A's stale
    save then names B and the time, in A's language."""
    record = model(pk=4242)
    b = world.a[Role.STATION_CHIEF]
    event = audit.record(actor=b, action="update", object_type=record._meta.label_lower,
                         object_id=str(record.pk), object_repr="x")  # fmt: skip
    # A read of the record since is not a change.
    audit.record(actor=world.admin, action="view", object_type=record._meta.label_lower,
                 object_id=str(record.pk), object_repr="x")  # fmt: skip
    with translation.override(language):
        text = str(StaleEditError(record))
        assert b.full_name in text and world.admin.full_name not in text
        assert _when(event.at) in text
        if language == "en":
            assert "changed this record" in text and "修改" not in text
        else:
            assert "修改了这条记录" in text


def test_a_record_nobody_is_known_to_have_changed_gets_the_generic_sentence(world):
    with translation.override("en"):
        assert str(StaleEditError(Incident(pk=999999))).startswith("Someone else changed")


def test_a_stale_incident_transition_names_the_officer(make_incident, world):
    officer = world.a[Role.COMMAND_ROOM]
    incident = make_incident()
    stale = Incident.objects.get(pk=incident.pk)
    incident_services.transition(actor=officer, incident=incident, to_status=Status.DISPATCHED,
                                 expected_version=incident.version, note="")  # fmt: skip
    with pytest.raises(StaleEditError) as refused:
        incident_services.transition(actor=officer, incident=stale, to_status=Status.INVALID,
                                     expected_version=stale.version, note="重复报警")  # fmt: skip
    assert officer.full_name in str(refused.value)


def test_the_staff_form_names_who_changed_the_account_and_keeps_the_input(client, world):
    chief = world.a[Role.STATION_CHIEF]
    officer = world.a[Role.CASE_OFFICER]
    other = world.admin
    form = {
        "full_name": "改过的名字", "role": Role.CASE_OFFICER, "staff_kind": "police",
        "jurisdiction": world.station_a.pk, "badge_number": "333333", "id_number": "",
        "phone": "", "is_active": "on", "version": officer.version,
    }  # fmt: skip
    from fengqiao.accounts import services as account_services

    account_services.update_staff(
        actor=other, user=officer, expected_version=officer.version, phone="13700000000"
    )
    client.force_login(chief)
    page = client.post(reverse("accounts:staff_edit", args=[officer.pk]), form)
    assert page.status_code == 409
    body = page.content.decode()
    assert f"{other.full_name} 在" in body and "修改了这条记录" in body
    assert 'value="改过的名字"' in body


def test_the_mediator_form_names_who_changed_it(client, world):
    chief = world.a[Role.STATION_CHIEF]
    mediator = mediators.create_mediator(actor=chief, name="李调解", jurisdiction=world.district_a,
                                         kind=MediatorKind.PEOPLES_MEDIATOR)  # fmt: skip
    seen = mediator.version
    mediators.update_mediator(actor=world.admin, mediator=mediator, expected_version=seen,
                              name="李调解员")  # fmt: skip
    client.force_login(chief)
    url = reverse("disputes:mediator_edit", args=[mediator.pk])
    form = client.get(url).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data |= {"name": "我的改动", "version": seen}
    page = client.post(url, data)
    body = page.content.decode()
    assert page.status_code == 409, body
    assert world.admin.full_name in body and "我的改动" in body


# --- labels -------------------------------------------------------------------------------

DEFAULT_LABEL = re.compile(r"object \((\d+|None)\)")
OURS = [m for m in apps.get_models() if m.__module__.startswith("fengqiao.")]


@pytest.mark.parametrize("model", OURS, ids=lambda m: m._meta.label)
def test_every_model_has_a_readable_label(db, model):
    assert model.__str__ is not models.Model.__str__, model
    obj = model(pk=7)
    for field in model._meta.concrete_fields:
        if field.is_relation and field.many_to_one:
            setattr(obj, field.attname, 3)  # an id, its object not loaded
    try:
        text = str(obj)
    except (ObjectDoesNotExist, AttributeError, TypeError, ValueError):
        return  # a label built from fields this bare instance lacks: defined, not default
    assert not DEFAULT_LABEL.search(text), text


def test_the_audit_page_names_an_assignment(client, world, make_dispute):
    chief = world.a[Role.STATION_CHIEF]
    case = make_dispute()
    mediator = mediators.create_mediator(actor=chief, name="王调解", jurisdiction=world.district_a,
                                         kind=MediatorKind.PEOPLES_MEDIATOR)  # fmt: skip
    mediators.assign(actor=chief, case=case, mediator=mediator)
    client.force_login(world.admin)
    body = client.get(reverse("audit:event_list")).content.decode()
    assert f"调解指派：{case.code} → 王调解" in body
    assert "Assignment object" not in body


def test_the_api_answers_409_naming_who_and_when(world, rf):
    from fengqiao.api.api import api

    record = Incident(pk=4343)
    event = audit.record(actor=world.admin, action="update", object_type="incidents.incident",
                         object_id="4343", object_repr="x")  # fmt: skip
    response = api.on_exception(rf.get("/api/"), StaleEditError(record))
    assert response.status_code == 409
    detail = json.loads(response.content)["detail"]
    assert world.admin.full_name in detail and _when(event.at) in detail


def test_an_old_default_label_in_the_log_is_shown_by_the_models_name(client, world):
    audit.record(actor=world.admin, action="update", object_type="disputes.assignment",
                 object_id="7", object_repr="Assignment object (7)",
                 scope_path=world.district_a.path)  # fmt: skip
    client.force_login(world.admin)
    body = client.get(reverse("audit:event_list")).content.decode()
    assert "Assignment object" not in body and "指派 #7" in body
