"""Checkout estimates over HTTP against a real server process: a merchant sets its
storefront up through the API, and a storefront origin asks the way a browser does
(preflight, then the GET with ``Origin``); another origin gets no CORS headers."""

from __future__ import annotations

from tests.e2e.conftest import Tenant

PATH = "/api/v1/estimates/checkout"
SHOP = "https://store.example.com"
PREFLIGHT = {"Access-Control-Request-Method": "GET",
             "Access-Control-Request-Headers": "authorization"}  # fmt: skip


def storefront(make_tenant) -> tuple[Tenant, str]:  # type: ignore[no-untyped-def]
    tenant: Tenant = make_tenant()
    with tenant.server.client(tenant.key) as api:
        r = api.patch("/api/v1/merchant/checkout-settings", json={
            "cutoff": "13:00", "timezone": "America/Chicago", "handling_days": 1,
            "ship_from_country": "US", "ship_from_postal_code": "60607",
            "storefront_origins": [SHOP],
        })  # fmt: skip
        assert r.status_code == 200, r.text
        r = api.post("/api/v1/merchant/publishable-keys", json={"label": "theme"})
        assert r.status_code == 201, r.text
        return tenant, r.json()["key"]


def test_preflight_and_estimate_from_the_storefront(make_tenant) -> None:  # type: ignore[no-untyped-def]
    tenant, pk = storefront(make_tenant)
    with tenant.server.client() as browser:
        pre = browser.options(PATH, headers={**PREFLIGHT, "Origin": SHOP})
        assert pre.status_code == 204
        assert pre.headers["access-control-allow-origin"] == SHOP
        assert pre.headers["access-control-allow-methods"] == "GET"
        r = browser.get(
            PATH,
            params={"country": "US", "postal_code": "94103", "method": "FedEx 2 Day",
                    "items": "MUG-12-SAND:2", "locale": "es-MX", "tz": "America/Los_Angeles"},
            headers={"Origin": SHOP, "Authorization": f"Bearer {pk}"},
        )  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    assert r.headers["access-control-allow-origin"] == SHOP
    assert r.headers["cache-control"].startswith("public, max-age=")
    assert 0 <= int(r.headers["cache-control"].rsplit("=", 1)[1]) <= 60
    assert body["layer"] == "rules" and body["service_level"] == "express"
    assert body["time_zone"] == "America/Los_Angeles" and body["locale"] == "es-MX"
    assert body["text"]["countdown"].startswith("Haz tu pedido en ")
    assert body["dates"]["p50"] <= body["dates"]["promise"]
    assert body["cutoff_at"].endswith("Z") and body["seconds_left"] >= 0


def test_another_origin_gets_no_cors_headers(make_tenant) -> None:  # type: ignore[no-untyped-def]
    tenant, pk = storefront(make_tenant)
    with tenant.server.client() as browser:
        pre = browser.options(PATH, headers={**PREFLIGHT, "Origin": "https://evil.example"})
        assert pre.status_code == 204
        assert not any(h.startswith("access-control-") for h in pre.headers)
        r = browser.get(PATH, params={"country": "US", "method": "standard", "key": pk},
                        headers={"Origin": "https://evil.example"})  # fmt: skip
        assert r.status_code == 200
        assert "access-control-allow-origin" not in r.headers
        # And a publishable key opens nothing else.
        orders = browser.get("/api/v1/orders", headers={"Authorization": f"Bearer {pk}"})
        assert orders.status_code == 403
