"""The binary messages of a wall's video socket: a fixed header, then MP4 bytes.

Header (16 bytes, big-endian): camera id (u32), kind (u8: 0 init segment, 1 fragment),
keyframe (u8), stream (u16: 0 the camera's main stream, 1 its substream), the node's clock when the fragment was read, in ms since the
epoch (f64; 0 for an init segment). static/wall/live_socket.js reads the same layout.
"""

import struct

from cameras.relay.fragments import MAIN, STREAMS

HEADER = struct.Struct(">IBBHd")
INIT = 0
FRAGMENT = 1


def init_message(camera_id: int, data: bytes, stream: str = MAIN) -> bytes:
    return HEADER.pack(camera_id, INIT, 0, STREAMS.index(stream), 0.0) + data


def fragment_message(
    camera_id: int, data: bytes, keyframe: bool, produced_ms: float, stream: str = MAIN
) -> bytes:
    return HEADER.pack(camera_id, FRAGMENT, int(keyframe), STREAMS.index(stream), produced_ms) + data
