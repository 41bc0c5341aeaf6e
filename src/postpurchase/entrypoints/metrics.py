"""Prometheus metrics at ``/metrics``: what a process counted, plus the shared backlog.

Two kinds, on purpose:

* counters a process increments as it works (scans received per source and result, store
  deliveries, inbox outcomes, HTTP requests and their latency). With ``serve --workers N``
  these live in ``PROMETHEUS_MULTIPROC_DIR`` (the CLI sets it) and every scrape sums all
  processes, whichever one answers;
* gauges read from the database at scrape time (queue depth and the age of the oldest item
  per queue, notification lag, failures and unknown-outcome re-sends by channel,
  unrecognised codes by carrier): they describe the cluster, so any process gives the same
  answer.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import multiprocess as mp
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from postpurchase.adapters.db.ops_views import backlog
from postpurchase.bootstrap import Platform

TRACKING_EVENTS = Counter(
    "postpurchase_tracking_events_received",
    "Scans received by the tracking webhooks, by source and result (new, duplicate, rejected).",
    ["source", "result"],
)
STORE_DELIVERIES = Counter(
    "postpurchase_store_deliveries",
    "Store webhook deliveries, by source, topic and result (received, duplicate, refused).",
    ["source", "topic", "result"],
)
INBOX_OUTCOMES = Counter(
    "postpurchase_inbox_processed",
    "Store deliveries processed, by outcome (processed, waiting, refused, failed, given_up).",
    ["source", "result"],
)
HTTP_REQUESTS = Histogram(
    "postpurchase_http_request_seconds",
    "HTTP requests by route template, method and status class, with their latency.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
WORKER_JOBS = Counter(
    "postpurchase_worker_items", "Items the worker's jobs handled, by job.", ["job"]
)


class BacklogCollector(Collector):
    """Reads the shared backlog at scrape time (a handful of aggregate queries)."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def collect(self) -> Iterator[Metric]:
        with self.platform.engine.connect() as conn:
            b = backlog(conn, self.platform.clock.now())
        depth = GaugeMetricFamily(
            "postpurchase_queue_depth", "Items waiting, per queue.", labels=["queue"]
        )
        age = GaugeMetricFamily(
            "postpurchase_queue_oldest_seconds",
            "How long the oldest waiting item has waited, per queue (0 when empty).",
            labels=["queue"],
        )
        for q in b.queues:
            depth.add_metric([q.name], q.depth)
            age.add_metric([q.name], q.oldest_seconds or 0.0)
        failed = GaugeMetricFamily(
            "postpurchase_notifications_failed_24h",
            "Notifications that failed for good in the last 24 hours, by channel.",
            labels=["channel"],
        )
        for channel, n in sorted(b.notification_failures.items()):
            failed.add_metric([channel], n)
        unknown = CounterMetricFamily(
            "postpurchase_unrecognised_carrier_codes",
            "Carrier status codes we could not map, by carrier (mapped to a safe status).",
            labels=["carrier"],
        )
        for carrier, n in sorted(b.unrecognised_codes.items()):
            unknown.add_metric([carrier], n)
        resent = GaugeMetricFamily(
            "postpurchase_notifications_unknown_outcomes_24h",
            "Sends whose outcome was unknown (claimed, never recorded: the sender died or lost "
            "its claim) and that were sent again, so possibly received twice; rows updated in "
            "the last 24 hours, by channel (email, sms, webhook).",
            labels=["channel"],
        )
        for channel in ("email", "sms", "webhook"):
            resent.add_metric([channel], b.unknown_outcomes.get(channel, 0))
        yield from (depth, age, failed, unknown, resent)


class _Process(Collector):
    """This process's own counters (single-process mode)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def render(platform: Platform) -> bytes:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        mp.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Process())
    registry.register(BacklogCollector(platform))
    return bytes(generate_latest(registry))


def status_class(status: int) -> str:
    return f"{status // 100}xx"


def route_of(scope: Any) -> str:
    """The route template (``/api/v1/orders/{order_id}``), never the raw path: raw paths
    would make one series per order."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"
