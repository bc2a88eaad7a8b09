"""Camera rows as the API shows them, read as plain values: the hot read paths' serializer.

`CameraSerializer` builds a model instance and runs a field object per attribute per row:
about a third of a millisecond a camera, most of a near query's budget. The near query, the
map's lone cameras and the wall's list read the same fields with `.values()` and shape them
here; a test holds the two representations equal, camera by camera.
"""

from django.db.models import Count, F, QuerySet, Window
from rest_framework.fields import DateTimeField

from cameras.api.serializers import CameraSerializer
from cameras.consent import consent_level_of_kind

# The model fields of CameraSerializer read straight from the row, in its order.
PLAIN_FIELDS = [
    name
    for name in CameraSerializer.Meta.fields
    if name not in ("agency", "agency_name", "consent_level", "distance_m", "uuid")
]
_datetime = DateTimeField()


def camera_rows(queryset: QuerySet, *extra: str) -> list[dict]:
    """The rows of `queryset` (annotated with `consent_level`, and `distance_m` where asked) as dicts.

    `extra` names further annotations to read and return as they are (the window count of a page).
    """
    fields = [*PLAIN_FIELDS, "uuid", "consent_level", *extra]
    has_distance = "distance_m" in queryset.query.annotations
    if has_distance:
        fields.append("distance_m")
    rows = []
    for row in queryset.values(*fields, agency_slug=F("agency__slug"), agency_name=F("agency__name")):
        row["uuid"] = str(row["uuid"])
        row["agency"] = row.pop("agency_slug")
        row["consent_level"] = consent_level_of_kind(row["kind"], row["consent_level"])
        if row["last_frame_at"] is not None:
            row["last_frame_at"] = _datetime.to_representation(row["last_frame_at"])
        distance = row.get("distance_m")
        row["distance_m"] = round(distance, 1) if distance is not None else None
        rows.append(row)
    return rows


def counted_rows(queryset: QuerySet, offset: int, limit: int) -> tuple[list[dict], int]:
    """(rows offset..offset+limit, how many rows in all) in one query: a window count beside the page."""
    page = queryset.annotate(total_rows=Window(Count("pk")))[offset : offset + limit]
    rows = camera_rows(page, "total_rows")
    count = rows[0]["total_rows"] if rows else 0
    for row in rows:
        del row["total_rows"]
    return rows, count
