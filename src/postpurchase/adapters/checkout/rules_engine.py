"""The default :class:`~postpurchase.service_layer.checkout.ports.CheckoutEngine`: the
delivery-date engine's rules layer, with public holidays from the ``holidays`` package at
both ends (as ``EddEngine`` does when it falls back to rules)."""

from __future__ import annotations

from postpurchase.adapters.edd.calendars import business_calendar
from postpurchase.domain.edd.calendar import BusinessCalendar
from postpurchase.domain.edd.rules import DEFAULT_TABLE, TransitTable, rules_estimate
from postpurchase.domain.edd.types import Estimate, EstimateRequest
from postpurchase.service_layer.checkout.ports import CheckoutEngine


class RulesCheckoutEngine:
    """Cut-off, handling days (business days at the origin), transit days (business days at
    the destination) from the generic transit table: an honest answer with no history."""

    def __init__(self, table: TransitTable = DEFAULT_TABLE) -> None:
        self.table = table

    def estimate(self, request: EstimateRequest) -> Estimate:
        origin, dest = request.origin, request.destination
        return rules_estimate(
            request,
            table=self.table,
            origin_calendar=calendar_for(origin.country, origin.region) if origin else None,
            destination_calendar=calendar_for(dest.country, dest.region),
        )


def calendar_for(country: str | None, region: str | None = None) -> BusinessCalendar:
    """Weekends and the country's public holidays (cached per country and region)."""
    return business_calendar(country, region)


RULES_ENGINE = RulesCheckoutEngine()


def rules_engine_for(_merchant_id: str) -> CheckoutEngine:
    """Every merchant on the rules layer: the default until a learned model is wired in."""
    return RULES_ENGINE
