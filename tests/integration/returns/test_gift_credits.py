"""A gift return's credit reaches its recipient, both backends (issue 15; ADR 0032): a Shopify
gift card made once through ``giftCardCreate`` (replayed by pytest-httpserver) where the order
came from a connected Shopify store, else a store-credit code of ours; the recipient gets one
e-mail with the code through a real SMTP server (aiosmtpd), in the order's language; the giver
gets nothing; the code is stored sealed, never in plain text (not in the message row either)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pytest_httpserver import HTTPServer
from sqlalchemy import select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.returns import return_gift_credits
from postpurchase.adapters.notifications.demo_smtp import DemoSmtp
from postpurchase.bootstrap import gift_credits
from postpurchase.domain.errors import Conflict
from postpurchase.domain.ids import new_id
from postpurchase.domain.notifications import GIFT_CODE_MARK
from postpurchase.domain.storefronts import StoreConnection, StorePlatform
from postpurchase.entrypoints.api.app import create_app
from tests.factories import T0, ref
from tests.integration.notifications.conftest import Notify, make_notify, quiet_settings
from tests.integration.notifications.conftest import smtp as smtp  # the fixture
from tests.integration.returns.conftest import Shop
from tests.integration.returns.gift_cards_replay import GiftCardsReplay
from tests.integration.returns.test_returns_store_exchange import (
    mug_ask,
    returned_and_put_away,
    shop_order,
)
from tests.integration.storefronts.conftest import CLIENT_ID, CLIENT_SECRET

FRIEND = "Friend.{}@Example.com"


@pytest.fixture
def shopify(httpserver: HTTPServer) -> GiftCardsReplay:
    return GiftCardsReplay(httpserver)


@pytest.fixture
def gift_shop(
    engine: Any, smtp: DemoSmtp, shopify: GiftCardsReplay, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Shop, Notify]]:
    monkeypatch.setenv("POSTPURCHASE_SHOPIFY_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("POSTPURCHASE_SHOPIFY_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("POSTPURCHASE_SHOPIFY_ADMIN_BASE_URL", shopify.base)
    notify = make_notify(engine, quiet_settings(smtp_url=smtp.url))
    notify.clock.advance(days=5)  # the orders below are delivered at T0 + 44 h
    with TestClient(create_app(notify.platform)) as client:
        client.headers["Authorization"] = f"Bearer {notify.api_key}"
        shop = Shop(notify.platform, notify.clock, notify.merchant.id, notify.api_key, client)
        yield shop, notify


def connect(shop: Shop, shopify: GiftCardsReplay) -> None:
    with shop.platform.uow() as uow:
        uow.connections.add(
            StoreConnection(
                id=new_id(), merchant_id=shop.merchant_id, platform=StorePlatform.SHOPIFY,
                shop=f"{ref()}.myshopify.com",
                scopes=("read_orders", "write_orders", "write_gift_cards"),
                credentials={"access_token": shopify.token}, installed_at=T0,
            )
        )  # fmt: skip
        uow.commit()


def credited_gift(shop: Shop, order: Any, recipient: str) -> str:
    body = mug_ask(order, gift=True, resolution="store_credit", gift_email=recipient)
    rid = returned_and_put_away(shop, order, body)
    out = shop.client.post(f"/api/v1/returns/{rid}/resolve")
    assert out.status_code == 200 and out.json()["status"] == "credited", out.text
    return rid


def mail_to(smtp: DemoSmtp, address: str) -> list[Any]:
    return [m for m in smtp.messages() if m["To"] == address]


def stored(shop: Shop, rid: str) -> dict[str, Any]:
    c = return_gift_credits.c
    with shop.platform.engine.connect() as conn:
        row = conn.execute(
            select(return_gift_credits).where(c.merchant_id == shop.merchant_id, c.return_id == rid)
        ).mappings().one()  # fmt: skip
    return dict(row)


def test_a_shopify_gift_gets_one_card_and_the_recipient_its_code(
    gift_shop: tuple[Shop, Notify], shopify: GiftCardsReplay, smtp: DemoSmtp
) -> None:
    shop, notify = gift_shop
    connect(shop, shopify)
    order = shop_order(shop)
    friend = FRIEND.format(ref())
    rid = credited_gift(shop, order, friend)
    notify.drain()
    assert len(shopify.cards) == 1
    ((code, card),) = shopify.cards.items()
    asked = shopify.ops("GiftCardCreate")[0]["input"]
    assert asked["initialValue"] == "12.15" and asked["code"] == code  # the mug's credit
    assert f"[postpurchase:gift-{rid}]" in asked["note"]
    row = stored(shop, rid)
    assert row["status"] == "issued" and row["kind"] == "shopify_gift_card"
    assert row["store_reference"] == card["id"] and row["code_last4"] == code[-4:]
    assert row["code_sealed"].startswith("fernet:") and code not in row["code_sealed"]
    [mail] = mail_to(smtp, friend.lower())
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    shown = "-".join(code[i : i + 4] for i in range(0, 16, 4))
    assert shown in text and shown in html and "$12.15" in text
    assert "gift card field at checkout" in text and order.number in mail["Subject"]
    giver_mail = [str(m["Subject"]).lower() for m in mail_to(smtp, order.email)]
    assert not [s for s in giver_mail if "return" in s or "credit" in s]  # the giver: nothing
    [msg] = notify.messages(flow="return_gift_credit")
    assert msg["recipient"] == friend.lower() and msg["status"] == "sent"
    assert GIFT_CODE_MARK in msg["body_text"] and code not in (msg["body_text"] + msg["body_html"])
    giver = [m for m in notify.messages(order_id=order.id) if m["recipient"] == order.email]
    assert not [m for m in giver if m["flow"].startswith("return_")]
    seen = shop.client.get(f"/api/v1/returns/{rid}/gift-credit").json()
    assert seen["status"] == "issued" and seen["code_last4"] == code[-4:]
    assert seen["amount"] == {"amount": "12.15", "currency": "USD"} and code not in str(seen)
    # Again (the outbox redelivers, a person retries): nothing new anywhere.
    assert shop.client.post(f"/api/v1/returns/{rid}/gift-credit").json() == seen
    again = gift_credits(shop.platform).issue(shop.merchant_id, rid)
    notify.drain()
    assert again.code == code and len(shopify.ops("GiftCardCreate")) == 1
    assert len(mail_to(smtp, friend.lower())) == 1


def test_an_unknown_outcome_never_makes_a_second_card(
    gift_shop: tuple[Shop, Notify], shopify: GiftCardsReplay, smtp: DemoSmtp
) -> None:
    shop, notify = gift_shop
    connect(shop, shopify)
    order = shop_order(shop)
    friend = FRIEND.format(ref())
    shopify.lose_next_answer = True  # Shopify makes the card; its answer is lost (502)
    rid = credited_gift(shop, order, friend)
    notify.drain()
    assert len(shopify.cards) == 1 and stored(shop, rid)["status"] == "pending"
    assert mail_to(smtp, friend.lower()) == []
    notify.clock.advance(minutes=30)  # the outbox retries the subscriber
    notify.drain()
    calls = shopify.ops("GiftCardCreate")
    assert len(calls) == 2 and calls[0]["input"]["code"] == calls[1]["input"]["code"]
    assert len(shopify.cards) == 1  # "TAKEN": the first call made it
    row = stored(shop, rid)
    assert row["status"] == "issued" and row["attempts"] == 2
    assert len(mail_to(smtp, friend.lower())) == 1


def test_a_refusal_is_kept_and_a_retry_asks_again(
    gift_shop: tuple[Shop, Notify], shopify: GiftCardsReplay, smtp: DemoSmtp
) -> None:
    shop, notify = gift_shop
    connect(shop, shopify)
    order = shop_order(shop)
    friend = FRIEND.format(ref())
    shopify.refuse_with = {
        "field": ["input", "initialValue"],
        "code": "GIFT_CARD_LIMIT_EXCEEDED",
        "message": "The gift card's value exceeds the allowed limits.",
    }
    rid = credited_gift(shop, order, friend)
    service = gift_credits(shop.platform)
    with pytest.raises(Conflict) as refused:
        service.issue(shop.merchant_id, rid)
    assert refused.value.field == "input.initialValue"
    row = stored(shop, rid)
    assert row["status"] == "failed" and "exceeds" in row["error"] and shopify.cards == {}
    assert service.issue(shop.merchant_id, rid).status.value == "issued"
    notify.drain()
    assert len(shopify.cards) == 1 and len(mail_to(smtp, friend.lower())) == 1


def test_without_a_store_the_recipient_gets_our_code_in_the_orders_language(
    gift_shop: tuple[Shop, Notify], shopify: GiftCardsReplay, smtp: DemoSmtp
) -> None:
    shop, notify = gift_shop
    order = shop.delivered_order(locale="de")  # typed in: no store to make a card in
    friend = FRIEND.format(ref())
    rid = credited_gift(shop, order, friend)
    notify.drain()
    assert shopify.ops("GiftCardCreate") == []
    row = stored(shop, rid)
    assert row["kind"] == "store_credit_code" and row["status"] == "issued"
    [mail] = mail_to(smtp, friend.lower())
    text = mail.get_body(("plain",)).get_content()
    assert "Dein Guthaben-Code" in text and "Geschenk" in mail["Subject"]
    code = gift_credits(shop.platform).get(shop.merchant_id, rid)
    assert code is not None and code.code[:4] + "-" in text
    ledger = shop.client.get(f"/api/v1/returns/{rid}").json()
    assert ledger["status"] == "credited"


def test_a_gift_without_a_recipients_address_sends_nothing(
    gift_shop: tuple[Shop, Notify], shopify: GiftCardsReplay, smtp: DemoSmtp
) -> None:
    shop, notify = gift_shop
    order = shop.delivered_order()
    body = mug_ask(order, gift=True, resolution="store_credit")
    rid = returned_and_put_away(shop, order, body)
    assert shop.client.post(f"/api/v1/returns/{rid}/resolve").status_code == 200
    notify.drain()
    assert stored(shop, rid)["status"] == "issued"  # the merchant hands the code over
    assert notify.messages(flow="return_gift_credit") == []
    assert not [m for m in notify.messages(order_id=order.id) if m["flow"].startswith("return_")]
    with shop.platform.engine.connect() as conn:
        bodies = conn.execute(select(t.notification_messages.c.body_text)).scalars().all()
    code = gift_credits(shop.platform).get(shop.merchant_id, rid)
    assert code is not None and not any(code.code in (b or "") for b in bodies)


def test_the_api_refuses_what_is_not_a_credited_gift(gift_shop: tuple[Shop, Notify]) -> None:
    shop, _ = gift_shop
    order = shop.delivered_order()
    c = shop.client
    plain = c.post(f"/api/v1/orders/{order.id}/returns", json=mug_ask(order)).json()["id"]
    assert c.get(f"/api/v1/returns/{plain}/gift-credit").status_code == 404
    refused = c.post(f"/api/v1/returns/{plain}/gift-credit")
    assert refused.status_code == 409 and refused.json()["field"] == "return_id"
    ask = mug_ask(order, gift=True, resolution="store_credit", gift_email="kid@example.com")
    gift = c.post(f"/api/v1/orders/{order.id}/returns", json=ask).json()["id"]
    early = c.post(f"/api/v1/returns/{gift}/gift-credit")
    assert early.status_code == 409 and early.json()["field"] == "status"
    assert c.get(f"/api/v1/returns/{gift}/gift-credit").status_code == 404


def test_the_api_answers_502_for_a_lost_answer_and_a_retry_settles_it(
    gift_shop: tuple[Shop, Notify], shopify: GiftCardsReplay, smtp: DemoSmtp
) -> None:
    shop, notify = gift_shop
    connect(shop, shopify)
    order = shop_order(shop)
    friend = FRIEND.format(ref())
    rid = credited_gift(shop, order, friend)  # the outbox not drained yet: by hand
    shopify.lose_next_answer = True
    lost = shop.client.post(f"/api/v1/returns/{rid}/gift-credit")
    assert lost.status_code == 502 and lost.json()["field"] == "return_id"
    assert shop.client.get(f"/api/v1/returns/{rid}/gift-credit").json()["status"] == "pending"
    settled = shop.client.post(f"/api/v1/returns/{rid}/gift-credit")
    assert settled.status_code == 200 and settled.json()["status"] == "issued"
    notify.drain()  # the outbox's own try finds it issued
    assert len(shopify.cards) == 1 and len(shopify.ops("GiftCardCreate")) == 2
    assert len(mail_to(smtp, friend.lower())) == 1
