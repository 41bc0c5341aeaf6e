"""Our reason codes in the store's words: Shopify's return reason definitions (Admin API
2026-01 and later) or, before them, its ``ReturnReason`` enum.

A definition is named by a stable ``handle`` (``too-small``, ``quality``...); which handles
a shop offers is read from the store (``returnReasonDefinitions``) and kept. The merchant may
map any of their codes to a definition; a code left unmapped takes the first of its default
handles the shop offers, else ``other``; with nothing offered, the legacy enum is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

DEFINITIONS_FROM = "2026-01"  # returnReasonDefinitionId in returnCreate/returnRequest lines

# Our default reason tree's codes (domain.returns.policy) -> handles to try, in order.
DEFAULT_HANDLES: dict[str, tuple[str, ...]] = {
    "too_small": ("too-small", "size-too-small"),
    "too_large": ("too-large", "size-too-large"),
    "fit": ("wrong-size", "too-small", "too-large"),
    "looks_different": ("not-as-described", "looks-different", "color"),
    "not_as_expected": ("not-as-described",),
    "quality": ("quality", "defective"),
    "damaged": ("damaged", "defective"),
    "wrong_item": ("wrong-item", "received-wrong-item"),
    "changed_mind": ("changed-mind", "unwanted", "no-longer-needed"),
}
FALLBACK_HANDLE = "other"

# Before definitions: the ReturnReason enum.
LEGACY_ENUM: dict[str, str] = {
    "too_small": "SIZE_TOO_SMALL",
    "too_large": "SIZE_TOO_LARGE",
    "looks_different": "NOT_AS_DESCRIBED",
    "not_as_expected": "NOT_AS_DESCRIBED",
    "quality": "DEFECTIVE",
    "damaged": "DEFECTIVE",
    "wrong_item": "WRONG_ITEM",
    "changed_mind": "UNWANTED",
}


@dataclass(frozen=True, slots=True)
class ReasonDefinition:
    id: str  # gid://shopify/ReturnReasonDefinition/...
    handle: str
    name: str
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class MappedReason:
    code: str
    definition: ReasonDefinition | None
    source: str  # "merchant" | "default" | "none"


def uses_definitions(version: str) -> bool:
    """Whether an Admin API version takes ``returnReasonDefinitionId``."""
    return version == "unstable" or version >= DEFINITIONS_FROM


def legacy_reason(code: str) -> str:
    return LEGACY_ENUM.get(code, "OTHER")


def _candidates(code: str) -> tuple[str, ...]:
    own = code.replace("_", "-").lower()
    return (*DEFAULT_HANDLES.get(code, ()), own, FALLBACK_HANDLE)


def map_reason(
    code: str,
    definitions: Mapping[str, ReasonDefinition],  # by id
    chosen: Mapping[str, str],  # our code -> definition id (the merchant's)
) -> MappedReason:
    """The definition a reason code is sent as: the merchant's choice when it still exists,
    else the first default handle the shop offers (deleted definitions are not chosen by
    default), else none."""
    picked = definitions.get(chosen.get(code, ""))
    if picked is not None:
        return MappedReason(code, picked, "merchant")
    by_handle = {d.handle: d for d in definitions.values() if not d.deleted}
    for handle in _candidates(code):
        if handle in by_handle:
            return MappedReason(code, by_handle[handle], "default")
    return MappedReason(code, None, "none")
