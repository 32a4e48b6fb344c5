"""阳光坐席: the reporter's side of an incident, for the public pages (no login).

The reporter proves who he is with the tracking code from his SMS and the last four
digits of the phone he gave, and then sees the incident in plain words: the stages and
their times, the unit handling it, what he added; he may add a clue, a correction or a
photo, and once the incident is closed answer a short satisfaction survey.

What leaves this module is chosen field by field: never a staff member's name or
note, never the reporter's own name or number, never the description or the place as
staff wrote them (they may name other people), only the top level of the category."""

from __future__ import annotations

import datetime as dt
import hmac
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.audit import services as audit
from fengqiao.incidents import codes
from fengqiao.incidents.models import (
    EventKind,
    Incident,
    IncidentEvent,
    ReporterAddition,
    Satisfaction,
    Status,
    SurveyResponse,
)
from fengqiao.incidents.services import clean_text
from fengqiao.incidents.workflow import PUBLIC_WORDING
from fengqiao.jurisdictions.models import Jurisdiction, Kind
from fengqiao.jurisdictions.selectors import nearest

AUDIT_ACTOR = "reporter"  # the audit log's actor_name for everything done from here
TEXT_LIMIT = 2000
COMMENT_LIMIT = 1000
PHOTO_LIMIT = 5 * 1024 * 1024  # bytes
ADDITIONS_AFTER_END = dt.timedelta(days=7)  # closed or invalid: additions still taken
_ENDED = frozenset({Status.CLOSED, Status.INVALID})
_NO_PHONE = "----"  # compared against when no incident matched: never four digits

# Magic bytes of the image formats a phone camera or gallery produces.
_IMAGE_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "jpg"),
    (b"\x89PNG\r\n\x1a\n", 0, "png"),
    (b"WEBP", 8, "webp"),  # RIFF container: "RIFF", size, "WEBP"
)


def _last_four(phone_last4: str) -> str:
    text = "".join((phone_last4 or "").split())
    return text if len(text) == 4 and text.isascii() and text.isdigit() else ""


def find_for_reporter(code: str, phone_last4: str) -> Incident | None:
    """The incident whose tracking code is ``code`` (as typed: spaces, dashes, lower
    case and look-alike letters tolerated) and whose reporter's phone ends in
    ``phone_last4``; None otherwise.

    A code whose check character is wrong, or a "last four" that is not four digits, is
    refused without a query: that test is public knowledge and tells nothing about any
    incident. Otherwise a wrong phone and an unknown code cost the same query and the
    same constant-time comparison, so neither the answer nor its timing tells which.

    An incident taken without a reporter phone (a volunteer's report, an anonymous
    call) cannot be looked up at all: there is nothing its reporter could prove.
    Limiting the number of attempts is the caller's job
    (:mod:`fengqiao.incidents.ratelimit`)."""
    normalised = codes.normalise(code)
    last4 = _last_four(phone_last4)
    if not codes.is_valid(normalised) or not last4:
        return None
    incident = (
        Incident.objects.select_related("jurisdiction")
        .exclude(reporter_phone="")
        .filter(tracking_code=normalised)
        .first()
    )
    expected = incident.reporter_phone[-4:] if incident is not None else _NO_PHONE
    if not hmac.compare_digest(expected.encode(), last4.encode()) or incident is None:
        return None
    audit.record(actor=None, actor_name=AUDIT_ACTOR, action="view", obj=incident)
    return incident


def reporter_incident(pk: int) -> Incident | None:
    """The incident a visitor proved earlier in his session (by id from the session,
    never from the address bar); None if it is gone or lost its phone."""
    return (
        Incident.objects.select_related("jurisdiction__parent", "category__parent")
        .exclude(reporter_phone="")
        .filter(pk=pk)
        .first()
    )


