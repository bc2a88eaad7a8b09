"""The binary messages of a wall's video socket: a fixed header, then MP4 bytes.

Header (16 bytes, big-endian): camera id (u32), kind (u8: 0 init segment, 1 fragment),
keyframe (u8), reserved (u16), the node's clock when the fragment was read, in ms since the
epoch (f64; 0 for an init segment). static/wall/live_socket.js reads the same layout.
"""

import struct

HEADER = struct.Struct(">IBBHd")
INIT = 0
FRAGMENT = 1


def init_message(camera_id: int, data: bytes) -> bytes:
    return HEADER.pack(camera_id, INIT, 0, 0, 0.0) + data


def fragment_message(camera_id: int, data: bytes, keyframe: bool, produced_ms: float) -> bytes:
    return HEADER.pack(camera_id, FRAGMENT, int(keyframe), 0, produced_ms) + data
