"""WCAG 2.2 AA on the pages people work and read: axe-core in a real Chromium finds no serious or
critical violation on the wall (tiles, an incident, the dialogs), the portal and the transparency page.

axe-core comes pinned in the `axe-playwright-python` wheel (the `test` extra). It is injected
through the DevTools protocol, which the page's Content-Security-Policy does not govern; the
page itself keeps its strict policy.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.wall import PatternWallCase
from tests.personas import RIVERSIDE_CENTRE

pytestmark = [pytest.mark.browser, pytest.mark.ffmpeg]

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = {"serious", "critical"}


class AccessibilityTests(PatternWallCase):
    axe = Axe()

    def blocking_violations(self) -> list[str]:
        results = self.axe.run(
            self.page,
            options={"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]},
        )
        return [
            f"{violation['id']} ({violation['impact']}): {node['target']} {node.get('failureSummary', '')}"
            for violation in results.response["violations"]
            if violation["impact"] in BLOCKING
            for node in violation["nodes"]
        ]

    def assert_accessible(self, name):
        violations = self.blocking_violations()
        if violations:
            self.shot(f"axe-{name}")
        self.assertEqual(violations, [], f"{name}: " + "\n".join(violations))

    def test_wall_portal_and_transparency_have_no_serious_violations(self):
        page = self.page
        lat, lon = RIVERSIDE_CENTRE
        self.camera_with_video("Oak Ave & 2nd", lat=lat + 0.0005, lon=lon)
        self.link_video(self.live_camera, self.pattern_dir)
        self.post_incident(
            external_id="A11Y-1", kind="Robbery", lat=lat, lon=lon, address="1 Main St", priority=1
        )
        self.post_incident(external_id="A11Y-2", kind="Far call", lat=lat + 0.2, lon=lon, priority=4)
        self.sign_in_to_wall()
        page.wait_for_selector(".incident")
        page.click(".incident[data-priority='1'] .show-all")
        page.wait_for_selector("#purpose-dialog[open]")
        with self.subTest(page="/wall/ purpose dialog"):
            self.assert_accessible("wall-purpose")
        page.click("#purpose-cancel")
        with self.subTest(page="/wall/"):
            self.assert_accessible("wall")
        page.keyboard.press("?")
        page.wait_for_selector("#shortcuts-dialog[open]")
        with self.subTest(page="/wall/ keys"):
            self.assert_accessible("wall-keys")
        page.keyboard.press("Escape")

        for path in ("/portal/", "/transparency/"):
            with self.subTest(page=path):
                page.goto(self.base + path)
                self.assert_accessible(path.strip("/"))
        self.context.clear_cookies()
        page.goto(self.base + "/portal/")
        with self.subTest(page="/portal/ signed out"):
            self.assert_accessible("portal-signed-out")

        # The check sees what it is for: grey on grey text and an unnamed button are reported.
        page.evaluate(
            """() => {
                const text = document.querySelector("main h1, main h2, main p");
                text.style.color = "#333"; text.style.background = "#222";
                document.querySelector("main").appendChild(document.createElement("button"));
            }"""
        )
        found = {line.split(" ")[0] for line in self.blocking_violations()}
        self.assertTrue({"color-contrast", "button-name"} <= found, found)
