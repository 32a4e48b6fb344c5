"""调解记录: the sittings of a mediation, the evidence the parties bring, and hand-offs to
other bodies (Primero-style referrals: pending → accepted or rejected, each with its
reason).

Writes follow :mod:`fengqiao.disputes.services`: capability and case scope checked,
one transaction, a line on the case's timeline, an audit record. The reads at the end
take the user and go through :func:`fengqiao.disputes.selectors.cases_for`.

Attachments are judged by their content, never by the name or the content type the
browser claims: the first bytes must be one of the allowed formats, executables and
scripts are refused by name and by content, and the size is checked before a single
byte is read, so a 1 GB upload costs nothing. Files are kept under ``MEDIA_ROOT``
(which no URL serves) under a random name, with their SHA-256, and come back only
through :func:`attachment_for` and :func:`open_attachment`."""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.accounts.selectors import covers, scoped
from fengqiao.audit import services as audit
from fengqiao.core.concurrency import save_versioned
from fengqiao.core.roles import Capability, Role, require
from fengqiao.core.text import join_list
from fengqiao.disputes import selectors
from fengqiao.disputes.models import (
    TEXT_MAX_LENGTH,
    Attachment,
    DisputeCase,
    EventKind,
    MediationSession,
    Mediator,
    Referral,
    ReferralKind,
    ReferralStatus,
    Status,
)
from fengqiao.disputes.risk import services as risk
from fengqiao.disputes.services import MIN_REASON_LENGTH, add_event, check_scope, move_to
from fengqiao.disputes.workflow import allowed
from fengqiao.incidents import codes
from fengqiao.incidents.services import clean_text
from fengqiao.jurisdictions.models import Jurisdiction, Kind

# A sitting is recorded while mediation is under way, paused, or being wrapped up after
# the agreement (the signing itself is a sitting).
SESSION_STATUSES = frozenset({Status.ACCEPTED, Status.SUSPENDED, Status.AGREED})
# Clocks of phones and PCs drift; a sitting "in the future" by more than this is a typo.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)

DEFAULT_ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
SNIFF_BYTES = 64  # enough for every signature below
CHUNK_BYTES = 64 * 1024
# Reading the part list of an Office file: [Content_Types].xml is a few kB; more is not
# an Office document we want (and caps what a zip bomb can make us inflate).
CONTENT_TYPES_MAX_BYTES = 256 * 1024

# Refused by name whatever the content: programs, scripts and pages a browser or a
# desktop would run if someone opened the download.
REFUSED_EXTENSIONS = frozenset({
    "exe", "com", "bat", "cmd", "msi", "scr", "pif", "cpl", "dll", "sys", "ps1", "psm1",
    "vbs", "vbe", "js", "jse", "mjs", "wsf", "wsh", "hta", "sh", "bash", "zsh", "csh",
    "ksh", "py", "pl", "rb", "php", "jar", "apk", "app", "dmg", "deb", "rpm", "bin", "run",
    "elf", "so", "dylib", "html", "htm", "xhtml", "shtml", "svg", "xml", "swf", "lnk",
    "reg", "docm", "xlsm", "pptm", "dotm", "xltm",
})  # fmt: skip

# Executable content, whatever the file is called: (signature, what it is).
EXECUTABLE_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"MZ", "Windows"),
    (b"\x7fELF", "Linux ELF"),
    (b"\xfe\xed\xfa\xce", "Mach-O"),
    (b"\xfe\xed\xfa\xcf", "Mach-O"),
    (b"\xce\xfa\xed\xfe", "Mach-O"),
    (b"\xcf\xfa\xed\xfe", "Mach-O"),
    (b"\xca\xfe\xba\xbe", "Mach-O/Java"),
    (b"#!", "script"),
)
# Text that a browser would treat as a page or a script if it ever rendered it.
_MARKUP = re.compile(rb"^\s*<(?:!doctype\s+html|html|head|body|script|svg|\?xml|iframe)", re.I)

# ISO base media (ftyp) brands, by what we call them.
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1"})
_M4A_BRANDS = frozenset({b"M4A ", b"M4B "})
_MP4_BRANDS = frozenset({
    b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"MSNV",
    b"dash", b"3gp4", b"3gp5", b"3gp6",
})  # fmt: skip
# Phones (iPhone) record video as QuickTime: the same container, so accepted with MP4.
_QUICKTIME_BRANDS = frozenset({b"qt  "})

