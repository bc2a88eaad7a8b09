"""Stored media decisions: no SQL in the steady state, and every change that can revoke voids them."""

import shutil
from datetime import date, time, timedelta
from unittest import mock

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import Client, TransactionTestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.incidents import do_close_incident, do_open_incident
from agencies.models import Membership
from agencies.services import do_remove_membership, do_save_record
from billing.models import Package
from cameras.media import authorization_cache
from cameras.media.deadlines import deadline
from cameras.media.signing import MediaGrant, hls_url_for, token_in
from cameras.models import Consent
from cameras.premises import PremisesRule
from cameras.relay.layout import live_dir
from cameras.services import do_revoke_consent, do_set_consent
from cameras.viewing.services import do_close_viewing_session
from devices.models import Device
from tests.personas import (
    RIVERSIDE_CENTRE,
    SignedInClient,
    make_active_contract,
    make_agency,
    make_camera,
    make_user,
)
from tests.relay_fleet.fleet import open_session
from tests.relay_fleet.test_media_endpoints import PLAYLIST, LiveMediaTestCase

DEAD_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "unix:///nonexistent/redis.sock",
    }
}


def minute_away_from_midnight():
    """Now at :20 past a minute, or 20 minutes earlier within 10 minutes of the next local
    midnight: a contract day ends then, and would bound the decision before a schedule does."""
    now = timezone.now().replace(second=20, microsecond=0)
    if timezone.localtime(now).time() >= time(23, 50):
        now -= timedelta(minutes=20)
    return now


def daily_window(start, end) -> list[dict]:
    """A schedule window every day from `start` to `end` (local times)."""
    return [{"days": list(range(7)), "start": f"{start:%H:%M}", "end": f"{end:%H:%M}"}]


def window_around(local, hours: int) -> list[dict]:
    """A schedule window every day from `hours` before `local` to `hours` after it."""
    return daily_window(local - timedelta(hours=hours), local + timedelta(hours=hours))


