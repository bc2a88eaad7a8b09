"""A pull relay connects only to the address it checked: real servers on loopback, real ffmpeg.

Loopback stands in for the hub's own network: these tests allow 127.0.0.1 (the camera)
and nothing else, so another port or 127.0.0.2 plays the internal service an attacker
would aim at through a redirect, a playlist line or a DNS answer that changes.
"""

import socket
import threading

import pytest

from cameras.relay import layout
from cameras.relay.process import RelaySpec, RelayStartError
from cameras.sources import check_pull_url
from tests.peers.fixtures import holds_within
from tests.peers.web import Canned, WebServer

from .conftest import make_video

pytestmark = pytest.mark.ffmpeg

H264_TS = ("-t", "3", "-c:v", "libx264", "-g", "10", "-f", "mpegts")


@pytest.fixture
def camera_only(settings, media_root):
    settings.RTCC_PULL_ALLOWED_NETWORKS = ["127.0.0.1/32"]


@pytest.fixture
def www(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    make_video(root / "camera.ts", *H264_TS)
    return root


@pytest.fixture
def camera(www):
    with WebServer(www) as server:
        yield server


@pytest.fixture
def internal(www):
    """What an attacker aims at: another service on this machine, serving good video too."""
    with WebServer(www) as server:
        yield server


def copied(relay) -> bool:
    """Every output (HLS, and the wall's fragments where a pipe is given) is a stream copy."""
    codecs = [relay.argv[i + 1] for i, arg in enumerate(relay.argv) if arg == "-vcodec"]
    return bool(codecs) and set(codecs) == {"copy"}


def relayed(relay, camera_id) -> bool:
    return holds_within(lambda: len(list(layout.live_dir(camera_id).glob("seg-*.ts"))) >= 1, 20)


def ended(relay) -> bool:
    return holds_within(lambda: not relay.is_running, 20)


# HTTP: redirects


def test_redirect_to_another_port_is_refused_and_never_fetched(relays, camera, internal, camera_only):
    camera.answers["/camera.ts"] = Canned(302, {"Location": f"{internal.base}/camera.ts"})
    relay = relays(RelaySpec(camera_id=31, source="pull", url=f"{camera.base}/camera.ts", record=False))
    assert ended(relay), relay.stderr_text
    assert internal.requests == []
    assert relay.last_error.startswith(f"The camera redirected to {internal.base}/camera.ts;"), (
        relay.last_error
    )
    assert relay.progress.frames == 0


def test_redirect_within_the_camera_is_followed_and_copied(relays, camera, internal, camera_only):
    camera.answers["/old.ts"] = Canned(301, {"Location": "/camera.ts"})
    relay = relays(RelaySpec(camera_id=32, source="pull", url=f"{camera.base}/old.ts", record=False))
    assert relayed(relay, 32), relay.stderr_text
    assert copied(relay) and camera.paths[:2] == ["/old.ts", "/camera.ts"]
    assert internal.requests == []


# HLS: every URL in a playlist stays on the camera


def write_hls(root, name="index.m3u8"):
    make_video(root / name, *H264_TS[:-2], "-f", "hls", "-hls_time", "1", "-hls_playlist_type", "vod")
    return root / name


def test_hls_playlist_on_the_camera_is_relayed_by_copy(relays, camera, www, camera_only):
    write_hls(www)
    relay = relays(RelaySpec(camera_id=33, source="pull", url=f"{camera.base}/index.m3u8", record=False))
    assert ended(relay) and relay.returncode == 0, relay.stderr_text
    assert copied(relay) and relay.progress.frames > 0
    assert list(layout.live_dir(33).glob("seg-*.ts"))
    assert any(path.startswith("/index") and path.endswith(".ts") for path in camera.paths)


FOREIGN = {
    "absolute segment": "#EXTINF:1.0,\n{internal}/index0.ts\n",
    "scheme-relative segment": "#EXTINF:1.0,\n//{host}/index0.ts\n",
    "variant playlist": "#EXT-X-STREAM-INF:BANDWIDTH=300000\n{internal}/index.m3u8\n",
    "init section": '#EXT-X-MAP:URI="{internal}/index0.ts"\n#EXTINF:1.0,\n/index0.ts\n',
    "unquoted key": "#EXT-X-KEY:METHOD=AES-128,URI={internal}/key\n#EXTINF:1.0,\n/index0.ts\n",
}


@pytest.mark.parametrize("form", FOREIGN, ids=list(FOREIGN))
def test_hls_playlist_naming_another_port_is_refused_and_never_fetched(
    relays, camera, internal, www, camera_only, form
):
    write_hls(www)
    lines = FOREIGN[form].format(internal=internal.base, host=f"127.0.0.1:{internal.port}")
    (www / "live.m3u8").write_text(
        f"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n{lines}#EXT-X-ENDLIST\n"
    )
    relay = relays(RelaySpec(camera_id=34, source="pull", url=f"{camera.base}/live.m3u8", record=False))
    assert ended(relay), relay.stderr_text
    assert internal.requests == []
    assert relay.last_error.startswith("The camera's playlist names http://127.0.0.1:"), relay.last_error
    assert "the hub fetches segments only from the camera's own host and port" in relay.last_error


def test_a_playlist_served_as_video_is_still_rewritten(relays, camera, internal, camera_only):
    body = f"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\n{internal.base}/camera.ts\n#EXT-X-ENDLIST\n"
    camera.answers["/stream.ts"] = Canned(200, {"Content-Type": "video/mp2t"}, body.encode())
    relay = relays(RelaySpec(camera_id=35, source="pull", url=f"{camera.base}/stream.ts", record=False))
    assert ended(relay), relay.stderr_text
    assert internal.requests == [] and relay.last_error.startswith("The camera's playlist names")


# DNS: resolved once, and the connection goes to the address checked


class Rebinding:
    """A resolver for one name whose answer changes after the first question; others resolve as usual."""

    def __init__(self, name, first, later, real=socket.getaddrinfo):
        self.name, self.first, self.later, self.real = name, first, later, real
        self.asked = 0

    def __call__(self, host, port, *args, **kwargs):
        if host != self.name:
            return self.real(host, port, *args, **kwargs)
        self.asked += 1
        address = self.first if self.asked == 1 else self.later
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]


