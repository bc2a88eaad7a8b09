"""The control channel `/ws/device/`: one outbound WebSocket from each edge box to the hub.

The box opens it (so it works from behind any NAT) with `Authorization: Device <token>`. Over
it the hub sends the box's orders whole, `{"type": "orders", "cameras": [...]}`: the cameras
to push now, each with the node's address, SRT port, passphrase and stream id; a camera not
listed is to stop. Orders go out when the socket opens, when a relay node starts or stops a
camera of the box (`cameras.relay.boxes`), and in answer to every heartbeat (and pause or resume), so a lost message
costs at most one heartbeat. The box sends heartbeats with its cameras' health, and says
when its owner paused or resumed it.

A box sends no Origin header; a socket that has one was opened by a web page and is refused,
so no page can borrow a box's credentials. Security never rests on this channel: a relay
listens only while it holds the camera's lease, with the camera's own passphrase.
"""

from channels.db import database_sync_to_async

from cameras.relay.boxes import box_group
from devices.control import (
    ControlMessageRefused,
    do_record_box_message,
    orders_for,
    token_from_headers,
)
from devices.enrollment import device_for_token
from devices.models import hash_token
from rtcc.websocket import BoundedJsonConsumer

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
MAX_MESSAGE_CHARS = 32_768


class DeviceConsumer(BoundedJsonConsumer):
    """One box's control channel."""

    max_message_chars = MAX_MESSAGE_CHARS

    async def connect(self):
        headers = dict(self.scope.get("headers", []))
        if b"origin" in headers:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        token = token_from_headers(headers)
        device = await database_sync_to_async(device_for_token)(token) if token else None
        if device is None:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.device_id = device.pk
        self.token_hash = hash_token(token)
        self.ip = (self.scope.get("client") or [None])[0]
        self.group = box_group(device.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_orders()

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        try:
            answer = await database_sync_to_async(do_record_box_message)(
                self.device_id, self.token_hash, content, ip=self.ip
            )
        except ControlMessageRefused as error:
            if error.close:
                await self.close(code=CLOSE_UNAUTHENTICATED)
                return
            await self.send_json({"type": "error", "detail": error.detail})
            return
        if answer:
            if answer.get("device_token"):  # rotated: this socket holds the new token from now on
                self.token_hash = hash_token(answer["device_token"])
            await self.send_json(answer)
        if content.get("type") != "thumbnail":  # a picture changes no order: nothing to resend
            await self.send_orders()

    async def send_orders(self):
        orders = await database_sync_to_async(orders_for)(self.device_id, self.token_hash)
        if orders is None:  # the token was revoked or replaced: this socket ends
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        await self.send_json(orders)

    async def box_orders(self, event):
        await self.send_orders()
