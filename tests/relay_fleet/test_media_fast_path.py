"""The ASGI fast path answers only a stored, still valid "yes"; everything else reaches Django."""

from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator
from django.conf import settings
from django.test import Client, override_settings

from cameras.media.fast_path import MediaFastPath
from cameras.services import do_revoke_consent
from cameras.viewing.services import do_close_viewing_session
from tests.personas import SignedInClient
from tests.relay_fleet.test_media_endpoints import LiveMediaTestCase

DJANGO_ANSWERED = 599  # what the stand-in for Django answers, so a test sees who answered


def session_cookie(client) -> str:
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


async def stand_in_for_django(scope, receive, send):
    await send({"type": "http.response.start", "status": DJANGO_ANSWERED, "headers": []})
    await send({"type": "http.response.body", "body": b""})


@override_settings(RTCC_MEDIA_ACCEL_REDIRECT="/protected-media/")
class MediaFastPathTests(LiveMediaTestCase):
    def setUp(self):
        super().setUp()
        self.segment_url = self.url.replace("index.m3u8", "seg-1.ts")
        self.fast_path = MediaFastPath(stand_in_for_django)

    def get(self, path: str, cookie: str = "") -> dict:
        headers = [(b"cookie", cookie.encode())] if cookie else []
        return async_to_sync(HttpCommunicator(self.fast_path, "GET", path, headers=headers).get_response)()

    def test_a_stored_allow_is_answered_without_django_or_sql(self):
        self.assertEqual(Client().get(self.url).status_code, 200)  # Django decides and stores
        with self.assertNumQueries(0):
            response = self.get(self.segment_url)
        self.assertEqual(response["status"], 200)
        headers = dict(response["headers"])
        self.assertEqual(
            headers[b"x-accel-redirect"], f"/protected-media/live/{self.live_camera.pk}/seg-1.ts".encode()
        )
        self.assertEqual(headers[b"content-type"], b"video/mp2t")
        self.assertEqual(headers[b"cache-control"], b"private, no-store")
        self.assertEqual(response["body"], b"")

    def test_a_decision_not_yet_made_goes_to_django(self):
        self.assertEqual(self.get(self.url)["status"], DJANGO_ANSWERED)

    def test_a_revoke_sends_the_next_request_to_django(self):
        self.assertEqual(Client().get(self.url).status_code, 200)
        self.assertEqual(self.get(self.url)["status"], 200)
        with self.captureOnCommitCallbacks(execute=True):
            do_revoke_consent(self.resident, self.live_camera)
        self.assertEqual(self.get(self.url)["status"], DJANGO_ANSWERED)
        self.assertIn(Client().get(self.url).status_code, {403, 404})

    def test_a_closed_session_sends_the_next_request_to_django(self):
        self.assertEqual(Client().get(self.url).status_code, 200)
        with self.captureOnCommitCallbacks(execute=True):
            do_close_viewing_session(self.session)
        self.assertEqual(self.get(self.segment_url)["status"], DJANGO_ANSWERED)

    def test_a_stored_refusal_is_left_to_django(self):
        other = SignedInClient()
        other.force_login(self.admin)
        self.assertEqual(other.get(self.url).status_code, 403)
        cookie = session_cookie(other)
        self.assertEqual(self.get(self.url, cookie)["status"], DJANGO_ANSWERED)

    def test_the_session_cookie_is_part_of_the_decision(self):
        viewer = SignedInClient()
        viewer.force_login(self.dispatcher)
        self.assertEqual(viewer.get(self.url).status_code, 200)
        cookie = session_cookie(viewer)
        self.assertEqual(self.get(self.url, f"theme=dark; {cookie}")["status"], 200)
        self.assertEqual(self.get(self.url)["status"], DJANGO_ANSWERED)  # no cookie: not met yet

    def test_a_tampered_token_goes_to_django(self):
        self.assertEqual(Client().get(self.url).status_code, 200)
        self.assertEqual(self.get(self.url.replace("/index.m3u8", "x/index.m3u8"))["status"], DJANGO_ANSWERED)

    @override_settings(RTCC_MEDIA_ACCEL_REDIRECT="")
    def test_without_nginx_every_request_goes_to_django(self):
        self.assertEqual(Client().get(self.url).status_code, 200)
        self.assertEqual(self.get(self.url)["status"], DJANGO_ANSWERED)
