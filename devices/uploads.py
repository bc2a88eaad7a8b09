"""Recordings kept on the box: uploading exactly an approved window, resumably, with a SHA-256 per file.

A camera whose video is not recorded at the hub (an on-demand camera behind a box) answers an
approved footage request from the box's own ring buffer. The hub asks for the window in the
box's orders (`uploads`, until the upload is complete, so a box that was offline or restarted
picks it up again); the box sends each recording segment that overlaps the window with
`PUT .../uploads/<id>/<segment name>` and `Upload-Offset: <bytes already received>` (it learns
that number from `HEAD`), so an interrupted upload goes on where it stopped; then `POST
.../complete/` with every file's size and SHA-256. The hub checks each file against the bytes it
received, puts the segments beside the camera's recordings, and the clip follows the hub's
own export path: cut by stream copy, SHA-256 manifest (`cameras.footage`).
"""

import os
import re
import shutil
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from cameras.footage.clips import ClipError, cut_clip, exports_dir, segment_start, sha256_of
from cameras.footage.models import FootageExport, FootageRequest
from cameras.footage.services import record_export
from cameras.relay.boxes import tell_box
from cameras.relay.layout import recordings_dir
from devices.models import BoxUpload, Device
from devices.states import record_device_change

SEGMENT_NAME = re.compile(r"\d{8}T\d{6}Z\.ts")  # as the hub's own recordings are named
# A segment that began before the window may hold its first seconds (segments are ~10 s).
SEGMENT_SLACK = timedelta(seconds=15)
MAX_FILES = 12 * 360  # 12 h of 10 s segments: the longest window a request may ask for
MAX_FILE_BYTES = 512 * 1024 * 1024
MAX_CHUNK_BYTES = 8 * 1024 * 1024


class OffsetMismatch(ValidationError):
    """The box sent from another offset than the hub has; the answer says where to go on."""

    def __init__(self, received: int):
        super().__init__(f"This file has {received} bytes here; send from Upload-Offset {received}.")
        self.received = received


def staging_dir(upload: BoxUpload) -> Path:
    return Path(settings.MEDIA_ROOT) / "box-uploads" / str(upload.pk)


def do_request_box_uploads() -> int:
    """Ask the boxes for every approved request on a box camera that has no clip yet; idempotent."""
    pending = (
        FootageRequest.objects.filter(
            status=FootageRequest.Status.APPROVED, camera__device__isnull=False, box_upload__isnull=True
        )
        .exclude(Exists(FootageExport.objects.filter(request=OuterRef("pk"))))
        .select_related("camera")
    )
    created, told = 0, set()
    for footage_request in pending:
        with transaction.atomic():
            upload, new = BoxUpload.objects.get_or_create(
                footage_request=footage_request,
                defaults={
                    "device_id": footage_request.camera.device_id,
                    "camera": footage_request.camera,
                    "start": footage_request.start,
                    "end": footage_request.end,
                },
            )
            if new:
                created += 1
                told.add(upload.device_id)
    for device_id in sorted(told):  # once per box, however many windows it is asked for
        tell_box(device_id)
    return created


def open_uploads(device: Device) -> list[dict]:
    """The windows the box is to upload now (none while its owner paused it)."""
    if device.paused_at is not None:
        return []
    return [
        {
            "id": upload.pk,
            "camera": upload.camera_id,
            "start": upload.start.isoformat(),
            "end": upload.end.isoformat(),
        }
        for upload in device.uploads.filter(status=BoxUpload.Status.REQUESTED).order_by("pk")
    ]


def upload_of(device: Device, upload_id: int) -> BoxUpload:
    upload = BoxUpload.objects.filter(pk=upload_id, device=device).first()
    if upload is None:
        raise PermissionDenied("This box was asked for no such upload.")
    if upload.status != BoxUpload.Status.REQUESTED:
        raise ValidationError(f"This upload is {upload.get_status_display().lower()}; nothing more is taken.")
    if device.paused_at is not None:
        raise PermissionDenied("The box is paused by its owner.")
    return upload


