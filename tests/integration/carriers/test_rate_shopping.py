"""Rate shopping across a merchant's carrier accounts: in parallel, within the deadline, the
cheapest that meets the promise, the others with why they lost, failures named."""

from __future__ import annotations

import json
import threading
import time
from datetime import date, timedelta
from decimal import Decimal

from pytest_httpserver import HTTPServer
from typer.testing import CliRunner
from werkzeug import Request, Response

from postpurchase.adapters.carriers.accounts import rate_shop
from postpurchase.adapters.carriers.simulated.client import SimulatedGateway
from postpurchase.domain.addresses import Address
from postpurchase.domain.carriers import Parcel, RateQuote, RateRequest
from postpurchase.domain.money import Money
from postpurchase.entrypoints.cli import app as cli
from postpurchase.service_layer.carriers.rates import choose
from tests.integration.carriers.conftest import SIM_KEY, simulated_account

REQUEST = RateRequest(
    Address("US", "43215", "OH", "Columbus"),
    Address("US", "94103", "CA", "San Francisco"),
    (Parcel(1200, Decimal(30), Decimal(20), Decimal(10)),),
)


def test_all_accounts_in_parallel_within_the_deadline(
    platform, merchant, simulator, stalling_carrier: tuple[HTTPServer, threading.Event]
) -> None:
    server, release = stalling_carrier

    def stall(_: Request) -> Response:
        release.wait(6)
        return Response('{"rates": []}', content_type="application/json")

    server.expect_request("/dhl/rate/v1/quotes").respond_with_handler(stall)
    for carrier in ("ups", "fedex"):
        simulated_account(platform, merchant.id, carrier, simulator.url)
    slow = server.url_for("/").rstrip("/")
    simulated_account(platform, merchant.id, "dhl", slow)
    simulated_account(platform, merchant.id, "usps", simulator.url, key="revoked-key")

    # a running simulator has its calendars loaded: warm it as a server would be
    SimulatedGateway("ups", simulator.url, SIM_KEY).rate(REQUEST)
    started = time.monotonic()
    shop = rate_shop(platform.engine, platform.keyring, merchant.id, REQUEST, timeout=3.0)
    assert time.monotonic() - started < 4.5  # did not wait for DHL's 6 s
    assert shop.timed_out == ["dhl"], (shop.failed, shop.timed_out)
    assert shop.failed["usps"].startswith("usps: auth:") and "401" in shop.failed["usps"]
    every = [shop.chosen, *(a.quote for a in shop.alternatives)]
    assert {q.carrier for q in every} == {"ups", "fedex"}
    assert shop.chosen.price.amount == min(q.price.amount for q in every)
    assert all("dearer" in a.why_not for a in shop.alternatives)


def quote(carrier: str, amount: str, day: int | None) -> RateQuote:
    return RateQuote(
        carrier, "ground", Money(Decimal(amount), "USD"),
        date(2026, 12, day) if day else None,
    )  # fmt: skip


def test_the_promise_beats_the_price() -> None:
    shop = choose(
        [quote("usps", "7.10", 14), quote("ups", "9.80", 10), quote("fedex", "12.00", 9),
         quote("dhl", "6.00", None)],
        deliver_by=date(2026, 12, 11),
    )  # fmt: skip
    assert shop.chosen.carrier == "ups" and "delivers by 2026-12-11" in shop.why
    why = {a.quote.carrier: a.why_not for a in shop.alternatives}
    assert why["usps"].startswith("misses the promise (2026-12-14")
    assert why["dhl"].startswith("misses the promise (no delivery date")
    assert why["fedex"] == "2.20 USD dearer"
    nothing = choose([quote("usps", "7.10", 14)], deliver_by=date(2026, 12, 11))
    assert nothing.chosen is None and nothing.why == "no rate delivers by 2026-12-11"


def test_cli_rates(platform, merchant, simulator, monkeypatch) -> None:
    monkeypatch.setenv("POSTPURCHASE_DATABASE_URL", platform.engine.url.render_as_string(False))
    simulated_account(platform, merchant.id, "ups", simulator.url)
    simulated_account(platform, merchant.id, "usps", simulator.url)
    run = CliRunner().invoke
    out = run(
        cli,
        ["carriers", "rates", merchant.slug, "--from", "US:43215", "--to", "US:94103",
         "--weight-grams", "1200", "--dims", "30x20x10"],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    body = json.loads(out.stdout)
    assert body["chosen"]["carrier"] in ("ups", "usps") and body["alternatives"]
    assert body["failed"] == {} and body["timed_out"] == []
    bad = run(cli, ["carriers", "rates", merchant.slug, "--from", "USA:1", "--to", "US:94103",
                    "--weight-grams", "0"])  # fmt: skip
    assert bad.exit_code == 2 and "--from" in bad.output
    later = (platform.clock.now() + timedelta(days=400)).date().isoformat()
    ok = run(cli, ["carriers", "rates", merchant.slug, "--from", "US:43215", "--to", "US:94103",
                   "--weight-grams", "500", "--deliver-by", later])  # fmt: skip
    assert ok.exit_code == 0 and "delivers by" in json.loads(ok.stdout)["why"]


def test_api_rates(platform, merchant, simulator) -> None:
    from fastapi.testclient import TestClient

    from postpurchase.entrypoints.api.app import create_app
    from postpurchase.service_layer import handlers
    from tests.factories import ref

    other, other_key, *_ = handlers.create_merchant(platform.uow(), platform.clock, "Shop " + ref())
    simulated_account(platform, other.id, "ups", simulator.url)
    simulated_account(platform, other.id, "fedex", simulator.url)
    body = {
        "origin": {"country": "US", "postal_code": "43215"},
        "destination": {"country": "US", "postal_code": "94103"},
        "parcels": [{"weight_grams": 1200, "length_cm": 30, "width_cm": 20, "height_cm": 10}],
    }
    with TestClient(create_app(platform)) as client:
        r = client.post(
            "/api/v1/carriers/rates", json=body, headers={"Authorization": f"Bearer {other_key}"}
        )
        assert r.status_code == 200, r.text
        out = r.json()
        assert out["chosen"]["carrier"] in ("ups", "fedex") and out["alternatives"]
        assert out["failed"] == {} and out["timed_out"] == []
        _, lonely_key, *_ = handlers.create_merchant(
            platform.uow(), platform.clock, "Shop " + ref()
        )
        none = client.post(
            "/api/v1/carriers/rates", json=body, headers={"Authorization": f"Bearer {lonely_key}"}
        )
        assert none.status_code == 404 and none.json()["field"] == "carrier"
        bad = client.post(
            "/api/v1/carriers/rates",
            json={**body, "parcels": [{"weight_grams": 0}]},
            headers={"Authorization": f"Bearer {other_key}"},
        )
        assert bad.status_code == 422 and bad.json()["field"] == "parcels[0].weight_grams"
