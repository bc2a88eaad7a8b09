"""When a stored media decision must end though nothing was written: the next time boundary.

A decision may outlive no schedule window opening or closing, no consent, viewing session or
share between agencies beginning or ending, no contract day starting or ending, and never `RTCC_MEDIA_AUTH_CACHE_SECONDS`.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from cameras.media.signing import MediaGrant
from cameras.models import Camera, Consent
from cameras.sharing.rules import next_share_turn
from cameras.viewing.models import ViewingSession


def deadline(grant: MediaGrant, now: datetime) -> datetime:
    """The first moment the answer for `grant` could change with no write to the database."""
    limits = [now + timedelta(seconds=settings.RTCC_MEDIA_AUTH_CACHE_SECONDS), next_local_midnight(now)]
    if grant.session_id is not None:
        expires_at = (
            ViewingSession.objects.filter(pk=grant.session_id).values_list("expires_at", flat=True).first()
        )
        if expires_at is not None:
            limits.append(expires_at)
    camera = Camera.objects.select_related("agency").filter(pk=grant.camera_id).first()
    share_turn = next_share_turn(grant.camera_id, now)
    if share_turn is not None:
        limits.append(share_turn)
    consent = Consent.objects.current().filter(camera_id=grant.camera_id).first()
    if camera is not None and consent is not None:
        if consent.expires_at is not None:
            limits.append(consent.expires_at)
        turn = schedule_turn(consent, camera, now, min(limits))
        if turn is not None:
            limits.append(turn)
    return max(now, min(limits))


def next_local_midnight(now: datetime) -> datetime:
    """Contracts run by whole days of the hub's time zone (`Contract.objects.active_on`)."""
    tomorrow = timezone.localdate(now) + timedelta(days=1)
    return timezone.make_aware(datetime.combine(tomorrow, datetime.min.time()))


def schedule_turn(consent: Consent, camera: Camera, now: datetime, until: datetime) -> datetime | None:
    """The first whole minute before `until` at which the consent's schedule opens or closes.

    Windows are written in whole minutes of the camera's zone, so the answer can only turn on
    a minute; the minutes up to the (short) deadline are tried one by one.
    """
    if not consent.schedule:
        return None
    tz = camera.tz
    inside = consent.in_schedule(now, tz)
    minute = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while minute < until:
        if consent.in_schedule(minute, tz) != inside:
            return minute
        minute += timedelta(minutes=1)
    return None
