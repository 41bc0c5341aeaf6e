"""Labels, address checks and pickups over the API (problem+json naming the cause, tenants
isolated) and the CLI (one line and a non-zero exit on bad input)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from postpurchase.entrypoints.api.app import create_app
from postpurchase.entrypoints.cli import app as cli
from postpurchase.service_layer import handlers
from tests.factories import place_order, ref
from tests.integration.carriers.conftest import simulated_account
from tests.integration.carriers.test_labels import TO

ORIGIN = {"country": "US", "postal_code": "43215", "region": "OH", "city": "Columbus",
          "line1": "500 Commerce Way", "name": "Acme Mugs"}  # fmt: skip
PARCELS = [{"weight_grams": 1200, "length_cm": 30, "width_cm": 20, "height_cm": 10}]

pytestmark = pytest.mark.usefixtures("forget_label_polls")


def tenant(platform):
    merchant, key, *_ = handlers.create_merchant(platform.uow(), platform.clock, "Shop " + ref())
    return merchant, {"Authorization": f"Bearer {key}"}


def new_order(platform, merchant_id: str) -> str:
    cmd = place_order(merchant_id, shipping_address=TO)
    return handlers.place_order(cmd, platform.uow(), platform.clock).id


def test_api_buy_replay_fetch_void_and_tenants(platform, simulator) -> None:
    merchant, auth = tenant(platform)
    _other, other_auth = tenant(platform)
    simulated_account(platform, merchant.id, "ups", simulator.url)
    order_id = new_order(platform, merchant.id)
    body = {"order_id": order_id, "carrier": "ups", "service": "ground", "origin": ORIGIN,
            "parcels": PARCELS, "label_format": "PDF"}  # fmt: skip
    with TestClient(create_app(platform)) as client:
        missing = client.post("/api/v1/labels", json=body, headers=auth)
        assert missing.status_code == 422
        assert missing.headers["content-type"] == "application/problem+json"

        key = {**auth, "Idempotency-Key": ref("k")}
        first = client.post("/api/v1/labels", json=body, headers=key)
        assert first.status_code == 201, first.text
        label = first.json()
        assert label["status"] == "purchased" and label["tracking_number"]
        again = client.post("/api/v1/labels", json=body, headers=key)
        assert again.status_code == 200 and again.json()["id"] == label["id"]

        doc = client.get(label["document_url"], headers=auth)
        assert doc.status_code == 200 and doc.headers["content-type"] == "application/pdf"
        assert doc.content.startswith(b"%PDF")
        listed = client.get(f"/api/v1/orders/{order_id}/labels", headers=auth).json()
        assert [x["id"] for x in listed] == [label["id"]]

        # another tenant sees none of it
        assert client.get(f"/api/v1/labels/{label['id']}", headers=other_auth).status_code == 404
        assert client.get(label["document_url"], headers=other_auth).status_code == 404
        assert client.post(f"/api/v1/labels/{label['id']}/void",
                           headers=other_auth).status_code == 404  # fmt: skip

        voided = client.post(f"/api/v1/labels/{label['id']}/void", headers=auth)
        assert voided.status_code == 200 and voided.json()["status"] == "voided"


def test_api_bad_input_names_the_cause(platform, simulator) -> None:
    merchant, auth = tenant(platform)
    simulated_account(platform, merchant.id, "ups", simulator.url, key="wrong-key")
    order_id = new_order(platform, merchant.id)
    body = {"order_id": order_id, "carrier": "ups", "service": "ground", "origin": ORIGIN,
            "parcels": PARCELS}  # fmt: skip

    def post(b: dict, who: dict = auth):
        return TestClient(create_app(platform)).post(
            "/api/v1/labels", json=b, headers={**who, "Idempotency-Key": ref("k")}
        )

    auth_failed = post(body)
    assert auth_failed.status_code == 502
    assert auth_failed.json()["failure"] == "auth" and auth_failed.json()["field"] == "carrier"
    heavy = post({**body, "parcels": [{"weight_grams": 90_000}]})
    assert heavy.status_code == 422 and heavy.json()["field"] == "parcels[0].weight_grams"
    no_account = post({**body, "carrier": "fedex"})
    assert no_account.status_code == 404 and no_account.json()["field"] == "carrier"
    handlers.cancel_order(
        handlers.commands.CancelOrder(merchant.id, order_id), platform.uow(), platform.clock
    )
    cancelled = post(body)
    assert cancelled.status_code == 409 and "cancelled" in cancelled.json()["detail"]


def test_api_address_check_drop_off_qr_and_pickup(platform, simulator) -> None:
    merchant, auth = tenant(platform)
    simulated_account(platform, merchant.id, "royal_mail", simulator.url)
    with TestClient(create_app(platform)) as client:
        loose = {"country": "GB", "postal_code": "sw1a1aa", "city": "London",
                 "line1": "10 Downing St", "name": "Sam Smith"}  # fmt: skip
        r = client.post("/api/v1/addresses/validate", headers=auth,
                        json={"address": loose, "carrier": "royal_mail"})  # fmt: skip
        assert r.status_code == 200, r.text
        out = r.json()
        assert out["valid"] is False and out["problems"][0]["field"] == "destination.postal_code"
        assert out["suggestion"]["postal_code"] == "SW1A 1AA"
        assert out["carrier_valid"] is True  # the carrier was asked about the corrected form

        pickup = client.post("/api/v1/carriers/pickups", headers=auth, json={
            "carrier": "royal_mail", "address": {**loose, "postal_code": "SW1A 1AA"},
            "ready_at": "2026-12-08T09:00:00+00:00", "closes_at": "2026-12-08T17:00:00+00:00",
            "parcel_count": 3,
        })  # fmt: skip
        assert pickup.status_code == 201 and pickup.json()["pickup_date"] == "2026-12-08"
        bad = client.post("/api/v1/carriers/pickups", headers=auth, json={
            "carrier": "royal_mail", "address": loose,
            "ready_at": "2026-12-08T17:00:00+00:00", "closes_at": "2026-12-08T09:00:00+00:00",
        })  # fmt: skip
        assert bad.status_code == 422 and bad.json()["field"] == "closes_at"


def test_cli_buy_get_void_and_address(platform, simulator, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("POSTPURCHASE_DATABASE_URL", platform.engine.url.render_as_string(False))
    merchant, _ = tenant(platform)
    simulated_account(platform, merchant.id, "usps", simulator.url)
    order_id = new_order(platform, merchant.id)
    run = CliRunner().invoke
    args = ["labels", "buy", merchant.slug, order_id, "--carrier", "usps", "--service", "ground",
            "--origin", json.dumps(ORIGIN), "--weight-grams", "900", "--format", "ZPL",
            "--out", str(tmp_path / "label.zpl")]  # fmt: skip
    first = run(cli, args)
    assert first.exit_code == 0, first.output
    label = json.loads(first.stdout)
    assert label["status"] == "purchased" and (tmp_path / "label.zpl").read_bytes().startswith(
        b"^XA"
    )
    again = run(cli, args)
    assert again.exit_code == 0 and json.loads(again.stdout)["id"] == label["id"]
    assert "bought before" in again.stderr

    got = run(cli, ["labels", "get", merchant.slug, label["id"]])
    assert (
        got.exit_code == 0 and json.loads(got.stdout)["tracking_number"] == label["tracking_number"]
    )
    voided = run(cli, ["labels", "void", merchant.slug, label["id"]])
    assert voided.exit_code == 0 and json.loads(voided.stdout)["status"] == "voided"

    heavy = run(cli, [*args[:10], "--weight-grams", "40000", "--key", "other"])
    assert (
        heavy.exit_code == 2
        and "weight_grams" in heavy.stderr
        and len(heavy.stderr.splitlines()) == 1
    )
    bad = run(cli, ["labels", "validate-address", merchant.slug, "--address",
                    '{"country": "US", "postal_code": "9410"}'])  # fmt: skip
    assert bad.exit_code == 1 and json.loads(bad.stdout)["valid"] is False
    junk = run(cli, ["labels", "validate-address", merchant.slug, "--address", "{nope"])
    assert junk.exit_code == 2 and "--address" in junk.stderr
