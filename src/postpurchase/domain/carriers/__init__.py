"""Carriers as postpurchase sees them: the port every carrier adapter implements, its
request and answer types, a merchant's carrier accounts and the polling cadence.

Pure: no I/O here. Adapters (``postpurchase.adapters.carriers``) talk to karrio's
connectors and to the simulated carrier; the service layer polls through the port.
"""

from __future__ import annotations

from postpurchase.domain.carriers.accounts import (
    AccountMode,
    CarrierAccount,
    Connector,
    clean_fields,
)
from postpurchase.domain.carriers.address_rules import (
    AddressProblem,
    AddressVerdict,
    canonical_postal_code,
    canonical_region,
    check_address,
    postal_code_ok,
)
from postpurchase.domain.carriers.customs import ContentType, Customs, CustomsItem, needs_customs
from postpurchase.domain.carriers.errors import TRANSIENT, CarrierError, CarrierFailure
from postpurchase.domain.carriers.model import (
    AddressCheck,
    CarrierScan,
    Label,
    LabelFormat,
    LabelRequest,
    NumberProblem,
    Parcel,
    Pickup,
    PickupRequest,
    RateQuote,
    RateRequest,
    TrackBatch,
    TrackResult,
)
from postpurchase.domain.carriers.polling import FINAL, PollPolicy, backoff, next_poll
from postpurchase.domain.carriers.port import CarrierGateway

__all__ = [
    "FINAL",
    "TRANSIENT",
    "AccountMode",
    "AddressCheck",
    "AddressProblem",
    "AddressVerdict",
    "CarrierAccount",
    "CarrierError",
    "CarrierFailure",
    "CarrierGateway",
    "CarrierScan",
    "Connector",
    "ContentType",
    "Customs",
    "CustomsItem",
    "Label",
    "LabelFormat",
    "LabelRequest",
    "NumberProblem",
    "Parcel",
    "Pickup",
    "PickupRequest",
    "PollPolicy",
    "RateQuote",
    "RateRequest",
    "TrackBatch",
    "TrackResult",
    "backoff",
    "canonical_postal_code",
    "canonical_region",
    "check_address",
    "clean_fields",
    "needs_customs",
    "next_poll",
    "postal_code_ok",
]
