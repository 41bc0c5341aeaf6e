"""Which connector serves which of our carrier slugs, and what each needs from the merchant.

Our slugs are carrier detection's (``domain.carrier_detection``); karrio names its
connectors its own way (``canada_post`` is karrio's ``canadapost``). ``secrets`` are sealed
at rest and never shown again (only their last four characters); ``options`` are plain
settings shown back as they are. Names are karrio's settings fields, so a value goes to the
connector untouched. docs/carriers.md has this table for people.
"""

from __future__ import annotations

from dataclasses import dataclass

from postpurchase.domain.carriers import Connector
from postpurchase.domain.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class ConnectorSpec:
    connector: Connector
    name: str  # karrio's carrier name, or the simulated carrier's
    secrets: tuple[str, ...]
    options: tuple[str, ...]
    required: tuple[str, ...]
    track_batch: int  # numbers per tracking call (the connector fans out where it must)
    rate_per_second: float  # our own ceiling per account and worker, below the carrier's

    @property
    def fields(self) -> tuple[str, ...]:
        return self.secrets + self.options


def _k(
    name: str,
    secrets: tuple[str, ...],
    options: tuple[str, ...],
    required: tuple[str, ...],
    batch: int,
    rate: float,
) -> ConnectorSpec:
    return ConnectorSpec(Connector.KARRIO, name, secrets, options, required, batch, rate)


KARRIO: dict[str, ConnectorSpec] = {
    # UPS OAuth client (developer.ups.com app); tracking is one request per number, which
    # the connector makes concurrently.
    "ups": _k("ups", ("client_id", "client_secret"), ("account_number", "account_country_code"),
              ("client_id", "client_secret"), 10, 5.0),
    "usps": _k("usps", ("client_id", "client_secret"), ("account_number", "account_type"),
               ("client_id", "client_secret"), 10, 2.0),
    # FedEx: tracking needs a Track API project's keys; the shipping project's keys are for
    # rates and labels.
    "fedex": _k("fedex", ("track_api_key", "track_secret_key", "api_key", "secret_key"),
                ("account_number", "account_country_code"), ("track_api_key", "track_secret_key"),
                30, 5.0),
    # DHL Express through the MyDHL API (the XML-PI services karrio's dhl_express speaks
    # are being retired by DHL).
    "dhl": _k("mydhl", ("username", "password"), ("account_number", "account_country_code"),
              ("username", "password"), 10, 2.0),
    "canada_post": _k("canadapost", ("username", "password"), ("customer_number", "contract_id"),
                      ("username", "password", "customer_number"), 10, 2.0),
    "royal_mail": _k("royalmail", ("client_id", "client_secret"), (),
                     ("client_id", "client_secret"), 10, 2.0),
    "dpd": _k("dpd", ("delis_id", "password"), ("depot", "account_country_code"),
              ("delis_id", "password"), 10, 2.0),
    "gls": _k("gls", ("client_id", "client_secret"), ("contact_id", "account_country_code"),
              ("client_id", "client_secret"), 10, 2.0),
    "purolator": _k("purolator", ("username", "password", "user_token"), ("account_number",),
                    ("username", "password", "account_number"), 10, 2.0),
}  # fmt: skip

SIMULATED_CARRIERS = ("ups", "usps", "fedex", "dhl", "canada_post", "royal_mail")


def simulated_spec(carrier: str) -> ConnectorSpec:
    return ConnectorSpec(
        Connector.SIMULATED, carrier, ("api_key",), ("base_url",), ("api_key", "base_url"), 50, 20.0
    )


# Our slugs -> EasyPost's carrier names (its ``carrier`` field on trackers and rates).
EASYPOST_CARRIERS: dict[str, str] = {
    "ups": "UPS", "usps": "USPS", "fedex": "FedEx", "dhl": "DHLExpress",
    "canada_post": "CanadaPost", "purolator": "Purolator", "royal_mail": "RoyalMail",
}  # fmt: skip


def easypost_spec(carrier: str) -> ConnectorSpec:
    """EasyPost: the merchant's API key; ``carrier_account_id`` picks one of the carrier
    accounts the merchant has at EasyPost (its default one otherwise)."""
    return ConnectorSpec(
        Connector.EASYPOST, EASYPOST_CARRIERS[carrier], ("api_key",), ("carrier_account_id",),
        ("api_key",), 10, 5.0,
    )  # fmt: skip


# Our slugs -> AfterShip's courier slugs.
AFTERSHIP_CARRIERS: dict[str, str] = {
    "ups": "ups", "usps": "usps", "fedex": "fedex", "dhl": "dhl", "canada_post": "canada-post",
    "royal_mail": "royal-mail", "dpd": "dpd", "gls": "gls", "purolator": "purolator",
}  # fmt: skip


def aftership_spec(carrier: str) -> ConnectorSpec:
    """AfterShip: the merchant's API key; tracking only, up to 50 numbers a call."""
    return ConnectorSpec(
        Connector.AFTERSHIP, AFTERSHIP_CARRIERS[carrier], ("api_key",), (), ("api_key",), 50, 5.0
    )


def spec_for(carrier: str, connector: Connector) -> ConnectorSpec:
    """The connector's needs for ``carrier``; refuses a carrier it does not serve."""
    if connector is Connector.AFTERSHIP:
        if carrier not in AFTERSHIP_CARRIERS:
            raise InvalidInput(
                f"through AfterShip: {', '.join(AFTERSHIP_CARRIERS)}", field="carrier"
            )
        return aftership_spec(carrier)
    if connector is Connector.EASYPOST:
        if carrier not in EASYPOST_CARRIERS:
            raise InvalidInput(f"through EasyPost: {', '.join(EASYPOST_CARRIERS)}", field="carrier")
        return easypost_spec(carrier)
    if connector is Connector.SIMULATED:
        if carrier not in SIMULATED_CARRIERS:
            raise InvalidInput(
                f"the simulated carrier serves {', '.join(SIMULATED_CARRIERS)}", field="carrier"
            )
        return simulated_spec(carrier)
    spec = KARRIO.get(carrier)
    if spec is None:
        raise InvalidInput(
            f"no connector for {carrier!r}; supported: {', '.join(sorted(KARRIO))}",
            field="carrier",
        )
    return spec


def split_fields(
    spec: ConnectorSpec, carrier: str, given: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """(secrets, options) from what the merchant gave; names a missing or foreign field."""
    for name in given:
        if name not in spec.fields:
            raise InvalidInput(
                f"{carrier} ({spec.connector.value}) takes {', '.join(spec.fields)}; not {name}",
                field=name,
            )
    for name in spec.required:
        if name not in given:
            raise InvalidInput(f"{carrier} needs {name}", field=name)
    secrets = {k: v for k, v in given.items() if k in spec.secrets}
    options = {k: v for k, v in given.items() if k in spec.options}
    return secrets, options
