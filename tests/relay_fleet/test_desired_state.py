"""Desired state and leases: which cameras get a relay, and which node holds each."""

import random
from datetime import UTC, date, datetime, timedelta
from io import StringIO

from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from agencies.models import Incident
from billing.models import Contract, Package
from cameras.consent import live_refusal
from cameras.models import Camera, Consent
from cameras.relay import leases
from cameras.relay.clock import database_now_plus
from cameras.relay.desired import desired_cameras, relay_cameras
from cameras.relay.models import RelayLease, RelayNode
from cameras.relay.node import backoff_seconds, preferred_node, sweep_orphaned_statuses
from cameras.relay.ports import push_target
from cameras.tasks import sweep_orphaned_relays
from tests.personas import Personas, make_active_contract
from tests.relay_fleet.fleet import TwoNodes, lapse_lease

# A Wednesday noon in Chicago.
NOON = datetime(2026, 11, 18, 18, 0, tzinfo=UTC)


class DesiredStateTests(Personas):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        package = Package.objects.create(slug="standard", name="Standard", price_per_device_year=150)
        cls.contract = make_active_contract(
            cls.riverside,
            package,
            "RPD-1",
            starts_on=date(2026, 1, 1),
            ends_on=date(2027, 1, 1),
            device_quota=10,
            price_per_device_year=150,
        )

    def consent(self, **fields) -> Consent:
        return Consent.objects.create(camera=self.live_camera, level=Consent.Level.LIVE, **fields)

    def test_live_consent_with_contract_and_push_source_is_desired(self):
        self.assertEqual(set(desired_cameras(NOON)), {self.live_camera.pk})

    def test_registry_revoked_and_sourceless_cameras_are_not_desired(self):
        desired = desired_cameras(NOON)
        self.assertNotIn(self.registry_camera.pk, desired)
        self.assertNotIn(self.revoked_camera.pk, desired)
        self.assertNotIn(self.street_camera.pk, desired)
        self.assertEqual(live_refusal(self.street_camera, NOON), "The camera has no video source.")

    def test_public_pull_camera_needs_no_consent(self):
        Camera.objects.filter(pk=self.street_camera.pk).update(source=Camera.Source.PULL)
        self.street_camera.refresh_from_db()
        self.street_camera.source_url = "rtsp://camera.example.org/stream"
        self.street_camera.save(update_fields=["source_url"])
        self.assertIn(self.street_camera.pk, desired_cameras(NOON))

    def test_agency_without_active_contract_gets_no_relays(self):
        Contract.objects.filter(pk=self.contract.pk).update(status=Contract.Status.SUSPENDED)
        self.assertEqual(desired_cameras(NOON), {})
        self.assertEqual(live_refusal(self.live_camera, NOON), "The agency has no active contract.")
        Contract.objects.filter(pk=self.contract.pk).update(
            status=Contract.Status.ACTIVE, ends_on=date(2026, 11, 17)
        )
        self.assertEqual(desired_cameras(NOON), {})

    def test_disabled_camera_is_not_desired(self):
        Camera.objects.filter(pk=self.live_camera.pk).update(enabled=False)
        self.assertEqual(desired_cameras(NOON), {})

    def test_schedule_window_closing_removes_the_camera(self):
        self.consent(schedule=[{"days": [2], "start": "09:00", "end": "12:30"}])
        self.assertIn(self.live_camera.pk, desired_cameras(NOON + timedelta(minutes=29)))
        self.assertNotIn(self.live_camera.pk, desired_cameras(NOON + timedelta(minutes=30)))
        self.assertEqual(
            live_refusal(self.live_camera, NOON + timedelta(minutes=30)),
            "Outside the hours the owner shares this camera.",
        )

    def test_expired_consent_removes_the_camera(self):
        self.consent(expires_at=NOON + timedelta(seconds=5))
        self.assertIn(self.live_camera.pk, desired_cameras(NOON))
        self.assertNotIn(self.live_camera.pk, desired_cameras(NOON + timedelta(seconds=5)))

    def test_incident_radius_needs_an_open_incident_nearby(self):
        self.consent(incident_radius_m=200)
        self.assertNotIn(self.live_camera.pk, desired_cameras(NOON))
        far = Incident.objects.create(
            agency=self.riverside, external_id="F-1", kind="theft", lat=41.90, lon=self.live_camera.lon
        )
        self.assertNotIn(self.live_camera.pk, desired_cameras(NOON))
        near = Incident.objects.create(
            agency=self.lakeview, external_id="N-0", kind="theft", lat=41.8806, lon=self.live_camera.lon
        )
        self.assertNotIn(self.live_camera.pk, desired_cameras(NOON), "another agency's incident counts not")
        near = Incident.objects.create(
            agency=self.riverside, external_id="N-1", kind="theft", lat=41.8806, lon=self.live_camera.lon
        )
        self.assertIn(self.live_camera.pk, desired_cameras(NOON))
        self.assertEqual(live_refusal(self.live_camera, NOON), "")
        Incident.objects.filter(pk=near.pk).update(closed_at=NOON)
        self.assertNotIn(self.live_camera.pk, desired_cameras(NOON))
        self.assertTrue(far.is_open)

    def test_desired_state_costs_a_fixed_number_of_queries(self):
        for number in range(5):
            camera = Camera.objects.create(
                agency=self.riverside,
                owner=self.resident,
                name=f"extra {number}",
                lat=41.88,
                lon=-87.63,
                source=Camera.Source.PUSH,
            )
            Consent.objects.create(camera=camera, level=Consent.Level.LIVE, incident_radius_m=500)
        Incident.objects.create(agency=self.riverside, external_id="Q-1", kind="x", lat=41.88, lon=-87.63)
        with self.assertNumQueries(3):
            desired = desired_cameras(NOON)
        self.assertEqual(len(desired), 6)
        # Slim: no passphrase decrypted, no mask read; a node reads those for what it relays.
        self.assertTrue(all("srt_passphrase" in camera.get_deferred_fields() for camera in desired.values()))
        with self.assertNumQueries(2):
            relayed = relay_cameras(desired)
        self.assertTrue(all(camera.srt_passphrase for camera in relayed.values()))


