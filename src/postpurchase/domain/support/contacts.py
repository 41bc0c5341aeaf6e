"""Which support contacts are about an order's whereabouts, and what state it was in.

Why pure: a helpdesk sends tags, a subject and perhaps an intent, in the shopper's language.
Whether that is an order-status contact ("where is my order?", WISMO) decides the KPI
"order-status contacts per 100 orders", so the rule must be one function with tests in
every language it claims, not a LIKE in SQL.

Order of evidence: an explicit intent (a helpdesk's own classifier, or the integrator's)
decides; else a tag; else the subject; else the first lines of the body.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from enum import StrEnum

ORDER_STATUS_INTENTS = frozenset(
    {"order_status", "wismo", "where_is_my_order", "shipping_status", "delivery_status",
     "tracking", "order_tracking", "delivery_delay", "late_delivery"}
)  # fmt: skip

ORDER_STATUS_TAGS = frozenset(
    {"wismo", "where_is_my_order", "order_status", "shipping_status", "delivery_status",
     "tracking", "order_tracking", "delivery", "shipping", "late_delivery", "delayed",
     "not_received", "lieferstatus", "sendungsverfolgung", "suivi", "livraison", "envio",
     "seguimiento", "rastreio", "entrega"}
)  # fmt: skip

# Phrases, normalised (case-folded, accents removed, apostrophes straight). Per language:
# English, German, French, Spanish, Portuguese, Italian, Dutch.
PHRASES: dict[str, tuple[str, ...]] = {
    "en": ("where is my order", "where's my order", "wheres my order", "where is my package",
           "where is my parcel", "order status", "tracking number", "not arrived",
           "hasn't arrived", "has not arrived", "not received", "haven't received",
           "have not received", "still waiting for my order", "when will my order",
           "when will i receive", "track my order", "delivery status", "order hasn't shipped",
           "has my order shipped"),
    "de": ("wo ist meine bestellung", "wo bleibt meine bestellung", "wo ist mein paket",
           "sendungsverfolgung", "noch nicht angekommen", "nicht erhalten", "lieferstatus",
           "wann kommt meine bestellung", "bestellstatus"),
    "fr": ("ou est ma commande", "ou en est ma commande", "suivi de commande",
           "suivi de ma commande", "pas recu", "toujours pas recu", "pas encore arrive",
           "statut de ma commande", "quand vais-je recevoir", "numero de suivi"),
    "es": ("donde esta mi pedido", "estado de mi pedido", "no ha llegado", "no he recibido",
           "seguimiento de mi pedido", "numero de seguimiento", "cuando llega mi pedido"),
    "pt": ("onde esta meu pedido", "onde esta o meu pedido", "cade meu pedido",
           "nao chegou", "nao recebi", "status do pedido", "rastreio", "codigo de rastreamento",
           "quando chega meu pedido", "estado da minha encomenda", "onde esta a minha encomenda"),
    "it": ("dov'e il mio ordine", "dove e il mio ordine", "stato del mio ordine",
           "non e arrivato", "non ho ricevuto", "tracciamento", "numero di tracking"),
    "nl": ("waar is mijn bestelling", "waar blijft mijn bestelling", "nog niet ontvangen",
           "nog niet aangekomen", "status van mijn bestelling", "track en trace"),
}  # fmt: skip

BODY_CHARS = 500  # only the opening of a body is read: a signature mentions "delivery" too


def normalise(text: str) -> str:
    """Case-folded, accents removed, curly apostrophes straightened, spaces collapsed."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.split())


def _tag(tag: str) -> str:
    return re.sub(r"[\s\-]+", "_", normalise(tag)).strip("_")


_PATTERN = re.compile(
    "|".join(
        r"(?<![a-z])" + re.escape(p) + r"(?![a-z])"
        for phrases in PHRASES.values()
        for p in sorted(phrases, key=len, reverse=True)
    )
)


