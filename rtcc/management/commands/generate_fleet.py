"""`manage.py generate_fleet --cameras N --agencies M --password P [--seed S]`: a fleet at scale."""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from tqdm import tqdm

from rtcc import fleet_data
from rtcc.management.commands.demo import demo_totp_secret


class Command(BaseCommand):
    help = (
        "Generate agencies agency-001..., their staff (dispatcher-NNN, admin-NNN, oversight-NNN), "
        "residents, devices and cameras with a mix of consents. Replaces a fleet generated before; "
        "refuses a database holding other data unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cameras", type=int, required=True, help="how many cameras in all")
        parser.add_argument("--agencies", type=int, required=True, help="how many agencies")
        parser.add_argument("--password", required=True, help="the password of every agency user")
        parser.add_argument("--seed", type=int, default=1, help="the same seed gives the same fleet")
        parser.add_argument("--force", action="store_true", help="run even beside data not generated here")

    def handle(self, *args, cameras, agencies, password, seed, force, **options):
        if agencies < 1 or agencies > 999:
            raise CommandError("--agencies is 1 to 999.")
        if cameras < 0:
            raise CommandError("--cameras is 0 or more.")
        foreign = fleet_data.foreign_data()
        if foreign and not force:
            raise CommandError(
                f"the database {connection.settings_dict['NAME']} holds data not generated here "
                f"({'; '.join(foreign)}); use a fresh database, or --force to add the fleet beside it."
            )
        totp_secret = demo_totp_secret()
        with tqdm(total=cameras, unit="camera", file=sys.stderr, disable=None) as bar:
            counts = fleet_data.generate(
                cameras=cameras,
                agencies=agencies,
                password=password,
                totp_secret=totp_secret,
                seed=seed,
                progress=bar.update,
            )
        mix = ", ".join(f"{level} {number}" for level, number in sorted(counts.levels.items()))
        self.stdout.write(
            f"{counts.agencies} agencies, {counts.users} agency users, {counts.residents} residents, "
            f"{counts.devices} devices, {counts.cameras} cameras ({mix}), {counts.consents} consent rows."
        )
        self.stdout.write(f"Agency users' authenticator secret (base32, as the demo's): {totp_secret}")
