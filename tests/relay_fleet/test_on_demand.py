"""On-demand cameras with a real relay node, real ffmpeg and a simulated box pushing SRT:
relayed only while someone watches, gone after the linger, refused the moment consent goes."""

import time

import pytest
from django.test import Client
from rest_framework.test import APIClient

from cameras.models import Camera, Consent
from cameras.relay.demand import add_demand
from cameras.services import do_revoke_consent
from tests.personas import authorization_for
from tests.relay_fleet.fleet import FleetTestCase, ffmpeg_pids_by_camera, wait_for

pytestmark = pytest.mark.ffmpeg

CASE = {"purpose": "Porch theft", "case_number": "RPD-2026-114"}
LINGER = "2"


class OnDemandRelayTests(FleetTestCase):
    def setUp(self):
        super().setUp()
        self.forget_demand()
        self.camera = self.add_camera("Rita's porch", level=Consent.Level.LIVE, relay_mode="on_demand")
        self.device = self.start_device(self.camera)
        self.start_node("solo", RTCC_RELAY_LINGER_SECONDS=LINGER)
        self.api = APIClient()
        self.api.credentials(HTTP_AUTHORIZATION=authorization_for(self.dispatcher))
        self.live_url = f"/api/v1/cameras/{self.camera.pk}/live/"

    def relayed(self) -> bool:
        return bool(ffmpeg_pids_by_camera().get(self.camera.pk))

    def wait_live(self):
        self.wait_status(self.camera, Camera.Status.LIVE, timeout=30, devices=[self.device])

    def test_a_viewer_starts_it_and_its_relay_is_gone_after_the_last_viewer_and_the_linger(self):
        # Several passes of the node (0.5 s each) with consent but nobody watching: no relay.
        time.sleep(3)
        self.assertFalse(self.relayed(), "an on-demand camera was relayed with nobody watching")

        response = self.api.post(self.live_url, CASE, format="json")
        self.assertEqual(response.status_code, 200, response.content)
        self.wait_live()
        url = response.json()["hls_url"]
        wait_for(lambda: Client().get(url).status_code == 200, 15, "the playlist was never served")
        self.assertEqual(len(ffmpeg_pids_by_camera()[self.camera.pk]), 1)

        self.assertEqual(self.api.delete(self.live_url).status_code, 204)
        wait_for(lambda: not self.relayed(), 20, "ffmpeg still runs after the last viewer and the linger")
        wait_for(
            lambda: self.status_of(self.camera) == Camera.Status.IDLE, 10, "the camera never showed as idle"
        )

    def test_a_browser_that_vanishes_releases_its_demand_after_the_ttl(self):
        # A viewer who never says goodbye: a demand of 10 s that nobody renews (long enough
        # for the relay to come up on a loaded machine, short enough to watch it lapse).
        add_demand(self.camera.pk, "session:vanished", seconds=10)
        self.wait_live()
        wait_for(lambda: not self.relayed(), 30, "the relay outlived an unrenewed demand")

    def test_a_revoke_during_demand_refuses_the_next_request_and_stops_the_relay(self):
        response = self.api.post(self.live_url, CASE, format="json")
        self.assertEqual(response.status_code, 200, response.content)
        self.wait_live()
        url = response.json()["hls_url"]
        wait_for(lambda: Client().get(url).status_code == 200, 15, "the playlist was never served")

        do_revoke_consent(self.resident, self.camera)
        self.assertIn(Client().get(url).status_code, {403, 404}, "media refused from the commit on")
        wait_for(lambda: not self.relayed(), 10, "ffmpeg still runs after the revoke")
        wait_for(
            lambda: self.status_of(self.camera) == Camera.Status.STOPPED, 10, "a revoked camera is not idle"
        )
