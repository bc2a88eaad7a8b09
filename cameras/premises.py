"""Premises rules: what an agency's ordinance lets it take from each kind of premises.

Nashville's ordinance style: an agency may forbid, for example, live video from
single-family homes. A rule names the highest sharing the agency accepts from one premises
type, with the reason owners read. Consent changes (`do_set_consent`), registration and
the consent rule (`cameras.consent`) all refuse what a rule forbids; a camera whose owner
chose more before the rule came keeps its owner's choice on record, and the rule decides
what is used of it.
"""

from django.db import models
from django.utils import timezone

from cameras.models import Camera, Consent


class PremisesRule(models.Model):
    """An agency's limit on what it accepts from one premises type, and why."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="premises_rules")
    premises = models.CharField(max_length=16, choices=Camera.Premises.choices)
    highest_level = models.CharField(
        "highest sharing accepted",
        max_length=16,
        choices=Consent.Level.choices,
        help_text="'Not shared' means the agency registers no camera of this premises type.",
    )
    reason = models.CharField(
        max_length=300, help_text="Shown to owners who are refused, for example the ordinance's section."
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["agency", "premises"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "premises"], name="premises_rule_one_per_type")
        ]

    def __str__(self):
        return f"{self.agency}: {self.get_premises_display()} up to {self.get_highest_level_display()}"

    def forbids(self, level: str) -> bool:
        return Consent.Level.rank(level) > Consent.Level.rank(self.highest_level)

    def refusal(self, level: str) -> str:
        """What an owner reads when `level` is more than this rule accepts; empty when it is not."""
        if not self.forbids(level):
            return ""
        label = Consent.Level(level).label.split(":")[0].lower()
        return (
            f"{self.agency.name} does not accept {label} sharing from a "
            f"{self.get_premises_display().lower()}: {self.reason}"
        )


def premises_refusal(camera: Camera, level: str) -> str:
    """Why the camera's agency refuses `level` from the camera's premises; empty when it accepts it.

    Agency cameras are the agency's own and no premises rule binds them.
    """
    if camera.kind == Camera.Kind.PUBLIC or level == Consent.Level.NONE:
        return ""
    rule = (
        PremisesRule.objects.filter(agency_id=camera.agency_id, premises=camera.premises)
        .select_related("agency")
        .first()
    )
    return rule.refusal(level) if rule else ""


def cameras_a_rule_forbids(rule: PremisesRule):
    """The agency's residents' cameras whose owners share more than `rule` accepts now."""
    above = [level for level in Consent.Level.values if rule.forbids(level)]
    return (
        Camera.objects.filter(agency_id=rule.agency_id, premises=rule.premises)
        .exclude(kind=Camera.Kind.PUBLIC)
        .with_consent()
        .filter(consent_level__in=above)
        .select_related("owner")
    )


def policy_conflicts(cameras) -> dict[int, str]:
    """{camera id: why its agency does not use all its owner shares} for cameras annotated with `consent_level`.

    One query: what the portal shows owners whose cameras a rule made after their choice forbids.
    """
    cameras = [camera for camera in cameras if camera.kind != Camera.Kind.PUBLIC]
    rules = {
        (rule.agency_id, rule.premises): rule
        for rule in PremisesRule.objects.filter(
            agency_id__in={camera.agency_id for camera in cameras}
        ).select_related("agency")
    }
    conflicts = {}
    for camera in cameras:
        rule = rules.get((camera.agency_id, camera.premises))
        refusal = rule.refusal(camera.consent_level) if rule and camera.consent_level else ""
        if refusal:
            conflicts[camera.pk] = refusal
    return conflicts
