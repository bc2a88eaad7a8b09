"""Sessions lock when idle and end after their hours; tokens expire and die with the sign-in."""

import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, identify_hasher
from django.test import override_settings
from rest_framework.authtoken.models import Token

from agencies.models import UserSession
from agencies.signin.sessions import LAST_ACTIVE_AT, SIGNED_IN_AT
from tests.personas import PASSWORD, Personas, totp_code


class SessionLimitTests(Personas):
    def age_session(self, **seconds_ago):
        session = self.client.session
        for key, ago in seconds_ago.items():
            session[key] = time.time() - ago
        session.save()

    def test_idle_session_ends_after_30_minutes_with_a_reason(self):
        self.client.force_login(self.dispatcher)
        self.age_session(rtcc_last_active_at=29 * 60)
        self.assertEqual(self.client.get("/wall/").status_code, 200)
        self.age_session(rtcc_last_active_at=30 * 60 + 1)
        response = self.client.get("/wall/", follow=True)
        self.assertEqual(response.redirect_chain[0][0][:16], "/accounts/login/")
        self.assertContains(response, "signed out after 30 minutes without activity")

    def test_session_ends_after_12_hours_however_active(self):
        self.client.force_login(self.dispatcher)
        self.age_session(rtcc_signed_in_at=12 * 3600 + 1, rtcc_last_active_at=10)
        response = self.client.get("/wall/", follow=True)
        self.assertContains(response, "reached its limit of 12 hours")

    def test_requests_a_page_makes_by_itself_do_not_keep_it_alive(self):
        self.client.force_login(self.dispatcher)
        self.age_session(rtcc_last_active_at=10 * 60)
        self.client.get("/api/v1/cameras/", HTTP_SEC_FETCH_MODE="cors")
        self.client.get(f"/media/snapshot/{self.street_camera.pk}.jpg")
        self.assertGreaterEqual(time.time() - self.client.session[LAST_ACTIVE_AT], 10 * 60 - 1)
        self.client.get("/wall/", HTTP_SEC_FETCH_MODE="navigate")
        self.assertLess(time.time() - self.client.session[LAST_ACTIVE_AT], 5)

    def test_activity_ping_keeps_it_alive_and_tells_the_time_left(self):
        self.client.force_login(self.dispatcher)
        self.age_session(rtcc_last_active_at=25 * 60)
        left = self.client.get("/accounts/activity/", HTTP_SEC_FETCH_MODE="cors").json()
        self.assertTrue(left["signed_in"])
        self.assertAlmostEqual(left["seconds_left"], 5 * 60, delta=5)
        self.assertEqual(left["warning_seconds"], 120)
        pinged = self.client.post("/accounts/activity/", HTTP_SEC_FETCH_MODE="cors").json()
        self.assertAlmostEqual(pinged["seconds_left"], 30 * 60, delta=5)

    def test_pages_of_a_signed_in_person_load_the_idle_module_and_no_inline_script(self):
        self.client.force_login(self.resident)
        page = self.client.get("/portal/").content.decode()
        self.assertIn('<script type="module" src="/static/rtcc/idle.js">', page)
        self.assertNotRegex(page, r"<script(?![^>]*\bsrc=)[^>]*>")
        self.client.force_login(self.admin)
        self.assertContains(self.client.get("/admin/"), '<script type="module" src="/static/rtcc/idle.js">')

    def test_sign_in_stamps_the_session_and_fixes_its_end(self):
        self.client.post(
            "/accounts/login/",
            {"username": "dan-dispatcher", "password": PASSWORD, "otp_token": totp_code(self.dispatcher)},
        )
        session = self.client.session
        self.assertAlmostEqual(session[SIGNED_IN_AT], time.time(), delta=5)
        self.assertAlmostEqual(session.get_expiry_age(), 12 * 3600, delta=5)
        row = UserSession.objects.get(session_key=session.session_key)
        self.assertEqual(row.user_id, self.dispatcher.pk)


