"""Agency users sign in with password and authenticator code, on the page and through the API."""

from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.models import AccessEvent
from tests.personas import PASSWORD, Personas, make_user, totp_code


class SignInPageTests(Personas):
    def post_sign_in(self, user, code=None, **extra):
        data = {"username": user.username, "password": PASSWORD, **extra}
        if code is not None:
            data["otp_token"] = code
        return self.client.post("/accounts/login/", data)

    def test_agency_user_signs_in_with_password_and_code_in_one_post(self):
        response = self.post_sign_in(self.dispatcher, totp_code(self.dispatcher), next="/wall/")
        self.assertRedirects(response, "/wall/", fetch_redirect_response=False)
        self.assertEqual(self.client.get("/wall/").status_code, 200)

    def test_agency_user_without_code_is_refused_with_a_clear_message(self):
        response = self.post_sign_in(self.dispatcher)
        self.assertContains(response, "6-digit code from its authenticator app")
        self.assertNotIn("_auth_user_id", self.client.session)
        self.assertEqual(self.client.get("/wall/").status_code, 302)

    def test_wrong_code_is_refused_and_audited(self):
        response = self.post_sign_in(self.dispatcher, wrong_code(self.dispatcher))
        self.assertContains(response, "authenticator code is not right")
        self.assertNotIn("_auth_user_id", self.client.session)
        failed = AccessEvent.objects.get(action=AccessEvent.Action.SIGN_IN_FAILED)
        self.assertEqual(failed.detail, {"username": "dan-dispatcher", "reason": "wrong authenticator code"})

    def test_a_code_is_good_once(self):
        code = totp_code(self.dispatcher)
        self.assertEqual(self.post_sign_in(self.dispatcher, code).status_code, 302)
        self.client.post("/accounts/logout/")
        response = self.post_sign_in(self.dispatcher, code)
        self.assertContains(response, "already used")

    def test_resident_without_authenticator_signs_in_with_password_alone(self):
        response = self.post_sign_in(self.resident)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.client.get("/portal/").status_code, 200)

    def test_admin_login_is_the_sign_in_page(self):
        response = self.client.get("/admin/login/?next=/admin/")
        self.assertRedirects(response, "/accounts/login/?next=/admin/", fetch_redirect_response=False)
        response = self.post_sign_in(self.admin, totp_code(self.admin), next="/admin/")
        self.assertRedirects(response, "/admin/", fetch_redirect_response=False)
        self.assertEqual(self.client.get("/admin/").status_code, 200)


