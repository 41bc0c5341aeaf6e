"""The team page: only owners manage it, invitations work once, the last owner stays, and no
store sees or touches another's members (both backends)."""

from __future__ import annotations

import re

import pytest

from postpurchase.domain.console import Role
from tests.factories import ref
from tests.integration.console.conftest import PASSWORD, Console, form_csrf


def member_id(console: Console, slug_email: str, merchant_id: str) -> str:
    from postpurchase.adapters.db.console import SqlConsoleUnitOfWork

    with SqlConsoleUnitOfWork(console.platform.engine) as uow:
        user = uow.users.find(merchant_id, slug_email)
        assert user is not None
        return user.id


@pytest.mark.parametrize("role", [Role.AGENT, Role.VIEWER])
def test_only_owners_see_and_change_the_team(console: Console, role: Role) -> None:
    person = console.a.people[role]
    assert person.get("/console/team").status_code == 403
    r = person.post("/console/team/invite", {"email": f"x-{ref()}@example.com", "role": "owner"})
    assert r.status_code == 403
    target = member_id(console, console.a.viewer.email, console.a.merchant_id)
    assert person.post(f"/console/team/{target}/role", {"role": "owner"}).status_code == 403
    assert person.post(f"/console/team/{target}/remove").status_code == 403
    assert "/console/team" not in person.get("/console").text  # not in the navigation


def test_invitation_without_a_mail_server_shows_the_link_once(console: Console) -> None:
    owner = console.a.owner
    email = f"new-{ref()}@example.com"
    r = owner.post("/console/team/invite", {"email": email, "role": "agent"})
    assert r.status_code == 200 and "No mail server is configured" in r.text
    link = re.search(r"(/console/password/[A-Za-z0-9_-]+)", r.text)
    assert link
    c = console.client()
    page = c.get(link[1])
    assert page.status_code == 200 and "Join the team" in page.text
    done = c.post(
        link[1],
        data={"password": PASSWORD, "confirm": PASSWORD, "csrf": form_csrf(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    signed = console.accounts.login(email, PASSWORD)
    assert signed.principal.role is Role.AGENT
    assert signed.principal.merchant_id == console.a.merchant_id


def test_bad_invitations_name_the_field(console: Console) -> None:
    owner = console.a.owner
    r = owner.post("/console/team/invite", {"email": "not an address", "role": "agent"})
    assert r.status_code == 400 and 'data-field="email"' in r.text
    r = owner.post("/console/team/invite", {"email": f"y-{ref()}@example.com", "role": "boss"})
    assert r.status_code == 400 and 'data-field="role"' in r.text
    r = owner.post("/console/team/invite", {"email": console.a.agent.email, "role": "agent"})
    assert r.status_code == 400 and "already a member" in r.text


def test_role_change_applies_at_once_and_the_last_owner_stays(console: Console) -> None:
    owner = console.a.owner
    agent_id = member_id(console, console.a.agent.email, console.a.merchant_id)
    r = owner.post(f"/console/team/{agent_id}/role", {"role": "viewer"})
    assert r.status_code == 303
    # the agent's session ended with the change: they log in again, as a viewer
    assert console.a.agent.get("/console").status_code == 303
    assert console.accounts.login(console.a.agent.email, PASSWORD).principal.role is Role.VIEWER
    me = member_id(console, owner.email, console.a.merchant_id)
    r = owner.post(f"/console/team/{me}/role", {"role": "agent"})
    assert r.status_code == 400 and "at least one owner" in r.text


def test_a_removed_member_is_signed_out_and_cannot_log_in(console: Console) -> None:
    viewer_id = member_id(console, console.a.viewer.email, console.a.merchant_id)
    assert console.a.owner.post(f"/console/team/{viewer_id}/remove").status_code == 303
    assert console.a.viewer.get("/console").status_code == 303
    from postpurchase.service_layer.console import InvalidCredentials

    with pytest.raises(InvalidCredentials):
        console.accounts.login(console.a.viewer.email, PASSWORD)


def test_no_store_sees_or_changes_another_stores_team(console: Console) -> None:
    page = console.a.owner.get("/console/team").text
    assert console.a.agent.email in page
    for person in console.b.people.values():
        assert person.email not in page
    b_agent = member_id(console, console.b.agent.email, console.b.merchant_id)
    r = console.a.owner.post(f"/console/team/{b_agent}/role", {"role": "owner"})
    assert r.status_code == 400 and "no such team member" in r.text
    r = console.a.owner.post(f"/console/team/{b_agent}/remove")
    assert r.status_code == 400
    assert console.b.agent.get("/console").status_code == 200  # untouched
