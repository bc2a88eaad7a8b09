"""Leases run on the database's clock: a node whose own clock is wrong can neither take a lease
another node still holds nor keep one past the expiry the database knows.

Only the node's clock is skewed here (its `timezone.now`); the database's clock is the real one.
"""

from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from cameras.models import Camera, Consent
from cameras.relay import leases
from cameras.relay.models import RelayLease, RelayNode
from cameras.relay.node import RelayNodeRunner, sweep_orphaned_statuses
from cameras.relay.ports import held_push_targets
from tests.relay_fleet.fleet import FleetTestCase, TwoNodes, ffmpeg_pids_by_camera, lapse_lease, wait_for

# Well beyond a lease period (15 s) either way.
SKEW = timedelta(minutes=5)


@contextmanager
def node_clock(skew: timedelta):
    """This node's wall clock runs `skew` off the true time (and the database's)."""
    true_now = timezone.now
    with mock.patch("django.utils.timezone.now", side_effect=lambda: true_now() + skew):
        yield


class SkewedLeaseTests(TwoNodes):
    def test_a_node_whose_clock_runs_ahead_cannot_take_a_live_lease(self):
        self.assertTrue(leases.claim(self.one.pk, self.camera_id))
        with node_clock(+SKEW):
            self.assertFalse(leases.claim(self.two.pk, self.camera_id))
            self.assertEqual(leases.held_elsewhere(self.two.pk), {self.camera_id})
            self.assertEqual(leases.lapsed(), set())
            self.assertTrue(leases.is_held(self.camera_id))
        self.assertEqual(RelayLease.objects.get(camera_id=self.camera_id).node_id, self.one.pk)

    def test_a_node_whose_clock_runs_behind_cannot_keep_a_lapsed_lease(self):
        with node_clock(-SKEW):
            leases.claim(self.one.pk, self.camera_id, srt_port=20005)
            lease = RelayLease.objects.get(camera_id=self.camera_id)
        # Written by the database's clock, not the node's: a whole lease from the true now.
        self.assertGreater(lease.expires_at, timezone.now() + timedelta(seconds=10))
        lapse_lease(self.camera_id)
        with node_clock(-SKEW):
            self.assertEqual(leases.renew(self.one.pk, [self.camera_id]), set())
            self.assertEqual(held_push_targets([self.camera_id]), {}, "no box is sent to a lapsed lease")
            self.assertTrue(leases.claim(self.two.pk, self.camera_id))

    def test_a_node_whose_clock_runs_ahead_does_not_sweep_a_relayed_camera_offline(self):
        leases.claim(self.one.pk, self.camera_id)
        RelayNode.objects.filter(pk=self.one.pk).update(heartbeat_at=timezone.now())
        Camera.objects.filter(pk=self.camera_id).update(status=Camera.Status.LIVE)
        with node_clock(+SKEW):
            self.assertEqual(sweep_orphaned_statuses(), 0)


@pytest.mark.ffmpeg
class SkewedNodeTests(FleetTestCase):
    """Two supervisors in this process, one of them with a skewed clock, on a camera with real ffmpeg."""

    def runner(self, name: str) -> RelayNodeRunner:
        runner = RelayNodeRunner(name, interval=0.5)
        runner.register()
        self.addCleanup(runner.shutdown)
        return runner

    def test_a_node_ahead_takes_nothing_another_holds_and_a_node_behind_lets_go_at_the_database_expiry(self):
        camera = self.add_camera("Porch", level=Consent.Level.LIVE)
        steady = self.runner("steady")
        steady.run_once()
        self.assertIn(camera.pk, steady.relays, "the camera fell to the steady node")
        wait_for(lambda: ffmpeg_pids_by_camera().get(camera.pk), 10, "no relay started")

        ahead = self.runner("ahead")
        with node_clock(+SKEW):
            ahead.run_once()
            ahead.run_once()
        self.assertEqual(ahead.relays, {}, "a node ahead took a lease another node holds")
        self.assertEqual(RelayLease.objects.get(camera=camera).node.name, "steady")

        # The steady node's clock falls behind, and its lease lapses by the database's clock
        # (it could not renew in time): its next pass must give that lease and its ffmpeg up,
        # whatever its clock says (it may claim the free camera again, afresh).
        (old_pid,) = ffmpeg_pids_by_camera()[camera.pk]
        lapse_lease(camera.pk)
        with node_clock(-SKEW), self.assertLogs("cameras.relay.node", "WARNING") as logs:
            steady.run_once()
        self.assertIn(f"lost the lease of camera {camera.pk}", "\n".join(logs.output))
        wait_for(
            lambda: old_pid not in ffmpeg_pids_by_camera().get(camera.pk, []), 5, "ffmpeg outlived the lease"
        )
