"""The carrier port over karrio's SDK and its connector packages (the ``carriers`` extra).

Why karrio: one maintained SDK speaks UPS, USPS, FedEx, DHL, Canada Post, Royal Mail, DPD,
GLS and Purolator, including their OAuth dances; we install it unmodified from PyPI and
call its public API: ``karrio.sdk.gateway[name].create(settings)`` and
``karrio.sdk.Tracking.fetch(...).from_(gateway).parse()``.

What we add on top:

* **Our own status mapping.** karrio's ``TrackingEvent.status`` is karrio's reading; we keep
  the carrier's code and map it with our tables (``tracking_sources.carrier_tables``). For
  UPS the activity *type* (``I``, ``X``, ``D``…) matters as much as the code, and karrio's
  event has no field for it, so it is read from the response the connector recorded on the
  gateway's tracer (``gateway.tracer.records``), matched by position.
* **Named failures.** karrio turns every failure into messages; we turn messages and the
  recorded error responses into :class:`CarrierError` (credentials, rate limit, carrier
  down, timeout), so the poller knows whether to back off or to stop.
* **A deadline.** karrio's HTTP calls have no timeout by default; each call runs in a
  thread and is abandoned after ``timeout`` seconds.
* **Where the API lives.** ``api_url`` replaces the connector's server address (a proxy,
  or a recorded-response server in tests) by subclassing its settings, not by editing it.
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from decimal import Decimal
from functools import cache
from typing import Any

from postpurchase.adapters.carriers import failures
from postpurchase.adapters.carriers.connectors import ConnectorSpec
from postpurchase.adapters.carriers.karrio_models import (
    aware_time,
    iso_day,
    karrio_address,
    karrio_customs,
    karrio_location,
    karrio_parcel,
)
from postpurchase.domain.addresses import Address
from postpurchase.domain.carriers import (
    AddressCheck,
    CarrierAccount,
    CarrierError,
    CarrierFailure,
    CarrierScan,
    Label,
    LabelFormat,
    LabelRequest,
    NumberProblem,
    Pickup,
    PickupRequest,
    RateQuote,
    RateRequest,
    TrackBatch,
    TrackResult,
)
from postpurchase.domain.money import Money

F = CarrierFailure
_POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="karrio")

_AUTH = re.compile(
    r"auth|credential|unauthori[sz]ed|forbidden|invalid[ _]client|client ?id|client_secret|"
    r"access licen[cs]e|password|api[ _]?key|invalid token|\b40[13]\b",
    re.I,
)
_THROTTLE = re.compile(r"too many|rate.?limit|quota|throttl|\b429\b", re.I)
_DOWN = re.compile(
    r"unavailable|temporar|try again|internal (server )?error|bad gateway|gateway time|"
    r"connection refused|name or service|urlopen error|remote end closed|\b5\d\d\b",
    re.I,
)
_TIMEOUT = re.compile(r"timed? ?out", re.I)
_HTTP = re.compile(r"HTTP (\d{3})")
_NOT_SUPPORTED = re.compile(r"not.?supported|NON_SUPPORTED|unsupported", re.I)


def available() -> bool:
    """Whether the ``carriers`` extra (karrio) is installed."""
    try:
        import karrio.sdk  # noqa: F401
    except ImportError:
        return False
    return True


@cache
def _sdk() -> Any:
    try:
        from loguru import logger

        logger.disable("karrio")  # karrio logs every request at INFO on stderr
        import karrio.sdk as sdk
    except ImportError:
        raise CarrierError(
            "karrio",
            F.UNSUPPORTED,
            "karrio is not installed: pip install 'postpurchase[carriers]'",
        ) from None
    return sdk


@cache
def _relocated(base: type, api_url: str) -> type:
    """A subclass of the connector's settings whose ``server_url`` is ``api_url``."""
    url = api_url.rstrip("/")
    return type(f"{base.__name__}At", (base,), {"server_url": property(lambda self: url)})


