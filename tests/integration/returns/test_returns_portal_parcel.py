"""The shopper's parcel from the portal's status page, both backends: the label bought from
the policy's carrier account (once), its PDF and QR code; the shopper's own tracking number
(validated like the merchant's, rate-limited, idempotent) becoming the return leg; audited as
``shopper:portal``; nothing changes on a bad or forged form."""

from __future__ import annotations

import re
from typing import Any

from postpurchase.adapters.carriers.simulated.server import RunningSimulator
from postpurchase.adapters.outbox import drain
from tests.factories import ups_number
from tests.integration.carriers.conftest import simulated_account
from tests.integration.returns.conftest import Shop
from tests.integration.returns.test_returns_labels import simulator as simulator  # fixture

RETURN_TO = {"country": "US", "postal_code": "60601", "region": "IL"}


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def _approved(shop: Shop) -> tuple[Any, str, str]:
    """A delivered order, its approved return, and the return's page in the portal."""
    order = shop.delivered_order()
    body = {"lines": [{"order_line_id": order.lines[0].id, "quantity": 1, "reason": "too_small"}]}
    r = shop.client.post(f"/api/v1/orders/{order.id}/returns", json=body)
    assert r.status_code == 201 and r.json()["status"] == "approved", r.text
    rid = r.json()["id"]
    return order, rid, f"/returns/o/{order.tracking_token}/r/{rid}"


def _audit(shop: Shop, rid: str) -> list[tuple[str, str]]:
    got = shop.client.get("/api/v1/audit", params={"subject": f"return:{rid}", "limit": 100})
    return [(e["action"], e["actor"]) for e in reversed(got.json()["items"])]


def test_the_shopper_records_their_own_tracking_number_once(shop: Shop) -> None:
    c = shop.client
    _, rid, url = _approved(shop)
    page = c.get(url)
    assert page.status_code == 200
    assert f'action="{url}/tracking"' in page.text and "Sending it yourself?" in page.text
    assert f'action="{url}/label"' not in page.text  # the policy names no carrier account
    token = _csrf(page.text)

    forged = c.post(f"{url}/tracking", data={"csrf": "x" * 30, "tracking_number": "1Z999"})
    assert forged.status_code == 403
    bad = c.post(f"{url}/tracking", data={"csrf": token, "tracking_number": "1Z\t99"})
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text
    assert "one line (up to 64 characters)" in bad.text
    long_carrier = c.post(
        f"{url}/tracking", data={"csrf": token, "carrier": "u" * 65, "tracking_number": "1Z9"}
    )
    assert long_carrier.status_code == 422 and "carrier" in long_carrier.text
    assert c.get(f"/api/v1/returns/{rid}").json()["status"] == "approved"  # nothing changed

    number = ups_number()
    sent = c.post(
        f"{url}/tracking", data={"csrf": token, "carrier": "ups", "tracking_number": f" {number} "},
        follow_redirects=False,
    )  # fmt: skip
    assert sent.status_code == 303 and sent.headers["location"] == url
    got = c.get(f"/api/v1/returns/{rid}").json()
    assert (got["status"], got["carrier"], got["tracking_number"]) == (
        "label_issued",
        "ups",
        number,
    )
    again = c.post(
        f"{url}/tracking", data={"csrf": token, "carrier": "ups", "tracking_number": number},
        follow_redirects=False,
    )  # fmt: skip
    assert again.status_code == 303  # the same form again: nothing changes
    other = c.post(f"{url}/tracking", data={"csrf": token, "tracking_number": ups_number()})
    assert other.status_code == 409 and "already has a tracking number" in other.text
    assert _audit(shop, rid) == [
        ("returns.approve", "system:policy"), ("returns.label", "shopper:portal"),
    ]  # fmt: skip
    shown = c.get(url).text
    assert number in shown and f'action="{url}/tracking"' not in shown

    # The number becomes the return leg, tracked like any other parcel.
    drain(shop.platform.engine, shop.platform.subscribers, now=shop.clock.now)
    leg = c.get(f"/api/v1/returns/{rid}/shipment")
    assert leg.status_code == 200, leg.text
    assert (leg.json()["shipment"]["carrier"], leg.json()["shipment"]["tracking_number"]) == (
        "ups",
        number,
    )


def test_the_tracking_form_is_rate_limited_and_bound_to_the_order(shop: Shop) -> None:
    c = shop.client
    _, rid, url = _approved(shop)
    token = _csrf(c.get(url).text)
    statuses = [
        c.post(f"{url}/tracking", data={"csrf": token, "tracking_number": bad}).status_code
        for bad in ("  ", "\x00", "x" * 65, "a\nb", "", "1Z", "1Z")
    ]
    assert statuses[:5] == [422] * 5 and statuses[-1] == 429
    other = shop.delivered_order()
    wrong = c.post(
        f"/returns/o/{other.tracking_token}/r/{rid}/tracking",
        data={"csrf": token, "tracking_number": ups_number()},
    )
    assert wrong.status_code == 404
    assert c.get(f"/api/v1/returns/{rid}").json()["status"] == "approved"


def test_the_shopper_gets_the_label_and_qr_code_from_the_portal(
    shop: Shop, simulator: RunningSimulator
) -> None:
    simulated_account(shop.platform, shop.merchant_id, "ups", simulator.url)
    c = shop.client
    _, rid, url = _approved(shop)
    token = _csrf(c.get(url).text)
    refused = c.post(f"{url}/label", data={"csrf": token})
    assert refused.status_code == 409  # the policy offers no label in the portal
    policy = {"return_to": RETURN_TO, "portal_label": {"carrier": "ups", "service": "ground"}}
    put = c.put("/api/v1/returns/policy", json=policy)
    assert put.status_code == 200 and put.json()["portal_label"]["carrier"] == "ups", put.text
    page = c.get(url).text
    assert f'action="{url}/label"' in page and "Get my return label" in page
    assert c.post(f"{url}/label", data={"csrf": "y" * 30}).status_code == 403
    bought = c.post(f"{url}/label", data={"csrf": token}, follow_redirects=False)
    assert bought.status_code == 303, bought.text
    first = c.get(f"/api/v1/returns/{rid}").json()
    assert first["status"] == "label_issued" and first["carrier"] == "ups"
    again = c.post(f"{url}/label", data={"csrf": token}, follow_redirects=False)
    assert again.status_code == 303
    assert c.get(f"/api/v1/returns/{rid}").json()["tracking_number"] == first["tracking_number"]
    shown = c.get(url).text
    assert f'src="{url}/qr"' in shown and f'href="{url}/label"' in shown
    assert f'action="{url}/label"' not in shown  # bought: offered as a download now
    pdf = c.get(f"{url}/label")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert c.get(f"{url}/qr").content.startswith(b"\x89PNG")
    assert _audit(shop, rid) == [
        ("returns.approve", "system:policy"), ("returns.label", "shopper:portal"),
    ]  # fmt: skip


def test_a_bad_portal_label_is_refused_naming_it(shop: Shop) -> None:
    bad = shop.client.put("/api/v1/returns/policy", json={"portal_label": {"carrier": "a b"}})
    assert bad.status_code == 422 and "portal_label" in bad.text
    typo = shop.client.put(
        "/api/v1/returns/policy", json={"portal_label": {"carrier": "ups", "servise": "x"}}
    )
    assert typo.status_code == 422 and "servise" in typo.text
