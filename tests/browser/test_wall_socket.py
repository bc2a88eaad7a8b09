"""Tiles over the wall's one video socket (/ws/live/) in a real Chromium.

Each camera gets the HLS test pattern (its fallback) and the same pattern as the relays
publish fragments (tests/browser/fragments.py), so the page finds both as it would behind a
relay node.
"""

import struct
import time

import pytest

from cameras.services import do_revoke_consent
from cameras.wall.models import Layout
from tests.browser.chromium import ARTIFACTS
from tests.browser.fragments import FragmentPattern
from tests.browser.wall import PatternWallCase, in_plain_thread

pytestmark = [pytest.mark.browser, pytest.mark.ffmpeg]

BLANK_WITHIN_MS = 1000
LIVE_SOCKET = "/ws/live/"
TRANSPORTS = (
    "() => window.rtccWall.tiles.filter((t) => t.player).map((t) => [t.cameraId, t.player.kind || 'hls'])"
)
# The page's own module instance (same URL as main.js imports), to drop its socket as a network would.
DROP_SOCKET = """async () => {
  const main = document.querySelector('script[type=module][src*="wall/main.js"]').src;
  const { liveSocket } = await import(new URL('live_socket.js', main).href);
  liveSocket.socket.close();
}"""


class SocketWallTests(PatternWallCase):
    @classmethod
    def start_class_processes(cls):
        super().start_class_processes()
        cls.fragments = FragmentPattern(ARTIFACTS / "fragments-ffmpeg.log")

    @classmethod
    def _stop_all(cls):
        try:
            super()._stop_all()
        finally:
            if getattr(cls, "fragments", None) is not None:
                cls.fragments.stop()

    def setUp(self):
        super().setUp()
        self.frames = []  # (monotonic time, camera id) of every binary message on the video socket
        self.fragments_seen = []  # (camera id, the node's clock in ms) of every fragment, in order
        self.sockets = []
        self.page.on("websocket", self.watch_socket)

    def watch_socket(self, socket):
        if not socket.url.endswith(LIVE_SOCKET):
            return
        self.sockets.append(socket)

        def received(payload):
            if isinstance(payload, bytes) and len(payload) >= 4:
                self.frames.append((time.monotonic(), int.from_bytes(payload[:4], "big")))
                camera_id, kind, _, _, produced = struct.unpack_from(">IBBHd", payload)  # frames.py
                if kind == 1:
                    self.fragments_seen.append((camera_id, produced))

        socket.on("framereceived", received)

    def socket_camera(self, name, **place):
        camera = self.camera_with_video(name, **place)
        self.fragments.publisher.add(camera.pk)
        self.addCleanup(self.fragments.publisher.remove, camera.pk)
        return camera

    def transports(self) -> dict:
        return {camera_id: kind for camera_id, kind in self.page.evaluate(TRANSPORTS)}

    def put_on_wall(self, cameras):
        self.sign_in_to_wall()
        page = self.page
        page.keyboard.press("2")
        page.wait_for_selector(".grid[data-grid='2']")
        for camera in cameras:
            page.click(f"#camera-list li[data-camera-id='{camera.pk}']")

    def test_tiles_play_over_one_socket_and_never_ask_for_segments(self):
        cameras = [self.socket_camera(f"Corner {n}", lat=41.8801 + n * 0.0002) for n in range(4)]
        segments = []
        self.page.on(
            "request", lambda request: segments.append(request.url) if ".ts" in request.url else None
        )
        self.put_on_wall(cameras)
        self.wait_until_every_tile_advances(cameras)
        self.assertEqual(self.transports(), {camera.pk: "socket" for camera in cameras})
        self.assertEqual(len(self.sockets), 1)
        self.assertEqual({camera_id for _, camera_id in self.frames}, {camera.pk for camera in cameras})
        self.assertEqual(segments, [])
        self.record_latency("wall video socket (MSE), test pattern")
        title = self.page.get_attribute(f"{self.tile(cameras[0])} video", "title")
        self.assertRegex(title, r"^Latency \d+\.\d\d s")
        self.shot("socket-2x2")

    def test_revoke_blanks_the_tile_within_a_second_and_its_bytes_stop(self):
        Layout.objects.filter(agency=self.riverside).delete()
        self.link_video(self.live_camera, self.pattern_dir)
        self.fragments.publisher.add(self.live_camera.pk)
        self.addCleanup(self.fragments.publisher.remove, self.live_camera.pk)
        street = self.socket_camera("Main St & 2nd", lat=41.8799)
        page = self.page
        self.put_on_wall([street, self.live_camera])
        page.wait_for_selector("#purpose-dialog[open]")
        page.fill("#purpose-case", "RPD-2026-0042")
        page.fill("#purpose-reason", "Package theft on the block")
        page.click("#purpose-ok")
        self.wait_until_every_tile_advances([street, self.live_camera])
        self.assertEqual(self.transports()[self.live_camera.pk], "socket")

        revoked_at = time.monotonic()
        in_plain_thread(do_revoke_consent, self.resident, self.live_camera)
        page.wait_for_selector(f"{self.tile(self.live_camera)}[data-mode=dark]", timeout=BLANK_WITHIN_MS)
        self.assertIsNone(page.get_attribute(f"{self.tile(self.live_camera)} video", "src"))
        page.wait_for_timeout(2000)
        late = [
            at - revoked_at
            for at, camera_id in self.frames
            if camera_id == self.live_camera.pk and at > revoked_at + 1.0
        ]
        self.assertEqual(late, [], "bytes of the revoked camera more than 1 s after the revoke")
        self.assertTrue(
            any(camera_id == street.pk and at > revoked_at + 1.5 for at, camera_id in self.frames)
        )
        self.shot("socket-revoked")

    def test_a_dropped_socket_recovers_without_a_reload(self):
        cameras = [self.socket_camera(f"Corner {n}", lat=41.8801 + n * 0.0002) for n in range(2)]
        self.put_on_wall(cameras)
        self.wait_until_every_tile_advances(cameras)
        self.page.evaluate("window.notReloaded = true")
        self.page.evaluate(DROP_SOCKET)
        dropped_at = time.monotonic()
        self.page.wait_for_timeout(500)
        self.wait_until_every_tile_advances(cameras)
        self.assertTrue(self.page.evaluate("window.notReloaded === true"))
        self.assertEqual(len(self.sockets), 2)
        self.assertTrue(any(at > dropped_at + 0.5 for at, _ in self.frames))
        self.assertEqual(set(self.transports().values()), {"socket"})

    def test_a_page_that_stalls_is_not_fed_the_video_it_missed(self):
        # A saturated machine leaves the page's main thread no time for a while: the server must
        # not queue the seconds it missed (they would play late), but skip to each newest keyframe.
        cameras = [self.socket_camera(f"Corner {n}", lat=41.8801 + n * 0.0002) for n in range(2)]
        self.put_on_wall(cameras)
        self.wait_until_every_tile_advances(cameras)
        self.page.evaluate("() => { const until = Date.now() + 3000; while (Date.now() < until) {} }")
        self.page.wait_for_timeout(1000)
        self.wait_until_every_tile_advances(cameras)
        for camera in cameras:
            produced = [at for camera_id, at in self.fragments_seen if camera_id == camera.pk]
            skipped_s = (
                max(later - earlier for earlier, later in zip(produced, produced[1:], strict=False)) / 1000
            )
            self.assertGreater(skipped_s, 1.0, f"camera {camera.pk}: every fragment of the stall was sent")
        self.assertEqual(len(self.sockets), 1)
        self.assertEqual(set(self.transports().values()), {"socket"})

    def test_tiles_fall_back_to_hls_when_the_socket_is_refused(self):
        cameras = [self.socket_camera(f"Corner {n}", lat=41.8801 + n * 0.0002) for n in range(2)]
        # As a proxy that does not pass WebSockets would: every connection to the video socket fails.
        self.context.route_web_socket(f"**{LIVE_SOCKET}", lambda socket: socket.close())
        self.put_on_wall(cameras)
        self.wait_until_every_tile_advances(cameras)
        self.assertEqual(set(self.transports().values()), {"hls"})
        self.assertEqual(self.frames, [])

    def test_a_camera_without_fragments_plays_hls(self):
        # A transcoding relay (privacy masks) serves HLS only: the tile gives the socket up for it.
        plain = self.camera_with_video("Masked corner", lat=41.8801)
        self.put_on_wall([plain])
        self.wait_until_every_tile_advances([plain])
        self.assertEqual(self.transports(), {plain.pk: "hls"})
