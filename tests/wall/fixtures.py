"""Personas for the wall's tests, plus what the wall needs around them.

`WallPersonas` is `Personas` in a TransactionTestCase: consumers and browser tests read the
database from other threads and processes, which must see committed rows.
"""

import datetime

from channels.testing import WebsocketCommunicator
from django.test import Client, TransactionTestCase
from django.utils import timezone

from agencies.models import Membership
from billing.models import Contract, Package
from rtcc.asgi import application
from tests.personas import Personas, make_user


def make_contract(agency) -> Contract:
    package, _ = Package.objects.get_or_create(
        slug="wall-test", defaults={"name": "Wall test", "price_per_device_year": 0}
    )
    today = timezone.localdate()
    return Contract.objects.create(
        agency=agency,
        package=package,
        reference=f"WALL-{agency.slug}",
        starts_on=today - datetime.timedelta(days=1),
        ends_on=today + datetime.timedelta(days=365),
        device_quota=100,
        price_per_device_year=0,
        status=Contract.Status.ACTIVE,
    )


def give_pull_source(camera) -> None:
    """Make an agency camera one the relay fleet could pull, so that it may be seen live."""
    camera.source = camera.Source.PULL
    camera.source_url = "rtsp://cameras.example.org/main-and-1st"
    camera.save(update_fields=["source", "source_url"])


class WallPersonas(TransactionTestCase):
    """The shared personas, committed, with a CAD user and a supervisor for Riverside."""

    def setUp(self):
        Personas.setUpTestData.__func__(type(self))
        self.cad = make_user("carl-cad", self.riverside, Membership.Role.CAD)
        self.supervisor = make_user("sue-supervisor", self.riverside, Membership.Role.SUPERVISOR)
        make_contract(self.riverside)
        make_contract(self.lakeview)
        give_pull_source(self.street_camera)

    api = Personas.api


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def wall_socket(cookie: str | None = None, origin: str | None = "http://testserver") -> WebsocketCommunicator:
    headers = []
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if cookie is not None:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return WebsocketCommunicator(application, "/ws/wall/", headers=headers)
