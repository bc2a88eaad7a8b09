from django.core.management.base import BaseCommand

from rtcc import demo_data
from rtcc.management.commands.demo import demo_password, demo_totp_secret


class Command(BaseCommand):
    help = "Load the demo agencies, users, devices and cameras (safe to run again)."

    def handle(self, *args, **options):
        seeded = demo_data.seed(demo_password(), demo_totp_secret())
        self.stdout.write(
            f"{len(seeded['agencies'])} agencies and {len(seeded['cameras'])} cameras are in place."
        )
