"""Side effects of the cameras domain."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.dispatch import Signal

from agencies.access import agency_of
from agencies.models import AccessEvent
from agencies.services import do_record_access
from cameras.models import Camera, Consent, validate_schedule
from cameras.sources import check_pull_url

# Sent after a consent change commits, with camera_id and consent: the relay fleet
# listens to stop a relay at once instead of at its next reconcile pass.
consent_changed = Signal()


@transaction.atomic
def do_create_pull_camera(
    actor, *, name, lat, lon, source_url, description="", address="", request=None
) -> Camera:
    """Add an agency-owned camera the hub pulls; the URL is checked again here, not only in forms."""
    agency = agency_of(actor)
    if agency is None:
        raise PermissionDenied("Only a member of an agency can add its cameras.")
    camera = Camera.objects.create(
        name=name,
        description=description,
        address=address,
        lat=lat,
        lon=lon,
        agency=agency,
        kind=Camera.Kind.PUBLIC,
        premises=Camera.Premises.PUBLIC_SPACE,
        source=Camera.Source.PULL,
        source_url=check_pull_url(source_url),
    )
    do_record_access(
        actor,
        AccessEvent.Action.CAMERA_CHANGE,
        camera,
        request=request,
        detail={"change": "created"},
    )
    return camera


def check_consent_input(level: str, schedule, expires_at, incident_radius_m) -> None:
    """Raise ValidationError, naming the field, for consent that cannot be recorded."""
    from django.utils import timezone

    errors = {}
    if level not in Consent.Level.values:
        errors["level"] = f"Choose one of: {', '.join(Consent.Level.values)}."
    try:
        validate_schedule(schedule or [])
    except ValidationError as error:
        errors["schedule"] = error.messages
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = "The expiry must be in the future."
    if incident_radius_m is not None and not (10 <= incident_radius_m <= 10_000):
        errors["incident_radius_m"] = "The incident radius is 10 to 10,000 metres."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def do_set_consent(
    actor,
    camera: Camera,
    level: str,
    *,
    schedule=None,
    expires_at=None,
    incident_radius_m=None,
    note="",
    request=None,
) -> Consent:
    """Record the owner's new consent; it is in force from its commit on, and listeners learn of it then."""
    check_consent_input(level, schedule, expires_at, incident_radius_m)
    if level == Consent.Level.LIVE and camera.source != Camera.Source.PUSH:
        raise ValidationError({"level": "Live sharing needs the camera to stream through an edge device."})
    # Lock the camera row: two changes at once must be ordered, and the newest must win.
    Camera.objects.select_for_update().filter(pk=camera.pk).first()
    consent = Consent.objects.create(
        camera=camera,
        level=level,
        schedule=schedule or [],
        expires_at=expires_at,
        incident_radius_m=incident_radius_m,
        set_by=actor if getattr(actor, "is_authenticated", False) else None,
        note=note,
    )
    do_record_access(
        actor,
        AccessEvent.Action.CONSENT_CHANGE,
        camera,
        agency=camera.agency,
        request=request,
        detail={
            "level": level,
            "expires_at": expires_at.isoformat() if expires_at else None,
            "schedule": schedule or [],
        },
    )
    transaction.on_commit(lambda: consent_changed.send(sender=Consent, camera_id=camera.pk, consent=consent))
    return consent


def do_revoke_consent(actor, camera: Camera, *, request=None) -> Consent:
    """One-click revocation: nothing is shared from the commit on."""
    return do_set_consent(actor, camera, Consent.Level.NONE, note="revoked", request=request)
