"""Settings changes into the audit log (who, when, every dotted key old -> new)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from postpurchase.service_layer.unit_of_work import AbstractUnitOfWork


def record_change(
    uow: AbstractUnitOfWork,
    merchant_id: str,
    actor: str,
    action: str,
    subject: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
) -> None:
    """Written in the caller's transaction. (Wired to ``uow.audit`` once it lands.)"""
    return None
