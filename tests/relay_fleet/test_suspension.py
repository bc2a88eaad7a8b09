"""The kill switch on a real relay node: a suspended agency's relays stop within 5 s, its media is refused."""

import time

import pytest
from django.test import Client

from agencies.suspension import do_reinstate_agency, do_suspend_agency
from cameras.media.signing import hls_url_for
from cameras.models import Camera, Consent
from cameras.viewing.models import ViewingSession
from tests.orders.helpers import make_superuser
from tests.relay_fleet.fleet import FleetTestCase, ffmpeg_pids_by_camera, open_session, wait_for

pytestmark = pytest.mark.ffmpeg


class SuspensionStopsRelaysTests(FleetTestCase):
    def test_suspension_stops_every_relay_of_the_agency_within_5_s_and_refuses_media(self):
        platform = make_superuser()
        camera = self.add_camera("Rita's porch", level=Consent.Level.LIVE)
        device = self.start_device(camera)
        self.start_node("solo")
        self.wait_status(camera, Camera.Status.LIVE, timeout=20, devices=[device])
        self.assertEqual(len(ffmpeg_pids_by_camera().get(camera.pk, [])), 1)

        session = open_session(self.dispatcher, self.agency, camera, "burglary", "RPD-1")
        url, _ = hls_url_for(camera, self.dispatcher, session)
        wait_for(lambda: Client().get(url).status_code == 200, 10, "the playlist was never served")

        suspended = time.monotonic()
        do_suspend_agency(
            platform, self.agency, order_reference="Council resolution 2026-77", reason="Misuse"
        )
        refused = Client().get(url)
        self.assertEqual(refused.status_code, 403, "media refused from the commit on")
        self.assertIn(b"suspended", refused.content)
        wait_for(
            lambda: not ffmpeg_pids_by_camera().get(camera.pk), 5, "ffmpeg still runs after the suspension"
        )
        self.assertLess(time.monotonic() - suspended, 5)
        wait_for(lambda: self.status_of(camera) == Camera.Status.STOPPED, 5, "status never became stopped")
        self.assertIn("suspended", Camera.objects.get(pk=camera.pk).status_reason)
        session.refresh_from_db()
        self.assertEqual(session.end_reason, ViewingSession.EndReason.SUSPENDED)

        # Reinstated, the owner's live consent brings the relay back by itself.
        do_reinstate_agency(platform, self.agency, order_reference="Resolution 2026-80", reason="Audit done")
        self.wait_status(camera, Camera.Status.LIVE, timeout=20, devices=[device])
