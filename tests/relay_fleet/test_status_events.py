"""Relay status reaches the agency's walls through the real channel layer, once per change."""

from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone

from cameras.events import agency_group
from cameras.models import Camera
from cameras.relay.status import do_set_camera_status, record_frames, record_frames_of, send_events
from tests.personas import Personas


class StatusEventTests(Personas):
    def setUp(self):
        self.layer = get_channel_layer()
        self.channel = async_to_sync(self.layer.new_channel)()
        async_to_sync(self.layer.group_add)(agency_group(self.riverside.pk), self.channel)
        self.addCleanup(
            async_to_sync(self.layer.group_discard), agency_group(self.riverside.pk), self.channel
        )

    def receive(self) -> dict:
        return async_to_sync(self.layer.receive)(self.channel)

    def test_status_change_is_stored_and_sent_after_commit_once(self):
        with self.captureOnCommitCallbacks(execute=True) as callbacks:
            self.assertTrue(do_set_camera_status(self.live_camera.pk, "stalled", "No video for over 5 s."))
        self.assertEqual(len(callbacks), 1)
        event = self.receive()
        self.assertEqual(event["type"], "camera.status")
        self.assertEqual(event["camera_id"], self.live_camera.pk)
        self.assertEqual((event["status"], event["status_reason"]), ("stalled", "No video for over 5 s."))
        camera = Camera.objects.get(pk=self.live_camera.pk)
        self.assertEqual(camera.status, "stalled")
        self.assertIsNotNone(camera.status_changed_at)

        with self.captureOnCommitCallbacks(execute=True) as callbacks:
            self.assertFalse(do_set_camera_status(self.live_camera.pk, "stalled", "No video for over 5 s."))
        self.assertEqual(callbacks, [], "an unchanged status sends nothing")

    def test_new_snapshot_bumps_the_version_and_tells_the_wall(self):
        frame_at = timezone.now()
        with self.captureOnCommitCallbacks(execute=True):
            events = [
                (self.riverside.pk, record_frames(camera.pk, frame_at, snapshot_taken=True))
                for camera in (self.live_camera, self.street_camera)
            ]
            send_events(events)
        # The relay pass reaches the agency as one message (cameras/wall/batches.py).
        self.assertEqual(
            self.receive(),
            {
                "type": "cameras.batch",
                "events": [
                    {"type": "camera.snapshot", "camera_id": self.live_camera.pk, "snapshot_version": 1},
                    {"type": "camera.snapshot", "camera_id": self.street_camera.pk, "snapshot_version": 1},
                ],
            },
        )
        self.assertIsNone(record_frames(self.live_camera.pk, frame_at, snapshot_taken=False))
        camera = Camera.objects.get(pk=self.live_camera.pk)
        self.assertEqual((camera.snapshot_version, camera.last_frame_at), (1, frame_at))

    def test_a_pass_writes_every_relays_frame_time_and_new_snapshots_in_three_statements_however_many(self):
        # A node writes its relays' stats every status period: statements per pass, not per camera.
        street_frame, live_frame = timezone.now(), timezone.now() - timedelta(seconds=1)
        frames = {self.street_camera.pk: street_frame, self.live_camera.pk: live_frame, 999_999: street_frame}
        with self.assertNumQueries(3):
            events = record_frames_of(frames, taken={self.live_camera.pk, 999_999})
        self.assertEqual(
            events,
            {
                self.live_camera.pk: {
                    "type": "camera.snapshot",
                    "camera_id": self.live_camera.pk,
                    "snapshot_version": 1,
                }
            },
        )
        street, live = (Camera.objects.get(pk=c.pk) for c in (self.street_camera, self.live_camera))
        self.assertEqual((street.last_frame_at, street.snapshot_version), (street_frame, 0))
        self.assertEqual((live.last_frame_at, live.snapshot_version), (live_frame, 1))

    def test_status_of_a_deleted_camera_is_ignored(self):
        self.assertFalse(do_set_camera_status(999_999, "live", ""))
        self.assertIsNone(record_frames(999_999, timezone.now(), snapshot_taken=True))
