"""The committed OpenAPI schema (docs/openapi.yaml), fuzzed against the real app in-process as each persona.

Schemathesis draws valid and invalid requests for every operation from the schema, with a
fixed seed and a bounded number of examples, and the app must answer each without a server
error, with a status code the schema lists, and with a body that matches the schema.
"""

import os
from collections import Counter
from datetime import timedelta
from pathlib import Path

import hypothesis
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, strategies
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from agencies.incidents import do_open_incident
from cameras.models import Consent
from tests.personas import Personas, authorization_for, make_camera
from tests.relay_fleet.fleet import give_active_contract

SCHEMA = schemathesis.openapi.from_path(Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml")
SEED = 20261123
# Per operation, persona and generation mode: about 40 s for the whole run. Set RTCC_FUZZ_EXAMPLES
# higher for a longer hunt (a few hundred finds more).
EXAMPLES = int(os.environ.get("RTCC_FUZZ_EXAMPLES", "8"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


class InProcessApp(WSGIHandler):
    """Django's WSGI handler, which a test may call inside its transaction.

    Like Django's test client, it leaves connections open: close_old_connections on each
    request would close the test's connection in the middle of its transaction.
    """

    def __call__(self, environ, start_response):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            return super().__call__(environ, start_response)
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


class SchemaFuzzTests(Personas):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        give_active_contract(cls.riverside, "FUZZ-1")
        cls.on_request_camera = make_camera(
            cls.riverside, "Rita's shop", owner=cls.resident, level=Consent.Level.ON_REQUEST, lat=41.8815
        )
        cls.incident, _ = do_open_incident(
            cls.admin, cls.riverside, external_id="CAD-1", kind="Burglary", lat=41.8801, lon=-87.63
        )

    def setUp(self):
        self.app = InProcessApp()
        self.statuses = Counter()
        self.examples = Counter()

    def known_ids(self) -> list[int]:
        """Ids of rows that exist, so that detail routes are reached beyond their 404."""
        cameras = [self.street_camera, self.live_camera, self.registry_camera, self.on_request_camera]
        return sorted({camera.pk for camera in cameras} | {self.incident.pk})

    def fuzz(self, user) -> None:
        headers = {"Authorization": authorization_for(user)} if user is not None else {}
        failures = []
        for result in SCHEMA.get_all_operations():
            operation = result.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                try:
                    self.fuzz_operation(operation, mode, headers)
                except hypothesis.errors.Unsatisfiable:
                    # An operation that takes no input at all has no invalid input to send.
                    if mode is not GenerationMode.NEGATIVE:
                        raise
                except (Exception, FailureGroup) as error:  # every operation runs; all failures are reported
                    failures.append(f"{operation.label} ({mode.value}): {describe(error)}")
                    print(failures[-1])  # at once: a long hunt (RTCC_FUZZ_EXAMPLES) shows them as found
        server_errors = sum(count for status, count in self.statuses.items() if status >= 500)
        print(
            f"\n{user or 'anonymous'}: {sum(self.examples.values())} requests, {server_errors} server errors, "
            f"{min(self.examples.values())}-{max(self.examples.values())} examples for each of "
            f"{len(self.examples)} operations, statuses {dict(sorted(self.statuses.items()))}"
        )
        self.assertEqual(failures, [], "\n\n".join(failures))
        self.assertEqual(server_errors, 0)

    def fuzz_operation(self, operation, mode, headers) -> None:
        strategy = operation.as_strategy(generation_mode=mode)
        if "{id}" in operation.path:
            known = [
                operation.as_strategy(generation_mode=mode, path_parameters={"id": pk})
                for pk in self.known_ids()
            ]
            strategy = strategies.one_of(strategy, *known)
        if operation.label == "POST /api/v1/footage-requests/":
            # A random time window is almost never one the agency still keeps, and it is checked
            # first: half the examples get a recent hour, so the cameras' ids are reached too.
            strategy = strategies.one_of(strategy, strategy.map(with_recent_window))

        @hypothesis.seed(SEED)
        @hypothesis.settings(
            max_examples=EXAMPLES,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )
        @hypothesis.given(case=strategy)
        def run(case):
            with transaction.atomic():
                response = case.call(app=self.app, headers=headers)
                transaction.set_rollback(True)  # each example starts from the same rows
            self.statuses[response.status_code] += 1
            self.examples[operation.label] += 1
            case.validate_response(response, checks=CHECKS, headers=headers)

        run()

    def test_anonymous(self):
        self.fuzz(None)

    def test_resident(self):
        self.fuzz(self.resident)

    def test_dispatcher(self):
        self.fuzz(self.dispatcher)

    def test_agency_admin(self):
        self.fuzz(self.admin)


def with_recent_window(case):
    if isinstance(case.body, dict):
        end = timezone.now() - timedelta(hours=1)
        case.body.update(start=(end - timedelta(hours=1)).isoformat(), end=end.isoformat())
    return case


def describe(error: BaseException) -> str:
    """The error with what it groups: Hypothesis and schemathesis wrap the real failures."""
    if isinstance(error, BaseExceptionGroup):
        return f"{error}\n" + "\n".join(describe(inner) for inner in error.exceptions)
    return str(error)
