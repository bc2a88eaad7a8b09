"""A wall's video socket (`/ws/live/`): the low-latency fragments of every tile, multiplexed by camera.

The page asks with small JSON messages:
- `{"type": "open", "camera": <id>, "url": <the tile's signed live link>}` opens the camera's
  stream, or renews the link it is checked with (the link's token carries the viewing session);
- `{"type": "close", "camera": <id>}` ends it (a tile hidden, cleared or disposed);
- `{"type": "resync", "camera": <id>}` starts it again at the newest keyframe (a player that stalled);
- `{"type": "ack", "bytes": <binary bytes received so far>}`, a few times a second while video comes.
Each of the first three may name `"stream": "main" | "sub"` (default main): a grid tile plays the
camera's substream, an enlarged one its main stream, and while it switches both flow. Opening a
stream demands it (cameras/relay/demand.py) as long as it stays open: an on-demand camera in grid
tiles only has its substream alone relayed, and enlarging a tile starts its main relay at once;
`close` without a stream ends every stream of the camera. Both streams of
a camera are checked with the one link, so a revoke ends both at once.
It gets binary messages (cameras/live_stream/frames.py), `{"type": "opened", "camera", "stream"}`
once a stream passed its check, and `{"type": "closed", "camera", "detail"}` when a camera's
streams end for a reason the tile shows (refused, revoked, ended).

Nothing pushes back on a WebSocket's sender: what a busy page has not read yet waits in the
server's buffers, and a page that falls behind would be fed seconds of stale video. So the page
acknowledges what it has handled, and when the oldest video it has not acknowledged was sent more
than `BEHIND_S` ago the socket sends nothing more until the page has caught up, then goes on at
each stream's next keyframe (cameras/live_stream/streams.py): the page is never handed more than
about `BEHIND_S` of stale video. A page that never acknowledges is sent everything, as before.
"""

import asyncio
import logging
import time
from collections import deque

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings

from agencies.signin.sockets import SignedInSocket
from cameras.live_stream.access import CHECK_SECONDS, refused_streams
from cameras.live_stream.streams import StreamReader
from cameras.media.signing import token_in
from cameras.relay.demand import add_demands, release_demand
from cameras.relay.fragments import MAIN, STREAMS
from rtcc.websocket import BoundedJsonConsumer

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
MAX_STREAMS = 64  # an 8x8 wall
# Unacknowledged video sent longer ago than this: the page is behind. The tiles' bound is 1 s.
BEHIND_S = 0.5
# A stream's demand lapses this long after a socket that vanished without closing renewed it.
DEMAND_SECONDS = 30
DEMAND_RENEW_SECONDS = 10


def demand_streams(keys, holder: str) -> None:
    """Demand (or renew) these (camera id, stream)s for the socket `holder`, in one trip to a thread."""
    for stream in STREAMS:
        camera_ids = sorted(camera_id for camera_id, each in keys if each == stream)
        if camera_ids:
            add_demands(camera_ids, holder, DEMAND_SECONDS, stream)


