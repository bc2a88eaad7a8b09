"""Throttles and lockouts count per real client: a forged X-Forwarded-For changes nothing."""

from unittest import mock

from axes.models import AccessFailureLog
from django.core.cache import cache
from django.test import RequestFactory, SimpleTestCase, override_settings

from agencies.models import AccessEvent
from rtcc.api import ClientRateThrottle
from rtcc.client import client_address
from tests.personas import Personas

PROXY = ["10.0.0.0/8"]


class ClientAddressTests(SimpleTestCase):
    def address(self, remote, forwarded=None):
        meta = {"REMOTE_ADDR": remote}
        if forwarded is not None:
            meta["HTTP_X_FORWARDED_FOR"] = forwarded
        return client_address(RequestFactory().get("/", **meta))

    def test_without_trusted_proxies_the_header_is_ignored(self):
        self.assertEqual(self.address("198.51.100.7", "203.0.113.1"), "198.51.100.7")

    @override_settings(RTCC_TRUSTED_PROXIES=PROXY)
    def test_behind_a_trusted_proxy_the_right_most_untrusted_hop_is_the_client(self):
        self.assertEqual(self.address("10.0.0.2", "203.0.113.1"), "203.0.113.1")
        # The client wrote the left part itself: it cannot choose its address that way.
        self.assertEqual(self.address("10.0.0.2", "1.2.3.4, 203.0.113.1"), "203.0.113.1")
        self.assertEqual(self.address("10.0.0.2", "1.2.3.4, 203.0.113.1, 10.0.0.9"), "203.0.113.1")

    @override_settings(RTCC_TRUSTED_PROXIES=PROXY)
    def test_garbage_in_the_chain_stops_belief_there(self):
        self.assertEqual(self.address("10.0.0.2", "203.0.113.1, not-an-ip"), "10.0.0.2")
        self.assertEqual(self.address("10.0.0.2", ""), "10.0.0.2")

    def test_a_client_that_is_not_behind_a_trusted_proxy_cannot_claim_a_proxy(self):
        with override_settings(RTCC_TRUSTED_PROXIES=PROXY):
            self.assertEqual(self.address("198.51.100.7", "10.0.0.2"), "198.51.100.7")


class ForgedForwardedForTests(Personas):
    def setUp(self):
        super().setUp()
        cache.delete_many([f"throttle_auth_{ip}" for ip in ["127.0.0.1", "198.51.100.7"]])

    def test_forged_x_forwarded_for_does_not_dodge_the_token_throttle(self):
        with mock.patch.object(ClientRateThrottle, "THROTTLE_RATES", {"auth": "5/min"}):
            codes = [
                self.api()
                .post(
                    "/api/v1/auth/token/",
                    {"username": f"nobody-{n}", "password": "x"},
                    format="json",
                    HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
                )
                .status_code
                for n in range(8)
            ]
        self.assertEqual(codes[:5], [400] * 5)
        self.assertEqual(codes[5:], [429] * 3)

    def test_the_sign_in_page_shares_the_per_client_budget(self):
        with mock.patch.object(ClientRateThrottle, "THROTTLE_RATES", {"auth": "3/min"}):
            codes = [
                self.client.post(
                    "/accounts/login/",
                    {"username": f"nobody-{n}", "password": "x"},
                    HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
                ).status_code
                for n in range(5)
            ]
        self.assertEqual(codes, [200, 200, 200, 429, 429])

    @override_settings(RTCC_TRUSTED_PROXIES=PROXY)
    def test_lockout_and_audit_see_the_address_the_trusted_proxy_vouches_for(self):
        self.client.post(
            "/accounts/login/",
            {"username": "dan-dispatcher", "password": "wrong"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7",
        )
        self.assertEqual(AccessFailureLog.objects.get().ip_address, "198.51.100.7")
        self.assertEqual(AccessEvent.objects.get(action="sign_in_failed").source_ip, "198.51.100.7")
