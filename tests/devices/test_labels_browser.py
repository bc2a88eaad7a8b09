"""In Chromium: an agency admin stocks a box and gets its label; a resident follows the label's link and claims it."""

import re

import pytest
from django.conf import settings
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from playwright.sync_api import sync_playwright

from devices.models import Device
from tests.browser.chromium import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, keep_to_loopback
from tests.browser.hostile_text import COLLECT_VIOLATIONS
from tests.personas import RIVERSIDE_CENTRE, SignedInClient, make_agency, make_agency_admin, make_user


@pytest.mark.browser
class LabelSheetInChromiumTests(StaticLiveServerTestCase):
    def setUp(self):
        super().setUp()
        self.agency = make_agency("riverside-pd", "Riverside PD", RIVERSIDE_CENTRE)
        self.admin = make_agency_admin("alice-admin", self.agency)
        self.resident = make_user("rita-resident")
        ARTIFACTS.mkdir(exist_ok=True)
        # Cookies made before Playwright's event loop runs: the ORM refuses to run inside one.
        self.cookies = {user: self.session_cookie(user) for user in (self.admin, self.resident)}

    def session_cookie(self, user) -> dict:
        client = SignedInClient()
        client.force_login(user)
        value = client.cookies[settings.SESSION_COOKIE_NAME].value
        return {"name": settings.SESSION_COOKIE_NAME, "value": value, "url": self.live_server_url}

    def page_for(self, browser, user):
        context = keep_to_loopback(browser.new_context(viewport={"width": 1024, "height": 800}))
        context.set_default_timeout(30_000)
        context.add_init_script(COLLECT_VIOLATIONS)
        context.add_cookies([self.cookies[user]])
        return context.new_page()

    def test_stock_print_and_claim_through_the_labels_link(self):
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                link, code = self.stock_one(self.page_for(browser, self.admin))
                self.claim_by_link(self.page_for(browser, self.resident), link, code)
            finally:
                browser.close()
        device = Device.objects.get(serial="RPD-LBL-1")
        self.assertEqual((device.owner, device.state), (self.resident, Device.State.CLAIMED))

    def stock_one(self, page):
        page.goto(f"{self.live_server_url}/admin/devices/device/add/")
        page.fill("textarea[name=serials]", "RPD-LBL-1")
        page.click("input[type=submit]")
        page.wait_for_selector(".labels .label")
        code = page.inner_text(".claim-code").strip()
        self.assertRegex(code, r"^[A-Z0-9]{4}-[A-Z0-9]{4}$")
        box = page.locator(".label-qr svg").bounding_box()
        self.assertGreater(box["width"], 50)  # the QR code is drawn, at a scannable size
        self.assertEqual(page.evaluate("window.__violations"), [])
        page.emulate_media(media="print")
        self.assertFalse(page.is_visible(".label-intro"))  # printed: only the labels
        self.assertTrue(page.is_visible(".claim-code"))
        page.screenshot(path=str(ARTIFACTS / "device-labels.png"), full_page=True)
        link = re.search(r"Claim at (\S+)", page.inner_text(".label-link")).group(1)
        return link, code

    def claim_by_link(self, page, link, code):
        page.goto(link)
        self.assertEqual(page.input_value("input[name=claim_code]"), code)
        self.assertEqual(page.input_value("input[name=serial]"), "RPD-LBL-1")
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{self.live_server_url}/portal/")
        self.assertIn("None is shared until you choose", page.inner_text("body"))
        self.assertEqual(page.evaluate("window.__violations"), [])
