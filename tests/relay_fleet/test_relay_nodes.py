"""Relay nodes with real ffmpeg: live on consent, faults, revocation and a node killed with SIGKILL."""

import os
import signal
import time

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from agencies.models import Agency
from cameras.media.signing import hls_url_for
from cameras.models import Camera, Consent, PrivacyMask
from cameras.relay.layout import snapshot_path
from cameras.relay.models import RelayLease
from cameras.relay.node import RelayNodeRunner
from cameras.services import do_revoke_consent, do_set_consent
from tests.relay_fleet.fleet import (
    FleetTestCase,
    ffmpeg_pids_by_camera,
    give_active_contract,
    open_session,
    wait_for,
)

pytestmark = pytest.mark.ffmpeg


def relay_pids(camera: Camera) -> list[int]:
    return ffmpeg_pids_by_camera().get(camera.pk, [])


class SingleNodeTests(FleetTestCase):
    def test_consent_brings_camera_live_with_fresh_snapshots_and_revoke_stops_it(self):
        camera = self.add_camera("Rita's porch")
        device = self.start_device(camera)
        self.start_node("solo")

        granted = time.monotonic()
        do_set_consent(self.resident, camera, Consent.Level.LIVE)
        self.wait_status(camera, Camera.Status.LIVE, timeout=10, devices=[device])
        self.assertLess(time.monotonic() - granted, 10)
        self.assertEqual(len(relay_pids(camera)), 1)

        first = Camera.objects.get(pk=camera.pk).snapshot_version
        wait_for(
            lambda: Camera.objects.get(pk=camera.pk).snapshot_version > first,
            10,
            "the snapshot version never increased",
        )

        session = open_session(self.dispatcher, self.agency, camera, "burglary", "RPD-1")
        url, _ = hls_url_for(camera, self.dispatcher, session)
        wait_for(lambda: Client().get(url).status_code == 200, 10, "the playlist was never served")

        revoked = time.monotonic()
        do_revoke_consent(self.resident, camera)
        self.assertIn(Client().get(url).status_code, {403, 404}, "media refused from the commit on")
        wait_for(lambda: not relay_pids(camera), 5, "ffmpeg still runs after the revoke")
        self.assertLess(time.monotonic() - revoked, 5)
        wait_for(lambda: self.status_of(camera) == Camera.Status.STOPPED, 5, "status never became stopped")
        self.assertFalse(snapshot_path(camera.pk).exists(), "no live pixels of a revoked camera stay on disk")

    def test_source_loss_stalls_then_recovers_and_a_killed_ffmpeg_restarts_with_backoff(self):
        camera = self.add_camera("Corner deli", level=Consent.Level.LIVE)
        device = self.start_device(camera)
        self.start_node("solo")
        self.wait_status(camera, Camera.Status.LIVE, timeout=20, devices=[device])

        device.kill()
        lost = time.monotonic()
        # Stalled once 5 s pass without a frame; the margin is the node's pass and
        # ffmpeg's progress period.
        wait_for(lambda: self.status_of(camera) == Camera.Status.STALLED, 7.5, "never stalled")
        self.assertLess(time.monotonic() - lost, 7.5)

        device.start()
        returned = time.monotonic()
        self.wait_status(camera, Camera.Status.LIVE, timeout=10, devices=[device])
        self.assertLess(time.monotonic() - returned, 10)

        (old_pid,) = relay_pids(camera)
        restarts = RelayLease.objects.get(camera=camera).restarts
        os.kill(old_pid, signal.SIGKILL)
        wait_for(lambda: self.status_of(camera) == Camera.Status.BACKOFF, 5, "the crash was not noticed")
        self.assertIn("killed", Camera.objects.get(pk=camera.pk).status_reason)
        wait_for(
            lambda: RelayLease.objects.get(camera=camera).restarts > restarts
            and relay_pids(camera) not in ([], [old_pid]),
            10,
            "ffmpeg was not restarted",
        )
        self.wait_status(camera, Camera.Status.LIVE, timeout=20, devices=[device])
        self.assertEqual(len(relay_pids(camera)), 1)

    def test_new_privacy_mask_restarts_the_relay_and_schedule_window_closing_stops_it(self):
        camera = self.add_camera("Night shop", level=None)
        Consent.objects.create(
            camera=camera,
            level=Consent.Level.LIVE,
            schedule=[{"days": list(range(7)), "start": "00:00", "end": "23:59"}],
        )
        runner = RelayNodeRunner("in-process", interval=0.5)
        runner.register()
        self.addCleanup(runner.shutdown)
        runner.run_once()
        (first_pid,) = wait_for(lambda: relay_pids(camera), 10, "no relay started")

        PrivacyMask.objects.create(
            camera=camera, label="neighbour's window", x=0, y=0, width=0.25, height=0.5
        )
        runner.run_once()
        self.assertEqual(runner.relays[camera.pk].spec.masks, ((0, 0, 0.25, 0.5),))
        wait_for(lambda: relay_pids(camera) not in ([], [first_pid]), 10, "the relay kept its old settings")

        local_midnight = timezone.now().astimezone(camera.tz).replace(hour=23, minute=59, second=1)
        runner.run_once(at=local_midnight)
        self.assertEqual(runner.relays, {})
        self.assertEqual(relay_pids(camera), [])
        camera.refresh_from_db()
        self.assertEqual(camera.status, Camera.Status.STOPPED)
        self.assertEqual(camera.status_reason, "Outside the hours the owner shares this camera.")

    def test_a_passphrase_that_cannot_be_decrypted_fails_its_camera_not_the_pass(self):
        lost = self.add_camera("Lost key", level=Consent.Level.LIVE)
        kept = self.add_camera("Kept key", level=Consent.Level.LIVE)
        held = self.add_camera("Key lost while relayed", level=Consent.Level.LIVE)
        runner = RelayNodeRunner("in-process", interval=0.5)
        runner.register()
        self.addCleanup(runner.shutdown)
        self.corrupt_passphrase(lost)
        runner.run_once()
        self.assertEqual(set(runner.relays), {kept.pk, held.pk})
        lost.refresh_from_db()
        self.assertEqual(lost.status, Camera.Status.ERROR)
        self.assertIn("cannot be decrypted", lost.status_reason)
        self.assertFalse(RelayLease.objects.filter(camera=lost).exists())
        self.assertEqual(relay_pids(lost), [])
        # Held when its passphrase became unreadable: stopped, never restarted without encryption.
        self.corrupt_passphrase(held)
        runner.run_once()
        self.assertEqual(set(runner.relays), {kept.pk})
        self.assertEqual(relay_pids(held), [])
        held.refresh_from_db()
        self.assertIn("cannot be decrypted", held.status_reason)

    def corrupt_passphrase(self, camera) -> None:
        with connection.cursor() as cursor:  # past the field, as a restored dump or a lost key leaves it
            cursor.execute(
                f"UPDATE {Camera._meta.db_table} SET srt_passphrase = %s WHERE id = %s",
                ["gAAAAABnot-a-fernet-token", camera.pk],
            )


