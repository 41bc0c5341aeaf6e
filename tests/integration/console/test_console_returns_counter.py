"""In-store returns, both backends: the portal shows the shopper the return number as a QR
code, the counter types or scans it into the console, which opens that return (and only a
return of its own store) to receive, inspect and refund it, each step audited as the person."""

from __future__ import annotations

from postpurchase.adapters.qr import qr_png
from tests.integration.console.conftest import Console
from tests.integration.console.test_console_returns import actions_of, shop_of

POLICY = {"methods": [{"method": "in_store"}, {"method": "mail"}]}


def _return(console: Console, method: str) -> tuple[str, str, str]:
    shop = shop_of(console, console.a)
    assert shop.client.put("/api/v1/returns/policy", json=POLICY).status_code == 200
    order = shop.delivered_order()
    body = {"lines": [{"order_line_id": order.lines[0].id, "quantity": 1, "reason": "too_small"}],
            "method": method}  # fmt: skip
    r = shop.client.post(f"/api/v1/orders/{order.id}/returns", json=body)
    assert r.status_code == 201 and r.json()["status"] == "approved", r.text
    rid = r.json()["id"]
    return rid, r.json()["number"], f"/returns/o/{order.tracking_token}/r/{rid}"


def test_the_portal_shows_an_in_store_return_its_counter_code(console: Console) -> None:
    shop = shop_of(console, console.a)
    rid, number, url = _return(console, "in_store")
    page = shop.client.get(url)
    assert page.status_code == 200
    assert f'src="{url}/counter-code"' in page.text and number in page.text
    assert "show this code or the number" in page.text
    assert f'action="{url}/tracking"' not in page.text  # no parcel to send
    code = shop.client.get(f"{url}/counter-code")
    assert code.status_code == 200 and code.headers["content-type"] == "image/png"
    assert code.content == qr_png(number)  # the return number, nothing about the shopper
    assert code.headers["x-content-type-options"] == "nosniff"
    # A parcel sent by mail has no counter code; neither has a stranger's token.
    _, _, mail_url = _return(console, "mail")
    assert shop.client.get(f"{mail_url}/counter-code").status_code == 404
    assert 'counter-code"' not in shop.client.get(mail_url).text
    assert shop.client.get(f"/returns/o/{'x' * 32}/r/{rid}/counter-code").status_code == 404


def test_the_counter_opens_the_scanned_return_and_receives_it(console: Console) -> None:
    shop = shop_of(console, console.a)
    rid, number, _ = _return(console, "in_store")
    agent = console.a.agent
    empty = agent.get("/console/returns/counter")
    assert empty.status_code == 200 and "autofocus" in empty.text
    # A scanner types the number as printed; the lookup ignores case.
    opened = agent.get("/console/returns/counter", params={"number": number.lower()})
    assert opened.status_code == 303 and opened.headers["location"] == f"/console/returns/{rid}"
    unknown = agent.get("/console/returns/counter", params={"number": "R-0-0"})
    assert unknown.status_code == 404 and 'data-field="number"' in unknown.text
    assert "No return of this store has the number R-0-0." in unknown.text
    garbage = agent.get("/console/returns/counter", params={"number": "R 1; drop"})
    assert garbage.status_code == 400 and 'aria-invalid="true"' in garbage.text
    # Another store's counter never finds it.
    theirs = console.b.agent.get("/console/returns/counter", params={"number": number})
    assert theirs.status_code == 404
    # Received at the counter, by the person signed in.
    assert agent.post(f"/console/returns/{rid}/receive").status_code == 303
    assert shop.client.get(f"/api/v1/returns/{rid}").json()["status"] == "received"
    assert ("returns.receive", f"user:{agent.email}") in actions_of(shop, rid)
