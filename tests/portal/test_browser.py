"""The portal in a real Chromium on a phone-sized screen: sign up, claim, register, share live, revoke."""

import re

import pytest
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from django.core import mail
from playwright.sync_api import sync_playwright

from agencies.models import Agency
from cameras.models import Camera
from devices.models import Device
from rtcc import ratelimit
from tests.browser.chromium import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, keep_to_loopback


@pytest.mark.browser
class PortalInChromiumTests(StaticLiveServerTestCase):
    def setUp(self):
        super().setUp()
        ratelimit.reset("portal-sign-up:127.0.0.1")
        self.agency = Agency.objects.create(
            slug="riverside-pd", name="Riverside PD", time_zone="America/Chicago", lat=41.88, lon=-87.63
        )
        device = Device(serial="EDGE-7001", agency=self.agency)
        device.set_claim_code("PORCH-4242")
        device.save()
        ARTIFACTS.mkdir(exist_ok=True)

    def shot(self, page, name):
        page.screenshot(path=str(ARTIFACTS / f"portal-{name}.png"), full_page=True)

    def test_sign_up_register_share_live_and_revoke_on_a_phone(self):
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                context = keep_to_loopback(
                    browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
                )
                context.set_default_timeout(30_000)
                page = context.new_page()
                # No map tiles from the internet in a test: the map works without them.
                page.route(re.compile(r"https://tile\.openstreetmap\.org/.*"), lambda route: route.abort())
                self.walk_through(page)
            finally:
                browser.close()
        # Outside Playwright's event loop, so that the ORM uses this thread's own connection.
        camera = Camera.objects.get(name="Front porch")
        self.assertEqual(camera.owner.username, "nora@example.org")
        self.assertEqual(
            [consent.level for consent in camera.consents.order_by("set_at", "pk")],
            ["registry", "live", "none"],
        )
        mask = camera.privacy_masks.get()
        self.assertAlmostEqual(mask.x, 0.1, delta=0.02)
        self.assertAlmostEqual(mask.width, 0.3, delta=0.02)

    def walk_through(self, page):
        base = self.live_server_url
        page.goto(f"{base}/portal/")
        self.shot(page, "1-landing")
        page.click("text=Sign up")
        page.fill("#id_email", "nora@example.org")
        page.fill("#id_password1", "quiet garden 7412")
        page.fill("#id_password2", "quiet garden 7412x")
        page.click("button[type=submit]")
        page.wait_for_selector("text=The two passwords differ.")
        self.shot(page, "2-sign-up-error")
        page.fill("#id_password1", "quiet garden 7412")
        page.fill("#id_password2", "quiet garden 7412")
        page.click("button[type=submit]")
        page.wait_for_selector("text=Check your e-mail")

        link = re.search(r"(http://\S+/portal/confirm/\S+/)", mail.outbox[-1].body)[1]
        page.goto(link)
        page.click("text=Confirm my account")
        page.wait_for_selector("h1:has-text('Register a camera')")

        page.click("nav.portal-nav >> text=Claim device")
        page.fill("#id_serial", "EDGE-7001")
        page.fill("#id_claim_code", "porch-4242")
        page.click("button:has-text('Claim')")
        page.wait_for_selector("text=Device EDGE-7001 is yours")

        page.click("nav.portal-nav >> text=Register")
        page.fill("#id_name", "Front porch")
        page.fill("#id_description", "The sidewalk and the street in front of the house")
        page.fill("#id_address", "4 Elm St")
        page.wait_for_selector("#point-map .leaflet-container, #point-map.leaflet-container")
        page.click("#point-map", position={"x": 180, "y": 130})
        self.assertRegex(page.input_value("#id_lat"), r"^41\.\d+")
        page.select_option("#id_device", label="EDGE-7001")
        self.shot(page, "3-register")
        self.assertLessEqual(
            page.evaluate("document.documentElement.scrollWidth"), 390, "no sideways scrolling"
        )
        page.click("button:has-text('Register')")
        page.wait_for_selector("text=is registered with Riverside PD")
        self.assertEqual(page.text_content("#current-level").strip(), "Registry: location only")

        page.check("input[name=level][value=live]")
        for day in ["0", "1", "2", "3", "4"]:
            page.check(f"input[name=days][value='{day}']")
        page.fill("#id_start_time", "08:00")
        page.fill("#id_end_time", "18:00")
        page.click("button:has-text('Save consent')")
        page.wait_for_selector("text=The new consent is in force now")
        self.assertEqual(page.text_content("#current-level").strip(), "Live")
        self.shot(page, "4-live")

        page.click("text=Draw masks")
        page.wait_for_selector("text=re-encodes")
        page.locator("#mask-stage").scroll_into_view_if_needed()
        box = page.locator("#mask-stage").bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.6, steps=5)
        page.mouse.up()
        self.assertEqual(page.locator(".mask-rect").count(), 1)
        self.shot(page, "5-mask")
        page.click("button:has-text('Save masks')")
        page.wait_for_selector("text=Masks saved")
        page.click("text=Back to Front porch")
        page.wait_for_selector("text=1 mask.")

        page.click("#revoke")
        page.wait_for_selector("text=shares nothing from now on")
        self.assertEqual(page.text_content("#current-level").strip(), "Not shared (revoked)")
        self.shot(page, "6-revoked")
