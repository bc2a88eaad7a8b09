"""The public pages and the console in a real Chromium on a 390 px phone: nothing runs off the side."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from django.utils import timezone
from playwright.sync_api import sync_playwright

from agencies.models import AccessEvent, Agency, Membership, OversightRecord
from cameras.sharing.models import CameraShare
from tests.browser.chromium import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, keep_to_loopback
from tests.personas import SignedInClient, make_camera, make_user

PHONE = {"width": 390, "height": 844}


@pytest.mark.browser
class PhoneWidthTests(StaticLiveServerTestCase):
    def setUp(self):
        super().setUp()
        agency = Agency.objects.create(
            slug="riverside-pd", name="Riverside PD", time_zone="America/Chicago", lat=41.88, lon=-87.63,
            use_policy="Live views need an incident or a case number.",
        )  # fmt: skip
        auditor = make_user("otto-oversight", agency, Membership.Role.OVERSIGHT)
        # A share given and one received, with long words, so the sharing tables must fit too.
        other = Agency.objects.create(
            slug="lakeview-so", name="Lakeview County Sheriff's Office", lat=41.9, lon=-87.6
        )
        for giver, receiver in ((agency, other), (other, agency)):
            share = CameraShare.objects.create(
                from_agency=giver, to_agency=receiver, ends_at=timezone.now() + timedelta(days=30),
                purpose="Interagency marathon and waterfront festival security operations",
                authority="Mutual-aid-memorandum-of-understanding-2026-0004", recorded=True,
            )  # fmt: skip
            share.cameras.set([make_camera(giver, "Waterfront promenade at the northern pier entrance")])
        OversightRecord.objects.create(
            agency=agency, kind="breach", occurred_on=timezone.localdate(), summary="s"
        )
        for number in range(3):
            AccessEvent.objects.create(
                agency=agency, actor=auditor, actor_name=auditor.username, action=AccessEvent.Action.VIEW_START,
                target_label="A camera with a rather long name on a long street", purpose=f"case {number}",
            )  # fmt: skip
        # A full sign-in (password and authenticator): otherwise every page is the authenticator's prompt.
        client = SignedInClient()
        client.force_login(auditor)
        self.session = client.cookies[settings.SESSION_COOKIE_NAME].value
        ARTIFACTS.mkdir(exist_ok=True)

    def test_public_pages_and_the_console_fit_a_phone(self):
        year = timezone.now().year
        # Each page and a heading it must show, so that a redirect elsewhere cannot pass for it.
        paths = {
            "transparency": ("/transparency/", "Transparency"),
            "report": (f"/transparency/riverside-pd/report/{year}", "annual surveillance report"),
            "heads": ("/transparency/riverside-pd/heads", "Riverside PD"),
            "oversight": ("/oversight/", "Oversight"),
        }
        widths = {}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                context = keep_to_loopback(browser.new_context(viewport=PHONE, device_scale_factor=1))
                host = self.live_server_url.split("//")[1].split(":")[0]
                context.add_cookies(
                    [
                        {
                            "name": settings.SESSION_COOKIE_NAME,
                            "value": self.session,
                            "domain": host,
                            "path": "/",
                        }
                    ]
                )
                page = context.new_page()
                for name, (path, heading) in paths.items():
                    response = page.goto(self.live_server_url + path)
                    self.assertEqual((response.status, response.url), (200, self.live_server_url + path))
                    self.assertIn(heading, page.locator("h1").first.inner_text())
                    page.screenshot(path=str(ARTIFACTS / f"phone-{name}.png"), full_page=True)
                    widths[name] = page.evaluate("document.documentElement.scrollWidth")
            finally:
                browser.close()
        self.assertEqual({name: width for name, width in widths.items() if width > PHONE["width"]}, {})
