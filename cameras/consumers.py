"""The wall's WebSocket: camera status, snapshots, incidents and pushed layouts for one agency."""

import asyncio

from channels.db import database_sync_to_async
from django.core.exceptions import ValidationError

from agencies.access import membership_of
from agencies.models import Agency
from agencies.signin.sockets import SignedInSocket
from cameras.events import agency_group
from cameras.viewing.presence import wall_closed, wall_opened
from cameras.wall.batches import for_wall
from cameras.wall.services import camera_states, wall_state
from cameras.wall.subscription import (
    NOTHING,
    subscribed_state,
    subscription_from,
    subscription_from_query,
)
from rtcc.websocket import BoundedJsonConsumer

# Close codes a wall tells apart: sign in again, or give up.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
MAX_MESSAGE_CHARS = 4096
# A viewport's state is sent again this long after the first change that asks for it, once.
STATE_SETTLE_S = 0.2


def event_camera_ids(event) -> list[int]:
    """The cameras a `camera.consent` names: one (`camera_id`) or several (`camera_ids`)."""
    named = event.get("camera_ids") if "camera_ids" in event else [event.get("camera_id")]
    return [camera_id for camera_id in named if isinstance(camera_id, int)]


class WallConsumer(SignedInSocket, BoundedJsonConsumer):
    """One wall tab. Its Origin was checked by the ASGI stack; the user is checked here.

    It closes when its user's access ends (sign-out, deactivation, membership removed) or
    its agency is suspended.
    """

    max_message_chars = MAX_MESSAGE_CHARS
    state_soon: asyncio.Task | None = None

    async def connect(self):
        user = self.scope.get("user")
        if not getattr(user, "is_authenticated", False):
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        membership = await database_sync_to_async(membership_of)(user)
        if membership is None or not membership.watches_video or membership.agency.is_suspended:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        refusal = ""
        try:
            self.subscription = subscription_from_query(self.scope.get("query_string", b""))
        except ValidationError as error:
            # A bad query subscribes to nothing and says why: it never costs the whole agency's state.
            self.subscription, refusal = NOTHING, " ".join(error.messages)
        self.agency_id = membership.agency_id
        self.group = agency_group(membership.agency_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await database_sync_to_async(wall_opened)(user.pk)
        self.counted = True
        await self.watch_access()
        if refusal:
            await self.send_json({"type": "error", "detail": refusal})
        await self.send_state()

    async def disconnect(self, code):
        if self.state_soon is not None:
            self.state_soon.cancel()
        await self.unwatch_access()
        if getattr(self, "counted", False):
            await database_sync_to_async(wall_closed)(self.scope["user"].pk)
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "state.request":
            await self.send_state()
        elif isinstance(content, dict) and content.get("type") == "subscribe":
            try:
                self.subscription = subscription_from(content)
            except ValidationError as error:
                await self.send_json({"type": "error", "detail": " ".join(error.messages)})
                return
            await self.send_state()

    async def send_state(self):
        if self.subscription is not None:
            state = await database_sync_to_async(subscribed_state)(self.scope["user"], self.subscription)
        else:
            state = await database_sync_to_async(wall_state)(self.scope["user"])
        self.visible = {camera["id"] for camera in state["cameras"]}
        await self.send_json(state)

    async def camera_status(self, event):
        if event.get("camera_id") in self.visible:
            await self.send_json(event)
        elif self.subscription is None:
            # A camera added since this wall connected: send it whole if the user may see it.
            await self.camera_consent(event)
        # A subscribed wall learns of a new camera from its `camera.consent` (registration, an
        # edit): a status alone never makes a camera visible, so it costs no query here.

    async def camera_snapshot(self, event):
        if event.get("camera_id") in self.visible:
            await self.send_json(event)

    async def cameras_batch(self, event):
        # One relay pass: one message to this wall with the cameras it shows, or none.
        shown, unknown = for_wall(event, self.visible)
        if shown:
            await self.send_json({"type": event["type"], "events": shown})
        if unknown and self.subscription is None:  # a subscribed wall hears only of what it shows
            await self.send_cameras(sorted(unknown))

    async def camera_consent(self, event):
        camera_ids = event_camera_ids(event)
        if self.subscription is None:
            await self.send_cameras(camera_ids)
            return
        unseen = [camera_id for camera_id in camera_ids if camera_id not in self.visible]
        if unseen:
            states = await database_sync_to_async(camera_states)(self.scope["user"], unseen)
            # Not shown, but the page's searched list may hold them: say so once they may not be seen.
            for camera_id in sorted(set(unseen) - {state["id"] for state in states}):
                await self.send_json({"type": "camera.removed", "camera_id": camera_id})
            viewport = self.subscription.viewport
            if viewport is not None and any(
                viewport.contains(state["lat"], state["lon"]) for state in states
            ):
                # Newly seen inside the map: the viewport again, so that its clusters count it too.
                self.send_state_soon()
        shown = [camera_id for camera_id in camera_ids if camera_id in self.visible]
        if shown:
            await self.send_cameras(shown)

    def send_state_soon(self):
        """The state once, STATE_SETTLE_S from now, however many changes ask for it meanwhile
        (cameras added one by one in an import, each its own message)."""
        if self.state_soon is None or self.state_soon.done():
            self.state_soon = asyncio.get_running_loop().create_task(self.send_state_later())

    async def send_state_later(self):
        await asyncio.sleep(STATE_SETTLE_S)
        await self.send_state()

    async def send_cameras(self, camera_ids):
        """Send each camera whole the user may see (and watch it from now on), the removal of the
        others it showed; one query for all."""
        states = await database_sync_to_async(camera_states)(self.scope["user"], list(camera_ids))
        for state in states:
            self.visible.add(state["id"])
            await self.send_json({"type": "camera.update", "camera": state})
        for camera_id in sorted(set(camera_ids) & self.visible - {state["id"] for state in states}):
            self.visible.discard(camera_id)
            await self.send_json({"type": "camera.removed", "camera_id": camera_id})

    async def incident_opened(self, event):
        await self.send_json(event)
        if self.subscription is not None:
            # A subscribed wall knows only what it shows: the new incident's cameras join it.
            cameras = event.get("incident", {}).get("cameras", [])
            missing = [camera.get("id") for camera in cameras if camera.get("id") not in self.visible]
            if missing:
                await self.send_cameras(missing)

    async def incident_closed(self, event):
        await self.send_json(event)

    async def incident_updated(self, event):
        await self.send_json(event)

    async def incident_dismissed(self, event):
        await self.send_json(event)

    async def layout_pushed(self, event):
        await self.send_json(event)

    async def agency_suspended(self, event):
        # The wall shows why, then the socket closes for good (4403: do not reconnect).
        await self.send_json({"type": "agency.suspended", "detail": event.get("detail", "")})
        await self.close(code=CLOSE_FORBIDDEN)

    async def access_still_allowed(self) -> bool:
        suspended = await database_sync_to_async(
            Agency.objects.filter(pk=self.agency_id, suspended_at__isnull=False).exists
        )()
        if suspended:
            await self.close(code=CLOSE_FORBIDDEN)
        return not suspended
