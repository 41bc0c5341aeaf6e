"""Order-status contacts recognised in several languages; the state when a contact was made."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from postpurchase.domain.support import (
    ContactState,
    Preventability,
    order_number_hints,
    preventability,
    recognise,
    state_when_made,
)


@pytest.mark.parametrize(
    ("subject", "language"),
    [
        ("Where is my order #1042?", "en"),
        ("Hi, where’s my order??", "en"),
        ("My parcel has not arrived yet", "en"),
        ("Wo ist meine Bestellung?", "de"),
        ("Paket noch nicht angekommen", "de"),
        ("Où est ma commande ?", "fr"),
        ("Toujours pas reçu mon colis", "fr"),
        ("¿Dónde está mi pedido?", "es"),
        ("Mi pedido no ha llegado", "es"),
        ("Cadê meu pedido?", "pt"),
        ("O produto não chegou", "pt"),
        ("Dov'è il mio ordine?", "it"),
        ("Waar is mijn bestelling?", "nl"),
    ],
)
def test_order_status_phrases_are_recognised_in_each_language(subject: str, language: str) -> None:
    seen = recognise(subject=subject)
    assert seen.order_status and seen.by == "subject" and seen.language == language


@pytest.mark.parametrize(
    "subject",
    [
        "I want to return my shoes",
        "Invoice for my company",
        "Change my address please",
        "Discount code not working",
        "Where is the nearest store",  # "where is" alone is not about an order
    ],
)
def test_other_subjects_are_not_order_status(subject: str) -> None:
    assert recognise(subject=subject).order_status is False


def test_evidence_order_intent_then_tags_then_subject_then_body() -> None:
    # An explicit intent decides, even against the words.
    assert recognise(intent="return", subject="Where is my order?").order_status is False
    assert recognise(intent="WISMO").by == "intent"
    assert recognise(intent="order-status").order_status
    assert recognise(tags=["vip", "Where-Is-My-Order"]).by == "tag"
    assert recognise(tags=["vip"], subject="hello", body="Wo ist mein Paket?").by == "body"
    # Only the opening of a body is read: a signature far below does not count.
    long_body = "Thanks for the lovely scarf. " * 30 + "PS: track my order"
    assert recognise(body=long_body).order_status is False
    assert recognise(intent="  ", subject="where is my order").by == "subject"


def test_whole_words_only() -> None:
    assert recognise(subject="unshipped order statuses").order_status is False
    assert recognise(subject="Order status?").order_status


def test_order_numbers_a_shopper_writes() -> None:
    assert order_number_hints("Where is order #1042?") == ["1042"]
    assert order_number_hints("Bestellung Nr. 55012 fehlt", "re: #55012") == ["55012"]
    assert order_number_hints("pedido 7781 e pedido 7782") == ["7781", "7782"]
    assert order_number_hints("call me at 5") == []


Z = ZoneInfo("America/New_York")
T = datetime(2026, 11, 5, 15, tzinfo=UTC)  # 10:00 in New York


def scans(*items: tuple[int, str]) -> list[tuple[datetime, str]]:
    return [(T - timedelta(hours=h), status) for h, status in items]


def test_state_when_the_shopper_asked() -> None:
    moving = scans((30, "in_transit"))
    assert state_when_made(contacted_at=T, zone=Z, has_shipment=False, events=[], promise=None) \
        is ContactState.AWAITING_SHIPMENT  # fmt: skip
    on_time = state_when_made(
        contacted_at=T, zone=Z, has_shipment=True, events=moving, promise=date(2026, 11, 5)
    )
    assert on_time is ContactState.ON_TIME  # the promised day itself is not late yet
    late = state_when_made(
        contacted_at=T, zone=Z, has_shipment=True, events=moving, promise=date(2026, 11, 4)
    )
    assert late is ContactState.LATE
    hurt = scans((30, "in_transit"), (5, "attempt_failed"))
    assert state_when_made(contacted_at=T, zone=Z, has_shipment=True, events=hurt,
                           promise=date(2026, 11, 9)) is ContactState.EXCEPTION  # fmt: skip
    # A scan made after the contact does not count, whatever order scans arrived in.
    future = [*moving, (T + timedelta(hours=1), "exception")]
    assert state_when_made(contacted_at=T, zone=Z, has_shipment=True, events=future,
                           promise=date(2026, 11, 9)) is ContactState.ON_TIME  # fmt: skip
    done = scans((30, "in_transit"), (2, "delivered"))
    assert state_when_made(contacted_at=T, zone=Z, has_shipment=True, events=done,
                           promise=None) is ContactState.DELIVERED  # fmt: skip


def test_preventability_of_each_state() -> None:
    assert preventability(ContactState.ON_TIME) is Preventability.MESSAGING_GAP
    assert preventability(ContactState.AWAITING_SHIPMENT) is Preventability.MESSAGING_GAP
    assert preventability(ContactState.LATE) is Preventability.AFTER_EXCEPTION
    assert preventability(ContactState.EXCEPTION) is Preventability.AFTER_EXCEPTION
    assert preventability(ContactState.DELIVERED) is None
