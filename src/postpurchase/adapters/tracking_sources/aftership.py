"""AfterShip tracking webhooks (``POST /webhooks/tracking/aftership``) into ``TrackingUpdate``s.

AfterShip posts ``{"event": "tracking_update", "event_id": <uuid>, "is_tracking_first_tag":
bool, "msg": <Tracking>, "ts": <unix>}``. The Tracking object carries ``slug``,
``tracking_number``, ``tag``/``subtag`` and its ``checkpoints``; each checkpoint has its own
``checkpoint_time``, ``tag``, ``subtag``, ``message`` and location. Both field generations
are read:

* legacy (API v4 and dated versions before 2024-04): ``zip``, ``country_iso3``,
  ``country_name``, tracking-level ``expected_delivery``;
* newer dated versions: ``postal_code``, ``country_region``, ``country_region_name``,
  ``raw_tag``, tracking-level ``courier_estimated_delivery_date`` and
  ``latest_estimated_delivery``.

``signed_by`` goes on the latest delivered checkpoint; ``shipment_type`` (the service, e.g.
"USPS Ground Advantage") and ``courier_tracking_link`` (else ``aftership_tracking_url``)
become the shipment's service and tracking page when it has none.

Every checkpoint becomes one event (AfterShip re-sends the whole history each time; the
deterministic ``source_event_id`` derived from the checkpoint's own fields makes the re-sent
ones the same events, so storage dedups them). The carrier's estimate is attached to the
latest checkpoint.

AfterShip passes on checkpoint times as the carrier gives them, sometimes *without* an offset
(local time at the scan). Such a time is read as UTC and, when that would place the scan
after AfterShip recorded it (``created_at``), clamped to ``created_at``: an approximation
that keeps the order of one carrier's scans, where refusing the scan would lose it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, Final

from postpurchase.adapters.tracking_sources.normalised import (
    MAX_LOCATION_PART,
    MAX_SERVICE,
    MAX_SIGNED_BY,
    MAX_TEXT,
    FieldInvalid,
    ItemError,
    SourceWebhook,
    check_event_time,
    finish_update,
    instant,
    load_envelope,
    normalise_tracking_number,
    web_url,
)
from postpurchase.adapters.tracking_sources.status_maps import map_aftership, normalise_carrier
from postpurchase.domain.commands import TrackingUpdate
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.timestamps import parse_instant
from postpurchase.domain.tracking import Location, TrackingEvent

SOURCE: Final = "aftership"

# ISO 3166-1 alpha-3 -> alpha-2 (AfterShip gives checkpoint countries as alpha-3).
_ISO3_TABLE: Final = """
AFG AF ALA AX ALB AL DZA DZ ASM AS AND AD AGO AO AIA AI ATA AQ ATG AG ARG AR ARM AM ABW AW
AUS AU AUT AT AZE AZ BHS BS BHR BH BGD BD BRB BB BLR BY BEL BE BLZ BZ BEN BJ BMU BM BTN BT
BOL BO BES BQ BIH BA BWA BW BVT BV BRA BR IOT IO BRN BN BGR BG BFA BF BDI BI CPV CV KHM KH
CMR CM CAN CA CYM KY CAF CF TCD TD CHL CL CHN CN CXR CX CCK CC COL CO COM KM COG CG COD CD
COK CK CRI CR CIV CI HRV HR CUB CU CUW CW CYP CY CZE CZ DNK DK DJI DJ DMA DM DOM DO ECU EC
EGY EG SLV SV GNQ GQ ERI ER EST EE SWZ SZ ETH ET FLK FK FRO FO FJI FJ FIN FI FRA FR GUF GF
PYF PF ATF TF GAB GA GMB GM GEO GE DEU DE GHA GH GIB GI GRC GR GRL GL GRD GD GLP GP GUM GU
GTM GT GGY GG GIN GN GNB GW GUY GY HTI HT HMD HM VAT VA HND HN HKG HK HUN HU ISL IS IND IN
IDN ID IRN IR IRQ IQ IRL IE IMN IM ISR IL ITA IT JAM JM JPN JP JEY JE JOR JO KAZ KZ KEN KE
KIR KI PRK KP KOR KR KWT KW KGZ KG LAO LA LVA LV LBN LB LSO LS LBR LR LBY LY LIE LI LTU LT
LUX LU MAC MO MDG MG MWI MW MYS MY MDV MV MLI ML MLT MT MHL MH MTQ MQ MRT MR MUS MU MYT YT
MEX MX FSM FM MDA MD MCO MC MNG MN MNE ME MSR MS MAR MA MOZ MZ MMR MM NAM NA NRU NR NPL NP
NLD NL NCL NC NZL NZ NIC NI NER NE NGA NG NIU NU NFK NF MKD MK MNP MP NOR NO OMN OM PAK PK
PLW PW PSE PS PAN PA PNG PG PRY PY PER PE PHL PH PCN PN POL PL PRT PT PRI PR QAT QA REU RE
ROU RO RUS RU RWA RW BLM BL SHN SH KNA KN LCA LC MAF MF SPM PM VCT VC WSM WS SMR SM STP ST
SAU SA SEN SN SRB RS SYC SC SLE SL SGP SG SXM SX SVK SK SVN SI SLB SB SOM SO ZAF ZA SGS GS
SSD SS ESP ES LKA LK SDN SD SUR SR SJM SJ SWE SE CHE CH SYR SY TWN TW TJK TJ TZA TZ THA TH
TLS TL TGO TG TKL TK TON TO TTO TT TUN TN TUR TR TKM TM TCA TC TUV TV UGA UG UKR UA ARE AE
GBR GB USA US UMI UM URY UY UZB UZ VUT VU VEN VE VNM VN VGB VG VIR VI WLF WF ESH EH YEM YE
ZMB ZM ZWE ZW XKX XK
"""
_ISO3_PAIRS: Final = _ISO3_TABLE.split()
ISO3_TO_ISO2: Final = dict(zip(_ISO3_PAIRS[::2], _ISO3_PAIRS[1::2], strict=True))


def country_alpha2(value: object) -> str | None:
    """Alpha-2 for an alpha-3 or alpha-2 code; ``None`` for anything else."""
    if type(value) is not str:
        return None
    code = value.strip().upper()
    if len(code) == 3:
        return ISO3_TO_ISO2.get(code)
    if len(code) == 2 and code.isascii() and code.isalpha():
        return code
    return None


def _text(value: object, limit: int = MAX_LOCATION_PART) -> str | None:
    if type(value) is not str:
        return None
    return value.strip()[:limit] or None


def _checkpoint_time(checkpoint: Mapping[str, Any], field: str) -> datetime:
    raw = checkpoint.get("checkpoint_time")
    if type(raw) is not str or not raw.strip():
        raise FieldInvalid(field, "checkpoint_time is missing")
    try:
        parsed = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise FieldInvalid(field, f"{raw[:40]!r} is not an ISO 8601 timestamp") from None
    if parsed.tzinfo is not None and parsed.utcoffset() is not None:
        return instant(raw, field)
    guess = instant(raw, field, naive_as_utc=True)  # carrier-local time without an offset
    try:
        recorded = parse_instant(checkpoint.get("created_at"), "created_at")
    except InvalidInput:  # absent, naive or unreadable: the guess stands
        return guess
    return min(guess, recorded)


def _location(checkpoint: Mapping[str, Any]) -> Location | None:
    city = _text(checkpoint.get("city"))
    region = _text(checkpoint.get("state"))
    postal = _text(checkpoint.get("postal_code")) or _text(checkpoint.get("zip"))
    country = country_alpha2(checkpoint.get("country_region")) or country_alpha2(
        checkpoint.get("country_iso3")
    )
    if city is None and region is None and postal is None:
        city = _text(checkpoint.get("location"))  # free text "LOUISVILLE, KY, US"
    if city is None and region is None and postal is None and country is None:
        return None
    return Location(city=city, region=region, postal_code=postal, country=country)


def _date(value: object) -> date | None:
    if type(value) is not str or not value.strip():
        return None
    try:
        if len(value) <= 10:
            return date.fromisoformat(value)
        return datetime.fromisoformat(value).date()
    except ValueError:
        return None


def carrier_estimate(tracking: Mapping[str, Any]) -> date | None:
    """The carrier's delivery estimate, whatever generation of fields carries it.

    AfterShip's own prediction and a merchant's custom EDD are not the carrier's: only a
    ``latest_estimated_delivery`` whose source names the carrier counts.
    """
    courier = tracking.get("courier_estimated_delivery_date")
    if isinstance(courier, Mapping):
        found = _date(courier.get("estimated_delivery_date")) or _date(
            courier.get("estimated_delivery_date_max")
        )
        if found:
            return found
    legacy = _date(tracking.get("expected_delivery"))
    if legacy:
        return legacy
    latest = tracking.get("latest_estimated_delivery")
    if isinstance(latest, Mapping):
        source = str(latest.get("source") or "").lower()
        if "carrier" in source or "courier" in source:
            return _date(latest.get("datetime")) or _date(latest.get("datetime_max"))
    return None


def _event_id(slug: str, number: str, cp: Mapping[str, Any]) -> str:
    parts = (
        slug,
        number,
        str(cp.get("checkpoint_time") or ""),
        str(cp.get("tag") or ""),
        str(cp.get("subtag") or ""),
        str(cp.get("message") or ""),
        str(cp.get("location") or cp.get("city") or ""),
    )
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()
    return f"as_{digest}"


def parse_tracking(
    tracking: Mapping[str, Any], *, now: datetime, field: str = "msg"
) -> tuple[TrackingUpdate | None, tuple[ItemError, ...]]:
    """One AfterShip Tracking object (from a webhook ``msg`` or the tracking API)."""
    raw_number = tracking.get("tracking_number")
    if type(raw_number) is not str or not normalise_tracking_number(raw_number):
        raise InvalidInput("tracking_number is required", field=f"{field}.tracking_number")
    number = normalise_tracking_number(raw_number)
    slug = str(tracking.get("slug") or "")
    checkpoints = tracking.get("checkpoints")
    if checkpoints is None:
        checkpoints = []
    if type(checkpoints) is not list:
        raise InvalidInput("checkpoints must be an array", field=f"{field}.checkpoints")
    now = now.astimezone(UTC)

    events: list[TrackingEvent] = []
    errors: list[ItemError] = []
    for i, cp in enumerate(checkpoints):
        where = f"{field}.checkpoints[{i}]"
        try:
            if not isinstance(cp, Mapping):
                raise FieldInvalid(where, "must be an object")
            occurred_at = check_event_time(
                _checkpoint_time(cp, f"{where}.checkpoint_time"), now, f"{where}.checkpoint_time"
            )
        except FieldInvalid as bad:
            errors.append({"index": i, "id": None, "field": bad.field, "error": bad.error})
            continue
        tag = _text(cp.get("tag"), 64)
        subtag = _text(cp.get("subtag"), 64)
        mapped = map_aftership(tag, subtag)
        events.append(
            TrackingEvent(
                occurred_at=occurred_at,
                status=mapped.status,
                substatus=mapped.substatus,
                carrier_code=subtag or tag,
                description=_text(cp.get("message"), MAX_TEXT)
                or _text(cp.get("subtag_message"), MAX_TEXT),
                location=_location(cp),
                source=SOURCE,
                source_event_id=_event_id(slug, number, cp),
                recognised=mapped.recognised,
            )
        )
    return finish_update(
        number,
        normalise_carrier(slug),
        events,
        errors,
        carrier_estimate(tracking),
        str(tracking.get("id") or number),
        service=_text(tracking.get("shipment_type"), MAX_SERVICE),
        tracking_url=web_url(tracking.get("courier_tracking_link"))
        or web_url(tracking.get("aftership_tracking_url")),
        signed_by=_text(tracking.get("signed_by"), MAX_SIGNED_BY),
    )


def parse_webhook(body: bytes | str | Mapping[str, Any], *, now: datetime) -> SourceWebhook:
    """Translate an AfterShip tracking webhook body (verify its signature first)."""
    data, kind, delivery_id = load_envelope(body, kind_key="event", id_key="event_id")
    tracking: Any = data.get("msg")
    field = "msg"
    if tracking is None and isinstance(data.get("data"), Mapping):
        # a wrapped variant: {"data": {"tracking": {...}}}
        inner = data["data"]
        tracking = inner.get("tracking", inner)
        field = "data.tracking" if "tracking" in inner else "data"
    if not isinstance(tracking, Mapping):
        raise InvalidInput("the tracking object (msg) is missing", field="msg")
    update, errors = parse_tracking(tracking, now=now, field=field)
    return SourceWebhook(
        source=SOURCE,
        delivery_id=delivery_id,
        kind=kind,
        updates=(update,) if update is not None else (),
        errors=errors,
    )
