"""Substreams on the wall in a real Chromium: a grid tile plays the camera's substream, an
enlarged one its main stream, and the switch never shows a frame without a picture.

`SubstreamWallTests`: the main stream (640x360) and the substream (320x240) are two test
patterns published as the relay publishes them (tests/browser/fragments.py), under the
camera's two sets of keys. `RelayedSubstreamTests`: the whole path, a relay node and a
simulated box pushing both streams of an on-demand camera: in a grid tile the substream alone,
enlarged the main stream as well, and the main stream alone no longer once back in the grid.
"""

import os

import pytest

from cameras.models import Camera
from cameras.relay.fragments import SUB
from cameras.relay.models import RelayLease
from cameras.simulator import LeaseFollowingCamera
from devices.edge import __version__ as edge_agent_version
from devices.models import Device
from tests.browser.chromium import ARTIFACTS
from tests.browser.fragments import FragmentPattern
from tests.browser.wall import PatternWallCase, WallBrowserCase
from tests.personas import make_camera
from tests.relay_fleet.fleet import NodeProcess, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.ffmpeg]

# Every painted frame of the tile: the <video> on top (the last one), its picture size, whether it
# has a picture to show, and the mean brightness of that picture drawn into a canvas. A video that
# has presented a frame keeps it on screen when its buffer runs dry for a moment (readyState drops
# to HAVE_METADATA and a canvas draws nothing), so such a stall counts as a picture, as it looks.
WATCH_TILE = """(selector) => {
  const samples = window.tileSamples = [];
  const canvas = document.createElement('canvas');
  canvas.width = 32; canvas.height = 18;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  const sample = () => {
    const tile = document.querySelector(selector);
    const videos = tile ? tile.querySelectorAll('video') : [];
    for (const each of videos) {
      if (!each.tileWatched && each.requestVideoFrameCallback) {
        each.tileWatched = true;
        each.requestVideoFrameCallback(() => { each.tilePresented = true; });
      }
    }
    const video = videos[videos.length - 1];
    if (video && getComputedStyle(video).display !== 'none') {
      let brightness = 0;
      if (video.readyState >= 2 && video.videoWidth) {
        context.drawImage(video, 0, 0, 32, 18);
        const pixels = context.getImageData(0, 0, 32, 18).data;
        for (let i = 0; i < pixels.length; i += 4) brightness += pixels[i] + pixels[i + 1] + pixels[i + 2];
        brightness /= (pixels.length / 4) * 3;
      }
      samples.push([video.videoWidth, video.readyState, Math.round(brightness), videos.length, !!video.tilePresented]);
    }
    window.tileWatch = requestAnimationFrame(sample);
  };
  sample();
}"""
SHOWN = """(selector) => {
  const tile = document.querySelector(selector);
  const videos = tile.querySelectorAll('video');
  const video = videos[videos.length - 1];
  return [tile.dataset.stream || '', video.videoWidth, video.videoHeight, videos.length];
}"""


class SwitchChecks:
    """What both cases check of a tile: which stream it shows, and that it never shows no picture."""

    def wait_for_stream(self, camera, stream, width, height):
        self.page.wait_for_function(
            f"(selector) => {{ const s = ({SHOWN})(selector); "
            f"return s[0] === '{stream}' && s[1] === {width} && s[2] === {height} && s[3] === 1; }}",
            arg=self.tile(camera),
        )

    def unpictured(self) -> list:
        """Painted frames whose top video had no picture (not loaded, no size, or black)."""
        samples = self.page.evaluate("window.tileSamples")
        self.assertTrue(samples)
        return [
            sample
            for sample in samples
            if sample[0] == 0 or (sample[1] < 2 and not sample[4]) or (sample[1] >= 2 and sample[2] < 16)
        ]

    def enlarge_and_back(self, camera, sub_size, main_size):
        page = self.page
        page.evaluate(WATCH_TILE, self.tile(camera))
        page.wait_for_timeout(500)
        page.dblclick(self.tile(camera))
        self.wait_for_stream(camera, "main", *main_size)
        page.wait_for_timeout(500)
        self.assertEqual(self.unpictured(), [])
        self.shot("substream-enlarged")

        page.evaluate("window.tileSamples.length = 0")
        page.keyboard.press("Escape")
        self.wait_for_stream(camera, "sub", *sub_size)
        page.wait_for_timeout(500)
        self.assertEqual(self.unpictured(), [])
        self.assertTrue(any(sample[3] == 2 for sample in page.evaluate("window.tileSamples")))


