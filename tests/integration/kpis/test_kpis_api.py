"""KPIs over our own orders through /api/v1/kpis on both backends: figures worked out by
hand from the parcels made, CSV and SVG agree with the JSON, garbage is refused with the
field named, and one merchant never sees another's parcels."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from tests.factories import T0
from tests.integration.kpis.shop import Shop

from postpurchase.adapters.db.kpis import queries as kq
from postpurchase.domain.addresses import Address
from postpurchase.domain.kpis import KpiQuery

RANGE = {"from": "2026-10-01", "to": "2026-11-30"}
PROMISE = date(2026, 11, 4)  # T0 is 2026-11-01 09:00 UTC


def four_parcels(shop: Shop) -> None:
    """On time (48 h), late (5 days), an exception then delivered (on time), in transit."""
    shop.parcel(promise=PROMISE, delivered_hours=48, estimate=date(2026, 11, 3))
    shop.parcel(promise=PROMISE, delivered_hours=24 * 5, estimate=date(2026, 11, 5))
    shop.parcel(
        promise=PROMISE, delivered_hours=60, exception_hours=30, service="express",
        origin=Address("US", "10001", "NY"),
    )  # fmt: skip
    shop.parcel(promise=PROMISE)
    assert shop.refresh() == 4


def test_delivery_kpis_are_the_hand_worked_figures(shop: Shop) -> None:
    four_parcels(shop)
    got = shop.client.get("/api/v1/kpis/delivery", params=RANGE)
    assert got.status_code == 200, got.text
    s = got.json()["summary"]
    assert s["shipments"] == 4 and s["delivered"] == 3
    assert s["on_time_rate"] == pytest.approx(2 / 3)  # 48 h and 60 h made it, 5 days did not
    assert s["on_time_rate_vs_carrier_estimate"] == pytest.approx(1 / 2)  # 3rd had none
    assert s["exception_rate"] == pytest.approx(1 / 4)
    assert s["valid_tracking_rate"] == 1.0
    # processing: label 2 h after the order, every parcel
    assert s["mean_processing_days"] == pytest.approx(2 / 24)
    # pick-up wait: the first scan 4 h after the label
    assert s["mean_pickup_wait_days"] == pytest.approx(4 / 24)
    # click to door 48, 60, 120 h: the median is 60 h, within its 6-hour bucket
    assert s["click_to_door_p50_days"] == pytest.approx(60 / 24, abs=6 / 24)  # 6-hour buckets
    rows = got.json()["rows"]
    assert [r["period"] for r in rows] == ["2026-11-01"]


def test_carrier_scorecards_split_by_service_and_lane(shop: Shop) -> None:
    four_parcels(shop)
    rows = shop.client.get("/api/v1/kpis/carriers", params=RANGE).json()["rows"]
    keyed = {(r["carrier"], r["service"], r["lane"]): r for r in rows}
    assert set(keyed) == {("ups", "ground", "US-CA>US-NY"), ("ups", "express", "US-NY>US-NY")}
    ground = keyed[("ups", "ground", "US-CA>US-NY")]
    assert ground["shipments"] == 3 and ground["on_time_rate"] == pytest.approx(1 / 2)
    one_lane = shop.client.get(
        "/api/v1/kpis/delivery", params={**RANGE, "lane": "US-NY>US-NY"}
    ).json()["summary"]
    assert one_lane["shipments"] == 1 and one_lane["exception_rate"] == 1.0


def test_repeat_purchase_by_the_first_delivery_cohort(shop: Shop, clock) -> None:
    clock.current = T0 + timedelta(days=200)
    early, late = "early@example.com", "late@example.com"
    shop.parcel(promise=PROMISE, delivered_hours=48, email=early)
    shop.parcel(promise=PROMISE, delivered_hours=24 * 6, email=late)
    shop.parcel(placed_at=T0 + timedelta(days=30), email=early)  # repeats within 90 days
    shop.parcel(placed_at=T0 + timedelta(days=120), email=late)  # too late to count
    shop.parcel(placed_at=T0 + timedelta(days=150))  # the data's last purchase
    shop.refresh()
    got = shop.client.get(
        "/api/v1/kpis/repeat-purchase", params={"from": "2026-11-01", "to": "2026-11-01"}
    )
    rows = {r["cohort"]: r for r in got.json()["rows"]}
    assert rows["on_time"]["customers"] == 1 and rows["on_time"]["repeaters"] == 1
    assert rows["late"]["customers"] == 1 and rows["late"]["repeaters"] == 0


def test_csv_and_svg_render_the_same_report(shop: Shop) -> None:
    four_parcels(shop)
    data = shop.client.get("/api/v1/kpis/carriers", params=RANGE).json()
    text = shop.client.get("/api/v1/kpis/carriers.csv", params=RANGE)
    assert text.status_code == 200 and text.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(text.text)))
    assert len(table) == len(data["rows"])
    assert {r["lane"] for r in table} == {r["lane"] for r in data["rows"]}
    svg = shop.client.get("/api/v1/kpis/carriers.svg", params=RANGE)
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.startswith("<svg") and 'role="img"' in svg.text
    assert "ups: 66.7%" in svg.text  # 2 of 3 delivered on time, said in words too


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-11-10", "to": "2026-11-01"}, "to"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "to"),
        ({"lane": "anywhere"}, "lane"),
        ({"carrier": "u p s"}, "carrier"),
        ({"interval": "fortnight"}, "interval"),
    ],
)
def test_malformed_filters_are_refused_naming_the_field(
    shop: Shop, params: dict[str, str], field: str
) -> None:
    for path in ("/api/v1/kpis/delivery", "/api/v1/kpis/delivery.csv"):
        got = shop.client.get(path, params=params)
        assert got.status_code == 422, got.text
        assert got.headers["content-type"].startswith("application/problem+json")
        assert got.json()["field"] == field


def test_an_unknown_kpi_is_404_and_no_key_is_401(shop: Shop) -> None:
    assert shop.client.get("/api/v1/kpis/happiness.csv").status_code == 404
    anonymous = shop.client.get("/api/v1/kpis/delivery", headers={"Authorization": ""})
    assert anonymous.status_code == 401


def test_tenants_see_only_their_own_parcels(shop: Shop, other_shop: Shop) -> None:
    four_parcels(shop)
    other_shop.parcel(promise=PROMISE, delivered_hours=24 * 9)
    other_shop.refresh()
    mine = shop.client.get("/api/v1/kpis/delivery", params=RANGE).json()["summary"]
    theirs = other_shop.client.get("/api/v1/kpis/delivery", params=RANGE).json()["summary"]
    assert mine["shipments"] == 4 and theirs["shipments"] == 1
    assert theirs["on_time_rate"] == 0.0
    for name in ("carriers", "promises", "repeat-purchase", "contacts", "csat", "returns"):
        rows = other_shop.client.get(f"/api/v1/kpis/{name}.csv", params=RANGE).text
        assert "US-NY>US-NY" not in rows  # only shop's express parcel went that lane


def test_promises_shown_at_purchase_are_checked(shop: Shop) -> None:
    four_parcels(shop)
    got = shop.client.get("/api/v1/kpis/promises", params=RANGE).json()
    checkout = [r for r in got["rows"] if r["surface"] == "checkout"]
    assert sum(r["shown"] for r in checkout) == 4
    assert sum(r["delivered"] for r in checkout) == 3
    assert got["summary"]["within_rate_checkout"] == pytest.approx(2 / 3)
    late = [r for r in checkout if r["late"]]
    assert late and late[0]["mean_bias_days"] > 0


def test_in_transit_parcels_are_refreshed_once_they_move(shop: Shop, clock) -> None:
    shop.parcel(promise=PROMISE)
    assert shop.refresh() == 1
    assert shop.refresh() == 0  # not due again yet
    clock.advance(minutes=11)
    assert shop.refresh() == 1  # not final: looked at again
    summary = shop.client.get("/api/v1/kpis/delivery", params=RANGE).json()["summary"]
    assert summary["delivered"] == 0


def test_the_workers_job_keeps_facts_and_rollups(shop: Shop) -> None:
    from postpurchase.entrypoints.worker import refresh_kpis

    shop.parcel(promise=PROMISE, delivered_hours=48)
    assert refresh_kpis(shop.platform) >= 1
    s = shop.client.get("/api/v1/kpis/delivery", params=RANGE).json()["summary"]
    assert s["delivered"] == 1 and s["on_time_rate"] == 1.0
    shop.parcel(promise=PROMISE, delivered_hours=24 * 7)  # a new parcel: the next tick
    refresh_kpis(shop.platform)
    s = shop.client.get("/api/v1/kpis/delivery", params=RANGE).json()["summary"]
    assert s["delivered"] == 2 and s["on_time_rate"] == 0.5


def test_order_to_delivery_is_split_into_its_three_legs(shop: Shop) -> None:
    """Label 2 h after the order, first scan at +6 h, delivered at 48 h, 5 days and 60 h
    (``four_parcels``): processing 2 h, pick-up wait 4 h, transit 42, 114 and 54 h. The
    percentiles come from 6-hour histograms, so they are within 6 hours of these."""
    four_parcels(shop)
    s = shop.client.get("/api/v1/kpis/delivery", params=RANGE).json()["summary"]
    assert s["delivered_rate"] == pytest.approx(3 / 4)
    assert s["tracked"] == 4 and s["delivered_rate_of_tracked"] == pytest.approx(3 / 4)
    assert abs(s["processing_p50_days"] * 24 - 2) <= 6
    assert abs(s["pickup_wait_p50_days"] * 24 - 4) <= 6
    assert abs(s["transit_p50_days"] * 24 - 54) <= 6
    assert abs(s["transit_p90_days"] * 24 - (54 + 0.8 * 60)) <= 6  # P90 of 42, 54, 114
    assert s["mean_processing_days"] == pytest.approx(2 / 24)
    assert s["mean_pickup_wait_days"] == pytest.approx(4 / 24)
    rows = shop.client.get("/api/v1/kpis/delivery", params={**RANGE, "interval": "month"})
    assert rows.json()["rows"][0]["delivered_rate"] == pytest.approx(3 / 4)


def test_on_time_against_the_carriers_first_and_latest_estimate(shop: Shop) -> None:
    """First estimate Nov 3, revised to Nov 6, delivered Nov 5: on time against the latest,
    late against the original (AfterShip's "original EDD"); a parcel still pending is not
    tracked."""
    from postpurchase.domain import commands
    from postpurchase.domain.status import ShipmentStatus
    from postpurchase.domain.tracking import TrackingEvent

    _, number = shop.parcel(promise=PROMISE, estimate=date(2026, 11, 3))
    events = (
        TrackingEvent(occurred_at=T0 + timedelta(hours=30), status=ShipmentStatus.IN_TRANSIT,
                      estimated_delivery=date(2026, 11, 6)),
        TrackingEvent(occurred_at=T0 + timedelta(days=4), status=ShipmentStatus.DELIVERED),
    )  # fmt: skip
    update = commands.TrackingUpdate(number, "ups", events)
    shop.platform.bus().handle(commands.RecordTracking(shop.merchant_id, (update,)))
    shop.refresh()
    s = shop.client.get("/api/v1/kpis/delivery", params=RANGE).json()["summary"]
    assert s["on_time_rate_vs_carrier_estimate"] == 1.0
    assert s["on_time_rate_vs_original_carrier_estimate"] == 0.0
    assert s["tracked"] == 1 and s["delivered_rate_of_tracked"] == 1.0
    rows = shop.client.get("/api/v1/kpis/carriers", params=RANGE).json()["rows"]
    assert rows[0]["on_time_rate_vs_original_carrier_estimate"] == 0.0


def test_histograms_in_one_pass_are_each_metrics_histogram(shop: Shop) -> None:
    """The delivery and carrier pages read their histograms in one statement (ADR 0030):
    the same buckets as one statement per metric, whole store, per carrier and filtered by
    service (read from the facts)."""
    four_parcels(shop)
    metrics = ("click_to_door", "first_scan", "processing", "pickup_wait", "transit")
    with shop.platform.engine.connect() as conn:
        for q in (
            KpiQuery(date(2026, 10, 1), date(2026, 11, 30)),
            KpiQuery(date(2026, 10, 1), date(2026, 11, 30), service="express"),
        ):
            for group in (None, "carrier"):
                together = kq.histograms(conn, shop.merchant_id, q, metrics, group)
                assert any(together[m] for m in metrics)
                for m in metrics:
                    assert together[m] == kq.histogram(conn, shop.merchant_id, q, m, group)
