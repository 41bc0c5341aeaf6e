"""A simulated carrier network: realistic scan streams for the demo, tests and benchmarks.

``plan`` computes every scan of a parcel up front (deterministic for a seed), ``quote`` the
delivery date the carrier promises, and ``Player`` replays plans in accelerated time into a
sink, usually ``http_sink`` pointed at our own tracking webhook. Nothing here uses the
network except ``http_sink``.

Modules: ``network`` (hubs, postal regions, routes), ``service`` (carriers, service
levels, calendars, transit times), ``vocabulary`` (carrier codes and wording), ``plans``
(scan plans and trouble) and ``player`` (accelerated replay, HTTP sink).
"""

from __future__ import annotations

import random

from postpurchase.adapters.carriers.simulated.network import Hub, distance_km, hub_for
from postpurchase.adapters.carriers.simulated.plans import (
    TROUBLE_MIX,
    TROUBLE_RATE,
    SimParcel,
    Trouble,
    plan,
    trouble_of,
)
from postpurchase.adapters.carriers.simulated.player import (
    Player,
    RejectedBatch,
    Sink,
    http_sink,
    sign,
)
from postpurchase.adapters.carriers.simulated.service import (
    CARRIER_NAMES,
    CARRIER_SERVICES,
    carriers_for,
    quote,
)
from postpurchase.domain.carrier_detection import example_number


def tracking_number(carrier: str, rng: random.Random) -> str:
    """A tracking number that carrier detection recognises as valid for ``carrier``."""
    return example_number(carrier, rng)


__all__ = [
    "CARRIER_NAMES",
    "CARRIER_SERVICES",
    "TROUBLE_MIX",
    "TROUBLE_RATE",
    "Hub",
    "Player",
    "RejectedBatch",
    "SimParcel",
    "Sink",
    "Trouble",
    "carriers_for",
    "distance_km",
    "http_sink",
    "hub_for",
    "plan",
    "quote",
    "sign",
    "tracking_number",
    "trouble_of",
]
