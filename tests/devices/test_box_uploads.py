"""Recordings kept on the box answer an approved footage request: the hub asks over the control
channel, the box uploads exactly the window, resumably, and the hub checks every SHA-256 before
the clip follows the hub's own export path and manifest."""

import hashlib
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from rest_framework.test import APIClient

from cameras.footage.models import FootageExport, FootageRequest
from cameras.models import Consent
from devices.control import orders_for
from devices.edge.recorder import SEGMENT_FORMAT, segments
from devices.models import BoxUpload, hash_token
from devices.uploads import do_request_box_uploads, segment_path
from rtcc.ffmpeg import find_ffmpeg
from tests.browser.processes import start_daphne, stop
from tests.devices.edge_processes import EdgeBox
from tests.relay_fleet.fleet import FleetTestCase, wait_for

pytestmark = pytest.mark.ffmpeg


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def recorded_segments(folder: Path, first: datetime, count: int) -> list[Path]:
    """`count` real 10 s H.264 segments named as a box names them, starting at `first`."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        path = folder / f"{(first + timedelta(seconds=10 * n)).strftime(SEGMENT_FORMAT)}.ts"
        subprocess.run(
            [find_ffmpeg().path, "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=5:duration=10",
             "-c:v", "libx264", "-preset", "ultrafast", "-g", "5", "-pix_fmt", "yuv420p", "-f", "mpegts", str(path)],
            check=True, timeout=60,
        )  # fmt: skip
        paths.append(path)
    return paths


class BoxUploadCase(FleetTestCase):
    def setUp(self):
        super().setUp()
        self.camera = self.add_camera("Rita's porch", level=Consent.Level.LIVE, relay_mode="on_demand")
        self.token = self.edge_box.issue_token()
        self.edge_box.save(update_fields=["token_hash", "token_issued_at", "token_rotation_requested_at"])
        temp = TemporaryDirectory()
        self.addCleanup(temp.cleanup)
        self.temp = Path(temp.name)
        media = override_settings(MEDIA_ROOT=self.temp / "media")
        media.enable()
        self.addCleanup(media.disable)

    def approved_request(self, start: datetime, end: datetime) -> FootageRequest:
        return FootageRequest.objects.create(
            agency=self.agency,
            requested_by=self.dispatcher,
            camera=self.camera,
            start=start,
            end=end,
            case_number="RPD-2026-114",
            reason="Porch theft",
            status=FootageRequest.Status.APPROVED,
        )


class ResumableUploadTests(BoxUploadCase):
    def box_api(self, token=None) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Device {token or self.token}")
        return client

    def test_a_window_is_uploaded_in_pieces_checked_by_sha256_and_cut_into_an_export(self):
        first = datetime(2026, 11, 24, 14, 0, 0, tzinfo=UTC)
        files = recorded_segments(self.temp / "box", first, 3)
        request = self.approved_request(first, first + timedelta(minutes=15))
        self.assertEqual(do_request_box_uploads(), 1)
        self.assertEqual(do_request_box_uploads(), 0)  # asked once
        upload = BoxUpload.objects.get(footage_request=request)
        orders = orders_for(self.edge_box.pk, hash_token(self.token))
        self.assertEqual([u["id"] for u in orders["uploads"]], [upload.pk])

        api, base = self.box_api(), f"/api/v1/devices/uploads/{upload.pk}"
        data = files[0].read_bytes()
        self.assertEqual(api.head(f"{base}/{files[0].name}")["Upload-Offset"], "0")
        answer = api.put(
            f"{base}/{files[0].name}",
            data[:1000],
            content_type="application/octet-stream",
            HTTP_UPLOAD_OFFSET="0",
        )
        self.assertEqual((answer.status_code, answer["Upload-Offset"]), (204, "1000"))
        # The connection broke; the box asks where to go on, and a chunk from elsewhere is refused.
        self.assertEqual(api.head(f"{base}/{files[0].name}")["Upload-Offset"], "1000")
        wrong = api.put(
            f"{base}/{files[0].name}",
            data[500:],
            content_type="application/octet-stream",
            HTTP_UPLOAD_OFFSET="500",
        )
        self.assertEqual((wrong.status_code, wrong["Upload-Offset"]), (409, "1000"))
        api.put(
            f"{base}/{files[0].name}",
            data[1000:],
            content_type="application/octet-stream",
            HTTP_UPLOAD_OFFSET="1000",
        )
        for path in files[1:]:
            api.put(
                f"{base}/{path.name}",
                path.read_bytes(),
                content_type="application/octet-stream",
                HTTP_UPLOAD_OFFSET="0",
            )

        listing = [{"name": p.name, "size": p.stat().st_size, "sha256": sha256(p)} for p in files]
        bad = [dict(listing[0], sha256="0" * 64), *listing[1:]]
        refused = api.post(f"{base}/complete/", {"files": bad}, format="json")
        self.assertEqual(refused.status_code, 400)
        self.assertIn(files[0].name, str(refused.json()))
        self.assertEqual(api.head(f"{base}/{files[0].name}")["Upload-Offset"], "0")  # to be sent again
        api.put(
            f"{base}/{files[0].name}", data, content_type="application/octet-stream", HTTP_UPLOAD_OFFSET="0"
        )
        done = api.post(f"{base}/complete/", {"files": listing}, format="json")
        self.assertEqual(done.status_code, 200, done.content)

        export = FootageExport.objects.get(request=request)
        self.assertEqual(done.json(), {"export": export.pk, "sha256": export.sha256})
        self.assertEqual(
            [(s["name"], s["sha256"]) for s in export.manifest["segments"]],
            [(p.name, sha256(p)) for p in files],
        )
        self.assertEqual(BoxUpload.objects.get(pk=upload.pk).status, BoxUpload.Status.COMPLETE)
        self.assertEqual(orders_for(self.edge_box.pk, hash_token(self.token))["uploads"], [])
        self.assertEqual(api.head(f"{base}/{files[0].name}").status_code, 400)  # nothing more is taken

    def test_another_box_a_bad_name_or_a_paused_box_is_refused(self):
        request = self.approved_request(
            datetime(2026, 11, 24, 14, tzinfo=UTC), datetime(2026, 11, 24, 14, 15, tzinfo=UTC)
        )
        do_request_box_uploads()
        base = f"/api/v1/devices/uploads/{BoxUpload.objects.get(footage_request=request).pk}"
        other = self.edge_box.__class__.objects.create(serial="EDGE-OTHER", agency=self.agency)
        other_token = other.issue_token()
        other.save()
        self.assertEqual(self.box_api(other_token).head(f"{base}/20261124T140000Z.ts").status_code, 403)
        bad = self.box_api().put(
            f"{base}/..%2Fsecret.ts", b"x", content_type="application/octet-stream", HTTP_UPLOAD_OFFSET="0"
        )
        self.assertIn(bad.status_code, (400, 404))
        self.edge_box.__class__.objects.filter(pk=self.edge_box.pk).update(
            paused_at=datetime.now(UTC), paused_from="box"
        )
        self.assertEqual(self.box_api().head(f"{base}/20261124T140000Z.ts").status_code, 403)


class RingBufferUploadTests(BoxUploadCase):
    def test_the_box_records_and_uploads_an_approved_window_with_matching_hashes(self):
        daphne, hub = start_daphne(self.temp / "daphne.log", {"MEDIA_ROOT": str(self.temp / "media")})
        self.addCleanup(stop, daphne)
        (self.temp / "state").mkdir()
        (self.temp / "state" / "device-token").write_text(self.token)
        box = EdgeBox(self.temp)
        self.addCleanup(box.stop)
        box.start("--hub", hub, "--camera", f"{self.camera.pk}=testsrc:")
        ring = box.state_dir / "recordings" / str(self.camera.pk)
        wait_for(lambda: len(segments(ring)) >= 2, 60, f"the box recorded no segments:\n{box.log()}")
        recorded = segments(ring)[:2]
        started = datetime.strptime(recorded[0].stem, SEGMENT_FORMAT).replace(tzinfo=UTC)
        request = self.approved_request(started, started + timedelta(seconds=19))
        do_request_box_uploads()
        export = wait_for(
            lambda: FootageExport.objects.filter(request=request).first(), 60, f"no export:\n{box.log()}"
        )
        self.assertEqual(
            [(s["name"], s["sha256"]) for s in export.manifest["segments"]],
            [(p.name, sha256(p)) for p in recorded],
        )
        self.assertEqual(export.manifest["clip"]["sha256"], sha256(self.temp / "media" / export.file_path))
        upload = BoxUpload.objects.get(footage_request=request)
        self.assertEqual(upload.status, BoxUpload.Status.COMPLETE)
        wait_for(
            lambda: upload.pk in box.status().get("uploads_done", []), 5, "the box does not know it is done"
        )


class UploadNameTests(BoxUploadCase):
    """A box sends only segments of the approved window, named as the hub names recordings."""

    def test_segments_outside_the_window_or_oddly_named_are_refused(self):
        start = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
        upload = BoxUpload(pk=1, start=start, end=start + timedelta(minutes=15))
        inside = (start + timedelta(minutes=5)).strftime(SEGMENT_FORMAT) + ".ts"
        self.assertTrue(str(segment_path(upload, inside)).endswith(inside))
        just_before = (start - timedelta(seconds=8)).strftime(SEGMENT_FORMAT) + ".ts"
        self.assertTrue(
            str(segment_path(upload, just_before)).endswith(just_before), "holds the first seconds"
        )
        for name in [
            (start - timedelta(hours=1)).strftime(SEGMENT_FORMAT) + ".ts",
            (start + timedelta(minutes=15)).strftime(SEGMENT_FORMAT) + ".ts",
            inside + "\n",
            "../" + inside,
            "20261324T100000Z.ts",
        ]:
            with self.subTest(name=name), self.assertRaises(ValidationError):
                segment_path(upload, name)
