"""Purpose-bound live viewing: who may open a camera's live video, why, and for how long.

A private camera needs its owner's live consent at this moment and a purpose on record:
an open incident of the agency, or a case number with a reason. Every start and stop is
an audit line carrying that purpose.
"""

import functools
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from agencies.access import agency_of
from agencies.models import AccessEvent, Incident
from agencies.services import do_record_access
from cameras.consent import is_agency_camera, live_refusal, live_refusals
from cameras.media.authorization_cache import bump_on_commit, user_scope
from cameras.relay.demand import release_demand, viewer_holder
from cameras.sharing.rules import foreign_refusal
from cameras.viewing.models import ViewingSession
from cameras.viewing.presence import walls_gone

SESSION_LENGTH = timedelta(hours=1)


@dataclass(frozen=True)
class Purpose:
    """Why a camera is opened: the reason, and the incident or case number it serves."""

    text: str
    incident: Incident | None = None
    case_number: str = ""

    @property
    def binds_session(self) -> bool:
        return self.incident is not None or bool(self.case_number)

    def audit(self, user, action: str, camera, agency, *, request=None, **extra) -> AccessEvent:
        return do_record_access(
            user,
            action,
            camera,
            agency=agency,
            purpose=self.text,
            incident=self.incident,
            case_number=self.case_number,
            request=request,
            **extra,
        )


def check_purpose(user, *, purpose: str, incident_id=None, case_number: str = "") -> Purpose:
    """Validate a viewing purpose or raise ValidationError naming the field."""
    text = (purpose or "").strip()
    case_number = (case_number or "").strip()
    if not text:
        raise ValidationError({"purpose": "Say why you are opening this camera."})
    if len(text) > 300:
        raise ValidationError({"purpose": "Keep the purpose under 300 characters."})
    if len(case_number) > 64:
        raise ValidationError({"case_number": "A case number has at most 64 characters."})
    incident = None
    if incident_id not in (None, ""):
        try:
            incident = Incident.objects.get(
                pk=int(incident_id), agency=agency_of(user), closed_at__isnull=True
            )
        except (TypeError, ValueError, Incident.DoesNotExist):
            raise ValidationError({"incident": "No open incident of your agency has this id."}) from None
    return Purpose(text, incident, case_number)


def do_open_viewing_session(
    user, camera, *, purpose: str, incident_id=None, case_number: str = "", request=None, scope: str = "live"
) -> ViewingSession | None:
    """Open (or keep using) the caller's viewing session on `camera` for this purpose.

    Returns None for an agency-owned camera viewed without an incident or case number:
    its look is still audited, but there is no owner whose consent it would be bound to.
    Raises ValidationError for a missing purpose and PermissionDenied without live consent.
    """
    why = check_purpose(user, purpose=purpose, incident_id=incident_id, case_number=case_number)
    agency = agency_of(user)
    if agency is None:
        raise PermissionDenied("Only members of an agency watch live video.")
    if agency.is_suspended:
        raise PermissionDenied(agency.suspension_refusal())
    if not is_agency_camera(camera) and not why.binds_session:
        raise ValidationError(
            {"purpose": "A private camera needs an open incident, or a case number with the reason."}
        )
    now = timezone.now()
    audit_start = functools.partial(
        why.audit, user, AccessEvent.Action.VIEW_START, camera, agency, request=request
    )
    # `scope`: "live", or "recorded" for playback; another agency's camera needs a share with it.
    refusal = live_refusal(camera, now) or foreign_refusal(user, camera, scope, now)
    if refusal:
        audit_start(outcome=AccessEvent.Outcome.DENIED, detail={"reason": refusal})
        # Raised after the denial is stored: the audit keeps refused looks too.
        raise PermissionDenied(refusal)
    if not why.binds_session:
        audit_start()
        return None
    # One open session per viewer, camera and purpose: a second tile or a reload joins it.
    same_look = {"user": user, "camera": camera, "incident": why.incident, "case_number": why.case_number}
    with transaction.atomic():
        open_now = ViewingSession.objects.filter(ended_at__isnull=True, expires_at__gt=now, **same_look)
        session = open_now.select_for_update().first()
        if session is not None:
            return session
        session = ViewingSession.objects.create(
            agency=agency, purpose=why.text, started_at=now, expires_at=now + SESSION_LENGTH, **same_look
        )
        audit_start(detail={"session": session.pk})
    return session


