"""Demand for on-demand cameras, on the real (embedded or external) Redis: who holds a camera,
for how long, what releases it, and which cameras the relay fleet then wants."""

import json
import time

from django.test import override_settings

from agencies.incidents import do_open_incident
from agencies.models import AccessEvent
from cameras.models import Camera, Consent, PrivacyMask
from cameras.relay.demand import (
    add_demand,
    add_demands,
    demand_holders,
    demand_key,
    demanded_camera_ids,
    release_demand,
)
from cameras.relay.desired import desired_cameras
from cameras.relay.fragments import SUB
from cameras.relay.node import status_after_stop
from cameras.relay.wake import channel_name, redis_client
from cameras.services import do_revoke_consent, do_save_camera, do_set_consent
from cameras.viewing.models import ViewingSession
from cameras.wall.services import camera_states
from tests.personas import Personas
from tests.wall.fixtures import IncidentPersonas, give_pull_source, make_contract

CASE = {"purpose": "Porch theft", "case_number": "RPD-2026-114"}


class DemandStoreTests(Personas):
    def setUp(self):
        redis_client().delete(demand_key())
        self.addCleanup(redis_client().delete, demand_key())

    @override_settings(RTCC_RELAY_LINGER_SECONDS=30)
    def test_a_demand_lasts_its_time_then_the_linger_then_ends(self):
        add_demand(7, "session:1", seconds=60)
        now = time.time()
        self.assertEqual(demanded_camera_ids(now), {7})
        self.assertEqual(demanded_camera_ids(now + 60 + 29), {7}, "lingers after the demand lapses")
        self.assertEqual(demanded_camera_ids(now + 60 + 31), set())

    @override_settings(RTCC_RELAY_LINGER_SECONDS=30)
    def test_release_starts_the_linger_now_and_other_holders_keep_the_camera(self):
        add_demand(7, "session:1", seconds=600)
        add_demand(7, "user:2", seconds=600)
        add_demand(8, "session:3", seconds=600)
        release_demand(7, "session:1")
        self.assertEqual(demand_holders(7), ["user:2"])
        release_demand(7, "user:2")
        release_demand(8, "session:3")
        now = time.time()
        self.assertEqual(demanded_camera_ids(now + 29), {7, 8})
        self.assertEqual(demanded_camera_ids(now + 31), set())

    def test_renewing_extends_and_a_release_of_nothing_adds_nothing(self):
        add_demand(7, "session:1", seconds=10)
        add_demand(7, "session:1", seconds=600)
        add_demand(7, "session:1", seconds=5)  # never shortens a demand
        self.assertEqual(demanded_camera_ids(time.time() + 300), {7})
        release_demand(9, "session:4")
        self.assertEqual(redis_client().zscore(demand_key(), "9|session:4"), None)

    def test_relay_fleet_wants_continuous_cameras_and_demanded_on_demand_ones_only(self):
        make_contract(self.riverside)
        Camera.objects.filter(pk=self.live_camera.pk).update(relay_mode=Camera.RelayMode.ON_DEMAND)
        self.assertNotIn(self.live_camera.pk, desired_cameras())
        self.assertIn(self.live_camera.pk, desired_cameras(demanded={self.live_camera.pk}))
        Camera.objects.filter(pk=self.live_camera.pk).update(relay_mode=Camera.RelayMode.CONTINUOUS)
        self.assertIn(self.live_camera.pk, desired_cameras())
        # Demand never overrides the consent rule.
        self.assertNotIn(self.revoked_camera.pk, desired_cameras(demanded={self.revoked_camera.pk}))

    def test_an_on_demand_relay_stopped_for_want_of_viewers_is_idle_and_a_revoked_one_stopped(self):
        make_contract(self.riverside)
        Camera.objects.filter(pk=self.live_camera.pk).update(relay_mode=Camera.RelayMode.ON_DEMAND)
        self.assertEqual(status_after_stop(self.live_camera.pk, None)[0], "idle")
        do_revoke_consent(self.resident, self.live_camera)
        status, reason = status_after_stop(self.live_camera.pk, None)
        self.assertEqual(status, "stopped")
        self.assertIn("does not share", reason)


