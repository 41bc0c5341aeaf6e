"""Message versions measured (issue 14): what a flow's template version, or holding the
message back, did to the things a merchant cares about beyond opens and clicks.

Each row compares the orders that were sent one version of a flow's message on a channel
(or held out of it: the control group) by what happened to those orders afterwards:
order-status contacts, the survey score and repeat purchase. The counts are kept with the
rates, and every rate carries a 95% Wilson interval, so a merchant can tell a difference
from the noise of a few dozen orders. Definitions: docs/kpis.md ("Message versions").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from postpurchase.domain.kpis.stats import rate, wilson_interval


@dataclass(frozen=True, slots=True)
class VersionSums:
    """The counts of one flow, channel and version (or its hold-out), as the adapter sums
    them. ``template_version`` 0 is the built-in template; None with ``held_out``."""

    flow: str
    channel: str
    template_version: int | None
    held_out: bool
    orders: int
    status_contacts: int = 0  # order-status contacts made after the message (or hold-out)
    contacted_orders: int = 0  # orders with at least one of them
    rated_orders: int = 0  # orders with a survey answer
    happy_orders: int = 0  # ... of 4 or 5 stars
    score_sum: int = 0
    repeat_eligible: int = 0  # first delivered orders whose 90 days are over
    repeaters: int = 0
    clicked_orders: int = 0  # orders with a click on a link in the e-mail after it was sent

    @property
    def variant(self) -> str:
        """How a person names the row: ``held out``, ``built-in`` or ``v3``."""
        if self.held_out:
            return "held out"
        if not self.template_version:
            return "built-in"
        return f"v{self.template_version}"


def _ci(hits: int, total: int) -> list[float] | None:
    found = wilson_interval(hits, total)
    return list(found) if found is not None else None


def version_kpis(s: VersionSums) -> dict[str, Any]:
    """One row of the report: the counts and the rates made from them."""
    return {
        "flow": s.flow,
        "channel": s.channel,
        "variant": s.variant,
        "template_version": s.template_version,
        "held_out": s.held_out,
        "orders": s.orders,
        "order_status_contacts": s.status_contacts,
        "order_status_contacts_per_100_orders": (
            100 * s.status_contacts / s.orders if s.orders else None
        ),
        "contacted_order_rate": rate(s.contacted_orders, s.orders),
        "contacted_order_rate_ci95": _ci(s.contacted_orders, s.orders),
        "rated_orders": s.rated_orders,
        "csat": rate(s.happy_orders, s.rated_orders),
        "csat_ci95": _ci(s.happy_orders, s.rated_orders),
        "mean_score": s.score_sum / s.rated_orders if s.rated_orders else None,
        "repeat_eligible": s.repeat_eligible,
        "repeaters": s.repeaters,
        "repeat_rate_90d": rate(s.repeaters, s.repeat_eligible),
        "repeat_rate_90d_ci95": _ci(s.repeaters, s.repeat_eligible),
        "clicked_orders": None if s.held_out else s.clicked_orders,
        "click_rate": None if s.held_out else rate(s.clicked_orders, s.orders),
        "opens": None,  # not tracked: no pixel is put in the mails (privacy)
    }
