"""`cameras_visible_to` with the shares term (shares in force from another agency) against the rule
without it, alternating on the same rows in the same run: what the one visibility rule pays for
sharing on every camera list, map, wall state and media decision.

Each agency picked receives a share of 20 public cameras of another agency for the run. The
measured call is what the map and list count on: the visible cameras in a 2 km box around the
agency's centre. `python -m bench visible_shares --scale 100` with DATABASE_URL set.
"""

import random
from datetime import timedelta

from bench._django import setup_django
from bench._fleet import Timings, agency_clients, ensure_fleet, result_row

REQUESTS = {True: 200, False: 60}
SHARED = 20


def run(scale: int) -> list[dict]:
    setup_django()
    from django.db.models import Q
    from django.utils import timezone

    from agencies.access import agency_of
    from agencies.models import Agency
    from cameras.access import SHARED_LEVELS, cameras_visible_to, granted_cameras
    from cameras.models import Camera
    from cameras.sharing.models import CameraShare

    cameras, agencies = ensure_fleet(scale)
    giver = Agency.objects.filter(slug__startswith="agency-").order_by("slug").first()
    if Agency.objects.count() == 1:
        # One agency at the smallest scale: the share comes from a second one, with cameras of its own.
        giver = Agency.objects.create(slug="bench-giver", name="Bench giver", lat=giver.lat, lon=giver.lon)
        Camera.objects.bulk_create(
            Camera(agency=giver, name=f"giver {n}", lat=giver.lat, lon=giver.lon, kind=Camera.Kind.PUBLIC)
            for n in range(SHARED)
        )
    shared = list(
        Camera.objects.filter(agency=giver, kind=Camera.Kind.PUBLIC).values_list("pk", flat=True)[:SHARED]
    )

    def without_shares(user):
        # The rule as it was before shares: the same terms, less the one for shares in force.
        agency = agency_of(user)
        visible = Q(owner=user) | (
            Q(agency=agency) & (Q(kind=Camera.Kind.PUBLIC) | Q(consent_level__in=SHARED_LEVELS))
        )
        return Camera.objects.with_consent().select_related("agency").filter(visible | granted_cameras(user))

    rng = random.Random(11)
    ours, baseline, counts = Timings(), Timings(), []
    made = []
    try:
        for agency, user, _client in agency_clients(REQUESTS[scale >= 10]):
            if agency.pk != giver.pk and not CameraShare.objects.filter(to_agency=agency).exists():
                share = CameraShare.objects.create(
                    from_agency=giver, to_agency=agency, ends_at=timezone.now() + timedelta(hours=1),
                    purpose="bench", authority="bench",
                )  # fmt: skip
                share.cameras.set(shared)
                made.append(share.pk)
            box = {
                "lat__range": (agency.lat - 0.009 + rng.uniform(-0.005, 0.005), agency.lat + 0.009),
                "lon__range": (agency.lon - 0.012, agency.lon + 0.012),
            }
            pair = [(ours, cameras_visible_to), (baseline, without_shares)]
            rng.shuffle(pair)  # alternate which goes first, so caches favour neither
            found = {}
            for timings, rule in pair:
                found[rule] = timings(lambda rule=rule: rule(user).filter(**box).count())  # noqa: B023
            counts.append((found[cameras_visible_to], found[without_shares]))
    finally:
        CameraShare.objects.filter(pk__in=made).delete()
    facts = {
        "cameras": cameras,
        "agencies": agencies,
        "requests": len(counts),
        "shares_in_force": len(made),
        "visible_mean": round(sum(ours_n for ours_n, _ in counts) / len(counts), 1),
        "visible_without_shares_mean": round(sum(theirs for _, theirs in counts) / len(counts), 1),
    }
    return [result_row(ours, baseline, "without_shares", **facts)]
