"""Personas for the wall's tests, plus what the wall needs around them.

`WallPersonas` is `Personas` in a TransactionTestCase: consumers and browser tests read the
database from other threads and processes, which must see committed rows.
"""

from django.test import TransactionTestCase

from agencies.models import Membership
from billing.models import Contract
from rtcc.asgi import application
from tests.personas import Personas, SignedInClient, make_user
from tests.relay_fleet.fleet import give_active_contract
from tests.sockets import Socket


def make_contract(agency) -> Contract:
    return give_active_contract(agency, f"WALL-{agency.slug}")


def give_pull_source(camera) -> None:
    """Make an agency camera one the relay fleet could pull, so that it may be seen live."""
    camera.source = camera.Source.PULL
    camera.source_url = "rtsp://cameras.example.org/main-and-1st"
    camera.save(update_fields=["source", "source_url"])


class IncidentPersonas(Personas):
    """The shared personas with a CAD user for Riverside, its contract, and a street camera that plays."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.cad = make_user("carl-cad", cls.riverside, Membership.Role.CAD)
        make_contract(cls.riverside)
        give_pull_source(cls.street_camera)


class WallPersonas(TransactionTestCase):
    """The shared personas, committed, with a CAD user and a supervisor for Riverside."""

    client_class = SignedInClient

    def setUp(self):
        Personas.setUpTestData.__func__(type(self))
        self.cad = make_user("carl-cad", self.riverside, Membership.Role.CAD)
        self.supervisor = make_user("sue-supervisor", self.riverside, Membership.Role.SUPERVISOR)
        make_contract(self.riverside)
        make_contract(self.lakeview)
        give_pull_source(self.street_camera)

    api = Personas.api


def session_cookie(user) -> str:
    client = SignedInClient()
    client.force_login(user)
    return client.cookies["sessionid"].value


def wall_socket(
    cookie: str | None = None, origin: str | None = "http://testserver", path: str = "/ws/wall/"
) -> Socket:
    headers = [(b"host", b"testserver")]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if cookie is not None:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return Socket(application, path, headers=headers)


SOCKET_TIMEOUT = 10


class WallSockets:
    """A mixin for tests of the wall's socket: `connected` opens one for a user and takes its state."""

    async def connected(self, user, query: str = ""):
        from asgiref.sync import sync_to_async

        path = f"/ws/wall/?{query}" if query else "/ws/wall/"
        socket = wall_socket(await sync_to_async(session_cookie)(user), path=path)
        connected, _ = await socket.connect(timeout=SOCKET_TIMEOUT)
        self.assertTrue(connected)
        state = await socket.receive_json_from(timeout=SOCKET_TIMEOUT)
        self.assertEqual(state["type"], "state")
        return socket, state


def snapshot(camera_id: int, version: int) -> dict:
    """A relay's snapshot event for one camera, as it travels in a batch."""
    return {"type": "camera.snapshot", "camera_id": camera_id, "snapshot_version": version}
