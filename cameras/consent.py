"""The one consent rule: may this camera be seen live now, and if not, why not.

Relays, media endpoints, the wall, viewing sessions, incident docking, edge devices and
the portal's "live now?" line all ask here; nothing else decides it. A camera may be seen
live when it is enabled, its agency has a contract active today, its video source is known
(a push camera, or an agency pull camera with a URL) and, for a private camera, the owner's
newest consent allows live video now: live level, not expired, inside its schedule and,
when it has an incident radius, an open incident of the agency within that radius. Above
all that, the agency must not be suspended (the kill switch), and no premises rule of the
agency may forbid live video from the camera's premises.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from agencies.models import Agency, Incident
from billing.models import Contract
from cameras.models import Camera, Consent
from cameras.premises import PremisesRule
from rtcc.crypto import is_unreadable
from rtcc.geo import haversine_m


def is_agency_camera(camera: Camera) -> bool:
    """Agency-owned cameras need no owner's consent: public means live while the rest holds."""
    return camera.kind == Camera.Kind.PUBLIC


def consent_level_of(camera: Camera, level: str | None) -> str:
    """The level the wall and the API show: an agency camera is live; a private one, its owner's level."""
    return consent_level_of_kind(camera.kind, level)


def consent_level_of_kind(kind: str, level: str | None) -> str:
    """`consent_level_of` for a row read as values, which has the camera's kind but no camera."""
    if kind == Camera.Kind.PUBLIC:
        return Consent.Level.LIVE
    return level or Consent.Level.NONE


def streams_through_device(camera: Camera) -> bool:
    """Live sharing needs the camera's video to reach the hub from an edge device, never a typed URL."""
    return camera.source == Camera.Source.PUSH and camera.device_id is not None


def check_live_possible(camera: Camera, level: str) -> None:
    if level == Consent.Level.LIVE and not streams_through_device(camera):
        raise ValidationError(
            {"level": "Live sharing needs the camera to stream through an edge device you have claimed."}
        )


UNREADABLE_CREDENTIAL = (
    "A stored credential of this camera cannot be decrypted; an admin must enter it again."
)


def credential_refusal(camera: Camera) -> str:
    """The refusal of a camera whose stored secrets cannot be decrypted; empty otherwise.

    Only the secrets that were read count: the relays' desired state leaves the passphrase
    unread (decrypting every one was most of a full pass), and a node checks it when it
    starts the camera.
    """
    deferred = camera.get_deferred_fields()
    if any(
        is_unreadable(getattr(camera, name))
        for name in ("srt_passphrase", "source_url")
        if name not in deferred
    ):
        return UNREADABLE_CREDENTIAL
    return ""


def why_not_live(
    camera: Camera, consent, *, contract_active: bool, open_incidents, now: datetime, suspension: str = ""
) -> str:
    """The reason a person can read why `camera` may not be seen live at `now`; empty when it may.

    `suspension`: the agency's suspension refusal, when it is suspended.
    """
    if suspension:
        return suspension
    if not camera.enabled:
        return "The camera is disabled."
    if refusal := credential_refusal(camera):
        return refusal
    if not contract_active:
        return "The agency has no active contract."
    if camera.source == Camera.Source.PUSH:
        pass
    elif camera.source == Camera.Source.PULL and is_agency_camera(camera):
        if not camera.source_url:
            return "The camera has no stream URL."
    else:
        return "The camera has no video source."
    if is_agency_camera(camera):
        return ""
    return why_consent_refuses(camera, consent, open_incidents, now)


