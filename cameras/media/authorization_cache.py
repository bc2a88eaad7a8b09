"""Media authorization decisions kept in Redis, so a playlist or segment request costs no SQL.

A wall tile asks for a playlist and a segment about every second, each authorised in full
(`check_live_media`: six to eight queries). The answer changes only when something that
decides it changes, or when time crosses a boundary it depends on. So:

- Every fact that can decide an answer belongs to a *scope* with an access generation in
  Redis: the camera (its row, its consent), the requester (account, membership, viewing
  sessions), each agency involved (the agency row, its contracts, its open incidents for
  incident-radius consents), and one for everything (per-camera grants). A change bumps
  its scope's generation after its transaction commits (`cameras/media/revocations.py`):
  bumping before the commit would let a request that read the old rows store their answer
  under the new generation.
- A decision is stored under the request's token and session cookie, with the generations
  read *before* the database was, and with a deadline no later than the next boundary that
  could change it without a write: a schedule window opening or closing, the consent's or
  the viewing session's expiry, the day a contract starts or ends, and at most
  `RTCC_MEDIA_AUTH_CACHE_SECONDS` (a bound on any change made behind the models' back).
- A request reads its decision and the generations it was stored under in one MGET and
  trusts it only when every generation is unchanged and the deadline has not passed.

Which generations a decision needs is known only once the rows were read (the camera's and
the requester's agencies), so each process remembers it per decision key; a process that
meets a decision for the first time pays one extra round trip, never SQL. The signature and
age of the token are checked on every request before any of this (CPU only). With Redis
unreachable every request is checked against the database, as before: never allowed blind.
"""

import hashlib
import logging
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from redis.exceptions import RedisError

from agencies.models import Membership
from cameras.media.services import MediaRefused, check_live_media
from cameras.media.signing import MediaGrant, read_token
from cameras.models import Camera, Consent
from cameras.viewing.models import ViewingSession

log = logging.getLogger(__name__)

PREFIX = "media-auth"
EVERYTHING = f"{PREFIX}:g:all"
# How many decision keys a process remembers the scopes of (a few hundred bytes each).
REMEMBERED_DECISIONS = 20_000
# Decisions are stored for whole seconds; this keeps a deadline from being rounded past.
EXPIRY_MARGIN_S = 0.05


def camera_scope(camera_id: int) -> str:
    return f"{PREFIX}:g:camera:{camera_id}"


def agency_scope(agency_id: int) -> str:
    return f"{PREFIX}:g:agency:{agency_id}"


def user_scope(user_id: int) -> str:
    return f"{PREFIX}:g:user:{user_id}"


def bump(*scopes: str) -> None:
    """New generations for `scopes`: every decision stored under the old ones is void.

    A fresh random value, not an increment: a generation that Redis evicted and that comes
    back can never equal the one an old decision recorded.
    """
    try:
        cache.set_many({scope: secrets.token_hex(8) for scope in scopes}, timeout=None)
    except RedisError:
        # The change is committed; the decisions it voids end by their own deadline.
        log.exception("media authorization: could not bump %s", ", ".join(scopes))


def bump_on_commit(*scopes: str) -> None:
    if scopes:
        transaction.on_commit(lambda: bump(*scopes), robust=True)


@dataclass(frozen=True)
class Decision:
    status: int  # 200, or the refusal's status
    reason: str
    generations: dict[str, str]
    until: float  # epoch seconds

    def apply(self) -> None:
        if self.status != 200:
            raise MediaRefused(self.status, self.reason)


class RememberedScopes:
    """Per process: the generation keys each decision key was stored with (bounded, oldest out)."""

    def __init__(self, size: int):
        self.size = size
        self.scopes: OrderedDict[str, tuple[str, ...]] = OrderedDict()

    def get(self, key: str) -> tuple[str, ...] | None:
        scopes = self.scopes.get(key)
        if scopes is not None:
            self.scopes.move_to_end(key)
        return scopes

    def put(self, key: str, scopes: tuple[str, ...]) -> None:
        self.scopes[key] = scopes
        self.scopes.move_to_end(key)
        while len(self.scopes) > self.size:
            self.scopes.popitem(last=False)


remembered = RememberedScopes(REMEMBERED_DECISIONS)


def decision_key(token: str, session_cookie: str) -> str:
    # The cookie is part of the key: "a signed-in requester is the token's user" is part of
    # the answer, and a session key belongs to one user for its whole life.
    digest = hashlib.sha256(f"{token}\0{session_cookie}".encode()).hexdigest()
    return f"{PREFIX}:d:{digest}"


