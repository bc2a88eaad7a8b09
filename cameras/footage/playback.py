"""Playback of a camera's hub recordings on the wall: a timeline with its gaps, VOD playlists, exports.

A playback is a viewing session with its purpose, like a live view: the same rule decides
who may see the camera now (`check_grant` on every playlist and segment request), and
the session's audit line says what was looked at and why. Only what the agency still keeps
(its retention days) is offered. An agency camera's marked window is exported here as a
watermarked MP4 with a SHA-256 manifest; a private camera's goes to its owner as a footage
request instead (cameras/footage/services.py), since only the owner gives footage away.
"""

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from agencies.access import membership_of
from agencies.models import AccessEvent
from agencies.services import do_record_access
from cameras.consent import is_agency_camera
from cameras.footage.clips import (
    GAP_TOLERANCE,
    SEGMENT_NAME_FORMAT,
    cut_clip,
    exports_dir,
    ffmpeg_argv,
    list_segments,
    parse_stamp,
    run_ffmpeg,
    segments_covering,
    sha256_of,
)
from cameras.footage.models import RecordingExport
from cameras.footage.services import footage_staff_agency
from cameras.media.services import MediaRefused, check_grant
from cameras.media.signing import MediaGrant, read_token, sign_grant, url_lifetime
from cameras.relay.layout import recordings_dir
from cameras.viewing.services import check_purpose, do_open_viewing_session

SALT = "rtcc.media.playback"
# One playlist covers this much recording from the moment asked; the player asks for the next.
PLAYLIST_SPAN = timedelta(hours=1)
# As evidence products cap a clip (Genetec: one hour); longer needs several exports.
MAX_EXPORT = timedelta(hours=1)
MIN_EXPORT = timedelta(seconds=1)
# Fonts the watermark looks for, in order; without one, fontconfig's default face is used.
FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
)


def stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime(SEGMENT_NAME_FORMAT)


def kept_since(camera, now=None) -> datetime:
    """The oldest moment the camera's agency still keeps recordings of."""
    return (now or timezone.now()) - timedelta(days=camera.agency.retention_days)


def kept_segments(camera, now=None):
    since = kept_since(camera, now)
    return [segment for segment in list_segments(camera.pk) if segment.end > since]


def recorded_spans(segments) -> list[dict]:
    """The stretches the recording covers, merged across gaps shorter than GAP_TOLERANCE: the timeline."""
    spans = []
    for segment in segments:
        if spans and segment.start - spans[-1][1] <= GAP_TOLERANCE:
            spans[-1][1] = max(spans[-1][1], segment.end)
        else:
            spans.append([segment.start, segment.end])
    return [{"start": start.isoformat(), "end": end.isoformat()} for start, end in spans]


# ---------- signed playback links ----------


def playback_url(grant: MediaGrant, start: datetime) -> tuple[str, datetime]:
    """(playlist URL of the recording from `start`, expiry) carrying `grant`."""
    start = min(start, timezone.now())
    token = sign_grant(grant, SALT)
    url = reverse(
        "media-playback",
        kwargs={"camera_id": grant.camera_id, "token": token, "name": stamp(start), "ext": "m3u8"},
    )
    return url, timezone.now() + url_lifetime()


def check_playback_media(token: str, camera_id: int, request_user=None) -> MediaGrant:
    """The grant if this playback link may still be served: the checks of live media, every request."""
    grant = read_token(token, camera_id, SALT)
    if grant is None:
        raise MediaRefused(403, "This playback link is invalid or has expired; open playback again.")
    # The same rule as a live link: role, consent now, the session still open, the same user.
    return check_grant(grant, camera_id, request_user, scope="recorded")


def grant_of_playback_url(user, camera_id: int, url: str) -> tuple[MediaGrant, datetime]:
    """The grant of the caller's own playlist link, checked again, and where it starts: for a renewal."""
    try:
        match = resolve(url.split("?", 1)[0])
    except (Resolver404, ValueError):
        match = None
    if match is None or match.url_name != "media-playback" or int(match.kwargs["camera_id"]) != camera_id:
        raise MediaRefused(400, "This is not a playback link of this camera.")
    start = parse_stamp(match.kwargs["name"])
    if match.kwargs.get("ext") != "m3u8" or start is None:
        raise MediaRefused(400, "This is not a playlist link: renew the playlist, not a segment.")
    return check_playback_media(match.kwargs["token"], camera_id, user), start


# ---------- opening playback ----------


@dataclass(frozen=True)
class Playback:
    session_id: int | None
    grant: MediaGrant
    kept_since: datetime
    spans: list[dict]


