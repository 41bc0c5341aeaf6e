"""The audit log of admin actions: who changed what, when, from which value to which.

A merchant (and its auditor) must be able to answer "who turned off the delivered e-mail?"
without reading server logs, so every change made through the API, the console or the CLI
is written in the same transaction as the change itself. This module holds the pure part:
the entry and the diff of two settings documents as dotted keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from postpurchase.domain.errors import InvalidInput

MAX_ACTOR = 200
MAX_ACTION = 64
MAX_SUBJECT = 200
ACTOR_KINDS = ("api", "user", "cli", "system", "shopper")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One admin action. ``changes`` maps a dotted key to ``[old, new]`` (JSON values).

    ``actor`` is ``kind:who``: ``api:<key label or prefix>``, ``user:<email>``, ``cli``,
    ``system:<job>`` or ``shopper:<surface>`` (a shopper acting on their own return from the
    portal), so a reader can tell a person from a script from the platform itself.
    """

    merchant_id: str
    actor: str
    action: str
    subject: str
    at: datetime
    changes: dict[str, list[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        kind = self.actor.split(":", 1)[0]
        if kind not in ACTOR_KINDS or len(self.actor) > MAX_ACTOR:
            raise InvalidInput(f"unknown audit actor {self.actor[:40]!r}", field="actor")
        if not self.action or len(self.action) > MAX_ACTION:
            raise InvalidInput("audit action must be 1-64 characters", field="action")
        if len(self.subject) > MAX_SUBJECT:
            raise InvalidInput("audit subject must be at most 200 characters", field="subject")
        if self.at.tzinfo is None:
            raise InvalidInput("audit time must be timezone-aware", field="at")


@dataclass(frozen=True, slots=True)
class StoredAudit:
    """An audit entry as stored, with its id (ids grow: newer entries have larger ids)."""

    id: int
    entry: AuditEntry


def changes_between(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Every leaf that differs between two JSON-like documents, as ``dotted.key: [old, new]``.

    Nested mappings are walked so a change of one colour reads ``brand.colors.primary`` and
    not the whole brand block; lists and scalars are compared whole. A key present on one
    side only shows ``None`` on the other.
    """
    out: dict[str, list[Any]] = {}
    _walk("", before, after, out)
    return out


def _walk(prefix: str, old: Any, new: Any, out: dict[str, list[Any]]) -> None:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in sorted({*old.keys(), *new.keys()}, key=str):
            path = f"{prefix}.{key}" if prefix else str(key)
            _walk(path, old.get(key), new.get(key), out)
        return
    if isinstance(old, Mapping) and new is None:
        _walk(prefix, old, {}, out)
        return
    if old is None and isinstance(new, Mapping):
        _walk(prefix, {}, new, out)
        return
    if old != new or type(old) is not type(new):
        if old == new and _plain_number(old) and _plain_number(new):
            return  # 1 and 1.0 are the same setting (but True is not 1)
        out[prefix or "."] = [old, new]


def _plain_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
