"""`rtcc-edge discover` as a box runs it: a WS-Discovery probe by UDP multicast on loopback finds a
simulated ONVIF camera, asks it for its streams and probes them over RTSP (a real RTSP server)."""

import json
import socket
from pathlib import Path

import pytest

from tests.devices.edge_processes import EdgeBox
from tests.devices.onvif_peer import OnvifCamera
from tests.peers.fixtures import free_port


@pytest.mark.rtsp
def test_discover_finds_the_onvif_camera_and_probes_its_streams(rtsp_server, tmp_path: Path):
    port = free_port(socket.SOCK_DGRAM)
    with OnvifCamera(port, rtsp_server.url) as camera:
        result = EdgeBox(tmp_path).command(
            "discover", "--port", str(port), "--interface", "127.0.0.1", "--timeout", "2"
        )
    assert result.returncode == 0, result.stderr
    assert camera.probes == 1
    [found] = json.loads(result.stdout)  # the match naming another host is left alone
    assert (found["address"], found["name"], found["hardware"]) == (
        "urn:uuid:cam-0001",
        "Porch Cam",
        "SIM-100",
    )
    main, sub = found["streams"]
    assert (main["profile"], main["url"], main["status"], main["codec"]) == (
        "main",
        rtsp_server.url,
        200,
        "H264",
    )
    assert (sub["url"], sub["status"], sub["problem"]) == (f"{rtsp_server.url}-sub", 404, "no such stream")


def test_discover_with_nobody_answering_finds_nothing(tmp_path: Path):
    port = free_port(socket.SOCK_DGRAM)
    result = EdgeBox(tmp_path).command(
        "discover", "--port", str(port), "--interface", "127.0.0.1", "--timeout", "1"
    )
    assert (result.returncode, json.loads(result.stdout)) == (0, [])
