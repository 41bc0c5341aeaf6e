"""Settings changes into the audit log (who, when, every dotted key old -> new)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from postpurchase.domain.audit import AuditEntry, changes_between
from postpurchase.service_layer.unit_of_work import AbstractUnitOfWork


def record_change(
    uow: AbstractUnitOfWork,
    merchant_id: str,
    actor: str,
    action: str,
    subject: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    *,
    at: datetime | None = None,
) -> dict[str, list[Any]]:
    """Write the entry in the caller's transaction (nothing when nothing changed); returns
    the changes, dotted key -> [old, new]."""
    changes = changes_between(before, after)
    if changes:
        uow.audit.record(
            AuditEntry(
                merchant_id=merchant_id,
                actor=actor,
                action=action,
                subject=subject,
                at=at or _now(uow),
                changes=changes,
            )
        )
    return changes


def _now(uow: AbstractUnitOfWork) -> datetime:
    """The unit of work's clock when it has one (the platform's, fakes in tests)."""
    clock = getattr(uow, "now", None)
    return clock() if callable(clock) else datetime.now(UTC)
