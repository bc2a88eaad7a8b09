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

The keys live in the Redis of the cache (`REDIS_URL`, or the embedded one) under the cache's
prefix, read with a plain client and small JSON values, so that the ASGI fast path
(`cameras/media/fast_path.py`) reads the same decisions without Django's cache layer.
"""

import hashlib
import json
import logging
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from redis.exceptions import RedisError

from agencies.models import Membership
from cameras.media.deadlines import deadline
from cameras.media.services import MediaRefused, check_live_media
from cameras.media.signing import MediaGrant, read_token
from cameras.models import Camera

log = logging.getLogger(__name__)

# How many decision keys a process remembers the scopes of (a few hundred bytes each).
REMEMBERED_DECISIONS = 20_000
# Decisions are stored for whole seconds; this keeps a deadline from being rounded past.
EXPIRY_MARGIN_S = 0.05


def redis_location() -> str:
    return settings.CACHES["default"]["LOCATION"]


def key(name: str) -> str:
    return f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:media-auth:{name}"


_clients: dict[str, redis.Redis] = {}


def client() -> redis.Redis:
    """One connection pool per process and Redis location."""
    location = redis_location()
    if location not in _clients:
        _clients[location] = redis.Redis.from_url(location, socket_timeout=2, socket_connect_timeout=2)
    return _clients[location]


def everything_scope() -> str:
    return key("g:all")


def camera_scope(camera_id: int) -> str:
    return key(f"g:camera:{camera_id}")


def agency_scope(agency_id: int) -> str:
    return key(f"g:agency:{agency_id}")


def user_scope(user_id: int) -> str:
    return key(f"g:user:{user_id}")


def bump(*scopes: str) -> None:
    """New generations for `scopes`: every decision stored under the old ones is void.

    A fresh random value, not an increment: a generation that Redis evicted and that comes
    back can never equal the one an old decision recorded.
    """
    try:
        client().mset({scope: secrets.token_hex(8) for scope in scopes})
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

    def dumps(self) -> str:
        return json.dumps({"s": self.status, "r": self.reason, "g": self.generations, "u": self.until})

    @classmethod
    def loads(cls, raw: bytes) -> "Decision":
        data = json.loads(raw)
        return cls(data["s"], data["r"], data["g"], data["u"])


class RememberedScopes:
    """Per process: the generation keys each decision key was stored with (bounded, oldest out)."""

    def __init__(self, size: int):
        self.size = size
        self.scopes: OrderedDict[str, tuple[str, ...]] = OrderedDict()
        # Django runs views in a worker thread while the fast path reads on the event loop.
        self.lock = threading.Lock()

    def get(self, decision: str) -> tuple[str, ...] | None:
        with self.lock:
            scopes = self.scopes.get(decision)
            if scopes is not None:
                self.scopes.move_to_end(decision)
            return scopes

    def put(self, decision: str, scopes: tuple[str, ...]) -> None:
        with self.lock:
            self.scopes[decision] = scopes
            self.scopes.move_to_end(decision)
            while len(self.scopes) > self.size:
                self.scopes.popitem(last=False)


remembered = RememberedScopes(REMEMBERED_DECISIONS)


def decision_key(token: str, session_cookie: str) -> str:
    # The cookie is part of the key: "a signed-in requester is the token's user" is part of
    # the answer, and a session key belongs to one user for its whole life.
    return key("d:" + hashlib.sha256(f"{token}\0{session_cookie}".encode()).hexdigest())


def trusted(decision_name: str, raw: bytes | None, scopes, values) -> Decision | None:
    """The decision read with the generations `values` of `scopes` if it still holds."""
    if raw is None:
        return None
    decision = Decision.loads(raw)
    if set(decision.generations) != set(scopes):
        remembered.put(decision_name, tuple(decision.generations))  # moved: the next request reads them
        return None
    found = {
        scope: value.decode() if value is not None else None
        for scope, value in zip(scopes, values, strict=True)
    }
    if any(found[scope] != generation for scope, generation in decision.generations.items()):
        return None
    return decision if time.time() < decision.until else None


def stored_decision(name: str) -> Decision | None:
    """The stored decision if every generation it was made under still holds; one MGET."""
    scopes = remembered.get(name)
    if scopes is None:
        raw = client().get(name)
        if raw is None:
            return None
        scopes = tuple(Decision.loads(raw).generations)
        remembered.put(name, scopes)
        values = client().mget(scopes)
    else:
        raw, *values = client().mget([name, *scopes])
    return trusted(name, raw, scopes, values)


def stored_decisions(names: list[str]) -> dict[str, Decision | None]:
    """`stored_decision` for many names: one MGET for all whose scopes this process remembers."""
    scopes = {name: remembered.get(name) for name in names}
    known = [name for name in names if scopes[name] is not None]
    keys = list(dict.fromkeys([*known, *(scope for name in known for scope in scopes[name])]))
    values = dict(zip(keys, client().mget(keys), strict=True)) if keys else {}
    found = {
        name: trusted(name, values[name], scopes[name], [values[scope] for scope in scopes[name]])
        for name in known
    }
    for name in names:
        if scopes[name] is None:
            found[name] = stored_decision(name)
    return found


def refused_live(tokens: dict[int, str], user, session_cookie: str) -> dict[int, str]:
    """{camera id: reason} for each camera of `tokens` that `authorize_live` refuses now.

    A wall's video socket checks all its cameras twice a second: while nothing changed that
    is one Redis round trip for all of them, not one a camera.
    """
    names = {camera_id: decision_key(token, session_cookie) for camera_id, token in tokens.items()}
    decisions = {}
    if settings.RTCC_MEDIA_AUTH_CACHE_SECONDS:
        try:
            decisions = stored_decisions(list(names.values()))
        except RedisError:
            pass  # each camera below is checked on its own, against the database if need be
    refused = {}
    for camera_id, token in tokens.items():
        decision = decisions.get(names[camera_id])
        try:
            if decision is not None and read_token(token, camera_id) is not None:
                decision.apply()
            else:
                authorize_live(token, camera_id, user, session_cookie)
        except MediaRefused as error:
            refused[camera_id] = error.reason
    return refused


def authorize_live_request(token: str, camera_id: int, request) -> MediaGrant:
    """`check_live_media` for a playlist or segment request, answered from Redis when it can be."""
    return authorize_live(
        token, camera_id, request.user, request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
    )


def authorize_live(token: str, camera_id: int, user, session_cookie: str) -> MediaGrant:
    """`check_live_media` for `user` holding `token` (a request, or a wall's video socket)."""
    grant = read_token(token, camera_id)
    if grant is None or settings.RTCC_MEDIA_AUTH_CACHE_SECONDS == 0:
        return check_live_media(token, camera_id, user)
    name = decision_key(token, session_cookie)
    try:
        decision = stored_decision(name)
    except RedisError:
        log.warning("media authorization: Redis unreachable, checking against the database")
        return check_live_media(token, camera_id, user)
    if decision is None:
        decision = decide_and_store(name, grant, token, camera_id, user)
    decision.apply()
    return grant


def decide_and_store(name: str, grant: MediaGrant, token: str, camera_id: int, user) -> Decision:
    scopes = scopes_of(grant)
    try:
        generations = current_generations(scopes)
    except RedisError:
        generations = None
    now = timezone.now()
    try:
        check_live_media(token, camera_id, user)
        status, reason = 200, ""
    except MediaRefused as error:
        status, reason = error.status, error.reason
    decision = Decision(status, reason, generations or {}, deadline(grant, now).timestamp())
    # A camera or membership that moved to another agency while we read is a decision made
    # under the wrong scopes: answer it, but do not keep it.
    if generations is not None and scopes_of(grant) == scopes:
        ttl_ms = int((decision.until - time.time() - EXPIRY_MARGIN_S) * 1000)
        if ttl_ms >= 100:
            try:
                client().set(name, decision.dumps(), px=ttl_ms)
                remembered.put(name, scopes)
            except RedisError:
                log.warning("media authorization: could not store a decision")
    return decision


def scopes_of(grant: MediaGrant) -> tuple[str, ...]:
    """Every generation the answer for `grant` depends on."""
    agencies = set(Camera.objects.filter(pk=grant.camera_id).values_list("agency_id", flat=True))
    agencies |= set(Membership.objects.filter(user_id=grant.user_id).values_list("agency_id", flat=True))
    return (
        everything_scope(),
        camera_scope(grant.camera_id),
        user_scope(grant.user_id),
        *(agency_scope(agency_id) for agency_id in sorted(agencies)),
    )


def current_generations(scopes: tuple[str, ...]) -> dict[str, str]:
    values = client().mget(scopes)
    if None in values:
        with client().pipeline() as pipe:
            for scope, value in zip(scopes, values, strict=True):
                if value is None:
                    pipe.set(scope, secrets.token_hex(8), nx=True)  # nx: a concurrent bump wins
            pipe.execute()
        values = client().mget(scopes)
    return {scope: value.decode() for scope, value in zip(scopes, values, strict=True)}
