"""Pull relays: RTSP from GStreamer's server, and an HLS source that tries to read a local file."""

import http.server
import subprocess
import threading
from functools import partial

import pytest

from cameras.relay import layout
from cameras.relay.process import RelaySpec, wait_for
from rtcc.ffmpeg import find_ffmpeg

from .conftest import cmdline, jpeg_size

pytestmark = pytest.mark.ffmpeg


@pytest.mark.rtsp
def test_rtsp_camera_with_credentials_is_relayed_to_hls_without_showing_them(relays, rtsp_server):
    url = rtsp_server.url.replace("rtsp://", "rtsp://viewer:s3cret-Pa55@")
    relay = relays(RelaySpec(camera_id=21, source="pull", url=url, record=False))
    assert wait_for(lambda: len(list(layout.live_dir(21).glob("seg-*.ts"))) >= 2, 15), relay.stderr_text
    assert wait_for(lambda: layout.snapshot_path(21).exists(), 5)
    assert jpeg_size(layout.snapshot_path(21)) == (320, 240)
    assert "s3cret-Pa55" not in cmdline(relay.pid)
    assert relay.progress.frames > 0


@pytest.mark.rtsp
def test_rtsp_camera_that_dies_stalls_the_relay(relays, rtsp_server):
    relay = relays(RelaySpec(camera_id=22, source="pull", url=rtsp_server.url, record=False))
    assert wait_for(lambda: relay.progress.frames > 0, 15), relay.stderr_text
    assert "-rtsp_transport tcp" in cmdline(relay.pid)
    rtsp_server.kill()
    assert wait_for(relay.is_stalled, 6.5)
    assert wait_for(lambda: relay.last_error, 6), relay.stderr_text
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
    assert wait_for(lambda: not relay.is_running, 15), "ffmpeg kept running"
    assert relay.returncode != 0 and relay.last_error
    assert relay.progress.frames == 0 and not list(layout.live_dir(23).glob("seg-*.ts"))


def test_hls_source_pointing_at_a_local_video_is_refused_by_the_protocol_whitelist(
    relays, http_server, tmp_path
):
    root, base = http_server
    local = tmp_path / "local.ts"  # a file ffmpeg would happily relay if it were allowed to open it
    subprocess.run(  # noqa: S603
        [
            find_ffmpeg().path,
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=64x48:rate=5",
            "-t",
            "1",
            str(local),
        ],
        check=True,
        timeout=30,
    )
    serve_playlist(root, local.as_uri())
    relay = relays(RelaySpec(camera_id=24, source="pull", url=f"{base}/live.m3u8", record=False))
    assert wait_for(lambda: not relay.is_running, 15), "ffmpeg kept running"
    assert "Protocol 'file' not on whitelist" in relay.stderr_text
    assert relay.last_error == "the source asked for file, which is not allowed"
    assert relay.progress.frames == 0 and not list(layout.live_dir(24).glob("seg-*.ts"))
