"""Long-lived connections of signed-in people close when their access ends.

Each such socket joins its user's channel group; ending someone's access sends the group a
close once the change commits, which reaches every socket within a second or two. A lost
message must not keep a socket open (no security decision depends on a Channels message):
each socket also re-checks its session on a timer and closes when it no longer holds.
"""

import asyncio
import logging

from channels.db import database_sync_to_async
from django.db import transaction

from agencies.signin.sessions import still_signed_in
from rtcc.async_redis import group_send_now

logger = logging.getLogger(__name__)

CLOSE_SIGNED_OUT = 4401
RECHECK_SECONDS = 30


def user_group(user_id: int) -> str:
    return f"user-{user_id}"


def close_sockets_of(user_id: int) -> None:
    """Close every socket of the user once the current transaction commits."""

    def send():
        try:
            group_send_now(user_group(user_id), {"type": "access.ended"})
        except Exception:  # the re-check closes the sockets later; the change itself stands
            logger.warning("could not tell user %s's sockets to close", user_id, exc_info=True)

    transaction.on_commit(send)


class SignedInSocket:
    """A consumer mixin: call `watch_access()` once accepted and `unwatch_access()` on disconnect."""

    async def watch_access(self):
        user_id = self.scope["user"].pk
        self.access_group = user_group(user_id)
        await self.channel_layer.group_add(self.access_group, self.channel_name)
        session = self.scope.get("session")
        self.access_check = asyncio.ensure_future(
            self.recheck_access(getattr(session, "session_key", None), user_id)
        )

    async def unwatch_access(self):
        if hasattr(self, "access_check"):
            self.access_check.cancel()
        if hasattr(self, "access_group"):
            await self.channel_layer.group_discard(self.access_group, self.channel_name)

    async def recheck_access(self, session_key: str | None, user_id: int):
        check = database_sync_to_async(still_signed_in)
        while True:
            await asyncio.sleep(RECHECK_SECONDS)
            if not await check(session_key, user_id):
                await self.close(code=CLOSE_SIGNED_OUT)
                return
            if not await self.access_still_allowed():
                return

    async def access_still_allowed(self) -> bool:
        """A consumer's own re-check beyond the session's (it closes the socket itself); True by default."""
        return True

    async def access_ended(self, event):
        if hasattr(self, "access_check"):
            self.access_check.cancel()
        await self.close(code=CLOSE_SIGNED_OUT)
