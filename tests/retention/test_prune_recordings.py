import tempfile
from datetime import UTC, datetime, timedelta

from agencies.audit import verify_chain
from agencies.models import AccessEvent
from cameras.footage.clips import SEGMENT_NAME_FORMAT
from cameras.relay.layout import recordings_dir
from cameras.retention import do_prune_recordings
from cameras.tasks import prune_recordings
from tests.personas import Personas

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class RetentionTests(Personas):
    def setUp(self):
        media = tempfile.TemporaryDirectory()
        self.addCleanup(media.cleanup)
        settings = self.settings(MEDIA_ROOT=media.name)
        settings.enable()
        self.addCleanup(settings.disable)

    def write_segment(self, camera, start: datetime, size=1000):
        folder = recordings_dir(camera.pk)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{start.strftime(SEGMENT_NAME_FORMAT)}.ts"
        path.write_bytes(b"\x47" * size)
        return path

    def test_old_segments_go_with_a_receipt_and_recent_ones_stay(self):
        self.riverside.retention_days = 30
        self.riverside.save(update_fields=["retention_days"])
        old = [
            self.write_segment(self.live_camera, NOW - timedelta(days=31, seconds=10 * n)) for n in range(3)
        ]
        edge = self.write_segment(
            self.live_camera, NOW - timedelta(days=30, seconds=5)
        )  # ends after the cut-off
        recent = self.write_segment(self.live_camera, NOW - timedelta(days=1))
        self.assertEqual(do_prune_recordings(NOW), 3)
        self.assertFalse(any(path.exists() for path in old))
        self.assertTrue(edge.exists() and recent.exists())
        receipt = AccessEvent.objects.get(
            action=AccessEvent.Action.DELETION, target_id=str(self.live_camera.pk)
        )
        self.assertEqual((receipt.detail["segments"], receipt.detail["bytes"]), (3, 3000))
        self.assertEqual(len(receipt.detail["sha256_of_names_and_sizes"]), 64)
        self.assertEqual(receipt.agency, self.riverside)
        self.assertTrue(verify_chain(self.riverside.pk).intact)

    def test_a_second_sweep_deletes_nothing_and_records_nothing(self):
        self.write_segment(self.live_camera, NOW - timedelta(days=60))
        prune_recordings.apply(kwargs={})  # the beat task, run in this process
        self.assertEqual(do_prune_recordings(), 0)
        self.assertEqual(AccessEvent.objects.filter(action=AccessEvent.Action.DELETION).count(), 1)

    def test_each_agency_keeps_its_own_retention(self):
        self.lakeview.retention_days = 90
        self.lakeview.save(update_fields=["retention_days"])
        lakeview = self.write_segment(self.lakeview_camera, NOW - timedelta(days=60))
        riverside = self.write_segment(self.street_camera, NOW - timedelta(days=60))
        do_prune_recordings(NOW)
        self.assertTrue(lakeview.exists())
        self.assertFalse(riverside.exists())
