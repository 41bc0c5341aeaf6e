"""Carrier accounts through our own surfaces: the API (/api/v1/carriers/accounts) and the
CLI (carriers add|list|test|remove). Credentials are write-only and sealed at rest; bad
input is refused naming the field; tenants never see each other's accounts."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from postpurchase.adapters.db import tables as t
from postpurchase.entrypoints.api.app import create_app
from postpurchase.entrypoints.cli import app as cli
from postpurchase.service_layer import handlers
from tests.factories import ref
from tests.integration.carriers.conftest import SIM_KEY


def tenant(platform):
    merchant, key, *_ = handlers.create_merchant(platform.uow(), platform.clock, "Shop " + ref())
    return merchant, {"Authorization": f"Bearer {key}"}


def test_api_accounts_are_write_only_sealed_and_per_tenant(platform, simulator) -> None:
    with TestClient(create_app(platform)) as client:
        merchant, auth = tenant(platform)
        _other, other_auth = tenant(platform)
        r = client.post(
            "/api/v1/carriers/accounts",
            headers=auth,
            json={
                "carrier": "ups",
                "mode": "production",
                "credentials": {"client_id": "ups-app-client-0001", "client_secret": "s3cr3t-9876"},
                "options": {"account_number": "A12B34"},
            },
        )
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["credentials_last4"] == {"client_id": "0001", "client_secret": "9876"}
        assert body["options"] == {"account_number": "A12B34"} and body["mode"] == "production"
        assert "s3cr3t" not in r.text
        with platform.engine.connect() as conn:
            sealed = conn.execute(
                select(t.carrier_accounts.c.sealed_credentials).where(
                    t.carrier_accounts.c.merchant_id == merchant.id
                )
            ).scalar()
        assert sealed.startswith("fernet:") and "s3cr3t" not in sealed

        assert client.get("/api/v1/carriers/accounts", headers=other_auth).json() == []
        assert client.delete("/api/v1/carriers/accounts/ups", headers=other_auth).status_code == 404
        listed = client.get("/api/v1/carriers/accounts", headers=auth).json()
        assert [a["carrier"] for a in listed] == ["ups"] and "s3cr3t" not in str(listed)

        # replacing keeps one account per carrier
        again = client.post(
            "/api/v1/carriers/accounts",
            headers=auth,
            json={
                "carrier": "ups",
                "connector": "simulated",
                "credentials": {"api_key": SIM_KEY},
                "options": {"base_url": simulator.url},
            },
        )
        assert again.status_code == 200 and again.json()["connector"] == "simulated"
        ok = client.post("/api/v1/carriers/accounts/ups/test", headers=auth)
        assert ok.status_code == 200 and ok.json()["ok"] is True
        assert ok.json()["account"]["last_ok_at"]
        assert client.delete("/api/v1/carriers/accounts/ups", headers=auth).status_code == 204
        assert client.get("/api/v1/carriers/accounts", headers=auth).json() == []


def test_api_refuses_bad_accounts_naming_the_field(platform) -> None:
    with TestClient(create_app(platform)) as client:
        _, auth = tenant(platform)
        cases = [
            ({"carrier": "ups", "credentials": {"client_id": "abc"}}, "credentials.client_secret"),
            (
                {
                    "carrier": "ups",
                    "credentials": {"client_id": "a", "client_secret": "b", "password": "c"},
                },
                "credentials.password",
            ),
            ({"carrier": "nosuch", "credentials": {"x": "y"}}, "body"),
            (
                {
                    "carrier": "fedex",
                    "connector": "simulated",
                    "credentials": {"api_key": "k"},
                    "options": {"base_url": "http://169.254.169.254"},
                },
                "options.base_url",
            ),
            (
                {"carrier": "ups", "credentials": {"client_id": "a\nb", "client_secret": "b"}},
                "credentials.client_id",
            ),
        ]
        for body, field in cases:
            r = client.post("/api/v1/carriers/accounts", headers=auth, json=body)
            assert r.status_code == 422, (body, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["field"] == field, r.json()


def test_api_test_names_wrong_credentials(platform, simulator) -> None:
    with TestClient(create_app(platform)) as client:
        _, auth = tenant(platform)
        client.post(
            "/api/v1/carriers/accounts",
            headers=auth,
            json={
                "carrier": "dhl",
                "connector": "simulated",
                "credentials": {"api_key": "not-the-key"},
                "options": {"base_url": simulator.url},
            },
        )
        r = client.post("/api/v1/carriers/accounts/dhl/test", headers=auth)
        assert r.status_code == 200 and r.json()["ok"] is False
        assert r.json()["failure"] == "auth" and "401" in r.json()["detail"]
        listed = client.get("/api/v1/carriers/accounts", headers=auth).json()
        assert "auth" in listed[0]["last_error"]


def test_cli_add_list_test_remove(platform, simulator, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("POSTPURCHASE_DATABASE_URL", platform.engine.url.render_as_string(False))
    merchant, _ = tenant(platform)
    run = CliRunner().invoke
    added = run(
        cli,
        ["carriers", "add", merchant.slug, "fedex", "--simulator", simulator.url, "--api-key", "-"],
        input=SIM_KEY + "\n",
    )
    assert added.exit_code == 0, added.output
    assert SIM_KEY not in added.stdout and SIM_KEY[-4:] in added.stdout
    tested = run(cli, ["carriers", "test", merchant.slug, "fedex"])
    assert tested.exit_code == 0, tested.output
    listed = run(cli, ["carriers", "list", merchant.slug])
    assert '"carrier": "fedex"' in listed.stdout and '"last_ok_at": "' in listed.stdout

    bad = run(cli, ["carriers", "add", merchant.slug, "ups", "--client-id", "abc"])
    assert bad.exit_code == 2 and "client_secret" in bad.output
    foreign = run(
        cli,
        [
            "carriers",
            "add",
            merchant.slug,
            "ups",
            "--client-id",
            "a",
            "--client-secret",
            "b",
            "--delis-id",
            "c",
        ],
    )
    assert foreign.exit_code == 2 and "--delis-id" in foreign.output

    assert run(cli, ["carriers", "remove", merchant.slug, "fedex"]).exit_code == 0
    gone = run(cli, ["carriers", "remove", merchant.slug, "fedex"])
    assert gone.exit_code == 2 and "no fedex account" in gone.output


def test_key_rotation_reseals_carrier_credentials(platform, simulator, monkeypatch) -> None:
    import os

    from postpurchase.adapters.carriers.accounts import test_account
    from postpurchase.adapters.secrets import Keyring, new_key
    from tests.integration.carriers.conftest import simulated_account

    merchant, _ = tenant(platform)
    simulated_account(platform, merchant.id, "ups", simulator.url)
    fresh = new_key()
    session_keys = os.environ["POSTPURCHASE_ENCRYPTION_KEYS"]
    rotated = f"{fresh},{session_keys}"
    monkeypatch.setenv("POSTPURCHASE_ENCRYPTION_KEYS", rotated)
    monkeypatch.setenv("POSTPURCHASE_DATABASE_URL", platform.engine.url.render_as_string(False))
    done = CliRunner().invoke(cli, ["secrets", "reencrypt"])
    assert done.exit_code == 0, done.output
    # only the new key now: the credentials still open, and the carrier still answers
    platform.keyring = Keyring([fresh])
    view = test_account(platform.engine, platform.keyring, platform.clock.now, merchant.id, "ups")
    assert view.last_ok_at is not None
    # the session's database is shared: put every row back under the session's key
    monkeypatch.setenv("POSTPURCHASE_ENCRYPTION_KEYS", f"{session_keys},{fresh}")
    assert CliRunner().invoke(cli, ["secrets", "reencrypt"]).exit_code == 0