def segment_path(upload: BoxUpload, name: str) -> Path:
    """Where an uploaded segment waits: only a segment of the approved window is taken."""
    if not SEGMENT_NAME.fullmatch(name):
        raise ValidationError("Name a recording segment as <YYYYmmddTHHMMSSZ>.ts.")
    start = segment_start(Path(name))
    if start is None or not (upload.start - SEGMENT_SLACK <= start < upload.end):
        raise ValidationError("This segment is outside the approved window; send only what was asked for.")
    return staging_dir(upload) / name


def received_bytes(device: Device, upload_id: int, name: str) -> int:
    path = segment_path(upload_of(device, upload_id), name)
    return path.stat().st_size if path.exists() else 0


def do_receive_chunk(device: Device, upload_id: int, name: str, offset: int, data: bytes) -> int:
    """Append `data` at `offset` of the file; the bytes received so far."""
    upload = upload_of(device, upload_id)
    path = segment_path(upload, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    received = path.stat().st_size if path.exists() else 0
    if offset != received:
        raise OffsetMismatch(received)
    if len(data) > MAX_CHUNK_BYTES or received + len(data) > MAX_FILE_BYTES:
        raise ValidationError(f"Send at most {MAX_CHUNK_BYTES} bytes a request and {MAX_FILE_BYTES} a file.")
    if not path.exists() and len(list(path.parent.iterdir())) >= MAX_FILES:
        raise ValidationError(f"At most {MAX_FILES} files an upload.")
    with path.open("ab") as handle:
        handle.write(data)
    return received + len(data)


def check_files(upload: BoxUpload, files: list[dict]) -> list[Path]:
    """Every file the box lists, received whole and matching its SHA-256; a bad one is deleted to resend."""
    if not files:
        raise ValidationError({"files": "List the files sent."})
    paths, wrong = [], []
    for entry in files:
        path = segment_path(upload, entry["name"])
        size = path.stat().st_size if path.exists() else -1
        if size != entry["size"] or sha256_of(path) != entry["sha256"]:
            path.unlink(missing_ok=True)
            wrong.append(entry["name"])
        paths.append(path)
    if wrong:
        raise ValidationError(
            {"files": f"Not received whole or not matching its SHA-256, send again: {', '.join(wrong[:10])}."}
        )
    return paths


def do_complete_upload(device: Device, upload_id: int, files: list[dict]) -> FootageExport | None:
    """Verify the files, file them with the camera's recordings and cut the clip with its manifest."""
    upload = upload_of(device, upload_id)
    paths = check_files(upload, files)
    recordings = recordings_dir(upload.camera_id)
    recordings.mkdir(parents=True, exist_ok=True)
    for path in paths:
        if not (recordings / path.name).exists():
            os.replace(path, recordings / path.name)
    footage_request = upload.footage_request
    try:
        clip = cut_clip(upload.camera_id, upload.start, upload.end)
    except ClipError as error:
        BoxUpload.objects.filter(pk=upload.pk).update(
            status=BoxUpload.Status.FAILED, note=str(error)[:300], files=files
        )
        return None
    final_path = exports_dir(upload.camera_id) / f"request-{footage_request.pk}.mp4"
    try:
        with transaction.atomic():
            done = BoxUpload.objects.filter(pk=upload.pk, status=BoxUpload.Status.REQUESTED).update(
                status=BoxUpload.Status.COMPLETE, files=files, completed_at=timezone.now()
            )
            if not done:
                raise ValidationError("This upload was completed already.")
            os.replace(clip.path, final_path)
            export = record_export(footage_request.camera.owner, footage_request, clip, final_path)
            record_device_change(None, device, "box_upload_complete", upload=upload.pk, files=len(files))
    except BaseException:
        clip.path.unlink(missing_ok=True)
        raise
    shutil.rmtree(staging_dir(upload), ignore_errors=True)
    return export
