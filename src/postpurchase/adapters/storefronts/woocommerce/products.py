"""WooCommerce products (``product.*`` webhooks and ``GET /products``) as the catalogue's
``Product``, on the same rows Shopify's products use (keyed by platform and the store's id).

* A simple, external or grouped product is one variant (the product itself: its SKU,
  price, stock). A variable product's variants are its variations: a REST backfill reads
  them (``GET /products/{id}/variations``: SKU, price, attributes, stock); a webhook body
  names only their ids, so a webhook keeps one variant per id without SKU or price until the
  next backfill fills them in.
* Prices are decimal strings in the shop's currency (recorded at connect; a product names
  none). Status: ``publish`` is active, ``draft``/``pending``/``private`` draft.
* Stock: ``backorders`` ``no`` is "not sold out of stock" (``deny``), ``notify``/``yes``
  ``continue``; the quantity when the product manages stock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from postpurchase.adapters.storefronts.woocommerce.read import gmt, objects, text, woo_id
from postpurchase.adapters.storefronts.woocommerce.topics import SOURCE
from postpurchase.domain.money import parse_amount
from postpurchase.domain.storefronts.catalogue import Product, Variant

_STATUS = {"publish": "active", "draft": "draft", "pending": "draft", "private": "draft"}


def _price(data: Mapping[str, Any], field: str) -> Any:
    value = data.get("price")
    if value in (None, ""):
        return None
    return parse_amount(value, field=field)


def _image(data: Mapping[str, Any]) -> str | None:
    image = data.get("image")
    if isinstance(image, Mapping) and isinstance(image.get("src"), str) and image["src"]:
        return str(image["src"])
    images = data.get("images")
    if isinstance(images, list) and images and isinstance(images[0], Mapping):
        src = images[0].get("src")
        return src if isinstance(src, str) and src else None
    return None


def _stock(data: Mapping[str, Any]) -> dict[str, Any]:
    backorders = data.get("backorders")
    policy = None
    if backorders == "no":
        policy = "deny"
    elif backorders in ("notify", "yes"):
        policy = "continue"
    quantity = data.get("stock_quantity")
    managed = data.get("manage_stock") is True
    return {
        "inventory_policy": policy,
        "inventory_quantity": quantity if managed and type(quantity) is int else None,
    }


def _variation(item: Mapping[str, Any], position: int, where: str) -> Variant:
    options = [
        str(a["option"])
        for _, a in objects(item, "attributes", f"{where}.attributes")
        if isinstance(a.get("option"), str | int) and a.get("option") != ""
    ]
    sku = text(item, "sku", f"{where}.sku")
    return Variant(
        external_id=woo_id(item.get("id"), f"{where}.id"),
        title=" / ".join(options) or sku or f"#{item.get('id')}",
        position=position,
        sku=sku,
        price_amount=_price(item, f"{where}.price"),
        image_url=_image(item),
        **_stock(item),
    )


def parse_product(
    product: Mapping[str, Any], variations: Sequence[Mapping[str, Any]] | None = None
) -> Product:
    """A product; ``variations`` are a variable product's variation objects when read."""
    product_id = woo_id(product.get("id"), "id")
    title = text(product, "name", "name") or ""
    kind = text(product, "type", "type") or "simple"
    if kind != "variable":
        variants: tuple[Variant, ...] = (
            Variant(
                external_id=product_id, title=title or "Default", sku=text(product, "sku", "sku"),
                price_amount=_price(product, "price"), image_url=_image(product),
                **_stock(product),
            ),
        )  # fmt: skip
    elif variations is not None:
        variants = tuple(_variation(v, i + 1, f"variations[{i}]") for i, v in enumerate(variations))
    else:  # a webhook body: the variations' ids (or, from some plugins, the objects)
        given = product.get("variations")
        variants = tuple(
            _variation(v, i + 1, f"variations[{i}]")
            if isinstance(v, Mapping)
            else Variant(external_id=woo_id(v, f"variations[{i}]"), title=f"#{v}", position=i + 1)
            for i, v in enumerate(given if isinstance(given, list) else [])
        )
    status = text(product, "status", "status")
    return Product(
        platform=SOURCE,
        external_id=product_id,
        title=title,
        variants=variants,
        handle=text(product, "slug", "slug"),
        status=_STATUS.get(status or "", status),
        product_type=kind,
        image_url=_image(product),
        tags=tuple(
            name for _, tag in objects(product, "tags", "tags") if (name := text(tag, "name"))
        ),
        collections=tuple(
            slug
            for _, cat in objects(product, "categories", "categories")
            if (slug := text(cat, "slug"))
        ),
        source_updated_at=gmt(product, "date_modified_gmt"),
    )
