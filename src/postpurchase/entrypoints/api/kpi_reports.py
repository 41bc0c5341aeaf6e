"""Each dashboard as one report: a summary, a table (the CSV) and a chart (the SVG).

The sums come from the read side (adapters.db.kpis.queries); every rate, percentile and
interval from the pure definitions (domain.kpis). One function per KPI page, registered in
``REPORTS``, so the JSON endpoint, the CSV export, the SVG and the console page of a KPI
can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection

from postpurchase.adapters.db.kpis import message_rollup
from postpurchase.adapters.db.kpis import queries as kq
from postpurchase.adapters.db.kpis.rollups import HIST_HOURS
from postpurchase.domain.kpis import (
    DeliveryCounts,
    KpiQuery,
    bucket_start,
    per_hundred,
    quantile,
    quantile_from_histogram,
    rate,
    version_kpis,
    wilson_interval,
)
from postpurchase.entrypoints.web.svg_charts import Series, bar_chart, time_series


@dataclass
class Report:
    name: str
    title: str
    summary: dict[str, Any]
    columns: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    chart: str = ""

    def as_json(self, q: KpiQuery) -> dict[str, Any]:
        return {
            "kpi": self.name,
            "from": q.start.isoformat(),
            "to": q.end.isoformat(),
            "filters": {"carrier": q.carrier, "service": q.service, "lane": q.lane},
            "summary": self.summary,
            "rows": self.rows,
        }


def _days(hours: float | None) -> float | None:
    return hours / 24 if hours is not None else None


def _pct(hist: dict[int, int], q: float) -> float | None:
    return _days(quantile_from_histogram(hist, q, HIST_HOURS))


SPLIT = ("processing", "pickup_wait", "transit")  # order -> label -> first scan -> door


def delivery(conn: Connection, merchant_id: str, q: KpiQuery) -> Report:
    """On time (original promise, carrier estimate, ours), tracking, exceptions, the
    click-to-door split, per day/week/month of purchase."""
    hists = kq.histograms(conn, merchant_id, q, ("click_to_door", "first_scan", *SPLIT))
    c2d = hists["click_to_door"].get((), {})
    scan = hists["first_scan"].get((), {})
    # Order to delivery in its three legs, as medians and P90s (means hide long tails).
    legs = {leg: hists[leg].get((), {}) for leg in SPLIT}
    buckets: dict[date, DeliveryCounts] = {}
    counts = DeliveryCounts()
    for (day,), sums in kq.delivery_counts(conn, merchant_id, q, "day"):
        key = bucket_start(day, q.interval)
        buckets[key] = buckets.get(key, DeliveryCounts()) + sums
        counts = counts + sums
    summary = counts.kpis() | {
        "click_to_door_p50_days": _pct(c2d, 0.5),
        "click_to_door_p90_days": _pct(c2d, 0.9),
        "time_to_first_scan_p50_days": _pct(scan, 0.5),
        **{f"{leg}_p{int(p * 100)}_days": _pct(hist, p) for leg, hist in legs.items()
           for p in (0.5, 0.9)},
    }  # fmt: skip
    columns = ["period", "shipments", "delivered", "delivered_rate", "on_time_rate",
               "on_time_rate_vs_carrier_estimate", "on_time_rate_vs_original_carrier_estimate",
               "on_time_rate_vs_our_promise",
               "valid_tracking_rate", "exception_rate", "failed_attempt_rate",
               "mean_processing_days", "mean_pickup_wait_days", "mean_transit_days"]  # fmt: skip
    rows: list[dict[str, Any]] = []
    for key in sorted(buckets):
        k = buckets[key].kpis()
        rows.append({"period": key.isoformat(), **{c: k[c] for c in columns[1:]}})
    vs_carrier = [(r["period"], r["on_time_rate_vs_carrier_estimate"]) for r in rows]
    chart = time_series(
        "On-time rate by purchase " + q.interval,
        [
            Series("vs promise", [(r["period"], r["on_time_rate"]) for r in rows]),
            Series("vs carrier", vs_carrier),
        ],
        percent=True,
    )
    return Report("delivery", "Delivery", summary, columns, rows, chart)


def carriers(conn: Connection, merchant_id: str, q: KpiQuery) -> Report:
    """Scorecards per carrier, service and lane (origin region > destination region), and
    each carrier's transit and click-to-door percentiles."""
    columns = ["carrier", "service", "lane", "shipments", "delivered", "on_time_rate",
               "on_time_rate_vs_carrier_estimate", "on_time_rate_vs_original_carrier_estimate",
               "on_time_rate_vs_our_promise",
               "exception_rate", "failed_attempt_rate", "valid_tracking_rate",
               "mean_processing_days", "mean_pickup_wait_days", "mean_transit_days"]  # fmt: skip
    rows: list[dict[str, Any]] = []
    for key, sums in kq.delivery_counts(conn, merchant_id, q, "scorecard"):
        k = sums.kpis()
        rows.append({"carrier": key[0], "service": key[1], "lane": key[2],
                     **{c: k[c] for c in columns[3:]}})  # fmt: skip
    per_carrier = kq.delivery_counts(conn, merchant_id, q, "carrier")
    hists = kq.histograms(conn, merchant_id, q, ("transit", "click_to_door"), "carrier")
    transit, c2d = hists["transit"], hists["click_to_door"]
    summary: dict[str, Any] = {"carriers": len(per_carrier), "scorecards": len(rows)}
    summary["by_carrier"] = [
        {"carrier": key[0], **{c: sums.kpis()[c] for c in ("shipments", "on_time_rate")},
         "transit_p50_days": _pct(transit.get(key, {}), 0.5),
         "transit_p90_days": _pct(transit.get(key, {}), 0.9),
         "click_to_door_p50_days": _pct(c2d.get(key, {}), 0.5),
         "click_to_door_p90_days": _pct(c2d.get(key, {}), 0.9)}
        for key, sums in per_carrier
    ]  # fmt: skip
    chart = bar_chart(
        "On-time rate by carrier",
        [(key[0], sums.kpis()["on_time_rate"]) for key, sums in per_carrier],
        percent=True,
    )
    return Report("carriers", "Carrier scorecards", summary, columns, rows, chart)


