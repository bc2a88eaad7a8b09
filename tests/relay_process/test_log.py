"""What the relay keeps of ffmpeg's log, and the reasons it gives."""

import pytest

from cameras.relay.process import RelayProcess, RelaySpec, reason_from

# Captured from ffmpeg 9 with -loglevel level+info.
REFUSED = """\
[info] Input #0, rtsp, from 'rtsp://viewer:topsecret@cam.example/x':
[info]   Stream #0:0: Video: h264 (Main), yuv420p(progressive), 1920x1080, 25 fps, 25 tbr, 90k tbn
[hls @ 0x5557af3ed200] [info] Opening '/media/live/4/seg-1795464154.ts' for writing
[tcp @ 0x555eef9a0f80] [error] Connection to tcp://cam.example:554?timeout=0 failed: Connection refused
[error] Error opening input file rtsp://viewer:topsecret@cam.example/x.
"""


def test_kept_lines_are_warnings_and_errors_without_credentials():
    relay = RelayProcess(RelaySpec(camera_id=4, source="pull", url="rtsp://viewer:topsecret@cam.example/x"))
    for line in REFUSED.splitlines(keepends=True):
        relay.take_stderr(line)
    assert relay.source_codec == "h264"
    assert relay.stderr_text.splitlines() == [
        "[tcp @ 0x555eef9a0f80] Connection to tcp://cam.example:554?timeout=0 failed: Connection refused",
        "Error opening input file rtsp://***@cam.example/x.",
    ]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (
            "[hls @ 0x1] Protocol 'file' not on whitelist 'http,https,tcp,tls'!",
            "the source asked for file, which is not allowed",
        ),
        ("[http @ 0x1] HTTP error 401 Unauthorized", "the camera rejected the user name or password"),
        (
            "[rtsp @ 0x1] method DESCRIBE failed: 404 Not Found",
            "the stream was not found on the camera (404)",
        ),
        (
            "[tcp @ 0x1] Connection to tcp://10.0.0.9:554 failed: Connection refused",
            "the camera refused the connection",
        ),
        (
            "[tcp @ 0x1] Connection to tcp://10.0.0.9:554 failed: Connection timed out",
            "the source did not answer in time",
        ),
        ("[in#0/concat @ 0x1] Error during demuxing: Input/output error", "source closed the connection"),
        (
            "Error opening input files: Invalid data found when processing input",
            "the source sent no video ffmpeg can read",
        ),
        ("[in#0 @ 0x1] Error opening input: Address already in use", "the relay's port is already in use"),
        ("[fatal] Stream map '' matches no streams.", "the source sends no video stream"),
        ("something new and strange", ""),
    ],
)
def test_ffmpeg_messages_become_readable_reasons(line, reason):
    assert reason_from([line]) == reason


def test_the_most_telling_reason_wins_over_the_newest_line():
    lines = [
        "[hls @ 0x1] Protocol 'file' not on whitelist 'http,https,tcp,tls'!",
        "Error opening input files: Invalid data found when processing input",
    ]
    assert reason_from(lines) == "the source asked for file, which is not allowed"


def test_segment_numbers_are_not_read_as_http_statuses():
    assert reason_from(["[hls @ 0x1] Opening 'seg-1795464014.ts' failed: Broken pipe"]) == (
        "source closed the connection"
    )
