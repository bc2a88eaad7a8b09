"""The wall's state and its saved layouts."""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from agencies.access import agency_of, has_role, membership_of
from agencies.models import Incident, Membership
from cameras.access import cameras_visible_to
from cameras.consent import consent_level_of, live_refusals
from cameras.events import send_to_agency
from cameras.models import Camera, PrivacyMask
from cameras.relay.status import shown_status
from cameras.sharing.rules import foreign_refusals
from cameras.wall.incidents import docked_cameras_by_incident, incident_payload
from cameras.wall.models import (
    PUSH_DEFAULT_MINUTES,
    PUSH_MAX_MINUTES,
    PUSH_MIN_MINUTES,
    Grid,
    Layout,
    WallPush,
)
from rtcc.validators import is_id, storable_text

PUSH_ROLES = {Membership.Role.ADMIN, Membership.Role.SUPERVISOR}
OPEN_INCIDENTS_ON_WALL = 20


def camera_states(user, camera_ids=None) -> list[dict]:
    """What the wall shows of each camera the user may know of: place, status and whether it may play."""
    cameras = (
        cameras_visible_to(user)
        .select_related("device")
        .annotate(masked=Exists(PrivacyMask.objects.filter(camera=OuterRef("pk"))))
        .order_by("name", "pk")
    )
    if camera_ids is not None:
        cameras = cameras.filter(pk__in=camera_ids)
    cameras = list(cameras)
    refusals = live_refusals(cameras)
    # Another agency's camera plays only under a live share (or a grant); its tile says whose it is.
    foreign = foreign_refusals(user, cameras)
    own = getattr(agency_of(user), "pk", None)
    # One URL resolution for all: reverse() per camera was a sixth of a 2,000-camera connect.
    snapshot_url = reverse("media-snapshot", kwargs={"camera_id": 0}).replace("/0.", "/{}.")
    return [
        {
            **_camera_state(camera, refusals[camera.pk] or foreign[camera.pk], snapshot_url),
            "shared_by": camera.agency.name if own is not None and camera.agency_id != own else None,
        }
        for camera in cameras
    ]


def _camera_state(camera: Camera, refusal: str, snapshot_url: str) -> dict:
    status, status_reason = shown_status(camera, refusal)
    return {
        "id": camera.pk,
        "name": camera.name,
        "kind": camera.kind,
        "address": camera.address,
        "lat": camera.lat,
        "lon": camera.lon,
        "status": status,
        "status_reason": status_reason,
        "relay_mode": camera.relay_mode,
        "substream": camera.offers_substream(masked=camera.masked),
        "last_frame_at": camera.last_frame_at.isoformat() if camera.last_frame_at else None,
        "snapshot_version": camera.snapshot_version,
        "snapshot_url": snapshot_url.format(camera.pk),
        "consent_level": consent_level_of(camera, camera.consent_level),
        "live": not refusal,
        "live_refusal": refusal,
        "source_health": source_health(camera),
    }


# What a box reports of one local camera (devices/enrollment.py), as the wall's list shows it.
HEALTH_NUMBERS = ("frames", "bitrate_kbps", "errors")


def source_health(camera: Camera) -> dict | None:
    """The box's latest report on this camera's source, or None (no box, or no report yet)."""
    report = camera.device.camera_health.get(str(camera.pk)) if camera.device_id else None
    if not isinstance(report, dict):
        return None
    health = {key: report[key] for key in HEALTH_NUMBERS if isinstance(report.get(key), int | float)}
    health["last_error"] = str(report.get("last_error") or "")[:200]
    health["reported_at"] = str(report.get("reported_at") or "")
    health["agent_version"] = camera.device.agent_version
    return health


def open_incidents(agency) -> list[dict]:
    # The most urgent first, then the longest waiting: the same order the wall shows.
    incidents = list(
        Incident.objects.filter(agency=agency, closed_at__isnull=True, dismissed_at__isnull=True)
        .select_related("acknowledged_by")
        .order_by("priority", "opened_at", "pk")[:OPEN_INCIDENTS_ON_WALL]
    )
    docked = docked_cameras_by_incident(agency, incidents)
    return [incident_payload(incident, docked[incident.pk]) for incident in incidents]


def pushed_layout(agency) -> dict | None:
    """The agency's newest push that has not expired: what a wall that connects now is given."""
    push = (
        WallPush.objects.filter(agency=agency, expires_at__gt=timezone.now())
        .select_related("pushed_by")
        .first()
    )
    return push.as_dict() if push else None


def wall_state(user) -> dict:
    """Everything a wall needs, sent on every (re)connect so that a missed message costs nothing."""
    agency = agency_of(user)
    return {
        "type": "state",
        "server_time": timezone.now().isoformat(),
        "cameras": camera_states(user),
        "incidents": open_incidents(agency) if agency else [],
        "pushed": pushed_layout(agency) if agency else None,
    }


