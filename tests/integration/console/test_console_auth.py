"""Log-in, log-out, one-time links, CSRF, cookies and the log-in rate limit, through the
pages as a browser sends them (both backends)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from postpurchase.domain.console import Role
from postpurchase.entrypoints.cli import app as cli_app
from tests.factories import ref
from tests.integration.console.conftest import PASSWORD, Console, form_csrf

runner = CliRunner()


def login_form(client: TestClient, email: str, password: str, **extra: str) -> Any:
    page = client.get("/console/login")
    assert page.status_code == 200
    data = {"email": email, "password": password, "csrf": form_csrf(page.text), **extra}
    return client.post("/console/login", data=data, follow_redirects=False)


def set_cookie_header(response: Any, name: str) -> str:
    found = [h for h in response.headers.get_list("set-cookie") if h.startswith(name + "=")]
    assert found, f"no {name} cookie set"
    return found[0]


def test_a_page_without_a_session_sends_the_browser_to_log_in(console: Console) -> None:
    c = console.client()
    r = c.get("/console?q=abc", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/console/login?next=%2Fconsole%3Fq%3Dabc"


def test_first_owner_sets_a_password_logs_in_and_out(console: Console) -> None:
    email = f"first-{ref()}@example.com"
    link = console.accounts.create_user(console.a.slug, email, Role.OWNER)
    c = console.client()
    page = c.get(f"/console/password/{link.token}")
    assert page.status_code == 200 and email in page.text
    r = c.post(
        f"/console/password/{link.token}",
        data={"password": PASSWORD, "confirm": PASSWORD, "csrf": form_csrf(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/console/login?flash=password_set"
    again = c.get(f"/console/password/{link.token}")
    assert again.status_code == 404  # one-time

    r = login_form(c, email, PASSWORD, next="/console?welcome=1")
    assert r.status_code == 303 and r.headers["location"] == "/console?welcome=1"
    cookie = set_cookie_header(r, "pp_console").lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/console" in cookie
    assert "secure" not in cookie  # http base URL in development
    home = c.get("/console")
    assert home.status_code == 200 and "Shop " + console.a.slug in home.text
    assert home.headers["cache-control"] == "no-store"

    out = c.post("/console/logout", data={"csrf": form_csrf(home.text)}, follow_redirects=False)
    assert out.status_code == 303
    assert c.get("/console", follow_redirects=False).status_code == 303


def test_wrong_password_and_unknown_address_get_the_same_answer(console: Console) -> None:
    c = console.client()
    wrong = login_form(c, console.a.owner.email, "not the password at all")
    unknown = login_form(c, f"nobody-{ref()}@example.com", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert "not right" in wrong.text and "not right" in unknown.text
    assert not [h for h in wrong.headers.get_list("set-cookie") if h.startswith("pp_console=")]


def test_next_never_leaves_the_console(console: Console) -> None:
    c = console.client()
    r = login_form(c, console.a.viewer.email, PASSWORD, next="//evil.example/console")
    assert r.headers["location"] == "/console"


def test_a_post_without_the_csrf_token_is_refused(console: Console) -> None:
    c = console.client()
    page = c.get("/console/login")
    assert page.status_code == 200
    r = c.post(
        "/console/login",
        data={"email": console.a.owner.email, "password": PASSWORD, "csrf": "forged" * 5},
        follow_redirects=False,
    )
    assert r.status_code == 403
    viewer = console.a.viewer
    assert viewer.client.post("/console/logout", data={}).status_code == 403
    assert viewer.post("/console/logout", {"csrf": "x" * 32}).status_code == 403
    cross = viewer.post("/console/logout", headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403
    assert viewer.get("/console").status_code == 200  # still signed in


def test_log_in_is_rate_limited_per_address(console: Console) -> None:
    c = console.client()
    email = console.a.agent.email
    answers = [login_form(c, email, f"wrong password {i}").status_code for i in range(7)]
    assert answers[:6] == [401] * 6
    assert answers[6] == 429
    limited = login_form(console.client(), email, PASSWORD)  # the right one, elsewhere
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1


def test_several_stores_with_one_address_ask_for_the_store(console: Console) -> None:
    email = f"agency-{ref()}@example.com"
    for store in (console.a, console.b):
        link = console.accounts.create_user(store.slug, email, Role.AGENT)
        console.accounts.set_password(link.token, PASSWORD)
    c = console.client()
    r = login_form(c, email, PASSWORD)
    assert r.status_code == 400 and "several stores" in r.text
    ok = login_form(c, email, PASSWORD, store=console.b.slug)
    assert ok.status_code == 303
    assert "Shop " + console.b.slug in c.get("/console").text


def test_secure_cookie_behind_https(engine: Any, clock: Any) -> None:
    from postpurchase.bootstrap import bootstrap
    from postpurchase.config import Settings
    from postpurchase.entrypoints.api.app import create_app
    from postpurchase.service_layer import handlers
    from tests.integration.console.conftest import cheap_accounts

    platform = bootstrap(
        Settings(base_url="https://console.example"), engine=engine, clock=clock,
        notifications=False,
    )  # fmt: skip
    merchant, _, _ = handlers.create_merchant(platform.uow(), clock, "Secure " + ref())
    accounts = cheap_accounts(platform)
    email = f"s-{ref()}@example.com"
    link = accounts.create_user(merchant.slug, email, Role.VIEWER)
    accounts.set_password(link.token, PASSWORD)
    app = create_app(platform)
    app.state.console_accounts = accounts
    with TestClient(app, base_url="https://testserver", client=(f"s{ref()}", 1)) as c:
        r = login_form(c, email, PASSWORD)
        assert r.status_code == 303
        assert "secure" in set_cookie_header(r, "pp_console").lower()


def test_cli_user_create_prints_a_one_time_link(console: Console, monkeypatch: Any) -> None:
    monkeypatch.setenv(
        "POSTPURCHASE_DATABASE_URL",
        str(console.platform.engine.url.render_as_string(hide_password=False)),
    )
    email = f"cli-{ref()}@example.com"
    r = runner.invoke(cli_app, ["user", "create", console.a.slug, email, "--role", "owner"])
    assert r.exit_code == 0, r.output
    assert "/console/password/" in r.stdout and email in r.stdout
    bad = runner.invoke(cli_app, ["user", "create", console.a.slug, email, "--role", "boss"])
    assert bad.exit_code == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "--role" in bad.stderr
    none = runner.invoke(cli_app, ["user", "create", "no-such-" + ref(), email])
    assert none.exit_code == 2 and "no merchant" in none.stderr
