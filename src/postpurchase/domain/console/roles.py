"""Who may do what in the console: three roles, ordered, and the permissions each one has.

The order is the point: an owner can do everything an agent can, an agent everything a
viewer can. Pages and actions ask for the least role that may use them, so a new page never
needs a table of its own (``Role.AGENT.allows(Role.VIEWER)``).
"""

from __future__ import annotations

from enum import StrEnum

from postpurchase.domain.errors import InvalidInput


class Role(StrEnum):
    """``viewer`` reads; ``agent`` also acts on orders and shoppers (messages, reships,
    refunds, resolving exceptions); ``owner`` also changes settings and the team."""

    VIEWER = "viewer"
    AGENT = "agent"
    OWNER = "owner"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def allows(self, needed: Role) -> bool:
        """Whether this role may use what ``needed`` may (roles are ordered)."""
        return self.rank >= needed.rank

    @classmethod
    def parse(cls, raw: str, *, field: str = "role") -> Role:
        try:
            return cls(raw.strip().lower())
        except (ValueError, AttributeError):
            choices = ", ".join(r.value for r in cls)
            raise InvalidInput(f"role must be one of {choices}", field=field) from None


_RANK = {Role.VIEWER: 0, Role.AGENT: 1, Role.OWNER: 2}

# What each kind of page or action needs, named so a page says why it asks for a role.
READ = Role.VIEWER
ACT = Role.AGENT  # message a shopper, reship, refund, resolve an exception
CONFIGURE = Role.OWNER  # settings, API keys, webhooks, integrations, carriers
MANAGE_TEAM = Role.OWNER  # invite, change roles, remove members
