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
    "CarrierAccount",
    "CarrierError",
    "CarrierFailure",
    "CarrierGateway",
    "CarrierScan",
    "Connector",
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
    "clean_fields",
    "next_poll",
]
