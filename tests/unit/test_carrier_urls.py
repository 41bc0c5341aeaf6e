"""carrier_from_url: the carrier a tracking link's host names, for fulfilments without one."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postpurchase.domain.carrier_detection import CARRIERS, carrier_from_url
from postpurchase.domain.carrier_detection.urls import _BRANDS, _DOMAINS


@pytest.mark.parametrize(
    ("url", "carrier"),
    [
        ("https://www.ups.com/track?loc=en_US&tracknum=1Z879E930346834440", "ups"),
        ("http://wwwapps.ups.com/WebTracking/track?trackNums=1Z879E930346834440", "ups"),
        ("https://www.fedex.com/fedextrack/?trknbr=986578788855", "fedex"),
        ("https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111201080805483016", "usps"),
        ("https://www.usps.com/manage/", "usps"),
        ("https://www.dhl.com/global-en/home/tracking.html?tracking-id=3318810025", "dhl"),
        ("https://mydhl.express.dhl/us/en/tracking.html#/results?id=3318810025", "dhl"),
        (
            "https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode=1",
            "dhl_paket",
        ),
        ("https://webtrack.dhlglobalmail.com/?trackingnumber=GM2951173225174494", "dhl_ecommerce"),
        ("https://webtrack.dhlecs.com/orders?trackingNumber=GM2951173225174494", "dhl_ecommerce"),
        ("https://www.dhlecommerce.co.uk/track", "dhl_ecommerce"),
        (
            "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor=1",
            "canada_post",
        ),
        ("https://www.canadapost.ca/trackweb/en#/search?searchFor=1", "canada_post"),
        ("https://www.purolator.com/en/shipping/tracker?pin=320595463938", "purolator"),
        ("https://www.ontrac.com/tracking/?number=C11031500001879", "ontrac"),
        ("https://www.lasership.com/track/1LS717793482164", "lasership"),
        ("https://www.royalmail.com/track-your-item#/tracking-results/RB123456785GB", "royal_mail"),
        ("https://www.parcelforce.com/track-trace?trackNumber=1", "parcelforce"),
        ("https://www.dpd.co.uk/apps/tracking/?parcel=1", "dpd"),
        ("https://tracking.dpd.de/status/en_US/parcel/01905002345615", "dpd"),
        ("https://www.dpdgroup.com/nl/mydpd/my-parcels/track?parcelNumber=1", "dpd"),
        ("https://gls-group.eu/EU/en/parcel-tracking?match=1", "gls"),
        ("https://www.gls-us.com/track-and-trace", "gls"),
        ("https://www.gls-italy.com/it/servizi-per-destinatari/ricerca-spedizione", "gls"),
        ("https://jouw.postnl.nl/track-and-trace/3SABCD1234567-NL-1234AB", "postnl"),
        ("https://auspost.com.au/mypost/track/#/details/1", "australia_post"),
        ("https://www.yodel.co.uk/tracking/JJD0002257639032011", "yodel"),
        ("https://www.evri.com/track/parcel/H00AAA0000000000", "evri"),
        ("https://www.myhermes.co.uk/track#/parcel/1", "evri"),
        ("https://track.amazon.com/tracking/TBA502887274000", "amazon"),
        ("https://www.amazon.co.uk/progress-tracker/package/", "amazon"),
        ("https://rastreamento.correios.com.br/app/index.php", "correios"),
        ("https://www.canpar.com/en/track/tracking.jsp?reference=1", "canpar"),
        (
            "https://www.odfl.com/us/en/tools/trace-track-ltl-freight/trace.html?proNumbers=1",
            "old_dominion",
        ),
        ("https://track.landmarkglobal.com/?search=LTN74207623N1", "landmark_global"),
        ("https://www.yuntrack.com/parcelTracking?id=YT2229521272164446", "yunexpress"),
        ("https://www.speedeedelivery.com/track/?tracking=1", "speedee"),
        ("https://www.gofoexpress.com/tracking.html?searchID=1", "gofo"),
        ("https://www.laposte.fr/outils/suivre-vos-envois?code=1", "la_poste"),
        # Scheme, case, port, user info, trailing dot and a missing scheme do not matter.
        ("HTTPS://WWW.UPS.COM./track", "ups"),
        ("https://user:secret@www.fedex.com:443/x", "fedex"),
        ("www.ups.com/track?tracknum=1Z", "ups"),
        ("ups.com", "ups"),
    ],
)
def test_the_host_names_the_carrier(url: str, carrier: str) -> None:
    assert carrier_from_url(url) == carrier


@pytest.mark.parametrize(
    "url",
    [
        "",
        "not a url",
        "/track?tracknum=1Z879E930346834440",
        "https://example.com/ups.com",  # the carrier in the path, not the host
        "https://ups.com.example.com/",  # ups.com as a subdomain of someone else's domain
        "https://notups.com/",
        "https://dpd.example.com/",  # "dpd" as a subdomain, not the registrable name
        "https://track.aftership.com/ups/1Z879E930346834440",  # an aggregator
        "http://[::1",  # urlsplit raises ValueError on this
        "javascript:alert(1)",
        "mailto:track@ups.com.example",
        "https://",
        "https://192.168.0.1/track",
        "x" * 10_000,
    ],
)
def test_unknown_hosts_and_garbage_give_none(url: str) -> None:
    assert carrier_from_url(url) is None


def test_non_strings_give_none() -> None:
    assert carrier_from_url(None) is None  # type: ignore[arg-type]
    assert carrier_from_url(b"https://www.ups.com") is None  # type: ignore[arg-type]


def test_every_slug_it_can_return_is_a_known_carrier() -> None:
    slugs = {slug for slug in (*_DOMAINS.values(), *_BRANDS.values(), "gls") if slug}
    assert slugs <= set(CARRIERS), slugs - set(CARRIERS)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(max_size=200))
def test_never_raises(url: str) -> None:
    result = carrier_from_url(url)
    assert result is None or result in CARRIERS


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    scheme=st.sampled_from(["https://", "http://", "//", ""]),
    sub=st.sampled_from(["", "www.", "track.", "a.b."]),
    path=st.text(alphabet="abc/?=&#%.:", max_size=30),
)
def test_subdomains_scheme_and_path_do_not_change_the_answer(
    scheme: str, sub: str, path: str
) -> None:
    path = "/" + path if path and path[0] not in "/?#" else path
    assert carrier_from_url(f"{scheme}{sub}fedex.com{path}") == "fedex"
    assert carrier_from_url(f"{scheme}{sub}dpd.co.uk{path}") == "dpd"
