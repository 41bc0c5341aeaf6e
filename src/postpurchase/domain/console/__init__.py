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
    "PER_PAGE",
    "OrderQuery",
    "Page",
    "Paged",
    "clean_text",
    "parse_day",
    "parse_order_query",
    "parse_page",
    "ACT",
    "CONFIGURE",
    "MANAGE_TEAM",
    "MIN_PASSWORD",
    "READ",
    "Attention",
    "ConsoleUser",
    "ParcelFacts",
    "Principal",
    "Role",
    "TokenPurpose",
    "check_password",
    "kinds_of",
    "normalise_email",
    "still_resolved",
]
