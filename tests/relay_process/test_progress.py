from datetime import UTC, datetime

from cameras.relay.progress import ProgressParser, number

# Captured from `ffmpeg -progress pipe:1` relaying SRT to HLS, a snapshot and recordings.
CAPTURED = """\
frame=36
fps=36.00
stream_0_0_q=-1.0
stream_1_0_q=-1.0
stream_2_0_q=5.0
bitrate=N/A
total_size=N/A
out_time_us=2400000
out_time_ms=2400000
out_time=00:00:02.400000
dup_frames=0
drop_frames=0
speed= 2.4x
progress=continue
frame=51
fps=25.49
stream_0_0_q=-1.0
bitrate= 571.7kbits/s
total_size=N/A
out_time_us=3400000
speed= 1.7x
progress=continue
frame=51
fps=17.00
bitrate=N/A
speed=N/A
progress=continue
"""

T1 = datetime(2026, 11, 23, 20, 0, 1, tzinfo=UTC)
T2 = datetime(2026, 11, 23, 20, 0, 2, tzinfo=UTC)
T3 = datetime(2026, 11, 23, 20, 0, 3, tzinfo=UTC)


def feed_all(parser, text, times):
    results = []
    for line in text.splitlines(keepends=True):
        result = parser.feed(line, now=times[len(results)])
        if result is not None:
            results.append(result)
    return results


def test_each_block_gives_frames_fps_bitrate_and_speed():
    first, second, third = feed_all(ProgressParser(), CAPTURED, [T1, T2, T3])
    assert (first.frames, first.fps, first.bitrate_kbps, first.speed) == (36, 36.0, 0.0, 2.4)
    assert (second.frames, second.fps, second.bitrate_kbps, second.speed) == (51, 25.49, 571.7, 1.7)
    assert third.frames == 51 and third.bitrate_kbps == 571.7 and third.speed == 0.0


def test_last_frame_time_moves_only_when_the_frame_counter_goes_up():
    first, second, third = feed_all(ProgressParser(), CAPTURED, [T1, T2, T3])
    assert first.last_frame_at == T1
    assert second.last_frame_at == T2
    assert third.last_frame_at == T2


def test_blocks_are_new_objects_so_readers_never_see_half_a_block():
    parser = ProgressParser()
    first, second, _ = feed_all(parser, CAPTURED, [T1, T2, T3])
    assert first is not second and first.frames == 36


def test_numbers_are_read_from_ffmpeg_units_and_na_is_none():
    assert number("571.7kbits/s") == 571.7
    assert number(" 1.13x") == 1.13
    assert number("N/A") is None
    assert number("1.2e+03x") == 1200.0


def test_frames_flushed_in_the_closing_block_do_not_count_as_live():
    parser = ProgressParser()
    feed_all(parser, "frame=10\nprogress=continue\n", [T1])
    (closing,) = feed_all(parser, "frame=14\nprogress=end\n", [T2])
    assert closing.frames == 14 and closing.last_frame_at == T1
