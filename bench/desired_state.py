"""The relay fleet's desired state (`desired_cameras`) on a generated fleet, with a premises rule in
every agency (no live video from single-family homes) against the same call with no rule, on the
same rows in the same run. The consent rule reads rules through a subquery of the consent query,
so the number of queries stays the same; this measures what the subquery costs.

The two must differ by exactly the live single-family cameras the rules forbid.

`python -m bench desired_state --scale 100` with DATABASE_URL set: 200,000 cameras, 100 agencies.
"""

from bench._django import setup_django
from bench._fleet import Timings, ensure_fleet, result_row

# Passes per run: the desired state is read once a second by every relay node.
PASSES = {True: 20, False: 30}


def run(scale: int) -> list[dict]:
    setup_django()
    from agencies.models import Agency
    from cameras.models import Camera, Consent
    from cameras.premises import PremisesRule
    from cameras.relay.desired import desired_cameras

    cameras, agencies = ensure_fleet(scale)
    PremisesRule.objects.all().delete()
    ours, baseline = Timings(), Timings()
    without = with_rules = None
    for _ in range(PASSES[scale >= 10]):
        without = set(baseline(desired_cameras))
        PremisesRule.objects.bulk_create(
            PremisesRule(
                agency=agency,
                premises=Camera.Premises.SINGLE_FAMILY,
                highest_level=Consent.Level.ON_REQUEST,
                reason="No live access to single-family homes.",
            )
            for agency in Agency.objects.all()
        )
        with_rules = set(ours(desired_cameras))
        PremisesRule.objects.all().delete()
    forbidden = set(
        Camera.objects.filter(pk__in=without, premises=Camera.Premises.SINGLE_FAMILY)
        .exclude(kind=Camera.Kind.PUBLIC)
        .values_list("pk", flat=True)
    )
    assert with_rules == without - forbidden, "the rules must remove exactly the single-family cameras"
    facts = {"desired_without_rules": len(without), "desired_with_rules": len(with_rules)}
    return [result_row(ours, baseline, "no_rule", cameras=cameras, agencies=agencies, **facts)]
