"""The wall's socket answers bad messages with a reason and stays open: no exception ends it."""

from asgiref.sync import sync_to_async

from cameras.consumers import MAX_MESSAGE_CHARS
from tests.wall.fixtures import WallPersonas, session_cookie, wall_socket

TIMEOUT = 10


class WallSocketInputTests(WallPersonas):
    async def test_deep_binary_and_oversized_messages_get_a_reason_and_the_socket_lives_on(self):
        socket = wall_socket(await sync_to_async(session_cookie)(self.dispatcher))
        connected, _ = await socket.connect(timeout=TIMEOUT)
        self.assertTrue(connected)
        self.assertEqual((await socket.receive_json_from(timeout=TIMEOUT))["type"], "state")
        for message, reason in [
            ({"text_data": "[" * 2000 + "]" * 2000}, "deeper than"),  # past Python's recursion limit
            ({"text_data": "[" * 33 + "]" * 33}, "deeper than"),
            ({"text_data": "{not json"}, "JSON parse error"),
            ({"text_data": " " * (MAX_MESSAGE_CHARS + 1)}, "at most"),
            ({"bytes_data": b"\x00\x01"}, "at most"),
        ]:
            await socket.send_to(**message)
            answer = await socket.receive_json_from(timeout=TIMEOUT)
            self.assertEqual(answer["type"], "error")
            self.assertIn(reason, answer["detail"])
        await socket.send_json_to({"type": "state.request"})
        self.assertEqual((await socket.receive_json_from(timeout=TIMEOUT))["type"], "state")
        await socket.disconnect()