def accepts_additions(incident: Incident, *, now: dt.datetime | None = None) -> bool:
    """Additions are taken while the incident runs and for 7 days after it was closed
    or found invalid (a late clue is still useful; after that, a new report is)."""
    if incident.status not in _ENDED:
        return True
    return (now or timezone.now()) - incident.status_changed_at <= ADDITIONS_AFTER_END


def public_unit(unit: Jurisdiction) -> dict[str, str]:
    """A unit as the public may see it: the station and, below it, the police district
    (甲派出所 · 甲一警务区), and the nearest public duty phone — the unit's own, else its
    police room's (a district's outpost, as on the doorplate page), else the station's."""
    station = nearest(unit, (Kind.STATION,))
    names = [unit.name]
    if station is not None and station.pk != unit.pk:
        names.insert(0, station.name)
    phone = unit.duty_phone
    if not phone and unit.kind == Kind.POLICE_DISTRICT:
        rooms = unit.children.filter(kind=Kind.POLICE_ROOM).exclude(duty_phone="")
        phone = rooms.order_by("pk").values_list("duty_phone", flat=True).first() or ""
    if not phone and station is not None:
        phone = station.duty_phone
    return {"name": " · ".join(names), "duty_phone": phone}


def _stage_text(event: IncidentEvent) -> str:
    wording = str(PUBLIC_WORDING.get(event.to_status, ""))
    if event.kind == EventKind.CORRECTION:
        return _("办理进度有更正：%(wording)s") % {"wording": wording}
    return wording


def public_progress(incident: Incident) -> dict[str, Any]:
    """What the progress page shows, and nothing else: the code, when the call was
    received, the top-level category, the stages (handling steps and corrections in the
    words of :data:`~fengqiao.incidents.workflow.PUBLIC_WORDING`, local times), the
    handling unit's public name and duty phone, the kinds and times of the reporter's
    own additions (not their text: it may name other people), whether more may be
    added, and the survey. No staff, no notes, no names, no other party."""
    events = incident.events.filter(
        kind__in=[EventKind.INTAKE, EventKind.TRANSITION, EventKind.CORRECTION]
    ).exclude(to_status="")
    stages = [
        {"at": timezone.localtime(event.at), "text": _stage_text(event)}
        for event in events.only("at", "kind", "to_status")
    ]
    transferred = incident.status == Status.TRANSFERRED and incident.transferred_to_id
    additions = [
        {"at": timezone.localtime(a.at), "kind": a.get_kind_display(), "photo": bool(a.photo)}
        for a in incident.additions.only("at", "kind", "photo")
    ]
    survey = SurveyResponse.objects.filter(incident=incident).only("rating", "at").first()
    closed = incident.status == Status.CLOSED
    return {
        "code": codes.grouped(incident.tracking_code),
        "received_at": timezone.localtime(incident.received_at),
        "category": incident.category.top.label if incident.category is not None else "",
        "status": Status(incident.status).label,
        "status_wording": str(PUBLIC_WORDING[incident.status]),
        "stages": stages,
        "unit": public_unit(incident.jurisdiction),
        "transferred_to": (
            public_unit(incident.transferred_to)["name"]
            if transferred and incident.transferred_to
            else ""
        ),
        "additions": additions,
        "accepts_additions": accepts_additions(incident),
        "closed": closed,
        "survey": (
            {"rating": survey.get_rating_display(), "at": timezone.localtime(survey.at)}
            if survey
            else None
        ),
        "survey_open": closed and survey is None,
    }


def _image_extension(photo: UploadedFile) -> str:
    """The extension of a JPEG, PNG or WebP upload, judged by its first bytes (the
    name and the browser's content type are the sender's claims); "" otherwise."""
    photo.seek(0)
    head = photo.read(16)
    photo.seek(0)
    for signature, offset, extension in _IMAGE_SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            if extension == "webp" and head[:4] != b"RIFF":
                continue
            return extension
    return ""


