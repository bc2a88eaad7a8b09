"""Verify the hash-chained audit trail: anyone with an export can redo this check."""

from dataclasses import dataclass

from agencies.models import AccessEvent, AuditChain


@dataclass(frozen=True)
class ChainReport:
    key: str
    checked: int
    broken_at: int | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify_chain(agency_id: int | None) -> ChainReport:
    """Recompute every digest of one chain in order; stop at the first line that does not hold."""
    key = AuditChain.key_for(agency_id)
    chain = AuditChain.objects.filter(key=key).first()
    previous, checked = AuditChain.GENESIS, 0
    for event in (
        AccessEvent.objects.filter(agency_id=agency_id).order_by("sequence").iterator(chunk_size=2000)
    ):
        checked += 1
        if event.sequence != checked:
            return ChainReport(
                key, checked, checked, f"line {checked} is missing (found {event.sequence} next)"
            )
        if event.previous_digest != previous:
            return ChainReport(key, checked, checked, f"line {checked} does not link to line {checked - 1}")
        if event.compute_digest() != event.digest:
            return ChainReport(key, checked, checked, f"line {checked} was changed after it was written")
        previous = event.digest
    if chain is not None and (chain.length, chain.head) != (checked, previous):
        return ChainReport(
            key, checked, checked + 1, f"the chain says {chain.length} lines; {checked} are left"
        )
    return ChainReport(key, checked)
