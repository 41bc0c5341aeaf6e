"""Every code in our per-carrier status tables, read the way a poll reads it.

The expectations are written out here, per carrier, from the carrier's own wording (the
comment after each code): a change to a table shows up as a failing line to review, and a
code added to a table without an expectation here fails ``test_every_code_is_expected``.
"""

from __future__ import annotations

import pytest

from postpurchase.adapters.carriers.simulated.api import FAMILY
from postpurchase.adapters.carriers.simulated.vocabulary import KINDS, VOCABULARY
from postpurchase.adapters.tracking_sources.carrier_tables import (
    CARRIER_CODES,
    SIMULATED_FAMILIES,
    UPS_ACTIVITY,
    UPS_ACTIVITY_TYPES,
)
from postpurchase.adapters.tracking_sources.status_maps import (
    map_carrier_event,
    map_simulated_event,
)

# status letters: I info_received, T in_transit, O out_for_delivery, A attempt_failed,
# P available_for_pickup, D delivered, X exception
L = {
    "I": "info_received", "T": "in_transit", "O": "out_for_delivery", "A": "attempt_failed",
    "P": "available_for_pickup", "D": "delivered", "X": "exception",
}  # fmt: skip

EXPECTED: dict[str, dict[str, str]] = {
    "ups": {
        "M": "I",  # billing information received
        "MV": "X",  # billing information voided
        "P": "T", "I": "T", "O": "O", "D": "D", "X": "X", "RS": "X",
        "U": "T",  # an update (Track Alert)
        "MP": "I",  # order processed: ready for UPS
        "OR": "T",  # origin scan
        "AR": "T",  # arrival scan
        "DP": "T",  # departure scan
        "OT": "O",  # out for delivery today
        "OF": "O",  # out for delivery
        "FS": "D", "KB": "D",  # delivered
    },
    "usps": {
        "MA": "I",  # pre-shipment info sent
        "GX": "I",  # shipping label created, USPS awaiting item
        "A1": "T",  # arrived at USPS regional facility
        "T1": "T",  # departed USPS regional facility
        "SF": "T",  # departed post office
        "TL": "T",  # in transit to next facility
        "03": "T",  # USPS in possession of item
        "10": "T",  # arrived at USPS regional origin facility
        "07": "T",  # arrived at post office
        "OF": "O",  # out for delivery
        "01": "D",  # delivered
        "02": "A",  # notice left
        "51": "A",  # business closed
        "52": "A",  # notice left: receptacle full / item oversized
        "53": "A",  # receptacle blocked
        "04": "X",  # refused
        "05": "X",  # undeliverable as addressed
        "21": "X",  # no such number
        "22": "X",  # insufficient address
        "09": "X",  # return to sender
    },
    "fedex": {
        "OC": "I", "IN": "I",  # shipment information sent / initiated
        "PU": "T", "AR": "T", "AO": "T", "AE": "T", "AF": "T", "OF": "T", "FD": "T", "SF": "T",
        "DP": "T", "LO": "T", "IT": "T", "TR": "T", "CC": "T",
        "OD": "O",  # on FedEx vehicle for delivery
        "HL": "P",  # hold at location
        "DL": "D",
        "DE": "A",  # delivery exception
        "SE": "X", "DY": "X", "DD": "X", "CD": "X", "CA": "X", "RS": "X",
    },
    "dhl": {
        "SA": "T", "PU": "T", "PL": "T", "AF": "T", "AR": "T", "DF": "T", "CR": "T",
        "WC": "O",  # with delivery courier
        "CC": "P",  # awaiting collection
        "OK": "D", "POD": "D",
        "NH": "A", "CA": "A",  # not home; closed on arrival
        "RD": "X", "BA": "X", "MS": "X", "MD": "X", "TD": "X", "OH": "X", "CD": "X", "HP": "X",
        "RT": "X",
    },
    "canada_post": {
        "0100": "T",  # item processed at postal facility
        "0173": "X",  # customer addressing error found; attempting to correct
        "0174": "O",  # item out for delivery
        "1496": "D",  # item successfully delivered
        "20": "D",  # signature image recorded for online viewing
    },
    "dpd": {
        "PICKEDUP": "T", "BETWEENDEPOTS": "T", "DEPOT": "T",
        "COURIER": "O",  # left the delivery centre, on its way to the consignee
        "DELIVERYFAILURE": "A", "RETURNINGFROMDELIVERY": "A",
        "PARCELSHOP": "P",  # delivered by driver to a Pickup parcelshop
        "DELIVERED": "D",
    },
    "gls": {
        "INTIAL.PREADVICE": "I",  # the parcel data was entered into the GLS IT system
        "INTIAL.NORMAL": "T",  # the parcel was handed over to GLS
        "INTRANSIT": "T", "INWAREHOUSE": "T",
        "INDELIVERY": "O",
        "DELIVERED": "D", "DELIVEREDPS": "D",
        "NOTDELIVERED": "A",
        "CANCELED": "X",
    },
    "royal_mail": {
        "EVAIE": "I", "EVAIP": "I",  # sender preparing / despatching item
        "EVPPA": "T",  # accepted at Post Office
        "EVOCO": "T",  # received, being processed for delivery
        "EVDAV": "T", "EVDAC": "T", "EVBAV": "T", "EVIMC": "T", "EVIAV": "T",  # item received
        "EVOAC": "T", "EVORI": "T",  # item received at / arrived at
        "EVODO": "T",  # despatched to delivery office
        "EVGMI": "T", "RSRXS": "T", "RORXS": "T",  # in transit; delivery request received
        "EVGPD": "O",  # due to be delivered today
        "EVKSP": "D", "EVKSF": "D", "EVKOP": "D",  # delivered (signed, safeplace, by)
        "EVPLC": "D",  # collected
        "EVKLS": "P", "EVPLA": "P", "EVNDA": "P",  # at a collection point / for collection
        "EVKNA": "A", "EVKNR": "A", "EVNPS": "A", "EVNSR": "A",  # attempted; redelivery
        "EVNRT": "X", "EVNMI": "X", "EVNCU": "X", "EVNHE": "X",  # retention, missort, customs
    },
    "purolator": {
        "PROOFOFPICKUP": "T", "OTHER": "T", "ONDELIVERY": "O", "DELIVERY": "D",
        "UNDELIVERABLE": "A",
    },
}  # fmt: skip

