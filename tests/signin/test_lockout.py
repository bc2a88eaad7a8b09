"""Five failed sign-ins within 15 minutes lock the account for 30, on every path that signs in."""

from datetime import timedelta

from axes.models import AccessFailureLog
from django.utils import timezone

from agencies.models import AccessEvent
from tests.personas import PASSWORD, Personas, make_agency_admin, totp_code


class LockoutTests(Personas):
    def fail_on_page(self, times=5, username="dan-dispatcher"):
        for _ in range(times):
            self.client.post("/accounts/login/", {"username": username, "password": "wrong"})

    def sign_in(self):
        return self.client.post(
            "/accounts/login/",
            {"username": "dan-dispatcher", "password": PASSWORD, "otp_token": totp_code(self.dispatcher)},
        )

    def test_five_failures_lock_the_account_with_a_message_saying_until_when(self):
        self.fail_on_page(4)
        fifth = self.client.post("/accounts/login/", {"username": "dan-dispatcher", "password": "wrong"})
        self.assertEqual(fifth.status_code, 429)
        self.assertContains(fifth, "locked after 5 failed sign-ins within 15 minutes", status_code=429)
        response = self.sign_in()
        self.assertEqual(response.status_code, 429)
        self.assertContains(response, "The lock lifts at", status_code=429)
        self.assertContains(response, "an agency admin can lift it sooner", status_code=429)
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_the_token_endpoint_is_locked_too_and_counts_towards_the_lock(self):
        for _ in range(3):
            self.api().post(
                "/api/v1/auth/token/", {"username": "dan-dispatcher", "password": "x"}, format="json"
            )
        self.fail_on_page(2)
        response = self.api().post(
            "/api/v1/auth/token/",
            {"username": "dan-dispatcher", "password": PASSWORD, "otp": totp_code(self.dispatcher)},
            format="json",
        )
        self.assertEqual(response.status_code, 429)
        self.assertIn("locked", response.json()["detail"])
        self.assertIn("locked_until", response.json())

    def test_failures_spread_over_more_than_15_minutes_do_not_lock(self):
        self.fail_on_page(4)
        AccessFailureLog.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
        self.fail_on_page(1)
        self.assertEqual(self.sign_in().status_code, 302)

    def test_the_lock_lifts_after_30_minutes(self):
        self.fail_on_page(5)
        AccessFailureLog.objects.update(attempt_time=timezone.now() - timedelta(minutes=29))
        self.assertEqual(self.sign_in().status_code, 429)
        AccessFailureLog.objects.update(attempt_time=timezone.now() - timedelta(minutes=31))
        self.assertEqual(self.sign_in().status_code, 302)

    def test_tries_while_locked_do_not_extend_the_lock_but_are_audited(self):
        self.fail_on_page(5)
        self.fail_on_page(3)
        self.assertEqual(AccessFailureLog.objects.filter(username="dan-dispatcher").count(), 5)
        self.assertEqual(
            AccessEvent.objects.filter(
                action=AccessEvent.Action.SIGN_IN_FAILED, agency=self.riverside
            ).count(),
            8,
        )

    def test_one_account_locked_leaves_others_alone(self):
        self.fail_on_page(5)
        response = self.client.post(
            "/accounts/login/",
            {"username": "alice-admin", "password": PASSWORD, "otp_token": totp_code(self.admin)},
        )
        self.assertEqual(response.status_code, 302)

    def test_wrong_codes_count_towards_the_lock(self):
        for _ in range(5):
            self.client.post(
                "/accounts/login/", {"username": "dan-dispatcher", "password": PASSWORD, "otp_token": "99999"}
            )
        self.assertEqual(self.sign_in().status_code, 429)


class LiftLockoutTests(Personas):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.lakeview_admin = make_agency_admin("larry-admin", cls.lakeview)

    def lock_dispatcher(self):
        for _ in range(5):
            self.client.post("/accounts/login/", {"username": "dan-dispatcher", "password": "wrong"})
        self.client.logout()

    def lift_as(self, admin):
        self.client.force_login(admin)
        return self.client.post(
            "/admin/auth/user/",
            {"action": "lift_sign_in_lock", "_selected_action": [self.dispatcher.pk]},
        )

    def test_agency_admin_lifts_a_lock_from_the_user_list_and_it_is_audited(self):
        self.lock_dispatcher()
        response = self.lift_as(self.admin)
        self.assertEqual(response.status_code, 302)
        self.client.logout()
        signed_in = self.client.post(
            "/accounts/login/",
            {"username": "dan-dispatcher", "password": PASSWORD, "otp_token": totp_code(self.dispatcher)},
        )
        self.assertEqual(signed_in.status_code, 302)
        lifted = AccessEvent.objects.get(
            action=AccessEvent.Action.ACCOUNT_CHANGE, detail__change="lockout_lifted"
        )
        self.assertEqual(
            (lifted.actor, lifted.target_id, lifted.detail["was_locked"]),
            (self.admin, str(self.dispatcher.pk), True),
        )

    def test_another_agencys_admin_cannot_lift_it(self):
        self.lock_dispatcher()
        self.lift_as(self.lakeview_admin)
        self.client.logout()
        response = self.client.post(
            "/accounts/login/",
            {"username": "dan-dispatcher", "password": PASSWORD, "otp_token": totp_code(self.dispatcher)},
        )
        self.assertEqual(response.status_code, 429)
        self.assertFalse(AccessEvent.objects.filter(detail__change="lockout_lifted").exists())