class TokenLifetimeTests(Personas):
    def issue(self, user=None):
        user = user or self.dispatcher
        body = {"username": user.username, "password": PASSWORD}
        if user != self.resident:
            body["otp"] = totp_code(user)
        response = self.api().post("/api/v1/auth/token/", body, format="json")
        self.assertEqual(response.status_code, 200, response.content)
        return response.json()

    def get_cameras(self, key):
        return self.api().get("/api/v1/cameras/", HTTP_AUTHORIZATION=f"Token {key}")

    def test_token_expires_after_its_hours_and_is_deleted(self):
        answer = self.issue()
        Token.objects.filter(key=answer["token"]).update(
            created=Token.objects.get().created - timedelta(hours=12)
        )
        response = self.get_cameras(answer["token"])
        self.assertEqual(response.status_code, 401)
        self.assertIn("expired", response.json()["detail"])
        self.assertFalse(Token.objects.filter(key=answer["token"]).exists())

    @override_settings(RTCC_TOKEN_HOURS=1)
    def test_token_hours_come_from_the_setting(self):
        answer = self.issue()
        token = Token.objects.get(key=answer["token"])
        self.assertEqual(answer["expires_at"][:16], (token.created + timedelta(hours=1)).isoformat()[:16])

    def test_a_stale_token_sent_along_does_not_block_asking_for_a_new_one(self):
        response = self.api().post(
            "/api/v1/auth/token/",
            {"username": "dan-dispatcher", "password": PASSWORD, "otp": totp_code(self.dispatcher)},
            format="json",
            HTTP_AUTHORIZATION="Token 0000000000000000000000000000000000000000",
        )
        self.assertEqual(response.status_code, 200)

    def test_signing_out_on_the_page_deletes_tokens_and_every_session(self):
        key = self.issue()["token"]
        other = self.client_class()
        other.force_login(self.dispatcher)
        self.client.force_login(self.dispatcher)
        self.client.post("/accounts/logout/")
        self.assertEqual(self.get_cameras(key).status_code, 401)
        self.assertEqual(other.get("/wall/").status_code, 302)
        self.assertFalse(UserSession.objects.filter(user=self.dispatcher).exists())

    def test_signing_out_through_the_api_deletes_the_token(self):
        key = self.issue()["token"]
        response = self.api().delete("/api/v1/auth/token/", HTTP_AUTHORIZATION=f"Token {key}")
        self.assertEqual(response.status_code, 204)
        self.assertEqual(self.get_cameras(key).status_code, 401)

    def test_password_change_deletes_tokens_and_other_sessions_but_keeps_its_own(self):
        key = self.issue(self.resident)["token"]
        other = self.client_class()
        other.force_login(self.resident)
        self.client.force_login(self.resident)
        response = self.client.post(
            "/accounts/password_change/",
            {
                "old_password": PASSWORD,
                "new_password1": "fresh meadow 8812",
                "new_password2": "fresh meadow 8812",
            },
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.get_cameras(key).status_code, 401)
        self.assertEqual(other.get("/portal/receipts/").status_code, 302)
        self.assertEqual(self.client.get("/portal/receipts/").status_code, 200)

    def test_deactivation_deletes_tokens_and_sessions(self):
        key = self.issue()["token"]
        self.client.force_login(self.dispatcher)
        self.dispatcher.is_active = False
        self.dispatcher.save()
        self.assertEqual(self.get_cameras(key).status_code, 401)
        self.assertFalse(UserSession.objects.filter(user=self.dispatcher).exists())
        self.assertEqual(self.client.get("/wall/").status_code, 302)

    def test_removing_the_membership_deletes_tokens_and_sessions(self):
        key = self.issue()["token"]
        self.client.force_login(self.dispatcher)
        self.dispatcher.membership.delete()
        self.assertFalse(Token.objects.filter(key=key).exists())
        self.assertFalse(UserSession.objects.filter(user=self.dispatcher).exists())


class PasswordHashingTests(Personas):
    def test_passwords_are_hashed_with_argon2_outside_tests(self):
        production = [name for name in settings.PASSWORD_HASHERS if "MD5" not in name]
        with override_settings(PASSWORD_HASHERS=production):
            self.resident.set_password(PASSWORD)
            self.assertEqual(identify_hasher(self.resident.password).algorithm, "argon2")
            self.assertTrue(check_password(PASSWORD, self.resident.password))
