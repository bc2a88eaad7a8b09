"""Distances and map cells on the Earth's surface, small enough for a city.

One distance definition everywhere: an equirectangular projection around the query point,
with the same Earth radius as the haversine. It needs only multiplication, so the same
expression orders rows by distance in SQLite and PostgreSQL alike, and `planar_distance_m`
in Python gives exactly what the SQL gives, edge included. Within a few kilometres it
differs from the great-circle distance by well under a metre.

Each camera also carries a *cell*: its Web Mercator position quantised to 2^CELL_BITS
steps per axis, with the bits of x and y interleaved (a Morton or Z-order key, the idea
behind geohashes). Cells nest: dropping the last 2k bits gives the cell k levels up, so
one btree on the column serves a box search as a few key ranges, and GROUP BY the key
divided by 4^k clusters the map at any zoom. See docs/scale.md for the choice.
"""

import math

from django.db.models import F, FloatField, Func, Q

# The mean Earth radius (IUGG), shared by the haversine and the planar distance.
EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE = math.pi * EARTH_RADIUS_M / 180  # 111,195.08 m

# 28 bits per axis: a finest cell is about 15 cm at the equator; keys fit a signed 64-bit column.
CELL_BITS = 28
# Web Mercator stops here (the square world of map tiles); points beyond sit on the edge cells.
MERCATOR_MAX_LAT = 85.05112878


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def degrees_around(lat: float, radius_m: float) -> tuple[float, float]:
    """Half the height and width, in degrees, of the box that holds a circle at `lat`."""
    return radius_m / METRES_PER_DEGREE, radius_m / (
        METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01)
    )


def bounding_box(lat: float, lon: float, radius_m: float) -> Q:
    dlat, dlon = degrees_around(lat, radius_m)
    return Q(lat__gte=lat - dlat, lat__lte=lat + dlat, lon__gte=lon - dlon, lon__lte=lon + dlon)


class PlanarDistance(Func):
    """The distance in metres from (lat, lon) to each row's `lat`/`lon`, as `planar_distance_m` computes it.

    One expression node holding its constants as parameters. Written as F() arithmetic it was
    a tree of thirteen nodes that Django resolves, copies and compiles node by node, and a near
    query compiles it three times (the column, the radius test, the order): about a fifth of
    the query's CPU in the web process.
    """

    output_field = FloatField()

    def __init__(self, lat: float, lon: float):
        super().__init__(F("lat"), F("lon"))
        self.lat, self.lon = lat, lon

    def as_sql(self, compiler, connection, **extra_context):
        lat_sql, lat_params = compiler.compile(self.source_expressions[0])
        lon_sql, lon_params = compiler.compile(self.source_expressions[1])
        dx, dy = f"(({lon_sql} - %s) * %s)", f"(({lat_sql} - %s) * %s)"
        x = [*lon_params, self.lon, METRES_PER_DEGREE * math.cos(math.radians(self.lat))]
        y = [*lat_params, self.lat, METRES_PER_DEGREE]
        return f"SQRT({dx} * {dx} + {dy} * {dy})", [*x, *x, *y, *y]


def distance_expression(lat: float, lon: float) -> PlanarDistance:
    """An SQL expression for the distance in metres from (lat, lon) to each row's lat/lon."""
    return PlanarDistance(lat, lon)


def planar_distance_m(lat: float, lon: float, other_lat: float, other_lon: float) -> float:
    """The distance `distance_expression(lat, lon)` gives for a row at (other_lat, other_lon)."""
    dx = (other_lon - lon) * METRES_PER_DEGREE * math.cos(math.radians(lat))
    dy = (other_lat - lat) * METRES_PER_DEGREE
    return math.sqrt(dx * dx + dy * dy)


def within(queryset, lat: float, lon: float, radius_m: float):
    """Rows of `queryset` within `radius_m` of (lat, lon), nearest first, with `distance_m`.

    The cell ranges let the database walk the `geocell` index; the box and the distance
    then decide exactly.
    """
    dlat, dlon = degrees_around(lat, radius_m)
    south, west, north, east = lat - dlat, lon - dlon, lat + dlat, lon + dlon
    return (
        queryset.filter(cells_covering(south, west, north, east), bounding_box(lat, lon, radius_m))
        .annotate(distance_m=distance_expression(lat, lon))
        .filter(distance_m__lte=radius_m)
        .order_by("distance_m", "pk")
    )


