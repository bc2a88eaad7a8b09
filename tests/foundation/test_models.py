import zoneinfo
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from agencies.models import AccessEvent
from billing.models import Contract, Invoice, InvoiceLine, Package
from cameras.models import Camera, Consent, validate_schedule
from devices.models import Device, hash_token
from tests.personas import Personas

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CHICAGO)


class ConsentTests(Personas):
    def test_consent_rows_are_append_only(self):
        consent = self.live_camera.current_consent()
        consent.level = Consent.Level.NONE
        with self.assertRaises(ValueError):
            consent.save()

    def test_newest_row_is_in_force(self):
        Consent.objects.create(camera=self.live_camera, level=Consent.Level.REGISTRY)
        self.assertEqual(self.live_camera.current_consent().level, Consent.Level.REGISTRY)
        self.assertEqual(Camera.objects.with_consent().get(pk=self.live_camera.pk).consent_level, "registry")
        self.assertEqual(Consent.objects.current().filter(camera=self.live_camera).count(), 1)

    def test_weekday_schedule_in_the_cameras_time_zone(self):
        consent = Consent(
            level="live", schedule=[{"days": [0, 1, 2, 3, 4], "start": "08:00", "end": "18:00"}]
        )
        self.assertTrue(consent.allows_live_at(at("2026-11-23T08:00"), CHICAGO))  # a Monday
        self.assertFalse(consent.allows_live_at(at("2026-11-23T18:00"), CHICAGO))
        self.assertFalse(consent.allows_live_at(at("2026-11-22T12:00"), CHICAGO))  # a Sunday
        utc_noon_monday = datetime(2026, 11, 23, 14, 0, tzinfo=zoneinfo.ZoneInfo("UTC"))  # 08:00 in Chicago
        self.assertTrue(consent.allows_live_at(utc_noon_monday, CHICAGO))

    def test_overnight_window_belongs_to_the_day_it_starts(self):
        consent = Consent(
            level="live", schedule=[{"days": [4], "start": "22:00", "end": "06:00"}]
        )  # Friday night
        self.assertTrue(consent.allows_live_at(at("2026-11-27T23:00"), CHICAGO))
        self.assertTrue(consent.allows_live_at(at("2026-11-28T05:59"), CHICAGO))
        self.assertFalse(consent.allows_live_at(at("2026-11-28T06:00"), CHICAGO))
        self.assertFalse(consent.allows_live_at(at("2026-11-26T23:00"), CHICAGO))

    def test_expiry_and_level_end_live(self):
        now = timezone.now()
        self.assertFalse(Consent(level="live", expires_at=now).allows_live_at(now, CHICAGO))
        self.assertTrue(
            Consent(level="live", expires_at=now + timedelta(seconds=1)).allows_live_at(now, CHICAGO)
        )
        self.assertFalse(Consent(level="on_request").allows_live_at(now, CHICAGO))

    def test_bad_schedules_are_refused_with_reasons(self):
        for schedule, reason in [
            ("weekdays", "list"),
            ([{"days": [7], "start": "08:00", "end": "18:00"}], "0 (Monday) to 6"),
            ([{"days": [1], "start": "8am", "end": "18:00"}], "times like 08:00"),
            ([{"days": [1], "start": "08:00", "end": "08:00"}], "same time"),
            ([{"days": [1], "start": "08:00"}], "exactly"),
        ]:
            with self.assertRaisesMessage(ValidationError, reason):
                validate_schedule(schedule)


class CredentialTests(Personas):
    def test_stream_credentials_are_encrypted_at_rest(self):
        camera = Camera.objects.create(
            agency=self.riverside,
            name="Pole 7",
            kind="public",
            source="pull",
            lat=41.88,
            lon=-87.63,
            source_url="rtsp://admin:hunter2@93.184.216.34/stream",
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT source_url, srt_passphrase FROM cameras_camera WHERE id = %s", [camera.pk])
            stored_url, stored_passphrase = cursor.fetchone()
        self.assertNotIn("hunter2", stored_url)
        self.assertNotEqual(stored_passphrase, camera.srt_passphrase)
        reloaded = Camera.objects.get(pk=camera.pk)
        self.assertEqual(reloaded.source_url, "rtsp://admin:hunter2@93.184.216.34/stream")
        self.assertGreaterEqual(len(reloaded.srt_passphrase), 10)

    def test_private_camera_can_never_be_pulled(self):
        from django.db import IntegrityError, transaction

        with self.assertRaises(IntegrityError), transaction.atomic():
            Camera.objects.create(
                agency=self.riverside,
                owner=self.resident,
                name="x",
                kind="private",
                source="pull",
                lat=1,
                lon=1,
            )

    def test_device_keeps_only_hashes(self):
        device = Device(serial="EDGE-9")
        device.set_claim_code("ab12-cd34")
        token = device.issue_token()
        device.save()
        self.assertTrue(device.check_claim_code("AB12-CD34"))
        self.assertFalse(device.check_claim_code("AB12-CD35"))
        self.assertNotIn("AB12", device.claim_code_hash)
        self.assertEqual(Device.objects.get(token_hash=hash_token(token)), device)


class AuditTests(Personas):
    def test_audit_lines_are_append_only(self):
        event = AccessEvent.objects.create(action=AccessEvent.Action.VIEW_START, agency=self.riverside)
        event.purpose = "changed later"
        with self.assertRaises(ValueError):
            event.save()


class BillingTests(Personas):
    def test_invoice_total_in_decimal(self):
        package = Package.objects.create(slug="p", name="P", price_per_device_year=Decimal("480.00"))
        contract = Contract.objects.create(
            agency=self.riverside,
            package=package,
            reference="C-1",
            starts_on="2026-01-01",
            ends_on="2026-12-31",
            device_quota=3,
            price_per_device_year=Decimal("480.00"),
            status=Contract.Status.ACTIVE,
        )
        invoice = Invoice.objects.create(
            contract=contract, number="I-1", period_start="2026-01-01", period_end="2026-12-31"
        )
        InvoiceLine.objects.create(
            invoice=invoice, description="devices", quantity=Decimal("3"), unit_price=Decimal("480.00")
        )
        InvoiceLine.objects.create(
            invoice=invoice, description="pro rata", quantity=Decimal("0.5"), unit_price=Decimal("999.99")
        )
        self.assertEqual(invoice.total, Decimal("1940.00"))  # 499.995 rounds half up per line
        self.assertEqual(list(Contract.objects.active_on(datetime(2026, 6, 1).date())), [contract])
        self.assertEqual(list(Contract.objects.active_on(datetime(2027, 1, 1).date())), [])
