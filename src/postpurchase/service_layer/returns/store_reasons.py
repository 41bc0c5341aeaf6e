"""Our reason codes mapped to the connected store's return reason definitions (Shopify,
Admin API 2026-01 and later; domain.returns.store_reasons says how a code is mapped).

The shop's definitions are read from the store on demand (``refresh``: outside any
transaction, then stored in ``store_mappings``), never on the way to ``returnCreate``: the
exchange sends what was stored. The merchant's choices (code -> definition) are stored
beside them; a code left unmapped takes its default handle.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from postpurchase.domain.errors import Conflict, InvalidInput, NotFound
from postpurchase.domain.returns import MappedReason, ReasonDefinition, ReturnPolicy, map_reason
from postpurchase.domain.storefronts import StoreConnection, StorePlatform
from postpurchase.service_layer.audit import record_change
from postpurchase.service_layer.returns.store_stock import Labelled, StockUnitOfWork

REASON = "reason"
DEFINITION = "reason_definition"
SUBJECT = "returns.store_reasons"


class StoreReasonsPort(Protocol):
    @property
    def definitions_supported(self) -> bool: ...
    def definitions(self, connection: StoreConnection) -> list[ReasonDefinition]: ...


ReasonPorts = Callable[[StorePlatform], AbstractContextManager[StoreReasonsPort] | None]


@dataclass(frozen=True, slots=True)
class ReasonsView:
    platform: str
    definitions: list[ReasonDefinition]
    mapped: list[MappedReason]  # one per reason code of the active policy


def _definitions(
    uow: StockUnitOfWork, merchant_id: str, platform: str
) -> dict[str, ReasonDefinition]:
    rows = uow.mappings.labelled(merchant_id, platform, DEFINITION)
    return {i: ReasonDefinition(i, handle, label or "", deleted)
            for i, handle, label, deleted in rows}  # fmt: skip


class StoreReasons:
    def __init__(
        self,
        uow: Callable[[], StockUnitOfWork],
        now: Callable[[], datetime],
        ports: ReasonPorts,
        policy: Callable[[str], ReturnPolicy],
    ) -> None:
        self._uow = uow
        self._now = now
        self._ports = ports
        self._policy = policy

    def view(self, merchant_id: str, platform: StorePlatform) -> ReasonsView:
        codes = [r.code for r in self._policy(merchant_id).leaf_reasons()]
        with self._uow() as uow:
            defs = _definitions(uow, merchant_id, platform.value)
            chosen = uow.mappings.get(merchant_id, platform.value, REASON)
        mapped = [map_reason(code, defs, chosen) for code in codes]
        return ReasonsView(platform.value, sorted(defs.values(), key=lambda d: d.handle), mapped)

    def definition_ids(self, merchant_id: str, platform: StorePlatform) -> dict[str, str]:
        """Each reason code of the active policy -> the definition id it is sent as."""
        view = self.view(merchant_id, platform)
        return {m.code: m.definition.id for m in view.mapped if m.definition is not None}

    def refresh(self, merchant_id: str, platform: StorePlatform, actor: str) -> ReasonsView:
        with self._uow() as uow:
            connection = uow.connections.get(merchant_id, platform)
        if connection is None or not connection.active:
            raise NotFound(f"no connected {platform.value} store", field="store")
        opener = self._ports(platform)
        if opener is None:
            raise Conflict(f"{platform.value} has no return reason definitions", field="store")
        with opener as port:
            if not port.definitions_supported:
                raise Conflict(
                    "the configured Shopify Admin API version predates return reason "
                    "definitions (2026-01); the legacy ReturnReason enum is sent",
                    field="store",
                )
            found = port.definitions(connection)  # network: no transaction open
        with self._uow() as uow:
            before = {
                d.id: d.handle for d in _definitions(uow, merchant_id, platform.value).values()
            }
            rows: list[Labelled] = [(d.id, d.handle, d.name[:255], d.deleted) for d in found]
            uow.mappings.put_labelled(merchant_id, platform.value, DEFINITION, rows, self._now())
            record_change(
                uow, merchant_id, actor=actor, action="returns.store_reasons.refresh",
                subject=SUBJECT, before={"definitions": sorted(before.values())},
                after={"definitions": sorted(d.handle for d in found)}, always=True,
            )  # fmt: skip
            uow.commit()
        return self.view(merchant_id, platform)

    def choose(
        self,
        merchant_id: str,
        platform: StorePlatform,
        mapping: Mapping[str, str | None],
        actor: str,
    ) -> ReasonsView:
        """Replace the merchant's choices: code -> a definition's id or handle (None: the
        default). A code the policy does not have, or a definition the store did not
        list, is a 422 naming ``mapping.<code>``."""
        codes = {r.code for r in self._policy(merchant_id).leaf_reasons()}
        with self._uow() as uow:
            defs = _definitions(uow, merchant_id, platform.value)
            by_handle = {d.handle: d for d in defs.values()}
            chosen: dict[str, str] = {}
            for code, wanted in mapping.items():
                if code not in codes:
                    raise InvalidInput("not a reason code of the active policy",
                                       field=f"mapping.{code}")  # fmt: skip
                if wanted is None:
                    continue
                found = defs.get(wanted) or by_handle.get(wanted)
                if found is None:
                    raise InvalidInput(
                        "not a return reason definition of the store (refresh them first)",
                        field=f"mapping.{code}",
                    )
                chosen[code] = found.id
            before = uow.mappings.get(merchant_id, platform.value, REASON)
            uow.mappings.put(merchant_id, platform.value, REASON, chosen, self._now())
            record_change(
                uow, merchant_id, actor=actor, action="returns.store_reasons.map",
                subject=SUBJECT, before={"mapping": before}, after={"mapping": chosen},
            )  # fmt: skip
            uow.commit()
        return self.view(merchant_id, platform)
