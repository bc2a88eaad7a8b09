"""A relay node's database statements end within RTCC_RELAY_STATEMENT_SECONDS, so a hung
database fails a pass instead of holding the node (the fence stops ffmpeg at the lease's end)."""

import pytest
from django.db import OperationalError, connection
from django.db.backends.signals import connection_created
from django.test import TransactionTestCase, override_settings

from cameras.relay.node import RelayNodeRunner, limit_statement_time


@pytest.mark.skipif(connection.vendor != "postgresql", reason="statement_timeout is PostgreSQL's")
class StatementTimeoutTests(TransactionTestCase):
    def setUp(self):
        self.addCleanup(connection.close)
        self.addCleanup(
            connection_created.disconnect, limit_statement_time, dispatch_uid="relay-statement-timeout"
        )

    @override_settings(RTCC_RELAY_STATEMENT_SECONDS=1)
    def test_a_statement_longer_than_the_limit_is_cancelled(self):
        RelayNodeRunner.limit_database_time()
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            self.assertEqual(cursor.fetchone()[0], "1s")
            with self.assertRaises(OperationalError):
                cursor.execute("SELECT pg_sleep(3)")
