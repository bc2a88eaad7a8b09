"""The wall's WebSocket: camera status, snapshots, incidents and pushed layouts for one agency."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from agencies.access import membership_of
from agencies.models import Agency
from agencies.signin.sockets import SignedInSocket
from cameras.events import agency_group
from cameras.viewing.presence import wall_closed, wall_opened
from cameras.wall.services import camera_states, wall_state
from rtcc import jsonlimits

# Close codes a wall tells apart: sign in again, or give up.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
MAX_MESSAGE_CHARS = 4096


class WallConsumer(SignedInSocket, AsyncJsonWebsocketConsumer):
    """One wall tab. Its Origin was checked by the ASGI stack; the user is checked here.

    It closes when its user's access ends (sign-out, deactivation, membership removed) or
    its agency is suspended.
    """

    async def connect(self):
        user = self.scope.get("user")
        if not getattr(user, "is_authenticated", False):
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        membership = await database_sync_to_async(membership_of)(user)
        if membership is None or not membership.watches_video or membership.agency.is_suspended:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.agency_id = membership.agency_id
        self.group = agency_group(membership.agency_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await database_sync_to_async(wall_opened)(user.pk)
        self.counted = True
        await self.watch_access()
        await self.send_state()

    async def disconnect(self, code):
        await self.unwatch_access()
        if getattr(self, "counted", False):
            await database_sync_to_async(wall_closed)(self.scope["user"].pk)
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        # A wall sends only small JSON objects. Anything else is answered with a reason, never by
        # an exception that would end the connection with an error (the socket's 500).
        if text_data is None or len(text_data) > MAX_MESSAGE_CHARS:
            await self.send_json(
                {"type": "error", "detail": f"Send JSON text of at most {MAX_MESSAGE_CHARS} characters."}
            )
            return
        try:
            content = jsonlimits.loads(text_data)
        except jsonlimits.JSONRefused as error:
            await self.send_json({"type": "error", "detail": str(error)})
            return
        await self.receive_json(content, **kwargs)

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "state.request":
            await self.send_state()

    async def send_state(self):
        state = await database_sync_to_async(wall_state)(self.scope["user"])
        self.visible = {camera["id"] for camera in state["cameras"]}
        await self.send_json(state)

    async def camera_status(self, event):
        if event.get("camera_id") in self.visible:
            await self.send_json(event)
        else:
            # A camera added since this wall connected: send it whole if the user may see it.
            await self.camera_consent(event)

    async def camera_snapshot(self, event):
        if event.get("camera_id") in self.visible:
            await self.send_json(event)

    async def camera_consent(self, event):
        camera_id = event.get("camera_id")
        states = await database_sync_to_async(camera_states)(self.scope["user"], [camera_id])
        if states:
            self.visible.add(camera_id)
            await self.send_json({"type": "camera.update", "camera": states[0]})
        elif camera_id in self.visible:
            self.visible.discard(camera_id)
            await self.send_json({"type": "camera.removed", "camera_id": camera_id})

    async def incident_opened(self, event):
        await self.send_json(event)

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
