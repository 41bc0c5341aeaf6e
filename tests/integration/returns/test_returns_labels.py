"""A return label bought from the simulated carrier over HTTP, both backends: through the
carrier port, kept in the media store with its QR code, once per return."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

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
    # What the carrier charged is kept on the return (keep-it advice measures it).
    assert out["label_cost"]["currency"] == "USD" and Decimal(out["label_cost"]["amount"]) > 0
    assert c.get(f"/api/v1/returns/{rid}").json()["label_cost"] == out["label_cost"]
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


def test_keep_it_advice_measures_the_label_from_the_labels_bought(
    shop: Shop, simulator: RunningSimulator
) -> None:
    """Three graded returns that came back on bought labels: the advice's label figure is
    the average of what the carrier charged, not the policy's hand-set 6."""
    simulated_account(shop.platform, shop.merchant_id, "ups", simulator.url)
    c = shop.client
    policy = {
        "return_to": {"country": "US", "postal_code": "60601", "region": "IL"},
        "keep_it": {"default": {"label": "6", "handling": "3", "resale_rate": "0.9"}},
    }
    assert c.put("/api/v1/returns/policy", json=policy).status_code == 200
    charged = []
    for _ in range(3):
        order = shop.delivered_order()
        line = order.lines[0].id
        body = {"lines": [{"order_line_id": line, "quantity": 1, "reason": "too_small"}]}
        rid = c.post(f"/api/v1/orders/{order.id}/returns", json=body).json()["id"]
        bought = c.post(f"/api/v1/returns/{rid}/label/buy", json={"carrier": "ups"})
        assert bought.status_code == 200, bought.text
        charged.append(Decimal(bought.json()["label_cost"]["amount"]))
        assert c.post(f"/api/v1/returns/{rid}/receive").status_code == 200
        inspect = {"lines": [{"order_line_id": line, "grade": "resellable"}]}
        assert c.post(f"/api/v1/returns/{rid}/inspect", json=inspect).status_code == 200
    (mug,) = c.get("/api/v1/returns/keep-it/advice").json()
    assert mug["label_measured"] is True and mug["label_units"] == 3
    expected = (sum(charged) / 3).quantize(Decimal("0.01"))
    assert Decimal(mug["costs"]["label"]) == expected
    assert mug["costs"]["handling"] == "3"