def stored_decision(key: str) -> Decision | None:
    """The stored decision if every generation it was made under still holds; one MGET."""
    scopes = remembered.get(key)
    if scopes is None:
        decision = cache.get(key)
        if decision is None:
            return None
        scopes = tuple(decision.generations)
        remembered.put(key, scopes)
        found = cache.get_many(scopes)
    else:
        found = cache.get_many([key, *scopes])
        decision = found.get(key)
        if decision is None:
            return None
    if set(decision.generations) != set(scopes):
        remembered.put(key, tuple(decision.generations))  # the scopes moved; the next request reads them
        return None
    if any(found.get(scope) != generation for scope, generation in decision.generations.items()):
        return None
    return decision if time.time() < decision.until else None


def authorize_live_request(token: str, camera_id: int, request) -> MediaGrant:
    """`check_live_media` for a playlist or segment request, answered from Redis when it can be."""
    grant = read_token(token, camera_id)
    if grant is None or settings.RTCC_MEDIA_AUTH_CACHE_SECONDS == 0:
        return check_live_media(token, camera_id, request.user)
    key = decision_key(token, request.COOKIES.get(settings.SESSION_COOKIE_NAME, ""))
    try:
        decision = stored_decision(key)
    except RedisError:
        log.warning("media authorization: Redis unreachable, checking against the database")
        return check_live_media(token, camera_id, request.user)
    if decision is None:
        decision = decide_and_store(key, grant, token, camera_id, request)
    decision.apply()
    return grant


def decide_and_store(key: str, grant: MediaGrant, token: str, camera_id: int, request) -> Decision:
    scopes = scopes_of(grant)
    try:
        generations = current_generations(scopes)
    except RedisError:
        generations = None
    now = timezone.now()
    try:
        check_live_media(token, camera_id, request.user)
        status, reason = 200, ""
    except MediaRefused as error:
        status, reason = error.status, error.reason
    decision = Decision(status, reason, generations or {}, deadline(grant, now).timestamp())
    # A camera or membership that moved to another agency while we read is a decision made
    # under the wrong scopes: answer it, but do not keep it.
    if generations is not None and scopes_of(grant) == scopes:
        ttl = int(decision.until - time.time() - EXPIRY_MARGIN_S)
        if ttl >= 1:
            try:
                cache.set(key, decision, timeout=ttl)
                remembered.put(key, scopes)
            except RedisError:
                log.warning("media authorization: could not store a decision")
    return decision


def scopes_of(grant: MediaGrant) -> tuple[str, ...]:
    """Every generation the answer for `grant` depends on."""
    agencies = set(Camera.objects.filter(pk=grant.camera_id).values_list("agency_id", flat=True))
    agencies |= set(Membership.objects.filter(user_id=grant.user_id).values_list("agency_id", flat=True))
    return (
        EVERYTHING,
        camera_scope(grant.camera_id),
        user_scope(grant.user_id),
        *(agency_scope(agency_id) for agency_id in sorted(agencies)),
    )


def current_generations(scopes: tuple[str, ...]) -> dict[str, str]:
    found = cache.get_many(scopes)
    missing = [scope for scope in scopes if scope not in found]
    if missing:
        for scope in missing:
            cache.add(scope, secrets.token_hex(8), timeout=None)  # add: a concurrent bump wins
        found = cache.get_many(scopes)
    return {scope: found[scope] for scope in scopes}


def deadline(grant: MediaGrant, now: datetime) -> datetime:
    """The first moment the answer for `grant` could change with no write to the database."""
    limits = [now + timedelta(seconds=settings.RTCC_MEDIA_AUTH_CACHE_SECONDS), next_local_midnight(now)]
    if grant.session_id is not None:
        expires_at = (
            ViewingSession.objects.filter(pk=grant.session_id).values_list("expires_at", flat=True).first()
        )
        if expires_at is not None:
            limits.append(expires_at)
    camera = Camera.objects.select_related("agency").filter(pk=grant.camera_id).first()
    consent = Consent.objects.current().filter(camera_id=grant.camera_id).first()
    if camera is not None and consent is not None:
        if consent.expires_at is not None:
            limits.append(consent.expires_at)
        turn = schedule_turn(consent, camera, now, min(limits))
        if turn is not None:
            limits.append(turn)
    return max(now, min(limits))


def next_local_midnight(now: datetime) -> datetime:
    """Contracts run by whole days of the hub's time zone (`Contract.objects.active_on`)."""
    tomorrow = timezone.localdate(now) + timedelta(days=1)
    return timezone.make_aware(datetime.combine(tomorrow, datetime.min.time()))


def schedule_turn(consent: Consent, camera: Camera, now: datetime, until: datetime) -> datetime | None:
    """The first whole minute before `until` at which the consent's schedule opens or closes.

    Windows are written in whole minutes of the camera's zone, so the answer can only turn on
    a minute; the minutes up to the (short) deadline are tried one by one.
    """
    if not consent.schedule:
        return None
    tz = camera.tz
    inside = consent.in_schedule(now, tz)
    minute = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while minute < until:
        if consent.in_schedule(minute, tz) != inside:
            return minute
        minute += timedelta(minutes=1)
    return None
