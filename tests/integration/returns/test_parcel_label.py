"""One return label for a consolidated parcel, over HTTP on both backends: bought once from
the simulated carrier for several approved returns of one customer (weights summed), its one
tracking number becoming every return's leg, one document and QR code shared; all or none,
idempotent, bad input changes nothing."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from typer.testing import CliRunner

from postpurchase.adapters.carriers.simulated.api import Faults, SimulatorState
from postpurchase.adapters.carriers.simulated.server import RunningSimulator, start_in_thread
from postpurchase.entrypoints.cli import app as cli
from tests.integration.carriers.conftest import SIM_KEY, simulated_account
from tests.integration.returns.conftest import Shop
from tests.integration.returns.test_consolidated_returns import _ask, _status

RETURN_TO = {"return_to": {"country": "US", "postal_code": "60601", "region": "IL"}}


@pytest.fixture
def simulator(shop: Shop) -> Iterator[tuple[RunningSimulator, SimulatorState]]:
    state = SimulatorState(
        seed=11, api_keys=frozenset({SIM_KEY}),
        faults=Faults(latency_ms=2, latency_sigma=0.1, throttle_rate=0, error_rate=0),
        clock=shop.clock.now,
    )  # fmt: skip
    running = start_in_thread(state)
    yield running, state
    running.stop()


def test_one_label_for_a_parcel_of_returns(
    shop: Shop, other_shop: Shop, simulator: tuple[RunningSimulator, SimulatorState]
) -> None:
    sim, state = simulator
    simulated_account(shop.platform, shop.merchant_id, "ups", sim.url)
    c = shop.client
    assert c.put("/api/v1/returns/policy", json=RETURN_TO).status_code == 200
    order = shop.delivered_order(email="pat@example.com")
    later = shop.delivered_order(email="pat@example.com")
    mug, tee, more = (
        _ask(shop, order, "MUG-1"),
        _ask(shop, order, "TEE-M"),
        _ask(shop, later, "TEE-M"),
    )
    stranger = _ask(shop, shop.delivered_order(email="sam@example.com"), "MUG-1")

    def buy(ids: list[str], **kw: Any) -> Any:
        return c.post(
            "/api/v1/returns/consolidate/label", json={"ids": ids, "carrier": "ups", **kw}
        )

    refused = buy([mug, stranger])
    assert refused.status_code == 409 and refused.json()["field"] == "ids[1]"
    assert buy([mug]).status_code == 422 and buy([mug, mug]).status_code == 422
    assert buy([mug, "0" * 32]).json()["field"] == "ids[1]"
    assert buy([mug, tee], carrier="dhl").json()["field"] == "carrier"
    foreign = other_shop.client.post(
        "/api/v1/returns/consolidate/label", json={"ids": [mug, tee], "carrier": "ups"}
    )
    assert foreign.status_code == 404
    assert {_status(shop, r) for r in (mug, tee, more, stranger)} == {"approved"}

    r = buy([mug, tee, more])
    assert r.status_code == 200, r.text
    out = r.json()
    numbers = {x["tracking_number"] for x in out}
    assert len(numbers) == 1 and None not in numbers
    assert {x["status"] for x in out} == {"label_issued"} and {x["carrier"] for x in out} == {"ups"}
    # The label's price is shared among the returns by the units each put in the box.
    costs = [x["label_cost"] for x in out]
    assert {c["currency"] for c in costs} == {"USD"}
    (bought,) = state._labels.values()
    assert sum(Decimal(c["amount"]) for c in costs) == Decimal(str(bought["totalCharge"]))
    again = buy([more, mug, tee]).json()  # the same group, in another order: the same label
    assert {x["tracking_number"] for x in again} == numbers
    docs = {c.get(f"/api/v1/returns/{rid}/label/document").content for rid in (mug, tee, more)}
    qrs = {c.get(f"/api/v1/returns/{rid}/label/qr").content for rid in (mug, tee, more)}
    assert len(docs) == 1 and docs.pop().startswith(b"%PDF") and len(qrs) == 1
    assert len(state._labels) == 1  # one label bought, under one key
    # A return already on its way cannot join another parcel.
    late = _ask(shop, later, "MUG-1")
    busy = buy([late, mug])
    assert busy.status_code == 409 and busy.json()["field"] == "ids[1]"
    assert _status(shop, late) == "approved"


def test_the_cli_buys_one_label_for_a_parcel(
    shop: Shop,
    engine: Any,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    simulator: tuple[RunningSimulator, SimulatorState],
) -> None:
    sim, state = simulator
    simulated_account(shop.platform, shop.merchant_id, "ups", sim.url)
    assert shop.client.put("/api/v1/returns/policy", json=RETURN_TO).status_code == 200
    order = shop.delivered_order(email="kim@example.com")
    mug, tee = _ask(shop, order, "MUG-1"), _ask(shop, order, "TEE-M")
    with shop.platform.uow() as uow:
        slug = uow.merchants.get(shop.merchant_id).slug
    monkeypatch.setenv("POSTPURCHASE_DATABASE_URL", engine.url.render_as_string(False))

    def run(*args: str) -> Any:
        return CliRunner().invoke(cli, [*args, "--data-dir", str(tmp_path)])

    bad = run("returns", "parcel-label", slug, mug, "--carrier", "ups")
    assert bad.exit_code == 2 and bad.output.count("\n") == 1 and "ids" in bad.output
    ok = run("returns", "parcel-label", slug, mug, tee, "--carrier", "ups")
    assert ok.exit_code == 0, ok.output
    rows = [json.loads(line) for line in ok.output.splitlines()]
    assert {r["status"] for r in rows} == {"label_issued"}
    assert len({r["tracking_number"] for r in rows}) == 1
    again = run("returns", "parcel-label", slug, tee, mug, "--carrier", "ups")
    assert again.exit_code == 0 and len(state._labels) == 1
    assert run("returns", "parcel-label", slug, mug, tee, "--carrier", "dhl").exit_code == 2


def test_the_portal_offers_one_parcel_for_the_customers_open_returns(
    shop: Shop, simulator: tuple[RunningSimulator, SimulatorState]
) -> None:
    """No JavaScript: the status page lists the other returns of the same e-mail still to
    send, each a ticked checkbox; the form buys one label for the ticked ones."""
    sim, state = simulator
    simulated_account(shop.platform, shop.merchant_id, "ups", sim.url)
    c = shop.client
    policy = {**RETURN_TO, "portal_label": {"carrier": "ups"}}
    assert c.put("/api/v1/returns/policy", json=policy).status_code == 200
    order = shop.delivered_order(email="lee@example.com")
    later = shop.delivered_order(email="LEE@example.com")
    mug, tee, more = (
        _ask(shop, order, "MUG-1"),
        _ask(shop, order, "TEE-M"),
        _ask(shop, later, "TEE-M"),
    )
    _ask(shop, shop.delivered_order(email="sam@example.com"), "TEE-M")  # another customer's
    url = f"/returns/o/{order.tracking_token}/r/{mug}"
    page = c.get(url)
    assert page.status_code == 200 and "Send these together in one parcel" in page.text
    offered = set(re.findall(r'name="with_([0-9a-f]{32})"', page.text))
    assert offered == {tee, more}  # not the other customer's, not this one
    assert "T-shirt" in page.text
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]

    forged = c.post(f"{url}/together", data={"csrf": "x" * 30, f"with_{tee}": "1"})
    assert forged.status_code == 403
    none = c.post(f"{url}/together", data={"csrf": token})
    assert none.status_code == 422 and "Tick at least one other return" in none.text
    stranger = c.post(f"{url}/together", data={"csrf": token, f"with_{'0' * 32}": "1"})
    assert stranger.status_code == 409 and "no longer be sent this way" in stranger.text
    assert {_status(shop, r) for r in (mug, tee, more)} == {"approved"}  # nothing changed

    form = {"csrf": token, f"with_{tee}": "1", f"with_{more}": "1"}
    sent = c.post(f"{url}/together", data=form, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == url
    got = [c.get(f"/api/v1/returns/{r}").json() for r in (mug, tee, more)]
    assert {g["status"] for g in got} == {"label_issued"}
    assert len({g["tracking_number"] for g in got}) == 1 and len(state._labels) == 1
    again = c.post(f"{url}/together", data=form, follow_redirects=False)  # a double submit
    assert again.status_code in (303, 409) and len(state._labels) == 1
    shown = c.get(url)
    assert f"{url}/qr" in shown.text and "Send these together" not in shown.text
    assert "Pack these returns in the same box" in shown.text and "T-shirt" in shown.text
    other_page = c.get(f"/returns/o/{later.tracking_token}/r/{more}")
    assert f"/r/{more}/qr" in other_page.text  # the same QR code on every return's page