@pytest.fixture
def rebound_internal(www, camera):
    """The attacker's target on 127.0.0.2, on the camera's own port."""
    with WebServer(www, host="127.0.0.2", port=camera.port) as server:
        yield server


def test_name_that_rebinds_after_the_relay_checked_it_gives_nothing(
    relays, camera, rebound_internal, camera_only, monkeypatch
):
    resolver = Rebinding("camera.rebind.test", "127.0.0.1", "127.0.0.2")
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    url = f"http://camera.rebind.test:{camera.port}/camera.ts"
    relay = relays(RelaySpec(camera_id=36, source="pull", url=url, record=False))
    assert relayed(relay, 36), relay.stderr_text
    assert resolver.asked == 1 and "camera.rebind.test" not in " ".join(relay.argv)
    assert rebound_internal.requests == []
    assert camera.requests[0][1]["Host"] == f"camera.rebind.test:{camera.port}"


def test_name_that_rebinds_before_the_relay_starts_is_refused_at_start(
    relays, camera, rebound_internal, camera_only, monkeypatch
):
    resolver = Rebinding("camera.rebind.test", "127.0.0.1", "127.0.0.2")
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    url = f"http://camera.rebind.test:{camera.port}/camera.ts"
    assert check_pull_url(url) == url  # the form's check saw the camera
    with pytest.raises(RelayStartError, match="resolves to 127.0.0.2, a loopback address"):
        relays(RelaySpec(camera_id=37, source="pull", url=url, record=False))
    assert rebound_internal.requests == [] and camera.requests == []


# RTSP: no redirect


@pytest.fixture
def redirecting_rtsp(internal_listener):
    """An RTSP server that answers every request with 302 to the internal listener."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve():
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            with client:
                request = client.recv(4096).decode("latin-1")
                cseq = next(
                    (
                        line.split(":", 1)[1].strip()
                        for line in request.split("\r\n")
                        if line.startswith("CSeq")
                    ),
                    "1",
                )
                target = f"rtsp://127.0.0.1:{internal_listener.port}/secret"
                client.sendall(f"RTSP/1.0 302 Moved\r\nCSeq: {cseq}\r\nLocation: {target}\r\n\r\n".encode())
                client.recv(4096)

    threading.Thread(target=serve, daemon=True).start()
    yield f"rtsp://127.0.0.1:{server.getsockname()[1]}/cam"
    server.close()


class Listener:
    """A TCP port that records whoever connects."""

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            client.close()


@pytest.fixture
def internal_listener():
    listener = Listener()
    yield listener
    listener.socket.close()


def test_rtsp_redirect_to_another_port_is_refused_and_never_followed(
    relays, redirecting_rtsp, internal_listener, camera_only
):
    relay = relays(RelaySpec(camera_id=38, source="pull", url=redirecting_rtsp, record=False))
    assert ended(relay), relay.stderr_text
    assert internal_listener.connections == 0
    assert relay.last_error.startswith(
        f"The camera answered RTSP 302, redirecting to rtsp://127.0.0.1:{internal_listener.port}/secret;"
    ), relay.last_error
