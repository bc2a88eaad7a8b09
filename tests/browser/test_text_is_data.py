"""Text is data: cameras, an incident, audit lines and requests named with classic payloads, in a real Chromium.

Every page outside the wall that quotes them (admin, portal, transparency) and the API docs are
opened, listed and clicked through: no payload runs, each shows as the text it is, and the
Content-Security-Policy reports no violation, neither in the page nor to the report endpoint.
"""

import logging
import time

import pytest
from django.conf import settings
from django.contrib.staticfiles.testing import StaticLiveServerTestCase

from tests.browser.chromium import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, keep_to_loopback
from tests.browser.hostile_text import COLLECT_VIOLATIONS, PAYLOADS, HostileWorld
from tests.personas import SignedInClient

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    sync_playwright = None

# Browsers post violation reports on their own schedule: this long, at most, for one to arrive.
REPORT_WAIT_SECONDS = 5


class Reports(logging.Handler):
    """The violation reports the server logged while a test ran."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())


@pytest.mark.browser
@pytest.mark.skipif(sync_playwright is None, reason="playwright is not installed (pip install -e '.[test]')")
class TextIsDataInChromiumTests(StaticLiveServerTestCase):
    def setUp(self):
        super().setUp()
        self.world = HostileWorld()
        self.reports = Reports()
        csp_log = logging.getLogger("rtcc.csp")
        csp_log.addHandler(self.reports)
        self.addCleanup(csp_log.removeHandler, self.reports)
        ARTIFACTS.mkdir(exist_ok=True)

    def session_cookie(self, user) -> dict:
        """A signed-in session for `user`, made before Playwright's event loop runs (the ORM refuses to run in one)."""
        client = SignedInClient()  # password and authenticator code, as a real sign-in gives
        client.force_login(user)
        value = client.cookies[settings.SESSION_COOKIE_NAME].value
        return {"name": settings.SESSION_COOKIE_NAME, "value": value, "url": self.live_server_url}

    def context_for(self, browser, cookie=None):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(30_000)
        context.add_init_script(COLLECT_VIOLATIONS)
        keep_to_loopback(context)  # the tile origin is allowed by the policy all the same
        if cookie is not None:
            context.add_cookies([cookie])
        return context

    def visit(self, page, path: str, shows=()):
        # Every page here is rendered by the server and fetches nothing after it loads: a payload
        # runs, if ever, before `load` (goto waits for it). A violation seen later by the browser
        # still reaches the report endpoint, which the walk checks at its end.
        page.goto(f"{self.live_server_url}{path}")
        self.assert_page_holds(page, path, shows)

    def assert_page_holds(self, page, where: str, shows=()):
        text = page.inner_text("body")
        for payload in shows:
            self.assertIn(payload, text, f"{where} shows {payload!r} as text")
        self.assertIsNone(page.evaluate("window.__pwned"), f"a payload ran on {where}")
        self.assertEqual(page.evaluate("window.__violations"), [], f"policy violations on {where}")

    def hover_all_then_open(self, page, listing, name: str):
        """Hover each camera's link in `listing`, then click the one called `name` and check where it leads."""
        for camera in self.world.cameras:
            listing.get_by_role("link", name=camera.name, exact=True).hover()
        with page.expect_navigation():  # waits for the new page's `load`
            listing.get_by_role("link", name=name, exact=True).click()
        self.assert_page_holds(page, f"the page of {name!r}, clicked from the list", shows=[name])

    def test_payloads_stay_text_in_admin_portal_transparency_and_docs(self):
        superuser = self.session_cookie(self.world.superuser)
        resident = self.session_cookie(self.world.resident)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                self.walk_anonymous(self.context_for(browser).new_page())
                self.walk_admin(self.context_for(browser, superuser).new_page())
                self.walk_portal(self.context_for(browser, resident).new_page())
            finally:
                browser.close()
        time.sleep(REPORT_WAIT_SECONDS)
        self.assertEqual(self.reports.lines, [], "the report endpoint heard of no violation")

    def walk_anonymous(self, page):
        self.visit(page, "/")
        self.visit(page, "/accounts/login/")
        self.visit(page, "/portal/")
        self.visit(page, "/transparency/", shows=[self.world.named_agency.name])
        page.goto(f"{self.live_server_url}/api/v1/docs/")
        page.wait_for_selector(".swagger-ui .info .title:has-text('OpenRTCC API')")
        page.wait_for_selector(".opblock-tag-section")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(ARTIFACTS / "api-docs.png"))
        self.assert_page_holds(page, "/api/v1/docs/")

    def walk_admin(self, page):
        world = self.world
        self.visit(page, "/admin/")
        self.visit(page, "/admin/cameras/camera/", shows=PAYLOADS)
        page.screenshot(path=str(ARTIFACTS / "text-is-data-admin-cameras.png"), full_page=True)
        self.hover_all_then_open(page, page.locator("#result_list"), PAYLOADS[0])
        for camera in world.cameras:
            self.visit(page, f"/admin/cameras/camera/{camera.pk}/change/", shows=[camera.name])
            self.assertEqual(page.input_value("#id_name"), camera.name)
            self.assertEqual(page.input_value("#id_description"), camera.description)
        self.visit(page, "/admin/agencies/incident/", shows=[PAYLOADS[0], PAYLOADS[2]])
        self.visit(page, f"/admin/agencies/incident/{world.incident.pk}/change/")
        self.assertEqual(page.input_value("#id_kind"), PAYLOADS[0])
        self.assertEqual(page.input_value("#id_address"), PAYLOADS[4])
        self.visit(page, "/admin/cameras/consent/", shows=PAYLOADS)
        for consent in world.consents:
            self.visit(page, f"/admin/cameras/consent/{consent.pk}/change/", shows=[consent.camera.name])
        self.visit(page, "/admin/agencies/accessevent/", shows=PAYLOADS)
        for line in world.audit_lines:
            self.visit(page, f"/admin/agencies/accessevent/{line.pk}/change/", shows=[line.purpose])
        self.visit(page, "/admin/cameras/footagerequest/", shows=[PAYLOADS[3], PAYLOADS[6]])
        self.visit(page, f"/admin/cameras/footagerequest/{world.footage_requests[0].pk}/change/")
        self.visit(page, "/admin/cameras/camera/?q=svg", shows=[PAYLOADS[1]])
        # The admin's richer widgets: an autocomplete (Select2), inline forms, a slug filled as one types.
        self.visit(page, "/admin/agencies/membership/add/")
        page.click(".select2-selection")
        page.wait_for_selector(".select2-results__option")
        self.assert_page_holds(page, "the autocomplete of a new membership")
        self.visit(page, f"/admin/auth/user/{world.dispatcher.pk}/change/")
        self.visit(page, "/admin/agencies/agency/add/")
        page.fill("#id_name", PAYLOADS[6])
        self.assert_page_holds(page, "a new agency's slug filled as its name is typed")

    def walk_portal(self, page):
        world = self.world
        self.visit(page, "/portal/", shows=PAYLOADS)
        self.hover_all_then_open(page, page.locator("main"), PAYLOADS[4])
        for camera in world.cameras:
            self.visit(page, f"/portal/cameras/{camera.pk}/", shows=[camera.name])
        self.visit(page, f"/portal/cameras/{world.cameras[2].pk}/masks/", shows=[PAYLOADS[2]])
        self.visit(page, "/portal/receipts/", shows=PAYLOADS)
        page.screenshot(path=str(ARTIFACTS / "text-is-data-receipts.png"), full_page=True)
        self.visit(page, "/portal/requests/", shows=PAYLOADS)
        self.visit(page, "/portal/cameras/new/")
        page.wait_for_selector("#point-map.leaflet-container")
        page.click("#point-map", position={"x": 120, "y": 80})
        self.assert_page_holds(page, "the map of a new camera")
        self.visit(page, "/portal/data/")
        self.visit(page, "/transparency/", shows=[world.named_agency.name])

    def test_an_injected_inline_handler_is_refused_and_reported(self):
        """The two detectors above see a violation when there is one."""
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = self.context_for(browser).new_page()
                self.visit(page, "/portal/")
                page.evaluate(f"document.body.insertAdjacentHTML('beforeend', {PAYLOADS[0]!r})")
                page.wait_for_function("window.__violations.length > 0")
                self.assertIsNone(page.evaluate("window.__pwned"))
                self.assertIn("script-src-attr refused inline", page.evaluate("window.__violations")[0])
            finally:
                browser.close()
        deadline = time.monotonic() + REPORT_WAIT_SECONDS
        while not self.reports.lines and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(len(self.reports.lines), 1, self.reports.lines)
        self.assertIn("/portal/: script-src-attr refused inline", self.reports.lines[0])
