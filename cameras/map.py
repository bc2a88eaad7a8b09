"""The wall's map at any scale: what a viewport shows, clustered on the server.

The box is cut into a grid of map cells (rtcc.geo), as fine as the zoom asks and coarse
enough that the box overlaps at most MAX_ITEMS of them; one GROUP BY on the camera's cell
key divided down to that level counts the visible cameras of each cell. A cell holding one
camera comes back as that camera, any other as a cluster `{"lat", "lon", "count"}` at the
mean position of its cameras. A box holding at most SHOWN_WHOLE cameras is not clustered at
all. Two queries, whatever the number of cameras.
"""

from dataclasses import dataclass

from django.db.models import Avg, Count, F, Min, QuerySet

from cameras.access import cameras_visible_to
from rtcc.geo import CELL_BITS, cell_divisor, cells_covering, finest_level

MAX_ITEMS = 500
# A cluster cell is a quarter of a 256-pixel map tile (64 px) at the zoom asked for.
CELL_LEVELS_BELOW_ZOOM = 2
MAX_ZOOM = 22
# A box with this few cameras shows each of them: markers side by side read better than a "3",
# and the wall must be able to put every camera of a quiet area on a tile from the map.
SHOWN_WHOLE = 50


@dataclass(frozen=True)
class Viewport:
    south: float
    west: float
    north: float
    east: float
    zoom: int

    def contains(self, lat: float, lon: float) -> bool:
        return self.south <= lat <= self.north and self.west <= lon <= self.east

    @property
    def level(self) -> int:
        top = min(self.zoom + CELL_LEVELS_BELOW_ZOOM, CELL_BITS)
        return finest_level(self.south, self.west, self.north, self.east, MAX_ITEMS, top=top)


def cameras_in(visible: QuerySet, viewport: Viewport) -> QuerySet:
    """The `visible` cameras inside the box (edges included), served by the cell index.

    The index is walked over a few coarse ranges, not one per map cell: a condition per cell
    (hundreds at the finest grouping) cost more to build and plan than the grouping itself.
    """
    return visible.filter(
        cells_covering(viewport.south, viewport.west, viewport.north, viewport.east),
        lat__gte=viewport.south,
        lat__lte=viewport.north,
        lon__gte=viewport.west,
        lon__lte=viewport.east,
    )


def map_items(user, viewport: Viewport) -> tuple[QuerySet, list[dict]]:
    """(lone cameras, clusters) for the viewport: together at most MAX_ITEMS, every camera counted once."""
    visible = cameras_visible_to(user)
    groups = list(
        cameras_in(visible, viewport)
        .annotate(cell=F("geocell") / cell_divisor(viewport.level))
        .values("cell")
        .annotate(count=Count("pk"), lat=Avg("lat"), lon=Avg("lon"), first=Min("pk"))
        .order_by("cell")
    )
    if sum(group["count"] for group in groups) <= SHOWN_WHOLE:
        return cameras_in(visible, viewport).order_by("pk"), []
    singles = [group["first"] for group in groups if group["count"] == 1]
    clusters = [
        {"lat": round(group["lat"], 6), "lon": round(group["lon"], 6), "count": group["count"]}
        for group in groups
        if group["count"] > 1
    ]
    # With no lone camera, `pk__in=[]` makes Django skip the query.
    return visible.filter(pk__in=singles).order_by("pk"), clusters