def why_consent_refuses(camera: Camera, consent, open_incidents, now: datetime) -> str:
    if consent is None or consent.level != Consent.Level.LIVE:
        return "The owner does not share this camera live."
    forbidden_by = getattr(consent, "live_forbidden_by", None)
    if forbidden_by:
        return (
            f"The agency's premises rule does not accept live video from a "
            f"{camera.get_premises_display().lower()}: {forbidden_by}"
        )
    if consent.expires_at is not None and now >= consent.expires_at:
        return "The owner's live consent has expired."
    if not consent.in_schedule(now, camera.tz):
        return "Outside the hours the owner shares this camera."
    if consent.incident_radius_m is not None and not any(
        haversine_m(camera.lat, camera.lon, incident.lat, incident.lon) <= consent.incident_radius_m
        for incident in open_incidents
    ):
        return f"The owner shares it only during an incident within {consent.incident_radius_m} m."
    return ""


def active_contract_agency_ids(now: datetime):
    return Contract.objects.active_on(timezone.localdate(now)).values("agency_id")


def agency_standing(agency_ids, now: datetime) -> tuple[set[int], dict[int, str]]:
    """(agencies with a contract active at `now`, {suspended agency: its refusal}), in one query."""
    contracted, suspended = set(), {}
    agencies = (
        Agency.objects.filter(pk__in=agency_ids)
        .only("pk", "name", "suspended_at", "suspension_order", "suspension_reason")
        .annotate(
            contracted=Exists(
                Contract.objects.active_on(timezone.localdate(now)).filter(agency_id=OuterRef("pk"))
            )
        )
    )
    for agency in agencies:
        if agency.contracted:
            contracted.add(agency.pk)
        if agency.is_suspended:
            suspended[agency.pk] = agency.suspension_refusal()
    return contracted, suspended


def current_consents(camera_ids):
    """The newest consent of each camera, with the reason a premises rule refuses live (if one does)."""
    rule = PremisesRule.objects.filter(
        agency_id=OuterRef("camera__agency_id"), premises=OuterRef("camera__premises")
    ).exclude(highest_level=Consent.Level.LIVE)
    return (
        Consent.objects.current()
        .filter(camera_id__in=camera_ids)
        .annotate(live_forbidden_by=Subquery(rule.values("reason")[:1]))
    )


def open_incident_points(agency_ids) -> dict[int, list]:
    """{agency id: [open incidents with lat and lon]}: what incident-radius consents are checked against."""
    points: dict[int, list] = {agency_id: [] for agency_id in agency_ids}
    if points:
        for incident in Incident.objects.filter(agency_id__in=points, closed_at__isnull=True).only(
            "agency_id", "lat", "lon"
        ):
            points[incident.agency_id].append(incident)
    return points


def live_refusal(camera: Camera, now: datetime | None = None) -> str:
    """Why `camera` may not be seen live at `now` (default: now); empty when it may."""
    return live_refusals([camera], now)[camera.pk]


def live_refusals(cameras, now: datetime | None = None, *, contracted=None, suspended=None) -> dict[int, str]:
    """{camera id: refusal} for many cameras in a constant number of queries (empty refusal: may be seen).

    `contracted` and `suspended`: the agency ids known to have an active contract at `now` and
    {agency id: refusal} of those suspended, for a caller that selected the cameras by them
    already; read here otherwise.
    """
    cameras = list(cameras)
    now = now or timezone.now()
    agency_ids = {camera.agency_id for camera in cameras}
    if contracted is None or suspended is None:
        contracted, suspended = agency_standing(agency_ids, now)
    consents = {
        consent.camera_id: consent
        for consent in current_consents([camera.pk for camera in cameras if not is_agency_camera(camera)])
    }
    radius_agencies = {
        camera.agency_id
        for camera in cameras
        if getattr(consents.get(camera.pk), "incident_radius_m", None) is not None
    }
    incidents = open_incident_points(radius_agencies)
    return {
        camera.pk: why_not_live(
            camera,
            consents.get(camera.pk),
            contract_active=camera.agency_id in contracted,
            open_incidents=incidents.get(camera.agency_id, []),
            now=now,
            suspension=suspended.get(camera.agency_id, ""),
        )
        for camera in cameras
    }
