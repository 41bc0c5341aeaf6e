"""The message-versions row worked out by hand: rates with their counts and Wilson
intervals, nothing measured is None (never 0), the hold-out has no clicks."""

from __future__ import annotations

import pytest

from postpurchase.domain.kpis import VersionSums, version_kpis, wilson_interval


def test_a_version_row_by_hand() -> None:
    row = version_kpis(
        VersionSums("shipped", "email", 2, False, orders=40, status_contacts=6,
                    contacted_orders=5, rated_orders=20, happy_orders=15, score_sum=82,
                    repeat_eligible=10, repeaters=3, clicked_orders=4)
    )  # fmt: skip
    assert row["variant"] == "v2"
    assert row["order_status_contacts_per_100_orders"] == pytest.approx(15.0)
    assert row["contacted_order_rate"] == pytest.approx(5 / 40)
    assert row["contacted_order_rate_ci95"] == pytest.approx(list(wilson_interval(5, 40) or ()))
    assert row["csat"] == pytest.approx(0.75) and row["mean_score"] == pytest.approx(4.1)
    assert row["repeat_rate_90d"] == pytest.approx(0.3)
    assert row["click_rate"] == pytest.approx(0.1) and row["opens"] is None


def test_the_holdout_and_empty_groups() -> None:
    held = version_kpis(VersionSums("shipped", "email", None, True, orders=12))
    assert held["variant"] == "held out"
    assert held["clicked_orders"] is None and held["click_rate"] is None
    assert held["csat"] is None and held["csat_ci95"] is None  # nobody answered: not 0
    assert held["repeat_rate_90d"] is None
    assert held["order_status_contacts_per_100_orders"] == 0.0
    assert version_kpis(VersionSums("delivered", "sms", 0, False, orders=0))["variant"] == (
        "built-in"
    )
