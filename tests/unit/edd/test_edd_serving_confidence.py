"""Every process states promises at the merchant's promise confidence: the model cache reads
the setting at most once per ``CONFIDENCE_TTL`` per merchant and keeps the last value it
knew while the database cannot be read."""

from __future__ import annotations

from postpurchase.domain.edd.types import DEFAULT_CONFIDENCE
from postpurchase.service_layer.edd_serving import CONFIDENCE_TTL, DeliveryEngine, EngineCache


class Source:
    """A registry with no model and a settings table the test edits."""

    def __init__(self) -> None:
        self.confidence: dict[str, float] = {}
        self.reads = 0
        self.down = False

    def active_version(self, merchant_id: str) -> int | None:
        return None

    def load(self, merchant_id: str, version: int) -> tuple[DeliveryEngine, str]:
        raise LookupError("no models here")

    def promise_confidence(self, merchant_id: str) -> float:
        self.reads += 1
        if self.down:
            raise ConnectionError("database down")
        return self.confidence.get(merchant_id, DEFAULT_CONFIDENCE)


def test_the_confidence_is_read_per_merchant_once_per_ttl_and_survives_an_outage() -> None:
    now = [0.0]
    source = Source()
    cache = EngineCache(source, clock=lambda: now[0])
    source.confidence = {"a": 0.97}
    assert cache.confidence_for("a") == 0.97
    assert cache.confidence_for("b") == DEFAULT_CONFIDENCE  # per merchant
    source.confidence["a"] = 0.9
    now[0] += CONFIDENCE_TTL - 0.5
    assert cache.confidence_for("a") == 0.97 and source.reads == 2  # not read again yet
    now[0] += 1.0
    assert cache.confidence_for("a") == 0.9 and source.reads == 3  # a change shows in 10 s
    source.down = True
    now[0] += CONFIDENCE_TTL
    assert cache.confidence_for("a") == 0.9  # the last value known, not a crash
