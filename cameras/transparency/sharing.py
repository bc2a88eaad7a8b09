"""What an agency shared with others and received from them, and who has access: counted from the shares."""

from django.db.models import Count, Prefetch

from agencies.models import Agency
from cameras.models import Camera
from cameras.sharing.models import CameraShare
from cameras.sharing.rules import agencies_with_access
from cameras.viewing.hours import hours_by
from cameras.viewing.models import ViewingSession


def share_row(share: CameraShare, other: Agency) -> dict:
    """One share as the public sees it: with whom, what (agency cameras by id), when, for what, under which grant."""
    return {
        "share": share.pk,
        "agency": other.slug,
        "cameras": share.camera_count,
        "camera_ids": sorted(camera.pk for camera in share.cameras.all()),
        "scope": share.scope,
        "starts_at": share.starts_at.isoformat(),
        "ends_at": share.ends_at.isoformat(),
        "revoked_at": share.revoked_at.isoformat() if share.revoked_at else None,
        "purpose": share.purpose,
        "authority": share.authority,
    }


def shares_of(agency: Agency, since=None, until=None):
    """(given, received) shares of the agency overlapping [since, until), oldest first; all of them without bounds."""
    shares = (
        CameraShare.objects.annotate(camera_count=Count("cameras"))
        .select_related("from_agency", "to_agency")
        .prefetch_related(Prefetch("cameras", queryset=Camera.objects.only("pk")))
    )
    if since is not None:
        shares = shares.overlapping(since, until)
    shares = shares.order_by("starts_at", "pk")
    return shares.filter(from_agency=agency), shares.filter(to_agency=agency)


def sharing(agency: Agency, since, until, now) -> dict:
    """The report's `sharing` section."""
    given, received = shares_of(agency, since, until)
    # How often the shares were used: other agencies' viewing sessions on this agency's cameras.
    foreign = ViewingSession.objects.filter(camera__agency=agency, started_at__lt=until).exclude(
        agency=agency
    )
    foreign = foreign.exclude(ended_at__lte=since)
    used = hours_by(foreign, "agency__slug", since, until, now)
    return {
        "shares_given": len(given),
        "shares_received": len(received),
        "agencies_shared_with": sorted({share.to_agency.slug for share in given}),
        "given": [share_row(share, share.to_agency) for share in given],
        "received": [share_row(share, share.from_agency) for share in received],
        "viewing_by_other_agencies": [
            {"agency": slug, "sessions": count, "hours": round(hours, 2)}
            for slug, (count, hours) in sorted(used.items())
        ],
        "agencies_with_access_now": [
            other.slug for other in agencies_with_access(Camera.objects.filter(agency=agency), now)
        ],
    }
