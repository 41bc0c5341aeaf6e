"""The checkout estimate API on a real database (SQLite and PostgreSQL): publishable keys
and checkout settings set through our own surfaces (API and CLI), and what a storefront gets
back, including that one merchant's key never reads another merchant's settings."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from postpurchase.adapters.db import tables as t
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain.edd.types import DEFAULT_CONFIDENCE, Estimate, EstimateRequest, Layer
from postpurchase.domain.merchants import hash_api_key
from postpurchase.entrypoints.api.app import create_app
from postpurchase.entrypoints.api.checkout_access import CallerCache
from postpurchase.entrypoints.cli import app as cli
from postpurchase.service_layer import handlers
from tests.factories import ref
from tests.fakes import FakeClock

PATH = "/api/v1/estimates/checkout"
# Monday 7 December 2026, 15:48:20 UTC (a London afternoon)
NOW = datetime(2026, 12, 7, 15, 48, 20, tzinfo=UTC)


@pytest.fixture
def world(engine):  # type: ignore[no-untyped-def]
    clock = FakeClock(NOW)
    platform = bootstrap(Settings(), engine=engine, clock=clock, notifications=False)
    app = create_app(platform)
    app.state.checkout_callers = CallerCache(ttl=0)  # every request reads the key afresh
    with TestClient(app) as client:
        yield platform, clock, client, app


def shop(platform: Any, client: TestClient, **settings: Any) -> tuple[str, dict[str, str], str]:
    """A merchant set up the way a merchant does it: settings and a key through the API."""
    merchant, secret, _ = handlers.create_merchant(platform.uow(), platform.clock, "Shop " + ref())
    auth = {"Authorization": f"Bearer {secret}"}
    if settings:
        r = client.patch("/api/v1/merchant/checkout-settings", json=settings, headers=auth)
        assert r.status_code == 200, r.text
    r = client.post("/api/v1/merchant/publishable-keys", json={"label": "web"}, headers=auth)
    assert r.status_code == 201, r.text
    return merchant.id, auth, r.json()["key"]


LONDON = {
    "cutoff": "17:00",
    "timezone": "Europe/London",
    "handling_days": 1,
    "ship_from_country": "GB",
    "storefront_origins": ["https://mugs.example.co.uk"],
}


def test_a_storefront_reads_dates_and_the_countdown(world) -> None:  # type: ignore[no-untyped-def]
    platform, _, client, _ = world
    _, _, pk = shop(platform, client, **LONDON)
    r = client.get(
        PATH,
        params={"country": "GB", "postal_code": "SW1A 1AA", "method": "Standard Delivery",
                "locale": "en-GB"},
        headers={"Authorization": f"Bearer {pk}", "Origin": "https://mugs.example.co.uk"},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["layer"] == "rules" and body["service_level"] == "standard"
    assert body["cutoff_at"] == "2026-12-07T17:00:00Z"
    # Counted from the end of the minute (15:49): 1 h 11 min to 17:00.
    assert body["seconds_left"] == 71 * 60
    assert body["dates"]["hand_over"] == "2026-12-08"
    assert body["text"]["countdown"].startswith("Order within 1 hr, 11 mins to get it by ")
    assert body["text"]["promise_day"] in body["text"]["countdown"]
    assert body["time_zone"] == "Europe/London" and body["text"]["cutoff_time"] == "17:00"
    assert r.headers["access-control-allow-origin"] == "https://mugs.example.co.uk"
    assert r.headers["cache-control"] == "public, max-age=40"  # to the end of the minute
    assert "Origin" in r.headers["vary"] and r.headers["etag"]
    again = client.get(PATH, params={"country": "GB", "postal_code": "SW1A 1AA",
                                     "method": "Standard Delivery", "locale": "en-GB",
                                     "key": pk},
                       headers={"If-None-Match": r.headers["etag"]})  # fmt: skip
    assert again.status_code == 304 and again.headers["etag"] == r.headers["etag"]


def test_max_age_never_crosses_the_cut_off(world) -> None:  # type: ignore[no-untyped-def]
    platform, clock, client, _ = world
    _, _, pk = shop(platform, client, **LONDON)
    params = {"country": "GB", "method": "express", "key": pk}
    clock.current = datetime(2026, 12, 7, 16, 59, 45, tzinfo=UTC)
    before = client.get(PATH, params=params).json()
    assert client.get(PATH, params=params).headers["cache-control"] == "public, max-age=15"
    assert before["seconds_left"] == 0 and before["cutoff_at"] == "2026-12-07T17:00:00Z"
    clock.current = datetime(2026, 12, 7, 17, 0, 0, tzinfo=UTC)
    after = client.get(PATH, params=params).json()
    assert after["cutoff_at"] == "2026-12-08T17:00:00Z"
    assert after["dates"]["hand_over"] > before["dates"]["hand_over"]


def test_a_merchants_key_reads_only_its_own_settings(world) -> None:  # type: ignore[no-untyped-def]
    platform, _, client, _ = world
    _, _, pk_a = shop(platform, client, **LONDON)
    _, _, pk_b = shop(platform, client, cutoff="09:30", timezone="America/New_York",
                      handling_days=3, storefront_origins=["https://b.example.com"])  # fmt: skip
    q = {"country": "US", "postal_code": "10001", "method": "standard"}
    a = client.get(PATH, params={**q, "key": pk_a}, headers={"Origin": "https://b.example.com"})
    b = client.get(PATH, params={**q, "key": pk_b}, headers={"Origin": "https://b.example.com"})
    assert a.json()["cutoff_at"] == "2026-12-07T17:00:00Z"
    assert b.json()["cutoff_at"] == "2026-12-08T14:30:00Z"  # 09:30 in New York, tomorrow
    assert b.json()["dates"]["hand_over"] == "2026-12-11"  # three handling days
    assert "access-control-allow-origin" not in a.headers  # B's origin, A's key
    assert b.headers["access-control-allow-origin"] == "https://b.example.com"


def test_keys_are_hashed_listed_revoked_and_rotated(world, engine) -> None:  # type: ignore[no-untyped-def]
    platform, _, client, _ = world
    merchant_id, auth, pk = shop(platform, client)
    with engine.connect() as conn:
        k = t.publishable_keys.c
        stored = conn.execute(select(k.key_hash).where(k.merchant_id == merchant_id)).scalars()
        assert list(stored) == [hash_api_key(pk)]
    listed = client.get("/api/v1/merchant/publishable-keys", headers=auth).json()["keys"]
    assert [k["hint"] for k in listed] == [pk[:11]] and "key" not in listed[0]
    q = {"country": "DE", "postal_code": "10115", "method": "standard"}
    assert client.get(PATH, params={**q, "key": pk}).status_code == 200
    rotated = client.post("/api/v1/merchant/publishable-keys", json={"rotate": True}, headers=auth)
    new = rotated.json()["key"]
    assert client.get(PATH, params={**q, "key": pk}).status_code == 401
    assert client.get(PATH, params={**q, "key": new}).status_code == 200
    gone = client.delete(f"/api/v1/merchant/publishable-keys/{rotated.json()['id']}", headers=auth)
    assert gone.status_code == 204
    refused = client.get(PATH, params=q, headers={"Authorization": f"Bearer {new}"})
    assert refused.status_code == 401 and refused.json()["field"] == "Authorization"
    # Another merchant cannot revoke or even see this merchant's keys.
    _, other_auth, _ = shop(platform, client)
    other = client.delete(f"/api/v1/merchant/publishable-keys/{listed[0]['id']}",
                          headers=other_auth)  # fmt: skip
    assert other.status_code == 404 and other.json()["field"] == "key_id"
    others = client.get("/api/v1/merchant/publishable-keys", headers=other_auth).json()["keys"]
    assert listed[0]["id"] not in {k["id"] for k in others}


def test_a_publishable_key_reads_estimates_and_nothing_else(world) -> None:  # type: ignore[no-untyped-def]
    platform, _, client, _ = world
    _, auth, pk = shop(platform, client)
    as_pk = {"Authorization": f"Bearer {pk}"}
    for method, path in [("GET", "/api/v1/orders"), ("GET", "/api/v1/merchant/secrets"),
                         ("GET", "/api/v1/merchant/publishable-keys"),
                         ("POST", "/api/v1/merchant/publishable-keys"),
                         ("PATCH", "/api/v1/merchant/checkout-settings")]:  # fmt: skip
        r = client.request(method, path, headers=as_pk, json={})
        assert r.status_code == 403, (path, r.text)
        assert r.json()["field"] == "Authorization"
    # The secret API key also reads estimates (server-side rendering).
    q = {"country": "US", "postal_code": "94103", "method": "standard"}
    assert client.get(PATH, params=q, headers=auth).status_code == 200


def test_bad_input_names_the_field_and_keeps_cors(world) -> None:  # type: ignore[no-untyped-def]
    platform, _, client, _ = world
    _, _, pk = shop(platform, client, **LONDON)
    origin = {"Origin": "https://mugs.example.co.uk"}
    cases = [
        ({"country": "XX", "method": "standard"}, "country"),
        ({"method": "standard"}, "country"),
        ({"country": "US", "postal_code": "1234", "method": "standard"}, "postal_code"),
        ({"country": "US", "method": "hyperloop"}, "method"),
        ({"country": "US"}, "method"),
        ({"country": "US", "method": "standard", "items": "MUG:0"}, "items"),
        ({"country": "US", "method": "standard", "weight": "1.5kg"}, "weight"),
        ({"country": "US", "method": "standard", "locale": "zz-ZZ-x-!!"}, "locale"),
        ({"country": "US", "method": "standard", "tz": "Europe/Atlantis"}, "tz"),
    ]
    for params, field in cases:
        r = client.get(PATH, params={**params, "key": pk}, headers=origin)
        assert r.status_code == 422, (params, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["field"] == field
        if field in params and field not in ("country", "weight"):
            # Checked by the route after the key: the storefront can read why. (A missing
            # or malformed parameter is refused by its schema first, without CORS.)
            assert r.headers["access-control-allow-origin"] == origin["Origin"]
    # A valid code we cannot place: the country-wide rules answer, marked as such.
    placed = client.get(PATH, params={"country": "GB", "postal_code": "SW1A 1AA",
                                      "method": "standard", "key": pk}).json()  # fmt: skip
    assert placed["precise"] is False and "postal code not located" in placed["reason"]
    unchecked = client.get(PATH, params={"country": "KE", "postal_code": "00100",
                                         "method": "standard", "key": pk}).json()  # fmt: skip
    assert "postal code format not checked" in unchecked["reason"]


def test_settings_are_validated_all_or_nothing(world) -> None:  # type: ignore[no-untyped-def]
    platform, _, client, _ = world
    _, auth, _ = shop(platform, client, **LONDON)
    url = "/api/v1/merchant/checkout-settings"
    for body, field in [
        ({"cutoff": "24:00", "handling_days": 2}, "cutoff"),
        ({"handling_days": 99}, "handling_days"),
        ({"storefront_origins": ["http://shop.example.com"]}, "storefront_origins"),
        ({"timezone": "Mars/Olympus", "cutoff": "10:00"}, "timezone"),
        ({"ship_from_country": "GB", "ship_from_postal_code": "99999"}, "ship_from_postal_code"),
        ({"colour": "blue"}, "colour"),
        ({"promise_confidence": 0.5}, "promise_confidence"),
        ({"promise_confidence": 1}, "promise_confidence"),
        ({"promise_confidence": "high"}, "promise_confidence"),
    ]:
        r = client.patch(url, json=body, headers=auth)
        assert r.status_code == 422, (body, r.text)
        assert field in r.json()["field"], r.json()
    kept = client.get(url, headers=auth).json()
    assert kept == {
        **LONDON,
        "ship_from_postal_code": None,
        "promise_confidence": DEFAULT_CONFIDENCE,
    }


def test_a_plugged_in_model_says_so(world) -> None:  # type: ignore[no-untyped-def]
    platform, _, client, app = world
    _, _, pk = shop(platform, client, **LONDON)

    class Learned:
        def estimate(self, request: EstimateRequest) -> Estimate:
            d = request.ordered_at.date() + timedelta(days=3)
            return Estimate(d, d, d, d, 0.95, Layer.LEARNED, "v7")

    app.state.checkout_engine_for = lambda _merchant_id: Learned()
    body = client.get(PATH, params={"country": "GB", "method": "standard", "key": pk}).json()
    assert body["layer"] == "model:v7" and body["precise"] is True


def test_the_promise_confidence_is_a_setting_the_engine_is_asked_at(world) -> None:  # type: ignore[no-untyped-def]
    platform, clock, client, app = world
    mid, auth, pk = shop(platform, client, **LONDON)
    other_id, _, other_pk = shop(platform, client, **LONDON)
    asked: list[tuple[str, float]] = []

    class Learned:
        def __init__(self, merchant_id: str) -> None:
            self.merchant_id = merchant_id

        def estimate(self, request: EstimateRequest) -> Estimate:
            asked.append((self.merchant_id, request.confidence))
            d = request.ordered_at.date() + timedelta(days=3)
            late = d + timedelta(days=round(100 * request.confidence) - 90)
            return Estimate(d, d, d, late, request.confidence, Layer.LEARNED, "v7")

    engines = {m: Learned(m) for m in (mid, other_id)}
    app.state.checkout_engine_for = engines.__getitem__
    q = {"country": "GB", "method": "standard"}
    default = client.get(PATH, params={**q, "key": pk}).json()
    r = client.patch(
        "/api/v1/merchant/checkout-settings", json={"promise_confidence": 0.97}, headers=auth
    )
    assert r.status_code == 200 and r.json()["promise_confidence"] == 0.97
    clock.advance(seconds=11)  # settings reach checkout within 10 s
    padded = client.get(PATH, params={**q, "key": pk}).json()
    assert padded["dates"]["promise"] > default["dates"]["promise"]  # not the cached answer
    assert padded["confidence"] == 0.97
    client.get(PATH, params={**q, "key": other_pk})  # the other merchant keeps the default
    assert asked == [(mid, DEFAULT_CONFIDENCE), (mid, 0.97), (other_id, DEFAULT_CONFIDENCE)]
    reset = client.patch(
        "/api/v1/merchant/checkout-settings", json={"promise_confidence": None}, headers=auth
    )
    assert reset.json()["promise_confidence"] == DEFAULT_CONFIDENCE
    # Each change is in the merchant's audit log, by the key that made it.
    audit = client.get("/api/v1/audit", headers=auth).json()["items"]
    changed = [
        e["changes"]["promise_confidence"] for e in audit if "promise_confidence" in e["changes"]
    ]
    assert changed == [[0.97, DEFAULT_CONFIDENCE], [DEFAULT_CONFIDENCE, 0.97]]
    assert {e["actor"] for e in audit} == {"api:" + hash_api_key(auth["Authorization"][7:])[:12]}
    assert {e["action"] for e in audit} == {"checkout_settings.update"}


def test_preflight_answers_listed_origins_only(world) -> None:  # type: ignore[no-untyped-def]
    platform, _, client, _ = world
    _, _, pk = shop(platform, client, **LONDON)
    ask = {
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
    }
    ok = client.options(PATH, headers={**ask, "Origin": "https://mugs.example.co.uk"})
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == "https://mugs.example.co.uk"
    assert "Authorization" in ok.headers["access-control-allow-headers"]
    with_key = client.options(PATH, params={"key": pk},
                              headers={**ask, "Origin": "https://elsewhere.example"})  # fmt: skip
    assert "access-control-allow-origin" not in with_key.headers
    assert (
        "access-control-allow-origin"
        not in client.options(PATH, headers={**ask, "Origin": "https://evil.example"}).headers
    )


runner = CliRunner()


def test_cli_keys_and_settings(tmp_path, monkeypatch, backend_url) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("POSTPURCHASE_DATABASE_URL", backend_url)
    d = ["--data-dir", str(tmp_path)]
    slug = "cli-" + ref()
    assert runner.invoke(cli, ["merchant", "create", slug, *d]).exit_code == 0
    first = runner.invoke(cli, ["merchant", "publishable-key", slug, *d])
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("Publishable key: pk_")
    listed = runner.invoke(cli, ["merchant", "publishable-key", slug, *d])
    assert "Publishable key" not in listed.stdout  # listing does not issue another
    key_id = json.loads(listed.stdout.splitlines()[0])["id"]
    rotated = runner.invoke(cli, ["merchant", "publishable-key", slug, "--rotate", *d])
    rows = [json.loads(line) for line in rotated.stdout.splitlines()[1:]]
    assert [r["id"] == key_id and r["revoked_at"] is not None for r in rows].count(True) == 1
    revoked = runner.invoke(cli, ["merchant", "publishable-key", slug, "--revoke", "nope", *d])
    assert revoked.exit_code == 2 and revoked.stderr.count("\n") == 1
    set_ = runner.invoke(cli, ["merchant", "checkout", slug, "--cutoff", "15:30",
                               "--handling-days", "2", "--timezone", "Europe/Berlin",
                               "--ship-from", "DE:10115", "--origin", "https://shop.example.de",
                               *d])  # fmt: skip
    assert set_.exit_code == 0, set_.output
    assert json.loads(set_.stdout) == {
        "cutoff": "15:30", "handling_days": 2, "timezone": "Europe/Berlin",
        "ship_from_country": "DE", "ship_from_postal_code": "10115",
        "storefront_origins": ["https://shop.example.de"],
        "promise_confidence": DEFAULT_CONFIDENCE,
    }  # fmt: skip
    conf = runner.invoke(cli, ["merchant", "checkout", slug, "--promise-confidence", "0.9", *d])
    assert conf.exit_code == 0 and json.loads(conf.stdout)["promise_confidence"] == 0.9
    logged = runner.invoke(cli, ["audit", "list", slug, "--json", *d])
    assert logged.exit_code == 0, logged.output
    entries = [json.loads(line) for line in logged.stdout.splitlines()]
    assert entries[0]["actor"] == "cli"
    assert entries[0]["changes"] == {"promise_confidence": [DEFAULT_CONFIDENCE, 0.9]}
    low = runner.invoke(cli, ["merchant", "checkout", slug, "--promise-confidence", "0.5", *d])
    assert low.exit_code == 2 and "promise_confidence" in low.stderr
    assert low.stderr.count("\n") == 1
    bad = runner.invoke(cli, ["merchant", "checkout", slug, "--origin", "http://x.example", *d])
    assert bad.exit_code == 2 and "storefront_origins" in bad.stderr
    assert bad.stderr.count("\n") == 1
    shown = runner.invoke(cli, ["merchant", "checkout", slug, *d])
    assert json.loads(shown.stdout)["storefront_origins"] == ["https://shop.example.de"]
    assert runner.invoke(cli, ["merchant", "checkout", "nope-" + ref(), *d]).exit_code == 2


def test_openapi_documents_the_endpoint_with_examples(world) -> None:  # type: ignore[no-untyped-def]
    _, _, client, _ = world
    spec = client.get("/openapi.json").json()
    op = spec["paths"][PATH]["get"]
    names = {p["name"]: p for p in op["parameters"]}
    assert {"country", "postal_code", "method", "items", "weight", "locale", "tz", "key"} <= set(
        names
    )
    assert names["country"]["schema"]["examples"] == ["GB"]
    assert op["responses"]["200"]["content"]["application/json"]["example"]["layer"] == "rules"
    assert "422" in op["responses"] and "options" in spec["paths"][PATH]
    assert "/api/v1/merchant/publishable-keys" in spec["paths"]
    assert "/api/v1/merchant/checkout-settings" in spec["paths"]


def test_repeat_questions_come_from_memory_but_never_past_the_cut_off(engine) -> None:  # type: ignore[no-untyped-def]
    clock = FakeClock(datetime(2026, 12, 7, 16, 59, 50, tzinfo=UTC))
    platform = bootstrap(Settings(), engine=engine, clock=clock, notifications=False)
    app = create_app(platform)  # the default caches: keys and answers kept up to 5 s
    with TestClient(app) as client:
        _, auth, pk = shop(platform, client, **LONDON)
        params = {"country": "GB", "method": "standard", "key": pk}
        first = client.get(PATH, params=params)
        assert first.headers["cache-control"] == "public, max-age=10"  # to the cut-off
        fast = next(m for m in _middlewares(app) if type(m).__name__ == "CheckoutFastPath")
        again = client.get(PATH, params=params)
        assert fast.hits == 1 and again.content == first.content
        assert again.headers["x-request-id"] != first.headers["x-request-id"]
        cached_304 = client.get(
            PATH, params=params, headers={"If-None-Match": first.headers["etag"]}
        )
        assert cached_304.status_code == 304 and fast.hits == 2
        clock.current = datetime(2026, 12, 7, 17, 0, 0, tzinfo=UTC)  # the cut-off
        after = client.get(PATH, params=params).json()
        assert after["cutoff_at"] == "2026-12-08T17:00:00Z" and fast.hits == 2
        # A changed setting shows within 10 s (twice the key cache's 5 s).
        client.patch("/api/v1/merchant/checkout-settings", json={"handling_days": 4}, headers=auth)
        clock.advance(seconds=11)
        later = client.get(PATH, params=params).json()
        assert later["dates"]["hand_over"] > after["dates"]["hand_over"]


def _middlewares(app: Any) -> list[Any]:
    found, layer = [], app.middleware_stack
    while layer is not None:
        found.append(layer)
        layer = getattr(layer, "app", None)
    return found
