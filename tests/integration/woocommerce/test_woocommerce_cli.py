"""`postpurchase woocommerce connect|backfill` as a merchant runs them, against a local
server answering as WooCommerce's REST API v3 (woo_server.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from postpurchase.adapters.db import tables as t
from postpurchase.entrypoints.cli import app
from tests.factories import ref
from tests.integration.woocommerce.support import PAYLOADS, load
from tests.integration.woocommerce.woo_server import KEY, SECRET, WooStore

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path, monkeypatch, backend_url):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("POSTPURCHASE_DATABASE_URL", backend_url)
    monkeypatch.setenv("POSTPURCHASE_BASE_URL", "https://track.example.com")
    # the operator allows this server's loopback store (a public store needs nothing)
    monkeypatch.setenv("POSTPURCHASE_OUTBOUND_ALLOW", "127.0.0.1")
    return tmp_path


@pytest.fixture
def woo(httpserver) -> WooStore:  # type: ignore[no-untyped-def]
    store = WooStore(httpserver).install()
    store.products = [load("product_simple.json"), load("product_variable.json")]
    store.variations = {
        "22": list(json.loads(json.dumps(load_list("product_variable_variations.json"))))
    }
    return store


def load_list(name: str) -> list[dict[str, Any]]:
    return list(json.loads((PAYLOADS / name).read_bytes()))


def _order(order_id: int, created: str) -> dict[str, Any]:
    order = load("order_created.json")
    order.update(id=order_id, number=str(order_id), date_created_gmt=created,
                 date_modified_gmt=created)  # fmt: skip
    return order


def _merchant(data_dir) -> str:  # type: ignore[no-untyped-def]
    slug = "mugs-" + ref()
    made = runner.invoke(app, ["merchant", "create", slug, "--data-dir", str(data_dir)])
    assert made.exit_code == 0, made.output
    return slug


def _cli(data_dir, *args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [*args, "--data-dir", str(data_dir)], input=stdin)


def test_connect_then_backfill_orders_and_products(data_dir, woo: WooStore, engine: Engine) -> None:
    slug = _merchant(data_dir)
    connected = _cli(data_dir, "woocommerce", "connect", slug, "--url", woo.url, "--key", KEY,
                     "--secret", "-", stdin=SECRET + "\n")  # fmt: skip
    assert connected.exit_code == 0, connected.output
    answer = json.loads(connected.stdout)
    assert answer["delivery_url"] == f"https://track.example.com/webhooks/woocommerce/{slug}"
    assert len(answer["webhooks"]["created"]) == 6
    woo.orders = [_order(8000 + i, f"2026-11-0{i + 1}T10:00:00") for i in range(3)]
    done = _cli(data_dir, "woocommerce", "backfill", slug, "--since", "2026-11-01")
    assert done.exit_code == 0, done.output
    lines = [json.loads(x) for x in done.stdout.splitlines()]
    assert lines == [
        {"kind": "orders", "imported": 3, "skipped": 0, "status": "done"},
        {"kind": "products", "imported": 2, "skipped": 0, "status": "done"},
    ]
    assert "Importing orders" in done.stderr
    with engine.connect() as conn:
        merchant_id = conn.execute(
            select(t.merchants.c.id).where(t.merchants.c.slug == slug)
        ).scalar_one()
        orders = (
            conn.execute(
                select(t.orders.c.external_id).where(t.orders.c.merchant_id == merchant_id)
            )
            .scalars()
            .all()
        )
        variants = conn.execute(
            select(t.product_variants.c.external_id, t.product_variants.c.sku)
            .where(t.product_variants.c.merchant_id == merchant_id)
            .order_by(t.product_variants.c.external_id)
        ).all()
    assert sorted(orders) == ["8000", "8001", "8002"]
    assert [tuple(v) for v in variants] == [
        ("23", None), ("24", "DRIP-V60-WHT"), ("93", "MUG-12-SAND")
    ]  # fmt: skip
    again = _cli(data_dir, "woocommerce", "backfill", slug, "--since", "2026-11-01",
                 "--only", "orders")  # fmt: skip
    assert again.exit_code == 0 and json.loads(again.stdout)["imported"] == 3


def test_a_revoked_key_stops_the_backfill_with_one_line_and_it_resumes(
    data_dir,
    woo: WooStore,  # type: ignore[no-untyped-def]
) -> None:
    slug = _merchant(data_dir)
    assert _cli(data_dir, "woocommerce", "connect", slug, "--url", woo.url, "--key", KEY,
                "--secret", SECRET).exit_code == 0  # fmt: skip
    woo.orders = [_order(8100 + i, f"2026-11-0{i + 1}T10:00:00") for i in range(3)]
    woo.revoked_after = 0  # the merchant revoked the key in WooCommerce
    stopped = _cli(data_dir, "woocommerce", "backfill", slug, "--only", "orders")
    assert stopped.exit_code == 2
    (line,) = [x for x in stopped.stderr.splitlines() if x.startswith("error:")]
    assert "refused the REST API key" in line and "woocommerce connect" in line
    woo.revoked_after = None
    resumed = _cli(data_dir, "woocommerce", "backfill", slug, "--only", "orders")
    assert resumed.exit_code == 0, resumed.output
    assert json.loads(resumed.stdout)["imported"] == 3


def test_bad_input_exits_2_with_one_line(data_dir, woo: WooStore) -> None:  # type: ignore[no-untyped-def]
    slug = _merchant(data_dir)
    bad_key = _cli(data_dir, "woocommerce", "connect", slug, "--url", woo.url, "--key",
                   "ck_123", "--secret", SECRET)  # fmt: skip
    assert bad_key.exit_code == 2 and bad_key.stderr.strip().startswith("error: key:")
    refused = _cli(data_dir, "woocommerce", "connect", slug, "--url", woo.url, "--key", KEY,
                   "--secret", "cs_" + "1" * 40)  # fmt: skip
    assert refused.exit_code == 2 and "Read/Write" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    not_connected = _cli(data_dir, "woocommerce", "backfill", slug)
    assert not_connected.exit_code == 2 and "woocommerce connect" in not_connected.stderr
    bad_day = _cli(data_dir, "woocommerce", "backfill", slug, "--since", "01/11/2026")
    assert bad_day.exit_code == 2 and "--since" in bad_day.stderr
