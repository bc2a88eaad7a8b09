"""The command lines a relay runs, without running them."""

from dataclasses import replace

import pytest

from cameras.relay import layout
from cameras.relay.argv import build_command
from cameras.relay.process import RelaySpec
from cameras.relay.secrets import redact

from .conftest import PASSPHRASE

PUSH = RelaySpec(camera_id=7, source="push", srt_port=31007, passphrase=PASSPHRASE, stream_id="stream-7")


def command(spec, **kwargs):
    return build_command(spec, ffmpeg_path="ffmpeg", input_path="/run/pipe", **kwargs)


def option(argv, name):
    return argv[argv.index(name) + 1]


def test_every_relay_runs_without_stdin_and_reports_progress_on_stdout(media_root):
    argv = command(PUSH).argv
    assert "-nostdin" in argv
    assert option(argv, "-progress") == "pipe:1"


def test_push_source_and_passphrase_are_only_in_the_concat_list(media_root):
    result = command(PUSH)
    joined = " ".join(result.argv)
    assert PASSPHRASE not in joined and "stream-7" not in joined and "srt://" not in joined
    assert option(result.argv, "-f") == "concat" and option(result.argv, "-i") == "/run/pipe"
    assert option(result.argv, "-protocol_whitelist") == "file"
    assert option(result.argv, "-format_whitelist") == "concat"
    listing = result.concat_list
    assert "file 'srt://0.0.0.0:31007'" in listing
    assert f"option passphrase '{PASSPHRASE}'" in listing
    assert "option pbkeylen '32'" in listing
    assert "option streamid 'stream-7'" in listing
    assert "option protocol_whitelist 'srt,udp'" in listing
    assert "option format_whitelist 'mpegts'" in listing
    assert "option rw_timeout '5000000'" in listing
    # Inside the list, so that it applies to the SRT input's own probing, not the concat demuxer's.
    assert "option analyzeduration '200000'" in listing


def pull_command(url, gate_url):
    return command(RelaySpec(camera_id=8, source="pull", url=url), gate_url=gate_url)


@pytest.mark.parametrize(
    "url, gate_url, expected",
    [
        (
            "rtsp://93.184.216.34/stream",
            "rtsp://127.0.0.1:40001/stream",
            {
                "-i": "rtsp://127.0.0.1:40001/stream",
                "-protocol_whitelist": "rtsp,rtp,tcp",
                "-format_whitelist": "rtsp",
                "-rtsp_transport": "tcp",
                "-timeout": "5000000",
            },
        ),
        (
            "https://cam.example/live.m3u8",
            "http://127.0.0.1:40002/live.m3u8",
            {
                "-i": "http://127.0.0.1:40002/live.m3u8",
                "-protocol_whitelist": "http,tcp",
                "-format_whitelist": "hls,mpegts,mjpeg,mpjpeg",
                "-rw_timeout": "5000000",
            },
        ),
    ],
    ids=["rtsp", "http"],
)
def test_pull_reads_only_its_gate_with_whitelists_and_a_timeout(media_root, url, gate_url, expected):
    argv = pull_command(url, gate_url).argv
    assert {name: option(argv, name) for name in expected} == expected


def test_rtsps_pull_reads_plain_rtsp_from_its_gate_which_speaks_tls(media_root):
    argv = pull_command("rtsps://93.184.216.34/stream", "rtsp://127.0.0.1:40001/stream").argv
    assert option(argv, "-protocol_whitelist") == "rtsp,rtp,tcp"


def test_pull_without_a_gate_is_refused(media_root):
    with pytest.raises(ValueError, match="through a gate"):
        command(RelaySpec(camera_id=8, source="pull", url="rtsp://93.184.216.34/stream"))


def test_pull_url_with_a_password_goes_through_the_concat_list(media_root):
    url = "rtsp://admin:hunter2-secret@93.184.216.34:554/stream?token=abc123"
    gate_url = "rtsp://admin:hunter2-secret@127.0.0.1:40001/stream?token=abc123"
    result = pull_command(url, gate_url)
    assert "hunter2-secret" not in " ".join(result.argv) and "abc123" not in " ".join(result.argv)
    assert f"file '{gate_url}'" in result.concat_list
    assert "option rtsp_transport 'tcp'" in result.concat_list


