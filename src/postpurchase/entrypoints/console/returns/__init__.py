"""The console's returns pages (issue 15): the queue with filters and bulk actions, a
return's detail and inspection screen, analytics, the policy with its simulator, and the
counter page where in-store returns are looked up by number or scanned code.

Pages of the console package itself (ADR 0017's hooks): ``require_role`` on every route,
templates under ``console/returns/``, one navigation link. Every action goes through
``service_layer.returns`` with the signed-in person as the audit actor.
"""

from __future__ import annotations

from fastapi import APIRouter

from postpurchase.domain.console import Role
from postpurchase.entrypoints.console.rendering import NavItem, register_nav
from postpurchase.entrypoints.console.returns import counter, detail, insights, queue

router = APIRouter()
router.include_router(queue.router)
router.include_router(insights.router)  # /analytics and /policy before /{return_id}
router.include_router(counter.router)  # /counter before /{return_id}
router.include_router(detail.router)

register_nav(NavItem("returns", "Returns", "/console/returns", Role.VIEWER, order=25))

__all__ = ["router"]
