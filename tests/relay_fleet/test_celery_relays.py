"""Relay nodes as Celery workers (`celery -A rtcc worker --relay`), with real ffmpeg and a
simulated box: the bootstep relays, `inspect relays` reports, `relay_drain` moves every
camera, and a SIGKILLed worker's cameras come back on the other, never twice at once."""

import time

import pytest

from cameras.models import Camera, Consent
from cameras.relay.models import RelayLease
from rtcc.celery import app
from tests.relay_fleet.fleet import FleetTestCase, RelayWorker, ffmpeg_pids_by_camera, wait_for

pytestmark = pytest.mark.ffmpeg


def ask(command: str, destination: str, timeout: float = 5.0) -> dict:
    """A remote-control command to one worker; its reply."""
    for reply in app.control.broadcast(command, destination=[destination], reply=True, timeout=timeout):
        if destination in reply:
            return reply[destination]
    return {}


class CeleryRelayTests(FleetTestCase):
    def start_worker(self, name: str) -> RelayWorker:
        worker = RelayWorker(name)
        self.addCleanup(worker.stop)
        return worker

    def holder(self, camera) -> str | None:
        lease = RelayLease.objects.select_related("node").filter(camera=camera).first()
        return lease.node.name if lease is not None else None

    def test_relay_workers_relay_report_drain_and_take_over_a_killed_worker(self):
        camera = self.add_camera("Rita's porch", level=Consent.Level.LIVE)
        device = self.start_device(camera)
        workers = {
            worker.name: worker for worker in (self.start_worker("relay1"), self.start_worker("relay2"))
        }
        self.wait_status(camera, Camera.Status.LIVE, timeout=60, devices=[device])
        first = self.holder(camera)
        self.assertIn(first, workers)

        report = wait_for(lambda: ask("relays", first).get("cameras"), 20, "inspect relays never answered")
        self.assertEqual([entry["camera"] for entry in report], [camera.pk])
        self.assertEqual(report[0]["status"], "live")
        self.assertEqual(report[0]["srt_port"], RelayLease.objects.get(camera=camera).srt_port)

        self.assertIn("draining 1 relays", ask("relay_drain", first).get("ok", ""))
        second = next(name for name in workers if name != first)
        wait_for(lambda: self.holder(camera) == second, 20, "relay_drain did not move the camera")
        self.wait_status(camera, Camera.Status.LIVE, timeout=30, devices=[device])

        # SIGKILL the worker that holds it now: the drained one takes nothing, so restart it fresh.
        workers[first].stop()
        replacement = self.start_worker("relay3")
        workers[second].kill_hard()
        seen_twice = []

        def back_on_replacement():
            if len(ffmpeg_pids_by_camera().get(camera.pk, [])) > 1:
                seen_twice.append(time.monotonic())
            if not device.is_running:
                device.start()
            return self.holder(camera) == replacement.name and self.status_of(camera) == Camera.Status.LIVE

        wait_for(back_on_replacement, 60, "the camera never came back after its worker was killed")
        self.assertEqual(seen_twice, [], "two ffmpeg relayed one camera at once")