EXPECTED_UPS_ACTIVITY: dict[tuple[str, str], str] = {
    ("I", "OF"): "O", ("I", "OT"): "O", ("I", "OR"): "T", ("I", "AR"): "T", ("I", "DP"): "T",
    ("M", "MP"): "I", ("M", "DP"): "I", ("M", "VP"): "X",
    ("D", "FS"): "D", ("D", "KB"): "D", ("D", "2W"): "D",
    ("X", "SR"): "T",  # released by the customs agency: moving again, not on hold
    ("X", "CD"): "X", ("X", "RF"): "X", ("X", "RS"): "X", ("X", "WT"): "X", ("X", "AI"): "X",
    ("X", "LS"): "X",
    ("X", "NH"): "A", ("X", "48"): "A",  # receiver not available
    ("X", "ZP"): "P",  # held at a UPS Access Point
}  # fmt: skip


def test_every_code_is_expected() -> None:
    ups_codes = {**CARRIER_CODES["ups"], **UPS_ACTIVITY_TYPES}
    assert set(ups_codes) == set(EXPECTED["ups"])
    for carrier, table in CARRIER_CODES.items():
        if carrier != "ups":
            assert set(table) == set(EXPECTED[carrier]), carrier
    assert set(UPS_ACTIVITY) == set(EXPECTED_UPS_ACTIVITY)


@pytest.mark.parametrize(
    ("carrier", "code", "letter"),
    [(c, code, x) for c, codes in EXPECTED.items() if c != "ups" for code, x in codes.items()],
)
def test_each_carrier_code(carrier: str, code: str, letter: str) -> None:
    mapped = map_carrier_event(carrier, code)
    assert mapped.recognised and mapped.status.value == L[letter]
    # codes arrive in any case and with spaces around them
    assert map_carrier_event(carrier, f" {code.lower()} ").status.value == L[letter]


@pytest.mark.parametrize(("kind", "code"), sorted(EXPECTED_UPS_ACTIVITY))
def test_each_ups_activity(kind: str, code: str) -> None:
    mapped = map_carrier_event("ups", code, kind)
    assert mapped.recognised and mapped.status.value == L[EXPECTED_UPS_ACTIVITY[(kind, code)]]


@pytest.mark.parametrize(("code", "letter"), sorted(EXPECTED["ups"].items()))
def test_each_ups_code_and_type_alone(code: str, letter: str) -> None:
    assert map_carrier_event("ups", code).status.value == L[letter]


def test_ups_type_decides_what_a_code_alone_cannot() -> None:
    # an unknown code under a known type: the type says the stage
    assert map_carrier_event("ups", "ZZ", "D").status.value == "delivered"
    assert map_carrier_event("ups", "ZZ", "X").status.value == "exception"
    # an unknown code with no type is kept and counted, never dropped
    unknown = map_carrier_event("ups", "ZZ")
    assert not unknown.recognised and unknown.status.value == "in_transit"


@pytest.mark.parametrize("family", sorted(SIMULATED_FAMILIES))
def test_each_simulated_family(family: str) -> None:
    assert map_simulated_event("ups", "NOT-A-CODE", family).recognised


@pytest.mark.parametrize(
    ("carrier", "kind"), [(c, k) for c, table in VOCABULARY.items() for k in table]
)
def test_the_simulator_reads_as_its_scan_plans_mean(carrier: str, kind: str) -> None:
    """Every code the simulated carrier sends maps, through our tables (the carrier's own
    first), onto the status its scan plan meant."""
    status, _ = KINDS[kind]
    code, _ = VOCABULARY[carrier][kind]
    assert map_simulated_event(carrier, code, FAMILY[status]).status is status
