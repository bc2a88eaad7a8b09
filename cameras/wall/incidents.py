"""What an incident means on the wall: the nearest cameras that may be seen live, docked."""

import copy
import operator
from functools import reduce

from django.utils import timezone

from agencies.models import Agency, Incident
from cameras.consent import live_refusals
from cameras.models import Camera
from rtcc.geo import bounding_box, planar_distance_m


def docked_cameras(incident: Incident) -> list:
    """The agency's nearest cameras that may be seen live now, nearest first, with `distance_m`."""
    return docked_cameras_by_incident(incident.agency, [incident])[incident.pk]


def docked_cameras_by_incident(agency: Agency, incidents) -> dict[int, list]:
    """{incident id: its docked cameras} for incidents of `agency`, in the same few queries for any number.

    One query reads the cameras near any of the incidents; whether each may be seen live is
    asked for all of them at once; distances are then measured here as `within` measures them.
    """
    incidents = list(incidents)
    if not incidents:
        return {}
    radius = agency.incident_radius_m
    near_any = reduce(
        operator.or_, (bounding_box(incident.lat, incident.lon, radius) for incident in incidents)
    )
    candidates = list(Camera.objects.filter(near_any, agency=agency, enabled=True).select_related("agency"))
    refusals = live_refusals(candidates, timezone.now())
    live = [camera for camera in candidates if not refusals[camera.pk]]
    docked = {}
    for incident in incidents:
        nearest = sorted(
            (distance, camera.pk, camera)
            for camera in live
            if (distance := planar_distance_m(incident.lat, incident.lon, camera.lat, camera.lon)) <= radius
        )
        docked[incident.pk] = [
            _at_distance(camera, distance) for distance, _, camera in nearest[: agency.incident_camera_count]
        ]
    return docked


def _at_distance(camera, distance: float):
    """A copy of `camera` carrying its distance to one incident (a camera may dock with several)."""
    camera = copy.copy(camera)
    camera.distance_m = distance
    return camera


def incident_payload(incident: Incident, cameras=None) -> dict:
    cameras = docked_cameras(incident) if cameras is None else cameras
    return {
        "id": incident.pk,
        "external_id": incident.external_id,
        "kind": incident.kind,
        "priority": incident.priority,
        "lat": incident.lat,
        "lon": incident.lon,
        "address": incident.address,
        "opened_at": incident.opened_at.isoformat(),
        "closed_at": incident.closed_at.isoformat() if incident.closed_at else None,
        "acknowledged_at": incident.acknowledged_at.isoformat() if incident.acknowledged_at else None,
        "acknowledged_by": incident.acknowledged_by.get_username() if incident.acknowledged_by else "",
        "cameras": [{"id": camera.pk, "distance_m": round(camera.distance_m, 1)} for camera in cameras],
    }