class LiveViewDemandTests(IncidentPersonas):
    def setUp(self):
        redis_client().delete(demand_key())
        self.addCleanup(redis_client().delete, demand_key())
        Camera.objects.filter(pk=self.live_camera.pk).update(relay_mode=Camera.RelayMode.ON_DEMAND)

    def live_url(self, camera) -> str:
        return f"/api/v1/cameras/{camera.pk}/live/"

    def test_opening_a_view_demands_the_camera_and_closing_it_releases(self):
        response = self.api(self.dispatcher).post(self.live_url(self.live_camera), CASE, format="json")
        self.assertEqual(response.status_code, 200, response.content)
        session = response.json()["session"]
        self.assertEqual(demand_holders(self.live_camera.pk), [f"session:{session}"])
        with self.captureOnCommitCallbacks(execute=True):
            response = self.api(self.dispatcher).delete(self.live_url(self.live_camera))
        self.assertEqual(response.status_code, 204)
        self.assertEqual(demand_holders(self.live_camera.pk), [])

    def test_an_agency_camera_is_held_per_viewer_and_renewal_keeps_holding(self):
        response = self.api(self.dispatcher).post(
            self.live_url(self.street_camera), {"purpose": "Wall monitoring"}, format="json"
        )
        self.assertEqual(response.status_code, 200, response.content)
        holder = f"user:{self.dispatcher.pk}"
        self.assertEqual(demand_holders(self.street_camera.pk), [holder])
        first = redis_client().zscore(demand_key(), f"{self.street_camera.pk}|{holder}")
        time.sleep(0.01)
        renewed = self.api(self.dispatcher).post(
            self.live_url(self.street_camera) + "renew/",
            {"hls_url": response.json()["hls_url"]},
            format="json",
        )
        self.assertEqual(renewed.status_code, 200, renewed.content)
        self.assertGreater(redis_client().zscore(demand_key(), f"{self.street_camera.pk}|{holder}"), first)

    def test_a_view_of_the_substream_demands_only_the_substream(self):
        Camera.objects.filter(pk=self.live_camera.pk).update(substream=True)
        url = self.live_url(self.live_camera)
        response = self.api(self.dispatcher).post(url, {**CASE, "stream": "sub"}, format="json")
        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        holder = f"session:{body['session']}"
        self.assertEqual(body["stream"], "sub")
        self.assertEqual(demand_holders(self.live_camera.pk, stream=SUB), [holder])
        self.assertEqual(demand_holders(self.live_camera.pk), [])
        self.assertEqual(demanded_camera_ids(), {self.live_camera.pk})
        # Renewed as the main stream (the tile was enlarged): the main stream is held too.
        renewed = self.api(self.dispatcher).post(url + "renew/", {"hls_url": body["hls_url"]}, format="json")
        self.assertEqual(renewed.json()["stream"], "main")
        self.assertEqual(demand_holders(self.live_camera.pk), [holder])
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(self.api(self.dispatcher).delete(url).status_code, 204)
        self.assertEqual(demand_holders(self.live_camera.pk, stream=SUB), [])
        self.assertEqual(demand_holders(self.live_camera.pk), [])

    def test_a_bad_stream_is_a_400_and_a_masked_camera_or_none_without_a_substream_holds_main(self):
        url = self.live_url(self.live_camera)
        for bad in ("hd", "", 1, None, ["sub"]):
            response = self.api(self.dispatcher).post(url, {**CASE, "stream": bad}, format="json")
            self.assertEqual(response.status_code, 400, bad)
            self.assertIn("stream", response.json())
        self.assertEqual(demand_holders(self.live_camera.pk, stream=SUB), [])
        response = self.api(self.dispatcher).post(url, {**CASE, "stream": "sub"}, format="json")
        self.assertEqual(response.json()["stream"], "main", "no substream")
        renewal = {"hls_url": response.json()["hls_url"], "stream": "low"}
        self.assertEqual(
            self.api(self.dispatcher).post(url + "renew/", renewal, format="json").status_code, 400
        )
        Camera.objects.filter(pk=self.live_camera.pk).update(substream=True)
        PrivacyMask.objects.create(camera=self.live_camera, x=0.1, y=0.1, width=0.2, height=0.2)
        renewal["stream"] = "sub"
        response = self.api(self.dispatcher).post(url + "renew/", renewal, format="json")
        self.assertEqual(response.json()["stream"], "main", "a masked camera")
        self.assertEqual(demand_holders(self.live_camera.pk, stream=SUB), [])
        self.assertEqual(len(demand_holders(self.live_camera.pk)), 1)

    def test_a_refused_view_demands_nothing(self):
        for camera in (self.registry_camera, self.revoked_camera):
            response = self.api(self.dispatcher).post(self.live_url(camera), CASE, format="json")
            self.assertIn(response.status_code, {403, 404})
            self.assertEqual(demand_holders(camera.pk), [])

    def test_any_end_of_a_session_releases_its_demand(self):
        response = self.api(self.dispatcher).post(self.live_url(self.live_camera), CASE, format="json")
        session = ViewingSession.objects.get(pk=response.json()["session"])
        with self.captureOnCommitCallbacks(execute=True):
            do_revoke_consent(self.resident, self.live_camera)
        session.refresh_from_db()
        self.assertEqual(session.end_reason, ViewingSession.EndReason.CONSENT_REVOKED)
        self.assertEqual(demand_holders(self.live_camera.pk), [])

    @override_settings(RTCC_INCIDENT_PREWARM_SECONDS=120)
    def test_an_incident_prewarms_its_docked_on_demand_cameras(self):
        with self.captureOnCommitCallbacks(execute=True):
            incident, _ = do_open_incident(
                self.cad, self.riverside, external_id="CAD-9", kind="burglary", lat=41.8805, lon=-87.63
            )
        self.assertEqual(demand_holders(self.live_camera.pk), [f"incident:{incident.pk}"])
        self.assertEqual(demand_holders(self.street_camera.pk), [], "continuous cameras need no pre-warm")