class TwoNodeTests(FleetTestCase):
    def test_killed_node_loses_its_cameras_to_the_other_without_two_relays_at_once(self):
        cameras = [self.add_camera(f"Camera {n}", level=Consent.Level.LIVE) for n in range(2)]
        devices = [self.start_device(camera) for camera in cameras]
        nodes = {name: self.start_node(name) for name in ("n1", "n2")}

        def never_two():
            doubled = {c: pids for c, pids in ffmpeg_pids_by_camera().items() if len(pids) > 1}
            self.assertEqual(doubled, {}, "two ffmpeg processes for one camera")

        def all_live():
            never_two()
            for device in devices:
                if not device.is_running:
                    device.start()
            return all(self.status_of(camera) == Camera.Status.LIVE for camera in cameras)

        wait_for(all_live, 30, "not every camera went live")
        victim_name = RelayLease.objects.select_related("node").get(camera=cameras[0]).node.name
        survivor_name = "n2" if victim_name == "n1" else "n1"
        nodes[victim_name].kill_hard()
        killed = time.monotonic()

        def moved():
            if not all_live():
                return False
            holders = set(RelayLease.objects.filter(camera__in=cameras).values_list("node__name", flat=True))
            return holders == {survivor_name}

        wait_for(moved, 30, "the cameras did not move to the surviving node")
        self.assertLess(time.monotonic() - killed, 30)
        never_two()
        self.assertEqual(sorted(ffmpeg_pids_by_camera()), sorted(c.pk for c in cameras))


@pytest.mark.rtsp
def test_agency_camera_is_pulled_from_its_rtsp_url(transactional_db, rtsp_server, settings):
    settings.RTCC_PULL_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    agency = Agency.objects.create(slug="riverside-pd", name="Riverside PD", lat=41.88, lon=-87.63)
    give_active_contract(agency, "C-1")
    camera = Camera.objects.create(
        agency=agency,
        name="Bridge",
        kind=Camera.Kind.PUBLIC,
        source=Camera.Source.PULL,
        source_url=rtsp_server.url,
        lat=41.88,
        lon=-87.63,
    )
    runner = RelayNodeRunner("pull-node")
    runner.register()
    try:

        def live():
            runner.run_once()
            return Camera.objects.get(pk=camera.pk).status == Camera.Status.LIVE

        wait_for(live, 20, "the pulled camera never went live", interval=0.5)
        assert runner.relays[camera.pk].spec.source == "pull"
        rtsp_server.kill()
        wait_for(
            lambda: runner.run_once() or Camera.objects.get(pk=camera.pk).status == Camera.Status.STALLED,
            10,
            "losing the RTSP camera did not stall the relay",
            interval=0.5,
        )
    finally:
        runner.shutdown()
    assert relay_pids(camera) == []


class LeaseFenceTests(FleetTestCase):
    @override_settings(RTCC_RELAY_LEASE_SECONDS=5)
    def test_a_hung_pass_cannot_keep_ffmpeg_past_the_lease_it_last_renewed(self):
        camera = self.add_camera("Porch", level=Consent.Level.LIVE)
        runner = RelayNodeRunner("fenced", interval=0.5)
        runner.register()
        self.addCleanup(runner.shutdown)
        runner.run_once()
        wait_for(lambda: relay_pids(camera), 10, "no relay started")
        runner.start_fence()
        self.addCleanup(runner.stop)
        # No further pass runs, as if the database stopped answering mid-pass: the fence
        # alone must kill ffmpeg before the lease lapses (5 s, less a 3 s safety margin).
        renewed = time.monotonic()
        wait_for(lambda: not relay_pids(camera), 8, "ffmpeg outlived its lease with no pass running")
        self.assertLess(time.monotonic() - renewed, 5, "killed only after the lease had lapsed")
