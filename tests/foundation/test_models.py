import zoneinfo
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from agencies.models import AccessEvent
from billing.models import Contract, Invoice, InvoiceLine, Package
from cameras.consent import why_consent_refuses
from cameras.models import Camera, Consent, validate_schedule
from devices.models import Device, hash_token
from tests.personas import Personas, make_active_contract

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CHICAGO)


def shares_live(consent: Consent, when: datetime) -> bool:
    """The production rule's answer for a private camera in Chicago with this consent."""
    camera = Camera(kind=Camera.Kind.PRIVATE, time_zone="America/Chicago", lat=41.88, lon=-87.63)
    return not why_consent_refuses(camera, consent, [], when)


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
        self.assertTrue(shares_live(consent, at("2026-11-23T08:00")))  # a Monday
        self.assertFalse(shares_live(consent, at("2026-11-23T18:00")))
        self.assertFalse(shares_live(consent, at("2026-11-22T12:00")))  # a Sunday
        utc_noon_monday = datetime(2026, 11, 23, 14, 0, tzinfo=zoneinfo.ZoneInfo("UTC"))  # 08:00 in Chicago
        self.assertTrue(shares_live(consent, utc_noon_monday))

    def test_overnight_window_belongs_to_the_day_it_starts(self):
        consent = Consent(
            level="live", schedule=[{"days": [4], "start": "22:00", "end": "06:00"}]
        )  # Friday night
        self.assertTrue(shares_live(consent, at("2026-11-27T23:00")))
        self.assertTrue(shares_live(consent, at("2026-11-28T05:59")))
        self.assertFalse(shares_live(consent, at("2026-11-28T06:00")))
        self.assertFalse(shares_live(consent, at("2026-11-26T23:00")))

    def test_expiry_and_level_end_live(self):
        now = timezone.now()
        self.assertFalse(shares_live(Consent(level="live", expires_at=now), now))
        self.assertTrue(shares_live(Consent(level="live", expires_at=now + timedelta(seconds=1)), now))
        self.assertFalse(shares_live(Consent(level="on_request"), now))

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

    def test_a_camera_has_an_owner_exactly_when_it_is_private(self):
        from django.db import IntegrityError, transaction

        refused = [
            {"kind": "public", "owner": self.resident},
            {"kind": "private", "owner": None},
            {"kind": "unowned", "owner": self.resident},
        ]
        for fields in refused:
            with self.subTest(**fields), self.assertRaises(IntegrityError), transaction.atomic():
                Camera.objects.create(agency=self.riverside, name="x", lat=1, lon=1, **fields)
        # One column cannot turn a resident's camera into an agency camera, which needs no consent.
        with self.assertRaises(IntegrityError), transaction.atomic():
            Camera.objects.filter(pk=self.registry_camera.pk).update(kind="public")
        for kind, owner in [("public", None), ("private", self.resident), ("unowned", None)]:
            Camera.objects.create(agency=self.riverside, name=kind, lat=1, lon=1, kind=kind, owner=owner)

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
        contract = make_active_contract(
            self.riverside, package, "C-1", device_quota=3, price_per_device_year=Decimal("480.00")
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
