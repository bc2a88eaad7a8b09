"""Premises rules: an agency's ordinance refuses, with its reason, what it forbids from a kind of premises."""

import json
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from agencies.models import AccessEvent
from cameras.consent import live_refusal
from cameras.models import Camera, Consent
from cameras.premises import PremisesRule, cameras_a_rule_forbids
from cameras.relay.desired import desired_cameras
from cameras.services import do_set_consent
from cameras.viewing.models import ViewingSession
from tests.personas import Personas, make_camera
from tests.portal.helpers import post_footage_request
from tests.wall.fixtures import make_contract

ORDINANCE = "Metro ordinance BL2020-197 <b>13.08</b>: no live access to single-family homes."


class PremisesRuleTests(Personas):
    def setUp(self):
        make_contract(self.riverside)
        self.rule = PremisesRule.objects.create(
            agency=self.riverside,
            premises=Camera.Premises.SINGLE_FAMILY,
            highest_level=Consent.Level.ON_REQUEST,
            reason=ORDINANCE,
        )
        self.shop = make_camera(
            self.riverside,
            "Bakery door",
            owner=self.neighbour,
            level=Consent.Level.REGISTRY,
            premises=Camera.Premises.BUSINESS,
            device=self.device,
        )

    def test_consent_service_refuses_live_from_a_single_family_home_with_the_reason(self):
        camera = self.registry_camera
        Camera.objects.filter(pk=camera.pk).update(device=self.device)
        camera.refresh_from_db()
        with self.assertRaises(ValidationError) as raised:
            do_set_consent(self.resident, camera, Consent.Level.LIVE)
        message = raised.exception.message_dict["level"][0]
        self.assertIn("does not accept live sharing from a single-family home", message)
        self.assertIn(ORDINANCE, message)
        self.assertEqual(camera.current_consent().level, Consent.Level.REGISTRY, "nothing recorded")
        # What the rule allows goes through, and another premises type is not bound by it.
        do_set_consent(self.resident, camera, Consent.Level.ON_REQUEST)
        Camera.objects.filter(pk=self.shop.pk).update(device=self.device, owner=self.resident)
        self.shop.refresh_from_db()
        do_set_consent(self.resident, self.shop, Consent.Level.LIVE)

    def test_portal_page_and_api_refuse_with_the_reason(self):
        Camera.objects.filter(pk=self.registry_camera.pk).update(device=self.device)
        self.client.force_login(self.resident)
        page = self.client.post(f"/portal/cameras/{self.registry_camera.pk}/", {"level": "live"})
        self.assertEqual(page.status_code, 200)
        # Escaped: the reason is the agency's text, shown as text.
        self.assertContains(page, "no live access to single-family homes")
        self.assertContains(page, "&lt;b&gt;13.08&lt;/b&gt;")
        response = self.api(self.resident).put(
            f"/api/v1/portal/cameras/{self.registry_camera.pk}/consent/", {"level": "live"}, format="json"
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("no live access to single-family homes", json.dumps(response.json()))
        self.assertEqual(self.registry_camera.current_consent().level, Consent.Level.REGISTRY)

    def test_an_existing_live_camera_a_new_rule_forbids_is_refused_live_and_listed(self):
        # Rita's porch shared live before the rule: her choice stays on record, live is refused.
        self.assertEqual(self.live_camera.current_consent().level, Consent.Level.LIVE)
        refusal = live_refusal(self.live_camera)
        self.assertIn("premises rule", refusal)
        self.assertIn(ORDINANCE, refusal)
        self.assertNotIn(self.live_camera.pk, desired_cameras())
        self.assertEqual(list(cameras_a_rule_forbids(self.rule)), [self.live_camera])

        self.client.force_login(self.resident)
        portal = self.client.get("/portal/")
        self.assertContains(portal, "does not accept live sharing from a single-family home")
        detail = self.client.get(f"/portal/cameras/{self.live_camera.pk}/")
        self.assertContains(detail, 'id="policy-conflict"')
        self.assertContains(detail, 'id="premises-limit"')

        self.client.force_login(self.admin)
        page = self.client.get(f"/admin/cameras/premisesrule/{self.rule.pk}/change/")
        self.assertContains(page, f"Rita&#x27;s porch (camera {self.live_camera.pk}): owner shares live")

    def test_a_rule_saved_in_the_admin_is_audited_and_ends_views_it_forbids(self):
        self.rule.delete()
        session = ViewingSession.objects.create(
            user=self.dispatcher,
            agency=self.riverside,
            camera=self.live_camera,
            purpose="burglary",
            case_number="RPD-1",
            expires_at=timezone.now() + timedelta(hours=1),
        )
        self.assertEqual(live_refusal(self.live_camera), "")
        self.client.force_login(self.admin)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                "/admin/cameras/premisesrule/add/",
                {"premises": "single_family", "highest_level": "on_request", "reason": "Ordinance 13.08"},
            )
        self.assertEqual(response.status_code, 302, response.content[:3000])
        rule = PremisesRule.objects.get()
        self.assertEqual(rule.agency, self.riverside)
        line = AccessEvent.objects.filter(target_type="premisesrule").get()
        self.assertEqual(line.detail["after"], {"premises": "single_family", "highest_level": "on_request"})
        session.refresh_from_db()
        self.assertEqual(session.end_reason, ViewingSession.EndReason.CONSENT_REVOKED)

    def test_a_second_rule_for_the_same_premises_is_a_form_error(self):
        self.client.force_login(self.admin)
        response = self.client.post(
            "/admin/cameras/premisesrule/add/",
            {"premises": "single_family", "highest_level": "live", "reason": "Looser"},
        )
        self.assertContains(response, "has a rule for this premises type already")
        self.assertEqual(PremisesRule.objects.count(), 1)

    def test_registration_is_refused_where_the_agency_takes_no_camera_of_that_kind(self):
        PremisesRule.objects.create(
            agency=self.riverside,
            premises=Camera.Premises.MULTI_FAMILY,
            highest_level=Consent.Level.NONE,
            reason="No cameras at subsidised housing (resolution 2026-9).",
        )
        self.client.force_login(self.neighbour)
        form = {"name": "Hallway", "premises": "multi_family", "lat": "41.8802", "lon": "-87.6301"}
        response = self.client.post("/portal/cameras/new/", form)
        self.assertContains(response, "No cameras at subsidised housing (resolution 2026-9).")
        self.assertFalse(Camera.objects.filter(name="Hallway").exists())
        response = self.client.post("/portal/cameras/new/", {**form, "premises": "business"})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Camera.objects.get(name="Hallway").premises, Camera.Premises.BUSINESS)

    def test_the_portal_asks_every_premises_type(self):
        self.client.force_login(self.neighbour)
        page = self.client.get("/portal/cameras/new/")
        for value in ["single_family", "multi_family", "business", "public_space"]:
            self.assertContains(page, f'value="{value}"')

    def test_footage_requests_are_refused_where_a_rule_takes_registry_only(self):
        self.rule.highest_level = Consent.Level.REGISTRY
        self.rule.save()
        Consent.objects.create(camera=self.registry_camera, level=Consent.Level.ON_REQUEST)
        start = timezone.now() - timedelta(hours=2)
        response = post_footage_request(
            self.api(self.dispatcher), [self.registry_camera.pk], start, start + timedelta(minutes=30)
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("premises rules", json.dumps(response.json()))