class StoredDecisionTests(LiveMediaTestCase):
    def setUp(self):
        super().setUp()
        self.segment_url = self.url.replace("index.m3u8", "seg-1.ts")

    def assert_served_without_sql(self, client=None):
        """Prime the decision, then show the next playlist and segment cost no query at all."""
        client = client or Client()
        self.assertEqual(client.get(self.url).status_code, 200)
        with self.assertNumQueries(0):
            self.assertEqual(client.get(self.url).status_code, 200)
        with self.assertNumQueries(0):
            self.assertEqual(client.get(self.segment_url).status_code, 200)

    def assert_refused_next(self, statuses=frozenset({403})):
        self.assertIn(Client().get(self.url).status_code, statuses)
        self.assertIn(Client().get(self.segment_url).status_code, statuses)

    def assert_change_refuses_next(self, change, statuses=frozenset({403})):
        """Served without SQL before `change` commits; refused at the very next request after."""
        self.assert_served_without_sql()
        with self.captureOnCommitCallbacks(execute=True):
            change()
        self.assert_refused_next(statuses)

    def test_steady_state_playlist_and_segment_cost_no_sql(self):
        self.assert_served_without_sql()

    def test_steady_state_of_a_signed_in_viewer_costs_no_sql(self):
        viewer = SignedInClient()
        viewer.force_login(self.dispatcher)
        self.assert_served_without_sql(viewer)

    def test_steady_state_is_one_redis_round_trip(self):
        client = Client()
        self.assertEqual(client.get(self.url).status_code, 200)
        redis = authorization_cache.client()
        with mock.patch.object(redis, "execute_command", wraps=redis.execute_command) as commands:
            self.assertEqual(client.get(self.segment_url).status_code, 200)
        self.assertEqual([call.args[0] for call in commands.call_args_list], ["MGET"])

    def test_a_sockets_cameras_are_checked_in_one_round_trip(self):
        camera_id, street_id = self.live_camera.pk, self.street_camera.pk
        street_session = open_session(
            self.dispatcher, self.riverside, self.street_camera, "crash", "RPD-2026-2"
        )
        street_url, _ = hls_url_for(self.street_camera, self.dispatcher, street_session)
        tokens = {camera_id: token_in(self.url, camera_id), street_id: token_in(street_url, street_id)}
        first = authorization_cache.refused_live(tokens, AnonymousUser(), "")  # decides and stores both
        self.assertNotIn(camera_id, first)
        redis = authorization_cache.client()
        with mock.patch.object(redis, "execute_command", wraps=redis.execute_command) as commands:
            self.assertEqual(authorization_cache.refused_live(tokens, AnonymousUser(), ""), first)
        self.assertEqual([call.args[0] for call in commands.call_args_list], ["MGET"])
        # A link of another camera is refused beside them; a revoke refuses the camera.
        tokens[camera_id + 1000] = tokens[camera_id]
        self.assertIn(camera_id + 1000, authorization_cache.refused_live(tokens, AnonymousUser(), ""))
        with self.captureOnCommitCallbacks(execute=True):
            do_revoke_consent(self.resident, self.live_camera)
        self.assertIn(camera_id, authorization_cache.refused_live(tokens, AnonymousUser(), ""))

    def test_another_signed_in_user_is_refused_even_once_the_link_is_stored(self):
        self.assert_served_without_sql()
        other = SignedInClient()
        other.force_login(self.admin)
        self.assertEqual(other.get(self.url).status_code, 403)
        self.assertEqual(other.get(self.url).status_code, 403)

    def test_consent_revoke_refuses_the_next_request(self):
        self.assert_change_refuses_next(
            lambda: do_revoke_consent(self.resident, self.live_camera), {403, 404}
        )

    def test_contract_end_refuses_the_next_request(self):
        self.assert_served_without_sql()
        self.contract.starts_on = date.today() - timedelta(days=30)
        self.contract.ends_on = date.today() - timedelta(days=1)
        with self.captureOnCommitCallbacks(execute=True):
            do_save_record(self.admin, self.contract, created=False, fields=["starts_on", "ends_on"])
        self.assert_refused_next()

    def test_membership_removal_refuses_the_next_request(self):
        membership = Membership.objects.get(user=self.dispatcher)
        self.assert_change_refuses_next(lambda: do_remove_membership(self.admin, membership), {403, 404})

    def test_viewing_session_close_refuses_the_next_request(self):
        self.assert_change_refuses_next(lambda: do_close_viewing_session(self.session))

    def test_agency_change_refuses_the_next_request(self):
        # The owner shares two hours around now, on the agency's clock; the agency then
        # moves to a clock fifteen hours away, which puts now outside the window.
        local = timezone.localtime(timezone.now(), self.live_camera.tz)
        with self.captureOnCommitCallbacks(execute=True):
            do_set_consent(
                self.resident, self.live_camera, Consent.Level.LIVE, schedule=window_around(local, 1)
            )
        self.assert_served_without_sql()
        self.riverside.time_zone = "Asia/Tokyo"
        with self.captureOnCommitCallbacks(execute=True):
            do_save_record(self.admin, self.riverside, created=False, fields=["time_zone"])
        self.assert_refused_next()

    def test_a_premises_rule_forbidding_live_refuses_the_next_request(self):
        self.assert_change_refuses_next(
            lambda: PremisesRule.objects.create(
                agency=self.riverside,
                premises=self.live_camera.premises,
                highest_level=Consent.Level.ON_REQUEST,
                reason="Ordinance 9.64: no live video from homes.",
            )
        )

    def test_camera_edit_refuses_the_next_request(self):
        self.live_camera.enabled = False
        self.assert_change_refuses_next(lambda: self.live_camera.save(update_fields=["enabled"]))

    def test_deactivated_user_is_refused_at_the_next_request(self):
        self.dispatcher.is_active = False
        self.assert_change_refuses_next(lambda: self.dispatcher.save(update_fields=["is_active"]))

    def test_closing_the_incident_of_a_radius_consent_refuses_the_next_request(self):
        with self.captureOnCommitCallbacks(execute=True):
            incident, _ = do_open_incident(
                None, self.riverside, external_id="CAD-1", kind="burglary",
                lat=self.live_camera.lat, lon=self.live_camera.lon,
            )  # fmt: skip
            do_set_consent(self.resident, self.live_camera, Consent.Level.LIVE, incident_radius_m=300)
        self.assert_served_without_sql()
        with self.captureOnCommitCallbacks(execute=True):
            do_close_incident(self.admin, incident)
        self.assert_refused_next()

    def test_a_change_voids_nothing_before_its_commit(self):
        # Bumped on commit, not before: a request that read the old rows cannot store its
        # answer under the new generation.
        self.assert_served_without_sql()
        with self.captureOnCommitCallbacks(execute=False) as pending:
            do_revoke_consent(self.resident, self.live_camera)
        self.assertTrue(pending)
        with self.assertNumQueries(0):
            self.assertEqual(Client().get(self.segment_url).status_code, 200)

    @override_settings(RTCC_MEDIA_AUTH_CACHE_SECONDS=0)
    def test_with_no_cache_every_request_is_checked_in_the_database(self):
        for _ in range(2):
            with CaptureQueriesContext(connection) as queries:
                self.assertEqual(Client().get(self.segment_url).status_code, 200)
            self.assertGreater(len(queries), 0)

    def test_with_redis_unreachable_every_request_is_checked_in_the_database(self):
        with override_settings(CACHES=DEAD_REDIS), self.assertLogs("cameras.media", "WARNING"):
            self.assertEqual(Client().get(self.url).status_code, 200)
            # No generation can be bumped now, and none needs to be: nothing was stored.
            do_revoke_consent(self.resident, self.live_camera)
            self.assertIn(Client().get(self.url).status_code, {403, 404})


