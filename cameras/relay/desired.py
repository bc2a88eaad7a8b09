"""Desired state: which cameras should be relayed now.

The rule itself is the consent rule (`cameras.consent`); this module only asks it for
every candidate camera at once, in a few queries. Continuous cameras are candidates while
the rule allows; on-demand cameras only while demanded as well (`cameras.relay.demand`).
"""

from datetime import datetime

from django.db.models import Q, Subquery
from django.utils import timezone

from cameras.consent import active_contract_agency_ids, live_refusals
from cameras.models import Camera

# A push camera's passphrase: decrypted for every candidate, it was most of a full pass. (A
# push camera's source URL is empty, so reading it decrypts nothing.)
UNREAD = ("srt_passphrase",)


def relay_cameras(camera_ids) -> dict:
    """{camera id: Camera} with what a relay's command line needs: secrets decrypted, masks read,
    and its box (what orders it understands)."""
    return Camera.objects.select_related("device").prefetch_related("privacy_masks").in_bulk(list(camera_ids))


def desired_cameras(now: datetime | None = None, demanded=frozenset(), among=None) -> dict:
    """{camera id: Camera} of every camera that should have a relay at `now`, in a few queries.

    The cameras come without their secrets and masks: `relay_cameras` reads those for the
    ones a node relays.

    `demanded`: the ids of on-demand cameras someone needs now. `among`: decide only these
    camera ids (a relay node's pass between full reconciles); None: every camera.
    """
    now = now or timezone.now()
    cameras = Camera.objects.all() if among is None else Camera.objects.filter(pk__in=list(among))
    candidates = list(
        cameras.filter(
            Q(relay_mode=Camera.RelayMode.CONTINUOUS) | Q(pk__in=list(demanded)),
            enabled=True,
            source__in=[Camera.Source.PUSH, Camera.Source.PULL],
            agency_id__in=Subquery(active_contract_agency_ids(now)),
            agency__suspended_at__isnull=True,
        )
        # A box its owner paused sends nothing, so nothing waits for it (devices/pause.py).
        .filter(Q(device__isnull=True) | Q(device__paused_at__isnull=True))
        .select_related("agency")
        # Slim: a full reconcile reads every candidate of the fleet, and only the few a node
        # starts or re-checks need their masks and passphrases (`relay_cameras`).
        .defer(*UNREAD)
    )
    # The candidates were chosen by an active contract and no suspension: their agencies have
    # a contract and none is suspended.
    refusals = live_refusals(
        candidates, now, contracted={camera.agency_id for camera in candidates}, suspended={}
    )
    return {camera.pk: camera for camera in candidates if not refusals[camera.pk]}
