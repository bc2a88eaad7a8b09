"""What the oversight console shows beside the audit lines: viewing hours and sessions."""

import datetime

from django.contrib.auth import get_user_model

from agencies.models import Agency
from cameras.models import Camera
from cameras.viewing.hours import hours_by, ranked, sessions_in
from rtcc.geo import area_cell


def viewing_hours(
    agency: Agency, since: datetime.datetime | None, until: datetime.datetime | None, now=None
) -> dict:
    """Sessions and hours per user, per camera and per area cell in the window."""
    sessions = sessions_in(agency, since, until)
    users = get_user_model().objects.filter(viewing_sessions__in=sessions).distinct()
    per_camera = hours_by(sessions, "camera_id", since, until, now)
    cameras = Camera.objects.filter(pk__in=per_camera).values_list("pk", "name", "lat", "lon")
    per_area: dict = {}
    for pk, _name, lat, lon in cameras:
        count, hours = per_area.get(area_cell(lat, lon), (0, 0.0))
        per_area[area_cell(lat, lon)] = (count + per_camera[pk][0], hours + per_camera[pk][1])
    return {
        "per_user": ranked(
            hours_by(sessions, "user_id", since, until, now), users.values_list("pk", "username")
        ),
        "per_camera": ranked(per_camera, ((pk, name) for pk, name, _lat, _lon in cameras)),
        "per_area": ranked(per_area),
    }


def recent_sessions(agency: Agency, since, until, limit: int = 50):
    return (
        sessions_in(agency, since, until)
        .select_related("user", "camera", "incident")
        .order_by("-started_at")[:limit]
    )