def repeat_purchase(conn: Connection, merchant_id: str, q: KpiQuery) -> Report:
    """Repeat purchase within 90 days by the first delivery's cohort."""
    columns = ["cohort", "customers", "repeaters", "repeat_rate_90d", "ci95_low", "ci95_high"]
    rows: list[dict[str, Any]] = []
    for c in kq.repeat_by_cohort(conn, merchant_id, q):
        ci = wilson_interval(c.repeaters, c.customers)
        rows.append(
            {"cohort": c.cohort, "customers": c.customers, "repeaters": c.repeaters,
             "repeat_rate_90d": rate(c.repeaters, c.customers),
             "ci95_low": ci[0] if ci else None, "ci95_high": ci[1] if ci else None}
        )  # fmt: skip
    summary = {f"repeat_rate_90d_{r['cohort']}": r["repeat_rate_90d"] for r in rows}
    chart = bar_chart(
        "Repeat purchase within 90 days by first delivery",
        [(r["cohort"], r["repeat_rate_90d"]) for r in rows],
        percent=True,
    )
    return Report("repeat-purchase", "Repeat purchase", summary, columns, rows, chart)


def contacts(conn: Connection, merchant_id: str, q: KpiQuery) -> Report:
    """Order-status contacts per 100 orders, and the preventable ones by carrier and the
    last message flow the shopper had before asking."""
    start, end = kq.merchant_zone_bounds(conn, merchant_id, q)
    orders = kq.orders_placed(conn, merchant_id, start, end)
    groups = kq.contact_counts(conn, merchant_id, start, end)
    wismo = [g for g in groups if g[3]]
    total = sum(g[4] for g in groups)
    status_contacts = sum(g[4] for g in wismo)
    by_kind: dict[str, int] = {}
    for g in wismo:
        by_kind[g[0] or "not_preventable"] = by_kind.get(g[0] or "not_preventable", 0) + g[4]
    summary = {
        "orders": orders,
        "contacts": total,
        "order_status_contacts": status_contacts,
        "order_status_contacts_per_100_orders": per_hundred(status_contacts, orders),
        **{f"{k}_per_100_orders": per_hundred(n, orders) for k, n in sorted(by_kind.items())},
    }
    columns = ["preventable", "carrier", "last_flow", "contacts", "per_100_orders"]
    rows = [
        {"preventable": p or "not_preventable", "carrier": c or "none",
         "last_flow": lf or "none", "contacts": n, "per_100_orders": per_hundred(n, orders)}
        for p, c, lf, _, n in sorted(wismo, key=lambda g: (str(g[0]), str(g[1]), str(g[2])))
    ]  # fmt: skip
    chart = bar_chart(
        "Order-status contacts per 100 orders",
        [(k, per_hundred(n, orders)) for k, n in sorted(by_kind.items())],
    )
    return Report("contacts", "Support contacts", summary, columns, rows, chart)


def csat(conn: Connection, merchant_id: str, q: KpiQuery) -> Report:
    """CSAT: the share of 4 and 5 among survey answers, the mean, the distribution."""
    start, end = kq.merchant_zone_bounds(conn, merchant_id, q)
    scores, comments = kq.rating_counts(conn, merchant_id, start, end)
    answers = sum(scores.values())
    happy = scores.get(4, 0) + scores.get(5, 0)
    ci = wilson_interval(happy, answers)
    summary = {
        "answers": answers,
        "with_comment": comments,
        "csat": rate(happy, answers),
        "csat_ci95": list(ci) if ci else None,
        "mean_score": sum(s * n for s, n in scores.items()) / answers if answers else None,
    }
    columns = ["score", "answers", "share"]
    rows = [
        {"score": s, "answers": scores.get(s, 0), "share": rate(scores.get(s, 0), answers)}
        for s in range(1, 6)
    ]
    chart = bar_chart("Survey answers by score", [(str(r["score"]), r["answers"]) for r in rows])
    return Report("csat", "Customer satisfaction", summary, columns, rows, chart)


