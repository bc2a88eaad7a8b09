"""Audit lines and sessions made in the test, and an oversight member to read them."""

from datetime import timedelta

from django.utils import timezone

from agencies.models import AccessEvent, Incident, Membership
from cameras.viewing.models import ViewingSession
from tests.personas import Personas, make_user

A = AccessEvent.Action


class OversightPersonas(Personas):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.auditor = make_user("otto-oversight", cls.riverside, Membership.Role.OVERSIGHT)
        cls.now = timezone.now()
        cls.incident = Incident.objects.create(
            agency=cls.riverside, external_id="CAD-1", kind="burglary", lat=41.88, lon=-87.63
        )

    @classmethod
    def line(cls, actor, action, target=None, *, hours_ago=0, outcome=AccessEvent.Outcome.ALLOWED, **extra):
        """One audit line at a chosen time, written through save() so the chain holds."""
        return AccessEvent.objects.create(
            at=cls.now - timedelta(hours=hours_ago),
            actor=actor,
            actor_name=actor.get_username() if actor else "",
            agency=cls.riverside,
            action=action,
            target_type=target._meta.model_name if target is not None else "",
            target_id=str(target.pk) if target is not None else "",
            target_label=str(target) if target is not None else "",
            outcome=outcome,
            **extra,
        )

    @classmethod
    def session(cls, user, camera, *, start_hours_ago, hours=None, **purpose) -> ViewingSession:
        started = cls.now - timedelta(hours=start_hours_ago)
        return ViewingSession.objects.create(
            user=user,
            agency=cls.riverside,
            camera=camera,
            purpose=purpose.pop("purpose", "looking"),
            started_at=started,
            expires_at=started + timedelta(hours=24),
            ended_at=started + timedelta(hours=hours) if hours is not None else None,
            **purpose,
        )
