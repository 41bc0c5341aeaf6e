"""Audit entries for settings changed from the console, through services of other contexts
that do not record them themselves yet (the unified settings service will, in the change's own
transaction; until it is wired, the entry follows right after the change committed)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from postpurchase.domain.audit import AuditEntry, changes_between
from postpurchase.domain.console import Principal
from postpurchase.service_layer.console.ports import AbstractConsoleUnitOfWork


class AdminAudit:
    def __init__(
        self, uow: Callable[[], AbstractConsoleUnitOfWork], now: Callable[[], datetime]
    ) -> None:
        self.uow = uow
        self.now = now

    def record(
        self,
        by: Principal,
        action: str,
        subject: str,
        before: Mapping[str, Any],
        after: Mapping[str, Any],
    ) -> None:
        entry = AuditEntry(
            by.merchant_id, by.actor, action, subject, self.now(), changes_between(before, after)
        )
        with self.uow() as uow:
            uow.audit.record(entry)
            uow.commit()
