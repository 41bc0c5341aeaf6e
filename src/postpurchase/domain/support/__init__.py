"""Support contacts: recognising "where is my order?" and judging whether it was preventable.

The public face of the support context; other contexts import from here.
"""

from postpurchase.domain.support.contacts import (
    ContactState,
    Preventability,
    Recognition,
    order_number_hints,
    preventability,
    recognise,
    state_when_made,
)

__all__ = [
    "ContactState",
    "Preventability",
    "Recognition",
    "order_number_hints",
    "preventability",
    "recognise",
    "state_when_made",
]
