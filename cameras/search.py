"""The camera list's search: near a point within a radius, or everything nearest a point first, by text.

The wall's camera list asks the server (`?q=` and `?around=<map centre>`) a page at a time
instead of downloading every camera it may know of.
"""

from django.db.models import Q, QuerySet

from rtcc.geo import distance_expression, within


def search_cameras(
    cameras: QuerySet,
    *,
    near: tuple[float, float] | None = None,
    radius: float = 1000.0,
    around: tuple[float, float] | None = None,
    text: str = "",
) -> QuerySet:
    if text:
        cameras = cameras.filter(Q(name__icontains=text) | Q(address__icontains=text))
    if near:
        return within(cameras, near[0], near[1], radius)
    if around:
        return cameras.annotate(distance_m=distance_expression(*around)).order_by("distance_m", "pk")
    return cameras
