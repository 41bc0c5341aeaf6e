"""Recording and reading admin actions, for every surface (API, console, CLI, jobs).

Callers pass the state before and after a change and get the diff recorded in the unit of
work they are already in, so an action and its audit entry commit or roll back together: a
change never lands unaudited and an audit entry never describes a change that failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from postpurchase.domain.audit import AuditEntry, StoredAudit, changes_between
from postpurchase.service_layer.ports import AuditLog
from postpurchase.service_layer.unit_of_work import AbstractUnitOfWork


class Audited(Protocol):
    """Any unit of work with the audit log on its connection: the platform's, and each
    context's own (returns, console...), so an entry commits with the change it records."""

    @property
    def audit(self) -> AuditLog: ...


def record_change(
    uow: Audited,
    merchant_id: str,
    *,
    actor: str,
    action: str,
    subject: str,
    at: datetime | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    always: bool = False,
) -> int | None:
    """Audit ``action`` on ``subject`` inside ``uow`` (the caller commits).

    With ``before``/``after`` only the leaves that differ are kept; a save that changed
    nothing writes nothing unless ``always`` (an action such as "resolve an exception" is
    worth recording even without a settings diff). ``at`` defaults to the unit of work's
    clock.
    """
    changes = changes_between(before or {}, after or {})
    if not changes and not always:
        return None
    entry = AuditEntry(merchant_id, actor, action, subject, at or _now(uow), changes)
    return uow.audit.record(entry)


def history(
    uow: AbstractUnitOfWork,
    merchant_id: str,
    *,
    limit: int = 50,
    before_id: int | None = None,
    subject: str | None = None,
) -> list[StoredAudit]:
    """The merchant's audit entries, newest first; page with ``before_id`` (the last id seen)."""
    with uow:
        return uow.audit.list(merchant_id, limit=limit, before_id=before_id, subject=subject)


def _now(uow: Audited) -> datetime:
    """The unit of work's clock when it has one (the platform's, fakes in tests)."""
    clock = getattr(uow, "now", None)
    return clock() if callable(clock) else datetime.now(UTC)
