"""Deletion orders: a superuser deletes an agency's or one camera's stored footage, with a certificate.

The certificate says what went, per camera and in all: how many files and bytes of
recordings, the live window (HLS segments and snapshot) and exported clips, and a SHA-256
over each camera's manifest (one line per file, `<kind>/<name> <bytes> <sha256>`, sorted),
so that whoever kept a copy of the files can show which ones the order erased. It is the
`detail` of one audit line (action `deletion_order`), so it sits in the hash chain, and it
is published at `/transparency/<agency>/deletion-orders/<sequence>.json`.

Recordings and clips an evidence hold in force covers are kept, and the certificate names
the hold: a deletion order does not destroy a case's evidence behind its back.
"""

import hashlib
import logging
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from agencies.models import AccessEvent, Agency
from agencies.services import do_record_access
from agencies.suspension import check_order
from cameras.footage.clips import list_segments, sha256_of
from cameras.footage.holds import hold_on, holds_in_force
from cameras.footage.models import FootageExport
from cameras.models import Camera
from cameras.relay.layout import live_dir, recordings_dir

logger = logging.getLogger(__name__)

KINDS = ("recordings", "live", "exports")


class Manifest:
    """The files one camera's order removed, and their hash lines."""

    def __init__(self):
        self.lines: list[str] = []
        self.bytes = {kind: 0 for kind in KINDS}
        self.files = {kind: 0 for kind in KINDS}

    def remove(self, kind: str, path: Path) -> bool:
        """Hash, then delete `path`; False when it was already gone or could not be deleted."""
        try:
            size, digest = path.stat().st_size, sha256_of(path)
            path.unlink()
        except FileNotFoundError:
            return False
        except OSError as error:
            logger.warning("deletion order: could not delete %s: %s", path, error)
            return False
        self.lines.append(f"{kind}/{path.name} {size} {digest}\n")
        self.files[kind] += 1
        self.bytes[kind] += size
        return True

    def digest(self) -> str:
        return hashlib.sha256("".join(sorted(self.lines)).encode()).hexdigest()


def erase_camera(camera: Camera, holds) -> tuple[Manifest, list[dict]]:
    """Delete the camera's stored footage but what `holds` keep; return the manifest and what was kept."""
    manifest = Manifest()
    kept: dict[int, dict] = {}

    def keep(hold, kind):
        entry = kept.setdefault(hold.pk, {"hold": hold.pk, "case_number": hold.case_number, "files": 0})
        entry["files"] += 1
        entry.setdefault("kinds", set()).add(kind)

    held_names = set()
    for segment in list_segments(camera.pk):
        hold = hold_on(segment, holds)
        if hold is not None:
            keep(hold, "recordings")
            held_names.add(segment.path.name)
    # Every other file of the folders goes, a segment still being written included.
    for kind, folder in (("recordings", recordings_dir(camera.pk)), ("live", live_dir(camera.pk))):
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.is_file() and not (kind == "recordings" and path.name in held_names):
                    manifest.remove(kind, path)
    exports = FootageExport.objects.filter(camera=camera, deleted_at__isnull=True).select_related("request")
    for export in exports:
        hold = next((h for h in holds if h.covers(export.request.start, export.request.end)), None)
        if hold is not None:
            keep(hold, "exports")
            continue
        removed = manifest.remove("exports", export.absolute_path)
        export.absolute_path.with_suffix(".json").unlink(missing_ok=True)
        if removed or not export.absolute_path.exists():
            FootageExport.objects.filter(pk=export.pk).update(deleted_at=timezone.now())
    return manifest, [{**entry, "kinds": sorted(entry["kinds"])} for entry in kept.values()]


def do_carry_out_deletion_order(
    actor, agency: Agency, *, order_reference: str, reason: str, camera: Camera | None = None, request=None
) -> AccessEvent:
    """Delete the stored footage of `camera`, or of every camera of `agency`; return the certificate line."""
    order_reference, reason = check_order(actor, order_reference=order_reference, reason=reason)
    if camera is not None and camera.agency_id != agency.pk:
        raise ValidationError({"camera": f"Camera {camera.pk} is not {agency.name}'s."})
    cameras = [camera] if camera is not None else list(Camera.objects.filter(agency=agency).order_by("pk"))
    holds = holds_in_force([c.pk for c in cameras])
    started_at = timezone.now()
    per_camera = []
    totals = {kind: {"files": 0, "bytes": 0} for kind in KINDS}
    all_lines = []
    kept = []
    for each in cameras:
        manifest, camera_kept = erase_camera(each, holds.get(each.pk, []))
        kept += [{"camera": each.pk, **entry} for entry in camera_kept]
        for kind in KINDS:
            totals[kind]["files"] += manifest.files[kind]
            totals[kind]["bytes"] += manifest.bytes[kind]
        if manifest.lines:
            all_lines += [f"{each.pk}/{line}" for line in manifest.lines]
            per_camera.append(
                {
                    "camera": each.pk,
                    "files": sum(manifest.files.values()),
                    "bytes": sum(manifest.bytes.values()),
                    "manifest_sha256": manifest.digest(),
                }
            )
    certificate = {
        "order": order_reference,
        "reason": reason,
        "scope": {"agency": agency.slug, "camera": camera.pk if camera is not None else None},
        "started_at": started_at.isoformat(),
        "finished_at": timezone.now().isoformat(),
        "files": sum(kind["files"] for kind in totals.values()),
        "bytes": sum(kind["bytes"] for kind in totals.values()),
        "by_kind": totals,
        "cameras": per_camera,
        "manifest_sha256": hashlib.sha256("".join(sorted(all_lines)).encode()).hexdigest(),
        "kept_under_hold": kept,
    }
    # The files are gone whatever happens next: the certificate records what was done.
    with transaction.atomic():
        return do_record_access(
            actor,
            AccessEvent.Action.DELETION_ORDER,
            camera if camera is not None else agency,
            agency=agency,
            purpose=reason[:300],
            case_number=order_reference[:64],
            request=request,
            detail=certificate,
        )


def certificates_of(agency: Agency):
    """The agency's deletion-order certificates, newest first."""
    return AccessEvent.objects.filter(agency=agency, action=AccessEvent.Action.DELETION_ORDER).order_by(
        "-at", "-pk"
    )


def certificate_document(line: AccessEvent) -> dict:
    """The certificate with the audit line that seals it, checkable against the published chain."""
    return {
        "certificate": line.detail,
        "audit_line": {
            "agency": line.agency.slug if line.agency else None,
            "sequence": line.sequence,
            "previous_digest": line.previous_digest,
            "digest": line.digest,
            "content": line.canonical_content(),
        },
    }
