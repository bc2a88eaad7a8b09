"""A wall closes within 2 s when its user's access ends; only the site's own origin may open one."""

import subprocess
import sys
import time

from asgiref.sync import sync_to_async
from django.conf import settings

from agencies.signin.services import do_end_access
from tests.wall.fixtures import WallPersonas, session_cookie, wall_socket

CLOSE_WITHIN_S = 2


class AccessEndsSocketTests(WallPersonas):
    async def open_wall(self, user):
        socket = wall_socket(await sync_to_async(session_cookie)(user))
        connected, _ = await socket.connect(timeout=10)
        self.assertTrue(connected)
        state = await socket.receive_json_from(timeout=10)
        self.assertEqual(state["type"], "state")
        return socket

    async def assert_closed_soon(self, socket, started):
        while True:
            message = await socket.receive_output(timeout=CLOSE_WITHIN_S)
            if message["type"] == "websocket.close":
                break
        self.assertLess(time.monotonic() - started, CLOSE_WITHIN_S)
        self.assertEqual(message.get("code"), 4401)

    async def test_deactivating_the_user_closes_their_wall(self):
        socket = await self.open_wall(self.dispatcher)
        started = time.monotonic()

        def deactivate():
            self.dispatcher.is_active = False
            self.dispatcher.save()

        await sync_to_async(deactivate)()
        await self.assert_closed_soon(socket, started)

    async def test_removing_the_membership_closes_their_wall(self):
        socket = await self.open_wall(self.dispatcher)
        started = time.monotonic()
        await sync_to_async(lambda: self.dispatcher.membership.delete())()
        await self.assert_closed_soon(socket, started)

    async def test_signing_out_closes_their_wall(self):
        socket = await self.open_wall(self.dispatcher)
        started = time.monotonic()
        await sync_to_async(do_end_access)(self.dispatcher, reason="signed_out")
        await self.assert_closed_soon(socket, started)

    async def test_a_colleagues_wall_stays_open(self):
        mine = await self.open_wall(self.dispatcher)
        theirs = await self.open_wall(self.supervisor)
        await sync_to_async(do_end_access)(self.dispatcher, reason="signed_out")
        await self.assert_closed_soon(mine, time.monotonic())
        self.assertTrue(await theirs.receive_nothing(timeout=0.5))
        await theirs.disconnect()

    async def test_a_wall_does_not_reopen_with_the_ended_session(self):
        cookie = await sync_to_async(session_cookie)(self.dispatcher)
        await sync_to_async(do_end_access)(self.dispatcher, reason="signed_out")
        connected, code = await wall_socket(cookie).connect(timeout=10)
        self.assertFalse(connected)
        self.assertEqual(code, 4401)


class OriginTests(WallPersonas):
    async def test_origin_must_match_scheme_host_and_port(self):
        cookie = await sync_to_async(session_cookie)(self.dispatcher)
        for origin in [
            "http://testserver:8001",
            "https://testserver",
            "http://testserver.evil.example",
            "http://evil.example",
            "null",
        ]:
            connected, _ = await wall_socket(cookie, origin=origin).connect(timeout=10)
            self.assertFalse(connected, origin)
        socket = wall_socket(cookie, origin="http://testserver:80")
        connected, _ = await socket.connect(timeout=10)
        self.assertTrue(connected)
        await socket.disconnect()


def test_testserver_is_not_a_default_allowed_host(tmp_path):
    code = "from django.conf import settings; print(settings.ALLOWED_HOSTS)"
    env = {"PATH": "/usr/bin:/bin", "RTCC_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "rtcc.settings"}
    output = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert output.returncode == 0, output.stderr
    assert "testserver" not in output.stdout
    assert "127.0.0.1" in output.stdout
