"""An agency stocks boxes in batches, sees each claim code once, and every change of state is audited."""

import re

from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import AccessEvent
from devices.models import Device
from devices.states import do_change_state
from tests.admin_forms import read_form, submit
from tests.api.raw_bodies import assert_raw_bodies_answered
from tests.personas import PASSWORD, Personas, make_agency_admin, make_user

User = get_user_model()
CODE = re.compile(r"^[34679ACDEFGHJKMNPQRTUVWXY]{4}-[34679ACDEFGHJKMNPQRTUVWXY]{4}$")


class StockCase(Personas):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.lakeview_admin = make_agency_admin("larry-lakeview-admin", cls.lakeview)

    def post_batch(self, body, user=None, **extra):
        return self.api(user or self.admin).post("/api/v1/devices/batches/", body, format="json", **extra)


class BatchApiTests(StockCase):
    def test_batch_returns_each_code_once_and_stores_only_a_digest(self):
        response = self.post_batch({"model": "rtcc-edge-2", "serials": ["RPD-100", "RPD-101"]})
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response["Cache-Control"], "no-store")
        answer = response.json()
        self.assertEqual([row["serial"] for row in answer], ["RPD-100", "RPD-101"])
        for row in answer:
            self.assertRegex(row["claim_code"], CODE)
            device = Device.objects.get(serial=row["serial"])
            self.assertEqual(
                (device.agency, device.state, device.model), (self.riverside, "stocked", "rtcc-edge-2")
            )
            self.assertNotIn(row["claim_code"], device.claim_code_hash)
            self.assertTrue(device.claim_code_hash.startswith("hmac-sha256$"))
            self.assertTrue(device.check_claim_code(row["claim_code"].lower()))
        self.assertNotEqual(answer[0]["claim_code"], answer[1]["claim_code"])
        lines = AccessEvent.objects.filter(actor=self.admin, detail__change="device_stocked")
        self.assertEqual(lines.count(), 2)
        # The codes are nowhere else: not in the fleet list, not in the audit trail.
        listing = self.api(self.admin).get("/api/v1/devices/").content.decode()
        audit = " ".join(str(line.detail) for line in AccessEvent.objects.all())
        for row in answer:
            self.assertNotIn(row["claim_code"], listing + audit)

    def test_a_bad_batch_is_refused_whole_with_its_reason(self):
        Device.objects.create(serial="LAKE-7", agency=self.lakeview)
        cases = {
            "already registered (another agency's, in other case)": (
                ["RPD-1", "lake-7"],
                "Already registered",
            ),
            "listed twice": (["RPD-2", "rpd-2"], "Listed twice"),
            "markup as a serial": (["<script>x</script>"], "Not a serial number"),
            "blank": ([" "], "may not be blank"),
        }
        for name, (serials, reason) in cases.items():
            with self.subTest(name):
                response = self.post_batch({"serials": serials})
                self.assertEqual(response.status_code, 400, response.content)
                self.assertIn(reason, str(response.json()))
        self.assertFalse(Device.objects.filter(serial__in=["RPD-1", "RPD-2"]).exists())

    def test_malformed_oversized_or_deep_json_is_a_4xx_with_a_reason(self):
        client = self.api(self.admin)
        cases = [
            (b'{"serials": ["A-1",', 400, "JSON parse error"),
            (b'{"serials": "A-1"}', 400, "list"),
            (b'{"serials": [' + b'"A-1",' * 200_000 + b'"A-2"]}', 413, "larger than"),
            (b'{"serials": ' + b"[" * 100 + b"]" * 100 + b"}", 400, "nested deeper"),
            (b'{"serials": [' + ",".join(f'"S-{n}"' for n in range(501)).encode() + b"]}", 400, "500"),
        ]
        assert_raw_bodies_answered(self, client, "/api/v1/devices/batches/", cases)
        self.assertEqual(Device.objects.filter(agency=self.riverside).count(), 1)

    def test_only_agency_admins_stock_devices(self):
        self.assertEqual(self.post_batch({"serials": ["X-1"]}, user=self.dispatcher).status_code, 403)
        self.assertEqual(self.post_batch({"serials": ["X-1"]}, user=self.resident).status_code, 403)
        self.assertEqual(
            self.api().post("/api/v1/devices/batches/", {"serials": ["X-1"]}, format="json").status_code, 401
        )
        self.assertFalse(Device.objects.filter(serial="X-1").exists())

    def test_the_fleet_list_is_the_agencys_own(self):
        Device.objects.create(serial="LAKE-9", agency=self.lakeview)
        serials = [
            row["serial"] for row in self.api(self.lakeview_admin).get("/api/v1/devices/").json()["results"]
        ]
        self.assertEqual(serials, ["LAKE-9"])
        self.assertEqual(
            self.api(self.lakeview_admin).get(f"/api/v1/devices/{self.device.pk}/").status_code, 404
        )

    def test_the_fleet_list_costs_the_same_queries_for_one_box_or_many(self):
        client = self.api(self.admin)
        client.get("/api/v1/devices/")  # the token's own look-ups, cached on the first request

        def count_queries():
            with CaptureQueriesContext(connection) as queries:
                self.assertEqual(client.get("/api/v1/devices/").status_code, 200)
            return len(queries)

        one = count_queries()
        owners = [make_user(f"owner-{n}") for n in range(5)]
        Device.objects.bulk_create(
            Device(serial=f"RPD-Q{n}", agency=self.riverside, owner=owner) for n, owner in enumerate(owners)
        )
        self.assertEqual(count_queries(), one)


