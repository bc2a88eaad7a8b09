"""What a camera owner does in the portal: register, mask, delete, take their data away."""

import logging
import shutil

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from agencies.models import AccessEvent, Agency
from agencies.services import do_record_access
from cameras.footage.clips import exports_dir
from cameras.footage.models import FootageExport, FootageRequest
from cameras.models import Camera, Consent, PrivacyMask
from cameras.premises import premises_refusal
from cameras.relay.layout import live_dir, recordings_dir, snapshot_path
from cameras.services import check_owner, do_revoke_consent, do_set_consent, replace_masks
from cameras.viewing.models import ViewingSession
from rtcc.geo import haversine_m
from rtcc.ratelimit import over_limit
from rtcc.validators import storable_text

logger = logging.getLogger(__name__)

SIGN_UP_SALT = "cameras.portal.sign-up"
SIGN_UP_MAX_AGE_S = 3 * 24 * 3600
# Each sign-up sends an e-mail: limited per address of origin so the form cannot be used to flood inboxes.
SIGN_UPS_PER_IP_PER_HOUR = 10
MAX_MASKS = 16


def agency_for_point(lat: float, lon: float) -> Agency:
    """The agency whose centre is nearest among those whose jurisdiction holds the point."""
    best, best_distance = None, None
    for agency in Agency.objects.only("pk", "lat", "lon", "jurisdiction_radius_m", "name", "time_zone"):
        distance = haversine_m(lat, lon, agency.lat, agency.lon)
        if distance <= agency.jurisdiction_radius_m and (best_distance is None or distance < best_distance):
            best, best_distance = agency, distance
    if best is None:
        raise ValidationError(
            {"lat": "No agency in this network covers that location yet, so the camera cannot be registered."}
        )
    return best


@transaction.atomic
def do_register_camera(
    owner,
    *,
    name: str,
    lat: float,
    lon: float,
    description: str = "",
    address: str = "",
    premises: str = Camera.Premises.SINGLE_FAMILY,
    device=None,
    request=None,
) -> Camera:
    """A private camera shared as a registry entry (location only) with the agency covering it.

    Refused, with the agency's reason, when its premises rule takes no camera of this premises type.
    """
    if premises not in Camera.Premises.values:
        raise ValidationError({"premises": "Choose the kind of place the camera is at."})
    if device is not None and device.owner_id != owner.pk:
        raise ValidationError({"device": "Choose one of your own devices."})
    agency = agency_for_point(lat, lon)
    camera = Camera(
        name=name.strip(),
        description=description.strip(),
        address=address.strip(),
        lat=lat,
        lon=lon,
        premises=premises,
        agency=agency,
        owner=owner,
        kind=Camera.Kind.PRIVATE,
        # Nothing leaves a home unless someone watches, until the owner chooses otherwise.
        relay_mode=Camera.RelayMode.ON_DEMAND,
        device=device,
        source=Camera.Source.PUSH if device else Camera.Source.NONE,
    )
    camera.full_clean()
    refusal = premises_refusal(camera, Consent.Level.REGISTRY)
    if refusal:
        raise ValidationError({"premises": refusal})
    camera.save()
    detail = {"change": "registered", "premises": premises}
    do_record_access(
        owner, AccessEvent.Action.CAMERA_CHANGE, camera, agency=agency, request=request, detail=detail
    )
    do_set_consent(owner, camera, Consent.Level.REGISTRY, note="registered", request=request)
    return camera


def check_masks(rectangles) -> list[dict]:
    """Validate rectangles given as fractions of the picture: [{"x","y","width","height","label"?}]."""
    if not isinstance(rectangles, list):
        raise ValidationError("Masks are a list of rectangles.")
    if len(rectangles) > MAX_MASKS:
        raise ValidationError(f"At most {MAX_MASKS} masks per camera.")
    clean = []
    for number, rectangle in enumerate(rectangles, start=1):
        try:
            x, y = float(rectangle["x"]), float(rectangle["y"])
            width, height = float(rectangle["width"]), float(rectangle["height"])
        except (TypeError, KeyError, ValueError, OverflowError):  # OverflowError: an integer of 400 digits
            raise ValidationError(f"Mask {number} needs numbers x, y, width and height.") from None
        if not (0 <= x < 1 and 0 <= y < 1 and 0.005 <= width <= 1 and 0.005 <= height <= 1):
            raise ValidationError(f"Mask {number} is not a rectangle inside the picture.")
        # Rounding may push an edge a hair past the border: clip it back in.
        width, height = min(width, 1 - x), min(height, 1 - y)
        label = str(rectangle.get("label") or "")[:100]
        if not storable_text(label):
            raise ValidationError(f"Mask {number}: the label has characters that cannot be stored.")
        clean.append({"x": x, "y": y, "width": width, "height": height, "label": label})
    return clean


@transaction.atomic
def do_save_privacy_masks(owner, camera: Camera, rectangles, *, request=None) -> list[PrivacyMask]:
    """Replace the camera's masks; the relay fleet applies them from the relay's next start on."""
    check_owner(owner, camera)
    masks = replace_masks(owner, camera, check_masks(rectangles))
    do_record_access(
        owner,
        AccessEvent.Action.CAMERA_CHANGE,
        camera,
        request=request,
        detail={"change": "privacy_masks", "count": len(masks)},
    )
    return masks


