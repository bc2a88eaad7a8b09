"""A relay's low-latency fragments: published to Redis as the wall's video socket reads them."""

import subprocess

import pytest
import redis

from cameras.relay.fragments import (
    MOVFLAGS,
    WATCHED_TTL_MS,
    FragmentPublisher,
    init_key,
    keyframe_key,
    starts_with_keyframe,
    stream_key,
    watched_key,
)
from cameras.relay.wake import redis_client
from devices.edge.push import live_h264
from rtcc.ffmpeg import find_ffmpeg
from tests.peers.fixtures import holds_within

from .conftest import PASSPHRASE
from .test_push import push_spec

pytestmark = pytest.mark.ffmpeg


def watch(client, camera_id: int) -> None:
    """What a wall's socket does while it reads the camera (cameras/live_stream/streams.py)."""
    client.set(watched_key(camera_id), b"1", px=WATCHED_TTL_MS * 10)


def test_a_watched_copy_relay_publishes_its_init_segment_and_fragments_from_a_keyframe(
    relays, srt_camera, srt_port
):
    client = redis_client()
    watch(client, 41)
    relay = relays(push_spec(srt_port, camera_id=41))
    srt_camera(srt_port, PASSPHRASE, "dev-11")
    assert holds_within(lambda: client.xlen(stream_key(41)) >= 30, 15), relay.stderr_text
    init = client.hgetall(init_key(41))
    assert (
        init[b"data"].startswith(b"\x00\x00\x00")
        and init[b"data"][4:8] == b"ftyp"
        and b"avcC" in init[b"data"]
    )
    entries = client.xrange(stream_key(41))
    assert {fields[b"r"] for _, fields in entries} == {init[b"run"]}
    assert entries[0][1][b"k"] == b"1", "ffmpeg's copy starts at a keyframe"
    assert all(fields[b"d"][4:8] == b"moof" for _, fields in entries)
    assert [fields[b"k"] == b"1" for _, fields in entries] == [
        starts_with_keyframe(fields[b"d"]) for _, fields in entries
    ]
    keyframes = [entry_id for entry_id, fields in entries if fields[b"k"] == b"1"]
    assert len(keyframes) >= 2  # a 1 s GOP
    assert client.get(keyframe_key(41)) in keyframes
    times = [int(fields[b"t"]) for _, fields in entries]
    assert times == sorted(times)

    relay.stop()
    assert holds_within(lambda: not client.exists(init_key(41), keyframe_key(41), stream_key(41)), 5)


def test_an_unwatched_relay_publishes_nothing_until_watched_then_starts_at_a_keyframe(
    relays, srt_camera, srt_port
):
    client = redis_client()
    client.delete(watched_key(44))
    relay = relays(push_spec(srt_port, camera_id=44))
    srt_camera(srt_port, PASSPHRASE, "dev-11")
    # Three keyframe groups went through the pipe, and not one byte of them to Redis.
    assert holds_within(lambda: relay.progress.frames >= 45, 15), relay.stderr_text
    assert not client.exists(init_key(44), keyframe_key(44), stream_key(44))
    assert relay.fragments.group and relay.fragments.fragments == 0

    watch(client, 44)
    # The init segment and the newest keyframe group come at once, from the node's memory.
    assert holds_within(lambda: client.exists(init_key(44), keyframe_key(44)) == 2, 5)
    init = client.hgetall(init_key(44))
    assert init[b"data"][4:8] == b"ftyp" and b"avcC" in init[b"data"]
    entries = client.xrange(stream_key(44), min=client.get(keyframe_key(44)), max="+")
    assert entries[0][1][b"k"] == b"1" and starts_with_keyframe(entries[0][1][b"d"])
    assert {fields[b"r"] for _, fields in entries} == {init[b"run"]}
    # Then each fragment as it comes.
    published = client.xlen(stream_key(44))
    assert holds_within(lambda: client.xlen(stream_key(44)) >= published + 15, 5)
    times = [int(fields[b"t"]) for _, fields in client.xrange(stream_key(44))]
    assert times == sorted(set(times)), "strictly rising: the wall's player drops a repeated time"

    # Nobody watches any more: the relay goes back to keeping its newest keyframe group to itself.
    client.delete(watched_key(44))
    assert holds_within(lambda: not relay.fragments.publishing, 5)
    published = client.xlen(stream_key(44))
    frames = relay.progress.frames
    assert holds_within(lambda: relay.progress.frames >= frames + 15, 5)
    assert client.xlen(stream_key(44)) == published


def test_a_transcoding_relay_publishes_no_fragments(relays, srt_camera, srt_port):
    client = redis_client()
    watch(client, 42)
    relay = relays(push_spec(srt_port, camera_id=42, masks=((0.0, 0.0, 0.5, 0.5),)))
    srt_camera(srt_port, PASSPHRASE, "dev-11")
    assert holds_within(lambda: relay.progress.frames > 0, 15), relay.stderr_text
    assert relay.transcode and relay.fragments is None
    assert not client.exists(init_key(42), stream_key(42))


def test_an_unreachable_redis_never_holds_up_ffmpeg(tmp_path):
    # The relay's ffmpeg blocks when its fragment pipe is not read: a publisher whose Redis is
    # gone must go on reading (and publish nothing), or HLS would stop with the wall's socket.
    gone = redis.Redis(unix_socket_path=str(tmp_path / "no-redis.sock"), socket_timeout=0.5)
    publisher = FragmentPublisher(43, gone)
    argv = [
        find_ffmpeg().path, "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=15",
        "-t", "4", *live_h264(keyframe_every=15), "-f", "mp4", "-movflags", MOVFLAGS, "pipe:1",
    ]  # fmt: skip
    ffmpeg = subprocess.Popen(argv, stdout=subprocess.PIPE)
    publisher.run(ffmpeg.stdout)
    assert ffmpeg.wait(30) == 0
    assert publisher.init and not publisher.publishing and publisher.fragments == 0
