"""The console's returns pages on both backends: the queue's filters and paging, bulk
approve and reject (agents and owners; a viewer sees but cannot act; tenants apart), the
detail page's steps through inspection with photos to the refund, each audited as the
signed-in person, the analytics page, and the policy page's draft, simulation and
activation (owners only, errors naming the field)."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest

from postpurchase.adapters.outbox import drain
from postpurchase.domain.console import Role
from postpurchase.entrypoints.api.routes.returns import returns_service
from postpurchase.service_layer.returns import LineAsk, ReturnAsk
from tests.integration.console.conftest import Console, Person, Store
from tests.integration.returns.conftest import Shop

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def shop_of(console: Console, store: Store) -> Shop:
    client = console.client()
    client.headers["Authorization"] = f"Bearer {store.key}"
    return Shop(console.platform, console.clock, store.merchant_id, store.key, client)


def a_return(shop: Shop, reason: str = "too_small", sku: str = "MUG-1", **kw: Any) -> Any:
    """A return of one unit of a delivered order (``damaged`` waits for review)."""
    order = shop.delivered_order(**kw)
    line = next(x.id for x in order.lines if x.sku == sku)
    ret, _, _ = returns_service(shop.platform).request(
        shop.merchant_id, order.id, ReturnAsk((LineAsk(line, 1, reason),))
    )
    return ret


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found
    return found.group(1)


def actions_of(shop: Shop, rid: str) -> list[tuple[str, str]]:
    got = shop.client.get("/api/v1/audit", params={"subject": f"return:{rid}"}).json()
    return [(e["action"], e["actor"]) for e in reversed(got["items"])]


def test_the_queue_filters_by_status_reason_resolution_search_and_dates(console: Console) -> None:
    shop = shop_of(console, console.a)
    small = a_return(shop, "too_small")
    damaged = a_return(shop, "damaged", sku="TEE-M")
    other = a_return(shop_of(console, console.b), "too_small")  # another store's
    viewer = console.a.viewer

    page = viewer.get("/console/returns")
    assert page.status_code == 200, page.text
    assert small.number in page.text and damaged.number in page.text
    assert other.number not in page.text
    assert 'name="ids"' not in page.text  # a viewer gets no boxes to tick

    def numbers(**params: str) -> set[str]:
        got = viewer.get("/console/returns", params=params)
        assert got.status_code == 200, got.text
        return {n for n in (small.number, damaged.number) if n in got.text}

    assert numbers(status="requested") == {damaged.number}
    assert numbers(status="approved") == {small.number}
    assert numbers(reason="damaged") == {damaged.number}
    assert numbers(review="1") == {damaged.number}
    assert numbers(resolution="refund") == {small.number, damaged.number}
    assert numbers(resolution="store_credit") == set()
    assert numbers(q=small.number) == {small.number}
    with shop.platform.uow() as uow:
        order = uow.orders.get(shop.merchant_id, small.order_id)
    assert numbers(q=order.number) == {small.number}
    assert numbers(q=order.number.lstrip("#")) == {small.number}
    assert numbers(q=order.email or "") == {small.number}
    assert numbers(q=(order.email or "")[:6].upper()) == {small.number}  # its beginning
    today = console.clock.now().date().isoformat()
    assert numbers(**{"from": today, "to": today}) == {small.number, damaged.number}
    assert numbers(**{"from": "2020-01-01", "to": "2020-01-02"}) == set()

    for params, field in (
        ({"status": "lost"}, "status"), ({"reason": "no spaces"}, "reason"),
        ({"resolution": "cash"}, "resolution"), ({"from": "31/12/2026"}, "from"),
        ({"from": "2026-12-31", "to": "2026-01-01"}, "from"), ({"page": "0"}, "page"),
    ):  # fmt: skip
        bad = viewer.get("/console/returns", params=params)
        assert bad.status_code == 400, params
        assert f'data-field="{field}"' in bad.text, params


def test_the_queue_pages_25_at_a_time(console: Console) -> None:
    shop = shop_of(console, console.a)
    made = [a_return(shop) for _ in range(26)]
    first = console.a.viewer.get("/console/returns")
    second = console.a.viewer.get("/console/returns", params={"page": "2"})
    assert sum(r.number in first.text for r in made) == 25
    assert [r.number for r in made if r.number in second.text] == [made[0].number]
    assert 'rel="next"' in first.text and 'rel="prev"' in second.text


@pytest.mark.parametrize("role", [Role.AGENT, Role.OWNER])
def test_bulk_approve_and_reject_each_audited_as_the_person(console: Console, role: Role) -> None:
    shop = shop_of(console, console.a)
    one, two, three = (a_return(shop, "damaged", sku="TEE-M") for _ in range(3))
    foreign = a_return(shop_of(console, console.b), "damaged", sku="TEE-M")
    person = console.a.people[role]
    done = person.post(
        "/console/returns/bulk",
        {"ids": [one.id, two.id, foreign.id, "not-an-id"], "action": "approve",
         "back": "/console/returns?review=1"},
    )  # fmt: skip
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/console/returns?review=1&done=approve&ok=2&refused=2"
    shown = person.get(done.headers["location"])
    assert "Approved 2; 2 could not be approved." in shown.text
    svc = returns_service(console.platform)
    assert svc.get(console.a.merchant_id, one.id).status.value == "approved"
    assert svc.get(console.b.merchant_id, foreign.id).status.value == "requested"  # untouched
    assert actions_of(shop, one.id) == [("returns.approve", f"user:{person.email}")]

    no_reason = person.post("/console/returns/bulk", {"ids": [three.id], "action": "reject"})
    assert no_reason.status_code == 400 and 'data-field="reason"' in no_reason.text
    rejected = person.post(
        "/console/returns/bulk", {"ids": [three.id, one.id], "action": "reject",
                                  "reason": "Photos show wear"},
    )  # fmt: skip
    assert rejected.headers["location"].endswith("done=reject&ok=1&refused=1")
    assert svc.get(console.a.merchant_id, three.id).rejection_reason == "Photos show wear"
    assert actions_of(shop, three.id) == [("returns.reject", f"user:{person.email}")]


def test_a_viewer_cannot_act_and_a_form_without_its_token_is_refused(console: Console) -> None:
    shop = shop_of(console, console.a)
    ret = a_return(shop, "damaged", sku="TEE-M")
    viewer = console.a.viewer
    assert (
        viewer.post("/console/returns/bulk", {"ids": [ret.id], "action": "approve"}).status_code
        == 403
    )
    assert viewer.post(f"/console/returns/{ret.id}/approve").status_code == 403
    detail = viewer.get(f"/console/returns/{ret.id}")
    assert detail.status_code == 200 and "/approve" not in detail.text
    agent = console.a.agent
    forged = agent.client.post(
        "/console/returns/bulk", data={"ids": [ret.id], "action": "approve", "csrf": "x" * 43},
        follow_redirects=False,
    )  # fmt: skip
    assert forged.status_code == 403
    assert returns_service(console.platform).get(shop.merchant_id, ret.id).status.value == (
        "requested"
    )
    # Another store's return is "not found" for every page and action.
    other = console.b.agent
    assert other.get(f"/console/returns/{ret.id}").status_code == 404
    assert other.post(f"/console/returns/{ret.id}/approve").status_code == 404


def test_inspect_with_photos_restock_into_a_location_then_refund(console: Console) -> None:
    shop = shop_of(console, console.a)
    order = shop.delivered_order()
    mug = next(x.id for x in order.lines if x.sku == "MUG-1")
    svc = returns_service(console.platform)
    shopper_photo = svc.add_photo(shop.merchant_id, order.id, PNG)
    ret, _, _ = svc.request(
        shop.merchant_id, order.id, ReturnAsk((LineAsk(mug, 1, "too_small", (shopper_photo.id,)),))
    )
    agent = console.a.agent
    page = agent.get(f"/console/returns/{ret.id}")
    assert page.status_code == 200
    assert "Stoneware mug" in page.text
    photo_url = f"/console/returns/{ret.id}/photos/{shopper_photo.id}"
    assert photo_url in page.text
    got = agent.get(photo_url)
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["content-type"] == "image/png"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert console.b.owner.get(photo_url).status_code == 404  # only to the merchant
    assert agent.get(f"/console/returns/{ret.id}/photos/{'0' * 32}").status_code == 404

    assert agent.post(f"/console/returns/{ret.id}/receive").status_code == 303
    not_image = agent.client.post(
        f"/console/returns/{ret.id}/inspect",
        data={"csrf": agent.csrf, "grade_0": "resellable", "location": "WH-1"},
        files={"photo_0": ("scan.png", io.BytesIO(b"%PDF-1.4 not an image"), "image/png")},
        follow_redirects=False,
    )
    assert not_image.status_code == 400 and 'data-field="photo_0"' in not_image.text
    assert svc.get(shop.merchant_id, ret.id).status.value == "received"  # nothing changed
    bad_location = agent.post(
        f"/console/returns/{ret.id}/inspect", {"grade_0": "resellable", "location": "a b"}
    )
    assert bad_location.status_code == 400 and 'data-field="location"' in bad_location.text
    no_grade = agent.post(f"/console/returns/{ret.id}/inspect", {"grade_0": ""})
    assert no_grade.status_code == 400 and 'data-field="grade_0"' in no_grade.text

    done = agent.client.post(
        f"/console/returns/{ret.id}/inspect",
        data={"csrf": agent.csrf, "grade_0": "resellable", "note_0": "as new", "location": "WH-1"},
        files={"photo_0": ("box.png", io.BytesIO(PNG), "image/png")},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    inspected = svc.get(shop.merchant_id, ret.id)
    assert inspected.status.value == "restocked"
    assert inspected.lines[0].grade is not None and inspected.lines[0].note == "as new"
    assert len(inspected.lines[0].photos) == 2  # the shopper's and the inspector's
    assert inspected.lines[0].location == "WH-1"  # kept on the line (migration 0030)
    page = agent.get(f"/console/returns/{ret.id}")
    assert "Refund $12.15" in page.text
    assert 'Restocked into <strong class="restock-location">WH-1</strong>' in page.text
    # the restock event reaches the store's inventory (or says why not): shown on the line
    drain(shop.platform.engine, shop.platform.subscribers, now=shop.clock.now)
    page = agent.get(f"/console/returns/{ret.id}")
    assert 'In the store&#39;s inventory: <strong class="store-stock-status">skipped' in page.text
    assert agent.post(f"/console/returns/{ret.id}/resolve").status_code == 303
    assert svc.get(shop.merchant_id, ret.id).status.value == "refunded"
    again = agent.post(f"/console/returns/{ret.id}/resolve")
    assert again.status_code == 409 and 'data-field="status"' in again.text

    me = f"user:{agent.email}"
    assert actions_of(shop, ret.id) == [
        ("returns.approve", "system:policy"), ("returns.receive", me),
        ("returns.inspect", me), ("returns.put_away", me),
        ("returns.store_stock", "system:store-stock"), ("returns.refund", me),
    ]  # fmt: skip
    timeline = agent.get(f"/console/returns/{ret.id}").text
    assert me in timeline and "WH-1" in timeline and "system:policy" in timeline


def test_the_audit_tab_shows_return_steps(console: Console) -> None:
    shop = shop_of(console, console.a)
    ret = a_return(shop, "damaged", sku="TEE-M")
    owner = console.a.owner
    assert owner.post(f"/console/returns/{ret.id}/approve").status_code == 303
    audit = owner.get("/console/settings/audit")
    assert audit.status_code == 200
    assert "returns.approve" in audit.text and f"return:{ret.id}" in audit.text


def test_analytics_page_draws_the_charts_with_their_tables(console: Console) -> None:
    shop = shop_of(console, console.a)
    a_return(shop, "too_small")
    a_return(shop, "damaged", sku="TEE-M")
    page = console.a.viewer.get("/console/returns/analytics")
    assert page.status_code == 200, page.text
    assert page.text.count("<svg") == 4
    assert 'id="sku-title"' in page.text and 'id="reason-title"' in page.text
    assert "MUG-1" in page.text and "too_small" in page.text
    assert "No graded returns in this period yet." in page.text  # nothing inspected yet
    bad = console.a.viewer.get("/console/returns/analytics", params={"from": "yesterday"})
    assert bad.status_code == 400 and 'data-field="from"' in bad.text


def test_analytics_page_lists_keep_it_advice_per_sku(console: Console) -> None:
    """Graded returns give the SKU a measured resale rate; the label and handling are the
    policy's (no label bought here), marked with *; another merchant sees none of it."""
    shop = shop_of(console, console.a)
    keep = {"keep_it": {"default": {"label": "6", "handling": "3", "resale_rate": "0.9"}}}
    assert shop.client.put("/api/v1/returns/policy", json=keep).status_code == 200
    svc = returns_service(console.platform)
    for _ in range(3):
        ret = a_return(shop)
        svc.receive(shop.merchant_id, ret.id, actor="cli")
        inspect = {"lines": [{"order_line_id": ret.lines[0].order_line_id, "grade": "damaged"}]}
        got = shop.client.post(f"/api/v1/returns/{ret.id}/inspect", json=inspect)
        assert got.status_code == 200, got.text
    page = console.a.viewer.get("/console/returns/analytics")
    assert page.status_code == 200, page.text
    assert "Keep-it advice per SKU" in page.text
    row = re.search(r'<th scope="row">MUG-1</th>(.*?)</tr>', page.text)
    assert row is not None, page.text
    # 3 graded, all damaged: resale 0 %; 6 + 3 − 0 = $9.00 to bring one back → offer keep-it.
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))
    assert cells == ["3", "0%", "$6.00<sup>*</sup>", "$3.00<sup>*</sup>", "$9.00", "yes"]
    other = console.b.viewer.get("/console/returns/analytics")
    assert "MUG-1</th>" not in other.text


