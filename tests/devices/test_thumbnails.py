"""Idle cameras' thumbnails: `rtcc-edge run` as a real process makes one with ffmpeg from its camera and
sends it over the control channel when the hub asks; the hub checks it, keeps it, and serves it as
the camera's snapshot only to those who may see that snapshot."""

import base64
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from cameras.media.thumbnails import THUMBNAIL_MAX_BYTES, thumbnail_key
from cameras.models import Camera, Consent, PrivacyMask
from cameras.relay.status import IDLE_REASON, do_set_camera_status
from cameras.relay.wake import redis_client
from cameras.services import do_revoke_consent
from devices.control import ControlMessageRefused, do_record_box_message, orders_for
from devices.edge import thumbnail as edge_thumbnail
from devices.edge.thumbnail import Thumbnails
from devices.models import Device
from tests.browser.processes import start_daphne, stop
from tests.devices.edge_processes import EdgeBox
from tests.devices.test_device_socket import box_socket
from tests.personas import SignedInClient
from tests.relay_fleet.fleet import FleetTestCase, open_session, wait_for

pytestmark = pytest.mark.ffmpeg

CODE = "Q7Z4-PL2M"


def signed_in(user) -> SignedInClient:
    client = SignedInClient()
    client.force_login(user)
    return client


class IdleThumbnailTests(FleetTestCase):
    def setUp(self):
        super().setUp()
        self.edge_box.set_claim_code(CODE)
        self.edge_box.save(update_fields=["claim_code_hash"])
        self.camera = self.add_camera("Rita's porch", level=Consent.Level.LIVE, relay_mode="on_demand")
        self.forget_thumbnail(self.camera)
        # May be seen, the box online, nobody watching (what a relay node marks when demand ends).
        do_set_camera_status(self.camera.pk, Camera.Status.IDLE, IDLE_REASON)

    def start_box(self) -> EdgeBox:
        """A live hub (daphne) and `rtcc-edge run` with a camera ffmpeg makes up, enrolled on its own."""
        temp = TemporaryDirectory()
        self.addCleanup(temp.cleanup)
        box = EdgeBox(Path(temp.name))
        self.addCleanup(box.stop)
        daphne, hub = start_daphne(Path(temp.name) / "daphne.log")
        self.addCleanup(lambda: stop(daphne))
        box.start(
            *("--hub", hub, "--serial", "EDGE-FLEET", "--claim-code", CODE),
            *("--camera", f"{self.camera.pk}=testsrc:640x480", "--no-record", "--interval", "2"),
        )
        return box

    def forget_thumbnail(self, camera):
        keys = [thumbnail_key(camera.pk), thumbnail_key(camera.pk, "recent")]
        redis_client().delete(*keys)
        self.addCleanup(redis_client().delete, *keys)

    def version(self) -> int:
        return Camera.objects.values_list("snapshot_version", flat=True).get(pk=self.camera.pk)

    def token_hash(self) -> str:
        """The box's token (its hash), as an enrolled agent holds it."""
        token_hash = Device.objects.values_list("token_hash", flat=True).get(pk=self.edge_box.pk)
        if token_hash is None:  # no agent enrolled it: give it a token
            self.edge_box.issue_token()
            self.edge_box.save(update_fields=["token_hash", "token_issued_at", "token_rotation_requested_at"])
            token_hash = self.edge_box.token_hash
        return token_hash

    def box_message(self, content):
        """A message on the box's channel, as the consumer hands it over."""
        return do_record_box_message(self.edge_box.pk, self.token_hash(), content)

    def test_the_box_sends_an_idle_cameras_thumbnail_once_a_minute_and_the_hub_serves_it_only_to_who_may_see_it(
        self,
    ):
        url = f"/media/snapshot/{self.camera.pk}.jpg"
        session = open_session(self.dispatcher, self.agency, self.camera, "burglary", "RPD-1")
        self.assertEqual(
            signed_in(self.dispatcher).get(url).status_code, 404, "no picture before the box sent one"
        )
        before = self.version()

        box = self.start_box()
        wait_for(lambda: self.version() > before, 40, f"no thumbnail arrived:\n{box.log()}")

        response = signed_in(self.dispatcher).get(url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "image/jpeg")
        self.assertEqual(response["Cache-Control"], "private, no-store")
        picture = b"".join(response.streaming_content) if response.streaming else response.content
        self.assertTrue(picture.startswith(b"\xff\xd8\xff"))
        self.assertLessEqual(len(picture), THUMBNAIL_MAX_BYTES)

        self.assertEqual(signed_in(self.outsider).get(url).status_code, 404, "another agency's user")
        session.ended_at = session.started_at
        session.save(update_fields=["ended_at"])
        self.assertEqual(
            signed_in(self.dispatcher).get(url).status_code, 403, "a private camera needs a purpose"
        )
        self.assertEqual(Client().get(url).status_code, 403, "nobody signed in")

        # Three more heartbeats, each answered with orders that still ask: still one thumbnail.
        sent = self.version()
        time.sleep(6)
        self.assertEqual(box.status().get("thumbnails_sent"), 1)
        self.assertEqual(self.version(), sent)

        # The hub holds the box to once a minute too, whatever the box sends.
        with self.assertLogs("devices.thumbnails", "WARNING") as logs:
            with self.assertRaisesMessage(ControlMessageRefused, "At most one thumbnail a minute"):
                self.box_message(
                    {
                        "type": "thumbnail",
                        "camera": self.camera.pk,
                        "jpeg": base64.b64encode(picture).decode(),
                    }
                )
        self.assertIn(f"thumbnail of camera '{self.camera.pk}' refused", logs.output[0])
        self.assertEqual(self.version(), sent)

    def test_the_hub_refuses_an_oversized_or_non_jpeg_thumbnail_and_one_it_did_not_ask_for(self):
        self.assertEqual(orders_for(self.edge_box.pk, self.token_hash())["thumbnails"], [self.camera.pk])
        hostile = [
            ("at most", b"\xff\xd8\xff\xe0" + b"\x00\x01" * THUMBNAIL_MAX_BYTES + b"\xff\xd9"),
            ("must be a JPEG", b"GIF89a\x01\x00\x01\x00" + b"\x00" * 40),
            ("must be a JPEG", b"<script>alert(1)</script>"),
        ]
        cases = [
            ({"camera": self.camera.pk, "jpeg": base64.b64encode(data).decode()}, reason)
            for reason, data in hostile
        ] + [
            ({"camera": self.camera.pk, "jpeg": "not base64 at all!"}, "not valid base64"),
            ({"camera": "7", "jpeg": ""}, "Send {"),
            (
                {"camera": self.street_camera_id(), "jpeg": base64.b64encode(b"\xff\xd8\xff\xd9").decode()},
                "did not ask",
            ),
        ]
        for fields, reason in cases:
            with self.subTest(reason=reason), self.assertLogs("devices.thumbnails", "WARNING") as logs:
                with self.assertRaises(ControlMessageRefused) as refused:
                    self.box_message({"type": "thumbnail", **fields})
                self.assertIn("refused", logs.output[0])
                self.assertIn("Thumbnail refused", refused.exception.detail)
                self.assertIn(reason, refused.exception.detail)
        self.assertIsNone(redis_client().get(thumbnail_key(self.camera.pk)), "nothing was kept")

    def test_a_masked_camera_is_never_asked_nor_its_picture_served(self):
        jpeg = base64.b64encode(b"\xff\xd8\xff" + b"\x00" * 64 + b"\xff\xd9").decode()
        self.box_message({"type": "thumbnail", "camera": self.camera.pk, "jpeg": jpeg})
        viewer = signed_in(self.dispatcher)
        open_session(self.dispatcher, self.agency, self.camera, "porch theft", "RPD-9")
        self.assertEqual(viewer.get(f"/media/snapshot/{self.camera.pk}.jpg").status_code, 200)
        # The box's picture is not masked; only the relay burns masks in.
        PrivacyMask.objects.create(
            camera=self.camera, label="neighbour's window", x=0, y=0, width=0.5, height=0.5
        )
        self.assertEqual(orders_for(self.edge_box.pk, self.token_hash())["thumbnails"], [])
        self.assertEqual(viewer.get(f"/media/snapshot/{self.camera.pk}.jpg").status_code, 404)

    async def test_a_thumbnail_on_the_channel_is_kept_and_not_answered_with_orders(self):
        # Orders answer heartbeats; a thumbnail changes none, so it costs no orders (passphrases
        # read again) per idle camera per minute.
        def issue_token():
            token = self.edge_box.issue_token()
            self.edge_box.save(update_fields=["token_hash", "token_issued_at", "token_rotation_requested_at"])
            return token

        socket = box_socket(await sync_to_async(issue_token)())
        connected, _ = await socket.connect(timeout=10)
        self.assertTrue(connected)
        orders = await socket.receive_json_from(timeout=10)
        self.assertEqual(orders["thumbnails"], [self.camera.pk])
        jpeg = base64.b64encode(b"\xff\xd8\xff" + b"\x00" * 64 + b"\xff\xd9").decode()
        await socket.send_json_to({"type": "thumbnail", "camera": self.camera.pk, "jpeg": jpeg})
        self.assertTrue(await socket.receive_nothing(timeout=1))
        self.assertIsNotNone(await sync_to_async(redis_client().get)(thumbnail_key(self.camera.pk)))
        await socket.disconnect()

    def test_a_consent_saved_drops_the_thumbnail_taken_under_the_one_before(self):
        jpeg = base64.b64encode(b"\xff\xd8\xff" + b"\x00" * 64 + b"\xff\xd9").decode()
        self.box_message({"type": "thumbnail", "camera": self.camera.pk, "jpeg": jpeg})
        self.assertIsNotNone(redis_client().get(thumbnail_key(self.camera.pk)))
        do_revoke_consent(self.resident, self.camera)
        self.assertIsNone(redis_client().get(thumbnail_key(self.camera.pk)))
        self.assertIsNone(redis_client().get(thumbnail_key(self.camera.pk, "recent")))

    def street_camera_id(self) -> int:
        """A camera of the same box that is relayed now, not idle: no thumbnail is asked of it."""
        camera = self.add_camera("Garage", level=Consent.Level.LIVE, relay_mode="on_demand")
        do_set_camera_status(camera.pk, Camera.Status.LIVE, "")
        return camera.pk


