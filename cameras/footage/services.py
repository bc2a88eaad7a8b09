"""Footage requests: an agency asks, the owner answers, an approval cuts a clip with a manifest."""

import json
import logging
import os
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from agencies.access import VIEWING_ROLES, has_role, membership_of
from agencies.models import AccessEvent
from agencies.services import do_record_access
from cameras.access import cameras_visible_to
from cameras.footage.clips import ClipError, cut_clip, exports_dir
from cameras.footage.models import FootageExport, FootageRequest
from cameras.models import Consent
from cameras.premises import premises_refusal
from rtcc.validators import required_case_and_reason

logger = logging.getLogger(__name__)

MIN_WINDOW = timedelta(minutes=15)
MAX_WINDOW = timedelta(hours=12)
MAX_CAMERAS = 50
# Registry owners were told the police "may contact you": a request is that contact, and the
# owner still decides. Only an owner who shares nothing (or revoked) is never asked.
SHARING_LEVELS = {Consent.Level.REGISTRY, Consent.Level.ON_REQUEST, Consent.Level.LIVE}


def check_footage_window(start, end, case_number: str, reason: str, *, retention_days: int) -> None:
    """Raise ValidationError, naming the field, for a request that cannot be made."""
    errors = {}
    required_case_and_reason(errors, case_number, reason, missing_reason="Say why the footage is needed.")
    if start is None or end is None:
        errors["end"] = "Give both start and end."
    elif not (MIN_WINDOW <= end - start <= MAX_WINDOW):
        errors["end"] = "The window is 15 minutes to 12 hours long, and ends after it starts."
    elif end > timezone.now():
        errors["end"] = "The window must be in the past: only recorded footage can be requested."
    elif start < timezone.now() - timedelta(days=retention_days):
        errors["start"] = f"Recordings are kept {retention_days} days; this window is older."
    if errors:
        raise ValidationError(errors)


def requestable_consent(camera, now) -> bool:
    consent = camera.current_consent()
    if consent is None or consent.level not in SHARING_LEVELS:
        return False
    # A premises rule that takes no footage from this kind of place outranks what the owner offered.
    if premises_refusal(camera, Consent.Level.ON_REQUEST):
        return False
    return consent.expires_at is None or now < consent.expires_at


def footage_staff_agency(actor, refusal: str):
    """The agency of `actor` if they work with video in it and it is not suspended; PermissionDenied otherwise."""
    membership = membership_of(actor)
    if membership is None or membership.role not in VIEWING_ROLES:
        raise PermissionDenied(refusal)
    if membership.agency.is_suspended:
        raise PermissionDenied(membership.agency.suspension_refusal())
    return membership.agency


def check_may_fetch_footage(user) -> None:
    if not has_role(user, *VIEWING_ROLES):
        raise PermissionDenied("Your role does not allow fetching footage.")


