"""Platform-issued secrets set through our own surface (API, CLI), sealed at rest, rotated
with a grace period, and used to verify real webhooks signed the way each platform signs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from typer.testing import CliRunner

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.migrate import upgrade
from postpurchase.adapters.secrets import Keyring, new_key
from postpurchase.adapters.signatures import sign_easypost, verify_woocommerce
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain.secrets import SecretKind
from postpurchase.entrypoints.api.app import create_app
from postpurchase.entrypoints.cli import app as cli
from postpurchase.service_layer import handlers
from tests.factories import ref
from tests.fakes import FakeClock

PAYLOADS = Path(__file__).parent.parent.parent / "fixtures" / "payloads"
# Shapes of the secrets the platforms issue (see tests/e2e/test_inbound_webhooks.py).
SHOPIFY_KEY = "3e5c1f9a7b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e"
SHOPIFY_NEXT = "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"
AFTERSHIP_KEY = "Xq4mJ9vP2sT7wZ1bN6cR8dF3gH5kL0aE"


def shopify_sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@pytest.fixture
def world(engine):  # type: ignore[no-untyped-def]
    clock = FakeClock()
    platform = bootstrap(Settings(), engine=engine, clock=clock, notifications=False)
    with TestClient(create_app(platform)) as client:
        yield platform, clock, client


def tenant(platform):  # type: ignore[no-untyped-def]
    return handlers.create_merchant(platform.uow(), platform.clock, "Shop " + ref())


def test_secrets_are_write_only_and_sealed_at_rest(world, engine) -> None:
    platform, _, client = world
    merchant, key, tracking = tenant(platform)
    auth = {"Authorization": f"Bearer {key}"}
    r = client.put(
        "/api/v1/merchant/secrets",
        json={"shopify_webhook_secret": SHOPIFY_KEY, "easypost_webhook_secret": "A1B2C3"},
        headers=auth,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["shopify_webhook_secret_last4"] == SHOPIFY_KEY[-4:]
    assert body["easypost_webhook_secret_last4"] == "B2C3"
    assert body["tracking_webhook_secret_last4"] == tracking[-4:]
    assert SHOPIFY_KEY not in r.text and "A1B2C3" not in r.text
    assert client.get("/api/v1/merchant/secrets", headers=auth).json() == body
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.merchant_secrets).where(t.merchant_secrets.c.merchant_id == merchant.id)
        ).mappings()
        dump = json.dumps([dict(r) for r in rows], default=str)
    for clear in (SHOPIFY_KEY, "A1B2C3", tracking):
        assert clear not in dump
    assert dump.count("fernet:") == 3


def test_bad_secrets_name_the_field_and_change_nothing(world) -> None:
    platform, _, client = world
    _, key, _ = tenant(platform)
    auth = {"Authorization": f"Bearer {key}"}
    client.put(
        "/api/v1/merchant/secrets", json={"shopify_webhook_secret": SHOPIFY_KEY}, headers=auth
    )
    for body, field in [
        ({"shopify_webhook_secret": "has a space in it"}, "shopify_webhook_secret"),
        ({"shopify_webhook_secret": "x" * 600}, "shopify_webhook_secret"),
        ({"aftership_webhook_secret": "ok-secret-1", "easypost_webhook_secret": "bad\nline"},
         "easypost_webhook_secret"),
        ({"tracking_webhook_secret": "we-issue-this-one"}, "tracking_webhook_secret"),
    ]:  # fmt: skip
        r = client.put("/api/v1/merchant/secrets", json=body, headers=auth)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["field"] == field
    after = client.get("/api/v1/merchant/secrets", headers=auth).json()
    assert after["shopify_webhook_secret_last4"] == SHOPIFY_KEY[-4:]
    assert after["aftership_webhook_secret_last4"] is None  # the batch was refused whole
    assert client.put("/api/v1/merchant/secrets", json={}).status_code == 401


def test_shopify_webhook_verifies_with_the_set_secret_and_honours_rotation(world) -> None:
    platform, clock, client = world
    merchant, key, _ = tenant(platform)
    auth = {"Authorization": f"Bearer {key}"}
    body = (PAYLOADS / "shopify_order.json").read_bytes()
    url = f"/webhooks/shopify/{merchant.slug}"

    def post(secret: str, webhook_id: str):  # type: ignore[no-untyped-def]
        return client.post(url, content=body, headers={
            "X-Shopify-Hmac-Sha256": shopify_sign(body, secret),
            "X-Shopify-Topic": "orders/create", "X-Shopify-Webhook-Id": webhook_id,
        })  # fmt: skip

    assert post(SHOPIFY_KEY, ref()).status_code == 401  # nothing set yet: nothing verifies
    client.put(
        "/api/v1/merchant/secrets", json={"shopify_webhook_secret": SHOPIFY_KEY}, headers=auth
    )
    assert post(SHOPIFY_KEY, ref()).status_code == 200
    client.put(
        "/api/v1/merchant/secrets", json={"shopify_webhook_secret": SHOPIFY_NEXT}, headers=auth
    )
    assert post(SHOPIFY_NEXT, ref()).status_code == 200
    clock.advance(hours=23)
    assert post(SHOPIFY_KEY, ref()).status_code == 200  # still within the grace period
    details = client.get("/api/v1/merchant/secrets", headers=auth).json()["details"]
    assert details["shopify_webhook_secret"]["previous_accepted_until"] is not None
    clock.advance(hours=2)
    r = post(SHOPIFY_KEY, ref())
    assert r.status_code == 401 and r.json()["field"] == "X-Shopify-Hmac-Sha256"
    assert post(SHOPIFY_NEXT, ref()).status_code == 200
    client.put("/api/v1/merchant/secrets", json={"shopify_webhook_secret": None}, headers=auth)
    assert post(SHOPIFY_NEXT, ref()).status_code == 401  # removed: refused at once


def test_one_merchants_secret_never_verifies_anothers_webhooks(world) -> None:
    platform, _, client = world
    a, a_key, _ = tenant(platform)
    b, b_key, _ = tenant(platform)
    client.put(
        "/api/v1/merchant/secrets",
        json={"aftership_webhook_secret": AFTERSHIP_KEY},
        headers={"Authorization": f"Bearer {a_key}"},
    )
    raw = (PAYLOADS / "aftership_tracking_update_2025.json").read_bytes()
    sig = base64.b64encode(hmac.new(AFTERSHIP_KEY.encode(), raw, hashlib.sha256).digest()).decode()
    headers = {"aftership-hmac-sha256": sig}
    ok = client.post(
        f"/webhooks/tracking/aftership?merchant={a.slug}", content=raw, headers=headers
    )
    assert ok.status_code == 200, ok.text
    other = client.post(
        f"/webhooks/tracking/aftership?merchant={b.slug}", content=raw, headers=headers
    )
    assert other.status_code == 401
    b_view = client.get("/api/v1/merchant/secrets", headers={"Authorization": f"Bearer {b_key}"})
    assert b_view.json()["aftership_webhook_secret_last4"] is None


def test_easypost_nfkd_secret_set_through_the_api_verifies(world) -> None:
    platform, _, client = world
    merchant, key, _ = tenant(platform)
    secret = "sécret-ﬁle-A1B2C3"  # composed é and a ligature: EasyPost NFKD-normalises the key
    client.put(
        "/api/v1/merchant/secrets",
        json={"easypost_webhook_secret": secret},
        headers={"Authorization": f"Bearer {key}"},
    )
    raw = (PAYLOADS / "easypost_tracker_updated.json").read_bytes()
    url = f"/webhooks/tracking/easypost?merchant={merchant.slug}"
    r = client.post(url, content=raw, headers={"X-Hmac-Signature": sign_easypost(raw, secret)})
    assert r.status_code == 200, r.text
    plain = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()  # not normalised
    r = client.post(url, content=raw, headers={"X-Hmac-Signature": "hmac-sha256-hex=" + plain})
    assert r.status_code == 401


def test_woocommerce_secret_set_through_the_api_verifies_its_signature(world) -> None:
    platform, _, client = world
    merchant, key, _ = tenant(platform)
    secret = "wc-3f1b2c4d5e6f7a8b9c0d"
    client.put(
        "/api/v1/merchant/secrets",
        json={"woocommerce_webhook_secret": secret},
        headers={"Authorization": f"Bearer {key}"},
    )
    body = b'{"id":727,"status":"processing","currency":"USD","total":"29.35"}'
    header = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    with platform.uow() as uow:
        stored = uow.secrets.get(merchant.id, SecretKind.WOOCOMMERCE_WEBHOOK)
    assert stored is not None
    assert verify_woocommerce(body, header, stored.current)
    assert not verify_woocommerce(body + b" ", header, stored.current)


def test_our_tracking_secret_rotates_with_grace(world) -> None:
    platform, clock, client = world
    merchant, key, first = tenant(platform)
    r = client.post(
        "/api/v1/merchant/secrets/tracking-webhook/rotate",
        headers={"Authorization": f"Bearer {key}"},
    )
    second = r.json()["tracking_webhook_secret"]
    assert second != first and second.startswith("ppwh_")
    grace = timedelta(hours=platform.settings.secret_grace_hours)
    with platform.uow() as uow:
        stored = uow.secrets.get(merchant.id, SecretKind.TRACKING_WEBHOOK)
    assert stored is not None
    assert stored.accepted(clock.now(), grace) == (second, first)
    assert stored.accepted(clock.now() + grace, grace) == (second,)


runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path, monkeypatch, backend_url):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("POSTPURCHASE_DATABASE_URL", backend_url)
    return tmp_path


def test_cli_sets_secrets_from_options_and_stdin_and_shows_last4_only(data_dir) -> None:
    slug = "cli-" + ref()
    created = runner.invoke(
        cli,
        ["merchant", "create", slug, "--data-dir", str(data_dir),
         "--easypost-secret", "A1B2C3"],
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    assert "Tracking webhook secret: ppwh_" in created.stdout
    assert "easypost_webhook_secret_last4: B2C3" in created.stdout
    assert "A1B2C3" not in created.stdout.replace("last4: B2C3", "")
    set_ = runner.invoke(
        cli,
        ["merchant", "secrets", slug, "--data-dir", str(data_dir), "--shopify-secret", "-"],
        input=SHOPIFY_KEY + "\n",
    )
    assert set_.exit_code == 0, set_.output
    assert f"shopify_webhook_secret_last4: {SHOPIFY_KEY[-4:]}" in set_.stdout
    assert SHOPIFY_KEY not in set_.stdout
    bad = runner.invoke(
        cli, ["merchant", "secrets", slug, "--data-dir", str(data_dir), "--shopify-secret", "a b"]
    )
    assert bad.exit_code == 2 and bad.stderr.count("\n") == 1
    assert "shopify_webhook_secret" in bad.stderr
    gone = runner.invoke(
        cli, ["merchant", "secrets", slug, "--data-dir", str(data_dir), "--remove", "easypost"]
    )
    assert gone.exit_code == 0 and "easypost" not in gone.stdout
    rotated = runner.invoke(
        cli,
        ["merchant", "secrets", slug, "--data-dir", str(data_dir), "--rotate-tracking-secret"],
    )
    assert rotated.exit_code == 0 and "Tracking webhook secret: ppwh_" in rotated.stdout
    assert runner.invoke(cli, ["merchant", "secrets", "nope-" + ref()]).exit_code == 2


def test_key_rotation_reencrypts_every_row(data_dir, engine, monkeypatch) -> None:
    slug = "rot-" + ref()
    runner.invoke(cli, ["merchant", "create", slug, "--data-dir", str(data_dir),
                        "--shopify-secret", SHOPIFY_KEY])  # fmt: skip
    old = Settings().encryption_keys
    new = new_key()
    monkeypatch.setenv("POSTPURCHASE_ENCRYPTION_KEYS", f"{new},{old}")
    done = runner.invoke(cli, ["secrets", "reencrypt", "--data-dir", str(data_dir)])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["resealed"] >= 2
    only_new = Keyring([new])
    with engine.connect() as conn:
        sealed = [r.sealed for r in conn.execute(select(t.merchant_secrets.c.sealed))]
    assert all(not only_new.needs_reseal(s) for s in sealed)
    monkeypatch.setenv("POSTPURCHASE_ENCRYPTION_KEYS", new)  # the old key is gone now
    listed = runner.invoke(cli, ["merchant", "secrets", slug, "--data-dir", str(data_dir)])
    assert f"shopify_webhook_secret_last4: {SHOPIFY_KEY[-4:]}" in listed.stdout
    again = runner.invoke(cli, ["secrets", "reencrypt", "--data-dir", str(data_dir)])
    assert json.loads(again.stdout)["resealed"] == 0
    # the session's database is shared: put every row back under the session's key
    monkeypatch.setenv("POSTPURCHASE_ENCRYPTION_KEYS", f"{old},{new}")
    back = runner.invoke(cli, ["secrets", "reencrypt", "--data-dir", str(data_dir)])
    assert back.exit_code == 0, back.output


def test_new_key_prints_a_usable_key() -> None:
    out = runner.invoke(cli, ["secrets", "new-key"])
    assert out.exit_code == 0
    Keyring([out.stdout.strip()])


def test_upgrade_moves_old_plaintext_columns_into_sealed_rows(tmp_path) -> None:
    from postpurchase.adapters.db.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    upgrade(engine, "0004")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO merchants (id, name, slug, timezone, locale, settings, created_at, "
            "shopify_secret, tracking_secret) VALUES ('m1', 'Old', 'old', 'UTC', 'en', '{}', "
            "'2026-01-01 00:00:00', 'old-shopify-secret', 'old-tracking-secret')"
        ))  # fmt: skip
    upgrade(engine)
    platform = bootstrap(Settings(), engine=engine, notifications=False)
    with platform.uow() as uow:
        shop = uow.secrets.get("m1", SecretKind.SHOPIFY_WEBHOOK)
        ours = uow.secrets.get("m1", SecretKind.TRACKING_WEBHOOK)
    assert shop is not None and shop.current == "old-shopify-secret"
    assert ours is not None and ours.current == "old-tracking-secret"
    from postpurchase.adapters.db.secret_store import reseal_all

    with engine.begin() as conn:
        assert reseal_all(conn, platform.keyring) == 2
        stored = " ".join(r.sealed for r in conn.execute(select(t.merchant_secrets.c.sealed)))
    assert "old-shopify-secret" not in stored and "plain:" not in stored
    engine.dispose()


def test_cli_issues_or_sets_the_helpdesk_secret(data_dir) -> None:
    slug = "hd-" + ref()
    assert (
        runner.invoke(cli, ["merchant", "create", slug, "--data-dir", str(data_dir)]).exit_code == 0
    )
    issued = runner.invoke(
        cli, ["merchant", "secrets", slug, "--data-dir", str(data_dir), "--rotate-helpdesk-secret"]
    )
    assert issued.exit_code == 0, issued.output
    secret = issued.stdout.split("Helpdesk webhook secret: ")[1].split()[0]
    assert secret.startswith("pphd_")
    assert f"helpdesk_webhook_secret_last4: {secret[-4:]}" in issued.stdout
    zendesk = "zd-signing-secret-0123456789"
    pasted = runner.invoke(
        cli, ["merchant", "secrets", slug, "--data-dir", str(data_dir), "--helpdesk-secret", "-"],
        input=zendesk + "\n",
    )  # fmt: skip
    assert pasted.exit_code == 0 and "helpdesk_webhook_secret_last4: 6789" in pasted.stdout
    assert zendesk not in pasted.stdout
    bad = runner.invoke(
        cli, ["merchant", "secrets", slug, "--data-dir", str(data_dir), "--helpdesk-secret", "x"]
    )
    assert bad.exit_code == 2 and "helpdesk_webhook_secret" in bad.stderr
