"""Address validation before a label is bought: our own checks first (pure, always), then
the carrier's where its API has one.

Why both: our checks catch what every carrier would refuse (a missing street, a postal code
in the wrong format, a state name where a code belongs) without a network call; only the
carrier knows whether the street exists. A carrier without an address API (most of them)
is reported as such, not as a failure.
"""

from __future__ import annotations

from dataclasses import dataclass

from postpurchase.domain.addresses import Address
from postpurchase.domain.carriers import (
    AddressCheck,
    AddressVerdict,
    CarrierError,
    CarrierFailure,
    check_address,
)
from postpurchase.service_layer.labels.ports import LabelCarriers


@dataclass(frozen=True, slots=True)
class AddressReport:
    ours: AddressVerdict
    carrier: str | None = None
    carrier_check: AddressCheck | None = None
    carrier_note: str | None = None  # why the carrier was not asked, or what it said

    @property
    def valid(self) -> bool:
        return self.ours.valid and (self.carrier_check is None or self.carrier_check.valid)

    @property
    def suggestion(self) -> Address | None:
        """The carrier's correction of our canonical form, else ours."""
        if self.carrier_check is not None and self.carrier_check.suggestion is not None:
            return self.carrier_check.suggestion
        return self.ours.suggestion


def validate_address(
    carriers: LabelCarriers, merchant_id: str, address: Address, carrier: str | None = None
) -> AddressReport:
    """Our verdict, and the carrier's when ``carrier`` is given and our checks pass (or
    pass once our suggestion is applied: the carrier is asked about the corrected form)."""
    ours = check_address(address)
    if carrier is None:
        return AddressReport(ours)
    asked = ours.suggestion or address
    if not check_address(asked).valid:
        return AddressReport(ours, carrier, None, "not asked: fix the problems above first")
    gateway, _ = carriers.gateway(merchant_id, carrier)
    try:
        verdict = gateway.validate_address(asked)
    except CarrierError as exc:
        if exc.failure is CarrierFailure.UNSUPPORTED:
            return AddressReport(ours, carrier, None, f"{carrier} offers no address check")
        raise
    return AddressReport(ours, carrier, verdict, "; ".join(verdict.messages) or None)
