"""A return label bought from the simulated carrier over HTTP, both backends: through the
carrier port, kept in the media store with its QR code, once per return."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from postpurchase.adapters.carriers.simulated.api import Faults, SimulatorState
from postpurchase.adapters.carriers.simulated.server import RunningSimulator, start_in_thread
from tests.integration.carriers.conftest import SIM_KEY, simulated_account
from tests.integration.returns.conftest import Shop


@pytest.fixture
def simulator(shop: Shop) -> Iterator[RunningSimulator]:
    state = SimulatorState(
        seed=7, api_keys=frozenset({SIM_KEY}),
        faults=Faults(latency_ms=2, latency_sigma=0.1, throttle_rate=0, error_rate=0),
        clock=shop.clock.now,
    )  # fmt: skip
    running = start_in_thread(state)
    yield running
    running.stop()


def test_a_bought_label_comes_with_its_document_and_qr_code(
    shop: Shop, other_shop: Shop, simulator: RunningSimulator
) -> None:
    simulated_account(shop.platform, shop.merchant_id, "ups", simulator.url)
    c = shop.client
    order = shop.delivered_order()
    body = {"lines": [{"order_line_id": order.lines[0].id, "quantity": 1, "reason": "too_small"}]}
    rid = c.post(f"/api/v1/orders/{order.id}/returns", json=body).json()["id"]
    buy = {"carrier": "ups", "service": "ground"}
    nowhere = c.post(f"/api/v1/returns/{rid}/label/buy", json=buy)
    assert nowhere.status_code == 409 and nowhere.json()["field"] == "return_to"
    policy = {"return_to": {"country": "US", "postal_code": "60601", "region": "IL"}}
    assert c.put("/api/v1/returns/policy", json=policy).status_code == 200
    r = c.post(f"/api/v1/returns/{rid}/label/buy", json=buy)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["status"] == "label_issued" and out["carrier"] == "ups" and out["tracking_number"]
    again = c.post(f"/api/v1/returns/{rid}/label/buy", json=buy).json()
    assert again["tracking_number"] == out["tracking_number"]  # once per return
    doc = c.get(f"/api/v1/returns/{rid}/label/document")
    assert doc.status_code == 200 and doc.content.startswith(b"%PDF")
    qr = c.get(f"/api/v1/returns/{rid}/label/qr")
    assert qr.status_code == 200 and qr.content.startswith(b"\x89PNG")
    assert other_shop.client.get(f"/api/v1/returns/{rid}/label/qr").status_code == 404
    no_account = c.post(f"/api/v1/returns/{rid}/label/buy", json={"carrier": "dhl"})
    assert no_account.status_code == 404 and no_account.json()["field"] == "carrier"
    # The shopper sees the QR code and the label on the return's page (by the order's token).
    page = c.get(f"/returns/o/{order.tracking_token}/r/{rid}")
    assert page.status_code == 200 and f"/r/{rid}/qr" in page.text, page.text
    shown = c.get(f"/returns/o/{order.tracking_token}/r/{rid}/qr")
    assert shown.status_code == 200 and shown.content == qr.content
    pdf = c.get(f"/returns/o/{order.tracking_token}/r/{rid}/label")
    assert pdf.status_code == 200 and pdf.content == doc.content
    other = shop.delivered_order()
    assert c.get(f"/returns/o/{other.tracking_token}/r/{rid}/qr").status_code == 404
    assert c.get(f"/returns/o/{order.tracking_token}/r/{rid}/passwd").status_code == 404