class LiveStreamConsumer(SignedInSocket, BoundedJsonConsumer):
    """One wall tab's video. Origin is checked by the ASGI stack, each camera by `refused_streams`."""

    async def connect(self):
        user = self.scope.get("user")
        if not getattr(user, "is_authenticated", False):
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.tokens: dict[int, str] = {}
        # (camera id, stream) -> its access check under way
        self.opening: dict[tuple[int, str], asyncio.Future] = {}
        self.demanding: set[tuple[int, str]] = set()  # (camera id, stream)s this socket demands
        self.holder = f"socket:{self.channel_name}"
        self.cookie = self.scope.get("cookies", {}).get(settings.SESSION_COOKIE_NAME, "")
        self.sent = 0  # binary bytes sent
        self.acked = 0
        self.unacked: deque[tuple[int, float]] = deque()  # (bytes sent up to a message, when)
        self.paced = False  # from the page's first acknowledgement on
        self.held = False
        self.holds = 0
        self.reader = StreamReader(self.send_video, self.page_keeps_up)
        await self.accept()
        await self.watch_access()
        self.tasks = [asyncio.ensure_future(self.reader.run()), asyncio.ensure_future(self.recheck())]

    async def disconnect(self, code):
        await self.unwatch_access()
        if hasattr(self, "reader"):
            self.reader.closing = True  # its loop ends at its next pass even if a cancel went astray
        for task in [*getattr(self, "tasks", []), *getattr(self, "opening", {}).values()]:
            task.cancel()
        for camera_id, stream in list(getattr(self, "demanding", ())):
            await self.undemand(camera_id, stream)
        if hasattr(self, "reader"):
            await asyncio.gather(*self.tasks, return_exceptions=True)
            await self.reader.aclose()

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "ack":
            await self.acknowledged(content.get("bytes"))
            return
        # A request without a type and a camera is answered with a reason; the socket stays open.
        try:
            kind, camera_id = str(content["type"]), int(content["camera"])
            stream = str(content.get("stream") or MAIN)
        except (KeyError, TypeError, ValueError, AttributeError):
            await self.send_json({"type": "error", "detail": 'Send {"type", "camera"} as JSON.'})
            return
        if stream not in STREAMS:
            await self.send_json({"type": "error", "detail": 'A stream is "main" or "sub".'})
            return
        if kind == "open":
            self.open_soon(camera_id, content.get("url"), stream)
        elif kind == "close" and "stream" in content:
            await self.close_stream(camera_id, stream)
        elif kind == "close":
            await self.forget(camera_id)
        elif kind == "resync":
            self.reader.restart(camera_id, stream)

    def open_soon(self, camera_id: int, url, stream: str = MAIN) -> None:
        """Check and open the stream in a task of its own: the check waits on the database, and the
        page's acknowledgements and its other cameras must not wait behind it (with 64 tiles opening
        at once, an acknowledgement would wait for every check before it, and the socket would hold
        all video meanwhile). A stream opened again (a renewed link) or closed meanwhile drops the
        check under way."""
        key = (camera_id, stream)
        self.cancel_checks(key)
        opening = {camera for camera, _ in self.opening}
        full = camera_id not in self.tokens and len(self.tokens.keys() | opening) >= MAX_STREAMS
        task = asyncio.ensure_future(self.open_stream(camera_id, url, stream, full))
        self.opening[key] = task
        task.add_done_callback(
            lambda done: self.opening.pop(key, None) if self.opening.get(key) is done else None
        )

    def cancel_checks(self, *keys) -> None:
        for key in keys:
            check = self.opening.pop(key, None)
            if check is not None:
                check.cancel()

    async def open_stream(self, camera_id: int, url, stream: str, full: bool) -> None:
        token = token_in(url, camera_id) if isinstance(url, str) else None
        if token is None:
            # The page drops the camera on `closed`: nothing of it may go on here either.
            await self.stop_streams(camera_id)
            await self.closed(camera_id, "This is not a live video link of this camera.")
            return
        if full:
            await self.closed(camera_id, f"One wall streams at most {MAX_STREAMS} cameras.")
            return
        try:
            refused = await database_sync_to_async(refused_streams)(
                self.scope["user"], self.cookie, {camera_id: token}
            )
        except Exception:
            logger.warning("live stream: could not check access to camera %s", camera_id, exc_info=True)
            refused = {camera_id: "Access could not be checked; open the camera again."}
        if camera_id in refused:
            await self.stop_streams(camera_id)
            await self.closed(camera_id, refused[camera_id])
            return
        self.tokens[camera_id] = token
        self.reader.open(camera_id, stream)
        if (camera_id, stream) not in self.demanding:
            self.demanding.add((camera_id, stream))
            await sync_to_async(demand_streams)([(camera_id, stream)], self.holder)
        await self.send_json({"type": "opened", "camera": camera_id, "stream": stream})

    async def recheck(self) -> None:
        """Every camera again, as every HLS request is: a revoke or an ended session stops it here."""
        renewed = asyncio.get_running_loop().time()
        while True:
            await asyncio.sleep(CHECK_SECONDS)
            if self.demanding and asyncio.get_running_loop().time() - renewed > DEMAND_RENEW_SECONDS:
                renewed = asyncio.get_running_loop().time()
                try:
                    await sync_to_async(demand_streams)(list(self.demanding), self.holder)
                except Exception:  # the next renewal tries again; this task must not end
                    logger.warning("live stream: could not renew the streams' demand", exc_info=True)
            if not self.tokens:
                continue
            try:
                refused = await database_sync_to_async(refused_streams)(
                    self.scope["user"], self.cookie, dict(self.tokens)
                )
            except Exception:
                # Access that cannot be checked is refused: a database down must not leave a
                # revoked camera playing until the socket closes.
                logger.warning("live stream: could not check access; closing every camera", exc_info=True)
                refused = {
                    camera_id: "Access could not be checked; open the camera again."
                    for camera_id in self.tokens
                }
            for camera_id, reason in refused.items():
                await self.forget(camera_id)
                await self.closed(camera_id, reason)

    async def forget(self, camera_id: int) -> None:
        """End every stream of the camera, and any check of it under way."""
        self.cancel_checks(*[key for key in self.opening if key[0] == camera_id])
        await self.stop_streams(camera_id)

    async def stop_streams(self, camera_id: int) -> None:
        self.tokens.pop(camera_id, None)
        self.reader.close(camera_id)
        for stream in STREAMS:
            await self.undemand(camera_id, stream)

    async def close_stream(self, camera_id: int, stream: str) -> None:
        self.cancel_checks((camera_id, stream))
        self.reader.close(camera_id, stream)
        await self.undemand(camera_id, stream)
        if not any(key[0] == camera_id for key in self.reader.streams):
            self.tokens.pop(camera_id, None)

    async def undemand(self, camera_id: int, stream: str) -> None:
        if (camera_id, stream) in self.demanding:
            self.demanding.discard((camera_id, stream))
            await sync_to_async(release_demand)(camera_id, self.holder, stream)

    async def send_video(self, camera_id: int, message: bytes) -> None:
        if camera_id in self.tokens:
            await self.send(bytes_data=message)
            self.sent += len(message)
            self.unacked.append((self.sent, time.monotonic()))

    async def acknowledged(self, received) -> None:
        if isinstance(received, bool) or not isinstance(received, int) or received < 0:
            await self.send_json({"type": "error", "detail": 'Send {"type": "ack", "bytes": <count>}.'})
            return
        self.paced = True
        self.acked = max(self.acked, min(received, self.sent))
        while self.unacked and self.unacked[0][0] <= self.acked:
            self.unacked.popleft()
        if self.held and not self.unacked:
            self.held = False
            self.reader.changed.set()  # caught up: read again now, each stream from its next keyframe

    def page_keeps_up(self) -> bool:
        if self.held:
            return False
        if self.paced and self.unacked and time.monotonic() - self.unacked[0][1] > BEHIND_S:
            self.held = True
            self.holds += 1
            logger.info("video socket: the page is behind; skipping to keyframes (%d times)", self.holds)
            return False
        return True

    async def closed(self, camera_id: int, detail: str) -> None:
        await self.send_json({"type": "closed", "camera": camera_id, "detail": detail})
