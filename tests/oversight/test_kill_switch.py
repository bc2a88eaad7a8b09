"""The kill switch: a suspended agency's cameras, viewing, media, API and walls all stop; audited and public."""

import json
from datetime import timedelta

from asgiref.sync import sync_to_async
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from agencies.audit import verify_chain
from agencies.models import AccessEvent, Membership
from agencies.suspension import do_reinstate_agency, do_suspend_agency
from cameras.consent import live_refusal
from cameras.relay.desired import desired_cameras
from cameras.viewing.models import ViewingSession
from tests.orders.helpers import make_superuser, use_temporary_media, write_live_window
from tests.personas import Personas, make_user
from tests.wall.fixtures import WallPersonas, make_contract, session_cookie, wall_socket

ORDER = {"order_reference": "Council resolution 2026-77", "reason": "Misuse: live views of a clinic entrance"}
TIMEOUT = 10


def suspend(actor, agency):
    return do_suspend_agency(actor, agency, **ORDER)


class SuspensionTests(Personas):
    def setUp(self):
        make_contract(self.riverside)
        make_contract(self.lakeview)
        self.platform = make_superuser()
        self.watchdog = make_user("owen-oversight", self.riverside, Membership.Role.OVERSIGHT)

    def open_session(self, user, agency, camera):
        return ViewingSession.objects.create(
            user=user,
            agency=agency,
            camera=camera,
            purpose="burglary",
            case_number="RPD-1",
            expires_at=timezone.now() + timedelta(hours=1),
        )

    def test_only_a_superuser_suspends_and_names_the_order(self):
        for actor in (self.admin, self.watchdog):
            with self.assertRaises(PermissionDenied):
                suspend(actor, self.riverside)
        with self.assertRaises(ValidationError) as raised:
            do_suspend_agency(self.platform, self.riverside, order_reference="", reason=" ")
        self.assertEqual(sorted(raised.exception.message_dict), ["order_reference", "reason"])
        self.riverside.refresh_from_db()
        self.assertFalse(self.riverside.is_suspended)
        self.assertFalse(AccessEvent.objects.filter(action=AccessEvent.Action.SUSPENSION).exists())

    def test_suspension_refuses_the_agencys_cameras_in_the_consent_rule(self):
        self.assertIn(self.live_camera.pk, desired_cameras())
        suspend(self.platform, self.riverside)
        refusal = live_refusal(self.live_camera)
        self.assertIn("Riverside PD is suspended by order Council resolution 2026-77", refusal)
        self.assertIn("Riverside PD is suspended", live_refusal(self.street_camera))
        desired = desired_cameras()
        self.assertNotIn(self.live_camera.pk, desired)
        self.assertNotIn("suspended", live_refusal(self.lakeview_camera), "another agency is not touched")
        do_reinstate_agency(
            self.platform, self.riverside, order_reference="Resolution 2026-80", reason="Audit done"
        )
        self.assertIn(self.live_camera.pk, desired_cameras())

    def test_every_viewing_session_of_the_agency_ends_as_suspended(self):
        own = self.open_session(self.dispatcher, self.riverside, self.live_camera)
        # Lakeview's look at a Riverside camera (mutual aid) ends too; Lakeview's own looks go on.
        theirs = self.open_session(self.outsider, self.lakeview, self.live_camera)
        unrelated = self.open_session(self.outsider, self.lakeview, self.lakeview_camera)
        with self.captureOnCommitCallbacks(execute=True):
            suspend(self.platform, self.riverside)
        for session in (own, theirs, unrelated):
            session.refresh_from_db()
        self.assertEqual(own.end_reason, ViewingSession.EndReason.SUSPENDED)
        self.assertEqual(theirs.end_reason, ViewingSession.EndReason.SUSPENDED)
        self.assertIsNone(unrelated.ended_at)
        stop = AccessEvent.objects.get(action=AccessEvent.Action.VIEW_STOP, detail__session=own.pk)
        self.assertEqual(stop.detail["reason"], "suspended")

    def test_media_is_refused_after_suspension_with_the_reason(self):
        use_temporary_media(self)
        write_live_window(self.live_camera, segments=1)
        body = {"purpose": "burglary in progress", "case_number": "RPD-2026-7"}
        playlist = self.api(self.dispatcher).post(
            f"/api/v1/cameras/{self.live_camera.pk}/live/", body, format="json"
        )
        playlist = playlist.json()["hls_url"]
        self.assertEqual(Client().get(playlist).status_code, 200)
        # The stored media decision is voided when the suspension commits.
        with self.captureOnCommitCallbacks(execute=True):
            suspend(self.platform, self.riverside)
        for url in (playlist, playlist.replace("index.m3u8", "seg-0.ts")):
            refused = Client().get(url)
            self.assertEqual(refused.status_code, 403, url)
            self.assertIn(b"suspended by order Council resolution 2026-77", refused.content)

    def test_the_api_refuses_the_agencys_members_with_the_reason_but_oversight_reads(self):
        suspend(self.platform, self.riverside)
        for method, path, body in [
            ("get", "/api/v1/cameras/", None),
            ("post", f"/api/v1/cameras/{self.street_camera.pk}/live/", {"purpose": "x", "case_number": "1"}),
        ]:
            response = getattr(self.api(self.dispatcher), method)(path, body, format="json")
            self.assertEqual(response.status_code, 403, path)
            self.assertIn("suspended by order Council resolution 2026-77", json.dumps(response.json()))
        self.assertEqual(self.api(self.outsider).get("/api/v1/cameras/").status_code, 200)
        self.assertEqual(self.api(self.watchdog).get("/api/v1/audit/").status_code, 200)

    def test_suspension_and_reinstatement_are_audited_and_public(self):
        suspend(self.platform, self.riverside)
        page = self.client.get("/transparency/")
        self.assertContains(page, "Suspended since")
        self.assertContains(page, "Misuse: live views of a clinic entrance")
        do_reinstate_agency(
            self.platform, self.riverside, order_reference="Resolution 2026-80", reason="Audit done"
        )
        lines = list(AccessEvent.objects.filter(action=AccessEvent.Action.SUSPENSION).order_by("sequence"))
        self.assertEqual([line.detail["change"] for line in lines], ["suspended", "reinstated"])
        self.assertEqual(lines[0].case_number, "Council resolution 2026-77")
        self.assertEqual(lines[1].detail["lifts"]["order"], "Council resolution 2026-77")
        self.assertTrue(verify_chain(self.riverside.pk).intact)
        page = self.client.get("/transparency/")
        self.assertNotContains(page, "Suspended since")
        self.assertContains(page, "reinstated")
        report = self.client.get(f"/transparency/riverside-pd/report/{lines[0].at.year}.json").json()
        self.assertEqual(
            [
                (entry["change"], entry["order"], entry["sequence"])
                for entry in report["orders"]["suspensions"]
            ],
            [(line.detail["change"], line.detail["order"], line.sequence) for line in lines],
        )

    def test_a_superuser_suspends_and_reinstates_in_the_admin(self):
        self.client.force_login(self.platform)
        url = f"/admin/agencies/agency/{self.riverside.pk}/suspension/"
        self.assertContains(self.client.get(url), "Suspend Riverside PD")
        response = self.client.post(url, ORDER)
        self.assertRedirects(response, f"/admin/agencies/agency/{self.riverside.pk}/change/")
        self.riverside.refresh_from_db()
        self.assertEqual(self.riverside.suspension_order, "Council resolution 2026-77")
        self.client.post(url, {"order_reference": "R-80", "reason": "Audit done"})
        self.riverside.refresh_from_db()
        self.assertFalse(self.riverside.is_suspended)
        self.client.force_login(self.admin)
        self.assertEqual(self.client.post(url, ORDER).status_code, 403)
        self.riverside.refresh_from_db()
        self.assertFalse(self.riverside.is_suspended)