class RelayModeChoiceTests(IncidentPersonas):
    def test_wall_and_api_show_the_mode_and_an_unwatched_on_demand_camera_as_idle(self):
        Camera.objects.filter(pk__in=[self.live_camera.pk, self.registry_camera.pk]).update(
            relay_mode=Camera.RelayMode.ON_DEMAND
        )
        states = {state["id"]: state for state in camera_states(self.dispatcher)}
        self.assertEqual(states[self.live_camera.pk]["relay_mode"], "on_demand")
        self.assertEqual(states[self.live_camera.pk]["status"], "idle")
        self.assertEqual(states[self.street_camera.pk]["status"], "offline")
        self.assertEqual(
            states[self.registry_camera.pk]["status"], "offline", "idle only when it may be seen"
        )
        camera = self.api(self.dispatcher).get(f"/api/v1/cameras/{self.live_camera.pk}/").json()
        self.assertEqual(camera["relay_mode"], "on_demand")

    def test_the_owner_chooses_the_mode_with_consent_and_the_audit_says_so(self):
        response = self.api(self.resident).put(
            f"/api/v1/portal/cameras/{self.live_camera.pk}/consent/",
            {"level": "live", "relay_mode": "continuous"},
            format="json",
        )
        self.assertEqual(response.status_code, 200, response.content)
        self.live_camera.refresh_from_db()
        self.assertEqual(self.live_camera.relay_mode, "continuous")
        line = AccessEvent.objects.filter(action=AccessEvent.Action.CONSENT_CHANGE).latest("sequence")
        self.assertEqual(line.detail["relay_mode"], "continuous")
        # Absent: unchanged. Unknown: refused with the field named.
        self.api(self.resident).put(
            f"/api/v1/portal/cameras/{self.live_camera.pk}/consent/", {"level": "live"}, format="json"
        )
        self.live_camera.refresh_from_db()
        self.assertEqual(self.live_camera.relay_mode, "continuous")
        bad = self.api(self.resident).put(
            f"/api/v1/portal/cameras/{self.live_camera.pk}/consent/",
            {"level": "live", "relay_mode": "always"},
            format="json",
        )
        self.assertEqual(bad.status_code, 400)
        self.assertIn("relay_mode", bad.json())

    def test_the_portal_form_offers_the_choice_in_plain_words(self):
        self.client.force_login(self.resident)
        page = self.client.get(f"/portal/cameras/{self.live_camera.pk}/").content.decode()
        self.assertIn("Send video only while the agency is watching", page)
        response = self.client.post(
            f"/portal/cameras/{self.live_camera.pk}/",
            {"level": Consent.Level.LIVE, "relay_mode": "on_demand"},
        )
        self.assertEqual(response.status_code, 302, response.content.decode()[:2000])
        self.live_camera.refresh_from_db()
        self.assertEqual(self.live_camera.relay_mode, "on_demand")

    def test_a_newly_registered_camera_is_on_demand(self):
        self.client.force_login(self.resident)
        self.client.post(
            "/portal/cameras/new/",
            {"name": "Side gate", "premises": "single_family", "lat": "41.8811", "lon": "-87.6301"},
        )
        self.assertEqual(Camera.objects.get(name="Side gate").relay_mode, Camera.RelayMode.ON_DEMAND)

    def test_only_the_owner_sets_a_resident_camera_mode(self):
        camera = Camera.objects.get(pk=self.live_camera.pk)
        camera.relay_mode = Camera.RelayMode.CONTINUOUS if camera.relay_mode != "continuous" else "on_demand"
        with self.assertRaisesMessage(Exception, "relay_mode"):
            do_save_camera(self.admin, camera, created=False, fields=["relay_mode"])
        with self.assertRaisesMessage(Exception, "owner"):
            do_set_consent(self.admin, camera, Consent.Level.LIVE, relay_mode="continuous")

    def test_an_agency_camera_mode_is_the_agency_admins(self):
        give_pull_source(self.street_camera)
        camera = Camera.objects.get(pk=self.street_camera.pk)
        camera.relay_mode = Camera.RelayMode.ON_DEMAND
        do_save_camera(self.admin, camera, created=False, fields=["relay_mode"])
        camera.refresh_from_db()
        self.assertEqual(camera.relay_mode, "on_demand")


