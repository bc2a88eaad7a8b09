"""Substreams on the wall in a real Chromium: a grid tile plays the camera's substream, an
enlarged one its main stream, and the switch never shows a frame without a picture.

The main stream (640x360) and the substream (320x240) are two test patterns published as the
relay publishes them (tests/browser/fragments.py), under the camera's two sets of keys.
"""

import pytest

from cameras.models import Camera
from cameras.relay.fragments import SUB
from tests.browser.chromium import ARTIFACTS
from tests.browser.fragments import FragmentPattern
from tests.browser.wall import PatternWallCase

pytestmark = [pytest.mark.browser, pytest.mark.ffmpeg]

# Every painted frame of the tile: the <video> on top (the last one), its picture size, whether it
# has a picture to show, and the mean brightness of that picture drawn into a canvas.
WATCH_TILE = """(selector) => {
  const samples = window.tileSamples = [];
  const canvas = document.createElement('canvas');
  canvas.width = 32; canvas.height = 18;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  const sample = () => {
    const tile = document.querySelector(selector);
    const videos = tile ? tile.querySelectorAll('video') : [];
    const video = videos[videos.length - 1];
    if (video && getComputedStyle(video).display !== 'none') {
      let brightness = 0;
      if (video.readyState >= 2 && video.videoWidth) {
        context.drawImage(video, 0, 0, 32, 18);
        const pixels = context.getImageData(0, 0, 32, 18).data;
        for (let i = 0; i < pixels.length; i += 4) brightness += pixels[i] + pixels[i + 1] + pixels[i + 2];
        brightness /= (pixels.length / 4) * 3;
      }
      samples.push([video.videoWidth, video.readyState, Math.round(brightness), videos.length]);
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


class SubstreamWallTests(PatternWallCase):
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
        return [sample for sample in samples if sample[0] == 0 or sample[1] < 2 or sample[2] < 16]

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

        page.evaluate(WATCH_TILE, self.tile(camera))
        page.wait_for_timeout(500)
        page.dblclick(self.tile(camera))
        self.wait_for_stream(camera, "main", 640, 360)
        page.wait_for_timeout(500)
        self.assertEqual(self.unpictured(), [])
        self.shot("substream-enlarged")

        page.evaluate("window.tileSamples.length = 0")
        page.keyboard.press("Escape")
        self.wait_for_stream(camera, "sub", 320, 240)
        page.wait_for_timeout(500)
        self.assertEqual(self.unpictured(), [])
        self.assertTrue(any(sample[3] == 2 for sample in page.evaluate("window.tileSamples")))

    def fragments_for(self, camera):
        self.main.publisher.add(camera.pk)
        self.addCleanup(self.main.publisher.remove, camera.pk)
