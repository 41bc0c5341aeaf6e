"""The tracking page, lookup, rating and JSON twin over ASGI on SQLite and PostgreSQL.

HTML is checked with BeautifulSoup for what a shopper reads (headline, dates, timeline,
help) and for what must never be there (a stack trace, another shop's order, a script
smuggled into the merchant's custom block, the shopper's email in the JSON).
"""

from __future__ import annotations

import base64
import hashlib
import re
import statistics
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from postpurchase.adapters.db import read_models, tracking_views
from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.migrate import pending_diff
from postpurchase.bootstrap import Platform, bootstrap
from postpurchase.config import Settings
from postpurchase.entrypoints.api.app import create_app
from postpurchase.entrypoints.web import views
from postpurchase.entrypoints.web.fastpath import ResponseCache
from postpurchase.entrypoints.web.loader import PageState
from tests import tracking_scenarios as sc
from tests.factories import ref
from tests.fakes import FakeClock

MAX_PAGE_BYTES = 50 * 1024


@pytest.fixture
def platform(engine: Engine) -> Platform:
    return bootstrap(Settings(), engine=engine, clock=FakeClock(sc.NOW), notifications=False)


@pytest.fixture
def client(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setattr(views, "LOOKUP_FLOOR_SECONDS", 0.0)  # one test measures the real floor
    with platform.engine.connect() as conn:  # the lookup limit is shared: start each test full
        conn.execute(t.rate_buckets.delete())
        conn.commit()
    app = create_app(platform)  # includes the tracking page and public tracking routers
    with TestClient(app, follow_redirects=False) as c:
        yield c


@pytest.fixture
def shop(platform: Platform) -> Any:
    return sc.merchant(platform, timezone="America/New_York")


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def text(node: Any) -> str:
    return " ".join(node.get_text(" ").split()) if node is not None else ""


def test_schema_has_no_pending_changes(engine: Engine) -> None:
    assert pending_diff(engine) == []


EXPECTED = {
    "unfulfilled": ("We're preparing your order", "info"),
    "info_received": ("Shipping label created", "info"),
    "in_transit": ("On its way", "ok"),
    "out_for_delivery": ("Out for delivery", "ok"),
    "attempt_failed": ("Delivery attempt failed", "warn"),
    "available_for_pickup": ("Ready for pickup", "ok"),
    "delivered": ("Delivered", "good"),
    "delayed": ("Delayed by weather", "warn"),
    "lost": ("Lost in transit", "bad"),
    "address_issue": ("Problem with the address", "warn"),
    "expired": ("No recent tracking updates", "bad"),
    "split": ("Part of your order has arrived", "ok"),
    "cancelled": ("This order was cancelled", "bad"),
}


@pytest.mark.parametrize("kind", sc.KINDS)
def test_every_status_in_plain_words_and_under_50_kb(
    kind: str, client: TestClient, platform: Platform, shop: Any
) -> None:
    seeded = sc.order(platform, shop.id, kind)
    r = client.get(f"/t/{seeded.token}")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    page = soup(r.text)
    headline, tone = EXPECTED[kind]
    assert text(page.h1) == headline
    assert f"tone-{tone}" in page.select_one("section.hero")["class"]
    assert seeded.number in text(page.select_one(".hero .eyebrow"))
    assert [text(li) for li in page.select(".items .item-name")][:1] != []
    css = client.get(page.select_one("link[rel=stylesheet]")["href"])
    assert css.status_code == 200
    assert len(r.content) + len(css.content) < MAX_PAGE_BYTES


def test_in_transit_page_shows_estimate_progress_and_local_timeline(
    client: TestClient, platform: Platform, shop: Any
) -> None:
    seeded = sc.order(platform, shop.id, "in_transit")
    page = soup(client.get(f"/t/{seeded.token}").text)
    assert text(page.select_one(".hero .eta-value")) == "Saturday, November 21"
    assert text(page.select_one(".hero .eta-note")) == "Estimate from UPS"
    steps = page.select(".hero .progress .step")
    assert [s["class"][1] for s in steps] == ["done", "done", "current", "todo", "todo"]
    assert page.select_one(".progress [aria-current=step]").select_one(".step-label").text == (
        "In transit"
    )
    # 7 scans: 6 visible, newest first, in New York time, the rest behind <details>.
    visible = page.select(".shipment > .timeline .event")
    assert len(visible) == 6
    first = visible[0]
    assert first.time["datetime"] == "2026-11-19T08:00:00-05:00"
    assert first.time.get_text() == "8:00\u202fAM"
    assert text(first.select_one(".ev-desc")) == "Processing at UPS Facility"
    assert text(first.select_one(".ev-loc")) == "Brooklyn, NY, United States"
    assert len(page.select("details.older .event")) == 1
    assert "Eastern Time" in text(page.select_one(".tz-note"))
    link = page.find("a", string=re.compile("Track on the UPS website"))
    assert link["href"].startswith("https://www.ups.com/track?tracknum=1Z")


def test_split_order_shows_every_parcel_and_what_is_not_shipped(
    client: TestClient, platform: Platform, shop: Any
) -> None:
    page = soup(client.get(f"/t/{sc.order(platform, shop.id, 'split').token}").text)
    cards = page.select("section.shipment")
    assert [text(c.select_one(".eyebrow")) for c in cards] == ["Parcel 1 of 2", "Parcel 2 of 2"]
    assert [text(c.select_one("h2")) for c in cards] == ["Delivered", "On its way"]
    assert "Packable rain jacket" in text(cards[0].select_one(".items"))
    assert "Merino hiking socks (3 pairs)" in text(cards[1].select_one(".items"))
    assert text(page.select_one(".hero .detail")) == "Your order ships in 2 parcels."
    # the bottle is in neither parcel yet
    assert "Not shipped yet" in text(page.select_one(".col-side"))
    assert "Insulated steel bottle" in text(page.select_one(".col-side .items"))
    # the hero's date is the parcel still on its way
    assert text(page.select_one(".hero .eta-value")) == "Saturday, November 21"


def test_exceptions_say_what_to_do(client: TestClient, platform: Platform, shop: Any) -> None:
    failed = soup(client.get(f"/t/{sc.order(platform, shop.id, 'attempt_failed').token}").text)
    reschedule = failed.find("a", string="Reschedule delivery")
    assert reschedule["href"].startswith("https://www.ups.com/track")
    assert failed.select_one("section.help.urgent") is not None

    address = soup(client.get(f"/t/{sc.order(platform, shop.id, 'address_issue').token}").text)
    assert "problem with the address" in text(address.select_one(".hero .detail"))
    mail = address.find("a", string="Email us")
    assert mail["href"].startswith("mailto:help@northwind.example?subject=Order%20%23NW")

    pickup = soup(
        client.get(f"/t/{sc.order(platform, shop.id, 'available_for_pickup').token}").text
    )
    box = pickup.select_one(".pickup")
    assert text(box.select_one(".pickup-name")) == "UPS Access Point: Court St Pharmacy"
    assert "11201 Brooklyn" in text(box.address)
    assert "Mon-Fri 8:00-19:00" in text(box)
    assert box.find("a", string="Get directions")["href"].startswith(
        "https://www.openstreetmap.org/search?query=11201+Brooklyn"
    )

    lost = soup(client.get(f"/t/{sc.order(platform, shop.id, 'lost').token}").text)
    assert lost.select_one(".hero .eta-value") is None  # no date for a lost parcel
    assert "replacement or a refund" in text(lost.select_one(".hero .detail"))

    delayed = soup(client.get(f"/t/{sc.order(platform, shop.id, 'delayed').token}").text)
    assert delayed.select_one("section.help.urgent") is None  # nothing to do but wait


def test_estimate_sources_in_order_of_trust(
    client: TestClient, platform: Platform, shop: Any, engine: Engine
) -> None:
    # no parcel yet: the checkout promise (a window)
    unfulfilled = soup(client.get(f"/t/{sc.order(platform, shop.id, 'unfulfilled').token}").text)
    assert text(unfulfilled.select_one(".hero .eta-value")) == "Thu, Nov 19 – Fri, Nov 20"
    assert text(unfulfilled.select_one(".hero .eta-note")) == "The date promised when you ordered"
    # no promise either: the engine's rough window, called rough
    seeded = sc.order(platform, shop.id, "unfulfilled")
    with engine.begin() as conn:
        conn.execute(
            update(t.orders)
            .where(t.orders.c.id == seeded.order_id)
            .values(promise_latest=None, promise_earliest=None)
        )
    rough = soup(client.get(f"/t/{seeded.token}").text)
    assert text(rough.select_one(".hero .eta-note")) == (
        "A rough estimate from typical transit times"
    )
    assert text(rough.select_one(".hero .eta-value"))
    # a carrier date in the past: honest about running late
    platform.clock.advance(days=5)  # type: ignore[attr-defined]
    late = soup(client.get(f"/t/{sc.order(platform, shop.id, 'in_transit').token}").text)
    assert text(late.select_one(".hero .eta-value")) == "Delayed"
    assert "it was expected by Saturday, November 21" in text(late.select_one(".hero .eta-note"))


def test_delivered_offers_rating_and_return_and_records_one_rating(
    client: TestClient, platform: Platform, shop: Any, engine: Engine
) -> None:
    seeded = sc.order(platform, shop.id, "delivered")
    page = soup(client.get(f"/t/{seeded.token}").text)
    assert page.select_one(".hero .eta-value").get_text() == "Thursday, November 19, 1:18\u202fPM"
    form = page.select_one("form.stars")
    assert form["action"] == f"/t/{seeded.token}/rating"
    assert [b["value"] for b in form.select("button[name=score]")] == ["1", "2", "3", "4", "5"]
    ret = page.find("a", string="Start a return")
    assert ret["href"] == "https://northwind.example/returns?order=%23" + seeded.number[1:]

    r = client.post(f"/t/{seeded.token}/rating", data={"score": "2"})
    assert r.status_code == 303 and r.headers["location"].endswith("?rated=1#rating")
    r = client.post(
        f"/t/{seeded.token}/rating", data={"score": "5"}, headers={"accept": "application/json"}
    )
    assert r.json() == {"score": 5}
    again = soup(client.get(f"/t/{seeded.token}?rated=1").text)
    assert again.select_one(".stars [aria-pressed=true]")["value"] == "5"
    assert "Thanks for your feedback!" in text(again.select_one(".rating-status"))
    with engine.connect() as conn:
        assert tracking_views.rating_counts(conn, shop.id).get(5) == 1
        assert tracking_views.get_rating(conn, seeded.order_id) == 5
    # a bad score changes nothing
    assert client.post(f"/t/{seeded.token}/rating", data={"score": "9"}).status_code == 303
    with engine.connect() as conn:
        assert tracking_views.get_rating(conn, seeded.order_id) == 5


def test_rating_and_returns_wait_for_delivery(
    client: TestClient, platform: Platform, shop: Any, engine: Engine
) -> None:
    seeded = sc.order(platform, shop.id, "in_transit")
    page = soup(client.get(f"/t/{seeded.token}").text)
    assert page.select_one("form.stars") is None
    assert page.find("a", string="Start a return") is None
    assert client.post(f"/t/{seeded.token}/rating", data={"score": "4"}).status_code == 404
    with engine.connect() as conn:
        assert tracking_views.get_rating(conn, seeded.order_id) is None
    # no returns URL configured: no return link, even once delivered
    bare = sc.merchant(platform, settings={})
    page = soup(client.get(f"/t/{sc.order(platform, bare.id, 'delivered').token}").text)
    assert page.find("a", string="Start a return") is None
    assert page.select_one("form.stars") is not None


@pytest.mark.parametrize(
    "path", ["/t/unknown-token-123456789", "/t/short", "/t/<script>", "/t/", "/t/a/b/c"]
)
def test_unknown_or_malformed_token_gets_a_friendly_404(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    page = soup(r.text)
    assert text(page.h1) == "We can't find that page"
    assert page.find("a", string="Look up my order")["href"] == "/track"
    assert "Traceback" not in r.text and "<script>" not in r.text


def test_branding_is_applied_and_unsafe_settings_are_dropped(
    client: TestClient, platform: Platform
) -> None:
    settings = {
        "branding": {
            "display_name": "Ünïcode & <Co>",
            "logo_url": "https://cdn.example/logo.svg",
            "primary_color": "#FFD500",  # pale yellow: dark text on it, darker for links
            "accent_color": "red; background:url(javascript:alert(1))",
            "font_family": "Inter; } body { display:none",
        },
        "support": {"email": 'x@example.com"><script>', "phone": "+1 (555) 010-0100"},
        "returns_url": "javascript:alert(1)",
        "tracking_page": {
            "custom_block": {
                "title": "Hello <b>there</b>",
                "html": '<p onclick="x()">Hi <a href="javascript:alert(1)">bad</a> '
                '<a href="https://ok.example/x">good</a><img src=x onerror=alert(1)></p>'
                "<style>body{}</style><iframe src=https://evil.example></iframe>",
            }
        },
    }
    m = sc.merchant(platform, settings=settings)
    r = client.get(f"/t/{sc.order(platform, m.id, 'delivered').token}")
    page = soup(r.text)
    logo = page.select_one("header.brand img.logo")
    assert logo["src"] == "https://cdn.example/logo.svg" and logo["alt"] == "Ünïcode & <Co>"
    style = page.find("style")
    digest = base64.b64encode(hashlib.sha256(style.text.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in r.headers["content-security-policy"]
    assert "--brand:#ffd500" in style.text and "--on-brand:#000000" in style.text
    assert "--accent:#0f766e" in style.text  # the bad colour fell back to the default
    assert "display:none" not in style.text
    brand_text = re.search(r"--brand-text:(#[0-9a-f]{6})", style.text)
    assert brand_text and brand_text.group(1) != "#ffd500"
    block = page.select_one("section.custom")
    assert text(block.h2) == "Hello <b>there</b>"  # titles are text, escaped
    body = str(block.select_one(".custom-body"))
    assert "onclick" not in body and "onerror" not in body and "javascript:" not in body
    assert "<iframe" not in body and "<style" not in body and "<img" not in body
    assert block.find("a", string="good")["href"] == "https://ok.example/x"
    assert page.find("a", string="Start a return") is None  # javascript: URL dropped
    assert page.find("a", string="Email us") is None  # unsafe email dropped
    assert page.find("a", string="Call +1 (555) 010-0100")["href"] == "tel:+15550100100"


def test_security_and_privacy_headers(client: TestClient, platform: Platform, shop: Any) -> None:
    r = client.get(f"/t/{sc.order(platform, shop.id, 'in_transit').token}")
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["referrer-policy"] == "no-referrer"
    assert "noindex" in r.headers["x-robots-tag"]
    page = soup(r.text)
    assert page.find("meta", attrs={"name": "robots"})["content"] == "noindex, nofollow"
    assert seeded_email_absent(r.text)
    js = page.find("script")
    assert js["src"].startswith("/static/tracking/tracking.js?v=")
    asset = client.get(js["src"])
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    again = client.get(js["src"], headers={"if-none-match": asset.headers["etag"]})
    assert again.status_code == 304
    assert client.get("/static/tracking/../../etc/passwd").status_code == 404


def seeded_email_absent(html: str) -> bool:
    return "@example.com" not in html


def test_language_switch_cookie_and_negotiation(
    client: TestClient, platform: Platform, shop: Any
) -> None:
    token = sc.order(platform, shop.id, "in_transit").token
    fr = client.get(f"/t/{token}?lang=fr")
    assert soup(fr.text).html["lang"] == "fr"
    assert text(soup(fr.text).h1) == "En route"
    assert "pp_lang=fr" in fr.headers["set-cookie"]
    assert text(soup(fr.text).select_one(".day-label")) == "Jeudi 19 novembre"
    # the cookie keeps the choice; an unknown ?lang= is ignored
    assert soup(client.get(f"/t/{token}").text).html["lang"] == "fr"
    assert soup(client.get(f"/t/{token}?lang=xx").text).html["lang"] == "fr"
    client.cookies.clear()
    # the order's checkout locale comes before the browser's
    pt = sc.order(platform, shop.id, "in_transit", locale="pt_BR").token
    page = soup(client.get(f"/t/{pt}", headers={"accept-language": "de-DE,de;q=0.9"}).text)
    assert page.html["lang"] == "pt-BR" and text(page.h1) == "A caminho"
    links = {a["lang"]: a["href"] for a in page.select("nav.langs a")}
    assert links["de"] == f"/t/{pt}?lang=de"
    assert page.select_one("nav.langs a[aria-current]")["lang"] == "pt-BR"


def test_times_follow_the_shoppers_zone(client: TestClient, platform: Platform, shop: Any) -> None:
    berlin = sc.order(platform, shop.id, "delivered", timezone="Europe/Berlin")
    page = soup(client.get(f"/t/{berlin.token}").text)
    assert page.select_one(".event.latest time")["datetime"] == "2026-11-19T19:18:00+01:00"
    assert "Central European" in text(page.select_one(".tz-note"))
    # no order zone, merchant on the UTC placeholder: the destination's (São Paulo) clock
    bare = sc.merchant(platform, settings={})
    from postpurchase.domain.addresses import Address

    sp = Address("BR", "01310-100", "SP", "São Paulo", "Av. Paulista 1000")
    page = soup(client.get(f"/t/{sc.order(platform, bare.id, 'delivered', address=sp).token}").text)
    assert page.select_one(".event.latest time")["datetime"] == "2026-11-19T15:18:00-03:00"


def test_custom_domain_shows_only_its_own_merchants_orders(
    client: TestClient, platform: Platform
) -> None:
    domain = f"track-{ref()}.example.com"
    own = sc.merchant(platform, settings={"tracking_page": {"custom_domains": [domain]}})
    other = sc.merchant(platform, settings={})
    mine = sc.order(platform, own.id, "in_transit")
    theirs = sc.order(platform, other.id, "in_transit")
    assert client.get(f"/t/{mine.token}", headers={"host": domain}).status_code == 200
    assert client.get(f"/t/{theirs.token}", headers={"host": domain}).status_code == 404
    assert client.get(f"/t/{theirs.token}", headers={"host": "testserver"}).status_code == 200
    # the lookup form on that domain is that shop's, and finds only its orders
    form = soup(client.get("/track", headers={"host": f"{domain}:443"}).text)
    assert form.select_one("input[name=shop]")["value"] == own.slug
    r = client.post(
        "/track", data={"number": theirs.number, "contact": theirs.email}, headers={"host": domain}
    )
    assert r.status_code == 404
    r = client.post(
        "/track", data={"number": mine.number, "contact": mine.email}, headers={"host": domain}
    )
    assert r.status_code == 303 and r.headers["location"] == f"/t/{mine.token}"


def test_lookup_by_email_or_postal_code(client: TestClient, platform: Platform, shop: Any) -> None:
    seeded = sc.order(platform, shop.id, "in_transit")
    for number, contact in (
        (seeded.number, seeded.email.upper()),
        (seeded.number.lstrip("#"), f"  {seeded.email} "),
        (seeded.number, "11201"),
    ):
        r = client.post(f"/track?shop={shop.slug}", data={"number": number, "contact": contact})
        assert r.status_code == 303, (number, contact)
        assert r.headers["location"] == f"/t/{seeded.token}"


def test_lookup_failures_are_indistinguishable(
    client: TestClient, platform: Platform, shop: Any
) -> None:
    seeded = sc.order(platform, shop.id, "in_transit")
    data = {"shop": shop.slug, "contact": "someone@example.com"}
    wrong_email = client.post("/track", data={**data, "number": seeded.number})
    unknown = client.post("/track", data={**data, "number": seeded.number})  # same bytes twice
    no_order = client.post("/track", data={**data, "number": seeded.number + "X"})
    assert wrong_email.status_code == unknown.status_code == no_order.status_code == 404

    def body(r: Any) -> str:  # the only difference allowed: the echoed number
        return r.text.replace(seeded.number + "X", "N").replace(seeded.number, "N")

    assert body(wrong_email) == body(no_order)
    assert "We couldn't find an order" in text(soup(no_order.text).select_one("[role=alert]"))
    assert seeded.email not in wrong_email.text and "someone@example.com" not in no_order.text


def test_lookup_takes_the_same_time_whatever_fails(
    client: TestClient, platform: Platform, shop: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The floor is a guarantee (never shorter); the equality is statistical, so it compares
    # medians with a tolerance that holds when other tests share the two cores (-n 3).
    floor = 0.4
    monkeypatch.setattr(views, "LOOKUP_FLOOR_SECONDS", floor)
    seeded = sc.order(platform, shop.id, "in_transit")

    def timed(number: str, contact: str) -> float:
        start = time.perf_counter()
        r = client.post("/track", data={"shop": shop.slug, "number": number, "contact": contact})
        assert r.status_code in (303, 404)
        return time.perf_counter() - start

    wrong = [timed(seeded.number, f"n{i}@example.com") for i in range(4)]
    missing = [timed(f"NOPE{i}", "n@example.com") for i in range(4)]
    right = timed(seeded.number, seeded.email)
    for d in [*wrong, *missing, right]:
        assert floor <= d < floor + 2.0
    assert abs(statistics.median(wrong) - statistics.median(missing)) < 0.15


def test_lookup_is_rate_limited_per_ip_and_order(
    client: TestClient, platform: Platform, shop: Any
) -> None:
    seeded = sc.order(platform, shop.id, "in_transit")
    statuses = [
        client.post(
            "/track",
            data={"shop": shop.slug, "number": seeded.number, "contact": f"g{i}@example.com"},
        ).status_code
        for i in range(6)
    ]
    assert statuses == [404] * 5 + [429]
    blocked = client.post(
        "/track", data={"shop": shop.slug, "number": seeded.number, "contact": seeded.email}
    )
    assert blocked.status_code == 429  # even the right answer waits: no oracle
    assert int(blocked.headers["retry-after"]) > 0
    assert "Too many attempts" in text(soup(blocked.text).select_one("[role=alert]"))
    # another order number from the same address still works
    other = sc.order(platform, shop.id, "delivered")
    ok = client.post(
        "/track", data={"shop": shop.slug, "number": other.number, "contact": other.email}
    )
    assert ok.status_code == 303


@pytest.mark.parametrize(
    ("number", "contact", "invalid"),
    [
        ("", "a@example.com", ["number"]),
        ("#1001", "", ["contact"]),
        ("1001", "not an email!", ["contact"]),
        ("x" * 65, "a@b.example", ["number"]),
        ("", "", ["number", "contact"]),
    ],
)
def test_lookup_validates_input_and_names_the_field(
    client: TestClient, number: str, contact: str, invalid: list[str]
) -> None:
    r = client.post("/track", data={"number": number, "contact": contact})
    assert r.status_code == 422
    page = soup(r.text)
    assert sorted(i["name"] for i in page.select("input[aria-invalid=true]")) == sorted(invalid)
    assert client.post("/track", content=b"x" * 10_000).status_code == 422


def test_api_order_carries_a_tracking_url_that_opens_the_page(
    client: TestClient, platform: Platform
) -> None:
    from postpurchase.service_layer import handlers

    merchant, key, *_ = handlers.create_merchant(platform.uow(), platform.clock, "Shop " + ref())
    seeded = sc.order(platform, merchant.id, "in_transit")
    r = client.get(f"/api/v1/orders/{seeded.order_id}", headers={"authorization": f"Bearer {key}"})
    url = r.json()["tracking_url"]
    assert url.endswith(f"/t/{seeded.token}")
    assert client.get(urlsplit(url).path).status_code == 200


def test_json_twin_matches_the_page_and_leaks_no_pii(
    client: TestClient, platform: Platform, shop: Any
) -> None:
    seeded = sc.order(platform, shop.id, "split")
    r = client.get(f"/api/v1/public/track/{seeded.token}?lang=es")
    assert r.status_code == 200
    body = r.json()
    assert body["language"] == "es" and body["headline"] == "Parte de tu pedido ya ha llegado"
    assert body["order"]["number"] == seeded.number
    assert body["order"]["destination"] == {
        "city": "Brooklyn",
        "region": "NY",
        "postal_code": "11201",
        "country": "US",
    }
    first, second = body["shipments"]
    assert (first["status"], second["status"]) == ("delivered", "in_transit")
    assert second["estimate"] == {
        "kind": "date",
        "text": "Sábado, 21 de noviembre",
        "note": "Estimación de UPS",
        "source": "carrier",
        "start": "2026-11-21",
        "end": "2026-11-21",
        "late": False,
        "late_since": None,
        "layer": "carrier",
        "model": None,
        "model_version": None,
    }
    assert first["events"][0]["local_time"] == "2026-11-19T13:18:00-05:00"
    assert body["items_not_shipped"] == [
        {"name": "Insulated steel bottle", "sku": "BTL-STEEL", "quantity": 1}
    ]
    assert body["rating"] == {"allowed": True, "score": None}
    raw = r.text
    assert seeded.email not in raw and "200 Court St" not in raw and "Sam Rivera" not in raw
    assert "<script>" not in body["custom_block"]["html"]


def test_json_twin_cors_is_per_merchant(client: TestClient, platform: Platform, shop: Any) -> None:
    token = sc.order(platform, shop.id, "in_transit").token
    url = f"/api/v1/public/track/{token}"
    allowed = client.get(url, headers={"origin": "https://www.northwind.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://www.northwind.example"
    assert "Origin" in allowed.headers["vary"]
    denied = client.get(url, headers={"origin": "https://evil.example"})
    assert denied.status_code == 200 and "access-control-allow-origin" not in denied.headers
    pre = client.options(
        url,
        headers={
            "origin": "https://www.northwind.example",
            "access-control-request-method": "GET",
        },
    )
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == "https://www.northwind.example"
    assert "GET" in pre.headers["access-control-allow-methods"]
    pre = client.options(url, headers={"origin": "https://evil.example"})
    assert pre.status_code == 204 and "access-control-allow-origin" not in pre.headers
    missing = client.get("/api/v1/public/track/nope-nope-nope-nope")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert missing.json()["field"] == "token"


def test_page_survives_a_failing_delivery_estimator(
    client: TestClient, platform: Platform, shop: Any
) -> None:
    def broken(*_: Any) -> Any:
        raise RuntimeError("model file missing")

    client.app.state.delivery_estimator = broken  # type: ignore[attr-defined]
    client.app.state.tracking_page = None  # type: ignore[attr-defined]
    seeded = sc.order(platform, shop.id, "in_transit")
    page = soup(client.get(f"/t/{seeded.token}").text)
    assert text(page.select_one(".hero .eta-note")) == "Estimate from UPS"


def test_confident_engine_estimate_wins_over_the_carrier(
    client: TestClient, platform: Platform, shop: Any
) -> None:
    from postpurchase.entrypoints.web.estimates import EngineEstimate

    def learned(order: Any, shipment: Any, now: Any) -> EngineEstimate:
        day = now.date() + timedelta(days=1)
        return EngineEstimate(day, day + timedelta(days=1), True, "learned/test")

    client.app.state.delivery_estimator = learned  # type: ignore[attr-defined]
    client.app.state.tracking_page = None  # type: ignore[attr-defined]
    page = soup(client.get(f"/t/{sc.order(platform, shop.id, 'in_transit').token}").text)
    assert text(page.select_one(".hero .eta-value")) == "Fri, Nov 20 – Sat, Nov 21"
    assert text(page.select_one(".hero .eta-note")) == "Our estimate, updated with every scan"


@pytest.mark.parametrize("kind", ["unfulfilled", "in_transit", "split", "delivered"])
def test_the_pages_two_reads_return_the_order_as_the_api_reads_it(
    kind: str, platform: Platform, shop: Any, engine: Engine
) -> None:
    seeded = sc.order(platform, shop.id, kind)
    with engine.connect() as conn:
        expected = read_models.get_order(conn, shop.id, seeded.order_id)
        assert expected is not None
        for shipment in expected["shipments"]:
            full = read_models.get_shipment(conn, shop.id, shipment["id"])
            assert full is not None
            shipment["events"] = full["events"]
        assert expected.pop("refunds") == []  # the API's read has them; the page shows none
        assert read_models.get_order_by_token(conn, seeded.token) == expected
        assert read_models.get_order_by_token(conn, "no-such-token-at-all") is None
    if kind == "split":
        assert len(expected["shipments"]) == 2 and len(expected["lines"]) == 3
    if kind != "unfulfilled":
        assert expected["shipments"][0]["events"]


class Ticks:
    """A monotonic clock the test moves by hand (the page caches' time base)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticks(client: TestClient) -> Ticks:
    """The app's page state on a hand-moved clock, 1 s staleness bound, sweeps run by hand."""
    clock = Ticks()
    client.app.state.tracking_page = PageState(  # type: ignore[attr-defined]
        clock=clock, max_stale=1.0, background_sweep=False
    )
    return clock


def page_state(client: TestClient) -> PageState:
    state: PageState = client.app.state.tracking_page  # type: ignore[attr-defined]
    return state


def new_scan(platform: Platform, shop: Any, order_id: str) -> None:
    from postpurchase.domain import commands
    from postpurchase.domain.status import ShipmentStatus
    from postpurchase.domain.tracking import TrackingEvent

    with platform.engine.connect() as conn:
        shipment = conn.execute(
            t.shipments.select().where(t.shipments.c.order_id == order_id)
        ).first()
    assert shipment is not None
    scan = TrackingEvent(
        occurred_at=sc.NOW - timedelta(minutes=30),
        status=ShipmentStatus.OUT_FOR_DELIVERY,
        description="Out For Delivery Today",
    )
    update_ = commands.TrackingUpdate(shipment.tracking_number, "ups", (scan,))
    platform.bus().handle(commands.RecordTracking(shop.id, (update_,)))


def test_a_new_scan_shows_within_the_staleness_bound(
    client: TestClient, platform: Platform, shop: Any, ticks: Ticks
) -> None:
    seeded = sc.order(platform, shop.id, "in_transit")
    url = f"/t/{seeded.token}"
    first = client.get(url)
    state = page_state(client)
    assert client.get(url).content == first.content
    assert state.responses.hits == 1  # the repeat view never reached the route
    new_scan(platform, shop, seeded.order_id)
    ticks.now += 0.9  # within the bound the page may still be the one read 0.9 s ago ...
    assert client.get(url).content == first.content
    ticks.now += 0.1  # ... but not once the bound is reached
    assert text(soup(client.get(url).text).h1) == "Out for delivery"
    json_now = client.get(f"/api/v1/public/track/{seeded.token}").json()
    assert json_now["shipments"][0]["status"] == "out_for_delivery"
    # another language is another entry
    assert text(soup(client.get(f"{url}?lang=de").text).h1) == "In Zustellung"


def test_the_sweep_keeps_unchanged_pages_fresh_and_drops_changed_ones(
    client: TestClient, platform: Platform, shop: Any, ticks: Ticks
) -> None:
    calm = sc.order(platform, shop.id, "in_transit")
    moving = sc.order(platform, shop.id, "in_transit")
    for seeded in (calm, moving):
        client.get(f"/t/{seeded.token}")
        client.get(f"/t/{seeded.token}")  # a view since the last sweep: the sweep checks it
    new_scan(platform, shop, moving.order_id)
    ticks.now += 0.6
    page_state(client).sweep(platform.engine)
    ticks.now += 0.9  # 1.5 s after the first read, 0.9 s after the sweep's
    hits = page_state(client).responses.hits
    assert text(soup(client.get(f"/t/{calm.token}").text).h1) == "On its way"
    assert page_state(client).responses.hits == hits + 1  # extended by the sweep
    assert text(soup(client.get(f"/t/{moving.token}").text).h1) == "Out for delivery"
    assert page_state(client).responses.hits == hits + 1  # dropped by the sweep: rendered


def test_an_expired_answer_is_checked_again_before_routing(
    client: TestClient, platform: Platform, shop: Any, ticks: Ticks
) -> None:
    seeded = sc.order(platform, shop.id, "in_transit")
    url = f"/t/{seeded.token}"
    first = client.get(url)
    state = page_state(client)
    routed = state.pages.hits + state.pages.misses
    ticks.now += 1.0  # past the bound: the middleware reads the version, nothing changed
    again = client.get(url, headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304 and again.headers["etag"] == first.headers["etag"]
    assert state.pages.hits + state.pages.misses == routed  # answered before routing
    ticks.now += 0.9  # extended from the check's read: still fresh, no read at all
    assert client.get(url).content == first.content
    new_scan(platform, shop, seeded.order_id)
    ticks.now += 0.1  # past the extension: the check sees the new scan and the route renders
    assert text(soup(client.get(url).text).h1) == "Out for delivery"
    assert state.pages.misses > 0 and state.pages.hits + state.pages.misses == routed + 1


def test_cached_views_start_the_sweep(client: TestClient, platform: Platform, shop: Any) -> None:
    clock = Ticks()
    state = PageState(clock=clock, max_stale=1.0)
    client.app.state.tracking_page = state  # type: ignore[attr-defined]
    url = f"/t/{sc.order(platform, shop.id, 'in_transit').token}"
    client.get(url)  # read at 1000.0: fresh until 1001.0
    clock.now += 0.6
    client.get(url)  # a cached view; a sweep is due, reads at 1000.6: fresh until 1001.6
    for _ in range(200):
        if not state.responses.sweeping:
            break
        time.sleep(0.01)
    assert state.responses.last_sweep == 1000.6 and not state.responses.sweeping
    clock.now += 0.6
    hits = state.responses.hits
    client.get(url)
    assert state.responses.hits == hits + 1


def test_a_branding_change_shows_within_the_bound(
    client: TestClient, platform: Platform, ticks: Ticks
) -> None:
    m = sc.merchant(platform, settings={"branding": {"primary_color": "#14532d"}})
    url = f"/t/{sc.order(platform, m.id, 'in_transit').token}"
    assert "--brand:#14532d" in client.get(url).text
    sc.set_settings(platform.engine, m.id, {"branding": {"primary_color": "#7c3aed"}})
    ticks.now += 1.0
    assert "--brand:#7c3aed" in client.get(url).text


def test_a_rating_shows_at_once(
    client: TestClient, platform: Platform, shop: Any, ticks: Ticks
) -> None:
    seeded = sc.order(platform, shop.id, "delivered")
    url = f"/t/{seeded.token}"
    assert soup(client.get(url).text).select_one(".stars [aria-pressed=true]") is None
    client.post(f"{url}/rating", data={"score": "4"})
    assert soup(client.get(url).text).select_one(".stars [aria-pressed=true]")["value"] == "4"


def test_if_none_match_gets_a_304_from_the_route_and_from_the_cache(
    client: TestClient, platform: Platform, shop: Any, ticks: Ticks
) -> None:
    seeded = sc.order(platform, shop.id, "in_transit")
    for url in (f"/t/{seeded.token}", f"/api/v1/public/track/{seeded.token}"):
        full = client.get(url)
        etag = full.headers["etag"]
        cached = client.get(url, headers={"if-none-match": etag})  # the fast path
        assert cached.status_code == 304 and cached.content == b""
        assert cached.headers["etag"] == etag
        assert cached.headers["cache-control"] == full.headers["cache-control"]
        page_state(client).responses.clear()
        routed = client.get(url, headers={"if-none-match": f'W/{etag}, "other"'})  # the route
        assert routed.status_code == 304 and routed.content == b""
        assert routed.headers["etag"] == etag
        assert "content-type" not in routed.headers
        assert client.get(url, headers={"if-none-match": '"stale"'}).status_code == 200
        if url.startswith("/t/"):
            assert (
                cached.headers["content-security-policy"] == full.headers["content-security-policy"]
            )


def test_the_cache_never_mixes_hosts_tenants_or_languages(
    client: TestClient, platform: Platform, ticks: Ticks
) -> None:
    domain = f"track-{ref()}.example.com"
    own = sc.merchant(platform, settings={"tracking_page": {"custom_domains": [domain]}})
    other = sc.merchant(platform, settings={"branding": {"display_name": "Other Shop"}})
    mine = sc.order(platform, own.id, "in_transit")
    theirs = sc.order(platform, other.id, "in_transit")
    # cached on the default host, another shop's page is still a 404 on the custom domain
    for _ in range(2):
        assert client.get(f"/t/{theirs.token}").status_code == 200
        assert client.get(f"/t/{theirs.token}", headers={"host": domain}).status_code == 404
        assert client.get(f"/t/{mine.token}", headers={"host": domain}).status_code == 200
    # each token is its own page: never another order's, whatever was cached first
    a = client.get(f"/t/{mine.token}", headers={"host": domain}).text
    b = client.get(f"/t/{theirs.token}").text
    assert mine.number in a and theirs.number not in a
    assert theirs.number in b and "Other Shop" in b and mine.number not in b
    # the language cookie is part of the key (so is Accept-Language: see the unit tests)
    fr = client.get(f"/t/{theirs.token}", headers={"cookie": "pp_lang=fr"})
    assert soup(fr.text).html["lang"] == "fr"
    assert soup(client.get(f"/t/{theirs.token}").text).html["lang"] == "en"
    # a ?lang= switch is cached with its cookie
    for _ in range(2):
        es = client.get(f"/t/{theirs.token}?lang=es")
        assert soup(es.text).html["lang"] == "es" and "pp_lang=es" in es.headers["set-cookie"]
        client.cookies.clear()


def test_the_cache_is_bounded_and_can_be_turned_off(
    client: TestClient, platform: Platform, shop: Any
) -> None:
    client.app.state.tracking_page = PageState(  # type: ignore[attr-defined]
        responses=ResponseCache(entries=2), background_sweep=False
    )
    orders = [sc.order(platform, shop.id, "in_transit") for _ in range(3)]
    for seeded in orders:
        client.get(f"/t/{seeded.token}")
    assert len(page_state(client).responses) == 2
    client.app.state.tracking_page = PageState(max_stale=0)  # type: ignore[attr-defined]
    for _ in range(2):
        client.get(f"/t/{orders[0].token}")
    assert len(page_state(client).responses) == 0
    assert page_state(client).pages.hits == 1  # every view checked the version


def test_email_survey_link_preselects_the_score_but_only_a_tap_records_it(
    client: TestClient, platform: Platform, shop: Any, engine: Engine
) -> None:
    seeded = sc.order(platform, shop.id, "delivered")
    r = client.get(f"/t/{seeded.token}/survey", params={"rating": 4})
    assert r.status_code == 303
    page = soup(client.get(r.headers["location"].split("#")[0]).text)
    assert text(page.select_one(".rating-status")) == "Tap “Good” to send your rating."
    assert page.select_one(".stars button[autofocus]")["value"] == "4"
    assert [b["value"] for b in page.select(".stars button.on")] == ["1", "2", "3", "4"]
    assert page.select_one(".stars [aria-pressed=true]") is None
    with engine.connect() as conn:
        assert tracking_views.get_rating(conn, seeded.order_id) is None
    client.post(f"/t/{seeded.token}/rating", data={"score": "4"})
    with engine.connect() as conn:
        assert tracking_views.get_rating(conn, seeded.order_id) == 4
