"""Signing in through the pages in a real Chromium: enrolment by QR code, then password and code;
the idle warning comes from the ES module and goes away when the person moves."""

import base64
import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.browser.chromium import ARTIFACTS
from tests.browser.processes import start_daphne, stop
from tests.browser.test_wall import WallBrowserCase
from tests.personas import PASSWORD, totp_code

pytestmark = [pytest.mark.browser]


class SignInBrowserTests(WallBrowserCase):
    def sign_in(self, base, user, code=None):
        page = self.page
        page.goto(f"{base}/accounts/login/?next=/wall/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        if code is not None:
            page.fill("#id_otp_token", code)
        page.click("main form button[type=submit]")

    def test_first_sign_in_enrols_by_qr_code_then_password_and_code_open_the_wall(self):
        TOTPDevice.objects.filter(user=self.dispatcher).delete()
        page = self.page
        self.sign_in(self.base, self.dispatcher)
        page.wait_for_url(re.compile(r".*/accounts/authenticator/.*"))
        self.assertTrue(page.locator(".qr svg").is_visible())
        page.goto(f"{self.base}/wall/")
        self.assertIn("/accounts/authenticator/", page.url, "the wall stays shut before enrolment")
        secret = page.locator(".secret").inner_text().replace(" ", "")
        key = base64.b32decode(secret + "=" * (-len(secret) % 8))
        page.fill("#id_code", f"{totp(key):06d}")
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{self.base}/wall/")
        page.wait_for_selector("#conn[data-state=live]")
        page.click("text=Sign out")
        # Home, or the sign-in page if the wall's socket closed first (it sends its tab there).
        page.wait_for_url(re.compile(rf"{re.escape(self.base)}/(accounts/login/.*)?$"))
        self.sign_in(self.base, self.dispatcher)
        page.wait_for_selector("text=6-digit code from its authenticator app")
        self.sign_in(self.base, self.dispatcher, totp_code(self.dispatcher))
        page.wait_for_url(f"{self.base}/wall/")
        page.wait_for_selector("#conn[data-state=live]")

    def test_idle_warning_shows_before_the_lock_and_goes_when_the_person_moves(self):
        daphne, base = start_daphne(
            ARTIFACTS / "daphne-idle.log", {"RTCC_IDLE_MINUTES": "1", "RTCC_IDLE_WARNING_SECONDS": "50"}
        )
        self.addCleanup(stop, daphne)
        page = self.page
        self.sign_in(base, self.resident)
        page.goto(f"{base}/portal/")
        warning = page.locator(".idle-warning")
        warning.wait_for(state="visible", timeout=30_000)
        self.assertIn("signed out in 0:", warning.inner_text())
        page.screenshot(path=str(ARTIFACTS / "sign-in-idle-warning.png"))
        page.mouse.move(200, 200)
        page.mouse.move(300, 250)
        warning.wait_for(state="hidden", timeout=10_000)
