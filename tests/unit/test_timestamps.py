"""One window for every timestamp from outside (``domain.timestamps``), and every ingest
format refusing only the item whose time is off the calendar or outside 1970-2100."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import orjson
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from postpurchase.adapters.storefronts import shopify
from postpurchase.adapters.storefronts.csv_orders import COLUMNS, read_orders
from postpurchase.adapters.tracking_sources import aftership, easypost
from postpurchase.adapters.tracking_sources.normalised import parse_batch
from postpurchase.domain.commands import PlaceOrder
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.timestamps import EARLIEST, LATEST, instant_utc, parse_instant
from postpurchase.domain.tracking import require_aware

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
OVERFLOWING = ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00"]
OUTSIDE = [*OVERFLOWING, "1969-12-31T23:59:59Z", "2100-01-01T00:00:00Z", "2150-01-01T00:00+02:00"]
PAYLOADS = Path(__file__).parents[1] / "fixtures" / "payloads"
FIELD = "things[3].at"

# Any fixed offset strictly within a day, to the second (ISO 8601 offsets are hh:mm;
# Python also writes and reads seconds; a sub-second offset does not survive isoformat()).
offsets = (
    st.integers(min_value=-(24 * 3600 - 1), max_value=24 * 3600 - 1)
    .map(lambda s: timedelta(seconds=s))
    .map(timezone)
)
in_window = st.datetimes(
    min_value=EARLIEST.replace(tzinfo=None),
    max_value=LATEST.replace(tzinfo=None) - timedelta(microseconds=1),
).map(lambda d: d.replace(tzinfo=UTC))


def _utc_or_none(value: datetime) -> datetime | None:
    """What the window says of an aware datetime, computed independently."""
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        return None
    return (
        utc if datetime(1970, 1, 1, tzinfo=UTC) <= utc < datetime(2100, 1, 1, tzinfo=UTC) else None
    )


# --- parse_instant, properties ----------------------------------------------------------


@given(utc=in_window, tz=offsets)
def test_any_aware_time_inside_the_window_round_trips(utc: datetime, tz: timezone) -> None:
    local = utc.astimezone(tz)
    parsed = parse_instant(local.isoformat(), FIELD)
    assert parsed == utc and parsed.tzinfo is UTC
    assert parse_instant(f"  {local.isoformat()}\n", FIELD) == utc
    assert instant_utc(local, FIELD) == utc


@given(utc=in_window)
def test_z_and_naive_as_utc_mean_utc(utc: datetime) -> None:
    naive = utc.replace(tzinfo=None).isoformat()
    assert parse_instant(naive + "Z", FIELD) == utc
    assert parse_instant(naive, FIELD, naive_as_utc=True) == utc


@given(local=st.datetimes(), tz=offsets)
@example(local=datetime(9999, 12, 31, 23, 59, 59), tz=timezone(timedelta(hours=-5)))
@example(local=datetime(1, 1, 1), tz=timezone(timedelta(hours=5)))
@example(local=datetime(1969, 12, 31, 23, 59, 59, 999999), tz=UTC)
@example(local=datetime(2100, 1, 1), tz=UTC)
@example(local=datetime(1970, 1, 1), tz=UTC)
def test_any_aware_time_is_accepted_exactly_inside_the_window(
    local: datetime, tz: timezone
) -> None:
    aware = local.replace(tzinfo=tz)
    expected = _utc_or_none(aware)
    for parse in (
        lambda: parse_instant(aware.isoformat(), FIELD),
        lambda: instant_utc(aware, FIELD),
    ):
        if expected is None:
            with pytest.raises(InvalidInput) as refused:
                parse()
            assert refused.value.field == FIELD
            assert "1970-01-01" in refused.value.message and "2100-01-01" in refused.value.message
        else:
            assert parse() == expected


@given(local=st.datetimes())
def test_a_naive_time_is_refused_naming_the_field(local: datetime) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_instant(local.isoformat(), FIELD)
    assert refused.value.field == FIELD and "offset" in refused.value.message
    with pytest.raises(InvalidInput) as refused:
        instant_utc(local, FIELD)
    assert refused.value.field == FIELD


_ISOISH = st.from_regex(
    r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}(:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?)?)?"
    r"(Z|[+-][0-9]{2}(:?[0-9]{2}(:?[0-9]{2}(\.[0-9]{1,6})?)?)?)?\Z"
)


@given(
    text=st.one_of(
        st.text(),
        _ISOISH,
        st.none(),
        st.integers(),
        st.floats(),
        st.lists(st.text()),
        st.dictionaries(st.text(), st.text()),
    ),
    naive_as_utc=st.booleans(),
)
@example(text="9999-12-31T23:59:59-05:00", naive_as_utc=False)
@example(text="0001-01-01T00:00:00+05:00", naive_as_utc=True)
@example(text="9999-12-31T23:59:59.999999-23:59:59.999999", naive_as_utc=False)
@example(text="2026-11-20T10:15:00+24:00", naive_as_utc=False)
@example(text="\ud800", naive_as_utc=False)
def test_arbitrary_input_gives_an_instant_in_the_window_or_invalid_input(
    text: object, naive_as_utc: bool
) -> None:
    try:
        parsed = parse_instant(text, FIELD, naive_as_utc=naive_as_utc)
    except InvalidInput as refused:
        assert refused.field == FIELD and refused.message
    else:
        assert parsed.tzinfo is UTC and EARLIEST <= parsed < LATEST


def test_require_aware_refuses_an_overflowing_time_naming_the_field() -> None:
    for text in OVERFLOWING:
        with pytest.raises(InvalidInput) as refused:
            require_aware(datetime.fromisoformat(text), field="placed_from")
        assert refused.value.field == "placed_from"


# --- every ingest format: only the one item is refused ----------------------------------


@pytest.mark.parametrize("stamp", OUTSIDE)
def test_our_batch_refuses_only_that_event(stamp: str) -> None:
    def event(at: str, id_: str) -> dict[str, object]:
        return {"id": id_, "tracking_number": "1Z999AA10123456784", "occurred_at": at,
                "status": "in_transit"}  # fmt: skip

    body = orjson.dumps({"events": [
        event("2026-11-20T10:00:00-05:00", "a"),
        event(stamp, "b"),
        event("2026-11-20T12:00:00Z", "c"),
    ]})  # fmt: skip
    result = parse_batch(body, now=NOW)
    assert result.accepted == 2
    [error] = result.errors
    assert (error["index"], error["id"], error["field"]) == (1, "b", "events[1].occurred_at")


@pytest.mark.parametrize("stamp", OUTSIDE)
def test_aftership_refuses_only_that_checkpoint(stamp: str) -> None:
    body = orjson.dumps({"event": "tracking_update", "event_id": "e1", "msg": {
        "tracking_number": "9400100000000000000000", "slug": "usps", "checkpoints": [
            {"checkpoint_time": "2026-11-20T10:00:00-05:00", "tag": "InTransit"},
            {"checkpoint_time": stamp, "tag": "InTransit"},
            {"checkpoint_time": "2026-11-20T12:00:00", "tag": "Delivered"},
        ]}})  # fmt: skip
    parsed = aftership.parse_webhook(body, now=NOW)
    [update] = parsed.updates
    assert len(update.events) == 2
    [error] = parsed.errors
    assert (error["index"], error["field"]) == (1, "msg.checkpoints[1].checkpoint_time")


@pytest.mark.parametrize("created_at", [*OUTSIDE, "not a time", None, 42])
def test_aftership_naive_checkpoint_ignores_an_unusable_created_at(created_at: object) -> None:
    checkpoint = {"checkpoint_time": "2026-11-20T12:00:00", "tag": "InTransit",
                  "created_at": created_at}  # fmt: skip
    body = orjson.dumps({"event": "tracking_update", "event_id": "e2", "msg": {
        "tracking_number": "9400100000000000000000", "slug": "usps",
        "checkpoints": [checkpoint]}})  # fmt: skip
    parsed = aftership.parse_webhook(body, now=NOW)
    assert parsed.errors == ()
    [event] = parsed.updates[0].events
    assert event.occurred_at == datetime(2026, 11, 20, 12, tzinfo=UTC)  # read as UTC


@pytest.mark.parametrize("stamp", [*OUTSIDE, "9999-12-31T23:59:59"])
def test_easypost_refuses_only_that_detail(stamp: str) -> None:
    body = orjson.dumps({"object": "Event", "id": "evt_1", "description": "tracker.updated",
        "result": {"object": "Tracker", "tracking_code": "771234567890", "carrier": "FedEx",
        "tracking_details": [
            {"datetime": "2026-11-20T10:00:00Z", "status": "in_transit"},
            {"datetime": stamp, "status": "in_transit"},
            {"datetime": "2026-11-20T12:00:00", "status": "delivered"},
        ]}})  # fmt: skip
    parsed = easypost.parse_webhook(body, now=NOW)
    [update] = parsed.updates
    assert len(update.events) == 2
    [error] = parsed.errors
    assert (error["index"], error["field"]) == (1, "result.tracking_details[1].datetime")


@pytest.mark.parametrize("key", ["created_at", "updated_at", "cancelled_at"])
@pytest.mark.parametrize("stamp", OUTSIDE)
def test_shopify_order_timestamps_are_refused_naming_the_field(key: str, stamp: str) -> None:
    order = json.loads((PAYLOADS / "shopify_order.json").read_bytes())
    order[key] = stamp
    with pytest.raises(InvalidInput) as refused:
        shopify.parse_webhook("orders/create", json.dumps(order).encode(), merchant_id="m1")
    assert refused.value.field == key


@pytest.mark.parametrize("stamp", OUTSIDE)
def test_csv_refuses_only_that_order_naming_line_and_column(stamp: str) -> None:
    def row(external_id: str, placed_at: str) -> str:
        values = {"external_id": external_id, "placed_at": placed_at, "currency": "USD",
                  "sku": "S", "name": "Thing", "quantity": "1", "unit_price": "10.00",
                  "ship_country": "US"}  # fmt: skip
        return ",".join(values.get(c, "") for c in COLUMNS)

    text = "\n".join([",".join(COLUMNS), row("A", "2026-11-17T09:00:00Z"), row("B", stamp),
                      row("C", "2026-11-17T10:00:00+01:00")]) + "\n"  # fmt: skip
    results = list(read_orders(io.StringIO(text, newline=""), merchant_id="m1"))
    assert [line for line, _ in results] == [2, 3, 4]
    assert isinstance(results[0][1], PlaceOrder) and isinstance(results[2][1], PlaceOrder)
    message = results[1][1]
    assert isinstance(message, str)
    assert "line 3, column placed_at" in message and "1970-01-01" in message
