"""The notification engine's personaliser on a real database: the e-mail's products are the
merchant's recommendations for the order, each behind a signed link the redirect accepts,
and the remedy rule is the merchant's own (both backends, tenants apart)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import event

from postpurchase.adapters.notifications.personalise import EnginePersonaliser
from postpurchase.domain.recommendations import Placement, verify
from postpurchase.service_layer.recommendations import LINK_PURPOSE
from tests.integration.storefront_extras.conftest import Shop


def test_products_and_rule_for_a_message(shop: Shop, other_shop: Shop) -> None:
    shop.sync_catalogue()
    shop.client.put(
        "/api/v1/recommendations/settings",
        json={"enabled": True, "strategies": ["same_collection"], "placements": ["email"],
              "max_items": 2},
    )  # fmt: skip
    shop.client.put("/api/v1/remedies/settings", json={"enabled": True, "kind": "store_credit"})
    created = shop.order("BOOT-42")
    with shop.platform.uow() as uow:
        order = uow.orders.get(shop.merchant_id, created.id)
    keys = shop.platform.keyring.derive(LINK_PURPOSE)
    personal = EnginePersonaliser(shop.platform.engine, "https://track.example", keys)
    got = personal(shop.merchant_id, order, "shipped", shop.clock.now())
    assert [p.title for p in got.products] == ["Waxed laces"]  # the wax is sold out
    assert got.remedy_rule is not None and got.remedy_rule.kind.value == "store_credit"
    [link] = got.products
    parts = urlsplit(link.url)
    assert parts.netloc == "track.example" and parts.path.startswith("/r/")
    click = verify(keys, parts.path[3:])
    assert (click.merchant_id, click.order_id, click.placement) == (
        shop.merchant_id, order.id, Placement.EMAIL,
    )  # fmt: skip
    assert shop.client.get(parts.path, follow_redirects=False).status_code == 302
    # The page placement is off for this merchant; another merchant has nothing on.
    page = shop.client.get(f"/api/v1/orders/{order.id}/recommendations?placement=page")
    assert page.json() == []
    theirs = personal(other_shop.merchant_id, order, "shipped", shop.clock.now())
    assert theirs.products == () and theirs.remedy_rule is not None
    assert not theirs.remedy_rule.enabled


def test_a_planning_run_reads_each_merchants_rules_once(shop: Shop, other_shop: Shop) -> None:
    """Inside ``batch()`` (one planning run) the rules are read once per merchant and give
    the same answer as outside it; outside, every message reads them; a rule changed
    between runs is seen by the next run."""
    shop.client.put("/api/v1/remedies/settings", json={"enabled": True})
    created = [shop.order("BOOT-42") for _ in range(3)]
    with shop.platform.uow() as uow:
        found = [uow.orders.get(shop.merchant_id, o.id) for o in created]
    orders = [o for o in found if o is not None]
    keys = shop.platform.keyring.derive(LINK_PURPOSE)
    personal = EnginePersonaliser(shop.platform.engine, "https://track.example", keys)
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine, now = shop.platform.engine, shop.clock.now()
    event.listen(engine, "before_cursor_execute", count)
    try:
        alone = [personal(shop.merchant_id, o, "delivered", now) for o in orders]
        read_alone = len(statements)
        statements.clear()
        with personal.batch():
            batched = [personal(shop.merchant_id, o, "delivered", now) for o in orders]
            theirs = personal(other_shop.merchant_id, orders[0], "delivered", now)
        read_batched = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert batched == alone and all(p.remedy_rule and p.remedy_rule.enabled for p in alone)
    assert theirs.remedy_rule is not None and not theirs.remedy_rule.enabled
    # each read of the rules (a connection, the two rules) once per order alone, once per
    # merchant in a run
    assert read_alone >= 6 and read_batched == 2 * (read_alone // 3)
    shop.client.put("/api/v1/remedies/settings", json={"enabled": False})
    with personal.batch():
        later = personal(shop.merchant_id, orders[0], "delivered", now)
    assert later.remedy_rule is not None and not later.remedy_rule.enabled
