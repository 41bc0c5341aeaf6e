"""A shopper's click on a recommended product, over HTTP against a real server process: the
tracking page links to ``/r/<signed>``, which counts the click and redirects to the product
in the merchant's store, and refuses anything it did not sign (no open redirect)."""

from __future__ import annotations

import re
from decimal import Decimal

from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain.money import Money
from postpurchase.domain.orders import OrderLineInput
from postpurchase.domain.storefronts.catalogue import Product, Variant
from tests.e2e.conftest import Tenant
from tests.factories import place_order


def test_a_click_is_counted_and_redirected_to_the_store(make_tenant, engine) -> None:  # type: ignore[no-untyped-def]
    tenant: Tenant = make_tenant()
    platform = bootstrap(Settings(database_url=tenant.server.db_url), engine=engine)
    mid = tenant.merchant.id
    with platform.uow() as uow:
        for pid, sku, title in (("1", "CUP", "Espresso cup"), ("2", "SAUCER", "Saucer")):
            variant = Variant(f"v{pid}", title, sku=sku, price_amount=Decimal("8"), currency="EUR")
            uow.catalogue.upsert(
                mid, Product("shopify", pid, title, (variant,), handle=sku.lower(),
                             collections=("kitchen",)), platform.clock.now(),
            )  # fmt: skip
        uow.commit()
    cup = OrderLineInput("CUP", "Espresso cup", 1, Money(Decimal("8"), "EUR"))
    order = platform.bus().handle(place_order(mid, currency="EUR", lines=(cup,)))
    with platform.uow() as uow:
        token = uow.orders.get(mid, order.id).tracking_token
    with tenant.server.client(tenant.key) as api:
        r = api.put(
            "/api/v1/recommendations/settings",
            json={"enabled": True, "strategies": ["same_collection"],
                  "store_url": "https://cafe.example"},
        )  # fmt: skip
        assert r.status_code == 200, r.text
        page = api.get(f"/t/{token}")
        assert page.status_code == 200
        [link] = re.findall(r'href="(/r/[^"]+)"', page.text)
        assert "Saucer" in page.text
        hop = api.get(link, follow_redirects=False)
        assert hop.status_code == 302
        assert hop.headers["location"] == "https://cafe.example/products/saucer"
        assert hop.headers["referrer-policy"] == "no-referrer"
        forged = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
        assert api.get(forged, follow_redirects=False).status_code == 404
        evil = api.get("/r/https%3A%2F%2Fevil.example", follow_redirects=False)
        assert evil.status_code == 404 and "location" not in evil.headers
        kpi = api.get("/api/v1/kpis/recommendations").json()
        assert kpi["clicks"] == 1
