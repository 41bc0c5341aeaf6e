"""Train on a merchant's own delivered shipments, activate, and serve at once with no
restart (page, JSON twin, API); refuse too little history and bad model files without
touching the active model; the CLI and the API over the same registry. SQLite and PG."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from postpurchase.adapters.db import edd_registry
from postpurchase.adapters.db import tables as t
from postpurchase.adapters.edd import merchant_models as mm
from postpurchase.adapters.model_serving import models_for
from postpurchase.bootstrap import Platform, bootstrap
from postpurchase.config import Settings
from postpurchase.domain import commands
from postpurchase.domain.addresses import Address
from postpurchase.domain.money import Money
from postpurchase.domain.orders import OrderLineInput
from postpurchase.domain.status import ShipmentStatus
from postpurchase.domain.tracking import TrackingEvent
from postpurchase.entrypoints import cli_edd, worker_edd
from postpurchase.entrypoints.api.app import create_app
from postpurchase.entrypoints.cli import app as cli
from postpurchase.entrypoints.web.page_state import state_for
from postpurchase.service_layer import handlers
from tests.edd_support import FAST, history, new_merchant, seed
from tests.factories import ref
from tests.fakes import FakeClock

runner = CliRunner()
RECORDS = history()
# Just after the simulated history ends: the model's calibration window is current.
NOW = max(r.delivered_at for r in RECORDS).astimezone(UTC) + timedelta(days=1)


@pytest.fixture
def platform(engine: Engine) -> Platform:
    settings = Settings(tracking_page_max_stale_seconds=0)
    return bootstrap(settings, engine=engine, clock=FakeClock(NOW), notifications=False)


@pytest.fixture
def shop(platform: Platform) -> tuple[str, str, str]:
    created = handlers.create_merchant(platform.uow(), platform.clock, "Loja " + ref()[:8])
    seed(platform.engine, created.merchant.id, RECORDS)
    return created.merchant.id, created.merchant.slug, created.api_key


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform), follow_redirects=False) as c:
        yield c


def _order_in_transit(platform: Platform, merchant_id: str) -> tuple[str, str]:
    cmd = commands.PlaceOrder(
        merchant_id=merchant_id, external_id=ref("ext-"), number=ref()[:10], email=None,
        phone=None, customer_name="Ana", locale="pt-BR", currency="BRL",
        lines=(OrderLineInput("SKU", "Thing", 1, Money(Decimal("80.00"), "BRL"), 900),),
        shipping_address=Address("BR", "20031", "RJ", "Rio de Janeiro", "Rua A 1"),
        shipping_fee=Money(Decimal("12.00"), "BRL"), placed_at=NOW - timedelta(days=2),
    )  # fmt: skip
    order_id = platform.bus().handle(cmd).id
    number = "BR" + ref()[:10].upper()
    platform.bus().handle(
        commands.CreateShipment(
            merchant_id, order_id, number, carrier="correios", service="pac",
            origin=Address("BR", "01310", "SP", "São Paulo"),
        )
    )  # fmt: skip
    scan = TrackingEvent(
        occurred_at=NOW - timedelta(days=1), status=ShipmentStatus.IN_TRANSIT,
        description="Objeto postado",
    )  # fmt: skip
    platform.bus().handle(
        commands.RecordTracking(
            merchant_id, (commands.TrackingUpdate(number, "correios", (scan,)),)
        )
    )
    with platform.engine.connect() as conn:
        token = conn.execute(
            select(t.orders.c.tracking_token).where(t.orders.c.id == order_id)
        ).scalar_one()
    return order_id, token


def _twin(client: TestClient, token: str) -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"/api/v1/public/track/{token}").json()
    return body["shipments"][0]["estimate"]


def test_train_activate_and_serve_without_restart(
    platform: Platform, shop: tuple[str, str, str], client: TestClient
) -> None:
    merchant_id, _, key = shop
    order_id, token = _order_in_transit(platform, merchant_id)
    before = _twin(client, token)
    assert before["model_version"] is None and before["layer"] in ("rules", None)

    outcome = mm.train_merchant(platform.engine, merchant_id, now=NOW, config=FAST)
    assert outcome.activated and outcome.version == 1
    assert outcome.metrics["orders"] > 100  # back-tested on the held-out slice
    models_for(platform.engine).forget()  # as if trained by another process (the worker)

    deadline = time.monotonic() + 30
    while True:  # the page loads the model in the background; meanwhile it keeps the rules
        state_for(client.app).forget()
        after = _twin(client, token)
        if after["model_version"] == 1 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert after["model_version"] == 1, after
    assert after["layer"] in ("learned", "live") and after["model"]
    # The API's views say the same.
    api = client.get(f"/api/v1/orders/{order_id}", headers={"Authorization": f"Bearer {key}"})
    assert api.status_code == 200
    assert api.json()["shipments"][0]["estimate"]["model_version"] == 1
    assert api.json()["shipments"][0]["estimate"]["end"] == after["end"]


def test_too_few_delivered_shipments_keep_the_rules(engine: Engine) -> None:
    merchant_id, _ = new_merchant(engine)
    seed(engine, merchant_id, RECORDS[:40])
    with pytest.raises(mm.ModelRefused, match="only 40 delivered shipments"):
        mm.train_merchant(engine, merchant_id, now=NOW, config=FAST)
    with engine.connect() as conn:
        assert edd_registry.list_models(conn, merchant_id) == []
        assert edd_registry.active_version(conn, merchant_id) is None


def test_bad_model_files_are_refused_and_the_active_model_stays(
    platform: Platform, shop: tuple[str, str, str], tmp_path: Path
) -> None:
    merchant_id, _, _ = shop
    mm.train_merchant(platform.engine, merchant_id, now=NOW, config=FAST)
    corrupt = tmp_path / "corrupt.json.gz"
    corrupt.write_bytes(b"\x1f\x8b\x08\x00 not really gzip")
    foreign = tmp_path / "foreign.json.gz"
    foreign.write_bytes(
        gzip.compress(json.dumps({"format": "postpurchase-edd-model", "format_version": 99,
                                  "body": {}}).encode())
    )  # fmt: skip
    with pytest.raises(mm.ModelRefused, match="not a readable model artefact"):
        mm.register_file(platform.engine, merchant_id, corrupt, now=NOW)
    with pytest.raises(mm.ModelRefused, match="format version 99"):
        mm.register_file(platform.engine, merchant_id, foreign, now=NOW)
    with platform.engine.connect() as conn:
        assert edd_registry.active_version(conn, merchant_id) == 1
        assert [m.version for m in edd_registry.list_models(conn, merchant_id)] == [1]
    # A registered version whose bytes went bad is refused at activation too.
    with platform.engine.begin() as conn:
        conn.execute(
            t.edd_models.update()
            .where(t.edd_models.c.merchant_id == merchant_id)
            .values(artefact=b"garbage")
        )
    with pytest.raises(mm.ModelRefused):
        mm.activate_version(platform.engine, merchant_id, 1, now=NOW)


def test_cli_train_models_and_activate_a_file(
    platform: Platform, shop: tuple[str, str, str], tmp_path: Path, backend_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    merchant_id, slug, _ = shop
    monkeypatch.setenv("POSTPURCHASE_DATABASE_URL", backend_url)
    monkeypatch.setattr(cli_edd, "engine_config", lambda confidence: FAST)
    dd = ["--data-dir", str(tmp_path)]
    trained = runner.invoke(cli, ["edd", "train", slug, *dd])
    assert trained.exit_code == 0, trained.output
    assert "promise on time" in trained.stdout and "active now" in trained.stderr
    again = runner.invoke(cli, ["edd", "train", slug, *dd])  # same data: no better
    assert again.exit_code == 0 and "active: v1" in again.stdout
    assert "registered, not activated" in again.stderr
    listed = json.loads(runner.invoke(cli, ["edd", "models", slug, "--json", *dd]).stdout)
    assert [(m["version"], m["active"]) for m in listed] == [(2, False), (1, True)]
    switched = runner.invoke(cli, ["edd", "activate", slug, "2", *dd])
    assert switched.exit_code == 0, switched.output
    # A file from `edd train --olist DIR --model FILE`, registered and served.
    with platform.engine.connect() as conn:
        data = edd_registry.artefact(conn, merchant_id, 1)
    assert data is not None
    good = tmp_path / "olist-model.json.gz"
    good.write_bytes(data)
    added = runner.invoke(cli, ["edd", "activate", slug, "--file", str(good), *dd])
    assert added.exit_code == 0 and "model v3" in added.stderr
    bad = tmp_path / "bad.json.gz"
    bad.write_text("nope")
    refused = runner.invoke(cli, ["edd", "activate", slug, "--file", str(bad), *dd])
    assert refused.exit_code == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert "the active model is unchanged" in refused.stderr
    with platform.engine.connect() as conn:
        assert edd_registry.active_version(conn, merchant_id) == 3
    # Too little history: one line, non-zero, the rules stay.
    small, small_slug = new_merchant(platform.engine)
    seed(platform.engine, small, RECORDS[:10])
    few = runner.invoke(cli, ["edd", "train", small_slug, *dd])
    assert few.exit_code == 2 and "rules layer stays active" in few.stderr


def test_api_lists_trains_in_the_worker_and_activates(
    platform: Platform, shop: tuple[str, str, str], client: TestClient
) -> None:
    merchant_id, _, key = shop
    auth = {"Authorization": f"Bearer {key}"}
    empty = client.get("/api/v1/edd/models", headers=auth).json()
    assert empty == {"active_version": None, "data": []}
    started = client.post("/api/v1/edd/models", headers=auth, json={})
    assert started.status_code == 202 and started.json()["status"] == "queued"
    assert client.get("/api/v1/edd/jobs/train", headers=auth).json()["status"] == "queued"
    assert worker_edd.run(platform, config=FAST) >= 1  # the worker's periodic task
    done = client.get("/api/v1/edd/jobs/train", headers=auth).json()
    assert done["status"] == "done" and done["result"]["version"] == 1, done
    listed = client.get("/api/v1/edd/models", headers=auth).json()
    assert listed["active_version"] == 1 and listed["data"][0]["metrics"]["orders"] > 0
    missing = client.post("/api/v1/edd/models/9/activate", headers=auth)
    assert missing.status_code == 404 and missing.json()["field"] == "version"
    with platform.engine.begin() as conn:
        conn.execute(t.edd_models.update().values(artefact=b"garbage").where(
            t.edd_models.c.merchant_id == merchant_id))  # fmt: skip
    refused = client.post("/api/v1/edd/models/1/activate", headers=auth)
    assert refused.status_code == 422 and refused.json()["field"] == "version"
    # Another merchant sees none of it.
    other = handlers.create_merchant(platform.uow(), platform.clock, "Other " + ref()[:6])
    theirs = client.get("/api/v1/edd/models", headers={"Authorization": f"Bearer {other.api_key}"})
    assert theirs.json() == {"active_version": None, "data": []}
    _ = datetime  # imported for readers of NOW


def test_checkout_estimates_come_from_the_active_model(
    platform: Platform, shop: tuple[str, str, str], client: TestClient
) -> None:
    """The storefront's checkout dates switch to the merchant's model once it is active,
    with no restart, and say so (``model:<its version>``)."""
    merchant_id, _, key = shop
    auth = {"Authorization": f"Bearer {key}"}
    settings = {"cutoff": "14:00", "timezone": "America/Sao_Paulo", "handling_days": 1,
                "ship_from_country": "BR", "ship_from_postal_code": "01310-100"}  # fmt: skip
    assert client.patch(
        "/api/v1/merchant/checkout-settings", json=settings, headers=auth
    ).is_success
    made = client.post("/api/v1/merchant/publishable-keys", json={"label": "web"}, headers=auth)
    assert made.status_code == 201, made.text
    query = {"country": "BR", "postal_code": "20031-050", "method": "Standard",
             "key": made.json()["key"]}  # fmt: skip
    before = client.get("/api/v1/estimates/checkout", params=query)
    assert before.status_code == 200 and before.json()["layer"] == "rules", before.text

    assert mm.train_merchant(platform.engine, merchant_id, now=NOW, config=FAST).activated
    models_for(platform.engine).forget()  # as if trained by another process (the worker)
    deadline = time.monotonic() + 30
    for n in range(1, 1000):  # loaded in the background; the rules answer meanwhile. Each
        # question is new: an answer is replayed for the rest of its minute (this clock stands)
        asked = {**query, "postal_code": f"20{n:03d}-050"}
        after = client.get("/api/v1/estimates/checkout", params=asked).json()
        if after["layer"] != "rules" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert after["layer"].startswith("model:"), after