def _ups_activity_types(records: list[Any]) -> dict[str, list[str | None]]:
    """UPS activity types per tracking number, in the order of the response's activities."""
    import json

    out: dict[str, list[str | None]] = {}
    for rec in records:
        if getattr(rec, "key", None) != "response":
            continue
        body = rec.data.get("response")
        try:
            parsed = json.loads(body) if isinstance(body, str) else None
        except ValueError:
            continue
        for shipment in (parsed or {}).get("trackResponse", {}).get("shipment", []) or []:
            for package in shipment.get("package", []) or []:
                number = package.get("trackingNumber") or shipment.get("inquiryNumber")
                out[number] = [
                    (a.get("status") or {}).get("type") for a in package.get("activity", []) or []
                ]
    return out


class KarrioGateway:
    """One merchant's account at one carrier, through karrio's connector for it."""

    label_keys_honoured = False  # karrio's ship API takes no idempotency key

    def __init__(
        self,
        account: CarrierAccount,
        spec: ConnectorSpec,
        *,
        api_url: str | None = None,
        timeout: float = 20.0,
    ) -> None:
        self.carrier = account.carrier
        self.max_batch = spec.track_batch
        self.timeout = timeout
        self._name = spec.name
        sdk = _sdk()
        cls = sdk.gateway.providers[spec.name].Settings
        values: dict[str, Any] = {
            "carrier_id": f"{account.carrier}-{account.id}",
            "test_mode": account.test_mode,
            **account.options,
            **account.credentials,
        }
        try:
            from karrio.core.utils import DP

            settings = DP.to_object(cls, values)
            if api_url:
                settings.__class__ = _relocated(cls, api_url)
            self._gateway = sdk.gateway[spec.name].create(settings)
        except Exception as exc:
            raise CarrierError(self.carrier, F.REJECTED, f"bad account settings: {exc}") from None
        self._lock = threading.Lock()

    # ---- plumbing -----------------------------------------------------------------------

    def _run(self, action: Any) -> tuple[Any, list[Any], list[Any]]:
        """(result, karrio messages, tracer records) of one SDK call, within the deadline."""
        from karrio.core.utils import Tracer

        with self._lock:
            tracer = Tracer()
            self._gateway.tracer = tracer
            self._gateway.settings.tracer = tracer
            future = _POOL.submit(lambda: action(self._gateway).parse())
            try:
                result, messages = future.result(timeout=self.timeout)
            except FutureTimeout:
                raise failures.timeout(self.carrier, self.timeout) from None
            return result, list(messages or []), tracer.records

    def _failure(self, messages: list[Any], records: list[Any]) -> CarrierError:
        """The most telling failure among the error responses and karrio's messages."""
        retry_after = None
        for rec in records:
            if getattr(rec, "key", None) != "error":
                continue
            headers = {k.lower(): v for k, v in (rec.data.get("response_headers") or {}).items()}
            retry_after = retry_after or headers.get("retry-after")
            body = rec.data.get("error")
            if isinstance(body, dict) and body.get("http_status"):
                return failures.from_status(
                    self.carrier, int(body["http_status"]), str(body), retry_after=retry_after
                )
        said = [
            f"{getattr(m, 'code', '') or ''} {getattr(m, 'message', '') or ''}".strip()
            for m in messages
        ]
        answered = [
            " ".join(str(r.data.get("error")).split())[:300] for r in records if r.key == "error"
        ]
        # the carrier's own answer first: karrio's message may only be its parser failing on it
        text = "; ".join(answered + said)
        if m := _HTTP.search(text):
            return failures.from_status(
                self.carrier, int(m.group(1)), text, retry_after=retry_after
            )
        if _TIMEOUT.search(text):
            return failures.timeout(self.carrier, self.timeout)
        if _AUTH.search(text):
            return CarrierError(
                self.carrier, F.AUTH, f"the carrier refused the credentials ({text})"
            )
        if _THROTTLE.search(text) or retry_after:
            return CarrierError(
                self.carrier, F.RATE_LIMITED, f"too many requests ({text})",
                retry_after=failures.retry_after_seconds(retry_after),
            )  # fmt: skip
        if _DOWN.search(text):
            return CarrierError(self.carrier, F.UNAVAILABLE, f"the carrier's API failed ({text})")
        return CarrierError(self.carrier, F.REJECTED, text or "the carrier refused the request")

    # ---- the port -----------------------------------------------------------------------

    def track(self, numbers: Sequence[str]) -> TrackBatch:
        from karrio.core.models import TrackingRequest

        sdk = _sdk()
        request = TrackingRequest(tracking_numbers=list(numbers))
        details, messages, records = self._run(lambda gw: sdk.Tracking.fetch(request).from_(gw))
        details = details or []
        errors = [m for m in messages if getattr(m, "level", "error") != "warning"]
        if not details and (errors or any(r.key == "error" for r in records)):
            raise self._failure(errors or messages, records)
        kinds = _ups_activity_types(records) if self._name == "ups" else {}
        results = []
        found = set()
        for d in details:
            number = d.tracking_number
            found.add(number)
            types = kinds.get(number) or kinds.get(numbers[0] if len(numbers) == 1 else "", [])
            scans = []
            for i, e in enumerate(d.events or []):
                at = aware_time(e.timestamp, e.date, e.time)
                if at is None:
                    continue
                scans.append(
                    CarrierScan(
                        occurred_at=at,
                        code=e.code,
                        description=e.description,
                        kind=types[i] if i < len(types) else None,
                        location=karrio_location(e.location),
                        signed_by=getattr(d.info, "signed_by", None)
                        if i == 0 and d.delivered
                        else None,
                    )
                )
            info = d.info
            results.append(
                TrackResult(
                    tracking_number=number,
                    scans=tuple(scans),
                    estimated_delivery=iso_day(d.estimated_delivery),
                    service=getattr(info, "shipment_service", None) if info else None,
                    tracking_url=getattr(info, "carrier_tracking_link", None) if info else None,
                )
            )
        text = "; ".join(f"{m.code}: {m.message}" for m in messages) or "not found"
        problems = tuple(NumberProblem(n, "NOT_FOUND", text) for n in numbers if n not in found)
        return TrackBatch(tuple(results), problems)

    def check(self) -> None:
        """A tracking call for a number nobody has: an answer (even "not found") proves the
        credentials; a refusal says why."""
        probe = {"ups": "1Z999AA10123456784", "fedex": "123456789012"}.get(
            self.carrier, "0000000000"
        )
        self.track([probe])

    def rate(self, request: RateRequest) -> list[RateQuote]:
        """karrio's rates for the parcels, our ``Money`` (the carrier's string amount kept
        exact through ``str``), the delivery date from the transit days when the carrier
        gives no date."""
        from karrio.core import models

        sdk = _sdk()
        payload = models.RateRequest(
            shipper=karrio_address(request.origin),
            recipient=karrio_address(request.destination),
            parcels=[karrio_parcel(p) for p in request.parcels],
            services=list(request.services),
        )
        rates, messages, records = self._run(lambda gw: sdk.Rating.fetch(payload).from_(gw))
        rates = rates or []
        errors = [m for m in messages if getattr(m, "level", "error") != "warning"]
        if not rates and (errors or any(r.key == "error" for r in records)):
            raise self._failure(errors or messages, records)
        out = []
        for r in rates:
            if r.total_charge is None or not r.currency:
                continue
            out.append(
                RateQuote(
                    carrier=self.carrier,
                    service=str(r.service),
                    price=Money(Decimal(str(r.total_charge)), r.currency),
                    delivery_date=iso_day(getattr(r, "estimated_delivery", None)),
                    transit_days=r.transit_days,
                )
            )
        return out

    def _unsupported(self, messages: list[Any], what: str) -> CarrierError | None:
        """karrio's "this connector has no such operation" as UNSUPPORTED."""
        text = " ".join(f"{getattr(m, 'code', '')} {getattr(m, 'message', '')}" for m in messages)
        if _NOT_SUPPORTED.search(text):
            return CarrierError(self.carrier, F.UNSUPPORTED, f"{what} not offered by {self._name}")
        return None

    def _settled(self, result: Any, messages: list[Any], records: list[Any], what: str) -> Any:
        """The result, or the failure karrio reported instead of one."""
        errors = [m for m in messages if getattr(m, "level", "error") != "warning"]
        if result is None or (errors and not result):
            raise self._unsupported(errors or messages, what) or self._failure(
                errors or messages, records
            )
        return result

    def buy_label(self, request: LabelRequest) -> Label:
        """karrio's ``Shipment.create``: the label in the format asked (PDF or ZPL, 4×6),
        customs for an international parcel. karrio carriers take no idempotency key: the
        label service's ledger keeps a retry from buying twice."""
        from karrio.core import models

        sdk = _sdk()
        payload = models.ShipmentRequest(
            service=request.service,
            shipper=karrio_address(request.origin),
            recipient=karrio_address(request.destination),
            parcels=[karrio_parcel(p) for p in request.parcels],
            customs=karrio_customs(request.customs) if request.customs else None,
            reference=request.reference or "",
            label_type=request.label_format.value,
            options={"label_size": "4x6"},
        )
        shipment, messages, records = self._run(lambda gw: sdk.Shipment.create(payload).from_(gw))
        shipment = self._settled(shipment, messages, records, "labels")
        docs = shipment.docs
        raw = getattr(docs, "label", None) or (
            docs.zpl_label if request.label_format.value == "ZPL" else docs.pdf_label
        )
        if not raw:
            raise CarrierError(self.carrier, F.REJECTED, "the carrier answered without a label")
        rate = shipment.selected_rate
        price = (
            Money(Decimal(str(rate.total_charge)), rate.currency)
            if rate is not None and rate.total_charge is not None and rate.currency
            else None
        )
        fmt = (shipment.label_type or request.label_format.value).upper()
        return Label(
            carrier=self.carrier,
            service=request.service,
            tracking_number=shipment.tracking_number,
            label_id=shipment.shipment_identifier or shipment.tracking_number,
            label_format=LabelFormat(fmt) if fmt in ("PDF", "ZPL") else request.label_format,
            document=base64.b64decode(raw),
            price=price,
        )

    def void_label(self, label: Label) -> None:
        """karrio's ``Shipment.cancel`` by the carrier's shipment identifier."""
        from karrio.core import models

        sdk = _sdk()
        payload = models.ShipmentCancelRequest(
            shipment_identifier=label.label_id, service=label.service
        )
        done, messages, records = self._run(lambda gw: sdk.Shipment.cancel(payload).from_(gw))
        done = self._settled(done, messages, records, "voiding labels")
        if not getattr(done, "success", True):
            raise self._failure(messages, records)

    def validate_address(self, address: Address) -> AddressCheck:
        """karrio's ``Address.validate`` (MyDHL and Purolator have it; the other
        connectors answer UNSUPPORTED, and our own checks stand alone)."""
        from karrio.core import models

        sdk = _sdk()
        payload = models.AddressValidationRequest(address=karrio_address(address))
        found, messages, records = self._run(lambda gw: sdk.Address.validate(payload).from_(gw))
        found = self._settled(found, messages, records, "address checks")
        fixed = getattr(found, "complete_address", None)
        suggestion = None
        if fixed is not None and getattr(fixed, "country_code", None):
            suggestion = Address(
                country=fixed.country_code, postal_code=fixed.postal_code,
                region=fixed.state_code or address.region, city=fixed.city or address.city,
                line1=fixed.address_line1 or address.line1, line2=fixed.address_line2,
                name=address.name, phone=address.phone,
            )  # fmt: skip
            if suggestion == address:
                suggestion = None
        return AddressCheck(
            valid=bool(found.success),
            suggestion=suggestion,
            messages=tuple(str(getattr(m, "message", m)) for m in messages),
        )

    def schedule_pickup(self, request: PickupRequest) -> Pickup:
        """karrio's ``Pickup.schedule`` for the window (the carrier's local times)."""
        from karrio.core import models

        sdk = _sdk()
        payload = models.PickupRequest(
            pickup_date=request.ready_at.date().isoformat(),
            ready_time=request.ready_at.strftime("%H:%M"),
            closing_time=request.closes_at.strftime("%H:%M"),
            address=karrio_address(request.address),
            parcels_count=request.parcel_count,
        )
        done, messages, records = self._run(lambda gw: sdk.Pickup.schedule(payload).from_(gw))
        done = self._settled(done, messages, records, "pickups")
        day = iso_day(done.pickup_date) or request.ready_at.date()
        return Pickup(done.confirmation_number, day)
