"""The console's pure rules: roles are ordered, passwords and addresses are checked, and the
exceptions queue's kinds follow the shipment's facts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postpurchase.domain.console import (
    Attention,
    ParcelFacts,
    Role,
    check_password,
    kinds_of,
    normalise_email,
    still_resolved,
)
from postpurchase.domain.errors import InvalidInput

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


@given(st.sampled_from(list(Role)), st.sampled_from(list(Role)))
def test_roles_are_ordered(have: Role, need: Role) -> None:
    order = [Role.VIEWER, Role.AGENT, Role.OWNER]
    assert have.allows(need) == (order.index(have) >= order.index(need))


def test_role_parse_names_the_field() -> None:
    assert Role.parse(" Owner ") is Role.OWNER
    with pytest.raises(InvalidInput) as err:
        Role.parse("admin", field="--role")
    assert err.value.field == "--role"


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("short", False),
        ("aaaaaaaaaaaa", False),
        ("ada@example.com", False),
        ("ada", False),
        ("x" * 257, False),
        ("correct horse battery", True),
    ],
)
def test_password_rules(password: str, ok: bool) -> None:
    if ok:
        assert check_password(password, email="ada@example.com") == password
    else:
        with pytest.raises(InvalidInput):
            check_password(password, email="ada@example.com")


def test_email_is_normalised_or_refused() -> None:
    assert normalise_email("  Ada@Example.COM ") == "ada@example.com"
    for bad in ("", "ada", "ada@localhost", "a b@example.com", "<a>@example.com"):
        with pytest.raises(InvalidInput):
            normalise_email(bad)


def facts(**kw: object) -> ParcelFacts:
    base: dict[str, object] = {
        "status": "in_transit",
        "substatus": None,
        "tracking_valid": True,
        "created_at": NOW - timedelta(days=2),
        "last_scan_at": NOW - timedelta(hours=5),
        "promise": date(2026, 11, 25),
    }
    base.update(kw)
    return ParcelFacts(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, set()),
        ({"promise": date(2026, 11, 19)}, {Attention.LATE}),
        ({"promise": date(2026, 11, 20)}, set()),  # due today is not late yet
        ({"last_scan_at": NOW - timedelta(days=5)}, {Attention.NO_SCAN}),
        ({"last_scan_at": None, "created_at": NOW - timedelta(days=6)}, {Attention.NO_SCAN}),
        ({"status": "exception", "substatus": "delayed"}, {Attention.NO_SCAN}),
        ({"status": "attempt_failed"}, {Attention.FAILED_ATTEMPT}),
        ({"tracking_valid": False}, {Attention.INVALID_TRACKING}),
        ({"status": "exception", "substatus": "address_issue"}, {Attention.ADDRESS_PROBLEM}),
        (
            {"status": "exception", "substatus": "returned_to_sender"},
            {Attention.RETURNED_TO_SENDER},
        ),
        ({"status": "exception", "substatus": "damaged"}, {Attention.CARRIER_EXCEPTION}),
        ({"status": "exception", "substatus": None}, {Attention.CARRIER_EXCEPTION}),
        (
            {"status": "delivered", "tracking_valid": False, "promise": date(2026, 1, 1)},
            set(),
        ),
        (
            {"status": "available_for_pickup", "last_scan_at": NOW - timedelta(days=9)},
            set(),
        ),
    ],
)
def test_kinds_of(changes: dict[str, object], expected: set[Attention]) -> None:
    assert kinds_of(facts(**changes), NOW, no_scan_days=5) == expected


def test_a_resolution_holds_until_the_shipment_has_news() -> None:
    at = NOW
    assert still_resolved(at, None)
    assert still_resolved(at, at - timedelta(minutes=1))
    assert not still_resolved(at, at + timedelta(seconds=1))
