"""A wall's video socket (`/ws/live/`): the low-latency fragments of every tile, multiplexed by camera.

The page asks with small JSON messages:
- `{"type": "open", "camera": <id>, "url": <the tile's signed live link>}` opens the camera's
  stream, or renews the link it is checked with (the link's token carries the viewing session);
- `{"type": "close", "camera": <id>}` ends it (a tile hidden, cleared or disposed);
- `{"type": "resync", "camera": <id>}` starts it again at the newest keyframe (a player that stalled);
- `{"type": "ack", "bytes": <binary bytes received so far>}`, a few times a second while video comes.
It gets binary messages (cameras/live_stream/frames.py), `{"type": "opened", "camera"}` once a
camera passed its check, and `{"type": "closed", "camera", "detail"}` when a camera's stream
ends for a reason the tile shows (refused, revoked, ended).

Nothing pushes back on a WebSocket's sender: what a busy page has not read yet waits in the
server's buffers, and a page that falls behind would be fed seconds of stale video. So the page
acknowledges what it has handled, and when the oldest video it has not acknowledged was sent more
than `BEHIND_S` ago the socket sends nothing more until the page has caught up, then goes on at
each camera's next keyframe (cameras/live_stream/streams.py): the page is never handed more than
about `BEHIND_S` of stale video. A page that never acknowledges is sent everything, as before.
"""

import asyncio
import logging
import time
from collections import deque

from channels.db import database_sync_to_async
from django.conf import settings

from agencies.signin.sockets import SignedInSocket
from cameras.live_stream.access import CHECK_SECONDS, refused_streams
from cameras.live_stream.streams import StreamReader
from cameras.media.signing import token_in
from rtcc.websocket import BoundedJsonConsumer

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
MAX_STREAMS = 64  # an 8x8 wall
# Unacknowledged video sent longer ago than this: the page is behind. The tiles' bound is 1 s.
BEHIND_S = 0.5


class LiveStreamConsumer(SignedInSocket, BoundedJsonConsumer):
    """One wall tab's video. Origin is checked by the ASGI stack, each camera by `refused_streams`."""

    async def connect(self):
        user = self.scope.get("user")
        if not getattr(user, "is_authenticated", False):
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.tokens: dict[int, str] = {}
        self.opening: dict[int, asyncio.Future] = {}  # camera id -> its access check under way
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
        for task in [*getattr(self, "tasks", []), *getattr(self, "opening", {}).values()]:
            task.cancel()
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
        except (KeyError, TypeError, ValueError):
            await self.send_json({"type": "error", "detail": 'Send {"type", "camera"} as JSON.'})
            return
        if kind == "open":
            self.open_soon(camera_id, content.get("url"))
        elif kind == "close":
            self.forget(camera_id)
        elif kind == "resync":
            self.reader.restart(camera_id)

    def open_soon(self, camera_id: int, url) -> None:
        """Check and open the camera in a task of its own: the check waits on the database, and the
        page's acknowledgements and its other cameras must not wait behind it (with 64 tiles opening at
        once, an acknowledgement would wait for every check before it, and the socket would hold all
        video meanwhile). A camera
        opened again (a renewed link) or closed meanwhile drops the check under way."""
        previous = self.opening.pop(camera_id, None)
        if previous is not None:
            previous.cancel()
        full = camera_id not in self.tokens and len(self.tokens.keys() | self.opening.keys()) >= MAX_STREAMS
        task = asyncio.ensure_future(self.open_stream(camera_id, url, full))
        self.opening[camera_id] = task
        task.add_done_callback(
            lambda done: self.opening.pop(camera_id, None) if self.opening.get(camera_id) is done else None
        )

    async def open_stream(self, camera_id: int, url, full: bool) -> None:
        token = token_in(url, camera_id) if isinstance(url, str) else None
        if token is None:
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
            self.stop_stream(camera_id)
            await self.closed(camera_id, refused[camera_id])
            return
        self.tokens[camera_id] = token
        self.reader.open(camera_id)
        await self.send_json({"type": "opened", "camera": camera_id})

    async def recheck(self) -> None:
        """Every camera again, as every HLS request is: a revoke or an ended session stops it here."""
        while True:
            await asyncio.sleep(CHECK_SECONDS)
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
                self.forget(camera_id)
                await self.closed(camera_id, reason)

    def forget(self, camera_id: int) -> None:
        check = self.opening.pop(camera_id, None)
        if check is not None:
            check.cancel()
        self.stop_stream(camera_id)

    def stop_stream(self, camera_id: int) -> None:
        self.tokens.pop(camera_id, None)
        self.reader.close(camera_id)

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
            self.reader.changed.set()  # caught up: read again now, each camera from its next keyframe

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
