"""The tracking page's pure parts: catalogue, language and zone choice, branding safety,
lookup matching, rate limiting, estimate choice, milestones and the response cache. No I/O."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest

from postpurchase.adapters.db.tracking_views import PageVersion
from postpurchase.entrypoints.web import branding as b
from postpurchase.entrypoints.web import fastpath as fp
from postpurchase.entrypoints.web import i18n, lookup
from postpurchase.entrypoints.web.estimates import EngineEstimate, choose
from postpurchase.entrypoints.web.page import steps_for
from postpurchase.entrypoints.web.ratelimit import LookupLimiter, TokenBucketLimiter

PLACEHOLDER = re.compile(r"\{(\w+)\}")


# ---- i18n -------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", [lang for lang in i18n.LANGUAGES if lang != "en"])
def test_every_language_has_every_message_with_the_same_placeholders(lang: str) -> None:
    catalogue = i18n.CATALOGUE[lang]
    assert set(catalogue) == set(i18n.EN)
    for key, english in i18n.EN.items():
        assert set(PLACEHOLDER.findall(catalogue[key])) == set(PLACEHOLDER.findall(english)), key
        assert catalogue[key].strip()


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("pt_br", "pt-BR"),
        ("pt-PT", "pt-BR"),
        ("es-MX", "es"),
        ("DE-at", "de"),
        ("fr", "fr"),
        ("en-GB", "en"),
        ("zh-CN", None),
        ("", None),
        (None, None),
        ("x" * 50, None),
    ],
)
def test_normalise_language(tag: str | None, expected: str | None) -> None:
    assert i18n.normalise_language(tag) == expected


def test_accept_language_honours_q_values() -> None:
    header = "zh-CN, fr;q=0.4, de-DE;q=0.9, es;q=0, en;q=0.8"
    assert i18n.parse_accept_language(header) == ["de", "en", "fr"]
    assert i18n.parse_accept_language("garbage;q=x,,") == []


def test_language_priority_explicit_then_order_then_browser_then_merchant() -> None:
    assert i18n.choose_language("fr", "de", "es", accept_language="pt") == "fr"
    assert i18n.choose_language(None, "de", "es", accept_language="pt") == "de"
    assert i18n.choose_language(None, None, "es", accept_language="pt-BR,en") == "pt-BR"
    assert i18n.choose_language(None, None, "es", accept_language=None) == "es"
    assert i18n.choose_language(None, "klingon", None) == "en"


def test_plural_rules() -> None:
    assert i18n.translator("en").plural("order.parcels", 1) == "Your order ships in 1 parcel."
    assert i18n.translator("en").plural("order.parcels", 0).endswith("0 parcels.")
    assert (
        i18n.translator("fr").plural("timeline.more", 0) == "Voir tout l’historique (0 mise à jour)"
    )
    assert i18n.translator("de").plural("order.parcels", 3) == "Ihre Bestellung kommt in 3 Paketen."


def test_dates_read_naturally_in_each_language() -> None:
    d = date(2026, 11, 26)
    days = {lang: i18n.translator(lang).day(d) for lang in i18n.LANGUAGES}
    assert days == {
        "en": "Thursday, November 26",
        "es": "jueves, 26 de noviembre",
        "pt-BR": "quinta-feira, 26 de novembro",
        "fr": "jeudi 26 novembre",
        "de": "Donnerstag, 26. November",
    }
    t = i18n.translator("en")
    assert t.relative_day(d, date(2026, 11, 25)) == "Tomorrow"
    assert t.relative_day(d, d) == "Today"
    assert t.day_range(date(2026, 11, 24), d) == "Tue, Nov 24\u2009–\u2009Thu, Nov 26"


@pytest.mark.parametrize(
    ("order_tz", "merchant_tz", "country", "region", "expected"),
    [
        ("Europe/Lisbon", "America/New_York", "US", "CA", "Europe/Lisbon"),
        (None, "America/Chicago", "US", "NY", "America/Chicago"),
        (None, "Europe/Lisbon", "BR", "SP", "America/Sao_Paulo"),  # foreign shop: not its clock
        (None, "UTC", "US", "CA", "America/Los_Angeles"),  # UTC is the unset placeholder
        (None, "UTC", "US", None, "America/New_York"),
        (None, "UTC", "BR", "AM", "America/Manaus"),
        (None, "UTC", "FR", None, "Europe/Paris"),
        ("Not/AZone", None, "DE", None, "Europe/Berlin"),
        (None, None, None, None, "UTC"),
    ],
)
def test_shopper_zone_chain(
    order_tz: str | None, merchant_tz: str | None, country: str | None, region: str | None,
    expected: str,
) -> None:  # fmt: skip
    assert i18n.shopper_zone(order_tz, merchant_tz, country, region).key == expected


# ---- branding ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("#ABC", "#aabbcc"), ("#0b5cad", "#0b5cad"), ("red", None), ("#12345", None), (3, None)],
)
def test_safe_colour(value: Any, expected: str | None) -> None:
    assert b.safe_colour(value) == expected


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("https://cdn.example/logo.png", True),
        ("/returns", True),
        ("http://localhost:8000/x", True),
        ("http://shop.example/x", False),
        ("//evil.example/x", False),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("data:text/html,<script>", False),
        ("https://ok.example/\nx", False),
        ("", False),
    ],
)
def test_safe_url(value: str, ok: bool) -> None:
    assert (b.safe_url(value) is not None) is ok


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        '<a href=" javascript:alert(1)">x</a>',
        '<p style="background:url(javascript:alert(1))">x</p>',
        "<svg><script>alert(1)</script></svg>",
        '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
        "<<script>script>alert(1)<</script>/script>",
        '<a href="https://ok.example" onmouseover="alert(1)">x</a>',
        "<!--<script>alert(1)</script>-->",
        "<scr<script>ipt>alert(1)</script>",
    ],
)
def test_custom_block_html_cannot_run_script(payload: str) -> None:
    out = str(b.sanitise_html(payload)).lower()
    assert "<script" not in out and "javascript:" not in out
    assert not re.search(r"\son\w+=", out) and "style=" not in out and "<iframe" not in out


def test_custom_block_keeps_the_safe_subset() -> None:
    html = '<p>Use <strong>CODE</strong> <a href="https://shop.example/x">here</a><br>now</p>'
    assert str(b.sanitise_html(html)) == (
        '<p>Use <strong>CODE</strong> <a href="https://shop.example/x" rel="noopener nofollow">'
        "here</a><br>now</p>"
    )
    assert str(b.text_to_html("a < b\n\nc & d")) == "<p>a &lt; b</p><p>c &amp; d</p>"


@pytest.mark.parametrize("colour", ["#ffd500", "#ffffff", "#777777", "#14532d", "#e53935"])
def test_brand_colours_are_made_readable(colour: str) -> None:
    assert b.contrast(b.readable_on(colour, "#ffffff"), "#ffffff") >= 4.5
    assert b.contrast(b.on_colour(colour), colour) >= 4.5


def test_branding_parses_domains_origins_and_falls_back() -> None:
    brand = b.branding_from(
        "Shop",
        {
            "tracking_page": {
                "custom_domains": ["Track.Shop.Example.", "not a host", 3, "localhost"],
                "cors_origins": ["https://www.shop.example/", "ftp://x", "https://a.example/p"],
            }
        },
    )
    assert brand.custom_domains == ("track.shop.example",)
    assert brand.cors_origins == ("https://www.shop.example",)
    assert brand.allows_origin("https://www.shop.example")
    assert not brand.allows_origin("https://evil.example") and not brand.allows_origin(None)
    star = b.branding_from("Shop", {"tracking_page": {"cors_origins": "*"}})
    assert star.allows_origin("https://anything.example")
    assert b.branding_from("Shop", {"branding": "nonsense"}).primary == b.DEFAULT_PRIMARY
    assert b.request_host("Track.Shop.Example:8443") == "track.shop.example"
    assert b.request_host("[::1]:80") is None and b.request_host(None) is None


def test_fill_url_encodes_values() -> None:
    url = b.fill_url(
        "https://x.example/r?o={order_number}&t={token}&q={unknown}", order_number="#1 2"
    )
    assert url == "https://x.example/r?o=%231%202&t=&q={unknown}"


# ---- lookup -----------------------------------------------------------------------------------


def test_lookup_input_cleaning() -> None:
    assert lookup.clean_number("  #1001 ") == "1001"
    assert lookup.clean_number("#") is None and lookup.clean_number("<x>") is None
    assert lookup.clean_contact(" Ada@Example.COM ") == ("email", "ada@example.com")
    assert lookup.clean_contact("sw1a 1aa") == ("postal", "SW1A1AA")
    assert lookup.clean_contact("01310-100") == ("postal", "01310100")
    assert lookup.clean_contact("@@") is None and lookup.clean_contact("a") is None
    parsed, errors = lookup.parse("", "x")
    assert parsed is None and errors == {
        "number": "lookup.err.number",
        "contact": "lookup.err.contact",
    }
    assert lookup.number_variants("1001") == ["1001", "#1001"]


def _row(token: str, email: str | None, postal: str | None) -> dict[str, Any]:
    return {"tracking_token": token, "email": email, "shipping_address": {"postal_code": postal}}


def test_match_by_email_or_postal_code_first_candidate_wins() -> None:
    rows = [_row("new", "a@example.com", "10001"), _row("old", "a@example.com", "20002")]
    email, _ = lookup.parse("1", "A@example.com")
    postal, _ = lookup.parse("1", "200-02")
    assert email is not None and postal is not None
    assert lookup.match(rows, email) == "new"
    assert lookup.match(rows, postal) == "old"


def test_match_never_matches_missing_values() -> None:
    rows = [_row("t", None, None)]
    wanted, _ = lookup.parse("1", "a@example.com")
    assert wanted is not None
    assert lookup.match(rows, wanted) is None
    assert lookup.match([], wanted) is None


# ---- rate limiting ----------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_refills_over_time() -> None:
    clock = Clock()
    bucket = TokenBucketLimiter(2, 1 / 60, clock=clock)
    bucket.spend("k")
    bucket.spend("k")
    assert not bucket.peek("k")
    assert bucket.retry_after("k") == 60
    clock.now = 61
    assert bucket.peek("k")


def test_lookup_limiter_spends_from_both_buckets_or_neither() -> None:
    clock = Clock()
    limiter = LookupLimiter(per_order=(2, 1 / 60), per_ip=(3, 1 / 60), clock=clock)
    assert limiter.attempt("ip", "#1001") is None
    assert limiter.attempt("ip", "1001") is None  # '#' does not make it another order
    assert limiter.attempt("ip", "1001") == 60
    assert limiter.attempt("ip", "2002") is None  # third attempt from this IP
    assert limiter.attempt("ip", "3003") is not None  # the IP is out of tokens
    assert limiter.attempt("other-ip", "1001") is None


def test_limiter_memory_is_bounded() -> None:
    bucket = TokenBucketLimiter(1, 1, max_keys=10)
    for i in range(100):
        bucket.spend(str(i))
    assert len(bucket._buckets) == 10


# ---- estimates and milestones -----------------------------------------------------------------

NOW = datetime(2026, 11, 19, 12, tzinfo=UTC)
ORDER = {"promise_latest": date(2026, 11, 25), "promise_earliest": None}


def _ship(status: str, substatus: str | None = None, carrier: date | None = None) -> dict[str, Any]:
    return {"status": status, "substatus": substatus, "carrier_estimate": carrier}


def _engine(confident: bool) -> Any:
    def estimate(*_: Any) -> EngineEstimate:
        return EngineEstimate(date(2026, 11, 21), date(2026, 11, 22), confident, "m")

    return estimate


def test_estimate_sources_rank_confident_engine_carrier_promise_rough() -> None:
    carrier = _ship("in_transit", carrier=date(2026, 11, 23))
    chosen = choose(ORDER, carrier, NOW, _engine(True))
    assert chosen is not None and chosen.source == "engine"
    chosen = choose(ORDER, carrier, NOW, _engine(False))
    assert chosen is not None and (chosen.source, chosen.end) == ("carrier", date(2026, 11, 23))
    chosen = choose(ORDER, _ship("in_transit"), NOW, _engine(False))
    assert chosen is not None and (chosen.source, chosen.end) == ("promise", date(2026, 11, 25))
    no_promise = {"promise_latest": None, "promise_earliest": None}
    chosen = choose(no_promise, _ship("in_transit"), NOW, _engine(False))
    assert chosen is not None and chosen.source == "rough"
    assert choose(no_promise, _ship("in_transit"), NOW, None) is None


@pytest.mark.parametrize(
    ("status", "substatus"),
    [("exception", "lost"), ("exception", "returned_to_sender"), ("expired", None),
     ("delivered", None)],
)  # fmt: skip
def test_no_date_when_delivery_is_not_expected(status: str, substatus: str | None) -> None:
    assert choose(ORDER, _ship(status, substatus, date(2026, 11, 23)), NOW, _engine(True)) is None


def test_a_failing_estimator_falls_back() -> None:
    def broken(*_: Any) -> EngineEstimate:
        raise RuntimeError("boom")

    chosen = choose(ORDER, _ship("in_transit"), NOW, broken)
    assert chosen is not None and chosen.source == "promise"


@pytest.mark.parametrize(
    ("status", "handed", "states", "problem"),
    [
        (None, False, ["current", "todo", "todo", "todo", "todo"], None),
        ("info_received", False, ["done", "current", "todo", "todo", "todo"], None),
        ("in_transit", True, ["done", "done", "current", "todo", "todo"], None),
        ("available_for_pickup", True, ["done", "done", "done", "current", "todo"], None),
        ("attempt_failed", True, ["done", "done", "done", "current", "todo"], 3),
        ("exception", True, ["done", "done", "current", "todo", "todo"], 2),
        ("exception", False, ["done", "current", "todo", "todo", "todo"], 1),
        ("delivered", True, ["done", "done", "done", "done", "done"], None),
    ],
)
def test_milestones(
    status: str | None, handed: bool, states: list[str], problem: int | None
) -> None:
    steps = steps_for(i18n.translator("en"), status, handed)
    assert [s.state for s in steps] == states
    assert [i for i, s in enumerate(steps) if s.problem] == ([] if problem is None else [problem])
    if status == "available_for_pickup":
        assert steps[3].label == "Ready for pickup"
    assert steps_for(i18n.translator("en"), status, handed, cancelled=True) == ()


def test_a_rough_estimator_is_asked_only_when_nothing_better_exists() -> None:
    calls: list[str] = []

    class Rough:
        may_be_confident = False

        def __call__(self, *_: Any) -> EngineEstimate:
            calls.append("asked")
            return EngineEstimate(date(2026, 11, 21), date(2026, 11, 24), False, "rules")

    carrier = _ship("in_transit", carrier=date(2026, 11, 23))
    chosen = choose(ORDER, carrier, NOW, Rough())
    assert chosen is not None and chosen.source == "carrier" and calls == []
    no_promise = {"promise_latest": None, "promise_earliest": None}
    chosen = choose(no_promise, _ship("in_transit"), NOW, Rough())
    assert chosen is not None and chosen.source == "rough" and calls == ["asked"]


def test_times_and_days_are_formatted_on_the_shoppers_clock() -> None:
    at = datetime(2026, 11, 19, 18, 18, tzinfo=UTC)
    assert i18n.translator("en").time(at, i18n.zone("America/New_York")) == "1:18\u202fPM"
    assert i18n.translator("de").time(at, i18n.zone("Europe/Berlin")) == "19:18"
    assert i18n.translator("pt-BR").time(at, i18n.zone("America/Sao_Paulo")) == "15:18"


# ---- response cache ---------------------------------------------------------------------------

TOKEN = "tok_" + "a" * 20


def _scope(path: str = f"/t/{TOKEN}", query: bytes = b"", **headers: str) -> dict[str, Any]:
    raw = [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    return {"type": "http", "method": "GET", "path": path, "query_string": query, "headers": raw}


def _key(path: str = f"/t/{TOKEN}", query: bytes = b"", **headers: str) -> fp.Key | None:
    found = fp.request_key(_scope(path, query, **headers), lambda tok: len(tok) >= 16)
    return found.key if found else None


def test_the_key_holds_everything_the_answer_depends_on() -> None:
    base = _key(host="shop.example", accept_language="en")
    assert base is not None
    others = [
        _key(host="track.other.example", accept_language="en"),  # another host
        _key(host="shop.example", accept_language="de"),
        _key(host="shop.example", accept_language="en", cookie="pp_lang=fr"),
        _key(query=b"lang=es", host="shop.example", accept_language="en"),
        _key(query=b"rated=1", host="shop.example", accept_language="en"),
        _key(f"/t/{TOKEN[:-1]}b", host="shop.example", accept_language="en"),  # another order
    ]
    assert len({base, *others}) == 1 + len(others)
    # what it does not depend on: other cookies, the host's case; the JSON twin's host
    assert _key(host="Shop.Example", accept_language="en", cookie="_ga=1") == base
    api = f"/api/v1/public/track/{TOKEN}"
    assert _key(api, host="a.example") == _key(api, host="b.example")
    assert _key(api, origin="https://a.example") != _key(api, origin="https://b.example")
    assert _key(api) != _key()  # HTML and JSON never share an entry


def test_the_key_reads_the_first_header_like_starlette() -> None:
    scope = _scope(host="shop.example")
    scope["headers"].append((b"host", b"evil.example"))
    found = fp.request_key(scope, lambda tok: True)
    assert found is not None and found.key[3] == b"shop.example"


@pytest.mark.parametrize(
    "path", [f"/t/{TOKEN}/survey", f"/t/{TOKEN}/rating", "/t/", "/track", "/static/x.css", "/t/x"]
)
def test_only_pages_have_a_key(path: str) -> None:
    assert _key(path) is None


def test_etag_matching() -> None:
    tag = fp.etag_of(b"page")
    assert fp.etag_matches(tag, tag) and fp.etag_matches(f'"x", W/{tag}'.encode(), tag.encode())
    assert fp.etag_matches(b"*", tag)
    assert not fp.etag_matches(b'"x"', tag) and not fp.etag_matches(b"", tag)
    assert fp.etag_of(b"page") != fp.etag_of(b"page!")


def _entry(token: str = TOKEN, fresh_until: float = 10.0, expires: float = 60.0) -> fp.Entry:
    version = PageVersion("o", "m", "en", "shipped", datetime(2026, 1, 1), 1, 3, None, None)
    return fp.make_entry(
        token=token, version=version, settings={}, host=None,
        raw_headers=[(b"content-type", b"text/html"), (b"content-length", b"4"), (b"etag", b"x")],
        body=b"page", etag='"x"', expires=expires, fresh_until=fresh_until,
    )  # fmt: skip


def test_entries_are_served_until_fresh_until_and_never_past_the_render() -> None:
    cache = fp.ResponseCache()
    key = _key()
    assert key is not None
    entry = _entry()
    cache.store(key, entry)
    assert cache.lookup(key, 9.99) is entry and entry.used
    assert cache.lookup(key, 10.0) is None
    assert entry.headers_304 == [(b"etag", b"x")]  # no body headers on a 304
    cache.renew(key, entry, 200.0)
    assert entry.fresh_until == 60.0  # the render's own limit
    capped = _entry(fresh_until=100.0, expires=30.0)
    assert capped.fresh_until == 30.0


def test_the_sweep_only_touches_the_entry_it_checked() -> None:
    cache = fp.ResponseCache()
    key = _key()
    assert key is not None
    old, new = _entry(), _entry()
    cache.store(key, old)
    cache.lookup(key, 1.0)
    assert cache.take_used() == [(key, old)] and cache.take_used() == []
    cache.store(key, new)  # a fresher render replaced it meanwhile
    cache.drop(key, old)
    cache.renew(key, old, 50.0)
    assert cache.lookup(key, 1.0) is new and new.fresh_until == 10.0


def test_the_cache_is_an_lru_with_a_bound_and_forgets_orders() -> None:
    cache = fp.ResponseCache(entries=2)
    keys = [_key(f"/t/{c * 20}") for c in "abc"]
    for key, c in zip(keys, "abc", strict=True):
        assert key is not None
        cache.store(key, _entry(token=c * 20))
    assert len(cache) == 2 and cache.lookup(keys[0], 1.0) is None
    cache.drop_token("b" * 20)
    assert len(cache) == 1 and cache.lookup(keys[2], 1.0) is not None
    assert fp.ResponseCache(entries=0).entries == 0
