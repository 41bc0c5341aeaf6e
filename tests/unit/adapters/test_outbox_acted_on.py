"""ADR 0041: which of a transaction's events get an outbox row, derived from the
subscriber registry. A row is left out only when every subscriber of its topic declares
that it does nothing for that merchant; any other subscriber keeps it."""

from __future__ import annotations

from typing import Any

from postpurchase.adapters.outbox import acted_on


def plain(row_id: int, topic: str, payload: dict[str, Any]) -> None:
    return None


class Declares:
    """A subscriber acting only for the merchants it names."""

    def __init__(self, *merchants: str) -> None:
        self.merchants = set(merchants)
        self.asked: list[tuple[str, set[str]]] = []

    def __call__(self, row_id: int, topic: str, payload: dict[str, Any]) -> None:
        return None

    def acting(self, conn: Any, topic: str, merchant_ids: set[str]) -> set[str]:
        self.asked.append((topic, set(merchant_ids)))
        return merchant_ids & self.merchants


PAIRS = {("m1", "A"), ("m2", "A"), ("m1", "B"), ("m1", "C"), ("m2", "D")}


def test_only_pairs_every_subscriber_declares_idle_are_left_out() -> None:
    only_m1 = Declares("m1")
    nobody = Declares()
    subscribers: dict[str, list[Any]] = {
        "A": [only_m1],  # declares: m1 only
        "B": [nobody, plain],  # a plain subscriber acts on everything it is subscribed to
        "C": [nobody],  # declares: nobody
        # "D": no subscriber in this process: kept, a later one may take it
    }
    kept = acted_on(subscribers, None, set(PAIRS))  # type: ignore[arg-type]
    assert kept == {("m1", "A"), ("m1", "B"), ("m2", "D")}


def test_a_merchant_one_subscriber_acts_for_is_not_asked_of_the_next() -> None:
    first, second = Declares("m1"), Declares("m2")
    kept = acted_on({"A": [first, second]}, None, {("m1", "A"), ("m2", "A"), ("m3", "A")})  # type: ignore[arg-type]
    assert kept == {("m1", "A"), ("m2", "A")}
    assert second.asked == [("A", {"m2", "m3"})]
