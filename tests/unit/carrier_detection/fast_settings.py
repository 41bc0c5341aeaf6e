"""The Hypothesis budget of the carrier-detection properties: derandomised, so a property
that fails fails on every run, and small enough to keep the unit tests fast."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

FAST = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
