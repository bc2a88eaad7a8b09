from tests.peers.fixtures import rtsp_server  # noqa: F401 -- the RTSP camera fixture