@transaction.atomic
def do_close_viewing_session(
    session: ViewingSession, *, reason: str = ViewingSession.EndReason.VIEWER, actor=None, request=None
) -> bool:
    """End one session and audit it; False when it had already ended."""
    now = timezone.now()
    # A conditional update: two closers at once (the viewer and the incident) end it once.
    ended = ViewingSession.objects.filter(pk=session.pk, ended_at__isnull=True).update(
        ended_at=now, end_reason=reason
    )
    if not ended:
        return False
    # An UPDATE sends no post_save: void the viewer's stored media decisions here.
    bump_on_commit(user_scope(session.user_id))
    session.ended_at, session.end_reason = now, reason
    transaction.on_commit(
        lambda: release_demand(session.camera_id, viewer_holder(session.user_id, session.pk), stream=None)
    )
    Purpose(session.purpose, session.incident, session.case_number).audit(
        actor if actor is not None else session.user,
        AccessEvent.Action.VIEW_STOP,
        session.camera,
        session.agency,
        request=request,
        detail={"session": session.pk, "reason": reason},
    )
    return True


def do_close_viewing_sessions_of(user, camera, *, request=None) -> int:
    """End every open session the user has on the camera (the viewer closed the tile)."""
    sessions = ViewingSession.objects.filter(user=user, camera=camera, ended_at__isnull=True).select_related(
        "camera", "agency", "incident", "user"
    )
    return sum(do_close_viewing_session(session, request=request) for session in sessions)


def do_close_viewing_sessions_of_incident(incident, *, actor=None, request=None) -> int:
    """End every session opened for an incident that closed."""
    sessions = ViewingSession.objects.filter(incident=incident, ended_at__isnull=True).select_related(
        "camera", "agency", "incident", "user"
    )
    return sum(
        do_close_viewing_session(
            session, reason=ViewingSession.EndReason.INCIDENT_CLOSED, actor=actor, request=request
        )
        for session in sessions
    )


def do_end_sessions_that_lapsed(now=None, camera_ids=None, agency_id=None) -> int:
    """End open sessions past their expiry, on a camera that may no longer be seen live, or of a wall gone.

    Run on every consent change (for that camera), on an agency's suspension (its sessions and
    those on its cameras), on a share's end (another agency's sessions on its cameras) and
    by the beat (for all), so an owner's receipt never shows a look
    as open after the owner revoked it or the session ran out.
    """
    now = now or timezone.now()
    sessions = ViewingSession.objects.filter(ended_at__isnull=True).select_related(
        "camera__agency", "agency", "incident", "user"
    )
    if camera_ids is not None:
        sessions = sessions.filter(camera_id__in=camera_ids)
    if agency_id is not None:
        sessions = sessions.filter(Q(agency_id=agency_id) | Q(camera__agency_id=agency_id))
    sessions = list(sessions)
    refusals = live_refusals({session.camera_id: session.camera for session in sessions}.values(), now)
    gone = walls_gone({session.user_id for session in sessions}, now.timestamp())
    ended = 0
    for session in sessions:
        if session.agency.is_suspended or session.camera.agency.is_suspended:
            reason = ViewingSession.EndReason.SUSPENDED
        elif refusals[session.camera_id]:
            reason = ViewingSession.EndReason.CONSENT_REVOKED
        elif session.agency_id != session.camera.agency_id and foreign_refusal(
            session.user,
            session.camera,
            None,
            now,  # a session may be live or playback: any scope keeps it
        ):
            reason = ViewingSession.EndReason.SHARE_ENDED
        elif session.expires_at <= now:
            reason = ViewingSession.EndReason.EXPIRED
        elif session.user_id in gone:
            reason = ViewingSession.EndReason.WALL_CLOSED
        else:
            continue
        ended += do_close_viewing_session(session, reason=reason)
    return ended
