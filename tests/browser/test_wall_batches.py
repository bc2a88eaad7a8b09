"""A relay pass's batch of events reaches the wall's page and changes what it names, and only that."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from cameras.events import agency_group
from tests.browser.wall import WallBrowserCase, in_plain_thread


def send_batch(agency_id: int, events: list[dict]) -> None:
    async_to_sync(get_channel_layer().group_send)(
        agency_group(agency_id), {"type": "cameras.batch", "events": events}
    )


class WallBatchBrowserTests(WallBrowserCase):
    def test_a_batch_updates_the_cameras_it_names_in_the_list(self):
        page = self.page
        self.sign_in_to_wall()
        street, porch = self.street_camera.pk, self.live_camera.pk
        before = page.evaluate(f"window.rtccWall.state.cameras.get({porch}).snapshot_version")
        events = [
            {"type": "camera.status", "camera_id": street, "status": "stalled", "status_reason": "No video."},
            {"type": "camera.snapshot", "camera_id": street, "snapshot_version": 7},
        ]
        in_plain_thread(send_batch, self.riverside.pk, events)
        page.wait_for_function(
            f"""() => {{
                const camera = window.rtccWall.state.cameras.get({street});
                return camera.status === 'stalled' && camera.snapshot_version === 7;
            }}"""
        )
        item = page.locator(f"#camera-list li[data-camera-id='{street}'] .status")
        self.assertEqual(item.text_content(), "stalled")
        self.assertEqual(
            page.evaluate(f"window.rtccWall.state.cameras.get({porch}).snapshot_version"), before
        )