def layouts_for(user) -> list[Layout]:
    agency = agency_of(user)
    if agency is None:
        return []
    mine_or_shared = Layout.objects.filter(agency=agency, owner=user) | Layout.objects.filter(
        agency=agency, owner__isnull=True
    )
    return list(mine_or_shared.order_by("owner", "name"))


def check_layout_input(user, *, name, grid, tiles) -> tuple[str, int, list]:
    """Validate a layout; return (name, grid, tiles) or raise ValidationError naming the field."""
    errors = {}
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name or len(name) > 80 or not storable_text(name):
        errors["name"] = "Give the layout a name of 1 to 80 characters."
    # type() and not isinstance(): 2.0 and true equal 2 and 1 but are no grid size or id.
    if type(grid) is not int or grid not in Grid.values:
        errors["grid"] = f"Choose a grid of {', '.join(str(size) for size in Grid.values)} tiles per side."
        grid = None
    if not isinstance(tiles, list) or not all(tile is None or is_id(tile) for tile in tiles):
        errors["tiles"] = "Tiles are a list of camera ids or nulls."
    elif grid is not None and len(tiles) > grid * grid:
        errors["tiles"] = f"A {grid}x{grid} grid holds {grid * grid} tiles."
    if errors:
        raise ValidationError(errors)
    wanted = {tile for tile in tiles if tile is not None}
    known = set(cameras_visible_to(user).filter(pk__in=wanted).values_list("pk", flat=True))
    if wanted - known:
        raise ValidationError({"tiles": f"Unknown cameras: {', '.join(map(str, sorted(wanted - known)))}."})
    return name, grid, tiles + [None] * (grid * grid - len(tiles))


def do_save_layout(user, *, name, grid, tiles, shared=False) -> Layout:
    """Save (or overwrite by name) the user's layout, or the agency's shared one for a supervisor."""
    membership = membership_of(user)
    if membership is None or not membership.watches_video:
        raise PermissionDenied("Only agency members who watch video save wall layouts.")
    if shared and membership.role not in PUSH_ROLES:
        raise PermissionDenied("Only a supervisor or an admin saves layouts for the whole agency.")
    name, grid, tiles = check_layout_input(user, name=name, grid=grid, tiles=tiles)
    owner = None if shared else user
    try:
        with transaction.atomic():
            layout, _ = Layout.objects.update_or_create(
                agency=membership.agency, owner=owner, name=name, defaults={"grid": grid, "tiles": tiles}
            )
    except IntegrityError:
        # Saved twice at once under one name: the other save won; this one overwrites it.
        layout = Layout.objects.get(agency=membership.agency, owner=owner, name=name)
        layout.grid, layout.tiles = grid, tiles
        layout.save(update_fields=["grid", "tiles", "updated_at"])
    return layout


def editable_layout(user, layout_id) -> Layout:
    """The layout the user may change or push; Layout.DoesNotExist for anything else."""
    agency = agency_of(user)
    layout = Layout.objects.get(pk=layout_id, agency=agency)
    if layout.owner_id not in (None, user.pk):
        raise Layout.DoesNotExist
    if layout.shared and not has_role(user, *PUSH_ROLES):
        raise PermissionDenied("Only a supervisor or an admin changes the agency's shared layouts.")
    return layout


def do_delete_layout(user, layout: Layout) -> None:
    layout.delete()


def check_push_input(layout: Layout, *, name=None, minutes=None) -> tuple[str, int]:
    """Validate a push's name (default: the layout's) and how long it holds, in minutes
    (default 12 hours); return (name, minutes) or raise ValidationError naming the field."""
    errors = {}
    if name is None:
        name = layout.name
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > 80 or not storable_text(name):
        errors["name"] = "Give the push a name of 1 to 80 characters."
    if minutes is None:
        minutes = PUSH_DEFAULT_MINUTES
    # type() and not isinstance(): true is no number of minutes.
    if type(minutes) is not int or not PUSH_MIN_MINUTES <= minutes <= PUSH_MAX_MINUTES:
        errors["expires_in_minutes"] = (
            f"A push holds for {PUSH_MIN_MINUTES} to {PUSH_MAX_MINUTES} minutes (a whole number)."
        )
    if errors:
        raise ValidationError(errors)
    return name, minutes


@transaction.atomic
def do_push_layout(user, layout: Layout, *, name=None, minutes=None) -> WallPush:
    """Send the layout to every wall of the agency until it expires; walls that connect
    before then get it in their state."""
    if not has_role(user, *PUSH_ROLES):
        raise PermissionDenied("Only a supervisor or an admin pushes a layout to every wall.")
    name, minutes = check_push_input(layout, name=name, minutes=minutes)
    now = timezone.now()
    push = WallPush.objects.create(
        agency=layout.agency,
        layout=layout,
        name=name,
        grid=layout.grid,
        tiles=layout.tiles,
        pushed_by=user,
        pushed_at=now,
        expires_at=now + timedelta(minutes=minutes),
    )
    send_to_agency(layout.agency_id, {"type": "layout.pushed", "layout": push.as_dict()})
    return push
