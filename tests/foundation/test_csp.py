"""The Content-Security-Policy: on every page, strict, with nothing inline left for it to refuse.

The browser side (payloads that stay text, no violation in a real Chromium) is in
tests/browser/test_text_is_data.py.
"""

import json
from html.parser import HTMLParser
from unittest import mock

import pytest
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse

from cameras.admin import CameraAdmin
from rtcc.env import tile_server_origin
from tests.personas import Personas, SignedInClient, make_user

REQUIRED = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:", "blob:", "https://tile.openstreetmap.org"},
    "media-src": {"'self'", "blob:"},
    "frame-ancestors": {"'none'"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "form-action": {"'self'"},
    "report-uri": {"/csp-report/"},
}


def directives(response) -> dict[str, set[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{response.request['PATH_INFO']} has no Content-Security-Policy"
    policy = {}
    for part in header.split(";"):
        name, *values = part.split()
        policy[name] = set(values)
    return policy


class InlineCode(HTMLParser):
    """Everything in a page the policy would refuse: inline scripts, style elements and attributes, handlers."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name in attributes:
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
        if tag == "style":
            self.found.append("<style>")
        if tag == "script" and "src" not in attributes and attributes.get("type") != "application/json":
            self._in_inline_script = True
        if tag in {"a", "form", "iframe"}:
            for name in ("href", "action", "src"):
                if (attributes.get(name) or "").strip().lower().startswith("javascript:"):
                    self.found.append(f"<{tag} {name}=javascript:…>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_inline_script = False

    def handle_data(self, data):
        if self._in_inline_script and data.strip():
            self.found.append(f"<script>{data.strip()[:60]}")


def inline_code(response) -> list[str]:
    parser = InlineCode()
    parser.feed(response.content.decode())
    return parser.found


class PolicyOnEveryPageTests(Personas):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.superuser = make_user("sam-superuser", is_staff=True, is_superuser=True)

    def sample(self) -> list[tuple[object, str]]:
        """(user or None, path): public pages, the portal, the API docs and every admin list and form."""
        pages = [
            (None, "/"),
            (None, "/accounts/login/"),
            (None, "/accounts/password_reset/"),
            (None, "/portal/"),
            (None, "/portal/sign-up/"),
            (None, "/transparency/"),
            (None, "/api/v1/docs/"),
            (None, "/admin/login/"),
            (None, "/no-such-page/"),
            (self.resident, "/portal/"),
            (self.resident, f"/portal/cameras/{self.live_camera.pk}/"),
            (self.resident, f"/portal/cameras/{self.live_camera.pk}/masks/"),
            (self.resident, "/portal/cameras/new/"),
            (self.resident, "/portal/receipts/"),
            (self.resident, "/portal/requests/"),
            (self.resident, reverse("portal-device-claim")),
            (self.resident, "/portal/data/"),
            (self.admin, "/admin/"),
            (self.admin, f"/admin/cameras/camera/{self.street_camera.pk}/change/"),
            (self.superuser, "/admin/"),
        ]
        for model, model_admin in admin.site._registry.items():
            meta = model._meta
            pages.append((self.superuser, reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")))
            if model_admin.has_add_permission(mock.Mock(user=self.superuser)):
                pages.append((self.superuser, reverse(f"admin:{meta.app_label}_{meta.model_name}_add")))
        pages.append((self.superuser, f"/admin/cameras/camera/{self.live_camera.pk}/change/"))
        return pages

    def get(self, user, path):
        client = SignedInClient()
        if user is not None:
            client.force_login(user)
        return client.get(path)

    def test_every_page_carries_the_strict_policy(self):
        for user, path in self.sample():
            with self.subTest(user=str(user), path=path):
                response = self.get(user, path)
                self.assertLess(response.status_code, 500)
                policy = directives(response)
                for name, values in REQUIRED.items():
                    self.assertEqual(policy.get(name), values, name)
                header = response.headers["Content-Security-Policy"]
                self.assertNotIn("unsafe-inline", header)
                self.assertNotIn("unsafe-eval", header)
                self.assertNotIn("nonce-", header)
                self.assertEqual(policy["connect-src"], {"'self'", "ws://testserver", "wss://testserver"})

    def test_no_page_has_inline_script_or_style_for_the_policy_to_refuse(self):
        for user, path in self.sample():
            with self.subTest(user=str(user), path=path):
                response = self.get(user, path)
                if response["Content-Type"].startswith("text/html"):
                    self.assertEqual(inline_code(response), [])

    def test_an_admin_list_without_actions_has_no_inline_style(self):
        client = SignedInClient()
        client.force_login(self.superuser)
        with (
            mock.patch.object(CameraAdmin, "actions_on_top", False),
            mock.patch.object(CameraAdmin, "actions_on_bottom", False),
        ):
            response = client.get("/admin/cameras/camera/")
        self.assertContains(response, "no-actions")
        self.assertEqual(inline_code(response), [])

    def test_api_docs_come_from_the_installed_swagger_ui_not_a_cdn(self):
        response = self.get(None, "/api/v1/docs/")
        html = response.content.decode()
        self.assertNotIn("https://", html)
        self.assertNotIn("cdn", html)
        for asset in [
            "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
            "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css",
            "/static/api/swagger.js",
        ]:
            self.assertIn(asset, html)
            self.assertEqual(self.get(None, asset).status_code, 200, asset)

    def test_a_refused_form_post_is_a_page_under_the_policy(self):
        client = Client(enforce_csrf_checks=True)
        response = client.post("/accounts/login/", {"username": "x", "password": "y"})
        self.assertContains(response, "reload the page", status_code=403)
        self.assertEqual(directives(response)["style-src"], {"'self'"})
        self.assertEqual(inline_code(response), [])

    def test_a_host_that_is_not_allowed_gets_400_not_500(self):
        response = Client().get("/", headers={"host": "evil.example"})
        self.assertEqual(response.status_code, 400)


class ReportEndpointTests(Personas):
    url = "/csp-report/"

    def post(self, body, content_type="application/csp-report"):
        return Client().post(self.url, body, content_type=content_type)

    def test_a_report_uri_report_is_one_log_line(self):
        report = {
            "csp-report": {
                "document-uri": "http://testserver/portal/",
                "violated-directive": "script-src-attr",
                "effective-directive": "script-src-attr",
                "blocked-uri": "inline",
                "source-file": "http://testserver/static/portal/point.js",
                "line-number": 12,
            }
        }
        with self.assertLogs("rtcc.csp", "WARNING") as logs:
            response = self.post(json.dumps(report))
        self.assertEqual(response.status_code, 204)
        self.assertEqual(len(logs.records), 1)
        self.assertIn(
            "http://testserver/portal/: script-src-attr refused inline in http://testserver/static/portal/point.js:12",
            logs.records[0].getMessage(),
        )

    def test_a_reporting_api_batch_is_a_line_per_violation(self):
        body = [
            {
                "type": "csp-violation",
                "body": {"documentURL": f"http://testserver/{n}", "effectiveDirective": "img-src"},
            }
            for n in range(3)
        ]
        with self.assertLogs("rtcc.csp", "WARNING") as logs:
            response = self.post(json.dumps(body), "application/reports+json")
        self.assertEqual(response.status_code, 204)
        self.assertEqual(len(logs.records), 3)

    def test_a_forged_line_break_stays_on_its_line(self):
        report = {
            "csp-report": {"document-uri": "http://x/\nWARNING forged", "effective-directive": "img-src"}
        }
        with self.assertLogs("rtcc.csp", "WARNING") as logs:
            self.post(json.dumps(report))
        self.assertNotIn("\n", logs.records[0].getMessage())

    def test_anything_else_is_refused_with_a_reason(self):
        for body in [b"", b"not json", b"[[[", b"{}", b'{"csp-report": 1}', b"[1, 2]", b"[]", b"9" * 70_000]:
            with self.subTest(body=body[:20]):
                response = self.post(body)
                self.assertEqual(response.status_code, 400)
                self.assertIn("detail", response.json())
        deep = b"[" * 100_000 + b"]" * 100_000
        self.assertEqual(self.post(deep).status_code, 400)

    def test_only_post(self):
        self.assertEqual(Client().get(self.url).status_code, 405)


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
        ("https://{s}.tiles.example.org:8443/{z}/{x}/{y}.png", "https://*.tiles.example.org:8443"),
        ("http://[::1]:8080/{z}/{x}/{y}.png", "http://[::1]:8080"),
        ("/tiles/{z}/{x}/{y}.png", None),
    ],
)
def test_the_tile_server_origin_comes_from_the_tile_url(url, origin):
    assert tile_server_origin("RTCC_MAP_TILE_URL", url) == origin


@pytest.mark.parametrize(
    "url",
    ["ftp://tiles.example/{z}", "https://{z}.tiles.example/", "tiles/{z}", "https://me@tiles.example/", ""],
)
def test_a_tile_url_that_names_no_single_origin_is_refused(url):
    with pytest.raises(ImproperlyConfigured, match="RTCC_MAP_TILE_URL"):
        tile_server_origin("RTCC_MAP_TILE_URL", url)


def test_the_policy_names_the_configured_tile_origin_and_no_other():
    img_src = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"]
    assert [source for source in img_src if "://" in source] == [settings.RTCC_MAP_TILE_ORIGIN]
