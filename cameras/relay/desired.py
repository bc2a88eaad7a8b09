"""Desired state: which cameras should be relayed now, and why not when they should not.

A camera is relayed when it is enabled, its agency has a contract active today, its
source is known (a push camera, or a pull camera with a URL) and, for a private camera,
the owner's newest consent allows live video now: live level, not expired, inside its
schedule and, when it has an incident radius, an open incident of the agency within
that radius. The relay nodes and the media endpoints ask the same question here.
"""

from collections import defaultdict
from datetime import datetime

from django.db.models import Subquery
from django.utils import timezone

from rtcc.geo import haversine_m


def why_not_live(camera, consent, *, contract_active: bool, open_incidents, now: datetime) -> str:
    """The reason a person can read why `camera` may not be relayed at `now`; empty when it may."""
    from cameras.models import Camera

    if not camera.enabled:
        return "The camera is disabled."
    if not contract_active:
        return "The agency has no active contract."
    if camera.source == Camera.Source.PUSH:
        pass
    elif camera.source == Camera.Source.PULL and camera.kind == Camera.Kind.PUBLIC:
        if not camera.source_url:
            return "The camera has no stream URL."
    else:
        return "The camera has no video source."
    if camera.kind == Camera.Kind.PUBLIC:
        return ""
    return why_consent_refuses(camera, consent, open_incidents, now)


def why_consent_refuses(camera, consent, open_incidents, now: datetime) -> str:
    from cameras.models import Consent

    if consent is None or consent.level != Consent.Level.LIVE:
        return "The owner does not share this camera live."
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
    from billing.models import Contract

    return Contract.objects.active_on(timezone.localdate(now)).values("agency_id")


def live_refusal(camera, now: datetime | None = None) -> str:
    """Why `camera` may not be seen live at `now` (default: now); empty when it may."""
    from agencies.models import Incident

    now = now or timezone.now()
    contract_active = active_contract_agency_ids(now).filter(agency_id=camera.agency_id).exists()
    consent = camera.current_consent()
    incidents = []
    if consent is not None and consent.incident_radius_m is not None:
        incidents = list(
            Incident.objects.filter(agency_id=camera.agency_id, closed_at__isnull=True).only("lat", "lon")
        )
    return why_not_live(camera, consent, contract_active=contract_active, open_incidents=incidents, now=now)


def desired_cameras(now: datetime | None = None) -> dict:
    """{camera id: Camera} of every camera that should have a relay at `now`, in a few queries."""
    from agencies.models import Incident
    from cameras.models import Camera, Consent

    now = now or timezone.now()
    candidates = list(
        Camera.objects.filter(
            enabled=True,
            source__in=[Camera.Source.PUSH, Camera.Source.PULL],
            agency_id__in=Subquery(active_contract_agency_ids(now)),
        )
        .select_related("agency")
        .prefetch_related("privacy_masks")
    )
    private_ids = [c.pk for c in candidates if c.kind == Camera.Kind.PRIVATE]
    consents = {
        consent.camera_id: consent for consent in Consent.objects.current().filter(camera_id__in=private_ids)
    }
    incidents = defaultdict(list)
    radius_agencies = {
        c.agency_id for c in candidates if getattr(consents.get(c.pk), "incident_radius_m", None) is not None
    }
    if radius_agencies:
        for incident in Incident.objects.filter(agency_id__in=radius_agencies, closed_at__isnull=True).only(
            "agency_id", "lat", "lon"
        ):
            incidents[incident.agency_id].append(incident)
    return {
        camera.pk: camera
        for camera in candidates
        if not why_not_live(
            camera,
            consents.get(camera.pk),
            contract_active=True,
            open_incidents=incidents[camera.agency_id],
            now=now,
        )
    }