class DemandWakeTests(Personas):
    """Wakes heard on the relay nodes' real Redis channel."""

    def setUp(self):
        redis_client().delete(demand_key())
        self.addCleanup(redis_client().delete, demand_key())
        self.channel = redis_client().pubsub(ignore_subscribe_messages=True)
        self.channel.subscribe(channel_name())
        self.addCleanup(self.channel.close)
        self.assertIsNone(self.channel.get_message(timeout=1))  # the subscription is confirmed

    def wakes(self) -> list[int | None]:
        redis_client().publish(channel_name(), json.dumps({"camera_id": "end"}))
        heard = []
        while (message := self.channel.get_message(timeout=5)) is not None:
            camera_id = json.loads(message["data"])["camera_id"]
            if camera_id == "end":
                return heard
            heard.append(camera_id)
        raise AssertionError("the end marker was never heard")

    def test_a_new_demand_wakes_the_nodes_and_a_renewal_of_a_held_one_does_not(self):
        add_demands([7, 8], "socket:grid", seconds=60, stream=SUB)
        self.assertEqual(sorted(self.wakes()), [7, 8])
        add_demands([7, 8], "socket:grid", seconds=90, stream=SUB)
        add_demand(7, "socket:grid", seconds=120, stream=SUB)
        self.assertEqual(self.wakes(), [], "a renewal woke every node")
        self.assertEqual(demand_holders(7, stream=SUB), ["socket:grid"])
        release_demand(7, "socket:grid", stream=SUB)
        self.assertEqual(self.wakes(), [7])
        add_demand(7, "socket:grid", seconds=60, stream=SUB)  # held again after its release
        self.assertEqual(self.wakes(), [7])
