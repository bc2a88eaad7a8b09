"""ffmpeg command lines for a relay, built with ffmpeg-python.

One input, one output on disk: HLS (1 s segments, short rolling window) for the wall, stream
copy when possible; a copy relay also writes fragmented MP4 into a pipe for the wall's socket.
A camera's substream (`RelaySpec.stream == "sub"`) has the pipe only: copied, never on disk.
Recordings are cut from the HLS segments (`cameras.relay.recorder`) and snapshots made from the
newest one when asked for (`cameras.relay.snapshots`), so neither costs ffmpeg a muxer or a
decode. Audio is never relayed or recorded: only the video stream is mapped.

A pull relay's ffmpeg reads its camera through the relay's gate on 127.0.0.1
(`cameras.relay.gate`), never from the camera's own address: its whitelist allows only the
gate's protocol. A source with a credential (every SRT push, a pull URL with a user or a
query) is not named on the command line: it goes into an ffconcat list handed over through
a pipe (see `cameras.relay.secrets`); the source's whitelists and timeouts ride along as
`option` lines there, since they must apply to the inner open.
"""

import math
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import ffmpeg

from cameras.relay import layout
from cameras.relay.fragments import MAIN, MOVFLAGS

IO_TIMEOUT_US = 5_000_000
# How much of a pushed stream ffmpeg reads before it starts its outputs. Its default (5 s) made
# the first fragment of an on-demand camera wait about a second; a box pushes from a keyframe
# (ffmpeg's stream copy drops what comes before one), so 0.2 s finds the picture's size and
# codec, and a first fragment leaves 0.15-0.7 s after the box connects instead of 1-1.9 s.
PUSH_ANALYZE_US = 200_000
HLS_SEGMENT_S = 1
HLS_WINDOW = 6

PUSH_PROTOCOLS = "srt,udp"
PUSH_FORMATS = "mpegts"
# The gate speaks plain RTSP or HTTP to ffmpeg (TLS to the camera is the gate's business).
RTSP_PROTOCOLS = "rtsp,rtp,tcp"
RTSP_FORMATS = "rtsp"
# HLS playlists name further URLs: with only these protocols, one pointing at file:// is refused.
HTTP_PROTOCOLS = "http,tcp"
HTTP_FORMATS = "hls,mpegts,mjpeg,mpjpeg"
GLOBAL_ARGS = (
    # Info level for the input's codec; the relay keeps only warnings and errors of the rest.
    *("-hide_banner", "-nostdin", "-nostats", "-y", "-loglevel", "level+info"),
    *("-progress", "pipe:1", "-stats_period", "1"),
)


@dataclass(frozen=True)
class Source:
    """Where ffmpeg reads from and with which demuxer/protocol options."""

    url: str
    options: dict[str, str] = field(default_factory=dict)
    secret: bool = False  # the URL or an option carries a credential


@dataclass(frozen=True)
class Command:
    argv: list[str]
    concat_list: str = ""  # ffconcat text to hand over through the pipe named in argv; "" if none


def source_for(spec, gate_url: str = "") -> Source:
    """What ffmpeg opens for `spec`; a pull relay names the URL of its gate."""
    if spec.source == "push":
        if not spec.srt_port:
            raise ValueError("a push relay needs an SRT port")
        options = {
            "protocol_whitelist": PUSH_PROTOCOLS,
            "format_whitelist": PUSH_FORMATS,
            "mode": "listener",
            "pbkeylen": "32",
            "rw_timeout": str(IO_TIMEOUT_US),
            "analyzeduration": str(PUSH_ANALYZE_US),
        }
        if spec.passphrase:
            options["passphrase"] = spec.passphrase
        if spec.stream_id:
            options["streamid"] = spec.stream_id
        return Source(f"srt://0.0.0.0:{int(spec.srt_port)}", options, secret=True)
    if spec.source != "pull":
        raise ValueError(f"unknown relay source {spec.source!r}")
    parts = urlsplit(spec.url)
    scheme = parts.scheme.lower()
    secret = bool(parts.username or parts.password or parts.query)
    if scheme not in {"rtsp", "rtsps", "http", "https"}:
        raise ValueError(f"scheme {scheme!r} cannot be pulled")
    if not gate_url:
        raise ValueError("a pull relay reads its camera through a gate")
    if scheme in {"rtsp", "rtsps"}:
        options = {
            "protocol_whitelist": RTSP_PROTOCOLS,
            "format_whitelist": RTSP_FORMATS,
            "rtsp_transport": "tcp",
            "timeout": str(IO_TIMEOUT_US),
        }
    else:
        options = {
            "protocol_whitelist": HTTP_PROTOCOLS,
            "format_whitelist": HTTP_FORMATS,
            "rw_timeout": str(IO_TIMEOUT_US),
        }
    return Source(gate_url, options, secret=secret)