@transaction.atomic
def do_create_footage_request(
    actor, *, camera_ids, start, end, case_number: str, reason: str, request=None
) -> list[FootageRequest]:
    """One pending request per camera; every camera's owner must be on the registry or share more."""
    agency = footage_staff_agency(actor, "Only agency staff who work with video can request footage.")
    check_footage_window(start, end, case_number, reason, retention_days=agency.retention_days)
    camera_ids = list(dict.fromkeys(camera_ids or []))
    if not camera_ids:
        raise ValidationError({"cameras": "Name at least one camera."})
    if len(camera_ids) > MAX_CAMERAS:
        raise ValidationError({"cameras": f"Ask for at most {MAX_CAMERAS} cameras at once."})
    cameras = {
        camera.pk: camera
        for camera in cameras_visible_to(actor).filter(
            pk__in=camera_ids, agency=agency, kind="private", owner__isnull=False, enabled=True
        )
    }
    now = timezone.now()
    unknown = [pk for pk in camera_ids if pk not in cameras]
    closed = [pk for pk in camera_ids if pk in cameras and not requestable_consent(cameras[pk], now)]
    if unknown or closed:
        messages = []
        if unknown:
            messages.append(f"No private camera of your agency has id {', '.join(map(str, unknown))}.")
        if closed:
            messages.append(
                f"Camera {', '.join(map(str, closed))} does not take footage requests: its owner "
                "does not offer them, or your agency's premises rules forbid them."
            )
        raise ValidationError({"cameras": messages})
    batch = None
    created = []
    for pk in camera_ids:
        footage_request = FootageRequest(
            agency=agency,
            requested_by=actor,
            camera=cameras[pk],
            start=start,
            end=end,
            case_number=case_number.strip(),
            reason=reason.strip(),
        )
        if batch is not None:
            footage_request.batch = batch
        footage_request.save()
        batch = footage_request.batch
        created.append(footage_request)
        do_record_access(
            actor,
            AccessEvent.Action.FOOTAGE_REQUEST,
            cameras[pk],
            agency=agency,
            purpose=footage_request.reason,
            case_number=footage_request.case_number,
            request=request,
            detail={"request": footage_request.pk, "start": start.isoformat(), "end": end.isoformat()},
        )
        transaction.on_commit(lambda pk=footage_request.pk: tell_owner_of_request(pk))
    return created


def do_expire_lapsed_requests(now=None) -> int:
    """Mark pending requests past their answer-by time as expired; safe to run at any time."""
    now = now or timezone.now()
    lapsed = FootageRequest.objects.filter(status=FootageRequest.Status.PENDING, answer_by__lte=now)
    # Read first: list pages call this on every GET, and an UPDATE would take the write lock each time.
    if not lapsed.exists():
        return 0
    return lapsed.update(status=FootageRequest.Status.EXPIRED, answered_at=now)


def do_answer_footage_request(owner, footage_request: FootageRequest, *, approve: bool, request=None):
    """The owner's answer. An approval cuts the clip first, then records answer and export in one go."""
    if footage_request.camera.owner_id != owner.pk:
        raise PermissionDenied("Only the camera's owner answers its footage requests.")
    do_expire_lapsed_requests()
    footage_request.refresh_from_db()
    if footage_request.status == FootageRequest.Status.EXPIRED:
        raise ValidationError("This request expired before it was answered.")
    if footage_request.status != FootageRequest.Status.PENDING:
        raise ValidationError("This request has already been answered.")

    clip, note = None, ""
    if approve:
        try:
            clip = cut_clip(footage_request.camera_id, footage_request.start, footage_request.end)
        except ClipError as error:
            note = str(error)
    final_path = None
    try:
        with transaction.atomic():
            now = timezone.now()
            status = FootageRequest.Status.APPROVED if approve else FootageRequest.Status.DECLINED
            # Conditional update: of two answers at once (two tabs, a double click), one wins.
            answered = FootageRequest.objects.filter(
                pk=footage_request.pk, status=FootageRequest.Status.PENDING
            ).update(status=status, answered_at=now, note=note)
            if not answered:
                raise ValidationError("This request has already been answered.")
            footage_request.refresh_from_db()
            do_record_access(
                owner,
                AccessEvent.Action.FOOTAGE_ANSWER,
                footage_request.camera,
                agency=footage_request.agency,
                case_number=footage_request.case_number,
                request=request,
                detail={"request": footage_request.pk, "answer": status},
            )
            if clip is not None:
                final_path = exports_dir(footage_request.camera_id) / f"request-{footage_request.pk}.mp4"
                os.replace(clip.path, final_path)
                record_export(owner, footage_request, clip, final_path, request=request)
            transaction.on_commit(lambda: tell_agency_of_answer(footage_request.pk))
    except BaseException:
        if clip is not None:
            clip.path.unlink(missing_ok=True)
        if final_path is not None:
            final_path.unlink(missing_ok=True)
            final_path.with_suffix(".json").unlink(missing_ok=True)
        raise
    return footage_request


