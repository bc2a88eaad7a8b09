"""Recordings are kept for the agency's retention days, then deleted with a record of it.

Each sweep deletes, camera by camera, the segments that ended before the cut-off and
writes one audit line per camera saying what went: how many segments, their bytes, the
oldest and newest start times and a SHA-256 over their names and sizes, so that the
deletion itself can be shown later. Exported clips live apart and are not touched.
Segments an evidence hold in force overlaps are kept until the hold is released; the audit
line counts them.
"""

import hashlib
import logging
from datetime import datetime, timedelta

from django.utils import timezone

from agencies.models import AccessEvent, Agency
from agencies.services import do_record_access
from cameras.footage.clips import list_segments
from cameras.footage.holds import hold_on, holds_in_force
from cameras.models import Camera

logger = logging.getLogger(__name__)


def do_prune_recordings(now: datetime | None = None) -> int:
    """Delete every recording segment past its agency's retention; return how many went."""
    now = now or timezone.now()
    deleted = 0
    for agency in Agency.objects.only("pk", "retention_days"):
        cutoff = now - timedelta(days=agency.retention_days)
        cameras = list(Camera.objects.filter(agency=agency).only("pk", "name", "agency_id"))
        holds = holds_in_force([camera.pk for camera in cameras])
        for camera in cameras:
            deleted += prune_camera(camera, agency, cutoff, holds.get(camera.pk, []))
    return deleted


def prune_camera(camera: Camera, agency: Agency, cutoff: datetime, holds=()) -> int:
    past = [segment for segment in list_segments(camera.pk) if segment.end <= cutoff]
    expired = [segment for segment in past if hold_on(segment, holds) is None]
    kept = len(past) - len(expired)
    if not expired:
        return 0
    receipt = hashlib.sha256()
    total_bytes = 0
    gone = []
    for segment in expired:
        try:
            size = segment.path.stat().st_size
            segment.path.unlink()
        except FileNotFoundError:
            continue
        except OSError as error:
            logger.warning("camera %s: could not delete %s: %s", camera.pk, segment.path.name, error)
            continue
        receipt.update(f"{segment.path.name} {size}\n".encode())
        total_bytes += size
        gone.append(segment)
    if gone:
        do_record_access(
            None,
            AccessEvent.Action.DELETION,
            camera,
            agency=agency,
            detail={
                "what": "recordings past retention",
                "retention_days": agency.retention_days,
                "segments": len(gone),
                "bytes": total_bytes,
                "oldest_start": gone[0].start.isoformat(),
                "newest_start": gone[-1].start.isoformat(),
                "sha256_of_names_and_sizes": receipt.hexdigest(),
                "kept_under_hold": kept,
            },
        )
    return len(gone)