class SuspendedWallTests(WallPersonas):
    async def test_every_wall_socket_of_the_agency_closes_and_cannot_reopen(self):
        platform = await sync_to_async(make_superuser)()
        walls = []
        for user in (self.dispatcher, self.supervisor):
            socket = wall_socket(await sync_to_async(session_cookie)(user))
            connected, _ = await socket.connect(timeout=TIMEOUT)
            self.assertTrue(connected)
            await socket.receive_json_from(timeout=TIMEOUT)
            walls.append(socket)
        other = wall_socket(await sync_to_async(session_cookie)(self.outsider))
        await other.connect(timeout=TIMEOUT)
        await other.receive_json_from(timeout=TIMEOUT)

        await sync_to_async(suspend)(platform, self.riverside)
        for socket in walls:
            farewell = await socket.receive_json_from(timeout=5)
            self.assertEqual(farewell["type"], "agency.suspended")
            self.assertIn("Council resolution 2026-77", farewell["detail"])
            closed = await socket.receive_output(timeout=5)
            self.assertEqual((closed["type"], closed.get("code")), ("websocket.close", 4403))
        self.assertTrue(await other.receive_nothing(timeout=0.5), "another agency's wall stays open")
        await other.disconnect()

        again = wall_socket(await sync_to_async(session_cookie)(self.dispatcher))
        connected, code = await again.connect(timeout=TIMEOUT)
        self.assertFalse(connected)
        self.assertEqual(code, 4403)
