"""A resident claims a box through the API and the portal; wrong codes are limited and say so."""

from agencies.models import AccessEvent
from cameras.models import Camera
from devices.models import Device
from rtcc import ratelimit
from tests.api.raw_bodies import assert_raw_bodies_answered
from tests.personas import Personas


class ClaimCase(Personas):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.box = Device(
            serial="RPD-0420", agency=cls.riverside, state=Device.State.ASSIGNED, delivery="given"
        )
        cls.box.set_claim_code("K7QX-MMPQ")
        cls.box.save()
        cls.box_cameras = [
            Camera.objects.create(
                agency=cls.riverside,
                name=name,
                kind=Camera.Kind.UNOWNED,
                source=Camera.Source.PUSH,
                device=cls.box,
                lat=cls.riverside.lat,
                lon=cls.riverside.lon,
            )
            for name in ["Front door", "Back yard"]
        ]
        cls.lake_box = Device(serial="LAKE-0001", agency=cls.lakeview)
        cls.lake_box.set_claim_code("AAAA-CCCC")
        cls.lake_box.save()

    def setUp(self):
        super().setUp()
        for who in (self.neighbour, self.resident):
            ratelimit.reset(f"device-claim:user:{who.pk}")
        for serial in ("RPD-0420", "LAKE-0001", "EDGE-0001"):
            ratelimit.reset(f"device-claim:serial:{serial}")

    def claim(self, serial, code, user=None):
        body = {"serial": serial, "claim_code": code}
        return self.api(user or self.neighbour).post("/api/v1/portal/devices/claim/", body, format="json")


class ClaimApiTests(ClaimCase):
    def test_claim_makes_the_box_and_its_cameras_the_residents_each_waiting_for_consent(self):
        response = self.claim("rpd-0420", " k7qx mmpq ")
        self.assertEqual(response.status_code, 200, response.content)
        answer = response.json()
        self.assertEqual((answer["serial"], answer["state"]), ("RPD-0420", "claimed"))
        self.assertEqual(
            [(c["name"], c["consent_level"]) for c in answer["cameras"]],
            [("Front door", "none"), ("Back yard", "none")],
        )
        self.box.refresh_from_db()
        self.assertEqual((self.box.owner, self.box.delivery), (self.neighbour, "given"))
        listed = self.api(self.neighbour).get("/api/v1/portal/cameras/").json()["results"]
        mine = {c["name"]: c for c in listed}
        self.assertLessEqual({"Front door", "Back yard"}, set(mine))
        self.assertIsNone(mine["Front door"]["consent"])
        self.assertIsNone(mine["Back yard"]["consent"])
        # Nobody at the agency sees a camera nobody has consented to share.
        seen = {c["id"] for c in self.api(self.dispatcher).get("/api/v1/cameras/").json()["results"]}
        self.assertFalse(seen & {camera.pk for camera in self.box_cameras})
        state_line = AccessEvent.objects.get(actor=self.neighbour, detail__change="device_state")
        self.assertEqual((state_line.detail["from"], state_line.detail["to"]), ("assigned", "claimed"))

    def test_wrong_code_unknown_serial_and_another_boxs_code_get_the_same_400(self):
        answers = [
            self.claim("RPD-0420", "WRONG-CODE"),
            self.claim("NOPE-1", "K7QX-MMPQ"),
            self.claim("RPD-0420", "AAAA-CCCC"),  # the code of another agency's box
            self.claim("LAKE-0001", "K7QX-MMPQ"),
        ]
        self.assertEqual({a.status_code for a in answers}, {400})
        self.assertEqual(len({a.content for a in answers}), 1)
        self.assertIn("not right", answers[0].content.decode())
        self.assertIsNone(Device.objects.get(pk=self.box.pk).owner)
        self.assertIsNone(Device.objects.get(pk=self.lake_box.pk).owner)

    def test_too_many_wrong_codes_is_a_429_even_for_the_right_code(self):
        for _ in range(5):
            self.assertEqual(self.claim("RPD-0420", "WRONG-CODE").status_code, 400)
        response = self.claim("RPD-0420", "K7QX-MMPQ")
        self.assertEqual(response.status_code, 429)
        self.assertIn("Too many wrong attempts", response.json()["detail"])
        self.assertIsNone(Device.objects.get(pk=self.box.pk).owner)

    def test_guesses_at_one_serial_are_limited_across_people(self):
        for _ in range(5):
            self.claim("RPD-0420", "WRONG-CODE", user=self.neighbour)
        ratelimit.reset(f"device-claim:user:{self.neighbour.pk}")
        for _ in range(5):
            self.claim("RPD-0420", "WRONG-CODE", user=self.resident)
        self.assertEqual(self.claim("RPD-0420", "K7QX-MMPQ", user=self.dispatcher).status_code, 429)

    def test_a_claimed_box_is_not_taken_by_someone_else(self):
        self.device.set_claim_code("OWNED-1")
        self.device.save()
        self.assertEqual(self.claim("EDGE-0001", "OWNED-1").status_code, 400)
        self.assertEqual(Device.objects.get(pk=self.device.pk).owner, self.resident)

    def test_hostile_bodies_are_4xx_with_a_reason(self):
        cases = [
            (b"{", 400, "JSON parse error"),
            (b'{"serial": ["x"], "claim_code": {}}', 400, "serial"),
            (b'{"serial": "' + b"A" * 100 + b'", "claim_code": "x"}', 400, "64"),
            (b'{"serial": "' + b"A" * 2_000_000 + b'"}', 413, "larger than"),
        ]
        assert_raw_bodies_answered(self, self.api(self.neighbour), "/api/v1/portal/devices/claim/", cases)

    def test_claiming_needs_a_signed_in_person(self):
        response = self.api().post(
            "/api/v1/portal/devices/claim/", {"serial": "RPD-0420", "claim_code": "K7QX-MMPQ"}, format="json"
        )
        self.assertEqual(response.status_code, 401)


class ClaimPageTests(ClaimCase):
    def test_the_labels_link_fills_the_form_and_the_owner_confirms(self):
        self.client.force_login(self.neighbour)
        page = self.client.get("/portal/devices/claim/?serial=RPD-0420&code=K7QX-MMPQ")
        self.assertContains(page, 'value="RPD-0420"')
        self.assertContains(page, 'value="K7QX-MMPQ"')
        self.assertIsNone(Device.objects.get(pk=self.box.pk).owner)  # a GET claims nothing
        response = self.client.post(
            "/portal/devices/claim/", {"serial": "RPD-0420", "claim_code": "K7QX-MMPQ"}, follow=True
        )
        self.assertContains(response, "None is shared until you choose")
        self.assertContains(response, "Waiting for your consent", count=2)

    def test_markup_in_the_link_is_text(self):
        self.client.force_login(self.neighbour)
        page = self.client.get('/portal/devices/claim/?serial="><script>alert(1)</script>')
        self.assertNotContains(page, "<script>alert(1)")
        self.assertContains(page, "&lt;script&gt;")

    def test_the_claim_link_leads_a_signed_out_resident_through_sign_in(self):
        response = self.client.get("/portal/devices/claim/?serial=RPD-0420&code=K7QX-MMPQ")
        self.assertEqual(response.status_code, 302)
        self.assertIn(
            "/accounts/login/?next=/portal/devices/claim/%3Fserial%3DRPD-0420", response["Location"]
        )