class LeaseTests(TwoNodes):
    def test_only_one_node_can_claim_a_camera(self):
        self.assertTrue(leases.claim(self.one.pk, self.camera_id))
        self.assertFalse(leases.claim(self.two.pk, self.camera_id))
        self.assertEqual(RelayLease.objects.get(camera_id=self.camera_id).node_id, self.one.pk)

    def test_lapsed_lease_moves_to_the_next_claimant_and_the_old_holder_cannot_renew(self):
        leases.claim(self.one.pk, self.camera_id)
        lapse_lease(self.camera_id)
        self.assertEqual(leases.lapsed(), {self.camera_id})
        self.assertFalse(leases.is_held(self.camera_id))
        self.assertTrue(leases.claim(self.two.pk, self.camera_id))
        self.assertEqual(leases.renew(self.one.pk, [self.camera_id]), set())
        self.assertEqual(leases.renew(self.two.pk, [self.camera_id]), {self.camera_id})

    def test_renewal_keeps_the_lease_from_lapsing(self):
        leases.claim(self.one.pk, self.camera_id)
        RelayLease.objects.filter(camera_id=self.camera_id).update(expires_at=database_now_plus(1))
        self.assertEqual(leases.renew(self.one.pk, [self.camera_id]), {self.camera_id})
        renewed = RelayLease.objects.get(camera_id=self.camera_id).expires_at
        # This machine's clock is the database's here: the renewal counts a whole lease from now.
        self.assertGreater(renewed, timezone.now() + timedelta(seconds=10))
        self.assertFalse(leases.claim(self.two.pk, self.camera_id))

    def test_only_the_holder_releases(self):
        leases.claim(self.one.pk, self.camera_id)
        self.assertFalse(leases.release(self.two.pk, self.camera_id))
        self.assertTrue(leases.release(self.one.pk, self.camera_id))
        self.assertTrue(leases.claim(self.two.pk, self.camera_id))

    def test_orphaned_live_status_is_swept_offline(self):
        Camera.objects.filter(pk=self.camera_id).update(status=Camera.Status.LIVE)
        leases.claim(self.one.pk, self.street_camera.pk)
        Camera.objects.filter(pk=self.street_camera.pk).update(status=Camera.Status.LIVE)
        self.assertEqual(sweep_orphaned_statuses(), 1)
        self.live_camera.refresh_from_db()
        self.assertEqual(self.live_camera.status, Camera.Status.OFFLINE)
        self.assertEqual(Camera.objects.get(pk=self.street_camera.pk).status, Camera.Status.LIVE)

    def test_beat_task_sweeps_orphans_when_no_node_runs(self):
        Camera.objects.filter(pk=self.camera_id).update(status=Camera.Status.STALLED)
        self.assertEqual(sweep_orphaned_relays(), 1)
        self.assertEqual(sweep_orphaned_relays(), 0, "idempotent")
        self.assertEqual(Camera.objects.get(pk=self.camera_id).status, Camera.Status.OFFLINE)

    def test_relays_command_lists_node_camera_port_and_stats(self):
        leases.claim(self.one.pk, self.camera_id, srt_port=20007)
        leases.record_process(
            self.one.pk, self.camera_id, status="live", fps=15.0, bitrate_kbps=812, restarts=2, last_error=""
        )
        out = StringIO()
        call_command("relays", stdout=out)
        lines = out.getvalue().splitlines()
        self.assertEqual(lines[0].split()[:4], ["node", "camera", "port", "status"])
        row = next(line for line in lines if line.startswith("one "))
        self.assertIn(f"{self.camera_id} Rita's porch", row)
        self.assertIn("20007", row)
        self.assertIn("15.0", row)
        self.assertIn("812", row)
        self.assertIn("1 relays; nodes: one (alive", out.getvalue())
        self.assertRegex(out.getvalue(), r"one \(alive, [^)]*, 1 of 100\)")
        self.assertNotIn("no node relays them", out.getvalue())

    def test_a_node_writes_its_leases_stats_in_one_statement_and_only_its_own(self):
        leases.claim(self.one.pk, self.camera_id)
        leases.claim(self.two.pk, self.street_camera.pk)
        fields = {"status": "live", "pid": None, "fps": 15.0, "bitrate_kbps": 812.5, "restarts": 2}
        with self.assertNumQueries(1):
            leases.record_processes(
                self.one.pk,
                {self.camera_id: fields, self.street_camera.pk: {**fields, "fps": 30.0, "pid": 4242}},
            )
        lease = RelayLease.objects.get(camera_id=self.camera_id)
        self.assertEqual(
            (lease.status, lease.pid, lease.fps, lease.bitrate_kbps, lease.restarts),
            ("live", None, 15.0, 812.5, 2),
        )
        self.assertEqual(
            RelayLease.objects.get(camera_id=self.street_camera.pk).fps, 0, "another node's lease"
        )

    def test_relays_command_names_cameras_no_node_relays(self):
        package = Package.objects.create(slug="standard", name="Standard", price_per_device_year=150)
        make_active_contract(
            self.riverside,
            package,
            "RPD-1",
            starts_on=timezone.localdate() - timedelta(days=1),
            ends_on=timezone.localdate() + timedelta(days=1),
            device_quota=1,
            price_per_device_year=150,
        )
        out = StringIO()
        call_command("relays", stdout=out)
        self.assertIn(f"1 cameras may be seen but no node relays them: [{self.camera_id}]", out.getvalue())

    @override_settings(RTCC_SRT_HOST="srt.example.org")
    def test_push_target_is_the_leased_port_on_the_holding_node_and_nothing_before(self):
        self.assertIsNone(push_target(self.live_camera))
        leases.claim(self.one.pk, self.camera_id, srt_port=20005)
        self.assertEqual(push_target(self.live_camera), ("srt.example.org", 20005))
        RelayNode.objects.filter(pk=self.one.pk).update(srt_host="10.0.0.7")
        self.assertEqual(push_target(self.live_camera), ("10.0.0.7", 20005))


def test_backoff_grows_to_its_cap_with_jitter():
    rng = random.Random(7)
    delays = [backoff_seconds(n, 10, rng) for n in range(1, 10)]
    assert 0.25 <= delays[0] <= 0.5
    assert 4 <= delays[4] <= 8
    assert all(5 <= d <= 10 for d in delays[6:])
    assert len({round(d, 3) for d in delays[6:]}) > 1, "jitter spreads restarts"


def test_each_camera_prefers_one_node_and_only_a_dead_nodes_share_moves():
    nodes = ["a", "b", "c"]
    before = {camera: preferred_node(camera, nodes) for camera in range(300)}
    assert {name: list(before.values()).count(name) > 60 for name in nodes} == dict.fromkeys(nodes, True)
    after = {camera: preferred_node(camera, ["a", "c"]) for camera in range(300)}
    assert all(after[c] == before[c] for c in before if before[c] != "b")
