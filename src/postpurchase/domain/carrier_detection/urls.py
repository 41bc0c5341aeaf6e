"""The carrier named by a tracking link's host.

Why this exists: storefronts sometimes send a fulfilment with no carrier (Shopify's
``tracking_company: null``) but with the link the label provider printed; the link's host
names the carrier ("https://www.ups.com/track?tracknum=..." is UPS) even when the number
alone is ambiguous. Only the host is read: scheme, path, query and port are ignored.

Two tables: whole domains (with any subdomain: "tools.usps.com" is "usps.com"), which win
where a carrier's brand is a subdomain of another's ("ecommerceportal.dhl.com"); and brand
names matched against the registrable label of any country's domain ("dpd" in dpd.de,
dpd.co.uk, dpd.com; "gls" in gls-group.eu, gls-pakete.de). Pure: no DNS, no I/O.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["carrier_from_url"]

# Whole domains; a host matches its domain or any subdomain of it. Longest match wins.
_DOMAINS: dict[str, str] = {
    "dhl": "dhl",  # DHL's own top-level domain (mydhl.express.dhl)
    "dhl.de": "dhl_paket",
    "dhlparcel.de": "dhl_paket",
    "deutschepost.de": "deutsche_post",
    "ecommerceportal.dhl.com": "dhl_ecommerce",
    "webtrack.dhlecs.com": "dhl_ecommerce",
    "dhlecs.com": "dhl_ecommerce",
    "webtrack.dhlglobalmail.com": "dhl_ecommerce",
    "dhlglobalmail.com": "dhl_ecommerce",
    "myhermes.co.uk": "evri",
    "hermes-europe.co.uk": "evri",
    "track.aftership.com": "",  # an aggregator's page names no carrier by its host
    "postescanada-canadapost.ca": "canada_post",
    "canadapost-postescanada.ca": "canada_post",
    "tracking.landmarkglobal.com": "landmark_global",
    "yuntrack.com": "yunexpress",
    "odfl.com": "old_dominion",
    "speedeedelivery.com": "speedee",
    "gofoexpress.com": "gofo",
    "auspost.com.au": "australia_post",
    "startrack.com.au": "",  # StarTrack is Australia Post's courier but tracks apart
    "correios.com.br": "correios",
    "laposte.fr": "la_poste",
    "colissimo.fr": "la_poste",
    "japanpost.jp": "japan_post",
    "post.japanpost.jp": "japan_post",
    "poste.it": "poste_italiane",
    "correos.es": "correos",
    "nzpost.co.nz": "nz_post",
    "anpost.com": "an_post",
    "anpost.ie": "an_post",
    "post.ch": "swiss_post",
    "posten.no": "posten_norge",
    "bring.no": "posten_norge",
    "post.at": "austrian_post",
    "ems.com.cn": "china_post",
    "chinapost.com.cn": "china_post",
    "indiapost.gov.in": "india_post",
    "hongkongpost.hk": "hongkong_post",
    "singpost.com": "singapore_post",
    "epost.go.kr": "korea_post",
    "posti.fi": "posti",
    "pocztex.pl": "poczta_polska",
    "poczta-polska.pl": "poczta_polska",
    "ctt.pt": "ctt",
    "correosdemexico.gob.mx": "correos_de_mexico",
}

# Brand names, matched against a host's registrable label in any top-level domain.
_BRANDS: dict[str, str] = {
    "ups": "ups",
    "fedex": "fedex",
    "usps": "usps",
    "dhl": "dhl",
    "dhlecommerce": "dhl_ecommerce",
    "amazon": "amazon",
    "ontrac": "ontrac",
    "lasership": "lasership",
    "canadapost": "canada_post",
    "postescanada": "canada_post",
    "purolator": "purolator",
    "royalmail": "royal_mail",
    "parcelforce": "parcelforce",
    "dpd": "dpd",
    "dpdgroup": "dpd",
    "dpdlocal": "dpd",
    "postnl": "postnl",
    "auspost": "australia_post",
    "yodel": "yodel",
    "evri": "evri",
    "correios": "correios",
    "canpar": "canpar",
    "landmarkglobal": "landmark_global",
    "yunexpress": "yunexpress",
    "bpost": "bpost",
    "postnord": "postnord",
    "gofo": "gofo",
}

# GLS names its national sites "gls-<country or word>" (gls-group.eu, gls-us.com, gls-italy.com).
_GLS = re.compile(r"gls(?:-[a-z]+)*")

# Second-level labels under which a country's registrable names sit ("co" in dpd.co.uk).
_SECOND_LEVEL = frozenset({"co", "com", "net", "org", "gov", "gob", "ac", "or", "ne", "go"})

_HOST = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)*")


def _host(url: str) -> str | None:
    """The lower-case host of `url` (a scheme is optional), or None when there is none."""
    text = url.strip()
    if "//" not in text:
        text = "//" + text
    try:
        host = urlsplit(text).hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return None
    if not host:
        return None
    host = host.rstrip(".").lower()
    if host.startswith("www."):
        host = host[4:]
    return host if _HOST.fullmatch(host) else None


def _registrable_label(labels: list[str]) -> str | None:
    """The label a brand registers: "dpd" in tracking.dpd.co.uk, "ups" in www.ups.com."""
    if len(labels) < 2:
        return None
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return labels[-3]
    return labels[-2]


def carrier_from_url(url: str) -> str | None:
    """The carrier slug a tracking link's host names, or None; never raises.

    "https://www.ups.com/track?tracknum=1Z..." -> "ups"; "tools.usps.com/go/..." -> "usps";
    "https://www.dpd.co.uk/..." -> "dpd"; an unknown host, an aggregator's page, a bare path
    or anything that is not a string -> None.
    """
    if not isinstance(url, str) or len(url) > 4096:
        return None
    host = _host(url)
    if host is None:
        return None
    best: tuple[int, str] | None = None
    for domain, slug in _DOMAINS.items():
        if (host == domain or host.endswith("." + domain)) and (
            best is None or len(domain) > best[0]
        ):
            best = (len(domain), slug)
    if best is not None:
        return best[1] or None
    label = _registrable_label(host.split("."))
    if label is None:
        return None
    if label in _BRANDS:
        return _BRANDS[label]
    return "gls" if _GLS.fullmatch(label) else None
