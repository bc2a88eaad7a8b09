from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

# A push holds the agency's walls for a shift unless the supervisor says otherwise; it never
# holds forever, so an old push cannot come back on a fresh workstation days later.
PUSH_DEFAULT_MINUTES = 12 * 60
PUSH_MIN_MINUTES = 15
PUSH_MAX_MINUTES = 7 * 24 * 60


def default_push_expiry():
    return timezone.now() + timedelta(minutes=PUSH_DEFAULT_MINUTES)


class Grid(models.IntegerChoices):
    """The wall's grid sizes: tiles per side."""

    ONE = 1, "1"
    TWO = 2, "2x2"
    THREE = 3, "3x3"
    FOUR = 4, "4x4"
    EIGHT = 8, "8x8"


def arrangement(wall: "Layout | WallPush") -> dict:
    """What a saved layout and a pushed one both say: which grid, and which camera in which tile."""
    return {"id": wall.pk, "name": wall.name, "grid": wall.grid, "tiles": wall.tiles}


class Layout(models.Model):
    """A named arrangement of cameras on the wall, saved for one user or for the whole agency."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="wall_layouts")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="wall_layouts",
        help_text="Blank: shared with everyone in the agency.",
    )
    name = models.CharField(max_length=80)
    grid = models.PositiveSmallIntegerField(choices=Grid.choices, default=Grid.TWO)
    # One entry per tile, row by row: a camera id or null for an empty tile.
    tiles = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "owner", "name"],
                condition=Q(owner__isnull=False),
                name="layout_unique_name_per_user",
            ),
            models.UniqueConstraint(
                fields=["agency", "name"], condition=Q(owner__isnull=True), name="layout_unique_name_shared"
            ),
            models.CheckConstraint(condition=Q(grid__in=Grid.values), name="layout_grid_known"),
        ]
        indexes = [models.Index(fields=["agency", "owner"])]

    def __str__(self):
        return self.name

    @property
    def shared(self) -> bool:
        return self.owner_id is None

    def as_dict(self) -> dict:
        return {**arrangement(self), "shared": self.shared}


class WallPush(models.Model):
    """A layout a supervisor sent to every wall of the agency; the newest one is the shared wall."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="wall_pushes")
    layout = models.ForeignKey(Layout, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # A copy, so that later edits of the layout do not change what was pushed.
    name = models.CharField(max_length=80)
    grid = models.PositiveSmallIntegerField(choices=Grid.choices)
    tiles = models.JSONField(default=list)
    pushed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    pushed_at = models.DateTimeField(default=timezone.now)
    # After this a wall that connects no longer gets it; walls showing it are told they may leave.
    expires_at = models.DateTimeField(default=default_push_expiry)

    class Meta:
        ordering = ["-pushed_at", "-pk"]
        indexes = [models.Index(fields=["agency", "-pushed_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("pushed_at")), name="wallpush_expires_after_push"
            )
        ]

    def __str__(self):
        return f"{self.name} pushed {self.pushed_at:%Y-%m-%d %H:%M}"

    def as_dict(self) -> dict:
        return {
            **arrangement(self),
            "pushed_at": self.pushed_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "pushed_by": self.pushed_by.get_username() if self.pushed_by else "",
        }