class SubstreamWallTests(SwitchChecks, PatternWallCase):
    @classmethod
    def start_class_processes(cls):
        super().start_class_processes()
        cls.main = FragmentPattern(ARTIFACTS / "fragments-main-ffmpeg.log", size="640x360")
        cls.sub = FragmentPattern(ARTIFACTS / "fragments-sub-ffmpeg.log", size="320x240", stream=SUB)

    @classmethod
    def _stop_all(cls):
        try:
            super()._stop_all()
        finally:
            for pattern in (getattr(cls, "main", None), getattr(cls, "sub", None)):
                if pattern is not None:
                    pattern.stop()

    def camera_with_substream(self, name, **place):
        camera = self.camera_with_video(name, **place)
        Camera.objects.filter(pk=camera.pk).update(source=Camera.Source.PUSH, source_url="", substream=True)
        for pattern in (self.main, self.sub):
            pattern.publisher.add(camera.pk)
            self.addCleanup(pattern.publisher.remove, camera.pk)
        return camera

    def test_a_grid_tile_plays_the_substream_and_enlarging_switches_without_a_black_frame(self):
        camera = self.camera_with_substream("Corner with a substream", lat=41.8801)
        plain = self.camera_with_video("Corner without one", lat=41.8803)
        self.fragments_for(plain)
        self.sign_in_to_wall()
        page = self.page
        page.keyboard.press("2")
        page.wait_for_selector(".grid[data-grid='2']")
        for shown in (camera, plain):
            page.click(f"#camera-list li[data-camera-id='{shown.pk}']")
        self.wait_until_every_tile_advances([camera, plain])
        self.wait_for_stream(camera, "sub", 320, 240)
        # A camera without a substream plays its main stream in the grid.
        self.assertEqual(page.evaluate(SHOWN, self.tile(plain))[0], "main")
        self.shot("substream-grid")
        self.enlarge_and_back(camera, (320, 240), (640, 360))

    def test_an_enlarged_tile_whose_main_stream_has_no_socket_video_plays_it_through_hls(self):
        # An H.265 main stream is transcoded (HLS only) while its H.264 substream goes over the socket.
        camera = self.camera_with_video("Corner with a transcoded main stream", lat=41.8801)
        Camera.objects.filter(pk=camera.pk).update(source=Camera.Source.PUSH, source_url="", substream=True)
        self.sub.publisher.add(camera.pk)
        self.addCleanup(self.sub.publisher.remove, camera.pk)
        self.sign_in_to_wall()
        page = self.page
        page.keyboard.press("2")
        page.wait_for_selector(".grid[data-grid='2']")
        page.click(f"#camera-list li[data-camera-id='{camera.pk}']")
        self.wait_for_stream(camera, "sub", 320, 240)
        page.dblclick(self.tile(camera))
        page.wait_for_function(
            "(selector) => document.querySelector(selector).dataset.stream === 'hls'", arg=self.tile(camera)
        )
        self.wait_until_every_tile_advances([camera])
        self.shot("substream-enlarged-hls")

    def fragments_for(self, camera):
        self.main.publisher.add(camera.pk)
        self.addCleanup(self.main.publisher.remove, camera.pk)


class RelayedSubstreamTests(SwitchChecks, WallBrowserCase):
    """A relay node and a box pushing, while asked, the main stream (640x360) and the substream (320x240)
    of an on-demand camera."""

    def setUp(self):
        super().setUp()
        Camera.objects.filter(pk=self.street_camera.pk).update(source=Camera.Source.NONE)
        self.camera = make_camera(
            self.riverside,
            "Oak Ave & 2nd",
            source=Camera.Source.PUSH,
            substream=True,
            lat=41.8803,
            relay_mode=Camera.RelayMode.ON_DEMAND,
            # Its box runs this release's agent: it may be told to push the substream alone.
            device=Device.objects.create(
                serial="EDGE-SUBSTREAMS",
                agency=self.riverside,
                state=Device.State.ONLINE,
                agent_version=edge_agent_version,
            ),
        )
        node = NodeProcess(f"wall-substreams-{os.getpid()}", RTCC_RELAY_LINGER_SECONDS="2")
        self.addCleanup(node.stop)
        self.box = LeaseFollowingCamera(
            self.camera, follow=True, fps=10, width=640, height=360, substream={"width": 320, "height": 240}
        )
        self.box.start()
        self.addCleanup(self.box.stop)

    def main_port(self):
        return RelayLease.objects.filter(camera=self.camera).values_list("srt_port", flat=True).first()

    def test_the_grid_tile_demands_the_substream_and_enlarging_plays_the_main_stream(self):
        self.assertFalse(self.box.sub.is_running)  # nobody shows it in a grid yet
        self.sign_in_to_wall()
        page = self.page
        page.keyboard.press("2")
        page.wait_for_selector(".grid[data-grid='2']")
        page.click(f"#camera-list li[data-camera-id='{self.camera.pk}']")
        self.wait_for_stream(self.camera, "sub", 320, 240)
        self.assertTrue(self.box.sub.is_running)
        # A grid tile only: the box pushes the substream alone, and nothing listens for the main stream.
        self.assertIsNone(self.main_port())
        self.assertFalse(self.box.is_running)
        self.enlarge_and_back(self.camera, (320, 240), (640, 360))
        # Back in the grid: after the linger the main relay stops, and the box's main push with it.
        wait_for(lambda: self.main_port() is None, 30, "the main relay outlived the enlarged tile")
        wait_for(lambda: not self.box.is_running, 30, "the box still pushes the main stream")
        self.wait_for_stream(self.camera, "sub", 320, 240)
        # The tile taken off the wall: the substream's demand goes, after the linger its push too.
        page.click(f"{self.tile(self.camera)} .clear")
        wait_for(lambda: not self.box.sub.is_running, 60, "the box still pushes the substream")
