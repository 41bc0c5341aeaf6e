"""Building the gateway for an account: the one place that picks the connector."""

from __future__ import annotations

from postpurchase.adapters.carriers.connectors import spec_for
from postpurchase.domain.carriers import CarrierAccount, CarrierGateway, Connector


def gateway_for(
    account: CarrierAccount, *, api_urls: dict[str, str] | None = None, timeout: float = 20.0
) -> CarrierGateway:
    """A gateway to ``account``'s carrier through its connector (raises ``CarrierError``)."""
    spec = spec_for(account.carrier, account.connector)
    if account.connector is Connector.SIMULATED:
        from postpurchase.adapters.carriers.simulated.client import SimulatedGateway

        return SimulatedGateway(
            account.carrier,
            account.options["base_url"],
            account.credentials["api_key"],
            timeout=timeout,
        )
    if account.connector is Connector.AFTERSHIP:
        from postpurchase.adapters.carriers.aftership_gateway import AfterShipGateway

        return AfterShipGateway(
            account.carrier, spec.name, account.credentials["api_key"],
            base_url=(api_urls or {}).get("aftership"), timeout=timeout,
        )  # fmt: skip
    if account.connector is Connector.EASYPOST:
        from postpurchase.adapters.carriers.easypost_gateway import EasyPostGateway

        return EasyPostGateway(
            account.carrier, spec.name, account.credentials["api_key"],
            carrier_account_id=account.options.get("carrier_account_id"),
            base_url=(api_urls or {}).get("easypost"), timeout=timeout,
        )  # fmt: skip
    from postpurchase.adapters.carriers.karrio_gateway import KarrioGateway

    return KarrioGateway(
        account, spec, api_url=(api_urls or {}).get(account.carrier), timeout=timeout
    )


def rate_for(account: CarrierAccount) -> float:
    return spec_for(account.carrier, account.connector).rate_per_second