class DeadlineTests(LiveMediaTestCase):
    """A stored decision ends no later than the next moment time alone could change it."""

    def grant(self, session=None) -> MediaGrant:
        return MediaGrant(self.live_camera.pk, self.dispatcher.pk, session.pk if session else None)

    @override_settings(RTCC_MEDIA_AUTH_CACHE_SECONDS=600)
    def test_a_schedule_window_closing_ends_the_decision(self):
        now = minute_away_from_midnight()
        local = timezone.localtime(now, self.live_camera.tz)
        closes = local.replace(second=0) + timedelta(minutes=3)
        schedule = daily_window(local - timedelta(hours=1), closes)
        do_set_consent(self.resident, self.live_camera, Consent.Level.LIVE, schedule=schedule)
        self.assertEqual(deadline(self.grant(self.session), now), closes)

    @override_settings(RTCC_MEDIA_AUTH_CACHE_SECONDS=600)
    def test_a_schedule_window_opening_ends_a_refusal(self):
        now = minute_away_from_midnight()
        local = timezone.localtime(now, self.live_camera.tz)
        opens = local.replace(second=0) + timedelta(minutes=2)
        do_set_consent(
            self.resident,
            self.live_camera,
            Consent.Level.LIVE,
            schedule=daily_window(opens, opens + timedelta(hours=1)),
        )
        self.assertEqual(deadline(self.grant(self.session), now), opens)

    def test_consent_expiry_ends_the_decision(self):
        now = timezone.now()
        do_set_consent(
            self.resident, self.live_camera, Consent.Level.LIVE, expires_at=now + timedelta(seconds=7)
        )
        self.assertEqual(deadline(self.grant(self.session), now), now + timedelta(seconds=7))

    def test_session_expiry_ends_the_decision(self):
        now = timezone.now()
        self.session.expires_at = now + timedelta(seconds=5)
        self.session.save(update_fields=["expires_at"])
        self.assertEqual(deadline(self.grant(self.session), now), now + timedelta(seconds=5))

    def test_the_setting_bounds_every_decision(self):
        now = timezone.now()
        with override_settings(RTCC_MEDIA_AUTH_CACHE_SECONDS=30):
            self.assertLessEqual(deadline(self.grant(), now), now + timedelta(seconds=30))

    def test_contract_days_end_at_local_midnight(self):
        now = timezone.make_aware(timezone.datetime(2026, 3, 4, 23, 59, 40))
        with override_settings(RTCC_MEDIA_AUTH_CACHE_SECONDS=60):
            self.assertEqual(
                deadline(self.grant(), now), timezone.make_aware(timezone.datetime(2026, 3, 5, 0, 0))
            )


class CommittedRevokeTests(TransactionTestCase):
    """With real commits (PostgreSQL or SQLite, as the run is configured), not a test transaction."""

    def test_a_committed_revoke_refuses_the_next_request(self):
        agency = make_agency("river-pd", "River PD", RIVERSIDE_CENTRE)
        package = Package.objects.create(slug="standard", name="Standard", price_per_device_year=150)
        make_active_contract(
            agency, package, "R-1", starts_on=date.today() - timedelta(days=1),
            ends_on=date.today() + timedelta(days=30), device_quota=5, price_per_device_year=150,
        )  # fmt: skip
        dispatcher = make_user("dora-dispatcher", agency)
        resident = make_user("rosa-resident")
        device = Device.objects.create(
            serial="EDGE-9", owner=resident, agency=agency, state=Device.State.ONLINE
        )
        camera = make_camera(agency, "Porch", owner=resident, level=Consent.Level.LIVE, device=device)
        folder = live_dir(camera.pk)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.addCleanup(shutil.rmtree, folder, True)
        (folder / "index.m3u8").write_text(PLAYLIST)
        session = open_session(dispatcher, agency, camera, "burglary in progress", "R-2026-1")
        url, _ = hls_url_for(camera, dispatcher, session)

        self.assertEqual(Client().get(url).status_code, 200)
        with self.assertNumQueries(0):
            self.assertEqual(Client().get(url).status_code, 200)
        do_revoke_consent(resident, camera)  # commits: its bump runs for real
        self.assertIn(Client().get(url).status_code, {403, 404})
