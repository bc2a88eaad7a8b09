"""Sharing with limits: a window, a purpose and a scope; it expires by itself and its revocation ends viewing at once."""

import time
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone
from guardian.shortcuts import assign_perm

from agencies.models import AccessEvent
from agencies.suspension import do_suspend_agency
from cameras.media.services import MediaRefused, check_may_watch
from cameras.models import Camera
from cameras.sharing.models import CameraShare
from cameras.sharing.rules import agencies_with_access
from cameras.sharing.services import do_close_lapsed_shares, do_revoke_share, do_share_cameras
from cameras.transparency.figures import figures_for
from cameras.viewing.models import ViewingSession
from cameras.viewing.services import do_end_sessions_that_lapsed, do_open_viewing_session
from cameras.wall.services import camera_states
from tests.orders.helpers import make_superuser, use_temporary_media, write_live_window
from tests.personas import Personas, make_agency, make_agency_admin, make_camera, make_user
from tests.wall.fixtures import give_pull_source, make_contract

LOOK = {"purpose": "mutual aid: stolen car chase", "case_number": "LSO-2026-9"}


class ShareTests(Personas):
    def setUp(self):
        make_contract(self.riverside)
        make_contract(self.lakeview)
        give_pull_source(self.street_camera)
        self.lakeview_admin = make_agency_admin("lena-lakeview-admin", self.lakeview)

    def share(self, *, minutes=60, cameras=None, **fields):
        fields.setdefault("purpose", "Marathon security")
        fields.setdefault("authority", "Mutual aid agreement 2026-4")
        with self.captureOnCommitCallbacks(execute=True):
            return do_share_cameras(
                self.admin,
                self.riverside,
                self.lakeview,
                cameras or [self.street_camera.pk],
                ends_at=timezone.now() + timedelta(minutes=minutes),
                **fields,
            )

    def cameras_of(self, user) -> set[int]:
        return {
            camera["id"] for camera in self.api(user).get("/api/v1/cameras/?page_size=500").json()["results"]
        }

    def open_live(self, user, camera):
        return self.api(user).post(f"/api/v1/cameras/{camera.pk}/live/", LOOK, format="json")

    def test_only_the_giving_agencys_admin_shares_its_own_agency_cameras(self):
        for actor in (self.dispatcher, self.lakeview_admin):
            with self.assertRaises(PermissionDenied):
                do_share_cameras(
                    actor, self.riverside, self.lakeview, [self.street_camera.pk],
                    ends_at=timezone.now() + timedelta(hours=1), purpose="x", authority="y",
                )  # fmt: skip
        with self.assertRaises(ValidationError) as refused:
            do_share_cameras(
                self.admin, self.riverside, self.lakeview, [self.live_camera.pk, self.lakeview_camera.pk],
                ends_at=timezone.now() + timedelta(days=120), purpose=" ", authority="", live=False,
            )  # fmt: skip
        errors = refused.exception.message_dict
        self.assertEqual(sorted(errors), ["authority", "cameras", "ends_at", "live", "purpose"])
        self.assertIn("residents' cameras are never shared on", errors["cameras"][0])
        self.assertFalse(CameraShare.objects.exists())
        self.assertFalse(AccessEvent.objects.filter(action=AccessEvent.Action.ACCESS_CHANGE).exists())

    def test_a_share_shows_the_cameras_to_the_other_agency_and_is_audited(self):
        self.assertNotIn(self.street_camera.pk, self.cameras_of(self.outsider))
        self.assertEqual(self.open_live(self.outsider, self.street_camera).status_code, 404)
        share = self.share()
        self.assertIn(self.street_camera.pk, self.cameras_of(self.outsider))
        self.assertNotIn(self.live_camera.pk, self.cameras_of(self.outsider))
        self.assertEqual(self.open_live(self.outsider, self.street_camera).status_code, 200)
        (tile,) = [state for state in camera_states(self.outsider) if state["id"] == self.street_camera.pk]
        self.assertEqual((tile["live"], tile["shared_by"]), (True, "Riverside PD"))
        self.assertTrue(all(state["shared_by"] is None for state in camera_states(self.dispatcher)))
        line = AccessEvent.objects.get(action=AccessEvent.Action.ACCESS_CHANGE, detail__change="share_given")
        self.assertEqual(line.agency, self.riverside)
        self.assertEqual(line.detail["to_agency"], "lakeview-so")
        self.assertEqual(line.detail["cameras"], [self.street_camera.pk])
        self.assertEqual(line.detail["scope"], ["live"])
        self.assertEqual(line.detail["authority"], "Mutual aid agreement 2026-4")
        self.assertEqual(line.target_id, str(share.pk))

    def test_a_recorded_only_share_shows_the_camera_but_refuses_live_video(self):
        self.share(live=False, recorded=True)
        self.assertIn(self.street_camera.pk, self.cameras_of(self.outsider))
        refused = self.open_live(self.outsider, self.street_camera)
        self.assertEqual(refused.status_code, 403)
        self.assertIn("does not share this camera's live video", str(refused.json()))
        # The wall shows it, whose it is, and that it does not play live.
        (tile,) = [state for state in camera_states(self.outsider) if state["id"] == self.street_camera.pk]
        self.assertEqual((tile["live"], tile["shared_by"]), (False, "Riverside PD"))
        self.assertIn("does not share this camera's live video", tile["live_refusal"])
        # Recordings (playback) ask the same rule with their scope.
        self.assertEqual(
            check_may_watch(self.outsider, self.street_camera.pk, "recorded"), self.street_camera
        )
        with self.assertRaises(MediaRefused):
            check_may_watch(self.outsider, self.street_camera.pk, "live")
        session = do_open_viewing_session(self.outsider, self.street_camera, scope="recorded", **LOOK)
        self.assertEqual(
            do_end_sessions_that_lapsed(camera_ids=[self.street_camera.pk]), 0, "the share still holds"
        )
        self.assertIsNone(ViewingSession.objects.get(pk=session.pk).ended_at)

    def test_revoking_ends_the_other_agencys_viewing_and_media_at_once(self):
        use_temporary_media(self)
        write_live_window(self.street_camera, segments=1)
        share = self.share()
        opened = self.open_live(self.outsider, self.street_camera).json()
        playlist = opened["hls_url"]
        self.assertEqual(Client().get(playlist).status_code, 200)  # the decision is now stored
        own = self.open_live(self.dispatcher, self.street_camera).json()
        with self.captureOnCommitCallbacks(execute=True):
            self.assertTrue(do_revoke_share(self.admin, share, reason="Marathon over early"))
        session = ViewingSession.objects.get(pk=opened["session"])
        self.assertEqual(session.end_reason, ViewingSession.EndReason.SHARE_ENDED)
        self.assertIsNone(
            ViewingSession.objects.get(pk=own["session"]).ended_at, "the owner's own look goes on"
        )
        for url in (playlist, playlist.replace("index.m3u8", "seg-0.ts")):
            self.assertIn(Client().get(url).status_code, (403, 404), url)
        self.assertNotIn(self.street_camera.pk, self.cameras_of(self.outsider))
        stop = AccessEvent.objects.get(action=AccessEvent.Action.VIEW_STOP, detail__session=session.pk)
        self.assertEqual(stop.detail["reason"], "share_ended")
        revoked = AccessEvent.objects.get(detail__change="share_revoked")
        self.assertEqual(revoked.purpose, "Marathon over early")
        self.assertFalse(do_revoke_share(self.admin, share, reason="again"), "a share ends once")
        with self.assertRaises(PermissionDenied):
            do_revoke_share(self.lakeview_admin, share, reason="not theirs")

    def test_a_share_expires_by_itself(self):
        use_temporary_media(self)
        write_live_window(self.street_camera, segments=1)
        share = self.share(minutes=0.05)  # three seconds
        opened = self.open_live(self.outsider, self.street_camera).json()
        self.assertEqual(Client().get(opened["hls_url"]).status_code, 200)
        time.sleep(max((share.ends_at - timezone.now()).total_seconds(), 0) + 0.1)
        # Nothing was written: the rule reads the window, and no stored media decision outlives it.
        self.assertIn(Client().get(opened["hls_url"]).status_code, (403, 404))
        self.assertNotIn(self.street_camera.pk, self.cameras_of(self.outsider))
        self.assertEqual(self.open_live(self.outsider, self.street_camera).status_code, 404)
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(do_close_lapsed_shares(), 1)
        self.assertEqual(do_close_lapsed_shares(), 0, "idempotent")
        session = ViewingSession.objects.get(pk=opened["session"])
        self.assertEqual(session.end_reason, ViewingSession.EndReason.SHARE_ENDED)
        expired = AccessEvent.objects.get(detail__change="share_expired")
        self.assertEqual((expired.agency, expired.actor), (self.riverside, None))

    def test_agencies_with_access_are_counted_from_shares_and_grants(self):
        riverside_cameras = Camera.objects.filter(agency=self.riverside)
        self.assertEqual(list(agencies_with_access(riverside_cameras)), [self.riverside])
        self.share()
        harbor = make_agency("harbor-pd", "Harbor PD", (41.7, -87.5))
        assign_perm("cameras.view_camera", make_user("hal-harbor", harbor), self.street_camera)
        self.assertEqual(
            [agency.slug for agency in agencies_with_access(riverside_cameras)],
            ["harbor-pd", "lakeview-so", "riverside-pd"],
        )
        figures = figures_for(self.riverside)
        self.assertEqual(len(figures["agencies_with_access"]), 3)
        # Lakeview's own cameras: nobody else was given anything.
        self.assertEqual(len(figures_for(self.lakeview)["agencies_with_access"]), 1)
        # An owner reads the same count for their camera; a camera shared with nobody has none.
        self.client.force_login(self.resident)
        self.assertContains(
            self.client.get(f"/portal/cameras/{self.live_camera.pk}/"),
            '<p id="agencies-with-access">Agencies that can see this camera now: Riverside PD.</p>',
            html=True,
        )
        self.assertEqual(list(agencies_with_access(Camera.objects.filter(pk=self.revoked_camera.pk))), [])
        # An expired or revoked share no longer counts.
        CameraShare.objects.update(
            ends_at=timezone.now() - timedelta(seconds=1), starts_at=timezone.now() - timedelta(hours=1)
        )
        self.assertEqual(len(agencies_with_access(riverside_cameras)), 2)

    def test_both_agencies_transparency_pages_list_the_share(self):
        self.share(purpose="Marathon <b>security</b>")
        page = self.client.get("/transparency/").content.decode()
        self.assertEqual(
            page.count("Marathon &lt;b&gt;security&lt;/b&gt;"), 2, "given by one, received by the other"
        )
        self.assertIn("Agencies with access to its cameras now</th><td>2", page)
        self.assertNotIn("<b>security</b>", page)

    def test_a_suspended_agency_gives_no_share_but_revokes_and_a_window_is_never_backdated(self):
        share = self.share(starts_at=timezone.now() - timedelta(days=3))
        self.assertGreater(share.starts_at, timezone.now() - timedelta(minutes=1))
        do_suspend_agency(make_superuser(), self.riverside, order_reference="Order 1", reason="Misuse")
        with self.assertRaises(PermissionDenied):
            self.share()
        self.assertTrue(do_revoke_share(self.admin, share, reason="Suspended"))

    def test_a_platform_superuser_shares_any_agencys_cameras(self):
        other = make_camera(self.lakeview, "Lakeview dock")
        share = do_share_cameras(
            make_superuser(), self.lakeview, self.riverside, [other.pk],
            ends_at=timezone.now() + timedelta(days=2), purpose="Regatta", authority="County order 7",
        )  # fmt: skip
        self.assertIn(other.pk, self.cameras_of(self.dispatcher))
        self.assertEqual(AccessEvent.objects.get(detail__change="share_given").agency, self.lakeview)
        self.assertTrue(share.is_in_force())