def test_the_box_sends_a_listed_camera_at_once_then_once_a_minute_and_an_unlisted_one_never():
    thumbnails = Thumbnails()
    thumbnails.asked([7])
    assert thumbnails.due(now=1000.0) == [7], "at once when first asked"
    thumbnails.sent_at[7] = 1000.0
    assert thumbnails.due(now=1059.0) == []
    assert thumbnails.due(now=1060.0) == [7], "again a minute later while still asked"
    thumbnails.asked([])
    assert thumbnails.due(now=1100.0) == [], "never for a camera the hub no longer lists"
    thumbnails.asked([7, 8])
    assert thumbnails.due(now=1101.0) == [7, 8], "at once when asked again"


def test_the_box_and_the_hub_agree_on_the_size_limit():
    assert edge_thumbnail.MAX_BYTES == THUMBNAIL_MAX_BYTES  # two distributions: the number is written twice


def test_the_box_stops_taking_pictures_once_its_owner_pauses_it(monkeypatch):
    taken, sent = [], []
    monkeypatch.setattr(edge_thumbnail, "make_thumbnail", lambda source: taken.append(source) or b"jpeg")
    paused = {"now": False}

    def send(message):
        sent.append(message["camera"])
        paused["now"] = True  # the owner flips the switch after the first picture left

    thumbnails = Thumbnails()
    thumbnails.asked([7, 8])
    thumbnails.send_due({7: "a", 8: "b"}, send, lambda: paused["now"])
    thumbnails.worker.join(5)
    assert sent == [7] and taken == ["a"], "no picture taken or sent after the pause"