def test_h264_without_masks_is_copied_and_nothing_is_decoded(media_root):
    argv = command(PUSH, fragments_fd=5).argv
    # HLS and the socket's fragments; recordings and snapshots are made from the HLS segments.
    assert [argv[i + 1] for i, arg in enumerate(argv) if arg == "-vcodec"] == ["copy", "copy"]
    assert "libx264" not in argv and "-skip_frame" not in argv and "image2" not in argv
    assert not any("drawbox" in arg for arg in argv)


def test_hls_has_one_second_segments_in_a_short_rolling_window(media_root):
    argv = command(PUSH).argv
    assert option(argv, "-hls_time") == "1"
    assert option(argv, "-hls_list_size") == "6"
    flags = option(argv, "-hls_flags").split("+")
    assert {"delete_segments", "program_date_time", "temp_file"} <= set(flags)
    assert option(argv, "-hls_segment_filename") == str(layout.live_dir(7) / "seg-%d.ts")
    assert str(layout.playlist_path(7)) in argv


def test_hls_is_the_only_output_on_disk_even_when_recording(media_root):
    argv = command(PUSH).argv
    assert "segment" not in argv and "tee" not in argv and "image2" not in argv
    assert not any("recordings" in arg or "snapshot" in arg for arg in argv)


def test_masks_force_a_transcode_with_black_boxes_everywhere(media_root):
    spec = RelaySpec(
        camera_id=7, source="push", srt_port=31007, passphrase=PASSPHRASE, masks=((0.1, 0.2, 0.3, 0.25),)
    )
    argv = command(spec).argv
    assert option(argv, "-vcodec") == "libx264"
    assert option(argv, "-preset") == "ultrafast" and option(argv, "-tune") == "zerolatency"
    box = "drawbox=x=iw*0.1000-1:y=ih*0.2000-1:w=iw*0.3000+2:h=ih*0.2500+2:color=black:t=fill"
    filters = [arg for arg in argv if "drawbox" in arg]
    # One masked encode: recordings and snapshots are made from its HLS segments.
    assert len(filters) == 1 and box in filters[0]
    assert "-skip_frame" not in argv  # the encoder needs every frame
    assert "copy" not in argv and "tee" not in argv
    assert option(argv, "-f") == "concat"


def test_unknown_sources_are_refused(media_root):
    with pytest.raises(ValueError):
        command(RelaySpec(camera_id=1, source="pull", url="file:///etc/passwd"))
    with pytest.raises(ValueError):
        command(RelaySpec(camera_id=1, source="push"))


def test_redaction_hides_url_passwords_passphrases_and_known_secrets():
    line = "Impossible to open 'rtsp://admin:pw@cam/x' passphrase=abcdef and hunter2-secret"
    hidden = redact(line, ("hunter2-secret",))
    assert "admin:pw" not in hidden and "abcdef" not in hidden and "hunter2-secret" not in hidden
    assert "rtsp://***@cam/x" in hidden


def test_a_source_that_is_not_h264_is_transcoded_without_filters_on_the_stream(media_root):
    argv = command(PUSH, transcode=True).argv
    assert option(argv, "-vcodec") == "libx264" and "-skip_frame" not in argv
    assert "-vf" not in argv


def test_masks_are_rounded_outwards_never_inwards(media_root):
    spec = RelaySpec(
        camera_id=7,
        source="push",
        srt_port=31007,
        passphrase=PASSPHRASE,
        masks=((0.12345, 0.5, 0.33331, 0.5),),
    )
    argv = command(spec).argv
    assert "drawbox=x=iw*0.1234-1:y=ih*0.5000-1:w=iw*0.3334+2:h=ih*0.5000+2:color=black:t=fill" in option(
        argv, "-vf"
    )


def test_a_substream_is_copied_into_fragments_only_and_never_written_to_disk(media_root):
    sub = replace(PUSH, srt_port=31008, stream_id="stream-7.sub", record=False, stream="sub")
    result = command(sub, fragments_fd=9)
    assert "pipe:9" in result.argv
    assert not [arg for arg in result.argv if str(media_root) in arg or arg.endswith(".m3u8")]
    assert "option streamid 'stream-7.sub'" in result.concat_list
    assert "libx264" not in result.argv
    with pytest.raises(ValueError):
        command(sub)  # nowhere to send it
    with pytest.raises(ValueError):
        command(sub, fragments_fd=9, transcode=True)