def do_delete_camera(owner, camera: Camera, *, request=None) -> None:
    """Revoke, then erase the camera's personal data and footage, keeping clips delivered for a case.

    The row stays as an anonymous tombstone: access receipts, viewing sessions and
    delivered evidence still point at it.
    """
    check_owner(owner, camera)
    with transaction.atomic():
        do_revoke_consent(owner, camera, request=request)
        kept = list(
            FootageExport.objects.filter(camera=camera, delivered=True).values_list("file_path", flat=True)
        )
        undelivered = list(
            FootageExport.objects.filter(camera=camera, delivered=False, deleted_at__isnull=True)
        )
        FootageExport.objects.filter(pk__in=[export.pk for export in undelivered]).update(
            deleted_at=timezone.now()
        )
        FootageRequest.objects.filter(camera=camera, status=FootageRequest.Status.PENDING).update(
            status=FootageRequest.Status.EXPIRED, answered_at=timezone.now(), note="The camera was removed."
        )
        camera.privacy_masks.all().delete()
        label = camera.name
        camera.name = f"Deleted camera {camera.pk}"
        camera.description = ""
        camera.address = ""
        # About a kilometre: enough for statistics, not enough to find the house.
        camera.lat, camera.lon = round(camera.lat, 2), round(camera.lon, 2)
        camera.owner = None
        camera.kind = Camera.Kind.UNOWNED
        camera.device = None
        camera.source = Camera.Source.NONE
        camera.enabled = False
        camera.status = Camera.Status.STOPPED
        camera.status_reason = "Deleted by its owner."
        camera.save()
        do_record_access(
            owner,
            AccessEvent.Action.DELETION,
            camera,
            request=request,
            agency=camera.agency,
            detail={
                "deleted": "camera",
                "name": label,
                "undelivered_exports_deleted": len(undelivered),
                "delivered_exports_kept": kept,
            },
        )
        camera_id = camera.pk
        paths = [export.absolute_path for export in undelivered]
        transaction.on_commit(lambda: erase_footage(camera_id, paths))


def erase_footage(camera_id: int, export_paths) -> None:
    """Delete the camera's snapshot, recordings and undelivered clips; delivered clips stay."""
    snapshot_path(camera_id).unlink(missing_ok=True)
    shutil.rmtree(live_dir(camera_id), ignore_errors=True)
    shutil.rmtree(recordings_dir(camera_id), ignore_errors=True)
    for path in export_paths:
        path.unlink(missing_ok=True)
        path.with_suffix(".json").unlink(missing_ok=True)
    folder = exports_dir(camera_id)
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


def do_delete_account(user, *, request=None) -> None:
    """Delete every camera as above, release the devices, then the account itself."""
    for camera in list(Camera.objects.filter(owner=user)):
        do_delete_camera(user, camera, request=request)
    with transaction.atomic():
        user.devices.update(owner=None)
        do_record_access(
            user,
            AccessEvent.Action.DELETION,
            None,
            request=request,
            detail={"deleted": "account", "username": user.get_username()},
        )
        user.delete()


# Sign-up -------------------------------------------------------------------------------


def check_sign_up_rate(source_ip: str | None) -> None:
    if over_limit(f"portal-sign-up:{source_ip or 'unknown'}", SIGN_UPS_PER_IP_PER_HOUR, 3600):
        raise ValidationError("Too many sign-ups from your network in the last hour. Try again later.")


def do_sign_up(email: str, password: str, *, confirm_url, source_ip: str | None = None) -> None:
    """Create an inactive account and e-mail a signed link; an existing address gets a reminder instead.

    The page, the work done and so the time taken are the same either way (the password is
    hashed and one mail is sent whether or not it is used), so the form does not tell who has
    an account.
    """
    check_sign_up_rate(source_ip)
    User = get_user_model()
    email = email.strip().lower()
    hashed = make_password(password)
    existing = User.objects.filter(Q(username__iexact=email) | Q(email__iexact=email)).first()
    if existing is not None and not existing.is_active and existing.username == email:
        # Never a new password on an unconfirmed account: whoever holds the link would get it.
        send_confirmation(existing, confirm_url, again=True)
        return
    if existing is not None:
        send_mail(
            "Your OpenRTCC account",
            "Someone (maybe you) tried to sign up with this address, which already has an account.\n"
            "Sign in with your username, or reset your password from the sign-in page.",
            None,
            [email],
        )
        return
    with transaction.atomic():
        user = User(username=email, email=email, password=hashed, is_active=False)
        user.save()
    send_confirmation(user, confirm_url)


