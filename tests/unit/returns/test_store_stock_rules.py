"""Pure rules of the store-side restock and reasons: who may still restock a line in the
store, the keys the store sees, and how our reason codes map to Shopify's definitions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from postpurchase.domain.returns import (
    ReasonDefinition,
    StockAdjustment,
    StockOwner,
    StockReason,
    StockStatus,
    idempotency_key,
    legacy_reason,
    map_reason,
    reference_uri,
    uses_definitions,
)

AT = datetime(2026, 12, 7, tzinfo=UTC)


def _row(status: StockStatus, owner: StockOwner, reason: str | None = None) -> StockAdjustment:
    return StockAdjustment("m", "r", "l", "restock", "SKU", 1, None, "shopify", status, owner,
                           AT, reason=reason)  # fmt: skip


@pytest.mark.parametrize(
    ("status", "owner", "reason", "refund_may", "adjusted"),
    [
        (StockStatus.PENDING, StockOwner.ADJUSTMENT, None, False, True),
        (StockStatus.DONE, StockOwner.ADJUSTMENT, None, False, True),
        (StockStatus.SKIPPED, StockOwner.ADJUSTMENT, StockReason.NO_LOCATION, True, False),
        (StockStatus.FAILED, StockOwner.ADJUSTMENT, "Shopify: location gone", True, False),
        (StockStatus.FAILED, StockOwner.ADJUSTMENT,
         StockReason.UNKNOWN_OUTCOME.format(uri="x"), False, False),
        (StockStatus.SKIPPED, StockOwner.STORE_REFUND, StockReason.OWNED_BY_REFUND, False, False),
    ],
)  # fmt: skip
def test_the_refund_may_restock_only_a_line_our_adjustment_surely_left_alone(
    status: StockStatus, owner: StockOwner, reason: str | None, refund_may: bool, adjusted: bool
) -> None:
    row = _row(status, owner, reason)
    assert row.store_may_restock is refund_may
    assert row.adjusted_or_may_have is adjusted


def test_keys_name_the_line_and_the_return() -> None:
    assert idempotency_key("r1", "l1") == "postpurchase-restock-r1-l1"
    assert idempotency_key("r1", "l1") != idempotency_key("r1", "l2")
    assert reference_uri("r1") == "gid://postpurchase/Return/r1"


DEFS = {
    d.id: d
    for d in (
        ReasonDefinition("gid://1", "too-small", "Too small"),
        ReasonDefinition("gid://2", "defective", "Defective"),
        ReasonDefinition("gid://3", "changed-mind", "Changed mind", deleted=True),
        ReasonDefinition("gid://4", "other", "Other"),
    )
}


def test_a_code_maps_to_the_merchant_s_choice_else_its_default_handle_else_other() -> None:
    assert map_reason("too_small", DEFS, {}).definition == DEFS["gid://1"]
    assert map_reason("damaged", DEFS, {}).source == "default"
    assert map_reason("damaged", DEFS, {}).definition == DEFS["gid://2"]
    assert map_reason("changed_mind", DEFS, {}).definition == DEFS["gid://4"]  # deleted: not
    chosen = map_reason("changed_mind", DEFS, {"changed_mind": "gid://3"})
    assert (chosen.definition, chosen.source) == (DEFS["gid://3"], "merchant")
    assert map_reason("too_small", DEFS, {"too_small": "gid://gone"}).source == "default"
    assert map_reason("anything", {}, {}).source == "none"


def test_definitions_arrive_with_2026_01_and_the_legacy_enum_before() -> None:
    assert not uses_definitions("2025-10") and uses_definitions("2026-01")
    assert uses_definitions("unstable")
    assert legacy_reason("too_small") == "SIZE_TOO_SMALL"
    assert legacy_reason("wrong_item") == "WRONG_ITEM"
    assert legacy_reason("mine") == "OTHER"