class AdminStockTests(StockCase):
    def setUp(self):
        super().setUp()
        self.client.force_login(self.admin)

    def test_add_form_prints_labels_and_the_device_can_then_be_claimed(self):
        page = self.client.get("/admin/devices/device/add/")
        self.assertContains(page, "Add devices to stock")
        self.assertNotContains(page, 'name="agency"')  # an agency admin stocks their own agency
        data = read_form(page.content.decode(), "device_batch_form")
        data.update(model="rtcc-edge", serials="RPD-200\nRPD-201")
        sheet = self.client.post("/admin/devices/device/add/", data)
        self.assertEqual(sheet.status_code, 200)
        self.assertIn("no-store", sheet["Cache-Control"])
        html = sheet.content.decode()
        codes = re.findall(r'<dd class="claim-code">([^<]+)</dd>', html)
        self.assertEqual(len(codes), 2)
        self.assertEqual(html.count("<svg"), 2)
        self.assertIn("/portal/devices/claim/?serial=RPD-200&amp;code=" + codes[0], html)
        self.assertEqual(Device.objects.get(serial="RPD-201").agency, self.riverside)
        # The resident types what the label says.
        self.client.force_login(self.neighbour)
        claim = self.client.post("/portal/devices/claim/", {"serial": "RPD-201", "claim_code": codes[1]})
        self.assertRedirects(claim, "/portal/")
        self.assertEqual(Device.objects.get(serial="RPD-201").owner, self.neighbour)

    def test_add_form_errors_are_shown_and_nothing_is_saved(self):
        response = self.client.post(
            "/admin/devices/device/add/", {"model": "rtcc-edge", "serials": "EDGE-0001 NEW-1"}
        )
        self.assertContains(response, "Already registered: EDGE-0001")
        self.assertFalse(Device.objects.filter(serial="NEW-1").exists())

    def test_assign_records_how_the_box_reached_its_owner(self):
        box = Device.objects.create(serial="RPD-300", agency=self.riverside)
        response = self.client.post(
            "/admin/devices/device/",
            {
                "action": "assign_devices",
                "_selected_action": [box.pk],
                "delivery": "subsidised",
                "recipient": "Corner shop",
            },
            follow=True,
        )
        self.assertContains(response, "1 device(s) assigned (subsidised)")
        box.refresh_from_db()
        self.assertEqual((box.state, box.delivery, box.recipient), ("assigned", "subsidised", "Corner shop"))
        line = AccessEvent.objects.get(actor=self.admin, detail__change="device_state")
        self.assertEqual(
            (line.detail["from"], line.detail["to"], line.detail["delivery"]),
            ("stocked", "assigned", "subsidised"),
        )

    def test_assign_without_a_delivery_or_of_a_claimed_box_says_why(self):
        response = self.client.post(
            "/admin/devices/device/",
            {"action": "assign_devices", "_selected_action": [self.device.pk]},
            follow=True,
        )
        self.assertContains(response, "Choose how the devices are handed over")
        response = self.client.post(
            "/admin/devices/device/",
            {"action": "assign_devices", "_selected_action": [self.device.pk], "delivery": "sold"},
            follow=True,
        )
        self.assertContains(response, "Only a device in stock can be assigned")

    def test_new_claim_codes_replace_the_old_ones(self):
        box = Device(serial="RPD-400", agency=self.riverside)
        box.set_claim_code("OLD-CODE")
        box.save()
        sheet = self.client.post(
            "/admin/devices/device/", {"action": "issue_claim_codes", "_selected_action": [box.pk]}
        )
        [code] = re.findall(r'<dd class="claim-code">([^<]+)</dd>', sheet.content.decode())
        box.refresh_from_db()
        self.assertTrue(box.check_claim_code(code))
        self.assertFalse(box.check_claim_code("OLD-CODE"))

    def test_another_agencys_device_is_out_of_reach(self):
        lake_box = Device.objects.create(serial="LAKE-1", agency=self.lakeview)
        self.client.post(
            "/admin/devices/device/", {"action": "retire_devices", "_selected_action": [lake_box.pk]}
        )
        lake_box.refresh_from_db()
        self.assertEqual(lake_box.state, "stocked")
        self.assertEqual(self.client.get(f"/admin/devices/device/{lake_box.pk}/change/").status_code, 302)

    def test_the_change_form_never_sets_a_state_or_an_owner(self):
        box = Device.objects.create(serial="RPD-600", agency=self.riverside)
        response = submit(
            self.client,
            f"/admin/devices/device/{box.pk}/change/",
            {"state": "online", "owner": self.resident.pk, "recipient": "Ned"},
        )
        self.assertEqual(response.status_code, 302)
        box.refresh_from_db()
        self.assertEqual((box.state, box.owner, box.recipient), ("stocked", None, "Ned"))
        line = AccessEvent.objects.get(actor=self.admin, target_id=str(box.pk), detail__change="changed")
        self.assertEqual(line.detail["fields"], ["recipient"])

    def test_superuser_stocks_for_a_chosen_agency(self):
        root = User.objects.create_superuser("root", "root@example.org", PASSWORD)
        self.client.force_login(root)
        page = self.client.get("/admin/devices/device/add/")
        self.assertContains(page, 'name="agency"')
        self.client.post(
            "/admin/devices/device/add/",
            {"model": "rtcc-edge", "serials": "LAKE-50", "agency": self.lakeview.pk},
        )
        self.assertEqual(Device.objects.get(serial="LAKE-50").agency, self.lakeview)


class StateTransitionTests(StockCase):
    def test_transitions_follow_the_life_of_a_box_and_each_is_audited(self):
        box = Device.objects.create(serial="RPD-500", agency=self.riverside)
        path = ["assigned", "claimed", "online", "offline", "online", "retired"]
        for state in path:
            self.assertTrue(do_change_state(box, state, actor=self.admin), state)
        self.assertFalse(do_change_state(box, "online"))  # retired is for good
        self.assertFalse(do_change_state(Device.objects.get(pk=box.pk), "assigned"))
        lines = AccessEvent.objects.filter(target_id=str(box.pk), detail__change="device_state").order_by(
            "pk"
        )
        self.assertEqual([line.detail["to"] for line in lines], path)
        self.assertEqual(lines[0].detail["from"], "stocked")
