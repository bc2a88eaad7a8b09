"""Node capacity: a node never runs more relays than it may; cameras beyond every node's room
say so (`no_capacity`) and start when room comes."""

import pytest

from cameras.models import Camera, Consent
from cameras.relay.node import assigned_node, nodes_by_preference
from cameras.services import do_revoke_consent
from tests.relay_fleet.fleet import FleetTestCase, ffmpeg_pids_by_camera, wait_for


def test_a_camera_goes_to_its_most_preferred_node_with_room():
    ranked = nodes_by_preference(42, ["a", "b", "c"])
    capacity = {"a": 2, "b": 2, "c": 2}
    assert assigned_node(42, capacity, {}) == ranked[0]
    assert assigned_node(42, capacity, {ranked[0]: 2}) == ranked[1]
    assert assigned_node(42, capacity, {ranked[0]: 2, ranked[1]: 5}) == ranked[2]
    assert assigned_node(42, capacity, {"a": 2, "b": 2, "c": 2}) is None


def test_ranking_moves_only_the_share_of_a_node_that_leaves():
    before = {camera: nodes_by_preference(camera, ["a", "b", "c"])[0] for camera in range(300)}
    after = {camera: nodes_by_preference(camera, ["a", "b"])[0] for camera in range(300)}
    moved = {camera for camera in before if before[camera] != after[camera]}
    assert moved == {camera for camera in before if before[camera] == "c"}


@pytest.mark.ffmpeg
class CapacityTests(FleetTestCase):
    def test_a_full_node_leaves_the_next_camera_at_no_capacity_until_room_comes(self):
        first = self.add_camera("Porch", level=Consent.Level.LIVE)
        second = self.add_camera("Garage", level=Consent.Level.LIVE)
        devices = [self.start_device(first), self.start_device(second)]
        self.start_node("small", RTCC_RELAY_CAPACITY="1")

        def placed():
            statuses = {self.status_of(first), self.status_of(second)}
            return Camera.Status.NO_CAPACITY in statuses and Camera.Status.LIVE in statuses

        wait_for(placed, 30, "one camera never went live with the other at no_capacity")
        live, waiting = (first, second) if self.status_of(first) == Camera.Status.LIVE else (second, first)
        self.assertEqual(
            set(ffmpeg_pids_by_camera()), {live.pk}, "the node ran more relays than its capacity"
        )

        do_revoke_consent(self.resident, live)
        self.wait_status(waiting, Camera.Status.LIVE, timeout=30, devices=devices)
        wait_for(lambda: set(ffmpeg_pids_by_camera()) == {waiting.pk}, 10, "the revoked relay still runs")