def _check_photo(photo: UploadedFile) -> None:
    if photo.size is not None and photo.size > PHOTO_LIMIT:
        raise ValidationError({"photo": _("照片不能超过5MB，请压缩后再传。")})
    extension = _image_extension(photo)
    if not extension:
        raise ValidationError({"photo": _("只能上传JPG、PNG或WebP格式的照片。")})
    # The stored name is ours: the sender's file name may hold anything.
    photo.name = f"{uuid.uuid4().hex}.{extension}"


@transaction.atomic
def add_from_reporter(
    *, incident: Incident, kind: str, text: str = "", photo: UploadedFile | None = None
) -> ReporterAddition:
    """报警人补充: the reporter adds a clue, a correction or a photo. Text (HTML tags
    stripped; pages escape it anyway) is required for a clue or correction, at most 2000
    characters; a photo must really be a JPEG, PNG or WebP of at most 5 MB. Staff see
    the addition in the incident's timeline. Refused once the incident has been closed
    or found invalid for more than 7 days."""
    if not accepts_additions(incident):
        raise ValidationError(
            _("该警情已办结超过7天，不能再补充。如有新情况，请拨打110或联系办理单位。")
        )
    if kind not in ReporterAddition.Kind.values:
        raise ValidationError({"kind": _("请选择补充的类型。")})
    is_photo = kind == ReporterAddition.Kind.PHOTO
    text = clean_text(text, field="text", limit=TEXT_LIMIT, plain=True,
                      required=not is_photo and _("请填写内容。"))  # fmt: skip
    if is_photo and photo is None:
        raise ValidationError({"photo": _("请选择要上传的照片。")})
    if photo is not None:
        _check_photo(photo)
    addition = ReporterAddition.objects.create(
        incident=incident, kind=kind, text=text, photo=photo or ""
    )
    params = {"addition": kind, "photo": photo is not None and not is_photo}
    IncidentEvent.objects.create(
        incident=incident, at=timezone.now(), actor=None, kind=EventKind.REPORTER,
        message="reporter_added", params=params, note=text,
    )  # fmt: skip
    audit.record(
        actor=None, actor_name=AUDIT_ACTOR, action="create", obj=addition,
        fields=["kind", "text", "photo"] if photo is not None else ["kind", "text"],
        scope_path=incident.jurisdiction.path,
    )  # fmt: skip
    return addition


@transaction.atomic
def submit_survey(*, incident: Incident, rating: str, comment: str = "") -> SurveyResponse:
    """满意度评价: once the incident is closed, the reporter rates the handling (满意 /
    基本满意 / 不满意) with an optional comment of at most 1000 characters. Once only: a
    second answer is refused politely. Staff see it in the timeline; the statistics
    count :class:`SurveyResponse` rows."""
    if incident.status != Status.CLOSED:
        raise ValidationError(_("警情办结后才能评价，感谢您的耐心。"))
    if rating not in Satisfaction.values:
        raise ValidationError({"rating": _("请选择您的评价。")})
    comment = clean_text(comment, field="comment", limit=COMMENT_LIMIT, plain=True)
    already = _("您已经评价过了，感谢您的反馈。")
    if SurveyResponse.objects.filter(incident=incident).exists():
        raise ValidationError(already)
    try:
        with transaction.atomic():  # two tabs submitting at once: the second one loses
            survey = SurveyResponse.objects.create(
                incident=incident, rating=rating, comment=comment
            )
    except IntegrityError:
        raise ValidationError(already) from None
    IncidentEvent.objects.create(
        incident=incident, at=timezone.now(), actor=None, kind=EventKind.SURVEY,
        message="survey", params={"rating": rating}, note=comment,
    )  # fmt: skip
    audit.record(
        actor=None, actor_name=AUDIT_ACTOR, action="create", obj=survey,
        fields=["rating", "comment"], scope_path=incident.jurisdiction.path,
    )  # fmt: skip
    return survey


__all__ = [
    "accepts_additions",
    "add_from_reporter",
    "find_for_reporter",
    "public_progress",
    "public_unit",
    "reporter_incident",
    "submit_survey",
]
