"""Sign-up and password reset do not tell, by wording or by time, whether an address has an account."""

import statistics
import time

from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.test import override_settings

from rtcc import ratelimit
from tests.personas import Personas

TRIES = 5
# Django's production hasher, as sign-up would use it: slow enough that skipping it shows.
ARGON2 = ["django.contrib.auth.hashers.Argon2PasswordHasher"]


class SlowSmtpBackend(EmailBackend):
    """An SMTP server's round trip (about 100 ms), so that sending or not sending a mail shows."""

    def send_messages(self, messages):
        time.sleep(0.1)
        return super().send_messages(messages)


def median_seconds(action, tries=TRIES) -> float:
    times = []
    for number in range(tries):
        started = time.perf_counter()
        action(number)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def assert_alike(test, known: float, unknown: float):
    # Generous: the two medians within half of the larger (plus 30 ms of noise); a missing
    # password hash or mail costs far more than that.
    test.assertLess(abs(known - unknown), 0.5 * max(known, unknown) + 0.03, (known, unknown))


@override_settings(EMAIL_BACKEND="tests.signin.test_enumeration.SlowSmtpBackend", PASSWORD_HASHERS=ARGON2)
class SignUpEnumerationTests(Personas):
    def setUp(self):
        super().setUp()
        ratelimit.reset("portal-sign-up:127.0.0.1")

    def sign_up(self, email):
        password = "quiet garden 7412"
        return self.client.post(
            "/portal/sign-up/", {"email": email, "password1": password, "password2": password}, follow=True
        )

    def test_wording_is_the_same_for_a_known_and_an_unknown_address(self):
        known = self.sign_up(self.resident.email)
        unknown = self.sign_up("nobody-yet@example.org")
        self.assertEqual(known.redirect_chain, unknown.redirect_chain)
        self.assertEqual(known.content, unknown.content)
        self.assertEqual(len(mail.outbox), 2, "one mail to each address either way")

    def test_time_taken_is_alike_for_a_known_and_an_unknown_address(self):
        self.sign_up("warm-up@example.org")
        ratelimit.reset("portal-sign-up:127.0.0.1")
        known = median_seconds(lambda n: self.sign_up(self.resident.email))
        unknown = median_seconds(lambda n: self.sign_up(f"new-{n}@example.org"))
        assert_alike(self, known, unknown)


@override_settings(EMAIL_BACKEND="tests.signin.test_enumeration.SlowSmtpBackend")
class PasswordResetEnumerationTests(Personas):
    def setUp(self):
        super().setUp()
        for address in [self.resident.email, self.neighbour.email, "nobody@example.org"]:
            ratelimit.reset(f"password-reset-address:{address}")
        ratelimit.reset("password-reset-client:127.0.0.1")

    def reset(self, email, **extra):
        return self.client.post("/accounts/password_reset/", {"email": email}, follow=True, **extra)

    def test_wording_is_the_same_for_a_known_and_an_unknown_address(self):
        known = self.reset(self.resident.email)
        unknown = self.reset("nobody@example.org")
        self.assertEqual(known.redirect_chain, unknown.redirect_chain)
        self.assertEqual(known.content, unknown.content)
        self.assertIn("/accounts/reset/", mail.outbox[0].body)
        self.assertIn("no active account uses it", mail.outbox[1].body)

    def test_time_taken_is_alike_for_a_known_and_an_unknown_address(self):
        def known(number):
            ratelimit.reset(f"password-reset-address:{self.resident.email}")
            self.reset(self.resident.email)

        def unknown(number):
            self.reset(f"nobody-{number}@example.org")

        assert_alike(self, median_seconds(known), median_seconds(unknown))

    def test_reset_mails_to_one_address_stop_at_three_an_hour(self):
        for _ in range(6):
            response = self.reset(self.resident.email)
            self.assertEqual(response.status_code, 200)
        self.assertEqual(len(mail.outbox), 3)
        self.assertContains(response, "Check your e-mail")

    def test_reset_requests_from_one_client_stop_at_ten_an_hour(self):
        for number in range(10):
            self.reset(f"someone-{number}@example.org")
        response = self.client.post("/accounts/password_reset/", {"email": "eleventh@example.org"})
        self.assertEqual(response.status_code, 429)
        self.assertContains(response, "Too many reset requests", status_code=429)
        self.assertEqual(len(mail.outbox), 10)
