"""The connected store's side of returns, under the tag ``returns``: whether each restocked
line was put back into the store's inventory (``/returns/{id}/store-stock``), which store
location our stock location codes are (``/returns/store-locations``), and which of the
store's return reason definitions our reason codes are sent as (``/returns/store-reasons``).
See docs/returns.md ("The store's inventory on restock") and ADR 0031."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field, StringConstraints

from postpurchase.bootstrap import store_reasons, store_stock
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.returns import StockAdjustment
from postpurchase.domain.storefronts import StorePlatform
from postpurchase.entrypoints.api.deps import ApiActorDep, MerchantDep, PlatformDep
from postpurchase.entrypoints.api.routes.returns import RETURN, ReturnId, returns_service
from postpurchase.service_layer.returns import ReasonsView

router = APIRouter(prefix="/api/v1", tags=["returns"])

Store = Literal["shopify"]
LOCATION_CODE = re.compile(r"^([A-Za-z0-9._-]{1,64}|\*)$")
SHOPIFY_LOCATION = re.compile(r"^([0-9]{1,20}|gid://shopify/Location/[0-9]{1,20})$")
Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
LocationCode = Annotated[str, StringConstraints(pattern=LOCATION_CODE.pattern)]
StoreLocation = Annotated[str, StringConstraints(pattern=SHOPIFY_LOCATION.pattern)]


class StockAdjustmentOut(BaseModel):
    line_id: str = Field(description="The order line restocked.")
    sku: str
    quantity: int
    location: str | None = Field(description="Our stock location code named at inspection.")
    platform: str | None
    status: str = Field(description="pending, done, failed or skipped.")
    owner: str = Field(
        description="Who restocks the line in the store: `adjustment` (ours, on the "
        "restock event) or `store_refund` (the store's refund or return processing)."
    )
    reason: str | None = Field(description="Why it was skipped or failed.")
    attempts: int
    store_reference: str | None = Field(description="The store's adjustment id, when done.")
    created_at: datetime
    settled_at: datetime | None


class StoreStockOut(BaseModel):
    return_id: str
    adjustments: list[StockAdjustmentOut]


def stock_out(a: StockAdjustment) -> StockAdjustmentOut:
    return StockAdjustmentOut(
        line_id=a.line_id, sku=a.sku, quantity=a.quantity, location=a.location,
        platform=a.platform, status=a.status.value, owner=a.owner.value, reason=a.reason,
        attempts=a.attempts, store_reference=a.store_reference, created_at=a.created_at,
        settled_at=a.settled_at,
    )  # fmt: skip


@router.get(RETURN + "/store-stock", response_model=StoreStockOut)
def return_store_stock(
    return_id: ReturnId, merchant: MerchantDep, platform: PlatformDep
) -> StoreStockOut:
    """Each restocked line of the return in the connected store's inventory: adjusted once
    (`done`), waiting (`pending`), refused by the store (`failed`, with its reason) or not
    adjusted by us (`skipped`: not connected, variant or location not in the store,
    WooCommerce, or restocked by the store's own refund). Empty until the return is put
    away (the adjustment runs from the outbox a few seconds later)."""
    ret = returns_service(platform).get(merchant.id, return_id)
    rows = store_stock(platform).for_return(merchant.id, ret.id)
    return StoreStockOut(return_id=ret.id, adjustments=[stock_out(a) for a in rows])


class StoreLocationsIn(BaseModel):
    platform: Store = "shopify"
    locations: dict[LocationCode, StoreLocation] = Field(
        max_length=200,
        description="Our stock location code (as given to `inspect`'s `location`) -> the "
        "store's location id (`905684977` or `gid://shopify/Location/905684977`); `*` is "
        "the location for a line restocked without a mapped code. Replaces the mapping.",
        json_schema_extra={"additionalProperties": False},  # only codes matching the pattern
    )


class StoreLocationsOut(BaseModel):
    platform: str
    locations: dict[str, str]


@router.get("/returns/store-locations", response_model=StoreLocationsOut)
def get_store_locations(
    merchant: MerchantDep, platform: PlatformDep, store: Store = "shopify"
) -> StoreLocationsOut:
    """Where a restocked line goes in the store's inventory, by our location code."""
    found = store_stock(platform).locations(merchant.id, StorePlatform(store))
    return StoreLocationsOut(platform=store, locations=found)


@router.put("/returns/store-locations", response_model=StoreLocationsOut)
def put_store_locations(
    body: StoreLocationsIn, merchant: MerchantDep, platform: PlatformDep, actor: ApiActorDep
) -> StoreLocationsOut:
    """Replace the mapping of our stock location codes to the store's locations (audited as
    `returns.store_locations`). A line whose code is not mapped, with no `*`, is skipped
    ("no store location mapped") and left to the store's refund to restock."""
    for code, value in body.locations.items():
        if not LOCATION_CODE.match(code):
            raise InvalidInput("a location code: letters, digits, . _ - (1-64), or *",
                               field=f"locations.{code[:64]}")  # fmt: skip
        if not SHOPIFY_LOCATION.match(value):
            raise InvalidInput("a Shopify location id (digits or its gid)",
                               field=f"locations.{code}")  # fmt: skip
    saved = store_stock(platform).set_locations(
        merchant.id, StorePlatform(body.platform), body.locations, actor
    )
    return StoreLocationsOut(platform=body.platform, locations=saved)


class ReasonDefinitionOut(BaseModel):
    id: str
    handle: str
    name: str
    deleted: bool


class MappedReasonOut(BaseModel):
    code: str = Field(description="A reason code of the active policy.")
    definition_id: str | None
    handle: str | None
    source: str = Field(
        description="`merchant` (chosen), `default` (by handle) or `none` (the legacy "
        "ReturnReason enum is sent)."
    )


class StoreReasonsOut(BaseModel):
    platform: str
    definitions: list[ReasonDefinitionOut]
    mapping: list[MappedReasonOut]


class StoreReasonsIn(BaseModel):
    platform: Store = "shopify"
    mapping: dict[Code, str | None] = Field(
        max_length=500,
        description="Our reason code -> a definition's id or handle (null: the default). "
        "Replaces the merchant's choices.",
        json_schema_extra={"additionalProperties": False},  # only reason-code-shaped keys
    )


def reasons_out(view: ReasonsView) -> StoreReasonsOut:
    return StoreReasonsOut(
        platform=view.platform,
        definitions=[
            ReasonDefinitionOut(id=d.id, handle=d.handle, name=d.name, deleted=d.deleted)
            for d in view.definitions
        ],
        mapping=[
            MappedReasonOut(
                code=m.code,
                source=m.source,
                definition_id=m.definition.id if m.definition else None,
                handle=m.definition.handle if m.definition else None,
            )
            for m in view.mapped
        ],
    )


@router.get("/returns/store-reasons", response_model=StoreReasonsOut)
def get_store_reasons(
    merchant: MerchantDep, platform: PlatformDep, store: Store = "shopify"
) -> StoreReasonsOut:
    """The store's return reason definitions as last read, and the one each of our reason
    codes is sent as in `returnCreate`."""
    return reasons_out(store_reasons(platform).view(merchant.id, StorePlatform(store)))


@router.post("/returns/store-reasons/refresh", response_model=StoreReasonsOut)
def refresh_store_reasons(
    merchant: MerchantDep, platform: PlatformDep, actor: ApiActorDep, store: Store = "shopify"
) -> StoreReasonsOut:
    """Read the store's return reason definitions again (Shopify `returnReasonDefinitions`).
    404 naming `store` without a connected store; 409 naming `store` when the configured
    Admin API version predates definitions (2026-01)."""
    view = store_reasons(platform).refresh(merchant.id, StorePlatform(store), actor)
    return reasons_out(view)


@router.put("/returns/store-reasons", response_model=StoreReasonsOut)
def put_store_reasons(
    body: StoreReasonsIn, merchant: MerchantDep, platform: PlatformDep, actor: ApiActorDep
) -> StoreReasonsOut:
    """Map our reason codes to the store's definitions. 422 naming `mapping.<code>` for a
    code the active policy does not have or a definition the store did not list."""
    view = store_reasons(platform).choose(
        merchant.id, StorePlatform(body.platform), body.mapping, actor
    )
    return reasons_out(view)