def _policy_form(person: Person, **fields: str) -> dict[str, str]:
    return {"window_days": "30", "resolutions_shown": "1", "resolution_refund": "1",
            "resolution_store_credit": "1", "document": "{}", "months": "12", **fields}  # fmt: skip


def test_policy_draft_is_checked_simulated_then_activated_by_an_owner(console: Console) -> None:
    shop = shop_of(console, console.a)
    a_return(shop, "too_small")
    owner = console.a.owner
    page = owner.get("/console/returns/policy")
    assert page.status_code == 200 and "Check and simulate" in page.text

    unknown = owner.post(
        "/console/returns/policy/simulate",
        _policy_form(owner, document='{"keep_it": {"default": {"lable": "1"}}}'),
    )
    assert unknown.status_code == 400
    assert 'data-field="keep_it.default.lable"' in unknown.text
    assert "lable" in unknown.text  # the draft is shown again as typed
    broken = owner.post("/console/returns/policy/simulate", _policy_form(owner, document="{"))
    assert broken.status_code == 400 and 'data-field="document"' in broken.text
    days = owner.post("/console/returns/policy/simulate", _policy_form(owner, window_days="x"))
    assert days.status_code == 400 and 'data-field="window_days"' in days.text
    months = owner.post("/console/returns/policy/simulate", _policy_form(owner, months="99"))
    assert months.status_code == 400 and 'data-field="months"' in months.text

    tight = owner.post("/console/returns/policy/simulate", _policy_form(owner, window_days="0"))
    assert tight.status_code == 200, tight.text
    assert "requests replayed" in tight.text and "refused by window" in tight.text
    assert "Activate this draft" in tight.text
    assert returns_service(console.platform).policy(shop.merchant_id).window_days == 30  # unsaved

    activated = owner.post(
        "/console/returns/policy/activate",
        _policy_form(owner, window_days="45", restocking_fee_rate="10"),
    )
    assert activated.status_code == 303, activated.text
    active = returns_service(console.platform).policy(shop.merchant_id)
    assert active.window_days == 45 and str(active.restocking_fee_rate) == "0.1"
    entries = shop.client.get("/api/v1/audit", params={"subject": "returns.policy"}).json()
    [entry] = entries["items"]
    assert (entry["action"], entry["actor"]) == ("returns.policy.activate", f"user:{owner.email}")
    assert entry["changes"]["window_days"] == [30, 45]
    shown = owner.get("/console/returns/policy")
    assert "In force: version 1" in shown.text


@pytest.mark.parametrize("role", [Role.AGENT, Role.VIEWER])
def test_only_owners_simulate_or_activate(console: Console, role: Role) -> None:
    person = console.a.people[role]
    assert person.get("/console/returns/policy").status_code == 200
    for path in ("/console/returns/policy/simulate", "/console/returns/policy/activate"):
        assert person.post(path, _policy_form(person)).status_code == 403
