from django.core.management.base import BaseCommand, CommandError

from agencies.audit import verify_chain
from agencies.models import Agency


class Command(BaseCommand):
    help = "Recompute the audit trail's hash chains and report the first line that does not hold."

    def add_arguments(self, parser):
        parser.add_argument("--agency", help="an agency slug (default: every agency and the global chain)")

    def handle(self, *args, agency=None, **options):
        if agency:
            found = Agency.objects.filter(slug=agency).first()
            if found is None:
                raise CommandError(f"No agency has the slug {agency!r}.")
            chains = [(found.slug, found.pk)]
        else:
            chains = [(a.slug, a.pk) for a in Agency.objects.order_by("slug")] + [("global", None)]
        broken = 0
        for label, agency_id in chains:
            report = verify_chain(agency_id)
            if report.intact:
                self.stdout.write(f"{label}: {report.checked} lines, intact")
            else:
                broken += 1
                self.stdout.write(
                    self.style.ERROR(f"{label}: BROKEN at line {report.broken_at}: {report.reason}")
                )
        if broken:
            raise CommandError(f"{broken} audit chain(s) do not hold.")
