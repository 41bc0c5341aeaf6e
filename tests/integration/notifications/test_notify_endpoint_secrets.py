"""Outbound webhook secrets (``whsec_…``) are sealed at rest with the one keyring: the
database never holds one in the clear, key rotation plus ``postpurchase secrets reencrypt``
re-seals them, rows from before this change are migrated as ``plain:`` and sealed by the
upgrade, and deliveries keep signing with the clear secret throughout."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from typer.testing import CliRunner

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.engine import make_engine
from postpurchase.adapters.db.migrate import pending_diff, upgrade
from postpurchase.adapters.db.secret_store import reseal_endpoint_secrets
from postpurchase.adapters.notifications.unit_of_work import SqlNotificationUnitOfWork
from postpurchase.adapters.secrets import Keyring, SecretsUnavailable, new_key
from postpurchase.adapters.signatures import POSTPURCHASE_HEADER, verify_postpurchase
from postpurchase.entrypoints.cli import app as cli
from tests.factories import place_order
from tests.integration.notifications.conftest import Notify, make_notify, quiet_settings
from tests.notify_support import HttpRecorder, Recorded

LOOPBACK = quiet_settings(outbound_allow="127.0.0.1")


class Receiver:
    def __init__(self) -> None:
        self.secret = ""
        self.verified: list[bool] = []

    def __call__(self, rec: Recorded) -> tuple[int, dict[str, str], bytes]:
        ok = verify_postpurchase(
            rec.body, rec.headers.get(POSTPURCHASE_HEADER), self.secret, datetime.now(UTC)
        )
        self.verified.append(ok)
        return (200 if ok else 401), {}, b""


def stored_rows(engine: Engine, merchant_id: str | None = None) -> list[dict[str, Any]]:
    e = t.webhook_endpoints
    q = select(e).order_by(e.c.created_at)
    if merchant_id is not None:
        q = q.where(e.c.merchant_id == merchant_id)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def deliver_one(notify: Notify) -> None:
    notify.platform.bus().handle(place_order(notify.merchant.id))
    notify.drain()


def test_the_database_never_holds_an_endpoint_secret_in_the_clear(engine: Engine) -> None:
    receiver = Receiver()
    with HttpRecorder(receiver) as server:
        notify = make_notify(engine, LOOPBACK)
        ep = notify.service.create_endpoint(notify.merchant.id, f"{server.url}/h", ["*"])
        assert ep.secret.startswith("whsec_")
        [row] = stored_rows(engine, notify.merchant.id)
        assert row["secret"].startswith("fernet:")
        assert not any(ep.secret in str(value) for value in row.values())
        receiver.secret = ep.secret
        deliver_one(notify)
        assert receiver.verified == [True]  # signed with the clear secret

        rotated = notify.service.update_endpoint(notify.merchant.id, ep.id, rotate_secret=True)
        [row] = stored_rows(engine, notify.merchant.id)
        assert rotated.secret != ep.secret and row["secret"].startswith("fernet:")
        assert rotated.secret not in row["secret"] and ep.secret not in row["secret"]
        receiver.secret = rotated.secret
        deliver_one(notify)
        assert receiver.verified == [True, True]


# own_database (tests/conftest.py): key rotation re-seals every row of a table, and the
# session's database holds other tests' rows.


def test_key_rotation_and_reencrypt_reseal_endpoint_secrets(
    own_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = os.environ["POSTPURCHASE_ENCRYPTION_KEYS"], new_key()
    engine = make_engine(own_database)
    upgrade(engine)
    receiver = Receiver()
    try:
        with HttpRecorder(receiver) as server:
            notify = make_notify(engine, LOOPBACK)
            ep = notify.service.create_endpoint(notify.merchant.id, f"{server.url}/h", ["*"])
            receiver.secret = ep.secret
            before = stored_rows(engine)[0]["secret"]

            monkeypatch.setenv("POSTPURCHASE_DATABASE_URL", own_database)
            monkeypatch.setenv("POSTPURCHASE_ENCRYPTION_KEYS", f"{new},{old}")
            done = CliRunner().invoke(cli, ["secrets", "reencrypt", "--data-dir", str(tmp_path)])
            assert done.exit_code == 0, done.output
            assert json.loads(done.stdout)["resealed"] == 2  # the tracking secret + ours
            after = stored_rows(engine)[0]["secret"]
            assert after != before and after.startswith("fernet:")
            assert not Keyring([new]).needs_reseal(after)
            with pytest.raises(SecretsUnavailable):
                Keyring([old]).open(after)  # the old key no longer opens it

            monkeypatch.setenv("POSTPURCHASE_ENCRYPTION_KEYS", new)  # the old key is gone
            again = CliRunner().invoke(cli, ["secrets", "reencrypt", "--data-dir", str(tmp_path)])
            assert json.loads(again.stdout)["resealed"] == 0
            with SqlNotificationUnitOfWork(engine, box=Keyring([new])) as uow:
                opened = uow.store.get_endpoint(notify.merchant.id, ep.id)
            assert opened is not None and opened.secret == ep.secret
            rotated = make_notify(engine, LOOPBACK)  # a process started with the new key only
            rotated.merchant = notify.merchant
            deliver_one(rotated)
            assert receiver.verified == [True]  # still signed with the same clear secret
    finally:
        engine.dispose()


def test_the_upgrade_keeps_old_endpoint_secrets_and_seals_them(own_database: str) -> None:
    engine = make_engine(own_database)
    try:
        upgrade(engine, "0006")
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO merchants (id, name, slug, timezone, locale, settings, created_at) "
                "VALUES ('m1', 'Old', 'old-whsec', 'UTC', 'en', '{}', '2026-01-01 00:00:00')"
            ))  # fmt: skip
            conn.execute(text(
                "INSERT INTO webhook_endpoints (id, merchant_id, url, secret, topics, active, "
                "created_at, updated_at) VALUES ('e1', 'm1', 'https://hooks.example.com/h', "
                "'whsec_from_before', '[\"*\"]', true, '2026-01-01 00:00:00', "
                "'2026-01-01 00:00:00')"
            ))  # fmt: skip
        upgrade(engine)
        assert pending_diff(engine) == []
        [row] = stored_rows(engine)
        assert row["secret"] == "plain:whsec_from_before"
        box = Keyring([new_key()])
        with SqlNotificationUnitOfWork(engine, box=box) as uow:
            ep = uow.store.get_endpoint("m1", "e1")
        assert ep is not None and ep.secret == "whsec_from_before"
        with engine.begin() as conn:
            assert reseal_endpoint_secrets(conn, box) == 1
            assert reseal_endpoint_secrets(conn, box) == 0
        [row] = stored_rows(engine)
        assert row["secret"].startswith("fernet:") and "whsec_from_before" not in row["secret"]
        assert box.open(row["secret"]) == "whsec_from_before"
    finally:
        engine.dispose()