def do_open_playback(user, camera, *, purpose: str, incident_id=None, case_number: str = "", request=None):
    """Open the caller's playback of `camera` under a purpose: a viewing session, audited as playback.

    The session opens as a live view's does, so a refusal (no live consent now, a suspended
    agency) is audited and raised the same way: PermissionDenied, or ValidationError for the purpose.
    """
    session = do_open_viewing_session(
        user,
        camera,
        purpose=purpose,
        incident_id=incident_id,
        case_number=case_number,
        request=request,
        scope="recorded",
    )
    why = check_purpose(user, purpose=purpose, incident_id=incident_id, case_number=case_number)
    now = timezone.now()
    segments = kept_segments(camera, now)
    # The session may be a live view's, joined; this line says a look into the past began.
    why.audit(
        user,
        AccessEvent.Action.VIEW_START,
        camera,
        membership_of(user).agency,
        request=request,
        detail={"session": session.pk if session else None, "playback": True},
    )
    return Playback(
        session_id=session.pk if session else None,
        grant=MediaGrant(camera.pk, user.pk, session.pk if session else None),
        kept_since=kept_since(camera, now),
        spans=recorded_spans(segments),
    )


# ---------- what the media endpoints serve ----------


def vod_playlist(camera, start: datetime, now=None) -> str:
    """An HLS VOD playlist of the kept recording from `start` for PLAYLIST_SPAN, a discontinuity at each gap."""
    start = min(start, now or timezone.now())  # nothing is recorded ahead, and year 9999 + 1 h overflows
    since = max(start, kept_since(camera, now))
    until = start + PLAYLIST_SPAN
    segments = segments_covering(camera.pk, since, until)
    longest = max((int((s.end - s.start).total_seconds() + 0.999) for s in segments), default=10)
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        f"#EXT-X-TARGETDURATION:{max(1, longest)}",
        "#EXT-X-MEDIA-SEQUENCE:0",
    ]
    previous_end = None
    for segment in segments:
        if previous_end is not None and segment.start - previous_end > GAP_TOLERANCE:
            lines.append("#EXT-X-DISCONTINUITY")
        # Every segment carries its wall-clock start, so the player's time is the recording's.
        lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{segment.start.isoformat(timespec='milliseconds')}")
        lines.append(f"#EXTINF:{(segment.end - segment.start).total_seconds():.3f},")
        lines.append(segment.path.name)
        previous_end = segment.end
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def kept_segment_path(camera, name: str, now=None) -> Path | None:
    """The recording segment `name` if the agency still keeps it; None otherwise."""
    start = parse_stamp(name)
    # A segment that began just before the cut-off still holds kept moments (retention deletes whole ones).
    if start is None or start + timedelta(seconds=60) < kept_since(camera, now):
        return None
    path = recordings_dir(camera.pk) / f"{name}.ts"
    return path if path.is_file() else None


# ---------- exports of an agency camera ----------


def check_export_window(camera, start, end, now=None) -> None:
    now = now or timezone.now()
    if start is None or end is None or not (MIN_EXPORT <= end - start <= MAX_EXPORT):
        raise ValidationError({"end": "Mark an out point after the in point, at most an hour later."})
    if end > now:
        raise ValidationError({"end": "Only what was recorded can be exported: mark a past moment."})
    if start < kept_since(camera, now):
        raise ValidationError(
            {"start": f"Recordings are kept {camera.agency.retention_days} days; this is older."}
        )


def watermark_lines(agency, user, case_number: str, when: datetime) -> str:
    return (
        f"{agency.name} · {user.get_username()} · case {case_number}\n"
        f"exported {when.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
    )


def burn_watermark(source: Path, offset: float, duration: float, text: str, folder: Path) -> Path:
    """Re-encode the marked part of `source` with `text` drawn on every frame; a temporary MP4.

    The text goes through a file with expansion off: a case number is typed by a person,
    and drawtext would otherwise read `%{...}` and escapes in it.
    """
    descriptor, output = tempfile.mkstemp(prefix=".export-", suffix=".mp4", dir=folder)
    os.close(descriptor)
    output = Path(output)
    text_file = output.with_suffix(".txt")
    try:
        text_file.write_text(text)
    except BaseException:
        output.unlink(missing_ok=True)
        text_file.unlink(missing_ok=True)
        raise
    font = next((path for path in FONT_FILES if Path(path).is_file()), None)
    options = [
        f"textfile={text_file}",
        "expansion=none",
        "fontcolor=white",
        "fontsize=max(14\\,h/30)",
        "box=1",
        "boxcolor=black@0.55",
        "boxborderw=6",
        "x=10",
        "y=h-th-10",
    ]
    if font:
        options.insert(0, f"fontfile={font}")
    argv = ffmpeg_argv(
        "-ss",
        f"{offset:.3f}",
        "-i",
        str(source),
        "-t",
        f"{duration:.3f}",
        "-map",
        "0:v:0",
        "-vf",
        "drawtext=" + ":".join(options),
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "23",
        "-pix_fmt",
        "yuv420p",
        "-movflags",
        "+faststart",
        str(output),
    )
    run_ffmpeg(argv, output, "watermark the clip", inputs_to_remove=(text_file,))
    return output


