"""Shopify products and variants: from the Admin GraphQL API (backfill) and from the
``products/create|update|delete`` webhooks (the REST Product), as catalogue commands.

Prices carry the shop's currency (a product has none of its own): the GraphQL page reads
``shop { currencyCode }``; a webhook uses the currency the connection recorded. The REST
payload names no collections, so a webhook keeps the collections the last backfill found.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from postpurchase.adapters.storefronts.json_fields import Payload, objects, text
from postpurchase.adapters.storefronts.shopify.read import shopify_id, timestamp, unwrap
from postpurchase.adapters.storefronts.shopify.topics import SOURCE
from postpurchase.domain.money import parse_amount
from postpurchase.domain.storefronts.catalogue import Product, Variant
from postpurchase.domain.storefronts.commands import RemoveProduct, SyncProduct

PRODUCTS_QUERY = """
query BackfillProducts($first: Int!, $after: String) {
  shop { currencyCode }
  products(first: $first, after: $after, sortKey: ID) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id legacyResourceId title handle status vendor productType tags updatedAt
      featuredMedia { preview { image { url } } }
      collections(first: 20) { nodes { handle } }
      variants(first: 100) { nodes {
        id legacyResourceId title sku price position inventoryPolicy inventoryQuantity
        media(first: 1) { nodes { preview { image { url } } } }
      } }
    }
  }
}
"""


def _price(value: object, currency: str | None, field: str) -> dict[str, Any]:
    """``price_amount`` and ``currency`` of a variant (a MoneyV2 names its own currency)."""
    if value is None:
        return {"price_amount": None, "currency": None}
    if isinstance(value, Mapping):
        amount = parse_amount(value.get("amount"), field=f"{field}.amount")
        code = value.get("currencyCode") or currency
        return {"price_amount": amount, "currency": str(code) if code else None}
    return {"price_amount": parse_amount(value, field=field), "currency": currency}


def _nodes(value: object) -> list[Mapping[str, Any]]:
    data = value if isinstance(value, Mapping) else {}
    nodes = data.get("nodes")
    return [n for n in nodes if isinstance(n, Mapping)] if isinstance(nodes, list) else []


def _image(media: object) -> str | None:
    """``preview.image.url`` of a Media (``featuredMedia``, a variant's first media)."""
    preview = media.get("preview") if isinstance(media, Mapping) else None
    image = preview.get("image") if isinstance(preview, Mapping) else None
    url = image.get("url") if isinstance(image, Mapping) else None
    return url if isinstance(url, str) and url else None


def _quantity(value: object) -> int | None:
    return value if type(value) is int else None


def _tags(raw: object) -> tuple[str, ...]:
    parts = raw.split(",") if isinstance(raw, str) else raw if isinstance(raw, list) else []
    return tuple(dict.fromkeys(str(p).strip() for p in parts if str(p).strip()))


def product_from_graphql(node: Mapping[str, Any], currency: str | None) -> Product:
    external = shopify_id(node.get("legacyResourceId") or node.get("id"), "id", "Product")
    variants = []
    for i, v in enumerate(_nodes(node.get("variants"))):
        where = f"variants[{i}]"
        media = _nodes(v.get("media"))
        variants.append(
            Variant(
                external_id=shopify_id(
                    v.get("legacyResourceId") or v.get("id"), f"{where}.id", "ProductVariant"
                ),
                title=text(v, "title", f"{where}.title") or "Default Title",
                position=_quantity(v.get("position")) or i + 1,
                gid=v.get("id") if isinstance(v.get("id"), str) else None,
                sku=text(v, "sku", f"{where}.sku"),
                **_price(v.get("price"), currency, f"{where}.price"),
                image_url=_image(media[0]) if media else None,
                inventory_policy=(text(v, "inventoryPolicy") or "").lower() or None,
                inventory_quantity=_quantity(v.get("inventoryQuantity")),
            )
        )
    return Product(
        platform=SOURCE,
        external_id=external,
        title=text(node, "title") or "",
        variants=tuple(variants),
        gid=node.get("id") if isinstance(node.get("id"), str) else None,
        handle=text(node, "handle"),
        status=(text(node, "status") or "").lower() or None,
        vendor=text(node, "vendor"),
        product_type=text(node, "productType"),
        image_url=_image(node.get("featuredMedia")),
        tags=_tags(node.get("tags")),
        collections=tuple(
            h for c in _nodes(node.get("collections")) if (h := text(c, "handle")) is not None
        ),
        source_updated_at=timestamp(node, "updatedAt", "updatedAt"),
    )


def product_from_webhook(payload: Payload, currency: str | None) -> Product:
    """A REST Product (``products/create``, ``products/update``)."""
    body = unwrap(payload, "product")
    external = shopify_id(body.get("id"), "id", "Product")
    images = {
        img.get("id"): img.get("src")
        for _, img in objects(body, "images", "images")
        if img.get("id") is not None
    }
    variants = []
    for where, v in objects(body, "variants", "variants"):
        variants.append(
            Variant(
                external_id=shopify_id(v.get("id"), f"{where}.id", "ProductVariant"),
                title=text(v, "title", f"{where}.title") or "Default Title",
                position=_quantity(v.get("position")) or 1,
                gid=text(v, "admin_graphql_api_id", f"{where}.admin_graphql_api_id"),
                sku=text(v, "sku", f"{where}.sku"),
                **_price(v.get("price"), currency, f"{where}.price"),
                image_url=images.get(v.get("image_id")),
                inventory_policy=text(v, "inventory_policy", f"{where}.inventory_policy"),
                inventory_quantity=_quantity(v.get("inventory_quantity")),
            )
        )
    image = body.get("image")
    return Product(
        platform=SOURCE,
        external_id=external,
        title=text(body, "title") or "",
        variants=tuple(variants),
        gid=text(body, "admin_graphql_api_id"),
        handle=text(body, "handle"),
        status=text(body, "status"),
        vendor=text(body, "vendor"),
        product_type=text(body, "product_type"),
        image_url=image.get("src") if isinstance(image, Mapping) else None,
        tags=_tags(body.get("tags")),
        collections=None,
        source_updated_at=timestamp(body, "updated_at", "updated_at"),
    )


def parse_product_webhook(
    topic: str, payload: Payload, *, merchant_id: str, currency: str | None, at: datetime | None
) -> SyncProduct | RemoveProduct:
    if topic == "products/delete":
        body = unwrap(payload, "product")
        return RemoveProduct(merchant_id, SOURCE, shopify_id(body.get("id"), "id", "Product"), at)
    return SyncProduct(merchant_id, product_from_webhook(payload, currency))
