"""Pull relays: RTSP from GStreamer's server, and an HLS source that tries to read a local file."""

import http.server
import subprocess
import threading
from functools import partial

import pytest

from cameras.relay import layout
from cameras.relay.process import RelaySpec
from cameras.relay.snapshots import fresh_snapshot
from rtcc.ffmpeg import find_ffmpeg
from tests.peers.fixtures import holds_within

from .conftest import cmdline, jpeg_size, make_video

pytestmark = pytest.mark.ffmpeg


@pytest.mark.rtsp
def test_rtsp_camera_with_credentials_is_relayed_to_hls_without_showing_them(relays, rtsp_server):
    url = rtsp_server.url.replace("rtsp://", "rtsp://viewer:s3cret-Pa55@")
    relay = relays(RelaySpec(camera_id=21, source="pull", url=url, record=False))
    assert holds_within(lambda: len(list(layout.live_dir(21).glob("seg-*.ts"))) >= 2, 15), relay.stderr_text
    assert holds_within(lambda: fresh_snapshot(21), 5)
    assert jpeg_size(layout.snapshot_path(21)) == (320, 240)
    arguments = cmdline(relay.pid)
    assert "-nostdin" in arguments and "s3cret-Pa55" not in arguments
    assert "s3cret-Pa55" not in relay.stderr_text
    assert relay.progress.frames > 0


@pytest.mark.rtsp
def test_rtsp_camera_that_dies_stalls_the_relay(relays, rtsp_server):
    relay = relays(RelaySpec(camera_id=22, source="pull", url=rtsp_server.url, record=False))
    assert holds_within(lambda: relay.progress.frames > 0, 15), relay.stderr_text
    assert "-rtsp_transport tcp" in cmdline(relay.pid)
    rtsp_server.kill()
    assert holds_within(relay.is_stalled, 7.0)
    assert holds_within(lambda: relay.last_error, 6), relay.stderr_text
    assert relay.last_error in {"source closed the connection", "the source did not answer in time"}


@pytest.fixture
def http_server(tmp_path):
    """A local HTTP server over tmp_path/www; yields its base URL."""
    root = tmp_path / "www"
    root.mkdir()
    handler = partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def serve_playlist(root, target):
    (root / "live.m3u8").write_text(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n"
        f"#EXTINF:2.0,\n{target}\n#EXT-X-ENDLIST\n"
    )


def test_hls_source_pointing_at_etc_passwd_is_refused_by_ffmpeg(relays, http_server):
    root, base = http_server
    serve_playlist(root, "file:///etc/passwd")
    relay = relays(RelaySpec(camera_id=23, source="pull", url=f"{base}/live.m3u8", record=False))
    assert holds_within(lambda: not relay.is_running, 15), "ffmpeg kept running"
    assert relay.returncode != 0 and relay.last_error
    assert relay.progress.frames == 0 and not list(layout.live_dir(23).glob("seg-*.ts"))


@pytest.mark.parametrize("query", ["", "?token=abc123"], ids=["named", "through-the-pipe"])
def test_hls_source_pointing_at_a_local_video_is_refused_by_the_gate(relays, http_server, tmp_path, query):
    root, base = http_server
    local = tmp_path / "local.ts"  # a file ffmpeg would happily relay if it were allowed to open it
    make_video(local, "-t", "1")
    serve_playlist(root, local.as_uri())
    relay = relays(RelaySpec(camera_id=24, source="pull", url=f"{base}/live.m3u8{query}", record=False))
    assert ("concat" in relay.argv) == bool(query)
    assert holds_within(lambda: not relay.is_running, 15), "ffmpeg kept running"
    assert relay.last_error.startswith(f"The camera's playlist names {local.as_uri()}, which is not on")
    assert relay.progress.frames == 0 and not list(layout.live_dir(24).glob("seg-*.ts"))


def test_mjpeg_camera_is_transcoded_to_h264_from_the_next_start(relays, http_server):
    root, base = http_server
    subprocess.run(  # noqa: S603
        [find_ffmpeg().path, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10"]
        + ["-t", "3", "-c:v", "mjpeg", "-f", "mpjpeg", str(root / "camera.mjpeg")],
        check=True,
        timeout=30,
    )
    spec = RelaySpec(camera_id=25, source="pull", url=f"{base}/camera.mjpeg", record=False)
    first = relays(spec)
    assert holds_within(lambda: not first.is_running, 15), first.stderr_text
    assert first.source_codec == "mjpeg"
    assert first.last_error == "the camera sends mjpeg video, not H.264: it is transcoded from the next start"
    second = relays(spec)
    assert second.transcode and "libx264" in second.argv
    assert holds_within(lambda: not second.is_running, 15), second.stderr_text
    assert second.returncode == 0, second.stderr_text
    segment = sorted(layout.live_dir(25).glob("seg-*.ts"))[0]
    probe = subprocess.run(  # noqa: S603
        [find_ffmpeg().path, "-hide_banner", "-i", str(segment)], capture_output=True, text=True, timeout=30
    )
    assert "Video: h264" in probe.stderr
