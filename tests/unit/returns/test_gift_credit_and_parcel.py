"""Pure parts of gift credits and consolidated labels: the code Shopify will take, its shown
form, what the ledger credited, the recipient's flow, the group's idempotency key."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from postpurchase.domain.money import Money
from postpurchase.domain.notifications import FLOWS, Preferences, addressed_to, triggers_for
from postpurchase.domain.returns import new_gift_code, shown_code
from postpurchase.service_layer.returns import parcel_key
from postpurchase.service_layer.returns.gift_credits import credited

AT = datetime(2026, 12, 7, 12, tzinfo=UTC)


def test_a_gift_code_is_what_shopify_takes_and_never_repeats() -> None:
    codes = {new_gift_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert re.fullmatch(r"[a-z0-9]{8,20}", code)  # GiftCardCreateInput.code
        assert not set(code) & set("01ilo")  # nothing to misread
    assert shown_code("abcdefghjkmnpqrs") == "abcd-efgh-jkmn-pqrs"


def test_the_recipient_gets_the_credit_with_its_bonus() -> None:
    entries: list[dict[str, object]] = [
        {"kind": "fee", "amount": Decimal("4.95"), "currency": "EUR"},
        {"kind": "store_credit", "amount": Decimal("20.00"), "currency": "EUR"},
        {"kind": "credit_bonus", "amount": Decimal("2.00"), "currency": "EUR"},
    ]
    assert credited(entries, "EUR") == Money(Decimal("22.00"), "EUR")
    assert credited(entries[:1], "EUR") is None  # not credited yet


def _payload(**kw: object) -> dict[str, object]:
    return {
        "merchant_id": "m", "return_id": "r1", "order_id": "o1", "amount": "22.00",
        "currency": "EUR", "kind": "store_credit_code", "code_last4": "pqrs",
        "occurred_at": AT.isoformat(), "gift": True, **kw,
    }  # fmt: skip


def test_the_gift_flow_writes_to_the_recipient_only() -> None:
    prefs = Preferences()
    [trig] = triggers_for("ReturnGiftCreditIssued", _payload(recipient=" Kid@Example.com"), prefs)
    assert trig.flow == "return_gift_credit" and trig.subject_id == "r1"
    assert addressed_to(trig) == "kid@example.com" and trig.event_at == AT
    assert triggers_for("ReturnGiftCreditIssued", _payload(recipient=None), prefs) == []
    for flow in ("return_approved", "return_received", "return_refunded", "return_credited"):
        assert FLOWS[flow].matches("x", {"gift": True}, prefs) is False  # the giver: nothing
    [credit] = triggers_for(
        "ReturnCredited", {**_payload(), "gift": False, "reference": "x"}, prefs
    )
    assert credit.flow == "return_credited" and addressed_to(credit) is None


@given(st.lists(st.text(alphabet="0123456789abcdef", min_size=32, max_size=32), min_size=2,
                max_size=6, unique=True), st.randoms())  # fmt: skip
def test_a_group_has_one_key_whatever_the_order(ids: list[str], rnd: object) -> None:
    shuffled = list(ids)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert parcel_key(shuffled) == parcel_key(ids)
    assert parcel_key(ids[:-1]) != parcel_key(ids)
    assert len(parcel_key(ids)) <= 64