@dataclass(frozen=True, slots=True)
class Recognition:
    order_status: bool
    by: str | None  # intent | tag | subject | body; None when nothing said so
    language: str | None = None  # the language of the phrase that matched


def _phrase_language(text: str) -> str | None:
    match = _PATTERN.search(normalise(text))
    if match is None:
        return None
    found = match.group(0)
    return next(lang for lang, phrases in PHRASES.items() if found in phrases)


def recognise(
    *,
    intent: str | None = None,
    tags: Iterable[str] = (),
    subject: str | None = None,
    body: str | None = None,
) -> Recognition:
    """Is this contact about where an order is? See the module docstring for the order."""
    if intent is not None and intent.strip():
        return Recognition(_tag(intent) in ORDER_STATUS_INTENTS, "intent")
    if any(_tag(t) in ORDER_STATUS_TAGS for t in tags):
        return Recognition(True, "tag")
    for name, text in (("subject", subject), ("body", (body or "")[:BODY_CHARS])):
        if text:
            language = _phrase_language(text)
            if language is not None:
                return Recognition(True, name, language)
    return Recognition(False, None)


_ORDER_NUMBER = re.compile(
    r"(?:#\s?|(?:order|bestellung|commande|pedido|ordine|bestelling|encomenda)\s*(?:no\.?|nr\.?|n[o°º]\.?|number|nummer|numero)?\s*[:#]?\s*)([A-Za-z]{0,4}-?\d{3,12})",
    re.IGNORECASE,
)


def order_number_hints(*texts: str | None) -> list[str]:
    """Order numbers a shopper wrote ("#1042", "order 1042", "Bestellung Nr. 1042"), in
    the order they appear, without duplicates."""
    seen: list[str] = []
    for text in texts:
        for match in _ORDER_NUMBER.finditer(text or ""):
            value = match.group(1)
            if value not in seen:
                seen.append(value)
    return seen


class ContactState(StrEnum):
    """Where the shipment stood when the shopper asked."""

    AWAITING_SHIPMENT = "awaiting_shipment"  # no parcel yet
    ON_TIME = "on_time"  # moving, the promise not yet passed, nothing went wrong
    LATE = "late"  # the promised date passed, not delivered
    EXCEPTION = "exception"  # an exception or failed attempt had been scanned
    DELIVERED = "delivered"


class Preventability(StrEnum):
    """A contact made while all was well is a messaging gap (a message could have answered
    it); one made after something went wrong is the carrier's doing, answered or not."""

    MESSAGING_GAP = "messaging_gap"
    AFTER_EXCEPTION = "after_exception"


def state_when_made(
    *,
    contacted_at: datetime,
    zone: tzinfo,
    has_shipment: bool,
    events: Sequence[tuple[datetime, str]],
    promise: date | None,
) -> ContactState:
    """The shipment's state at ``contacted_at`` from its scans up to then (event time, as
    the tracking fold does), judged against the original promise by the shopper's calendar."""
    if not has_shipment:
        return ContactState.AWAITING_SHIPMENT
    before = sorted((at, status) for at, status in events if at <= contacted_at)
    statuses = {status for _, status in before}
    if before and before[-1][1] == "delivered":
        return ContactState.DELIVERED
    if statuses & {"exception", "attempt_failed", "expired"}:
        return ContactState.EXCEPTION
    if promise is not None and contacted_at.astimezone(zone).date() > promise:
        return ContactState.LATE
    return ContactState.ON_TIME


def preventability(state: ContactState) -> Preventability | None:
    """Awaiting shipment or on time: a messaging gap. Late or after an exception: after an
    exception. After delivery: neither (a question about a delivered parcel is another
    kind of contact)."""
    if state in (ContactState.AWAITING_SHIPMENT, ContactState.ON_TIME):
        return Preventability.MESSAGING_GAP
    if state in (ContactState.LATE, ContactState.EXCEPTION):
        return Preventability.AFTER_EXCEPTION
    return None
