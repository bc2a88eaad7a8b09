"""The wall's WebSocket: live tile status for the caller's agency."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from agencies.access import cameras_visible_to, membership_of
from cameras.events import agency_group


class WallConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        membership = await database_sync_to_async(membership_of)(user)
        if membership is None or not membership.watches_video:
            await self.close(code=4403)
            return
        self.group = agency_group(membership.agency_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "state", "cameras": await self.camera_states()})

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    @database_sync_to_async
    def camera_states(self) -> list[dict]:
        cameras = cameras_visible_to(self.scope["user"]).values(
            "id", "name", "status", "status_reason", "last_frame_at", "snapshot_version"
        )
        return [{**camera, "last_frame_at": _iso(camera["last_frame_at"])} for camera in cameras]

    async def camera_status(self, event):
        await self.send_json(event)


def _iso(moment):
    return moment.isoformat() if moment else None
