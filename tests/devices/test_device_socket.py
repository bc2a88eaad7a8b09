"""The control channel's consumer driven through the real ASGI application: who may open it, the
orders it sends, heartbeats and bad messages, a revoked token, and the portal's pause."""

from datetime import timedelta

from asgiref.sync import sync_to_async
from django.utils import timezone

from cameras.models import Consent
from cameras.relay.boxes import tell_box
from cameras.relay.models import RelayLease, RelayNode
from devices.models import Device
from devices.pause import do_owner_switch
from devices.tokens import do_revoke_token
from rtcc.asgi import application
from tests.relay_fleet.fleet import FleetTestCase
from tests.sockets import Socket

TIMEOUT = 10


def box_socket(token: str | None, origin: str | None = None) -> Socket:
    headers = [(b"host", b"127.0.0.1")]
    if token is not None:
        headers.append((b"authorization", f"Device {token}".encode()))
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return Socket(application, "/ws/device/", headers=headers)


class DeviceSocketTests(FleetTestCase):
    def setUp(self):
        super().setUp()
        self.camera = self.add_camera("Rita's porch", level=Consent.Level.LIVE)
        self.token = self.edge_box.issue_token()
        self.edge_box.save(update_fields=["token_hash", "token_issued_at", "token_rotation_requested_at"])

    async def connected(self):
        socket = box_socket(self.token)
        connected, _ = await socket.connect(timeout=TIMEOUT)
        self.assertTrue(connected)
        orders = await socket.receive_json_from(timeout=TIMEOUT)
        self.assertEqual(orders["type"], "orders")
        return socket, orders

    def lease_camera(self):
        now = timezone.now()
        RelayLease.objects.create(
            camera=self.camera,
            node=RelayNode.objects.create(name="relay1", srt_host="10.0.0.7"),
            acquired_at=now,
            expires_at=now + timedelta(seconds=30),
            srt_port=20001,
        )
        tell_box(self.edge_box.pk)

    async def test_a_socket_without_a_valid_token_or_with_an_origin_is_refused(self):
        for token, origin in [(None, None), ("made-up", None), (self.token, "http://127.0.0.1")]:
            connected, _ = await box_socket(token, origin).connect(timeout=TIMEOUT)
            self.assertFalse(connected, (token, origin))

    async def test_orders_name_a_camera_only_while_a_node_holds_its_lease(self):
        socket, orders = await self.connected()
        self.assertEqual((orders["cameras"], orders["paused"]), ([], False))
        await sync_to_async(self.lease_camera)()
        orders = await socket.receive_json_from(timeout=TIMEOUT)
        [order] = orders["cameras"]
        self.assertEqual((order["id"], order["host"], order["port"]), (self.camera.pk, "10.0.0.7", 20001))
        self.assertEqual(order["passphrase"], self.camera.srt_passphrase)
        self.assertEqual(order["stream_id"], self.camera.stream_id)
        await socket.disconnect()

    async def test_heartbeats_are_recorded_and_bad_messages_answered_with_a_reason(self):
        socket, _ = await self.connected()
        report = {"id": self.camera.pk, "frames": 12, "errors": 0}
        await socket.send_json_to({"type": "heartbeat", "agent_version": "0.3.0", "cameras": [report]})
        self.assertEqual((await socket.receive_json_from(timeout=TIMEOUT))["type"], "heartbeat.ok")
        self.assertEqual((await socket.receive_json_from(timeout=TIMEOUT))["type"], "orders")
        device = await Device.objects.aget(pk=self.edge_box.pk)
        self.assertEqual(device.agent_version, "0.3.0")
        self.assertEqual(device.camera_health[str(self.camera.pk)]["frames"], 12)
        for bad in [
            '{"type": "heartbeat", "cameras": [{"id": 999999}]}',
            "not json",
            "[" * 100,
            "x" * 40_000,
        ]:
            await socket.send_to(text_data=bad)
            answer = await socket.receive_json_from(timeout=TIMEOUT)
            self.assertEqual(answer["type"], "error", bad[:40])
            self.assertTrue(answer["detail"])
        await socket.disconnect()

    async def test_a_revoked_token_closes_the_channel(self):
        socket, _ = await self.connected()
        await sync_to_async(do_revoke_token)(None, self.edge_box)
        output = await socket.receive_output(timeout=TIMEOUT)
        self.assertEqual((output["type"], output["code"]), ("websocket.close", 4401))

    async def test_the_portal_pause_reaches_the_box_and_no_camera_is_ordered(self):
        await sync_to_async(self.lease_camera)()
        socket, orders = await self.connected()
        self.assertEqual(len(orders["cameras"]), 1)
        await sync_to_async(do_owner_switch)(self.resident, self.edge_box, pause=True)
        orders = await socket.receive_json_from(timeout=TIMEOUT)
        self.assertEqual((orders["paused"], orders["paused_from"], orders["cameras"]), (True, "portal", []))
        await sync_to_async(do_owner_switch)(self.resident, self.edge_box, pause=False)
        orders = await socket.receive_json_from(timeout=TIMEOUT)
        self.assertEqual((orders["paused"], len(orders["cameras"])), (False, 1))
        await socket.disconnect()
