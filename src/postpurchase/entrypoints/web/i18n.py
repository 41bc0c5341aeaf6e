"""The shopper's language and clock: message catalogue, locale choice, Babel formatting, zones.

The tracking page is read by the shopper, not the merchant, so it speaks the shopper's
language (an explicit switch, then the order's checkout locale, then the browser's
``Accept-Language``, then the merchant's default) and shows scan times on the shopper's
clock. The messages are gettext catalogues handled by Babel (``postpurchase/locale``, read
through ``web/catalogues``); every language must have every key (a test checks it), the
compiled ``.mo`` files are committed and checked against their ``.po`` sources, and a
merchant may reword any key per language (settings ``strings``).
Dates, times, ranges and time-zone names come from Babel's CLDR data so they are right in
every locale without us writing formats by hand.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.core import get_global
from babel.dates import (
    format_date,
    format_interval,
    format_skeleton,
    format_time,
    get_timezone_name,
)
from babel.numbers import NumberPattern

from postpurchase.entrypoints.web.catalogues import CATALOGUE, EN

DEFAULT_LANGUAGE = "en"

# Language tag (as shown in URLs and ``lang``) -> its own name, in the order of the switcher.
LANGUAGES: Mapping[str, str] = {
    "en": "English",
    "es": "Español",
    "pt-BR": "Português (Brasil)",
    "fr": "Français",
    "de": "Deutsch",
}

_BABEL_IDS: Mapping[str, str] = {"en": "en", "es": "es", "pt-BR": "pt_BR", "fr": "fr", "de": "de"}

# French counts 0 as singular; the other four languages only 1.
_SINGULAR_ZERO = frozenset({"fr"})


def normalise_language(tag: str | None) -> str | None:
    """Map any tag a browser or store sends (``pt_br``, ``es-MX``, ``de-AT``) onto ours.

    Portuguese of any region gets pt-BR, the only Portuguese we have: closer than English.
    """
    if not tag:
        return None
    cleaned = tag.strip().replace("_", "-")
    if not cleaned or len(cleaned) > 35:
        return None
    lowered = cleaned.lower()
    for lang in LANGUAGES:
        if lowered == lang.lower():
            return lang
    base = lowered.split("-", 1)[0]
    if base == "pt":
        return "pt-BR"
    return base if base in LANGUAGES else None


def parse_accept_language(header: str | None) -> list[str]:
    """Languages from ``Accept-Language`` in preference order (q-values honoured, ties kept)."""
    if not header:
        return []
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        lang = normalise_language(tag)
        if lang and q > 0:
            ranked.append((-q, i, lang))
    out: list[str] = []
    for _, _, lang in sorted(ranked):
        if lang not in out:
            out.append(lang)
    return out


def choose_language(*candidates: str | None, accept_language: str | None = None) -> str:
    """First usable language among explicit candidates, then the browser's list, then English.

    Candidates come in priority order; ``accept_language`` is tried after the first two
    (explicit choice and the order's checkout locale), before the merchant's default.
    """
    firsts, rest = candidates[:2], candidates[2:]
    for c in firsts:
        lang = normalise_language(c)
        if lang:
            return lang
    for lang in parse_accept_language(accept_language):
        return lang
    for c in rest:
        lang = normalise_language(c)
        if lang:
            return lang
    return DEFAULT_LANGUAGE


@dataclass(frozen=True, slots=True)
class Translator:
    """Messages and formats for one language. Cheap to build; one per request.
    ``overrides``: the merchant's own wording for some keys in this language (settings)."""

    lang: str
    overrides: tuple[tuple[str, str], ...] = ()  # hashable: translators are cache keys

    @property
    def babel_locale(self) -> str:
        return _BABEL_IDS[self.lang]

    @property
    def html_lang(self) -> str:
        return self.lang

    def __call__(self, key: str, **values: object) -> str:
        own = _as_map(self.overrides).get(key) if self.overrides else None
        text = own or CATALOGUE[self.lang].get(key) or EN.get(key) or key
        return text.format(**values) if values else text

    def plural(self, key: str, n: int, **values: object) -> str:
        singular = n == 1 or (n == 0 and self.lang in _SINGULAR_ZERO)
        return self(f"{key}.{'one' if singular else 'other'}", n=n, **values)

    def day(self, value: date) -> str:
        """A delivery day as people say it: "Thursday, November 26" in the shopper's locale."""
        return _day(self.babel_locale, value)

    def short_day(self, value: date) -> str:
        return str(format_skeleton("MMMEd", value, locale=self.babel_locale))

    def day_range(self, start: date, end: date) -> str:
        """A window such as "Tue, Nov 24 – Thu, Nov 26", merged the way each locale does."""
        if start == end:
            return self.day(start)
        return _day_range(self.babel_locale, start, end)

    def money(self, amount: Decimal, currency: str) -> str:
        """An amount as the shopper's locale writes it ("$181.09", "181,09 €")."""
        # What format_currency does, minus parsing the locale and finding its pattern again.
        loc = _locale(self.babel_locale)
        return str(_currency_pattern(self.babel_locale).apply(amount, loc, currency=currency))

    def date_with_year(self, value: date) -> str:
        return _date_with_year(self.babel_locale, value)

    def time(self, value: datetime, tz: ZoneInfo) -> str:
        """Clock time on the shopper's clock ("1:18 PM", "13:18")."""
        local = value.astimezone(tz)
        return _clock(self.babel_locale, local.hour, local.minute)

    def zone_name(self, tz: ZoneInfo) -> str:
        return _zone_name(self.babel_locale, tz.key)

    def relative_day(self, value: date, today: date) -> str:
        """Today / Tomorrow when that is what the date is, otherwise the full day."""
        delta = (value - today).days
        if delta == 0:
            return self("eta.today")
        if delta == 1:
            return self("eta.tomorrow")
        return self.day(value)

    def country_name(self, code: str) -> str:
        return _country_name(self.babel_locale, code.upper())


@lru_cache(maxsize=8)
def _locale(babel_id: str) -> Locale:
    return Locale.parse(babel_id)


@lru_cache(maxsize=8)
def _currency_pattern(babel_id: str) -> NumberPattern:
    pattern: NumberPattern = _locale(babel_id).currency_formats["standard"]
    return pattern


@lru_cache(maxsize=2048)
def _country_name(babel_id: str, code: str) -> str:
    """Each scan's place names its country: a lookup through Babel's locale data each time."""
    name = _locale(babel_id).territories.get(code)
    return str(name) if name else code


@lru_cache(maxsize=4096)
def _date_with_year(babel_id: str, value: date) -> str:
    """Cached like :func:`_day`: the placed date of every first view."""
    return str(format_skeleton("yMMMd", value, locale=babel_id))


@lru_cache(maxsize=1024)
def _zone_name(babel_id: str, zone_key: str) -> str:
    """A zone's generic long name ("Central European Time"): given a zone and no moment,
    Babel's answer depends only on the locale and the zone."""
    return str(get_timezone_name(ZoneInfo(zone_key), "long", locale=babel_id))


@lru_cache(maxsize=4096)
def _day_range(babel_id: str, start: date, end: date) -> str:
    """Cached like :func:`_day`: pages of the same days show the same few windows."""
    return str(format_interval(start, end, "MMMEd", locale=babel_id))


@lru_cache(maxsize=4096)
def _day(babel_id: str, value: date) -> str:
    # Cached: a page formats the same few days many times, and Babel parses its pattern anew
    # on every call.
    return str(format_date(value, _day_pattern(babel_id), locale=babel_id))


@lru_cache(maxsize=8 * 24 * 60)
def _clock(babel_id: str, hour: int, minute: int) -> str:
    """A time of day depends only on the locale, the hour and the minute: cache all of them."""
    return str(format_time(time(hour, minute), "short", locale=babel_id))


@lru_cache(maxsize=8)
def _day_pattern(babel_id: str) -> str:
    """The locale's full date pattern without the year (CLDR's skeletons abbreviate the
    weekday in most locales, and a delivery day reads better in full)."""
    full = str(_locale(babel_id).date_formats["full"].pattern)
    return re.sub(r"(,?\s*'de'\s*|,\s*|\s+)y+", "", full).strip(" ,")


def translator(lang: str, overrides: Mapping[str, Mapping[str, str]] | None = None) -> Translator:
    """The translator for ``lang`` with the merchant's overrides for it, if any."""
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    own = (overrides or {}).get(lang)
    return _translator(lang, tuple(sorted(own.items())) if own else ())


@lru_cache(maxsize=256)
def _translator(lang: str, overrides: tuple[tuple[str, str], ...]) -> Translator:
    return Translator(lang, overrides)


@lru_cache(maxsize=256)
def _as_map(overrides: tuple[tuple[str, str], ...]) -> Mapping[str, str]:
    return dict(overrides)


# --------------------------------------------------------------------------------------------
# Time zones
# --------------------------------------------------------------------------------------------

# The zone most of a multi-zone country lives in; CLDR lists zones but does not rank them.
MAIN_ZONE: Mapping[str, str] = {
    "US": "America/New_York",
    "CA": "America/Toronto",
    "BR": "America/Sao_Paulo",
    "MX": "America/Mexico_City",
    "AR": "America/Argentina/Buenos_Aires",
    "CL": "America/Santiago",
    "EC": "America/Guayaquil",
    "AU": "Australia/Sydney",
    "NZ": "Pacific/Auckland",
    "RU": "Europe/Moscow",
    "UA": "Europe/Kyiv",
    "KZ": "Asia/Almaty",
    "CN": "Asia/Shanghai",
    "ID": "Asia/Jakarta",
    "MY": "Asia/Kuala_Lumpur",
    "ES": "Europe/Madrid",
    "PT": "Europe/Lisbon",
    "DE": "Europe/Berlin",
    "CD": "Africa/Kinshasa",
    "MN": "Asia/Ulaanbaatar",
    "PF": "Pacific/Tahiti",
    "KI": "Pacific/Tarawa",
    "FM": "Pacific/Pohnpei",
}

# Regions of the multi-zone countries we ship to most whose clock differs from the main zone.
REGION_ZONE: Mapping[tuple[str, str], str] = {
    **dict.fromkeys(
        (
            ("US", s)
            for s in [
                "AL",
                "AR",
                "IA",
                "IL",
                "KS",
                "LA",
                "MN",
                "MO",
                "MS",
                "NE",
                "ND",
                "OK",
                "SD",
                "TN",
                "TX",
                "WI",
            ]
        ),
        "America/Chicago",
    ),
    **dict.fromkeys((("US", s) for s in ["CO", "MT", "NM", "UT", "WY"]), "America/Denver"),
    ("US", "AZ"): "America/Phoenix",
    ("US", "ID"): "America/Boise",
    **dict.fromkeys((("US", s) for s in ["CA", "NV", "OR", "WA"]), "America/Los_Angeles"),
    ("US", "AK"): "America/Anchorage",
    ("US", "HI"): "Pacific/Honolulu",
    ("US", "PR"): "America/Puerto_Rico",
    ("CA", "BC"): "America/Vancouver",
    ("CA", "AB"): "America/Edmonton",
    ("CA", "SK"): "America/Regina",
    ("CA", "MB"): "America/Winnipeg",
    ("CA", "NS"): "America/Halifax",
    ("CA", "NB"): "America/Moncton",
    ("CA", "PE"): "America/Halifax",
    ("CA", "NL"): "America/St_Johns",
    ("CA", "YT"): "America/Whitehorse",
    ("CA", "NT"): "America/Yellowknife",
    ("CA", "NU"): "America/Iqaluit",
    ("BR", "AM"): "America/Manaus",
    ("BR", "RR"): "America/Boa_Vista",
    ("BR", "RO"): "America/Porto_Velho",
    ("BR", "MT"): "America/Cuiaba",
    ("BR", "MS"): "America/Campo_Grande",
    ("BR", "AC"): "America/Rio_Branco",
    ("AU", "QLD"): "Australia/Brisbane",
    ("AU", "SA"): "Australia/Adelaide",
    ("AU", "NT"): "Australia/Darwin",
    ("AU", "WA"): "Australia/Perth",
    ("AU", "TAS"): "Australia/Hobart",
    ("AU", "VIC"): "Australia/Melbourne",
    ("MX", "BC"): "America/Tijuana",
    ("MX", "SON"): "America/Hermosillo",
    ("MX", "ROO"): "America/Cancun",
}


@lru_cache(maxsize=512)
def zone(name: str | None) -> ZoneInfo | None:
    """A ZoneInfo for a valid IANA name, None for anything else (never raises)."""
    if not name or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def country_zone(country: str | None, region: str | None = None) -> ZoneInfo | None:
    """The destination's clock: its region's zone when we know it, else the country's main one."""
    if not country:
        return None
    cc = country.upper()
    if region:
        found = REGION_ZONE.get((cc, region.upper().removeprefix(f"{cc}-")))
        if found:
            return zone(found)
    if cc in MAIN_ZONE:
        return zone(MAIN_ZONE[cc])
    zones = get_global("territory_zones").get(cc) or []
    return zone(zones[0]) if zones else None


def _zone_country(tz_name: str) -> str | None:
    found = get_global("zone_territories").get(tz_name)
    return str(found) if found else None


def shopper_zone(
    order_tz: str | None,
    merchant_tz: str | None,
    country: str | None,
    region: str | None = None,
) -> ZoneInfo:
    """The shopper's local clock: order zone, then the merchant's, then the destination's.

    The merchant's zone stands in for the shopper's only when it is plausibly the same
    clock: it is not the ``UTC`` placeholder every new merchant starts with, and it is in the
    destination country (a Lisbon shop shipping to São Paulo must not show Lisbon times).
    """
    found = zone(order_tz)
    if found is not None:
        return found
    merchant = zone(merchant_tz) if merchant_tz and merchant_tz.upper() != "UTC" else None
    if merchant is not None and merchant_tz is not None:
        mcountry = _zone_country(merchant_tz)
        if not country or mcountry is None or mcountry == country.upper():
            return merchant
    dest = country_zone(country, region)
    if dest is not None:
        return dest
    return merchant or ZoneInfo("UTC")