def send_confirmation(user, confirm_url, *, again=False) -> None:
    token = signing.dumps({"user": user.pk, "email": user.email}, salt=SIGN_UP_SALT)
    note = (
        "You signed up again before confirming: this link confirms the account with the password "
        "you chose the first time (you can reset it once confirmed).\n\n"
        if again
        else ""
    )
    send_mail(
        "Confirm your OpenRTCC account",
        f"{note}Open this link within three days to confirm your account:\n\n{confirm_url(token)}\n\n"
        "If you did not sign up, ignore this message.",
        None,
        [user.email],
    )


def do_confirm_sign_up(token: str):
    """Activate the account a sign-up link names; raise ValidationError for a bad or old link."""
    try:
        data = signing.loads(token, salt=SIGN_UP_SALT, max_age=SIGN_UP_MAX_AGE_S)
    except signing.SignatureExpired:
        raise ValidationError("This link is older than three days. Sign up again to get a new one.") from None
    except signing.BadSignature:
        raise ValidationError("This link is not valid. Copy the whole link from the e-mail.") from None
    User = get_user_model()
    user = User.objects.filter(pk=data.get("user"), email=data.get("email")).first()
    if user is None:
        raise ValidationError("This account no longer exists. Sign up again.")
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    return user


# Receipts and data export -----------------------------------------------------------------


def receipt_events(user):
    """Every audit line about the owner's cameras, newest first."""
    ids = [str(pk) for pk in Camera.objects.filter(owner=user).values_list("pk", flat=True)]
    return AccessEvent.objects.filter(target_type="camera", target_id__in=ids).select_related(
        "agency", "incident"
    )


def receipt_sessions(user):
    """Every live viewing of the owner's cameras, newest first."""
    return ViewingSession.objects.filter(camera__owner=user).select_related("agency", "camera", "incident")


def session_row(session: ViewingSession, now) -> dict:
    until = session.ended_at or min(now, session.expires_at)
    return {
        "camera": session.camera_id,
        "agency": session.agency.name,
        "purpose": session.purpose,
        "case_number": session.case_number,
        "incident": session.incident.external_id if session.incident else None,
        "start": session.started_at.isoformat(),
        "end": session.ended_at.isoformat() if session.ended_at else None,
        "duration_s": max(0, int((until - session.started_at).total_seconds())),
        "end_reason": session.end_reason,
    }


def event_row(event: AccessEvent, user) -> dict:
    # Agency staff are named by their agency only; the owner is "you".
    return {
        "at": event.at.isoformat(),
        "who": "you" if event.actor_id == user.pk else (event.agency.name if event.agency else "the system"),
        "action": event.action,
        "camera": int(event.target_id),
        "purpose": event.purpose,
        "case_number": event.case_number,
        "incident": event.incident.external_id if event.incident else None,
        "outcome": event.outcome,
        "detail": event.detail,
    }


def export_my_data(user) -> dict:
    """Everything the hub holds about the owner, as one JSON-able document."""
    now = timezone.now()
    cameras = (
        Camera.objects.filter(owner=user)
        .select_related("agency", "device")
        .prefetch_related("consents", "privacy_masks")
    )
    requests = (
        FootageRequest.objects.filter(camera__owner=user).select_related("agency").prefetch_related("exports")
    )
    return {
        "exported_at": now.isoformat(),
        "account": {
            "username": user.get_username(),
            "email": user.email,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
        },
        "devices": [
            {"serial": device.serial, "model": device.model, "state": device.state}
            for device in user.devices.all()
        ],
        "cameras": [
            {
                "id": camera.pk,
                "uuid": str(camera.uuid),
                "name": camera.name,
                "description": camera.description,
                "premises": camera.premises,
                "address": camera.address,
                "lat": camera.lat,
                "lon": camera.lon,
                "agency": camera.agency.name,
                "device": camera.device.serial if camera.device else None,
                "created_at": camera.created_at.isoformat(),
                "consents": [
                    {
                        "level": consent.level,
                        "set_at": consent.set_at.isoformat(),
                        "schedule": consent.schedule,
                        "expires_at": consent.expires_at.isoformat() if consent.expires_at else None,
                        "incident_radius_m": consent.incident_radius_m,
                        "note": consent.note,
                    }
                    for consent in camera.consents.all()
                ],
                "privacy_masks": [
                    {
                        "x": mask.x,
                        "y": mask.y,
                        "width": mask.width,
                        "height": mask.height,
                        "label": mask.label,
                    }
                    for mask in camera.privacy_masks.all()
                ],
            }
            for camera in cameras
        ],
        "footage_requests": [
            {
                "id": footage_request.pk,
                "camera": footage_request.camera_id,
                "agency": footage_request.agency.name,
                "case_number": footage_request.case_number,
                "reason": footage_request.reason,
                "start": footage_request.start.isoformat(),
                "end": footage_request.end.isoformat(),
                "status": footage_request.status,
                "answered_at": footage_request.answered_at.isoformat()
                if footage_request.answered_at
                else None,
                "exports": [
                    {"sha256": export.sha256, "size": export.size, "delivered": export.delivered}
                    for export in footage_request.exports.all()
                ],
            }
            for footage_request in requests
        ],
        "viewing_sessions": [session_row(session, now) for session in receipt_sessions(user)],
        "access_events": [event_row(event, user) for event in receipt_events(user)],
    }