def do_export_recording(
    user, camera, *, start, end, case_number: str, reason: str, incident_id=None, request=None
) -> RecordingExport:
    """Cut [start, end) of an agency camera's recording, watermark it, store it with its manifest, audit it."""
    agency = footage_staff_agency(user, "Only agency staff who work with video export footage.")
    if not is_agency_camera(camera) or camera.agency_id != agency.pk:
        raise PermissionDenied(
            "Only your agency's own cameras are exported here; ask a private camera's owner."
        )
    if not (case_number or "").strip():
        raise ValidationError({"case_number": "An export needs a case number."})
    why = check_purpose(user, purpose=reason, incident_id=incident_id, case_number=case_number)
    check_export_window(camera, start, end)
    clip = cut_clip(camera.pk, start, end)  # raises ClipError when nothing covers the window
    folder = exports_dir(camera.pk)
    now = timezone.now()
    try:
        marked_from = max(start, clip.covers[0])
        marked_to = min(end, clip.covers[1])
        text = watermark_lines(agency, user, why.case_number, now)
        offset = (marked_from - clip.covers[0]).total_seconds()
        duration = (marked_to - marked_from).total_seconds()
        watermarked = burn_watermark(clip.path, offset, duration, text, folder)
    except BaseException:
        clip.path.unlink(missing_ok=True)
        raise
    placed = []
    try:
        with transaction.atomic():
            window = {
                "start": marked_from,
                "end": marked_to,
                "case_number": why.case_number,
                "reason": why.text,
            }
            files = {"file_path": "", "sha256": "", "size": 0, "manifest": {}}  # set below, once in place
            export = RecordingExport.objects.create(
                agency=agency, camera=camera, exported_by=user, **window, **files
            )
            final = folder / f"export-{export.pk}.mp4"
            original = folder / f"export-{export.pk}-original.mp4"
            os.replace(watermarked, final)
            placed.append(final)
            os.replace(clip.path, original)
            placed.append(original)
            manifest = export_manifest(export, clip, final, original, text, now)
            final.with_suffix(".json").write_text(json.dumps(manifest, indent=2))
            placed.append(final.with_suffix(".json"))
            export.file_path = str(final.relative_to(settings.MEDIA_ROOT))
            export.sha256 = manifest["clip"]["sha256"]
            export.size = manifest["clip"]["size"]
            export.manifest = manifest
            export.save(update_fields=["file_path", "sha256", "size", "manifest"])
            why.audit(
                user,
                AccessEvent.Action.EXPORT,
                camera,
                agency,
                request=request,
                detail={
                    "recording_export": export.pk,
                    "start": marked_from.isoformat(),
                    "end": marked_to.isoformat(),
                    "sha256": export.sha256,
                },
            )
    except BaseException:
        watermarked.unlink(missing_ok=True)
        clip.path.unlink(missing_ok=True)
        for path in placed:
            path.unlink(missing_ok=True)
        raise
    return export


def export_manifest(export, clip, final: Path, original: Path, text: str, now) -> dict:
    camera = export.camera
    return {
        "format": "openrtcc-recording-export/1",
        "export": export.pk,
        "case_number": export.case_number,
        "reason": export.reason,
        "agency": export.agency.slug,
        "exported_by": export.exported_by.get_username(),
        "camera": {"id": camera.pk, "uuid": str(camera.uuid), "name": camera.name},
        "window": {"start": export.start.isoformat(), "end": export.end.isoformat()},
        "gaps": clip.gaps,
        "segments": clip.segments,
        "clip": {
            "name": final.name,
            "sha256": sha256_of(final),
            "size": final.stat().st_size,
            "container": "mp4",
            "watermark": text,
        },
        "original": {
            "name": original.name,
            "sha256": clip.sha256,
            "size": clip.size,
            "method": "ffmpeg concat demuxer, stream copy (-c copy): whole segments, no re-encoding",
        },
        "method": "the original trimmed to the marks and re-encoded (libx264) with the watermark drawn in",
        "created_at": now.isoformat(),
    }


def do_record_export_fetched(user, export: RecordingExport, *, request=None) -> None:
    """Every download of an export is a line of its own: who took a copy of the evidence, when."""
    detail = {"recording_export": export.pk, "fetched": True, "sha256": export.sha256}
    case = {"agency": export.agency, "case_number": export.case_number}
    do_record_access(user, AccessEvent.Action.EXPORT, export.camera, **case, request=request, detail=detail)
