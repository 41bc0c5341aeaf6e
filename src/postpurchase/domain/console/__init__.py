"""The merchant console's pure rules: roles and what they allow, users, passwords, one-time
links, and which shipments need attention. Others import this package, not its modules."""

from __future__ import annotations

from postpurchase.domain.console.attention import (
    Attention,
    ParcelFacts,
    kinds_of,
    still_resolved,
)
from postpurchase.domain.console.queries import (
    PER_PAGE,
    OrderQuery,
    Page,
    Paged,
    clean_text,
    parse_day,
    parse_order_query,
    parse_page,
)
from postpurchase.domain.console.roles import ACT, CONFIGURE, MANAGE_TEAM, READ, Role
from postpurchase.domain.console.users import (
    MIN_PASSWORD,
    ConsoleUser,
    Principal,
    TokenPurpose,
    check_password,
    normalise_email,
)

__all__ = [
    "ACT",
    "CONFIGURE",
    "MANAGE_TEAM",
    "MIN_PASSWORD",
    "PER_PAGE",
    "READ",
    "Attention",
    "ConsoleUser",
    "OrderQuery",
    "Page",
    "Paged",
    "ParcelFacts",
    "Principal",
    "Role",
    "TokenPurpose",
    "check_password",
    "clean_text",
    "kinds_of",
    "normalise_email",
    "parse_day",
    "parse_order_query",
    "parse_page",
    "still_resolved",
]
