"""The wall's video socket (/ws/live/) against real fragments: what it carries, and when it stops.

A real ffmpeg writes fragmented MP4 with the relays' muxer flags and the relays' publisher puts
it in Redis (tests/browser/fragments.py); the socket is the real ASGI app.
"""

import asyncio
import functools
import json
import time

import pytest
from asgiref.sync import sync_to_async

from agencies.suspension import do_suspend_agency
from cameras.live_stream.frames import HEADER
from cameras.media.signing import hls_url_for
from cameras.relay.demand import demand_holders
from cameras.relay.fragments import SUB
from cameras.services import do_revoke_consent
from cameras.viewing.services import do_close_viewing_sessions_of, do_open_viewing_session
from tests.browser.chromium import ARTIFACTS
from tests.browser.fragments import FragmentPattern
from tests.personas import make_user
from tests.sockets import Socket
from tests.wall.fixtures import WallPersonas, give_pull_source, session_cookie, wall_socket

pytestmark = [pytest.mark.ffmpeg]

TIMEOUT = 10
CLOSE_WITHIN_S = 1.0  # the bound: a revoke ends the camera's bytes on every socket within it


def live_socket(cookie: str | None) -> Socket:
    return wall_socket(cookie, path="/ws/live/")


def disconnecting(test):
    """Close every socket the test opened, pass or fail, before its event loop ends."""

    @functools.wraps(test)
    async def run(self):
        self.sockets = []
        try:
            await test(self)
        finally:
            for socket in self.sockets:
                if not socket.future.done():  # a receive that timed out ended it already
                    await socket.disconnect()

    return run


def link(camera, user, *, case_number=""):
    session = do_open_viewing_session(user, camera, purpose="Porch theft", case_number=case_number)
    return hls_url_for(camera, user, session)[0]


