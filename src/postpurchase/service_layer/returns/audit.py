"""Every step a person, an integration or a job takes on a return, in the audit log.

The return's own history says *what* happened (``return_decisions``); the audit log says
*who* did it (``api:<key fingerprint>``, ``user:<email>``, ``cli``, ``system:<job>``), in the
transaction of the step, so a step never lands unaudited. An entry's subject is
``return:<id>`` (``GET /api/v1/audit?subject=return:<id>``); its changes are the return's
facts before and after the step as dotted keys (``status``, ``lines.<line>.grade``...).
Policy versions are audited under the subject ``returns.policy``.
"""

from __future__ import annotations

from typing import Any

from postpurchase.domain.returns import Return, ReturnPolicy, policy_to_dict
from postpurchase.service_layer.audit import Audited, record_change

POLICY_SUBJECT = "returns.policy"
AUTOMATIC = "system:policy"  # a return the policy approved on its own when it was asked


def subject_of(return_id: str) -> str:
    return f"return:{return_id}"


def snapshot(ret: Return) -> dict[str, Any]:
    """The facts of a return a step may change, as JSON values (the audit's ``[old, new]``)."""
    exchange_order = ret.exchange.order_id if ret.exchange is not None else None
    return {
        "status": ret.status.value,
        "rejection_reason": ret.rejection_reason,
        "carrier": ret.carrier,
        "tracking_number": ret.tracking_number,
        "resolution_reference": ret.resolution_reference,
        "exchange_order_id": exchange_order,
        "lines": {
            line.order_line_id: {
                "grade": line.grade.value if line.grade else None,
                "disposition": line.disposition.value if line.disposition else None,
                "note": line.note,
                "photos": list(line.photos),
                "location": line.location,
            }
            for line in ret.lines
        },
    }


def record_step(
    uow: Audited,
    ret: Return,
    *,
    actor: str,
    action: str,
    before: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> None:
    """Audit ``action`` (``returns.approve``...) on ``ret`` inside ``uow`` (the step commits it).

    ``extra`` adds facts the return does not keep (the amount paid, the restock location),
    shown as ``[null, value]``. Always written: approving twice is refused by the domain, so
    an entry is never a no-op.
    """
    after = snapshot(ret)
    if extra:
        after = {**after, **extra}
    record_change(
        uow, ret.merchant_id, actor=actor, action=action, subject=subject_of(ret.id),
        before=before, after=after, always=True,
    )  # fmt: skip


def record_policy(
    uow: Audited, merchant_id: str, *, actor: str, before: ReturnPolicy, after: ReturnPolicy
) -> None:
    """A new policy version (saving it activates it): the rules that changed, and the version
    (from the one it replaces; ``None`` when the default was in force, which also says 1)."""
    old, new = policy_to_dict(before), policy_to_dict(after)
    old["version"] = after.version - 1 or None  # versions count up by one per save
    record_change(
        uow, merchant_id, actor=actor, action="returns.policy.activate", subject=POLICY_SUBJECT,
        before=old, after=new, always=True,
    )  # fmt: skip