def record_export(owner, footage_request: FootageRequest, clip, final_path, *, request=None) -> FootageExport:
    camera = footage_request.camera
    manifest = {
        "format": "openrtcc-footage-manifest/1",
        "request": footage_request.pk,
        "case_number": footage_request.case_number,
        "agency": footage_request.agency.slug,
        "camera": {"id": camera.pk, "uuid": str(camera.uuid), "name": camera.name},
        "window": {"start": footage_request.start.isoformat(), "end": footage_request.end.isoformat()},
        "covers": {"start": clip.covers[0].isoformat(), "end": clip.covers[1].isoformat()},
        "gaps": clip.gaps,
        "segments": clip.segments,
        "clip": {"name": final_path.name, "sha256": clip.sha256, "size": clip.size, "container": "mp4"},
        "method": "ffmpeg concat demuxer, stream copy (-c copy): whole segments, no re-encoding",
        "created_at": timezone.now().isoformat(),
    }
    final_path.with_suffix(".json").write_text(json.dumps(manifest, indent=2))
    export = FootageExport.objects.create(
        request=footage_request,
        camera=camera,
        file_path=str(final_path.relative_to(settings.MEDIA_ROOT)),
        sha256=clip.sha256,
        size=clip.size,
        manifest=manifest,
    )
    do_record_access(
        owner,
        AccessEvent.Action.EXPORT,
        camera,
        agency=footage_request.agency,
        case_number=footage_request.case_number,
        request=request,
        detail={"request": footage_request.pk, "export": export.pk, "sha256": clip.sha256},
    )
    return export


@transaction.atomic
def do_mark_delivered(actor, export: FootageExport, *, request=None) -> FootageExport:
    """The agency fetched the clip: from now on it is evidence and survives the owner's deletion."""
    if not export.delivered:
        FootageExport.objects.filter(pk=export.pk, delivered=False).update(
            delivered=True, delivered_at=timezone.now()
        )
        export.refresh_from_db()
    do_record_access(
        actor,
        AccessEvent.Action.EXPORT,
        export.camera,
        case_number=export.request.case_number,
        request=request,
        detail={
            "request": export.request_id,
            "export": export.pk,
            "delivered": True,
            "sha256": export.sha256,
        },
    )
    return export


def tell_owner_of_request(request_id: int) -> None:
    footage_request = (
        FootageRequest.objects.select_related("camera__owner", "agency").filter(pk=request_id).first()
    )
    if footage_request is None or not footage_request.camera.owner or not footage_request.camera.owner.email:
        return
    send_quietly(
        f"{footage_request.agency.name} asks for footage from {footage_request.camera.name}",
        f"{footage_request.agency.name} asks for the recording of {footage_request.camera.name} "
        f"from {footage_request.start:%Y-%m-%d %H:%M} to {footage_request.end:%H:%M} UTC "
        f"(case {footage_request.case_number}): {footage_request.reason}\n\n"
        "Approve or decline it in the resident portal, under Footage requests.",
        footage_request.camera.owner.email,
    )


def tell_agency_of_answer(request_id: int) -> None:
    # Only the answer on the agency's own request: never who else was asked or who declined.
    footage_request = (
        FootageRequest.objects.select_related("requested_by", "camera").filter(pk=request_id).first()
    )
    if (
        footage_request is None
        or footage_request.requested_by is None
        or not footage_request.requested_by.email
    ):
        return
    send_quietly(
        f"Footage request {footage_request.case_number}: {footage_request.get_status_display().lower()}",
        f"Your request #{footage_request.pk} (case {footage_request.case_number}, camera "
        f"{footage_request.camera_id}) was {footage_request.get_status_display().lower()}."
        + (f"\n{footage_request.note}" if footage_request.note else ""),
        footage_request.requested_by.email,
    )


def send_quietly(subject: str, body: str, to: str) -> None:
    try:
        send_mail(subject, body, None, [to])
    except Exception:  # a down mail server must not undo an answer that was recorded
        logger.warning("could not e-mail %s", to, exc_info=True)