class LiveStreamSocketTests(WallPersonas):
    def setUp(self):
        super().setUp()
        ARTIFACTS.mkdir(exist_ok=True)
        self.pattern = FragmentPattern(ARTIFACTS / "live-stream-ffmpeg.log")
        self.addCleanup(self.pattern.stop)
        # The substreams, as a relay node publishes them while a wall's grid tile shows one.
        self.sub_pattern = FragmentPattern(
            ARTIFACTS / "live-substream-ffmpeg.log", size="160x120", stream=SUB
        )
        self.addCleanup(self.sub_pattern.stop)
        self.sub_pattern.publisher.add(self.live_camera.pk)
        give_pull_source(self.lakeview_camera)
        for camera in (self.street_camera, self.live_camera, self.lakeview_camera):
            self.pattern.publisher.add(camera.pk)

    async def connected(self, user):
        socket = live_socket(await sync_to_async(session_cookie)(user))
        connected, _ = await socket.connect(timeout=TIMEOUT)
        self.assertTrue(connected)
        self.sockets.append(socket)
        return socket

    async def open(self, socket, camera, url):
        await socket.send_json_to({"type": "open", "camera": camera.pk, "url": url})

    async def next_message(self, socket, timeout=TIMEOUT, opened=False):
        """The next message; `{"type": "opened"}` is skipped unless `opened`."""
        message = await self.any_message(socket, timeout)
        while not opened and message.get("type") == "opened":
            message = await self.any_message(socket, timeout)
        return message

    async def any_message(self, socket, timeout):
        output = await socket.receive_output(timeout)
        if output.get("bytes") is not None:
            self.received = getattr(self, "received", 0) + len(output["bytes"])
            camera_id, kind, keyframe, stream, produced = HEADER.unpack_from(output["bytes"])
            return {
                "camera": camera_id,
                "kind": kind,
                "keyframe": keyframe,
                "produced": produced,
                "stream": ("main", "sub")[stream],
            }
        return json.loads(output["text"])

    async def test_anonymous_is_refused(self):
        socket = live_socket(None)
        connected, code = await socket.connect(timeout=TIMEOUT)
        self.assertFalse(connected)
        self.assertEqual(code, 4401)

    @disconnecting
    async def test_a_camera_starts_with_its_init_segment_and_a_keyframe(self):
        socket = await self.connected(self.dispatcher)
        url = await sync_to_async(link)(self.street_camera, self.dispatcher)
        await self.open(socket, self.street_camera, url)
        opened = await self.next_message(socket, opened=True)
        self.assertEqual(opened, {"type": "opened", "camera": self.street_camera.pk, "stream": "main"})
        first, second = await self.next_message(socket), await self.next_message(socket)
        self.assertEqual((first["camera"], first["kind"]), (self.street_camera.pk, 0))
        self.assertEqual(
            (second["camera"], second["kind"], second["keyframe"]), (self.street_camera.pk, 1, 1)
        )
        produced = [second["produced"]]
        for _ in range(20):
            message = await self.next_message(socket)
            self.assertEqual((message["camera"], message["kind"]), (self.street_camera.pk, 1))
            produced.append(message["produced"])
        self.assertEqual(produced, sorted(produced))
        self.assertGreater(produced[-1], produced[0])

    @disconnecting
    async def test_anything_but_a_small_request_gets_a_reason_and_the_socket_stays(self):
        socket = await self.connected(self.dispatcher)
        for sent in [
            "not json",
            "[" * 10_000,
            '{"type": "open"}',
            '{"type": "open", "camera": "x"}',
            "x" * 5000,
        ]:
            await socket.send_to(text_data=sent)
            answer = await self.next_message(socket)
            self.assertEqual(answer["type"], "error", sent[:20])
            self.assertTrue(answer["detail"])
        await socket.send_to(bytes_data=b"\x00" * 16)
        self.assertEqual((await self.next_message(socket))["type"], "error")
        url = await sync_to_async(link)(self.street_camera, self.dispatcher)
        await self.open(socket, self.street_camera, url)
        self.assertEqual((await self.next_message(socket))["camera"], self.street_camera.pk)

    @disconnecting
    async def test_links_not_the_viewers_own_are_refused(self):
        url = await sync_to_async(link)(self.street_camera, self.dispatcher)
        outsider = await self.connected(self.outsider)
        await self.open(outsider, self.street_camera, url)
        closed = await self.next_message(outsider)
        self.assertEqual((closed["type"], closed["camera"]), ("closed", self.street_camera.pk))
        self.assertIn("someone else", closed["detail"])
        socket = await self.connected(self.dispatcher)
        await self.open(socket, self.live_camera, url)  # another camera's link
        closed = await self.next_message(socket)
        self.assertEqual((closed["type"], closed["camera"]), ("closed", self.live_camera.pk))
        await self.open(socket, self.lakeview_camera, "/media/live/1/x/index.m3u8")
        self.assertEqual((await self.next_message(socket))["type"], "closed")
        self.assertTrue(await socket.receive_nothing(1.0))

    @disconnecting
    async def test_a_camera_the_viewer_may_not_see_is_never_carried(self):
        # Lakeview's own dispatcher, with a genuine link of Lakeview's camera, gets it; a
        # Riverside dispatcher given no link of it cannot make one from another camera's.
        lakeview_dispatcher = await sync_to_async(make_user)("lara-lakeview", self.lakeview)
        url = await sync_to_async(link)(self.lakeview_camera, lakeview_dispatcher)
        socket = await self.connected(self.dispatcher)
        await self.open(socket, self.lakeview_camera, url)
        closed = await self.next_message(socket)
        self.assertEqual((closed["type"], closed["camera"]), ("closed", self.lakeview_camera.pk))
        self.assertTrue(await socket.receive_nothing(1.0))

    async def assert_closes_within_bound(self, socket, camera, change):
        """Run `change`; the camera's stream closes within the bound and carries nothing after."""
        started = time.monotonic()
        await sync_to_async(change)()
        while True:
            message = await self.next_message(socket, timeout=CLOSE_WITHIN_S * 2)
            if message.get("type") == "closed":
                break
        elapsed = time.monotonic() - started
        self.assertEqual(message["camera"], camera.pk)
        self.assertLess(elapsed, CLOSE_WITHIN_S, f"closed after {elapsed:.2f} s")
        after = []
        while not await socket.receive_nothing(1.0):
            after.append(await self.next_message(socket))
        self.assertEqual([m for m in after if m.get("camera") == camera.pk], [])
        return message

    async def streaming(self, camera, user, case_number="RPD-2026-7"):
        socket = await self.connected(user)
        url = await sync_to_async(link)(camera, user, case_number=case_number)
        await self.open(socket, camera, url)
        for _ in range(3):
            message = await self.next_message(socket)
            self.assertEqual(message["camera"], camera.pk)
        return socket

    @disconnecting
    async def test_revoked_consent_closes_the_stream_within_a_second(self):
        socket = await self.streaming(self.live_camera, self.dispatcher)
        closed = await self.assert_closes_within_bound(
            socket, self.live_camera, lambda: do_revoke_consent(self.resident, self.live_camera)
        )
        self.assertTrue(closed["detail"])

    @disconnecting
    async def test_an_ended_viewing_session_closes_the_stream_within_a_second(self):
        socket = await self.streaming(self.live_camera, self.dispatcher)
        await self.assert_closes_within_bound(
            socket, self.live_camera, lambda: do_close_viewing_sessions_of(self.dispatcher, self.live_camera)
        )

    @disconnecting
    async def test_a_suspension_closes_every_stream_of_the_agency(self):
        superuser = await sync_to_async(make_user)("sam-super", is_superuser=True, is_staff=True)
        socket = await self.streaming(self.street_camera, self.dispatcher)
        await self.assert_closes_within_bound(
            socket,
            self.street_camera,
            lambda: do_suspend_agency(
                superuser, self.riverside, order_reference="CO-1", reason="Council order"
            ),
        )

    @disconnecting
    async def test_a_substream_is_demanded_while_open_and_carried_beside_the_main_stream(self):
        camera = self.live_camera
        socket = await self.connected(self.dispatcher)
        url = await sync_to_async(link)(camera, self.dispatcher, case_number="RPD-2026-7")
        await socket.send_json_to({"type": "open", "camera": camera.pk, "url": url, "stream": "sub"})
        opened = await self.next_message(socket, opened=True)
        self.assertEqual(opened, {"type": "opened", "camera": camera.pk, "stream": "sub"})
        holders = await sync_to_async(demand_holders)(camera.pk, stream=SUB)
        self.assertEqual(len(holders), 1)
        self.assertTrue(holders[0].startswith("socket:"))
        self.assertEqual(
            await sync_to_async(demand_holders)(camera.pk), []
        )  # a socket demands no main stream
        first = await self.next_message(socket)
        self.assertEqual((first["stream"], first["kind"]), ("sub", 0))
        # Enlarged: the main stream too, with the same link, until the page closes the substream.
        await self.open(socket, camera, url)
        streams = set()
        while streams != {"main", "sub"}:
            message = await self.next_message(socket)
            self.assertEqual(message["camera"], camera.pk)
            streams.add(message["stream"])
        # ... which the socket demands at once: an on-demand camera starts its main relay.
        self.assertEqual(await sync_to_async(demand_holders)(camera.pk), holders)
        await socket.send_json_to({"type": "close", "camera": camera.pk, "stream": "sub"})
        await socket.send_json_to({"type": "open", "camera": 0, "url": ""})  # answered once the close is done
        while (await self.next_message(socket)).get("type") != "closed":
            pass
        self.assertEqual(await sync_to_async(demand_holders)(camera.pk, stream=SUB), [])
        for _ in range(10):
            self.assertEqual((await self.next_message(socket))["stream"], "main")
        # Shrunk back: the main stream's demand is released (its relay stops after the linger).
        await socket.send_json_to({"type": "close", "camera": camera.pk, "stream": "main"})
        await socket.send_json_to({"type": "open", "camera": 0, "url": ""})  # answered once the close is done
        while (await self.next_message(socket)).get("type") != "closed":
            pass
        self.assertEqual(await sync_to_async(demand_holders)(camera.pk), [])

    @disconnecting
    async def test_a_hostile_stream_name_gets_a_reason(self):
        socket = await self.connected(self.dispatcher)
        url = await sync_to_async(link)(self.street_camera, self.dispatcher)
        for stream in ("4k", ["sub"], {"x": 1}):
            await socket.send_json_to(
                {"type": "open", "camera": self.street_camera.pk, "url": url, "stream": stream}
            )
            self.assertEqual((await self.next_message(socket))["type"], "error")

    @disconnecting
    async def test_revoked_consent_closes_both_streams_within_a_second(self):
        camera = self.live_camera
        socket = await self.streaming(camera, self.dispatcher)
        url = await sync_to_async(link)(camera, self.dispatcher, case_number="RPD-2026-7")
        await socket.send_json_to({"type": "open", "camera": camera.pk, "url": url, "stream": "sub"})
        while (await self.next_message(socket)).get("stream") != "sub":
            pass
        await self.assert_closes_within_bound(
            socket, camera, lambda: do_revoke_consent(self.resident, camera)
        )
        self.assertEqual(await sync_to_async(demand_holders)(camera.pk, stream=SUB), [])

    @disconnecting
    async def test_a_page_that_falls_behind_gets_no_stale_video_and_resumes_at_a_keyframe(self):
        # A busy page reads late; what it has not read waits in the server's buffers. The socket
        # must stop once the page is behind and, when it catches up, go on at a keyframe:
        # never hand it the seconds of video it missed.
        socket = await self.streaming(self.street_camera, self.dispatcher)
        await socket.send_json_to({"type": "ack", "bytes": self.received})
        await asyncio.sleep(3)  # the page does not read: 45 fragments are published meanwhile
        queued = []
        while not await socket.receive_nothing(0.1):
            queued.append(await self.next_message(socket))
        self.assertTrue(queued)
        await socket.send_json_to({"type": "ack", "bytes": self.received})
        resumed = await self.next_message(socket)
        self.assertEqual(
            (resumed["camera"], resumed["kind"], resumed["keyframe"]), (self.street_camera.pk, 1, 1)
        )
        skipped_s = (resumed["produced"] - queued[-1]["produced"]) / 1000
        self.assertGreater(skipped_s, 0.5, f"{len(queued)} fragments queued, then {skipped_s:.2f} s on")
        self.assertLess(len(queued), 30)

    @disconnecting
    async def test_a_link_not_of_the_camera_closes_what_it_streamed(self):
        camera = self.live_camera
        socket = await self.connected(self.dispatcher)
        url = await sync_to_async(link)(camera, self.dispatcher, case_number="RPD-2026-7")
        await socket.send_json_to({"type": "open", "camera": camera.pk, "url": url, "stream": "sub"})
        while (await self.next_message(socket)).get("stream") != "sub":
            pass
        await socket.send_json_to({"type": "open", "camera": camera.pk, "url": "/live/not-a-link/"})
        while (message := await self.next_message(socket)).get("type") != "closed":
            pass
        self.assertEqual(message["camera"], camera.pk)
        self.assertEqual(await sync_to_async(demand_holders)(camera.pk, stream=SUB), [])
        await socket.send_json_to({"type": "open", "camera": 0, "url": ""})  # answered after the above
        self.assertEqual((await self.next_message(socket))["camera"], 0)
        self.assertTrue(await socket.receive_nothing(timeout=1), "the camera's video still flows")