_OFFICE_MAIN = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
}


@dataclass(frozen=True)
class FileKind:
    """What a file really is: the extension we store it under and the type we serve."""

    extension: str
    content_type: str
    label: str


# Shown next to the upload form, in this order.
ALLOWED_LABELS = ("PDF", "JPG", "PNG", "WebP", "HEIC", "MP3", "M4A", "MP4/MOV", "DOCX",
                  "XLSX", "TXT")  # fmt: skip


def max_attachment_bytes() -> int:
    """The upload limit: ``DISPUTES_ATTACHMENT_MAX_BYTES``, default 20 MB."""
    return int(getattr(settings, "DISPUTES_ATTACHMENT_MAX_BYTES", DEFAULT_ATTACHMENT_MAX_BYTES))


def megabytes(size: int) -> str:
    value = size / 1024 / 1024
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def too_big() -> ValidationError:
    return ValidationError(
        {"file": _("文件超过 %(limit)s MB 的上限，请压缩或分成几个文件上传。")
         % {"limit": megabytes(max_attachment_bytes())}}
    )  # fmt: skip


def _refused(what: str) -> ValidationError:
    return ValidationError(
        {"file": _("不能上传可执行程序或脚本（%(what)s）：为安全起见，此类文件一律拒收。")
         % {"what": what}}
    )  # fmt: skip


def _not_allowed() -> ValidationError:
    return ValidationError(
        {"file": _("不支持的文件格式。可上传：%(types)s。") % {"types": join_list(ALLOWED_LABELS)}}
    )


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _ftyp_kind(head: bytes) -> FileKind | None:
    if head[4:8] != b"ftyp":
        return None
    brand = head[8:12]
    if brand in _HEIC_BRANDS:
        return FileKind("heic", "image/heic", "HEIC")
    if brand in _M4A_BRANDS:
        return FileKind("m4a", "audio/mp4", "M4A")
    if brand in _MP4_BRANDS:
        return FileKind("mp4", "video/mp4", "MP4")
    if brand in _QUICKTIME_BRANDS:
        return FileKind("mov", "video/quicktime", "MOV")
    return None


def _is_mp3(head: bytes) -> bool:
    if head[:3] == b"ID3":
        return True
    # An MPEG audio frame: 11 sync bits, then layer III (bits 01 in the layer field).
    return len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE6 == 0xE2


def _office_kind(stream: IO[bytes]) -> FileKind | None:
    """A DOCX or XLSX: a zip whose [Content_Types].xml declares the main part. Macro
    documents declare another main part and are not matched."""
    try:
        with zipfile.ZipFile(stream) as archive:
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > CONTENT_TYPES_MAX_BYTES:
                return None
            with archive.open(info) as part:
                text = part.read(CONTENT_TYPES_MAX_BYTES).decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, ValueError, EOFError):
        return None
    found = [kind for marker, kind in _OFFICE_MAIN.items() if f'"{marker}"' in text]
    if len(found) != 1 or "macroEnabled" in text:
        return None
    extension, content_type = found[0]
    return FileKind(extension, content_type, extension.upper())


def _is_utf8_text(upload: UploadedFile) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in upload.chunks(CHUNK_BYTES):
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _kind_from_head(head: bytes) -> FileKind | None:
    if head.startswith(b"%PDF-"):
        return FileKind("pdf", "application/pdf", "PDF")
    if head.startswith(b"\xff\xd8\xff"):
        return FileKind("jpg", "image/jpeg", "JPG")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileKind("png", "image/png", "PNG")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return FileKind("webp", "image/webp", "WebP")
    if (kind := _ftyp_kind(head)) is not None:
        return kind
    if _is_mp3(head):
        return FileKind("mp3", "audio/mpeg", "MP3")
    return None


def check_name(name: str) -> None:
    """Refuse a file named as a program, a script or a page, whatever it contains."""
    extension = _extension(name or "")
    if extension in REFUSED_EXTENSIONS:
        raise _refused(f".{extension}")


