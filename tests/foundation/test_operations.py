"""Operations: one bad row fails one camera, and HTTPS deployments pass Django's own checks."""

import os
import subprocess
import sys
from pathlib import Path

from django.db import connection

from cameras.consent import live_refusal
from cameras.models import Camera
from cameras.relay.desired import desired_cameras
from tests.personas import Personas, make_camera
from tests.wall.fixtures import make_contract

ROOT = Path(__file__).resolve().parents[2]


class UnreadableCredentialTests(Personas):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        make_contract(cls.riverside)
        cls.other_live = make_camera(
            cls.riverside, "Rita's gate", owner=cls.resident, level="live", device=cls.device, lat=41.8802
        )

    def corrupt_passphrase(self, camera: Camera) -> None:
        # Written past the field, as a restored dump or a lost key would leave it.
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Camera._meta.db_table} SET srt_passphrase = %s WHERE id = %s",
                ["gAAAAABnot-a-fernet-token", camera.pk],
            )

    def test_one_undecryptable_row_fails_its_camera_not_the_fleet(self):
        self.corrupt_passphrase(self.live_camera)
        # The relays' desired state reads no passphrase: the node that starts the camera
        # refuses it (tests/relay_fleet/test_relay_nodes.py); every other view says why.
        self.assertEqual(set(desired_cameras()), {self.live_camera.pk, self.other_live.pk})
        camera = Camera.objects.select_related("agency").get(pk=self.live_camera.pk)
        self.assertIn("cannot be decrypted", live_refusal(camera))
        self.assertEqual(live_refusal(Camera.objects.get(pk=self.other_live.pk)), "")

    def test_the_wall_lists_the_camera_with_its_reason(self):
        self.corrupt_passphrase(self.live_camera)
        response = self.api(self.dispatcher).get("/api/v1/cameras/")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.live_camera.pk, [camera["id"] for camera in response.json()["results"]])


def test_https_switch_makes_check_deploy_clean(tmp_path):
    env = {
        **os.environ,
        "RTCC_VAR_DIR": str(tmp_path),
        "RTCC_HTTPS": "true",
        "ALLOWED_HOSTS": "rtcc.example.org",
        "DEBUG": "false",
    }
    command = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_without_https_check_deploy_names_what_is_missing(tmp_path):
    env = {**os.environ, "RTCC_VAR_DIR": str(tmp_path), "ALLOWED_HOSTS": "rtcc.example.org"}
    command = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "SECURE_HSTS_SECONDS" in result.stderr + result.stdout
