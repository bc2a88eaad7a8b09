"""Deletion orders: the certificate's counts, bytes and manifest hashes match the files removed."""

import hashlib
import json
from datetime import UTC, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError

from agencies.audit import verify_chain
from agencies.models import AccessEvent
from cameras.footage.deletion_orders import do_carry_out_deletion_order
from cameras.footage.holds import do_place_evidence_hold
from cameras.footage.models import EvidenceHold
from cameras.relay.layout import live_dir, recordings_dir
from tests.orders.helpers import make_superuser, use_temporary_media, write_live_window, write_segment
from tests.personas import Personas

START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def manifest_line(kind: str, path) -> str:
    data = path.read_bytes()
    return f"{kind}/{path.name} {len(data)} {hashlib.sha256(data).hexdigest()}\n"


class DeletionOrderTests(Personas):
    def setUp(self):
        use_temporary_media(self)
        self.platform = make_superuser()
        self.recordings = {
            camera: [write_segment(camera, START + timedelta(seconds=10 * n), size=500 + n) for n in range(4)]
            for camera in (self.live_camera, self.street_camera)
        }
        self.live = {camera: write_live_window(camera) for camera in (self.live_camera, self.street_camera)}
        self.lakeview_segment = write_segment(self.lakeview_camera, START)

    def order(self, **extra):
        return do_carry_out_deletion_order(
            self.platform,
            self.riverside,
            order_reference="Council resolution 2026-41",
            reason="Footage of the protest on 20 November",
            **extra,
        )

    def test_certificate_counts_match_the_files_removed(self):
        files = [path for camera in self.recordings for path in self.recordings[camera] + self.live[camera]]
        expected_bytes = sum(path.stat().st_size for path in files)
        expected_lines = {
            camera.pk: sorted(
                [manifest_line("recordings", p) for p in self.recordings[camera]]
                + [manifest_line("live", p) for p in self.live[camera]]
            )
            for camera in self.recordings
        }
        line = self.order()
        certificate = line.detail
        self.assertFalse(any(path.exists() for path in files))
        self.assertTrue(self.lakeview_segment.exists(), "another agency's footage is not touched")
        self.assertEqual((certificate["files"], certificate["bytes"]), (len(files), expected_bytes))
        self.assertEqual(certificate["by_kind"]["recordings"]["files"], 8)
        self.assertEqual(certificate["by_kind"]["live"]["files"], 6)
        by_camera = {entry["camera"]: entry for entry in certificate["cameras"]}
        for camera_id, lines in expected_lines.items():
            self.assertEqual(by_camera[camera_id]["files"], len(lines))
            self.assertEqual(
                by_camera[camera_id]["manifest_sha256"], hashlib.sha256("".join(lines).encode()).hexdigest()
            )
        everything = sorted(f"{camera}/{text}" for camera, lines in expected_lines.items() for text in lines)
        self.assertEqual(
            certificate["manifest_sha256"], hashlib.sha256("".join(everything).encode()).hexdigest()
        )
        self.assertEqual(line.action, AccessEvent.Action.DELETION_ORDER)
        self.assertEqual((line.case_number, line.actor), ("Council resolution 2026-41", self.platform))
        self.assertTrue(verify_chain(self.riverside.pk).intact)

    def test_a_camera_order_deletes_that_camera_only_and_keeps_held_footage(self):
        do_place_evidence_hold(
            self.admin,
            self.live_camera,
            start=START + timedelta(seconds=10),
            end=START + timedelta(seconds=15),
            case_number="RPD-7",
            reason="Assault",
        )
        held = self.recordings[self.live_camera][1]
        certificate = self.order(camera=self.live_camera).detail
        self.assertTrue(held.exists())
        self.assertEqual(sorted(recordings_dir(self.live_camera.pk).iterdir()), [held])
        self.assertFalse(any(live_dir(self.live_camera.pk).iterdir()))
        self.assertTrue(all(path.exists() for path in self.recordings[self.street_camera]))
        self.assertEqual(certificate["files"], 3 + 3)
        self.assertEqual(
            certificate["kept_under_hold"],
            [
                {
                    "camera": self.live_camera.pk,
                    "hold": EvidenceHold.objects.get().pk,
                    "case_number": "RPD-7",
                    "files": 1,
                    "kinds": ["recordings"],
                }
            ],
        )

    def test_the_certificate_is_public_and_downloadable_as_json(self):
        line = self.order()
        response = self.client.get(f"/transparency/riverside-pd/deletion-orders/{line.sequence}.json")
        self.assertEqual(response.status_code, 200)
        document = json.loads(response.content)
        self.assertEqual(document["certificate"], line.detail)
        self.assertEqual(document["audit_line"]["digest"], line.digest)
        self.assertEqual(
            hashlib.sha256((line.previous_digest + document["audit_line"]["content"]).encode()).hexdigest(),
            line.digest,
        )
        page = self.client.get("/transparency/")
        self.assertContains(page, "order Council resolution 2026-41")
        self.assertContains(page, f"/transparency/riverside-pd/deletion-orders/{line.sequence}.json")
        report = self.client.get(f"/transparency/riverside-pd/report/{line.at.year}.json").json()
        self.assertEqual(
            [(order["sequence"], order["files"]) for order in report["orders"]["deletion_orders"]],
            [(line.sequence, line.detail["files"])],
        )
        self.client.force_login(self.platform)
        download = self.client.get(f"/admin/cameras/camera/deletion-order/{line.pk}.json")
        self.assertEqual(json.loads(download.content)["certificate"], line.detail)
        self.assertIn("attachment", download["Content-Disposition"])

    def test_only_a_superuser_orders_with_a_reference_and_a_reason(self):
        with self.assertRaises(PermissionDenied):
            do_carry_out_deletion_order(self.admin, self.riverside, order_reference="X", reason="Y")
        with self.assertRaises(ValidationError) as raised:
            do_carry_out_deletion_order(self.platform, self.riverside, order_reference=" ", reason="")
        self.assertEqual(sorted(raised.exception.message_dict), ["order_reference", "reason"])
        with self.assertRaises(ValidationError):
            self.order(camera=self.lakeview_camera)
        self.assertTrue(all(path.exists() for paths in self.recordings.values() for path in paths))
        self.client.force_login(self.admin)
        self.assertEqual(self.client.get("/admin/cameras/camera/deletion-order/").status_code, 403)

    def test_the_admin_form_carries_out_the_order(self):
        self.client.force_login(self.platform)
        self.assertEqual(self.client.get("/admin/cameras/camera/deletion-order/").status_code, 200)
        response = self.client.post(
            "/admin/cameras/camera/deletion-order/",
            {
                "agency": self.riverside.pk,
                "camera": self.street_camera.pk,
                "order_reference": "Court order 12",
                "reason": "Ordered",
                "confirm": "on",
            },
        )
        line = AccessEvent.objects.get(action=AccessEvent.Action.DELETION_ORDER)
        self.assertRedirects(
            response, f"/admin/cameras/camera/deletion-order/{line.pk}.json", fetch_redirect_response=False
        )
        self.assertEqual(line.detail["files"], 7)
        self.assertFalse(any(path.exists() for path in self.recordings[self.street_camera]))