def ffquote(value: str) -> str:
    """Quote for ffmpeg's tokenizer (ffconcat lines): single quotes, a quote as '\\''."""
    return "'" + str(value).replace("'", "'\\''") + "'"


def concat_list(source: Source) -> str:
    lines = ["ffconcat version 1.0", f"file {ffquote(source.url)}"]
    lines += [f"option {key} {ffquote(value)}" for key, value in source.options.items()]
    return "\n".join(lines) + "\n"


def mask_filters(masks) -> list[str]:
    # Rounded outwards and padded by a pixel on each side: drawbox truncates to whole pixels,
    # and a sliver of a masked window is still a privacy leak. drawbox clips at the picture's edge.
    filters = []
    for x, y, w, h in masks:
        left, top = math.floor(x * 10_000) / 10_000, math.floor(y * 10_000) / 10_000
        width = math.ceil((x + w) * 10_000) / 10_000 - left
        height = math.ceil((y + h) * 10_000) / 10_000 - top
        filters.append(
            f"drawbox=x=iw*{left:.4f}-1:y=ih*{top:.4f}-1:w=iw*{width:.4f}+2:h=ih*{height:.4f}+2"
            ":color=black:t=fill"
        )
    return filters


def hls_options() -> dict:
    return {
        "f": "hls",
        "hls_time": HLS_SEGMENT_S,
        "hls_list_size": HLS_WINDOW,
        # omit_endlist: a restarting relay must not tell players the stream is over.
        "hls_flags": "delete_segments+program_date_time+temp_file+omit_endlist+independent_segments",
        "hls_start_number_source": "epoch",  # numbers keep rising over restarts
    }


def build_command(
    spec,
    *,
    ffmpeg_path: str,
    input_path: str | None = None,
    transcode: bool = False,
    gate_url: str = "",
    fragments_fd: int | None = None,
) -> Command:
    """The argument list for `spec`; `input_path` is the pipe the concat list will come through.

    Masks always mean a transcode; `transcode` forces one for a source that is not H.264.
    `fragments_fd`: a pipe for the wall's low-latency fragments (cameras/relay/fragments.py),
    the same stream copy as HLS; a transcoding relay serves HLS only.
    """
    source = source_for(spec, gate_url)
    transcode = transcode or bool(spec.masks)
    # One decoding thread for a transcode: a thread pool per relay costs more in memory and
    # wake-ups than it saves. A copy relay decodes nothing.
    decoder = {"threads": 1} if transcode else {}
    if source.secret:
        if not input_path:
            raise ValueError("a source with a credential needs a pipe to hand it over")
        stream = ffmpeg.input(
            input_path,
            f="concat",
            safe=0,
            protocol_whitelist="file",  # the pipe; the source's own whitelist is in the list
            format_whitelist="concat",
            **decoder,
        )
        listing = concat_list(source)
    else:
        stream = ffmpeg.input(source.url, **source.options, **decoder)
        listing = ""
    video = stream["v:0"]
    live = layout.live_dir(spec.camera_id)
    # Recordings are cut from these HLS segments (cameras/relay/recorder.py) and snapshots
    # made from the newest one on request (cameras/relay/snapshots.py): HLS is the only
    # output written to disk, masked already when the camera has masks.
    codec = {"vcodec": "copy"}
    if transcode:
        codec = {
            "vcodec": "libx264",
            "preset": "ultrafast",
            "tune": "zerolatency",
            "pix_fmt": "yuv420p",
            "crf": 26,
            "force_key_frames": f"expr:gte(t,n_forced*{HLS_SEGMENT_S})",
        }
        if spec.masks:
            codec["vf"] = ",".join(mask_filters(spec.masks))
    outputs = []
    if spec.stream == MAIN:
        outputs.append(
            ffmpeg.output(
                video,
                str(layout.playlist_path(spec.camera_id)),
                hls_segment_filename=str(live / layout.SEGMENT_PATTERN),
                **codec,
                **hls_options(),
            )
        )
    elif fragments_fd is None or transcode:
        raise ValueError("a substream is relayed as fragments only, copied")
    if fragments_fd is not None and not transcode:
        outputs.append(
            ffmpeg.output(
                video,
                f"pipe:{int(fragments_fd)}",
                vcodec="copy",
                f="mp4",
                movflags=MOVFLAGS,
                flush_packets=1,
            )
        )
    return Command([ffmpeg_path, *GLOBAL_ARGS, *ffmpeg.merge_outputs(*outputs).get_args()], listing)
