"""The receiving agency's wall in a real Chromium: a shared camera is listed with whose it is, and leaves on revocation."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cameras.sharing.services import do_revoke_share, do_share_cameras
from tests.browser.wall import WallBrowserCase, in_plain_thread

pytestmark = [pytest.mark.browser]


class SharedWallBrowserTests(WallBrowserCase):
    def test_the_other_agencys_wall_lists_the_shared_camera_until_revoked(self):
        # Channels' messages go out on commit through async_to_sync: not from Playwright's event loop thread.
        share = in_plain_thread(
            lambda: do_share_cameras(
                self.admin, self.riverside, self.lakeview, [self.street_camera.pk],
                ends_at=timezone.now() + timedelta(hours=1), purpose="Parade", authority="Mutual aid 4",
            )
        )  # fmt: skip
        self.dispatcher = self.outsider  # sign in as Lakeview's dispatcher
        self.sign_in_to_wall()
        item = f"#camera-list li[data-camera-id='{self.street_camera.pk}']"
        self.page.wait_for_selector(item)
        self.assertEqual(self.page.text_content(f"{item} .name"), "Main St & 1st (shared by Riverside PD)")
        self.assertEqual(
            self.page.locator(f"#camera-list li[data-camera-id='{self.live_camera.pk}']").count(), 0
        )
        in_plain_thread(lambda: do_revoke_share(self.admin, share, reason="Parade over"))
        self.page.wait_for_selector(item, state="detached", timeout=5000)