def sniff(upload: UploadedFile) -> FileKind:
    """What ``upload`` really is, from its first bytes (for Office files, its part list;
    for text, every byte must be UTF-8); raises a ValidationError keyed ``file`` saying
    why it is refused. The name and the browser's content type are not believed."""
    check_name(upload.name or "")
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    for signature, what in EXECUTABLE_SIGNATURES:
        if head.startswith(signature):
            raise _refused(what)
    kind = _kind_from_head(head)
    if kind is None and head.startswith(b"PK\x03\x04"):
        kind = _office_kind(upload)  # type: ignore[arg-type]
    elif kind is None and _MARKUP.match(head.removeprefix(codecs.BOM_UTF8)):
        raise _refused("HTML/SVG")
    elif kind is None and _is_utf8_text(upload):
        kind = FileKind("txt", "text/plain; charset=utf-8", "TXT")
    upload.seek(0)
    if kind is None:
        raise _not_allowed()
    return kind


_UNSAFE_NAME = re.compile(r"[\\/:*?\"<>|\x00-\x1f\x7f]+")


def clean_file_name(name: str, *, extension: str) -> str:
    """The sender's file name as shown and offered on download: no path, no control or
    reserved characters, at most 200 characters, ending in the extension of what the
    file really is."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = _UNSAFE_NAME.sub("_", base).strip(" ._")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = stem.strip(" ._") or _("附件")
    return f"{stem[: 200 - len(extension) - 1]}.{extension}"


def _clean_moment(value: dt.datetime, *, field: str, label: str) -> dt.datetime:
    if value is None:
        raise ValidationError({field: _("请填写%(what)s。") % {"what": label}})
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > timezone.now() + FUTURE_TOLERANCE:
        raise ValidationError({field: _("%(what)s不能晚于现在。") % {"what": label}})
    return value


# --- sessions -------------------------------------------------------------------------


@transaction.atomic
def add_session(
    *,
    actor: Any,
    case: DisputeCase,
    held_at: dt.datetime,
    place: str,
    attendees: str,
    summary: str,
    mediator: Mediator | None = None,
) -> MediationSession:
    """调解记录: one sitting of an open mediation (under way, suspended, or agreed and
    being signed) — when, where, who attended, what happened. Not in the future (five
    minutes' grace for clocks), not before the day the case was registered; the mediator
    named must be one assigned to the case."""
    check_scope(actor, case)
    if case.status not in SESSION_STATUSES:
        raise ValidationError(
            _("纠纷当前为“%(status)s”，只有调解中、中止或已达成协议的纠纷可以记录调解。")
            % {"status": case.get_status_display()}
        )
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    for name, value, limit in (("place", place, 200), ("attendees", attendees, 1000),
                               ("summary", summary, TEXT_MAX_LENGTH)):  # fmt: skip
        try:
            values[name] = clean_text(value, field=name, limit=limit, required=True, plain=True)
        except ValidationError as error:
            errors.update({k: v[0] for k, v in error.message_dict.items()})
    try:
        held_at = _clean_moment(held_at, field="held_at", label=_("调解时间"))
        # A walk-in is often mediated on the spot and registered afterwards: the day counts.
        if timezone.localdate(held_at) < timezone.localdate(case.registered_at):
            errors["held_at"] = _("调解时间不能早于纠纷登记日期。")
    except ValidationError as error:
        errors.update({k: v[0] for k, v in error.message_dict.items()})
    if mediator is not None and not case.assignments.filter(mediator=mediator).exists():
        errors["mediator"] = _("该调解员没有被指派到本纠纷。")
    if errors:
        raise ValidationError(errors)
    session = MediationSession.objects.create(
        case=case, held_at=held_at, mediator=mediator, recorded_by=actor, **values
    )
    local = timezone.localtime(held_at)
    add_event(case, actor, EventKind.SESSION, message="session", params={
        "when": f"{local:%Y-%m-%d %H:%M}", "place": values["place"], "who": values["attendees"],
    })  # fmt: skip
    audit.record(actor=actor, action="create", obj=session,
                 fields=["held_at", "place", "attendees", "summary"])  # fmt: skip
    risk.refresh_case(case, actor=actor)  # threats said during mediation count
    return session


# --- attachments ----------------------------------------------------------------------


def _digest(upload: UploadedFile, limit: int) -> tuple[str, int]:
    """SHA-256 and size of ``upload``, read in chunks; stops as soon as it passes
    ``limit`` (a sender may lie about the size)."""
    digest, size = hashlib.sha256(), 0
    upload.seek(0)
    for chunk in upload.chunks(CHUNK_BYTES):
        size += len(chunk)
        if size > limit:
            raise too_big()
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest(), size


@transaction.atomic
def add_attachment(
    *,
    actor: Any,
    case: DisputeCase,
    upload: UploadedFile,
    description: str = "",
    session: MediationSession | None = None,
) -> Attachment:
    """证据材料: keep one file with the case. Refused: over the size limit (judged from
    the declared size first, without reading the file), empty, an executable or script
    (by name or content), or any format not on the list (judged by content). The file is
    stored under a random name with its SHA-256; the sender's name is kept, cleaned, for
    display and download."""
    check_scope(actor, case)
    if not case.is_open:
        raise ValidationError(_("纠纷已结案，不能再上传材料。"))
    if upload is None:
        raise ValidationError({"file": _("请选择要上传的文件。")})
    limit = max_attachment_bytes()
    # Before anything is read: a 1 GB upload is refused on its declared size.
    if upload.size is not None and upload.size > limit:
        raise too_big()
    if upload.size == 0:
        raise ValidationError({"file": _("文件是空的。")})
    if session is not None and session.case_id != case.pk:
        raise ValidationError({"session": _("该调解记录不属于本纠纷。")})
    description = clean_text(description, field="description", limit=200, plain=True)
    check_name(upload.name or "")
    sha256, size = _digest(upload, limit)
    if size == 0:
        raise ValidationError({"file": _("文件是空的。")})
    kind = sniff(upload)
    original = clean_file_name(upload.name or "", extension=kind.extension)
    attachment = Attachment(
        case=case, session=session, original_name=original, content_type=kind.content_type,
        size=size, sha256=sha256, description=description, uploaded_by=actor,
    )  # fmt: skip
    # Our name, not the sender's: nothing he typed reaches the file system.
    attachment.file.save(f"{uuid.uuid4().hex}.{kind.extension}", File(upload), save=False)
    try:
        attachment.save()
        add_event(case, actor, EventKind.NOTE, description, message="attachment", params={
            "name": original, "size": megabytes(size) if size >= 1024 * 1024 else "<1",
        })  # fmt: skip
        audit.record(actor=actor, action="create", obj=attachment,
                     fields=["file", "sha256"], reason=sha256)  # fmt: skip
    except BaseException:
        attachment.file.delete(save=False)
        raise
    return attachment


def attachment_for(user: Any, code: str, pk: int) -> Attachment:
    """One attachment of a case the user may read; 404 otherwise (including a case of
    another station: nobody learns it exists)."""
    case = selectors.cases_for(user).filter(code=codes.normalise(code)).first()
    if case is None:
        raise Http404
    attachment = Attachment.objects.filter(case=case, pk=pk).select_related("case").first()
    if attachment is None:
        raise Http404
    return attachment


@transaction.atomic
def open_attachment(*, actor: Any, attachment: Attachment) -> IO[bytes]:
    """Open a stored attachment for download, the read audited first. The caller got
    ``attachment`` from :func:`attachment_for` (the scope check)."""
    audit.record(actor=actor, action="view", obj=attachment, fields=["file"],
                 reason=attachment.sha256)  # fmt: skip
    return attachment.file.open("rb")


def attachments_of(user: Any, case: DisputeCase) -> QuerySet[Attachment]:
    """A case's attachments, oldest first, for a user who may read the case."""
    if not selectors.cases_for(user).filter(pk=case.pk).exists():
        raise PermissionDenied
    return case.attachments.select_related("uploaded_by", "session").order_by("created_at", "pk")


# --- referrals ------------------------------------------------------------------------

# Who may receive a transfer: a station or one of its police districts.
TRANSFER_KINDS = frozenset({Kind.STATION, Kind.POLICE_DISTRICT})
TRANSFERABLE_STATUSES = frozenset({Status.REGISTERED, Status.ACCEPTED, Status.SUSPENDED})


def transfer_targets(case: DisputeCase) -> QuerySet[Jurisdiction]:
    """The stations and districts of the case's bureau (other than its own unit): where
    a transfer form offers to send it."""
    bureau = (
        Jurisdiction.objects.filter(
            pk__in=case.jurisdiction.ancestor_ids, kind__in=[Kind.COUNTY_BUREAU, Kind.CITY_BUREAU]
        )
        .order_by("-depth")
        .first()
    )
    units = Jurisdiction.objects.filter(kind__in=TRANSFER_KINDS).exclude(pk=case.jurisdiction_id)
    if bureau is not None:
        units = units.filter(path__within=bureau.path)
    return units.order_by("path")


@transaction.atomic
def refer(
    *,
    actor: Any,
    case: DisputeCase,
    kind: str,
    reason: str,
    to_body: str = "",
    to_unit: Jurisdiction | None = None,
) -> Referral:
    """移交/转办: hand the case to another body (``refer``: a court, the judicial office,
    a labour arbitration committee … named in ``to_body``) or to another unit of ours
    (``transfer``: a station or police district, ``to_unit``). The hand-off waits for
    an answer; one at a time."""
    check_scope(actor, case)
    errors: dict[str, str] = {}
    if kind not in ReferralKind.values:
        raise ValidationError({"kind": _("请选择移交或转办。")})
    reason = clean_text(reason, field="reason", limit=1000, plain=True)
    if len(reason) < MIN_REASON_LENGTH:
        errors["reason"] = _("请写明移交理由（至少4个字）。")
    body = clean_text(to_body, field="to_body", limit=100, plain=True)
    if kind == ReferralKind.REFER:
        to_unit = None
        if not body:
            errors["to_body"] = _("请填写接收机构。")
        if not allowed(case.track, case.status, Status.REFERRED):
            errors["kind"] = _("纠纷当前为“%(status)s”，不能移交其他机构。") % {
                "status": case.get_status_display()
            }
    else:
        body = ""
        if to_unit is None:
            errors["to_unit"] = _("请选择接收单位。")
        elif to_unit.kind not in TRANSFER_KINDS:
            errors["to_unit"] = _("只能转办给派出所或警务区。")
        elif to_unit.pk == case.jurisdiction_id:
            errors["to_unit"] = _("接收单位就是本纠纷的责任单位。")
        if case.status not in TRANSFERABLE_STATUSES:
            errors["kind"] = _("纠纷当前为“%(status)s”，不能转办。") % {
                "status": case.get_status_display()
            }
    if case.referrals.filter(status=ReferralStatus.PENDING).exists():
        errors["kind"] = _("已有一项移交等待答复，请先处理。")
    if errors:
        raise ValidationError(errors)
    referral = Referral.objects.create(
        case=case, kind=kind, to_body=body, to_unit=to_unit, reason=reason, referred_by=actor
    )
    target = body or (to_unit.name if to_unit else "")
    add_event(case, actor, EventKind.REFERRAL, reason, message="referral",
              params={"kind": referral.kind, "to": target})  # fmt: skip
    audit.record(actor=actor, action="create", obj=referral, fields=["kind", "reason"],
                 reason=reason)  # fmt: skip
    return referral


def may_respond(user: Any, referral: Referral) -> bool:
    """Who answers a hand-off: for a transfer, staff of the receiving unit (a mediator
    account acts for his cases, not for a unit); for a referral to another body, the
    referring unit, which records that body's answer."""
    if referral.status != ReferralStatus.PENDING or not user.can(Capability.HANDLE_DISPUTES):
        return False
    if referral.kind == ReferralKind.TRANSFER:
        return (
            user.role != Role.MEDIATOR
            and referral.to_unit is not None
            and covers(user, referral.to_unit)
        )
    try:
        check_scope(user, referral.case)
    except PermissionDenied:
        return False
    return True


@transaction.atomic
def respond(*, actor: Any, referral: Referral, accept: bool, response: str) -> Referral:
    """接收/退回: answer a pending hand-off. An accepted referral closes the case as
    “已移交其他机构”; an accepted transfer makes the receiving unit responsible and the
    case stays open (its mediators' assignments end: the new unit assigns its own). A
    rejected one leaves the case as it was, with the reason recorded."""
    require(actor, Capability.HANDLE_DISPUTES)
    if not may_respond(actor, referral):
        if referral.status != ReferralStatus.PENDING:
            raise ValidationError(_("该移交已答复。"))
        raise PermissionDenied(
            _("只有接收单位可以答复转办；移交其他机构的，由移交单位登记对方答复。")
        )
    response = clean_text(response, field="response", limit=1000, plain=True)
    if not accept and len(response) < MIN_REASON_LENGTH:
        raise ValidationError({"response": _("退回须写明理由（至少4个字）。")})
    case = DisputeCase.objects.select_for_update().get(pk=referral.case_id)
    if (
        accept
        and referral.kind == ReferralKind.REFER
        and not allowed(case.track, case.status, Status.REFERRED)
    ):
        raise ValidationError(
            _("纠纷当前为“%(status)s”，不能再移交。") % {"status": case.get_status_display()}
        )
    if (
        accept
        and referral.kind == ReferralKind.TRANSFER
        and case.status not in (TRANSFERABLE_STATUSES)
    ):
        raise ValidationError(
            _("纠纷当前为“%(status)s”，不能再转办。") % {"status": case.get_status_display()}
        )
    now = timezone.now()
    answered = Referral.objects.filter(pk=referral.pk, status=ReferralStatus.PENDING).update(
        status=ReferralStatus.ACCEPTED if accept else ReferralStatus.REJECTED,
        response=response, responded_at=now,
    )  # fmt: skip
    if answered != 1:  # someone answered between the page and this click
        raise ValidationError(_("该移交已答复。"))
    referral.refresh_from_db()
    target = referral.to_body or (referral.to_unit.name if referral.to_unit else "")
    add_event(case, actor, EventKind.REFERRAL, response, message="referral_answered",
              params={"to": target, "verdict": accept, "kind": referral.kind})  # fmt: skip
    audit.record(actor=actor, action="update", obj=referral, fields=["status", "response"],
                 reason=response)  # fmt: skip
    if accept and referral.kind == ReferralKind.REFER:
        move_to(actor, case, Status.REFERRED, case.version, referral.reason,
                message="referred", params={"to": target})  # fmt: skip
    elif accept:
        _transfer(actor, case, referral)
    return referral


def _transfer(actor: Any, case: DisputeCase, referral: Referral) -> None:
    old = case.jurisdiction
    case.jurisdiction = referral.to_unit  # type: ignore[assignment]
    save_versioned(case, expected_version=case.version, fields=["jurisdiction"])
    ended = case.assignments.filter(ended_at__isnull=True).update(ended_at=timezone.now())
    add_event(
        case,
        actor,
        EventKind.NOTE,
        message="transferred",
        params={"old": old.name, "new": case.jurisdiction.name, "ended": bool(ended)},
    )
    audit.record(actor=actor, action="update", obj=case, fields=["jurisdiction"],
                 reason=referral.reason)  # fmt: skip


def referrals_of(user: Any, case: DisputeCase) -> QuerySet[Referral]:
    """A case's hand-offs, newest first, for a user who may read the case."""
    if not selectors.cases_for(user).filter(pk=case.pk).exists():
        raise PermissionDenied
    return case.referrals.select_related("to_unit", "referred_by").order_by("-created_at", "-pk")


def incoming_transfers(user: Any) -> QuerySet[Referral]:
    """转办待接收: pending transfers to units in the user's scope. The receiving unit
    cannot read the case yet (it is not in its scope until it accepts), so this is how
    it sees what it is asked to take, oldest first."""
    require(user, Capability.HANDLE_DISPUTES)
    if user.role == Role.MEDIATOR:
        return Referral.objects.none()
    pending = Referral.objects.filter(kind=ReferralKind.TRANSFER, status=ReferralStatus.PENDING)
    return (
        scoped(pending, user=user, via="to_unit")
        .select_related("case", "case__jurisdiction", "to_unit", "referred_by")
        .order_by("created_at", "pk")
    )
