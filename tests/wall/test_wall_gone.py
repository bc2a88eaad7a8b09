"""A wall gone past its grace period ends its user's viewing; a wall still open, or an API client, does not."""

from datetime import timedelta

from asgiref.sync import sync_to_async
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from cameras.viewing.models import ViewingSession
from cameras.viewing.services import do_end_sessions_that_lapsed, do_open_viewing_session
from tests.wall.fixtures import WallPersonas, session_cookie, wall_socket

GRACE = 60


@override_settings(RTCC_WALL_GRACE_SECONDS=GRACE)
class WallGoneTests(WallPersonas):
    def setUp(self):
        super().setUp()
        cache.delete_many([f"wall-sockets:{self.dispatcher.pk}", f"wall-left:{self.dispatcher.pk}"])

    def open_session(self):
        return do_open_viewing_session(
            self.dispatcher, self.live_camera, purpose="Porch theft", case_number="RPD-2026-8"
        )

    async def wall(self):
        socket = wall_socket(await sync_to_async(session_cookie)(self.dispatcher))
        connected, _ = await socket.connect(timeout=10)
        self.assertTrue(connected)
        await socket.receive_json_from(timeout=10)
        return socket

    def sweep(self, after_seconds: float) -> ViewingSession:
        do_end_sessions_that_lapsed(timezone.now() + timedelta(seconds=after_seconds))
        return ViewingSession.objects.get()

    async def test_closed_wall_ends_the_session_after_the_grace_period(self):
        await sync_to_async(self.open_session)()
        first, second = await self.wall(), await self.wall()  # two tabs
        await first.disconnect()
        session = await sync_to_async(self.sweep)(GRACE + 5)
        self.assertIsNone(session.ended_at, "one tab is still open")
        await second.disconnect()
        session = await sync_to_async(self.sweep)(GRACE / 2)
        self.assertIsNone(session.ended_at, "still within the grace period")
        session = await sync_to_async(self.sweep)(GRACE + 5)
        self.assertEqual(session.end_reason, ViewingSession.EndReason.WALL_CLOSED)

    async def test_a_wall_that_comes_back_keeps_the_session(self):
        await sync_to_async(self.open_session)()
        await (await self.wall()).disconnect()
        back = await self.wall()
        session = await sync_to_async(self.sweep)(GRACE + 5)
        self.assertIsNone(session.ended_at)
        await back.disconnect()

    def test_an_api_client_without_a_wall_is_left_to_the_session_expiry(self):
        self.open_session()
        self.assertIsNone(self.sweep(GRACE + 5).ended_at)
