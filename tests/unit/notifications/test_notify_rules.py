"""The pure rules: which flow an event fires, dedupe keys, collapse, preferences, addresses."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.notifications import (
    FLOWS,
    Candidate,
    Channel,
    Flow,
    MessageRef,
    MessageStatus,
    Preferences,
    QuietHours,
    SubjectKind,
    collapse,
    dedupe_key,
    next_retry,
    normalise_phone,
    parse_webhook_topics,
    pick_locale,
    register_flow,
    send_time,
    triggers_for,
    valid_email,
    webhook_event_type,
    zone,
)

T = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
PREFS = Preferences()


def ssc(to: str, frm: str = "in_transit", sub: str | None = None, fsub: str | None = None) -> dict:
    return {
        "merchant_id": "m",
        "order_id": "o",
        "shipment_id": "s",
        "from_status": frm,
        "to_status": to,
        "from_substatus": fsub,
        "substatus": sub,
        "occurred_at": T.isoformat(),
    }


@pytest.mark.parametrize(
    ("payload", "flows"),
    [
        (ssc("out_for_delivery"), ["out_for_delivery"]),
        (ssc("delivered", "out_for_delivery"), ["delivered"]),
        (ssc("attempt_failed", "out_for_delivery"), ["failed_attempt"]),
        (ssc("available_for_pickup"), ["available_for_pickup"]),
        (ssc("exception", sub="weather"), ["delayed"]),
        (ssc("exception", sub="customs_hold"), ["delayed"]),
        (ssc("exception", sub="lost"), ["exception"]),
        (ssc("exception", frm="exception", sub="lost", fsub="delayed"), ["exception"]),
        (ssc("exception", frm="exception", sub="delayed", fsub="delayed"), []),
        (ssc("in_transit", "info_received"), []),
        (ssc("delivered", "delivered"), []),  # a substatus-only change never re-announces
    ],
)
def test_status_changes_fire_the_right_flow(payload: dict, flows: list[str]) -> None:
    fired = triggers_for("ShipmentStatusChanged", payload, PREFS)
    assert [t.flow for t in fired] == flows
    for t in fired:
        assert t.subject_kind is SubjectKind.SHIPMENT and t.subject_id == "s"
        assert t.event_at == T


def test_order_and_shipment_creation_fire_confirm_and_shipped() -> None:
    placed = {"merchant_id": "m", "order_id": "o", "placed_at": T.isoformat()}
    [confirm] = triggers_for("OrderPlaced", placed, PREFS)
    assert (confirm.flow, confirm.subject_id, confirm.event_at) == ("order_confirmed", "o", T)
    created = {
        "merchant_id": "m",
        "order_id": "o",
        "shipment_id": "s",
        "carrier": "ups",
        "tracking_number": "1Z",
    }
    [shipped] = triggers_for("ShipmentCreated", created, PREFS, fallback_time=T)
    assert shipped.flow == "shipped" and shipped.event_at is None and shipped.happened_at == T


def test_estimate_change_needs_a_previous_estimate_and_the_threshold() -> None:
    base = {"merchant_id": "m", "order_id": "o", "shipment_id": "s"}
    moved = {**base, "previous": "2026-11-25", "estimate": "2026-11-27"}
    assert [t.flow for t in triggers_for("CarrierEstimateChanged", moved, PREFS)] == [
        "estimate_changed"
    ]
    first = {**base, "previous": None, "estimate": "2026-11-27"}
    assert triggers_for("CarrierEstimateChanged", first, PREFS) == []
    strict = Preferences.parse({"estimate_change_min_days": 3})
    assert triggers_for("CarrierEstimateChanged", moved, strict) == []


def test_malformed_payloads_fire_nothing() -> None:
    assert triggers_for("OrderPlaced", {"merchant_id": "m"}, PREFS) == []
    assert (
        triggers_for("ShipmentStatusChanged", {**ssc("delivered"), "shipment_id": None}, PREFS)
        == []
    )


def test_dedupe_key_is_per_flow_subject_and_channel() -> None:
    keys = {
        dedupe_key(f, s, c) for f in ("shipped", "delivered") for s in ("a", "b") for c in Channel
    }
    assert len(keys) == 8
    assert dedupe_key("shipped", "a", "email") == dedupe_key("shipped", "a", Channel.EMAIL)


def test_a_new_flow_is_one_registration() -> None:
    flow = Flow(
        "test_return_received",
        SubjectKind.ORDER,
        frozenset({"ReturnReceived"}),
        lambda topic, p, prefs: True,
        "A return arrived.",
        progress=False,
    )
    register_flow(flow)
    try:
        [t] = triggers_for("ReturnReceived", {"merchant_id": "m", "order_id": "o"}, PREFS)
        assert t.flow == "test_return_received"
        with pytest.raises(ValueError):
            register_flow(Flow("Bad Name", SubjectKind.ORDER, frozenset(), flow.matches, "x"))
    finally:
        FLOWS.pop("test_return_received")


def ref(i: str, flow: str, status: MessageStatus, hours: float | None) -> MessageRef:
    return MessageRef(i, flow, status, None if hours is None else T + timedelta(hours=hours))


def test_a_newer_update_supersedes_every_queued_one() -> None:
    existing = [
        ref("a", "shipped", MessageStatus.QUEUED, None),
        ref("b", "out_for_delivery", MessageStatus.SENT, 1),
        ref("c", "failed_attempt", MessageStatus.QUEUED, 2),
    ]
    d = collapse(existing, Candidate("available_for_pickup", T + timedelta(hours=3)))
    assert d.queue and set(d.supersede) == {"a", "c"}


def test_an_older_update_is_stale_even_when_the_newer_one_was_sent() -> None:
    existing = [ref("a", "delivered", MessageStatus.SENT, 5)]
    d = collapse(existing, Candidate("out_for_delivery", T + timedelta(hours=4)))
    assert not d.queue and "stale" in d.reason and "delivered" in d.reason


def test_suppressed_or_failed_messages_do_not_block_anything() -> None:
    existing = [
        ref("a", "delivered", MessageStatus.SUPPRESSED, 5),
        ref("b", "delivered", MessageStatus.FAILED, 5),
    ]
    assert collapse(existing, Candidate("out_for_delivery", T)).queue


def test_an_undated_update_folds_into_a_queued_one() -> None:
    existing = [ref("a", "delayed", MessageStatus.QUEUED, 1)]
    d = collapse(existing, Candidate("estimate_changed", None))
    assert not d.queue and "folded into the queued 'delayed'" in d.reason
    assert collapse(
        [ref("a", "shipped", MessageStatus.SENT, None)], Candidate("estimate_changed", None)
    ).queue


def test_preferences_defaults_and_switches() -> None:
    prefs = Preferences.parse({"flows": {"shipped": {"sms": True, "email": False}}})
    assert prefs.enabled(FLOWS["shipped"], Channel.SMS)
    assert not prefs.enabled(FLOWS["shipped"], Channel.EMAIL)
    assert prefs.enabled(FLOWS["delivered"], Channel.EMAIL)
    assert not prefs.enabled(FLOWS["delivered"], Channel.SMS)
    assert prefs.enabled(FLOWS["out_for_delivery"], Channel.SMS)
    assert Preferences.parse({"quiet_hours": None}).quiet_hours is None
    round_trip = Preferences.parse(prefs.as_dict())
    assert round_trip.as_dict() == prefs.as_dict()


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"flows": {"nope": {"email": True}}}, "flows.nope"),
        ({"flows": {"shipped": {"fax": True}}}, "flows.shipped"),
        ({"quiet_hours": {"start": "25:00", "end": "08:00"}}, "quiet_hours.start"),
        ({"collapse_seconds": -1}, "collapse_seconds"),
        ({"ops_urls": ["not a url"]}, "ops_urls"),
    ],
)
def test_bad_preferences_name_the_field(raw: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        Preferences.parse(raw)
    assert err.value.field == field


@pytest.mark.parametrize(
    "branding",
    [
        {"primary_color": "red; background:url(x)"},
        {"logo_url": "javascript:alert(1)"},
        {"reply_to": "not-an-email"},
    ],
)
def test_branding_that_would_break_the_email_is_refused(branding: dict) -> None:
    with pytest.raises(InvalidInput):
        Preferences.parse({}, branding=branding)


def test_send_time_urgent_now_others_held_then_quiet_hours() -> None:
    ny = zone("America/New_York")
    quiet = QuietHours(time(21), time(8))
    at, why = send_time(T, urgent=True, tz=ny, quiet=quiet, collapse_seconds=300)
    assert at == T and "urgent" in why
    at, why = send_time(T, urgent=False, tz=ny, quiet=quiet, collapse_seconds=300)
    assert at == T + timedelta(minutes=5) and "burst" in why
    late = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # 22:00 in New York
    at, why = send_time(late, urgent=False, tz=ny, quiet=quiet, collapse_seconds=0)
    assert at == datetime(2026, 11, 25, 13, 0, tzinfo=UTC) and "quiet hours" in why


def test_retries_back_off_and_stop_after_the_window() -> None:
    first = T
    assert next_retry(1, first, T, give_up_after=timedelta(hours=24)) == T + timedelta(seconds=30)
    assert next_retry(3, first, T, give_up_after=timedelta(hours=24)) == T + timedelta(minutes=2)
    assert next_retry(20, first, T, give_up_after=timedelta(hours=24)) == T + timedelta(hours=1)
    near_end = T + timedelta(hours=23, minutes=50)
    assert next_retry(20, first, near_end, give_up_after=timedelta(hours=24)) == T + timedelta(
        hours=24
    )
    assert next_retry(1, first, T + timedelta(hours=24), give_up_after=timedelta(hours=24)) is None


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("+1 (555) 555-0123", None, "+15555550123"),
        ("(555) 555-0123", "US", "+15555550123"),
        ("1-555-555-0123", "US", "+15555550123"),
        ("011 98765-4321", "BR", "+5511987654321"),
        ("0151 23456789", "DE", "+4915123456789"),
        ("0044 20 7946 0958", None, "+442079460958"),
        ("555-0123", None, None),
        ("call me", "US", None),
    ],
)
def test_phone_numbers_become_e164_or_nothing(
    raw: str, country: str | None, expected: str | None
) -> None:
    assert normalise_phone(raw, country) == expected


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("ada@example.com", True),
        ("a.b+tag@sub.example.co.uk", True),
        ("no-at.example.com", False),
        ("a@b", False),
        ("a b@example.com", False),
        ("x@example.com\r\nBcc: y@z.com", False),
    ],
)
def test_email_syntax(address: str, ok: bool) -> None:
    assert valid_email(address) is ok


@pytest.mark.parametrize(
    ("asked", "got"),
    [
        ("pt-BR", "pt-BR"),
        ("pt_br", "pt-BR"),
        ("pt-PT", "pt-BR"),
        ("es-MX", "es"),
        ("de-AT", "de"),
        ("fr", "fr"),
        ("ja", "en"),
        (None, "en"),
    ],
)
def test_locale_choice(asked: str | None, got: str) -> None:
    assert pick_locale(asked) == got


def test_webhook_event_names_and_topic_parsing() -> None:
    assert webhook_event_type("ShipmentStatusChanged") == "shipment.status_changed"
    assert webhook_event_type("OrderPlaced") == "order.placed"
    assert parse_webhook_topics(["shipment.delivered", "OrderPlaced", "OrderPlaced"]) == (
        "OrderPlaced",
        "ShipmentDelivered",
    )
    assert parse_webhook_topics(["*", "x"]) == ("*",)
    with pytest.raises(InvalidInput) as err:
        parse_webhook_topics(["shipment.teleported"])
    assert err.value.field == "topics[0]"


def test_unknown_zones_fall_back_in_order() -> None:
    assert zone("Mars/Olympus", "Europe/Paris").key == "Europe/Paris"
    assert zone(None, "").key == "UTC"