# About 1.1 km north-south: coarse enough that a cell never points at one house.
AREA_CELL_DEGREES = 0.01


def area_cell(lat: float, lon: float) -> str:
    """The name of the grid cell holding (lat, lon): its south-west corner, 'lat,lon' to 2 places."""
    south = math.floor(round(lat / AREA_CELL_DEGREES, 9)) * AREA_CELL_DEGREES
    west = math.floor(round(lon / AREA_CELL_DEGREES, 9)) * AREA_CELL_DEGREES
    return f"{south:.2f},{west:.2f}"


# Cells -----------------------------------------------------------------------------------


def mercator_xy(lat: float, lon: float) -> tuple[float, float]:
    """Web Mercator position in [0, 1) x [0, 1), x eastward from 180°W, y southward from the top."""
    lat = min(max(lat, -MERCATOR_MAX_LAT), MERCATOR_MAX_LAT)
    x = (lon + 180.0) / 360.0
    sin_lat = math.sin(math.radians(lat))
    y = 0.5 - math.log((1 + sin_lat) / (1 - sin_lat)) / (4 * math.pi)
    return min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)


def cell_xy(lat: float, lon: float, level: int) -> tuple[int, int]:
    """Column and row of the cell holding (lat, lon) at `level` (2^level cells per axis)."""
    x, y = mercator_xy(lat, lon)
    last = (1 << level) - 1
    return min(int(x * (1 << level)), last), min(int(y * (1 << level)), last)


def _spread(value: int) -> int:
    """Put the bits of a 32-bit number on the even bit positions of a 64-bit one."""
    value &= 0xFFFFFFFF
    value = (value | (value << 16)) & 0x0000FFFF0000FFFF
    value = (value | (value << 8)) & 0x00FF00FF00FF00FF
    value = (value | (value << 4)) & 0x0F0F0F0F0F0F0F0F
    value = (value | (value << 2)) & 0x3333333333333333
    return (value | (value << 1)) & 0x5555555555555555


def interleave(x: int, y: int) -> int:
    return _spread(x) | (_spread(y) << 1)


def cell_of(lat: float, lon: float) -> int:
    """The finest cell key of (lat, lon): what the `geocell` column stores."""
    return interleave(*cell_xy(lat, lon, CELL_BITS))


def cell_divisor(level: int) -> int:
    """Dividing a finest key by this gives the key of its cell at `level`."""
    return 4 ** (CELL_BITS - level)


def cells_in_box(south: float, west: float, north: float, east: float, level: int) -> int:
    (x0, y0), (x1, y1) = cell_xy(north, west, level), cell_xy(south, east, level)
    return (x1 - x0 + 1) * (y1 - y0 + 1)


def key_ranges(south: float, west: float, north: float, east: float, level: int) -> list[tuple[int, int]]:
    """Half-open ranges of finest keys whose cells at `level` overlap the box, merged."""
    (x0, y0), (x1, y1) = cell_xy(north, west, level), cell_xy(south, east, level)
    size = cell_divisor(level)
    prefixes = sorted(interleave(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1))
    ranges: list[tuple[int, int]] = []
    for prefix in prefixes:
        start, end = prefix * size, (prefix + 1) * size
        if ranges and ranges[-1][1] == start:
            ranges[-1] = (ranges[-1][0], end)
        else:
            ranges.append((start, end))
    return ranges


def finest_level(
    south: float, west: float, north: float, east: float, most_cells: int, top: int = CELL_BITS
) -> int:
    """The finest level, at most `top`, at which the box overlaps at most `most_cells` cells."""
    level = top
    while level > 0 and cells_in_box(south, west, north, east, level) > most_cells:
        level -= 1
    return level


def cells_covering(south: float, west: float, north: float, east: float, most_ranges: int = 4) -> Q:
    """A condition on `geocell` that holds for every row in the box (and a few just outside)."""
    level = finest_level(south, west, north, east, most_ranges)
    ranges = key_ranges(south, west, north, east, level)
    condition = Q()
    for start, end in ranges:
        condition |= Q(geocell__gte=start, geocell__lt=end)
    return condition
