"""Stored text written by an attacker: classic markup and template payloads, and a world named with them.

Each payload, if it ever ran, would set `window.__pwned` (in the page, or from a frame in its
parent); the Content-Security-Policy would also refuse it and say so.
"""

from datetime import timedelta

from django.utils import timezone

from agencies.incidents import do_open_incident
from agencies.models import AccessEvent, Agency
from agencies.services import do_record_access
from cameras.footage.services import do_create_footage_request
from cameras.models import Consent
from cameras.viewing.models import ViewingSession
from tests.personas import RIVERSIDE_CENTRE, make_agency, make_agency_admin, make_camera, make_user

PAYLOADS = [
    "<img src=x onerror=window.__pwned=1>",
    "<svg onload=window.__pwned=1>",
    '"><script>window.__pwned=1</script>',
    "javascript:window.__pwned=1",
    '<iframe srcdoc="<script>parent.__pwned=1</script>">',
    "'-alert(1)-'",
    "{{7*7}}",
]

# Collects every violation the page's policy reports, before any of the page's own code
# runs: Playwright injects it through the DevTools protocol, which the policy does not govern.
COLLECT_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.effectiveDirective} refused ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile}:${event.lineNumber} (${event.sample})`);
});
"""


class HostileWorld:
    """An agency, a resident whose cameras are named with the payloads, and everything that quotes them."""

    def __init__(self):
        now = timezone.now()
        self.agency = make_agency("riverside-pd", "Riverside PD", RIVERSIDE_CENTRE)
        # An agency's name reaches the public transparency page.
        self.named_agency = Agency.objects.create(
            slug="payload-so", name=PAYLOADS[1], time_zone="UTC", lat=41.9, lon=-87.6
        )
        self.admin = make_agency_admin("alice-admin", self.agency)
        self.superuser = make_user("sam-superuser", is_staff=True, is_superuser=True)
        self.dispatcher = make_user("dan-dispatcher", self.agency)
        self.resident = make_user("rita-resident")
        self.cameras = [
            make_camera(
                self.agency,
                payload,
                owner=self.resident,
                level=Consent.Level.ON_REQUEST,
                description=payload,
                address=payload,
                lat=RIVERSIDE_CENTRE[0] + index / 1000,
            )
            for index, payload in enumerate(PAYLOADS)
        ]
        self.incident, _ = do_open_incident(
            None,
            self.agency,
            external_id=PAYLOADS[2][:64],
            kind=PAYLOADS[0],
            address=PAYLOADS[4],
            lat=RIVERSIDE_CENTRE[0],
            lon=RIVERSIDE_CENTRE[1],
        )
        for camera, payload in zip(self.cameras, PAYLOADS, strict=True):
            ViewingSession.objects.create(
                user=self.dispatcher,
                agency=self.agency,
                camera=camera,
                purpose=payload,
                incident=self.incident,
                case_number=payload[:64],
                started_at=now - timedelta(minutes=20),
                expires_at=now - timedelta(minutes=10),
                ended_at=now - timedelta(minutes=12),
            )
            do_record_access(
                self.dispatcher,
                AccessEvent.Action.VIEW_START,
                camera,
                purpose=payload,
                incident=self.incident,
                case_number=payload[:64],
            )
        self.footage_requests = [
            request
            for camera, payload in zip(self.cameras, PAYLOADS, strict=True)
            for request in do_create_footage_request(
                self.dispatcher,
                camera_ids=[camera.pk],
                start=now - timedelta(hours=2),
                end=now - timedelta(hours=1),
                case_number=payload[:64],
                reason=payload,
            )
        ]
        self.consents = [camera.consents.get() for camera in self.cameras]
        self.audit_lines = list(AccessEvent.objects.filter(action=AccessEvent.Action.VIEW_START))