class EnrolmentTests(Personas):
    """An agency user without an authenticator enrols at first sign-in; nothing else opens before."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.newcomer = make_user("nick-new", cls.riverside)
        TOTPDevice.objects.filter(user=cls.newcomer).delete()

    def sign_in_with_password(self):
        response = self.client.post(
            "/accounts/login/", {"username": "nick-new", "password": PASSWORD, "next": "/wall/"}
        )
        self.assertEqual(response.status_code, 302)

    def test_nothing_opens_before_enrolment(self):
        self.sign_in_with_password()
        for path in ["/wall/", "/admin/", "/portal/", "/"]:
            response = self.client.get(path)
            self.assertEqual(response.status_code, 302, path)
            self.assertTrue(response["Location"].startswith("/accounts/authenticator/"), path)
        api = self.client.get("/api/v1/cameras/")
        self.assertEqual(api.status_code, 403)
        self.assertIn("authenticator", api.json()["detail"])

    def test_enrolment_shows_a_qr_code_and_a_code_confirms_it(self):
        self.sign_in_with_password()
        page = self.client.get("/accounts/authenticator/?next=/wall/")
        self.assertContains(page, "<svg")
        self.assertContains(page, "nothing else opens until you have")
        device = TOTPDevice.objects.get(user=self.newcomer, confirmed=False)
        response = self.client.post(
            "/accounts/authenticator/", {"code": totp_code_of(device), "next": "/wall/"}
        )
        self.assertRedirects(response, "/wall/", fetch_redirect_response=False)
        self.assertEqual(self.client.get("/wall/").status_code, 200)
        self.assertTrue(TOTPDevice.objects.get(pk=device.pk).confirmed)
        self.assertTrue(
            AccessEvent.objects.filter(
                action=AccessEvent.Action.ACCOUNT_CHANGE, detail__change="authenticator_enrolled"
            ).exists()
        )

    def test_a_wrong_first_code_does_not_enrol(self):
        self.sign_in_with_password()
        self.client.get("/accounts/authenticator/")
        response = self.client.post("/accounts/authenticator/", {"code": "12345"})
        self.assertEqual(response.status_code, 400)
        self.assertFalse(TOTPDevice.objects.filter(user=self.newcomer, confirmed=True).exists())
        self.assertEqual(self.client.get("/wall/").status_code, 302)

    def test_a_session_without_its_code_is_sent_to_give_it(self):
        # A session signed in by password alone (for instance made before enrolment elsewhere).
        plain = Client()
        plain.force_login(self.dispatcher)
        response = plain.get("/wall/")
        self.assertTrue(response["Location"].startswith("/accounts/authenticator/"))
        self.assertContains(plain.get("/accounts/authenticator/"), "Enter the current code")
        plain.post("/accounts/authenticator/", {"code": totp_code(self.dispatcher)})
        self.assertEqual(plain.get("/wall/").status_code, 200)


class ResidentAuthenticatorTests(Personas):
    def test_resident_is_offered_an_authenticator_and_then_asked_for_its_code(self):
        self.client.post("/accounts/login/", {"username": self.resident.username, "password": PASSWORD})
        page = self.client.get("/accounts/authenticator/")
        self.assertContains(page, "You may add a second step")
        self.assertContains(self.client.get("/portal/"), "/accounts/authenticator/")
        device = TOTPDevice.objects.get(user=self.resident, confirmed=False)
        self.client.post("/accounts/authenticator/", {"code": totp_code_of(device)})
        self.client.post("/accounts/logout/")
        refused = self.client.post(
            "/accounts/login/", {"username": self.resident.username, "password": PASSWORD}
        )
        self.assertContains(refused, "6-digit code")


class TokenEndpointTests(Personas):
    def ask(self, **body):
        return self.api().post("/api/v1/auth/token/", body, format="json")

    def test_agency_user_gets_a_token_with_password_and_code(self):
        response = self.ask(username="dan-dispatcher", password=PASSWORD, otp=totp_code(self.dispatcher))
        self.assertEqual(response.status_code, 200, response.content)
        token = response.json()["token"]
        cameras = self.api().get("/api/v1/cameras/", HTTP_AUTHORIZATION=f"Token {token}")
        self.assertEqual(cameras.status_code, 200)

    def test_agency_user_without_code_gets_no_token(self):
        response = self.ask(username="dan-dispatcher", password=PASSWORD)
        self.assertEqual(response.status_code, 400)
        self.assertIn("authenticator", str(response.json()))

    def test_agency_user_with_a_wrong_code_gets_no_token(self):
        response = self.ask(username="dan-dispatcher", password=PASSWORD, otp=wrong_code(self.dispatcher))
        self.assertEqual(response.status_code, 400)
        self.assertIn("not right", str(response.json()))

    def test_resident_without_authenticator_omits_the_code(self):
        response = self.ask(username=self.resident.username, password=PASSWORD)
        self.assertEqual(response.status_code, 200, response.content)

    def test_agency_user_who_never_enrolled_is_told_to_enrol(self):
        TOTPDevice.objects.filter(user=self.outsider).delete()
        response = self.ask(username="olga-outsider", password=PASSWORD)
        self.assertEqual(response.status_code, 400)
        self.assertIn("/accounts/login/", str(response.json()))


def totp_code_of(device) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def wrong_code(user) -> str:
    right = totp_code(user)
    return "000000" if right != "000000" else "111111"
