"""The database's clock, for everything the relay nodes must agree on (leases, heartbeats).

Nodes' clocks drift apart; the database is one clock they all share. A moment written or
compared through these expressions is the database's `now` at the statement, so a node
whose own clock is wrong can neither take what another still holds nor keep what lapsed.
"""

from datetime import timedelta

from django.db.models import DateTimeField, DurationField, ExpressionWrapper, Value
from django.db.models.functions import Now


def database_now_plus(seconds: float) -> ExpressionWrapper:
    """The database's now, shifted by `seconds` (negative: in the past), computed in SQL."""
    return ExpressionWrapper(
        Now() + Value(timedelta(seconds=seconds), output_field=DurationField()), output_field=DateTimeField()
    )