def returns(conn: Connection, merchant_id: str, q: KpiQuery) -> Report:
    """Return rate (returns opened in the range per parcel delivered of orders bought in
    it), returned units by reason, refund cycle time."""
    start, end = kq.merchant_zone_bounds(conn, merchant_id, q)
    opened, reasons, cycles = kq.return_figures(conn, merchant_id, start, end)
    delivered = kq.delivered_parcels(conn, merchant_id, q)
    units = sum(reasons.values())
    summary = {
        "returns": opened,
        "delivered_parcels": delivered,
        "return_rate": opened / delivered if delivered else None,
        "refunded_returns": len(cycles),
        "refund_cycle_p50_days": _days(quantile(cycles, 0.5)),
        "refund_cycle_p90_days": _days(quantile(cycles, 0.9)),
    }
    columns = ["reason", "units", "share"]
    rows: list[dict[str, Any]] = [
        {"reason": k, "units": n, "share": rate(n, units)}
        for k, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    chart = bar_chart("Returned units by reason", [(r["reason"], r["units"]) for r in rows])
    return Report("returns", "Returns", summary, columns, rows, chart)


def promises(conn: Connection, merchant_id: str, q: KpiQuery) -> Report:
    """Every promise shown, per surface, carrier and lane: delivered within it, early and
    late bias in days, and how far it drifted after it was shown."""
    columns = ["surface", "carrier", "lane", "shown", "delivered", "within_rate",
               "early", "late", "mean_bias_days", "mean_drift_days", "moved_rate"]  # fmt: skip
    sums = kq.promise_sums(conn, merchant_id, q)
    rows: list[dict[str, Any]] = [
        {"surface": s.surface, "carrier": s.carrier, "lane": s.lane, "shown": s.shown,
         "delivered": s.delivered, "within_rate": rate(s.within, s.delivered),
         "early": s.early, "late": s.late,
         "mean_bias_days": s.bias_sum / s.delivered if s.delivered else None,
         "mean_drift_days": s.drift_sum / s.drift_n if s.drift_n else None,
         "moved_rate": rate(s.moved, s.drift_n)}
        for s in sums
    ]  # fmt: skip
    surfaces: dict[str, tuple[int, int]] = {}
    for s in sums:
        w, d = surfaces.get(s.surface, (0, 0))
        surfaces[s.surface] = (w + s.within, d + s.delivered)
    summary = {f"within_rate_{k}": rate(w, d) for k, (w, d) in sorted(surfaces.items())}
    chart = bar_chart(
        "Delivered within the promise shown, by surface",
        [(k, rate(w, d)) for k, (w, d) in sorted(surfaces.items())],
        percent=True,
    )
    return Report("promises", "Promise accuracy", summary, columns, rows, chart)


MESSAGE_COLUMNS = [
    "flow", "channel", "variant", "template_version", "held_out", "orders",
    "order_status_contacts", "order_status_contacts_per_100_orders", "contacted_order_rate",
    "contacted_order_rate_ci95_low", "contacted_order_rate_ci95_high", "rated_orders", "csat",
    "csat_ci95_low", "csat_ci95_high", "mean_score", "repeat_eligible", "repeaters",
    "repeat_rate_90d", "repeat_rate_90d_ci95_low", "repeat_rate_90d_ci95_high",
    "clicked_orders", "click_rate", "opens",
]  # fmt: skip


def messages(conn: Connection, merchant_id: str, q: KpiQuery) -> Report:
    """Message versions measured: per flow, channel and template version, and the hold-out,
    the orders sent it, their order-status contacts per 100 orders, CSAT and repeat purchase
    within 90 days (with counts and 95% intervals), and clicks where tracked."""
    rows: list[dict[str, Any]] = []
    for sums in message_rollup.version_sums(conn, merchant_id, q):
        row = version_kpis(sums)
        for name in ("contacted_order_rate", "csat", "repeat_rate_90d"):
            ci = row.pop(f"{name}_ci95")
            row[f"{name}_ci95_low"], row[f"{name}_ci95_high"] = ci if ci else (None, None)
        rows.append({c: row[c] for c in MESSAGE_COLUMNS})
    summary: dict[str, Any] = {
        "groups": len(rows),
        "orders": sum(r["orders"] for r in rows),
        "held_out_orders": sum(r["orders"] for r in rows if r["held_out"]),
        "flows": sorted({r["flow"] for r in rows}),
    }
    chart = bar_chart(
        "Order-status contacts per 100 orders, by message version",
        [(f"{r['variant']} · {r['flow']} · {r['channel']} (n={r['orders']})",
          r["order_status_contacts_per_100_orders"]) for r in rows],
    )  # fmt: skip
    return Report("messages", "Message versions", summary, MESSAGE_COLUMNS, rows, chart)


REPORTS: dict[str, Callable[[Connection, str, KpiQuery], Report]] = {
    "delivery": delivery,
    "carriers": carriers,
    "repeat-purchase": repeat_purchase,
    "contacts": contacts,
    "csat": csat,
    "returns": returns,
    "promises": promises,
    "messages": messages,
}
